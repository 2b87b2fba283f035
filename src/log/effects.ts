// Effect records: what a command did to a key, written to the key's shard log while the shard's lock
// is held, and applied at recovery (and, later, by replicas).
//
// `put` carries the key's whole new state (type, encoding, absolute expiry, value), `del` its
// removal, `setExpire` an absolute time: idempotent results. Writing a whole 100k-field hash per HSET
// is O(size) per write, so a write to a LARGE value by a single-key command whose effect is
// deterministic logs a `delta` instead: the argv of a command that, replayed on the key's previous
// state, gives its new state (the command's own argv, or the one its handler set with setEffect:
// SPOP logs SREM of the members it chose, XADD the ID it assigned, HINCRBYFLOAT an HSET of the
// result). A delta is not idempotent, so it must be applied exactly once on exactly the state it was
// logged against: snapshots record per key the LSN their image includes, and recovery skips the
// records at or below it (src/log/snapshot.ts, src/log/recovery.ts).
//
// Payloads (little endian; db is the physical db, key bytes raw):
//   put        u8 db, u8 type, u8 enc, u8 flags (bit 0: value is TypeOps-serialized), f64 expireAt,
//              u32 keyLen, key, value
//   del/expire/evict  u8 db, u32 keyLen, key
//   setExpire  u8 db, f64 expireAt (0 = persist), u32 keyLen, key
//   flush      u8 db (255 = all)        swapDb  u8 a, u8 b (logical dbs)
//   delta      u8 db, u32 keyLen, key, u32 argc, argc x (u32 len, bytes)   (argv[0] = command name)

import { Op, encodeRecordHeader, recordHeaderBytes } from "./record.ts";
import type { LogRing } from "./ring.ts";
import type { Table } from "../keyspace/table.ts";
import { typeOps } from "../types/registry.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { listIsChunked } from "../types/list.ts";
import { headerOf, streamLength } from "../types/stream.ts";

/** A value at least this big in its block is logged by delta (strings, dense HLLs, big listpacks). */
export const deltaBlockBytesMin = 4096;
/** Streams are node based at any size: a delta once they hold this many entries. */
export const deltaStreamEntriesMin = 64;

/**
 * Whether the value at (t, slot) is large enough that a write to it logs a delta, in O(1): a block
 * of at least 4 KiB, or a collection in its node-based encoding (hashtable, skiplist, chunked list:
 * past Redis's listpack thresholds, so at least ~128 elements), or a long stream.
 */
export function valueIsLarge(t: Table, slot: number): boolean {
  if (t.valueLen(slot) >= deltaBlockBytesMin) return true;
  switch (t.type(slot)) {
    case ObjType.hash:
    case ObjType.set:
    case ObjType.zset: {
      const enc = t.encoding(slot);
      return enc === ObjEnc.hashtable || enc === ObjEnc.skiplist;
    }
    case ObjType.list:
      return listIsChunked(t, slot);
    case ObjType.stream: {
      const h = headerOf(t.arena.u8, t.valueOffset(slot));
      return h !== 0 && streamLength(t.arena, h) >= deltaStreamEntriesMin;
    }
    default:
      return false;
  }
}

const scratchDv = new DataView(new ArrayBuffer(8));
const f64Bytes = new Uint8Array(scratchDv.buffer);

function putF64(u8: Uint8Array, at: number, v: number): void {
  scratchDv.setFloat64(0, v, true);
  u8.set(f64Bytes, at);
}
function putU32(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v & 0xff;
  u8[at + 1] = (v >>> 8) & 0xff;
  u8[at + 2] = (v >>> 16) & 0xff;
  u8[at + 3] = (v >>> 24) & 0xff;
}

