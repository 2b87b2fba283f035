// Geo searches over a sorted set's score ranges, without allocation per call or per candidate.
//
// The arithmetic is native-free/geohash.ts's (searchCells, decodeScore, distance, distanceIfInside)
// with the same floating-point operations in the same order, so cells, coordinates and distances
// are bit-identical; this module only removes the objects and repeated work around it:
// - the up to 9 cells go to a scratch Float64Array (NaN = skipped), in Redis's order;
// - a candidate's position is decoded from its score in locals (no Area object, no module exports);
// - a radius search keeps the centre's radians and cosine, and first rejects, without trigonometry,
//   a point whose latitude arc alone exceeds the radius (the great-circle distance is never shorter)
//   or whose longitude lies outside the circle's longitude span (both bounds widened far beyond
//   rounding); points near the centre's antipode, where haversine can round to NaN and be kept as
//   Redis keeps it, always take the full formula;
// - hits go to parallel scratch arrays (node handle, distance, score); sorting permutes an index
//   array stably (insertion sort for short lists, Array.prototype.sort otherwise), as the stable
//   sort of hit objects did.
// Results are valid until the next search (the arrays are shared scratch).

import type { Arena } from "../keyspace/arena.ts";
import {
  type Shape,
  distanceIfInside,
  earthRadiusM,
  geoLatMax,
  geoLatMin,
  geoLonMax,
  geoLonMin,
  searchCellsInto,
} from "../../native-free/geohash.ts";
import { leafRecWord, walkLeaf, walkPos, zsFirstInScore } from "./zset.ts";

const degToRad = Math.PI / 180.0;
const two32 = 4294967296;
const cells26 = 67108864; // 2^26
const latScale = geoLatMax - geoLatMin;
const lonScale = geoLonMax - geoLonMin;

/** Gathers the even bits of the u32 v into the low 16 bits. */
function squash32(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

// ---- cells ---------------------------------------------------------------------------------------
/** The cells of the last cellsFor: hash bits at `searchStep`, NaN for a skipped cell. */
export const searchCellBits = new Float64Array(9);
export let searchStep = 0;

/** native-free/geohash.ts searchCellsInto into searchCellBits / searchStep. */
export function cellsFor(s: Shape): void {
  searchStep = searchCellsInto(s, searchCellBits);
}

// ---- hits ----------------------------------------------------------------------------------------
/** Hits of the last search: node handle, distance (meters until scaled), score; hitCount of them. */
export let hitNode = new Float64Array(64);
export let hitDist = new Float64Array(64);
export let hitScore = new Float64Array(64);
export let hitCount = 0;
/** Hit indexes in reply order after sortHits (the identity when unsorted). */
export let hitOrder = new Int32Array(64);

function pushHit(node: number, dist: number, score: number): void {
  if (hitCount === hitNode.length) {
    const cap = hitCount * 2;
    const n = new Float64Array(cap);
    n.set(hitNode);
    hitNode = n;
    const d = new Float64Array(cap);
    d.set(hitDist);
    hitDist = d;
    const sc = new Float64Array(cap);
    sc.set(hitScore);
    hitScore = sc;
    hitOrder = new Int32Array(cap);
  }
  hitNode[hitCount] = node;
  hitDist[hitCount] = dist;
  hitScore[hitCount] = score;
  hitCount++;
}

// ---- scan ----------------------------------------------------------------------------------------
// The radius search's centre, in the forms the haversine formula uses.
let cLon = 0;
let cLat = 0;
let cLonR = 0;
let cLatR = 0;
let cCosLat = 0;
let cRadiusM = 0;
let cRadiusLoose = 0;
/** Longitude half-width (degrees) of the circle, widened; Infinity when the circle nears a pole. */
let cLonLimit = Infinity;

/** Haversine distance of the decoded point from the centre (distance(cLon, cLat, lon, lat)). */
function centreDistance(lon: number, lat: number): number {
  const lon2r = lon * degToRad;
  const v = Math.sin((lon2r - cLonR) / 2);
  if (v === 0.0) return earthRadiusM * Math.abs(lat * degToRad - cLatR);
  const lat2r = lat * degToRad;
  const u = Math.sin((lat2r - cLatR) / 2);
  const a = u * u + cCosLat * Math.cos(lat2r) * v * v;
  return 2.0 * earthRadiusM * Math.asin(Math.sqrt(a));
}

/**
 * Distance of the point whose score is `score` from the centre when it lies in the shape, -1 when it
 * does not (NaN near the antipode: kept, as Redis keeps it).
 */
function pointDistance(score: number, s: Shape): number {
  // decodeScore: the centre of the 26-step cell, clamped.
  const hi = Math.floor(score / two32) >>> 0;
  const lo = (score - hi * two32) >>> 0;
  const la = squash32(hi) * 65536 + squash32(lo);
  const lg = squash32(hi >>> 1) * 65536 + squash32(lo >>> 1);
  let lat = (geoLatMin + (la * 1.0 / cells26) * latScale + (geoLatMin + ((la + 1) * 1.0 / cells26) * latScale)) / 2;
  let lon = (geoLonMin + (lg * 1.0 / cells26) * lonScale + (geoLonMin + ((lg + 1) * 1.0 / cells26) * lonScale)) / 2;
  if (lon > geoLonMax) lon = geoLonMax;
  if (lon < geoLonMin) lon = geoLonMin;
  if (lat > geoLatMax) lat = geoLatMax;
  if (lat < geoLatMin) lat = geoLatMin;
  if (s.box) return distanceIfInside(s, lon, lat);
  let dLon = Math.abs(lon - cLon);
  if (dLon > 180) dLon = 360 - dLon;
  if (dLon < 179 && (dLon > cLonLimit || earthRadiusM * Math.abs(lat * degToRad - cLatR) > cRadiusLoose)) return -1;
  const dist = centreDistance(lon, lat);
  return dist > cRadiusM ? -1 : dist;
}

/** Appends the points of one cell's score range [min, max) that lie in the shape. */
function scanCell(a: Arena, d: number, bits: number, step: number, s: Shape, limit: number): void {
  const unit = 2 ** (52 - step * 2);
  const min = bits * unit;
  const max = (bits + 1) * unit;
  const f64 = a.f64;
  let n = zsFirstInScore(a, d, min, false);
  if (n > 0) {
    // Tree form: scores straight from the leaves; a record is touched only for a hit.
    const u32 = a.u32;
    let leaf = walkLeaf();
    let pos = walkPos();
    for (;;) {
      const count = u32[leaf * 2];
      for (; pos < count; pos++) {
        const score = f64[leaf + 2 + pos];
        if (score >= max) return;
        const dist = pointDistance(score, s);
        if (dist >= 0 || dist !== dist) {
          pushHit(u32[leaf * 2 + leafRecWord + pos], dist, score);
          if (limit > 0 && hitCount >= limit) return;
        }
      }
      leaf = u32[leaf * 2 + 3];
      if (leaf === 0) return;
      pos = 0;
    }
  }
  while (n !== 0) {
    const score = compactScore(a, n);
    if (score >= max) break;
    const dist = pointDistance(score, s);
    if (dist >= 0 || dist !== dist) {
      pushHit(n, dist, score);
      if (limit > 0 && hitCount >= limit) break;
    }
    n = compactNext(a, n);
  }
}

// Compact-form access (src/types/zset.ts's layout: entry = [u8 kind][u16 len][member][score][u16 size]).
const kindBytes = [1, 2, 4, 8];
const f64Scratch = new Float64Array(1);
const u8Scratch = new Uint8Array(f64Scratch.buffer);
function compactScore(a: Arena, n: number): number {
  const u8 = a.u8;
  const off = -n;
  const at = off + 3 + (u8[off + 1] | (u8[off + 2] << 8));
  switch (u8[off]) {
    case 0:
      return (u8[at] << 24) >> 24;
    case 1:
      return ((u8[at] | (u8[at + 1] << 8)) << 16) >> 16;
    case 2:
      return u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24);
    default:
      for (let i = 0; i < 8; i++) u8Scratch[i] = u8[at + i];
      return f64Scratch[0];
  }
}
function compactNext(a: Arena, n: number): number {
  const u8 = a.u8;
  const off = -n;
  const next = off + 5 + (u8[off + 1] | (u8[off + 2] << 8)) + kindBytes[u8[off]];
  return u8[next] === 0xff ? 0 : -next;
}

