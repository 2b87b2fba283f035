// List commands over the arena list (src/types/list.ts), including the blocking ones
// (src/server/blocking.ts).
//
// Order of checks is Redis 7.0's, because it is visible in which error wins: LRANGE, LTRIM, LREM,
// LPOS and LPOP's count parse their numbers before looking the key up; LINDEX and LSET look the
// key up (nil / "no such key", WRONGTYPE) before parsing the index; LMOVE and BLMOVE parse LEFT/RIGHT
// first; blocking commands parse the timeout before touching keys. LMOVE checks both keys' types
// before it pops. A list that becomes empty is deleted (Redis never keeps an empty list).
//
// Write-path obligations (docs/types.md): signalModified for every changed key, keyspace events with
// Redis's names (lpush, rpush, lpop, rpop, linsert, lset, lrem, ltrim, del), signalReady after every
// push (Redis signals on creation, in dbAdd; signalling every push also covers lists that arrived
// by RENAME/COPY/MOVE while clients waited, and costs one shared load when nobody is blocked).

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { ObjEnc, ObjType, type Table } from "../keyspace/table.ts";
import { Err, eqCI } from "./util.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { NOTIFY } from "../config.ts";
import { effectPartial, notifyEvent, signalModified, signalReady } from "../server/signals.ts";
import { block, parseTimeout, type BlockRequest } from "../server/blocking.ts";
import {
  el, emptyListBytes, initEmpty, iterDelete, iterInsert, iterNext, iterPrev, iterRead, iterReplace, iterSeek,
  listDropEnd, listLength, listPeek, listPopDiscard, listPopFast, listPush, setListFill,
} from "../types/list.ts";

const wrongTypeSlot = -2;
const int64MinBig = -9223372036854775808n;

/** Slot of the list at key (ks.t is its table), -1 when missing, wrongTypeSlot after WRONGTYPE. */
function lookupList(x: Exec, db: number, key: Uint8Array): number {
  const slot = x.ks.lookup(db, key);
  if (slot >= 0 && x.ks.t.type(slot) !== ObjType.list) {
    x.out.error(Err.wrongType);
    return wrongTypeSlot;
  }
  return slot;
}

/** Creates an empty list at key after a lookup that returned -1 (ks.t/ks.h still describe it). */
function createList(x: Exec, db: number, key: Uint8Array): number {
  const slot = x.ks.insert(db, key, emptyListBytes, ObjType.list, ObjEnc.quicklist, 0);
  if (slot >= 0) initEmpty(x.ks.t, slot);
  return slot;
}

/** The slot of a key known to exist (after inserts/removes in its table moved slots). */
function findAgain(x: Exec, db: number, key: Uint8Array): number {
  const t = x.ks.route(key);
  return t.find(x.ks.physicalDb(db), key, x.ks.h);
}

/** Parses an int64 for an index/count; null after the error. Clamps beyond the safe range. */
function longArg(x: Exec, arg: Uint8Array, err: string = Err.notInt): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(err);
    return null;
  }
  if (typeof v === "bigint") return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return v;
}

function replyOom(x: Exec, mark: number): void {
  x.out.len = mark;
  x.out.error(Err.oom);
}

function replyEl(x: Exec, t: Table): void {
  x.out.bulkRange(t.arena.u8, el.off, el.off + el.len);
}

/** LEFT/RIGHT: 1 for head, 0 for tail, -1 after a syntax error. */
function whereArg(x: Exec, arg: Uint8Array): number {
  if (eqCI(arg, "left")) return 1;
  if (eqCI(arg, "right")) return 0;
  x.out.error(Err.syntax);
  return -1;
}

/** Deletes the list at slot when empty (after the command's own events), with the del event. */
function deleteIfEmpty(x: Exec, db: number, key: Uint8Array, t: Table, slot: number): void {
  if (listLength(t, slot) !== 0) return;
  x.ks.deleteSlot(t, slot);
  notifyEvent(x, NOTIFY.generic, "del", db, key);
}

// ---- push ------------------------------------------------------------------------------------------

