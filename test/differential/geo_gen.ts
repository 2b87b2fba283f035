// Generators for the GEO commands, by family: geo.write (GEOADD with NX XX CH and bad coordinates),
// geo.read (GEOPOS, GEODIST, GEOHASH) and geo.search (GEOSEARCH[STORE], GEORADIUS[BYMEMBER][_RO]
// with every option and their errors).
//
// Each member has its own positions (a base point per member plus small per-member offsets), so two
// members never share coordinates and no two distances tie: Redis orders ties by an unstable sort
// when COUNT is given. Keys g1..g3 hold only geo scores (a zset with arbitrary scores decodes to
// undefined positions in C); "str" is a string for WRONGTYPE.

import { type Command, type Rng, registerGenerators } from "./harness.ts";

const gkeys = ["g1", "g2", "g3"] as const;
const gmembers = Array.from({ length: 24 }, (_, i) => `p${i}`);
const units = ["m", "km", "mi", "ft", "KM", "parsec"] as const;

function gkey(rng: Rng): string {
  return rng.weighted<string>([[20, rng.pick(gkeys)], [1, "str"], [1, "none"]]);
}

/** A position of member i: near (12 + i * 0.37, 37 + i * 0.21), moved by one of 3 small offsets. */
function position(rng: Rng, i: number): [string, string] {
  const k = rng.range(0, 2);
  return [(12 + i * 0.37 + k * 0.011).toFixed(6), (37 + i * 0.21 - k * 0.007).toFixed(6)];
}

function geoadd(rng: Rng): Command {
  const cmd: Command = ["GEOADD", gkey(rng)];
  for (const f of ["NX", "XX", "CH"]) if (rng.chance(0.12)) cmd.push(f);
  const n = rng.range(1, 4);
  for (let j = 0; j < n; j++) {
    const i = rng.range(0, gmembers.length - 1);
    const [lon, lat] = rng.chance(0.03) ? [rng.pick(["200", "-181", "x"]), rng.pick(["90", "0", "y"])] : position(rng, i);
    cmd.push(lon, lat, gmembers[i]);
  }
  if (rng.chance(0.02)) cmd.push("dangling");
  return cmd;
}

function centre(rng: Rng): string[] {
  if (rng.chance(0.5)) return ["FROMMEMBER", rng.chance(0.9) ? rng.pick(gmembers) : "nope"];
  if (rng.chance(0.03)) return ["FROMLONLAT", "181", "0"];
  return ["FROMLONLAT", (11 + rng.float() * 10).toFixed(4), (36 + rng.float() * 6).toFixed(4)];
}

function radius(rng: Rng): string {
  return rng.weighted<string>([[10, String(rng.range(1, 400))], [1, "0"], [1, "-1"], [1, "x"], [1, "20000"]]);
}

function shape(rng: Rng): string[] {
  if (rng.chance(0.5)) return ["BYRADIUS", radius(rng), rng.pick(units)];
  return ["BYBOX", radius(rng), radius(rng), rng.pick(units)];
}

function searchOptions(rng: Rng, store: boolean): string[][] {
  const opts: string[][] = [];
  if (rng.chance(0.4)) opts.push([rng.pick(["ASC", "DESC"])]);
  if (rng.chance(0.4)) opts.push(["COUNT", rng.pick(["1", "2", "5", "0", "x"])], ...(rng.chance(0.4) ? [["ANY"]] : []));
  if (!store || rng.chance(0.05)) {
    for (const w of ["WITHDIST", "WITHCOORD", "WITHHASH"]) if (rng.chance(0.3)) opts.push([w]);
  }
  if (rng.chance(0.03)) opts.push([rng.pick(["ANY", "FOO", "STORE"])]);
  return opts;
}

function geosearch(rng: Rng): Command {
  const store = rng.chance(0.3);
  const parts: string[][] = [];
  if (rng.chance(0.97)) parts.push(centre(rng));
  if (rng.chance(0.97)) parts.push(shape(rng));
  parts.push(...searchOptions(rng, store));
  if (store && rng.chance(0.4)) parts.push(["STOREDIST"]);
  const head: Command = store ? ["GEOSEARCHSTORE", rng.pick(["d1", "g3"]), gkey(rng)] : ["GEOSEARCH", gkey(rng)];
  return [...head, ...rng.shuffle(parts).flat()];
}

function georadius(rng: Rng): Command {
  const byMember = rng.chance(0.5);
  const ro = rng.chance(0.3);
  const name = `GEORADIUS${byMember ? "BYMEMBER" : ""}${ro ? "_RO" : ""}`;
  const cmd: Command = [name, gkey(rng)];
  if (byMember) cmd.push(rng.chance(0.9) ? rng.pick(gmembers) : "nope");
  else cmd.push(...centre(rng).slice(1).concat(["37"]).slice(0, 2).map((v, i) => (v === "nope" || !/^[\d.-]+$/.test(v) ? (i === 0 ? "14" : "38") : v)));
  cmd.push(radius(rng), rng.pick(units));
  const opts = searchOptions(rng, false);
  if (!ro && rng.chance(0.3)) opts.push([rng.pick(["STORE", "STOREDIST"]), rng.pick(["d1", "g3"])]);
  return [...cmd, ...rng.shuffle(opts).flat()];
}

registerGenerators("geo.write", [
  { weight: 10, gen: (rng) => geoadd(rng) },
  { weight: 1, gen: () => ["SET", "str", "v"] },
  { weight: 2, gen: (rng) => ["ZREM", rng.pick(gkeys), rng.pick(gmembers)] },
  { weight: 1, gen: (rng) => ["ZRANGE", rng.pick(gkeys), "0", "-1", "WITHSCORES"] },
]);

registerGenerators("geo.read", [
  { weight: 5, gen: (rng) => geoadd(rng) },
  { weight: 3, gen: (rng) => ["GEOPOS", gkey(rng), ...Array.from({ length: rng.range(1, 3) }, () => rng.pick([...gmembers, "nope"]))] },
  { weight: 3, gen: (rng) => ["GEOHASH", gkey(rng), ...Array.from({ length: rng.range(1, 3) }, () => rng.pick([...gmembers, "nope"]))] },
  {
    weight: 3,
    gen: (rng) => {
      const cmd: Command = ["GEODIST", gkey(rng), rng.pick(gmembers), rng.pick([...gmembers, "nope"])];
      if (rng.chance(0.6)) cmd.push(rng.pick(units));
      if (rng.chance(0.03)) cmd.push("extra");
      return cmd;
    },
  },
]);

registerGenerators("geo.search", [
  { weight: 6, gen: (rng) => geoadd(rng) },
  { weight: 6, gen: (rng) => geosearch(rng) },
  { weight: 4, gen: (rng) => georadius(rng) },
]);
