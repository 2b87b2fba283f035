// The hash type's storage: a compact "listpack" encoding inside the key's block for small hashes, an
// arena-resident dict (src/types/dict.ts) for large ones, switching as Redis 7.0 does.
//
// listpack (ObjEnc.listpack): [u32 count][field][value]... where each string is a length prefix
// (1 byte < 0x80; 2 bytes 0x80|hi,lo < 0x4000; 0xC0 + u32) and its bytes, in insertion order, so
// HGETALL, HKEYS and HSCAN answer in Redis's listpack order. Updating a field keeps its position.
// hashtable (ObjEnc.hashtable): [u32 dict address]. A hash converts when it passes
// hash-max-listpack-entries or a field/value longer than hash-max-listpack-value is written, and
// never converts back (as Redis).
// The value block is not 8-byte aligned: multi-byte fields are read byte by byte.
// Every function runs under the shard's lock; slots stay valid (none inserts or removes entries).

import { ObjEnc, ObjType, type Table } from "../keyspace/table.ts";
import { type Arena, classBytes } from "../keyspace/arena.ts";
import { type TypeOps, registerTypeOps } from "./registry.ts";
import {
  dictClone, dictCreate, dictDelete, dictDeserialize, dictFind, dictForEach, dictFree, dictOwnedBytes, dictSerialize,
  dictSerializedValued, dictSet, dictSize, nodeFieldLen, nodeFieldOff, nodeValueLen, nodeValueOff,
} from "./dict.ts";

