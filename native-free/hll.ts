// HyperLogLog in Redis's exact representation, so a value is byte-identical to what redis-server
// writes for the same input and PFCOUNT gives the same estimate.
//
// Format (facts from Redis's documentation of its HLL strings):
// - 16-byte header: "HYLL", encoding byte (0 dense, 1 sparse), 3 unused bytes, 8-byte little-endian
//   cached cardinality whose top bit (bit 7 of byte 15) set means "cache invalid".
// - 16384 registers (P = 14) of up to 6 bits. Dense: register i occupies bits i*6 .. i*6+5 counted
//   from the least significant bit of each byte upwards (12288 bytes, 12304 with the header).
// - Sparse: run-length opcodes. ZERO 00xxxxxx = 1..64 zero registers; XZERO 01xxxxxx yyyyyyyy = 1..16384
//   zero registers (14-bit length - 1); VAL 1vvvvvxx = 1..4 registers of value 1..32. A register above
//   32, or a sparse value that would grow past hll-sparse-max-bytes, promotes the value to dense.
// - Element hash: MurmurHash64A with seed 0xadc83b19; the low 14 bits pick the register, the count is
//   1 + the number of trailing zeros of the remaining 50 bits (with bit 50 forced to 1, so 1..51).
// - Estimate: Otmar Ertl's improved raw estimator (arXiv:1702.01284) over the register histogram,
//   with the tau and sigma series, rounded to the nearest integer.
//
// 64-bit arithmetic is done on pairs of uint32 halves (no BigInt on the hot path).

export const hllP = 14;
export const hllRegisters = 1 << hllP;
export const hllQ = 64 - hllP;
export const hllRegisterMax = 63;
export const hllHeaderBytes = 16;
export const hllDenseBytes = hllHeaderBytes + (hllRegisters * 6) / 8; // 12304
export const hllEncDense = 0;
export const hllEncSparse = 1;
const sparseValMax = 32;
const sparseValLenMax = 4;
const sparseZeroLenMax = 64;
const sparseXzeroLenMax = 16384;
const hashSeed = 0xadc83b19;
const alphaInf = 0.721347520444481703680; // 0.5 / ln 2

// ---- MurmurHash64A ------------------------------------------------------------------------------

const mHi = 0xc6a4a793;
const mLo = 0x5bd1e995;

/** Result of mulM / murmur64a: [low 32 bits, high 32 bits]. A typed array is faster than module lets. */
const r64 = new Uint32Array(2);

/** (aHi:aLo) * m mod 2^64 into r64, with the low halves multiplied in 16-bit limbs (exact in doubles). */
function mulM(aHi: number, aLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const t0 = a0 * 0xe995;
  const t1 = a1 * 0xe995 + (t0 >>> 16);
  const t2 = a0 * 0x5bd1 + (t1 & 0xffff);
  r64[0] = ((t2 & 0xffff) << 16) | (t0 & 0xffff);
  r64[1] = a1 * 0x5bd1 + (t1 >>> 16) + (t2 >>> 16) + Math.imul(aHi, mLo) + Math.imul(aLo, mHi);
}

/** MurmurHash64A of buf[start, start + len) into r64 (8-byte blocks read little-endian). */
export function murmur64a(buf: Uint8Array, start: number, len: number, seed: number): void {
  mulM(0, len);
  let hHi = r64[1];
  let hLo = (r64[0] ^ seed) >>> 0;
  const blocksEnd = start + len - (len & 7);
  let p = start;
  while (p < blocksEnd) {
    const kLo = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
    const kHi = (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24)) >>> 0;
    mulM(kHi, kLo);
    const kh = r64[1];
    mulM(kh, (r64[0] ^ (kh >>> 15)) >>> 0); // k ^= k >> 47; k *= m
    mulM((hHi ^ r64[1]) >>> 0, (hLo ^ r64[0]) >>> 0); // h ^= k; h *= m
    hHi = r64[1];
    hLo = r64[0];
    p += 8;
  }
  const rest = len & 7;
  if (rest > 0) {
    // The tail bytes go in little-endian order (C's switch falling through from case 7 to case 1).
    if (rest >= 7) hHi ^= buf[p + 6] << 16;
    if (rest >= 6) hHi ^= buf[p + 5] << 8;
    if (rest >= 5) hHi ^= buf[p + 4];
    if (rest >= 4) hLo ^= buf[p + 3] << 24;
    if (rest >= 3) hLo ^= buf[p + 2] << 16;
    if (rest >= 2) hLo ^= buf[p + 1] << 8;
    hLo ^= buf[p];
    mulM(hHi >>> 0, hLo >>> 0);
    hHi = r64[1];
    hLo = r64[0];
  }
  mulM(hHi, (hLo ^ (hHi >>> 15)) >>> 0);
  r64[0] ^= r64[1] >>> 15;
}

