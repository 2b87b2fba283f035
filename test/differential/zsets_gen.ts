// Generators for the sorted-set commands, by family: zsets.write (ZADD with every flag, ZINCRBY,
// ZREM), zsets.read (ZSCORE, ZMSCORE, ZRANK, ZCARD, ZCOUNT, ZLEXCOUNT), zsets.range (the ZRANGE
// family and ZRANGESTORE), zsets.remove (ZREMRANGEBY*, pops, ZMPOP, non-waiting BZ*), zsets.algebra
// (ZUNION/ZINTER/ZDIFF and STORE forms, ZINTERCARD, over zsets, sets and strings), zsets.random
// (ZRANDMEMBER: shape only) and zsets.scan (ZSCAN: iterated, compared as sets).
//
// Keys: z1..z4 (sorted sets), s1 (a set), str (a string: WRONGTYPE). Scores are drawn from values
// whose sums are exact or saturate the same way in any order (integers, halves, quarters, inf), so a
// ZUNION sum that Redis adds in its own order is the same double here; a few invalid ones check the
// errors. Long members (> 64 bytes) and a count past 128 drive the listpack -> skiplist relabel.

import { type Command, type Rng, registerGenerators, registerStateDigest } from "./harness.ts";

export const zkeys = ["z1", "z2", "z3", "z4"] as const;
const members = ["a", "b", "c", "d", "e", "f", "g", "h", "aa", "ab", "ba", "1", "2", "10", ""] as const;
const longMember = "m".repeat(70);
const scores = ["0", "1", "2", "3", "-1", "-2", "1.5", "-0.5", "0.25", "10", "100", "inf", "-inf", "+inf", "-0", "0x10", "3.0e2"] as const;
const badScores = ["nan", "x", "", "1e", " 1", "--1"] as const;
const rankArgs = ["0", "1", "2", "-1", "-2", "-3", "5", "10", "-100", "100", "x", "9223372036854775807", "-9223372036854775808"] as const;
const scoreBounds = ["-inf", "+inf", "inf", "0", "1", "2", "(1", "(2", "1.5", "(1.5", "-1", "(-1", "10", "(10", "100", "x", "(", "", "((1"] as const;
const lexBounds = ["-", "+", "[a", "(a", "[b", "(b", "[c", "[aa", "(ab", "[h", "(z", "[", "(", "a", "+a", "-b"] as const;
const limits = [["LIMIT", "0", "2"], ["LIMIT", "1", "1"], ["LIMIT", "0", "-1"], ["LIMIT", "-1", "2"], ["LIMIT", "2", "0"], ["LIMIT", "5", "10"], ["LIMIT", "1", "x"]] as const;

/**
 * Keys for the lex commands: every member gets score 0 there. Redis specifies lex ranges only over
 * equal scores; with mixed scores its skiplist answer depends on random node levels.
 */
const lkeys = ["l1", "l2"] as const;
function lkey(rng: Rng): string {
  return rng.weighted<string>([[20, rng.pick(lkeys)], [1, "str"], [1, "none"]]);
}
function zaddLex(rng: Rng): Command {
  const out: string[] = [];
  for (let i = rng.range(1, 4); i > 0; i--) out.push("0", member(rng));
  return ["ZADD", rng.pick(lkeys), ...out];
}

export function zkey(rng: Rng): string {
  return rng.weighted<string>([[20, rng.pick(zkeys)], [1, "s1"], [1, "str"], [1, "none"]]);
}
function member(rng: Rng): string {
  return rng.chance(0.02) ? longMember : rng.pick(members);
}
function score(rng: Rng): string {
  return rng.chance(0.04) ? rng.pick(badScores) : rng.pick(scores);
}
function pairs(rng: Rng, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(score(rng), member(rng));
  return out;
}

const zaddFlags = ["NX", "XX", "GT", "LT", "CH", "INCR"] as const;

function zadd(rng: Rng): Command {
  const flags = rng.shuffle(zaddFlags.filter(() => rng.chance(0.15)));
  const n = flags.includes("INCR") && rng.chance(0.9) ? 1 : rng.range(1, 6);
  const cmd: Command = ["ZADD", zkey(rng), ...flags, ...pairs(rng, n)];
  if (rng.chance(0.02)) cmd.push("dangling");
  return cmd;
}

/** Many members at once, to cross zset-max-listpack-entries. */
function zaddMany(rng: Rng): Command {
  const out: string[] = [];
  const base = rng.range(0, 300); // bounded: keys stay under ~450 members
  for (let i = 0; i < 140; i++) out.push(String(i % 7), `m${base + i}`);
  return ["ZADD", rng.pick(zkeys), ...out];
}

