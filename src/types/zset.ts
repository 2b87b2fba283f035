// Sorted sets in the shard Arena: a skiplist with spans (rank counts) plus a member index.
//
// Layout. The key's block holds 4 bytes: the address of an 8-byte-aligned descriptor (32 bytes):
//   u32[0] header node, [1] tail node, [2] length, [3] level, [4] index array, [5] index capLog2.
// A node (8-byte units; f64 / u32 views are aligned):
//   f64 score | u32 memberLen | u32 level | u32 backward | u32 member hash |
//   level x (u32 forward, u32 span) | member bytes          (24 + 8 * level + memberLen bytes)
// The header node has 32 levels and no member. Order is (score, member bytes memcmp), as Redis's.
// span[i] of a node counts the level-0 steps its level-i forward pointer skips, so the rank of a
// node is the sum of spans on the search path: rank, range by rank and delete by rank are O(log n).
// Small sets (up to indexFromLength members) have no index and no 32-level header, to stay small;
// the index is built when the set grows past it and kept from then on.
// The member index is open addressing (linear probing, backward-shift deletion, no tombstones) over
// u32 node addresses; each node keeps its member's hash, so probing compares hashes first and a
// resize never rehashes bytes. Load stays in (3/8, 3/4].
//
// Compact form (what OBJECT ENCODING calls listpack): the descriptor (u32[6] = 1) points at one
// arena buffer [u16 0xffff][entries][u8 0xff], entry = [u8 score kind][u16 len][member][score]
// [u16 entry bytes], sorted, walked forward by the entry's size and backward by the trailing size.
// The score takes 1, 2 or 4 bytes when it is an integer that fits (kinds 0-2), else 8 (kind 3);
// u32[0] buffer, [1] used bytes,
// [2] length, [3] buffer bytes. A handle to a compact entry is the negated byte offset of the entry
// (skiplist handles are positive addresses), valid until the set changes, like a listpack pointer.
// zsConvert turns it into the skiplist in place (the descriptor address stays).
//
// The table encoding (listpack / skiplist) is bookkeeping kept by the commands (src/commands/zsets.ts):
// one structure serves both, and OBJECT ENCODING reports what Redis 7.0 would.
//
// Self-contained bytes (shard log records, snapshots; zsSerialize / zsDeserialize), format version 1,
// little endian, no padding, frozen:
//   u8 version (1) | u8 form (0 skiplist, 1 compact) | u8 index capLog2 (0: no index) | varint count |
//   count x (varint memberLen * 4 + score kind | member | score in 1, 2, 4 or 8 bytes)
// in set order; varints are unsigned LEB128 of at most 32 bits. The score kind is the compact form's
// (int8, int16, int32, else the f64's bits), so every score comes back bit-identical (-0, infinities,
// subnormals) and a compact entry's score bytes are copied as they are. The form is kept even when it
// disagrees with the key's label (a set left compact by a full arena). Node levels are drawn afresh;
// the index gets the same capacity, so ZSCAN's buckets, and with them its cursors, stay the same.
//
// Invariants: length = members in the skiplist = entries in the index; the header's span sums equal
// length + 1 - rank along any level; backward of the first node is 0; every node is owned by one key.

import { assert } from "../assert.ts";
import { type Arena, classBytes } from "../keyspace/arena.ts";
import { hash32 } from "../../native-free/hash32.ts";

export const levelMax = 32;
const nodeFixedBytes = 24;
const descBytes = 32;
/** The header starts with few levels and is reallocated with levelMax when a node needs more. */
const headerLevelsMin = 4;
const headerBytesMin = nodeFixedBytes + 8 * headerLevelsMin;
const headerBytesMax = nodeFixedBytes + 8 * levelMax;
/** Sets up to this many members have no index: a find walks the level-0 list (as a listpack scan). */
export const indexFromLength = 128;
const memberHashSeed = 0x5bd1e995;

// Scratch for the search path (no allocation per operation).
const update = new Uint32Array(levelMax);
const rankAt = new Float64Array(levelMax);

// ---- small accessors -----------------------------------------------------------------------------
export function zsLength(a: Arena, d: number): number {
  return a.u32[d * 2 + 2];
}
export function zsHeader(a: Arena, d: number): number {
  return a.u32[d * 2];
}
export function zsTail(a: Arena, d: number): number {
  if (a.u32[d * 2 + 6] === 1) {
    if (a.u32[d * 2 + 2] === 0) return 0;
    const end = a.u32[d * 2] * 8 + a.u32[d * 2 + 1] - 1;
    return -(end - u16(a.u8, end - 2));
  }
  return a.u32[d * 2 + 1];
}
/** The first node (lowest score), or 0. */
export function zsFirst(a: Arena, d: number): number {
  if (a.u32[d * 2 + 6] === 1) return a.u32[d * 2 + 2] === 0 ? 0 : -(a.u32[d * 2] * 8 + 2);
  return a.u32[a.u32[d * 2] * 2 + 6];
}
export function isCompact(a: Arena, d: number): boolean {
  return a.u32[d * 2 + 6] === 1;
}
export function nodeScore(a: Arena, n: number): number {
  if (n < 0) return readScore(a.u8, -n);
  return a.f64[n];
}
export function nodeMemberLen(a: Arena, n: number): number {
  if (n < 0) return u16(a.u8, -n + 1);
  return a.u32[n * 2 + 2];
}
/** Byte offset of the member in a.u8. */
export function nodeMemberOff(a: Arena, n: number): number {
  if (n < 0) return -n + 3;
  return n * 8 + nodeFixedBytes + 8 * a.u32[n * 2 + 3];
}
export function nodeNext(a: Arena, n: number): number {
  if (n < 0) {
    const next = -n + entryBytes(a.u8, -n);
    return a.u8[next] === 0xff ? 0 : -next;
  }
  return a.u32[n * 2 + 6];
}
export function nodePrev(a: Arena, n: number): number {
  if (n < 0) {
    const psize = u16(a.u8, -n - 2);
    return psize === endMark ? 0 : -(-n - psize);
  }
  return a.u32[n * 2 + 4];
}

