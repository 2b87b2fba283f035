// The keyspace table of one shard: open addressing with linear probing in a reserved (4 GiB, mapped on touch)
// SharedArrayBuffer, entries pointing at blocks in the shard's Arena.
//
// Slot (4 x u32): [hash, block address (0 = empty), meta, clock]. meta packs type (bits 0-3, Redis's
// OBJ_* numbers), encoding (4-7, OBJ_ENCODING_* numbers), physical db (8-15) and HAS_EXPIRE (16).
// clock holds the LRU clock (seconds, 24 bits) or LFU (minutes << 8 | log counter), as Redis's robj.
// Block: [u32 keyLen][u32 valLen][f64 expireAt ms, only when HAS_EXPIRE][key bytes][value bytes].
//
// Invariants: capacity is a power of two; count <= capacity * 3/4; deletion shifts the cluster back
// (no tombstones), so every entry sits between its home bucket (hash & mask) and the first empty slot
// after it. SCAN relies on that: it visits home buckets in reverse-binary order (Redis's dictScan
// cursor), collecting each bucket's entries from its cluster, so a key present for the whole scan is
// returned even if the table doubles in between.
// All methods run under the shard's lock. Slot indexes are valid only until the next insert/remove.

import { assert } from "../assert.ts";
import { hash32 } from "../../native-free/hash32.ts";
import { Arena } from "./arena.ts";

export const ObjType = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 } as const;
export const ObjEnc = {
  raw: 0, int: 1, hashtable: 2, intset: 6, skiplist: 7, embstr: 8, quicklist: 9, stream: 10, listpack: 11,
} as const;

const metaHasExpire = 1 << 16;
const headerWords = 1024; // 4 KiB header
const wMagic = 0;
const wCapLog2 = 1;
const wCount = 2;
const wExpires = 3;
const wExpireCursor = 4;
const wDbKeys = 16; // 256 words
const wDbExpires = 16 + 256; // 256 words
const magic = 0x4d4b5442; // "MKTB"
const capLog2Min = 4;
export const dbCountMax = 256;
const hashSeed = 0x9e3779b1;

export function hashKey(key: Uint8Array): number {
  return hash32(key, 0, key.length, hashSeed);
}

export class Table {
  readonly sab: SharedArrayBuffer;
  readonly u32: Uint32Array;
  readonly arena: Arena;
  private au8: Uint8Array;
  private au32: Uint32Array;
  private af64: Float64Array;

  constructor(sab: SharedArrayBuffer, arena: Arena) {
    this.sab = sab;
    this.u32 = new Uint32Array(sab);
    this.arena = arena;
    this.au8 = arena.u8;
    this.au32 = arena.u32;
    this.af64 = arena.f64;
    assert(this.u32[wMagic] === magic, "table: buffer not initialised");
  }

  static create(capLog2 = capLog2Min): SharedArrayBuffer {
    // Reserved at its largest size (4 GiB; pages are mapped on first touch): views of a fixed-size
    // buffer are not length-tracking, so every slot access is cheaper (see src/keyspace/arena.ts).
    const sab = new SharedArrayBuffer(2 ** 32);
    const u32 = new Uint32Array(sab);
    u32[wMagic] = magic;
    u32[wCapLog2] = capLog2;
    return sab;
  }

  get capacity(): number {
    return 1 << this.u32[wCapLog2];
  }
  get count(): number {
    return this.u32[wCount];
  }
  get expiresCount(): number {
    return this.u32[wExpires];
  }
  dbKeys(db: number): number {
    return this.u32[wDbKeys + db];
  }
  dbExpires(db: number): number {
    return this.u32[wDbExpires + db];
  }
  /** Bytes of the slot array (memory accounting). */
  get tableBytes(): number {
    // Equal to the slot buffer's size (it is grown to exactly this), without reading byteLength,
    // which is slow on a growable buffer: the maxmemory check reads this before every command.
    return (headerWords + (4 << this.u32[wCapLog2])) * 4;
  }

