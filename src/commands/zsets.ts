// Sorted-set commands. Values live in the shard Arena as an order-statistics B+tree plus a member
// index (src/types/zset.ts): rank, range by rank and delete by rank are O(log n). The key's table block
// holds the 4-byte descriptor address.
//
// OBJECT ENCODING is Redis 7.0's: a key starts as `listpack` (unless zset-max-listpack-entries is 0
// or ZADD's first member is longer than zset-max-listpack-value) and becomes `skiplist` once it grows
// past zset-max-listpack-entries members or receives a member longer than zset-max-listpack-value;
// it never goes back, except that the STORE commands of the set algebra choose by their result, as
// Redis's zsetConvertToListpackIfNeeded does. The label lives in the table entry's encoding bits;
// one structure serves both (see the report of issue 3: a byte-compact small form is future work).
//
// Order of checks is Redis's (visible in which error wins): ZADD parses flags, counts its pairs,
// checks option conflicts and every score before it looks at the key; ZRANGE parses its options
// left to right, then the range, then looks the key up.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { ObjEnc, ObjType, type Table } from "../keyspace/table.ts";
import type { Arena } from "../keyspace/arena.ts";
import { registerTypeOps } from "../types/registry.ts";
import { NOTIFY } from "../config.ts";
import { effectPartial, notifyEvent, setEffect, signalModified, signalReady, wantsEffect } from "../server/signals.ts";

const te = new TextEncoder();
const zaddName = te.encode("ZADD");
import { block } from "../server/blocking.ts";
import { parseDouble, parseInt64 } from "../../native-free/numbers.ts";
import { stringMatchRange } from "../../native-free/glob.ts";
import { Err, latin1, latin1Bytes } from "./util.ts";
import { parseScanCursor } from "./keys.ts";
import { setForEach } from "../types/set.ts";
import {
  type LexBound,
  lexAboveMin,
  lexBelowMax,
  nodeMemberLen,
  nodeMemberOff,
  nodeNext,
  nodePrev,
  nodeScore,
  readDesc,
  writeDesc,
  leafRecWord,
  walkFrom,
  walkLeaf,
  walkPos,
  zsAtRank,
  zsClone,
  zsConvert,
  zsCreate,
  zsDelete,
  zsDeserialize,
  zsFind,
  zsFirst,
  zsFirstInLex,
  zsFirstInScore,
  zsFree,
  zsInsert,
  zsLastInLex,
  zsLastInScore,
  zsLength,
  zsOwnedBytes,
  zsRank,
  zsSerialize,
  zsTail,
  zsUpdateScore,
} from "../types/zset.ts";

const errNaN = "ERR resulting score is not a number (NaN)";
const errMinMaxFloat = "ERR min or max is not a float";
const errLexRange = "ERR min or max not valid string range item";

registerTypeOps(ObjType.zset, {
  free(a: Arena, off: number, _len: number, _enc: number): void {
    const d = readDesc(a.u8, off);
    if (d !== 0) zsFree(a, d);
  },
  clone(src: Arena, srcOff: number, _len: number, _enc: number, dst: Arena, dstOff: number): boolean {
    const d = readDesc(src.u8, srcOff);
    writeDesc(dst.u8, dstOff, 0);
    const nd = zsClone(src, d, dst);
    if (nd === 0) return false;
    writeDesc(dst.u8, dstOff, nd);
    return true;
  },
  ownedBytes(a: Arena, off: number, _len: number, _enc: number): number {
    const d = readDesc(a.u8, off);
    return d === 0 ? 0 : zsOwnedBytes(a, d);
  },
  // Both forms live outside the 4-byte block, so every set is serialized (the form travels in the bytes).
  serialize(a: Arena, off: number, _len: number, _enc: number): Uint8Array | null {
    const d = readDesc(a.u8, off);
    return d === 0 ? null : zsSerialize(a, d);
  },
  deserialize(a: Arena, bytes: Uint8Array, _enc: number): Uint8Array | null {
    const d = zsDeserialize(a, bytes);
    if (d === 0) return null;
    const block = new Uint8Array(4);
    writeDesc(block, 0, d);
    return block;
  },
});

// ---- key access ----------------------------------------------------------------------------------
const wrongTypeSlot = -2;

/** Slot of the zset at key (ks.t its table), -1 when missing, wrongTypeSlot after WRONGTYPE. */
function lookupZset(x: Exec, key: Uint8Array): number {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot >= 0 && x.ks.t.type(slot) !== ObjType.zset) {
    x.out.error(Err.wrongType);
    return wrongTypeSlot;
  }
  return slot;
}

export function zsetDesc(t: Table, slot: number): number {
  return readDesc(t.arena.u8, t.valueOffset(slot));
}

/** Creates an empty zset at key (must not exist; route/lookup just done). Slot or -1 on OOM. */
function createZset(x: Exec, key: Uint8Array, listpack: boolean): number {
  const ks = x.ks;
  ks.route(key);
  const t = ks.t;
  const d = zsCreate(t.arena, listpack);
  if (d === 0) return -1;
  const slot = ks.insert(x.s.db, key, 4, ObjType.zset, listpack ? ObjEnc.listpack : ObjEnc.skiplist, 0);
  if (slot < 0) {
    zsFree(t.arena, d);
    return -1;
  }
  writeDesc(t.arena.u8, t.valueOffset(slot), d);
  return slot;
}

/**
 * Relabels a listpack-encoded key as skiplist when inserting one more member of memberLen bytes
 * passes Redis's thresholds (called before the insert, as Redis converts before it).
 */
function noteInsert(x: Exec, t: Table, slot: number, d: number, memberLen: number): void {
  if (t.encoding(slot) !== ObjEnc.listpack) return;
  if (zsLength(t.arena, d) + 1 > x.cfg.zsetMaxListpackEntries || memberLen > x.cfg.zsetMaxListpackValue) {
    t.setTypeEnc(slot, ObjType.zset, ObjEnc.skiplist);
    // The compact form goes with the label; if the arena is full it stays compact (still correct).
    zsConvert(t.arena, d);
  }
}

/** Deletes the key when its set became empty; true when it did. */
function deleteIfEmpty(x: Exec, t: Table, slot: number, d: number): boolean {
  if (zsLength(t.arena, d) !== 0) return false;
  x.ks.deleteSlot(t, slot);
  return true;
}

function replyMember(x: Exec, a: Arena, n: number): void {
  const off = nodeMemberOff(a, n);
  x.out.bulkRange(a.u8, off, off + nodeMemberLen(a, n));
}

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

/** getLongFromObjectOrReply: an int64 as a number (clamped beyond 2^53), or null after the error. */
function longArg(x: Exec, arg: Uint8Array, err: string = Err.notInt): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(err);
    return null;
  }
  if (typeof v === "bigint") return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return v;
}

// ---- ZADD / ZINCRBY ------------------------------------------------------------------------------
const zNX = 1;
const zXX = 2;
const zGT = 4;
const zLT = 8;
const zCH = 16;
const zINCR = 32;

let scoresScratch = new Float64Array(64);

/** Result of zaddOne: 0 nop, 1 added, 2 updated, 3 unchanged; -1 NaN; -2 OOM. addScore holds the new score. */
let addScore = 0;

function zaddOne(x: Exec, t: Table, slot: number, d: number, flags: number, score: number, m: Uint8Array): number {
  const a = t.arena;
  const n = zsFind(a, d, m, 0, m.length);
  if (n !== 0) {
    if ((flags & zNX) !== 0) return 0;
    const cur = nodeScore(a, n);
    if ((flags & zINCR) !== 0) {
      score += cur;
      if (score !== score) return -1;
    }
    if (((flags & zLT) !== 0 && score >= cur) || ((flags & zGT) !== 0 && score <= cur)) return 0;
    addScore = score;
    if (t.encoding(slot) === ObjEnc.listpack) score += 0; // listpack text has no "-0"; the reply keeps it
    if (score !== cur) {
      if (!zsUpdateScore(a, d, n, score)) return -2; // a full arena: the set is unchanged
      return 2;
    }
    return 3;
  }
  if ((flags & zXX) !== 0) return 0;
  noteInsert(x, t, slot, d, m.length);
  addScore = score;
  if (t.encoding(slot) === ObjEnc.listpack) score += 0; // listpack text has no "-0"; the reply keeps it
  if (zsInsert(a, d, score, m, 0, m.length) === 0) return -2;
  return 1;
}

