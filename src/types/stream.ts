// Streams in the shard arena: entries in compact nodes, an ordered node index, consumer groups.
//
// The key's table block holds 4 bytes: the arena address of the stream header (8-byte aligned, so
// typed views work on everything below it). Layout (u32 words unless noted):
//   header (96 B): w0 index addr, w1 index capacity, w2 index head, w3 node count,
//     w4-7 last id, w8-11 first id (recorded-first-entry-id), w12-15 max deleted id,
//     f64 at w16 length, f64 at w18 entries-added, w20 groups addr, w21 group count, w22 groups cap.
//   index: an array of node addresses ordered by the nodes' first IDs (w2 is the head, so trimming
//     from the front is O(1); the live range is compacted when it reaches the end). Appends go to the
//     last node, so the index only grows at its end; binary search finds the node of an ID.
//   node (48 B header + entries): w0 capacity bytes, w1 used bytes, w2 live, w3 deleted,
//     w4-7 master id (the first entry's ID), w8-11 last id appended.
//     entry: flags u8 (1 = deleted, 2 = same field names as the master entry), ms delta from the
//     master (varint u64), seq (varint u64), field count (varint), then per field and value: length
//     (varint) and bytes; with flag 2 only the values (the names are the master entry's, which is
//     the node's first entry and always complete), as Redis's master-entry field compression.
//   A node takes entries until it holds stream-node-max-entries (live + deleted, as Redis counts)
//   or would pass stream-node-max-bytes; deleted entries stay as tombstones until the node empties.
//   groups: array of group record addresses, sorted by name (XINFO GROUPS order).
//   group: w0 name len, w1 record bytes, w2-5 last id, f64 w6 entries-read (-1 = unknown),
//     w8 PEL addr, w9 PEL cap, w10 PEL count, w11 consumers addr, w12 consumer count, w13 cap, name.
//   PEL: records of 10 words ordered by ID: id(4), consumer addr, spare, f64 w6 delivery time,
//     w8-9 delivery count (u64 hi, lo: RETRYCOUNT takes any int64).
//   consumer: w0 name len, w1 pending count, f64 w2 seen time, w4 pending set addr, w5 its
//     capacity, name bytes at 24. Consumers are sorted by name. A consumer's pending set holds the
//     IDs (sorted) of the group PEL records that point at it; the record itself (delivery time and
//     count) lives once, in the group PEL.
// IDs are u64 ms and u64 seq, each held as two u32 halves (JS numbers lose precision past 2^53).

import { assert } from "../assert.ts";
import { Arena, classBytes } from "../keyspace/arena.ts";
import { ObjType } from "../keyspace/table.ts";
import { registerTypeOps } from "./registry.ts";

const two32 = 4294967296;

/** A stream ID: ms = msH * 2^32 + msL, seq = sH * 2^32 + sL. Mutable, reused. */
export class StreamId {
  msH = 0;
  msL = 0;
  sH = 0;
  sL = 0;
  set(msH: number, msL: number, sH: number, sL: number): this {
    this.msH = msH;
    this.msL = msL;
    this.sH = sH;
    this.sL = sL;
    return this;
  }
  setNum(ms: number, seq: number): this {
    return this.set(Math.floor(ms / two32), ms % two32, Math.floor(seq / two32), seq % two32);
  }
  copy(o: StreamId): this {
    return this.set(o.msH, o.msL, o.sH, o.sL);
  }
  clone(): StreamId {
    return new StreamId().copy(this);
  }
  isZero(): boolean {
    return (this.msH | this.msL | this.sH | this.sL) === 0;
  }
  isMax(): boolean {
    return this.msH === 0xffffffff && this.msL === 0xffffffff && this.sH === 0xffffffff && this.sL === 0xffffffff;
  }
  setMax(): this {
    return this.set(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff);
  }
  /** Next ID in order; false when this is the largest. */
  incr(): boolean {
    if (this.sL !== 0xffffffff) this.sL++;
    else if (this.sH !== 0xffffffff) {
      this.sL = 0;
      this.sH++;
    } else {
      if (this.msL !== 0xffffffff) this.msL++;
      else if (this.msH !== 0xffffffff) {
        this.msL = 0;
        this.msH++;
      } else return false;
      this.sH = 0;
      this.sL = 0;
    }
    return true;
  }
  /** Previous ID in order; false when this is 0-0. */
  decr(): boolean {
    if (this.sL !== 0) this.sL--;
    else if (this.sH !== 0) {
      this.sL = 0xffffffff;
      this.sH--;
    } else {
      if (this.msL !== 0) this.msL--;
      else if (this.msH !== 0) {
        this.msL = 0xffffffff;
        this.msH--;
      } else return false;
      this.sH = 0xffffffff;
      this.sL = 0xffffffff;
    }
    return true;
  }
  toString(): string {
    return `${u64String(this.msH, this.msL)}-${u64String(this.sH, this.sL)}`;
  }
}

