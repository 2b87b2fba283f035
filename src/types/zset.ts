// Sorted sets in the shard Arena: an order-statistics B+tree (per-child subtree counts) over stable
// member records, plus a member index.
//
// Why a B+tree: a search costs a few node visits of a few cache lines each (the top levels stay in
// cache), where a skiplist search is ~25 dependent cache misses on a 100k-member set.
//
// Layout (addresses are arena 8-byte units; every block is 8-byte aligned). The key's block holds 4
// bytes: the address of a descriptor (32 bytes):
//   u32[0] root node (0: empty), [1] first leaf, [2] length, [3] last leaf, [4] index array,
//   [5] index capLog2, [6] form (0 tree, 1 compact), [7] height (internal levels; 0: root is a leaf).
// A member record (the handle callers see: a positive address, stable while the member is in the set):
//   f64 score | u32 memberLen | u32 leaf | u32 0 | u32 member hash | member bytes  (24 + memberLen bytes)
// A leaf (16 + 12 * leafCap bytes): u32 count | u32 parent | u32 prev leaf | u32 next leaf |
//   leafCap x f64 score | leafCap x u32 record, entries sorted; the scores are copies of the records'
//   so a leaf is searched without touching records (members are compared only on equal scores).
// An internal node (8 + 20 * innerCap bytes): u32 count | u32 parent | innerCap x f64 min score |
//   innerCap x u32 child | innerCap x u32 subtree count | innerCap x u32 min record.
//   (min score, min record) of child i is the first entry of its subtree, kept for i >= 1 only (the
//   separators); slot 0 is unused (that minimum is the node's own, kept by its parent).
// Order is (score, member bytes memcmp), as Redis's. Rank = the counts left of the path plus the
// position in the leaf: rank, range by rank and delete by rank are O(log n). A record's leaf is its
// back-pointer (rewritten whenever entries move between leaves); nodeNext / nodePrev find the
// record's position by scanning its leaf (a module-level hint makes in-order walks O(1) per step).
// Rebalancing: a full node splits in two halves, except an append at the very end of the last node of
// a level, which leaves the left node full (sequential loads fill leaves, not half-fill them); a node
// below leafMin / innerMin entries after a delete merges with a sibling when both fit in one node,
// else takes entries from it until both are even. Hence: every non-root node holds at least the
// minimum, except the last node of each level (>= 1 entry, >= 2 children); an internal root has >= 2
// children, and an empty set has no nodes. Depth is O(log n) and nodes are >= 1/4 full on average.
// Every allocation an insert or a moving score update may need is reserved before anything changes,
// so a full arena leaves the set unchanged.
// Small sets (up to indexFromLength members) have no index; the index is built when the set grows
// past it and kept from then on.
// The member index is open addressing (linear probing, backward-shift deletion, no tombstones) over
// u32 record addresses; each record keeps its member's hash, so probing compares hashes first and a
// resize never rehashes bytes. Load stays in (3/8, 3/4].
//
// Compact form (what OBJECT ENCODING calls listpack): the descriptor (u32[6] = 1) points at one
// arena buffer [u16 0xffff][entries][u8 0xff], entry = [u8 score kind][u16 len][member][score]
// [u16 entry bytes], sorted, walked forward by the entry's size and backward by the trailing size.
// The score takes 1, 2 or 4 bytes when it is an integer that fits (kinds 0-2), else 8 (kind 3);
// u32[0] buffer, [1] used bytes,
// [2] length, [3] buffer bytes. A handle to a compact entry is the negated byte offset of the entry
// (tree records are positive addresses), valid until the set changes, like a listpack pointer.
// zsConvert turns it into the tree in place (the descriptor address stays).
//
// The table encoding (listpack / skiplist) is bookkeeping kept by the commands (src/commands/zsets.ts):
// one structure serves both, and OBJECT ENCODING reports what Redis 7.0 would.
//
// Self-contained bytes (shard log records, snapshots; zsSerialize / zsDeserialize), format version 1,
// little endian, no padding, frozen:
//   u8 version (1) | u8 form (0 tree, written as "skiplist" by older code, 1 compact) |
//   u8 index capLog2 (0: no index) | varint count |
//   count x (varint memberLen * 4 + score kind | member | score in 1, 2, 4 or 8 bytes)
// in set order; varints are unsigned LEB128 of at most 32 bits. The score kind is the compact form's
// (int8, int16, int32, else the f64's bits), so every score comes back bit-identical (-0, infinities,
// subnormals) and a compact entry's score bytes are copied as they are. The form is kept even when it
// disagrees with the key's label (a set left compact by a full arena). The tree is rebuilt bottom-up
// (evenly filled full leaves); the index gets the same capacity, so ZSCAN's buckets, and with them
// its cursors, stay the same.
//
// Invariants (zsCheck): length = entries in the leaves = the root's count sum = entries in the index;
// leaves hold strictly increasing keys, are linked in order, all at depth height; every count is its
// subtree's size, every separator its subtree's first entry; every parent and leaf back-pointer is
// right; every node and record is owned by one key.

import { assert } from "../assert.ts";
import { type Arena, arenaBytesMax, classBytes } from "../keyspace/arena.ts";
import { copyRange } from "../../native-free/bytes.ts";
import { hash32 } from "../../native-free/hash32.ts";

const recFixedBytes = 24;
const descBytes = 32;
/** Entries per leaf: 16 + 12 * 33 = 412 bytes, a 416-byte arena class. */
const leafCap = 33;
const leafMin = 8;
const leafBytes = 16 + 12 * leafCap;
/** Children per internal node: 8 + 20 * 34 = 688 bytes, a 704-byte arena class. */
const innerCap = 34;
const innerMin = 8;
const innerBytes = 8 + 20 * innerCap;
// Word offsets: leaf scores are f64[L + 2 + i], records u32[L * 2 + lRec + i]; internal min scores
// are f64[N + 1 + i], children u32[N * 2 + iChild + i], counts iCnt, min records iMinRec.
const lRec = 4 + 2 * leafCap;
const iChild = 2 + 2 * innerCap;
const iCnt = iChild + innerCap;
const iMinRec = iCnt + innerCap;
/** Deeper than any tree in a 4 GiB arena (>= 2 children per level, >= 8 for all but the last node). */
const heightMax = 32;
/** Sets up to this many members have no index: a find walks the leaves (as a listpack scan). */
export const indexFromLength = 128;
const memberHashSeed = 0x5bd1e995;

// Scratch (no allocation per operation): the path of an insert (descend) and of a removal (pathUp).
// Level 0 is the leaf (index: position in it), level l >= 1 the internal node above (index: child).
const insNode = new Uint32Array(heightMax + 1);
const insIdx = new Uint32Array(heightMax + 1);
const delNode = new Uint32Array(heightMax + 1);
const delIdx = new Uint32Array(heightMax + 1);
/** Nodes reserved before a change that may split (a leaf, then internal nodes). */
let reserveLeaf = 0;
const reserveInner = new Uint32Array(heightMax + 2);
let reserveInnerCount = 0;
/** Where the last record handed out sits: checked against the leaf before use, so never stale. */
let hintLeaf = 0;
let hintPos = 0;

// ---- leaf walks -----------------------------------------------------------------------------------
// For scans that read scores in order and touch few records (GEO searches): the leaf and position of
// the tree record zsFirst / zsFirstInScore / zsLastInScore / nodeNext / nodePrev returned last. A
// leaf's count is u32[L * 2], its next leaf u32[L * 2 + 3], entry i's score f64[L + 2 + i] and its
// record u32[L * 2 + leafRecWord + i]. Valid until the set changes.
export const leafRecWord = lRec;
export function walkLeaf(): number {
  return hintLeaf;
}
export function walkPos(): number {
  return hintPos;
}
/** Points walkLeaf / walkPos at tree record n (cheap when they already do). */
export function walkFrom(a: Arena, n: number): void {
  const leaf = a.u32[n * 2 + 3];
  hintPos = leafPos(a.u32, leaf, n);
  hintLeaf = leaf;
}