/** The 64-bit hash as a bigint (tests). */
export function murmur64aBig(buf: Uint8Array, seed: number): bigint {
  murmur64a(buf, 0, buf.length, seed);
  return (BigInt(r64[1]) << 32n) | BigInt(r64[0]);
}

/**
 * The register and count (1..51) an element sets, packed as register * 64 + count (one number, no
 * module state): register = r >>> 6, count = r & 63.
 */
export function hllPatLen(ele: Uint8Array): number {
  murmur64a(ele, 0, ele.length, hashSeed);
  const lo = r64[0];
  const reg = (lo & (hllRegisters - 1)) << 6;
  const low = lo >>> hllP; // 18 bits
  if (low !== 0) return reg | (ctz32(low) + 1);
  const hi = r64[1];
  if (hi !== 0) return reg | (32 - hllP + ctz32(hi) + 1);
  return reg | (hllQ + 1);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

// ---- header -------------------------------------------------------------------------------------

/** True when the 16 + bytes at off look like an HLL Redis accepts (isHLLObjectOrReply). */
export function isValidHll(u8: Uint8Array, off: number, len: number): boolean {
  if (len < hllHeaderBytes) return false;
  if (u8[off] !== 0x48 || u8[off + 1] !== 0x59 || u8[off + 2] !== 0x4c || u8[off + 3] !== 0x4c) return false;
  const enc = u8[off + 4];
  if (enc > hllEncSparse) return false;
  return enc !== hllEncDense || len === hllDenseBytes;
}

export function cacheValid(u8: Uint8Array, off: number): boolean {
  return (u8[off + 15] & 0x80) === 0;
}

export function invalidateCache(u8: Uint8Array, off: number): void {
  u8[off + 15] |= 0x80;
}

/** The cached cardinality (a number when below 2^53, else a bigint). */
export function readCache(u8: Uint8Array, off: number): number | bigint {
  const lo = (u8[off + 8] | (u8[off + 9] << 8) | (u8[off + 10] << 16) | (u8[off + 11] << 24)) >>> 0;
  const hi = (u8[off + 12] | (u8[off + 13] << 8) | (u8[off + 14] << 16) | (u8[off + 15] << 24)) >>> 0;
  if (hi < 0x200000) return hi * 4294967296 + lo;
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)); // replied as a long long
}