export function u64String(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * two32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

export function cmpId(a: StreamId, b: StreamId): number {
  if (a.msH !== b.msH) return a.msH < b.msH ? -1 : 1;
  if (a.msL !== b.msL) return a.msL < b.msL ? -1 : 1;
  if (a.sH !== b.sH) return a.sH < b.sH ? -1 : 1;
  if (a.sL !== b.sL) return a.sL < b.sL ? -1 : 1;
  return 0;
}

function readId(u32: Uint32Array, w: number, id: StreamId): StreamId {
  return id.set(u32[w], u32[w + 1], u32[w + 2], u32[w + 3]);
}
function writeId(u32: Uint32Array, w: number, id: StreamId): void {
  u32[w] = id.msH;
  u32[w + 1] = id.msL;
  u32[w + 2] = id.sH;
  u32[w + 3] = id.sL;
}
/** Compares the ID stored at word w with id. */
function cmpAt(u32: Uint32Array, w: number, id: StreamId): number {
  let a = u32[w];
  if (a !== id.msH) return a < id.msH ? -1 : 1;
  a = u32[w + 1];
  if (a !== id.msL) return a < id.msL ? -1 : 1;
  a = u32[w + 2];
  if (a !== id.sH) return a < id.sH ? -1 : 1;
  a = u32[w + 3];
  if (a !== id.sL) return a < id.sL ? -1 : 1;
  return 0;
}

// ---- varints (u32 and u64 as hi/lo) ------------------------------------------------------------------

function varLen(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
function var64Len(hi: number, lo: number): number {
  if (hi === 0) return varLen(lo);
  let n = 5;
  hi >>>= 3;
  while (hi !== 0) {
    n++;
    hi >>>= 7;
  }
  return n;
}
function putVar(u8: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    u8[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  u8[o++] = v;
  return o;
}
function putVar64(u8: Uint8Array, o: number, hi: number, lo: number): number {
  while (hi !== 0 || lo >= 0x80) {
    u8[o++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  u8[o++] = lo;
  return o;
}
// Decoder results (module fields: no tuple per call).
let dPos = 0;
let dHi = 0;
let dLo = 0;
function getVar(u8: Uint8Array, o: number): number {
  let b = u8[o++];
  let v = b & 0x7f;
  let shift = 7;
  while (b >= 0x80) {
    b = u8[o++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
  }
  dPos = o;
  return v;
}
function getVar64(u8: Uint8Array, o: number): void {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (;;) {
    const b = u8[o++];
    const v = b & 0x7f;
    if (shift < 32) {
      lo = (lo | (v << shift)) >>> 0;
      if (shift + 7 > 32) hi = (hi | (v >>> (32 - shift))) >>> 0;
    } else hi = (hi | (v << (shift - 32))) >>> 0;
    shift += 7;
    if (b < 0x80) break;
  }
  dPos = o;
  dHi = hi;
  dLo = lo;
}

// ---- layout constants ---------------------------------------------------------------------------------

const hdrBytes = 96;
export const streamHeaderBytes = hdrBytes;
const hIdx = 0;
const hIdxCap = 1;
const hIdxHead = 2;
const hNodes = 3;
const hLast = 4;
const hFirst = 8;
const hMaxDel = 12;
const hLengthF = 8; // f64 index offset from addr
const hAddedF = 9;
const hGroups = 20;
const hGroupCount = 21;
const hGroupCap = 22;

const nodeHdrBytes = 48;
const nCap = 0;
const nUsed = 1;
const nLive = 2;
const nDeleted = 3;
const nMaster = 4;
const nLast = 8;

const gNameLen = 0;
const gRecBytes = 1;
const gLast = 2;
const gReadF = 3; // f64 index offset (word 6)
const gPel = 8;
const gPelCap = 9;
const gPelCount = 10;
const gCons = 11;
const gConsCount = 12;
const gConsCap = 13;
const gNameByte = 56;

export const pelWords = 10;
const pConsumer = 4;
const pTimeF = 3; // f64 offset within record (word 6)
const pCount = 8; // delivery count: u64 as hi (word 8) and lo (word 9)

const cNameLen = 0;
const cPending = 1; // entries in the consumer's own pending set
const cSeenF = 1; // f64 at word 2
const cPel = 4; // the consumer's pending set: sorted IDs (4 words each)
const cPelCap = 5;
const cNameByte = 24;
const cpelWords = 4;

/** Scratch IDs for callers (never held across calls that use them). */
const tmpA = new StreamId();
const tmpB = new StreamId();

// ---- header ---------------------------------------------------------------------------------------------

/** A new empty stream; returns its header address or 0 when out of memory. */
export function streamCreate(a: Arena): number {
  const h = a.alloc(hdrBytes);
  if (h === 0) return 0;
  a.u32.fill(0, h * 2, h * 2 + hdrBytes / 4);
  return h;
}

export function streamLength(a: Arena, h: number): number {
  return a.f64[h + hLengthF];
}
export function entriesAdded(a: Arena, h: number): number {
  return a.f64[h + hAddedF];
}
export function setEntriesAdded(a: Arena, h: number, n: number): void {
  a.f64[h + hAddedF] = n;
}
export function lastId(a: Arena, h: number, id: StreamId): StreamId {
  return readId(a.u32, h * 2 + hLast, id);
}
export function setLastId(a: Arena, h: number, id: StreamId): void {
  writeId(a.u32, h * 2 + hLast, id);
}
export function firstRecordedId(a: Arena, h: number, id: StreamId): StreamId {
  return readId(a.u32, h * 2 + hFirst, id);
}
export function maxDeletedId(a: Arena, h: number, id: StreamId): StreamId {
  return readId(a.u32, h * 2 + hMaxDel, id);
}
export function setMaxDeletedId(a: Arena, h: number, id: StreamId): void {
  writeId(a.u32, h * 2 + hMaxDel, id);
}
export function nodeCount(a: Arena, h: number): number {
  return a.u32[h * 2 + hNodes];
}

function nodeAt(a: Arena, h: number, i: number): number {
  return a.u32[a.u32[h * 2 + hIdx] * 2 + a.u32[h * 2 + hIdxHead] + i];
}

/** Index of the last node whose master id <= id, or -1. */
function findNode(a: Arena, h: number, id: StreamId): number {
  const u32 = a.u32;
  const n = u32[h * 2 + hNodes];
  const base = u32[h * 2 + hIdx] * 2 + u32[h * 2 + hIdxHead];
  let lo = 0;
  let hi = n - 1;
  let r = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmpAt(u32, u32[base + mid] * 2 + nMaster, id) <= 0) {
      r = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return r;
}

/** Recomputes the recorded first id from the first live entry (0-0 when empty). */
function refreshFirstId(a: Arena, h: number): void {
  const n = a.u32[h * 2 + hNodes];
  // Nodes emptied by exact trimming stay (as in Redis) until a later trim removes them: skip them.
  for (let i = 0; i < n; i++) {
    const node = nodeAt(a, h, i);
    if (a.u32[node * 2 + nLive] === 0) continue;
    let o = node * 8 + nodeHdrBytes;
    const end = node * 8 + a.u32[node * 2 + nUsed];
    while (o < end) {
      if ((a.u8[o] & 1) === 0) {
        decodeId(a, node, o, tmpA);
        writeId(a.u32, h * 2 + hFirst, tmpA);
        return;
      }
      o = skipEntry(a.u8, o);
    }
    assert(false, "stream: node with live entries has none");
  }
  a.u32.fill(0, h * 2 + hFirst, h * 2 + hFirst + 4);
}

// ---- entries ---------------------------------------------------------------------------------------------

/** Decodes the ID of the entry at byte offset o of node into id; dPos is then past the seq. */
function decodeId(a: Arena, node: number, o: number, id: StreamId): void {
  const u8 = a.u8;
  const u32 = a.u32;
  getVar64(u8, o + 1);
  let lo = u32[node * 2 + nMaster + 1] + dLo;
  const carry = lo >= two32 ? 1 : 0;
  lo -= carry * two32;
  const hi = u32[node * 2 + nMaster] + dHi + carry;
  getVar64(u8, dPos);
  id.set(hi, lo, dHi, dLo);
}

function skipEntry(u8: Uint8Array, o: number): number {
  const same = (u8[o] & 2) !== 0;
  o++;
  while (u8[o++] >= 0x80);
  while (u8[o++] >= 0x80);
  let n = getVar(u8, o);
  if (!same) n *= 2;
  o = dPos;
  while (n-- > 0) {
    const len = getVar(u8, o);
    o = dPos + len;
  }
  return o;
}

/** Encoded size of an entry with fields argv[from..to) (values only when same). */
function entryBytes(id: StreamId, master: StreamId | null, argv: Uint8Array[], from: number, to: number, same: boolean): number {
  let n = 1;
  if (master === null) n += 1;
  else {
    const dl = id.msL - master.msL;
    const borrow = dl < 0 ? 1 : 0;
    n += var64Len(id.msH - master.msH - borrow, dl + borrow * two32);
  }
  n += var64Len(id.sH, id.sL) + varLen((to - from) >>> 1);
  for (let i = same ? from + 1 : from; i < to; i += same ? 2 : 1) n += varLen(argv[i].length) + argv[i].length;
  return n;
}

/** Offset of the master entry's first field length (the node's first entry is always complete). */
function masterFieldsAt(u8: Uint8Array, node: number): number {
  let o = node * 8 + nodeHdrBytes + 1;
  while (u8[o++] >= 0x80);
  while (u8[o++] >= 0x80);
  getVar(u8, o);
  return dPos;
}

/** True when argv[from..to)'s field names are the master entry's, in order. */
function sameFieldsAsMaster(a: Arena, node: number, argv: Uint8Array[], from: number, to: number): boolean {
  const u8 = a.u8;
  let o = node * 8 + nodeHdrBytes + 1;
  while (u8[o++] >= 0x80);
  while (u8[o++] >= 0x80);
  if (getVar(u8, o) * 2 !== to - from) return false;
  o = dPos;
  for (let i = from; i < to; i += 2) {
    const name = argv[i];
    const len = getVar(u8, o);
    o = dPos;
    if (len !== name.length) return false;
    for (let j = 0; j < len; j++) if (u8[o + j] !== name[j]) return false;
    o += len;
    const vlen = getVar(u8, o);
    o = dPos + vlen;
  }
  return true;
}

function allocNode(a: Arena, bytes: number): number {
  const cap = classBytes(bytes);
  const node = a.alloc(cap);
  if (node === 0) return 0;
  const u32 = a.u32;
  u32.fill(0, node * 2, node * 2 + nodeHdrBytes / 4);
  u32[node * 2 + nCap] = cap;
  u32[node * 2 + nUsed] = nodeHdrBytes;
  return node;
}

/** Appends a node address to the index; false when out of memory. */
function indexPush(a: Arena, h: number, node: number): boolean {
  let u32 = a.u32;
  const hw = h * 2;
  let cap = u32[hw + hIdxCap];
  const head = u32[hw + hIdxHead];
  const n = u32[hw + hNodes];
  if (head + n === cap) {
    if (head > 0 && head >= cap >>> 1) {
      // Compact: move the live range to the start.
      const base = u32[hw + hIdx] * 2;
      u32.copyWithin(base, base + head, base + head + n);
      u32[hw + hIdxHead] = 0;
    } else {
      const ncap = cap === 0 ? 4 : cap * 2;
      const nidx = a.alloc(ncap * 4);
      if (nidx === 0) return false;
      u32 = a.u32;
      const old = u32[hw + hIdx];
      if (old !== 0) {
        u32.copyWithin(nidx * 2, old * 2 + head, old * 2 + head + n);
        a.free(old, cap * 4);
      }
      u32[hw + hIdx] = nidx;
      u32[hw + hIdxCap] = ncap;
      u32[hw + hIdxHead] = 0;
      cap = ncap;
    }
  }
  u32[u32[hw + hIdx] * 2 + u32[hw + hIdxHead] + n] = node;
  u32[hw + hNodes] = n + 1;
  return true;
}

/** Removes the node at index position i (and frees it). */
function indexRemove(a: Arena, h: number, i: number): void {
  const u32 = a.u32;
  const hw = h * 2;
  const n = u32[hw + hNodes];
  const base = u32[hw + hIdx] * 2 + u32[hw + hIdxHead];
  const node = u32[base + i];
  a.free(node, u32[node * 2 + nCap]);
  if (i === 0) u32[hw + hIdxHead]++;
  else u32.copyWithin(base + i, base + i + 1, base + n);
  u32[hw + hNodes] = n - 1;
  if (n === 1) u32[hw + hIdxHead] = 0;
}

/**
 * Appends an entry with ID id (> last id, checked by the caller) and the field/value pairs
 * argv[from..to). Returns false when out of memory (nothing changed).
 */
export function streamAppend(a: Arena, h: number, id: StreamId, argv: Uint8Array[], from: number, to: number, nodeMaxEntries: number, nodeMaxBytes: number): boolean {
  let u32 = a.u32;
  const n = u32[h * 2 + hNodes];
  let node = n > 0 ? nodeAt(a, h, n - 1) : 0;
  let size = 0;
  let same = false;
  if (node !== 0) {
    readId(u32, node * 2 + nMaster, tmpB);
    same = sameFieldsAsMaster(a, node, argv, from, to);
    size = entryBytes(id, tmpB, argv, from, to, same);
    const count = u32[node * 2 + nLive] + u32[node * 2 + nDeleted];
    const used = u32[node * 2 + nUsed];
    if ((nodeMaxEntries > 0 && count >= nodeMaxEntries) || (nodeMaxBytes > 0 && used - nodeHdrBytes + size > nodeMaxBytes)) node = 0;
    else if (used + size > u32[node * 2 + nCap]) {
      // Grow the node (by 1/4 at least, so appends are amortised O(1)).
      const want = Math.max(used + size, Math.min(used + (used >>> 2), nodeMaxBytes > 0 ? nodeMaxBytes + nodeHdrBytes : used * 2));
      const nn = a.alloc(classBytes(want));
      if (nn === 0) return false;
      u32 = a.u32;
      a.u8.copyWithin(nn * 8, node * 8, node * 8 + used);
      a.free(node, u32[node * 2 + nCap]);
      u32[nn * 2 + nCap] = classBytes(want);
      u32[u32[h * 2 + hIdx] * 2 + u32[h * 2 + hIdxHead] + n - 1] = nn;
      node = nn;
    }
  }
  if (node === 0) {
    same = false;
    size = entryBytes(id, null, argv, from, to, false);
    let want = nodeHdrBytes + size;
    if (nodeMaxEntries > 0 && want < 256) want = Math.min(nodeHdrBytes + size * Math.min(nodeMaxEntries, 4), 256);
    node = allocNode(a, want);
    if (node === 0) return false;
    if (!indexPush(a, h, node)) {
      a.free(node, a.u32[node * 2 + nCap]);
      return false;
    }
    u32 = a.u32;
    writeId(u32, node * 2 + nMaster, id);
  }
  const u8 = a.u8;
  const used = u32[node * 2 + nUsed];
  let o = node * 8 + used;
  u8[o++] = same ? 2 : 0;
  let dl = id.msL - u32[node * 2 + nMaster + 1];
  const borrow = dl < 0 ? 1 : 0;
  dl += borrow * two32;
  o = putVar64(u8, o, id.msH - u32[node * 2 + nMaster] - borrow, dl);
  o = putVar64(u8, o, id.sH, id.sL);
  o = putVar(u8, o, (to - from) >>> 1);
  for (let i = same ? from + 1 : from; i < to; i += same ? 2 : 1) {
    const f = argv[i];
    o = putVar(u8, o, f.length);
    if (f.length > 32) u8.set(f, o);
    else for (let j = 0; j < f.length; j++) u8[o + j] = f[j];
    o += f.length;
  }
  assert(o - node * 8 <= u32[node * 2 + nCap], "stream: node overflow");
  u32[node * 2 + nUsed] = o - node * 8;
  u32[node * 2 + nLive]++;
  writeId(u32, node * 2 + nLast, id);
  const hw = h * 2;
  writeId(u32, hw + hLast, id);
  if (a.f64[h + hLengthF] === 0) writeId(u32, hw + hFirst, id);
  a.f64[h + hLengthF]++;
  a.f64[h + hAddedF]++;
  return true;
}

// ---- iteration ---------------------------------------------------------------------------------------------

/**
 * A range cursor over live entries. After next() returns true: id is the entry's ID, node/off
 * locate it (fieldsOff: the field count varint). Valid until the stream is modified (except
 * through deleteCurrent).
 */
export class StreamIter {
  a!: Arena;
  h = 0;
  readonly id = new StreamId();
  readonly start = new StreamId();
  readonly end = new StreamId();
  rev = false;
  node = 0;
  off = 0;
  fieldsOff = 0;
  private ni = 0;
  private pos = 0; // next entry offset (forward) or index into offsets (reverse)
  private offs: number[] = [];

  /** Iterates entries with start <= id <= end (copies the bounds). */
  init(a: Arena, h: number, start: StreamId, end: StreamId, rev: boolean): this {
    this.a = a;
    this.h = h;
    this.start.copy(start);
    this.end.copy(end);
    this.rev = rev;
    const n = a.u32[h * 2 + hNodes];
    if (!rev) {
      this.ni = Math.max(0, findNode(a, h, start));
      this.loadNode(n);
    } else {
      this.ni = findNode(a, h, end);
      this.loadNode(n);
    }
    return this;
  }

  private loadNode(n: number): void {
    if (this.ni < 0 || this.ni >= n) {
      this.node = 0;
      return;
    }
    this.node = nodeAt(this.a, this.h, this.ni);
    if (!this.rev) this.pos = this.node * 8 + nodeHdrBytes;
    else {
      const u8 = this.a.u8;
      const offs = this.offs;
      offs.length = 0;
      let o = this.node * 8 + nodeHdrBytes;
      const end = this.node * 8 + this.a.u32[this.node * 2 + nUsed];
      while (o < end) {
        offs.push(o);
        o = skipEntry(u8, o);
      }
      this.pos = offs.length - 1;
    }
  }

  next(): boolean {
    const a = this.a;
    const n = a.u32[this.h * 2 + hNodes];
    while (this.node !== 0) {
      const node = this.node;
      if (!this.rev) {
        const end = node * 8 + a.u32[node * 2 + nUsed];
        while (this.pos < end) {
          const o = this.pos;
          decodeId(a, node, o, this.id);
          this.fieldsOff = dPos;
          this.pos = skipEntry(a.u8, o);
          if ((a.u8[o] & 1) !== 0) continue;
          const c = cmpId(this.id, this.start);
          if (c < 0) continue;
          if (cmpId(this.id, this.end) > 0) {
            this.node = 0;
            return false;
          }
          this.off = o;
          return true;
        }
        this.ni++;
      } else {
        while (this.pos >= 0) {
          const o = this.offs[this.pos--];
          if ((a.u8[o] & 1) !== 0) continue;
          decodeId(a, node, o, this.id);
          this.fieldsOff = dPos;
          if (cmpId(this.id, this.end) > 0) continue;
          if (cmpId(this.id, this.start) < 0) {
            this.node = 0;
            return false;
          }
          this.off = o;
          return true;
        }
        this.ni--;
      }
      this.loadNode(n);
    }
    return false;
  }

  /** Field count of the current entry; fields follow at fieldPos(). */
  fieldCount(): number {
    const v = getVar(this.a.u8, this.fieldsOff);
    return v;
  }
}

/** Receives an entry's fields and values as byte ranges of u8 (the arena). */
export interface FieldSink {
  field(u8: Uint8Array, start: number, end: number): void;
}

/** Passes the current entry's field, value, field, value... to sink (names from the master if shared). */
export function visitEntryFields(cur: StreamIter, sink: FieldSink): void {
  const u8 = cur.a.u8;
  const n = getVar(u8, cur.fieldsOff);
  let o = dPos;
  if ((u8[cur.off] & 2) === 0) {
    for (let i = 0; i < n * 2; i++) {
      const len = getVar(u8, o);
      o = dPos;
      sink.field(u8, o, o + len);
      o += len;
    }
    return;
  }
  let mo = masterFieldsAt(u8, cur.node);
  for (let i = 0; i < n; i++) {
    let len = getVar(u8, mo);
    mo = dPos;
    sink.field(u8, mo, mo + len);
    mo += len;
    const mlen = getVar(u8, mo); // skip the master's value
    mo = dPos + mlen;
    len = getVar(u8, o);
    o = dPos;
    sink.field(u8, o, o + len);
    o += len;
  }
}

/** Finds the live entry with exactly this id; sets the iterator `it` on it. */
export function streamFind(a: Arena, h: number, id: StreamId, it: StreamIter): boolean {
  it.init(a, h, id, id, false);
  return it.next();
}

/** Deletes the entry the forward iterator stands on (XDEL / trimming). Keeps the iterator usable. */
function deleteAt(a: Arena, h: number, node: number, o: number): boolean {
  a.u8[o] |= 1;
  const u32 = a.u32;
  u32[node * 2 + nLive]--;
  u32[node * 2 + nDeleted]++;
  a.f64[h + hLengthF]--;
  return u32[node * 2 + nLive] === 0;
}

/** XDEL of one ID: true when it existed. Updates max-deleted-id and the first id. */
export function streamDelete(a: Arena, h: number, id: StreamId): boolean {
  const ni = findNode(a, h, id);
  if (ni < 0) return false;
  const node = nodeAt(a, h, ni);
  let o = node * 8 + nodeHdrBytes;
  const end = node * 8 + a.u32[node * 2 + nUsed];
  while (o < end) {
    decodeId(a, node, o, tmpA);
    const c = cmpId(tmpA, id);
    if (c > 0) return false;
    if (c === 0) {
      if ((a.u8[o] & 1) !== 0) return false;
      if (deleteAt(a, h, node, o)) indexRemove(a, h, ni);
      if (cmpAt(a.u32, h * 2 + hMaxDel, id) < 0) writeId(a.u32, h * 2 + hMaxDel, id);
      if (cmpAt(a.u32, h * 2 + hFirst, id) === 0) refreshFirstId(a, h);
      return true;
    }
    o = skipEntry(a.u8, o);
  }
  return false;
}

/**
 * Trims by MAXLEN (minid null) or MINID. approx trims only whole nodes; limit (> 0) caps the
 * entries removed (0 = none). Returns the number of entries removed.
 */
export function streamTrim(a: Arena, h: number, maxLen: number, minId: StreamId | null, approx: boolean, limit: number): number {
  let removed = 0;
  const hw = h * 2;
  while (a.u32[hw + hNodes] > 0) {
    const len = a.f64[h + hLengthF];
    if (minId === null && len <= maxLen) break;
    const node = nodeAt(a, h, 0);
    const u32 = a.u32;
    const live = u32[node * 2 + nLive];
    const removeNode = minId === null ? len - live >= maxLen : cmpAt(u32, node * 2 + nLast, minId) < 0;
    if (removeNode) {
      if (limit > 0 && removed + live > limit) break; // LIMIT counts live entries, as Redis does
      a.f64[h + hLengthF] = len - live;
      removed += live;
      indexRemove(a, h, 0);
      continue;
    }
    if (approx) break;
    // Exact: mark entries of this node deleted, oldest first.
    let o = node * 8 + nodeHdrBytes;
    const end = node * 8 + u32[node * 2 + nUsed];
    while (o < end) {
      if (minId === null ? a.f64[h + hLengthF] <= maxLen : false) break;
      if ((a.u8[o] & 1) === 0) {
        if (minId !== null) {
          decodeId(a, node, o, tmpA);
          if (cmpId(tmpA, minId) >= 0) break;
        }
        deleteAt(a, h, node, o); // a node emptied here is kept, as Redis keeps it
        removed++;
      }
      o = skipEntry(a.u8, o);
    }
    break;
  }
  if (removed > 0) refreshFirstId(a, h);
  return removed;
}

// ---- consumer groups ---------------------------------------------------------------------------------------

export function groupCount(a: Arena, h: number): number {
  return a.u32[h * 2 + hGroupCount];
}
export function groupAt(a: Arena, h: number, i: number): number {
  return a.u32[a.u32[h * 2 + hGroups] * 2 + i];
}

function cmpName(u8: Uint8Array, off: number, len: number, name: Uint8Array): number {
  const n = Math.min(len, name.length);
  for (let i = 0; i < n; i++) {
    const d = u8[off + i] - name[i];
    if (d !== 0) return d;
  }
  return len - name.length;
}

/** Position of name in a sorted array of records (>= 0 found, else -(insert point) - 1). */
function searchNames(a: Arena, arr: number, count: number, nameLenW: number, nameByte: number, name: Uint8Array): number {
  let lo = 0;
  let hi = count - 1;
  const u32 = a.u32;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = u32[arr * 2 + mid];
    const c = cmpName(a.u8, r * 8 + nameByte, u32[r * 2 + nameLenW], name);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** Inserts v at position pos of a u32 array stored at words (addrW, countW, capW) of rec. */
function arrayInsert(a: Arena, rec: number, addrW: number, countW: number, capW: number, pos: number, v: number): boolean {
  let u32 = a.u32;
  const rw = rec * 2;
  const n = u32[rw + countW];
  let cap = u32[rw + capW];
  if (n === cap) {
    const ncap = cap === 0 ? 2 : cap * 2;
    const na = a.alloc(ncap * 4);
    if (na === 0) return false;
    u32 = a.u32;
    const old = u32[rw + addrW];
    if (old !== 0) {
      u32.copyWithin(na * 2, old * 2, old * 2 + n);
      a.free(old, cap * 4);
    }
    u32[rw + addrW] = na;
    u32[rw + capW] = ncap;
    cap = ncap;
  }
  const base = u32[rw + addrW] * 2;
  u32.copyWithin(base + pos + 1, base + pos, base + n);
  u32[base + pos] = v;
  u32[rw + countW] = n + 1;
  return true;
}
function arrayRemove(a: Arena, rec: number, addrW: number, countW: number, pos: number): void {
  const u32 = a.u32;
  const rw = rec * 2;
  const n = u32[rw + countW];
  const base = u32[rw + addrW] * 2;
  u32.copyWithin(base + pos, base + pos + 1, base + n);
  u32[rw + countW] = n - 1;
}

export function groupFind(a: Arena, h: number, name: Uint8Array): number {
  const i = searchNames(a, a.u32[h * 2 + hGroups], a.u32[h * 2 + hGroupCount], gNameLen, gNameByte, name);
  return i >= 0 ? groupAt(a, h, i) : 0;
}

/** Creates a group; returns its address, 0 when it exists, -1 when out of memory. */
export function groupCreate(a: Arena, h: number, name: Uint8Array, last: StreamId, entriesRead: number): number {
  const i = searchNames(a, a.u32[h * 2 + hGroups], a.u32[h * 2 + hGroupCount], gNameLen, gNameByte, name);
  if (i >= 0) return 0;
  const bytes = gNameByte + name.length;
  const g = a.alloc(bytes);
  if (g === 0) return -1;
  const u32 = a.u32;
  u32.fill(0, g * 2, g * 2 + gNameByte / 4);
  u32[g * 2 + gNameLen] = name.length;
  u32[g * 2 + gRecBytes] = bytes;
  writeId(u32, g * 2 + gLast, last);
  a.f64[g + gReadF] = entriesRead;
  a.u8.set(name, g * 8 + gNameByte);
  // Groups array lives at header words hGroups/hGroupCount/hGroupCap.
  if (!arrayInsert(a, h, hGroups, hGroupCount, hGroupCap, -i - 1, g)) {
    a.free(g, bytes);
    return -1;
  }
  return g;
}

export function groupDestroy(a: Arena, h: number, name: Uint8Array): boolean {
  const i = searchNames(a, a.u32[h * 2 + hGroups], a.u32[h * 2 + hGroupCount], gNameLen, gNameByte, name);
  if (i < 0) return false;
  const g = groupAt(a, h, i);
  arrayRemove(a, h, hGroups, hGroupCount, i);
  freeGroup(a, g);
  return true;
}

function freeGroup(a: Arena, g: number): void {
  const u32 = a.u32;
  const gw = g * 2;
  if (u32[gw + gPel] !== 0) a.free(u32[gw + gPel], u32[gw + gPelCap] * pelWords * 4);
  const cons = u32[gw + gCons];
  for (let i = 0; i < u32[gw + gConsCount]; i++) freeConsumer(a, u32[cons * 2 + i]);
  if (cons !== 0) a.free(cons, u32[gw + gConsCap] * 4);
  a.free(g, u32[gw + gRecBytes]);
}

export function groupName(a: Arena, g: number): Uint8Array {
  return a.u8.subarray(g * 8 + gNameByte, g * 8 + gNameByte + a.u32[g * 2 + gNameLen]);
}
export function groupLastId(a: Arena, g: number, id: StreamId): StreamId {
  return readId(a.u32, g * 2 + gLast, id);
}
export function setGroupLastId(a: Arena, g: number, id: StreamId): void {
  writeId(a.u32, g * 2 + gLast, id);
}
export function groupEntriesRead(a: Arena, g: number): number {
  return a.f64[g + gReadF];
}
export function setGroupEntriesRead(a: Arena, g: number, n: number): void {
  a.f64[g + gReadF] = n;
}
export function pelCount(a: Arena, g: number): number {
  return a.u32[g * 2 + gPelCount];
}
export function consumerCount(a: Arena, g: number): number {
  return a.u32[g * 2 + gConsCount];
}
export function consumerAt(a: Arena, g: number, i: number): number {
  return a.u32[a.u32[g * 2 + gCons] * 2 + i];
}
export function consumerName(a: Arena, c: number): Uint8Array {
  return a.u8.subarray(c * 8 + cNameByte, c * 8 + cNameByte + a.u32[c * 2 + cNameLen]);
}
export function consumerPending(a: Arena, c: number): number {
  return a.u32[c * 2 + cPending];
}
export function consumerSeen(a: Arena, c: number): number {
  return a.f64[c + cSeenF];
}
export function setConsumerSeen(a: Arena, c: number, t: number): void {
  a.f64[c + cSeenF] = t;
}

export function consumerFind(a: Arena, g: number, name: Uint8Array): number {
  const i = searchNames(a, a.u32[g * 2 + gCons], a.u32[g * 2 + gConsCount], cNameLen, cNameByte, name);
  return i >= 0 ? consumerAt(a, g, i) : 0;
}

/** Creates a consumer; returns its address, 0 when it exists, -1 when out of memory. */
export function consumerCreate(a: Arena, g: number, name: Uint8Array, now: number): number {
  const i = searchNames(a, a.u32[g * 2 + gCons], a.u32[g * 2 + gConsCount], cNameLen, cNameByte, name);
  if (i >= 0) return 0;
  const bytes = cNameByte + name.length;
  const c = a.alloc(bytes);
  if (c === 0) return -1;
  a.u32[c * 2 + cNameLen] = name.length;
  a.u32[c * 2 + cPending] = 0;
  a.u32[c * 2 + cPel] = 0;
  a.u32[c * 2 + cPelCap] = 0;
  a.f64[c + cSeenF] = now;
  a.u8.set(name, c * 8 + cNameByte);
  if (!arrayInsert(a, g, gCons, gConsCount, gConsCap, -i - 1, c)) {
    a.free(c, bytes);
    return -1;
  }
  return c;
}

/** Deletes a consumer and its pending entries; returns how many were pending, -1 if missing. */
export function consumerDelete(a: Arena, g: number, name: Uint8Array): number {
  const i = searchNames(a, a.u32[g * 2 + gCons], a.u32[g * 2 + gConsCount], cNameLen, cNameByte, name);
  if (i < 0) return -1;
  const c = consumerAt(a, g, i);
  const pending = a.u32[c * 2 + cPending];
  // Drop its PEL records (compacting the array in one pass).
  const u32 = a.u32;
  const base = u32[g * 2 + gPel] * 2;
  const n = u32[g * 2 + gPelCount];
  let w = 0;
  for (let r = 0; r < n; r++) {
    if (u32[base + r * pelWords + pConsumer] === c) continue;
    if (w !== r) u32.copyWithin(base + w * pelWords, base + r * pelWords, base + (r + 1) * pelWords);
    w++;
  }
  u32[g * 2 + gPelCount] = w;
  arrayRemove(a, g, gCons, gConsCount, i);
  freeConsumer(a, c);
  return pending;
}

function freeConsumer(a: Arena, c: number): void {
  const u32 = a.u32;
  if (u32[c * 2 + cPel] !== 0) a.free(u32[c * 2 + cPel], u32[c * 2 + cPelCap] * cpelWords * 4);
  a.free(c, cNameByte + u32[c * 2 + cNameLen]);
}

// ---- a consumer's pending set ---------------------------------------------------------------------------

/** Position of id in c's pending set (>= 0 found, else -(insert point) - 1). */
export function consumerPelSearch(a: Arena, c: number, id: StreamId): number {
  const u32 = a.u32;
  const base = u32[c * 2 + cPel] * 2;
  let lo = 0;
  let hi = u32[c * 2 + cPending] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = cmpAt(u32, base + mid * cpelWords, id);
    if (r === 0) return mid;
    if (r < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}
/** The i-th ID of c's pending set. */
export function consumerPelId(a: Arena, c: number, i: number, id: StreamId): StreamId {
  return readId(a.u32, a.u32[c * 2 + cPel] * 2 + i * cpelWords, id);
}
/** Room for one more ID in c's pending set; false when out of memory. */
function consumerPelReserve(a: Arena, c: number): boolean {
  let u32 = a.u32;
  const n = u32[c * 2 + cPending];
  const cap = u32[c * 2 + cPelCap];
  if (n < cap) return true;
  const ncap = cap === 0 ? 4 : cap * 2;
  const np = a.alloc(ncap * cpelWords * 4);
  if (np === 0) return false;
  u32 = a.u32;
  const old = u32[c * 2 + cPel];
  if (old !== 0) {
    u32.copyWithin(np * 2, old * 2, old * 2 + n * cpelWords);
    a.free(old, cap * cpelWords * 4);
  }
  u32[c * 2 + cPel] = np;
  u32[c * 2 + cPelCap] = ncap;
  return true;
}
/** Adds id to c's pending set (room reserved). */
function consumerPelAdd(a: Arena, c: number, id: StreamId): void {
  const u32 = a.u32;
  const n = u32[c * 2 + cPending];
  let pos = consumerPelSearch(a, c, id);
  assert(pos < 0, "stream: ID already in the consumer's pending set");
  pos = -pos - 1;
  const base = u32[c * 2 + cPel] * 2;
  if (pos < n) u32.copyWithin(base + (pos + 1) * cpelWords, base + pos * cpelWords, base + n * cpelWords);
  writeId(u32, base + pos * cpelWords, id);
  u32[c * 2 + cPending] = n + 1;
}
function consumerPelDel(a: Arena, c: number, id: StreamId): void {
  const u32 = a.u32;
  const n = u32[c * 2 + cPending];
  const pos = consumerPelSearch(a, c, id);
  assert(pos >= 0, "stream: ID missing from the consumer's pending set");
  const base = u32[c * 2 + cPel] * 2;
  u32.copyWithin(base + pos * cpelWords, base + (pos + 1) * cpelWords, base + n * cpelWords);
  u32[c * 2 + cPending] = n - 1;
}

// ---- PEL ---------------------------------------------------------------------------------------------------

/** Word index of PEL record i of group g. */
export function pelRec(a: Arena, g: number, i: number): number {
  return a.u32[g * 2 + gPel] * 2 + i * pelWords;
}
export function pelId(a: Arena, w: number, id: StreamId): StreamId {
  return readId(a.u32, w, id);
}
export function pelConsumer(a: Arena, w: number): number {
  return a.u32[w + pConsumer];
}
export function pelTime(a: Arena, w: number): number {
  return a.f64[(w >>> 1) + pTimeF];
}
/** Delivery count: a number below 2^53, a bigint beyond (RETRYCOUNT can set any int64). */
export function pelDeliveries(a: Arena, w: number): number | bigint {
  const hi = a.u32[w + pCount];
  const lo = a.u32[w + pCount + 1];
  if (hi < 0x200000) return hi * two32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
export function pelIncrDeliveries(a: Arena, w: number): void {
  const u32 = a.u32;
  if (u32[w + pCount + 1] === 0xffffffff) {
    u32[w + pCount + 1] = 0;
    u32[w + pCount] = (u32[w + pCount] + 1) >>> 0;
  } else u32[w + pCount + 1]++;
}
export function pelSetTime(a: Arena, w: number, t: number): void {
  a.f64[(w >>> 1) + pTimeF] = t;
}
export function pelSetDeliveries(a: Arena, w: number, n: number | bigint): void {
  if (typeof n === "bigint") {
    const v = BigInt.asUintN(64, n);
    a.u32[w + pCount] = Number(v >> 32n);
    a.u32[w + pCount + 1] = Number(v & 0xffffffffn);
  } else {
    a.u32[w + pCount] = Math.floor(n / two32);
    a.u32[w + pCount + 1] = n % two32;
  }
}
const tmpP = new StreamId();

/** Moves the record at w to consumer c (the pending sets follow); false when out of memory. */
export function pelSetConsumer(a: Arena, w: number, c: number): boolean {
  const old = a.u32[w + pConsumer];
  if (old === c) return true;
  if (!consumerPelReserve(a, c)) return false;
  readId(a.u32, w, tmpP);
  consumerPelDel(a, old, tmpP);
  consumerPelAdd(a, c, tmpP);
  a.u32[w + pConsumer] = c;
  return true;
}

/** Position of id in g's PEL (>= 0 found, else -(insert point) - 1). */
export function pelSearch(a: Arena, g: number, id: StreamId): number {
  const u32 = a.u32;
  const base = u32[g * 2 + gPel] * 2;
  let lo = 0;
  let hi = u32[g * 2 + gPelCount] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmpAt(u32, base + mid * pelWords, id);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** Inserts a PEL record at position pos; returns its word index or -1 when out of memory. */
export function pelInsert(a: Arena, g: number, pos: number, id: StreamId, c: number, time: number, count: number | bigint): number {
  let u32 = a.u32;
  const gw = g * 2;
  const n = u32[gw + gPelCount];
  const cap = u32[gw + gPelCap];
  if (n === cap) {
    const ncap = cap === 0 ? 4 : cap * 2;
    const np = a.alloc(ncap * pelWords * 4);
    if (np === 0) return -1;
    u32 = a.u32;
    const old = u32[gw + gPel];
    if (old !== 0) {
      u32.copyWithin(np * 2, old * 2, old * 2 + n * pelWords);
      a.free(old, cap * pelWords * 4);
    }
    u32[gw + gPel] = np;
    u32[gw + gPelCap] = ncap;
  }
  if (!consumerPelReserve(a, c)) return -1;
  u32 = a.u32;
  const base = u32[gw + gPel] * 2;
  if (pos < n) u32.copyWithin(base + (pos + 1) * pelWords, base + pos * pelWords, base + n * pelWords);
  const w = base + pos * pelWords;
  writeId(u32, w, id);
  u32[w + pConsumer] = c;
  u32[w + 5] = 0;
  a.f64[(w >>> 1) + pTimeF] = time;
  pelSetDeliveries(a, w, count);
  u32[gw + gPelCount] = n + 1;
  consumerPelAdd(a, c, id);
  return w;
}

export function pelRemove(a: Arena, g: number, pos: number): void {
  const u32 = a.u32;
  const gw = g * 2;
  const n = u32[gw + gPelCount];
  const base = u32[gw + gPel] * 2;
  const c = u32[base + pos * pelWords + pConsumer];
  consumerPelDel(a, c, readId(u32, base + pos * pelWords, tmpP));
  u32.copyWithin(base + pos * pelWords, base + (pos + 1) * pelWords, base + n * pelWords);
  u32[gw + gPelCount] = n - 1;
}

// ---- TypeOps -------------------------------------------------------------------------------------------------

/** The header address stored in a key's 4 value bytes (unaligned: read byte by byte). */
export function headerOf(u8: Uint8Array, off: number): number {
  return (u8[off] | (u8[off + 1] << 8) | (u8[off + 2] << 16) | (u8[off + 3] << 24)) >>> 0;
}
export function writeHeaderRef(u8: Uint8Array, off: number, h: number): void {
  u8[off] = h & 0xff;
  u8[off + 1] = (h >>> 8) & 0xff;
  u8[off + 2] = (h >>> 16) & 0xff;
  u8[off + 3] = h >>> 24;
}
export const streamValueBytes = 4;

export function streamFree(a: Arena, h: number): void {
  const u32 = a.u32;
  const hw = h * 2;
  const n = u32[hw + hNodes];
  for (let i = 0; i < n; i++) {
    const node = nodeAt(a, h, i);
    a.free(node, u32[node * 2 + nCap]);
  }
  if (u32[hw + hIdx] !== 0) a.free(u32[hw + hIdx], u32[hw + hIdxCap] * 4);
  const gc = u32[hw + hGroupCount];
  for (let i = 0; i < gc; i++) freeGroup(a, groupAt(a, h, i));
  if (u32[hw + hGroups] !== 0) a.free(u32[hw + hGroups], u32[hw + hGroupCap] * 4);
  a.free(h, hdrBytes);
}

export function streamOwnedBytes(a: Arena, h: number): number {
  const u32 = a.u32;
  const hw = h * 2;
  let total = classBytes(hdrBytes);
  const n = u32[hw + hNodes];
  for (let i = 0; i < n; i++) total += u32[nodeAt(a, h, i) * 2 + nCap];
  if (u32[hw + hIdx] !== 0) total += classBytes(u32[hw + hIdxCap] * 4);
  const gc = u32[hw + hGroupCount];
  if (u32[hw + hGroups] !== 0) total += classBytes(u32[hw + hGroupCap] * 4);
  for (let i = 0; i < gc; i++) {
    const g = groupAt(a, h, i);
    const gw = g * 2;
    total += classBytes(u32[gw + gRecBytes]);
    if (u32[gw + gPel] !== 0) total += classBytes(u32[gw + gPelCap] * pelWords * 4);
    if (u32[gw + gCons] !== 0) total += classBytes(u32[gw + gConsCap] * 4);
    for (let j = 0; j < u32[gw + gConsCount]; j++) {
      const c = consumerAt(a, g, j);
      total += classBytes(cNameByte + u32[c * 2 + cNameLen]);
      if (u32[c * 2 + cPel] !== 0) total += classBytes(u32[c * 2 + cPelCap] * cpelWords * 4);
    }
  }
  return total;
}

/** Copies a block of `bytes` from src to a new block in dst; 0 when out of memory. */
function copyBlock(src: Arena, addr: number, bytes: number, dst: Arena): number {
  const na = dst.alloc(bytes);
  if (na === 0) return 0;
  dst.u8.set(src.u8.subarray(addr * 8, addr * 8 + classBytes(bytes)), na * 8);
  return na;
}

/**
 * Deep copy of the stream at src/h into dst; returns the new header or 0 when out of memory (what
 * was copied is freed again).
 */
export function streamClone(src: Arena, h: number, dst: Arena): number {
  const nh = streamCreate(dst);
  if (nh === 0) return 0;
  const su = src.u32;
  // Copy the header scalars, then rebuild the pointers one by one (the new header is freeable at
  // every step: counts are raised only after the block they describe exists).
  dst.u32.set(su.subarray(h * 2, h * 2 + hdrBytes / 4), nh * 2);
  const du = (): Uint32Array => dst.u32;
  const hw = nh * 2;
  du()[hw + hIdx] = 0;
  du()[hw + hIdxCap] = 0;
  du()[hw + hIdxHead] = 0;
  du()[hw + hNodes] = 0;
  du()[hw + hGroups] = 0;
  du()[hw + hGroupCount] = 0;
  du()[hw + hGroupCap] = 0;
  const n = su[h * 2 + hNodes];
  for (let i = 0; i < n; i++) {
    const node = nodeAt(src, h, i);
    const nn = copyBlock(src, node, su[node * 2 + nCap], dst);
    if (nn === 0 || !indexPush(dst, nh, nn)) {
      if (nn !== 0) dst.free(nn, su[node * 2 + nCap]);
      streamFree(dst, nh);
      return 0;
    }
  }
  const gc = su[h * 2 + hGroupCount];
  for (let i = 0; i < gc; i++) {
    const g = groupAt(src, h, i);
    const gw = g * 2;
    const ng = groupCreate(dst, nh, groupName(src, g), groupLastId(src, g, tmpA), src.f64[g + gReadF]);
    if (ng <= 0) {
      streamFree(dst, nh);
      return 0;
    }
    const cc = su[gw + gConsCount];
    const map = new Map<number, number>();
    for (let j = 0; j < cc; j++) {
      const c = consumerAt(src, g, j);
      const nc = consumerCreate(dst, ng, consumerName(src, c), src.f64[c + cSeenF]);
      if (nc <= 0) {
        streamFree(dst, nh);
        return 0;
      }
      map.set(c, nc);
    }
    const pc = su[gw + gPelCount];
    for (let j = 0; j < pc; j++) {
      const w = pelRec(src, g, j);
      readId(src.u32, w, tmpB);
      if (pelInsert(dst, ng, j, tmpB, map.get(src.u32[w + pConsumer])!, pelTime(src, w), pelDeliveries(src, w)) < 0) {
        streamFree(dst, nh);
        return 0;
      }
    }
  }
  return nh;
}

// ---- serialized form (shard log records, snapshots) ----------------------------------------------------------
//
// Format version 1, little endian, no arena addresses. v = varint (u32), v64 = varint of a u64 (hi/lo),
// id = v64 ms then v64 seq, f64 = 8 bytes.
//   u8 version (1), id last, id recorded-first, id max-deleted, f64 length, f64 entries-added,
//   v index capacity, v index head, v node count, then per node (index order): v capacity, v live,
//     v deleted, id master, id last appended, v entry bytes, then the entries exactly as the node
//     holds them (their IDs are deltas from the master id: nothing in them is an address).
//   v groups capacity, v group count, then per group (name order): v name length, name,
//     id last-delivered, f64 entries-read, v consumers capacity, v consumer count, v PEL capacity,
//     v PEL count, then per consumer (name order): v name length, name, f64 seen time, v pending-set
//     capacity; then per PEL record (ID order): id, v consumer index, f64 delivery time, v64 count.
// Nodes, tombstones and every capacity come back as they were, so every reply (XINFO's node count,
// MEMORY USAGE) and later growth and trimming behave the same. A consumer's pending set is rebuilt
// from the PEL: its IDs are those of the records that name it, in ID order.

const serialVersion = 1;

/** Reused output buffer of serialize (replaced when a value outgrows it; dropped when large). */
let wBuf = new Uint8Array(1024);
let wView = new DataView(wBuf.buffer);
let wPos = 0;

function wEnsure(n: number): void {
  if (wPos + n <= wBuf.length) return;
  const nb = new Uint8Array(Math.max(wBuf.length * 2, wPos + n));
  nb.set(wBuf.subarray(0, wPos));
  wBuf = nb;
  wView = new DataView(nb.buffer);
}
function wVar(v: number): void {
  wEnsure(5);
  wPos = putVar(wBuf, wPos, v);
}
function wId(u32: Uint32Array, w: number): void {
  wEnsure(20);
  wPos = putVar64(wBuf, wPos, u32[w], u32[w + 1]);
  wPos = putVar64(wBuf, wPos, u32[w + 2], u32[w + 3]);
}
function wF64(v: number): void {
  wEnsure(8);
  wView.setFloat64(wPos, v, true);
  wPos += 8;
}
function wBytes(src: Uint8Array, start: number, end: number): void {
  wEnsure(end - start);
  wBuf.set(src.subarray(start, end), wPos);
  wPos += end - start;
}

/** Self-contained bytes of the stream with header h (format above). */
export function streamSerialize(a: Arena, h: number): Uint8Array {
  wPos = 0;
  wEnsure(1);
  wBuf[wPos++] = serialVersion;
  const u32 = a.u32;
  const u8 = a.u8;
  const hw = h * 2;
  wId(u32, hw + hLast);
  wId(u32, hw + hFirst);
  wId(u32, hw + hMaxDel);
  wF64(a.f64[h + hLengthF]);
  wF64(a.f64[h + hAddedF]);
  const n = u32[hw + hNodes];
  wVar(u32[hw + hIdxCap]);
  wVar(u32[hw + hIdxHead]);
  wVar(n);
  for (let i = 0; i < n; i++) {
    const node = nodeAt(a, h, i);
    const nw = node * 2;
    wVar(u32[nw + nCap]);
    wVar(u32[nw + nLive]);
    wVar(u32[nw + nDeleted]);
    wId(u32, nw + nMaster);
    wId(u32, nw + nLast);
    const used = u32[nw + nUsed];
    wVar(used - nodeHdrBytes);
    wBytes(u8, node * 8 + nodeHdrBytes, node * 8 + used);
  }
  const gc = u32[hw + hGroupCount];
  wVar(u32[hw + hGroupCap]);
  wVar(gc);
  for (let i = 0; i < gc; i++) {
    const g = groupAt(a, h, i);
    const gw = g * 2;
    const nameLen = u32[gw + gNameLen];
    wVar(nameLen);
    wBytes(u8, g * 8 + gNameByte, g * 8 + gNameByte + nameLen);
    wId(u32, gw + gLast);
    wF64(a.f64[g + gReadF]);
    const cc = u32[gw + gConsCount];
    wVar(u32[gw + gConsCap]);
    wVar(cc);
    const pc = u32[gw + gPelCount];
    wVar(u32[gw + gPelCap]);
    wVar(pc);
    for (let j = 0; j < cc; j++) {
      const c = consumerAt(a, g, j);
      const cl = u32[c * 2 + cNameLen];
      wVar(cl);
      wBytes(u8, c * 8 + cNameByte, c * 8 + cNameByte + cl);
      wF64(a.f64[c + cSeenF]);
      wVar(u32[c * 2 + cPelCap]);
    }
    const base = u32[gw + gPel] * 2;
    for (let j = 0; j < pc; j++) {
      const w = base + j * pelWords;
      wId(u32, w);
      // The consumer's index: binary search by name in the group's sorted consumer array.
      const c = u32[w + pConsumer];
      const ci = searchNames(a, u32[gw + gCons], cc, cNameLen, cNameByte, consumerName(a, c));
      assert(ci >= 0, "stream: PEL record names a missing consumer");
      wVar(ci);
      wF64(a.f64[(w >>> 1) + pTimeF]);
      wEnsure(10);
      wPos = putVar64(wBuf, wPos, u32[w + pCount], u32[w + pCount + 1]);
    }
  }
  const out = wBuf.slice(0, wPos);
  if (wBuf.length > 1 << 20) {
    wBuf = new Uint8Array(1024);
    wView = new DataView(wBuf.buffer);
  }
  return out;
}

// Reader state (module fields, as the varint decoders).
let rPos = 0;
let rView: DataView | null = null;

function rVar(b: Uint8Array): number {
  const v = getVar(b, rPos);
  rPos = dPos;
  return v;
}
function rId(b: Uint8Array, id: StreamId): StreamId {
  getVar64(b, rPos);
  const msH = dHi;
  const msL = dLo;
  getVar64(b, dPos);
  rPos = dPos;
  return id.set(msH, msL, dHi, dLo);
}
function rF64(): number {
  const v = rView!.getFloat64(rPos, true);
  rPos += 8;
  return v;
}

/**
 * Rebuilds a stream from streamSerialize's bytes in `a`; returns its header address, or 0 when the
 * arena is full (everything allocated so far is freed again: counts are raised only after the block
 * they describe exists, so the partial stream is always freeable).
 */
export function streamDeserialize(a: Arena, b: Uint8Array): number {
  assert(b.length > 0 && b[0] === serialVersion, "stream: unknown serialized format version");
  rView = new DataView(b.buffer, b.byteOffset, b.byteLength);
  rPos = 1;
  const h = streamCreate(a);
  if (h === 0) return 0;
  const hw = h * 2;
  writeId(a.u32, hw + hLast, rId(b, tmpA));
  writeId(a.u32, hw + hFirst, rId(b, tmpA));
  writeId(a.u32, hw + hMaxDel, rId(b, tmpA));
  a.f64[h + hLengthF] = rF64();
  a.f64[h + hAddedF] = rF64();
  if (!readNodes(a, h, b)) return fail(a, h);
  const groupCap = rVar(b);
  const gc = rVar(b);
  assert(gc <= groupCap, "stream: serialized groups overflow their capacity");
  if (groupCap > 0) {
    const arr = a.alloc(groupCap * 4);
    if (arr === 0) return fail(a, h);
    a.u32[hw + hGroups] = arr;
    a.u32[hw + hGroupCap] = groupCap;
  }
  for (let i = 0; i < gc; i++) if (!readGroup(a, h, i, b)) return fail(a, h);
  assert(rPos === b.length, "stream: trailing bytes after the serialized stream");
  rView = null;
  return h;
}

/** Reads the node index and nodes into h; false when out of memory. */
function readNodes(a: Arena, h: number, b: Uint8Array): boolean {
  const hw = h * 2;
  const idxCap = rVar(b);
  const head = rVar(b);
  const n = rVar(b);
  assert(head + n <= idxCap, "stream: serialized index overflows its capacity");
  if (idxCap > 0) {
    const idx = a.alloc(idxCap * 4);
    if (idx === 0) return false;
    a.u32[hw + hIdx] = idx;
    a.u32[hw + hIdxCap] = idxCap;
    a.u32[hw + hIdxHead] = head;
  }
  for (let i = 0; i < n; i++) {
    const cap = rVar(b);
    const live = rVar(b);
    const deleted = rVar(b);
    rId(b, tmpA);
    rId(b, tmpB);
    const bytes = rVar(b);
    assert(nodeHdrBytes + bytes <= cap && rPos + bytes <= b.length, "stream: serialized node overflows");
    const node = a.alloc(cap);
    if (node === 0) return false;
    const u32 = a.u32;
    const nw = node * 2;
    u32[nw + nCap] = cap;
    u32[nw + nUsed] = nodeHdrBytes + bytes;
    u32[nw + nLive] = live;
    u32[nw + nDeleted] = deleted;
    writeId(u32, nw + nMaster, tmpA);
    writeId(u32, nw + nLast, tmpB);
    a.u8.set(b.subarray(rPos, rPos + bytes), node * 8 + nodeHdrBytes);
    rPos += bytes;
    u32[u32[hw + hIdx] * 2 + head + i] = node;
    u32[hw + hNodes] = i + 1;
  }
  return true;
}

/** Reads group i of h (its consumers and PEL); false when out of memory. */
function readGroup(a: Arena, h: number, i: number, b: Uint8Array): boolean {
  const hw = h * 2;
  const nameLen = rVar(b);
  const gBytes = gNameByte + nameLen;
  const g = a.alloc(gBytes);
  if (g === 0) return false;
  const gw = g * 2;
  a.u32.fill(0, gw, gw + gNameByte / 4);
  a.u32[gw + gNameLen] = nameLen;
  a.u32[gw + gRecBytes] = gBytes;
  a.u8.set(b.subarray(rPos, rPos + nameLen), g * 8 + gNameByte);
  rPos += nameLen;
  a.u32[a.u32[hw + hGroups] * 2 + i] = g;
  a.u32[hw + hGroupCount] = i + 1;
  writeId(a.u32, gw + gLast, rId(b, tmpA));
  a.f64[g + gReadF] = rF64();
  const consCap = rVar(b);
  const cc = rVar(b);
  const pelCap = rVar(b);
  const pc = rVar(b);
  assert(cc <= consCap && pc <= pelCap, "stream: serialized group overflows its capacity");
  if (consCap > 0) {
    const arr = a.alloc(consCap * 4);
    if (arr === 0) return false;
    a.u32[gw + gCons] = arr;
    a.u32[gw + gConsCap] = consCap;
  }
  for (let j = 0; j < cc; j++) {
    const cl = rVar(b);
    const c = a.alloc(cNameByte + cl);
    if (c === 0) return false;
    const cw = c * 2;
    a.u32.fill(0, cw, cw + cNameByte / 4);
    a.u32[cw + cNameLen] = cl;
    a.u8.set(b.subarray(rPos, rPos + cl), c * 8 + cNameByte);
    rPos += cl;
    a.f64[c + cSeenF] = rF64();
    a.u32[a.u32[gw + gCons] * 2 + j] = c;
    a.u32[gw + gConsCount] = j + 1;
    const pendCap = rVar(b);
    if (pendCap > 0) {
      const ps = a.alloc(pendCap * cpelWords * 4);
      if (ps === 0) return false;
      a.u32[cw + cPel] = ps;
      a.u32[cw + cPelCap] = pendCap;
    }
  }
  if (pelCap > 0) {
    const pel = a.alloc(pelCap * pelWords * 4);
    if (pel === 0) return false;
    a.u32[gw + gPel] = pel;
    a.u32[gw + gPelCap] = pelCap;
  }
  readPel(a, g, pc, cc, b);
  return true;
}

/** Reads pc PEL records into g (room allocated) and fills its consumers' pending sets. */
function readPel(a: Arena, g: number, pc: number, cc: number, b: Uint8Array): void {
  const u32 = a.u32;
  const gw = g * 2;
  const base = u32[gw + gPel] * 2;
  for (let j = 0; j < pc; j++) {
    const w = base + j * pelWords;
    rId(b, tmpA);
    writeId(u32, w, tmpA);
    const ci = rVar(b);
    assert(ci < cc, "stream: serialized PEL record names a missing consumer");
    const c = consumerAt(a, g, ci);
    u32[w + pConsumer] = c;
    u32[w + 5] = 0;
    a.f64[(w >>> 1) + pTimeF] = rF64();
    getVar64(b, rPos);
    rPos = dPos;
    u32[w + pCount] = dHi;
    u32[w + pCount + 1] = dLo;
    // Append to the consumer's pending set (records come in ID order, so it stays sorted).
    const k = u32[c * 2 + cPending];
    assert(k < u32[c * 2 + cPelCap], "stream: serialized pending set overflows its capacity");
    writeId(u32, u32[c * 2 + cPel] * 2 + k * cpelWords, tmpA);
    u32[c * 2 + cPending] = k + 1;
    u32[gw + gPelCount] = j + 1;
  }
}

function fail(a: Arena, h: number): number {
  rView = null;
  streamFree(a, h);
  return 0;
}

registerTypeOps(ObjType.stream, {
  free(arena, off) {
    const h = headerOf(arena.u8, off);
    if (h !== 0) streamFree(arena, h);
  },
  clone(src, srcOff, _len, _enc, dst, dstOff) {
    writeHeaderRef(dst.u8, dstOff, 0);
    const nh = streamClone(src, headerOf(src.u8, srcOff), dst);
    if (nh === 0) {
      // The caller deletes the new key: give it an empty stream to free.
      const e = streamCreate(dst);
      writeHeaderRef(dst.u8, dstOff, e);
      return false;
    }
    writeHeaderRef(dst.u8, dstOff, nh);
    return true;
  },
  ownedBytes(arena, off) {
    const h = headerOf(arena.u8, off);
    return h === 0 ? 0 : streamOwnedBytes(arena, h);
  },
  serialize(arena, off) {
    const h = headerOf(arena.u8, off);
    return h === 0 ? null : streamSerialize(arena, h);
  },
  deserialize(arena, bytes) {
    const h = streamDeserialize(arena, bytes);
    if (h === 0) return null;
    const out = new Uint8Array(streamValueBytes);
    writeHeaderRef(out, 0, h);
    return out;
  },
});
