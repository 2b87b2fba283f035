// Generators for the keyspace commands, grouped by family: keys.delete (DEL, UNLINK, EXISTS, TOUCH,
// TYPE), keys.rename (RENAME, RENAMENX, COPY), keys.expire (EXPIRE family, TTL family, PERSIST),
// keys.db (DBSIZE, SELECT, MOVE, SWAPDB), keys.scan (KEYS, SCAN, RANDOMKEY), keys.errors (wrong arity,
// unknown commands) and server.misc (PING, ECHO, TIME, INFO).
//
// Every family also writes plain strings so its commands find keys to act on. Wrong-type errors need
// other data types; their groups will bring them.
//
// `keysExceptions` lists the replies that legitimately differ between two correct servers, each with
// its reason and the weaker comparison it gets instead.

import {
  type Command,
  type Exception,
  type GenContext,
  type Rng,
  integerWithin,
  isCommand,
  registerGenerators,
  relativeMillis,
  relativeMillisEdges,
  relativeSeconds,
  relativeSecondsEdges,
  unorderedArrayEqual,
} from "./harness.ts";
import { bytesEqual } from "../helpers/resp_codec.ts";

/** Keys that only ever get absolute expiries (group keys.absexpire), so their expiry instants are exact. */
const absoluteKeys = ["abs:1", "abs:2", "abs:3"] as const;
const isAbsoluteKey = (cmd: Command) => typeof cmd[1] === "string" && cmd[1].startsWith("abs:");

const twoP53 = 2n ** 53n;

/**
 * memkeep keeps an expiry instant as a double: exact below 2^53 ms (the year 287396), rounded to the
 * nearest double above it. Replies must be equal below that; above it they may differ by the
 * rounding (|y| / 2^52), plus `timing` for replies relative to the clock (TTL, PTTL).
 */
function equalUpToDoubleRounding(unitMs: bigint, timing: bigint): (a: Uint8Array, b: Uint8Array) => boolean {
  return (a, b) => {
    if (bytesEqual(a, b)) return true;
    if (a[0] !== 0x3a || b[0] !== 0x3a) return false;
    const x = BigInt(new TextDecoder().decode(a.subarray(1, a.length - 2)));
    const y = BigInt(new TextDecoder().decode(b.subarray(1, b.length - 2)));
    if (x <= 0n || y <= 0n) return false;
    const diff = x > y ? x - y : y - x;
    if (y * unitMs < twoP53) return diff <= timing;
    return diff <= timing + y / 2n ** 51n + 1n;
  };
}

export const keysExceptions: readonly Exception[] = [
  {
    match: (cmd) => isAbsoluteKey(cmd) && isCommand("EXPIRETIME")(cmd),
    reason: "EXPIRETIME: memkeep stores expiry instants as doubles: exact below 2^53 ms (year 287396), rounded above",
    compare: (a, b) => equalUpToDoubleRounding(1000n, 0n)(a, b),
  },
  {
    match: (cmd) => isAbsoluteKey(cmd) && isCommand("PEXPIRETIME")(cmd),
    reason: "PEXPIRETIME: memkeep stores expiry instants as doubles: exact below 2^53 ms (year 287396), rounded above",
    compare: (a, b) => equalUpToDoubleRounding(1n, 0n)(a, b),
  },
  {
    match: (cmd) => isAbsoluteKey(cmd) && isCommand("PTTL")(cmd),
    reason:
      "memkeep stores expiry instants as doubles (exact below 2^53 ms, rounded above); PTTL also depends on the moment each server ran it (1000 ms)",
    compare: (a, b) => equalUpToDoubleRounding(1n, 1000n)(a, b),
  },
  {
    match: (cmd) => isCommand("TTL")(cmd) || (isCommand("EXPIRETIME")(cmd) && !isAbsoluteKey(cmd)),
    reason: "TTL (and EXPIRETIME of a relative expiry) depend on the moment each server ran the command: equal, or both positive within 1 s",
    compare: integerWithin(1),
  },
  {
    match: (cmd) => isCommand("PTTL")(cmd) || (isCommand("PEXPIRETIME")(cmd) && !isAbsoluteKey(cmd)),
    reason: "PTTL (and PEXPIRETIME of a relative expiry) depend on the moment each server ran the command: equal, or both positive within 1000 ms",
    compare: integerWithin(1000),
  },
  {
    match: isCommand("DBSIZE"),
    reason:
      "DBSIZE counts keys whose expiry has passed until Redis reclaims them (on access, or in its timed active-expire cycle), so it depends on timing: re-read until both agree (up to 3 s)",
    settle: { timeoutMs: 3_000 },
  },
  {
    match: isCommand("KEYS"),
    reason: "KEYS returns keys in hash-table order, which Redis does not specify: same keys in any order",
    compare: unorderedArrayEqual,
  },
];

