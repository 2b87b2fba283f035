import { test, expect } from "bun:test";
import { stringMatch, stringMatchRange, stringMatchStr } from "./glob.ts";
import { startReferenceRedis, type Reply } from "./reference_redis.ts";

/** One byte per char, so "\x80" is the byte 0x80, as redis-cli's "\x80" escape sends it. */
const L = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const text = (b: Uint8Array): string => Buffer.from(b).toString("latin1");
const m = (pattern: string, str: string, nocase = false): boolean => stringMatch(L(pattern), L(str), nocase);

// Keys and KEYS results captured from redis-server 7.0.15. KEYS "*" alone is special-cased by Redis
// (it returns every key, "" included), so it is not a matcher vector.
const keys = ["", "a", "b", "c", "ab", "abc", "]", "[", "\\", "^", "-", "x", "ax", "A", "\x80", "\xff",
  "\x00", "aa", "[abc", "a]", "foo", "fOo", "zap", "}", "`", "_", "a-", "-a", "a\\", "\x7f"];
const capturedKeys: [string, string[]][] = [
  ["**", keys.filter((k) => k !== "")],
  ["[abc", ["a", "b", "c"]],
  ["[^", ["\x00", "-", "A", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "x", "}", "\x7f", "\x80", "\xff"]],
  ["[", []],
  ["[]abc]", []],
  ["[^]]", ["a]"]],
  ["[a-]", ["]", "^", "_", "`", "a"]],
  ["[a-]x", ["]", "^", "_", "`", "a", "x"]],
  ["[z-a]", ["a", "b", "c", "x"]],
  ["[\\]]", ["]"]],
  ["[\\", ["\\"]],
  ["\\", ["\\"]],
  ["a\\", ["a\\"]],
  ["[a-\\]]", ["a]"]],
  ["[\x00-\xff]", ["\x00", "\xff"]],
  ["[\x80-\xff]", ["\x80", "\xff"]],
  ["[\xff-\x80]", ["\x80", "\xff"]],
  ["[a-\xff]", ["\x00", "-", "A", "[", "\\", "]", "^", "_", "`", "a", "\xff"]],
  ["\\*", []],
  ["*a", ["-a", "a", "aa"]],
  ["[]", []],
  ["[]]", []],
  ["[-a]", ["-", "a"]],
  ["[a-c-e]", ["-", "a", "b", "c"]],
  ["f[^a-z]o", ["fOo"]],
  ["[!a]", ["a"]],
];

test("stringMatch reproduces KEYS results captured from redis 7.0 for bracket and escape quirks", () => {
  for (const [pattern, expected] of capturedKeys) {
    const ours = keys.filter((k) => m(pattern, k)).sort();
    expect([pattern, ours]).toEqual([pattern, [...expected].sort()]);
  }
});

test("an empty string matches only the empty pattern, so a lone star does not match it", () => {
  expect(m("", "")).toBe(true);
  expect(m("*", "")).toBe(false);
  expect(m("**", "")).toBe(false);
  expect(m("a*", "a")).toBe(true);
  expect(m("a**", "a")).toBe(true);
  expect(m("", "a")).toBe(false);
});

test("basic wildcards, sets and escapes behave as documented", () => {
  expect(m("h?llo", "hello")).toBe(true);
  expect(m("h*llo", "heeeello")).toBe(true);
  expect(m("h[ae]llo", "hallo")).toBe(true);
  expect(m("h[ae]llo", "hillo")).toBe(false);
  expect(m("h[^e]llo", "hallo")).toBe(true);
  expect(m("h[^e]llo", "hello")).toBe(false);
  expect(m("h[a-b]llo", "hbllo")).toBe(true);
  expect(m("\\*x", "*x")).toBe(true);
  expect(m("\\*x", "ax")).toBe(false);
  expect(m("*.txt", "notes.txt")).toBe(true);
  expect(m("user:*:name", "user:42:name")).toBe(true);
  expect(m("user:*:name", "user:42:names")).toBe(false);
});

