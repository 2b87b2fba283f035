// Generators for the string commands, grouped by family so a failing family is named by its group:
// strings.set (SET and its siblings), strings.get (reads, GETEX, GETDEL), strings.range (APPEND,
// GETRANGE, SUBSTR, SETRANGE), strings.counter (INCR family, INCRBYFLOAT), strings.lcs (LCS).
//
// Every family mixes valid calls with the errors Redis defines for them: bad option combinations,
// missing arguments, non-integers, overflow at the int64 edges, out-of-range offsets. SETRANGE never
// asks for a string near the 512 MB limit that a server would have to allocate: huge offsets come
// only with an empty value (no allocation) or past the limit (an error).

import { type Command, type GenContext, type Rng, floatLikeValues, intLikeValues, registerGenerators, validIntValues } from "./harness.ts";

type Opt = string[];

/** SET's expiry choice, including the rare malformed forms. */
function expiryOption(rng: Rng, ctx: GenContext): Opt | undefined {
  return rng.weighted<() => Opt | undefined>([
    [8, () => undefined],
    [3, () => ["EX", ctx.relativeSeconds()]],
    [3, () => ["PX", ctx.relativeMillis()]],
    [2, () => ["EXAT", ctx.absoluteSeconds()]],
    [2, () => ["PXAT", ctx.absoluteMillis()]],
    [2, () => ["KEEPTTL"]],
  ])();
}

const setBadExtras: readonly Opt[] = [
  ["NX", "XX"],
  ["EX", "100", "PX", "100000"],
  ["KEEPTTL", "EX", "100"],
  ["EXAT", "4102444800", "KEEPTTL"],
  ["EX"],
  ["PX"],
  ["FOO"],
  ["GET", "GET"],
  ["NX", "NX"],
  ["EX", "100", "EX", "200"],
  ["PXAT"],
];

function setCommand(rng: Rng, ctx: GenContext): Command {
  const options: Opt[] = [];
  const condition = rng.weighted<string | undefined>([[6, undefined], [2, "NX"], [2, "XX"]]);
  if (condition) options.push([condition]);
  if (rng.chance(0.25)) options.push(["GET"]);
  const expiry = expiryOption(rng, ctx);
  if (expiry) options.push(expiry);
  if (rng.chance(0.08)) options.push(rng.pick(setBadExtras));
  const ordered = rng.shuffle(options);
  return ["SET", ctx.key(), ctx.value(), ...ordered.flat()];
}

function getexCommand(rng: Rng, ctx: GenContext): Command {
  const option = rng.weighted<() => Opt>([
    [4, () => []],
    [3, () => ["EX", ctx.relativeSeconds()]],
    [3, () => ["PX", ctx.relativeMillis()]],
    [2, () => ["EXAT", ctx.absoluteSeconds()]],
    [2, () => ["PXAT", ctx.absoluteMillis()]],
    [3, () => ["PERSIST"]],
    [1, () => ["EX", "100", "PERSIST"]],
    [1, () => ["PERSIST", "PX", "100000"]],
    [1, () => ["EX"]],
    [1, () => ["KEEPTTL"]],
    [1, () => ["EX", "100", "EX", "200"]],
    [1, () => ["GET"]],
  ])();
  return ["GETEX", ctx.key(), ...option];
}

/** Key/value pairs, occasionally one argument short (an arity error). */
function pairs(rng: Rng, ctx: GenContext): Command {
  const out: Command = [];
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) out.push(ctx.key(), ctx.value());
  if (rng.chance(0.08)) out.pop();
  return out;
}

registerGenerators("strings.set", [
  { weight: 12, gen: setCommand },
  { weight: 3, gen: (_rng, ctx) => ["SETNX", ctx.key(), ctx.value()] },
  { weight: 3, gen: (_rng, ctx) => ["SETEX", ctx.key(), ctx.relativeSeconds(0.35), ctx.value()] },
  { weight: 3, gen: (_rng, ctx) => ["PSETEX", ctx.key(), ctx.relativeMillis(0.35), ctx.value()] },
  { weight: 3, gen: (rng, ctx) => ["MSET", ...pairs(rng, ctx)] },
  { weight: 3, gen: (rng, ctx) => ["MSETNX", ...pairs(rng, ctx)] },
  { weight: 3, gen: (_rng, ctx) => ["GETSET", ctx.key(), ctx.value()] },
]);

registerGenerators("strings.get", [
  { weight: 8, gen: (_rng, ctx) => ["GET", ctx.key()] },
  { weight: 4, gen: (_rng, ctx) => ["MGET", ...ctx.keys(1, 5)] },
  { weight: 4, gen: getexCommand },
  { weight: 3, gen: (_rng, ctx) => ["GETDEL", ctx.key()] },
  { weight: 3, gen: (_rng, ctx) => ["STRLEN", ctx.key()] },
  // Keep some keys alive for the readers to find.
  { weight: 6, gen: (_rng, ctx) => ["SET", ctx.key(), ctx.value()] },
]);

const offsetsSafe = ["0", "1", "2", "3", "5", "10", "50", "100"] as const;
const offsetsRejected = ["-1", "abc", "1.5", "", "536870912", "2147483648", "9223372036854775807", "-9223372036854775808"] as const;
const plainForOffsets = ["v", "hello", "ab", "xyz", "\u00e9t\u00e9"] as const;