// ---- compact form helpers ------------------------------------------------------------------------
const endMark = 0xffff;
/** Longest member the compact form holds (an entry's u16 size must stay below the 0xffff mark). */
export const compactMemberMax = 65000;
const kindBytes = [1, 2, 4, 8];
/** Score kind: 0 int8, 1 int16, 2 int32, 3 f64 (-0 and every non-integer). */
function scoreKind(v: number): number {
  if (!Number.isInteger(v) || (v === 0 && 1 / v < 0)) return 3;
  if (v >= -128 && v <= 127) return 0;
  if (v >= -32768 && v <= 32767) return 1;
  if (v >= -2147483648 && v <= 2147483647) return 2;
  return 3;
}
function entryBytes(u8: Uint8Array, off: number): number {
  return 5 + u16(u8, off + 1) + kindBytes[u8[off]];
}
function readScore(u8: Uint8Array, off: number): number {
  return scoreAt(u8, off + 3 + u16(u8, off + 1), u8[off]);
}
/** The score of kind k whose first byte is at `at`. */
function scoreAt(u8: Uint8Array, at: number, k: number): number {
  switch (k) {
    case 0:
      return (u8[at] << 24) >> 24;
    case 1:
      return ((u8[at] | (u8[at + 1] << 8)) << 16) >> 16;
    case 2:
      return u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24);
    default:
      return readF64(u8, at);
  }
}
/** Writes v with kind k at `at` (the score's first byte). */
function writeScore(u8: Uint8Array, at: number, k: number, v: number): void {
  if (k === 3) {
    writeF64(u8, at, v);
    return;
  }
  for (let i = 0; i < kindBytes[k]; i++) u8[at + i] = (v >> (8 * i)) & 0xff;
}
const f64Scratch = new Float64Array(1);
const u8Scratch = new Uint8Array(f64Scratch.buffer);
function u16(u8: Uint8Array, off: number): number {
  return u8[off] | (u8[off + 1] << 8);
}
function setU16(u8: Uint8Array, off: number, v: number): void {
  u8[off] = v & 0xff;
  u8[off + 1] = v >>> 8;
}
function readF64(u8: Uint8Array, off: number): number {
  for (let i = 0; i < 8; i++) u8Scratch[i] = u8[off + i];
  return f64Scratch[0];
}
function writeF64(u8: Uint8Array, off: number, v: number): void {
  f64Scratch[0] = v;
  for (let i = 0; i < 8; i++) u8[off + i] = u8Scratch[i];
}
function nodeBytes(a: Arena, n: number): number {
  return nodeFixedBytes + 8 * a.u32[n * 2 + 3] + a.u32[n * 2 + 2];
}
function fwd(u32: Uint32Array, n: number, i: number): number {
  return u32[n * 2 + 6 + 2 * i];
}
function span(u32: Uint32Array, n: number, i: number): number {
  return u32[n * 2 + 7 + 2 * i];
}

/** Reads the descriptor address from a key's 4-byte value at byte offset `off` (unaligned). */
export function readDesc(u8: Uint8Array, off: number): number {
  return (u8[off] | (u8[off + 1] << 8) | (u8[off + 2] << 16) | (u8[off + 3] << 24)) >>> 0;
}
export function writeDesc(u8: Uint8Array, off: number, d: number): void {
  u8[off] = d & 0xff;
  u8[off + 1] = (d >>> 8) & 0xff;
  u8[off + 2] = (d >>> 16) & 0xff;
  u8[off + 3] = (d >>> 24) & 0xff;
}

export function memberHash(buf: Uint8Array, start: number, end: number): number {
  return hash32(buf, start, end, memberHashSeed) >>> 0;
}

/**
 * memberHash of bytes in shared memory, through a plain copy: hash32 is kept to plain buffers (see
 * dictHashArena in src/types/dict.ts for why).
 */
let hashScratch = new Uint8Array(256);
function memberHashShared(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (hashScratch.length < len) hashScratch = new Uint8Array(Math.max(len, hashScratch.length * 2));
  hashScratch.set(buf.subarray(start, end), 0);
  return hash32(hashScratch, 0, len, memberHashSeed) >>> 0;
}

/** memcmp order of the node's member against buf[start, end): <0, 0, >0. */
export function cmpMember(a: Arena, n: number, buf: Uint8Array, start: number, end: number): number {
  const u8 = a.u8;
  const len = nodeMemberLen(a, n);
  let off = nodeMemberOff(a, n);
  const blen = end - start;
  const m = len < blen ? len : blen;
  for (let i = 0; i < m; i++) {
    const c = u8[off + i] - buf[start + i];
    if (c !== 0) return c;
  }
  off = 0;
  return len - blen;
}

/** Node (n) sorts before (score, member)? */
function nodeBefore(a: Arena, n: number, score: number, buf: Uint8Array, start: number, end: number): boolean {
  const s = nodeScore(a, n);
  return s < score || (s === score && cmpMember(a, n, buf, start, end) < 0);
}

function randomLevel(): number {
  let level = 1;
  while (level < levelMax && Math.random() < 0.25) level++;
  return level;
}

