// Lists in the shard arena: a compact inline form for small lists and a chunked deque for big ones.
// OBJECT ENCODING says "quicklist" for both, as Redis 7.0 does for every list.
//
// Entry encoding (both forms): [len header][bytes][len trailer]. The header is read forwards, the
// trailer backwards, so a walk can go either way (as listpack's backlen):
//   len < 2^7: 1 byte (len) | len < 2^14: 2 bytes (0x80|len>>8, len&0xff) | else 5 bytes (0xC0, u32le)
// and the trailer is the same bytes mirrored (its last byte carries the size class).
//
// Value block of the key (unaligned, read byte by byte):
//   inline  (kind 0): [u8 0][u32 count][entries...]                  while entries <= inlineBytesMax
//   chunked (kind 1): [u8 1][u32 count][u32 head][u32 tail][u32 nodes]
// A node is an arena block (8-byte aligned, u32 words): [prev][next][count][start][end][alloc], then
// data; entries occupy bytes [start, end) of the block, with free room on either side, so a push at
// either end of a node usually writes without moving anything (O(1) LPUSH/RPUSH/LPOP/RPOP). A node
// holds at most list-max-listpack-size (entries when > 0, else 4/8/16/32/64 KiB of block) unless one
// entry alone is bigger. Every byte-range change in a "segment" (the inline entries or one node's
// entries) goes through segResize, the one primitive under push, pop, LSET, LINSERT, LREM and LTRIM.
//
// Invariants: count is the number of entries (sum of node counts); no node is empty; head.prev and
// tail.next are 0; a chunked list with one small node turns back into the inline form.
// Addresses are stable across allocations (the arena grows in place); table slots stay valid (no
// insert/remove happens here), the block offset does not (resizeValue): re-read valueOffset.

import { Arena, classBytes } from "../keyspace/arena.ts";
import type { Table } from "../keyspace/table.ts";
import { ObjType } from "../keyspace/table.ts";
import { registerTypeOps } from "./registry.ts";
import { assert } from "../assert.ts";

const kindInline = 0;
const kindChunked = 1;
export const inlineHdr = 5;
const chunkedHdr = 17;
/** Entries bytes kept inline before the list becomes chunked (and half of it to come back). */
export const inlineBytesMax = 512;

const nodeHdr = 24;
const NPREV = 0;
const NNEXT = 1;
const NCOUNT = 2;
const NSTART = 3;
const NEND = 4;
const NALLOC = 5;
const nodeAllocMin = 128;
/** Pop's fast path assumes an entry of at most this many bytes when it rules out a shrink. */
const entryMaxGuess = 64;

/** Node limits from list-max-listpack-size (set per command by the command layer). */
export const listLimits = { fill: -2, nodeDataBytes: 8192 - nodeHdr, nodeCount: 0xffffffff };

export function setListFill(fill: number): void {
  if (fill === listLimits.fill) return;
  listLimits.fill = fill;
  if (fill < 0) {
    const level = Math.min(5, -fill);
    listLimits.nodeDataBytes = (4096 << (level - 1)) - nodeHdr;
    listLimits.nodeCount = 0xffffffff;
  } else {
    listLimits.nodeDataBytes = 8192 - nodeHdr;
    listLimits.nodeCount = Math.max(1, fill);
  }
}

