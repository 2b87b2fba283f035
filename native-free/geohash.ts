// Geohash arithmetic as Redis's GEO commands define it (documented behaviour, our code):
// - A position is a 52-bit interleaved geohash (26 steps): latitude bits at even positions, longitude
//   bits at odd positions, latitude range [-85.05112878, 85.05112878] (Web Mercator), longitude
//   [-180, 180]; each coordinate's offset in its range times 2^26, truncated to an integer. The hash is
//   stored as the member's score, so 52 bits fit a double exactly.
// - Decoding returns the centre of the cell, clamped to the ranges.
// - Distance is the haversine formula on a sphere of radius 6372797.560856 m (with the shortcut
//   for equal longitudes that Redis 7 takes: the plain latitude arc).
// - A radius or box search picks a step from the radius, takes the cell of the centre and its
//   8 neighbours (dropping a step when a neighbour does not reach the bounding box, and dropping
//   neighbours that the box cannot touch), then scans each cell's score range in the order centre,
//   N, S, E, W, NE, NW, SE, SW: that order is visible in unsorted replies and with ANY.
// Hashes of up to 52 bits are carried as JS numbers (exact); 26-bit halves as u32.

export const geoLatMin = -85.05112878;
export const geoLatMax = 85.05112878;
export const geoLonMin = -180;
export const geoLonMax = 180;
export const geoStepMax = 26;
export const earthRadiusM = 6372797.560856;
const mercatorMax = 20037726.37;
const degToRad = Math.PI / 180.0;

const two32 = 4294967296;

/** Spreads the low 16 bits of v to the even bit positions of a u32. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** Gathers the even bits of the u32 v into the low 16 bits. */
function squash32(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v >>> 0;
}

/** Interleaves lat (even bits) and lon (odd bits), each < 2^26, into one hash number. */
export function interleave(lat: number, lon: number): number {
  const lo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  return hi * two32 + lo;
}

let outLat = 0;
let outLon = 0;

/** Splits a hash into its latitude (outLat) and longitude (outLon) halves. */
function deinterleave(bits: number): void {
  const hi = Math.floor(bits / two32) >>> 0;
  const lo = (bits - hi * two32) >>> 0;
  outLat = (squash32(hi) * 65536 + squash32(lo)) >>> 0;
  outLon = (squash32(hi >>> 1) * 65536 + squash32(lo >>> 1)) >>> 0;
}

/** True when (lon, lat) may be indexed (GEOADD's and every centre's check). */
export function validLonLat(lon: number, lat: number): boolean {
  return !(lon < geoLonMin || lon > geoLonMax || lat < geoLatMin || lat > geoLatMax);
}

/** Hash bits of (lon, lat) at `step` over the given ranges (the caller validated the point). */
export function encode(lon: number, lat: number, step: number, latMin = geoLatMin, latMax = geoLatMax, lonMin = geoLonMin, lonMax = geoLonMax): number {
  let latOff = (lat - latMin) / (latMax - latMin);
  let lonOff = (lon - lonMin) / (lonMax - lonMin);
  latOff *= 2 ** step;
  lonOff *= 2 ** step;
  // C's double -> uint32 conversion truncates (offsets are >= 0).
  return interleave(Math.trunc(latOff) >>> 0, Math.trunc(lonOff) >>> 0);
}

/** The cell of a hash: [lonMin, lonMax, latMin, latMax]. */
export interface Area {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

export function decodeArea(bits: number, step: number, out: Area): Area {
  deinterleave(bits);
  const latScale = geoLatMax - geoLatMin;
  const lonScale = geoLonMax - geoLonMin;
  const cells = 2 ** step;
  out.latMin = geoLatMin + (outLat * 1.0 / cells) * latScale;
  out.latMax = geoLatMin + ((outLat + 1) * 1.0 / cells) * latScale;
  out.lonMin = geoLonMin + (outLon * 1.0 / cells) * lonScale;
  out.lonMax = geoLonMin + ((outLon + 1) * 1.0 / cells) * lonScale;
  return out;
}

const scratchArea: Area = { lonMin: 0, lonMax: 0, latMin: 0, latMax: 0 };
/** Decoded position of a 52-bit score: decodedLon / decodedLat. */
export let decodedLon = 0;
export let decodedLat = 0;

export function decodeScore(score: number): void {
  const a = decodeArea(score, geoStepMax, scratchArea);
  let lon = (a.lonMin + a.lonMax) / 2;
  if (lon > geoLonMax) lon = geoLonMax;
  if (lon < geoLonMin) lon = geoLonMin;
  let lat = (a.latMin + a.latMax) / 2;
  if (lat > geoLatMax) lat = geoLatMax;
  if (lat < geoLatMin) lat = geoLatMin;
  decodedLon = lon;
  decodedLat = lat;
}

export function latDistance(lat1: number, lat2: number): number {
  return earthRadiusM * Math.abs(lat2 * degToRad - lat1 * degToRad);
}

/** Haversine distance in meters between (lon1, lat1) and (lon2, lat2). */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = lon1 * degToRad;
  const lon2r = lon2 * degToRad;
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1, lat2);
  const lat1r = lat1 * degToRad;
  const lat2r = lat2 * degToRad;
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * earthRadiusM * Math.asin(Math.sqrt(a));
}