function zaddCommand(x: Exec, argv: Uint8Array[]): void {
  zaddGeneric(x, argv, 0);
}

function zincrbyCommand(x: Exec, argv: Uint8Array[]): void {
  zaddGeneric(x, argv, zINCR);
}

function zaddGeneric(x: Exec, argv: Uint8Array[], preset: number): void {
  let flags = preset;
  let i = 2;
  if (preset === 0) {
    for (; i < argv.length; i++) {
      const o = argv[i];
      if (cstrEq(o, "nx")) flags |= zNX;
      else if (cstrEq(o, "xx")) flags |= zXX;
      else if (cstrEq(o, "ch")) flags |= zCH;
      else if (cstrEq(o, "incr")) flags |= zINCR;
      else if (cstrEq(o, "gt")) flags |= zGT;
      else if (cstrEq(o, "lt")) flags |= zLT;
      else break;
    }
  }
  const left = argv.length - i;
  if (left % 2 !== 0 || left === 0) {
    x.out.error(Err.syntax);
    return;
  }
  const pairs = left / 2;
  if ((flags & zNX) !== 0 && (flags & zXX) !== 0) {
    x.out.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if (((flags & zGT) !== 0 && (flags & zNX) !== 0) || ((flags & zLT) !== 0 && (flags & zNX) !== 0) || ((flags & zGT) !== 0 && (flags & zLT) !== 0)) {
    x.out.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if ((flags & zINCR) !== 0 && pairs > 1) {
    x.out.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  if (scoresScratch.length < pairs) scoresScratch = new Float64Array(pairs * 2);
  for (let j = 0; j < pairs; j++) {
    const s = argv[i + j * 2];
    const v = parseDouble(s, 0, s.length);
    if (v === null) {
      x.out.error(Err.notFloat);
      return;
    }
    scoresScratch[j] = v;
  }
  const key = argv[1];
  let slot = lookupZset(x, key);
  if (slot === wrongTypeSlot) return;
  const incr = (flags & zINCR) !== 0;
  let created = false;
  if (slot < 0) {
    if ((flags & zXX) !== 0) {
      if (incr) x.out.nullBulk();
      else x.out.int(0);
      return;
    }
    const first = argv[i + 1];
    slot = createZset(x, key, x.cfg.zsetMaxListpackEntries !== 0 && first.length <= x.cfg.zsetMaxListpackValue);
    if (slot < 0) {
      x.out.error(Err.oom);
      return;
    }
    created = true;
  }
  const t = x.ks.t;
  const d = zsetDesc(t, slot);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let failure = 0;
  for (let j = 0; j < pairs; j++) {
    const r = zaddOne(x, t, slot, d, flags, scoresScratch[j], argv[i + j * 2 + 1]);
    if (r < 0) {
      failure = r;
      break;
    }
    if (r === 1) added++;
    else if (r === 2) updated++;
    if (r !== 0) processed++;
  }
  if (failure !== 0) {
    x.out.error(failure === -1 ? errNaN : Err.oom);
  } else if (incr) {
    if (processed > 0) x.out.double(addScore);
    else x.out.nullBulk();
  } else {
    x.out.int((flags & zCH) !== 0 ? added + updated : added);
  }
  if (added + updated > 0) {
    const db = x.s.db;
    // ZINCRBY / ZADD INCR: the shard log replays the resulting score (JS's shortest round-trip text).
    if (incr && failure === 0 && Number.isFinite(addScore) && wantsEffect(x)) {
      setEffect(x, [zaddName, key, te.encode(Object.is(addScore, -0) ? "-0" : String(addScore)), argv[argv.length - 1]]);
    }
    if (failure !== 0) effectPartial(x); // stopped part-way: log the zset as it is
    signalModified(x, db, key);
    notifyEvent(x, NOTIFY.zset, incr ? "zincr" : "zadd", db, key);
    if (created) signalReady(x, db, key);
  } else if (created) {
    deleteIfEmpty(x, t, slot, d);
  }
}

/** GEOADD's insert path (geo.ts): scores are parsed; returns added (+changed with ch), or -1 on OOM. */
export function zaddScores(x: Exec, key: Uint8Array, flags: { nx: boolean; xx: boolean; ch: boolean }, scores: number[], members: Uint8Array[]): number {
  let slot = lookupZset(x, key);
  if (slot === wrongTypeSlot) return -2;
  let created = false;
  if (slot < 0) {
    if (flags.xx) return 0;
    slot = createZset(x, key, x.cfg.zsetMaxListpackEntries !== 0 && members[0].length <= x.cfg.zsetMaxListpackValue);
    if (slot < 0) return -1;
    created = true;
  }
  const t = x.ks.t;
  const d = zsetDesc(t, slot);
  const f = (flags.nx ? zNX : 0) | (flags.xx ? zXX : 0);
  let added = 0;
  let updated = 0;
  for (let j = 0; j < scores.length; j++) {
    const r = zaddOne(x, t, slot, d, f, scores[j], members[j]);
    if (r === -2) return -1;
    if (r === 1) added++;
    else if (r === 2) updated++;
  }
  if (added + updated > 0) {
    signalModified(x, x.s.db, key);
    notifyEvent(x, NOTIFY.zset, "zadd", x.s.db, key);
    if (created) signalReady(x, x.s.db, key);
  }
  return flags.ch ? added + updated : added;
}

// ---- simple reads / ZREM -------------------------------------------------------------------------
function zcardCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot < 0 ? 0 : zsLength(x.ks.t.arena, zsetDesc(x.ks.t, slot)));
}

function zscoreCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.nullBulk();
    return;
  }
  const t = x.ks.t;
  const m = argv[2];
  const n = zsFind(t.arena, zsetDesc(t, slot), m, 0, m.length);
  if (n === 0) x.out.nullBulk();
  else x.out.double(nodeScore(t.arena, n));
}

function zmscoreCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  x.out.arrayHeader(argv.length - 2);
  const t = x.ks.t;
  for (let i = 2; i < argv.length; i++) {
    if (slot < 0) {
      x.out.nullBulk();
      continue;
    }
    const m = argv[i];
    const n = zsFind(t.arena, zsetDesc(t, slot), m, 0, m.length);
    if (n === 0) x.out.nullBulk();
    else x.out.double(nodeScore(t.arena, n));
  }
}

function zrankGeneric(x: Exec, argv: Uint8Array[], reverse: boolean): void {
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.nullBulk();
    return;
  }
  const t = x.ks.t;
  const d = zsetDesc(t, slot);
  const m = argv[2];
  const n = zsFind(t.arena, d, m, 0, m.length);
  if (n === 0) {
    x.out.nullBulk();
    return;
  }
  const r = zsRank(t.arena, d, n);
  x.out.int(reverse ? zsLength(t.arena, d) - 1 - r : r);
}

function zremCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const slot = lookupZset(x, key);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  const a = t.arena;
  const d = zsetDesc(t, slot);
  let removed = 0;
  let keyGone = false;
  for (let i = 2; i < argv.length; i++) {
    const m = argv[i];
    const n = zsFind(a, d, m, 0, m.length);
    if (n === 0) continue;
    zsDelete(a, d, n);
    removed++;
    if (zsLength(a, d) === 0) {
      x.ks.deleteSlot(t, slot);
      keyGone = true;
      break;
    }
  }
  x.out.int(removed);
  if (removed > 0) {
    notifyEvent(x, NOTIFY.zset, "zrem", x.s.db, key);
    if (keyGone) notifyEvent(x, NOTIFY.generic, "del", x.s.db, key);
    signalModified(x, x.s.db, key);
  }
}

