// Stream commands (XADD ... XSETID) over the arena structure in src/types/stream.ts.
//
// Replies, error strings and the order of argument checks are Redis 7.0's (checked against
// redis-server): e.g. XADD parses its options and ID before looking at the key, XACK looks up the
// group before parsing IDs, XDEL looks up the key first. IDs are parsed as Redis does: "ms-seq" or
// "ms", each part a u64 that accepts what string2ll or strtoull accept ("007", " 7", "+7" but not
// "-1"), "-" and "+" where ranges allow them, "(" for exclusive range bounds, "ms-*" in XADD.
// Unlike other collections, an empty stream is kept (XDEL/XTRIM never delete the key).
// Times (delivery, seen) use the command clock x.now.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { Err, latin1, bytesEqual } from "./util.ts";
import { NOTIFY } from "../config.ts";
import { notifyEvent, setEffect, signalModified, signalReady, wantsEffect } from "../server/signals.ts";
import { block, type BlockRequest } from "../server/blocking.ts";
import type { Arena } from "../keyspace/arena.ts";
import {
  StreamId, StreamIter, cmpId, consumerAt, consumerCount, consumerCreate, consumerDelete, consumerFind,
  consumerName, consumerPending, consumerPelId, consumerPelSearch, consumerSeen, entriesAdded, visitEntryFields, firstRecordedId,
  groupAt, groupCount, groupCreate, groupDestroy, groupEntriesRead, groupFind, groupLastId, groupName,
  headerOf, lastId, maxDeletedId, nodeCount, pelConsumer, pelCount, pelDeliveries, pelId,
  pelInsert, pelRec, pelRemove, pelSearch, pelSetConsumer, pelSetDeliveries, pelSetTime, pelTime, pelIncrDeliveries,
  setConsumerSeen, setEntriesAdded, setGroupEntriesRead, setGroupLastId, setLastId, setMaxDeletedId,
  streamAppend, streamCreate, streamDelete, streamLength, streamTrim, streamValueBytes, writeHeaderRef,
  streamHeaderBytes,
} from "../types/stream.ts";

const errInvalidId = "ERR Invalid stream ID specified as stream command argument";
const errNoKey = "ERR no such key";

// ---- ID parsing -------------------------------------------------------------------------------------

let pH = 0;
let pL = 0;

/** u64 text as Redis's string2ull: string2ll (non-negative), else strtoull. Sets pH/pL. */
function parseU64(b: Uint8Array, from: number, to: number): boolean {
  if (from >= to) return false;
  // strtoull: optional leading whitespace, sign, at least one digit, nothing after.
  let i = from;
  while (i < to && (b[i] === 32 || (b[i] >= 9 && b[i] <= 13))) i++;
  let neg = false;
  if (i < to && (b[i] === 43 || b[i] === 45)) {
    neg = b[i] === 45;
    i++;
  }
  if (i >= to) return false;
  let hi = 0;
  let lo = 0;
  for (; i < to; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return false;
    const l = lo * 10 + d;
    const carry = Math.floor(l / 4294967296);
    lo = l - carry * 4294967296;
    hi = hi * 10 + carry;
    if (hi > 0xffffffff) return false;
  }
  if (neg) {
    // string2ll accepts a canonical negative number and string2ull then rejects it; any other
    // negative text goes to strtoull, which negates modulo 2^64.
    const canonical = b[from] === 45 && to - from >= 2 && b[from + 1] >= 49 && b[from + 1] <= 57 && (hi < 0x80000000);
    if (canonical) return false;
    if (hi !== 0 || lo !== 0) {
      lo = 4294967296 - lo;
      hi = 0xffffffff - hi;
      if (lo === 4294967296) {
        lo = 0;
        hi++;
      }
    }
  }
  pH = hi;
  pL = lo;
  return true;
}

let seqGiven = true;

/**
 * streamGenericParseIDOrReply: parses arg[from..] into id. missingSeqMax: a bare "ms" gets seq
 * u64 max (range ends) instead of 0. strict rejects "-" and "+". allowSeqStar accepts "ms-*"
 * (XADD; then seqGiven is false). Writes the error (when x is given) and returns false if invalid.
 */
function parseId(x: Exec | null, arg: Uint8Array, id: StreamId, missingSeqMax: boolean, strict: boolean, allowSeqStar: boolean, from = 0): boolean {
  let end = arg.length;
  for (let i = from; i < end; i++) if (arg[i] === 0) end = i;
  seqGiven = true;
  if (end - from > 127) return invalidId(x);
  if (end - from === 1 && (arg[from] === 45 || arg[from] === 43)) {
    if (strict) return invalidId(x);
    if (arg[from] === 45) id.set(0, 0, 0, 0);
    else id.setMax();
    return true;
  }
  let dash = -1;
  for (let i = from; i < end; i++) {
    if (arg[i] === 45) {
      dash = i;
      break;
    }
  }
  if (!parseU64(arg, from, dash < 0 ? end : dash)) return invalidId(x);
  const msH = pH;
  const msL = pL;
  if (dash < 0) {
    if (missingSeqMax) id.set(msH, msL, 0xffffffff, 0xffffffff);
    else id.set(msH, msL, 0, 0);
    return true;
  }
  if (allowSeqStar && end - dash === 2 && arg[dash + 1] === 42) {
    seqGiven = false;
    id.set(msH, msL, 0, 0);
    return true;
  }
  if (!parseU64(arg, dash + 1, end)) return invalidId(x);
  id.set(msH, msL, pH, pL);
  return true;
}

function invalidId(x: Exec | null): boolean {
  if (x !== null) x.out.error(errInvalidId);
  return false;
}

let exclusive = false;
/** streamParseIntervalIDOrReply: "(" prefix marks an exclusive bound (then parsed strictly). */
function parseRangeId(x: Exec, arg: Uint8Array, id: StreamId, missingSeqMax: boolean): boolean {
  exclusive = false;
  if (arg.length > 1 && arg[0] === 40) {
    exclusive = true;
    return parseId(x, arg, id, missingSeqMax, true, false, 1);
  }
  return parseId(x, arg, id, missingSeqMax, false, false);
}

/** The one-character argument c (C string compare: cut at NUL). */
function isChar(arg: Uint8Array, c: number): boolean {
  return arg.length >= 1 && arg[0] === c && (arg.length === 1 || arg[1] === 0);
}

/** Option word compare as Redis's strcasecmp (the argument is cut at its first NUL). */
function isOpt(arg: Uint8Array, lower: string): boolean {
  const n = lower.length;
  if (arg.length < n || (arg.length > n && arg[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** int64 argument (clamped to the safe range), or null after writing err. */
function llArg(x: Exec, arg: Uint8Array, err: string = Err.notInt): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(err);
    return null;
  }
  if (typeof v === "bigint") return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return v;
}

// ---- lookups and replies ------------------------------------------------------------------------------

const wrongType = -1;

/** Header address of the stream at key, 0 when missing, wrongType after replying WRONGTYPE. */
function lookupStream(x: Exec, key: Uint8Array): number {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot < 0) return 0;
  const t = x.ks.t;
  if (t.type(slot) !== ObjType.stream) {
    x.out.error(Err.wrongType);
    return wrongType;
  }
  return headerOf(t.arena.u8, t.valueOffset(slot));
}

/** Creates an empty stream at key (missing); header address or 0 when out of memory. */
function createStream(x: Exec, key: Uint8Array): number {
  const ks = x.ks;
  const t = ks.route(key);
  const h = streamCreate(t.arena);
  if (h === 0) return 0;
  const slot = ks.insert(x.s.db, key, streamValueBytes, ObjType.stream, ObjEnc.stream, 0);
  if (slot < 0) {
    t.arena.free(h, streamHeaderBytes);
    return 0;
  }
  writeHeaderRef(t.arena.u8, t.valueOffset(slot), h);
  return h;
}

function deleteKey(x: Exec, key: Uint8Array): void {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot >= 0) x.ks.deleteSlot(x.ks.t, slot);
}

function decimalLen(n: number): number {
  let len = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    len++;
  }
  return len;
}

/** Writes n's decimal digits ending just before `end` in buf. */
function putDecimal(buf: Uint8Array, end: number, n: number): void {
  do {
    const q = Math.floor(n / 10);
    buf[--end] = 48 + n - q * 10;
    n = q;
  } while (n > 0);
}