// ---- create / free -------------------------------------------------------------------------------
/** A new empty sorted set; returns the descriptor address or 0 when the arena is full. */
export function zsCreate(a: Arena, compact = false): number {
  const d = a.alloc(descBytes);
  if (d === 0) return 0;
  if (compact) {
    const b = a.alloc(8);
    if (b === 0) {
      a.free(d, descBytes);
      return 0;
    }
    setU16(a.u8, b * 8, endMark);
    a.u8[b * 8 + 2] = 0xff;
    a.u32.fill(0, d * 2, d * 2 + 8);
    a.u32[d * 2] = b;
    a.u32[d * 2 + 1] = 3;
    a.u32[d * 2 + 3] = 8;
    a.u32[d * 2 + 6] = 1;
    return d;
  }
  const h = a.alloc(headerBytesMin);
  if (h === 0) {
    a.free(d, descBytes);
    return 0;
  }
  const u32 = a.u32;
  u32.fill(0, h * 2, h * 2 + headerBytesMin / 4);
  u32[h * 2 + 3] = headerLevelsMin;
  u32[d * 2] = h;
  u32[d * 2 + 1] = 0;
  u32[d * 2 + 2] = 0;
  u32[d * 2 + 3] = 1;
  u32[d * 2 + 4] = 0;
  u32[d * 2 + 5] = 0;
  u32[d * 2 + 6] = 0;
  u32[d * 2 + 7] = 0;
  return d;
}

export function zsFree(a: Arena, d: number): void {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    a.free(u32[d * 2], u32[d * 2 + 3]);
    a.free(d, descBytes);
    return;
  }
  let n = zsFirst(a, d);
  while (n !== 0) {
    const next = u32[n * 2 + 6];
    a.free(n, nodeBytes(a, n));
    n = next;
  }
  a.free(u32[d * 2], nodeBytes(a, u32[d * 2]));
  if (u32[d * 2 + 4] !== 0) a.free(u32[d * 2 + 4], 4 << u32[d * 2 + 5]);
  a.free(d, descBytes);
}

/** Bytes owned by the set (descriptor, header, index, nodes): MEMORY USAGE. */
export function zsOwnedBytes(a: Arena, d: number): number {
  if (a.u32[d * 2 + 6] === 1) return descBytes + a.u32[d * 2 + 3];
  let n = zsFirst(a, d);
  let total = descBytes + nodeBytes(a, a.u32[d * 2]) + (a.u32[d * 2 + 4] !== 0 ? 4 << a.u32[d * 2 + 5] : 0);
  while (n !== 0) {
    total += nodeBytes(a, n);
    n = a.u32[n * 2 + 6];
  }
  return total;
}

// ---- member index --------------------------------------------------------------------------------
/** The node of member buf[start, end), or 0. */
export function zsFind(a: Arena, d: number, buf: Uint8Array, start: number, end: number): number {
  const u32 = a.u32;
  const len = end - start;
  if (u32[d * 2 + 6] === 1) {
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
      if (u16(a.u8, -n + 1) === len && cmpMember(a, n, buf, start, end) === 0) return n;
    }
    return 0;
  }
  const h = memberHash(buf, start, end);
  if (u32[d * 2 + 4] === 0) {
    for (let n = u32[u32[d * 2] * 2 + 6]; n !== 0; n = u32[n * 2 + 6]) {
      if (u32[n * 2 + 5] === h && u32[n * 2 + 2] === len && cmpMember(a, n, buf, start, end) === 0) return n;
    }
    return 0;
  }
  const base = u32[d * 2 + 4] * 2;
  const mask = (1 << u32[d * 2 + 5]) - 1;
  let i = h & mask;
  for (;;) {
    const n = u32[base + i];
    if (n === 0) return 0;
    if (u32[n * 2 + 5] === h && u32[n * 2 + 2] === len && cmpMember(a, n, buf, start, end) === 0) return n;
    i = (i + 1) & mask;
  }
}

function indexPlace(u32: Uint32Array, base: number, mask: number, n: number): void {
  let i = u32[n * 2 + 5] & mask;
  while (u32[base + i] !== 0) i = (i + 1) & mask;
  u32[base + i] = n;
}

/** Grows the index to 2^capLog2 entries; false when the arena is full. */
function indexResize(a: Arena, d: number, capLog2: number): boolean {
  const fresh = a.alloc(4 << capLog2);
  if (fresh === 0) return false;
  const u32 = a.u32;
  const old = u32[d * 2 + 4];
  const base = fresh * 2;
  const mask = (1 << capLog2) - 1;
  u32.fill(0, base, base + (1 << capLog2));
  if (old === 0) {
    // First index of a set that outgrew the linear walk: every node goes in.
    for (let n = u32[u32[d * 2] * 2 + 6]; n !== 0; n = u32[n * 2 + 6]) indexPlace(u32, base, mask, n);
  } else {
    const oldCap = 1 << u32[d * 2 + 5];
    for (let i = 0; i < oldCap; i++) {
      const n = u32[old * 2 + i];
      if (n !== 0) indexPlace(u32, base, mask, n);
    }
    a.free(old, 4 << u32[d * 2 + 5]);
  }
  u32[d * 2 + 4] = fresh;
  u32[d * 2 + 5] = capLog2;
  return true;
}

function indexRemove(a: Arena, d: number, n: number): void {
  const u32 = a.u32;
  if (u32[d * 2 + 4] === 0) return;
  const base = u32[d * 2 + 4] * 2;
  const mask = (1 << u32[d * 2 + 5]) - 1;
  let hole = u32[n * 2 + 5] & mask;
  while (u32[base + hole] !== n) {
    assert(u32[base + hole] !== 0, "zset: node missing from its index");
    hole = (hole + 1) & mask;
  }
  let j = hole;
  for (;;) {
    j = (j + 1) & mask;
    const m = u32[base + j];
    if (m === 0) break;
    const home = u32[m * 2 + 5] & mask;
    const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
    if (inRange) continue;
    u32[base + hole] = m;
    hole = j;
  }
  u32[base + hole] = 0;
}

// ---- skiplist ------------------------------------------------------------------------------------
/**
 * Fills update[]/rankAt[] with the last node before (score, member) on each level. Hot: every
 * insert, delete and moving score update runs it. Skiplist nodes are positive addresses, so scores
 * are read straight from f64; members are compared only on equal scores (scores are never NaN).
 */