// ---- small accessors -----------------------------------------------------------------------------
export function zsLength(a: Arena, d: number): number {
  return a.u32[d * 2 + 2];
}
export function zsTail(a: Arena, d: number): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    if (u32[d * 2 + 2] === 0) return 0;
    const end = u32[d * 2] * 8 + u32[d * 2 + 1] - 1;
    return -(end - u16(a.u8, end - 2));
  }
  const l = u32[d * 2 + 3];
  if (l === 0) return 0;
  const pos = u32[l * 2] - 1;
  hintLeaf = l;
  hintPos = pos;
  return u32[l * 2 + lRec + pos];
}
/** The first member (lowest score), or 0. */
export function zsFirst(a: Arena, d: number): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) return u32[d * 2 + 2] === 0 ? 0 : -(u32[d * 2] * 8 + 2);
  const l = u32[d * 2 + 1];
  if (l === 0) return 0;
  hintLeaf = l;
  hintPos = 0;
  return u32[l * 2 + lRec];
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
  return n * 8 + recFixedBytes;
}
export function nodeNext(a: Arena, n: number): number {
  if (n < 0) return compactNext(a.u8, n);
  // Hot (range replies, GEO scans): the hint check is inlined; the leaf scan is the slow path.
  const u32 = a.u32;
  const leaf = u32[n * 2 + 3];
  const base = leaf * 2 + lRec;
  const count = u32[leaf * 2];
  let pos = hintPos;
  if (hintLeaf !== leaf || pos >= count || u32[base + pos] !== n) pos = leafPos(u32, leaf, n);
  pos++;
  if (pos < count) {
    hintLeaf = leaf;
    hintPos = pos;
    return u32[base + pos];
  }
  const next = u32[leaf * 2 + 3];
  if (next === 0) return 0;
  hintLeaf = next;
  hintPos = 0;
  return u32[next * 2 + lRec];
}
export function nodePrev(a: Arena, n: number): number {
  if (n < 0) return compactPrev(a.u8, n);
  const u32 = a.u32;
  const leaf = u32[n * 2 + 3];
  const base = leaf * 2 + lRec;
  let pos = hintPos;
  if (hintLeaf !== leaf || pos >= u32[leaf * 2] || u32[base + pos] !== n) pos = leafPos(u32, leaf, n);
  if (pos > 0) {
    hintLeaf = leaf;
    hintPos = pos - 1;
    return u32[base + pos - 1];
  }
  const prev = u32[leaf * 2 + 2];
  if (prev === 0) return 0;
  hintLeaf = prev;
  hintPos = u32[prev * 2] - 1;
  return u32[prev * 2 + lRec + hintPos];
}
function compactNext(u8: Uint8Array, n: number): number {
  const next = -n + entryBytes(u8, -n);
  return u8[next] === 0xff ? 0 : -next;
}
function compactPrev(u8: Uint8Array, n: number): number {
  const psize = u16(u8, -n - 2);
  return psize === endMark ? 0 : -(-n - psize);
}

/** Position of record n in its leaf: the hint when it holds, else a scan (a few cache lines). */
function leafPos(u32: Uint32Array, leaf: number, n: number): number {
  const base = leaf * 2 + lRec;
  const count = u32[leaf * 2];
  if (hintLeaf === leaf && hintPos < count && u32[base + hintPos] === n) return hintPos;
  for (let i = 0; i < count; i++) if (u32[base + i] === n) return i;
  assert(false, "zset: record missing from its leaf");
  return -1;
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

/** memcmp order of record r's member against buf[start, end): <0, 0, >0 (r > 0: a tree record). */
function cmpRec(a: Arena, r: number, buf: Uint8Array, start: number, end: number): number {
  const u8 = a.u8;
  const len = a.u32[r * 2 + 2];
  const off = r * 8 + recFixedBytes;
  const blen = end - start;
  const m = len < blen ? len : blen;
  for (let i = 0; i < m; i++) {
    const c = u8[off + i] - buf[start + i];
    if (c !== 0) return c;
  }
  return len - blen;
}

/** (s, member of record r) sorts before (score, buf[start, end))? */
function keyBefore(a: Arena, s: number, r: number, score: number, buf: Uint8Array, start: number, end: number): boolean {
  return s < score || (s === score && cmpRec(a, r, buf, start, end) < 0);
}

// ---- create / free -------------------------------------------------------------------------------
/** A new empty sorted set; returns the descriptor address or 0 when the arena is full. */
export function zsCreate(a: Arena, compact = false): number {
  const d = a.alloc(descBytes);
  if (d === 0) return 0;
  a.u32.fill(0, d * 2, d * 2 + 8);
  if (compact) {
    const b = a.alloc(8);
    if (b === 0) {
      a.free(d, descBytes);
      return 0;
    }
    setU16(a.u8, b * 8, endMark);
    a.u8[b * 8 + 2] = 0xff;
    a.u32[d * 2] = b;
    a.u32[d * 2 + 1] = 3;
    a.u32[d * 2 + 3] = 8;
    a.u32[d * 2 + 6] = 1;
  }
  return d;
}

// Post-order walk of the internal nodes (no recursion, no allocation): innerWalkStart, then
// innerWalkNext until 0. A returned node is not read again by the walk, so the caller may free it.
const walkNode = new Uint32Array(heightMax + 1);
const walkIdx = new Uint32Array(heightMax + 1);
let walkLevel = 0;
let walkHeight = 0;
function innerWalkStart(u32: Uint32Array, d: number): void {
  walkHeight = u32[d * 2 + 7];
  walkLevel = walkHeight;
  walkNode[walkLevel] = u32[d * 2];
  walkIdx[walkLevel] = 0;
  if (walkHeight === 0) walkLevel = 1; // nothing to walk
}
/** The next internal node in post-order, or 0; walkLevel - 1 is its level while the caller looks. */
function innerWalkNext(u32: Uint32Array): number {
  while (walkLevel <= walkHeight) {
    const x = walkNode[walkLevel];
    if (walkLevel > 1 && walkIdx[walkLevel] < u32[x * 2]) {
      const c = u32[x * 2 + iChild + walkIdx[walkLevel]];
      walkIdx[walkLevel]++;
      walkLevel--;
      walkNode[walkLevel] = c;
      walkIdx[walkLevel] = 0;
      continue;
    }
    walkLevel++;
    return x;
  }
  return 0;
}

export function zsFree(a: Arena, d: number): void {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    a.free(u32[d * 2], u32[d * 2 + 3]);
    a.free(d, descBytes);
    return;
  }
  innerWalkStart(u32, d);
  for (let x = innerWalkNext(u32); x !== 0; x = innerWalkNext(u32)) a.free(x, innerBytes);
  let leaf = u32[d * 2 + 1];
  while (leaf !== 0) {
    const next = u32[leaf * 2 + 3];
    const c = u32[leaf * 2];
    for (let i = 0; i < c; i++) {
      const r = u32[leaf * 2 + lRec + i];
      a.free(r, recFixedBytes + u32[r * 2 + 2]);
    }
    a.free(leaf, leafBytes);
    leaf = next;
  }
  if (u32[d * 2 + 4] !== 0) a.free(u32[d * 2 + 4], 4 << u32[d * 2 + 5]);
  a.free(d, descBytes);
}

/** Arena bytes owned by the set (descriptor, nodes, records, index), by class size: MEMORY USAGE. */
export function zsOwnedBytes(a: Arena, d: number): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) return descBytes + u32[d * 2 + 3];
  let total = descBytes + (u32[d * 2 + 4] !== 0 ? classBytes(4 << u32[d * 2 + 5]) : 0);
  innerWalkStart(u32, d);
  for (let x = innerWalkNext(u32); x !== 0; x = innerWalkNext(u32)) total += classBytes(innerBytes);
  for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
    total += classBytes(leafBytes);
    const c = u32[leaf * 2];
    for (let i = 0; i < c; i++) total += classBytes(recFixedBytes + u32[u32[leaf * 2 + lRec + i] * 2 + 2]);
  }
  return total;
}

// ---- member index --------------------------------------------------------------------------------
/** The record of member buf[start, end), or 0. */
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
    for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
      const c = u32[leaf * 2];
      for (let i = 0; i < c; i++) {
        const n = u32[leaf * 2 + lRec + i];
        if (u32[n * 2 + 5] === h && u32[n * 2 + 2] === len && cmpRec(a, n, buf, start, end) === 0) return n;
      }
    }
    return 0;
  }
  const base = u32[d * 2 + 4] * 2;
  const mask = (1 << u32[d * 2 + 5]) - 1;
  let i = h & mask;
  for (;;) {
    const n = u32[base + i];
    if (n === 0) return 0;
    if (u32[n * 2 + 5] === h && u32[n * 2 + 2] === len && cmpRec(a, n, buf, start, end) === 0) return n;
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
    // First index of a set that outgrew the linear walk: every record goes in.
    for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
      const c = u32[leaf * 2];
      for (let i = 0; i < c; i++) indexPlace(u32, base, mask, u32[leaf * 2 + lRec + i]);
    }
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

