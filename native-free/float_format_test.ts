import { test, expect } from "bun:test";
import { formatDouble17g, formatDoubleHuman, formatFixed, formatFixed4, trimHuman } from "./float_format.ts";
import { startReferenceRedis, replyText } from "./reference_redis.ts";

// ZADD z <input> m; ZSCORE z m (or ZADD INCR for -0) on redis-server 7.0.15.
const capturedScores: [number, string][] = [
  [1.1, "1.1000000000000001"], [Infinity, "inf"], [-Infinity, "-inf"], [0, "0"], [-0, "-0"],
  [1e300, "1.0000000000000001e+300"], [5e-324, "4.9406564584124654e-324"], [3, "3"],
  [2.98023223876953125e-8, "2.9802322387695312e-08"], [1e21, "1e+21"], [1e17, "1e+17"],
  [123456789012345678, "1.2345678901234568e+17"], [0.1, "0.10000000000000001"], [-1.5, "-1.5"],
  [1e-5, "1.0000000000000001e-05"], [0.0001, "0.0001"], [1e16, "10000000000000000"],
  [4e-320, "3.999955468730732e-320"], [2.2250738585072014e-308, "2.2250738585072014e-308"], [16, "16"],
  [0.25, "0.25"],
];

test("formatDouble17g reproduces ZSCORE replies captured from redis 7.0", () => {
  for (const [value, text] of capturedScores) expect([value, formatDouble17g(value)]).toEqual([value, text]);
});

test("formatDouble17g rounds exact ties to even where toPrecision(17) rounds up", () => {
  const tie = 2 ** -25; // 2.98023223876953125e-8, exactly 18 significant digits
  expect(tie.toPrecision(17)).toBe("2.9802322387695313e-8");
  expect(formatDouble17g(tie)).toBe("2.9802322387695312e-08");
  expect(formatDouble17g(3 * 2 ** -25)).toBe("8.9406967163085938e-08"); // odd digit before the 5: up
  expect(formatDouble17g(-tie)).toBe("-2.9802322387695312e-08");
});

// "%.Nf" vectors printed by glibc 2.36 printf, which GEODIST ("%.4f") and LD_STR_HUMAN call.
const glibcFixed: [number, number, string][] = [
  [0.03125, 4, "0.0312"], [0.09375, 4, "0.0938"], [-0.03125, 4, "-0.0312"], [2.5, 0, "2"], [0.5, 0, "0"],
  [1.5, 0, "2"], [-0, 4, "-0.0000"], [-0.00001, 4, "-0.0000"], [0, 4, "0.0000"], [1e21, 4, "1000000000000000000000.0000"],
  [1e22, 0, "10000000000000000000000"], [166274.15156960033, 4, "166274.1516"], [12345.678, 4, "12345.6780"],
  [2 ** -18, 17, "0.00000381469726562"], [3 * 2 ** -18, 17, "0.00001144409179688"], [0.1, 17, "0.10000000000000001"],
  [Infinity, 4, "inf"], [-Infinity, 4, "-inf"], [NaN, 4, "nan"],
];

test("formatFixed matches glibc printf, ties to even and huge values included", () => {
  for (const [value, digits, text] of glibcFixed) expect([value, digits, formatFixed(value, digits)]).toEqual([value, digits, text]);
  expect(formatFixed4(0.03125)).toBe("0.0312");
});

// GEOADD then GEOPOS on redis-server 7.0.15: LD_STR_HUMAN text of decoded coordinates.
const capturedGeopos = [
  "13.36138933897018433", "38.11555639549629859", "15.08726745843887329", "37.50266842333162032",
  "-122.41940170526504517", "37.77490001056577995", "0.00000268220901489", "0.00000126736058093",
  "-179.99999731779098511", "-85.05112751263942528", "180", "85.0511287799999991",
];

test("formatDoubleHuman reproduces GEOPOS text captured from redis 7.0", () => {
  for (const text of capturedGeopos) expect(formatDoubleHuman(parseFloat(text))).toBe(text);
  expect(formatDoubleHuman(-0)).toBe("0");
  expect(formatDoubleHuman(-1e-30)).toBe("0");
  expect(formatDoubleHuman(2.5)).toBe("2.5");
  expect(trimHuman("-0.00000000000000000")).toBe("0");
  expect(trimHuman("100.00000000000000000")).toBe("100");
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

test("formatDouble17g agrees with redis-server replies on random doubles and dyadic ties", async () => {
  const next = rng(9001);
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  const values: number[] = [];
  while (values.length < 3000) {
    const pick = next() % 3;
    if (pick === 0) {
      u[0] = next();
      u[1] = next();
    } else if (pick === 1) {
      f[0] = ((next() % 2 ** 24) - 2 ** 23) / 2 ** (next() % 30); // short binary fractions: ties
    } else {
      f[0] = (next() * 2 ** 21 + (next() >>> 11)) / 2 ** (next() % 64);
    }
    if (Number.isFinite(f[0])) values.push(f[0]);
  }
  const redis = await startReferenceRedis();
  try {
    // String(v) round-trips exactly, so redis stores the same double; a fresh key per value makes
    // ZADD INCR reply with it as addReplyDouble prints it.
    const replies = await Promise.all(values.map((v, i) => redis.command(["ZADD", `z${i}`, "INCR", String(v), "m"])));
    const mismatches: string[] = [];
    values.forEach((v, i) => {
      const theirs = replyText(replies[i]);
      if (formatDouble17g(v) !== theirs) mismatches.push(`${v}: ours ${formatDouble17g(v)} redis ${theirs}`);
    });
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);

test("formatDoubleHuman agrees with redis-server GEOPOS on random coordinates", async () => {
  const next = rng(77);
  const redis = await startReferenceRedis();
  try {
    const members: string[] = [];
    for (let i = 0; i < 500; i++) {
      const lon = ((next() / 2 ** 32) * 360 - 180).toFixed(next() % 9);
      const lat = ((next() / 2 ** 32) * 170 - 85).toFixed(next() % 9);
      void redis.command(["GEOADD", "g", lon, lat, `m${i}`]);
      members.push(`m${i}`);
    }
    const positions = (await redis.command(["GEOPOS", "g", ...members])) as Uint8Array[][];
    const mismatches: string[] = [];
    for (const pair of positions) {
      for (const coordinate of pair) {
        const text = replyText(coordinate);
        if (formatDoubleHuman(parseFloat(text)) !== text) mismatches.push(text);
      }
    }
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);
