// Generators for the HyperLogLog commands, by family: hll.add (PFADD, PFCOUNT of one key, GET of the
// bytes), hll.merge (PFMERGE, PFCOUNT of several keys) and hll.raw (values that are not HLLs or are
// damaged: SET of plain strings and of truncated HLL bytes, SETRANGE into the header, so the
// WRONGTYPE and INVALIDOBJ errors and the cached-cardinality bytes are exercised).
// Not generated: a sparse value whose last XZERO opcode lacks its second byte. Redis reads the byte
// after the string there, which after an edit is a byte the edit left in the sds buffer; memkeep
// reproduces that within one command but stores exact lengths, so across commands it reads zero.
// SETRANGE therefore only touches the header (offsets 4-15), never the opcodes.
//
// Elements come from a pool sized so that keys cross from sparse to dense within a stream (a PFADD
// carries up to 200 elements), and the final state check compares every HLL byte for byte (GET).

import { type Command, type GenContext, type Rng, registerGenerators } from "./harness.ts";

const hllKeys = ["hll:1", "hll:2", "hll:3", "hll:4", "hll:5"] as const;

function key(rng: Rng, ctx: GenContext): string | Uint8Array {
  return rng.chance(0.85) ? rng.pick(hllKeys) : ctx.key();
}

function elements(rng: Rng, ctx: GenContext): (string | Uint8Array)[] {
  const n = rng.weighted<number>([[2, 0], [10, 1], [6, rng.range(2, 10)], [3, rng.range(10, 200)]]);
  const base = rng.int(20000);
  const out: (string | Uint8Array)[] = [];
  for (let i = 0; i < n; i++) out.push(rng.chance(0.9) ? `e${base + i * rng.range(1, 3)}` : ctx.value());
  return out;
}

registerGenerators("hll.add", [
  { weight: 12, gen: (rng, ctx) => ["PFADD", key(rng, ctx), ...elements(rng, ctx)] },
  { weight: 6, gen: (rng, ctx) => ["PFCOUNT", key(rng, ctx)] },
  { weight: 3, gen: (rng) => ["GET", rng.pick(hllKeys)] },
  { weight: 1, gen: (rng) => ["STRLEN", rng.pick(hllKeys)] },
  { weight: 1, gen: (rng) => ["OBJECT", "ENCODING", rng.pick(hllKeys)] },
  { weight: 1, gen: (rng) => ["DEL", rng.pick(hllKeys)] },
]);

registerGenerators("hll.merge", [
  { weight: 8, gen: (rng, ctx) => ["PFADD", key(rng, ctx), ...elements(rng, ctx)] },
  { weight: 5, gen: (rng, ctx) => ["PFMERGE", key(rng, ctx), ...Array.from({ length: rng.range(0, 4) }, () => key(rng, ctx))] },
  { weight: 5, gen: (rng, ctx) => ["PFCOUNT", ...Array.from({ length: rng.range(2, 5) }, () => key(rng, ctx))] },
  { weight: 2, gen: (rng) => ["GET", rng.pick(hllKeys)] },
]);

/** HLL-looking bytes: a valid empty sparse value, a truncated one, a bad encoding, a short dense one. */
function oddValue(rng: Rng): Uint8Array | string {
  const hdr = (enc: number, rest: number[]) => new Uint8Array([0x48, 0x59, 0x4c, 0x4c, enc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...rest]);
  return rng.pick<() => Uint8Array | string>([
    () => hdr(1, [0x7f, 0xff]),
    () => hdr(1, [0x40, rng.int(256)]),
    () => hdr(1, [0x7f, 0xfe, 0x80 | rng.int(128)]),
    () => hdr(1, []),
    () => hdr(2, [0x7f, 0xff]),
    () => hdr(0, [1, 2, 3]),
    () => "HYLL",
    () => "plain",
  ])();
}

registerGenerators("hll.raw", [
  { weight: 6, gen: (rng, ctx) => ["PFADD", key(rng, ctx), ...elements(rng, ctx)] },
  { weight: 3, gen: (rng) => ["SET", rng.pick(hllKeys), oddValue(rng)] },
  {
    weight: 2,
    gen: (rng): Command => {
      const at = rng.range(4, 15);
      return ["SETRANGE", rng.pick(hllKeys), String(at), rng.bytes(at === 15 ? 1 : rng.range(1, 2))];
    },
  },
  { weight: 4, gen: (rng, ctx) => ["PFCOUNT", ...Array.from({ length: rng.range(1, 3) }, () => key(rng, ctx))] },
  { weight: 2, gen: (rng, ctx) => ["PFMERGE", key(rng, ctx), key(rng, ctx)] },
  { weight: 2, gen: (rng) => ["GET", rng.pick(hllKeys)] },
]);