/** Bulk string "ms-seq", written straight into the reply buffer (no string per reply). */
function replyId(x: Exec, id: StreamId): void {
  if (id.msH >= 0x200000 || id.sH >= 0x200000) {
    x.out.bulkString(id.toString()); // beyond 2^53: exact through BigInt
    return;
  }
  const ms = id.msH * 4294967296 + id.msL;
  const seq = id.sH * 4294967296 + id.sL;
  const lm = decimalLen(ms);
  const n = lm + 1 + decimalLen(seq);
  const out = x.out;
  out.ensure(n + 8);
  const buf = out.buf;
  let o = out.len;
  buf[o++] = 36; // $
  if (n >= 10) buf[o++] = 48 + Math.floor(n / 10);
  buf[o++] = 48 + (n % 10);
  buf[o++] = 13;
  buf[o++] = 10;
  putDecimal(buf, o + lm, ms);
  buf[o + lm] = 45; // -
  putDecimal(buf, o + n, seq);
  o += n;
  buf[o++] = 13;
  buf[o++] = 10;
  out.len = o;
}

/** Writes each field and value into the running command's reply (one object: no closure per entry). */
const replySink = {
  x: null as Exec | null,
  field(u8: Uint8Array, start: number, end: number): void {
    this.x!.out.bulkRange(u8, start, end);
  },
};

/** [id, [field, value, ...]] of the iterator's current entry. */
function replyEntry(x: Exec, _a: Arena, cur: StreamIter): void {
  const out = x.out;
  out.arrayHeader(2);
  replyId(x, cur.id);
  out.arrayHeader(cur.fieldCount() * 2);
  replySink.x = x;
  visitEntryFields(cur, replySink);
}

const it = new StreamIter();
const it2 = new StreamIter();
const idA = new StreamId();
const idB = new StreamId();
const idC = new StreamId();
const idMin = new StreamId();
const idMax = new StreamId().setMax();

/** Rewrites the "*0\r\n" (or "%0\r\n") written at headerAt into the count n (moving the body). */
function patchHeader(x: Exec, headerAt: number, bodyAt: number, n: number, map = false): void {
  const out = x.out;
  if (n === 0) return;
  const s = `${map ? "%" : "*"}${n}\r\n`;
  const grow = s.length - (bodyAt - headerAt);
  if (grow > 0) {
    out.ensure(grow);
    out.buf.copyWithin(bodyAt + grow, bodyAt, out.len);
    out.len += grow;
  }
  for (let i = 0; i < s.length; i++) out.buf[headerAt + i] = s.charCodeAt(i);
}

/** Replies entries start..end (count 0 = all) as an array; returns how many. */
function replyRange(x: Exec, a: Arena, h: number, start: StreamId, end: StreamId, count: number, rev: boolean): number {
  const out = x.out;
  const headerAt = out.len;
  out.arrayHeader(0);
  const bodyAt = out.len;
  let n = 0;
  it.init(a, h, start, end, rev);
  while ((count === 0 || n < count) && it.next()) {
    replyEntry(x, a, it);
    n++;
  }
  patchHeader(x, headerAt, bodyAt, n);
  return n;
}

/** The ID of the last live entry (0-0 when empty): streamLastValidID. */
function lastValidId(a: Arena, h: number, id: StreamId): StreamId {
  it2.init(a, h, idMin, idMax, true);
  if (it2.next()) return id.copy(it2.id);
  return id.set(0, 0, 0, 0);
}

function entryExists(a: Arena, h: number, id: StreamId): boolean {
  it2.init(a, h, id, id, false);
  return it2.next();
}

function replyCount(x: Exec, n: number | bigint): void {
  if (typeof n === "bigint") x.out.bigint(n);
  else x.out.int(n);
}

function written(x: Exec, key: Uint8Array, event: string): void {
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.stream, event, x.s.db, key);
}

// ---- XADD / XTRIM ---------------------------------------------------------------------------------------

const trimNone = 0;
const trimMaxLen = 1;
const trimMinId = 2;
let trimStrategy = trimNone;
let trimApprox = false;
let trimMaxLenArg = 0;
let trimLimit = 0;
const trimMinIdArg = new StreamId();
let addNoMkStream = false;
let addIdGiven = false;
let addSeqGiven = true;
const addId = new StreamId();
let addFieldPos = 0;

const errMaxLenMinId = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

/** streamParseAddOrTrimArgsOrReply: options of XADD (xadd) or XTRIM from argv[2]. */
function parseAddOrTrim(x: Exec, argv: Uint8Array[], xadd: boolean): boolean {
  trimStrategy = trimNone;
  trimApprox = false;
  trimLimit = -1;
  addNoMkStream = false;
  addIdGiven = false;
  addSeqGiven = true;
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const moreargs = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && isChar(opt, 42)) break;
    if (isOpt(opt, "maxlen") && moreargs > 0) {
      if (trimStrategy !== trimNone) {
        x.out.error(errMaxLenMinId);
        return false;
      }
      trimApprox = false;
      const next = argv[i + 1];
      if (moreargs >= 2 && isChar(next, 126)) {
        trimApprox = true;
        i++;
      } else if (moreargs >= 2 && isChar(next, 61)) i++;
      const v = llArg(x, argv[i + 1]);
      if (v === null) return false;
      if (v < 0) {
        x.out.error("ERR The MAXLEN argument must be >= 0.");
        return false;
      }
      trimMaxLenArg = v;
      i++;
      trimStrategy = trimMaxLen;
    } else if (isOpt(opt, "minid") && moreargs > 0) {
      if (trimStrategy !== trimNone) {
        x.out.error(errMaxLenMinId);
        return false;
      }
      trimApprox = false;
      const next = argv[i + 1];
      if (moreargs >= 2 && isChar(next, 126)) {
        trimApprox = true;
        i++;
      } else if (moreargs >= 2 && isChar(next, 61)) i++;
      if (!parseId(x, argv[i + 1], trimMinIdArg, false, true, false)) return false;
      i++;
      trimStrategy = trimMinId;
    } else if (isOpt(opt, "limit") && moreargs > 0) {
      const v = llArg(x, argv[i + 1]);
      if (v === null) return false;
      if (v < 0) {
        x.out.error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      trimLimit = v;
      limitGiven = true;
      i++;
    } else if (xadd && isOpt(opt, "nomkstream")) {
      addNoMkStream = true;
    } else if (xadd) {
      if (!parseId(x, opt, addId, false, true, true)) return false;
      addSeqGiven = seqGiven;
      addIdGiven = true;
      break;
    } else {
      x.out.error(Err.syntax);
      return false;
    }
  }
  addFieldPos = i + 1;
  if (limitGiven && trimStrategy === trimNone) {
    x.out.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && trimStrategy === trimNone) {
    x.out.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limitGiven) {
    if (!trimApprox) {
      x.out.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (trimApprox) {
    trimLimit = 100 * x.cfg.streamNodeMaxEntries;
    if (trimLimit <= 0 || trimLimit > 1000000) trimLimit = 10000;
  } else trimLimit = 0;
  return true;
}

function applyTrim(a: Arena, h: number): number {
  return streamTrim(a, h, trimMaxLenArg, trimStrategy === trimMinId ? trimMinIdArg : null, trimApprox, trimLimit);
}

const errTopItem = "ERR The ID specified in XADD is equal or smaller than the target stream top item";

/** The ID XADD gives its entry (auto, "ms-*" or explicit) in idB, or an error message. */
function nextAddId(x: Exec, last: StreamId): string | null {
  const id = idB;
  if (!addIdGiven) {
    // Auto ID: the command clock, never below the last ID's ms.
    const now = x.now;
    const nowH = Math.floor(now / 4294967296);
    const nowL = now - nowH * 4294967296;
    if (nowH > last.msH || (nowH === last.msH && nowL > last.msL)) id.set(nowH, nowL, 0, 0);
    else {
      id.copy(last);
      id.incr();
    }
    return null;
  }
  if (!addSeqGiven) {
    const c = addId.msH !== last.msH ? (addId.msH < last.msH ? -1 : 1) : addId.msL !== last.msL ? (addId.msL < last.msL ? -1 : 1) : 0;
    if (c < 0) return errTopItem;
    if (c === 0) {
      if (last.sH === 0xffffffff && last.sL === 0xffffffff) return "ERR Elements are too large to be stored";
      id.copy(last);
      id.incr();
    } else id.set(addId.msH, addId.msL, 0, 0);
    return null;
  }
  if (cmpId(addId, last) <= 0) return errTopItem;
  id.copy(addId);
  return null;
}

const te = new TextEncoder();
const xaddName = te.encode("XADD");
const xtrimName = te.encode("XTRIM");
const maxlenName = te.encode("MAXLEN");
const eqName = te.encode("=");

/**
 * XADD's deterministic effect: the ID it assigned (idB; never `*` or "ms-*"), and when it trimmed,
 * an exact MAXLEN = <length after> instead of the approximate or MINID form it was given.
 */
function xaddEffect(argv: Uint8Array[], fieldPos: number, lenAfterTrim: number): Uint8Array[] {
  const e: Uint8Array[] = [xaddName, argv[1]];
  if (lenAfterTrim >= 0) e.push(maxlenName, eqName, te.encode(String(lenAfterTrim)));
  e.push(te.encode(idB.toString()));
  for (let i = fieldPos; i < argv.length; i++) e.push(argv[i]);
  return e;
}

function xaddCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseAddOrTrim(x, argv, true)) return;
  const fieldPos = addFieldPos;
  const nf = argv.length - fieldPos;
  if (nf < 2 || nf % 2 === 1) {
    x.out.error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (addIdGiven && addSeqGiven && addId.isZero()) {
    x.out.error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const key = argv[1];
  let h = lookupStream(x, key);
  if (h === wrongType) return;
  let created = false;
  if (h === 0) {
    if (addNoMkStream) {
      x.out.nullBulk();
      return;
    }
    h = createStream(x, key);
    if (h === 0) {
      x.out.error(Err.oom);
      return;
    }
    created = true;
  }
  const a = x.ks.t.arena;
  const last = lastId(a, h, idA);
  const err = last.isMax() ? "ERR The stream has exhausted the last possible ID, unable to add more items" : nextAddId(x, last);
  if (err === null && streamAppend(a, h, idB, argv, fieldPos, argv.length, x.cfg.streamNodeMaxEntries, x.cfg.streamNodeMaxBytes)) {
    replyId(x, idB);
    // Trim before signalling, so the shard log records the trimmed stream.
    const trimmed = trimStrategy !== trimNone ? applyTrim(a, h) : 0;
    if (wantsEffect(x)) setEffect(x, xaddEffect(argv, fieldPos, trimStrategy !== trimNone ? streamLength(a, h) : -1));
    written(x, key, "xadd");
    if (trimmed > 0) notifyEvent(x, NOTIFY.stream, "xtrim", x.s.db, key);
    signalReady(x, x.s.db, key);
    return;
  }
  if (created) deleteKey(x, key);
  x.out.error(err ?? Err.oom);
}

function xtrimCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const h = lookupStream(x, key);
  if (h === wrongType) return;
  if (!parseAddOrTrim(x, argv, false)) return;
  if (h === 0) {
    x.out.int(0);
    return;
  }
  const a = x.ks.t.arena;
  const removed = applyTrim(a, h);
  // The shard log replays the trim exactly (approximate trimming depends on node layout and config).
  if (removed > 0 && wantsEffect(x)) setEffect(x, [xtrimName, key, maxlenName, eqName, te.encode(String(streamLength(a, h)))]);
  if (removed > 0) written(x, key, "xtrim");
  x.out.int(removed);
}