/** SETRANGE that never makes a server allocate a huge string: see the module comment. */
function setrangeCommand(rng: Rng, ctx: GenContext): Command {
  const roll = rng.float();
  if (roll < 0.8) return ["SETRANGE", ctx.key(), rng.pick(offsetsSafe), ctx.value()];
  if (roll < 0.93) return ["SETRANGE", ctx.key(), rng.pick(offsetsRejected), rng.pick(plainForOffsets)];
  return ["SETRANGE", ctx.key(), rng.pick(["536870911", "536870912", "0", "7", "-1"]), ""];
}

registerGenerators("strings.range", [
  { weight: 5, gen: (_rng, ctx) => ["APPEND", ctx.key(), ctx.value()] },
  { weight: 5, gen: (_rng, ctx) => ["GETRANGE", ctx.key(), ctx.rangeIndex(), ctx.rangeIndex()] },
  { weight: 2, gen: (_rng, ctx) => ["SUBSTR", ctx.key(), ctx.rangeIndex(), ctx.rangeIndex()] },
  { weight: 5, gen: setrangeCommand },
  { weight: 2, gen: (_rng, ctx) => ["STRLEN", ctx.key()] },
  { weight: 0.5, gen: (_rng, ctx) => ["GETRANGE", ctx.key(), ctx.rangeIndex()] },
  { weight: 4, gen: (_rng, ctx) => ["SET", ctx.key(), ctx.value()] },
]);

/**
 * Counters mostly use keys only this family writes, so most increments find integers (and reach the
 * int64 edges and overflow); the shared keys still give the "not an integer" paths.
 */
const counterKeys = ["n1", "n2", "n3"] as const;
const counterKey = (rng: Rng, ctx: GenContext) => (rng.chance(0.6) ? rng.pick(counterKeys) : ctx.key());

registerGenerators("strings.counter", [
  { weight: 5, gen: (rng, ctx) => ["INCR", counterKey(rng, ctx)] },
  { weight: 4, gen: (rng, ctx) => ["DECR", counterKey(rng, ctx)] },
  { weight: 5, gen: (rng, ctx) => ["INCRBY", counterKey(rng, ctx), ctx.increment()] },
  { weight: 4, gen: (rng, ctx) => ["DECRBY", counterKey(rng, ctx), ctx.increment()] },
  { weight: 6, gen: (rng, ctx) => ["INCRBYFLOAT", counterKey(rng, ctx), ctx.floatIncrement()] },
  { weight: 6, gen: (rng, ctx) => ["SET", counterKey(rng, ctx), rng.pick(validIntValues)] },
  { weight: 2, gen: (rng, ctx) => ["SET", counterKey(rng, ctx), rng.pick(intLikeValues)] },
  { weight: 3, gen: (rng, ctx) => ["SET", counterKey(rng, ctx), rng.pick(floatLikeValues)] },
  { weight: 3, gen: (rng, ctx) => ["GET", counterKey(rng, ctx)] },
  { weight: 1, gen: (rng, ctx) => [rng.pick(["INCR", "DECR"]), counterKey(rng, ctx), "1"] },
  { weight: 1, gen: (rng, ctx) => [rng.pick(["INCRBY", "DECRBY", "INCRBYFLOAT"]), counterKey(rng, ctx)] },
]);

const lcsKeys = ["lcs:a", "lcs:b", "lcs:c"] as const;

/** Short strings over a small alphabet, so common subsequences are long and plentiful. */
function lcsText(rng: Rng): string {
  const alphabet = rng.pick(["ab", "abc", "acgt", "ohmytext"]);
  const n = rng.range(0, 24);
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[rng.int(alphabet.length)];
  return out;
}

function lcsCommand(rng: Rng, ctx: GenContext): Command {
  const key = () => (rng.chance(0.8) ? rng.pick(lcsKeys) : ctx.key());
  const options: Opt[] = [];
  const mode = rng.weighted<string | undefined>([[3, undefined], [3, "LEN"], [4, "IDX"], [1, "LEN+IDX"]]);
  if (mode === "LEN+IDX") options.push(["LEN"], ["IDX"]);
  else if (mode) options.push([mode]);
  if (rng.chance(0.35)) options.push(["MINMATCHLEN", rng.pick(["0", "1", "2", "3", "4", "-1", "abc", "100"])]);
  if (rng.chance(0.35)) options.push(["WITHMATCHLEN"]);
  if (rng.chance(0.04)) options.push([rng.pick(["MINMATCHLEN", "FOO"])]);
  return ["LCS", key(), key(), ...rng.shuffle(options).flat()];
}

registerGenerators("strings.lcs", [
  { weight: 6, gen: lcsCommand },
  { weight: 4, gen: (rng) => ["SET", rng.pick(lcsKeys), lcsText(rng)] },
  { weight: 1, gen: (rng) => ["APPEND", rng.pick(lcsKeys), lcsText(rng)] },
  { weight: 0.5, gen: (rng) => ["LCS", rng.pick(lcsKeys)] },
  { weight: 1, gen: (_rng, ctx) => ["LCS", ctx.key(), ctx.key()] },
]);
