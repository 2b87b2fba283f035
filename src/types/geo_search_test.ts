// The allocation-free geo search against the plain one it replaces (native-free/geohash.ts's
// searchCells, decodeScore and distanceIfInside over each cell's score range): the same hits, in
// the same order, with bit-identical distances, for random shapes near the centre, the poles and
// the antimeridian, and on both set forms.

import { describe, expect, test } from "bun:test";
import { Arena } from "../keyspace/arena.ts";
import { type Shape, decodeScore, decodedLat, decodedLon, distanceIfInside, encode, searchCells } from "../../native-free/geohash.ts";
import { hitCount, hitDist, hitNode, hitOrder, searchShape, sortHits } from "./geo_search.ts";
import { nodeNext, nodeScore, zsCreate, zsFirstInScore, zsInsert } from "./zset.ts";

/** Seeded xorshift, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function reference(a: Arena, d: number, s: Shape, limit: number): [number, number][] {
  const { step, cells } = searchCells(s);
  const out: [number, number][] = [];
  let last = 0;
  for (let i = 0; i < 9; i++) {
    const bits = cells[i];
    if (bits !== bits) continue;
    if (last !== 0 && bits === cells[last]) continue;
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    const unit = 2 ** (52 - step * 2);
    for (let n = zsFirstInScore(a, d, bits * unit, false); n !== 0; n = nodeNext(a, n)) {
      const score = nodeScore(a, n);
      if (score >= (bits + 1) * unit) break;
      decodeScore(score);
      const dist = distanceIfInside(s, decodedLon, decodedLat);
      if (dist < 0) continue;
      out.push([n, dist]);
      if (limit > 0 && out.length >= limit) break;
    }
    last = i;
  }
  return out;
}

function fill(a: Arena, d: number, points: [number, number][]): void {
  const te = new TextEncoder();
  points.forEach(([lon, lat], i) => {
    const m = te.encode(`p${i}`);
    zsInsert(a, d, encode(lon, lat, 26), m, 0, m.length);
  });
}

function compareMany(compact: boolean, centres: [number, number][], spreadDeg: number, seed: number): number {
  const r = rng(seed);
  let hits = 0;
  for (const [clon, clat] of centres) {
    const a = new Arena(Arena.create());
    const d = zsCreate(a, compact);
    const pts: [number, number][] = [];
    const count = compact ? 100 : 2000;
    for (let i = 0; i < count; i++) {
      let lon = clon + (r() - 0.5) * spreadDeg;
      if (lon > 180) lon -= 360;
      if (lon < -180) lon += 360;
      const lat = Math.max(-85.05, Math.min(85.05, clat + (r() - 0.5) * spreadDeg));
      pts.push([lon, lat]);
    }
    fill(a, d, pts);
    for (let k = 0; k < 200; k++) {
      const box = r() < 0.3;
      const km = r() < 0.1 ? r() * 8000 : r() * spreadDeg * 60;
      const s: Shape = { lon: clon + (r() - 0.5) * spreadDeg * 0.5, lat: Math.max(-85, Math.min(85, clat + (r() - 0.5) * spreadDeg * 0.5)), box, radius: km, width: km * 2 * r(), height: km * 2 * r(), conversion: 1000 };
      if (s.lon > 180) s.lon -= 360;
      if (s.lon < -180) s.lon += 360;
      const limit = r() < 0.2 ? 1 + Math.floor(r() * 5) : 0;
      const want = reference(a, d, s, limit);
      searchShape(a, d, s, limit);
      const got: [number, number][] = [];
      for (let i = 0; i < hitCount; i++) got.push([hitNode[i], hitDist[i]]);
      expect(got).toEqual(want);
      for (const dir of [1, 2]) {
        const sorted = want.map((h, i) => ({ i, dist: h[1] }));
        sorted.sort(dir === 1 ? (p, q) => p.dist - q.dist : (p, q) => q.dist - p.dist);
        sortHits(dir);
        expect(Array.from(hitOrder.subarray(0, hitCount))).toEqual(sorted.map((h) => h.i));
      }
      hits += want.length;
    }
  }
  return hits;
}

describe("geo search without allocation", () => {
  test("finds the same hits in the same order as the plain search (skiplist sets)", () => {
    const hits = compareMany(false, [[13.4, 52.5], [-73.9, 40.7], [179.9, 10], [-179.95, -33], [0, 84], [30, -84.5], [0, 0]], 2, 7);
    expect(hits).toBeGreaterThan(10_000);
  }, 60_000);

  test("finds the same hits in the same order as the plain search (compact sets)", () => {
    const hits = compareMany(true, [[13.4, 52.5], [179.9, 10], [0, 84]], 1, 11);
    expect(hits).toBeGreaterThan(500);
  });

  test("a point exactly on the circle and points along its bounding box edges", () => {
    const a = new Arena(Arena.create());
    const d = zsCreate(a, false);
    const pts: [number, number][] = [];
    // A dense line of points crossing the circle's edge east, north, south and west of the centre.
    for (let i = 0; i < 400; i++) {
      const t = 0.0085 + i * 0.0000025;
      pts.push([13.4 + t / Math.cos((52.5 * Math.PI) / 180), 52.5], [13.4, 52.5 + t], [13.4, 52.5 - t], [13.4 - t * 1.6, 52.5 + 0.0001]);
    }
    fill(a, d, pts);
    for (const km of [0.95, 1, 1.05]) {
      const s: Shape = { lon: 13.4, lat: 52.5, box: false, radius: km, width: 0, height: 0, conversion: 1000 };
      const want = reference(a, d, s, 0);
      searchShape(a, d, s, 0);
      expect(hitCount).toBe(want.length);
      for (let i = 0; i < hitCount; i++) expect([hitNode[i], hitDist[i]]).toEqual(want[i]);
    }
  });
});
