// An arena-resident hash table of byte entries: the "hashtable" encoding of large hashes and sets,
// usable by any type that needs a byte-keyed dictionary inside a shard's Arena.
//
// Design: chained hashing over power-of-two bucket arrays with incremental rehashing, as Redis's
// dict. A dict is a 32-byte header node; its buckets are u32 arrays of node addresses; each entry is
// one node [u32 next][u32 fieldLen]([u32 valueLen] when the dict holds values)[field][value]. Every
// address is an Arena address (8-byte units), so all of it lives in shared memory and is reachable
// from any worker holding the shard's lock; the JS heap holds nothing per entry.
// Growth: when an insert would make used > size, a table twice the size (or the next power of two
// >= 2 * used) is allocated and buckets move from the old table one per operation (plus up to 10
// empty buckets) on every write, so no single operation pays for the whole table. Deletes shrink the table the
// same way when it falls under 10% full. Lookups search both tables while rehashing; inserts go to
// the new one.
// Scan (dictScan): cursors walk bucket indexes in reverse-binary order over the smaller table and
// every bucket of the larger table that expands it, so an entry present for the whole scan is
// returned at least once even when the table grows or shrinks between calls.
// Invariants: used0 + used1 = number of entries; while rehashing (rehashIdx != none) buckets of
// table 0 below rehashIdx are empty; a node belongs to exactly one dict; frees are sized.

import { assert } from "../assert.ts";
import { hash32 } from "../../native-free/hash32.ts";
import { Arena } from "../keyspace/arena.ts";

const dictSeed = 0x2545f491;
const headerBytes = 32;
// Header u32 words (index from addr * 2).
const hT0 = 0;
const hLog0 = 1;
const hUsed0 = 2;
const hT1 = 3;
const hLog1 = 4;
const hUsed1 = 5;
const hRehash = 6;
const hFlags = 7;
const noRehash = 0xffffffff;
const flagValued = 1;
const logMin = 2; // 4 buckets
const emptyVisitsMax = 10;

export function dictHash(u8: Uint8Array, off: number, len: number): number {
  return hash32(u8, off, off + len, dictSeed) >>> 0;
}

/**
 * dictHash of bytes inside the arena (a.u8, a view of a growable SharedArrayBuffer), through a copy
 * of the field into a plain scratch buffer. hash32 is the hot hash of every command (table keys,
 * zset members, fields from argv, all plain buffers); JSC profiles element access per function, and
 * once hash32 has also seen an arena view every caller pays for the slower polymorphic access
 * (measured 22 -> 37 ns for a 19-byte member). Rehashing and conversions hash arena bytes; they
 * copy first so hash32 only ever sees plain buffers.
 */
let hashScratch = new Uint8Array(256);
function dictHashArena(au8: Uint8Array, off: number, len: number): number {
  if (hashScratch.length < len) hashScratch = new Uint8Array(Math.max(len, hashScratch.length * 2));
  const b = hashScratch;
  if (len > 64) b.set(au8.subarray(off, off + len), 0);
  else for (let i = 0; i < len; i++) b[i] = au8[off + i];
  return hash32(b, 0, len, dictSeed) >>> 0;
}

/** dictHash of u8[off, off + len), u8 being any buffer (the arena's own view included). */
function hashOf(a: Arena, u8: Uint8Array, off: number, len: number): number {
  return u8 === a.u8 ? dictHashArena(u8, off, len) : dictHash(u8, off, len);
}

/** Node header bytes for a dict with (valued) or without values. */
function nodeHdr(valued: boolean): number {
  return valued ? 12 : 8;
}

/** Creates an empty dict; `valued` entries carry a value besides the field. Returns 0 on OOM. */
export function dictCreate(a: Arena, valued: boolean, sizeHint = 0): number {
  let log = logMin;
  while ((1 << log) < sizeHint && log < 30) log++;
  const d = a.alloc(headerBytes);
  if (d === 0) return 0;
  const t = a.alloc(4 << log);
  if (t === 0) {
    a.free(d, headerBytes);
    return 0;
  }
  a.u32.fill(0, t * 2, t * 2 + (1 << log));
  const u32 = a.u32;
  const h = d * 2;
  u32[h + hT0] = t;
  u32[h + hLog0] = log;
  u32[h + hUsed0] = 0;
  u32[h + hT1] = 0;
  u32[h + hLog1] = 0;
  u32[h + hUsed1] = 0;
  u32[h + hRehash] = noRehash;
  u32[h + hFlags] = valued ? flagValued : 0;
  return d;
}