// CONFIG GET matches names with nocase; results captured from redis-server 7.0.15.
test("nocase folds ASCII and ranges fold like glibc tolower, as CONFIG GET shows", () => {
  expect(m("APPENDONL?", "appendonly", true)).toBe(true);
  expect(m("APPENDONL?", "appendonly", false)).toBe(false);
  expect(m("[A-a]ppendonly", "appendonly", true)).toBe(true);
  // 'Z'..'a' folds to 'z'..'a': an empty range under nocase, though it holds 'a' without it.
  expect(m("[Z-a]ppendonly", "appendonly", true)).toBe(false);
  expect(m("[Z-a]ppendonly", "appendonly", false)).toBe(true);
  // tolower(-128) is 128 but tolower(-1) stays -1: 0x80..'a' becomes empty, 0xff..'a' does not.
  expect(m("[\x80-a]ppendonly", "appendonly", true)).toBe(false);
  expect(m("[\xff-a]ppendonly", "appendonly", true)).toBe(true);
  expect(m("[\xfe-a]ppendonly", "appendonly", true)).toBe(false);
  expect(m("[\x80-a]ppendonly", "appendonly", false)).toBe(true);
  // An escaped byte inside a set is compared exactly, even under nocase.
  expect(m("[\\A]", "a", true)).toBe(false);
  expect(m("[A]", "a", true)).toBe(true);
});

test("stringMatchRange reads only the given ranges", () => {
  const pattern = L("xxa*cyy");
  const str = L("__abbbc__");
  expect(stringMatchRange(pattern, 2, 5, str, 2, 7)).toBe(true);
  expect(stringMatchRange(pattern, 2, 5, str, 2, 8)).toBe(false);
  // A set left open at the end of the range must not read past it into "]".
  expect(stringMatchRange(L("[ab]"), 0, 3, L("a"), 0, 1)).toBe(true);
  expect(stringMatchRange(L("[ab]"), 0, 3, L("]"), 0, 1)).toBe(false);
});

test("stringMatchStr compares UTF-8 bytes", () => {
  expect(stringMatchStr("caf?", "café")).toBe(false); // é is two bytes
  expect(stringMatchStr("caf??", "café")).toBe(true);
  expect(stringMatchStr("maxmemory-*", "maxmemory-policy")).toBe(true);
  expect(stringMatchStr("MAXMEMORY-*", "maxmemory-policy", true)).toBe(true);
  expect(stringMatchStr("x".repeat(1000) + "*", "x".repeat(2000))).toBe(true);
  expect(stringMatchStr("*x".repeat(1001), "x".repeat(2000))).toBe(false);
});

test("many stars against a long non-matching string finish quickly", () => {
  const str = L("a".repeat(100_000));
  const started = performance.now();
  expect(stringMatch(L("*a*a*a*a*a*a*a*a*a*a*b"), str)).toBe(false);
  expect(stringMatch(L("a*a*a*a*a*a*a*a*a*a*b"), L("a".repeat(5000)))).toBe(false);
  expect(stringMatch(L("*".repeat(10_000) + "b"), str)).toBe(false);
  expect(stringMatch(L("*?".repeat(1000)), str)).toBe(true);
  expect(stringMatch(L("?".repeat(99_999) + "*"), str)).toBe(true);
  expect(performance.now() - started).toBeLessThan(2000);
});

// KEYS on redis-server 7.0.15: [pattern, key, matched]. Redis stops after 1000 nested runs of stars.
const a = (n: number): string => "a".repeat(n);
const starA = (n: number): string => "*a".repeat(n);
const capturedStarLimit: [string, string, boolean][] = [
  [starA(1000), a(1001), true],
  [starA(1001), a(1002), false],
  [starA(1000) + "*", a(1001) + "b", true], // the 1001st run ends the pattern
  [starA(1000) + "*", a(1000), true],
  [starA(1000) + "b*", a(1000) + "b", true], // reached with the string used up
  ["[abc" + starA(2000), "a", true], // the open set swallows the stars
  [starA(999) + "*[b" + starA(5), a(999) + "xb", true],
  [starA(999) + "\\*" + starA(5), a(999) + "*" + a(5), false], // escaped star is no run
  ["?????" + starA(1000), "xxxxx" + a(1000), true],
];

