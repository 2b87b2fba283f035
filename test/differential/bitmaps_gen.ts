// Generators for the bitmap commands, by family: bitmaps.bits (SETBIT, GETBIT), bitmaps.count
// (BITCOUNT, BITPOS with BYTE/BIT ranges), bitmaps.op (BITOP), bitmaps.field (BITFIELD, BITFIELD_RO).
//
// Bitmap keys are a small pool of their own (bm:1..bm:4) mixed with the common keys, so commands meet
// strings written by SET as well as by SETBIT, and keys of other types where other groups create them.
// Offsets stay small (strings of a few KiB) except for errors past the 2^32 - 1 bit limit; every
// family mixes in malformed numbers, unknown units and bad types in Redis's argument order.

import { type Command, type GenContext, type Rng, rangeIndexes, registerGenerators } from "./harness.ts";

const bitmapKeys = ["bm:1", "bm:2", "bm:3", "bm:4"] as const;

function key(rng: Rng, ctx: GenContext): string | Uint8Array {
  return rng.chance(0.7) ? rng.pick(bitmapKeys) : ctx.key();
}

const badOffsets = ["-1", "4294967296", "abc", "1.5", "", "+1", "01", "99999999999999999999", "9223372036854775807"];

/**
 * A bit offset: mostly small, sometimes a few KiB in, rarely invalid. The largest valid offset
 * (2^32 - 1) only goes to readers (`limit`): a write there makes both servers hold 512 MiB.
 */
function offset(rng: Rng, limit = false): string {
  return rng.weighted<() => string>([
    [60, () => String(rng.int(64))],
    [20, () => String(rng.int(2000))],
    [5, () => String(rng.int(40000))],
    [limit ? 2 : 0.001, () => (limit ? "4294967295" : "0")],
    [5, () => rng.pick(badOffsets)],
  ])();
}

function bitValue(rng: Rng): string {
  return rng.chance(0.92) ? rng.pick(["0", "1"]) : rng.pick(["2", "-1", "x", "", "01", "1.0"]);
}

function rangeIndex(rng: Rng): string {
  return rng.chance(0.7) ? String(rng.range(-20, 40)) : rng.pick(rangeIndexes);
}

function unit(rng: Rng): string[] {
  return rng.weighted<string[]>([[4, []], [3, ["BIT"]], [3, ["BYTE"]], [1, ["bit"]], [1, ["BITS"]], [1, ["foo"]]]);
}

registerGenerators("bitmaps.bits", [
  { weight: 10, gen: (rng, ctx) => ["SETBIT", key(rng, ctx), offset(rng), bitValue(rng)] },
  { weight: 6, gen: (rng, ctx) => ["GETBIT", key(rng, ctx), offset(rng, true)] },
  { weight: 2, gen: (rng, ctx) => ["SET", key(rng, ctx), ctx.value()] },
  { weight: 2, gen: (rng) => ["GET", rng.pick(bitmapKeys)] },
  { weight: 1, gen: (rng) => ["OBJECT", "ENCODING", rng.pick(bitmapKeys)] },
  { weight: 1, gen: (rng, ctx) => ["STRLEN", key(rng, ctx)] },
  { weight: 1, gen: (rng, ctx) => rng.pick<Command>([["SETBIT", key(rng, ctx), "1"], ["GETBIT", key(rng, ctx)], ["SETBIT", key(rng, ctx), "1", "1", "1"]]) },
]);

registerGenerators("bitmaps.count", [
  { weight: 6, gen: (rng, ctx) => ["SETBIT", key(rng, ctx), String(rng.int(120)), rng.pick(["0", "1", "1"])] },
  { weight: 2, gen: (rng, ctx) => ["SET", key(rng, ctx), rng.chance(0.5) ? rng.bytes(rng.range(0, 12)) : ctx.value()] },
  {
    weight: 8,
    gen: (rng, ctx) => {
      const n = rng.weighted<number>([[2, 0], [1, 1], [6, 2], [1, 4]]);
      const args = n === 0 ? [] : n === 1 ? [rangeIndex(rng)] : n === 2 ? [rangeIndex(rng), rangeIndex(rng), ...unit(rng)] : [rangeIndex(rng), rangeIndex(rng), "BIT", "x"];
      return ["BITCOUNT", key(rng, ctx), ...args];
    },
  },
  {
    weight: 10,
    gen: (rng, ctx) => {
      const bit = rng.chance(0.93) ? rng.pick(["0", "1"]) : rng.pick(["2", "x", "-1"]);
      const n = rng.weighted<number>([[2, 0], [2, 1], [3, 2], [4, 3], [1, 4]]);
      const args =
        n === 0 ? [] : n === 1 ? [rangeIndex(rng)] : n === 2 ? [rangeIndex(rng), rangeIndex(rng)] : n === 3 ? [rangeIndex(rng), rangeIndex(rng), ...unit(rng)] : [rangeIndex(rng), rangeIndex(rng), "BIT", "x"];
      return ["BITPOS", key(rng, ctx), bit, ...args];
    },
  },
]);