// ---- ranges --------------------------------------------------------------------------------------
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const decimalShape = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** strtod over the C string of buf[start, end) as zslParseRange uses it; NaN when rejected. */
function strtodWhole(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (buf[i] === 0) end = i;
  while (start < end && isSpace(buf[start])) start++;
  if (start === end) return 0;
  const v = parseDouble(buf, start, end);
  if (v !== null) return v;
  const s = latin1(buf.subarray(start, end));
  if (decimalShape.test(s)) return Number(s);
  return NaN;
}

let rangeMin = 0;
let rangeMax = 0;
let rangeMinEx = false;
let rangeMaxEx = false;

function parseScoreRange(minArg: Uint8Array, maxArg: Uint8Array): boolean {
  rangeMinEx = minArg.length > 0 && minArg[0] === 0x28;
  rangeMin = strtodWhole(minArg, rangeMinEx ? 1 : 0, minArg.length);
  rangeMaxEx = maxArg.length > 0 && maxArg[0] === 0x28;
  rangeMax = strtodWhole(maxArg, rangeMaxEx ? 1 : 0, maxArg.length);
  return rangeMin === rangeMin && rangeMax === rangeMax;
}

function parseLexItem(arg: Uint8Array): LexBound | null {
  if (arg.length === 0) return null;
  const c = arg[0];
  if (c === 0x2b) return arg.length === 1 ? { kind: 3, bytes: arg } : null;
  if (c === 0x2d) return arg.length === 1 ? { kind: 0, bytes: arg } : null;
  if (c === 0x28) return { kind: 2, bytes: arg.slice(1) };
  if (c === 0x5b) return { kind: 1, bytes: arg.slice(1) };
  return null;
}

let lexMin: LexBound = { kind: 0, bytes: new Uint8Array(0) };
let lexMax: LexBound = { kind: 3, bytes: new Uint8Array(0) };

function parseLexRange(minArg: Uint8Array, maxArg: Uint8Array): boolean {
  const lo = parseLexItem(minArg);
  const hi = parseLexItem(maxArg);
  if (lo === null || hi === null) return false;
  lexMin = lo;
  lexMax = hi;
  return true;
}

// A resolved range: ranks [first, last] (0-based) in the direction of the walk; count = 0 if empty.
let rFirst = 0;
let rCount = 0;

/** Resolves the current score range to ranks; false when empty. */
function scoreRanks(a: Arena, d: number): boolean {
  const lo = zsFirstInScore(a, d, rangeMin, rangeMinEx);
  if (lo === 0) return false;
  const hi = zsLastInScore(a, d, rangeMax, rangeMaxEx);
  if (hi === 0) return false;
  const rl = zsRank(a, d, lo);
  const rh = zsRank(a, d, hi);
  if (rl > rh) return false;
  rFirst = rl;
  rCount = rh - rl + 1;
  return true;
}

/** Byte order of two lex bounds as Redis's sdscmplex ("-" below and "+" above everything). */
function cmpLexBounds(p: LexBound, q: LexBound): number {
  if (p.kind === q.kind && (p.kind === 0 || p.kind === 3)) return 0;
  if (p.kind === 0 || q.kind === 3) return -1;
  if (p.kind === 3 || q.kind === 0) return 1;
  return Buffer.compare(p.bytes, q.bytes);
}

/** zslIsInLexRange: the range is not empty and overlaps [first, last] at its ends. */
function lexRangeTouches(a: Arena, d: number): boolean {
  const c = cmpLexBounds(lexMin, lexMax);
  if (c > 0 || (c === 0 && (lexMin.kind === 2 || lexMax.kind === 2))) return false;
  const last = zsTail(a, d);
  if (last === 0 || !lexAboveMin(a, last, lexMin)) return false;
  return lexBelowMax(a, zsFirst(a, d), lexMax);
}

/**
 * First node of the lex range as Redis finds it: a linear scan for the listpack encoding, a skiplist
 * descent otherwise (the two agree when all scores are equal, the only case Redis specifies).
 */
function lexFirst(a: Arena, d: number, listpack: boolean): number {
  if (!lexRangeTouches(a, d)) return 0;
  let n: number;
  if (listpack) {
    n = zsFirst(a, d);
    while (n !== 0 && !lexAboveMin(a, n, lexMin)) n = nodeNext(a, n);
  } else n = zsFirstInLex(a, d, lexMin);
  return n !== 0 && lexBelowMax(a, n, lexMax) ? n : 0;
}

function lexLast(a: Arena, d: number, listpack: boolean): number {
  if (!lexRangeTouches(a, d)) return 0;
  let n: number;
  if (listpack) {
    n = zsTail(a, d);
    while (n !== 0 && !lexBelowMax(a, n, lexMax)) n = nodePrev(a, n);
  } else n = zsLastInLex(a, d, lexMax);
  return n !== 0 && lexAboveMin(a, n, lexMin) ? n : 0;
}

/** Nodes of a lex range walk (Redis's: skip `offset` unchecked, then take while inside the far bound). */
function lexWalk(a: Arena, d: number, listpack: boolean, reverse: boolean, offset: number, limit: number): number[] {
  const out: number[] = [];
  if (offset < 0 || (offset > 0 && offset >= zsLength(a, d))) return out;
  let n = reverse ? lexLast(a, d, listpack) : lexFirst(a, d, listpack);
  while (n !== 0 && offset-- > 0) n = reverse ? nodePrev(a, n) : nodeNext(a, n);
  while (n !== 0 && limit-- !== 0) {
    if (reverse ? !lexAboveMin(a, n, lexMin) : !lexBelowMax(a, n, lexMax)) break;
    out.push(n);
    n = reverse ? nodePrev(a, n) : nodeNext(a, n);
  }
  return out;
}

function lexCount(a: Arena, d: number, listpack: boolean): number {
  if (listpack) return lexWalk(a, d, true, false, 0, -1).length;
  const first = lexFirst(a, d, false);
  if (first === 0) return 0;
  let count = zsLength(a, d) - zsRank(a, d, first);
  const last = lexLast(a, d, false);
  if (last !== 0) count -= zsLength(a, d) - 1 - zsRank(a, d, last);
  return count;
}

function lexRanks(a: Arena, d: number): boolean {
  const lo = zsFirstInLex(a, d, lexMin);
  if (lo === 0) return false;
  const hi = zsLastInLex(a, d, lexMax);
  if (hi === 0) return false;
  const rl = zsRank(a, d, lo);
  const rh = zsRank(a, d, hi);
  if (rl > rh) return false;
  rFirst = rl;
  rCount = rh - rl + 1;
  return true;
}

/** Rank range [start, end] as Redis's Z*RANGE index arithmetic; false when empty. */
function indexRanks(len: number, start: number, end: number): boolean {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return false;
  if (end >= len) end = len - 1;
  rFirst = start;
  rCount = end - start + 1;
  return true;
}

const kindRank = 0;
const kindScore = 1;
const kindLex = 2;