// ---- B+tree: search paths, reservations ----------------------------------------------------------
/**
 * Fills insNode/insIdx with the path to where key (score, buf[start, end)) goes: at each internal
 * level the last child whose first entry sorts before the key (else child 0), at the leaf the count
 * of entries before it. Hot: every insert and moving score update runs it. Scores come from the
 * nodes; members are compared only on equal scores (scores are never NaN). The key is not in the set.
 */
function descend(a: Arena, d: number, score: number, buf: Uint8Array, start: number, end: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  let x = u32[d * 2];
  for (let l = u32[d * 2 + 7]; l > 0; l--) {
    let lo = 1;
    let hi = u32[x * 2];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = f64[x + 1 + mid];
      if (s < score || (s === score && cmpRec(a, u32[x * 2 + iMinRec + mid], buf, start, end) < 0)) lo = mid + 1;
      else hi = mid;
    }
    insNode[l] = x;
    insIdx[l] = lo - 1;
    x = u32[x * 2 + iChild + lo - 1];
  }
  let lo = 0;
  let hi = u32[x * 2];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = f64[x + 2 + mid];
    if (s < score || (s === score && cmpRec(a, u32[x * 2 + lRec + mid], buf, start, end) < 0)) lo = mid + 1;
    else hi = mid;
  }
  insNode[0] = x;
  insIdx[0] = lo;
}

/**
 * Reserves the nodes an insert along insNode may split into (full nodes from the leaf up, and a new
 * root when they all are). False when the arena is full (nothing stays reserved then).
 */
function reserveForInsert(a: Arena, d: number): boolean {
  const u32 = a.u32;
  const h = u32[d * 2 + 7];
  let l = 0;
  while (l <= h && u32[insNode[l] * 2] === (l === 0 ? leafCap : innerCap)) l++;
  if (l === 0) return true;
  return reserve(a, 1, l > h ? l : l - 1);
}

function reserve(a: Arena, leaves: number, inners: number): boolean {
  if (leaves !== 0) {
    reserveLeaf = a.alloc(leafBytes);
    if (reserveLeaf === 0) return false;
  }
  for (let i = 0; i < inners; i++) {
    const x = a.alloc(innerBytes);
    if (x === 0) {
      releaseReserve(a);
      return false;
    }
    reserveInner[reserveInnerCount++] = x;
  }
  return true;
}

function releaseReserve(a: Arena): void {
  if (reserveLeaf !== 0) a.free(reserveLeaf, leafBytes);
  reserveLeaf = 0;
  while (reserveInnerCount > 0) a.free(reserveInner[--reserveInnerCount], innerBytes);
}

function takeInner(): number {
  assert(reserveInnerCount > 0, "zset: split without a reserved node");
  return reserveInner[--reserveInnerCount];
}

/** Fills delNode/delIdx with the path from the leaf (record at pos) up to the root, by parents. */
function pathUp(u32: Uint32Array, leaf: number, pos: number, h: number): void {
  delNode[0] = leaf;
  delIdx[0] = pos;
  let x = leaf;
  for (let l = 1; l <= h; l++) {
    const p = u32[x * 2 + 1];
    delNode[l] = p;
    delIdx[l] = childIndex(u32, p, x);
    x = p;
  }
}

function childIndex(u32: Uint32Array, p: number, x: number): number {
  const base = p * 2 + iChild;
  const count = u32[p * 2];
  for (let i = 0; i < count; i++) if (u32[base + i] === x) return i;
  assert(false, "zset: node missing from its parent");
  return -1;
}

// ---- B+tree: insert ------------------------------------------------------------------------------
// The split carried to the level above: the new right node, its subtree count and first entry, and
// whether it is the last node of its level.
let carry = 0;
let carryCount = 0;
let carryScore = 0;
let carryRec = 0;
let carryLast = false;

/**
 * Inserts record r (score set) at the position descend() found; splits take reserved nodes.
 * Entries at position 0 of a leaf only arrive in the first leaf (descend picks a child whose first
 * entry sorts before the key), so separators change only by splits.
 */
function insertAt(a: Arena, d: number, r: number, score: number): void {
  const u32 = a.u32;
  const h = u32[d * 2 + 7];
  const leaf = insNode[0];
  const pos = insIdx[0];
  carry = 0;
  if (u32[leaf * 2] < leafCap) leafInsert(a, leaf, pos, r, score);
  else splitLeaf(a, d, leaf, pos, r, score);
  let l = 1;
  while (carry !== 0 && l <= h) {
    const x = insNode[l];
    const i = insIdx[l];
    // The child at i gained the entry and gave carryCount entries to its new right sibling.
    u32[x * 2 + iCnt + i] = u32[x * 2 + iCnt + i] + 1 - carryCount;
    if (u32[x * 2] < innerCap) {
      innerInsert(a, x, i + 1, carry, carryCount, carryScore, carryRec);
      carry = 0;
    } else splitInner(a, x, i + 1);
    l++;
  }
  if (carry !== 0) {
    // The root split: a new root above the old one and its new sibling.
    const root = takeInner();
    const old = u32[d * 2];
    u32[root * 2] = 2;
    u32[root * 2 + 1] = 0;
    u32[root * 2 + iChild] = old;
    u32[root * 2 + iChild + 1] = carry;
    u32[root * 2 + iCnt] = u32[d * 2 + 2] + 1 - carryCount;
    u32[root * 2 + iCnt + 1] = carryCount;
    a.f64[root + 1] = 0;
    u32[root * 2 + iMinRec] = 0;
    a.f64[root + 2] = carryScore;
    u32[root * 2 + iMinRec + 1] = carryRec;
    u32[old * 2 + 1] = root;
    u32[carry * 2 + 1] = root;
    u32[d * 2] = root;
    u32[d * 2 + 7] = h + 1;
    carry = 0;
  } else {
    for (; l <= h; l++) u32[insNode[l] * 2 + iCnt + insIdx[l]]++;
  }
  u32[d * 2 + 2]++;
}

function leafInsert(a: Arena, leaf: number, pos: number, r: number, score: number): void {
  const c = a.u32[leaf * 2];
  leafPlace(a, leaf, pos, c, r, score);
  a.u32[leaf * 2] = c + 1;
}

/** Moves leaf entries pos..last-1 one place right and puts (r, score) at pos (the count is the caller's). */
function leafPlace(a: Arena, leaf: number, pos: number, last: number, r: number, score: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const sb = leaf + 2;
  const rb = leaf * 2 + lRec;
  for (let j = last; j > pos; j--) {
    f64[sb + j] = f64[sb + j - 1];
    u32[rb + j] = u32[rb + j - 1];
  }
  f64[sb + pos] = score;
  u32[rb + pos] = r;
  u32[r * 2 + 3] = leaf;
}

/**
 * Splits a full leaf while inserting (r, score) at pos: halves, or all but the new entry stay when it
 * is appended to the last leaf. Sets the carry.
 */
function splitLeaf(a: Arena, d: number, leaf: number, pos: number, r: number, score: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const total = leafCap + 1;
  const next = u32[leaf * 2 + 3];
  const keep = pos === leafCap && next === 0 ? leafCap : total >>> 1;
  assert(reserveLeaf !== 0, "zset: leaf split without a reserved node");
  const right = reserveLeaf;
  reserveLeaf = 0;
  const sb = leaf + 2;
  const rb = leaf * 2 + lRec;
  let w = 0;
  for (let j = keep; j < total; j++, w++) {
    let s: number;
    let e: number;
    if (j < pos) {
      s = f64[sb + j];
      e = u32[rb + j];
    } else if (j === pos) {
      s = score;
      e = r;
    } else {
      s = f64[sb + j - 1];
      e = u32[rb + j - 1];
    }
    f64[right + 2 + w] = s;
    u32[right * 2 + lRec + w] = e;
    u32[e * 2 + 3] = right;
  }
  if (pos < keep) leafPlace(a, leaf, pos, keep - 1, r, score);
  u32[leaf * 2] = keep;
  u32[right * 2] = w;
  u32[right * 2 + 1] = u32[leaf * 2 + 1];
  u32[right * 2 + 2] = leaf;
  u32[right * 2 + 3] = next;
  if (next !== 0) u32[next * 2 + 2] = right;
  else u32[d * 2 + 3] = right;
  u32[leaf * 2 + 3] = right;
  carry = right;
  carryCount = w;
  carryScore = f64[right + 2];
  carryRec = u32[right * 2 + lRec];
  carryLast = next === 0;
}

/** Inserts child c (subtree count, first entry) at index j of internal node x (not full). */
function innerInsert(a: Arena, x: number, j: number, c: number, count: number, score: number, rec: number): void {
  const n = a.u32[x * 2];
  innerPlace(a, x, j, n, c, count, score, rec);
  a.u32[x * 2] = n + 1;
}