/** Plain writes so the keyspace commands have something to work on. */
const populate = { weight: 6, gen: (_rng: Rng, ctx: GenContext): Command => ["SET", ctx.key(), ctx.value()] };
const populateWithTtl = {
  weight: 2,
  gen: (rng: Rng, ctx: GenContext): Command => ["SET", ctx.key(), ctx.value(), ...(rng.chance(0.5) ? ["EX", rng.pick(["100", "3600"])] : ["PXAT", "4102444800000"])],
};

registerGenerators("keys.delete", [
  { weight: 4, gen: (_rng, ctx) => ["DEL", ...ctx.keys(1, 4)] },
  { weight: 3, gen: (_rng, ctx) => ["UNLINK", ...ctx.keys(1, 4)] },
  { weight: 5, gen: (_rng, ctx) => ["EXISTS", ...ctx.keys(1, 5)] },
  { weight: 3, gen: (_rng, ctx) => ["TOUCH", ...ctx.keys(1, 3)] },
  { weight: 4, gen: (_rng, ctx) => ["TYPE", ctx.key()] },
  populate,
  populateWithTtl,
]);

function copyCommand(rng: Rng, ctx: GenContext): Command {
  const options: string[][] = [];
  if (rng.chance(0.4)) options.push(["DB", ctx.db(0.15)]);
  if (rng.chance(0.4)) options.push(["REPLACE"]);
  if (rng.chance(0.06)) options.push([rng.pick(["DB", "FOO", "REPLACE"])]);
  return ["COPY", ctx.key(), ctx.key(), ...rng.shuffle(options).flat()];
}

registerGenerators("keys.rename", [
  { weight: 5, gen: (_rng, ctx) => ["RENAME", ctx.key(), ctx.key()] },
  { weight: 4, gen: (_rng, ctx) => ["RENAMENX", ctx.key(), ctx.key()] },
  { weight: 6, gen: copyCommand },
  { weight: 3, gen: (_rng, ctx) => ["GET", ctx.key()] },
  { weight: 2, gen: (_rng, ctx) => ["TTL", ctx.key()] },
  populate,
  populateWithTtl,
]);

const expireFlags = ["NX", "XX", "GT", "LT"] as const;

/** EXPIRE-family flags: usually none or one, sometimes an incompatible pair or an unknown word. */
function expireFlagArgs(rng: Rng): string[] {
  return rng.weighted<() => string[]>([
    [6, () => []],
    [6, () => [rng.pick(expireFlags)]],
    [2, () => [rng.pick(expireFlags), rng.pick(expireFlags)]],
    [1, () => ["FOO"]],
  ])();
}

/**
 * A relative TTL for EXPIRE/PEXPIRE with GT or LT. GT/LT compare the new expiry instant with the stored
 * one; if both came from the same relative TTL they are a few ms apart and which is later depends on
 * timing. So these draw from a million whole seconds that no other generator uses: a tie is a
 * one-in-a-million event, and any two different values are at least 1 s apart.
 */
function comparedRelativeSeconds(rng: Rng): number {
  for (;;) {
    const seconds = rng.range(10_000, 1_010_000);
    if (!relativeSecondsPool.has(seconds)) return seconds;
  }
}
const relativeSecondsPool = new Set([...relativeSeconds, ...relativeMillis.map((ms) => String(Number(ms) / 1000))].map(Number));

function relativeExpireCommand(rng: Rng, ctx: GenContext, unit: "s" | "ms"): Command {
  const flags = expireFlagArgs(rng);
  const compared = flags.includes("GT") || flags.includes("LT");
  let ttl: string;
  if (compared && rng.chance(0.85)) {
    const seconds = comparedRelativeSeconds(rng);
    ttl = unit === "s" ? String(seconds) : String(seconds * 1000);
  } else if (flags.includes("GT")) {
    // A pooled TTL could tie with the stored one (equal: 0, 1 ms later: 1); the edges cannot.
    // LT on a tie is always 0 (the new instant is never earlier), so LT may use the pools.
    ttl = unit === "s" ? rng.pick(relativeSecondsEdges) : rng.pick(relativeMillisEdges);
  } else {
    ttl = unit === "s" ? ctx.relativeSeconds(0.3) : ctx.relativeMillis(0.3);
  }
  return [unit === "s" ? "EXPIRE" : "PEXPIRE", ctx.key(), ttl, ...flags];
}