  // ---- slot accessors -------------------------------------------------------------------------
  addr(slot: number): number {
    return this.u32[headerWords + slot * 4 + 1];
  }
  meta(slot: number): number {
    return this.u32[headerWords + slot * 4 + 2];
  }
  type(slot: number): number {
    return this.u32[headerWords + slot * 4 + 2] & 0xf;
  }
  encoding(slot: number): number {
    return (this.u32[headerWords + slot * 4 + 2] >>> 4) & 0xf;
  }
  db(slot: number): number {
    return (this.u32[headerWords + slot * 4 + 2] >>> 8) & 0xff;
  }
  setTypeEnc(slot: number, type: number, enc: number): void {
    const i = headerWords + slot * 4 + 2;
    this.u32[i] = (this.u32[i] & ~0xff) | type | (enc << 4);
  }
  clock(slot: number): number {
    return this.u32[headerWords + slot * 4 + 3];
  }
  setClock(slot: number, v: number): void {
    this.u32[headerWords + slot * 4 + 3] = v;
  }
  hasExpire(slot: number): boolean {
    return (this.u32[headerWords + slot * 4 + 2] & metaHasExpire) !== 0;
  }
  /** Absolute expiry in ms, or 0 when the key has none. */
  expireAt(slot: number): number {
    const i = headerWords + slot * 4;
    if ((this.u32[i + 2] & metaHasExpire) === 0) return 0;
    return this.af64[this.u32[i + 1] + 1];
  }
  keyLen(slot: number): number {
    return this.au32[this.addr(slot) * 2];
  }
  /** Byte offset of the key in arena.u8. */
  keyOffset(slot: number): number {
    const i = headerWords + slot * 4;
    return this.u32[i + 1] * 8 + ((this.u32[i + 2] & metaHasExpire) !== 0 ? 16 : 8);
  }
  valueLen(slot: number): number {
    return this.au32[this.addr(slot) * 2 + 1];
  }
  /** Byte offset of the value in arena.u8. */
  valueOffset(slot: number): number {
    const a = this.addr(slot);
    return this.keyOffset(slot) + this.au32[a * 2];
  }
  /** Returns a copy of the key. */
  keyCopy(slot: number): Uint8Array {
    const off = this.keyOffset(slot);
    return this.au8.slice(off, off + this.keyLen(slot));
  }
  /** A view of the value: valid only until the next write to this shard. */
  valueView(slot: number): Uint8Array {
    const off = this.valueOffset(slot);
    return this.au8.subarray(off, off + this.valueLen(slot));
  }
  blockBytes(slot: number): number {
    const a = this.addr(slot);
    return (this.hasExpire(slot) ? 16 : 8) + this.au32[a * 2] + this.au32[a * 2 + 1];
  }

  // ---- lookup -----------------------------------------------------------------------------------
  /** Slot of (db, key) or -1. `h` is hashKey(key). */
  find(db: number, key: Uint8Array, h: number): number {
    const u32 = this.u32;
    const au32 = this.au32;
    const au8 = this.au8;
    const mask = (1 << u32[wCapLog2]) - 1;
    const klen = key.length;
    let s = h & mask;
    for (;;) {
      const i = headerWords + s * 4;
      const a = u32[i + 1];
      if (a === 0) return -1;
      if (u32[i] === h && ((u32[i + 2] >>> 8) & 0xff) === db && au32[a * 2] === klen) {
        let off = a * 8 + ((u32[i + 2] & metaHasExpire) !== 0 ? 16 : 8);
        let j = 0;
        while (j < klen && au8[off] === key[j]) {
          off++;
          j++;
        }
        if (j === klen) return s;
      }
      s = (s + 1) & mask;
    }
  }

  // ---- mutation ---------------------------------------------------------------------------------
  /**
   * Inserts a new (db, key) that must not exist, with room for `valLen` value bytes (the caller
   * writes them at valueOffset). Returns the slot, or -1 when memory is exhausted.
   */
  insert(db: number, key: Uint8Array, h: number, valLen: number, type: number, enc: number, expireAt: number): number {
    if ((this.u32[wCount] + 1) * 4 > this.capacity * 3) {
      if (!this.resize(this.u32[wCapLog2] + 1)) return -1;
    }
    const hdr = expireAt > 0 ? 16 : 8;
    const addr = this.arena.alloc(hdr + key.length + valLen);
    if (addr === 0) return -1;
    this.au32[addr * 2] = key.length;
    this.au32[addr * 2 + 1] = valLen;
    if (expireAt > 0) this.af64[addr + 1] = expireAt;
    this.au8.set(key, addr * 8 + hdr);
    const meta = type | (enc << 4) | (db << 8) | (expireAt > 0 ? metaHasExpire : 0);
    const s = this.place(h, addr, meta, 0);
    this.u32[wCount]++;
    this.u32[wDbKeys + db]++;
    if (expireAt > 0) {
      this.u32[wExpires]++;
      this.u32[wDbExpires + db]++;
    }
    return s;
  }