/** Moves children j..last-1 of x one place right and puts child c at j (the count is the caller's). */
function innerPlace(a: Arena, x: number, j: number, last: number, c: number, count: number, score: number, rec: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const b = x * 2;
  for (let k = last; k > j; k--) {
    f64[x + 1 + k] = f64[x + k];
    u32[b + iChild + k] = u32[b + iChild + k - 1];
    u32[b + iCnt + k] = u32[b + iCnt + k - 1];
    u32[b + iMinRec + k] = u32[b + iMinRec + k - 1];
  }
  f64[x + 1 + j] = score;
  u32[b + iChild + j] = c;
  u32[b + iCnt + j] = count;
  u32[b + iMinRec + j] = rec;
  u32[c * 2 + 1] = x;
}

/**
 * Splits full internal node x while inserting the carry at index j: halves, or two children go right
 * when the carry is the last node of its level (x is then the last of its own). Sets the carry.
 */
function splitInner(a: Arena, x: number, j: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const total = innerCap + 1;
  const keep = carryLast ? innerCap - 1 : total >>> 1;
  const right = takeInner();
  const b = x * 2;
  let w = 0;
  let moved = 0;
  for (let k = keep; k < total; k++, w++) {
    let s: number;
    let c: number;
    let cnt: number;
    let m: number;
    if (k < j) {
      s = f64[x + 1 + k];
      c = u32[b + iChild + k];
      cnt = u32[b + iCnt + k];
      m = u32[b + iMinRec + k];
    } else if (k === j) {
      s = carryScore;
      c = carry;
      cnt = carryCount;
      m = carryRec;
    } else {
      s = f64[x + k];
      c = u32[b + iChild + k - 1];
      cnt = u32[b + iCnt + k - 1];
      m = u32[b + iMinRec + k - 1];
    }
    f64[right + 1 + w] = s;
    u32[right * 2 + iChild + w] = c;
    u32[right * 2 + iCnt + w] = cnt;
    u32[right * 2 + iMinRec + w] = m;
    u32[c * 2 + 1] = right;
    moved += cnt;
  }
  if (j < keep) innerPlace(a, x, j, keep - 1, carry, carryCount, carryScore, carryRec);
  u32[b] = keep;
  u32[right * 2] = w;
  u32[right * 2 + 1] = u32[b + 1];
  carry = right;
  carryCount = moved;
  carryScore = f64[right + 1];
  carryRec = u32[right * 2 + iMinRec];
}

// ---- B+tree: delete ------------------------------------------------------------------------------
/** Removes the entry at delNode/delIdx (path from pathUp); no rebalancing (see rebalance). */
function removeAt(a: Arena, d: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const h = u32[d * 2 + 7];
  const leaf = delNode[0];
  const pos = delIdx[0];
  const c = u32[leaf * 2] - 1;
  const sb = leaf + 2;
  const rb = leaf * 2 + lRec;
  for (let j = pos; j < c; j++) {
    f64[sb + j] = f64[sb + j + 1];
    u32[rb + j] = u32[rb + j + 1];
  }
  u32[leaf * 2] = c;
  for (let l = 1; l <= h; l++) u32[delNode[l] * 2 + iCnt + delIdx[l]]--;
  u32[d * 2 + 2]--;
  if (pos === 0 && c > 0) setMinAbove(a, d, 0, f64[sb], u32[rb]);
}

/** The first entry of delNode[l]'s subtree is now (s, r): updates the separator that holds it. */
function setMinAbove(a: Arena, d: number, l: number, s: number, r: number): void {
  const h = a.u32[d * 2 + 7];
  for (let k = l + 1; k <= h; k++) {
    const i = delIdx[k];
    if (i > 0) {
      a.f64[delNode[k] + 1 + i] = s;
      a.u32[delNode[k] * 2 + iMinRec + i] = r;
      return;
    }
  }
}

/**
 * Fixes underfull nodes along delNode after removeAt: merges with a sibling when both fit in one
 * node, else evens the two out; goes up while merges leave the parent underfull. Never allocates.
 */
function rebalance(a: Arena, d: number): void {
  const u32 = a.u32;
  const h = u32[d * 2 + 7];
  for (let l = 0; l < h; l++) {
    const x = delNode[l];
    if (u32[x * 2] >= (l === 0 ? leafMin : innerMin)) break;
    const p = delNode[l + 1];
    const i = delIdx[l + 1];
    const j = i > 0 ? i - 1 : 0;
    const merged = l === 0 ? fixLeaves(a, d, p, j, l) : fixInner(a, p, j);
    if (!merged) break;
  }
  const root = u32[d * 2];
  if (h > 0 && u32[root * 2] === 1) {
    const child = u32[root * 2 + iChild];
    u32[child * 2 + 1] = 0;
    u32[d * 2] = child;
    u32[d * 2 + 7] = h - 1;
    a.free(root, innerBytes);
  } else if (h === 0 && u32[root * 2] === 0) {
    a.free(root, leafBytes);
    u32[d * 2] = 0;
    u32[d * 2 + 1] = 0;
    u32[d * 2 + 3] = 0;
  }
}

/** Removes child j of internal node p (its entries shift left). */
function innerRemove(a: Arena, p: number, j: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const n = u32[p * 2] - 1;
  const b = p * 2;
  for (let k = j; k < n; k++) {
    f64[p + 1 + k] = f64[p + 2 + k];
    u32[b + iChild + k] = u32[b + iChild + k + 1];
    u32[b + iCnt + k] = u32[b + iCnt + k + 1];
    u32[b + iMinRec + k] = u32[b + iMinRec + k + 1];
  }
  u32[b] = n;
}

/** Leaves j and j + 1 of p (one underfull): merge (true) or even out (false). */
function fixLeaves(a: Arena, d: number, p: number, j: number, l: number): boolean {
  const u32 = a.u32;
  const f64 = a.f64;
  const left = u32[p * 2 + iChild + j];
  const right = u32[p * 2 + iChild + j + 1];
  const cl = u32[left * 2];
  const cr = u32[right * 2];
  if (cl + cr <= leafCap) {
    for (let k = 0; k < cr; k++) {
      const e = u32[right * 2 + lRec + k];
      f64[left + 2 + cl + k] = f64[right + 2 + k];
      u32[left * 2 + lRec + cl + k] = e;
      u32[e * 2 + 3] = left;
    }
    u32[left * 2] = cl + cr;
    const next = u32[right * 2 + 3];
    u32[left * 2 + 3] = next;
    if (next !== 0) u32[next * 2 + 2] = left;
    else u32[d * 2 + 3] = left;
    u32[p * 2 + iCnt + j] = cl + cr;
    innerRemove(a, p, j + 1);
    a.free(right, leafBytes);
    // An emptied first child took its sibling's entries: the parent's first entry changed.
    if (cl === 0 && cr > 0) setMinAbove(a, d, l + 1, f64[left + 2], u32[left * 2 + lRec]);
    return true;
  }
  const keepLeft = (cl + cr) >>> 1;
  if (cl < keepLeft) {
    const m = keepLeft - cl;
    for (let k = 0; k < m; k++) {
      const e = u32[right * 2 + lRec + k];
      f64[left + 2 + cl + k] = f64[right + 2 + k];
      u32[left * 2 + lRec + cl + k] = e;
      u32[e * 2 + 3] = left;
    }
    for (let k = m; k < cr; k++) {
      f64[right + 2 + k - m] = f64[right + 2 + k];
      u32[right * 2 + lRec + k - m] = u32[right * 2 + lRec + k];
    }
  } else {
    const m = cl - keepLeft;
    for (let k = cr - 1; k >= 0; k--) {
      f64[right + 2 + k + m] = f64[right + 2 + k];
      u32[right * 2 + lRec + k + m] = u32[right * 2 + lRec + k];
    }
    for (let k = 0; k < m; k++) {
      const e = u32[left * 2 + lRec + keepLeft + k];
      f64[right + 2 + k] = f64[left + 2 + keepLeft + k];
      u32[right * 2 + lRec + k] = e;
      u32[e * 2 + 3] = right;
    }
  }
  u32[left * 2] = keepLeft;
  u32[right * 2] = cl + cr - keepLeft;
  u32[p * 2 + iCnt + j] = keepLeft;
  u32[p * 2 + iCnt + j + 1] = cl + cr - keepLeft;
  f64[p + 2 + j] = f64[right + 2];
  u32[p * 2 + iMinRec + j + 1] = u32[right * 2 + lRec];
  return false;
}