/** Copies n bytes from src[from..] to dst[at..]; short runs by hand, so no view is allocated. */
function copyRun(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n > 64) {
    dst.set(src.subarray(from, from + n), at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
}

/**
 * Writes the header of a record whose payload (payloadLen bytes) the caller already wrote at at+24
 * and publishes it. The CRC is filled in by the replicator (fillRecordCrcs) before the write.
 */
function sealRecord(ring: LogRing, at: number, payloadLen: number, op: number, epoch: number): bigint {
  const lsn = ring.takeLsn();
  encodeRecordHeader(ring.dv, at, lsn, epoch, op, payloadLen);
  ring.commit(recordHeaderBytes + payloadLen, lsn);
  return lsn;
}

/** Logs the whole current state of the key at (t, slot). Returns its LSN. */
export function logPut(ring: LogRing, epoch: number, t: Table, slot: number): bigint {
  const u8a = t.arena.u8;
  const klen = t.keyLen(slot);
  const koff = t.keyOffset(slot);
  const type = t.type(slot);
  const enc = t.encoding(slot);
  const ops = typeOps[type];
  let flags = 0;
  const voff = t.valueOffset(slot);
  const vlen = t.valueLen(slot);
  const ser = ops !== undefined && ops.serialize !== undefined ? ops.serialize(t.arena, voff, vlen, enc) : null;
  if (ser !== null) flags = 1;
  const payloadLen = 16 + klen + (ser !== null ? ser.length : vlen);
  const at = ring.reserve(recordHeaderBytes + payloadLen);
  const u8 = ring.u8;
  let p = at + recordHeaderBytes;
  u8[p] = t.db(slot);
  u8[p + 1] = type;
  u8[p + 2] = enc;
  u8[p + 3] = flags;
  putF64(u8, p + 4, t.expireAt(slot));
  putU32(u8, p + 12, klen);
  p += 16;
  copyRun(u8, p, u8a, koff, klen);
  if (ser !== null) u8.set(ser, p + klen);
  else copyRun(u8, p + klen, u8a, voff, vlen);
  return sealRecord(ring, at, payloadLen, Op.put, epoch);
}

/** Logs a removal (op: del, expire or evict) of key in physical db pdb. */
export function logDel(ring: LogRing, epoch: number, op: number, pdb: number, key: Uint8Array): bigint {
  const payloadLen = 5 + key.length;
  const at = ring.reserve(recordHeaderBytes + payloadLen);
  const u8 = ring.u8;
  const p = at + recordHeaderBytes;
  u8[p] = pdb;
  putU32(u8, p + 1, key.length);
  u8.set(key, p + 5);
  return sealRecord(ring, at, payloadLen, op, epoch);
}

/** Logs a delta (see the file comment): the command `argv` replayed on key's previous state. */
export function logDelta(ring: LogRing, epoch: number, pdb: number, key: Uint8Array, argv: readonly Uint8Array[]): bigint {
  let payloadLen = 9 + key.length;
  for (let i = 0; i < argv.length; i++) payloadLen += 4 + argv[i].length;
  const at = ring.reserve(recordHeaderBytes + payloadLen);
  const u8 = ring.u8;
  let p = at + recordHeaderBytes;
  u8[p] = pdb;
  putU32(u8, p + 1, key.length);
  copyRun(u8, p + 5, key, 0, key.length);
  p += 5 + key.length;
  putU32(u8, p, argv.length);
  p += 4;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    putU32(u8, p, a.length);
    copyRun(u8, p + 4, a, 0, a.length);
    p += 4 + a.length;
  }
  return sealRecord(ring, at, payloadLen, Op.delta, epoch);
}

export function logFlush(ring: LogRing, epoch: number, pdb: number): bigint {
  const at = ring.reserve(recordHeaderBytes + 1);
  ring.u8[at + recordHeaderBytes] = pdb < 0 ? 255 : pdb;
  return sealRecord(ring, at, 1, Op.flush, epoch);
}

export function logSwapDb(ring: LogRing, epoch: number, a: number, b: number): bigint {
  const at = ring.reserve(recordHeaderBytes + 2);
  ring.u8[at + recordHeaderBytes] = a;
  ring.u8[at + recordHeaderBytes + 1] = b;
  return sealRecord(ring, at, 2, Op.swapDb, epoch);
}

// ---- decoding (recovery, replicas) ---------------------------------------------------------------

export interface PutEffect {
  db: number;
  type: number;
  enc: number;
  serialized: boolean;
  expireAt: number;
  key: Uint8Array;
  value: Uint8Array;
}

export function decodePut(p: Uint8Array): PutEffect {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const klen = dv.getUint32(12, true);
  return {
    db: p[0],
    type: p[1],
    enc: p[2],
    serialized: (p[3] & 1) !== 0,
    expireAt: dv.getFloat64(4, true),
    key: p.subarray(16, 16 + klen),
    value: p.subarray(16 + klen),
  };
}

export function decodeDel(p: Uint8Array): { db: number; key: Uint8Array } {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const klen = dv.getUint32(1, true);
  return { db: p[0], key: p.subarray(5, 5 + klen) };
}

export interface DeltaEffect {
  db: number;
  key: Uint8Array;
  /** Views into the payload. */
  argv: Uint8Array[];
}

export function decodeDelta(p: Uint8Array): DeltaEffect {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const klen = dv.getUint32(1, true);
  const key = p.subarray(5, 5 + klen);
  let at = 5 + klen;
  const argc = dv.getUint32(at, true);
  at += 4;
  const argv: Uint8Array[] = [];
  for (let i = 0; i < argc; i++) {
    const n = dv.getUint32(at, true);
    argv.push(p.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return { db: p[0], key, argv };
}

/**
 * The (physical db, key) a record changes, for the per-key LSN rule of recovery; null for records
 * that name no single key (noop, flush, swapDb). Views into the payload.
 */
export function recordKey(op: number, p: Uint8Array): { db: number; key: Uint8Array } | null {
  switch (op) {
    case Op.put: {
      const klen = p[12] | (p[13] << 8) | (p[14] << 16) | (p[15] << 24);
      return { db: p[0], key: p.subarray(16, 16 + (klen >>> 0)) };
    }
    case Op.del:
    case Op.expire:
    case Op.evict:
    case Op.delta: {
      const klen = p[1] | (p[2] << 8) | (p[3] << 16) | (p[4] << 24);
      return { db: p[0], key: p.subarray(5, 5 + (klen >>> 0)) };
    }
    default:
      return null;
  }
}