  /**
   * Gives the entry room for exactly `valLen` value bytes, keeping key and expiry; when
   * `keepBytes` > 0 the first keepBytes of the old value are preserved. Returns false on OOM.
   */
  resizeValue(slot: number, valLen: number, keepBytes = 0): boolean {
    const i = headerWords + slot * 4;
    const a = this.u32[i + 1];
    const hdr = (this.u32[i + 2] & metaHasExpire) !== 0 ? 16 : 8;
    const klen = this.au32[a * 2];
    const oldN = hdr + klen + this.au32[a * 2 + 1];
    const newN = hdr + klen + valLen;
    if (Arena.fitsInPlace(oldN, newN)) {
      this.au32[a * 2 + 1] = valLen;
      return true;
    }
    const b = this.arena.alloc(newN);
    if (b === 0) return false;
    const copyN = hdr + klen + Math.min(keepBytes, valLen, oldN - hdr - klen);
    this.au8.copyWithin(b * 8, a * 8, a * 8 + copyN);
    this.au32[b * 2 + 1] = valLen;
    this.arena.free(a, oldN);
    this.u32[i + 1] = b;
    return true;
  }

  /** Sets (at > 0) or removes (at = 0) the expiry. Returns false on OOM. */
  setExpire(slot: number, at: number): boolean {
    const i = headerWords + slot * 4;
    const meta = this.u32[i + 2];
    const had = (meta & metaHasExpire) !== 0;
    const a = this.u32[i + 1];
    if (had && at > 0) {
      this.af64[a + 1] = at;
      return true;
    }
    if (!had && at <= 0) return true;
    const klen = this.au32[a * 2];
    const vlen = this.au32[a * 2 + 1];
    const oldHdr = had ? 16 : 8;
    const newHdr = at > 0 ? 16 : 8;
    const b = this.arena.alloc(newHdr + klen + vlen);
    if (b === 0) return false;
    this.au32[b * 2] = klen;
    this.au32[b * 2 + 1] = vlen;
    if (at > 0) this.af64[b + 1] = at;
    this.au8.copyWithin(b * 8 + newHdr, a * 8 + oldHdr, a * 8 + oldHdr + klen + vlen);
    this.arena.free(a, oldHdr + klen + vlen);
    this.u32[i + 1] = b;
    const db = (meta >>> 8) & 0xff;
    if (at > 0) {
      this.u32[i + 2] = meta | metaHasExpire;
      this.u32[wExpires]++;
      this.u32[wDbExpires + db]++;
    } else {
      this.u32[i + 2] = meta & ~metaHasExpire;
      this.u32[wExpires]--;
      this.u32[wDbExpires + db]--;
    }
    return true;
  }

  /** Removes the entry at `slot`, freeing its block (the caller frees any structure it owns). */
  remove(slot: number): void {
    const u32 = this.u32;
    const i = headerWords + slot * 4;
    const meta = u32[i + 2];
    this.arena.free(u32[i + 1], this.blockBytes(slot));
    const db = (meta >>> 8) & 0xff;
    u32[wCount]--;
    u32[wDbKeys + db]--;
    if ((meta & metaHasExpire) !== 0) {
      u32[wExpires]--;
      u32[wDbExpires + db]--;
    }
    this.shiftBack(slot);
  }

  /** Moves an entry to another physical db (MOVE, SWAPDB bookkeeping stays with the caller). */
  setDb(slot: number, db: number): void {
    const i = headerWords + slot * 4;
    const meta = this.u32[i + 2];
    const old = (meta >>> 8) & 0xff;
    this.u32[i + 2] = (meta & ~0xff00) | (db << 8);
    this.u32[wDbKeys + old]--;
    this.u32[wDbKeys + db]++;
    if ((meta & metaHasExpire) !== 0) {
      this.u32[wDbExpires + old]--;
      this.u32[wDbExpires + db]++;
    }
  }

  hashAt(slot: number): number {
    return this.u32[headerWords + slot * 4];
  }

  /** Frees every entry of physical db `db` (all dbs when db < 0). Calls onEntry before each free. */
  clear(db: number, onEntry?: (slot: number) => void): void {
    const cap = this.capacity;
    for (let s = 0; s < cap; ) {
      const i = headerWords + s * 4;
      if (this.u32[i + 1] !== 0 && (db < 0 || ((this.u32[i + 2] >>> 8) & 0xff) === db)) {
        onEntry?.(s);
        this.remove(s); // shifts a later entry into s: look at s again
        continue;
      }
      s++;
    }
    // An empty table starts small again, so SCAN and RANDOMKEY over it stay cheap. (The buffer
    // cannot shrink; its pages are reused when the table grows again.)
    if (this.u32[wCount] === 0) {
      this.u32[wCapLog2] = capLog2Min;
      this.u32[wExpireCursor] = 0;
    }
  }