// ---- XLEN, XRANGE, XREVRANGE, XDEL -------------------------------------------------------------------------

function xlenCommand(x: Exec, argv: Uint8Array[]): void {
  const h = lookupStream(x, argv[1]);
  if (h === wrongType) return;
  x.out.int(h === 0 ? 0 : streamLength(x.ks.t.arena, h));
}

/** Parses an interval start (argv start) and end into idA/idB, as XRANGE/XPENDING do. */
function parseInterval(x: Exec, startArg: Uint8Array, endArg: Uint8Array): boolean {
  if (!parseRangeId(x, startArg, idA, false)) return false;
  if (exclusive && !idA.incr()) {
    x.out.error("ERR invalid start ID for the interval");
    return false;
  }
  if (!parseRangeId(x, endArg, idB, true)) return false;
  if (exclusive && !idB.decr()) {
    x.out.error("ERR invalid end ID for the interval");
    return false;
  }
  return true;
}

function xrangeGeneric(x: Exec, argv: Uint8Array[], rev: boolean): void {
  if (!parseInterval(x, rev ? argv[3] : argv[2], rev ? argv[2] : argv[3])) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (isOpt(argv[j], "count") && more > 0) {
      const v = llArg(x, argv[j + 1]);
      if (v === null) return;
      count = v < 0 ? 0 : v;
      j++;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const h = lookupStream(x, argv[1]);
  if (h === wrongType) return;
  if (h === 0) {
    x.out.emptyArray();
    return;
  }
  if (count === 0) {
    x.out.nullArray();
    return;
  }
  replyRange(x, x.ks.t.arena, h, idA, idB, count < 0 ? 0 : count, rev);
}

function xrangeCommand(x: Exec, argv: Uint8Array[]): void {
  xrangeGeneric(x, argv, false);
}
function xrevrangeCommand(x: Exec, argv: Uint8Array[]): void {
  xrangeGeneric(x, argv, true);
}

function xdelCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const h = lookupStream(x, key);
  if (h === wrongType) return;
  if (h === 0) {
    x.out.int(0);
    return;
  }
  for (let j = 2; j < argv.length; j++) if (!parseId(x, argv[j], idA, false, true, false)) return;
  const a = x.ks.t.arena;
  let deleted = 0;
  for (let j = 2; j < argv.length; j++) {
    parseId(null, argv[j], idA, false, true, false);
    if (streamDelete(a, h, idA)) deleted++;
  }
  if (deleted > 0) written(x, key, "xdel");
  x.out.int(deleted);
}

// ---- XSETID -------------------------------------------------------------------------------------------------

