// The GEO commands against redis-server 7.0: identical reply bytes for GEOADD options and coordinate
// limits, GEOPOS/GEOHASH/GEODIST digits, and every search form (GEOSEARCH[STORE], GEORADIUS[_RO],
// GEORADIUSBYMEMBER[_RO]) with radius and box shapes, sorting, COUNT [ANY], WITH* options, STORE and
// STOREDIST, and the option errors in Redis's order; RESP3 coordinate doubles; and a delivery-tracking
// scenario with ioredis. Points have distinct coordinates so distance ties (unordered in Redis's
// qsort) cannot occur. Multi-key forms use {tags} so they also run with 3 shard workers.

import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";

const pair = useReferencePair();
const same = sameReplies(pair);

async function sameBothProtocols(cmds: Cmd[]): Promise<void> {
  await same(cmds);
  await Promise.all([pair.mk.call("HELLO", "3"), pair.rd.call("HELLO", "3")]);
  try {
    await same(cmds);
  } finally {
    await Promise.all([pair.mk.call("HELLO", "2"), pair.rd.call("HELLO", "2")]);
  }
}

const sicily = cs(
  "GEOADD {g}s 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 13.583333 37.316667 Agrigento 14.55 37.5667 Enna",
  "GEOADD {g}s 12.758489 38.788135 edge1 17.241510 38.222245 edge2 15.5 38.19 Messina 14.0 40.0 far",
);

describe("GEOADD, GEOPOS, GEODIST, GEOHASH", () => {
  test("options, limits and the stored scores", async () => {
    await sameBothProtocols(cs(
      "GEOADD g 13.361389 38.115556 Palermo", "GEOADD g NX 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "GEOADD g XX CH 13.4 38.1 Palermo 1 1 x",
      "GEOADD g NX XX 1 1 a", "GEOADD g 1 1", "GEOADD g CH", "GEOADD g 200 1 a", "GEOADD g 1 86 a", "GEOADD g x 1 a", "GEOADD g 1 y a", "GEOADD g 180 85.05112878 corner",
      "GEOADD g -180 -85.05112878 corner2", "GEOADD g 0 0 origin", "ZRANGE g 0 -1 WITHSCORES", "GEOPOS g Palermo nope corner corner2 origin", "GEOPOS nokey a b",
      "GEOPOS g", "GEOHASH g Palermo Catania nope corner corner2 origin", "GEOHASH nokey a", "GEOHASH g", "GEODIST g Palermo Catania", "GEODIST g Palermo Catania km",
      "GEODIST g Palermo Catania MI", "GEODIST g Palermo Catania ft", "GEODIST g Palermo Catania yards", "GEODIST g Palermo Catania km extra", "GEODIST g Palermo nope",
      "GEODIST nokey a b", "GEODIST g corner corner2", "GEODIST g origin origin", "SET s v", "GEOADD s 1 1 a", "GEOADD s 1 100 a", "GEOPOS s a", "GEODIST s a b", "GEOHASH s a",
    ));
  });
});