  // ---- iteration --------------------------------------------------------------------------------
  /**
   * One SCAN step over home bucket `cursor` (reverse-binary order): calls fn for each occupied slot
   * whose home is that bucket. Returns the next cursor (0 when the scan is complete).
   */
  scanStep(cursor: number, fn: (slot: number) => void): number {
    const capLog2 = this.u32[wCapLog2];
    const mask = (1 << capLog2) - 1;
    const b = cursor & mask;
    let s = b;
    for (;;) {
      const i = headerWords + s * 4;
      if (this.u32[i + 1] === 0) break;
      if ((this.u32[i] & mask) === b) fn(s);
      s = (s + 1) & mask;
      if (s === b) break;
    }
    // Reverse-binary increment of the masked cursor (Redis's dictScan order).
    let v = cursor | ~mask;
    v = reverseBits32(v);
    v = (v + 1) | 0;
    v = reverseBits32(v);
    return (v >>> 0) & mask;
  }

  /** A uniformly random occupied slot (probing forward from a random start), or -1 if empty. */
  randomSlot(rand: number): number {
    if (this.u32[wCount] === 0) return -1;
    const mask = this.capacity - 1;
    let s = Math.floor(rand * this.capacity) & mask;
    for (;;) {
      if (this.u32[headerWords + s * 4 + 1] !== 0) return s;
      s = (s + 1) & mask;
    }
  }

  /** Slot iterator position for incremental walks (active expiry): stored in the header. */
  get expireCursor(): number {
    return this.u32[wExpireCursor];
  }
  set expireCursor(v: number) {
    this.u32[wExpireCursor] = v;
  }
  occupied(slot: number): boolean {
    return this.u32[headerWords + slot * 4 + 1] !== 0;
  }

  // ---- internals --------------------------------------------------------------------------------
  private place(h: number, addr: number, meta: number, clock: number): number {
    const u32 = this.u32;
    const mask = this.capacity - 1;
    let s = h & mask;
    while (u32[headerWords + s * 4 + 1] !== 0) s = (s + 1) & mask;
    const i = headerWords + s * 4;
    u32[i] = h;
    u32[i + 1] = addr;
    u32[i + 2] = meta;
    u32[i + 3] = clock;
    return s;
  }

  private shiftBack(hole: number): void {
    const u32 = this.u32;
    const mask = this.capacity - 1;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const ij = headerWords + j * 4;
      if (u32[ij + 1] === 0) break;
      const home = u32[ij] & mask;
      // Move j into hole when home is not cyclically within (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (inRange) continue;
      const ih = headerWords + hole * 4;
      u32[ih] = u32[ij];
      u32[ih + 1] = u32[ij + 1];
      u32[ih + 2] = u32[ij + 2];
      u32[ih + 3] = u32[ij + 3];
      hole = j;
    }
    const ih = headerWords + hole * 4;
    u32[ih] = 0;
    u32[ih + 1] = 0;
    u32[ih + 2] = 0;
    u32[ih + 3] = 0;
  }

  /** Rehashes into 2^capLog2 slots. The old slots are copied to a transient JS buffer. */
  private resize(capLog2: number): boolean {
    const oldCap = this.capacity;
    const needBytes = (headerWords + (4 << capLog2)) * 4;
    if (needBytes > 2 ** 32) return false;
    const old = this.u32.slice(headerWords, headerWords + oldCap * 4);
    if (needBytes > this.sab.byteLength) {
      // Only a growable buffer (tests) grows; Table.create reserves the largest size up front.
      if (!this.sab.growable || needBytes > this.sab.maxByteLength) return false;
      try {
        this.sab.grow(needBytes);
      } catch {
        return false;
      }
    }
    this.u32.fill(0, headerWords, headerWords + (4 << capLog2));
    this.u32[wCapLog2] = capLog2;
    for (let s = 0; s < oldCap; s++) {
      const a = old[s * 4 + 1];
      if (a !== 0) this.place(old[s * 4], a, old[s * 4 + 2], old[s * 4 + 3]);
    }
    this.u32[wExpireCursor] = 0;
    return true;
  }
}

function reverseBits32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) | 0;
}
