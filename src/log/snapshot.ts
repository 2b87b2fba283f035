// Snapshots: an image of one shard from which recovery replays the log tail.
//
// Fuzzy and pause-free: the snapshot LSN S is read under the shard lock, then the table is walked
// with its SCAN cursor in small chunks, each under the lock for a bounded time (writers run between
// chunks), every key written as a `put` effect record. Because effect records state results
// (src/log/effects.ts), loading the image and then replaying every record with LSN > S yields exactly
// the state at the end of the log: a key changed during the walk is fixed by its later records, and
// SCAN's guarantee (a key present for the whole walk is visited, even across table growth) covers
// every key nobody touched. No copy of the keyspace is made: memory grows by one chunk buffer.
//
// File: <dir>/shard-<n>/snap-<S, 20 digits>.mks in the container format of src/log/file.ts (kind
// snapshot, header LSN = S, sealed when encryption at rest is on). Written to a .tmp name, fsynced,
// renamed, directory fsynced; then older snapshots and the segments it covers are removed.

import { existsSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Keyspace } from "../keyspace/keyspace.ts";
import type { Table } from "../keyspace/table.ts";
import { typeOps } from "../types/registry.ts";
import { FileKind, FrameWriter, LogCorruption, readFrames, syncDir } from "./file.ts";
import type { KeyProvider } from "./keys.ts";
import { Op, decodeRecord, encodeRecord, recordHeaderBytes } from "./record.ts";
import { removeSegmentsThrough, shardDir } from "./shard_log.ts";
import { applyRecord } from "./apply.ts";

const snapRe = /^snap-(\d{20})\.mks$/;
const chunkBuckets = 256;

export function snapshotName(lsn: bigint): string {
  return `snap-${lsn.toString().padStart(20, "0")}.mks`;
}

/** The newest complete snapshot of a shard, or null. */
export function latestSnapshot(dir: string, shard: number): { path: string; lsn: bigint } | null {
  const d = shardDir(dir, shard);
  if (!existsSync(d)) return null;
  let best: { path: string; lsn: bigint } | null = null;
  for (const name of readdirSync(d)) {
    const m = snapRe.exec(name);
    if (m === null) continue;
    const lsn = BigInt(m[1]);
    if (best === null || lsn > best.lsn) best = { path: join(d, name), lsn };
  }
  return best;
}

export interface SnapshotHooks {
  lock(): void;
  unlock(): void;
  /** The shard's last appended LSN (read under the lock). */
  appendedLsn(): bigint;
  /** Called between chunks (e.g. to yield the thread); may be async-free no-op. */
  between?(): void;
}

export interface SnapshotResult {
  path: string;
  lsn: bigint;
  keys: number;
  bytes: number;
  ms: number;
}

class Buf {
  u8 = new Uint8Array(1 << 16);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.u8.length) return;
    const next = new Uint8Array(Math.max(this.u8.length * 2, this.len + n));
    next.set(this.u8.subarray(0, this.len));
    this.u8 = next;
  }
}

const f64 = new DataView(new ArrayBuffer(8));

/** Appends a put record of the entry at (t, slot) to buf. */
function putRecord(buf: Buf, t: Table, slot: number, lsn: bigint): void {
  const type = t.type(slot);
  const enc = t.encoding(slot);
  const voff = t.valueOffset(slot);
  const vlen = t.valueLen(slot);
  const ops = typeOps[type];
  const ser = ops !== undefined && ops.serialize !== undefined ? ops.serialize(t.arena, voff, vlen, enc) : null;
  const value = ser ?? t.arena.u8.subarray(voff, voff + vlen);
  const klen = t.keyLen(slot);
  const koff = t.keyOffset(slot);
  const payloadLen = 16 + klen + value.length;
  buf.ensure(recordHeaderBytes + payloadLen);
  const p = buf.len + recordHeaderBytes;
  const u8 = buf.u8;
  u8[p] = t.db(slot);
  u8[p + 1] = type;
  u8[p + 2] = enc;
  u8[p + 3] = ser !== null ? 1 : 0;
  f64.setFloat64(0, t.expireAt(slot), true);
  for (let i = 0; i < 8; i++) u8[p + 4 + i] = f64.getUint8(i);
  u8[p + 12] = klen & 0xff;
  u8[p + 13] = (klen >>> 8) & 0xff;
  u8[p + 14] = (klen >>> 16) & 0xff;
  u8[p + 15] = (klen >>> 24) & 0xff;
  u8.set(t.arena.u8.subarray(koff, koff + klen), p + 16);
  u8.set(value, p + 16 + klen);
  buf.len = encodeRecord(u8, buf.len, lsn, 0, Op.put, u8.subarray(p, p + payloadLen));
}