function searchPath(a: Arena, d: number, score: number, buf: Uint8Array, start: number, end: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  let x = u32[d * 2];
  let rank = 0;
  for (let i = u32[d * 2 + 3] - 1; i >= 0; i--) {
    for (;;) {
      const f = u32[x * 2 + 6 + 2 * i];
      if (f === 0) break;
      const s = f64[f];
      if (s > score || (s === score && cmpMember(a, f, buf, start, end) >= 0)) break;
      rank += u32[x * 2 + 7 + 2 * i];
      x = f;
    }
    rankAt[i] = rank;
    update[i] = x;
  }
}

/** Links an unlinked node (its score, member and level set) into the skiplist. */
function link(a: Arena, d: number, n: number): void {
  const u32 = a.u32;
  const u8 = a.u8;
  const off = nodeMemberOff(a, n);
  searchPath(a, d, a.f64[n], u8, off, off + u32[n * 2 + 2]);
  const nl = u32[n * 2 + 3];
  let level = u32[d * 2 + 3];
  const h = u32[d * 2];
  const length = u32[d * 2 + 2];
  if (nl > level) {
    for (let i = level; i < nl; i++) {
      rankAt[i] = 0;
      update[i] = h;
      u32[h * 2 + 7 + 2 * i] = length;
    }
    level = nl;
    u32[d * 2 + 3] = nl;
  }
  for (let i = 0; i < nl; i++) {
    const u = update[i];
    u32[n * 2 + 6 + 2 * i] = u32[u * 2 + 6 + 2 * i];
    u32[u * 2 + 6 + 2 * i] = n;
    const uspan = u32[u * 2 + 7 + 2 * i];
    const skipped = rankAt[0] - rankAt[i];
    u32[n * 2 + 7 + 2 * i] = uspan - skipped;
    u32[u * 2 + 7 + 2 * i] = skipped + 1;
  }
  for (let i = nl; i < level; i++) u32[update[i] * 2 + 7 + 2 * i]++;
  const prev = update[0] === h ? 0 : update[0];
  u32[n * 2 + 4] = prev;
  const next = u32[n * 2 + 6];
  if (next !== 0) u32[next * 2 + 4] = n;
  else u32[d * 2 + 1] = n;
  u32[d * 2 + 2] = length + 1;
}

/** Unlinks node n (update[] must hold its search path). */
function unlinkAt(a: Arena, d: number, n: number): void {
  const u32 = a.u32;
  const level = u32[d * 2 + 3];
  for (let i = 0; i < level; i++) {
    const u = update[i];
    if (u32[u * 2 + 6 + 2 * i] === n) {
      u32[u * 2 + 7 + 2 * i] += u32[n * 2 + 7 + 2 * i] - 1;
      u32[u * 2 + 6 + 2 * i] = u32[n * 2 + 6 + 2 * i];
    } else {
      u32[u * 2 + 7 + 2 * i] -= 1;
    }
  }
  const next = u32[n * 2 + 6];
  if (next !== 0) u32[next * 2 + 4] = u32[n * 2 + 4];
  else u32[d * 2 + 1] = u32[n * 2 + 4];
  const h = u32[d * 2];
  let lv = level;
  while (lv > 1 && u32[h * 2 + 6 + 2 * (lv - 1)] === 0) lv--;
  u32[d * 2 + 3] = lv;
  u32[d * 2 + 2]--;
}

function unlink(a: Arena, d: number, n: number): void {
  const off = nodeMemberOff(a, n);
  searchPath(a, d, a.f64[n], a.u8, off, off + a.u32[n * 2 + 2]);
  unlinkAt(a, d, n);
}

/**
 * Inserts a member that is not in the set. Returns the new node, or 0 when the arena is full (the
 * set is unchanged then).
 */
export function zsInsert(a: Arena, d: number, score: number, buf: Uint8Array, start: number, end: number): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    if (end - start <= compactMemberMax) return compactInsert(a, d, score, buf, start, end);
    if (!zsConvert(a, d)) return 0;
  }
  const length = u32[d * 2 + 2];
  if (u32[d * 2 + 4] === 0) {
    if (length + 1 > indexFromLength && !indexResize(a, d, 32 - Math.clz32(((length + 1) * 4) / 3))) return 0;
  } else {
    const capLog2 = u32[d * 2 + 5];
    if ((length + 1) * 4 > (3 << capLog2) && !indexResize(a, d, capLog2 + 1)) return 0;
  }
  const level = randomLevel();
  if (level > u32[u32[d * 2] * 2 + 3] && !growHeader(a, d)) return 0;
  const mlen = end - start;
  const n = a.alloc(nodeFixedBytes + 8 * level + mlen);
  if (n === 0) return 0;
  a.f64[n] = score;
  u32[n * 2 + 2] = mlen;
  u32[n * 2 + 3] = level;
  u32[n * 2 + 4] = 0;
  u32[n * 2 + 5] = memberHash(buf, start, end);
  const off = n * 8 + nodeFixedBytes + 8 * level;
  const u8 = a.u8;
  for (let i = 0; i < mlen; i++) u8[off + i] = buf[start + i];
  link(a, d, n);
  if (u32[d * 2 + 4] !== 0) indexPlace(u32, u32[d * 2 + 4] * 2, (1 << u32[d * 2 + 5]) - 1, n);
  return n;
}

/** Replaces a small header with a levelMax one (nodes never point at the header). */
function growHeader(a: Arena, d: number): boolean {
  const h2 = a.alloc(headerBytesMax);
  if (h2 === 0) return false;
  const u32 = a.u32;
  const h = u32[d * 2];
  const words = nodeBytes(a, h) / 4;
  u32.fill(0, h2 * 2, h2 * 2 + headerBytesMax / 4);
  u32.copyWithin(h2 * 2, h * 2, h * 2 + words);
  u32[h2 * 2 + 3] = levelMax;
  a.free(h, words * 4);
  u32[d * 2] = h2;
  return true;
}

/** Removes and frees node n (a compact entry: removes it; later handles shift). */
export function zsDelete(a: Arena, d: number, n: number): void {
  if (n < 0) {
    compactRemove(a, d, n);
    compactShrink(a, d);
    return;
  }
  unlink(a, d, n);
  indexRemove(a, d, n);
  a.free(n, nodeBytes(a, n));
}