export function writeCache(u8: Uint8Array, off: number, card: number): void {
  let v = card;
  for (let i = 0; i < 8; i++) {
    u8[off + 8 + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** Writes an empty sparse HLL (18 bytes: header and one XZERO of 16384) at off. */
export function writeEmptySparse(u8: Uint8Array, off: number): number {
  u8.fill(0, off, off + hllHeaderBytes);
  u8[off] = 0x48;
  u8[off + 1] = 0x59;
  u8[off + 2] = 0x4c;
  u8[off + 3] = 0x4c;
  u8[off + 4] = hllEncSparse;
  u8[off + 16] = 0x40 | ((sparseXzeroLenMax - 1) >> 8);
  u8[off + 17] = (sparseXzeroLenMax - 1) & 0xff;
  return hllHeaderBytes + 2;
}
export const hllEmptySparseBytes = hllHeaderBytes + 2;

// ---- dense --------------------------------------------------------------------------------------

/** Register `i` of the dense registers starting at `r`. */
export function denseGet(u8: Uint8Array, r: number, i: number): number {
  const bit = i * 6;
  const byte = r + (bit >>> 3);
  const fb = bit & 7;
  if (fb <= 2) return (u8[byte] >>> fb) & hllRegisterMax;
  return ((u8[byte] >>> fb) | (u8[byte + 1] << (8 - fb))) & hllRegisterMax;
}

export function denseSetRaw(u8: Uint8Array, r: number, i: number, v: number): void {
  const bit = i * 6;
  const byte = r + (bit >>> 3);
  const fb = bit & 7;
  u8[byte] = (u8[byte] & ~(hllRegisterMax << fb)) | (v << fb);
  if (fb > 2) {
    const fb8 = 8 - fb;
    u8[byte + 1] = (u8[byte + 1] & ~(hllRegisterMax >>> fb8)) | (v >>> fb8);
  }
}

/** hllDenseSet: raises register i to count; true when it changed. */
export function denseSet(u8: Uint8Array, r: number, i: number, count: number): boolean {
  if (count <= denseGet(u8, r, i)) return false;
  denseSetRaw(u8, r, i, count);
  return true;
}

// ---- sparse -------------------------------------------------------------------------------------

/**
 * A sparse HLL being edited in a JS buffer (the whole value, header included): room to grow by the
 * 3 bytes an XZERO split may add without touching the arena per element.
 */
export class SparseWork {
  buf = new Uint8Array(4096);
  len = 0;

  load(src: Uint8Array, off: number, len: number): void {
    if (this.buf.length < len + 8) this.buf = new Uint8Array(Math.max(len + 8, this.buf.length * 2));
    this.buf.set(src.subarray(off, off + len));
    this.buf[len] = 0; // the sds terminator
    this.len = len;
  }

  private room(extra: number): void {
    if (this.buf.length < this.len + extra) {
      const b = new Uint8Array(Math.max(this.len + extra, this.buf.length * 2));
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
  }

  /**
   * hllSparseSet: raises register `index` to `count` in place. Returns 1 when changed, 0 when not,
   * -1 for a malformed value, or sparsePromote when the value must become dense first (count above
   * 32, or the value would grow past maxBytes); nothing is changed in the last two cases.
   */
  set(index: number, count: number, maxBytes: number): number {
    if (count > sparseValMax) return sparsePromote;
    this.room(8);
    const b = this.buf;
    let end = this.len;
    let p = hllHeaderBytes;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p];
      let oplen = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if ((op & 0x80) !== 0) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1; // past the end: the terminator (or what an edit left there)
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p];
    const isZero = (op & 0xc0) === 0;
    const isXzero = (op & 0xc0) === 0x40;
    const isVal = (op & 0x80) !== 0;
    const next = isXzero ? p + 2 : p + 1;
    const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? span : (op & 3) + 1;
    let done = false;
    if (isVal) {
      const old = ((op >>> 2) & 0x1f) + 1;
      if (old >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        done = true;
      }
    }
    if (!done && isZero && runlen === 1) {
      b[p] = valOp(count, 1);
      done = true;
    }
    if (!done) {
      // Split the run into up to three opcodes: [before] VAL(count, 1) [after].
      const seq = seqScratch;
      let n = 0;
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) n = putZeros(seq, n, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) n = putZeros(seq, n, last - index);
      } else {
        const cur = ((op >>> 2) & 0x1f) + 1;
        if (index !== first) seq[n++] = valOp(cur, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) seq[n++] = valOp(cur, last - index);
      }
      const oldlen = isXzero ? 2 : 1;
      const delta = n - oldlen;
      if (delta > 0 && this.len + delta > maxBytes) return sparsePromote;
      if (delta !== 0 && next < end) b.copyWithin(next + delta, next, end);
      // Redis sets the new length (writing its terminator) before copying the sequence in, so a
      // sequence replacing a truncated XZERO leaves its last byte just past the end.
      end += delta;
      b[end] = 0;
      for (let i = 0; i < n; i++) b[p + i] = seq[i];
      this.len = end;
    }
    // Merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes from the previous one.
    p = prev >= 0 ? prev : hllHeaderBytes;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const o = b[p];
      if ((o & 0xc0) === 0x40) {
        p += 2;
        continue;
      }
      if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && (b[p + 1] & 0x80) !== 0) {
        const v1 = ((o >>> 2) & 0x1f) + 1;
        const o2 = b[p + 1];
        if (v1 === ((o2 >>> 2) & 0x1f) + 1) {
          const len = (o & 3) + 1 + (o2 & 3) + 1;
          if (len <= sparseValLenMax) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end + 1);
            end--;
            b[end] = 0;
            continue;
          }
        }
      }
      p++;
    }
    this.len = end;
    invalidateCache(b, 0);
    return 1;
  }
}
export const sparsePromote = 2;
const seqScratch = new Uint8Array(5);

function valOp(value: number, len: number): number {
  return 0x80 | ((value - 1) << 2) | (len - 1);
}