export function dictSize(a: Arena, d: number): number {
  return a.u32[d * 2 + hUsed0] + a.u32[d * 2 + hUsed1];
}

function isValued(a: Arena, d: number): boolean {
  return (a.u32[d * 2 + hFlags] & flagValued) !== 0;
}

// ---- node accessors (byte offsets into a.u8) ----------------------------------------------------
export function nodeFieldLen(a: Arena, n: number): number {
  return a.u32[n * 2 + 1];
}
export function nodeFieldOff(a: Arena, n: number, valued: boolean): number {
  return n * 8 + (valued ? 12 : 8);
}
export function nodeValueLen(a: Arena, n: number): number {
  return a.u32[n * 2 + 2];
}
export function nodeValueOff(a: Arena, n: number): number {
  return n * 8 + 12 + a.u32[n * 2 + 1];
}
function nodeBytes(a: Arena, n: number, valued: boolean): number {
  return valued ? 12 + a.u32[n * 2 + 1] + a.u32[n * 2 + 2] : 8 + a.u32[n * 2 + 1];
}

function nodeMatches(a: Arena, n: number, hdr: number, u8: Uint8Array, off: number, len: number): boolean {
  if (a.u32[n * 2 + 1] !== len) return false;
  const au8 = a.u8;
  let p = n * 8 + hdr;
  for (let i = 0; i < len; i++) if (au8[p + i] !== u8[off + i]) return false;
  return true;
}

// ---- rehashing ----------------------------------------------------------------------------------

/** Moves one non-empty bucket (visiting at most emptyVisitsMax empty ones) from table 0 to 1. */
function rehashStep(a: Arena, d: number): void {
  const u32 = a.u32;
  const h = d * 2;
  let idx = u32[h + hRehash];
  if (idx === noRehash) return;
  const valued = (u32[h + hFlags] & flagValued) !== 0;
  const hdr = nodeHdr(valued);
  const t0 = u32[h + hT0];
  const size0 = 1 << u32[h + hLog0];
  const t1 = u32[h + hT1];
  const mask1 = (1 << u32[h + hLog1]) - 1;
  let empty = 0;
  while (idx < size0 && u32[t0 * 2 + idx] === 0) {
    idx++;
    if (++empty >= emptyVisitsMax) break;
  }
  if (idx < size0 && u32[t0 * 2 + idx] !== 0) {
    let n = u32[t0 * 2 + idx];
    let moved = 0;
    while (n !== 0) {
      const next = u32[n * 2];
      const b = dictHashArena(a.u8, n * 8 + hdr, u32[n * 2 + 1]) & mask1;
      u32[n * 2] = u32[t1 * 2 + b];
      u32[t1 * 2 + b] = n;
      moved++;
      n = next;
    }
    u32[t0 * 2 + idx] = 0;
    u32[h + hUsed0] -= moved;
    u32[h + hUsed1] += moved;
    idx++;
  }
  if (idx >= size0) {
    assert(u32[h + hUsed0] === 0, "dict: entries left behind by rehash");
    a.free(t0, 4 * size0);
    u32[h + hT0] = t1;
    u32[h + hLog0] = u32[h + hLog1];
    u32[h + hUsed0] = u32[h + hUsed1];
    u32[h + hT1] = 0;
    u32[h + hLog1] = 0;
    u32[h + hUsed1] = 0;
    u32[h + hRehash] = noRehash;
  } else {
    u32[h + hRehash] = idx;
  }
}