/** Changes the score of node n, moving it when its order changes. */
export function zsUpdateScore(a: Arena, d: number, n: number, score: number): void {
  if (n < 0) {
    const off = nodeMemberOff(a, n);
    const end = off + nodeMemberLen(a, n);
    const p = nodePrev(a, n);
    const q = nodeNext(a, n);
    const k = a.u8[-n];
    if (scoreKind(score) === k && (p === 0 || nodeBefore(a, p, score, a.u8, off, end)) && (q === 0 || !nodeBefore(a, q, score, a.u8, off, end))) {
      writeScore(a.u8, end, k, score);
      return;
    }
    const m = a.u8.slice(off, end);
    compactRemove(a, d, n);
    // The removal left room for the entry, so the insert allocates nothing and cannot fail.
    assert(compactInsert(a, d, score, m, 0, m.length) !== 0, "zset: compact re-insert failed");
    return;
  }
  const u32 = a.u32;
  const prev = u32[n * 2 + 4];
  const next = u32[n * 2 + 6];
  const off = nodeMemberOff(a, n);
  const end = off + u32[n * 2 + 2];
  const u8 = a.u8;
  // Stays in place when it still sorts after prev and before next.
  if ((prev === 0 || nodeBefore(a, prev, score, u8, off, end)) && (next === 0 || !nodeBefore(a, next, score, u8, off, end))) {
    a.f64[n] = score;
    return;
  }
  unlink(a, d, n);
  a.f64[n] = score;
  link(a, d, n);
}

/**
 * 0-based rank of node n. Walks forward from n along each node's top pointer to the end, summing
 * spans (a pointer to nothing spans the nodes after its node): length - 1 - that sum. As many node
 * visits as a search from the header, but no score or member comparisons.
 */
export function zsRank(a: Arena, d: number, n: number): number {
  if (n < 0) {
    let r = 0;
    for (let e = zsFirst(a, d); e !== n; e = nodeNext(a, e)) r++;
    return r;
  }
  const u32 = a.u32;
  let after = 0;
  let x = n;
  do {
    const top = x * 2 + 4 + 2 * u32[x * 2 + 3]; // the top level's (forward, span) pair
    after += u32[top + 1];
    x = u32[top];
  } while (x !== 0);
  return u32[d * 2 + 2] - 1 - after;
}

/** Node at 0-based rank r (0 <= r < length). */
export function zsAtRank(a: Arena, d: number, r: number): number {
  if (a.u32[d * 2 + 6] === 1) {
    let e = zsFirst(a, d);
    while (r-- > 0) e = nodeNext(a, e);
    return e;
  }
  const u32 = a.u32;
  const target = r + 1;
  let x = u32[d * 2];
  let traversed = 0;
  for (let i = u32[d * 2 + 3] - 1; i >= 0; i--) {
    for (;;) {
      const f = fwd(u32, x, i);
      if (f === 0 || traversed + span(u32, x, i) > target) break;
      traversed += span(u32, x, i);
      x = f;
    }
    if (traversed === target) return x;
  }
  assert(false, "zset: rank out of range");
  return 0;
}

/** First node with score >= min (> min when minex), or 0. */
export function zsFirstInScore(a: Arena, d: number, min: number, minex: boolean): number {
  if (a.u32[d * 2 + 6] === 1) {
    let e = zsFirst(a, d);
    while (e !== 0 && !(minex ? nodeScore(a, e) > min : nodeScore(a, e) >= min)) e = nodeNext(a, e);
    return e;
  }
  const u32 = a.u32;
  const f64 = a.f64;
  let x = u32[d * 2];
  for (let i = u32[d * 2 + 3] - 1; i >= 0; i--) {
    for (;;) {
      const f = fwd(u32, x, i);
      if (f === 0) break;
      const s = f64[f];
      if (minex ? s > min : s >= min) break;
      x = f;
    }
  }
  return u32[x * 2 + 6];
}

/** Last node with score <= max (< max when maxex), or 0. */
export function zsLastInScore(a: Arena, d: number, max: number, maxex: boolean): number {
  if (a.u32[d * 2 + 6] === 1) {
    let e = zsTail(a, d);
    while (e !== 0 && !(maxex ? nodeScore(a, e) < max : nodeScore(a, e) <= max)) e = nodePrev(a, e);
    return e;
  }
  const u32 = a.u32;
  const f64 = a.f64;
  let x = u32[d * 2];
  for (let i = u32[d * 2 + 3] - 1; i >= 0; i--) {
    for (;;) {
      const f = fwd(u32, x, i);
      if (f === 0) break;
      const s = f64[f];
      if (!(maxex ? s < max : s <= max)) break;
      x = f;
    }
  }
  return x === u32[d * 2] ? 0 : x;
}

/** A lex bound: kind 0 "-", 1 "[x" inclusive, 2 "(x" exclusive, 3 "+". */
export interface LexBound {
  kind: number;
  bytes: Uint8Array;
}

/** True when node n's member is >= the min bound (above it, for exclusive). */
export function lexAboveMin(a: Arena, n: number, b: LexBound): boolean {
  if (b.kind === 0) return true;
  if (b.kind === 3) return false;
  const c = cmpMember(a, n, b.bytes, 0, b.bytes.length);
  return b.kind === 1 ? c >= 0 : c > 0;
}
/** True when node n's member is <= the max bound. */
export function lexBelowMax(a: Arena, n: number, b: LexBound): boolean {
  if (b.kind === 3) return true;
  if (b.kind === 0) return false;
  const c = cmpMember(a, n, b.bytes, 0, b.bytes.length);
  return b.kind === 1 ? c <= 0 : c < 0;
}