function pushGeneric(x: Exec, argv: Uint8Array[], head: boolean, onlyExisting: boolean): void {
  const db = x.s.db;
  const key = argv[1];
  let slot = lookupList(x, db, key);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    if (onlyExisting) {
      x.out.int(0);
      return;
    }
    setListFill(x.cfg.listMaxListpackSize);
    slot = createList(x, db, key);
    if (slot < 0) {
      x.out.error(Err.oom);
      return;
    }
  } else setListFill(x.cfg.listMaxListpackSize);
  const t = x.ks.t;
  let pushed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (!listPush(t, slot, head, argv[i])) break;
    pushed++;
  }
  if (pushed < argv.length - 2) {
    if (listLength(t, slot) === 0) x.ks.deleteSlot(t, slot);
    else if (pushed > 0) {
      effectPartial(x);
      signalModified(x, db, key);
      notifyEvent(x, NOTIFY.list, head ? "lpush" : "rpush", db, key);
    }
    x.out.error(Err.oom);
    return;
  }
  const len = listLength(t, slot);
  signalModified(x, db, key);
  notifyEvent(x, NOTIFY.list, head ? "lpush" : "rpush", db, key);
  // Every push, not only a creation: a list that arrived by RENAME/COPY/MOVE may have waiters.
  // (One shared load when nobody is blocked anywhere.)
  signalReady(x, db, key);
  x.out.int(len);
}

// ---- pop -------------------------------------------------------------------------------------------

/** Writes up to n elements popped from one end as bulk strings (the header is the caller's). */
function popInto(x: Exec, t: Table, slot: number, head: boolean, n: number): void {
  for (let i = 0; i < n; i++) {
    if (listPopFast(t, slot, head)) {
      replyEl(x, t);
      continue;
    }
    listPeek(t, slot, head);
    replyEl(x, t);
    listPopDiscard(t, slot, head);
  }
}

function popGeneric(x: Exec, argv: Uint8Array[], head: boolean): void {
  if (argv.length > 3) {
    x.out.error(`ERR wrong number of arguments for '${head ? "lpop" : "rpop"}' command`);
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
  const db = x.s.db;
  const key = argv[1];
  const slot = lookupList(x, db, key);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    if (count >= 0) x.out.nullArray();
    else x.out.nullBulk();
    return;
  }
  if (count === 0) {
    x.out.emptyArray();
    return;
  }
  const t = x.ks.t;
  setListFill(x.cfg.listMaxListpackSize);
  if (count < 0) {
    if (listPopFast(t, slot, head)) replyEl(x, t);
    else {
      listPeek(t, slot, head);
      replyEl(x, t);
      listPopDiscard(t, slot, head);
    }
  } else {
    const n = Math.min(count, listLength(t, slot));
    x.out.arrayHeader(n);
    popInto(x, t, slot, head, n);
  }
  notifyEvent(x, NOTIFY.list, head ? "lpop" : "rpop", db, key);
  deleteIfEmpty(x, db, key, t, slot);
  signalModified(x, db, key);
}

// ---- read commands ----------------------------------------------------------------------------------

function llenCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupList(x, x.s.db, argv[1]);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot < 0 ? 0 : listLength(x.ks.t, slot));
}

function lrangeCommand(x: Exec, argv: Uint8Array[]): void {
  let start = longArg(x, argv[2]);
  if (start === null) return;
  let end = longArg(x, argv[3]);
  if (end === null) return;
  const slot = lookupList(x, x.s.db, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.emptyArray();
    return;
  }
  const t = x.ks.t;
  const llen = listLength(t, slot);
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    x.out.emptyArray();
    return;
  }
  if (end >= llen) end = llen - 1;
  const n = end - start + 1;
  x.out.arrayHeader(n);
  iterSeek(t, slot, start);
  replyEl(x, t);
  for (let i = 1; i < n; i++) {
    iterNext(t, slot);
    replyEl(x, t);
  }
}

function lindexCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupList(x, x.s.db, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.nullBulk();
    return;
  }
  let index = longArg(x, argv[2]);
  if (index === null) return;
  const t = x.ks.t;
  const llen = listLength(t, slot);
  if (index < 0) index = llen + index;
  if (index < 0 || index >= llen) {
    x.out.nullBulk();
    return;
  }
  iterSeek(t, slot, index);
  replyEl(x, t);
}

