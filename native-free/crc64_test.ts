import { test, expect } from "bun:test";
import { crc64, crc64Parts, hasValidCrc64Trailer, writeCrc64LE } from "./crc64.ts";
import { startReferenceRedis } from "./reference_redis.ts";

const enc = new TextEncoder();
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

/** Bit-at-a-time definition of the same CRC, as the oracle for the table-driven code. */
function crc64Bitwise(crc: bigint, data: Uint8Array): bigint {
  const reflectedPoly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 bit-reversed
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ reflectedPoly : crc >> 1n;
  }
  return crc;
}

test("crc64 of 123456789 is Redis's check value 0xe9c6d914c4b8d9ca", () => {
  expect(crc64(0n, enc.encode("123456789"))).toBe(0xe9c6d914c4b8d9can);
});

test("crc64 continued over two pieces equals crc64 of their concatenation", () => {
  const all = enc.encode("the quick brown fox jumps over the lazy dog, twice over");
  const whole = crc64(0n, all);
  for (let cut = 0; cut <= all.length; cut++) {
    expect(crc64(crc64(0n, all.subarray(0, cut)), all.subarray(cut))).toBe(whole);
  }
});

test("crc64Parts matches the bitwise definition on random inputs and split points", () => {
  let seed = 7;
  const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  const state = new Uint32Array(2);
  for (let round = 0; round < 200; round++) {
    const data = new Uint8Array(next() % 70);
    for (let i = 0; i < data.length; i++) data[i] = next() & 0xff;
    const cut = data.length === 0 ? 0 : next() % data.length;
    state[0] = 0;
    state[1] = 0;
    crc64Parts(state, data, 0, cut);
    crc64Parts(state, data, cut, data.length);
    const expected = crc64Bitwise(0n, data);
    expect((BigInt(state[1]) << 32n) | BigInt(state[0])).toBe(expected);
  }
});

// DUMP payloads captured from redis-server 7.0.15: type byte, value, RDB version 10 (0a 00), then
// the little-endian CRC-64 of everything before it.
const capturedDumps: [string, string][] = [
  ["SET foo bar", "00036261720a00e6be4960ee66fd17"],
  ["SET n 12345", "00c139300a009d94ea2793fc08b9"],
  ["SET e \"\"", "00000a005d9b5c400f7fa2da"],
  ["SET s \"hello memkeep, a DUMP payload\"",
    "001d68656c6c6f206d656d6b6565702c20612044554d50207061796c6f61640a00e48ee71e9598e336"],
];

test("the last 8 bytes of captured redis 7.0 DUMP payloads are the LE crc64 of the rest", () => {
  for (const [, payload] of capturedDumps) {
    const bytes = hex(payload);
    expect(hasValidCrc64Trailer(bytes)).toBe(true);
    const state = new Uint32Array(2);
    crc64Parts(state, bytes, 0, bytes.length - 8);
    const trailer = new Uint8Array(8);
    writeCrc64LE(state, trailer, 0);
    expect(Buffer.from(trailer).toString("hex")).toBe(payload.slice(-16));
  }
  const corrupt = hex(capturedDumps[0][1]);
  corrupt[3] ^= 1;
  expect(hasValidCrc64Trailer(corrupt)).toBe(false);
});

test("live redis DUMP trailers verify and RESTORE accepts payloads we checksum", async () => {
  const redis = await startReferenceRedis();
  try {
    for (let len = 0; len < 300; len += 37) {
      const value = new Uint8Array(len);
      for (let i = 0; i < len; i++) value[i] = (i * 131 + len) & 0xff;
      await redis.command(["SET", "k", value]);
      const dump = (await redis.command(["DUMP", "k"])) as Uint8Array;
      expect(hasValidCrc64Trailer(dump)).toBe(true);
    }
    // Build "SET r xyz" as a DUMP payload ourselves: string type 0, length 3, bytes, RDB version 10.
    const body = new Uint8Array([0, 3, 0x78, 0x79, 0x7a, 10, 0]);
    const payload = new Uint8Array(body.length + 8);
    payload.set(body);
    const state = new Uint32Array(2);
    crc64Parts(state, body);
    writeCrc64LE(state, payload, body.length);
    expect(await redis.command(["RESTORE", "r", "0", payload])).toBe("OK");
    expect(Buffer.from((await redis.command(["GET", "r"])) as Uint8Array).toString()).toBe("xyz");
  } finally {
    await redis.stop();
  }
}, 60_000);
