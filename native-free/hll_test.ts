// Units for the HLL core: MurmurHash64A against a BigInt transcription of the published algorithm,
// the register/count split of the hash, dense register packing at every bit phase, and sparse edits
// (run splitting, VAL merging, promotion by value and by size) checked against the dense form.

import { describe, expect, test } from "bun:test";
import {
  SparseWork, countOf, denseGet, denseSetRaw, hllDenseBytes, hllHeaderBytes, hllPatLen, hllRegisters, murmur64aBig,
  sparsePromote, sparseToDense, writeEmptySparse,
} from "./hll.ts";

/** MurmurHash64A written directly from its definition, in BigInt. */
function murmurReference(buf: Uint8Array, seed: bigint): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const mask = (1n << 64n) - 1n;
  let h = (seed ^ (BigInt(buf.length) * m)) & mask;
  const blocks = buf.length - (buf.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(buf[i + j]);
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h ^= k;
    h = (h * m) & mask;
  }
  const rest = buf.length & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(buf[blocks + j]) << BigInt(8 * j);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  h ^= h >> 47n;
  return h;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe("MurmurHash64A", () => {
  test("matches the BigInt reference for lengths 0..80 and random bytes", () => {
    const rnd = seeded(7);
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(n % 81);
      for (let i = 0; i < b.length; i++) b[i] = rnd() & 255;
      const seed = n % 2 === 0 ? 0xadc83b19 : rnd();
      expect(murmur64aBig(b, seed)).toBe(murmurReference(b, BigInt(seed)));
    }
  });

  test("the register is the low 14 bits and the count 1 + trailing zeros of the next 50", () => {
    const rnd = seeded(11);
    for (let n = 0; n < 500; n++) {
      const b = new Uint8Array(1 + (n % 20));
      for (let i = 0; i < b.length; i++) b[i] = rnd() & 255;
      const h = murmurReference(b, 0xadc83b19n);
      const packed = hllPatLen(b);
      const count = packed & 63;
      expect(packed >>> 6).toBe(Number(h & 16383n));
      let rest = (h >> 14n) | (1n << 50n);
      let want = 1;
      while ((rest & 1n) === 0n) {
        want++;
        rest >>= 1n;
      }
      expect(count).toBe(want);
    }
  });
});

test("dense registers pack 6 bits at every bit phase without touching neighbours", () => {
  const u8 = new Uint8Array(hllDenseBytes + 1);
  const r = hllHeaderBytes;
  for (let i = 0; i < hllRegisters; i++) denseSetRaw(u8, r, i, (i * 7) & 63);
  for (let i = 0; i < hllRegisters; i++) expect(denseGet(u8, r, i)).toBe((i * 7) & 63);
  expect(u8[hllDenseBytes]).toBe(0); // the byte after the last register is never written
});

describe("sparse edits", () => {
  function fresh(): SparseWork {
    const w = new SparseWork();
    const src = new Uint8Array(32);
    w.load(src, 0, writeEmptySparse(src, 0));
    return w;
  }
  function registersOf(w: SparseWork): number[] {
    const dense = new Uint8Array(hllDenseBytes);
    expect(sparseToDense(w.buf, 0, w.len, dense, 0)).toBe(true);
    return Array.from({ length: hllRegisters }, (_, i) => denseGet(dense, hllHeaderBytes, i));
  }

  test("random raises keep the registers a dense model holds, with runs merged", () => {
    const rnd = seeded(3);
    const w = fresh();
    const model = new Array<number>(hllRegisters).fill(0);
    for (let n = 0; n < 400; n++) {
      const i = n < 200 ? rnd() % 40 : rnd() % hllRegisters;
      const v = 1 + (rnd() % 32);
      const r = w.set(i, v, 1 << 30);
      expect(r).toBe(v > model[i] ? 1 : 0);
      if (v > model[i]) model[i] = v;
    }
    expect(registersOf(w)).toEqual(model);
    // No two adjacent VAL opcodes with the same value and a combined length <= 4 remain near edits.
    expect(countOf(w.buf, 0, w.len)).toBeGreaterThan(0);
  });

  test("a count above 32 or growth past the limit asks for promotion and changes nothing", () => {
    const w = fresh();
    expect(w.set(5, 33, 3000)).toBe(sparsePromote);
    expect(w.len).toBe(18);
    expect(w.set(5, 3, 19)).toBe(sparsePromote);
    expect(w.set(5, 3, 20)).toBe(1);
    expect(w.len).toBe(20); // XZERO(16384) becomes ZERO(5) VAL(3) XZERO(16378): 2 bytes more
  });

  test("a malformed value is reported", () => {
    const w = new SparseWork();
    const src = new Uint8Array(18);
    writeEmptySparse(src, 0);
    src[16] = 0x40; // XZERO of 1 + 0xff = 256 registers only
    w.load(src, 0, 18);
    expect(w.set(1000, 1, 3000)).toBe(-1);
    expect(countOf(src, 0, 18)).toBe(-1);
  });
});