function lposCommand(x: Exec, argv: Uint8Array[]): void {
  let rank = 1;
  let rankAny = false; // RANK -9223372036854775808: Redis's negation overflows, every match counts
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (eqCI(argv[j], "rank") && more > 0) {
      j++;
      const raw = parseInt64(argv[j], 0, argv[j].length);
      if (raw === null) {
        x.out.error(Err.notInt);
        return;
      }
      if (raw === 0) {
        x.out.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
        return;
      }
      rankAny = raw === int64MinBig;
      rank = typeof raw === "bigint" ? (raw > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER) : raw;
    } else if (eqCI(argv[j], "count") && more > 0) {
      j++;
      const v = longArg(x, argv[j], "ERR COUNT can't be negative");
      if (v === null) return;
      if (v < 0) {
        x.out.error("ERR COUNT can't be negative");
        return;
      }
      count = v;
    } else if (eqCI(argv[j], "maxlen") && more > 0) {
      j++;
      const v = longArg(x, argv[j], "ERR MAXLEN can't be negative");
      if (v === null) return;
      if (v < 0) {
        x.out.error("ERR MAXLEN can't be negative");
        return;
      }
      maxlen = v;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const fromTail = rank < 0;
  if (fromTail && !rankAny) rank = -rank;
  const slot = lookupList(x, x.s.db, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    if (count >= 0) x.out.emptyArray();
    else x.out.nullBulk();
    return;
  }
  const t = x.ks.t;
  const llen = listLength(t, slot);
  const ele = argv[2];
  const out = x.out;
  const results: number[] = [];
  let matches = 0;
  let index = 0;
  iterSeek(t, slot, fromTail ? llen - 1 : 0);
  for (;;) {
    if (maxlen !== 0 && index >= maxlen) break;
    if (elEquals(t, ele)) {
      matches++;
      if (rankAny || matches >= rank) {
        results.push(fromTail ? llen - index - 1 : index);
        if (count < 0) break;
        if (count !== 0 && (rankAny ? results.length : matches - rank + 1) >= count) break;
      }
    }
    index++;
    if (!(fromTail ? iterPrev(t, slot) : iterNext(t, slot))) break;
  }
  if (count < 0) {
    if (results.length === 0) out.nullBulk();
    else out.int(results[0]);
    return;
  }
  out.arrayHeader(results.length);
  for (const r of results) out.int(r);
}

function elEquals(t: Table, v: Uint8Array): boolean {
  if (el.len !== v.length) return false;
  const u8 = t.arena.u8;
  const off = el.off;
  for (let i = 0; i < v.length; i++) if (u8[off + i] !== v[i]) return false;
  return true;
}

// ---- in-place writes ----------------------------------------------------------------------------------

function lsetCommand(x: Exec, argv: Uint8Array[]): void {
  const db = x.s.db;
  const slot = lookupList(x, db, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.error(Err.noSuchKey);
    return;
  }
  let index = longArg(x, argv[2]);
  if (index === null) return;
  const t = x.ks.t;
  const llen = listLength(t, slot);
  if (index < 0) index = llen + index;
  if (index < 0 || index >= llen) {
    x.out.error("ERR index out of range");
    return;
  }
  setListFill(x.cfg.listMaxListpackSize);
  iterSeek(t, slot, index);
  if (!iterReplace(t, slot, argv[3])) {
    x.out.error(Err.oom);
    return;
  }
  x.out.ok();
  signalModified(x, db, argv[1]);
  notifyEvent(x, NOTIFY.list, "lset", db, argv[1]);
}

function linsertCommand(x: Exec, argv: Uint8Array[]): void {
  let after: boolean;
  if (eqCI(argv[2], "after")) after = true;
  else if (eqCI(argv[2], "before")) after = false;
  else {
    x.out.error(Err.syntax);
    return;
  }
  const db = x.s.db;
  const slot = lookupList(x, db, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  const pivot = argv[3];
  iterSeek(t, slot, 0);
  for (;;) {
    if (elEquals(t, pivot)) break;
    if (!iterNext(t, slot)) {
      x.out.int(-1);
      return;
    }
  }
  setListFill(x.cfg.listMaxListpackSize);
  if (!iterInsert(t, slot, argv[4], after)) {
    x.out.error(Err.oom);
    return;
  }
  signalModified(x, db, argv[1]);
  notifyEvent(x, NOTIFY.list, "linsert", db, argv[1]);
  x.out.int(listLength(t, slot));
}

function lremCommand(x: Exec, argv: Uint8Array[]): void {
  const toRemove = longArg(x, argv[2]);
  if (toRemove === null) return;
  const db = x.s.db;
  const key = argv[1];
  const slot = lookupList(x, db, key);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  const v = argv[3];
  const llen = listLength(t, slot);
  setListFill(x.cfg.listMaxListpackSize);
  let removed = 0;
  if (toRemove >= 0) {
    iterSeek(t, slot, 0);
    for (;;) {
      if (elEquals(t, v)) {
        removed++;
        const more = iterDelete(t, slot);
        if (toRemove !== 0 && removed === toRemove) break;
        if (!more) break;
        iterRead(t, slot);
        continue;
      }
      if (!iterNext(t, slot)) break;
    }
  } else {
    const limit = -toRemove;
    iterSeek(t, slot, llen - 1);
    for (;;) {
      let moved: boolean;
      if (elEquals(t, v)) {
        removed++;
        iterDelete(t, slot);
        if (removed === limit) break;
        moved = iterPrev(t, slot);
      } else moved = iterPrev(t, slot);
      if (!moved) break;
    }
  }
  if (removed > 0) {
    notifyEvent(x, NOTIFY.list, "lrem", db, key);
    deleteIfEmpty(x, db, key, t, slot);
    signalModified(x, db, key);
  }
  x.out.int(removed);
}

function ltrimCommand(x: Exec, argv: Uint8Array[]): void {
  let start = longArg(x, argv[2]);
  if (start === null) return;
  let end = longArg(x, argv[3]);
  if (end === null) return;
  const db = x.s.db;
  const key = argv[1];
  const slot = lookupList(x, db, key);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.ok();
    return;
  }
  const t = x.ks.t;
  const llen = listLength(t, slot);
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  let ltrim: number;
  let rtrim: number;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0;
  } else {
    if (end >= llen) end = llen - 1;
    ltrim = start;
    rtrim = llen - end - 1;
  }
  setListFill(x.cfg.listMaxListpackSize);
  listDropEnd(t, slot, true, ltrim);
  listDropEnd(t, slot, false, rtrim);
  notifyEvent(x, NOTIFY.list, "ltrim", db, key);
  deleteIfEmpty(x, db, key, t, slot);
  signalModified(x, db, key);
  x.out.ok();
}

