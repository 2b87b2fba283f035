import { test, expect } from "bun:test";
import { formatInt, intByteLength, parseDouble, parseInt64, parseSafeInt, writeInt } from "./numbers.ts";
import { formatDouble17g } from "./float_format.ts";
import { startReferenceRedis, replyText } from "./reference_redis.ts";

const L = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const int64 = (s: string): number | bigint | null => parseInt64(L(s), 0, s.length);
const safe = (s: string): number => parseSafeInt(L(s), 0, s.length);
const dbl = (s: string): number | null => parseDouble(L(s), 0, s.length);

test("parseInt64 accepts what string2ll accepts, as numbers while safe and bigints beyond", () => {
  expect(int64("0")).toBe(0);
  expect(int64("7")).toBe(7);
  expect(int64("-7")).toBe(-7);
  expect(int64("123456789012345")).toBe(123456789012345);
  expect(int64("9007199254740991")).toBe(9007199254740991);
  expect(int64("-9007199254740991")).toBe(-9007199254740991);
  expect(int64("9007199254740992")).toBe(9007199254740992n);
  expect(int64("-9007199254740992")).toBe(-9007199254740992n);
  expect(int64("9223372036854775807")).toBe(9223372036854775807n);
  expect(int64("-9223372036854775808")).toBe(-9223372036854775808n);
});