/** Starts moving to a table of 2^log buckets. Returns false on OOM (the dict stays as it is). */
function startRehash(a: Arena, d: number, log: number): boolean {
  const t1 = a.alloc(4 << log);
  if (t1 === 0) return false;
  const u32 = a.u32;
  u32.fill(0, t1 * 2, t1 * 2 + (1 << log));
  const h = d * 2;
  u32[h + hT1] = t1;
  u32[h + hLog1] = log;
  u32[h + hUsed1] = 0;
  u32[h + hRehash] = 0;
  return true;
}

function logFor(n: number): number {
  let log = logMin;
  while ((1 << log) < n && log < 30) log++;
  return log;
}

/** True while the dict is moving buckets to a new table (tests and debugging). */
export function dictIsRehashing(a: Arena, d: number): boolean {
  return a.u32[d * 2 + hRehash] !== noRehash;
}

/** Finishes any rehash at once (used before whole-dict walks that must see one table). */
export function dictRehashAll(a: Arena, d: number): void {
  while (a.u32[d * 2 + hRehash] !== noRehash) rehashStep(a, d);
}

// ---- lookup and update --------------------------------------------------------------------------

/**
 * Node of the field (u8[off, off+len)), or 0. A read never moves buckets (writes do), so lookups
 * are safe while another walk over the same dict is in progress (SINTER s s, SORT BY).
 */
export function dictFind(a: Arena, d: number, u8: Uint8Array, off: number, len: number): number {
  return findNoStep(a, d, u8, off, len, hashOf(a, u8, off, len));
}

function findNoStep(a: Arena, d: number, u8: Uint8Array, off: number, len: number, hv: number): number {
  const u32 = a.u32;
  const h = d * 2;
  const hdr = nodeHdr((u32[h + hFlags] & flagValued) !== 0);
  for (let ti = 0; ti < 2; ti++) {
    const t = u32[h + (ti === 0 ? hT0 : hT1)];
    if (t === 0) break;
    const mask = (1 << u32[h + (ti === 0 ? hLog0 : hLog1)]) - 1;
    let n = u32[t * 2 + (hv & mask)];
    while (n !== 0) {
      if (nodeMatches(a, n, hdr, u8, off, len)) return n;
      n = u32[n * 2];
    }
    if (u32[h + hRehash] === noRehash) break;
  }
  return 0;
}

/** Grows before an insert when the load factor would pass 1. False on OOM. */
function reserveOne(a: Arena, d: number): boolean {
  const u32 = a.u32;
  const h = d * 2;
  if (u32[h + hRehash] !== noRehash) return true;
  const used = u32[h + hUsed0];
  if (used + 1 <= 1 << u32[h + hLog0]) return true;
  return startRehash(a, d, logFor((used + 1) * 2));
}

/**
 * Sets field to value (value ignored for dicts without values). Returns 1 when the field was
 * added, 0 when an existing field was updated, -1 on OOM (nothing changed). The byte sources may be
 * any buffer except a.u8 ranges that an allocation could invalidate (pass copies).
 */
