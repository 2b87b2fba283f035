import { test, expect } from "bun:test";
import { hash32 } from "./hash32.ts";

const enc = new TextEncoder();
const xxh32 = (s: string, seed = 0): number => {
  const b = enc.encode(s);
  return hash32(b, 0, b.length, seed);
};

test("hash32 matches the published xxHash32 vectors", () => {
  expect(xxh32("")).toBe(0x02cc5d05);
  expect(xxh32("a")).toBe(0x550d7456);
  expect(xxh32("abc")).toBe(0x32d153ff);
  expect(xxh32("Nobody inspects the spammish repetition")).toBe(0xe2293b2f);
});

test("hash32 agrees with Bun.hash.xxHash32 for every length 0..80 and many seeds", () => {
  let s = 1;
  const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const data = new Uint8Array(96);
  for (let i = 0; i < data.length; i++) data[i] = next() & 0xff;
  for (let len = 0; len <= 80; len++) {
    for (const seed of [0, 1, 0x9e3779b1, 0xffffffff, next()]) {
      const off = next() % 16;
      const slice = data.subarray(off, off + len);
      expect(hash32(data, off, off + len, seed)).toBe(Bun.hash.xxHash32(slice, seed));
    }
  }
});

test("hash32 depends only on the bytes in range, not on neighbours", () => {
  const a = enc.encode("xxkey:12345yy");
  const b = enc.encode("key:12345");
  expect(hash32(a, 2, 11, 42)).toBe(hash32(b, 0, b.length, 42));
});

test("hash32 spreads sequential keys evenly over 1024 buckets", () => {
  const buckets = new Uint32Array(1024);
  const keys = 1 << 16;
  for (let i = 0; i < keys; i++) {
    const k = enc.encode(`user:${i}`);
    buckets[hash32(k, 0, k.length, 0x5eed) & 1023]++;
  }
  // Expect 64 per bucket; a chi-square far above its 1023 degrees of freedom would mean clustering.
  let chi = 0;
  for (const n of buckets) chi += ((n - 64) * (n - 64)) / 64;
  expect(chi).toBeLessThan(1250);
});
