// Effect records of the shard log: the unit the log, the replicas and recovery agree on.
//
// Record (little endian):
//   u32 length   bytes after this field (crc .. end of payload)
//   u32 crc      CRC32C of the length field followed by everything after crc (lsn .. payload end)
//   u64 lsn      log sequence number, +1 per record within a shard, never reused
//   u32 epoch    leadership epoch the record was written in (fencing, design.md)
//   u16 opcode   Op below
//   u16 version  payload format version of that opcode
//   ...payload
// Opcodes and versions are append-only numbers: a number once shipped keeps its meaning forever
// (a golden test freezes them). A reader refuses versions it does not know instead of guessing.
//
// Invariants: encode(decode(r)) is byte-identical; a record never spans frames; length covers the
// whole record, so a reader can skip a record it does not interpret only after verifying its CRC.

import { crc32c } from "../../native-free/crc32c.ts";

export const recordHeaderBytes = 24;
/** The largest record the log accepts (a 512 MiB string plus its key and framing). */
export const recordBytesMax = 2 ** 30;

/** Opcodes. Append only: never renumber, never reuse. */
export const Op = {
  /** No effect; fills and heartbeats. */
  noop: 0,
  /** Key written whole: db, key, type, encoding, expireAt, value bytes (strings, compact values). */
  put: 1,
  /** Key deleted (DEL, overwrite by another type, emptied collection). */
  del: 2,
  /** Key expired by the primary's clock (replicas never expire on their own). */
  expire: 3,
  /** Key evicted under maxmemory. */
  evict: 4,
  /** Expiry set or cleared: db, key, expireAt (0 = persist). */
  setExpire: 5,
  /** FLUSHDB (db >= 0) or FLUSHALL (db = -1). */
  flush: 6,
  /** SWAPDB a b. */
  swapDb: 7,
  /** Key renamed or moved: db, key, db2, key2 (the value's nodes move with it). */
  rename: 8,
  /**
   * A command's effect on one key (src/log/effects.ts logDelta): db, key, and the argv of a
   * deterministic command that, run on the key's previous state, yields its new state. Logged for
   * writes to large values instead of a whole `put`; exact under fuzzy snapshots only through the
   * per-key LSN rule of src/log/snapshot.ts.
   */
  delta: 9,
  /** Last record of a snapshot (format 2): u16 format, u64 max per-key LSN. Never in a segment. */
  snapshotEnd: 10,
} as const;

export const opVersions: Readonly<Record<number, number>> = {
  [Op.noop]: 1,
  [Op.put]: 1,
  [Op.del]: 1,
  [Op.expire]: 1,
  [Op.evict]: 1,
  [Op.setExpire]: 1,
  [Op.flush]: 1,
  [Op.swapDb]: 1,
  [Op.rename]: 1,
  [Op.delta]: 1,
  [Op.snapshotEnd]: 1,
};

export interface LogRecord {
  lsn: bigint;
  epoch: number;
  op: number;
  version: number;
  payload: Uint8Array;
}

/** Bytes `payloadLen` takes as one record. */
export function recordBytes(payloadLen: number): number {
  return recordHeaderBytes + payloadLen;
}

/** Writes one record at `at` in `buf` (which must have room); returns the offset after it. */
export function encodeRecord(buf: Uint8Array, at: number, lsn: bigint, epoch: number, op: number, payload: Uint8Array, version = opVersions[op] ?? 1): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = recordHeaderBytes - 4 + payload.length;
  dv.setUint32(at, len, true);
  dv.setBigUint64(at + 8, lsn, true);
  dv.setUint32(at + 16, epoch >>> 0, true);
  dv.setUint16(at + 20, op, true);
  dv.setUint16(at + 22, version, true);
  buf.set(payload, at + recordHeaderBytes);
  const end = at + 4 + len;
  dv.setUint32(at + 4, crc32c(buf, crc32c(buf, 0, at, at + 4), at + 8, end), true);
  return end;
}

export type DecodeResult =
  | { ok: true; record: LogRecord; end: number }
  | { ok: false; reason: "truncated" | "checksum" | "length"; at: number };

/**
 * Decodes the record at `at` (bytes up to `end`). The payload is a view into buf. "truncated": the
 * bytes end inside the record; "length": a length no record can have; "checksum": the CRC fails.
 */
export function decodeRecord(buf: Uint8Array, at: number, end = buf.length): DecodeResult {
  if (end - at < 4) return { ok: false, reason: "truncated", at };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = dv.getUint32(at, true);
  if (len < recordHeaderBytes - 4 || len > recordBytesMax) return { ok: false, reason: "length", at };
  if (end - at - 4 < len) return { ok: false, reason: "truncated", at };
  const stop = at + 4 + len;
  if (crc32c(buf, crc32c(buf, 0, at, at + 4), at + 8, stop) !== dv.getUint32(at + 4, true)) return { ok: false, reason: "checksum", at };
  return {
    ok: true,
    end: stop,
    record: {
      lsn: dv.getBigUint64(at + 8, true),
      epoch: dv.getUint32(at + 16, true),
      op: dv.getUint16(at + 20, true),
      version: dv.getUint16(at + 22, true),
      payload: buf.subarray(at + recordHeaderBytes, stop),
    },
  };
}

/**
 * Writes a record header whose payload (payloadLen bytes) is already at at+24, leaving the CRC to
 * fillRecordCrcs: shard workers append records this way and the replicator thread checksums a whole
 * batch before it writes it, keeping the CRC off the command path.
 */
export function encodeRecordHeader(dv: DataView, at: number, lsn: bigint, epoch: number, op: number, payloadLen: number, version = opVersions[op] ?? 1): number {
  const len = recordHeaderBytes - 4 + payloadLen;
  dv.setUint32(at, len, true);
  dv.setUint32(at + 4, 0, true);
  dv.setBigUint64(at + 8, lsn, true);
  dv.setUint32(at + 16, epoch >>> 0, true);
  dv.setUint16(at + 20, op, true);
  dv.setUint16(at + 22, version, true);
  return at + 4 + len;
}

/** Computes the CRC of every record in buf (whole records back to back). */
export function fillRecordCrcs(buf: Uint8Array): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at + recordHeaderBytes <= buf.length) {
    const len = dv.getUint32(at, true);
    const end = at + 4 + len;
    dv.setUint32(at + 4, crc32c(buf, crc32c(buf, 0, at, at + 4), at + 8, end), true);
    at = end;
  }
}