/** Emits count members walking from node n (reverse: backwards), optionally with scores. */
function emitRange(x: Exec, a: Arena, n: number, count: number, reverse: boolean, withScores: boolean): void {
  const out = x.out;
  const pairs = withScores && out.resp === 3;
  out.arrayHeader(withScores && out.resp === 2 ? count * 2 : count);
  if (n > 0) {
    // Tree form: along the leaves (src/types/zset.ts leaf walks); scores from the leaves' copies.
    const u32 = a.u32;
    const f64 = a.f64;
    const u8 = a.u8;
    walkFrom(a, n);
    let leaf = walkLeaf();
    let pos = walkPos();
    for (let i = 0; i < count; i++) {
      if (pos < 0) {
        leaf = u32[leaf * 2 + 2];
        pos = u32[leaf * 2] - 1;
      } else if (pos >= u32[leaf * 2]) {
        leaf = u32[leaf * 2 + 3];
        pos = 0;
      }
      const r = u32[leaf * 2 + leafRecWord + pos];
      if (pairs) out.arrayHeader(2);
      const off = nodeMemberOff(a, r);
      out.bulkRange(u8, off, off + nodeMemberLen(a, r));
      if (withScores) out.double(f64[leaf + 2 + pos]);
      pos += reverse ? -1 : 1;
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    if (pairs) out.arrayHeader(2);
    replyMember(x, a, n);
    if (withScores) out.double(nodeScore(a, n));
    n = reverse ? nodePrev(a, n) : nodeNext(a, n);
  }
}

// Parsed options of the ZRANGE family (module fields: no object per command).
let optWithScores = false;
let optOffset = 0;
let optLimit = -1;
let optReverse = false;
let optKind = kindRank;

/**
 * Parses the ZRANGE family's options from argv[from..]; `kindPreset`/`revPreset` are what the
 * command name fixes (-1: not fixed). Writes the error and returns false on failure.
 */
function parseRangeOptions(x: Exec, argv: Uint8Array[], from: number, store: boolean, kindPreset: number, revPreset: boolean | null): boolean {
  optWithScores = false;
  optOffset = 0;
  optLimit = -1;
  let kind = kindPreset;
  let rev: boolean | null = revPreset;
  for (let j = from; j < argv.length; j++) {
    const o = argv[j];
    const left = argv.length - j - 1;
    if (!store && cstrEq(o, "withscores")) optWithScores = true;
    else if (cstrEq(o, "limit") && left >= 2) {
      const off = longArg(x, argv[j + 1]);
      if (off === null) return false;
      const lim = longArg(x, argv[j + 2]);
      if (lim === null) return false;
      optOffset = off;
      optLimit = lim;
      j += 2;
    } else if (rev === null && cstrEq(o, "rev")) rev = true;
    else if (kind === -1 && cstrEq(o, "bylex")) kind = kindLex;
    else if (kind === -1 && cstrEq(o, "byscore")) kind = kindScore;
    else {
      x.out.error(Err.syntax);
      return false;
    }
  }
  optReverse = rev === true;
  optKind = kind === -1 ? kindRank : kind;
  if (optLimit !== -1 && optKind === kindRank) {
    x.out.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (optWithScores && optKind === kindLex) {
    x.out.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  return true;
}

/** Parses the range arguments for optKind (swapped for reverse score/lex). */
function parseRangeArgs(x: Exec, minArg: Uint8Array, maxArg: Uint8Array): boolean {
  if (optReverse && optKind !== kindRank) {
    const tmp = minArg;
    minArg = maxArg;
    maxArg = tmp;
  }
  if (optKind === kindRank) {
    const s = longArg(x, minArg);
    if (s === null) return false;
    const e = longArg(x, maxArg);
    if (e === null) return false;
    rangeMin = s;
    rangeMax = e;
    return true;
  }
  if (optKind === kindScore) {
    if (!parseScoreRange(minArg, maxArg)) {
      x.out.error(errMinMaxFloat);
      return false;
    }
    return true;
  }
  if (!parseLexRange(minArg, maxArg)) {
    x.out.error(errLexRange);
    return false;
  }
  return true;
}

/**
 * Resolves the parsed range on (a, d) into the start node and count in walk order (rFirst = start
 * node's rank in walk order); false when empty.
 */
function resolveRange(a: Arena, d: number): boolean {
  const len = zsLength(a, d);
  if (optKind === kindRank) return indexRanks(len, rangeMin, rangeMax);
  if (optOffset > 0 && optOffset >= len) return false;
  const ok = optKind === kindScore ? scoreRanks(a, d) : lexRanks(a, d);
  if (!ok) return false;
  if (optOffset < 0) return false;
  if (optOffset >= rCount) return false;
  let count = rCount - optOffset;
  if (optLimit >= 0 && optLimit < count) count = optLimit;
  if (count === 0) return false;
  // Walk-order start: forward from rFirst + offset, reverse from the range's last rank - offset.
  if (optReverse) rFirst = rFirst + rCount - 1 - optOffset;
  else rFirst = rFirst + optOffset;
  rCount = count;
  return true;
}

/** Start node of a resolved range in walk order. */
function rangeStartNode(a: Arena, d: number): number {
  if (optKind === kindRank && optReverse) return zsAtRank(a, d, zsLength(a, d) - 1 - rFirst);
  return zsAtRank(a, d, rFirst);
}

function zrangeGeneric(x: Exec, argv: Uint8Array[], keyAt: number, kindPreset: number, revPreset: boolean | null): void {
  if (!parseRangeOptions(x, argv, keyAt + 3, false, kindPreset, revPreset)) return;
  if (!parseRangeArgs(x, argv[keyAt + 1], argv[keyAt + 2])) return;
  const slot = lookupZset(x, argv[keyAt]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.emptyArray();
    return;
  }
  const t = x.ks.t;
  const a = t.arena;
  const d = zsetDesc(t, slot);
  if (optKind === kindLex) {
    const nodes = lexWalk(a, d, t.encoding(slot) === ObjEnc.listpack, optReverse, optOffset, optLimit);
    x.out.arrayHeader(nodes.length);
    for (const n of nodes) replyMember(x, a, n);
    return;
  }
  if (!resolveRange(a, d)) {
    x.out.emptyArray();
    return;
  }
  emitRange(x, a, rangeStartNode(a, d), rCount, optReverse, optWithScores);
}

const zrangeCommand = (x: Exec, argv: Uint8Array[]) => zrangeGeneric(x, argv, 1, -1, null);
const zrevrangeCommand = (x: Exec, argv: Uint8Array[]) => zrangeGeneric(x, argv, 1, kindRank, true);
const zrangebyscoreCommand = (x: Exec, argv: Uint8Array[]) => zrangeGeneric(x, argv, 1, kindScore, false);
const zrevrangebyscoreCommand = (x: Exec, argv: Uint8Array[]) => zrangeGeneric(x, argv, 1, kindScore, true);
const zrangebylexCommand = (x: Exec, argv: Uint8Array[]) => zrangeGeneric(x, argv, 1, kindLex, false);
const zrevrangebylexCommand = (x: Exec, argv: Uint8Array[]) => zrangeGeneric(x, argv, 1, kindLex, true);

/** Collected (member, score) pairs: copies, for writes whose source and destination may coincide. */
interface Collected {
  members: Uint8Array[];
  scores: number[];
}

function collect(a: Arena, n: number, count: number, reverse: boolean): Collected {
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  for (let i = 0; i < count; i++) {
    const off = nodeMemberOff(a, n);
    members.push(a.u8.slice(off, off + nodeMemberLen(a, n)));
    scores.push(nodeScore(a, n));
    n = reverse ? nodePrev(a, n) : nodeNext(a, n);
  }
  return { members, scores };
}

/**
 * Replaces dst with a new zset of the given members (deleting it when empty). `listpack` says
 * which encoding label it starts with. Returns false on OOM (dst is then deleted).
 */
function storeResult(x: Exec, dst: Uint8Array, c: Collected, listpack: boolean): boolean {
  const ks = x.ks;
  const db = x.s.db;
  const old = ks.lookup(db, dst);
  const existed = old >= 0;
  if (existed) ks.deleteSlot(ks.t, old);
  if (c.members.length === 0) {
    if (existed) {
      signalModified(x, db, dst);
      notifyEvent(x, NOTIFY.generic, "del", db, dst);
    }
    return true;
  }
  const slot = createZset(x, dst, listpack);
  if (slot < 0) return false;
  const t = ks.t;
  const d = zsetDesc(t, slot);
  for (let i = 0; i < c.members.length; i++) {
    const m = c.members[i];
    noteInsert(x, t, slot, d, m.length);
    const score = t.encoding(slot) === ObjEnc.listpack ? c.scores[i] + 0 : c.scores[i];
    if (zsInsert(t.arena, d, score, m, 0, m.length) === 0) {
      ks.deleteSlot(t, slot);
      return false;
    }
  }
  signalModified(x, db, dst);
  signalReady(x, db, dst);
  return true;
}

function zrangestoreCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseRangeOptions(x, argv, 5, true, -1, null)) return;
  if (!parseRangeArgs(x, argv[3], argv[4])) return;
  const slot = lookupZset(x, argv[2]);
  if (slot === wrongTypeSlot) return;
  let c: Collected = { members: [], scores: [] };
  let hint = -1;
  if (slot >= 0) {
    const t = x.ks.t;
    const a = t.arena;
    const d = zsetDesc(t, slot);
    if (optKind === kindLex) {
      for (const n of lexWalk(a, d, t.encoding(slot) === ObjEnc.listpack, optReverse, optOffset, optLimit)) {
        const off = nodeMemberOff(a, n);
        c.members.push(a.u8.slice(off, off + nodeMemberLen(a, n)));
        c.scores.push(nodeScore(a, n));
      }
    } else if (resolveRange(a, d)) {
      c = collect(a, rangeStartNode(a, d), rCount, optReverse);
      if (optKind === kindRank) hint = rCount;
    } else if (optKind === kindRank) hint = 0;
  }
  const dst = argv[1];
  if (!storeResult(x, dst, c, hint <= x.cfg.zsetMaxListpackEntries)) {
    x.out.error(Err.oom);
    return;
  }
  if (c.members.length > 0) notifyEvent(x, NOTIFY.zset, "zrangestore", x.s.db, dst);
  x.out.int(c.members.length);
}

function zcountCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseScoreRange(argv[2], argv[3])) {
    x.out.error(errMinMaxFloat);
    return;
  }
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  x.out.int(scoreRanks(t.arena, zsetDesc(t, slot)) ? rCount : 0);
}

function zlexcountCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseLexRange(argv[2], argv[3])) {
    x.out.error(errLexRange);
    return;
  }
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  x.out.int(lexCount(t.arena, zsetDesc(t, slot), t.encoding(slot) === ObjEnc.listpack));
}

function zremrangeGeneric(x: Exec, argv: Uint8Array[], kind: number): void {
  const key = argv[1];
  if (kind === kindRank) {
    const s = longArg(x, argv[2]);
    if (s === null) return;
    const e = longArg(x, argv[3]);
    if (e === null) return;
    rangeMin = s;
    rangeMax = e;
  } else if (kind === kindScore) {
    if (!parseScoreRange(argv[2], argv[3])) {
      x.out.error(errMinMaxFloat);
      return;
    }
  } else if (!parseLexRange(argv[2], argv[3])) {
    x.out.error(errLexRange);
    return;
  }
  const slot = lookupZset(x, key);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  const a = t.arena;
  const d = zsetDesc(t, slot);
  if (kind === kindLex) {
    const nodes = lexWalk(a, d, t.encoding(slot) === ObjEnc.listpack, false, 0, -1);
    if (nodes.length === 0) {
      x.out.int(0);
      return;
    }
    // Compact handles shift on delete: remove by rank (the walk's nodes are consecutive).
    const first = zsRank(a, d, nodes[0]);
    for (let i = 0; i < nodes.length; i++) zsDelete(a, d, zsAtRank(a, d, first));
    rCount = nodes.length;
  } else {
    const ok = kind === kindRank ? indexRanks(zsLength(a, d), rangeMin, rangeMax) : scoreRanks(a, d);
    if (!ok) {
      x.out.int(0);
      return;
    }
    for (let i = 0; i < rCount; i++) zsDelete(a, d, zsAtRank(a, d, rFirst));
  }
  const gone = deleteIfEmpty(x, t, slot, d);
  const db = x.s.db;
  notifyEvent(x, NOTIFY.zset, kind === kindRank ? "zremrangebyrank" : kind === kindScore ? "zremrangebyscore" : "zremrangebylex", db, key);
  if (gone) notifyEvent(x, NOTIFY.generic, "del", db, key);
  signalModified(x, db, key);
  x.out.int(rCount);
}

// ---- pops ----------------------------------------------------------------------------------------
/**
 * Pops up to count members from the zset at slot (min or max end). Writes nothing; returns copies.
 * Deletes the key when it becomes empty and raises the write signals.
 */
function popFrom(x: Exec, key: Uint8Array, t: Table, slot: number, count: number, max: boolean): Collected {
  const a = t.arena;
  const d = zsetDesc(t, slot);
  const len = zsLength(a, d);
  if (count > len) count = len;
  const c = collect(a, max ? zsTail(a, d) : zsFirst(a, d), count, max);
  for (let i = 0; i < count; i++) zsDelete(a, d, max ? zsTail(a, d) : zsFirst(a, d));
  const gone = deleteIfEmpty(x, t, slot, d);
  const db = x.s.db;
  notifyEvent(x, NOTIFY.zset, max ? "zpopmax" : "zpopmin", db, key);
  if (gone) notifyEvent(x, NOTIFY.generic, "del", db, key);
  signalModified(x, db, key);
  return c;
}

function emitPairs(x: Exec, c: Collected, nested: boolean): void {
  const out = x.out;
  const n = c.members.length;
  out.arrayHeader(nested ? n : n * 2);
  for (let i = 0; i < n; i++) {
    if (nested) out.arrayHeader(2);
    out.bulk(c.members[i]);
    out.double(c.scores[i]);
  }
}

function zpopGeneric(x: Exec, argv: Uint8Array[], max: boolean): void {
  if (argv.length > 3) {
    x.out.error(Err.syntax);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const v = longArg(x, argv[2], "ERR value is out of range, must be positive");
    if (v === null) return;
    if (v < 0) {
      x.out.error("ERR value is out of range, must be positive");
      return;
    }
    count = v;
  }
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0 || count === 0) {
    x.out.emptyArray();
    return;
  }
  const c = popFrom(x, argv[1], x.ks.t, slot, count < 0 ? 1 : count, max);
  emitPairs(x, c, x.out.resp === 3 && count !== -1);
}

/** Parses `numkeys key... MIN|MAX [COUNT n]` from argv[at]; null after the error. */
function parseMpop(x: Exec, argv: Uint8Array[], at: number): { keys: Uint8Array[]; max: boolean; count: number } | null {
  const nk = longArg(x, argv[at], "ERR numkeys should be greater than 0");
  if (nk === null) return null;
  if (nk <= 0 || nk > argv.length - at - 1) {
    x.out.error(nk <= 0 ? "ERR numkeys should be greater than 0" : Err.syntax);
    return null;
  }
  const keys = argv.slice(at + 1, at + 1 + nk);
  let j = at + 1 + nk;
  if (j >= argv.length) {
    x.out.error(Err.syntax);
    return null;
  }
  let max: boolean;
  if (cstrEq(argv[j], "min")) max = false;
  else if (cstrEq(argv[j], "max")) max = true;
  else {
    x.out.error(Err.syntax);
    return null;
  }
  j++;
  let count = -1;
  for (; j < argv.length; j++) {
    if (count === -1 && cstrEq(argv[j], "count") && j + 1 < argv.length) {
      const v = longArg(x, argv[j + 1]);
      if (v === null) return null;
      if (v <= 0) {
        x.out.error("ERR count should be greater than 0");
        return null;
      }
      count = v;
      j++;
    } else {
      x.out.error(Err.syntax);
      return null;
    }
  }
  return { keys, max, count: count < 0 ? 1 : count };
}