export function dictSet(a: Arena, d: number, fu8: Uint8Array, foff: number, flen: number, vu8: Uint8Array | null, voff: number, vlen: number): number {
  const h = d * 2;
  if (a.u32[h + hRehash] !== noRehash) rehashStep(a, d);
  const valued = isValued(a, d);
  const hv = hashOf(a, fu8, foff, flen);
  const hdr = nodeHdr(valued);
  // Find the node with its predecessor link (a u32 index that points at it).
  for (let ti = 0; ti < 2; ti++) {
    const u32 = a.u32;
    const t = u32[h + (ti === 0 ? hT0 : hT1)];
    if (t === 0) break;
    const mask = (1 << u32[h + (ti === 0 ? hLog0 : hLog1)]) - 1;
    let link = t * 2 + (hv & mask);
    let n = u32[link];
    while (n !== 0) {
      if (nodeMatches(a, n, hdr, fu8, foff, flen)) {
        if (!valued) return 0;
        const oldBytes = 12 + flen + u32[n * 2 + 2];
        const newBytes = 12 + flen + vlen;
        if (classSame(oldBytes, newBytes)) {
          u32[n * 2 + 2] = vlen;
          copyIn(a.u8, n * 8 + 12 + flen, vu8!, voff, vlen);
          return 0;
        }
        const m = a.alloc(newBytes);
        if (m === 0) return -1;
        const w = a.u32;
        w[m * 2] = w[n * 2];
        w[m * 2 + 1] = flen;
        w[m * 2 + 2] = vlen;
        a.u8.copyWithin(m * 8 + 12, n * 8 + 12, n * 8 + 12 + flen);
        copyIn(a.u8, m * 8 + 12 + flen, vu8!, voff, vlen);
        w[link] = m;
        a.free(n, oldBytes);
        return 0;
      }
      link = n * 2;
      n = u32[link];
    }
    if (u32[h + hRehash] === noRehash) break;
  }
  if (!reserveOne(a, d)) return -1;
  const bytes = valued ? 12 + flen + vlen : 8 + flen;
  const n = a.alloc(bytes);
  if (n === 0) return -1;
  const u32 = a.u32;
  const rehashing = u32[h + hRehash] !== noRehash;
  const t = u32[h + (rehashing ? hT1 : hT0)];
  const mask = (1 << u32[h + (rehashing ? hLog1 : hLog0)]) - 1;
  const b = t * 2 + (hv & mask);
  u32[n * 2] = u32[b];
  u32[n * 2 + 1] = flen;
  if (valued) u32[n * 2 + 2] = vlen;
  const au8 = a.u8;
  copyIn(au8, n * 8 + hdr, fu8, foff, flen);
  if (valued) copyIn(au8, n * 8 + 12 + flen, vu8!, voff, vlen);
  u32[b] = n;
  u32[h + (rehashing ? hUsed1 : hUsed0)]++;
  return 1;
}

/** dst[at..] = src[off, off+len): a loop for short strings (a subarray + set costs more). */
function copyIn(dst: Uint8Array, at: number, src: Uint8Array, off: number, len: number): void {
  if (len > 32) dst.set(src.subarray(off, off + len), at);
  else for (let i = 0; i < len; i++) dst[at + i] = src[off + i];
}

function classSame(oldN: number, newN: number): boolean {
  return Arena.fitsInPlace(oldN, newN);
}

/** Deletes the field; true when it existed. May start shrinking the table. */
export function dictDelete(a: Arena, d: number, u8: Uint8Array, off: number, len: number): boolean {
  const h = d * 2;
  if (a.u32[h + hRehash] !== noRehash) rehashStep(a, d);
  const valued = isValued(a, d);
  const hdr = nodeHdr(valued);
  const hv = hashOf(a, u8, off, len);
  const u32 = a.u32;
  for (let ti = 0; ti < 2; ti++) {
    const t = u32[h + (ti === 0 ? hT0 : hT1)];
    if (t === 0) break;
    const mask = (1 << u32[h + (ti === 0 ? hLog0 : hLog1)]) - 1;
    let link = t * 2 + (hv & mask);
    let n = u32[link];
    while (n !== 0) {
      if (nodeMatches(a, n, hdr, u8, off, len)) {
        u32[link] = u32[n * 2];
        a.free(n, nodeBytes(a, n, valued));
        u32[h + (ti === 0 ? hUsed0 : hUsed1)]--;
        maybeShrink(a, d);
        return true;
      }
      link = n * 2;
      n = u32[link];
    }
    if (u32[h + hRehash] === noRehash) break;
  }
  return false;
}

/** Deletes a node found by dictFind/dictRandomNode (searches its chain for the link). */
export function dictDeleteNode(a: Arena, d: number, n: number): void {
  const valued = isValued(a, d);
  const off = nodeFieldOff(a, n, valued);
  const len = nodeFieldLen(a, n);
  // The field bytes live in the node itself: deleting only reads them before the free.
  const ok = dictDelete(a, d, a.u8, off, len);
  assert(ok, "dict: node to delete not found");
}

function maybeShrink(a: Arena, d: number): void {
  const u32 = a.u32;
  const h = d * 2;
  if (u32[h + hRehash] !== noRehash) return;
  const log = u32[h + hLog0];
  const used = u32[h + hUsed0];
  if (log <= logMin || used * 10 >= 1 << log) return;
  const target = logFor(used);
  if (target < log) startRehash(a, d, target); // OOM: keep the big table
}