registerGenerators("keys.expire", [
  { weight: 4, gen: (rng, ctx) => relativeExpireCommand(rng, ctx, "s") },
  { weight: 3, gen: (rng, ctx) => relativeExpireCommand(rng, ctx, "ms") },
  { weight: 3, gen: (rng, ctx) => ["EXPIREAT", ctx.key(), ctx.absoluteSeconds(0.25), ...expireFlagArgs(rng)] },
  { weight: 3, gen: (rng, ctx) => ["PEXPIREAT", ctx.key(), ctx.absoluteMillis(0.25), ...expireFlagArgs(rng)] },
  { weight: 4, gen: (_rng, ctx) => ["TTL", ctx.key()] },
  { weight: 4, gen: (_rng, ctx) => ["PTTL", ctx.key()] },
  { weight: 2, gen: (_rng, ctx) => ["EXPIRETIME", ctx.key()] },
  { weight: 2, gen: (_rng, ctx) => ["PEXPIRETIME", ctx.key()] },
  { weight: 3, gen: (_rng, ctx) => ["PERSIST", ctx.key()] },
  { weight: 1, gen: (rng, ctx) => [rng.pick(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]), ctx.key()] },
  populate,
  populateWithTtl,
]);

/**
 * Absolute expiries only, on keys no other generator writes: EXPIRETIME and PEXPIRETIME of these keys
 * are compared exactly (instants up to int64 max, some beyond a double's exact range).
 */
function absoluteKey(rng: Rng): string {
  return rng.pick(absoluteKeys);
}

registerGenerators("keys.absexpire", [
  { weight: 4, gen: (rng, ctx) => ["SET", absoluteKey(rng), ctx.value(), ...(rng.chance(0.5) ? ["EXAT", ctx.absoluteSeconds(0.4)] : ["PXAT", ctx.absoluteMillis(0.4)])] },
  { weight: 2, gen: (rng, ctx) => ["SET", absoluteKey(rng), ctx.value(), ...(rng.chance(0.5) ? ["KEEPTTL"] : [])] },
  { weight: 3, gen: (rng, ctx) => ["EXPIREAT", absoluteKey(rng), ctx.absoluteSeconds(0.4), ...expireFlagArgs(rng)] },
  { weight: 3, gen: (rng, ctx) => ["PEXPIREAT", absoluteKey(rng), ctx.absoluteMillis(0.4), ...expireFlagArgs(rng)] },
  { weight: 2, gen: (rng, ctx) => ["GETEX", absoluteKey(rng), ...(rng.chance(0.7) ? ["PXAT", ctx.absoluteMillis(0.4)] : ["PERSIST"])] },
  { weight: 4, gen: (rng) => ["EXPIRETIME", absoluteKey(rng)] },
  { weight: 4, gen: (rng) => ["PEXPIRETIME", absoluteKey(rng)] },
  { weight: 2, gen: (rng) => ["PTTL", absoluteKey(rng)] },
  { weight: 1, gen: (rng) => ["PERSIST", absoluteKey(rng)] },
]);

registerGenerators("keys.db", [
  { weight: 3, gen: () => ["DBSIZE"] },
  { weight: 4, gen: (_rng, ctx) => ["SELECT", ctx.db(0.15)] },
  { weight: 4, gen: (_rng, ctx) => ["MOVE", ctx.key(), ctx.db(0.15)] },
  { weight: 2, gen: (_rng, ctx) => ["SWAPDB", ctx.db(0.15), ctx.db(0.15)] },
  { weight: 3, gen: (_rng, ctx) => ["GET", ctx.key()] },
  { weight: 2, gen: (_rng, ctx) => ["EXISTS", ...ctx.keys(1, 3)] },
  populate,
  populateWithTtl,
]);

// Not "none": Redis 7.0 SCAN TYPE none lists a key whose expiry has passed only if its active-expire
// cycle has not reclaimed it yet (the type check's lookup deletes it, so the expiry filter misses it),
// which depends on timing.
const scanTypes = ["string", "STRING", "list", "hash", "foo"] as const;

/** A SCAN from cursor 0; the harness follows it to the end on each server. */
function scanCommand(rng: Rng, ctx: GenContext): Command {
  const options: string[][] = [];
  if (rng.chance(0.5)) options.push(["MATCH", ctx.pattern()]);
  if (rng.chance(0.5)) options.push(["COUNT", rng.pick(["1", "2", "5", "10", "100", "1000"])]);
  if (rng.chance(0.2)) options.push(["TYPE", rng.pick(scanTypes)]);
  return ["SCAN", "0", ...rng.shuffle(options).flat()];
}