const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

/** The standard 11-character geohash text of a stored score (re-encoded over lat [-90, 90]). */
export function geohashText(score: number): string {
  decodeScore(score);
  const bits = encode(decodedLon, decodedLat, geoStepMax, -90, 90, -180, 180);
  let s = "";
  for (let i = 0; i < 11; i++) {
    if (i === 10) {
      s += "0";
      break;
    }
    const shift = 52 - (i + 1) * 5;
    s += alphabet[Math.floor(bits / 2 ** shift) % 32];
  }
  return s;
}

export function estimateSteps(rangeM: number, lat: number): number {
  if (rangeM === 0) return 26;
  let step = 1;
  while (rangeM < mercatorMax) {
    rangeM *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** A search shape: centre, a radius or a box (meters = value * conversion). */
export interface Shape {
  lon: number;
  lat: number;
  box: boolean;
  radius: number;
  width: number;
  height: number;
  conversion: number;
}

/** Cells to scan: step and up to 9 hash bits (NaN = skipped), in Redis's order. */
export interface SearchCells {
  step: number;
  cells: number[];
}

function neighbour(bits: number, step: number, dLon: number, dLat: number): number {
  deinterleave(bits);
  const mask = 2 ** step;
  const lat = (outLat + dLat + mask) % mask;
  const lon = (outLon + dLon + mask) % mask;
  return interleave(lat, lon);
}

// Order: centre, N, S, E, W, NE, NW, SE, SW as (dLon, dLat).
const moves = [0, 0, 0, 1, 0, -1, 1, 0, -1, 0, 1, 1, -1, 1, 1, -1, -1, -1];

function fillNeighbours(bits: number, step: number, cells: Float64Array | number[]): void {
  for (let i = 0; i < 9; i++) cells[i] = neighbour(bits, step, moves[i * 2], moves[i * 2 + 1]);
}

/**
 * The cells a shape's search scans, without allocating: the 9 cells' hash bits (NaN for a skipped
 * cell) go to `cells`; returns their step. The GEOSEARCH hot path (src/types/geo_search.ts) uses it.
 */
export function searchCellsInto(s: Shape, cells: Float64Array | number[]): number {
  const heightM = s.conversion * (s.box ? s.height / 2 : s.radius);
  const widthM = s.conversion * (s.box ? s.width / 2 : s.radius);
  const latDelta = heightM / earthRadiusM / degToRad;
  const lonDeltaTop = widthM / earthRadiusM / Math.cos((s.lat + latDelta) * degToRad) / degToRad;
  const lonDeltaBottom = widthM / earthRadiusM / Math.cos((s.lat - latDelta) * degToRad) / degToRad;
  const south = s.lat < 0;
  const minLon = south ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop;
  const maxLon = south ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop;
  const minLat = s.lat - latDelta;
  const maxLat = s.lat + latDelta;
  let radiusM = s.box ? Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2)) : s.radius;
  radiusM *= s.conversion;
  let step = estimateSteps(radiusM, s.lat);
  let hash = encode(s.lon, s.lat, step);
  fillNeighbours(hash, step, cells);
  const a = scratchArea;
  let decrease = false;
  if (decodeArea(cells[1], step, a).latMax < maxLat) decrease = true;
  if (decodeArea(cells[2], step, a).latMin > minLat) decrease = true;
  if (decodeArea(cells[3], step, a).lonMax < maxLon) decrease = true;
  if (decodeArea(cells[4], step, a).lonMin > minLon) decrease = true;
  if (step > 1 && decrease) {
    step--;
    hash = encode(s.lon, s.lat, step);
    fillNeighbours(hash, step, cells);
  }
  if (step >= 2) {
    decodeArea(hash, step, a);
    if (a.latMin < minLat) cells[2] = cells[8] = cells[7] = NaN; // S, SW, SE
    if (a.latMax > maxLat) cells[1] = cells[5] = cells[6] = NaN; // N, NE, NW
    if (a.lonMin < minLon) cells[4] = cells[8] = cells[6] = NaN; // W, SW, NW
    if (a.lonMax > maxLon) cells[3] = cells[7] = cells[5] = NaN; // E, SE, NE
  }
  return step;
}

/** The cells a shape's search scans. */
export function searchCells(s: Shape): SearchCells {
  const cells: number[] = new Array(9).fill(0);
  const step = searchCellsInto(s, cells);
  return { step, cells };
}

/**
 * Distance in meters from the shape's centre to (lon, lat) when the point is inside the shape,
 * else -1.
 */
export function distanceIfInside(s: Shape, lon: number, lat: number): number {
  if (!s.box) {
    const d = distance(s.lon, s.lat, lon, lat);
    return d > s.radius * s.conversion ? -1 : d;
  }
  const latD = latDistance(lat, s.lat);
  if (latD > (s.height * s.conversion) / 2) return -1;
  const lonD = distance(lon, lat, s.lon, lat);
  if (lonD > (s.width * s.conversion) / 2) return -1;
  return distance(s.lon, s.lat, lon, lat);
}