/** Internal nodes j and j + 1 of p (one underfull): merge (true) or even out (false). */
function fixInner(a: Arena, p: number, j: number): boolean {
  const u32 = a.u32;
  const f64 = a.f64;
  const left = u32[p * 2 + iChild + j];
  const right = u32[p * 2 + iChild + j + 1];
  const cl = u32[left * 2];
  const cr = u32[right * 2];
  const lb = left * 2;
  const rb = right * 2;
  // The right node's slot 0 holds no separator: its first entry is p's separator j + 1.
  f64[right + 1] = f64[p + 2 + j];
  u32[rb + iMinRec] = u32[p * 2 + iMinRec + j + 1];
  if (cl + cr <= innerCap) {
    for (let k = 0; k < cr; k++) {
      const c = u32[rb + iChild + k];
      f64[left + 1 + cl + k] = f64[right + 1 + k];
      u32[lb + iChild + cl + k] = c;
      u32[lb + iCnt + cl + k] = u32[rb + iCnt + k];
      u32[lb + iMinRec + cl + k] = u32[rb + iMinRec + k];
      u32[c * 2 + 1] = left;
    }
    u32[lb] = cl + cr;
    u32[p * 2 + iCnt + j] += u32[p * 2 + iCnt + j + 1];
    innerRemove(a, p, j + 1);
    a.free(right, innerBytes);
    return true;
  }
  const keepLeft = (cl + cr) >>> 1;
  let moved = 0;
  if (cl < keepLeft) {
    const m = keepLeft - cl;
    for (let k = 0; k < m; k++) {
      const c = u32[rb + iChild + k];
      f64[left + 1 + cl + k] = f64[right + 1 + k];
      u32[lb + iChild + cl + k] = c;
      u32[lb + iCnt + cl + k] = u32[rb + iCnt + k];
      u32[lb + iMinRec + cl + k] = u32[rb + iMinRec + k];
      u32[c * 2 + 1] = left;
      moved += u32[rb + iCnt + k];
    }
    for (let k = m; k < cr; k++) {
      f64[right + 1 + k - m] = f64[right + 1 + k];
      u32[rb + iChild + k - m] = u32[rb + iChild + k];
      u32[rb + iCnt + k - m] = u32[rb + iCnt + k];
      u32[rb + iMinRec + k - m] = u32[rb + iMinRec + k];
    }
    u32[p * 2 + iCnt + j] += moved;
    u32[p * 2 + iCnt + j + 1] -= moved;
  } else {
    const m = cl - keepLeft;
    for (let k = cr - 1; k >= 0; k--) {
      f64[right + 1 + k + m] = f64[right + 1 + k];
      u32[rb + iChild + k + m] = u32[rb + iChild + k];
      u32[rb + iCnt + k + m] = u32[rb + iCnt + k];
      u32[rb + iMinRec + k + m] = u32[rb + iMinRec + k];
    }
    for (let k = 0; k < m; k++) {
      const c = u32[lb + iChild + keepLeft + k];
      f64[right + 1 + k] = f64[left + 1 + keepLeft + k];
      u32[rb + iChild + k] = c;
      u32[rb + iCnt + k] = u32[lb + iCnt + keepLeft + k];
      u32[rb + iMinRec + k] = u32[lb + iMinRec + keepLeft + k];
      u32[c * 2 + 1] = right;
      moved += u32[lb + iCnt + keepLeft + k];
    }
    u32[p * 2 + iCnt + j] -= moved;
    u32[p * 2 + iCnt + j + 1] += moved;
  }
  u32[lb] = keepLeft;
  u32[rb] = cl + cr - keepLeft;
  f64[p + 2 + j] = f64[right + 1];
  u32[p * 2 + iMinRec + j + 1] = u32[rb + iMinRec];
  return false;
}


// ---- operations ----------------------------------------------------------------------------------
/**
 * Inserts a member that is not in the set. Returns the new record, or 0 when the arena is full (the
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
  const mlen = end - start;
  let r: number;
  if (u32[d * 2] === 0) {
    const leaf = a.alloc(leafBytes);
    if (leaf === 0) return 0;
    r = a.alloc(recFixedBytes + mlen);
    if (r === 0) {
      a.free(leaf, leafBytes);
      return 0;
    }
    u32.fill(0, leaf * 2, leaf * 2 + 4);
    u32[d * 2] = leaf;
    u32[d * 2 + 1] = leaf;
    u32[d * 2 + 3] = leaf;
    u32[d * 2 + 7] = 0;
    insNode[0] = leaf;
    insIdx[0] = 0;
  } else {
    descend(a, d, score, buf, start, end);
    if (!reserveForInsert(a, d)) return 0;
    r = a.alloc(recFixedBytes + mlen);
    if (r === 0) {
      releaseReserve(a);
      return 0;
    }
  }
  a.f64[r] = score;
  u32[r * 2 + 2] = mlen;
  u32[r * 2 + 3] = 0;
  u32[r * 2 + 4] = 0;
  u32[r * 2 + 5] = memberHash(buf, start, end);
  const off = r * 8 + recFixedBytes;
  const u8 = a.u8;
  for (let i = 0; i < mlen; i++) u8[off + i] = buf[start + i];
  insertAt(a, d, r, score);
  releaseReserve(a);
  if (u32[d * 2 + 4] !== 0) indexPlace(u32, u32[d * 2 + 4] * 2, (1 << u32[d * 2 + 5]) - 1, r);
  return r;
}

/** Removes and frees member n (a compact entry: removes it; later handles shift). */
export function zsDelete(a: Arena, d: number, n: number): void {
  if (n < 0) {
    compactRemove(a, d, n);
    compactShrink(a, d);
    return;
  }
  const u32 = a.u32;
  const leaf = u32[n * 2 + 3];
  pathUp(u32, leaf, leafPos(u32, leaf, n), u32[d * 2 + 7]);
  removeAt(a, d);
  rebalance(a, d);
  indexRemove(a, d, n);
  a.free(n, recFixedBytes + u32[n * 2 + 2]);
}

/**
 * Changes the score of member n: in place when it still sorts between its neighbours, else its entry
 * moves (the record and the index stay). False when the move needs a node and the arena is full (the
 * set is unchanged then); the compact form never fails.
 */
export function zsUpdateScore(a: Arena, d: number, n: number, score: number): boolean {
  if (n < 0) {
    compactUpdateScore(a, d, n, score);
    return true;
  }
  const u32 = a.u32;
  const f64 = a.f64;
  const u8 = a.u8;
  const leaf = u32[n * 2 + 3];
  const pos = leafPos(u32, leaf, n);
  const c = u32[leaf * 2];
  const off = n * 8 + recFixedBytes;
  const end = off + u32[n * 2 + 2];
  let inOrder: boolean;
  if (pos > 0) inOrder = keyBefore(a, f64[leaf + 1 + pos], u32[leaf * 2 + lRec + pos - 1], score, u8, off, end);
  else {
    const prev = u32[leaf * 2 + 2];
    const pc = prev === 0 ? 0 : u32[prev * 2] - 1;
    inOrder = prev === 0 || keyBefore(a, f64[prev + 2 + pc], u32[prev * 2 + lRec + pc], score, u8, off, end);
  }
  if (inOrder) {
    if (pos + 1 < c) inOrder = !keyBefore(a, f64[leaf + 3 + pos], u32[leaf * 2 + lRec + pos + 1], score, u8, off, end);
    else {
      const next = u32[leaf * 2 + 3];
      inOrder = next === 0 || !keyBefore(a, f64[next + 2], u32[next * 2 + lRec], score, u8, off, end);
    }
  }
  if (inOrder) {
    f64[n] = score;
    f64[leaf + 2 + pos] = score;
    if (pos === 0) {
      // The leaf's first entry is a separator somewhere above, unless the leaf is first in every node.
      let x = leaf;
      for (let p = u32[x * 2 + 1]; p !== 0; p = u32[p * 2 + 1]) {
        const i = childIndex(u32, p, x);
        if (i > 0) {
          f64[p + 1 + i] = score;
          break;
        }
        x = p;
      }
    }
    return true;
  }
  const h = u32[d * 2 + 7];
  if (h > 0 && c - 1 < leafMin) {
    // The removal will merge or even out nodes, so the insert's path is known only afterwards:
    // reserve for the worst case (every level splits, and a new root).
    if (!reserve(a, 1, h + 1)) return false;
    pathUp(u32, leaf, pos, h);
    removeAt(a, d);
    rebalance(a, d);
    f64[n] = score;
    descend(a, d, score, u8, off, end);
  } else {
    // The removal changes no node boundaries, so the path found before it stays right (the key
    // moves past a neighbour, so no separator it passes changes), but the leaf may lose a place.
    descend(a, d, score, u8, off, end);
    if (!reserveForInsert(a, d)) return false;
    pathUp(u32, leaf, pos, h);
    removeAt(a, d);
    if (insNode[0] === leaf && insIdx[0] > pos) insIdx[0]--;
    f64[n] = score;
  }
  insertAt(a, d, n, score);
  releaseReserve(a);
  return true;
}

