// A shard's log on disk: segments of frames (src/log/file.ts), their writer on the replicator
// thread, and recovery at start.
//
// Layout: <dir>/shard-<n>/seg-<first LSN, 20 digits>.log. A segment is rolled when it passes
// log-segment-bytes; the new file is created only after the old one is synced, and the directory is
// synced after each create, so only the last segment can have a torn tail. Recovery reads segments in
// LSN order, checks every record's CRC and that LSNs run +1 without gaps, cuts a torn tail of the
// last segment at its last valid frame, and stops with LogCorruption (file and offset) on anything
// else: data is never dropped silently.

import { existsSync, mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { FileKind, FrameWriter, IncompleteHeader, LogCorruption, readFrames, syncDir, truncateFile } from "./file.ts";
import type { KeyProvider } from "./keys.ts";
import { decodeRecord, fillRecordCrcs, type LogRecord } from "./record.ts";
import type { LogRing } from "./ring.ts";
import type { Doorbell } from "./ring.ts";

const segRe = /^seg-(\d{20})\.log$/;

export function shardDir(dir: string, shard: number): string {
  return join(dir, `shard-${shard}`);
}

export function segmentName(firstLsn: bigint): string {
  return `seg-${firstLsn.toString().padStart(20, "0")}.log`;
}

/** Segments of a shard, oldest first, with their first LSNs. */
export function listSegments(dir: string, shard: number): { path: string; firstLsn: bigint }[] {
  const d = shardDir(dir, shard);
  if (!existsSync(d)) return [];
  const out: { path: string; firstLsn: bigint }[] = [];
  for (const name of readdirSync(d)) {
    const m = segRe.exec(name);
    if (m !== null) out.push({ path: join(d, name), firstLsn: BigInt(m[1]) });
  }
  out.sort((a, b) => (a.firstLsn < b.firstLsn ? -1 : a.firstLsn > b.firstLsn ? 1 : 0));
  return out;
}

export interface RecoveryResult {
  /** LSN the next record gets. */
  nextLsn: bigint;
  /** Records applied (after `afterLsn`). */
  applied: number;
  /** Bytes cut from a torn tail (0 when none). */
  tornBytes: number;
}

/**
 * Replays shard `shard`'s records with LSN > afterLsn (the snapshot's LSN) through `apply`, in
 * order. Throws LogCorruption on damage that is not a torn tail.
 */
export function recoverShard(dir: string, shard: number, keys: KeyProvider | null, afterLsn: bigint, apply: (r: LogRecord) => void): RecoveryResult {
  const segs = listSegments(dir, shard);
  let expect = -1n; // next LSN expected, once known
  let applied = 0;
  let tornBytes = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    let r: ReturnType<typeof readFrames>;
    try {
      r = readFrames(s.path, keys);
    } catch (e) {
      // A crash while the newest segment was being created: it holds no record. Remove it.
      if (!(e instanceof IncompleteHeader) || i !== segs.length - 1) throw e;
      tornBytes += Bun.file(s.path).size;
      unlinkSync(s.path);
      syncDir(shardDir(dir, shard));
      if (expect < 0n) expect = s.firstLsn;
      continue;
    }
    if (r.header.kind !== FileKind.segment || r.header.shard !== shard) throw new LogCorruption(s.path, 0, "segment header names another shard or kind");
    if (r.header.lsn !== s.firstLsn) throw new LogCorruption(s.path, 16, "segment's first LSN does not match its name");
    if (expect >= 0n && s.firstLsn !== expect) throw new LogCorruption(s.path, 16, `LSN gap: expected ${expect}, segment starts at ${s.firstLsn}`);
    if (expect < 0n) expect = s.firstLsn;
    if (r.torn) {
      if (i !== segs.length - 1) throw new LogCorruption(s.path, r.validEnd, "damaged frame in a segment that is not the last");
      const size = Bun.file(s.path).size;
      tornBytes = size - r.validEnd;
      truncateFile(s.path, r.validEnd);
    }
    let frameAt = r.header.headerBytes;
    for (const body of r.bodies) {
      let at = 0;
      while (at < body.length) {
        const d = decodeRecord(body, at);
        if (!d.ok) throw new LogCorruption(s.path, frameAt, `record ${d.reason} inside a valid frame (record offset ${at})`);
        if (d.record.lsn !== expect) throw new LogCorruption(s.path, frameAt, `LSN ${d.record.lsn} where ${expect} was expected`);
        if (d.record.lsn > afterLsn) {
          apply(d.record);
          applied++;
        }
        expect++;
        at = d.end;
      }
      frameAt += 8 + body.length; // plain frames; for sealed ones the offset is approximate
    }
  }
  const next = expect < 0n ? afterLsn + 1n : expect > afterLsn ? expect : afterLsn + 1n;
  return { nextLsn: next, applied, tornBytes };
}