// ---- iteration ----------------------------------------------------------------------------------

/** Calls fn(node) for every entry (no rehash step; the dict must not change during the walk). */
export function dictForEach(a: Arena, d: number, fn: (n: number) => void): void {
  const u32 = a.u32;
  const h = d * 2;
  for (let ti = 0; ti < 2; ti++) {
    const t = u32[h + (ti === 0 ? hT0 : hT1)];
    if (t === 0) break;
    const size = 1 << u32[h + (ti === 0 ? hLog0 : hLog1)];
    for (let b = 0; b < size; b++) {
      let n = u32[t * 2 + b];
      while (n !== 0) {
        const next = u32[n * 2];
        fn(n);
        n = next;
      }
    }
  }
}

/** Appends every node address to `out` (a snapshot safe to walk while deleting). */
export function dictNodes(a: Arena, d: number, out: number[]): number[] {
  dictForEach(a, d, (n) => out.push(n));
  return out;
}

function reverseBits32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

function visitBucket(a: Arena, t: number, b: number, fn: (n: number) => void): void {
  let n = a.u32[t * 2 + b];
  while (n !== 0) {
    const next = a.u32[n * 2];
    fn(n);
    n = next;
  }
}

/**
 * One scan step from `cursor` (an unsigned 32-bit bucket cursor): calls fn for the entries of one
 * bucket of the smaller table and of every bucket of the larger table that it expands to. Returns
 * the next cursor, 0 when the scan is complete. fn must not change the dict.
 */
export function dictScan(a: Arena, d: number, cursor: number, fn: (n: number) => void): number {
  const u32 = a.u32;
  const h = d * 2;
  let v = cursor >>> 0;
  if (u32[h + hRehash] === noRehash) {
    const t = u32[h + hT0];
    const m0 = (1 << u32[h + hLog0]) - 1;
    visitBucket(a, t, v & m0, fn);
    v = (v | ~m0) >>> 0;
    v = reverseBits32(v);
    v = (v + 1) >>> 0;
    return reverseBits32(v);
  }
  let ts = u32[h + hT0];
  let tl = u32[h + hT1];
  let ms = (1 << u32[h + hLog0]) - 1;
  let ml = (1 << u32[h + hLog1]) - 1;
  if (ms > ml) {
    [ts, tl] = [tl, ts];
    [ms, ml] = [ml, ms];
  }
  visitBucket(a, ts, v & ms, fn);
  do {
    visitBucket(a, tl, v & ml, fn);
    v = (v | ~ml) >>> 0;
    v = reverseBits32(v);
    v = (v + 1) >>> 0;
    v = reverseBits32(v);
  } while ((v & (ms ^ ml)) !== 0);
  return v;
}

/**
 * A random entry: a random non-empty bucket, then a random node of its chain (Redis's
 * dictGetRandomKey). `rand` supplies uniform numbers in [0, 1). Returns 0 when empty.
 */
export function dictRandomNode(a: Arena, d: number, rand: () => number): number {
  const h = d * 2;
  if (dictSize(a, d) === 0) return 0;
  if (a.u32[h + hRehash] !== noRehash) rehashStep(a, d);
  const u32 = a.u32;
  let n = 0;
  if (u32[h + hRehash] !== noRehash) {
    const idx = u32[h + hRehash];
    const size0 = 1 << u32[h + hLog0];
    const size1 = 1 << u32[h + hLog1];
    const t0 = u32[h + hT0];
    const t1 = u32[h + hT1];
    while (n === 0) {
      const r = idx + Math.floor(rand() * (size0 + size1 - idx));
      n = r >= size0 ? u32[t1 * 2 + r - size0] : u32[t0 * 2 + r];
    }
  } else {
    const t0 = u32[h + hT0];
    const size0 = 1 << u32[h + hLog0];
    while (n === 0) n = u32[t0 * 2 + Math.floor(rand() * size0)];
  }
  let len = 0;
  for (let m = n; m !== 0; m = u32[m * 2]) len++;
  let k = Math.floor(rand() * len);
  while (k-- > 0) n = u32[n * 2];
  return n;
}