/** First node inside the lex min bound, or 0 (members assumed to share one score, as Redis). */
export function zsFirstInLex(a: Arena, d: number, min: LexBound): number {
  if (a.u32[d * 2 + 6] === 1) {
    let e = zsFirst(a, d);
    while (e !== 0 && !lexAboveMin(a, e, min)) e = nodeNext(a, e);
    return e;
  }
  const u32 = a.u32;
  let x = u32[d * 2];
  for (let i = u32[d * 2 + 3] - 1; i >= 0; i--) {
    for (;;) {
      const f = fwd(u32, x, i);
      if (f === 0 || lexAboveMin(a, f, min)) break;
      x = f;
    }
  }
  return u32[x * 2 + 6];
}

/** Last node inside the lex max bound, or 0. */
export function zsLastInLex(a: Arena, d: number, max: LexBound): number {
  if (a.u32[d * 2 + 6] === 1) {
    let e = zsTail(a, d);
    while (e !== 0 && !lexBelowMax(a, e, max)) e = nodePrev(a, e);
    return e;
  }
  const u32 = a.u32;
  let x = u32[d * 2];
  for (let i = u32[d * 2 + 3] - 1; i >= 0; i--) {
    for (;;) {
      const f = fwd(u32, x, i);
      if (f === 0 || !lexBelowMax(a, f, max)) break;
      x = f;
    }
  }
  return x === u32[d * 2] ? 0 : x;
}

// ---- clone ---------------------------------------------------------------------------------------
/**
 * Copies the set at (src, d) into dst; returns the new descriptor or 0 when dst is full (nothing is
 * left allocated then).
 */
export function zsClone(src: Arena, d: number, dst: Arena): number {
  const nd = zsCreate(dst, isCompact(src, d));
  if (nd === 0) return 0;
  let n = zsFirst(src, d);
  // Appending in order: each link walks to the tail. Members are copied through a scratch buffer
  // because src and dst may be the same arena (COPY within a shard) and a grow may move views.
  while (n !== 0) {
    const off = nodeMemberOff(src, n);
    const m = src.u8.slice(off, off + nodeMemberLen(src, n));
    if (zsInsert(dst, nd, nodeScore(src, n), m, 0, m.length) === 0) {
      zsFree(dst, nd);
      return 0;
    }
    n = nodeNext(src, n);
  }
  return nd;
}

/** Checks every invariant (tests). */
export function zsCheck(a: Arena, d: number): void {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    let count = 0;
    let prev = 0;
    let bytes = 3;
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
      assert(nodePrev(a, n) === prev, "zset check: compact backward walk");
      if (prev !== 0) {
        const off = nodeMemberOff(a, n);
        assert(nodeBefore(a, prev, nodeScore(a, n), a.u8, off, off + nodeMemberLen(a, n)), "zset check: compact order");
      }
      bytes += entryBytes(a.u8, -n);
      prev = n;
      count++;
    }
    assert(count === u32[d * 2 + 2] && bytes === u32[d * 2 + 1] && zsTail(a, d) === prev, "zset check: compact length");
    return;
  }
  const length = u32[d * 2 + 2];
  let count = 0;
  let prev = 0;
  for (let n = zsFirst(a, d); n !== 0; n = u32[n * 2 + 6]) {
    assert(u32[n * 2 + 4] === prev, "zset check: backward pointer");
    if (prev !== 0) {
      const off = nodeMemberOff(a, n);
      assert(nodeBefore(a, prev, a.f64[n], a.u8, off, off + u32[n * 2 + 2]), "zset check: order");
    }
    const off = nodeMemberOff(a, n);
    assert(zsFind(a, d, a.u8.slice(off, off + u32[n * 2 + 2]), 0, u32[n * 2 + 2]) === n, "zset check: index");
    assert(zsRank(a, d, n) === count, "zset check: rank");
    prev = n;
    count++;
  }
  assert(count === length, "zset check: length");
  assert(u32[d * 2 + 1] === prev, "zset check: tail");
  if (u32[d * 2 + 4] === 0) {
    assert(length <= indexFromLength, "zset check: a large set without index");
    return;
  }
  let inIndex = 0;
  const cap = 1 << u32[d * 2 + 5];
  for (let i = 0; i < cap; i++) if (u32[u32[d * 2 + 4] * 2 + i] !== 0) inIndex++;
  assert(inIndex === length, "zset check: index count");
}

// ---- compact form: insert, shrink, conversion ----------------------------------------------------
/** Inserts a member (not present) into the compact form in order; returns its handle or 0 on OOM. */
function compactInsert(a: Arena, d: number, score: number, buf: Uint8Array, start: number, end: number): number {
  const u32 = a.u32;
  const mlen = end - start;
  const kind = scoreKind(score);
  const need = 5 + mlen + kindBytes[kind];
  let e = zsFirst(a, d);
  while (e !== 0 && nodeBefore(a, e, score, buf, start, end)) e = nodeNext(a, e);
  let b = u32[d * 2] * 8;
  const used = u32[d * 2 + 1];
  // Insertion point as a distance from the start (the buffer may move): before e, or before the end mark.
  let at = (e === 0 ? b + used - 1 : -e) - b;
  if (used + need > u32[d * 2 + 3]) {
    const bytes = classBytes(used + need);
    const nb = a.alloc(bytes);
    if (nb === 0) return 0;
    const u8 = a.u8;
    u8.copyWithin(nb * 8, b, b + at);
    u8.copyWithin(nb * 8 + at + need, b + at, b + used);
    a.free(u32[d * 2], u32[d * 2 + 3]);
    u32[d * 2] = nb;
    u32[d * 2 + 3] = bytes;
    b = nb * 8;
  } else {
    a.u8.copyWithin(b + at + need, b + at, b + used);
  }
  const u8 = a.u8;
  const off = b + at;
  u8[off] = kind;
  setU16(u8, off + 1, mlen);
  for (let i = 0; i < mlen; i++) u8[off + 3 + i] = buf[start + i];
  writeScore(u8, off + 3 + mlen, kind, score);
  setU16(u8, off + need - 2, need);
  u32[d * 2 + 1] = used + need;
  u32[d * 2 + 2]++;
  at = off;
  return -at;
}

