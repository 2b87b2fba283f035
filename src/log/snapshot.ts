// Snapshots: an image of one shard from which recovery replays the log tail.
//
// Fuzzy and pause-free: the snapshot LSN S is read under the shard lock, then the table is walked
// with its SCAN cursor in small chunks, each under the lock for a bounded time (writers run between
// chunks), every key written as a `put` effect record. No copy of the keyspace is made: memory grows
// by one chunk buffer.
//
// Exactness (format 2). Each key's record carries, as its LSN, E = the shard's last appended LSN
// when that key was serialized (read under the lock in its chunk): the image of the key includes
// exactly that key's records with LSN <= E. Recovery (src/log/recovery.ts) loads the image and then,
// for a key present in it, skips that key's records with LSN <= E and applies those after; records
// of keys absent from it apply in order. Full `put`s were idempotent, but deltas (src/log/effects.ts)
// are not, so this per-key rule is what keeps "image + tail" exact. A key absent from the image was
// absent at some moment of the walk (SCAN visits every key present for the whole walk), so its
// records up to that moment end in a removal and replaying them from "absent" converges.
// Only records in (S, maxE] need the per-key test; the trailer record (Op.snapshotEnd) states maxE.
// FLUSHDB/FLUSHALL during a walk break the per-key rule (one record removes keys visited before it
// and not those visited after): the walk watches their counter (control.ts ctlFlushes), and a walk
// that saw one is discarded and retried, a few times with a short pause, then the snapshot fails
// (SAVE/BGSAVE report it; the next trigger tries again). SWAPDB needs no retry: entries and records
// name physical dbs, and the db map taken at S plus the swapDb records after S give the final map.
// Format 1 (no trailer) had every E = S, which the same rule reads correctly.
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
import { Op, decodeRecord, encodeRecord, encodeRecordHeader, fillRecordCrcs, recordHeaderBytes } from "./record.ts";
import { removeSegmentsThrough, shardDir } from "./shard_log.ts";
import { applyRecord } from "./apply.ts";
import { recordKey } from "./effects.ts";

const snapRe = /^snap-(\d{20})\.mks$/;
const chunkBuckets = 256;
/** Snapshot formats (append only): 1 = every key at the snapshot LSN; 2 = per-key LSNs + trailer. */
export const SnapshotFormat = { v1: 1, perKeyLsn: 2 } as const;
export const snapshotFormatVersion = SnapshotFormat.perKeyLsn;
/** Walks discarded because a FLUSHDB/FLUSHALL ran during them, before giving up. */
const walkAttemptsMax = 8;

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
  /** FLUSHDB/FLUSHALL count (read under the lock); a change during a walk retries it. */
  flushCount?(): number;
}

export class SnapshotRetryExhausted extends Error {}

export interface SnapshotResult {
  path: string;
  lsn: bigint;
  /** The largest per-key LSN in the image (>= lsn). */
  maxLsn: bigint;
  /** Walks discarded for a flush during them. */
  retries: number;
  keys: number;
  bytes: number;
  ms: number;
}

/**
 * The walk's chunk buffer. Records are built in place without a view or DataView per key (a 1M-key
 * walk otherwise leaves millions of small objects for the snapshotter thread's GC, and RSS grows
 * with them); their CRCs are filled once per frame (fillRecordCrcs).
 */
class Buf {
  u8 = new Uint8Array(1 << 16);
  dv = new DataView(this.u8.buffer);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.u8.length) return;
    const next = new Uint8Array(Math.max(this.u8.length * 2, this.len + n));
    next.set(this.u8.subarray(0, this.len));
    this.u8 = next;
    this.dv = new DataView(next.buffer);
  }
}