// ---- lifetime -----------------------------------------------------------------------------------

/** Frees every node, the tables and the header. */
export function dictFree(a: Arena, d: number): void {
  const valued = isValued(a, d);
  const u32 = a.u32;
  const h = d * 2;
  for (let ti = 0; ti < 2; ti++) {
    const t = u32[h + (ti === 0 ? hT0 : hT1)];
    if (t === 0) continue;
    const size = 1 << u32[h + (ti === 0 ? hLog0 : hLog1)];
    for (let b = 0; b < size; b++) {
      let n = u32[t * 2 + b];
      while (n !== 0) {
        const next = u32[n * 2];
        a.free(n, nodeBytes(a, n, valued));
        n = next;
      }
    }
    a.free(t, 4 * size);
  }
  a.free(d, headerBytes);
}

/** Bytes the dict owns: header, tables and nodes (class sizes, as the arena counts them). */
export function dictOwnedBytes(a: Arena, d: number, classBytes: (n: number) => number): number {
  const valued = isValued(a, d);
  const u32 = a.u32;
  const h = d * 2;
  let total = classBytes(headerBytes);
  for (let ti = 0; ti < 2; ti++) {
    const t = u32[h + (ti === 0 ? hT0 : hT1)];
    if (t === 0) continue;
    total += classBytes(4 << u32[h + (ti === 0 ? hLog0 : hLog1)]);
  }
  dictForEach(a, d, (n) => {
    total += classBytes(nodeBytes(a, n, valued));
  });
  return total;
}

/**
 * Copies the dict `d` of `src` into `dst` (another arena, or the same one): returns the new dict,
 * or 0 on OOM (after freeing what was copied).
 */
export function dictClone(src: Arena, d: number, dst: Arena): number {
  const valued = isValued(src, d);
  const nd = dictCreate(dst, valued, dictSize(src, d));
  if (nd === 0) return 0;
  const hdr = nodeHdr(valued);
  let failed = false;
  let scratch = new Uint8Array(0);
  dictForEach(src, d, (n) => {
    if (failed) return;
    const flen = nodeFieldLen(src, n);
    const vlen = valued ? nodeValueLen(src, n) : 0;
    // Copy out first: in the same arena an allocation may grow (and re-view) the buffer.
    const total = flen + vlen;
    if (scratch.length < total) scratch = new Uint8Array(Math.max(total, 64));
    scratch.set(src.u8.subarray(n * 8 + hdr, n * 8 + hdr + total), 0);
    if (dictSet(dst, nd, scratch, 0, flen, scratch, flen, vlen) < 0) failed = true;
  });
  if (failed) {
    dictFree(dst, nd);
    return 0;
  }
  return nd;
}

// ---- serialization (shard log records, snapshots) ----------------------------------------------
//
// Format, version 1 (frozen; little endian, no padding, no arena addresses):
//   u8 version (1), u8 flags (bit 0: entries carry values), u8 log2 of the bucket count,
//   varint count, then per entry: varint fieldLen, field[, varint valueLen, value]
// Varints are unsigned LEB128 (7 bits a byte, low group first). Entries come in the dict's canonical
// order: bucket by bucket, each chain from its head, as the dict iterates once any rehash in progress
// is complete (the buckets still to move land at the head of their target chains, in the reverse of
// the order rehashing would move them). dictDeserialize rebuilds exactly that table: the same bucket
// count and the same chains, so iteration (HGETALL, SMEMBERS, SCAN cursors) and MEMORY USAGE match
// the serialized dict, and serializing the copy gives the same bytes.

export const dictFormatVersion = 1;