// ---- LMOVE and friends ----------------------------------------------------------------------------------

const moveNoSource = 0;
const moveDone = 1;
const moveWrongType = 2; // WRONGTYPE written
const moveSourceWrongType = 3; // WRONGTYPE written for the source

/**
 * Moves one element from src's `fromHead` end to dst's `toHead` end and replies it as a bulk string.
 * Returns moveNoSource (nothing written) when src does not exist.
 */
function moveGeneric(x: Exec, db: number, src: Uint8Array, dst: Uint8Array, fromHead: boolean, toHead: boolean): number {
  const ks = x.ks;
  const sslot = lookupList(x, db, src);
  if (sslot === wrongTypeSlot) return moveSourceWrongType;
  if (sslot < 0) return moveNoSource;
  const ts = ks.t;
  setListFill(x.cfg.listMaxListpackSize);
  listPeek(ts, sslot, fromHead);
  const value = ts.arena.u8.slice(el.off, el.off + el.len);
  const same = src.length === dst.length && src.every((b, i) => b === dst[i]);
  if (same) {
    // A rotation: push at the other end first (out of memory leaves the list as it was), then pop;
    // the same end on both sides changes nothing.
    if (fromHead !== toHead) {
      if (!listPush(ts, sslot, toHead, value)) {
        x.out.error(Err.oom);
        return moveDone;
      }
      listPopDiscard(ts, sslot, fromHead);
    }
    signalModified(x, db, dst);
    notifyEvent(x, NOTIFY.list, toHead ? "lpush" : "rpush", db, dst);
    x.out.bulk(value);
    notifyEvent(x, NOTIFY.list, fromHead ? "lpop" : "rpop", db, src);
    signalModified(x, db, src);
    return moveDone;
  }
  let dslot = lookupList(x, db, dst);
  if (dslot === wrongTypeSlot) return moveWrongType;
  let created = false;
  if (dslot < 0) {
    dslot = createList(x, db, dst);
    if (dslot < 0) {
      x.out.error(Err.oom);
      return moveDone;
    }
    created = true;
  }
  const td = ks.t;
  if (!listPush(td, dslot, toHead, value)) {
    if (created) ks.deleteSlot(td, dslot);
    x.out.error(Err.oom);
    return moveDone;
  }
  signalReady(x, db, dst);
  signalModified(x, db, dst);
  notifyEvent(x, NOTIFY.list, toHead ? "lpush" : "rpush", db, dst);
  x.out.bulk(value);
  const s2 = findAgain(x, db, src);
  const t2 = ks.t;
  listPopDiscard(t2, s2, fromHead);
  notifyEvent(x, NOTIFY.list, fromHead ? "lpop" : "rpop", db, src);
  deleteIfEmpty(x, db, src, t2, s2);
  signalModified(x, db, src);
  return moveDone;
}