test("parseInt64 rejects signs, spaces, leading zeros, -0 and values outside int64", () => {
  for (const bad of ["", "-", "+1", " 1", "1 ", "01", "-01", "-0", "00", "1.0", "1e3", "0x10", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999", "123456789012345678901", "1\u00002", "١"]) {
    expect([bad, int64(bad)]).toEqual([bad, null]);
  }
});

test("parseSafeInt returns NaN for invalid input and for int64 values beyond 2^53", () => {
  expect(safe("42")).toBe(42);
  expect(safe("-9007199254740991")).toBe(-9007199254740991);
  expect(safe("9007199254740992")).toBeNaN();
  expect(safe("-0")).toBeNaN();
  expect(safe("abc")).toBeNaN();
  const framed = L("xx-1234yy");
  expect(parseSafeInt(framed, 2, 7)).toBe(-1234);
});

test("parseDouble follows string2d: strtod syntax over the whole range, no NaN, no range errors", () => {
  expect(dbl("1.5")).toBe(1.5);
  expect(dbl("+5")).toBe(5);
  expect(dbl(".5")).toBe(0.5);
  expect(dbl("5.")).toBe(5);
  expect(dbl("-.5e-3")).toBe(-0.0005);
  expect(dbl("1E3")).toBe(1000);
  expect(dbl("inf")).toBe(Infinity);
  expect(dbl("-INF")).toBe(-Infinity);
  expect(dbl("+Infinity")).toBe(Infinity);
  expect(dbl("0x10")).toBe(16);
  expect(dbl("0x1p-2")).toBe(0.25);
  expect(dbl("0x1.8p1")).toBe(3);
  expect(dbl("-0x.8")).toBe(-0.5);
  expect(Object.is(dbl("-0"), -0)).toBe(true);
  expect(dbl("0e999999")).toBe(0);
  expect(dbl("5e-324")).toBe(5e-324);
  expect(dbl("2.4703282292062328e-324")).toBe(5e-324);
  expect(dbl("1.7976931348623158e308")).toBe(1.7976931348623157e308);
  for (const bad of ["", " 1", "1 ", "\t1", "nan", "NaN", "-nan", "nan(123)", "1e", "1e+", "0x", "0xp1", "0x1p", ".",
    "e5", "1e400", "-1e400", "1e-400", "2.4703282292062327e-324", "1.797693134862315808e308", "infinit", "infinityy",
    "1\u00002", "1,5", "0b1", "0o7", "1_000", "Infinity1", "0x1p99999", "0x1p-1075"]) {
    expect([bad, dbl(bad)]).toEqual([bad, null]);
  }
});

test("parseDouble is correctly rounded on long and hard decimal inputs", () => {
  expect(dbl("0.1000000000000000055511151231257827021181583404541015625")).toBe(0.1);
  expect(dbl("9007199254740993")).toBe(9007199254740992); // tie, to even
  expect(dbl("9007199254740993.0000000000000000001")).toBe(9007199254740994);
  expect(dbl("2.2250738585072011e-308")).toBe(2.225073858507201e-308);
  expect(dbl("1" + "0".repeat(400) + "e-400")).toBe(1);
  expect(dbl("0x1.fffffffffffff8p0")).toBe(2); // hex tie rounds to even
  expect(dbl("0x1.fffffffffffff7p0")).toBe(1.9999999999999998);
  expect(dbl("0x1p-1074")).toBe(5e-324);
  expect(dbl("0x1.8p-1074")).toBe(1e-323); // 1.5 units: tie to the even 2 units
});

test("writeInt and formatInt print integers, sharing cached bytes for small ones", () => {
  const out = new Uint8Array(32);
  for (const n of [0, 5, -5, 10, 9999, 10000, -10000, 123456789, -9007199254740991, 9007199254740991]) {
    const end = writeInt(n, out, 3);
    expect(Buffer.from(out.subarray(3, end)).toString()).toBe(String(n));
    expect(intByteLength(n)).toBe(String(n).length);
    expect(Buffer.from(formatInt(n)).toString()).toBe(String(n));
  }
  expect(formatInt(42)).toBe(formatInt(42));
  expect(Buffer.from(formatInt(-9223372036854775808n)).toString()).toBe("-9223372036854775808");
  expect(Buffer.from(formatInt(-0)).toString()).toBe("0");
  expect(() => writeInt(1.5, out, 0)).toThrow(RangeError);
  expect(() => formatInt(1.5)).toThrow(RangeError);
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

function randomIntCandidate(next: () => number): string {
  const pool = ["0", "-0", "00", "01", "+1", " 1", "1 ", "-", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "9007199254740992", "-9007199254740993", "1.0"];
  if (next() % 4 === 0) return pool[next() % pool.length];
  let s = next() % 3 === 0 ? "-" : "";
  const len = 1 + (next() % 21);
  for (let i = 0; i < len; i++) s += String.fromCharCode(0x30 + (next() % 10));
  return s;
}

test("parseInt64 agrees with redis-server INCRBY on random candidates", async () => {
  const next = rng(31337);
  const redis = await startReferenceRedis();
  try {
    const candidates = Array.from({ length: 1500 }, () => randomIntCandidate(next));
    // One key per candidate: the requests are pipelined, so they interleave.
    const replies = await Promise.all(candidates.map(async (c, i) => {
      const key = `x${i}`;
      await redis.command(["SET", key, "0"]);
      const incr = await redis.command(["INCRBY", key, L(c)]);
      const after = await redis.command(["GET", key]);
      return incr instanceof Error ? null : replyText(after);
    }));
    const mismatches: string[] = [];
    candidates.forEach((c, i) => {
      const ours = int64(c);
      const oursText = ours === null ? null : String(ours);
      if (oursText !== replies[i]) mismatches.push(`${JSON.stringify(c)}: ours ${oursText} redis ${replies[i]}`);
    });
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);

function randomDoubleCandidate(next: () => number): string {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  const pick = next() % 10;
  if (pick === 0) {
    u[0] = next();
    u[1] = next();
    const forms = [String(f[0]), f[0].toPrecision(17), f[0].toPrecision(21), f[0].toExponential(19)];
    return forms[next() % forms.length];
  }
  if (pick === 1) {
    const words = ["inf", "INF", "Infinity", "infinity", "iNfInItY", "nan", "NaN", "infinit", "in", "0x", "0X1P3",
      "0x1.8p1", "0x.8", "0xg", "0x1p", "0x1p+", "0x1P-1074", "0x1p-1075", "0x1.000001p-1075", "0x1p1023", "0x1p1024",
      "1e", "1e+", "e1", ".", "-.", ".e1", "1..2", "1.2.3", "--1", "+-1", " 1", "1 ", "1\t", "\n1", "1\u00002"];
    const w = words[next() % words.length];
    return (next() % 3 === 0 ? (next() % 2 === 0 ? "-" : "+") : "") + w;
  }
  let s = next() % 4 === 0 ? "-" : next() % 8 === 0 ? "+" : "";
  const intLen = next() % 22;
  for (let i = 0; i < intLen; i++) s += String.fromCharCode(0x30 + (next() % 10));
  if (next() % 2 === 0) {
    s += ".";
    const fracLen = next() % 25;
    for (let i = 0; i < fracLen; i++) s += String.fromCharCode(0x30 + (next() % 10));
  }
  if (next() % 2 === 0) {
    s += next() % 2 === 0 ? "e" : "E";
    if (next() % 2 === 0) s += next() % 2 === 0 ? "-" : "+";
    const exps = [String(next() % 30), String(next() % 330), String(300 + (next() % 30)), "999999999999999999999"];
    s += exps[next() % exps.length];
  }
  return s;
}

test("parseDouble then %.17g agrees with redis-server ZADD INCR on random candidates", async () => {
  const next = rng(4242);
  const redis = await startReferenceRedis();
  try {
    const candidates = Array.from({ length: 3000 }, () => randomDoubleCandidate(next));
    // One fresh key per candidate, so ZADD INCR replies with exactly the parsed score.
    const replies = await Promise.all(candidates.map(async (c, i) => {
      const r = await redis.command(["ZADD", `z${i}`, "INCR", L(c), "m"]);
      return r instanceof Error ? `error ${r.message}` : replyText(r);
    }));
    const mismatches: string[] = [];
    candidates.forEach((c, i) => {
      const v = dbl(c);
      const ours = v === null ? "error ERR value is not a valid float" : formatDouble17g(v);
      if (ours !== replies[i]) mismatches.push(`${JSON.stringify(c)}: ours ${ours} redis ${replies[i]}`);
    });
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);