function compactRemove(a: Arena, d: number, n: number): void {
  const off = -n;
  const size = entryBytes(a.u8, off);
  const end = a.u32[d * 2] * 8 + a.u32[d * 2 + 1];
  a.u8.copyWithin(off, off + size, end);
  a.u32[d * 2 + 1] -= size;
  a.u32[d * 2 + 2]--;
}

/** Gives back a compact buffer's slack once it is more than half empty. */
function compactShrink(a: Arena, d: number): void {
  const u32 = a.u32;
  const used = u32[d * 2 + 1];
  const cap = u32[d * 2 + 3];
  if (cap <= 64 || used * 2 > cap) return;
  const bytes = classBytes(used);
  const nb = a.alloc(bytes);
  if (nb === 0) return;
  a.u8.copyWithin(nb * 8, u32[d * 2] * 8, u32[d * 2] * 8 + used);
  a.free(u32[d * 2], cap);
  u32[d * 2] = nb;
  u32[d * 2 + 3] = bytes;
}

/**
 * Turns a compact set into the skiplist form in place (the descriptor address stays). False when
 * the arena is full (the set is unchanged then).
 */
export function zsConvert(a: Arena, d: number): boolean {
  if (a.u32[d * 2 + 6] !== 1) return true;
  const sk = zsCreate(a, false);
  if (sk === 0) return false;
  for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
    const off = nodeMemberOff(a, n);
    const m = a.u8.slice(off, off + nodeMemberLen(a, n));
    if (zsInsert(a, sk, nodeScore(a, n), m, 0, m.length) === 0) {
      zsFree(a, sk);
      return false;
    }
  }
  const u32 = a.u32;
  a.free(u32[d * 2], u32[d * 2 + 3]);
  u32.copyWithin(d * 2, sk * 2, sk * 2 + 8);
  a.free(sk, descBytes);
  return true;
}

// ---- self-contained bytes (shard log, snapshots) -------------------------------------------------
export const zsSerialVersion = 1;
const serialHeaderBytes = 3;
const formSkiplist = 0;
const formCompact = 1;
/** Largest index capLog2 a record may ask for (a 1 GiB index; `4 << capLog2` stays a positive int32). */
const indexCapLog2Max = 28;

function varintBytes(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
function writeVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}
/** End of the varint last read by readVarint. */
let varintEnd = 0;
function readVarint(buf: Uint8Array, at: number): number {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    assert(at < buf.length && shift <= 28, "zset bytes: truncated or oversized varint");
    const b = buf[at++];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  assert(v <= 0xffffffff, "zset bytes: varint over 32 bits");
  varintEnd = at;
  return v;
}

/** Smallest index capLog2 that keeps the load of `count` members at or below 3/4. */
function indexCapLog2For(count: number): number {
  let c = 1;
  while (count * 4 > 3 * 2 ** c) c++;
  return c;
}

/**
 * The set's self-contained bytes (format above). Returns a new array; reads the arena only.
 * Two walks: sizes first, so the output is allocated once at its exact size.
 */
export function zsSerialize(a: Arena, d: number): Uint8Array {
  const u32 = a.u32;
  const u8 = a.u8;
  const compact = u32[d * 2 + 6] === 1;
  const count = u32[d * 2 + 2];
  let size = serialHeaderBytes + varintBytes(count);
  if (compact) {
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
      const mlen = u16(u8, -n + 1);
      const k = u8[-n];
      size += varintBytes(mlen * 4 + k) + mlen + kindBytes[k];
    }
  } else {
    for (let n = u32[u32[d * 2] * 2 + 6]; n !== 0; n = u32[n * 2 + 6]) {
      const mlen = u32[n * 2 + 2];
      const k = scoreKind(a.f64[n]);
      size += varintBytes(mlen * 4 + k) + mlen + kindBytes[k];
    }
  }
  const out = new Uint8Array(size);
  out[0] = zsSerialVersion;
  out[1] = compact ? formCompact : formSkiplist;
  out[2] = compact || u32[d * 2 + 4] === 0 ? 0 : u32[d * 2 + 5];
  let at = writeVarint(out, serialHeaderBytes, count);
  let written = 0;
  if (compact) {
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
      const e = -n;
      const mlen = u16(u8, e + 1);
      const k = u8[e];
      at = writeVarint(out, at, mlen * 4 + k);
      // Member and score are contiguous in the entry, already in this format's byte order.
      const body = mlen + kindBytes[k];
      copyBytes(u8, e + 3, out, at, body);
      at += body;
      written++;
    }
  } else {
    for (let n = u32[u32[d * 2] * 2 + 6]; n !== 0; n = u32[n * 2 + 6]) {
      const mlen = u32[n * 2 + 2];
      const score = a.f64[n];
      const k = scoreKind(score);
      at = writeVarint(out, at, mlen * 4 + k);
      copyBytes(u8, n * 8 + nodeFixedBytes + 8 * u32[n * 2 + 3], out, at, mlen);
      at += mlen;
      writeScore(out, at, k, score);
      at += kindBytes[k];
      written++;
    }
  }
  assert(at === size && written === count, "zset serialize: size or length mismatch");
  return out;
}

/** Copies len bytes; short runs by hand (a subarray per member costs more than the copy). */
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if (len > 32) dst.set(src.subarray(from, from + len), to);
  else for (let i = 0; i < len; i++) dst[to + i] = src[from + i];
}

/**
 * Rebuilds a set from zsSerialize's bytes in `a` (any arena): returns its descriptor, or 0 when the
 * arena is full (nothing stays allocated then). Bytes in a wrong format are our bug (records are
 * checksummed), so they fail an assertion.
 */
