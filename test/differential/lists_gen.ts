// Generators for the list commands, by family: lists.push (LPUSH RPUSH and X forms, with bursts that
// grow lists across many nodes), lists.pop (LPOP RPOP with and without COUNT, LMPOP), lists.read
// (LLEN LRANGE LINDEX LPOS OBJECT ENCODING), lists.write (LSET LINSERT LREM LTRIM), lists.move (LMOVE
// RPOPLPUSH) and lists.block (the blocking commands on one connection: served at once from a
// non-empty list, or a nil after a 1 ms timeout; the multi-connection cases are in
// blocking.e2e.test.ts).
//
// Keys are mostly list keys (l1..l4) and sometimes the shared keys other groups write (WRONGTYPE);
// elements are a small pool, so LPOS/LREM/LINSERT find their pivots, plus sizes that cross the
// entry-length classes.

import { type Command, type GenContext, type Rng, registerGenerators, registerStateDigest } from "./harness.ts";

const listKeys = ["l1", "l2", "l3", "l4"] as const;
const elements = ["a", "b", "c", "1", "2", "", "hello", "x".repeat(130), "y".repeat(300)] as const;
const indexes = ["0", "1", "2", "-1", "-2", "5", "-5", "50", "-50", "1000", "9223372036854775807", "-9223372036854775808", "x", ""] as const;
const counts = ["0", "1", "2", "3", "10", "100", "-1", "x", "9223372036854775807"] as const;
const sides = ["LEFT", "RIGHT", "left", "right", "UP"] as const;

function lkey(rng: Rng, ctx: GenContext): Command[number] {
  return rng.chance(0.85) ? rng.pick(listKeys) : ctx.key();
}
function element(rng: Rng): Command[number] {
  return rng.chance(0.9) ? rng.pick(elements.slice(0, 7)) : rng.pick(elements);
}
function elementList(rng: Rng, min: number, max: number): Command[number][] {
  return Array.from({ length: rng.range(min, max) }, () => element(rng));
}
function index(rng: Rng): string {
  return rng.chance(0.8) ? rng.pick(indexes.slice(0, 9)) : rng.pick(indexes);
}
function count(rng: Rng): string {
  return rng.chance(0.85) ? rng.pick(counts.slice(0, 6)) : rng.pick(counts);
}
function side(rng: Rng): string {
  return rng.chance(0.95) ? rng.pick(sides.slice(0, 4)) : rng.pick(sides);
}
function lkeys(rng: Rng, ctx: GenContext, min: number, max: number): Command[number][] {
  return Array.from({ length: rng.range(min, max) }, () => lkey(rng, ctx));
}

registerGenerators("lists.push", [
  { weight: 10, gen: (rng, ctx) => [rng.pick(["LPUSH", "RPUSH"] as const), lkey(rng, ctx), ...elementList(rng, 1, 6)] },
  { weight: 3, gen: (rng, ctx) => [rng.pick(["LPUSHX", "RPUSHX"] as const), lkey(rng, ctx), ...elementList(rng, 1, 3)] },
  // Bursts: lists long enough to span several nodes.
  { weight: 1, gen: (rng, ctx) => ["RPUSH", lkey(rng, ctx), ...Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? "a" : `e${rng.int(50)}`))] },
]);

registerGenerators("lists.pop", [
  { weight: 6, gen: (rng, ctx) => [rng.pick(["LPOP", "RPOP"] as const), lkey(rng, ctx)] },
  { weight: 4, gen: (rng, ctx) => [rng.pick(["LPOP", "RPOP"] as const), lkey(rng, ctx), count(rng)] },
  {
    weight: 3,
    gen: (rng, ctx) => {
      const n = rng.range(1, 3);
      const cmd: Command = ["LMPOP", rng.chance(0.9) ? String(n) : rng.pick(["0", "x", "-1", "9"] as const), ...lkeys(rng, ctx, n, n), side(rng)];
      if (rng.chance(0.5)) cmd.push("COUNT", rng.chance(0.85) ? rng.pick(["1", "2", "5", "100"] as const) : rng.pick(["0", "-1", "x"] as const));
      else if (rng.chance(0.05)) cmd.push("FOO");
      return cmd;
    },
  },
  { weight: 4, gen: (rng, ctx) => ["RPUSH", lkey(rng, ctx), ...elementList(rng, 1, 6)] },
]);