function xsetidCommand(x: Exec, argv: Uint8Array[]): void {
  const id = idA;
  const maxDel = idB.set(0, 0, 0, 0);
  let added = -1;
  if (!parseId(x, argv[2], id, false, true, false)) return;
  for (let i = 3; i < argv.length; ) {
    const more = argv.length - 1 - i;
    if (isOpt(argv[i], "entriesadded") && more > 0) {
      const v = llArg(x, argv[i + 1]);
      if (v === null) return;
      if (v < 0) {
        x.out.error("ERR entries_added must be positive");
        return;
      }
      added = v;
      i += 2;
    } else if (isOpt(argv[i], "maxdeletedid") && more > 0) {
      if (!parseId(x, argv[i + 1], maxDel, false, true, false)) return;
      if (cmpId(id, maxDel) < 0) {
        x.out.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
      i += 2;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const key = argv[1];
  const h = lookupStream(x, key);
  if (h === wrongType) return;
  if (h === 0) {
    x.out.error(errNoKey);
    return;
  }
  const a = x.ks.t.arena;
  const len = streamLength(a, h);
  if (len > 0) {
    if (cmpId(id, lastValidId(a, h, idC)) < 0) {
      x.out.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (added !== -1 && len > added) {
      x.out.error("ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  setLastId(a, h, id);
  if (added !== -1) setEntriesAdded(a, h, added);
  if (!maxDel.isZero()) setMaxDeletedId(a, h, maxDel);
  written(x, key, "xsetid");
  x.out.ok();
}

// ---- lag and entries-read (Redis 7.0's consumer group counters) -----------------------------------------

const lagA = new StreamId();
const lagB = new StreamId();
const lagC = new StreamId();

/** True when a deleted entry may lie at or after start (streamRangeHasTombstones, open end). */
function hasTombstonesFrom(a: Arena, h: number, start: StreamId): boolean {
  if (streamLength(a, h) === 0) return false;
  const md = maxDeletedId(a, h, lagC);
  if (md.isZero()) return false;
  if (cmpId(firstRecordedId(a, h, lagB), md) > 0) return false; // the last tombstone lies before the first entry
  return cmpId(start, md) <= 0;
}

/** Estimated entries-read of an ID (streamEstimateDistanceFromFirstEverEntry); -1 = unknown. */
function estimateDistance(a: Arena, h: number, id: StreamId): number {
  const added = entriesAdded(a, h);
  if (added === 0) return 0;
  const len = streamLength(a, h);
  const cLast = cmpId(id, lastId(a, h, lagA));
  if (len === 0 && cLast < 1) return added;
  if (cLast === 0) return added;
  if (cLast > 0) return -1;
  const first = firstRecordedId(a, h, lagA);
  const md = maxDeletedId(a, h, lagB);
  const cFirst = cmpId(id, first);
  if (md.isZero() || cmpId(md, first) < 0) {
    if (cFirst < 0) return added - len;
    if (cFirst === 0) return added - len + 1;
  }
  return -1;
}

/** Replies the group's lag (integer or null). */
function replyLag(x: Exec, a: Arena, h: number, g: number): void {
  const added = entriesAdded(a, h);
  if (added === 0) {
    x.out.int(0);
    return;
  }
  const read = groupEntriesRead(a, g);
  const last = groupLastId(a, g, new StreamId());
  if (read !== -1 && !hasTombstonesFrom(a, h, last)) {
    x.out.int(added - read);
    return;
  }
  const est = estimateDistance(a, h, last);
  if (est !== -1) x.out.int(added - est);
  else x.out.nullBulk();
}

function replyEntriesRead(x: Exec, a: Arena, g: number): void {
  const r = groupEntriesRead(a, g);
  if (r === -1) x.out.nullBulk();
  else x.out.int(r);
}

// ---- XGROUP ---------------------------------------------------------------------------------------------------

function subcommandSyntax(x: Exec, argv: Uint8Array[], container: string): void {
  x.out.error(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try ${container} HELP.`);
}

/** Common part of XGROUP subcommands: the stream (or 0), after the checks Redis makes first. */
function xgroupStream(x: Exec, argv: Uint8Array[], mkstream: boolean, needGroup: boolean): number {
  const h = lookupStream(x, argv[2]);
  if (h === wrongType) return wrongType;
  if (h === 0 && !mkstream) {
    x.out.error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
    return wrongType;
  }
  if (h !== 0 && needGroup && groupFind(x.ks.t.arena, h, argv[3]) === 0) {
    x.out.error(`NOGROUP No such consumer group '${latin1(argv[3])}' for key name '${latin1(argv[2])}'`);
    return wrongType;
  }
  return h;
}

function parseEntriesRead(x: Exec, arg: Uint8Array): number | null {
  const v = llArg(x, arg);
  if (v === null) return null;
  if (v < 0 && v !== -1) {
    x.out.error("ERR value for ENTRIESREAD must be positive or -1");
    return null;
  }
  return v;
}

function xgroupCreateCommand(x: Exec, argv: Uint8Array[]): void {
  let mkstream = false;
  let entriesRead = -1;
  if (argv.length > 8) {
    subcommandSyntax(x, argv, "XGROUP");
    return;
  }
  for (let i = 5; i < argv.length; ) {
    if (isOpt(argv[i], "mkstream")) {
      mkstream = true;
      i++;
    } else if (isOpt(argv[i], "entriesread") && i + 1 < argv.length) {
      const v = parseEntriesRead(x, argv[i + 1]);
      if (v === null) return;
      entriesRead = v;
      i += 2;
    } else {
      subcommandSyntax(x, argv, "XGROUP");
      return;
    }
  }
  const key = argv[2];
  let h = xgroupStream(x, argv, mkstream, false);
  if (h === wrongType) return;
  const id = idA;
  if (isChar(argv[4], 36)) {
    if (h !== 0) lastId(x.ks.t.arena, h, id);
    else id.set(0, 0, 0, 0);
  } else if (!parseId(x, argv[4], id, false, true, false)) return;
  let created = false;
  if (h === 0) {
    h = createStream(x, key);
    if (h === 0) {
      x.out.error(Err.oom);
      return;
    }
    created = true;
  }
  const g = groupCreate(x.ks.t.arena, h, argv[3], id, entriesRead);
  if (g === -1) {
    if (created) deleteKey(x, key);
    x.out.error(Err.oom);
    return;
  }
  if (created) signalModified(x, x.s.db, key);
  if (g === 0) {
    x.out.error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  x.out.ok();
  written(x, key, "xgroup-create");
}

function xgroupSetidCommand(x: Exec, argv: Uint8Array[]): void {
  if (argv.length !== 5 && argv.length !== 7) {
    subcommandSyntax(x, argv, "XGROUP");
    return;
  }
  const h = xgroupStream(x, argv, false, true);
  if (h === wrongType) return;
  const a = x.ks.t.arena;
  const id = idA;
  if (isChar(argv[4], 36)) lastId(a, h, id);
  else if (!parseId(x, argv[4], id, false, false, false)) return;
  let entriesRead = -1;
  if (argv.length === 7) {
    if (!isOpt(argv[5], "entriesread")) {
      subcommandSyntax(x, argv, "XGROUP");
      return;
    }
    const v = parseEntriesRead(x, argv[6]);
    if (v === null) return;
    entriesRead = v;
  }
  const g = groupFind(a, h, argv[3]);
  setGroupLastId(a, g, id);
  setGroupEntriesRead(a, g, entriesRead);
  x.out.ok();
  written(x, argv[2], "xgroup-setid");
}

function xgroupDestroyCommand(x: Exec, argv: Uint8Array[]): void {
  const h = xgroupStream(x, argv, false, false);
  if (h === wrongType) return;
  if (groupDestroy(x.ks.t.arena, h, argv[3])) {
    x.out.int(1);
    written(x, argv[2], "xgroup-destroy");
    // Clients blocked in XREADGROUP on this group must learn it is gone.
    signalReady(x, x.s.db, argv[2]);
  } else x.out.int(0);
}

function xgroupCreateConsumerCommand(x: Exec, argv: Uint8Array[]): void {
  const h = xgroupStream(x, argv, false, true);
  if (h === wrongType) return;
  const a = x.ks.t.arena;
  const g = groupFind(a, h, argv[3]);
  const c = consumerCreate(a, g, argv[4], x.now);
  if (c === -1) {
    x.out.error(Err.oom);
    return;
  }
  x.out.int(c > 0 ? 1 : 0);
  if (c > 0) written(x, argv[2], "xgroup-createconsumer");
}

function xgroupDelConsumerCommand(x: Exec, argv: Uint8Array[]): void {
  const h = xgroupStream(x, argv, false, true);
  if (h === wrongType) return;
  const a = x.ks.t.arena;
  const g = groupFind(a, h, argv[3]);
  const pending = consumerDelete(a, g, argv[4]);
  if (pending >= 0) {
    x.out.int(pending);
    written(x, argv[2], "xgroup-delconsumer");
  } else x.out.int(0);
}

const xgroupHelp = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  "HELP",
  "    Prints this help.",
];

const xinfoHelp = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  "HELP",
  "    Prints this help.",
];

function replyHelp(x: Exec, lines: string[]): void {
  x.out.arrayHeader(lines.length);
  for (const l of lines) x.out.simple(l);
}

function xgroupHelpCommand(x: Exec): void {
  replyHelp(x, xgroupHelp);
}
function xinfoHelpCommand(x: Exec): void {
  replyHelp(x, xinfoHelp);
}

function containerCommand(x: Exec): void {
  x.out.error(Err.syntax); // never called: the dispatcher resolves subcommands first
}

// ---- XREAD / XREADGROUP -----------------------------------------------------------------------------------------

/**
 * Index of the first key after STREAMS as the handler parses the options (shared with keyIndexes so
 * the locked keys are exactly the keys the handler touches), or -1 when the options are invalid.
 */
function streamsArgIndex(argv: Uint8Array[], group: boolean): number {
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i];
    if ((isOpt(o, "block") || isOpt(o, "count")) && more > 0) i++;
    else if (isOpt(o, "streams") && more > 0) {
      if ((argv.length - i - 1) % 2 !== 0) return -1;
      return i + 1;
    } else if (isOpt(o, "group") && more >= 2) {
      if (!group) return -1;
      i += 2;
    } else if (isOpt(o, "noack")) {
      if (!group) return -1;
    } else return -1;
  }
  return -1;
}

function readKeys(argv: Uint8Array[], group: boolean): number[] {
  const s = streamsArgIndex(argv, group);
  const keys: number[] = [];
  if (s < 0) return keys;
  const n = (argv.length - s) / 2;
  for (let i = 0; i < n; i++) keys.push(s + i);
  return keys;
}
function xreadKeys(argv: Uint8Array[]): number[] {
  return readKeys(argv, false);
}
function xreadgroupKeys(argv: Uint8Array[]): number[] {
  return readKeys(argv, true);
}

/** A parsed XREAD/XREADGROUP, kept for blocking (copies of every argument it needs). */
interface ReadRequest {
  keys: Uint8Array[];
  /** Read entries after these IDs ("$" resolved when the command ran). */
  ids: StreamId[];
  /** XREADGROUP: ">" per key (new entries) or a history read. */
  newOnly: boolean[];
  count: number;
  group: Uint8Array | null;
  consumer: Uint8Array | null;
  noack: boolean;
}

function xreadGeneric(x: Exec, argv: Uint8Array[], xreadgroup: boolean): void | Promise<ReplyFn> {
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let streamCount = 0;
  let group: Uint8Array | null = null;
  let consumer: Uint8Array | null = null;
  let noack = false;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i];
    if (isOpt(o, "block") && more > 0) {
      i++;
      const v = llArg(x, argv[i], "ERR timeout is not an integer or out of range");
      if (v === null) return;
      if (v < 0) {
        x.out.error("ERR timeout is negative");
        return;
      }
      if (v > Number.MAX_SAFE_INTEGER - Date.now()) {
        x.out.error("ERR timeout is out of range");
        return;
      }
      timeout = v;
    } else if (isOpt(o, "count") && more > 0) {
      i++;
      const v = llArg(x, argv[i]);
      if (v === null) return;
      count = v < 0 ? 0 : v;
    } else if (isOpt(o, "streams") && more > 0) {
      streamsArg = i + 1;
      streamCount = argv.length - streamsArg;
      if (streamCount % 2 !== 0) {
        x.out.error(`ERR Unbalanced ${xreadgroup ? "XREADGROUP" : "XREAD"} list of streams: for each stream key an ID or '$' must be specified.`);
        return;
      }
      streamCount /= 2;
      break;
    } else if (isOpt(o, "group") && more >= 2) {
      if (!xreadgroup) {
        x.out.error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      group = argv[i + 1];
      consumer = argv[i + 2];
      i += 2;
    } else if (isOpt(o, "noack")) {
      if (!xreadgroup) {
        x.out.error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      noack = true;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  if (streamsArg === 0) {
    x.out.error(Err.syntax);
    return;
  }
  if (xreadgroup && group === null) {
    x.out.error("ERR Missing GROUP option for XREADGROUP");
    return;
  }
  const req: ReadRequest = {
    keys: [], ids: [], newOnly: [], count, group: group?.slice() ?? null, consumer: consumer?.slice() ?? null, noack,
  };
  for (let i = 0; i < streamCount; i++) {
    const key = argv[streamsArg + i];
    const arg = argv[streamsArg + streamCount + i];
    const h = lookupStream(x, key);
    if (h === wrongType) return;
    const a = x.ks.t.arena;
    if (group !== null && (h === 0 || groupFind(a, h, group) === 0)) {
      x.out.error(`NOGROUP No such key '${latin1(key)}' or consumer group '${latin1(group)}' in XREADGROUP with GROUP option`);
      return;
    }
    const id = new StreamId();
    let newOnly = false;
    if (isChar(arg, 36)) {
      if (xreadgroup) {
        x.out.error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
        return;
      }
      if (h !== 0) lastId(a, h, id);
    } else if (isChar(arg, 62)) {
      if (!xreadgroup) {
        x.out.error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
        return;
      }
      newOnly = true;
    } else if (!parseId(x, arg, id, false, true, false)) return;
    req.keys.push(key.slice());
    req.ids.push(id);
    req.newOnly.push(newOnly);
  }
  // Serve synchronously what can be served now.
  const out = x.out;
  const headerAt = out.len;
  out.arrayHeader(0);
  const bodyAt = out.len;
  let served = 0;
  for (let i = 0; i < streamCount; i++) if (serveOne(x, req, i)) served++;
  if (served > 0) {
    patchHeader(x, headerAt, bodyAt, served, out.resp === 3);
    return;
  }
  out.len = headerAt;
  if (timeout >= 0) {
    if (x.s.inExec) {
      out.nullArray();
      return;
    }
    return blockRead(x, req, timeout);
  }
  out.nullArray();
}

/**
 * Serves key i of req if it has something to give: writes key and entries (an array of two in
 * RESP2, a map entry in RESP3) and returns true. Runs with the key's shard locked.
 */
function serveOne(x: Exec, req: ReadRequest, i: number): boolean {
  const key = req.keys[i];
  const slot = x.ks.lookup(x.s.db, key);
  if (slot < 0 || x.ks.t.type(slot) !== ObjType.stream) return false;
  const t = x.ks.t;
  const a = t.arena;
  const h = headerOf(a.u8, t.valueOffset(slot));
  const gt = new StreamId().copy(req.ids[i]);
  let g = 0;
  let history = false;
  if (req.group !== null) {
    g = groupFind(a, h, req.group);
    if (g === 0) return false;
    // ">" is the maximum ID, as in Redis: an explicit max ID reads new entries too.
    if (!req.newOnly[i] && !req.ids[i].isMax()) history = true;
    else {
      if (streamLength(a, h) === 0) return false;
      groupLastId(a, g, gt);
      if (cmpId(lastValidId(a, h, idB), gt) <= 0) return false;
    }
  } else {
    if (streamLength(a, h) === 0) return false;
    if (cmpId(lastValidId(a, h, idB), gt) <= 0) return false;
  }
  const out = x.out;
  if (out.resp === 2) out.arrayHeader(2);
  out.bulk(key);
  const start = gt;
  if (!start.incr()) {
    out.emptyArray();
    return true;
  }
  if (g === 0) {
    replyRange(x, a, h, start, idMax, req.count, false);
    return true;
  }
  const c = claimConsumer(x, a, g, req.consumer!, key);
  if (c <= 0) {
    out.emptyArray();
    return true;
  }
  if (history) replyHistory(x, a, h, g, c, start, req.count);
  else replyGroupRange(x, a, h, g, c, start, req.count, req.noack);
  signalModified(x, x.s.db, key);
  return true;
}

/** XREADGROUP ">": new entries after the group's last ID, added to the PEL unless NOACK. */
function replyGroupRange(x: Exec, a: Arena, h: number, g: number, c: number, start: StreamId, count: number, noack: boolean): void {
  const out = x.out;
  const headerAt = out.len;
  out.arrayHeader(0);
  const bodyAt = out.len;
  let n = 0;
  const gl = new StreamId();
  const now = x.now;
  it.init(a, h, start, idMax, false);
  while ((count === 0 || n < count) && it.next()) {
    const id = it.id;
    if (cmpId(id, groupLastId(a, g, gl)) > 0) {
      const read = groupEntriesRead(a, g);
      if (read !== -1 && !hasTombstonesFrom(a, h, id)) setGroupEntriesRead(a, g, read + 1);
      else if (entriesAdded(a, h) !== 0) setGroupEntriesRead(a, g, estimateDistance(a, h, id));
      setGroupLastId(a, g, id);
    }
    replyEntry(x, a, it);
    n++;
    if (noack) continue;
    const pos = pelSearch(a, g, id);
    if (pos >= 0) {
      const w = pelRec(a, g, pos);
      if (!pelSetConsumer(a, w, c)) break; // out of memory: deliver no more
      pelSetTime(a, w, now);
      pelSetDeliveries(a, w, 1);
    } else if (pelInsert(a, g, -pos - 1, id, c, now, 1) < 0) break; // out of memory: deliver no more
  }
  patchHeader(x, headerAt, bodyAt, n);
}

/** XREADGROUP with an ID: the consumer's pending entries from start. */
function replyHistory(x: Exec, a: Arena, h: number, g: number, c: number, start: StreamId, count: number): void {
  const out = x.out;
  const headerAt = out.len;
  out.arrayHeader(0);
  const bodyAt = out.len;
  let n = 0;
  // Walk the consumer's own pending set; each ID's record (time, count) is in the group PEL.
  let pos = consumerPelSearch(a, c, start);
  if (pos < 0) pos = -pos - 1;
  const id = new StreamId();
  for (; pos < consumerPending(a, c) && (count === 0 || n < count); pos++) {
    consumerPelId(a, c, pos, id);
    const w = pelRec(a, g, pelSearch(a, g, id));
    it.init(a, h, id, id, false);
    if (it.next()) {
      replyEntry(x, a, it);
      pelSetTime(a, w, x.now);
      pelIncrDeliveries(a, w);
    } else {
      out.arrayHeader(2);
      replyId(x, id);
      out.nullArray();
    }
    n++;
  }
  patchHeader(x, headerAt, bodyAt, n);
}

function blockRead(x: Exec, req: ReadRequest, timeout: number): Promise<ReplyFn> {
  const breq: BlockRequest = {
    db: x.s.db,
    keys: req.keys,
    lockKeys: req.keys,
    deadlineMs: timeout === 0 ? 0 : Date.now() + timeout,
    serve(x2: Exec, key: Uint8Array): boolean {
      for (let i = 0; i < req.keys.length; i++) {
        if (!bytesEqual(req.keys[i], key)) continue;
        if (req.group !== null) {
          // The key or the group went away while we waited (XREAD just keeps waiting).
          const slot = x2.ks.lookup(x2.s.db, key);
          const t = x2.ks.t;
          if (slot < 0 || t.type(slot) !== ObjType.stream) {
            x2.out.error("UNBLOCKED the stream key no longer exists");
            return true;
          }
          if (groupFind(t.arena, headerOf(t.arena.u8, t.valueOffset(slot)), req.group) === 0) {
            x2.out.error("NOGROUP the consumer group this client was blocked on no longer exists");
            return true;
          }
        }
        const mark = x2.out.len;
        if (x2.out.resp === 3) x2.out.mapHeader(1);
        else x2.out.arrayHeader(1);
        if (serveOne(x2, req, i)) return true;
        x2.out.len = mark;
        return false;
      }
      return false;
    },
    timeout(x2: Exec): void {
      x2.out.nullArray();
    },
  };
  return block(x, breq);
}

function xreadCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  return xreadGeneric(x, argv, false);
}
function xreadgroupCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  return xreadGeneric(x, argv, true);
}

// ---- XACK, XPENDING ---------------------------------------------------------------------------------------------

let groupStream = 0;

/** The group at key (groupStream = its stream), or -1 after replying NOGROUP / WRONGTYPE. */
function lookupGroup(x: Exec, key: Uint8Array, group: Uint8Array): number {
  const h = lookupStream(x, key);
  if (h === wrongType) return -1;
  const g = h === 0 ? 0 : groupFind(x.ks.t.arena, h, group);
  if (g === 0) {
    x.out.error(`NOGROUP No such key '${latin1(key)}' or consumer group '${latin1(group)}'`);
    return -1;
  }
  groupStream = h;
  return g;
}

function xackCommand(x: Exec, argv: Uint8Array[]): void {
  const h = lookupStream(x, argv[1]);
  if (h === wrongType) return;
  const g = h === 0 ? 0 : groupFind(x.ks.t.arena, h, argv[2]);
  if (g === 0) {
    x.out.int(0);
    return;
  }
  for (let j = 3; j < argv.length; j++) if (!parseId(x, argv[j], idA, false, true, false)) return;
  const a = x.ks.t.arena;
  let acked = 0;
  for (let j = 3; j < argv.length; j++) {
    parseId(null, argv[j], idA, false, true, false);
    const pos = pelSearch(a, g, idA);
    if (pos >= 0) {
      pelRemove(a, g, pos);
      acked++;
    }
  }
  if (acked > 0) signalModified(x, x.s.db, argv[1]);
  x.out.int(acked);
}

function xpendingSummary(x: Exec, a: Arena, g: number): void {
  const out = x.out;
  const n = pelCount(a, g);
  out.arrayHeader(4);
  out.int(n);
  if (n === 0) {
    out.nullBulk();
    out.nullBulk();
    out.nullArray();
    return;
  }
  replyId(x, pelId(a, pelRec(a, g, 0), idC));
  replyId(x, pelId(a, pelRec(a, g, n - 1), idC));
  let withPending = 0;
  const cc = consumerCount(a, g);
  for (let i = 0; i < cc; i++) if (consumerPending(a, consumerAt(a, g, i)) > 0) withPending++;
  out.arrayHeader(withPending);
  for (let i = 0; i < cc; i++) {
    const c = consumerAt(a, g, i);
    const p = consumerPending(a, c);
    if (p === 0) continue;
    out.arrayHeader(2);
    out.bulk(consumerName(a, c));
    out.bulkString(String(p));
  }
}

function xpendingCommand(x: Exec, argv: Uint8Array[]): void {
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    x.out.error(Err.syntax);
    return;
  }
  let minIdle = 0;
  let count = 0;
  let consumerArg: Uint8Array | null = null;
  if (argc >= 6) {
    let si = 3;
    if (isOpt(argv[3], "idle")) {
      const v = llArg(x, argv[4]);
      if (v === null) return;
      minIdle = v;
      if (argc < 8) {
        x.out.error(Err.syntax);
        return;
      }
      si += 2;
    }
    const v = llArg(x, argv[si + 2]);
    if (v === null) return;
    count = v < 0 ? 0 : v;
    if (!parseInterval(x, argv[si], argv[si + 1])) return;
    if (si + 3 < argc) consumerArg = argv[si + 3];
  }
  const start = new StreamId().copy(idA);
  const end = new StreamId().copy(idB);
  const g = lookupGroup(x, argv[1], argv[2]);
  if (g < 0) return;
  const a = x.ks.t.arena;
  if (argc === 3) {
    xpendingSummary(x, a, g);
    return;
  }
  const out = x.out;
  let c = 0;
  if (consumerArg !== null) {
    c = consumerFind(a, g, consumerArg);
    if (c === 0) {
      out.emptyArray();
      return;
    }
  }
  const headerAt = out.len;
  out.arrayHeader(0);
  const bodyAt = out.len;
  let emitted = 0;
  // With a consumer, walk its own pending set; else the group PEL. Both are ordered by ID.
  let pos = c !== 0 ? consumerPelSearch(a, c, start) : pelSearch(a, g, start);
  if (pos < 0) pos = -pos - 1;
  const n = c !== 0 ? consumerPending(a, c) : pelCount(a, g);
  const id = idC;
  for (; pos < n && count > 0; pos++) {
    let w: number;
    if (c !== 0) {
      consumerPelId(a, c, pos, id);
      w = pelRec(a, g, pelSearch(a, g, id));
    } else {
      w = pelRec(a, g, pos);
      pelId(a, w, id);
    }
    if (cmpId(id, end) > 0) break;
    const owner = pelConsumer(a, w);
    const idle = x.now - pelTime(a, w);
    if (minIdle !== 0 && idle < minIdle) continue;
    out.arrayHeader(4);
    replyId(x, id);
    out.bulk(consumerName(a, owner));
    out.int(idle < 0 ? 0 : idle);
    replyCount(x, pelDeliveries(a, w));
    count--;
    emitted++;
  }
  patchHeader(x, headerAt, bodyAt, emitted);
}

// ---- XCLAIM, XAUTOCLAIM -----------------------------------------------------------------------------------------

/** The named consumer (created when missing) with its seen time refreshed; <= 0 when out of memory. */
function claimConsumer(x: Exec, a: Arena, g: number, name: Uint8Array, key: Uint8Array): number {
  let c = consumerFind(a, g, name);
  if (c === 0) {
    c = consumerCreate(a, g, name, x.now);
    if (c > 0) notifyEvent(x, NOTIFY.stream, "xgroup-createconsumer", x.s.db, key);
    return c;
  }
  setConsumerSeen(a, c, x.now);
  return c;
}

interface ClaimOptions {
  deliveryTime: number;
  retryCount: number | bigint;
  force: boolean;
  justId: boolean;
}

/** Parses XCLAIM's options from argv[j..]; null after replying an error. */
function parseClaimOptions(x: Exec, argv: Uint8Array[], j: number, lastIdArg: StreamId): ClaimOptions | null {
  const now = x.now;
  const o: ClaimOptions = { deliveryTime: -1, retryCount: -1, force: false, justId: false };
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j];
    if (isOpt(opt, "force")) o.force = true;
    else if (isOpt(opt, "justid")) o.justId = true;
    else if (isOpt(opt, "idle") && more > 0) {
      const t = llArg(x, argv[++j], "ERR Invalid IDLE option argument for XCLAIM");
      if (t === null) return null;
      o.deliveryTime = now - t;
    } else if (isOpt(opt, "time") && more > 0) {
      const t = llArg(x, argv[++j], "ERR Invalid TIME option argument for XCLAIM");
      if (t === null) return null;
      o.deliveryTime = t;
    } else if (isOpt(opt, "retrycount") && more > 0) {
      const arg = argv[++j];
      const t = parseInt64(arg, 0, arg.length);
      if (t === null) {
        x.out.error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
        return null;
      }
      o.retryCount = t;
    } else if (isOpt(opt, "lastid") && more > 0) {
      if (!parseId(x, argv[++j], lastIdArg, false, true, false)) return null;
    } else {
      x.out.error(`ERR Unrecognized XCLAIM option '${latin1(opt)}'`);
      return null;
    }
  }
  if (o.deliveryTime === -1 || o.deliveryTime < 0 || o.deliveryTime > now) o.deliveryTime = now;
  return o;
}

function xclaimCommand(x: Exec, argv: Uint8Array[]): void {
  const g = lookupGroup(x, argv[1], argv[2]);
  if (g < 0) return;
  const h = groupStream;
  const v = llArg(x, argv[4], "ERR Invalid min-idle-time argument for XCLAIM");
  if (v === null) return;
  const minIdle = v < 0 ? 0 : v;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = new StreamId();
    if (!parseId(null, argv[j], id, false, true, false)) break;
    ids.push(id);
  }
  const lastIdArg = new StreamId();
  const o = parseClaimOptions(x, argv, j, lastIdArg);
  if (o === null) return;
  const a = x.ks.t.arena;
  const now = x.now;
  if (cmpId(lastIdArg, groupLastId(a, g, idC)) > 0) setGroupLastId(a, g, lastIdArg);
  const out = x.out;
  const headerAt = out.len;
  out.arrayHeader(0);
  const bodyAt = out.len;
  let n = 0;
  let c = 0;
  for (const id of ids) {
    let pos = pelSearch(a, g, id);
    if (!entryExists(a, h, id)) {
      if (pos >= 0) pelRemove(a, g, pos); // the entry is gone: drop it from the PEL
      continue;
    }
    let fresh = false;
    if (pos < 0) {
      if (!o.force) continue;
      if (c === 0) c = claimConsumer(x, a, g, argv[3], argv[1]);
      if (c <= 0) break;
      pos = -pos - 1;
      if (pelInsert(a, g, pos, id, c, now, 1) < 0) break;
      fresh = true;
    }
    let w = pelRec(a, g, pos);
    if (!fresh && minIdle !== 0 && now - pelTime(a, w) < minIdle) continue;
    if (c === 0) {
      c = claimConsumer(x, a, g, argv[3], argv[1]);
      if (c <= 0) break;
      w = pelRec(a, g, pos);
    }
    if (!pelSetConsumer(a, w, c)) break; // out of memory: claim no more
    pelSetTime(a, w, o.deliveryTime);
    if (o.retryCount >= 0) pelSetDeliveries(a, w, o.retryCount);
    else if (!o.justId) pelIncrDeliveries(a, w);
    if (o.justId) replyId(x, id);
    else {
      it.init(a, h, id, id, false);
      if (it.next()) replyEntry(x, a, it);
      else out.nullBulk();
    }
    n++;
  }
  patchHeader(x, headerAt, bodyAt, n);
  signalModified(x, x.s.db, argv[1]);
}

/** COUNT above which XAUTOCLAIM's up-front allocation (16 bytes per slot) is refused: 16 GiB. */
const countAllocMax = 2 ** 30;

function xautoclaimCommand(x: Exec, argv: Uint8Array[]): void {
  const v = llArg(x, argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (v === null) return;
  const minIdle = v < 0 ? 0 : v;
  const start = idA;
  if (!parseRangeId(x, argv[5], start, false)) return;
  if (exclusive && !start.incr()) {
    x.out.error("ERR invalid start ID for the interval");
    return;
  }
  let count = 100;
  let justId = false;
  const countMax = 9223372036854775807n / 16n; // LONG_MAX / sizeof(streamID), as Redis bounds it
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isOpt(argv[j], "count") && more > 0) {
      const n = parseInt64(argv[j + 1], 0, argv[j + 1].length);
      if (n === null || n < 1 || BigInt(n) > countMax) {
        x.out.error("ERR COUNT must be > 0");
        return;
      }
      count = Number(n);
      if (count > countAllocMax) {
        // Redis allocates COUNT slots for deleted IDs up front; absurd counts fail that allocation.
        x.out.error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
        return;
      }
      j++;
    } else if (isOpt(argv[j], "justid")) justId = true;
    else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const g = lookupGroup(x, argv[1], argv[2]);
  if (g < 0) return;
  const h = groupStream;
  const a = x.ks.t.arena;
  const now = x.now;
  const out = x.out;
  const mark = out.len;
  // Claimed entries are written first (after a placeholder), then moved behind the cursor.
  let attempts = count * 10;
  let n = 0;
  let c = 0;
  const deleted: string[] = [];
  let pos = pelSearch(a, g, start);
  if (pos < 0) pos = -pos - 1;
  const id = new StreamId();
  while (attempts-- > 0 && count > 0 && pos < pelCount(a, g)) {
    let w = pelRec(a, g, pos);
    pelId(a, w, id);
    if (!entryExists(a, h, id)) {
      pelRemove(a, g, pos);
      deleted.push(id.toString());
      count--;
      continue;
    }
    if (minIdle !== 0 && now - pelTime(a, w) < minIdle) {
      pos++;
      continue;
    }
    if (c === 0) {
      c = claimConsumer(x, a, g, argv[3], argv[1]);
      if (c <= 0) break;
      w = pelRec(a, g, pos);
    }
    if (!pelSetConsumer(a, w, c)) break; // out of memory: claim no more
    pelSetTime(a, w, now);
    if (!justId) pelIncrDeliveries(a, w);
    if (justId) replyId(x, id);
    else {
      it.init(a, h, id, id, false);
      if (it.next()) replyEntry(x, a, it);
      else out.nullBulk();
    }
    n++;
    count--;
    pos++;
  }
  const cursor = pos < pelCount(a, g) ? pelId(a, pelRec(a, g, pos), idC).toString() : "0-0";
  const body = out.buf.slice(mark, out.len);
  out.len = mark;
  out.arrayHeader(3);
  out.bulkString(cursor);
  out.arrayHeader(n);
  out.raw(body);
  out.arrayHeader(deleted.length);
  for (const d of deleted) out.bulkString(d);
  signalModified(x, x.s.db, argv[1]);
}

// ---- XINFO --------------------------------------------------------------------------------------------------------

function lookupForInfo(x: Exec, key: Uint8Array): number {
  const h = lookupStream(x, key);
  if (h === 0) {
    x.out.error(errNoKey);
    return wrongType;
  }
  return h;
}

function xinfoConsumersCommand(x: Exec, argv: Uint8Array[]): void {
  const h = lookupForInfo(x, argv[2]);
  if (h === wrongType) return;
  const a = x.ks.t.arena;
  const g = groupFind(a, h, argv[3]);
  if (g === 0) {
    x.out.error(`NOGROUP No such consumer group '${latin1(argv[3])}' for key name '${latin1(argv[2])}'`);
    return;
  }
  const out = x.out;
  const cc = consumerCount(a, g);
  out.arrayHeader(cc);
  for (let i = 0; i < cc; i++) {
    const c = consumerAt(a, g, i);
    out.mapHeader(3);
    out.bulkString("name");
    out.bulk(consumerName(a, c));
    out.bulkString("pending");
    out.int(consumerPending(a, c));
    out.bulkString("idle");
    const idle = x.now - consumerSeen(a, c);
    out.int(idle < 0 ? 0 : idle);
  }
}

function xinfoGroupsCommand(x: Exec, argv: Uint8Array[]): void {
  const h = lookupForInfo(x, argv[2]);
  if (h === wrongType) return;
  const a = x.ks.t.arena;
  const out = x.out;
  const gc = groupCount(a, h);
  out.arrayHeader(gc);
  for (let i = 0; i < gc; i++) {
    const g = groupAt(a, h, i);
    out.mapHeader(6);
    out.bulkString("name");
    out.bulk(groupName(a, g));
    out.bulkString("consumers");
    out.int(consumerCount(a, g));
    out.bulkString("pending");
    out.int(pelCount(a, g));
    out.bulkString("last-delivered-id");
    replyId(x, groupLastId(a, g, idC));
    out.bulkString("entries-read");
    replyEntriesRead(x, a, g);
    out.bulkString("lag");
    replyLag(x, a, h, g);
  }
}

function xinfoStreamCommand(x: Exec, argv: Uint8Array[]): void {
  const argc = argv.length;
  const h = lookupForInfo(x, argv[2]);
  if (h === wrongType) return;
  let full = false;
  let count = 10;
  if (argc >= 4) {
    if (!isOpt(argv[3], "full")) {
      subcommandSyntax(x, argv, "XINFO");
      return;
    }
    full = true;
    if (argc > 4) {
      if (argc !== 6 || !isOpt(argv[4], "count")) {
        subcommandSyntax(x, argv, "XINFO");
        return;
      }
      const v = llArg(x, argv[5]);
      if (v === null) return;
      count = v < 0 ? 0 : v;
    }
  }
  const a = x.ks.t.arena;
  const out = x.out;
  const nodes = nodeCount(a, h);
  out.mapHeader(full ? 9 : 10);
  out.bulkString("length");
  out.int(streamLength(a, h));
  out.bulkString("radix-tree-keys");
  out.int(nodes);
  out.bulkString("radix-tree-nodes");
  out.int(nodes + 1); // Redis reports its radix tree's internal node count; ours is an estimate
  out.bulkString("last-generated-id");
  replyId(x, lastId(a, h, idC));
  out.bulkString("max-deleted-entry-id");
  replyId(x, maxDeletedId(a, h, idC));
  out.bulkString("entries-added");
  out.int(entriesAdded(a, h));
  out.bulkString("recorded-first-entry-id");
  replyId(x, firstRecordedId(a, h, idC));
  if (!full) {
    out.bulkString("groups");
    out.int(groupCount(a, h));
    out.bulkString("first-entry");
    it.init(a, h, idMin, idMax, false);
    if (it.next()) replyEntry(x, a, it);
    else out.nullBulk();
    out.bulkString("last-entry");
    it.init(a, h, idMin, idMax, true);
    if (it.next()) replyEntry(x, a, it);
    else out.nullBulk();
    return;
  }
  out.bulkString("entries");
  replyRange(x, a, h, idMin, idMax, count, false);
  out.bulkString("groups");
  const gc = groupCount(a, h);
  out.arrayHeader(gc);
  for (let i = 0; i < gc; i++) replyFullGroup(x, a, h, groupAt(a, h, i), count);
}

function replyFullGroup(x: Exec, a: Arena, h: number, g: number, count: number): void {
  const out = x.out;
  out.mapHeader(7);
  out.bulkString("name");
  out.bulk(groupName(a, g));
  out.bulkString("last-delivered-id");
  replyId(x, groupLastId(a, g, idC));
  out.bulkString("entries-read");
  replyEntriesRead(x, a, g);
  out.bulkString("lag");
  replyLag(x, a, h, g);
  const n = pelCount(a, g);
  out.bulkString("pel-count");
  out.int(n);
  out.bulkString("pending");
  const shown = count === 0 ? n : Math.min(n, count);
  out.arrayHeader(shown);
  const id = new StreamId();
  for (let i = 0; i < shown; i++) {
    const w = pelRec(a, g, i);
    out.arrayHeader(4);
    replyId(x, pelId(a, w, id));
    out.bulk(consumerName(a, pelConsumer(a, w)));
    out.int(pelTime(a, w));
    replyCount(x, pelDeliveries(a, w));
  }
  out.bulkString("consumers");
  const cc = consumerCount(a, g);
  out.arrayHeader(cc);
  for (let i = 0; i < cc; i++) {
    const c = consumerAt(a, g, i);
    out.mapHeader(4);
    out.bulkString("name");
    out.bulk(consumerName(a, c));
    out.bulkString("seen-time");
    out.int(consumerSeen(a, c));
    out.bulkString("pel-count");
    const p = consumerPending(a, c);
    out.int(p);
    out.bulkString("pending");
    const cshown = count === 0 ? p : Math.min(p, count);
    out.arrayHeader(cshown);
    for (let j = 0; j < cshown; j++) {
      consumerPelId(a, c, j, id);
      const w = pelRec(a, g, pelSearch(a, g, id));
      out.arrayHeader(3);
      replyId(x, id);
      out.int(pelTime(a, w));
      replyCount(x, pelDeliveries(a, w));
    }
  }
}

export const streamCommands: CommandSpec[] = [
  cmd("xadd", -5, "write denyoom fast", 1, 1, 1, "@write @stream @fast", xaddCommand),
  cmd("xtrim", -4, "write", 1, 1, 1, "@write @stream @slow", xtrimCommand),
  cmd("xlen", 2, "readonly fast", 1, 1, 1, "@read @stream @fast", xlenCommand),
  cmd("xrange", -4, "readonly", 1, 1, 1, "@read @stream @slow", xrangeCommand),
  cmd("xrevrange", -4, "readonly", 1, 1, 1, "@read @stream @slow", xrevrangeCommand),
  cmd("xdel", -3, "write fast", 1, 1, 1, "@write @stream @fast", xdelCommand),
  cmd("xsetid", -3, "write denyoom fast", 1, 1, 1, "@write @stream @fast", xsetidCommand),
  cmd("xread", -4, "readonly blocking movablekeys", 0, 0, 0, "@read @stream @slow @blocking", xreadCommand, { keyIndexes: xreadKeys }),
  cmd("xreadgroup", -7, "write blocking movablekeys", 0, 0, 0, "@write @stream @slow @blocking", xreadgroupCommand, { keyIndexes: xreadgroupKeys }),
  cmd("xack", -4, "write fast", 1, 1, 1, "@write @stream @fast", xackCommand),
  cmd("xpending", -3, "readonly", 1, 1, 1, "@read @stream @slow", xpendingCommand),
  cmd("xclaim", -6, "write fast", 1, 1, 1, "@write @stream @fast", xclaimCommand),
  cmd("xautoclaim", -6, "write fast", 1, 1, 1, "@write @stream @fast", xautoclaimCommand),
  cmd("xgroup", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      cmd("create", -5, "write denyoom", 2, 2, 1, "@write @stream @slow", xgroupCreateCommand),
      cmd("createconsumer", 5, "write denyoom", 2, 2, 1, "@write @stream @slow", xgroupCreateConsumerCommand),
      cmd("delconsumer", 5, "write", 2, 2, 1, "@write @stream @slow", xgroupDelConsumerCommand),
      cmd("destroy", 4, "write", 2, 2, 1, "@write @stream @slow", xgroupDestroyCommand),
      cmd("setid", -5, "write", 2, 2, 1, "@write @stream @slow", xgroupSetidCommand),
      cmd("help", 2, "loading stale", 0, 0, 0, "@stream @slow", xgroupHelpCommand, { shards: "none" }),
    ],
  }),
  cmd("xinfo", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      cmd("consumers", 4, "readonly", 2, 2, 1, "@read @stream @slow", xinfoConsumersCommand),
      cmd("groups", 3, "readonly", 2, 2, 1, "@read @stream @slow", xinfoGroupsCommand),
      cmd("stream", -3, "readonly", 2, 2, 1, "@read @stream @slow", xinfoStreamCommand),
      cmd("help", 2, "loading stale", 0, 0, 0, "@stream @slow", xinfoHelpCommand, { shards: "none" }),
    ],
  }),
];
