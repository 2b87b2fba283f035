import { test, expect } from "bun:test";
import { crc32c } from "./crc32c.ts";

const enc = new TextEncoder();

/** Bit-at-a-time CRC32C, the oracle for the sliced tables. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test("crc32c matches the RFC 3720 appendix B.4 vectors", () => {
  expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  const iscsiReadPdu = new Uint8Array(Buffer.from(
    "01c00000000000000000000000000000" + "14000000000004000000001400000018" +
    "28000000000000000200000000000000", "hex"));
  expect(crc32c(iscsiReadPdu)).toBe(0xd9963a56);
});

test("crc32c of 123456789 is the Castagnoli check value 0xE3069283", () => {
  expect(crc32c(enc.encode("123456789"))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(0))).toBe(0);
});

test("crc32c continued from a previous result equals crc32c of the concatenation", () => {
  const all = enc.encode("log record header, then a payload that spans several slices of eight");
  const whole = crc32c(all);
  for (let cut = 0; cut <= all.length; cut++) {
    expect(crc32c(all, crc32c(all, 0, 0, cut), cut)).toBe(whole);
    expect(crc32c(all.subarray(cut), crc32c(all.subarray(0, cut)))).toBe(whole);
  }
});

test("sliced crc32c matches the bitwise definition on random inputs and ranges", () => {
  let seed = 99;
  const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  for (let round = 0; round < 300; round++) {
    const data = new Uint8Array(next() % 100);
    for (let i = 0; i < data.length; i++) data[i] = next() & 0xff;
    const start = data.length === 0 ? 0 : next() % data.length;
    const end = start + (data.length === start ? 0 : next() % (data.length - start + 1));
    expect(crc32c(data, 0, start, end)).toBe(crc32cBitwise(data.subarray(start, end)));
  }
});
