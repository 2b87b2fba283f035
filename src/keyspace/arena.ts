// Byte arena in a SharedArrayBuffer: the allocator under every key and value.
//
// Design: segregated size classes with one free list per class, all state inside the buffer, so
// any thread holding the owning shard's lock can allocate and free (no JS object per block, no GC
// work that grows with the data). Addresses are u32 counts of 8-byte units (address 0 is the
// header, so 0 means "none"); an arena reaches at most 4 GiB.
// The buffer is reserved at its largest size up front and never grows: the kernel maps its pages on
// first touch, so RSS follows what is used, and typed-array views of a fixed-size buffer are not
// length-tracking (each access of a view of a growable buffer re-reads its length: ~30% slower on
// random access here). `committed` is the arena's logical size (the bump pointer's limit, and what
// capacityBytes reports); it grows in steps as the growable buffer did.
// Classes: multiples of 8 bytes up to 256, then 8 classes per power of two (waste <= 12.5%).
// Freed blocks are kept on their class's list (the first 4 bytes hold the next address) and are
// never coalesced: like jemalloc's size classes, reuse is by class.
// Invariants: callers free with the same byte size they allocated (sized free); usedBytes is the
// exact sum of class sizes of live blocks; no block crosses the end of the buffer.

import { assert } from "../assert.ts";

const headerBytes = 4096;
const classCount = 32 + 24 * 8;
// Header words (u32 index): 0 magic, 1 top (bump pointer, 8-byte units), 2.. free heads.
const wordMagic = 0;
const wordTop = 1;
const wordFreeHeads = 8;
// Header f64 slots (f64 index): stats kept as doubles to pass 2^32.
const f64UsedBytes = 256; // byte offset 2048
const f64FreeBytes = 257;
const f64Committed = 258;
const magic = 0x4d4b4152; // "MKAR"
export const arenaBytesMax = 2 ** 32;
const growStepBytesMin = 1 << 20;

/** Size in bytes of the class that holds `n` bytes. */
export function classBytes(n: number): number {
  if (n <= 256) return n <= 8 ? 8 : (n + 7) & ~7;
  const p = 31 - Math.clz32(n - 1); // n in (2^p, 2^(p+1)]
  const step = 2 ** (p - 3);
  return Math.ceil(n / step) * step;
}

function classIndex(n: number): number {
  if (n <= 256) return n <= 8 ? 0 : ((n + 7) >>> 3) - 1;
  const p = 31 - Math.clz32(n - 1);
  const step = 2 ** (p - 3);
  const k = Math.ceil((n - 2 ** p) / step); // 1..8
  return 32 + (p - 8) * 8 + k - 1;
}

export class Arena {
  readonly sab: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.u8 = new Uint8Array(sab);
    this.u32 = new Uint32Array(sab);
    this.f64 = new Float64Array(sab);
    assert(this.u32[wordMagic] === magic, "arena: buffer not initialised");
    // A growable buffer (tests that drive the out-of-memory path) commits what it holds now.
    if (sab.growable) this.f64[f64Committed] = sab.byteLength;
  }

  static create(initialBytes = 1 << 20): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(arenaBytesMax);
    const u32 = new Uint32Array(sab);
    u32[wordMagic] = magic;
    u32[wordTop] = headerBytes / 8;
    new Float64Array(sab)[f64Committed] = Math.min(arenaBytesMax, Math.max(initialBytes, headerBytes * 2));
    return sab;
  }

  get usedBytes(): number {
    return this.f64[f64UsedBytes];
  }
  get freeListBytes(): number {
    return this.f64[f64FreeBytes];
  }
  /** Bytes the arena has committed (RSS upper bound for the arena). */
  get capacityBytes(): number {
    return this.f64[f64Committed];
  }
  get topBytes(): number {
    return this.u32[wordTop] * 8;
  }

  /** Allocates `n` bytes (n >= 1); returns the address in 8-byte units, or 0 when the arena is full. */
  alloc(n: number): number {
    if (n > arenaBytesMax - headerBytes) return 0; // classIndex works on u32 sizes only
    const ci = classIndex(n);
    const size = classBytes(n);
    const u32 = this.u32;
    const head = u32[wordFreeHeads + ci];
    if (head !== 0) {
      u32[wordFreeHeads + ci] = u32[head * 2];
      this.f64[f64UsedBytes] += size;
      this.f64[f64FreeBytes] -= size;
      return head;
    }
    const top = u32[wordTop];
    const end = top * 8 + size;
    if (end > this.f64[f64Committed] && !this.grow(end)) return 0;
    u32[wordTop] = top + size / 8;
    this.f64[f64UsedBytes] += size;
    return top;
  }

  /** Frees a block of `n` bytes at `addr` (the size it was allocated with). */
  free(addr: number, n: number): void {
    assert(addr >= headerBytes / 8 && addr < this.u32[wordTop], "arena: free of a bad address");
    const ci = classIndex(n);
    const size = classBytes(n);
    this.u32[addr * 2] = this.u32[wordFreeHeads + ci];
    this.u32[wordFreeHeads + ci] = addr;
    this.f64[f64UsedBytes] -= size;
    this.f64[f64FreeBytes] += size;
  }

  /** True when a block allocated for `oldN` bytes can hold `newN` bytes in place. */
  static fitsInPlace(oldN: number, newN: number): boolean {
    return classIndex(oldN) === classIndex(newN);
  }

  private grow(endBytes: number): boolean {
    if (endBytes > arenaBytesMax) return false;
    const sab = this.sab;
    const limit = Math.min(arenaBytesMax, sab.growable ? sab.maxByteLength : sab.byteLength);
    if (endBytes > limit) return false;
    const cur = this.f64[f64Committed];
    let next = Math.max(endBytes, cur + Math.max(growStepBytesMin, Math.floor(cur / 4)));
    next = Math.min(limit, Math.ceil(next / growStepBytesMin) * growStepBytesMin);
    if (sab.growable && next > sab.byteLength) {
      try {
        sab.grow(next);
      } catch {
        return false;
      }
    }
    this.f64[f64Committed] = next;
    return true;
  }
}

export const arenaClassCount = classCount;