function varintBytes(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
function writeVarint(u8: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    u8[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  u8[p] = v;
  return p + 1;
}
/** Results of readVarint (no allocation): the value and the offset after it; vAt = -1 when malformed. */
let vVal = 0;
let vAt = 0;
function readVarint(u8: Uint8Array, p: number, end: number): void {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && p < end; i++) {
    const c = u8[p++];
    v += (c & 0x7f) * mul;
    if (c < 0x80) {
      vVal = v;
      vAt = v > 0xffffffff ? -1 : p;
      return;
    }
    mul *= 128;
  }
  vAt = -1;
}

/** Output buffer of the serialization in progress (grown by doubling; module-level, no closure). */
let sOut = new Uint8Array(0);

/** Appends node n's entry at sOut[p..]; returns the offset after it. */
function emitEntry(au8: Uint8Array, u32: Uint32Array, n: number, valued: boolean, p: number): number {
  const flen = u32[n * 2 + 1];
  const vlen = valued ? u32[n * 2 + 2] : 0;
  const need = p + 10 + flen + vlen;
  if (need > sOut.length) {
    const bigger = new Uint8Array(Math.max(need, sOut.length * 2));
    bigger.set(sOut.subarray(0, p));
    sOut = bigger;
  }
  const out = sOut;
  p = writeVarint(out, p, flen);
  const src = n * 8 + (valued ? 12 : 8);
  copyIn(out, p, au8, src, flen);
  p += flen;
  if (valued) {
    p = writeVarint(out, p, vlen);
    copyIn(out, p, au8, src + flen, vlen);
    p += vlen;
  }
  return p;
}

/**
 * Self-contained bytes of the dict (format above), in canonical order. Reads only: moves no bucket
 * and allocates nothing in the arena.
 */
export function dictSerialize(a: Arena, d: number): Uint8Array {
  const u32 = a.u32;
  const au8 = a.u8;
  const h = d * 2;
  const valued = (u32[h + hFlags] & flagValued) !== 0;
  const rehashing = u32[h + hRehash] !== noRehash;
  const count = dictSize(a, d);
  sOut = new Uint8Array(16 + count * 24);
  sOut[0] = dictFormatVersion;
  sOut[1] = valued ? 1 : 0;
  sOut[2] = u32[h + (rehashing ? hLog1 : hLog0)];
  let p = writeVarint(sOut, 3, count);
  let k = 0;
  if (!rehashing) {
    const t = u32[h + hT0];
    const size = 1 << u32[h + hLog0];
    for (let b = 0; b < size; b++) {
      for (let n = u32[t * 2 + b]; n !== 0; n = u32[n * 2]) {
        p = emitEntry(au8, u32, n, valued, p);
        k++;
      }
    }
  } else {
    const hdr = nodeHdr(valued);
    const t0 = u32[h + hT0];
    const size0 = 1 << u32[h + hLog0];
    const t1 = u32[h + hT1];
    const size1 = 1 << u32[h + hLog1];
    const mask1 = size1 - 1;
    // Table-0 nodes in the order rehashing would move them, with their table-1 buckets.
    const left = u32[h + hUsed0];
    const nodes = new Uint32Array(left);
    const buckets = new Uint32Array(left);
    let m = 0;
    for (let i = u32[h + hRehash]; i < size0; i++) {
      for (let n = u32[t0 * 2 + i]; n !== 0; n = u32[n * 2]) {
        assert(m < left, "dict: table 0 size does not match its chains");
        nodes[m] = n;
        buckets[m] = dictHashArena(au8, n * 8 + hdr, u32[n * 2 + 1]) & mask1;
        m++;
      }
    }
    assert(m === left, "dict: table 0 size does not match its chains");
    // Counting sort by bucket (stable), then per bucket: the moved nodes reversed, then its chain.
    const start = new Uint32Array(size1 + 1);
    for (let i = 0; i < m; i++) start[buckets[i] + 1]++;
    for (let b = 0; b < size1; b++) start[b + 1] += start[b];
    const fill = start.slice(0, size1);
    const sorted = new Uint32Array(m);
    for (let i = 0; i < m; i++) sorted[fill[buckets[i]]++] = nodes[i];
    for (let b = 0; b < size1; b++) {
      for (let i = start[b + 1]; i > start[b]; ) {
        p = emitEntry(au8, u32, sorted[--i], valued, p);
        k++;
      }
      for (let n = u32[t1 * 2 + b]; n !== 0; n = u32[n * 2]) {
        p = emitEntry(au8, u32, n, valued, p);
        k++;
      }
    }
  }
  assert(k === count, "dict: size does not match its chains");
  const out = sOut.length - p < 4096 && sOut.length - p <= p >>> 3 ? sOut.subarray(0, p) : sOut.slice(0, p);
  sOut = new Uint8Array(0);
  return out;
}

/** Whether dictSerialize bytes describe a dict with values (hash) or without (set). */
export function dictSerializedValued(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && (bytes[1] & flagValued) !== 0;
}

/**
 * Builds a dict in `a` from dictSerialize bytes: returns its address, or 0 when the arena is full
 * (nothing stays allocated then). Malformed bytes throw (after freeing what was built).
 */
export function dictDeserialize(a: Arena, bytes: Uint8Array): number {
  // A payload viewed in shared memory (a log ring) hashes through the copy, as arena bytes do.
  const sharedBytes = bytes.buffer instanceof SharedArrayBuffer;
  const end = bytes.length;
  if (end < 4 || bytes[0] !== dictFormatVersion) throw new Error(`dict: unknown serialized format (version ${bytes[0]})`);
  const flags = bytes[1];
  const log = bytes[2];
  if ((flags & ~flagValued) !== 0 || log < logMin || log > 30) throw new Error("dict: malformed serialized header");
  const valued = (flags & flagValued) !== 0;
  readVarint(bytes, 3, end);
  if (vAt < 0) throw new Error("dict: malformed serialized count");
  const count = vVal;
  let p = vAt;
  const d = a.alloc(headerBytes);
  if (d === 0) return 0;
  const t = a.alloc(4 << log);
  if (t === 0) {
    a.free(d, headerBytes);
    return 0;
  }
  let u32 = a.u32;
  u32.fill(0, t * 2, t * 2 + (1 << log));
  const h = d * 2;
  u32[h + hT0] = t;
  u32[h + hLog0] = log;
  u32[h + hUsed0] = 0;
  u32[h + hT1] = 0;
  u32[h + hLog1] = 0;
  u32[h + hUsed1] = 0;
  u32[h + hRehash] = noRehash;
  u32[h + hFlags] = valued ? flagValued : 0;
  const mask = (1 << log) - 1;
  const hdr = nodeHdr(valued);
  let lastBucket = -1;
  let lastNode = 0;
  let bad = "";
  for (let i = 0; i < count; i++) {
    readVarint(bytes, p, end);
    if (vAt < 0 || vAt + vVal > end) {
      bad = "field length";
      break;
    }
    const foff = vAt;
    const flen = vVal;
    p = foff + flen;
    let voff = 0;
    let vlen = 0;
    if (valued) {
      readVarint(bytes, p, end);
      if (vAt < 0 || vAt + vVal > end) {
        bad = "value length";
        break;
      }
      voff = vAt;
      vlen = vVal;
      p = voff + vlen;
    }
    const n = a.alloc(valued ? 12 + flen + vlen : 8 + flen);
    if (n === 0) {
      dictFree(a, d);
      return 0;
    }
    u32 = a.u32;
    u32[n * 2] = 0;
    u32[n * 2 + 1] = flen;
    if (valued) u32[n * 2 + 2] = vlen;
    const au8 = a.u8;
    copyIn(au8, n * 8 + hdr, bytes, foff, flen);
    if (valued) copyIn(au8, n * 8 + 12 + flen, bytes, voff, vlen);
    // Append at the tail of its chain (entries of one bucket arrive together, in chain order).
    const b = (sharedBytes ? dictHashArena(bytes, foff, flen) : dictHash(bytes, foff, flen)) & mask;
    if (b === lastBucket) u32[lastNode * 2] = n;
    else {
      let link = t * 2 + b;
      while (u32[link] !== 0) link = u32[link] * 2;
      u32[link] = n;
    }
    lastBucket = b;
    lastNode = n;
    u32[h + hUsed0]++;
  }
  if (bad === "" && p !== end) bad = "bytes after the last entry";
  if (bad !== "") {
    dictFree(a, d);
    throw new Error(`dict: malformed serialized value (${bad})`);
  }
  return d;
}

export const dictHeaderBytes = headerBytes;