function seedSets(rng: Rng): Command {
  return rng.chance(0.5) ? ["SADD", "s1", ...rng.shuffle(members).slice(0, 4)] : ["SET", "str", "v"];
}

registerGenerators("zsets.write", [
  { weight: 12, gen: (rng) => zadd(rng) },
  { weight: 1, gen: (rng) => zaddMany(rng) },
  { weight: 1, gen: (rng) => seedSets(rng) },
  { weight: 4, gen: (rng) => ["ZINCRBY", zkey(rng), score(rng), member(rng)] },
  { weight: 4, gen: (rng) => ["ZREM", zkey(rng), ...Array.from({ length: rng.range(1, 4) }, () => member(rng))] },
  { weight: 1, gen: (rng) => ["OBJECT", "ENCODING", zkey(rng)] },
  { weight: 1, gen: (rng) => ["DEL", rng.pick(zkeys)] },
]);

registerGenerators("zsets.read", [
  { weight: 3, gen: (rng) => zadd(rng) },
  { weight: 3, gen: (rng) => ["ZSCORE", zkey(rng), member(rng)] },
  { weight: 2, gen: (rng) => ["ZMSCORE", zkey(rng), ...Array.from({ length: rng.range(1, 4) }, () => member(rng))] },
  { weight: 3, gen: (rng) => [rng.pick(["ZRANK", "ZREVRANK"]), zkey(rng), member(rng)] },
  { weight: 2, gen: (rng) => ["ZCARD", zkey(rng)] },
  { weight: 2, gen: (rng) => ["ZCOUNT", zkey(rng), rng.pick(scoreBounds), rng.pick(scoreBounds)] },
  { weight: 2, gen: (rng) => zaddLex(rng) },
  { weight: 2, gen: (rng) => ["ZLEXCOUNT", lkey(rng), rng.pick(lexBounds), rng.pick(lexBounds)] },
]);

function zrange(rng: Rng): Command {
  const kind = rng.pick(["rank", "score", "lex"] as const);
  const key = kind === "lex" ? lkey(rng) : zkey(rng);
  const [lo, hi] = kind === "rank" ? [rng.pick(rankArgs), rng.pick(rankArgs)] : kind === "score" ? [rng.pick(scoreBounds), rng.pick(scoreBounds)] : [rng.pick(lexBounds), rng.pick(lexBounds)];
  const opts: string[][] = [];
  if (kind === "score") opts.push(["BYSCORE"]);
  if (kind === "lex") opts.push(["BYLEX"]);
  if (rng.chance(0.4)) opts.push(["REV"]);
  if (rng.chance(0.4)) opts.push([...rng.pick(limits)]);
  if (rng.chance(0.4)) opts.push(["WITHSCORES"]);
  if (rng.chance(0.03)) opts.push([rng.pick(["REV", "BYSCORE", "FOO", "LIMIT"])]);
  return ["ZRANGE", key, lo, hi, ...rng.shuffle(opts).flat()];
}

