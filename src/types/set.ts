// The set type's storage: Redis 7.0's two encodings.
//
// intset (ObjEnc.intset): the members are canonical int64 texts (string2ll), stored in the key's
// block as a sorted array of 8-byte little-endian integers (lo u32, hi i32), so SMEMBERS and SSCAN
// answer in ascending order as Redis's intset does. A set stays an intset while every member is an
// integer and it holds at most set-max-intset-entries members.
// hashtable (ObjEnc.hashtable): [u32 dict address] in the block, a dict without values
// (src/types/dict.ts). A set never converts back, except where Redis builds a new set (the STORE
// commands, SPOP's rebuild), which starts again as an intset.
// The block is not 8-byte aligned: integers are read byte by byte.

import { ObjEnc, ObjType, type Table } from "../keyspace/table.ts";
import type { Keyspace } from "../keyspace/keyspace.ts";
import { registerTypeOps } from "./registry.ts";
import { dictTypeOps, readU32, writeU32 } from "./hash.ts";
import {
  dictCreate, dictDelete, dictFind, dictForEach, dictFree, dictRandomNode, dictSet, dictSize, nodeFieldLen, nodeFieldOff,
} from "./dict.ts";
import { parseInt64 } from "../../native-free/numbers.ts";

/** set-max-intset-entries as the set commands last read it (setStoreMembers' default). */
export const setLimits = { maxIntsetEntries: 512 };

// ---- int64 helpers ------------------------------------------------------------------------------
/** Results of parseMemberInt: the integer as (hi signed 32, lo unsigned 32). */
let pHi = 0;
let pLo = 0;
const two32 = 4294967296;

/** True when member bytes are a canonical int64 (Redis's string2ll); sets pHi/pLo. */
function parseMemberInt(u8: Uint8Array, off: number, len: number): boolean {
  if (len === 0 || len > 20) return false;
  const v = parseInt64(u8, off, off + len);
  if (v === null) return false;
  if (typeof v === "number") {
    pHi = Math.floor(v / two32);
    pLo = v - pHi * two32;
  } else {
    const u = BigInt.asUintN(64, v);
    pHi = Number(BigInt.asIntN(32, u >> 32n));
    pLo = Number(u & 0xffffffffn);
  }
  return true;
}

export function isIntMember(m: Uint8Array): boolean {
  return parseMemberInt(m, 0, m.length);
}

function readLo(u8: Uint8Array, p: number): number {
  return readU32(u8, p);
}
function readHi(u8: Uint8Array, p: number): number {
  return u8[p + 4] | (u8[p + 5] << 8) | (u8[p + 6] << 16) | (u8[p + 7] << 24);
}

/** Scratch buffer intset members are rendered into (setForEach, replies). */
export const intScratch = new Uint8Array(24);

/** Writes the decimal text of the int64 (hi, lo) into out at 0; returns its length. */
function formatI64(hi: number, lo: number, out: Uint8Array): number {
  if (hi >= -2097152 && hi < 2097152) {
    let v = hi * two32 + lo;
    let n = 0;
    if (v < 0) {
      out[n++] = 0x2d;
      v = -v;
    }
    const start = n;
    do {
      const q = Math.floor(v / 10);
      out[n++] = 0x30 + (v - q * 10);
      v = q;
    } while (v > 0);
    for (let i = start, j = n - 1; i < j; i++, j--) {
      const c = out[i];
      out[i] = out[j];
      out[j] = c;
    }
    return n;
  }
  const s = ((BigInt(hi) << 32n) + BigInt(lo)).toString();
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return s.length;
}

/** Binary search for (hi, lo) in the intset at off (n entries): index if found, else -(insert)-1. */
function intsetSearch(u8: Uint8Array, off: number, n: number, hi: number, lo: number): number {
  let l = 0;
  let r = n - 1;
  while (l <= r) {
    const m = (l + r) >>> 1;
    const p = off + m * 8;
    const h = readHi(u8, p);
    const c = h !== hi ? h - hi : readLo(u8, p) - lo;
    if (c === 0) return m;
    if (c < 0) l = m + 1;
    else r = m - 1;
  }
  return -l - 1;
}

