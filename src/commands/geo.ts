// Geospatial commands over sorted sets: a member's score is its 52-bit geohash
// (native-free/geohash.ts), so GEOADD is ZADD with computed scores (its keyspace event is "zadd", as
// in Redis) and searches scan the score ranges of up to 9 geohash cells in Redis's order, keeping
// the points whose haversine distance (or box test) passes (src/types/geo_search.ts: no allocation
// per call or per candidate; hits are shared scratch arrays, read before the next search). Replies
// print coordinates with "%.17Lf" trimmed (LD_STR_HUMAN; a RESP3 double) and distances with "%.4f"
// (a bulk string in both protocols).
//
// Parse order is Redis's georadiusGeneric: the source key is looked up first (WRONGTYPE wins), then
// the centre and shape, then options left to right; a missing source key still parses every option
// before replying an empty array (or 0 and deleting the destination for the STORE forms).

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import type { Arena } from "../keyspace/arena.ts";
import { NOTIFY } from "../config.ts";
import { notifyEvent, signalModified, signalReady } from "../server/signals.ts";
import { parseDouble, parseInt64 } from "../../native-free/numbers.ts";
import { formatDoubleHuman, formatFixed } from "../../native-free/float_format.ts";
import {
  type Shape,
  decodeScore,
  decodedLat,
  decodedLon,
  distance,
  encode,
  geoStepMax,
  geohashText,
  validLonLat,
} from "../../native-free/geohash.ts";
import { hitCount, hitDist, hitNode, hitOrder, hitScore, searchShape, sortHits } from "../types/geo_search.ts";
import { Err, latin1 } from "./util.ts";
import { lookupZset, wrongTypeSlot, zaddScores, zsetDesc } from "./zsets.ts";
import { nodeMemberLen, nodeMemberOff, nodeScore, zsCreate, zsFind, zsFree, zsInsert, writeDesc } from "../types/zset.ts";

const te = new TextEncoder();

/**
 * True when arg's C string (up to a NUL, as strcasecmp sees it) is the ASCII-lowercase word `lower`,
 * ignoring case. Plain byte loop: option matching runs several times per command.
 */
function cstrEq(arg: Uint8Array, lower: string): boolean {
  const n = lower.length;
  if (arg.length < n || (arg.length > n && arg[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** "%f" of d, as the invalid-pair error prints it. */
const f6 = (d: number) => formatFixed(d, 6);

let argLon = 0;
let argLat = 0;

/** extractLongLatOrReply: false after the error. */
function lonLatArgs(x: Exec, lonArg: Uint8Array, latArg: Uint8Array): boolean {
  const lon = parseDouble(lonArg, 0, lonArg.length);
  if (lon === null) {
    x.out.error(Err.notFloat);
    return false;
  }
  const lat = parseDouble(latArg, 0, latArg.length);
  if (lat === null) {
    x.out.error(Err.notFloat);
    return false;
  }
  if (!validLonLat(lon, lat)) {
    x.out.error(`ERR invalid longitude,latitude pair ${f6(lon)},${f6(lat)}`);
    return false;
  }
  argLon = lon;
  argLat = lat;
  return true;
}

/** Meters per unit, or -1 after the error. */
function unitArg(x: Exec, arg: Uint8Array): number {
  if (cstrEq(arg, "m")) return 1;
  if (cstrEq(arg, "km")) return 1000;
  if (cstrEq(arg, "ft")) return 0.3048;
  if (cstrEq(arg, "mi")) return 1609.34;
  x.out.error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return -1;
}

function numArg(x: Exec, arg: Uint8Array, err: string): number | null {
  const v = parseDouble(arg, 0, arg.length);
  if (v === null) x.out.error(err);
  return v;
}

/** A coordinate as LD_STR_HUMAN text: a bulk string in RESP2, a double in RESP3. */
function replyHuman(x: Exec, d: number): void {
  const s = formatDoubleHuman(d);
  if (x.out.resp === 2) x.out.bulkString(s);
  else x.out.raw(te.encode(`,${s}\r\n`));
}

// ---- GEOADD / GEOPOS / GEODIST / GEOHASH ---------------------------------------------------------
function geoaddCommand(x: Exec, argv: Uint8Array[]): void {
  let nx = false;
  let xx = false;
  let ch = false;
  let i = 2;
  for (; i < argv.length; i++) {
    if (cstrEq(argv[i], "nx")) nx = true;
    else if (cstrEq(argv[i], "xx")) xx = true;
    else if (cstrEq(argv[i], "ch")) ch = true;
    else break;
  }
  if ((argv.length - i) % 3 !== 0 || (xx && nx) || argv.length === i) {
    x.out.error(Err.syntax);
    return;
  }
  const scores: number[] = [];
  const members: Uint8Array[] = [];
  for (; i < argv.length; i += 3) {
    if (!lonLatArgs(x, argv[i], argv[i + 1])) return;
    scores.push(encode(argLon, argLat, geoStepMax));
    members.push(argv[i + 2]);
  }
  const r = zaddScores(x, argv[1], { nx, xx, ch }, scores, members);
  if (r === -2) return; // WRONGTYPE replied
  if (r === -1) x.out.error(Err.oom);
  else x.out.int(r);
}

function geoposCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  const t = x.ks.t;
  x.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const n = slot < 0 ? 0 : zsFind(t.arena, zsetDesc(t, slot), argv[i], 0, argv[i].length);
    if (n === 0) {
      x.out.nullArray();
      continue;
    }
    decodeScore(nodeScore(t.arena, n));
    x.out.arrayHeader(2);
    replyHuman(x, decodedLon);
    replyHuman(x, decodedLat);
  }
}

function geodistCommand(x: Exec, argv: Uint8Array[]): void {
  let toMeters = 1;
  if (argv.length === 5) {
    toMeters = unitArg(x, argv[4]);
    if (toMeters < 0) return;
  } else if (argv.length > 5) {
    x.out.error(Err.syntax);
    return;
  }
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.nullBulk();
    return;
  }
  const t = x.ks.t;
  const d = zsetDesc(t, slot);
  const n1 = zsFind(t.arena, d, argv[2], 0, argv[2].length);
  const n2 = zsFind(t.arena, d, argv[3], 0, argv[3].length);
  if (n1 === 0 || n2 === 0) {
    x.out.nullBulk();
    return;
  }
  decodeScore(nodeScore(t.arena, n1));
  const lon1 = decodedLon;
  const lat1 = decodedLat;
  decodeScore(nodeScore(t.arena, n2));
  x.out.bulkString(formatFixed(distance(lon1, lat1, decodedLon, decodedLat) / toMeters, 4));
}

function geohashCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  const t = x.ks.t;
  x.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const n = slot < 0 ? 0 : zsFind(t.arena, zsetDesc(t, slot), argv[i], 0, argv[i].length);
    if (n === 0) x.out.nullBulk();
    else x.out.bulkString(geohashText(nodeScore(t.arena, n)));
  }
}