function legacyRange(rng: Rng): Command {
  const name = rng.pick(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREVRANGE"] as const);
  const bounds = name.includes("LEX") ? lexBounds : name === "ZREVRANGE" ? rankArgs : scoreBounds;
  const cmd: Command = [name, name.includes("LEX") ? lkey(rng) : zkey(rng), rng.pick(bounds), rng.pick(bounds)];
  if (rng.chance(0.4) && name !== "ZREVRANGE") cmd.push(...rng.pick(limits));
  if (rng.chance(0.4)) cmd.push("WITHSCORES");
  return cmd;
}

registerGenerators("zsets.range", [
  { weight: 4, gen: (rng) => zadd(rng) },
  { weight: 2, gen: (rng) => zaddLex(rng) },
  { weight: 6, gen: (rng) => zrange(rng) },
  { weight: 4, gen: (rng) => legacyRange(rng) },
  {
    weight: 2,
    gen: (rng) => {
      const r = zrange(rng).filter((a) => a !== "WITHSCORES");
      return ["ZRANGESTORE", rng.pick(["d1", "z4"]), ...r.slice(1)];
    },
  },
]);

registerGenerators("zsets.remove", [
  { weight: 6, gen: (rng) => zadd(rng) },
  { weight: 1, gen: (rng) => zaddMany(rng) },
  { weight: 2, gen: (rng) => ["ZREMRANGEBYRANK", zkey(rng), rng.pick(rankArgs), rng.pick(rankArgs)] },
  { weight: 2, gen: (rng) => ["ZREMRANGEBYSCORE", zkey(rng), rng.pick(scoreBounds), rng.pick(scoreBounds)] },
  { weight: 2, gen: (rng) => zaddLex(rng) },
  { weight: 2, gen: (rng) => ["ZREMRANGEBYLEX", lkey(rng), rng.pick(lexBounds), rng.pick(lexBounds)] },
  {
    weight: 3,
    gen: (rng) => {
      const cmd: Command = [rng.pick(["ZPOPMIN", "ZPOPMAX"]), zkey(rng)];
      if (rng.chance(0.6)) cmd.push(rng.pick(["0", "1", "2", "5", "-1", "x", "200"]));
      return cmd;
    },
  },
  {
    weight: 2,
    gen: (rng) => {
      const keys = Array.from({ length: rng.range(1, 3) }, () => zkey(rng));
      const cmd: Command = ["ZMPOP", rng.chance(0.95) ? String(keys.length) : rng.pick(["0", "x", "9"]), ...keys, rng.pick(["MIN", "MAX", "min", "FOO"])];
      if (rng.chance(0.5)) cmd.push("COUNT", rng.pick(["1", "2", "10", "0", "-1"]));
      return cmd;
    },
  },
  // Blocking pops that find an element (or are inside no wait): timeouts short, keys mostly present.
  { weight: 1, gen: (rng) => [rng.pick(["BZPOPMIN", "BZPOPMAX"]), rng.pick(zkeys), "0.01"] },
]);

function algebraKeys(rng: Rng): string[] {
  return Array.from({ length: rng.range(1, 4) }, () => rng.weighted<string>([[10, rng.pick(zkeys)], [3, "s1"], [1, "str"], [1, "none"]]));
}

function algebra(rng: Rng): Command {
  const name = rng.pick(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"] as const);
  const keys = algebraKeys(rng);
  const cmd: Command = [name];
  if (name.endsWith("STORE")) cmd.push(rng.pick(["d1", "z4", "str"]));
  cmd.push(rng.chance(0.95) ? String(keys.length) : rng.pick(["0", "x", "9", "-1"]), ...keys);
  if (!name.startsWith("ZDIFF") || rng.chance(0.05)) {
    if (rng.chance(0.3)) cmd.push("WEIGHTS", ...keys.map(() => rng.pick(["1", "2", "0", "-1", "0.5", "inf", "x"])));
    if (rng.chance(0.3)) cmd.push("AGGREGATE", rng.pick(["SUM", "MIN", "MAX", "sum", "avg"]));
  }
  if (!name.endsWith("STORE") && rng.chance(0.5)) cmd.push("WITHSCORES");
  return cmd;
}

registerGenerators("zsets.algebra", [
  { weight: 6, gen: (rng) => zadd(rng) },
  { weight: 1, gen: (rng) => seedSets(rng) },
  { weight: 6, gen: (rng) => algebra(rng) },
  {
    weight: 2,
    gen: (rng) => {
      const keys = algebraKeys(rng);
      const cmd: Command = ["ZINTERCARD", String(keys.length), ...keys];
      if (rng.chance(0.4)) cmd.push("LIMIT", rng.pick(["0", "1", "2", "-1", "x"]));
      return cmd;
    },
  },
]);

registerGenerators("zsets.random", [
  { weight: 3, gen: (rng) => zadd(rng) },
  {
    weight: 2,
    nondeterministic: true,
    gen: (rng) => {
      const cmd: Command = ["ZRANDMEMBER", zkey(rng)];
      if (rng.chance(0.7)) cmd.push(rng.pick(["0", "1", "3", "-3", "20", "-20", "x"]));
      if (cmd.length === 3 && rng.chance(0.4)) cmd.push("WITHSCORES");
      return cmd;
    },
  },
]);

registerGenerators("zsets.scan", [
  { weight: 3, gen: (rng) => zadd(rng) },
  { weight: 1, gen: (rng) => zaddMany(rng) },
  {
    weight: 2,
    cursor: { cursorArg: 2, pairs: true },
    gen: (rng) => {
      const cmd: Command = ["ZSCAN", rng.pick(zkeys), "0"];
      if (rng.chance(0.3)) cmd.push("MATCH", rng.pick(["*", "a*", "m1*", "?"]));
      if (rng.chance(0.8)) cmd.push("COUNT", rng.pick(["20", "100", "1000"]));
      return cmd;
    },
  },
]);

registerStateDigest("zset", (key) => [{ cmd: ["ZRANGE", key, "0", "-1", "WITHSCORES"] }, { cmd: ["OBJECT", "ENCODING", key] }]);