/** Deletes segments whose records are all <= lsn (covered by a snapshot). Keeps the last one. */
export function removeSegmentsThrough(dir: string, shard: number, lsn: bigint): number {
  const segs = listSegments(dir, shard);
  let removed = 0;
  for (let i = 0; i + 1 < segs.length; i++) {
    // Segment i holds LSNs [first_i, first_{i+1} - 1].
    if (segs[i + 1].firstLsn - 1n <= lsn) {
      unlinkSync(segs[i].path);
      removed++;
    } else break;
  }
  if (removed > 0) syncDir(shardDir(dir, shard));
  return removed;
}

/**
 * Zeros a segment grows by ahead of its frames: one size change (and metadata flush) per MiB of log
 * instead of per group commit.
 */
const segmentPreallocBytes = 1 << 20;

/** The replicator's writer of one shard's segments. */
export class SegmentWriter {
  private w: FrameWriter | null = null;
  private dirty = false;
  /** Size and frame count at the last successful fdatasync of the current segment. */
  private syncedSize = 0;
  private syncedFrames = 0;
  /** LSN of the last record written (not necessarily synced). */
  lastLsn = 0n;

  /** Zero bytes a segment is extended by ahead of its frames (file.ts, preallocation). */
  readonly preallocBytes = segmentPreallocBytes;

  constructor(readonly dir: string, readonly shard: number, readonly keys: KeyProvider | null, readonly segmentBytes: number) {
    mkdirSync(shardDir(dir, shard), { recursive: true });
  }

  /** Starts a new segment whose first record will be `firstLsn` (after recovery or a roll). */
  private open(firstLsn: bigint): void {
    const d = shardDir(this.dir, this.shard);
    const path = join(d, segmentName(firstLsn));
    if (existsSync(path)) unlinkSync(path); // an empty segment left by a crash right after creation
    const w = FrameWriter.create(path, FileKind.segment, this.shard, firstLsn, this.keys);
    w.preallocate(Math.min(this.preallocBytes, this.segmentBytes >> 2));
    try {
      w.sync();
      syncDir(d);
    } catch (e) {
      w.close();
      unlinkSync(path);
      throw e;
    }
    this.w = w;
    this.syncedSize = w.size;
    this.syncedFrames = 0;
  }

  /** Appends one frame holding whole records firstLsn..lastLsn. */
  append(body: Uint8Array, firstLsn: bigint, lastLsn: bigint): void {
    if (this.w !== null && this.w.size >= this.segmentBytes) {
      this.w.sync();
      this.w.close();
      this.w = null;
    }
    if (this.w === null) this.open(firstLsn);
    this.w!.append(body);
    this.lastLsn = lastLsn;
    this.dirty = true;
  }

  /** fdatasync when something was appended since the last sync. */
  sync(): void {
    if (this.dirty && this.w !== null) {
      this.w.sync();
      this.syncedSize = this.w.size;
      this.syncedFrames = this.w.frameCount;
    }
    this.dirty = false;
  }

  /**
   * After a failed append or sync: forget everything since the last successful sync (the caller
   * appends those records again). Throws when even that fails; the caller retries later.
   */
  rewind(): void {
    this.dirty = false;
    if (this.w === null) return;
    // The failure may be a full disk: this segment stops reserving zeros (rewind released them), so
    // the retry needs room for the frames only and other shards' reservations cannot starve it.
    this.w.preallocate(0);
    this.w.rewind(this.syncedSize, this.syncedFrames);
  }

  close(): void {
    this.sync();
    this.w?.close();
    this.w = null;
  }
}

/** First and last LSN of the whole records in `body`. */
function lsnRange(body: Uint8Array): [bigint, bigint] {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  let first = -1n;
  let last = -1n;
  while (at + 16 <= body.length) {
    const len = dv.getUint32(at, true);
    const lsn = dv.getBigUint64(at + 8, true);
    if (first < 0n) first = lsn;
    last = lsn;
    at += 4 + len;
  }
  return [first, last];
}

