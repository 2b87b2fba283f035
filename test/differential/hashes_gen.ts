// Generators for the hash commands, by family: hashes.write (HSET HMSET HSETNX HDEL), hashes.read
// (HGET HMGET HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL), hashes.counter (HINCRBY HINCRBYFLOAT),
// hashes.random (HRANDFIELD: shape only) and hashes.scan (HSCAN, followed to the end as a set).
//
// Keys are mostly hash keys (h1..h3) and sometimes the shared keys other groups write (WRONGTYPE).
// Values include 50-300 byte strings, so hashes convert to the hashtable encoding during a stream.
// `hashesSetsExceptions` (with sets_gen.ts) lists what legitimately differs: the order in which a
// hashtable-encoded hash or set is walked (Redis's dict order depends on its hash seed and history),
// compared instead as the same multiset of elements (pairs kept together for HGETALL).

import {
  type Command,
  type Exception,
  type GenContext,
  type Rng,
  arrayElements,
  floatIncrementArgs,
  incrementArgs,
  isCommand,
  registerGenerators,
  registerStateDigest,
} from "./harness.ts";
import { bytesEqual, compareBytes } from "../helpers/resp_codec.ts";

const hashKeys = ["h1", "h2", "h3"] as const;
const fields = ["f1", "f2", "f3", "f4", "f5", "1", "22", "", "field with space"] as const;

function hkey(rng: Rng, ctx: GenContext): Command[number] {
  return rng.chance(0.8) ? rng.pick(hashKeys) : ctx.key();
}
function field(rng: Rng): Command[number] {
  return rng.chance(0.9) ? rng.pick(fields) : "x".repeat(rng.range(60, 70));
}
function fieldList(rng: Rng, min: number, max: number): Command[number][] {
  return Array.from({ length: rng.range(min, max) }, () => field(rng));
}
function pairs(rng: Rng, ctx: GenContext, min: number, max: number): Command[number][] {
  const out: Command[number][] = [];
  const n = rng.range(min, max);
  for (let i = 0; i < n; i++) out.push(field(rng), ctx.value());
  return out;
}

registerGenerators("hashes.write", [
  { weight: 10, gen: (rng, ctx) => ["HSET", hkey(rng, ctx), ...pairs(rng, ctx, 1, 4)] },
  // Many distinct fields at once: crosses hash-max-listpack-entries in a few commands.
  { weight: 1, gen: (rng, ctx) => ["HSET", hkey(rng, ctx), ...Array.from({ length: 300 }, (_, i) => [`g${rng.int(1000)}_${i}`, "v"]).flat()] },
  { weight: 3, gen: (rng, ctx) => ["HMSET", hkey(rng, ctx), ...pairs(rng, ctx, 1, 3)] },
  { weight: 3, gen: (rng, ctx) => ["HSETNX", hkey(rng, ctx), field(rng), ctx.value()] },
  { weight: 6, gen: (rng, ctx) => ["HDEL", hkey(rng, ctx), ...fieldList(rng, 1, 4)] },
  { weight: 1, gen: (rng, ctx) => (rng.chance(0.5) ? ["HSET", hkey(rng, ctx), "f"] : ["HMSET", hkey(rng, ctx), "a", "b", "c"]) },
]);

registerGenerators("hashes.read", [
  { weight: 6, gen: (rng, ctx) => ["HGET", hkey(rng, ctx), field(rng)] },
  { weight: 3, gen: (rng, ctx) => ["HMGET", hkey(rng, ctx), ...fieldList(rng, 1, 4)] },
  { weight: 3, gen: (rng, ctx) => ["HLEN", hkey(rng, ctx)] },
  { weight: 2, gen: (rng, ctx) => ["HSTRLEN", hkey(rng, ctx), field(rng)] },
  { weight: 3, gen: (rng, ctx) => ["HEXISTS", hkey(rng, ctx), field(rng)] },
  { weight: 2, gen: (rng, ctx) => [rng.pick(["HKEYS", "HVALS", "HGETALL"] as const), hkey(rng, ctx)] },
  { weight: 2, gen: (rng, ctx) => ["OBJECT", "ENCODING", hkey(rng, ctx)] },
]);