test("patterns with more than 1000 runs of stars fail as in redis 7.0", () => {
  for (const [pattern, key, matched] of capturedStarLimit) {
    expect([pattern.length, key.length, m(pattern, key)]).toEqual([pattern.length, key.length, matched]);
  }
});

/** Small deterministic generator so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

function names(reply: Reply): string[] {
  return (reply as Uint8Array[]).filter((_, i) => i % 2 === 0).map(text);
}

test("stringMatch agrees with redis-server KEYS on random patterns and binary keys", async () => {
  const next = rng(2024);
  const keyAlphabet = ["a", "b", "c", "A", "x", "]", "[", "\\", "-", "^", "\x80", "\xff", "\x00", "*", "?"];
  const patternAlphabet = [...keyAlphabet, "*", "*", "?", "[", "[", "]", "^", "-", "\\"];
  const keySet = new Set<string>();
  while (keySet.size < 300) {
    let k = "";
    const len = next() % 7;
    for (let i = 0; i < len; i++) k += keyAlphabet[next() % keyAlphabet.length];
    keySet.add(k);
  }
  const allKeys = [...keySet];
  const patterns: string[] = [];
  for (let i = 0; i < 1500; i++) {
    let p = "";
    const len = 1 + (next() % 8);
    for (let j = 0; j < len; j++) p += patternAlphabet[next() % patternAlphabet.length];
    if (p !== "*") patterns.push(p);
  }
  const redis = await startReferenceRedis();
  try {
    await Promise.all(allKeys.map((k) => redis.command(["SET", L(k), "1"])));
    const replies = await Promise.all(patterns.map((p) => redis.command(["KEYS", L(p)])));
    const mismatches: string[] = [];
    patterns.forEach((p, i) => {
      const theirs = (replies[i] as Uint8Array[]).map(text).sort();
      const ours = allKeys.filter((k) => m(p, k)).sort();
      if (JSON.stringify(theirs) !== JSON.stringify(ours)) mismatches.push(JSON.stringify(p));
    });
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);

test("nocase stringMatch agrees with redis-server CONFIG GET on mutated config names", async () => {
  const next = rng(77);
  const redis = await startReferenceRedis();
  try {
    const configNames = names(await redis.command(["CONFIG", "GET", "*"]));
    const patterns: string[] = [];
    for (let i = 0; i < 600; i++) {
      const chars = [...configNames[next() % configNames.length]];
      const edits = 1 + (next() % 4);
      for (let e = 0; e < edits; e++) {
        const at = next() % chars.length;
        const pick = next() % 7;
        if (pick === 0) chars[at] = "?";
        else if (pick === 1) chars[at] = "*";
        else if (pick === 2) chars[at] = chars[at].toUpperCase();
        else if (pick === 3) chars[at] = `[${chars[at].toUpperCase()}-z]`;
        else if (pick === 4) chars[at] = `[^${chars[at]}]`;
        else if (pick === 5) chars.splice(at, 1, "*", chars[at]);
        else chars[at] = "[\x80-\xff]";
      }
      const p = chars.join("");
      if (/[*?[]/.test(p)) patterns.push(p);
    }
    const replies = await Promise.all(patterns.map((p) => redis.command(["CONFIG", "GET", L(p)])));
    const mismatches: string[] = [];
    patterns.forEach((p, i) => {
      const theirs = names(replies[i]).sort();
      const ours = configNames.filter((n) => m(p, n, true)).sort();
      if (JSON.stringify(theirs) !== JSON.stringify(ours)) mismatches.push(JSON.stringify(p));
    });
    expect(mismatches).toEqual([]);
  } finally {
    await redis.stop();
  }
}, 60_000);