function compactUpdateScore(a: Arena, d: number, n: number, score: number): void {
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
}

/** 0-based rank of member n: its position in the leaf plus the counts left of its path. */
export function zsRank(a: Arena, d: number, n: number): number {
  if (n < 0) {
    let r = 0;
    for (let e = zsFirst(a, d); e !== n; e = nodeNext(a, e)) r++;
    return r;
  }
  const u32 = a.u32;
  let x = u32[n * 2 + 3];
  let rank = leafPos(u32, x, n);
  for (let p = u32[x * 2 + 1]; p !== 0; p = u32[p * 2 + 1]) {
    const base = p * 2 + iChild;
    for (let i = 0; u32[base + i] !== x; i++) {
      assert(i < u32[p * 2], "zset: node missing from its parent");
      rank += u32[p * 2 + iCnt + i];
    }
    x = p;
  }
  return rank;
}

/** Member at 0-based rank r (0 <= r < length). */
export function zsAtRank(a: Arena, d: number, r: number): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    let e = zsFirst(a, d);
    while (r-- > 0) e = nodeNext(a, e);
    return e;
  }
  assert(r >= 0 && r < u32[d * 2 + 2], "zset: rank out of range");
  let x = u32[d * 2];
  for (let l = u32[d * 2 + 7]; l > 0; l--) {
    let i = 0;
    for (;;) {
      const c = u32[x * 2 + iCnt + i];
      if (r < c) break;
      r -= c;
      i++;
    }
    x = u32[x * 2 + iChild + i];
  }
  hintLeaf = x;
  hintPos = r;
  return u32[x * 2 + lRec + r];
}

/** Entry pos of leaf, or the next leaf's first when pos is past its end; 0 past the last. */
function entryFrom(u32: Uint32Array, leaf: number, pos: number): number {
  if (pos >= u32[leaf * 2]) {
    leaf = u32[leaf * 2 + 3];
    if (leaf === 0) return 0;
    pos = 0;
  }
  hintLeaf = leaf;
  hintPos = pos;
  return u32[leaf * 2 + lRec + pos];
}

/** Entry pos - 1 of leaf (the last that qualifies), or 0 when none does. */
function entryBefore(u32: Uint32Array, leaf: number, pos: number): number {
  if (pos === 0) return 0;
  hintLeaf = leaf;
  hintPos = pos - 1;
  return u32[leaf * 2 + lRec + pos - 1];
}

/**
 * The leaf (scoreLeaf) and position in it of the first entry whose score is not below `bound`
 * (below: s < bound, or s <= bound when orEqual): down the last child whose first entry is below
 * (child 0 when none is). Tree form, non-empty.
 */
let scoreLeaf = 0;
function scoreSplit(a: Arena, d: number, bound: number, orEqual: boolean): number {
  const u32 = a.u32;
  const f64 = a.f64;
  let x = u32[d * 2];
  for (let l = u32[d * 2 + 7]; l > 0; l--) {
    let lo = 1;
    let hi = u32[x * 2];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = f64[x + 1 + mid];
      if (orEqual ? s <= bound : s < bound) lo = mid + 1;
      else hi = mid;
    }
    x = u32[x * 2 + iChild + lo - 1];
  }
  let lo = 0;
  let hi = u32[x * 2];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = f64[x + 2 + mid];
    if (orEqual ? s <= bound : s < bound) lo = mid + 1;
    else hi = mid;
  }
  scoreLeaf = x;
  return lo;
}

/** First member with score >= min (> min when minex), or 0. */
export function zsFirstInScore(a: Arena, d: number, min: number, minex: boolean): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    let e = zsFirst(a, d);
    while (e !== 0 && !(minex ? nodeScore(a, e) > min : nodeScore(a, e) >= min)) e = nodeNext(a, e);
    return e;
  }
  if (u32[d * 2] === 0) return 0;
  const pos = scoreSplit(a, d, min, minex);
  return entryFrom(u32, scoreLeaf, pos);
}

/** Last member with score <= max (< max when maxex), or 0. */
export function zsLastInScore(a: Arena, d: number, max: number, maxex: boolean): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    let e = zsTail(a, d);
    while (e !== 0 && !(maxex ? nodeScore(a, e) < max : nodeScore(a, e) <= max)) e = nodePrev(a, e);
    return e;
  }
  if (u32[d * 2] === 0) return 0;
  const pos = scoreSplit(a, d, max, !maxex);
  return entryBefore(u32, scoreLeaf, pos);
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


/** First member inside the lex min bound, or 0 (members assumed to share one score, as Redis). */
export function zsFirstInLex(a: Arena, d: number, min: LexBound): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    let e = zsFirst(a, d);
    while (e !== 0 && !lexAboveMin(a, e, min)) e = nodeNext(a, e);
    return e;
  }
  let x = u32[d * 2];
  if (x === 0) return 0;
  for (let l = u32[d * 2 + 7]; l > 0; l--) {
    let lo = 1;
    let hi = u32[x * 2];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (!lexAboveMin(a, u32[x * 2 + iMinRec + mid], min)) lo = mid + 1;
      else hi = mid;
    }
    x = u32[x * 2 + iChild + lo - 1];
  }
  let lo = 0;
  let hi = u32[x * 2];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (!lexAboveMin(a, u32[x * 2 + lRec + mid], min)) lo = mid + 1;
    else hi = mid;
  }
  return entryFrom(u32, x, lo);
}

/** Last member inside the lex max bound, or 0. */
export function zsLastInLex(a: Arena, d: number, max: LexBound): number {
  const u32 = a.u32;
  if (u32[d * 2 + 6] === 1) {
    let e = zsTail(a, d);
    while (e !== 0 && !lexBelowMax(a, e, max)) e = nodePrev(a, e);
    return e;
  }
  let x = u32[d * 2];
  if (x === 0) return 0;
  for (let l = u32[d * 2 + 7]; l > 0; l--) {
    let lo = 1;
    let hi = u32[x * 2];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lexBelowMax(a, u32[x * 2 + iMinRec + mid], max)) lo = mid + 1;
      else hi = mid;
    }
    x = u32[x * 2 + iChild + lo - 1];
  }
  let lo = 0;
  let hi = u32[x * 2];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lexBelowMax(a, u32[x * 2 + lRec + mid], max)) lo = mid + 1;
    else hi = mid;
  }
  return entryBefore(u32, x, lo);
}

// ---- bottom-up build (clone, conversion, deserialize) --------------------------------------------
// A tree built from sorted input: records appended to evenly filled leaves (buildAppend), then the
// internal levels above them (buildFinish). Everything built is reachable from the descriptor's leaf
// chain or freed on failure, so buildAbort cleans up a partial build.
let bLeaf = 0;
let bFill = 0;
let bLeafIndex = 0;
let bPer = 0;
let bExtra = 0;
// One level's nodes with their subtree counts and first entries (scratch, grown as needed).
let lvNode = new Uint32Array(64);
let lvCount = new Float64Array(64);
let lvScore = new Float64Array(64);
let lvRec = new Uint32Array(64);
/** Internal nodes made by buildFinish so far (freed if it fails; fewer than the leaves). */
let lvBuilt = new Uint32Array(64);

/** Starts a build of count members (index of 2^capLog2 when capLog2 > 0); descriptor or 0. */
function buildStart(a: Arena, count: number, capLog2: number): number {
  const d = zsCreate(a, false);
  if (d === 0) return 0;
  if (capLog2 !== 0 && !indexResize(a, d, capLog2)) {
    a.free(d, descBytes);
    return 0;
  }
  const leaves = Math.ceil(count / leafCap);
  bLeaf = 0;
  bFill = 0;
  bLeafIndex = 0;
  bPer = leaves === 0 ? 0 : Math.floor(count / leaves);
  bExtra = leaves === 0 ? 0 : count % leaves;
  return d;
}