registerGenerators("hashes.counter", [
  { weight: 5, gen: (rng, ctx) => ["HINCRBY", hkey(rng, ctx), rng.pick(["n1", "n2", "f1"] as const), rng.chance(0.8) ? rng.pick(incrementArgs.slice(0, 6)) : rng.pick(incrementArgs)] },
  { weight: 4, gen: (rng, ctx) => ["HINCRBYFLOAT", hkey(rng, ctx), rng.pick(["d1", "n1", "f2"] as const), rng.chance(0.8) ? rng.pick(floatIncrementArgs.slice(0, 6)) : rng.pick(floatIncrementArgs)] },
]);

registerGenerators("hashes.random", [
  {
    weight: 4,
    nondeterministic: true,
    gen: (rng, ctx) => {
      const key = hkey(rng, ctx);
      const r = rng.int(4);
      if (r === 0) return ["HRANDFIELD", key];
      const count = rng.pick(["0", "1", "2", "5", "-1", "-5", "100", "x", "-9223372036854775808"] as const);
      return r === 1 ? ["HRANDFIELD", key, count] : ["HRANDFIELD", key, count, rng.chance(0.9) ? "WITHVALUES" : "junk"];
    },
  },
]);

registerGenerators("hashes.scan", [
  {
    weight: 3,
    cursor: { cursorArg: 2, pairs: true },
    gen: (rng, ctx) => {
      const cmd: Command = ["HSCAN", hkey(rng, ctx), "0"];
      if (rng.chance(0.4)) cmd.push("MATCH", rng.pick(["f*", "*", "g1*", "?"] as const));
      if (rng.chance(0.4)) cmd.push("COUNT", rng.pick(["1", "5", "100"] as const));
      return cmd;
    },
  },
  // Calls that fail whatever the hash holds (or answer an empty scan for a missing key).
  {
    weight: 1,
    gen: (rng, ctx) => rng.pick([
      ["HSCAN", hkey(rng, ctx), "x"],
      ["HSCAN", hkey(rng, ctx), "0", "COUNT", rng.pick(["0", "-1", "x"] as const)],
      ["HSCAN", hkey(rng, ctx), "0", "FOO", "1"],
      ["HSCAN", hkey(rng, ctx), "0", "MATCH"],
    ] as Command[]),
  },
]);

/** The same elements in any order, keeping each field with the value after it. */
export function unorderedPairsEqual(a: Uint8Array, b: Uint8Array): boolean {
  const ea = arrayElements(a);
  const eb = arrayElements(b);
  if (ea === undefined || eb === undefined || ea.length !== eb.length || ea.length % 2 !== 0) return bytesEqual(a, b);
  const join = (e: Uint8Array[]) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < e.length; i += 2) {
      const p = new Uint8Array(e[i]!.length + e[i + 1]!.length);
      p.set(e[i]!, 0);
      p.set(e[i + 1]!, e[i]!.length);
      out.push(p);
    }
    return out.sort(compareBytes);
  };
  const pa = join(ea);
  const pb = join(eb);
  return pa.every((x, i) => bytesEqual(x, pb[i]!));
}

/** The same elements in any order. */
export function unorderedEqual(a: Uint8Array, b: Uint8Array): boolean {
  const ea = arrayElements(a);
  const eb = arrayElements(b);
  if (ea === undefined || eb === undefined || ea.length !== eb.length) return bytesEqual(a, b);
  ea.sort(compareBytes);
  eb.sort(compareBytes);
  return ea.every((x, i) => bytesEqual(x, eb[i]!));
}

const dictOrder = "a hashtable-encoded hash or set is walked in dict order, which depends on the server's hash function and history: same elements, any order";

export const hashesSetsExceptions: readonly Exception[] = [
  { match: isCommand("HGETALL"), reason: dictOrder, compare: unorderedPairsEqual },
  { match: isCommand("HKEYS", "HVALS", "SMEMBERS", "SINTER", "SUNION", "SDIFF"), reason: dictOrder, compare: unorderedEqual },
];

registerStateDigest("hash", (key) => [
  { cmd: ["HGETALL", key], compare: unorderedPairsEqual },
  { cmd: ["OBJECT", "ENCODING", key] },
]);