/** ZMPOP's reply for the first non-empty key: true when it served one. */
function mpopServe(x: Exec, keys: Uint8Array[], max: boolean, count: number): boolean | null {
  for (const key of keys) {
    const slot = lookupZset(x, key);
    if (slot === wrongTypeSlot) return null;
    if (slot < 0) continue;
    const c = popFrom(x, key, x.ks.t, slot, count, max);
    x.out.arrayHeader(2);
    x.out.bulk(key);
    emitPairs(x, c, true);
    return true;
  }
  return false;
}

function zmpopCommand(x: Exec, argv: Uint8Array[]): void {
  const p = parseMpop(x, argv, 1);
  if (p === null) return;
  const r = mpopServe(x, p.keys, p.max, p.count);
  if (r === false) x.out.nullArray();
}

/** Parses a blocking timeout in seconds; returns the absolute deadline (0 = forever) or null. */
function timeoutArg(x: Exec, arg: Uint8Array): number | null {
  const v = parseDouble(arg, 0, arg.length);
  if (v === null || !Number.isFinite(v) || Math.abs(v) * 1000 > 9.2e18) {
    x.out.error("ERR timeout is not a float or out of range");
    return null;
  }
  if (v < 0) {
    x.out.error("ERR timeout is negative");
    return null;
  }
  const ms = Math.ceil(v * 1000);
  return ms === 0 ? 0 : Date.now() + ms;
}

function bzpopGeneric(x: Exec, argv: Uint8Array[], max: boolean): void | Promise<ReplyFn> {
  const deadline = timeoutArg(x, argv[argv.length - 1]);
  if (deadline === null) return;
  const keys = argv.slice(1, argv.length - 1);
  const serve = (y: Exec): boolean | null => {
    for (const key of keys) {
      const slot = lookupZset(y, key);
      if (slot === wrongTypeSlot) return null;
      if (slot < 0) continue;
      const c = popFrom(y, key, y.ks.t, slot, 1, max);
      y.out.arrayHeader(3);
      y.out.bulk(key);
      y.out.bulk(c.members[0]);
      y.out.double(c.scores[0]);
      return true;
    }
    return false;
  };
  const r = serve(x);
  if (r !== false) return;
  if (x.s.inExec) {
    x.out.nullArray();
    return;
  }
  const copies = keys.map((k) => k.slice());
  return block(x, {
    db: x.s.db,
    keys: copies,
    lockKeys: copies,
    deadlineMs: deadline,
    serve: (y: Exec, key: Uint8Array) => {
      const slot = y.ks.lookup(y.s.db, key);
      if (slot < 0 || y.ks.t.type(slot) !== ObjType.zset) return false;
      const c = popFrom(y, key, y.ks.t, slot, 1, max);
      y.out.arrayHeader(3);
      y.out.bulk(key);
      y.out.bulk(c.members[0]);
      y.out.double(c.scores[0]);
      return true;
    },
    timeout: (y: Exec) => y.out.nullArray(),
  });
}

function bzmpopCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  const deadline = timeoutArg(x, argv[1]);
  if (deadline === null) return;
  const p = parseMpop(x, argv, 2);
  if (p === null) return;
  const r = mpopServe(x, p.keys, p.max, p.count);
  if (r !== false) return;
  if (x.s.inExec) {
    x.out.nullArray();
    return;
  }
  const copies = p.keys.map((k) => k.slice());
  const { max, count } = p;
  return block(x, {
    db: x.s.db,
    keys: copies,
    lockKeys: copies,
    deadlineMs: deadline,
    serve: (y: Exec, key: Uint8Array) => {
      const slot = y.ks.lookup(y.s.db, key);
      if (slot < 0 || y.ks.t.type(slot) !== ObjType.zset) return false;
      const c = popFrom(y, key, y.ks.t, slot, count, max);
      y.out.arrayHeader(2);
      y.out.bulk(key);
      emitPairs(y, c, true);
      return true;
    },
    timeout: (y: Exec) => y.out.nullArray(),
  });
}

// ---- ZRANDMEMBER ---------------------------------------------------------------------------------
const longMax = 9223372036854775807n;

function zrandmemberCommand(x: Exec, argv: Uint8Array[]): void {
  if (argv.length > 4 || (argv.length === 4 && !cstrEq(argv[3], "withscores"))) {
    x.out.error(Err.syntax);
    return;
  }
  if (argv.length === 2) {
    const slot = lookupZset(x, argv[1]);
    if (slot === wrongTypeSlot) return;
    if (slot < 0) {
      x.out.nullBulk();
      return;
    }
    const t = x.ks.t;
    const d = zsetDesc(t, slot);
    replyMember(x, t.arena, zsAtRank(t.arena, d, Math.floor(Math.random() * zsLength(t.arena, d))));
    return;
  }
  const raw = parseInt64(argv[2], 0, argv[2].length);
  if (raw === null) {
    x.out.error(Err.notInt);
    return;
  }
  const big = BigInt(raw);
  if (big < -longMax) {
    x.out.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    return;
  }
  const withScores = argv.length === 4;
  if (withScores && (big < -longMax / 2n || big > longMax / 2n)) {
    x.out.error("ERR value is out of range");
    return;
  }
  const l = typeof raw === "bigint" ? (raw > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER) : raw;
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0 || l === 0) {
    x.out.emptyArray();
    return;
  }
  const t = x.ks.t;
  const a = t.arena;
  const d = zsetDesc(t, slot);
  const len = zsLength(a, d);
  const out = x.out;
  const pairs = withScores && out.resp === 3;
  const emit = (n: number) => {
    if (pairs) out.arrayHeader(2);
    replyMember(x, a, n);
    if (withScores) out.double(nodeScore(a, n));
  };
  if (l < 0) {
    const count = -l;
    out.arrayHeader(withScores && out.resp === 2 ? count * 2 : count);
    for (let i = 0; i < count; i++) emit(zsAtRank(a, d, Math.floor(Math.random() * len)));
    return;
  }
  const count = Math.min(l, len);
  out.arrayHeader(withScores && out.resp === 2 ? count * 2 : count);
  if (count === len) {
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) emit(n);
    return;
  }
  // Distinct ranks: a partial Fisher-Yates over a sparse map of swapped positions.
  const swapped = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (len - i));
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    emit(zsAtRank(a, d, vj));
  }
}