function lmoveCommand(x: Exec, argv: Uint8Array[]): void {
  const from = whereArg(x, argv[3]);
  if (from < 0) return;
  const to = whereArg(x, argv[4]);
  if (to < 0) return;
  if (moveGeneric(x, x.s.db, argv[1], argv[2], from === 1, to === 1) === moveNoSource) x.out.nullBulk();
}

function rpoplpushCommand(x: Exec, argv: Uint8Array[]): void {
  if (moveGeneric(x, x.s.db, argv[1], argv[2], false, true) === moveNoSource) x.out.nullBulk();
}

// ---- LMPOP ---------------------------------------------------------------------------------------------

/** Parsed LMPOP/BLMPOP arguments (module fields: no tuple per command). */
let mpopFirstKey = 0;
let mpopKeys = 0;
let mpopHead = true;
let mpopCount = 1;

/** Parses numkeys..[COUNT n] starting at argv[at]; false after the error reply. */
function parseMpop(x: Exec, argv: Uint8Array[], at: number): boolean {
  const err = "ERR numkeys should be greater than 0";
  const nk = longArg(x, argv[at], err);
  if (nk === null) return false;
  if (nk < 1) {
    x.out.error(err);
    return false;
  }
  const whereIdx = at + nk + 1;
  if (whereIdx >= argv.length) {
    x.out.error(Err.syntax);
    return false;
  }
  const w = whereArg(x, argv[whereIdx]);
  if (w < 0) return false;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && eqCI(argv[j], "count") && more > 0) {
      j++;
      const cerr = "ERR count should be greater than 0";
      const v = longArg(x, argv[j], cerr);
      if (v === null) return false;
      if (v < 1) {
        x.out.error(cerr);
        return false;
      }
      count = v;
    } else {
      x.out.error(Err.syntax);
      return false;
    }
  }
  mpopFirstKey = at + 1;
  mpopKeys = nk;
  mpopHead = w === 1;
  mpopCount = count === -1 ? 1 : count;
  return true;
}

/** Pops up to count from the list at (t, slot) replying [key, [elements]], with its events. */
function mpopFrom(x: Exec, db: number, key: Uint8Array, t: Table, slot: number, head: boolean, count: number): void {
  setListFill(x.cfg.listMaxListpackSize);
  const n = Math.min(count, listLength(t, slot));
  x.out.arrayHeader(2);
  x.out.bulk(key);
  x.out.arrayHeader(n);
  popInto(x, t, slot, head, n);
  notifyEvent(x, NOTIFY.list, head ? "lpop" : "rpop", db, key);
  deleteIfEmpty(x, db, key, t, slot);
  signalModified(x, db, key);
}