// ---- byte helpers (shared with set.ts) ----------------------------------------------------------
export function readU32(u8: Uint8Array, p: number): number {
  return (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0;
}
export function writeU32(u8: Uint8Array, p: number, v: number): void {
  u8[p] = v & 0xff;
  u8[p + 1] = (v >>> 8) & 0xff;
  u8[p + 2] = (v >>> 16) & 0xff;
  u8[p + 3] = (v >>> 24) & 0xff;
}

/** Bytes of the length prefix for a string of `len` bytes. */
export function lenPrefixBytes(len: number): number {
  return len < 0x80 ? 1 : len < 0x4000 ? 2 : 5;
}
function writeLen(u8: Uint8Array, p: number, len: number): number {
  if (len < 0x80) {
    u8[p] = len;
    return p + 1;
  }
  if (len < 0x4000) {
    u8[p] = 0x80 | (len >>> 8);
    u8[p + 1] = len & 0xff;
    return p + 2;
  }
  u8[p] = 0xc0;
  writeU32(u8, p + 1, len);
  return p + 5;
}
/** Module-level results of readLen (no allocation): the string's length and its first byte. */
let rLen = 0;
let rAt = 0;
function readLen(u8: Uint8Array, p: number): void {
  const b = u8[p];
  if (b < 0x80) {
    rLen = b;
    rAt = p + 1;
  } else if (b < 0xc0) {
    rLen = ((b & 0x3f) << 8) | u8[p + 1];
    rAt = p + 2;
  } else {
    rLen = readU32(u8, p + 1);
    rAt = p + 5;
  }
}

function eqRange(u8: Uint8Array, p: number, len: number, s: Uint8Array): boolean {
  if (len !== s.length) return false;
  for (let i = 0; i < len; i++) if (u8[p + i] !== s[i]) return false;
  return true;
}

// ---- lookups ------------------------------------------------------------------------------------

/** Location of the value the last successful hashFind found (byte offsets into t.arena.u8). */
export const hashFound = { off: 0, len: 0 };

export function hashDict(t: Table, slot: number): number {
  return readU32(t.arena.u8, t.valueOffset(slot));
}

export function hashLen(t: Table, slot: number): number {
  if (t.encoding(slot) === ObjEnc.listpack) return readU32(t.arena.u8, t.valueOffset(slot));
  return dictSize(t.arena, hashDict(t, slot));
}

/** Finds field; on success hashFound holds its value's location. */
export function hashFind(t: Table, slot: number, field: Uint8Array): boolean {
  const u8 = t.arena.u8;
  if (t.encoding(slot) === ObjEnc.listpack) {
    const p = lpFind(u8, t.valueOffset(slot), t.valueLen(slot), field);
    if (p < 0) return false;
    readLen(u8, p);
    readLen(u8, rAt + rLen);
    hashFound.off = rAt;
    hashFound.len = rLen;
    return true;
  }
  const n = dictFind(t.arena, hashDict(t, slot), field, 0, field.length);
  if (n === 0) return false;
  hashFound.off = nodeValueOff(t.arena, n);
  hashFound.len = nodeValueLen(t.arena, n);
  return true;
}

/** The field's value (a copy), or null. Used by SORT's BY/GET hash-field patterns. */
export function hashGet(t: Table, slot: number, field: Uint8Array): Uint8Array | null {
  if (!hashFind(t, slot, field)) return null;
  return t.arena.u8.slice(hashFound.off, hashFound.off + hashFound.len);
}

/** Offset of the entry (field prefix) of `field` in a listpack at [off, off+len), or -1. */
function lpFind(u8: Uint8Array, off: number, len: number, field: Uint8Array): number {
  const end = off + len;
  let p = off + 4;
  while (p < end) {
    readLen(u8, p);
    const fAt = rAt;
    const fLen = rLen;
    readLen(u8, fAt + fLen);
    if (eqRange(u8, fAt, fLen, field)) return p;
    p = rAt + rLen;
  }
  return -1;
}

export type HashVisitor = (u8: Uint8Array, fOff: number, fLen: number, vOff: number, vLen: number) => void;

/** Visits each field and value in encoding order (listpack: insertion order). No changes allowed. */
export function hashForEach(t: Table, slot: number, fn: HashVisitor): void {
  const a = t.arena;
  const u8 = a.u8;
  if (t.encoding(slot) === ObjEnc.listpack) {
    const off = t.valueOffset(slot);
    const end = off + t.valueLen(slot);
    let p = off + 4;
    while (p < end) {
      readLen(u8, p);
      const fAt = rAt;
      const fLen = rLen;
      readLen(u8, fAt + fLen);
      const vAt = rAt;
      const vLen = rLen;
      p = vAt + vLen;
      fn(u8, fAt, fLen, vAt, vLen);
    }
    return;
  }
  dictForEach(a, hashDict(t, slot), (n) => {
    fn(a.u8, nodeFieldOff(a, n, true), nodeFieldLen(a, n), nodeValueOff(a, n), nodeValueLen(a, n));
  });
}

// ---- writes -------------------------------------------------------------------------------------

/** Value bytes of an empty listpack hash (a new key is inserted with this length, then filled). */
export const hashEmptyBytes = 4;

/** Initialises the value block of a freshly inserted hash (listpack, no entries). */
export function hashInitEmpty(t: Table, slot: number): void {
  writeU32(t.arena.u8, t.valueOffset(slot), 0);
}

/** Converts a listpack hash to a dict. False on OOM (unchanged). */
export function hashConvert(t: Table, slot: number): boolean {
  if (t.encoding(slot) !== ObjEnc.listpack) return true;
  const a = t.arena;
  const count = readU32(a.u8, t.valueOffset(slot));
  const d = dictCreate(a, true, count);
  if (d === 0) return false;
  let failed = false;
  hashForEach(t, slot, (u8, fOff, fLen, vOff, vLen) => {
    if (!failed && dictSet(a, d, u8, fOff, fLen, u8, vOff, vLen) < 0) failed = true;
  });
  if (failed || !t.resizeValue(slot, 4)) {
    dictFree(a, d);
    return false;
  }
  writeU32(a.u8, t.valueOffset(slot), d);
  t.setTypeEnc(slot, ObjType.hash, ObjEnc.hashtable);
  return true;
}

/**
 * Sets field to value, converting to a dict when the listpack would pass the limits. Returns 1 when
 * the field is new, 0 when it was updated, -1 on OOM (the hash is unchanged).
 */
export function hashSet(t: Table, slot: number, field: Uint8Array, value: Uint8Array, maxEntries: number, maxValue: number): number {
  if (t.encoding(slot) === ObjEnc.listpack && (field.length > maxValue || value.length > maxValue)) {
    if (!hashConvert(t, slot)) return -1;
  }
  if (t.encoding(slot) !== ObjEnc.listpack) {
    return dictSet(t.arena, hashDict(t, slot), field, 0, field.length, value, 0, value.length);
  }
  const r = lpSet(t, slot, field, value);
  if (r === 1 && readU32(t.arena.u8, t.valueOffset(slot)) > maxEntries) {
    if (!hashConvert(t, slot)) {
      // Keep the hash consistent: it stays a listpack one entry over the limit until the next write.
      return 1;
    }
  }
  return r;
}

function lpSet(t: Table, slot: number, field: Uint8Array, value: Uint8Array): number {
  let off = t.valueOffset(slot);
  const len = t.valueLen(slot);
  let u8 = t.arena.u8;
  const p = lpFind(u8, off, len, field);
  const newVBytes = lenPrefixBytes(value.length) + value.length;
  if (p >= 0) {
    readLen(u8, p);
    const vp = rAt + rLen; // the value's prefix
    readLen(u8, vp);
    const oldVBytes = rAt + rLen - vp;
    const rel = vp - off;
    const tailFrom = rel + oldVBytes;
    const newLen = len - oldVBytes + newVBytes;
    if (newLen > len) {
      if (!t.resizeValue(slot, newLen, len)) return -1;
      off = t.valueOffset(slot);
      u8 = t.arena.u8;
      u8.copyWithin(off + rel + newVBytes, off + tailFrom, off + len);
    } else if (newLen < len) {
      u8.copyWithin(off + rel + newVBytes, off + tailFrom, off + len);
      t.resizeValue(slot, newLen, newLen); // shrinking never fails
      off = t.valueOffset(slot);
    }
    const at = writeLen(u8, off + rel, value.length);
    u8.set(value, at);
    return 0;
  }
  const add = lenPrefixBytes(field.length) + field.length + newVBytes;
  if (!t.resizeValue(slot, len + add, len)) return -1;
  off = t.valueOffset(slot);
  u8 = t.arena.u8;
  let at = writeLen(u8, off + len, field.length);
  u8.set(field, at);
  at = writeLen(u8, at + field.length, value.length);
  u8.set(value, at);
  writeU32(u8, off, readU32(u8, off) + 1);
  return 1;
}

/** Deletes field; true when it existed. The caller deletes the key when the hash becomes empty. */
export function hashDelete(t: Table, slot: number, field: Uint8Array): boolean {
  if (t.encoding(slot) !== ObjEnc.listpack) return dictDelete(t.arena, hashDict(t, slot), field, 0, field.length);
  const off = t.valueOffset(slot);
  const len = t.valueLen(slot);
  const u8 = t.arena.u8;
  const p = lpFind(u8, off, len, field);
  if (p < 0) return false;
  readLen(u8, p);
  readLen(u8, rAt + rLen);
  const entryEnd = rAt + rLen;
  u8.copyWithin(p, entryEnd, off + len);
  writeU32(u8, off, readU32(u8, off) - 1);
  t.resizeValue(slot, len - (entryEnd - p), len - (entryEnd - p));
  return true;
}

// ---- type hooks ---------------------------------------------------------------------------------

/**
 * Type hooks for values whose hashtable encoding is a dict address in the block (hashes: `valued`
 * dicts; sets: dicts without values). The compact encodings (listpack, intset) own nothing and are
 * self-contained in their block, so serialize returns null for them and the block bytes are logged
 * as they are; the hashtable encoding serializes its dict (format: dict.ts, dictSerialize) and
 * deserialize rebuilds it and returns the 4-byte block holding the new dict's address.
 */
export function dictTypeOps(valued: boolean): TypeOps {
  return {
    free(arena: Arena, off: number, _len: number, enc: number): void {
      if (enc !== ObjEnc.hashtable) return;
      const d = readU32(arena.u8, off);
      if (d !== 0) dictFree(arena, d);
    },
    clone(src: Arena, srcOff: number, _len: number, enc: number, dst: Arena, dstOff: number): boolean {
      if (enc !== ObjEnc.hashtable) return true;
      const d = readU32(src.u8, srcOff);
      writeU32(dst.u8, dstOff, 0); // freeable if the copy fails
      const nd = dictClone(src, d, dst);
      if (nd === 0) return false;
      writeU32(dst.u8, dstOff, nd);
      return true;
    },
    ownedBytes(arena: Arena, off: number, _len: number, enc: number): number {
      if (enc !== ObjEnc.hashtable) return 0;
      const d = readU32(arena.u8, off);
      return d === 0 ? 0 : dictOwnedBytes(arena, d, classBytes);
    },
    serialize(arena: Arena, off: number, _len: number, enc: number): Uint8Array | null {
      if (enc !== ObjEnc.hashtable) return null;
      return dictSerialize(arena, readU32(arena.u8, off));
    },
    deserialize(arena: Arena, bytes: Uint8Array, enc: number): Uint8Array | null {
      if (enc !== ObjEnc.hashtable) throw new Error(`dict value: encoding ${enc} is never serialized`);
      if (dictSerializedValued(bytes) !== valued) throw new Error(`dict value: serialized ${valued ? "set" : "hash"} where a ${valued ? "hash" : "set"} was expected`);
      const d = dictDeserialize(arena, bytes);
      if (d === 0) return null;
      const out = new Uint8Array(4);
      writeU32(out, 0, d);
      return out;
    },
  };
}

/** The hash type's hooks (dicts with values). */
export const dictValueOps = dictTypeOps(true);

registerTypeOps(ObjType.hash, dictValueOps);