registerGenerators("bitmaps.op", [
  { weight: 5, gen: (rng, ctx) => ["SETBIT", key(rng, ctx), String(rng.int(200)), rng.pick(["0", "1", "1"])] },
  { weight: 2, gen: (rng, ctx) => ["SET", key(rng, ctx), rng.chance(0.5) ? rng.bytes(rng.range(0, 20)) : ctx.value()] },
  {
    weight: 8,
    gen: (rng, ctx) => {
      const op = rng.weighted<string>([[3, "AND"], [3, "OR"], [3, "XOR"], [2, "NOT"], [1, "and"], [1, "FOO"]]);
      const n = op === "NOT" ? (rng.chance(0.9) ? 1 : 2) : rng.range(1, 4);
      const srcs = Array.from({ length: n }, () => key(rng, ctx));
      return ["BITOP", op, key(rng, ctx), ...srcs];
    },
  },
  { weight: 3, gen: (rng) => ["GET", rng.pick(bitmapKeys)] },
  { weight: 1, gen: (rng) => ["TTL", rng.pick(bitmapKeys)] },
  { weight: 1, gen: (rng) => ["EXPIRE", rng.pick(bitmapKeys), "1000"] },
]);

const types = ["i1", "u1", "i3", "u5", "i8", "u8", "i13", "u16", "i32", "u32", "i50", "u63", "i64"];
const badTypes = ["u64", "i65", "I8", "x8", "i0", "u", "", "i-1", "i08"];
const fieldValues = ["0", "1", "-1", "5", "100", "-100", "127", "-128", "255", "256", "1000000", "-9223372036854775808", "9223372036854775807", "x", ""];

/** A BITFIELD offset; far ones (a write there would allocate up to 512 MiB) only for GET. */
function fieldOffset(rng: Rng, forGet: boolean): string {
  return rng.weighted<() => string>([
    [6, () => String(rng.int(100))],
    [3, () => `#${rng.int(20)}`],
    [1, () => rng.pick(["-1", "#-1", "#", "x", "4294967296", "#2305843009213693952", "01"])],
    [forGet ? 1 : 0.001, () => (forGet ? rng.pick(["#536870912", "4294967295", "4294967290"]) : "0")],
  ])();
}

function fieldOps(rng: Rng, readonly: boolean): string[] {
  const out: string[] = [];
  const n = rng.range(0, 4);
  for (let i = 0; i < n; i++) {
    const ty = rng.chance(0.95) ? rng.pick(types) : rng.pick(badTypes);
    const op = readonly ? rng.weighted<string>([[10, "GET"], [1, "SET"], [1, "OVERFLOW"]]) : rng.weighted<string>([[4, "GET"], [4, "SET"], [4, "INCRBY"], [2, "OVERFLOW"], [1, "FOO"]]);
    if (op === "OVERFLOW") out.push("OVERFLOW", rng.chance(0.95) ? rng.pick(["WRAP", "SAT", "FAIL", "sat"]) : "FOO");
    else if (op === "GET") out.push("GET", ty, fieldOffset(rng, true));
    else if (op === "FOO") out.push("FOO");
    else out.push(op, ty, fieldOffset(rng, false), rng.pick(fieldValues));
  }
  if (rng.chance(0.05)) out.pop();
  return out;
}

registerGenerators("bitmaps.field", [
  { weight: 10, gen: (rng, ctx) => ["BITFIELD", key(rng, ctx), ...fieldOps(rng, false)] },
  { weight: 4, gen: (rng, ctx) => ["BITFIELD_RO", key(rng, ctx), ...fieldOps(rng, true)] },
  { weight: 2, gen: (rng) => ["GET", rng.pick(bitmapKeys)] },
  { weight: 1, gen: (rng, ctx) => ["SET", key(rng, ctx), ctx.value()] },
]);