/** Serves LMPOP from the first non-empty key: 1 done, 0 none, -1 WRONGTYPE written. */
function mpopTry(x: Exec, db: number, argv: Uint8Array[], first: number, n: number, head: boolean, count: number): number {
  for (let i = 0; i < n; i++) {
    const key = argv[first + i];
    const slot = lookupList(x, db, key);
    if (slot === wrongTypeSlot) return -1;
    if (slot < 0) continue;
    mpopFrom(x, db, key, x.ks.t, slot, head, count);
    return 1;
  }
  return 0;
}

function lmpopCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseMpop(x, argv, 1)) return;
  if (mpopTry(x, x.s.db, argv, mpopFirstKey, mpopKeys, mpopHead, mpopCount) === 0) x.out.nullArray();
}

const mpopKeyIndexes = (at: number) => (argv: Uint8Array[]): number[] => {
  const v = parseInt64(argv[at], 0, argv[at].length);
  if (v === null || typeof v === "bigint" || v < 1 || at + v >= argv.length) return [];
  const out: number[] = [];
  for (let i = 0; i < v; i++) out.push(at + 1 + i);
  return out;
};

// ---- blocking ---------------------------------------------------------------------------------------------

const replyNullArray = (x: Exec) => x.out.nullArray();

function copies(argv: Uint8Array[], from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = from; i < to; i++) out.push(argv[i].slice());
  return out;
}

/** BLPOP / BRPOP. */
function bpopGeneric(x: Exec, argv: Uint8Array[], head: boolean): void | Promise<ReplyFn> {
  const deadline = parseTimeout(x, argv[argv.length - 1]);
  if (deadline < 0) return;
  const db = x.s.db;
  for (let i = 1; i < argv.length - 1; i++) {
    const key = argv[i];
    const slot = lookupList(x, db, key);
    if (slot === wrongTypeSlot) return;
    if (slot < 0) continue;
    popOneWithKey(x, db, key, x.ks.t, slot, head);
    return;
  }
  if (x.s.inExec) {
    x.out.nullArray();
    return;
  }
  const keys = copies(argv, 1, argv.length - 1);
  const req: BlockRequest = {
    db,
    keys,
    lockKeys: keys,
    deadlineMs: deadline,
    serve: (y, key) => {
      const slot = y.ks.lookup(db, key);
      if (slot < 0 || y.ks.t.type(slot) !== ObjType.list) return false;
      popOneWithKey(y, db, key, y.ks.t, slot, head);
      return true;
    },
    timeout: replyNullArray,
  };
  return block(x, req);
}

function popOneWithKey(x: Exec, db: number, key: Uint8Array, t: Table, slot: number, head: boolean): void {
  setListFill(x.cfg.listMaxListpackSize);
  x.out.arrayHeader(2);
  x.out.bulk(key);
  listPeek(t, slot, head);
  replyEl(x, t);
  listPopDiscard(t, slot, head);
  notifyEvent(x, NOTIFY.list, head ? "lpop" : "rpop", db, key);
  deleteIfEmpty(x, db, key, t, slot);
  signalModified(x, db, key);
}

/** BLMOVE / BRPOPLPUSH. */
function bmoveGeneric(x: Exec, argv: Uint8Array[], fromHead: boolean, toHead: boolean, timeoutArg: Uint8Array): void | Promise<ReplyFn> {
  const deadline = parseTimeout(x, timeoutArg);
  if (deadline < 0) return;
  const db = x.s.db;
  if (moveGeneric(x, db, argv[1], argv[2], fromHead, toHead) !== moveNoSource) return;
  if (x.s.inExec) {
    x.out.nullBulk();
    return;
  }
  const src = argv[1].slice();
  const dst = argv[2].slice();
  return block(x, {
    db,
    keys: [src],
    lockKeys: [src, dst],
    deadlineMs: deadline,
    serve: (y) => {
      const slot = y.ks.lookup(db, src);
      if (slot < 0 || y.ks.t.type(slot) !== ObjType.list) return false;
      moveGeneric(y, db, src, dst, fromHead, toHead);
      return true;
    },
    timeout: replyNullArray,
  });
}

function blmoveCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  const from = whereArg(x, argv[3]);
  if (from < 0) return;
  const to = whereArg(x, argv[4]);
  if (to < 0) return;
  return bmoveGeneric(x, argv, from === 1, to === 1, argv[5]);
}

function blmpopCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  if (!parseMpop(x, argv, 2)) return; // Redis checks numkeys, LEFT/RIGHT and COUNT before the timeout
  const deadline = parseTimeout(x, argv[1]);
  if (deadline < 0) return;
  const db = x.s.db;
  const head = mpopHead;
  const count = mpopCount;
  const r = mpopTry(x, db, argv, mpopFirstKey, mpopKeys, head, count);
  if (r !== 0) return;
  if (x.s.inExec) {
    x.out.nullArray();
    return;
  }
  const keys = copies(argv, mpopFirstKey, mpopFirstKey + mpopKeys);
  return block(x, {
    db,
    keys,
    lockKeys: keys,
    deadlineMs: deadline,
    serve: (y, key) => {
      const slot = y.ks.lookup(db, key);
      if (slot < 0 || y.ks.t.type(slot) !== ObjType.list) return false;
      mpopFrom(y, db, key, y.ks.t, slot, head, count);
      return true;
    },
    timeout: replyNullArray,
  });
}

export const listCommands: CommandSpec[] = [
  cmd("lpush", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", (x, a) => pushGeneric(x, a, true, false)),
  cmd("rpush", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", (x, a) => pushGeneric(x, a, false, false)),
  cmd("lpushx", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", (x, a) => pushGeneric(x, a, true, true)),
  cmd("rpushx", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", (x, a) => pushGeneric(x, a, false, true)),
  cmd("lpop", -2, "write fast", 1, 1, 1, "@write @list @fast", (x, a) => popGeneric(x, a, true)),
  cmd("rpop", -2, "write fast", 1, 1, 1, "@write @list @fast", (x, a) => popGeneric(x, a, false)),
  cmd("llen", 2, "readonly fast", 1, 1, 1, "@read @list @fast", llenCommand),
  cmd("lrange", 4, "readonly", 1, 1, 1, "@read @list @slow", lrangeCommand),
  cmd("lindex", 3, "readonly", 1, 1, 1, "@read @list @slow", lindexCommand),
  cmd("lset", 4, "write denyoom", 1, 1, 1, "@write @list @slow", lsetCommand),
  cmd("linsert", 5, "write denyoom", 1, 1, 1, "@write @list @slow", linsertCommand),
  cmd("lrem", 4, "write", 1, 1, 1, "@write @list @slow", lremCommand),
  cmd("ltrim", 4, "write", 1, 1, 1, "@write @list @slow", ltrimCommand),
  cmd("lpos", -3, "readonly", 1, 1, 1, "@read @list @slow", lposCommand),
  cmd("lmove", 5, "write denyoom", 1, 2, 1, "@write @list @slow", lmoveCommand),
  cmd("rpoplpush", 3, "write denyoom", 1, 2, 1, "@write @list @slow", rpoplpushCommand),
  cmd("lmpop", -4, "write movablekeys", 0, 0, 0, "@write @list @slow", lmpopCommand, { keyIndexes: mpopKeyIndexes(1) }),
  cmd("blpop", -3, "write noscript blocking", 1, -2, 1, "@write @list @slow @blocking", (x, a) => bpopGeneric(x, a, true)),
  cmd("brpop", -3, "write noscript blocking", 1, -2, 1, "@write @list @slow @blocking", (x, a) => bpopGeneric(x, a, false)),
  cmd("blmove", 6, "write denyoom noscript blocking", 1, 2, 1, "@write @list @slow @blocking", blmoveCommand),
  cmd("brpoplpush", 4, "write denyoom noscript blocking", 1, 2, 1, "@write @list @slow @blocking", (x, a) => bmoveGeneric(x, a, false, true, a[3])),
  cmd("blmpop", -5, "write blocking movablekeys", 0, 0, 0, "@write @list @slow @blocking", blmpopCommand, { keyIndexes: mpopKeyIndexes(2) }),
];