/** Writes a snapshot of shard `shard` of ks (see the file comment). */
export function writeSnapshot(ks: Keyspace, shard: number, dir: string, keys: KeyProvider | null, hooks: SnapshotHooks): SnapshotResult {
  const t0 = performance.now();
  const t = ks.tables[shard];
  hooks.lock();
  const lsn = hooks.appendedLsn();
  const dbMap: number[] = [];
  if (shard === 0) for (let db = 0; db < ks.databases; db++) dbMap.push(ks.physicalDb(db));
  hooks.unlock();
  const d = shardDir(dir, shard);
  const final = join(d, snapshotName(lsn));
  const tmp = `${final}.tmp`;
  if (existsSync(tmp)) unlinkSync(tmp);
  const w = FrameWriter.create(tmp, FileKind.snapshot, shard, lsn, keys);
  const buf = new Buf();
  if (dbMap.length > 0) {
    // The logical-to-physical db map (SWAPDB) as a swapDb-free noop record: u8 count, map bytes.
    const payload = new Uint8Array(1 + dbMap.length);
    payload[0] = dbMap.length - 1;
    for (let i = 0; i < dbMap.length; i++) payload[1 + i] = dbMap[i];
    buf.ensure(recordHeaderBytes + payload.length);
    buf.len = encodeRecord(buf.u8, buf.len, lsn, 0, Op.noop, payload);
  }
  let nkeys = 0;
  let cursor = 0;
  do {
    hooks.lock();
    try {
      for (let i = 0; i < chunkBuckets; i++) {
        cursor = t.scanStep(cursor, (slot) => {
          putRecord(buf, t, slot, lsn);
          nkeys++;
        });
        if (cursor === 0) break;
      }
    } finally {
      hooks.unlock();
    }
    if (buf.len >= 1 << 20 || cursor === 0) {
      if (buf.len > 0) w.append(buf.u8.subarray(0, buf.len));
      buf.len = 0;
    }
    hooks.between?.();
  } while (cursor !== 0);
  w.sync();
  const bytes = w.size;
  w.close();
  renameSync(tmp, final);
  syncDir(d);
  for (const name of readdirSync(d)) {
    const m = snapRe.exec(name);
    if (m !== null && BigInt(m[1]) < lsn) unlinkSync(join(d, name));
  }
  removeSegmentsThrough(dir, shard, lsn);
  return { path: final, lsn, keys: nkeys, bytes, ms: performance.now() - t0 };
}

/** Loads a snapshot into ks (every lock held); returns its LSN. */
export function loadSnapshot(ks: Keyspace, shard: number, path: string, keys: KeyProvider | null): { lsn: bigint; keys: number } {
  const r = readFrames(path, keys);
  if (r.torn) throw new LogCorruption(path, r.validEnd, "snapshot is incomplete (a snapshot is renamed into place only once complete)");
  if (r.header.kind !== FileKind.snapshot || r.header.shard !== shard) throw new LogCorruption(path, 0, "file is not a snapshot of this shard");
  let n = 0;
  for (const body of r.bodies) {
    let at = 0;
    while (at < body.length) {
      const d = decodeRecord(body, at);
      if (!d.ok) throw new LogCorruption(path, at, `snapshot record ${d.reason}`);
      if (d.record.op === Op.noop && shard === 0 && d.record.payload.length > 0) {
        const p = d.record.payload;
        const count = p[0] + 1;
        for (let db = 0; db < Math.min(count, ks.databases); db++) {
          // Rebuild the map by swapping logical dbs into place (ks keeps it a permutation).
          const want = p[1 + db];
          if (ks.physicalDb(db) !== want) {
            for (let other = db + 1; other < ks.databases; other++) {
              if (ks.physicalDb(other) === want) {
                ks.swapDb(db, other);
                break;
              }
            }
          }
        }
      } else if (d.record.op === Op.put) {
        applyRecord(ks, shard, d.record);
        n++;
      }
      at = d.end;
    }
  }
  return { lsn: r.header.lsn, keys: n };
}