// ---- reads --------------------------------------------------------------------------------------

export function setDict(t: Table, slot: number): number {
  return readU32(t.arena.u8, t.valueOffset(slot));
}

export function setSize(t: Table, slot: number): number {
  if (t.encoding(slot) === ObjEnc.intset) return t.valueLen(slot) / 8;
  return dictSize(t.arena, setDict(t, slot));
}

export function setIsMember(t: Table, slot: number, u8: Uint8Array, off: number, len: number): boolean {
  if (t.encoding(slot) === ObjEnc.intset) {
    if (!parseMemberInt(u8, off, len)) return false;
    return intsetSearch(t.arena.u8, t.valueOffset(slot), t.valueLen(slot) / 8, pHi, pLo) >= 0;
  }
  return dictFind(t.arena, setDict(t, slot), u8, off, len) !== 0;
}

export type MemberVisitor = (u8: Uint8Array, off: number, len: number) => void;

/**
 * Visits each member's bytes: in t.arena.u8 for the hashtable encoding, in intScratch for intset
 * members (ascending). No allocation per member; the set must not change during the walk.
 */
export function setForEach(t: Table, slot: number, fn: MemberVisitor): void {
  const a = t.arena;
  if (t.encoding(slot) === ObjEnc.intset) {
    const off = t.valueOffset(slot);
    const n = t.valueLen(slot) / 8;
    for (let i = 0; i < n; i++) {
      const p = off + i * 8;
      const len = formatI64(readHi(a.u8, p), readLo(a.u8, p), intScratch);
      fn(intScratch, 0, len);
    }
    return;
  }
  dictForEach(a, setDict(t, slot), (nd) => fn(a.u8, nodeFieldOff(a, nd, false), nodeFieldLen(a, nd)));
}

/** Copies of every member (in encoding order). */
export function setMembers(t: Table, slot: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  setForEach(t, slot, (u8, off, len) => out.push(u8.slice(off, off + len)));
  return out;
}

/** A copy of a uniformly chosen member (hashtable: Redis's bucket-then-chain pick). */
export function setRandomMember(t: Table, slot: number): Uint8Array {
  const a = t.arena;
  if (t.encoding(slot) === ObjEnc.intset) {
    const n = t.valueLen(slot) / 8;
    const p = t.valueOffset(slot) + Math.floor(Math.random() * n) * 8;
    const len = formatI64(readHi(a.u8, p), readLo(a.u8, p), intScratch);
    return intScratch.slice(0, len);
  }
  const nd = dictRandomNode(a, setDict(t, slot), Math.random);
  const off = nodeFieldOff(a, nd, false);
  return a.u8.slice(off, off + nodeFieldLen(a, nd));
}

// ---- writes -------------------------------------------------------------------------------------

/** Converts an intset to a dict. False on OOM (unchanged). */
export function setConvert(t: Table, slot: number): boolean {
  if (t.encoding(slot) !== ObjEnc.intset) return true;
  const a = t.arena;
  const d = dictCreate(a, false, setSize(t, slot) + 1);
  if (d === 0) return false;
  let failed = false;
  setForEach(t, slot, (u8, off, len) => {
    if (!failed && dictSet(a, d, u8, off, len, null, 0, 0) < 0) failed = true;
  });
  if (failed || !t.resizeValue(slot, 4)) {
    dictFree(a, d);
    return false;
  }
  writeU32(a.u8, t.valueOffset(slot), d);
  t.setTypeEnc(slot, ObjType.set, ObjEnc.hashtable);
  return true;
}