describe("searches", () => {
  test("GEOSEARCH by radius and box with sorting, COUNT, ANY and WITH options", async () => {
    await sameBothProtocols([...sicily, ...cs(
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km ASC", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHDIST",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD WITHDIST WITHHASH", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY DESC",
      "GEOSEARCH {g}s FROMMEMBER Palermo BYRADIUS 100 mi WITHDIST", "GEOSEARCH {g}s FROMMEMBER Palermo BYBOX 400 400 km ASC WITHDIST",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYBOX 400 400 km WITHDIST WITHCOORD", "GEOSEARCH {g}s FROMLONLAT 15 37 BYBOX 100 1000 km ASC",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYBOX 1000 100 km ASC", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 0 m", "GEOSEARCH {g}s FROMMEMBER Palermo BYRADIUS 0 m",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 5000 km ASC", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 20000 km DESC WITHDIST", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 400000 ft",
      "GEOSEARCH {g}s FROMMEMBER nope BYRADIUS 1 km", "GEOSEARCH {g}s FROMLONLAT 15 37", "GEOSEARCH {g}s BYRADIUS 1 km", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km ANY",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km COUNT x", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS -1 km",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS x km", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 parsec", "GEOSEARCH {g}s FROMLONLAT 15 37 BYBOX -1 1 km",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYBOX x 1 km", "GEOSEARCH {g}s FROMLONLAT 15 37 BYBOX 1 y km", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km",
      "GEOSEARCH {g}s FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km", "GEOSEARCH {g}s FROMLONLAT 200 37 BYRADIUS 1 km", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST",
      "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km STORE x", "GEOSEARCH {g}none FROMLONLAT 15 37 BYRADIUS 1 km", "GEOSEARCH {g}none FROMMEMBER x BYRADIUS 1 km",
      "GEOSEARCH {g}none FROMLONLAT 15 37 BYRADIUS 1 parsec", "GEOSEARCH {g}s FROMLONLAT 15 37 BYRADIUS 1 km FOO",
    )]);
  });

  test("GEOSEARCHSTORE, GEORADIUS and GEORADIUSBYMEMBER with STORE and STOREDIST", async () => {
    await sameBothProtocols([...sicily, ...cs(
      "GEOSEARCHSTORE {g}d {g}s FROMLONLAT 15 37 BYRADIUS 200 km", "ZRANGE {g}d 0 -1 WITHSCORES", "GEOSEARCHSTORE {g}d {g}s FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 2",
      "ZRANGE {g}d 0 -1 WITHSCORES", "GEOSEARCHSTORE {g}d {g}s FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST", "GEOSEARCHSTORE {g}d {g}s FROMLONLAT 0 0 BYRADIUS 1 km", "EXISTS {g}d",
      "GEOSEARCHSTORE {g}d {g}none FROMLONLAT 0 0 BYRADIUS 1 km", "OBJECT ENCODING {g}s",
      "GEORADIUS {g}s 15 37 200 km", "GEORADIUS {g}s 15 37 200 km WITHDIST WITHCOORD ASC COUNT 3", "GEORADIUS {g}s 15 37 200 km STORE {g}d2", "ZRANGE {g}d2 0 -1",
      "GEORADIUS {g}s 15 37 200 km STOREDIST {g}d2 DESC", "ZRANGE {g}d2 0 -1 WITHSCORES", "GEORADIUS {g}s 15 37 200 km STORE {g}d2 WITHDIST", "GEORADIUS {g}s 15 37 x km",
      "GEORADIUS {g}s 15 37 200 km FROMLONLAT 1 1", "GEORADIUS_RO {g}s 15 37 200 km ASC", "GEORADIUS_RO {g}s 15 37 200 km STORE {g}d2", "GEORADIUS {g}none 15 37 200 km STORE {g}d2",
      "EXISTS {g}d2", "GEORADIUSBYMEMBER {g}s Palermo 100 km WITHDIST ASC", "GEORADIUSBYMEMBER {g}s nope 100 km", "GEORADIUSBYMEMBER {g}none nope 100 km",
      "GEORADIUSBYMEMBER {g}s Palermo 100 km STOREDIST {g}d3", "ZRANGE {g}d3 0 -1 WITHSCORES", "GEORADIUSBYMEMBER_RO {g}s Palermo 100 km WITHHASH", "GEORADIUSBYMEMBER_RO {g}s Palermo 100 km STORE x",
      "SET {g}str v", "GEOSEARCH {g}str FROMLONLAT 15 37 BYRADIUS 1 km", "GEORADIUS {g}str 15 37 x km", "GEOSEARCHSTORE {g}str {g}s FROMLONLAT 15 37 BYRADIUS 200 km", "TYPE {g}str",
    )]);
  });

  test("random points: every radius and box search from many centres matches", async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const add: string[] = ["GEOADD", "pts"];
    for (let i = 0; i < 400; i++) add.push((rnd() * 20 - 10).toFixed(6), (rnd() * 20 - 10).toFixed(6), `p${i}`);
    const cmds: Cmd[] = [add];
    for (let i = 0; i < 40; i++) {
      const lon = (rnd() * 20 - 10).toFixed(4);
      const lat = (rnd() * 20 - 10).toFixed(4);
      const r = String(Math.floor(rnd() * 500) + 1);
      cmds.push(["GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYRADIUS", r, "km", "WITHDIST"]);
      cmds.push(["GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYBOX", r, String(Number(r) * 2), "km", "ASC", "WITHCOORD"]);
      cmds.push(["GEOSEARCH", "pts", "FROMMEMBER", `p${i}`, "BYRADIUS", r, "km", "COUNT", "3", "ANY"]);
    }
    await same(cmds);
  });
});

describe("delivery tracking with ioredis", () => {
  test("couriers report positions; the dispatcher finds the nearest ones to a pickup", async () => {
    const client = new Redis({ port: pair.memkeep!.port, lazyConnect: true });
    await client.connect();
    try {
      await client.del("couriers");
      await client.geoadd("couriers", 2.3522, 48.8566, "c1", 2.2945, 48.8584, "c2", 2.3376, 48.8606, "c3", 2.1, 48.9, "c4");
      await client.geoadd("couriers", 2.35, 48.857, "c1"); // c1 moved
      const near = (await client.call("GEOSEARCH", "couriers", "FROMLONLAT", "2.34", "48.86", "BYRADIUS", "5", "km", "ASC", "WITHDIST", "COUNT", "2")) as [string, string][];
      expect(near.map((n) => n[0])).toEqual(["c3", "c1"]);
      expect(Number(near[0][1])).toBeLessThan(Number(near[1][1]));
      // The distance must be redis-server's, digit for digit.
      await pair.rd.call("DEL", "couriers");
      await pair.rd.call("GEOADD", "couriers", "2.35", "48.857", "c1", "2.2945", "48.8584", "c2");
      const theirs = (await pair.rd.callParsed("GEODIST", "couriers", "c1", "c2", "km")) as string;
      expect(await client.geodist("couriers", "c1", "c2", "KM")).toBe(String(theirs));
      const pos = await client.geopos("couriers", "c4");
      expect(Number(pos[0]![0])).toBeCloseTo(2.1, 4);
    } finally {
      client.disconnect();
    }
  });
});