/**
 * Scans the shape's cells of the set at descriptor d into the hit arrays (hitCount of them), in
 * Redis's order; stops once `limit` hits are found when limit > 0 (ANY).
 */
export function searchShape(a: Arena, d: number, s: Shape, limit: number): void {
  hitCount = 0;
  cellsFor(s);
  if (!s.box) {
    cLon = s.lon;
    cLat = s.lat;
    cLonR = cLon * degToRad;
    cLatR = cLat * degToRad;
    cCosLat = Math.cos(cLatR);
    cRadiusM = s.radius * s.conversion;
    cRadiusLoose = cRadiusM * (1 + 1e-9);
    // A spherical cap of angular radius r around latitude lat spans asin(sin r / cos lat) of
    // longitude either side when it holds no pole; widened by a relative 1e-6, far above rounding.
    const r = cRadiusM / earthRadiusM;
    const sinR = Math.sin(r);
    if (r < 1 && sinR * (1 + 1e-6) < cCosLat * (1 - 1e-6)) cLonLimit = (Math.asin(sinR / cCosLat) / degToRad) * (1 + 1e-6) + 1e-9;
    else cLonLimit = Infinity;
  }
  const step = searchStep;
  const cells = searchCellBits;
  let last = 0;
  for (let i = 0; i < 9; i++) {
    const bits = cells[i];
    if (bits !== bits) continue;
    // Redis compares with the last scanned cell only once one past the centre was scanned.
    if (last !== 0 && bits === cells[last]) continue;
    if (hitCount > 0 && limit > 0 && hitCount >= limit) break;
    scanCell(a, d, bits, step, s, limit);
    last = i;
  }
}

const insertionSortMax = 48;

/**
 * Orders the hits by distance into hitOrder (dir 1 ascending, 2 descending, 0 scan order); ties
 * and NaN distances keep scan order, as a stable sort of the hits does.
 */
export function sortHits(dir: number): void {
  const n = hitCount;
  const order = hitOrder;
  for (let i = 0; i < n; i++) order[i] = i;
  if (dir === 0 || n < 2) return;
  const dist = hitDist;
  let nan = false;
  for (let i = 0; i < n; i++) if (dist[i] !== dist[i]) nan = true;
  if (n <= insertionSortMax && !nan) {
    for (let i = 1; i < n; i++) {
      const k = order[i];
      const dk = dist[k];
      let j = i - 1;
      if (dir === 1) {
        while (j >= 0 && dist[order[j]] > dk) {
          order[j + 1] = order[j];
          j--;
        }
      } else {
        while (j >= 0 && dist[order[j]] < dk) {
          order[j + 1] = order[j];
          j--;
        }
      }
      order[j + 1] = k;
    }
    return;
  }
  const idx: number[] = new Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (dir === 1) idx.sort((p, q) => dist[p] - dist[q]);
  else idx.sort((p, q) => dist[q] - dist[p]);
  for (let i = 0; i < n; i++) order[i] = idx[i];
}