// ---- unaligned u32 --------------------------------------------------------------------------------
function rd32(u8: Uint8Array, p: number): number {
  return (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0;
}
function wr32(u8: Uint8Array, p: number, v: number): void {
  u8[p] = v & 0xff;
  u8[p + 1] = (v >>> 8) & 0xff;
  u8[p + 2] = (v >>> 16) & 0xff;
  u8[p + 3] = (v >>> 24) & 0xff;
}

// ---- entries ----------------------------------------------------------------------------------------
function lenBytes(len: number): number {
  return len < 0x80 ? 1 : len < 0x4000 ? 2 : 5;
}
/** Bytes an entry of `len` data bytes takes. */
export function entryBytes(len: number): number {
  return 2 * lenBytes(len) + len;
}

/** The element last read: its data is arena.u8[eOff, eOff + eLen), the whole entry eSize bytes. */
export const el = { off: 0, len: 0, size: 0 };

/** Reads the entry starting at p. */
function readFwd(u8: Uint8Array, p: number): void {
  const b = u8[p];
  let len: number;
  let h: number;
  if (b < 0x80) {
    len = b;
    h = 1;
  } else if (b < 0xc0) {
    len = ((b & 0x3f) << 8) | u8[p + 1];
    h = 2;
  } else {
    len = rd32(u8, p + 1);
    h = 5;
  }
  el.off = p + h;
  el.len = len;
  el.size = 2 * h + len;
}

/** Reads the entry ending at e (exclusive). */
function readBack(u8: Uint8Array, e: number): void {
  const b = u8[e - 1];
  let len: number;
  let h: number;
  if (b < 0x80) {
    len = b;
    h = 1;
  } else if (b < 0xc0) {
    len = ((b & 0x3f) << 8) | u8[e - 2];
    h = 2;
  } else {
    len = rd32(u8, e - 5);
    h = 5;
  }
  el.off = e - h - len;
  el.len = len;
  el.size = 2 * h + len;
}

/** Writes an entry at p from src[so, so + len) (src may be the same buffer only if not overlapping). */
function writeEntry(u8: Uint8Array, p: number, src: Uint8Array, so: number, len: number): void {
  if (len < 0x80) {
    u8[p++] = len;
  } else if (len < 0x4000) {
    u8[p++] = 0x80 | (len >> 8);
    u8[p++] = len & 0xff;
  } else {
    u8[p++] = 0xc0;
    wr32(u8, p, len);
    p += 4;
  }
  if (len <= 32) {
    for (let i = 0; i < len; i++) u8[p + i] = src[so + i];
  } else u8.set(src.subarray(so, so + len), p);
  p += len;
  if (len < 0x80) {
    u8[p] = len;
  } else if (len < 0x4000) {
    u8[p] = len & 0xff;
    u8[p + 1] = 0x80 | (len >> 8);
  } else {
    wr32(u8, p, len);
    u8[p + 4] = 0xc0;
  }
}

// ---- header -----------------------------------------------------------------------------------------
/** True when the list's elements live in arena nodes (a large list), not inline in its block. */
export function listIsChunked(t: Table, slot: number): boolean {
  return t.arena.u8[t.valueOffset(slot)] === kindChunked;
}
export function listLength(t: Table, slot: number): number {
  return rd32(t.arena.u8, t.valueOffset(slot) + 1);
}
function setCount(t: Table, slot: number, n: number): void {
  wr32(t.arena.u8, t.valueOffset(slot) + 1, n);
}
function isInline(t: Table, slot: number): boolean {
  return t.arena.u8[t.valueOffset(slot)] === kindInline;
}
function headNode(t: Table, slot: number): number {
  return rd32(t.arena.u8, t.valueOffset(slot) + 5);
}
function tailNode(t: Table, slot: number): number {
  return rd32(t.arena.u8, t.valueOffset(slot) + 9);
}
function setHead(t: Table, slot: number, n: number): void {
  wr32(t.arena.u8, t.valueOffset(slot) + 5, n);
}
function setTail(t: Table, slot: number, n: number): void {
  wr32(t.arena.u8, t.valueOffset(slot) + 9, n);
}
function addNodes(t: Table, slot: number, d: number): void {
  const p = t.valueOffset(slot) + 13;
  wr32(t.arena.u8, p, rd32(t.arena.u8, p) + d);
}
function nodeTotal(t: Table, slot: number): number {
  return rd32(t.arena.u8, t.valueOffset(slot) + 13);
}

/** Value bytes of a new empty list (write with initEmpty after insert). */
export const emptyListBytes = inlineHdr;
export function initEmpty(t: Table, slot: number): void {
  const v = t.valueOffset(slot);
  t.arena.u8[v] = kindInline;
  wr32(t.arena.u8, v + 1, 0);
}

// ---- segments ---------------------------------------------------------------------------------------
// A segment is the inline entries (node id 0) or one node's entries.

/** Absolute start/end of a segment's entries. */
function segStart(t: Table, slot: number, n: number): number {
  if (n === 0) return t.valueOffset(slot) + inlineHdr;
  return n * 8 + t.arena.u32[n * 2 + NSTART];
}
function segEnd(t: Table, slot: number, n: number): number {
  if (n === 0) return t.valueOffset(slot) + t.valueLen(slot);
  return n * 8 + t.arena.u32[n * 2 + NEND];
}

let scratch = new Uint8Array(16 * 1024);
function scratchFor(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/**
 * Replaces bytes [rel, rel + oldSize) of segment n's entries with a hole of newSize bytes; returns
 * the hole's absolute offset, or -1 when out of memory (nothing changed). The caller fixes counts.
 */
function segResize(t: Table, slot: number, n: number, rel: number, oldSize: number, newSize: number): number {
  const d = newSize - oldSize;
  const arena = t.arena;
  if (n === 0) {
    const vlen = t.valueLen(slot);
    if (d > 0) {
      if (!t.resizeValue(slot, vlen + d, vlen)) return -1;
      const v = t.valueOffset(slot);
      const p = v + inlineHdr + rel;
      arena.u8.copyWithin(p + newSize, p + oldSize, v + vlen);
      return p;
    }
    const v = t.valueOffset(slot);
    const p = v + inlineHdr + rel;
    if (d < 0) {
      arena.u8.copyWithin(p + newSize, p + oldSize, v + vlen);
      t.resizeValue(slot, vlen + d, vlen + d); // shrinking never fails
      return t.valueOffset(slot) + inlineHdr + rel;
    }
    return p;
  }
  const u32 = arena.u32;
  const u8 = arena.u8;
  const w = n * 2;
  const base = n * 8;
  const start = u32[w + NSTART];
  const end = u32[w + NEND];
  const cap = u32[w + NALLOC];
  const used = end - start;
  if (d <= 0) {
    if (rel === 0 && oldSize > 0 && newSize === 0) {
      u32[w + NSTART] = start + oldSize; // drop at the front: no move
    } else {
      u8.copyWithin(base + start + rel + newSize, base + start + rel + oldSize, base + end);
      u32[w + NEND] = end + d;
    }
    const newUsed = used + d;
    if (cap > 512 && newUsed > 0 && (newUsed + nodeHdr) * 4 < cap) {
      const rs = u32[w + NSTART];
      const m = nodeRealloc(t, slot, n, classBytes(nodeHdr + newUsed * 2), (newUsed + 1) >> 1);
      if (m !== 0) return m * 8 + u32[m * 2 + NSTART] + rel;
      return base + rs + rel;
    }
    return base + u32[w + NSTART] + rel;
  }
  // Open the hole by moving the smaller side into the room next to it. When that side has no
  // room, lay the node out anew below rather than move the bigger side: a run of head (tail)
  // pushes then finds most free room in front (behind) and moves nothing for a while.
  if (start - nodeHdr >= d && rel * 2 <= used) {
    u8.copyWithin(base + start - d, base + start, base + start + rel);
    u32[w + NSTART] = start - d;
    return base + start - d + rel;
  }
  if (cap - end >= d && rel * 2 >= used) {
    u8.copyWithin(base + start + rel + newSize, base + start + rel + oldSize, base + end);
    u32[w + NEND] = end + d;
    return base + start + rel;
  }
  // Not enough room on either side: lay the node out anew (in place when it has room, else in a
  // bigger block), the free room mostly on the side being written.
  const newUsed = used + d;
  let newCap = cap;
  if (nodeHdr + newUsed > cap) {
    const limit = listLimits.nodeDataBytes + nodeHdr;
    newCap = classBytes(Math.max(nodeHdr + newUsed, Math.min(limit, Math.max(cap * 2, nodeAllocMin))));
  }
  const free = newCap - nodeHdr - newUsed;
  const front = rel === 0 ? free - (free >> 2) : rel === used ? free >> 2 : free >> 1;
  if (newCap === cap) {
    const tmp = scratchFor(used);
    tmp.set(u8.subarray(base + start, base + end), 0);
    const ns = nodeHdr + front;
    u8.set(tmp.subarray(0, rel), base + ns);
    u8.set(tmp.subarray(rel + oldSize, used), base + ns + rel + newSize);
    u32[w + NSTART] = ns;
    u32[w + NEND] = ns + newUsed;
    return base + ns + rel;
  }
  const m = arena.alloc(newCap);
  if (m === 0) return -1;
  const mb = m * 8;
  const ns = nodeHdr + front;
  u8.copyWithin(mb + ns, base + start, base + start + rel);
  u8.copyWithin(mb + ns + rel + newSize, base + start + rel + oldSize, base + end);
  u32[m * 2 + NPREV] = u32[w + NPREV];
  u32[m * 2 + NNEXT] = u32[w + NNEXT];
  u32[m * 2 + NCOUNT] = u32[w + NCOUNT];
  u32[m * 2 + NSTART] = ns;
  u32[m * 2 + NEND] = ns + newUsed;
  u32[m * 2 + NALLOC] = newCap;
  relink(t, slot, n, m);
  arena.free(n, cap);
  return mb + ns + rel;
}

/** Node n moved to m: point its neighbours (or the list header) at m. */
function relink(t: Table, slot: number, n: number, m: number): void {
  const u32 = t.arena.u32;
  const prev = u32[m * 2 + NPREV];
  const next = u32[m * 2 + NNEXT];
  if (prev !== 0) u32[prev * 2 + NNEXT] = m;
  else setHead(t, slot, m);
  if (next !== 0) u32[next * 2 + NPREV] = m;
  else setTail(t, slot, m);
  if (iter.node === n) iter.node = m;
}

/** Moves node n's entries into a new block of newCap bytes with `front` free bytes before them. */
function nodeRealloc(t: Table, slot: number, n: number, newCap: number, front: number): number {
  const arena = t.arena;
  const u32 = arena.u32;
  const m = arena.alloc(newCap);
  if (m === 0) return 0;
  const w = n * 2;
  const start = u32[w + NSTART];
  const end = u32[w + NEND];
  const used = end - start;
  const room = newCap - nodeHdr - used;
  const ns = nodeHdr + Math.min(front, room);
  arena.u8.copyWithin(m * 8 + ns, n * 8 + start, n * 8 + end);
  u32[m * 2 + NPREV] = u32[w + NPREV];
  u32[m * 2 + NNEXT] = u32[w + NNEXT];
  u32[m * 2 + NCOUNT] = u32[w + NCOUNT];
  u32[m * 2 + NSTART] = ns;
  u32[m * 2 + NEND] = ns + used;
  u32[m * 2 + NALLOC] = newCap;
  relink(t, slot, n, m);
  arena.free(n, u32[w + NALLOC]);
  return m;
}

/** A new node holding room for `bytes` entry bytes, linked after `prev` (0 = as head). 0 on OOM. */
function newNode(t: Table, slot: number, prev: number, bytes: number, atFront: boolean): number {
  const arena = t.arena;
  const cap = classBytes(nodeHdr + Math.max(bytes, Math.min(nodeAllocMin - nodeHdr, listLimits.nodeDataBytes)));
  const m = arena.alloc(cap);
  if (m === 0) return 0;
  const u32 = arena.u32;
  const next = prev !== 0 ? u32[prev * 2 + NNEXT] : headNode(t, slot);
  const ns = atFront ? cap - bytes : nodeHdr;
  u32[m * 2 + NPREV] = prev;
  u32[m * 2 + NNEXT] = next;
  u32[m * 2 + NCOUNT] = 0;
  u32[m * 2 + NSTART] = ns;
  u32[m * 2 + NEND] = ns + bytes;
  u32[m * 2 + NALLOC] = cap;
  if (prev !== 0) u32[prev * 2 + NNEXT] = m;
  else setHead(t, slot, m);
  if (next !== 0) u32[next * 2 + NPREV] = m;
  else setTail(t, slot, m);
  addNodes(t, slot, 1);
  return m;
}

/** Unlinks and frees an empty node. */
function dropNode(t: Table, slot: number, n: number): void {
  const arena = t.arena;
  const u32 = arena.u32;
  const prev = u32[n * 2 + NPREV];
  const next = u32[n * 2 + NNEXT];
  if (prev !== 0) u32[prev * 2 + NNEXT] = next;
  else setHead(t, slot, next);
  if (next !== 0) u32[next * 2 + NPREV] = prev;
  else setTail(t, slot, prev);
  addNodes(t, slot, -1);
  arena.free(n, u32[n * 2 + NALLOC]);
}

function nodeAllows(u32: Uint32Array, n: number, size: number): boolean {
  if (u32[n * 2 + NCOUNT] === 0) return true;
  return u32[n * 2 + NCOUNT] < listLimits.nodeCount && u32[n * 2 + NEND] - u32[n * 2 + NSTART] + size <= listLimits.nodeDataBytes;
}

/** Inline -> chunked (one node with every entry). False on OOM (nothing changed). */
function toChunked(t: Table, slot: number, extra: number): boolean {
  const arena = t.arena;
  const v = t.valueOffset(slot);
  const used = t.valueLen(slot) - inlineHdr;
  const count = rd32(arena.u8, v + 1);
  const cap = classBytes(nodeHdr + Math.max(used + extra, Math.min(used * 2, listLimits.nodeDataBytes)));
  const m = arena.alloc(cap);
  if (m === 0) return false;
  const u32 = arena.u32;
  u32[m * 2 + NPREV] = 0;
  u32[m * 2 + NNEXT] = 0;
  u32[m * 2 + NCOUNT] = count;
  const room = cap - nodeHdr - used;
  const ns = nodeHdr + (room >> 1);
  u32[m * 2 + NSTART] = ns;
  u32[m * 2 + NEND] = ns + used;
  u32[m * 2 + NALLOC] = cap;
  arena.u8.copyWithin(m * 8 + ns, v + inlineHdr, v + inlineHdr + used);
  if (!t.resizeValue(slot, chunkedHdr, inlineHdr)) {
    arena.free(m, cap);
    return false;
  }
  const nv = t.valueOffset(slot);
  const u8 = arena.u8;
  u8[nv] = kindChunked;
  wr32(u8, nv + 1, count);
  wr32(u8, nv + 5, m);
  wr32(u8, nv + 9, m);
  wr32(u8, nv + 13, 1);
  if (iter.node === 0 && iter.slot === slot) iter.node = m;
  return true;
}

/** Chunked with one small node -> inline. Skipped (harmlessly) when memory is short. */
function maybeInline(t: Table, slot: number): void {
  if (isInline(t, slot)) return;
  if (nodeTotal(t, slot) === 0) {
    t.resizeValue(slot, inlineHdr, 1); // shrinking never fails
    initEmpty(t, slot);
    iter.node = 0;
    iter.rel = 0;
    return;
  }
  if (nodeTotal(t, slot) !== 1) return;
  const n = headNode(t, slot);
  const u32 = t.arena.u32;
  const used = u32[n * 2 + NEND] - u32[n * 2 + NSTART];
  if (used > inlineBytesMax >> 1) return;
  const count = u32[n * 2 + NCOUNT];
  if (!t.resizeValue(slot, inlineHdr + used, 1)) return;
  const v = t.valueOffset(slot);
  const u8 = t.arena.u8;
  u8[v] = kindInline;
  wr32(u8, v + 1, count);
  u8.copyWithin(v + inlineHdr, n * 8 + u32[n * 2 + NSTART], n * 8 + u32[n * 2 + NEND]);
  t.arena.free(n, u32[n * 2 + NALLOC]);
  if (iter.node === n) iter.node = 0;
}

/** Makes room for `extra` more entry bytes in the inline form, or turns the list chunked. */
function ensureForm(t: Table, slot: number, extra: number): boolean {
  if (!isInline(t, slot)) return true;
  if (t.valueLen(slot) - inlineHdr + extra <= inlineBytesMax) return true;
  return toChunked(t, slot, extra);
}

// ---- push / pop -------------------------------------------------------------------------------------

/** Pushes src[so, so+len) at the head or tail. False on OOM (list unchanged). */
export function listPushRange(t: Table, slot: number, head: boolean, src: Uint8Array, so: number, len: number): boolean {
  const size = entryBytes(len);
  // Fast path: a chunked list whose end node has room on that side (no move, no allocation).
  const arena = t.arena;
  const u8 = arena.u8;
  const v = t.valueOffset(slot);
  if (u8[v] === kindChunked) {
    const n = head ? rd32(u8, v + 5) : rd32(u8, v + 9);
    const u32 = arena.u32;
    const w = n * 2;
    const start = u32[w + NSTART];
    const end = u32[w + NEND];
    if (u32[w + NCOUNT] < listLimits.nodeCount && end - start + size <= listLimits.nodeDataBytes) {
      if (head && start - nodeHdr >= size) {
        u32[w + NSTART] = start - size;
        writeEntry(u8, n * 8 + start - size, src, so, len);
        u32[w + NCOUNT]++;
        wr32(u8, v + 1, rd32(u8, v + 1) + 1);
        return true;
      }
      if (!head && u32[w + NALLOC] - end >= size) {
        u32[w + NEND] = end + size;
        writeEntry(u8, n * 8 + end, src, so, len);
        u32[w + NCOUNT]++;
        wr32(u8, v + 1, rd32(u8, v + 1) + 1);
        return true;
      }
    }
  }
  if (!ensureForm(t, slot, size)) return false;
  let p: number;
  if (isInline(t, slot)) {
    p = segResize(t, slot, 0, head ? 0 : t.valueLen(slot) - inlineHdr, 0, size);
    if (p < 0) return false;
  } else {
    const u32 = t.arena.u32;
    const n = head ? headNode(t, slot) : tailNode(t, slot);
    if (nodeAllows(u32, n, size)) {
      p = segResize(t, slot, n, head ? 0 : u32[n * 2 + NEND] - u32[n * 2 + NSTART], 0, size);
      if (p < 0) return false;
      u32[(head ? headNode(t, slot) : tailNode(t, slot)) * 2 + NCOUNT]++;
    } else {
      const m = newNode(t, slot, head ? 0 : n, size, head);
      if (m === 0) return false;
      p = m * 8 + u32[m * 2 + NSTART];
      u32[m * 2 + NCOUNT] = 1;
    }
  }
  writeEntry(t.arena.u8, p, src, so, len);
  setCount(t, slot, listLength(t, slot) + 1);
  return true;
}

export function listPush(t: Table, slot: number, head: boolean, v: Uint8Array): boolean {
  return listPushRange(t, slot, head, v, 0, v.length);
}

/** Reads the head or tail element into `el` (the list must not be empty). */
export function listPeek(t: Table, slot: number, head: boolean): void {
  const n = isInline(t, slot) ? 0 : head ? headNode(t, slot) : tailNode(t, slot);
  if (head) readFwd(t.arena.u8, segStart(t, slot, n));
  else readBack(t.arena.u8, segEnd(t, slot, n));
}

/**
 * Pops the head or tail element when that needs no memory change (a chunked list whose end node
 * keeps other entries): reads it into `el` first, and its bytes stay readable until the next write
 * to this arena. Returns false, changing nothing, when the general path is needed (listPeek, then
 * listPopDiscard).
 */
export function listPopFast(t: Table, slot: number, head: boolean): boolean {
  const arena = t.arena;
  const u8 = arena.u8;
  const v = t.valueOffset(slot);
  if (u8[v] !== kindChunked) return false;
  const n = head ? rd32(u8, v + 5) : rd32(u8, v + 9);
  const u32 = arena.u32;
  const w = n * 2;
  const cap = u32[w + NALLOC];
  const used = u32[w + NEND] - u32[w + NSTART];
  if (u32[w + NCOUNT] <= 1 || (cap > 512 && (used - entryMaxGuess + nodeHdr) * 4 < cap)) return false;
  if (rd32(u8, v + 13) === 1 && used - entryMaxGuess <= inlineBytesMax >> 1) return false;
  if (head) {
    readFwd(u8, n * 8 + u32[w + NSTART]);
    u32[w + NSTART] += el.size;
  } else {
    readBack(u8, n * 8 + u32[w + NEND]);
    u32[w + NEND] -= el.size;
  }
  u32[w + NCOUNT]--;
  wr32(u8, v + 1, rd32(u8, v + 1) - 1);
  return true;
}

/** Removes the head or tail element (the list must not be empty). */
export function listPopDiscard(t: Table, slot: number, head: boolean): void {
  // Fast path: a chunked list whose end node keeps at least one entry and needs no shrink.
  const arena = t.arena;
  const u8 = arena.u8;
  const v = t.valueOffset(slot);
  if (u8[v] === kindChunked) {
    const n = head ? rd32(u8, v + 5) : rd32(u8, v + 9);
    const u32 = arena.u32;
    const w = n * 2;
    const cap = u32[w + NALLOC];
    // (segResize shrinks a node whose block is over 4x its use; leave those to it.)
    if (u32[w + NCOUNT] > 1 && (cap <= 512 || (u32[w + NEND] - u32[w + NSTART] - entryMaxGuess + nodeHdr) * 4 >= cap)) {
      if (head) {
        readFwd(u8, n * 8 + u32[w + NSTART]);
        u32[w + NSTART] += el.size;
      } else {
        readBack(u8, n * 8 + u32[w + NEND]);
        u32[w + NEND] -= el.size;
      }
      u32[w + NCOUNT]--;
      wr32(u8, v + 1, rd32(u8, v + 1) - 1);
      if (nodeTotal(t, slot) === 1) maybeInline(t, slot);
      return;
    }
  }
  const inl = isInline(t, slot);
  const n = inl ? 0 : head ? headNode(t, slot) : tailNode(t, slot);
  const s = segStart(t, slot, n);
  const e = segEnd(t, slot, n);
  if (head) readFwd(t.arena.u8, s);
  else readBack(t.arena.u8, e);
  const size = el.size;
  segResize(t, slot, n, head ? 0 : e - s - size, size, 0);
  setCount(t, slot, listLength(t, slot) - 1);
  if (!inl) {
    const u32 = t.arena.u32;
    const m = head ? headNode(t, slot) : tailNode(t, slot);
    if (--u32[m * 2 + NCOUNT] === 0) dropNode(t, slot, m);
    maybeInline(t, slot);
  }
}

// ---- iteration ----------------------------------------------------------------------------------------
// One iterator per thread (commands run one at a time): node (0 = inline), rel = byte offset of the
// current entry within its segment's entries. Positions survive segResize calls at or after rel.

export const iter = { slot: -1, node: 0, rel: 0 };

/** Positions the iterator at index (0 <= index < length) and reads the element into `el`. */
export function iterSeek(t: Table, slot: number, index: number): void {
  const count = listLength(t, slot);
  assert(index >= 0 && index < count, "list: seek out of range");
  iter.slot = slot;
  const u8 = t.arena.u8;
  if (isInline(t, slot)) {
    iter.node = 0;
    const s = segStart(t, slot, 0);
    let p = s;
    if (index * 2 <= count) {
      for (let i = 0; i < index; i++) {
        readFwd(u8, p);
        p += el.size;
      }
    } else {
      p = segEnd(t, slot, 0);
      for (let i = count; i > index; i--) {
        readBack(u8, p);
        p -= el.size;
      }
    }
    iter.rel = p - s;
    readFwd(u8, p);
    return;
  }
  const u32 = t.arena.u32;
  let n: number;
  let first: number; // index of n's first entry
  if (index * 2 <= count) {
    n = headNode(t, slot);
    first = 0;
    while (first + u32[n * 2 + NCOUNT] <= index) {
      first += u32[n * 2 + NCOUNT];
      n = u32[n * 2 + NNEXT];
    }
  } else {
    n = tailNode(t, slot);
    first = count - u32[n * 2 + NCOUNT];
    while (first > index) {
      n = u32[n * 2 + NPREV];
      first -= u32[n * 2 + NCOUNT];
    }
  }
  iter.node = n;
  const s = n * 8 + u32[n * 2 + NSTART];
  const nc = u32[n * 2 + NCOUNT];
  let p: number;
  const k = index - first;
  if (k * 2 <= nc) {
    p = s;
    for (let i = 0; i < k; i++) {
      readFwd(u8, p);
      p += el.size;
    }
  } else {
    p = n * 8 + u32[n * 2 + NEND];
    for (let i = nc; i > k; i--) {
      readBack(u8, p);
      p -= el.size;
    }
  }
  iter.rel = p - s;
  readFwd(u8, p);
}

/** Moves to the next element and reads it into `el`; false past the tail. */
export function iterNext(t: Table, slot: number): boolean {
  const u8 = t.arena.u8;
  let n = iter.node;
  let s = segStart(t, slot, n);
  readFwd(u8, s + iter.rel);
  let p = s + iter.rel + el.size;
  if (p >= segEnd(t, slot, n)) {
    if (n === 0) return false;
    n = t.arena.u32[n * 2 + NNEXT];
    if (n === 0) return false;
    iter.node = n;
    s = segStart(t, slot, n);
    p = s;
  }
  iter.rel = p - s;
  readFwd(u8, p);
  return true;
}

/** Moves to the previous element and reads it into `el`; false before the head. */
export function iterPrev(t: Table, slot: number): boolean {
  const u8 = t.arena.u8;
  let n = iter.node;
  let s = segStart(t, slot, n);
  if (iter.rel === 0) {
    if (n === 0) return false;
    n = t.arena.u32[n * 2 + NPREV];
    if (n === 0) return false;
    iter.node = n;
    s = segStart(t, slot, n);
    readBack(u8, segEnd(t, slot, n));
  } else readBack(u8, s + iter.rel);
  iter.rel = el.off - lenBytes(el.len) - s;
  return true;
}

/** Re-reads the current element into `el`. */
export function iterRead(t: Table, slot: number): void {
  readFwd(t.arena.u8, segStart(t, slot, iter.node) + iter.rel);
}

/**
 * Deletes the current element. Afterwards the iterator is on the element that followed it
 * (returns true), or there is none (false: the deleted one was the tail). For backward walks call
 * iterAfterDeleteBack instead.
 */
export function iterDelete(t: Table, slot: number): boolean {
  const n = iter.node;
  iterRead(t, slot);
  segResize(t, slot, n, iter.rel, el.size, 0);
  setCount(t, slot, listLength(t, slot) - 1);
  if (n === 0) return iter.rel < t.valueLen(slot) - inlineHdr;
  const u32 = t.arena.u32;
  const cur = iter.node; // segResize may have moved the node
  const nextNode = u32[cur * 2 + NNEXT];
  const prevNode = u32[cur * 2 + NPREV];
  if (--u32[cur * 2 + NCOUNT] === 0) {
    dropNode(t, slot, cur);
    if (nextNode !== 0) {
      iter.node = nextNode;
      iter.rel = 0;
      maybeInline(t, slot);
      return true;
    }
    // Park after the previous node's last entry so iterPrev still works.
    iter.node = prevNode;
    iter.rel = prevNode !== 0 ? u32[prevNode * 2 + NEND] - u32[prevNode * 2 + NSTART] : 0;
    maybeInline(t, slot);
    return false;
  }
  const more = iter.rel < u32[cur * 2 + NEND] - u32[cur * 2 + NSTART];
  if (!more && nextNode !== 0) {
    iter.node = nextNode;
    iter.rel = 0;
    maybeInline(t, slot);
    return true;
  }
  maybeInline(t, slot);
  return more;
}

/** Replaces the current element's bytes. False on OOM (unchanged). */
export function iterReplace(t: Table, slot: number, v: Uint8Array): boolean {
  iterRead(t, slot);
  const oldSize = el.size;
  const size = entryBytes(v.length);
  if (iter.node === 0 && !ensureForm(t, slot, size - oldSize)) return false;
  const p = segResize(t, slot, iter.node, iter.rel, oldSize, size);
  if (p < 0) return false;
  writeEntry(t.arena.u8, p, v, 0, v.length);
  return true;
}

/** Inserts v before (after=false) or after the current element. False on OOM (unchanged). */
export function iterInsert(t: Table, slot: number, v: Uint8Array, after: boolean): boolean {
  const size = entryBytes(v.length);
  if (iter.node === 0 && !ensureForm(t, slot, size)) return false;
  iterRead(t, slot);
  let rel = after ? iter.rel + el.size : iter.rel;
  let n = iter.node;
  const u32 = t.arena.u32;
  let p: number;
  if (n === 0 || nodeAllows(u32, n, size)) {
    p = segResize(t, slot, n, rel, 0, size);
    if (p < 0) return false;
    if (n !== 0) u32[iter.node * 2 + NCOUNT]++;
  } else {
    const used = u32[n * 2 + NEND] - u32[n * 2 + NSTART];
    if (rel > 0 && rel < used) {
      // Split n at rel: the entries from rel on move to a new node after it.
      if (!splitNode(t, slot, n, rel)) return false;
      n = iter.node;
      rel = u32[n * 2 + NEND] - u32[n * 2 + NSTART];
    }
    if (rel === 0) {
      const prev = u32[n * 2 + NPREV];
      if (prev !== 0 && nodeAllows(u32, prev, size)) {
        p = segResize(t, slot, prev, u32[prev * 2 + NEND] - u32[prev * 2 + NSTART], 0, size);
        if (p < 0) return false;
        u32[(u32[iter.node * 2 + NPREV]) * 2 + NCOUNT]++;
      } else {
        const m = newNode(t, slot, prev, size, false);
        if (m === 0) return false;
        u32[m * 2 + NCOUNT] = 1;
        p = m * 8 + u32[m * 2 + NSTART];
      }
    } else {
      const next = u32[n * 2 + NNEXT];
      if (next !== 0 && nodeAllows(u32, next, size)) {
        p = segResize(t, slot, next, 0, 0, size);
        if (p < 0) return false;
        u32[u32[iter.node * 2 + NNEXT] * 2 + NCOUNT]++;
      } else {
        const m = newNode(t, slot, n, size, true);
        if (m === 0) return false;
        u32[m * 2 + NCOUNT] = 1;
        p = m * 8 + u32[m * 2 + NSTART];
      }
    }
  }
  writeEntry(t.arena.u8, p, v, 0, v.length);
  setCount(t, slot, listLength(t, slot) + 1);
  return true;
}

/** Moves node n's entries from byte rel on into a new node after n. False on OOM. */
function splitNode(t: Table, slot: number, n: number, rel: number): boolean {
  const u32 = t.arena.u32;
  const u8 = t.arena.u8;
  const s = n * 8 + u32[n * 2 + NSTART];
  const e = n * 8 + u32[n * 2 + NEND];
  let moved = 0;
  for (let p = s + rel; p < e; p += el.size) {
    readFwd(u8, p);
    moved++;
  }
  const bytes = e - s - rel;
  const m = newNode(t, slot, n, bytes, false);
  if (m === 0) return false;
  u8.copyWithin(m * 8 + u32[m * 2 + NSTART], s + rel, e);
  u32[m * 2 + NCOUNT] = moved;
  u32[n * 2 + NCOUNT] -= moved;
  u32[n * 2 + NEND] -= bytes;
  return true;
}

/** Removes `k` elements from the head (or tail) side. k <= length. */
export function listDropEnd(t: Table, slot: number, head: boolean, k: number): void {
  if (k <= 0) return;
  setCount(t, slot, listLength(t, slot) - k);
  const u8 = t.arena.u8;
  if (isInline(t, slot)) {
    const s = segStart(t, slot, 0);
    const e = segEnd(t, slot, 0);
    let bytes = 0;
    if (head) for (let i = 0; i < k; i++) {
      readFwd(u8, s + bytes);
      bytes += el.size;
    }
    else for (let i = 0; i < k; i++) {
      readBack(u8, e - bytes);
      bytes += el.size;
    }
    segResize(t, slot, 0, head ? 0 : e - s - bytes, bytes, 0);
    return;
  }
  const u32 = t.arena.u32;
  while (k > 0) {
    const n = head ? headNode(t, slot) : tailNode(t, slot);
    const nc = u32[n * 2 + NCOUNT];
    if (nc <= k) {
      k -= nc;
      dropNode(t, slot, n);
      continue;
    }
    const s = n * 8 + u32[n * 2 + NSTART];
    const e = n * 8 + u32[n * 2 + NEND];
    let bytes = 0;
    if (head) for (let i = 0; i < k; i++) {
      readFwd(u8, s + bytes);
      bytes += el.size;
    }
    else for (let i = 0; i < k; i++) {
      readBack(u8, e - bytes);
      bytes += el.size;
    }
    segResize(t, slot, n, head ? 0 : e - s - bytes, bytes, 0);
    const m = head ? headNode(t, slot) : tailNode(t, slot);
    u32[m * 2 + NCOUNT] -= k;
    k = 0;
  }
  maybeInline(t, slot);
}

// ---- type hooks -------------------------------------------------------------------------------------

function freeList(arena: Arena, off: number, _len: number, _enc: number): void {
  const u8 = arena.u8;
  if (u8[off] !== kindChunked) return;
  const u32 = arena.u32;
  let n = rd32(u8, off + 5);
  while (n !== 0) {
    const next = u32[n * 2 + NNEXT];
    arena.free(n, u32[n * 2 + NALLOC]);
    n = next;
  }
}

function cloneList(src: Arena, srcOff: number, _len: number, _enc: number, dst: Arena, dstOff: number): boolean {
  if (src.u8[srcOff] !== kindChunked) return true;
  let n = rd32(src.u8, srcOff + 5);
  // Start from an empty chain so a partial copy is always freeable.
  wr32(dst.u8, dstOff + 5, 0);
  wr32(dst.u8, dstOff + 9, 0);
  let prev = 0;
  while (n !== 0) {
    const su32 = src.u32;
    const cap = su32[n * 2 + NALLOC];
    const m = dst.alloc(cap);
    if (m === 0) return false;
    const du32 = dst.u32;
    if (src === dst) du32.copyWithin(m * 2, n * 2, n * 2 + cap / 4);
    else dst.u8.set(src.u8.subarray(n * 8, n * 8 + cap), m * 8);
    du32[m * 2 + NPREV] = prev;
    du32[m * 2 + NNEXT] = 0;
    if (prev !== 0) du32[prev * 2 + NNEXT] = m;
    else wr32(dst.u8, dstOff + 5, m);
    wr32(dst.u8, dstOff + 9, m);
    prev = m;
    n = su32[n * 2 + NNEXT];
  }
  return true;
}

function ownedListBytes(arena: Arena, off: number, _len: number, _enc: number): number {
  const u8 = arena.u8;
  if (u8[off] !== kindChunked) return 0;
  const u32 = arena.u32;
  let total = 0;
  for (let n = rd32(u8, off + 5); n !== 0; n = u32[n * 2 + NNEXT]) total += classBytes(u32[n * 2 + NALLOC]);
  return total;
}

/** Self-contained bytes: the inline form with every entry (null for an inline list: the block is the value). */
function serializeList(arena: Arena, off: number, _len: number, _enc: number): Uint8Array | null {
  const u8 = arena.u8;
  if (u8[off] !== kindChunked) return null;
  const u32 = arena.u32;
  let bytes = inlineHdr;
  for (let n = rd32(u8, off + 5); n !== 0; n = u32[n * 2 + NNEXT]) bytes += u32[n * 2 + NEND] - u32[n * 2 + NSTART];
  const out = new Uint8Array(bytes);
  out[0] = kindInline;
  wr32(out, 1, rd32(u8, off + 1));
  let at = inlineHdr;
  for (let n = rd32(u8, off + 5); n !== 0; n = u32[n * 2 + NNEXT]) {
    const s = n * 8 + u32[n * 2 + NSTART];
    const e = n * 8 + u32[n * 2 + NEND];
    out.set(u8.subarray(s, e), at);
    at += e - s;
  }
  return out;
}

/** Inverse of serializeList: small lists stay inline, big ones get nodes of the current fill. */
function deserializeList(arena: Arena, bytes: Uint8Array, _enc: number): Uint8Array | null {
  if (bytes[0] !== kindInline || bytes.length - inlineHdr <= inlineBytesMax) return bytes;
  const out = new Uint8Array(chunkedHdr);
  out[0] = kindChunked;
  wr32(out, 1, rd32(bytes, 1));
  const u32 = arena.u32;
  let prev = 0;
  let nodes = 0;
  let p = inlineHdr;
  const limit = listLimits.nodeDataBytes;
  while (p < bytes.length) {
    let e = p;
    let count = 0;
    while (e < bytes.length && count < listLimits.nodeCount) {
      readFwd(bytes, e);
      if (count > 0 && e + el.size - p > limit) break;
      e += el.size;
      count++;
    }
    const cap = classBytes(nodeHdr + e - p);
    const m = arena.alloc(cap);
    if (m === 0) {
      for (let n = rd32(out, 5); n !== 0; ) {
        const next = arena.u32[n * 2 + NNEXT];
        arena.free(n, arena.u32[n * 2 + NALLOC]);
        n = next;
      }
      return null;
    }
    u32[m * 2 + NPREV] = prev;
    u32[m * 2 + NNEXT] = 0;
    u32[m * 2 + NCOUNT] = count;
    u32[m * 2 + NSTART] = nodeHdr;
    u32[m * 2 + NEND] = nodeHdr + e - p;
    u32[m * 2 + NALLOC] = cap;
    arena.u8.set(bytes.subarray(p, e), m * 8 + nodeHdr);
    if (prev !== 0) u32[prev * 2 + NNEXT] = m;
    else wr32(out, 5, m);
    wr32(out, 9, m);
    prev = m;
    nodes++;
    p = e;
  }
  wr32(out, 13, nodes);
  return out;
}

registerTypeOps(ObjType.list, {
  free: freeList, clone: cloneList, ownedBytes: ownedListBytes, serialize: serializeList, deserialize: deserializeList,
});

/** Debug/test view: every element as a copy, head to tail, checking the invariants on the way. */
export function listToArray(t: Table, slot: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const count = listLength(t, slot);
  const u8 = t.arena.u8;
  if (isInline(t, slot)) {
    const e = segEnd(t, slot, 0);
    for (let p = segStart(t, slot, 0); p < e; p += el.size) {
      readFwd(u8, p);
      out.push(u8.slice(el.off, el.off + el.len));
    }
    assert(out.length === count, "list: inline count mismatch");
    return out;
  }
  const u32 = t.arena.u32;
  let prev = 0;
  let nodes = 0;
  for (let n = headNode(t, slot); n !== 0; n = u32[n * 2 + NNEXT]) {
    assert(u32[n * 2 + NPREV] === prev, "list: broken prev link");
    assert(u32[n * 2 + NCOUNT] > 0, "list: empty node");
    const s = n * 8 + u32[n * 2 + NSTART];
    const e = n * 8 + u32[n * 2 + NEND];
    assert(u32[n * 2 + NSTART] >= nodeHdr && u32[n * 2 + NEND] <= u32[n * 2 + NALLOC], "list: node bounds");
    let c = 0;
    for (let p = s; p < e; p += el.size) {
      readFwd(u8, p);
      out.push(u8.slice(el.off, el.off + el.len));
      c++;
    }
    assert(c === u32[n * 2 + NCOUNT], "list: node count mismatch");
    prev = n;
    nodes++;
  }
  assert(tailNode(t, slot) === prev, "list: tail mismatch");
  assert(nodes === nodeTotal(t, slot), "list: node total mismatch");
  assert(out.length === count, "list: count mismatch");
  return out;
}