registerGenerators("lists.read", [
  { weight: 3, gen: (rng, ctx) => ["LLEN", lkey(rng, ctx)] },
  { weight: 5, gen: (rng, ctx) => ["LRANGE", lkey(rng, ctx), index(rng), index(rng)] },
  { weight: 4, gen: (rng, ctx) => ["LINDEX", lkey(rng, ctx), index(rng)] },
  {
    weight: 4,
    gen: (rng, ctx) => {
      const cmd: Command = ["LPOS", lkey(rng, ctx), element(rng)];
      if (rng.chance(0.4)) cmd.push("RANK", rng.pick(["1", "2", "-1", "-2", "3", "0", "x"] as const));
      if (rng.chance(0.4)) cmd.push("COUNT", rng.pick(["0", "1", "2", "-1"] as const));
      if (rng.chance(0.3)) cmd.push("MAXLEN", rng.pick(["0", "1", "3", "10", "-1"] as const));
      if (rng.chance(0.03)) cmd.push("FOO");
      return rng.chance(0.5) ? cmd : [...cmd.slice(0, 3), ...rng.shuffle(pairsOf(cmd.slice(3))).flat()];
    },
  },
  { weight: 1, gen: (rng, ctx) => ["OBJECT", "ENCODING", lkey(rng, ctx)] },
  { weight: 4, gen: (rng, ctx) => ["RPUSH", lkey(rng, ctx), ...elementList(rng, 1, 6)] },
]);

function pairsOf(args: Command): Command[] {
  const out: Command[] = [];
  for (let i = 0; i < args.length; i += 2) out.push(args.slice(i, i + 2));
  return out;
}

registerGenerators("lists.write", [
  { weight: 4, gen: (rng, ctx) => ["LSET", lkey(rng, ctx), index(rng), element(rng)] },
  { weight: 4, gen: (rng, ctx) => ["LINSERT", lkey(rng, ctx), rng.pick(["BEFORE", "AFTER", "before", "MIDDLE"] as const), element(rng), element(rng)] },
  { weight: 4, gen: (rng, ctx) => ["LREM", lkey(rng, ctx), rng.pick(["0", "1", "2", "-1", "-2", "5", "x"] as const), element(rng)] },
  { weight: 3, gen: (rng, ctx) => ["LTRIM", lkey(rng, ctx), index(rng), index(rng)] },
  { weight: 5, gen: (rng, ctx) => ["RPUSH", lkey(rng, ctx), ...elementList(rng, 1, 8)] },
]);

registerGenerators("lists.move", [
  { weight: 5, gen: (rng, ctx) => ["LMOVE", lkey(rng, ctx), lkey(rng, ctx), side(rng), side(rng)] },
  { weight: 3, gen: (rng, ctx) => ["RPOPLPUSH", lkey(rng, ctx), lkey(rng, ctx)] },
  { weight: 3, gen: (rng, ctx) => ["LPUSH", lkey(rng, ctx), ...elementList(rng, 1, 4)] },
]);

const timeouts = ["0.001", "0.001", "0.001", "-1", "x", "0.0001"] as const;

registerGenerators("lists.block", [
  // Mostly on keys just pushed to (served at once); sometimes an empty key and a 1 ms timeout.
  { weight: 3, gen: (rng, ctx) => [rng.pick(["BLPOP", "BRPOP"] as const), ...lkeys(rng, ctx, 1, 3), rng.pick(timeouts)] },
  { weight: 2, gen: (rng, ctx) => ["BLMOVE", lkey(rng, ctx), lkey(rng, ctx), side(rng), side(rng), rng.pick(timeouts)] },
  { weight: 1, gen: (rng, ctx) => ["BRPOPLPUSH", lkey(rng, ctx), lkey(rng, ctx), rng.pick(timeouts)] },
  {
    weight: 2,
    gen: (rng, ctx) => {
      const n = rng.range(1, 3);
      const cmd: Command = ["BLMPOP", rng.pick(timeouts), String(n), ...lkeys(rng, ctx, n, n), side(rng)];
      if (rng.chance(0.5)) cmd.push("COUNT", rng.pick(["1", "3", "0"] as const));
      return cmd;
    },
  },
  { weight: 10, gen: (rng, ctx) => [rng.pick(["LPUSH", "RPUSH"] as const), lkey(rng, ctx), ...elementList(rng, 1, 5)] },
]);

registerStateDigest("list", (key) => [{ cmd: ["LRANGE", key, "0", "-1"] }, { cmd: ["OBJECT", "ENCODING", key] }]);