/** SCAN calls that must fail whatever the table looks like (a valid non-zero cursor would not). */
const scanErrors: readonly Command[] = [
  ["SCAN", "abc"],
  ["SCAN", "1.5"],
  ["SCAN", " 1"],
  ["SCAN", "18446744073709551616"],
  ["SCAN", "0", "COUNT", "0"],
  ["SCAN", "0", "COUNT", "-1"],
  ["SCAN", "0", "COUNT", "abc"],
  ["SCAN", "0", "MATCH"],
  ["SCAN", "0", "COUNT"],
  ["SCAN", "0", "TYPE"],
  ["SCAN", "0", "FOO", "bar"],
];

registerGenerators("keys.scan", [
  { weight: 5, gen: (_rng, ctx) => ["KEYS", ctx.pattern()] },
  { weight: 5, gen: scanCommand, cursor: { cursorArg: 1 } },
  { weight: 2, gen: (rng) => rng.pick(scanErrors).slice() },
  { weight: 2, gen: () => ["RANDOMKEY"], nondeterministic: true },
  { weight: 2, gen: (_rng, ctx) => ["DEL", ...ctx.keys(1, 2)] },
  populate,
  populateWithTtl,
]);

/** Commands with the wrong number of arguments: Redis names the command in lower case. */
const wrongArity: readonly Command[] = [
  ["GET"], ["GET", "a", "b"], ["SET", "a"], ["SET"], ["GETEX"], ["GETDEL"], ["GETDEL", "a", "b"],
  ["GETSET", "a"], ["MGET"], ["MSET"], ["MSET", "a"], ["MSETNX", "a", "b", "c"], ["SETNX", "a"],
  ["SETEX", "a", "100"], ["PSETEX", "a"], ["APPEND", "a"], ["STRLEN"], ["STRLEN", "a", "b"],
  ["GETRANGE", "a", "0"], ["SUBSTR", "a"], ["SETRANGE", "a", "0"], ["INCR"], ["INCR", "a", "b"],
  ["DECR"], ["INCRBY", "a"], ["DECRBY", "a", "1", "2"], ["INCRBYFLOAT", "a"], ["LCS", "a"],
  ["DEL"], ["UNLINK"], ["EXISTS"], ["TYPE"], ["TYPE", "a", "b"], ["RENAME", "a"], ["RENAMENX", "a"],
  ["COPY", "a"], ["TOUCH"], ["EXPIRE", "a"], ["PEXPIRE"], ["EXPIREAT", "a"], ["PEXPIREAT", "a"],
  ["TTL"], ["TTL", "a", "b"], ["PTTL"], ["EXPIRETIME"], ["PEXPIRETIME", "a", "b"], ["PERSIST"],
  ["DBSIZE", "a"], ["SELECT"], ["SELECT", "0", "1"], ["MOVE", "a"], ["SWAPDB", "0"], ["KEYS"],
  ["KEYS", "*", "x"], ["SCAN"], ["RANDOMKEY", "a"], ["ECHO"], ["ECHO", "a", "b"], ["PING", "a", "b"],
];

const long = "x".repeat(200);
// A NUL inside a name only where the part before it names no command: Redis 7.0 hashes a command
// name by its full length but compares with strcasecmp, so "GET\0" runs GET only when the
// per-process random hash seed puts it in GET's bucket (two redis-servers disagreed on it).
const unknownCommands: readonly Command[] = [
  ["FOOBAR"], ["FOOBAR", "a", "b"], ["getx", "k1"], ["SET2", "k", "v"], ["", "a"], [" GET", "k1"],
  ["NOSUCH\u0000GET", "k1"], ["NOSUCH", long, "b"], ["NOSUCH", "a", long], ["NOSUCH", "a b", "c\r\nd"],
  ["CONFIGX"], ["STRINGS"],
];

registerGenerators("keys.errors", [
  { weight: 5, gen: (rng) => rng.pick(wrongArity).slice() },
  { weight: 3, gen: (rng) => rng.pick(unknownCommands).slice() },
  populate,
]);

registerGenerators("server.misc", [
  { weight: 3, gen: () => ["PING"] },
  { weight: 2, gen: (_rng, ctx) => ["PING", ctx.value()] },
  { weight: 3, gen: (_rng, ctx) => ["ECHO", ctx.value()] },
  { weight: 2, gen: () => ["DBSIZE"] },
  { weight: 1, gen: () => ["TIME"], nondeterministic: true },
  { weight: 1, gen: (rng) => ["INFO", rng.pick(["keyspace", "KEYSPACE"])], nondeterministic: true },
  populate,
]);