/**
 * The replicator's core: each round drains every shard's ring into one frame per shard (one write),
 * fdatasyncs each shard file written (group commit: every record that arrived during the previous
 * sync shares this one), then publishes each shard's durable LSN and frees the ring space.
 */
export class Replicator {
  private scratch = new Uint8Array(1 << 20);
  /** Rounds and syncs done (INFO persistence). */
  rounds = 0;
  bytes = 0;

  constructor(readonly rings: LogRing[], readonly writers: SegmentWriter[], readonly bell: Doorbell, readonly batchBytesMax = 8 << 20) {}

  /** Why the last round failed (a write or fdatasync error), or null when the log is healthy. */
  failure: string | null = null;

  /**
   * One round; returns the bytes made durable (0 when nothing was waiting or the round failed: on a
   * write or fdatasync error nothing is released, the segment is cut back to its last synced size,
   * `failure` says why, and the next round tries the same records again).
   */
  round(): number {
    try {
      const n = this.roundOnce();
      this.failure = null;
      return n;
    } catch (e) {
      this.failure = (e as Error).message;
      for (const w of this.writers) {
        try {
          w.rewind();
        } catch {
          // still failing: the next round rewinds again before it appends
        }
      }
      return 0;
    }
  }

  private roundOnce(): number {
    let total = 0;
    const taken: { consumed: number; last: bigint }[] = [];
    for (let s = 0; s < this.rings.length; s++) {
      const t = this.rings[s].take(this.batchBytesMax);
      if (t === null || t.bytes === 0) {
        taken.push({ consumed: t?.consumed ?? 0, last: -1n });
        continue;
      }
      let body: Uint8Array;
      if (t.pieces.length === 1) body = t.pieces[0];
      else {
        if (this.scratch.length < t.bytes) this.scratch = new Uint8Array(Math.max(t.bytes, this.scratch.length * 2));
        let at = 0;
        for (const p of t.pieces) {
          this.scratch.set(p, at);
          at += p.length;
        }
        body = this.scratch.subarray(0, t.bytes);
      }
      fillRecordCrcs(body);
      const [first, last] = lsnRange(body);
      this.writers[s].append(body, first, last);
      taken.push({ consumed: t.consumed, last });
      total += t.bytes;
    }
    for (const w of this.writers) w.sync();
    for (let s = 0; s < this.rings.length; s++) {
      const t = taken[s];
      if (t.consumed > 0 || t.last >= 0n) this.rings[s].release(t.consumed, t.last >= 0n ? t.last : this.rings[s].durableLsn());
    }
    if (total > 0) {
      this.rounds++;
      this.bytes += total;
    }
    return total;
  }

  /** Runs rounds until stop() says so; sleeps on the doorbell when every ring is empty. */
  run(stop: () => boolean, idleMs = 100): void {
    while (!stop()) {
      const seen = this.bell.seq();
      if (this.round() === 0) this.bell.sleep(seen, idleMs);
    }
    this.round();
    for (const w of this.writers) w.close();
  }
}

/**
 * Calls fn for every record with fromLsn < LSN <= toLsn, reading only the segments that can hold
 * them. A read-only pre-pass (recovery's per-key LSN rule): damage is left for recoverShard, which
 * reads everything again and decides; a frame this pass cannot read simply ends it.
 */
export function scanRecords(dir: string, shard: number, keys: KeyProvider | null, fromLsn: bigint, toLsn: bigint, fn: (r: LogRecord) => void): void {
  const segs = listSegments(dir, shard);
  for (let i = 0; i < segs.length; i++) {
    if (segs[i].firstLsn > toLsn) break;
    if (i + 1 < segs.length && segs[i + 1].firstLsn - 1n <= fromLsn) continue;
    let r: ReturnType<typeof readFrames>;
    try {
      r = readFrames(segs[i].path, keys);
    } catch {
      return;
    }
    for (const body of r.bodies) {
      let at = 0;
      while (at < body.length) {
        const d = decodeRecord(body, at);
        if (!d.ok) return;
        if (d.record.lsn > toLsn) return;
        if (d.record.lsn > fromLsn) fn(d.record);
        at = d.end;
      }
    }
  }
}
