import { test, expect } from "bun:test";
import { crc16, keyHashSlot } from "./crc16.ts";
import { startReferenceRedis } from "./reference_redis.ts";

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);

test("crc16 of 123456789 is the XMODEM check value 0x31C3", () => {
  expect(crc16(b("123456789"))).toBe(0x31c3);
});

test("crc16 of the empty input is 0 and honours start and end", () => {
  expect(crc16(new Uint8Array(0))).toBe(0);
  expect(crc16(b("xx123456789yy"), 2, 11)).toBe(0x31c3);
});

// Captured from redis-server 7.0.15 (cluster mode): CLUSTER KEYSLOT <key>.
const capturedSlots: [string, number][] = [
  ["", 0], ["a", 15495], ["foo", 12182], ["bar", 5061], ["123456789", 12739],
  ["{user1000}.following", 3443], ["{user1000}.followers", 3443], ["foo{}{bar}", 8363],
  ["foo{{bar}}zap", 4015], ["foo{bar}{zap}", 5061], ["{bar", 4015], ["{}", 15257], ["}{", 12793],
  ["{a}b", 15495], ["x{a}", 15495], ["}{a}", 15495], ["{{}}", 4092], ["foo{bar", 15278],
  ["key:1", 6657], ["user:{42}:name", 8000], ["hello world", 15332], ["{", 4092], ["}", 12090],
  ["a{b}c{d}e", 3300], ["{}x{y}", 2166], ["\u00e9t\u00e9", 10087], ["mykey:0", 7758],
  ["mykey:99999", 14420], ["x".repeat(1000), 3195], ["{" + "y".repeat(300) + "}z", 10942],
];

test("keyHashSlot matches CLUSTER KEYSLOT vectors captured from redis 7.0", () => {
  for (const [key, slot] of capturedSlots) expect([key, keyHashSlot(b(key))]).toEqual([key, slot]);
  expect(keyHashSlot(new Uint8Array([0, 0xff, 0x7b, 0x80, 0x7d, 10, 13]))).toBe(4488);
});

test("keyHashSlot hashes only the first non-empty tag and works on a sub-range", () => {
  expect(keyHashSlot(b("{user1000}.following"))).toBe(keyHashSlot(b("user1000")));
  expect(keyHashSlot(b("foo{{bar}}zap"))).toBe(keyHashSlot(b("{bar")));
  expect(keyHashSlot(b("foo{}{bar}"))).not.toBe(keyHashSlot(b("bar")));
  const framed = b("{zz}foo{bar}{zz}");
  expect(keyHashSlot(framed, 4, 12)).toBe(keyHashSlot(b("bar")));
});

test("keyHashSlot agrees with a live redis-server on random binary keys", async () => {
  const redis = await startReferenceRedis({ cluster: true });
  try {
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = [0x7b, 0x7d, 0x61, 0x62, 0x00, 0xff, 0x80, 0x20];
    const pending: Promise<unknown>[] = [];
    const mismatches: string[] = [];
    for (let i = 0; i < 400; i++) {
      const key = new Uint8Array(next() % 24);
      for (let j = 0; j < key.length; j++) key[j] = next() % 3 === 0 ? next() & 0xff : alphabet[next() % alphabet.length];
      const ours = keyHashSlot(key);
      pending.push(redis.command(["CLUSTER", "KEYSLOT", key]).then((theirs) => {
        if (theirs !== ours) mismatches.push(`${Array.from(key).join(",")}: ours ${ours} redis ${String(theirs)}`);
      }));
    }
    await Promise.all(pending);
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);