/** Appends the next member (it must sort after the previous one); false when the arena is full. */
function buildAppend(a: Arena, d: number, score: number, src: Uint8Array, off: number, len: number, hash: number): boolean {
  const u32 = a.u32;
  if (bLeaf === 0 || u32[bLeaf * 2] === bFill) {
    const leaf = a.alloc(leafBytes);
    if (leaf === 0) return false;
    u32[leaf * 2] = 0;
    u32[leaf * 2 + 1] = 0;
    u32[leaf * 2 + 2] = bLeaf;
    u32[leaf * 2 + 3] = 0;
    if (bLeaf !== 0) u32[bLeaf * 2 + 3] = leaf;
    else u32[d * 2 + 1] = leaf;
    u32[d * 2 + 3] = leaf;
    bLeaf = leaf;
    bFill = bPer + (bLeafIndex < bExtra ? 1 : 0);
    bLeafIndex++;
  }
  const r = a.alloc(recFixedBytes + len);
  if (r === 0) return false;
  const f64 = a.f64;
  f64[r] = score;
  u32[r * 2 + 2] = len;
  u32[r * 2 + 3] = bLeaf;
  u32[r * 2 + 4] = 0;
  u32[r * 2 + 5] = hash;
  const moff = r * 8 + recFixedBytes;
  copyRange(src, off, a.u8, moff, len);
  const c = u32[bLeaf * 2];
  let prevLeaf = bLeaf;
  let pc = c - 1;
  if (c === 0) {
    prevLeaf = u32[bLeaf * 2 + 2];
    pc = prevLeaf === 0 ? 0 : u32[prevLeaf * 2] - 1;
  }
  if (prevLeaf !== 0) {
    const before = keyBefore(a, f64[prevLeaf + 2 + pc], u32[prevLeaf * 2 + lRec + pc], score, a.u8, moff, moff + len);
    if (!before) a.free(r, recFixedBytes + len);
    assert(before, "zset bytes: entries out of order");
  }
  f64[bLeaf + 2 + c] = score;
  u32[bLeaf * 2 + lRec + c] = r;
  u32[bLeaf * 2] = c + 1;
  u32[d * 2 + 2]++;
  if (u32[d * 2 + 4] !== 0) indexPlace(u32, u32[d * 2 + 4] * 2, (1 << u32[d * 2 + 5]) - 1, r);
  return true;
}

/** Builds the internal levels over the leaf chain; false when the arena is full (none stay then). */
function buildFinish(a: Arena, d: number): boolean {
  const u32 = a.u32;
  const f64 = a.f64;
  let n = 0;
  for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
    if (n === lvNode.length) growLevel(n * 2);
    lvNode[n] = leaf;
    lvCount[n] = u32[leaf * 2];
    lvScore[n] = f64[leaf + 2];
    lvRec[n] = u32[leaf * 2 + lRec];
    n++;
  }
  u32[d * 2] = n === 0 ? 0 : lvNode[0];
  u32[d * 2 + 7] = 0;
  let h = 0;
  let built = 0;
  // Each level's nodes are written over the level below's scratch entries (group g <= its first child).
  while (n > 1) {
    const groups = Math.ceil(n / innerCap);
    const per = Math.floor(n / groups);
    const extra = n % groups;
    let k = 0;
    for (let g = 0; g < groups; g++) {
      const m = per + (g < extra ? 1 : 0);
      const x = a.alloc(innerBytes);
      if (x === 0) {
        for (let i = 0; i < built; i++) a.free(lvBuilt[i], innerBytes);
        u32[d * 2] = 0;
        return false;
      }
      lvBuilt[built++] = x;
      let total = 0;
      for (let i = 0; i < m; i++, k++) {
        const c = lvNode[k];
        u32[x * 2 + iChild + i] = c;
        u32[x * 2 + iCnt + i] = lvCount[k];
        f64[x + 1 + i] = lvScore[k];
        u32[x * 2 + iMinRec + i] = lvRec[k];
        u32[c * 2 + 1] = x;
        total += lvCount[k];
      }
      u32[x * 2] = m;
      u32[x * 2 + 1] = 0;
      const first = k - m;
      lvScore[g] = lvScore[first];
      lvRec[g] = lvRec[first];
      lvNode[g] = x;
      lvCount[g] = total;
    }
    n = groups;
    h++;
  }
  if (h > 0) {
    u32[d * 2] = lvNode[0];
    u32[d * 2 + 7] = h;
  }
  return true;
}

function growLevel(size: number): void {
  const node = new Uint32Array(size);
  node.set(lvNode);
  lvNode = node;
  const count = new Float64Array(size);
  count.set(lvCount);
  lvCount = count;
  const score = new Float64Array(size);
  score.set(lvScore);
  lvScore = score;
  const rec = new Uint32Array(size);
  rec.set(lvRec);
  lvRec = rec;
  const built = new Uint32Array(size);
  built.set(lvBuilt);
  lvBuilt = built;
}

/** Frees a partial build: records, leaves, index, descriptor (internal levels are freed already). */
function buildAbort(a: Arena, d: number): void {
  const u32 = a.u32;
  u32[d * 2] = 0;
  u32[d * 2 + 7] = 0;
  zsFree(a, d);
}

// ---- clone ---------------------------------------------------------------------------------------
/**
 * Copies the set at (src, d) into dst; returns the new descriptor or 0 when dst is full (nothing is
 * left allocated then). src and dst may be the same arena (COPY within a shard).
 */
export function zsClone(src: Arena, d: number, dst: Arena): number {
  const su32 = src.u32;
  if (su32[d * 2 + 6] === 1) {
    const cap = su32[d * 2 + 3];
    const nd = dst.alloc(descBytes);
    if (nd === 0) return 0;
    const b = dst.alloc(cap);
    if (b === 0) {
      dst.free(nd, descBytes);
      return 0;
    }
    copyRange(src.u8, su32[d * 2] * 8, dst.u8, b * 8, su32[d * 2 + 1]);
    const u32 = dst.u32;
    u32.fill(0, nd * 2, nd * 2 + 8);
    u32[nd * 2] = b;
    u32[nd * 2 + 1] = src.u32[d * 2 + 1];
    u32[nd * 2 + 2] = src.u32[d * 2 + 2];
    u32[nd * 2 + 3] = cap;
    u32[nd * 2 + 6] = 1;
    return nd;
  }
  const nd = buildStart(dst, su32[d * 2 + 2], su32[d * 2 + 4] === 0 ? 0 : su32[d * 2 + 5]);
  if (nd === 0) return 0;
  for (let leaf = su32[d * 2 + 1]; leaf !== 0; leaf = src.u32[leaf * 2 + 3]) {
    const c = src.u32[leaf * 2];
    for (let i = 0; i < c; i++) {
      const r = src.u32[leaf * 2 + lRec + i];
      // The hash is the member's: copied, not recomputed.
      if (!buildAppend(dst, nd, src.f64[r], src.u8, r * 8 + recFixedBytes, src.u32[r * 2 + 2], src.u32[r * 2 + 5])) {
        buildAbort(dst, nd);
        return 0;
      }
    }
  }
  if (!buildFinish(dst, nd)) {
    buildAbort(dst, nd);
    return 0;
  }
  return nd;
}

// ---- invariant check (tests) ---------------------------------------------------------------------
/** Checks every invariant (tests): order, counts, separators, links, back-pointers, index. */
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
  const h = u32[d * 2 + 7];
  const root = u32[d * 2];
  if (root === 0) {
    assert(length === 0 && h === 0 && u32[d * 2 + 1] === 0 && u32[d * 2 + 3] === 0, "zset check: empty tree");
  } else {
    assert(u32[root * 2 + 1] === 0, "zset check: root parent");
    if (h > 0) assert(u32[root * 2] >= 2, "zset check: root with one child");
    else assert(root === u32[d * 2 + 1] && root === u32[d * 2 + 3], "zset check: leaf root");
    checkInner(a, d);
    checkLeaves(a, d);
  }
  if (u32[d * 2 + 4] === 0) {
    assert(length <= indexFromLength, "zset check: a large set without index");
    return;
  }
  let inIndex = 0;
  const cap = 1 << u32[d * 2 + 5];
  for (let i = 0; i < cap; i++) if (u32[u32[d * 2 + 4] * 2 + i] !== 0) inIndex++;
  assert(inIndex === length, "zset check: index count");
}

/** First leaf under node x at level l. */
function firstLeafUnder(u32: Uint32Array, x: number, l: number): number {
  for (; l > 0; l--) x = u32[x * 2 + iChild];
  return x;
}
function lastLeafUnder(u32: Uint32Array, x: number, l: number): number {
  for (; l > 0; l--) x = u32[x * 2 + iChild + u32[x * 2] - 1];
  return x;
}

