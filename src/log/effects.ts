// Effect records: what a command did to a key, written to the key's shard log while the shard's lock
// is held, and applied at recovery (and, later, by replicas).
//
// Every record states a result, never an operation to redo: `put` carries the key's whole new state
// (type, encoding, absolute expiry, value), `del` its removal, `setExpire` an absolute time. So
// replay is idempotent and deterministic (SPOP, INCRBYFLOAT, relative EXPIRE all log their outcome),
// and a fuzzy snapshot taken while writes continue, plus replay of every record after the LSN at its
// start, yields exactly the final state. Any delta record added later for large values must keep
// that property (set a member's absolute state; never "append").
//
// Payloads (little endian; db is the physical db, key bytes raw):
//   put        u8 db, u8 type, u8 enc, u8 flags (bit 0: value is TypeOps-serialized), f64 expireAt,
//              u32 keyLen, key, value
//   del/expire/evict  u8 db, u32 keyLen, key
//   setExpire  u8 db, f64 expireAt (0 = persist), u32 keyLen, key
//   flush      u8 db (255 = all)        swapDb  u8 a, u8 b (logical dbs)

import { Op, encodeRecordHeader, recordHeaderBytes } from "./record.ts";
import type { LogRing } from "./ring.ts";
import type { Table } from "../keyspace/table.ts";
import { typeOps } from "../types/registry.ts";

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