// ---- searches ------------------------------------------------------------------------------------
const fCoords = 1; // GEORADIUS: centre from lon/lat
const fMember = 2; // GEORADIUSBYMEMBER
const fSearch = 4; // GEOSEARCH
const fSearchStore = 8;
const fNoStore = 16; // the _RO forms

/** Position of member in the zset (decodedLon/Lat), false when it is missing. */
function memberPosition(a: Arena, d: number, m: Uint8Array): boolean {
  const n = zsFind(a, d, m, 0, m.length);
  if (n === 0) return false;
  decodeScore(nodeScore(a, n));
  return true;
}

function georadiusGeneric(x: Exec, argv: Uint8Array[], srcAt: number, flags: number): void {
  const slot = lookupZset(x, argv[srcAt]);
  if (slot === wrongTypeSlot) return;
  const t = x.ks.t;
  const a = t.arena;
  const d = slot >= 0 ? zsetDesc(t, slot) : 0;
  const shape: Shape = { lon: 0, lat: 0, box: false, radius: 0, width: 0, height: 0, conversion: 1 };
  let base: number;
  let storeKey: Uint8Array | null = null;
  let storeDist = false;
  if ((flags & fCoords) !== 0) {
    base = 6;
    if (!lonLatArgs(x, argv[2], argv[3])) return;
    shape.lon = argLon;
    shape.lat = argLat;
    if (!distanceArgs(x, argv[4], argv[5], shape)) return;
  } else if ((flags & fMember) !== 0) {
    base = 5;
    if (slot >= 0) {
      if (!memberPosition(a, d, argv[2])) {
        x.out.error("ERR could not decode requested zset member");
        return;
      }
      shape.lon = decodedLon;
      shape.lat = decodedLat;
      if (!distanceArgs(x, argv[3], argv[4], shape)) return;
    }
  } else {
    base = 2;
    if ((flags & fSearchStore) !== 0) {
      base = 3;
      storeKey = argv[1];
    }
  }
  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort = 0; // 0 none, 1 asc, 2 desc
  let any = false;
  let count = 0;
  const search = (flags & fSearch) !== 0;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const o = argv[base + i];
    if (cstrEq(o, "withdist")) withDist = true;
    else if (cstrEq(o, "withhash")) withHash = true;
    else if (cstrEq(o, "withcoord")) withCoord = true;
    else if (cstrEq(o, "any")) any = true;
    else if (cstrEq(o, "asc")) sort = 1;
    else if (cstrEq(o, "desc")) sort = 2;
    else if (cstrEq(o, "count") && i + 1 < remaining) {
      const v = parseInt64(argv[base + i + 1], 0, argv[base + i + 1].length);
      if (v === null) {
        x.out.error(Err.notInt);
        return;
      }
      if (v <= 0) {
        x.out.error("ERR COUNT must be > 0");
        return;
      }
      count = typeof v === "bigint" ? Number.MAX_SAFE_INTEGER : v;
      i++;
    } else if ((cstrEq(o, "store") || cstrEq(o, "storedist")) && i + 1 < remaining && (flags & fNoStore) === 0 && !search) {
      storeKey = argv[base + i + 1];
      storeDist = cstrEq(o, "storedist");
      i++;
    } else if (cstrEq(o, "storedist") && search && (flags & fSearchStore) !== 0) {
      storeDist = true;
    } else if (cstrEq(o, "frommember") && i + 1 < remaining && search && !fromLoc) {
      if (slot >= 0) {
        if (!memberPosition(a, d, argv[base + i + 1])) {
          x.out.error("ERR could not decode requested zset member");
          return;
        }
        shape.lon = decodedLon;
        shape.lat = decodedLat;
      }
      fromMember = true;
      i++;
    } else if (cstrEq(o, "fromlonlat") && i + 2 < remaining && search && !fromMember) {
      if (!lonLatArgs(x, argv[base + i + 1], argv[base + i + 2])) return;
      shape.lon = argLon;
      shape.lat = argLat;
      fromLoc = true;
      i += 2;
    } else if (cstrEq(o, "byradius") && i + 2 < remaining && search && !byBox) {
      if (!distanceArgs(x, argv[base + i + 1], argv[base + i + 2], shape)) return;
      byRadius = true;
      i += 2;
    } else if (cstrEq(o, "bybox") && i + 3 < remaining && search && !byRadius) {
      const w = numArg(x, argv[base + i + 1], "ERR need numeric width");
      if (w === null) return;
      const h = numArg(x, argv[base + i + 2], "ERR need numeric height");
      if (h === null) return;
      if (h < 0 || w < 0) {
        x.out.error("ERR height or width cannot be negative");
        return;
      }
      const conv = unitArg(x, argv[base + i + 3]);
      if (conv < 0) return;
      shape.box = true;
      shape.width = w;
      shape.height = h;
      shape.conversion = conv;
      byBox = true;
      i += 3;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  if (storeKey !== null && (withDist || withHash || withCoord)) {
    x.out.error(`ERR ${(flags & fSearchStore) !== 0 ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if (search && !(fromMember || fromLoc)) {
    x.out.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${latin1(argv[0])}`);
    return;
  }
  if (search && !(byRadius || byBox)) {
    x.out.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${latin1(argv[0])}`);
    return;
  }
  if (any && count === 0) {
    x.out.error("ERR the ANY argument requires COUNT argument");
    return;
  }
  if (slot < 0) {
    if (storeKey !== null) {
      deleteKey(x, storeKey);
      x.out.int(0);
    } else x.out.emptyArray();
    return;
  }
  if (count !== 0 && sort === 0 && !any) sort = 1;
  searchShape(a, d, shape, any ? count : 0);
  if (hitCount === 0 && storeKey === null) {
    x.out.emptyArray();
    return;
  }
  const returned = count === 0 || hitCount < count ? hitCount : count;
  sortHits(sort);
  const conversion = shape.conversion;
  for (let i = 0; i < hitCount; i++) hitDist[i] /= conversion;
  if (storeKey === null) replyHits(x, a, returned, withDist, withHash, withCoord);
  else storeHits(x, a, returned, storeKey, storeDist, search);
}

function distanceArgs(x: Exec, radiusArg: Uint8Array, unit: Uint8Array, shape: Shape): boolean {
  const r = numArg(x, radiusArg, "ERR need numeric radius");
  if (r === null) return false;
  if (r < 0) {
    x.out.error("ERR radius cannot be negative");
    return false;
  }
  const conv = unitArg(x, unit);
  if (conv < 0) return false;
  shape.box = false;
  shape.radius = r;
  shape.conversion = conv;
  return true;
}

/**
 * Hit h's member handle, back to an int32 where it fits (always, but for a compact handle past
 * 2 GiB): a handle read from the Float64Array is a double, and typed-array reads at double indexes
 * (the member's length, then every byte a reply copies) take the engine's slow path (~25 ns a byte).
 */
function hitHandle(h: number): number {
  const hn = hitNode[h];
  return hn >= -0x80000000 ? hn | 0 : hn;
}

/** Replies the first `returned` hits of the last search, in hitOrder. */
function replyHits(x: Exec, a: Arena, returned: number, withDist: boolean, withHash: boolean, withCoord: boolean): void {
  const out = x.out;
  const opts = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
  out.arrayHeader(returned);
  for (let i = 0; i < returned; i++) {
    const h = hitOrder[i];
    const node = hitHandle(h);
    if (opts > 0) out.arrayHeader(opts + 1);
    const off = nodeMemberOff(a, node);
    out.bulkRange(a.u8, off, off + nodeMemberLen(a, node));
    if (withDist) out.bulkString(formatFixed(hitDist[h], 4));
    if (withHash) out.int(hitScore[h]);
    if (withCoord) {
      decodeScore(hitScore[h]);
      out.arrayHeader(2);
      replyHuman(x, decodedLon);
      replyHuman(x, decodedLat);
    }
  }
}

function deleteKey(x: Exec, key: Uint8Array): void {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot < 0) return;
  x.ks.deleteSlot(x.ks.t, slot);
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.generic, "del", x.s.db, key);
}

function storeHits(x: Exec, a: Arena, returned: number, dst: Uint8Array, storeDist: boolean, search: boolean): void {
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  let maxLen = 0;
  for (let i = 0; i < returned; i++) {
    const h = hitOrder[i];
    const node = hitHandle(h);
    const off = nodeMemberOff(a, node);
    const len = nodeMemberLen(a, node);
    members.push(a.u8.slice(off, off + len));
    scores.push(storeDist ? hitDist[h] : hitScore[h]);
    if (len > maxLen) maxLen = len;
  }
  if (returned === 0) {
    deleteKey(x, dst);
    x.out.int(0);
    return;
  }
  const ks = x.ks;
  const db = x.s.db;
  const old = ks.lookup(db, dst);
  if (old >= 0) ks.deleteSlot(ks.t, old);
  const listpack = returned <= x.cfg.zsetMaxListpackEntries && maxLen <= x.cfg.zsetMaxListpackValue;
  const t = ks.route(dst);
  const desc = zsCreate(t.arena, listpack);
  const slot = desc === 0 ? -1 : ks.insert(db, dst, 4, ObjType.zset, listpack ? ObjEnc.listpack : ObjEnc.skiplist, 0);
  if (slot < 0) {
    if (desc !== 0) zsFree(t.arena, desc);
    x.out.error(Err.oom);
    return;
  }
  writeDesc(t.arena.u8, t.valueOffset(slot), desc);
  for (let i = 0; i < returned; i++) {
    const score = listpack ? scores[i] + 0 : scores[i];
    if (zsInsert(t.arena, desc, score, members[i], 0, members[i].length) === 0) {
      ks.deleteSlot(t, slot);
      x.out.error(Err.oom);
      return;
    }
  }
  signalModified(x, db, dst);
  signalReady(x, db, dst);
  notifyEvent(x, NOTIFY.zset, search ? "geosearchstore" : "georadiusstore", db, dst);
  x.out.int(returned);
}

/** GEORADIUS[BYMEMBER] keys: the source plus a STORE/STOREDIST destination. */
function radiusKeys(argv: Uint8Array[], base: number): number[] {
  const out = [1];
  for (let i = base; i < argv.length; i++) {
    if ((cstrEq(argv[i], "store") || cstrEq(argv[i], "storedist")) && i + 1 < argv.length) {
      out.push(i + 1);
      i++;
    }
  }
  return out;
}

export const geoCommands: CommandSpec[] = [
  cmd("geoadd", -5, "write denyoom", 1, 1, 1, "@write @geo @slow", geoaddCommand),
  cmd("geopos", -2, "readonly", 1, 1, 1, "@read @geo @slow", geoposCommand),
  cmd("geodist", -4, "readonly", 1, 1, 1, "@read @geo @slow", geodistCommand),
  cmd("geohash", -2, "readonly", 1, 1, 1, "@read @geo @slow", geohashCommand),
  cmd("georadius", -6, "write denyoom movablekeys", 1, 1, 1, "@write @geo @slow", (x, a) => georadiusGeneric(x, a, 1, fCoords), { keyIndexes: (a) => radiusKeys(a, 6) }),
  cmd("georadius_ro", -6, "readonly", 1, 1, 1, "@read @geo @slow", (x, a) => georadiusGeneric(x, a, 1, fCoords | fNoStore)),
  cmd("georadiusbymember", -5, "write denyoom movablekeys", 1, 1, 1, "@write @geo @slow", (x, a) => georadiusGeneric(x, a, 1, fMember), { keyIndexes: (a) => radiusKeys(a, 5) }),
  cmd("georadiusbymember_ro", -5, "readonly", 1, 1, 1, "@read @geo @slow", (x, a) => georadiusGeneric(x, a, 1, fMember | fNoStore)),
  cmd("geosearch", -7, "readonly", 1, 1, 1, "@read @geo @slow", (x, a) => georadiusGeneric(x, a, 1, fSearch)),
  cmd("geosearchstore", -8, "write denyoom", 1, 2, 1, "@write @geo @slow", (x, a) => georadiusGeneric(x, a, 2, fSearch | fSearchStore)),
];