/** Copies n bytes; short runs by hand (no view). */
function copyRun(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n > 64) {
    dst.set(src.subarray(from, from + n), at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
}


/** Appends a put record of the entry at (t, slot) to buf. */
function putRecord(buf: Buf, t: Table, slot: number, lsn: bigint): void {
  const type = t.type(slot);
  const enc = t.encoding(slot);
  const voff = t.valueOffset(slot);
  const vlen = t.valueLen(slot);
  const ops = typeOps[type];
  const ser = ops !== undefined && ops.serialize !== undefined ? ops.serialize(t.arena, voff, vlen, enc) : null;
  const valueLen = ser !== null ? ser.length : vlen;
  const klen = t.keyLen(slot);
  const koff = t.keyOffset(slot);
  const payloadLen = 16 + klen + valueLen;
  buf.ensure(recordHeaderBytes + payloadLen);
  const p = buf.len + recordHeaderBytes;
  const u8 = buf.u8;
  u8[p] = t.db(slot);
  u8[p + 1] = type;
  u8[p + 2] = enc;
  u8[p + 3] = ser !== null ? 1 : 0;
  buf.dv.setFloat64(p + 4, t.expireAt(slot), true);
  buf.dv.setUint32(p + 12, klen, true);
  const src = t.arena.u8;
  copyRun(u8, p + 16, src, koff, klen);
  if (ser !== null) u8.set(ser, p + 16 + klen);
  else copyRun(u8, p + 16 + klen, src, voff, vlen);
  encodeRecordHeader(buf.dv, buf.len, lsn, 0, Op.put, payloadLen); // CRC: fillRecordCrcs per frame
  buf.len = p + payloadLen;
}

/** Writes a snapshot of shard `shard` of ks (see the file comment). */
export function writeSnapshot(ks: Keyspace, shard: number, dir: string, keys: KeyProvider | null, hooks: SnapshotHooks): SnapshotResult {
  const t0 = performance.now();
  for (let attempt = 0; attempt < walkAttemptsMax; attempt++) {
    const r = walk(ks, shard, dir, keys, hooks);
    if (r === null) {
      // A flush ran during the walk: its image is discarded; let the flushing client move on first.
      Bun.sleepSync(5 * (attempt + 1));
      continue;
    }
    const d = shardDir(dir, shard);
    renameSync(r.tmp, r.final);
    syncDir(d);
    for (const name of readdirSync(d)) {
      const m = snapRe.exec(name);
      if (m !== null && BigInt(m[1]) < r.lsn) unlinkSync(join(d, name));
    }
    removeSegmentsThrough(dir, shard, r.lsn);
    return { path: r.final, lsn: r.lsn, maxLsn: r.maxLsn, retries: attempt, keys: r.keys, bytes: r.bytes, ms: performance.now() - t0 };
  }
  throw new SnapshotRetryExhausted(`snapshot of shard ${shard}: FLUSHDB/FLUSHALL ran during each of ${walkAttemptsMax} attempts`);
}

/** One walk into a synced temp file; null (temp file removed) when a flush interrupted it. */
function walk(ks: Keyspace, shard: number, dir: string, keys: KeyProvider | null, hooks: SnapshotHooks): { tmp: string; final: string; lsn: bigint; maxLsn: bigint; keys: number; bytes: number } | null {
  const t = ks.tables[shard];
  hooks.lock();
  const lsn = hooks.appendedLsn();
  const flushes = hooks.flushCount?.() ?? 0;
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
  let maxLsn = lsn;
  let interrupted = false;
  do {
    hooks.lock();
    try {
      if ((hooks.flushCount?.() ?? 0) !== flushes) {
        interrupted = true;
        break;
      }
      // Every key of this chunk includes the shard's records up to `e` and none after (the lock
      // is held: no record is appended while the chunk is read).
      const e = hooks.appendedLsn();
      if (e > maxLsn) maxLsn = e;
      for (let i = 0; i < chunkBuckets; i++) {
        cursor = t.scanStep(cursor, (slot) => {
          putRecord(buf, t, slot, e);
          nkeys++;
        });
        if (cursor === 0) break;
      }
    } finally {
      hooks.unlock();
    }
    if (buf.len >= 1 << 20 || cursor === 0) {
      if (buf.len > 0) {
        const body = buf.u8.subarray(0, buf.len);
        fillRecordCrcs(body);
        w.append(body);
      }
      buf.len = 0;
    }
    hooks.between?.();
  } while (cursor !== 0);
  if (interrupted) {
    w.close();
    unlinkSync(tmp);
    return null;
  }
  // Trailer: the format and the largest per-key LSN (recovery's per-key test stops there).
  const trailer = new Uint8Array(10);
  const tdv = new DataView(trailer.buffer);
  tdv.setUint16(0, snapshotFormatVersion, true);
  tdv.setBigUint64(2, maxLsn, true);
  buf.len = 0;
  buf.ensure(recordHeaderBytes + trailer.length);
  buf.len = encodeRecord(buf.u8, 0, maxLsn, 0, Op.snapshotEnd, trailer);
  w.append(buf.u8.subarray(0, buf.len));
  w.sync();
  const bytes = w.size;
  w.close();
  return { tmp, final, lsn, maxLsn, keys: nkeys, bytes };
}

export interface SnapshotImage {
  path: string;
  /** S: the log is replayed after it. */
  lsn: bigint;
  format: number;
  /** The largest per-key LSN (= lsn for format 1). */
  maxLsn: bigint;
  bodies: Uint8Array[];
}

/** Reads and checks a snapshot file (format 1 or 2) without applying it. */
export function readSnapshot(shard: number, path: string, keys: KeyProvider | null): SnapshotImage {
  const r = readFrames(path, keys);
  if (r.torn) throw new LogCorruption(path, r.validEnd, "snapshot is incomplete (a snapshot is renamed into place only once complete)");
  if (r.header.kind !== FileKind.snapshot || r.header.shard !== shard) throw new LogCorruption(path, 0, "file is not a snapshot of this shard");
  let format: number = SnapshotFormat.v1;
  let maxLsn = r.header.lsn;
  // Format 2 ends with its trailer, alone in the last frame.
  const last = r.bodies.length > 0 ? r.bodies[r.bodies.length - 1] : null;
  if (last !== null) {
    const d = decodeRecord(last, 0);
    if (d.ok && d.end === last.length && d.record.op === Op.snapshotEnd) {
      const p = d.record.payload;
      const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      format = dv.getUint16(0, true);
      if (format !== SnapshotFormat.perKeyLsn) throw new LogCorruption(path, 0, `snapshot format ${format} is not one this build reads`);
      maxLsn = dv.getBigUint64(2, true);
      if (maxLsn < r.header.lsn) throw new LogCorruption(path, 0, "snapshot trailer's LSN is below the snapshot's");
    }
  }
  return { path, lsn: r.header.lsn, format, maxLsn, bodies: r.bodies };
}

/**
 * Applies a snapshot image to ks (every lock held). onKey(db, key, e) hears every key loaded with its
 * per-key LSN (views, valid during the call; a key may come twice: the later image wins).
 */
export function applySnapshot(ks: Keyspace, shard: number, img: SnapshotImage, onKey: ((db: number, key: Uint8Array, e: bigint) => void) | null = null): number {
  let n = 0;
  for (const body of img.bodies) {
    let at = 0;
    while (at < body.length) {
      const d = decodeRecord(body, at);
      if (!d.ok) throw new LogCorruption(img.path, at, `snapshot record ${d.reason}`);
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
        if (onKey !== null) {
          const k = recordKey(Op.put, d.record.payload)!;
          onKey(k.db, k.key, img.format === SnapshotFormat.v1 ? img.lsn : d.record.lsn);
        }
        n++;
      }
      at = d.end;
    }
  }
  return n;
}

/** Loads a snapshot into ks (every lock held); returns its LSN. */
export function loadSnapshot(ks: Keyspace, shard: number, path: string, keys: KeyProvider | null): { lsn: bigint; maxLsn: bigint; keys: number } {
  const img = readSnapshot(shard, path, keys);
  return { lsn: img.lsn, maxLsn: img.maxLsn, keys: applySnapshot(ks, shard, img) };
}