// ---- ZSCAN ---------------------------------------------------------------------------------------
function zscanCommand(x: Exec, argv: Uint8Array[]): void {
  const cursor = parseScanCursor(argv[2]);
  if (cursor === null) {
    x.out.error("ERR invalid cursor");
    return;
  }
  let count = 10;
  let pattern: Uint8Array | null = null;
  for (let i = 3; i < argv.length; i += 2) {
    const o = argv[i];
    if (cstrEq(o, "count") && i + 1 < argv.length) {
      const v = parseInt64(argv[i + 1], 0, argv[i + 1].length);
      if (v === null) {
        x.out.error(Err.notInt);
        return;
      }
      if (v < 1) {
        x.out.error(Err.syntax);
        return;
      }
      count = typeof v === "bigint" ? Number.MAX_SAFE_INTEGER : v;
    } else if (cstrEq(o, "match") && i + 1 < argv.length) {
      const p = argv[i + 1];
      pattern = p.length === 1 && p[0] === 0x2a ? null : p;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const slot = lookupZset(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  const out = x.out;
  if (slot < 0) {
    out.arrayHeader(2);
    out.bulkString("0");
    out.emptyArray();
    return;
  }
  const t = x.ks.t;
  const a = t.arena;
  const d = zsetDesc(t, slot);
  const found: number[] = [];
  let next = 0;
  if (t.encoding(slot) === ObjEnc.listpack) {
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) found.push(n);
  } else {
    next = scanIndex(a, d, typeof cursor === "bigint" ? Number(cursor & 0xffffffffn) : cursor, count, found);
  }
  const kept: number[] = [];
  for (const n of found) {
    if (pattern !== null) {
      const off = nodeMemberOff(a, n);
      if (!stringMatchRange(pattern, 0, pattern.length, a.u8, off, off + nodeMemberLen(a, n))) continue;
    }
    kept.push(n);
  }
  out.arrayHeader(2);
  out.bulkString(String(next));
  out.arrayHeader(kept.length * 2);
  for (const n of kept) {
    replyMember(x, a, n);
    out.double(nodeScore(a, n));
  }
}

/**
 * Visits home buckets of the member index in reverse-binary order (as Table.scanStep does), so a
 * member present for the whole scan is returned even if the index grows in between.
 */
function scanIndex(a: Arena, d: number, cursor: number, count: number, found: number[]): number {
  const u32 = a.u32;
  if (u32[d * 2 + 4] === 0) {
    // A small set has no index: one call returns it all, as Redis does for a listpack.
    for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) found.push(n);
    return 0;
  }
  const base = u32[d * 2 + 4] * 2;
  const capLog2 = u32[d * 2 + 5];
  const mask = (1 << capLog2) - 1;
  let v = cursor;
  let steps = 0;
  do {
    const b = v & mask;
    let s = b;
    for (;;) {
      const n = u32[base + s];
      if (n === 0) break;
      if ((u32[n * 2 + 5] & mask) === b) found.push(n);
      s = (s + 1) & mask;
      if (s === b) break;
    }
    v = (v | ~mask) >>> 0;
    v = reverseBits32(v);
    v = (v + 1) >>> 0;
    v = reverseBits32(v) >>> 0;
    v &= mask;
    steps++;
  } while (v !== 0 && steps < count * 10 && found.length < count); // Redis's bound: 10 x COUNT buckets
  return v;
}

function reverseBits32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

// ---- set algebra ---------------------------------------------------------------------------------
const opUnion = 0;
const opInter = 1;
const opDiff = 2;
const aggSum = 0;
const aggMin = 1;
const aggMax = 2;

/** An input read into JS: members (latin1 strings, as map keys) with scores. */
type Input = Map<string, number> | null;

/** Reads a zset or set key as member -> score (sets score 1); null when missing; undefined on WRONGTYPE. */
function readInput(x: Exec, key: Uint8Array): Input | undefined {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot < 0) return null;
  const t = x.ks.t;
  const type = t.type(slot);
  const m = new Map<string, number>();
  if (type === ObjType.zset) {
    const a = t.arena;
    for (let n = zsFirst(a, zsetDesc(t, slot)); n !== 0; n = nodeNext(a, n)) {
      const off = nodeMemberOff(a, n);
      m.set(latin1(a.u8.subarray(off, off + nodeMemberLen(a, n))), nodeScore(a, n));
    }
    return m;
  }
  if (type === ObjType.set) {
    setForEach(t, slot, (u8, off, len) => m.set(latin1(u8.subarray(off, off + len)), 1));
    return m;
  }
  x.out.error(Err.wrongType);
  return undefined;
}

function aggregate(agg: number, acc: number, v: number): number {
  if (agg === aggSum) {
    const s = acc + v;
    return s !== s ? 0 : s;
  }
  if (agg === aggMin) return v < acc ? v : acc;
  return v > acc ? v : acc;
}

const cmpResult = (p: [string, number], q: [string, number]) => (p[1] !== q[1] ? (p[1] < q[1] ? -1 : 1) : p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0);

/**
 * ZUNION/ZINTER/ZDIFF[STORE]: `dst` null for the reply forms. Reply forms accept WITHSCORES;
 * ZDIFF takes no WEIGHTS/AGGREGATE.
 */
