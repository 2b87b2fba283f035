// Generators for the set commands, by family: sets.write (SADD SREM SMOVE), sets.read (SCARD
// SISMEMBER SMISMEMBER SMEMBERS OBJECT ENCODING), sets.algebra (SINTER SUNION SDIFF, STORE forms,
// SINTERCARD), sets.random (SRANDMEMBER: shape only; SPOP only where its effect is deterministic: a
// count of 0 or one that covers the set, so both servers end with the same state) and sets.scan.
//
// Members are mostly small integers (intsets) with some words (conversion to hashtable); keys are
// mostly set keys (s1..s4) and sometimes the shared keys other groups write (WRONGTYPE).
// Exceptions: hashesSetsExceptions in hashes_gen.ts.

import { type Command, type GenContext, type Rng, registerGenerators, registerStateDigest } from "./harness.ts";
import { unorderedEqual } from "./hashes_gen.ts";

const setKeys = ["s1", "s2", "s3", "s4"] as const;
const members = ["1", "2", "3", "5", "8", "-1", "100", "9223372036854775807", "-9223372036854775808", "a", "b", "c", "07", "+1", ""] as const;

function skey(rng: Rng, ctx: GenContext): Command[number] {
  return rng.chance(0.8) ? rng.pick(setKeys) : ctx.key();
}
function member(rng: Rng): Command[number] {
  if (rng.chance(0.75)) return rng.pick(members.slice(0, 9));
  return rng.chance(0.9) ? rng.pick(members) : String(rng.int(100000));
}
function memberList(rng: Rng, min: number, max: number): Command[number][] {
  return Array.from({ length: rng.range(min, max) }, () => member(rng));
}
function skeys(rng: Rng, ctx: GenContext, min: number, max: number): Command[number][] {
  return Array.from({ length: rng.range(min, max) }, () => skey(rng, ctx));
}

registerGenerators("sets.write", [
  { weight: 12, gen: (rng, ctx) => ["SADD", skey(rng, ctx), ...memberList(rng, 1, 5)] },
  // Many integers at once: crosses set-max-intset-entries.
  { weight: 1, gen: (rng, ctx) => ["SADD", skey(rng, ctx), ...Array.from({ length: 200 }, () => String(rng.int(3000)))] },
  { weight: 6, gen: (rng, ctx) => ["SREM", skey(rng, ctx), ...memberList(rng, 1, 4)] },
  { weight: 4, gen: (rng, ctx) => ["SMOVE", skey(rng, ctx), skey(rng, ctx), member(rng)] },
]);

registerGenerators("sets.read", [
  { weight: 4, gen: (rng, ctx) => ["SCARD", skey(rng, ctx)] },
  { weight: 4, gen: (rng, ctx) => ["SISMEMBER", skey(rng, ctx), member(rng)] },
  { weight: 3, gen: (rng, ctx) => ["SMISMEMBER", skey(rng, ctx), ...memberList(rng, 1, 4)] },
  { weight: 3, gen: (rng, ctx) => ["SMEMBERS", skey(rng, ctx)] },
  { weight: 2, gen: (rng, ctx) => ["OBJECT", "ENCODING", skey(rng, ctx)] },
]);

registerGenerators("sets.algebra", [
  { weight: 3, gen: (rng, ctx) => [rng.pick(["SINTER", "SUNION", "SDIFF"] as const), ...skeys(rng, ctx, 1, 3)] },
  { weight: 3, gen: (rng, ctx) => [rng.pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"] as const), skey(rng, ctx), ...skeys(rng, ctx, 1, 3)] },
  {
    weight: 2,
    gen: (rng, ctx) => {
      const n = rng.range(1, 3);
      const cmd: Command = ["SINTERCARD", rng.chance(0.9) ? String(n) : rng.pick(["0", "x", "-1", "9"] as const), ...skeys(rng, ctx, n, n)];
      if (rng.chance(0.4)) cmd.push("LIMIT", rng.pick(["0", "1", "2", "-1", "x"] as const));
      else if (rng.chance(0.1)) cmd.push("FOO");
      return cmd;
    },
  },
]);

registerGenerators("sets.random", [
  {
    weight: 4,
    nondeterministic: true,
    gen: (rng, ctx) => {
      const key = skey(rng, ctx);
      if (rng.chance(0.3)) return ["SRANDMEMBER", key];
      return ["SRANDMEMBER", key, rng.pick(["0", "1", "3", "-1", "-5", "1000", "x", "-9223372036854775808"] as const)];
    },
  },
  {
    weight: 2,
    nondeterministic: true,
    gen: (rng, ctx) => ["SPOP", skey(rng, ctx), rng.pick(["0", "100000", "x", "-1"] as const)],
  },
]);

registerGenerators("sets.scan", [
  {
    weight: 3,
    cursor: { cursorArg: 2 },
    gen: (rng, ctx) => {
      const cmd: Command = ["SSCAN", skey(rng, ctx), "0"];
      if (rng.chance(0.4)) cmd.push("MATCH", rng.pick(["1*", "*", "?", "a"] as const));
      if (rng.chance(0.4)) cmd.push("COUNT", rng.pick(["1", "5", "100"] as const));
      return cmd;
    },
  },
]);

registerStateDigest("set", (key) => [
  { cmd: ["SMEMBERS", key], compare: unorderedEqual },
  { cmd: ["OBJECT", "ENCODING", key] },
]);