function putZeros(seq: Uint8Array, n: number, len: number): number {
  if (len > sparseZeroLenMax) {
    seq[n] = 0x40 | ((len - 1) >> 8);
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

/**
 * hllSparseToDense: writes the dense form of the sparse value src[off, off+len) at dst[dstOff..]
 * (hllDenseBytes, header copied, encoding set to dense). False when the sparse value is malformed
 * (its registers do not add up to 16384); dst is then garbage.
 */
export function sparseToDense(src: Uint8Array, off: number, len: number, dst: Uint8Array, dstOff: number): boolean {
  for (let i = 0; i < hllHeaderBytes; i++) dst[dstOff + i] = src[off + i];
  dst[dstOff + 4] = hllEncDense;
  const r = dstOff + hllHeaderBytes;
  dst.fill(0, r, dstOff + hllDenseBytes);
  let idx = 0;
  let p = off + hllHeaderBytes;
  const end = off + len;
  while (p < end) {
    const op = src[p];
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0x80) === 0) {
      idx += (((op & 0x3f) << 8) | (p + 1 < end ? src[p + 1] : 0)) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const v = ((op >>> 2) & 0x1f) + 1;
      if (run + idx > hllRegisters) break;
      while (run-- > 0) denseSetRaw(dst, r, idx++, v);
      p++;
    }
  }
  return idx === hllRegisters;
}

// ---- merge and count ----------------------------------------------------------------------------

/**
 * hllMerge: max[i] = max(max[i], register i) for the HLL value at u8[off, off+len). False when a
 * sparse value is malformed.
 */
export function mergeInto(max: Uint8Array, u8: Uint8Array, off: number, len: number): boolean {
  if (u8[off + 4] === hllEncDense) {
    const r = off + hllHeaderBytes;
    for (let i = 0; i < hllRegisters; i++) {
      const v = denseGet(u8, r, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  let i = 0;
  let p = off + hllHeaderBytes;
  const end = off + len;
  while (p < end) {
    const op = u8[p];
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0x80) === 0) {
      i += (((op & 0x3f) << 8) | (p + 1 < end ? u8[p + 1] : 0)) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const v = ((op >>> 2) & 0x1f) + 1;
      if (run + i > hllRegisters) break;
      while (run-- > 0) {
        if (v > max[i]) max[i] = v;
        i++;
      }
      p++;
    }
  }
  return i === hllRegisters;
}

const histo = new Float64Array(64);

/** Register histogram of the value at u8[off, off+len) into `histo`; false for a malformed sparse value. */
function histogramOf(u8: Uint8Array, off: number, len: number): boolean {
  histo.fill(0);
  if (u8[off + 4] === hllEncDense) {
    const r = off + hllHeaderBytes;
    for (let i = 0; i < hllRegisters; i++) histo[denseGet(u8, r, i)]++;
    return true;
  }
  let idx = 0;
  let p = off + hllHeaderBytes;
  const end = off + len;
  while (p < end) {
    const op = u8[p];
    if ((op & 0xc0) === 0) {
      const run = (op & 0x3f) + 1;
      idx += run;
      histo[0] += run;
      p++;
    } else if ((op & 0x80) === 0) {
      const run = (((op & 0x3f) << 8) | (p + 1 < end ? u8[p + 1] : 0)) + 1;
      idx += run;
      histo[0] += run;
      p += 2;
    } else {
      const run = (op & 3) + 1;
      idx += run;
      histo[((op >>> 2) & 0x1f) + 1] += run;
      p++;
    }
  }
  return idx === hllRegisters;
}

/** Estimated cardinality of an HLL value, or -1 when a sparse value is malformed. */
export function countOf(u8: Uint8Array, off: number, len: number): number {
  const ok = histogramOf(u8, off, len);
  const card = estimate();
  return ok ? card : -1;
}

/** Estimated cardinality of raw registers (one byte each), as PFCOUNT of several keys. */
export function countOfRegisters(max: Uint8Array): number {
  histo.fill(0);
  for (let i = 0; i < hllRegisters; i++) histo[max[i]]++;
  return estimate();
}

function estimate(): number {
  const m = hllRegisters;
  let z = m * tau((m - histo[hllQ + 1]) / m);
  for (let j = hllQ; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  return Math.round((alphaInf * m * m) / z);
}

// The series stop when a term no longer changes the sum; the iteration bound only guards against
// inputs a valid HLL cannot produce.
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  let n = 0;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z && ++n < 10000);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  let n = 0;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z && ++n < 10000);
  return z / 3;
}