/** Adds member: 1 added, 0 already there, -1 OOM (unchanged). Converts as Redis's setTypeAdd. */
export function setAdd(t: Table, slot: number, m: Uint8Array, maxIntset: number): number {
  if (t.encoding(slot) === ObjEnc.intset) {
    if (parseMemberInt(m, 0, m.length)) {
      const hi = pHi;
      const lo = pLo;
      const len = t.valueLen(slot);
      const n = len / 8;
      let off = t.valueOffset(slot);
      const i = intsetSearch(t.arena.u8, off, n, hi, lo);
      if (i >= 0) return 0;
      if (n + 1 > maxIntset) {
        if (!setConvert(t, slot)) return -1;
        return dictSet(t.arena, setDict(t, slot), m, 0, m.length, null, 0, 0);
      }
      const at = -i - 1;
      if (!t.resizeValue(slot, len + 8, len)) return -1;
      off = t.valueOffset(slot);
      const u8 = t.arena.u8;
      u8.copyWithin(off + at * 8 + 8, off + at * 8, off + len);
      writeU32(u8, off + at * 8, lo);
      writeU32(u8, off + at * 8 + 4, hi);
      return 1;
    }
    if (!setConvert(t, slot)) return -1;
  }
  return dictSet(t.arena, setDict(t, slot), m, 0, m.length, null, 0, 0);
}

/** Removes member; true when it was there. The caller deletes the key when the set is empty. */
export function setRemove(t: Table, slot: number, u8m: Uint8Array, moff: number, mlen: number): boolean {
  if (t.encoding(slot) !== ObjEnc.intset) return dictDelete(t.arena, setDict(t, slot), u8m, moff, mlen);
  if (!parseMemberInt(u8m, moff, mlen)) return false;
  const len = t.valueLen(slot);
  const off = t.valueOffset(slot);
  const u8 = t.arena.u8;
  const i = intsetSearch(u8, off, len / 8, pHi, pLo);
  if (i < 0) return false;
  u8.copyWithin(off + i * 8, off + i * 8 + 8, off + len);
  t.resizeValue(slot, len - 8, len - 8);
  return true;
}

/** Value bytes of a new empty intset (a key is inserted with this, then filled by setAdd). */
export const setEmptyBytes = 0;

/**
 * Creates or replaces `key` in db with a set of `members` (duplicates allowed; they collapse), as
 * Redis builds a STORE result: an intset while every member is an integer and the count stays within
 * maxIntset, else a hashtable. Keeps no expiry unless expireAt > 0. Returns the slot (in ks.t) or -1
 * on OOM (the key is then absent). An empty member list deletes the key and returns -1.
 */
export function setStoreMembers(ks: Keyspace, db: number, key: Uint8Array, members: Uint8Array[], expireAt: number, maxIntset = setLimits.maxIntsetEntries): number {
  const old = ks.lookup(db, key);
  if (old >= 0) ks.deleteSlot(ks.t, old);
  if (members.length === 0) return -1;
  ks.route(key);
  const slot = ks.insert(db, key, setEmptyBytes, ObjType.set, ObjEnc.intset, expireAt > 0 ? expireAt : 0);
  if (slot < 0) return -1;
  const t = ks.t;
  let allInt = members.length <= maxIntset;
  for (let i = 0; allInt && i < members.length; i++) if (!isIntMember(members[i])) allInt = false;
  if (!allInt) {
    const d = dictCreate(t.arena, false, members.length);
    if (d === 0 || !t.resizeValue(slot, 4)) {
      if (d !== 0) dictFree(t.arena, d);
      t.remove(slot);
      return -1;
    }
    writeU32(t.arena.u8, t.valueOffset(slot), d);
    t.setTypeEnc(slot, ObjType.set, ObjEnc.hashtable);
  }
  for (const m of members) {
    if (setAdd(t, slot, m, maxIntset) < 0) {
      ks.deleteSlot(t, slot);
      return -1;
    }
  }
  return slot;
}

registerTypeOps(ObjType.set, dictTypeOps(false));