function checkInner(a: Arena, d: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const root = u32[d * 2];
  const last = u32[d * 2 + 3];
  let expectLeaf = u32[d * 2 + 1];
  let total = -1;
  innerWalkStart(u32, d);
  for (let x = innerWalkNext(u32); x !== 0; x = innerWalkNext(u32)) {
    const l = walkLevel - 1;
    const c = u32[x * 2];
    const isLast = lastLeafUnder(u32, x, l) === last;
    assert(c <= innerCap && c >= 1, "zset check: internal count");
    if (x !== root) assert(isLast ? c >= 2 : c >= innerMin, "zset check: internal node underfull");
    let sum = 0;
    for (let i = 0; i < c; i++) {
      const child = u32[x * 2 + iChild + i];
      assert(u32[child * 2 + 1] === x, "zset check: parent pointer");
      let size = 0;
      if (l === 1) {
        size = u32[child * 2];
        assert(child === expectLeaf, "zset check: leaf chain differs from the tree's order");
        expectLeaf = u32[child * 2 + 3];
      } else {
        for (let k = 0; k < u32[child * 2]; k++) size += u32[child * 2 + iCnt + k];
      }
      assert(u32[x * 2 + iCnt + i] === size, "zset check: subtree count");
      if (i > 0) {
        const fl = firstLeafUnder(u32, child, l - 1);
        assert(u32[x * 2 + iMinRec + i] === u32[fl * 2 + lRec] && Object.is(f64[x + 1 + i], f64[fl + 2]), "zset check: separator");
      }
      sum += size;
    }
    if (x === root) total = sum;
  }
  if (u32[d * 2 + 7] > 0) {
    assert(expectLeaf === 0, "zset check: leaves outside the tree");
    assert(total === u32[d * 2 + 2], "zset check: root count");
  }
}

function checkLeaves(a: Arena, d: number): void {
  const u32 = a.u32;
  const f64 = a.f64;
  const root = u32[d * 2];
  let count = 0;
  let prevLeaf = 0;
  let prev = 0;
  for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
    const c = u32[leaf * 2];
    assert(u32[leaf * 2 + 2] === prevLeaf, "zset check: leaf prev link");
    assert(c <= leafCap && c >= 1, "zset check: leaf count");
    if (leaf !== root && u32[leaf * 2 + 3] !== 0) assert(c >= leafMin, "zset check: leaf underfull");
    for (let i = 0; i < c; i++) {
      const n = u32[leaf * 2 + lRec + i];
      assert(u32[n * 2 + 3] === leaf, "zset check: record's leaf");
      assert(u32[n * 2 + 4] === 0, "zset check: record's spare word");
      assert(Object.is(f64[leaf + 2 + i], f64[n]), "zset check: leaf score copy");
      const off = n * 8 + recFixedBytes;
      const m = a.u8.slice(off, off + u32[n * 2 + 2]);
      if (prev !== 0) assert(keyBefore(a, f64[prev], prev, f64[n], a.u8, off, off + m.length), "zset check: order");
      assert(u32[n * 2 + 5] === memberHash(m, 0, m.length), "zset check: member hash");
      assert(zsFind(a, d, m, 0, m.length) === n, "zset check: index");
      assert(zsRank(a, d, n) === count, "zset check: rank");
      prev = n;
      count++;
    }
    prevLeaf = leaf;
  }
  assert(u32[d * 2 + 3] === prevLeaf, "zset check: last leaf");
  assert(count === u32[d * 2 + 2], "zset check: length");
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
 * Turns a compact set into the tree form in place (the descriptor address stays). False when the
 * arena is full (the set is unchanged then).
 */
export function zsConvert(a: Arena, d: number): boolean {
  if (a.u32[d * 2 + 6] !== 1) return true;
  const count = a.u32[d * 2 + 2];
  const tree = buildStart(a, count, count > indexFromLength ? indexCapLog2For(count) : 0);
  if (tree === 0) return false;
  for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
    const off = nodeMemberOff(a, n);
    const len = nodeMemberLen(a, n);
    if (!buildAppend(a, tree, nodeScore(a, n), a.u8, off, len, memberHashShared(a.u8, off, off + len))) {
      buildAbort(a, tree);
      return false;
    }
  }
  if (!buildFinish(a, tree)) {
    buildAbort(a, tree);
    return false;
  }
  const u32 = a.u32;
  a.free(u32[d * 2], u32[d * 2 + 3]);
  u32.copyWithin(d * 2, tree * 2, tree * 2 + 8);
  a.free(tree, descBytes);
  return true;
}

// ---- self-contained bytes (shard log, snapshots) -------------------------------------------------
export const zsSerialVersion = 1;
const serialHeaderBytes = 3;
const formTree = 0;
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
    for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
      const c = u32[leaf * 2];
      for (let i = 0; i < c; i++) {
        const n = u32[leaf * 2 + lRec + i];
        const mlen = u32[n * 2 + 2];
        const k = scoreKind(a.f64[n]);
        size += varintBytes(mlen * 4 + k) + mlen + kindBytes[k];
      }
    }
  }
  const out = new Uint8Array(size);
  out[0] = zsSerialVersion;
  out[1] = compact ? formCompact : formTree;
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
      copyRange(u8, e + 3, out, at, body);
      at += body;
      written++;
    }
  } else {
    for (let leaf = u32[d * 2 + 1]; leaf !== 0; leaf = u32[leaf * 2 + 3]) {
      const c = u32[leaf * 2];
      for (let i = 0; i < c; i++) {
        const n = u32[leaf * 2 + lRec + i];
        const mlen = u32[n * 2 + 2];
        const score = a.f64[n];
        const k = scoreKind(score);
        at = writeVarint(out, at, mlen * 4 + k);
        copyRange(u8, n * 8 + recFixedBytes, out, at, mlen);
        at += mlen;
        writeScore(out, at, k, score);
        at += kindBytes[k];
        written++;
      }
    }
  }
  assert(at === size && written === count, "zset serialize: size or length mismatch");
  return out;
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
  assert(form === formTree, "zset bytes: unknown form");
  let capLog2 = bytes[2];
  // No index below the linear-walk limit unless the set had one; never one above 3/4 load.
  if (capLog2 !== 0 || count > indexFromLength) capLog2 = Math.max(capLog2, indexCapLog2For(count));
  assert(capLog2 <= indexCapLog2Max, "zset bytes: index too large");
  return treeFromBytes(a, bytes, varintEnd, count, capLog2);
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
    copyRange(bytes, p, u8, at + 3, body);
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

/** Most bytes `a` could still hand out: its unused reservation plus its free lists (an upper bound). */
function arenaRoomBytes(a: Arena): number {
  const sab = a.sab;
  const limit = Math.min(arenaBytesMax, sab.growable ? sab.maxByteLength : sab.byteLength);
  return limit - a.topBytes + a.freeListBytes;
}

/** Builds the tree bottom-up from the records (O(n): no searches), and its index when capLog2 is set. */
function treeFromBytes(a: Arena, bytes: Uint8Array, start: number, count: number, capLog2: number): number {
  // Every record takes at least one byte, so a count beyond the bytes is a bad record, not a big build.
  assert(count <= bytes.length, "zset bytes: count beyond the record");
  // A set that cannot fit fails before it allocates: a doomed build would leave the arena's free
  // space cut into its record and leaf classes (blocks are never coalesced).
  let need = descBytes + (capLog2 !== 0 ? classBytes(4 << capLog2) : 0) + Math.ceil(count / leafCap) * classBytes(leafBytes);
  for (let r = 0, q = start; r < count && q < bytes.length; r++) {
    const hv = readVarint(bytes, q);
    need += classBytes(recFixedBytes + (hv >>> 2));
    q = varintEnd + (hv >>> 2) + kindBytes[hv & 3];
  }
  if (need > arenaRoomBytes(a)) return 0;
  const d = buildStart(a, count, capLog2);
  if (d === 0) return 0;
  let p = start;
  // A payload viewed in shared memory (a log ring) hashes through a copy (memberHashShared).
  const sharedBytes = bytes.buffer instanceof SharedArrayBuffer;
  for (let r = 0; r < count; r++) {
    const hv = readVarint(bytes, p);
    p = varintEnd;
    const mlen = hv >>> 2;
    const k = hv & 3;
    assert(p + mlen + kindBytes[k] <= bytes.length, "zset bytes: truncated entry");
    const score = scoreAt(bytes, p + mlen, k);
    const hash = sharedBytes ? memberHashShared(bytes, p, p + mlen) : memberHash(bytes, p, p + mlen);
    if (!buildAppend(a, d, score, bytes, p, mlen, hash)) {
      buildAbort(a, d);
      return 0;
    }
    p += mlen + kindBytes[k];
  }
  assert(p === bytes.length, "zset bytes: length mismatch");
  if (!buildFinish(a, d)) {
    buildAbort(a, d);
    return 0;
  }
  return d;
}