function zsetOpGeneric(x: Exec, argv: Uint8Array[], numkeysAt: number, dst: Uint8Array | null, op: number): void {
  const name = latin1(argv[0]).toLowerCase();
  const nk = longArg(x, argv[numkeysAt]);
  if (nk === null) return;
  if (nk < 1) {
    x.out.error(`ERR at least 1 input key is needed for '${name}' command`);
    return;
  }
  if (nk > argv.length - numkeysAt - 1) {
    x.out.error(Err.syntax);
    return;
  }
  // Redis reads (and type-checks) every input before it parses WEIGHTS and AGGREGATE.
  const inputs = readInputs(x, argv.slice(numkeysAt + 1, numkeysAt + 1 + nk));
  if (inputs === undefined) return;
  const weights = new Array<number>(nk).fill(1);
  let agg = aggSum;
  let withScores = false;
  for (let j = numkeysAt + 1 + nk; j < argv.length; j++) {
    const left = argv.length - j - 1;
    if (op !== opDiff && cstrEq(argv[j], "weights") && left >= nk) {
      for (let i = 0; i < nk; i++) {
        const w = argv[j + 1 + i];
        const v = parseDouble(w, 0, w.length);
        if (v === null) {
          x.out.error("ERR weight value is not a float");
          return;
        }
        weights[i] = v;
      }
      j += nk;
    } else if (op !== opDiff && cstrEq(argv[j], "aggregate") && left >= 1) {
      const a = argv[j + 1];
      if (cstrEq(a, "sum")) agg = aggSum;
      else if (cstrEq(a, "min")) agg = aggMin;
      else if (cstrEq(a, "max")) agg = aggMax;
      else {
        x.out.error(Err.syntax);
        return;
      }
      j++;
    } else if (dst === null && cstrEq(argv[j], "withscores")) {
      withScores = true;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const result = computeOp(inputs, weights, agg, op);
  const entries = [...result.entries()];
  entries.sort(cmpResult);
  if (dst === null) {
    const out = x.out;
    const pairs = withScores && out.resp === 3;
    out.arrayHeader(withScores && out.resp === 2 ? entries.length * 2 : entries.length);
    for (const [m, s] of entries) {
      if (pairs) out.arrayHeader(2);
      out.bulk(latin1Bytes(m));
      if (withScores) out.double(s);
    }
    return;
  }
  let maxLen = 0;
  const c: Collected = { members: [], scores: [] };
  for (const [m, s] of entries) {
    c.members.push(latin1Bytes(m));
    c.scores.push(s);
    if (m.length > maxLen) maxLen = m.length;
  }
  const listpack = entries.length <= x.cfg.zsetMaxListpackEntries && maxLen <= x.cfg.zsetMaxListpackValue;
  if (!storeResult(x, dst, c, listpack)) {
    x.out.error(Err.oom);
    return;
  }
  if (entries.length > 0) notifyEvent(x, NOTIFY.zset, op === opUnion ? "zunionstore" : op === opInter ? "zinterstore" : "zdiffstore", x.s.db, dst);
  x.out.int(entries.length);
}

/** The result of the operation as member -> score; undefined after WRONGTYPE. */
function readInputs(x: Exec, keys: Uint8Array[]): Input[] | undefined {
  const inputs: Input[] = [];
  for (const k of keys) {
    const inp = readInput(x, k);
    if (inp === undefined) return undefined;
    inputs.push(inp);
  }
  return inputs;
}

function computeOp(inputs: Input[], weights: number[], agg: number, op: number): Map<string, number> {
  const result = new Map<string, number>();
  const weighted = (v: number, w: number) => {
    const s = v * w;
    return s !== s ? 0 : s;
  };
  if (op === opUnion) {
    // Smallest inputs first, as Redis orders them: visible in float sums, which are not associative.
    const order = inputs.map((_, i) => i).sort((p, q) => (inputs[p]?.size ?? 0) - (inputs[q]?.size ?? 0));
    for (const i of order) {
      const inp = inputs[i];
      if (inp === null) continue;
      for (const [m, s] of inp) {
        const v = weighted(s, weights[i]);
        const cur = result.get(m);
        result.set(m, cur === undefined ? v : aggregate(agg, cur, v));
      }
    }
  } else if (op === opInter) {
    if (inputs.some((i) => i === null)) return result;
    const order = inputs.map((_, i) => i).sort((p, q) => inputs[p]!.size - inputs[q]!.size);
    const first = order[0];
    for (const [m, s] of inputs[first]!) {
      let acc = weighted(s, weights[first]);
      let all = true;
      for (let k = 1; k < order.length; k++) {
        const i = order[k];
        const v = inputs[i]!.get(m);
        if (v === undefined) {
          all = false;
          break;
        }
        // Unlike the first input's, a NaN product here is left to aggregate (a sum becomes 0).
        acc = aggregate(agg, acc, v * weights[i]);
      }
      if (all) result.set(m, acc);
    }
  } else {
    const base = inputs[0];
    if (base === null) return result;
    for (const [m, s] of base) {
      let present = false;
      for (let i = 1; i < inputs.length && !present; i++) present = inputs[i]?.has(m) ?? false;
      if (!present) result.set(m, s);
    }
  }
  return result;
}

function zintercardCommand(x: Exec, argv: Uint8Array[]): void {
  const nk = longArg(x, argv[1]);
  if (nk === null) return;
  if (nk < 1) {
    x.out.error("ERR at least 1 input key is needed for 'zintercard' command");
    return;
  }
  if (nk > argv.length - 2) {
    x.out.error(Err.syntax);
    return;
  }
  const inputs = readInputs(x, argv.slice(2, 2 + nk));
  if (inputs === undefined) return;
  let limit = 0;
  for (let j = 2 + nk; j < argv.length; j++) {
    if (cstrEq(argv[j], "limit") && j + 1 < argv.length) {
      const v = longArg(x, argv[j + 1], "ERR LIMIT can't be negative");
      if (v === null) return;
      if (v < 0) {
        x.out.error("ERR LIMIT can't be negative");
        return;
      }
      limit = v;
      j++;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const r = computeOp(inputs, new Array<number>(nk).fill(1), aggSum, opInter);
  x.out.int(limit > 0 && r.size > limit ? limit : r.size);
}


// ---- lex/score helpers exported for geo.ts --------------------------------------------------------
export { lookupZset, wrongTypeSlot, lexAboveMin, lexBelowMax };

const zunionKeys = (argv: Uint8Array[]) => numkeysKeys(argv, 1, 0);
const zstoreKeys = (argv: Uint8Array[]) => numkeysKeys(argv, 2, 1);

/** Key indexes of `numkeys key...` commands (plus a destination at `dstAt` when > 0). */
function numkeysKeys(argv: Uint8Array[], at: number, dstAt: number): number[] {
  const out: number[] = dstAt > 0 ? [dstAt] : [];
  if (argv.length <= at) return out;
  const v = parseInt64(argv[at], 0, argv[at].length);
  if (typeof v !== "number" || v < 1) return out;
  for (let i = 0; i < v && at + 1 + i < argv.length; i++) out.push(at + 1 + i);
  return out;
}

const ro = "readonly";
export const zsetCommands: CommandSpec[] = [
  cmd("zadd", -4, "write denyoom fast", 1, 1, 1, "@write @sortedset @fast", zaddCommand),
  cmd("zincrby", 4, "write denyoom fast", 1, 1, 1, "@write @sortedset @fast", zincrbyCommand),
  cmd("zrem", -3, "write fast", 1, 1, 1, "@write @sortedset @fast", zremCommand),
  cmd("zcard", 2, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", zcardCommand),
  cmd("zscore", 3, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", zscoreCommand),
  cmd("zmscore", -3, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", zmscoreCommand),
  cmd("zrank", 3, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", (x, a) => zrankGeneric(x, a, false)),
  cmd("zrevrank", 3, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", (x, a) => zrankGeneric(x, a, true)),
  cmd("zcount", 4, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", zcountCommand),
  cmd("zlexcount", 4, `${ro} fast`, 1, 1, 1, "@read @sortedset @fast", zlexcountCommand),
  cmd("zrange", -4, ro, 1, 1, 1, "@read @sortedset @slow", zrangeCommand),
  cmd("zrangestore", -5, "write denyoom", 1, 2, 1, "@write @sortedset @slow", zrangestoreCommand),
  cmd("zrangebyscore", -4, ro, 1, 1, 1, "@read @sortedset @slow", zrangebyscoreCommand),
  cmd("zrevrangebyscore", -4, ro, 1, 1, 1, "@read @sortedset @slow", zrevrangebyscoreCommand),
  cmd("zrangebylex", -4, ro, 1, 1, 1, "@read @sortedset @slow", zrangebylexCommand),
  cmd("zrevrangebylex", -4, ro, 1, 1, 1, "@read @sortedset @slow", zrevrangebylexCommand),
  cmd("zrevrange", -4, ro, 1, 1, 1, "@read @sortedset @slow", zrevrangeCommand),
  cmd("zremrangebyrank", 4, "write", 1, 1, 1, "@write @sortedset @slow", (x, a) => zremrangeGeneric(x, a, kindRank)),
  cmd("zremrangebyscore", 4, "write", 1, 1, 1, "@write @sortedset @slow", (x, a) => zremrangeGeneric(x, a, kindScore)),
  cmd("zremrangebylex", 4, "write", 1, 1, 1, "@write @sortedset @slow", (x, a) => zremrangeGeneric(x, a, kindLex)),
  cmd("zpopmin", -2, "write fast", 1, 1, 1, "@write @sortedset @fast", (x, a) => zpopGeneric(x, a, false)),
  cmd("zpopmax", -2, "write fast", 1, 1, 1, "@write @sortedset @fast", (x, a) => zpopGeneric(x, a, true)),
  cmd("zmpop", -4, "write movablekeys", 0, 0, 0, "@write @sortedset @slow", zmpopCommand, { keyIndexes: zunionKeys }),
  cmd("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1, "@write @sortedset @fast @blocking", (x, a) => bzpopGeneric(x, a, false)),
  cmd("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1, "@write @sortedset @fast @blocking", (x, a) => bzpopGeneric(x, a, true)),
  cmd("bzmpop", -5, "write blocking movablekeys", 0, 0, 0, "@write @sortedset @slow @blocking", bzmpopCommand, { keyIndexes: (argv) => numkeysKeys(argv, 2, 0) }),
  cmd("zrandmember", -2, ro, 1, 1, 1, "@read @sortedset @slow", zrandmemberCommand),
  cmd("zunion", -3, `${ro} movablekeys`, 0, 0, 0, "@read @sortedset @slow", (x, a) => zsetOpGeneric(x, a, 1, null, opUnion), { keyIndexes: zunionKeys }),
  cmd("zinter", -3, `${ro} movablekeys`, 0, 0, 0, "@read @sortedset @slow", (x, a) => zsetOpGeneric(x, a, 1, null, opInter), { keyIndexes: zunionKeys }),
  cmd("zdiff", -3, `${ro} movablekeys`, 0, 0, 0, "@read @sortedset @slow", (x, a) => zsetOpGeneric(x, a, 1, null, opDiff), { keyIndexes: zunionKeys }),
  cmd("zunionstore", -4, "write denyoom movablekeys", 1, 1, 1, "@write @sortedset @slow", (x, a) => zsetOpGeneric(x, a, 2, a[1], opUnion), { keyIndexes: zstoreKeys }),
  cmd("zinterstore", -4, "write denyoom movablekeys", 1, 1, 1, "@write @sortedset @slow", (x, a) => zsetOpGeneric(x, a, 2, a[1], opInter), { keyIndexes: zstoreKeys }),
  cmd("zdiffstore", -4, "write denyoom movablekeys", 1, 1, 1, "@write @sortedset @slow", (x, a) => zsetOpGeneric(x, a, 2, a[1], opDiff), { keyIndexes: zstoreKeys }),
  cmd("zintercard", -3, `${ro} movablekeys`, 0, 0, 0, "@read @sortedset @slow", zintercardCommand, { keyIndexes: zunionKeys }),
  cmd("zscan", -3, ro, 1, 1, 1, "@read @sortedset @slow", zscanCommand),
];