export function zsDeserialize(a: Arena, bytes: Uint8Array): number {
  assert(bytes.length >= serialHeaderBytes + 1 && bytes[0] === zsSerialVersion, "zset bytes: unknown format version");
  const form = bytes[1];
  const count = readVarint(bytes, serialHeaderBytes);
  if (form === formCompact) return compactFromBytes(a, bytes, varintEnd, count);
  assert(form === formSkiplist, "zset bytes: unknown form");
  let capLog2 = bytes[2];
  // No index below the linear-walk limit unless the set had one; never one above 3/4 load.
  if (capLog2 !== 0 || count > indexFromLength) capLog2 = Math.max(capLog2, indexCapLog2For(count));
  assert(capLog2 <= indexCapLog2Max, "zset bytes: index too large");
  return skiplistFromBytes(a, bytes, varintEnd, count, capLog2);
}

/** The compact buffer written in one go: each record's member and score bytes are the entry's. */
function compactFromBytes(a: Arena, bytes: Uint8Array, start: number, count: number): number {
  let used = 3;
  let p = start;
  for (let i = 0; i < count; i++) {
    const h = readVarint(bytes, p);
    const mlen = h >>> 2;
    const body = mlen + kindBytes[h & 3];
    assert(mlen <= compactMemberMax, "zset bytes: member too long for the compact form");
    used += 5 + body;
    p = varintEnd + body;
  }
  assert(p === bytes.length, "zset bytes: length mismatch");
  const cap = classBytes(used);
  const d = a.alloc(descBytes);
  if (d === 0) return 0;
  const b = a.alloc(cap);
  if (b === 0) {
    a.free(d, descBytes);
    return 0;
  }
  const u8 = a.u8;
  let at = b * 8;
  setU16(u8, at, endMark);
  at += 2;
  p = start;
  for (let i = 0; i < count; i++) {
    const h = readVarint(bytes, p);
    p = varintEnd;
    const mlen = h >>> 2;
    const body = mlen + kindBytes[h & 3];
    u8[at] = h & 3;
    setU16(u8, at + 1, mlen);
    copyBytes(bytes, p, u8, at + 3, body);
    setU16(u8, at + 3 + body, 5 + body);
    at += 5 + body;
    p += body;
  }
  u8[at] = 0xff;
  const u32 = a.u32;
  u32.fill(0, d * 2, d * 2 + 8);
  u32[d * 2] = b;
  u32[d * 2 + 1] = used;
  u32[d * 2 + 2] = count;
  u32[d * 2 + 3] = cap;
  u32[d * 2 + 6] = 1;
  return d;
}

// Per-level last node and its rank while a skiplist is built by appending (no allocation per call).
const lastAt = new Uint32Array(levelMax);
const lastRank = new Float64Array(levelMax);

/**
 * Builds the skiplist by appending nodes in order (O(n): no searches), and its index when capLog2 is
 * set. Every node is on the level-0 chain as soon as it exists, so zsFree cleans up a partial build.
 */
function skiplistFromBytes(a: Arena, bytes: Uint8Array, start: number, count: number, capLog2: number): number {
  const d = zsCreate(a, false);
  if (d === 0) return 0;
  const u32 = a.u32;
  if (capLog2 !== 0 && !indexResize(a, d, capLog2)) {
    zsFree(a, d);
    return 0;
  }
  let h = u32[d * 2];
  for (let i = 0; i < levelMax; i++) {
    lastAt[i] = h;
    lastRank[i] = 0;
  }
  let maxLevel = 1;
  let prev = 0;
  let p = start;
  // A payload viewed in shared memory (a log ring) hashes through a copy (memberHashShared).
  const sharedBytes = bytes.buffer instanceof SharedArrayBuffer;
  for (let r = 1; r <= count; r++) {
    const hv = readVarint(bytes, p);
    p = varintEnd;
    const mlen = hv >>> 2;
    const k = hv & 3;
    assert(p + mlen + kindBytes[k] <= bytes.length, "zset bytes: truncated entry");
    const score = scoreAt(bytes, p + mlen, k);
    const level = randomLevel();
    if (level > u32[h * 2 + 3]) {
      if (!growHeader(a, d)) {
        zsFree(a, d);
        return 0;
      }
      const h2 = u32[d * 2];
      for (let i = 0; i < levelMax; i++) if (lastAt[i] === h) lastAt[i] = h2;
      h = h2;
    }
    const n = a.alloc(nodeFixedBytes + 8 * level + mlen);
    if (n === 0) {
      zsFree(a, d);
      return 0;
    }
    a.f64[n] = score;
    u32[n * 2 + 2] = mlen;
    u32[n * 2 + 3] = level;
    u32[n * 2 + 4] = prev;
    u32[n * 2 + 5] = sharedBytes ? memberHashShared(bytes, p, p + mlen) : memberHash(bytes, p, p + mlen);
    const off = n * 8 + nodeFixedBytes + 8 * level;
    copyBytes(bytes, p, a.u8, off, mlen);
    assert(prev === 0 || nodeBefore(a, prev, score, a.u8, off, off + mlen), "zset bytes: entries out of order");
    for (let i = 0; i < level; i++) {
      const l = lastAt[i];
      u32[l * 2 + 6 + 2 * i] = n;
      u32[l * 2 + 7 + 2 * i] = r - lastRank[i];
      u32[n * 2 + 6 + 2 * i] = 0;
      lastAt[i] = n;
      lastRank[i] = r;
    }
    if (level > maxLevel) maxLevel = level;
    if (capLog2 !== 0) indexPlace(u32, u32[d * 2 + 4] * 2, (1 << capLog2) - 1, n);
    prev = n;
    p += mlen + kindBytes[k];
  }
  assert(p === bytes.length, "zset bytes: length mismatch");
  // A pointer to nothing spans the nodes after its node (what link() expects); unused header levels too.
  for (let i = 0; i < u32[h * 2 + 3]; i++) u32[lastAt[i] * 2 + 7 + 2 * i] = count - lastRank[i];
  u32[d * 2 + 1] = prev;
  u32[d * 2 + 2] = count;
  u32[d * 2 + 3] = maxLevel;
  return d;
}
