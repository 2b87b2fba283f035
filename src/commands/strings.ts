// String commands. Values are bytes in the shard arena; replies copy them straight from the arena
// into the reply buffer, so GET and SET allocate nothing on the JS heap (option parsing leaves its
// result in module-level fields, not in a returned tuple).
//
// OBJECT ENCODING follows Redis 7.0's rules. Every value is stored as its text; the encoding is
// bookkeeping: "int" for canonical int64 text (string2ll: no '+', no leading zero, no "-0"),
// "embstr" up to 44 bytes, "raw" beyond. APPEND to an existing key and SETRANGE always leave "raw"
// (dbUnshareStringValue), and so does SETRANGE creating a key; APPEND creating a key encodes its
// argument like SET. INCR/DECR leave "int"; INCRBYFLOAT stores its text as embstr/raw, never int.
//
// Order of checks is Redis's, because it is visible in which error wins: SET/SETEX validate the
// expire time before looking at the key; GETEX looks the key up (nil, WRONGTYPE) before validating
// it; INCRBY/DECRBY/SETRANGE/GETRANGE parse their numbers before the lookup, INCR's stored value is
// parsed after the type check.
//
// Out of memory: the keyspace returns -1 (or false) when the arena cannot grow. A write command then
// rewinds the reply buffer to where the command started (dropping e.g. SET GET's old value) and
// replies only Redis's OOM error.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import type { Table } from "../keyspace/table.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { intByteLength, parseInt64, parseSafeInt, writeInt, formatInt } from "../../native-free/numbers.ts";
import { incrByFloat } from "../../native-free/long_double.ts";
import { Err, int64Max, int64Min, intArg } from "./util.ts";
import { NOTIFY } from "../config.ts";
import { notifyEvent, signalModified } from "../server/signals.ts";

export const embstrBytesMax = 44;
/** The largest value the arena can hold in one block (a 4 GiB buffer, less its header). */
const valueBytesMax = 2 ** 32 - 2 ** 16;

const emptyBytes = new Uint8Array(0);
const errStringTooBig = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const errOffset = "ERR offset is out of range";

/** True when v is int64 text string2ll accepts (what Redis's tryObjectEncoding turns into "int"). */
function isInt64Text(v: Uint8Array): boolean {
  if (v.length === 0 || v.length > 20) return false;
  const n = parseSafeInt(v, 0, v.length);
  if (n === n) return true; // not NaN
  return v.length >= 16 && parseInt64(v, 0, v.length) !== null;
}

/** Encoding Redis would give a freshly set string value. */
export function stringEncoding(v: Uint8Array): number {
  if (isInt64Text(v)) return ObjEnc.int;
  return v.length <= embstrBytesMax ? ObjEnc.embstr : ObjEnc.raw;
}

/** Encoding of a value Redis builds with createStringObject (INCRBYFLOAT): never "int". */
function textEncoding(len: number): number {
  return len <= embstrBytesMax ? ObjEnc.embstr : ObjEnc.raw;
}

/**
 * Redis matches option words with C string compares, so an argument is cut at its first NUL byte:
 * "NX\0junk" is NX. True when `arg` is the ASCII-lowercase word `lower`, ignoring case, in that sense.
 */
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

const wrongTypeSlot = -2;

/**
 * Slot of the string at `key` (ks.t is then its table), -1 when it is missing, or wrongTypeSlot
 * after replying WRONGTYPE.
 */
function lookupString(x: Exec, key: Uint8Array): number {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot >= 0 && x.ks.t.type(slot) !== ObjType.string) {
    x.out.error(Err.wrongType);
    return wrongTypeSlot;
  }
  return slot;
}

function replySlotValue(x: Exec, t: Table, slot: number): void {
  const off = t.valueOffset(slot);
  x.out.bulkRange(t.arena.u8, off, off + t.valueLen(slot));
}

/**
 * After a write to key (src/server/signals.ts): WATCH always; keyspace notifications only when
 * some are on (one test on the hot path): `new` when the write created the key, then the event.
 */
function written(x: Exec, key: Uint8Array, created: boolean, event: string, cls: number = NOTIFY.string): void {
  signalModified(x, x.s.db, key);
  if (x.cfg.notifyKeyspaceEvents !== 0) {
    if (created) notifyEvent(x, NOTIFY.newKey, "new", x.s.db, key);
    notifyEvent(x, cls, event, x.s.db, key);
  }
}

/** Drops what the command wrote since `mark` and replies the OOM error alone. */
function replyOom(x: Exec, mark: number): void {
  x.out.len = mark;
  x.out.error(Err.oom);
}

// ---- GET, SET and their options -------------------------------------------------------------------

function getCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupString(x, argv[1]);
  if (slot === -1) x.out.nullBulk();
  else if (slot >= 0) replySlotValue(x, x.ks.t, slot);
}

// Option flags, as Redis's OBJ_* set flags.
const fNX = 1;
const fXX = 2;
const fEX = 4;
const fPX = 8;
const fKEEPTTL = 16;
const fGET = 32;
const fEXAT = 64;
const fPXAT = 128;
const fPERSIST = 256;

// Results of parseExtendedOptions / expireAtOrReply (module fields: no tuple per command).
let optFlags = 0;
let optExpire: Uint8Array | null = null;
let optExpireAt = 0;

/**
 * Parses SET's (forSet) or GETEX's options from argv[from..] into optFlags/optExpire, as Redis's
 * parseExtendedStringArgumentsOrReply: a repeated option is accepted (the last expire wins), a
 * conflicting one or a missing value is a syntax error. The expire value is not validated here.
 */
function parseExtendedOptions(x: Exec, argv: Uint8Array[], from: number, forSet: boolean): boolean {
  let flags = 0;
  let expire: Uint8Array | null = null;
  for (let j = from; j < argv.length; j++) {
    const a = argv[j];
    const hasNext = j + 1 < argv.length;
    if (forSet && isOpt(a, "nx") && (flags & fXX) === 0) flags |= fNX;
    else if (forSet && isOpt(a, "xx") && (flags & fNX) === 0) flags |= fXX;
    else if (forSet && isOpt(a, "get")) flags |= fGET;
    else if (forSet && isOpt(a, "keepttl") && (flags & (fPERSIST | fEX | fEXAT | fPX | fPXAT)) === 0) flags |= fKEEPTTL;
    else if (!forSet && isOpt(a, "persist") && (flags & (fEX | fEXAT | fPX | fPXAT | fKEEPTTL)) === 0) flags |= fPERSIST;
    else if (hasNext && isOpt(a, "ex") && (flags & (fKEEPTTL | fPERSIST | fEXAT | fPX | fPXAT)) === 0) {
      flags |= fEX;
      expire = argv[++j];
    } else if (hasNext && isOpt(a, "px") && (flags & (fKEEPTTL | fPERSIST | fEX | fEXAT | fPXAT)) === 0) {
      flags |= fPX;
      expire = argv[++j];
    } else if (hasNext && isOpt(a, "exat") && (flags & (fKEEPTTL | fPERSIST | fEX | fPX | fPXAT)) === 0) {
      flags |= fEXAT;
      expire = argv[++j];
    } else if (hasNext && isOpt(a, "pxat") && (flags & (fKEEPTTL | fPERSIST | fEX | fEXAT | fPX)) === 0) {
      flags |= fPXAT;
      expire = argv[++j];
    } else {
      x.out.error(Err.syntax);
      return false;
    }
  }
  optFlags = flags;
  optExpire = expire;
  return true;
}

/**
 * Turns an expire argument into an absolute ms time in optExpireAt, as getExpireMillisecondsOrReply:
 * seconds (EX, EXAT) or ms (PX, PXAT), relative (EX, PX) or absolute; <= 0 or an int64 overflow is
 * "invalid expire time in '<cmd>' command".
 */
function expireAtOrReply(x: Exec, arg: Uint8Array, flags: number, cmdName: string): boolean {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(Err.notInt);
    return false;
  }
  const seconds = (flags & (fEX | fEXAT)) !== 0;
  const relative = (flags & (fEX | fPX)) !== 0;
  if (typeof v === "number" && v > 0 && v <= 2 ** 43) {
    // Exact in doubles: v * 1000 + now stays below 2^53.
    optExpireAt = (seconds ? v * 1000 : v) + (relative ? x.now : 0);
    return true;
  }
  let ms = BigInt(v);
  if (ms <= 0n || (seconds && ms > int64Max / 1000n)) {
    x.out.error(`ERR invalid expire time in '${cmdName}' command`);
    return false;
  }
  if (seconds) ms *= 1000n;
  if (relative) ms += BigInt(x.now);
  if (ms > int64Max) {
    // In C the addition wraps negative: Redis's "<= 0" overflow check.
    x.out.error(`ERR invalid expire time in '${cmdName}' command`);
    return false;
  }
  optExpireAt = Number(ms);
  return true;
}

/**
 * setGenericCommand: SET, SETNX, SETEX, PSETEX. `expireAt` is absolute ms or 0; `intReply` makes
 * the replies :1 / :0 (SETNX) instead of +OK / nil.
 */
function setGeneric(x: Exec, key: Uint8Array, value: Uint8Array, flags: number, expireAt: number, intReply: boolean): void {
  const ks = x.ks;
  const out = x.out;
  const db = x.s.db;
  const mark = out.len;
  const slot = ks.lookup(db, key); // lazy expiry first, as lookupKeyWrite
  if ((flags & fGET) !== 0) {
    const t = ks.t;
    if (slot >= 0 && t.type(slot) !== ObjType.string) {
      out.error(Err.wrongType);
      return;
    }
    // The old value goes out before it is replaced.
    if (slot < 0) out.nullBulk();
    else replySlotValue(x, t, slot);
  }
  if (((flags & fNX) !== 0 && slot >= 0) || ((flags & fXX) !== 0 && slot < 0)) {
    if ((flags & fGET) === 0) {
      if (intReply) out.int(0);
      else out.nullBulk();
    }
    return;
  }
  // An expire time already in the past is stored as is: the key is gone at its next access, and
  // until then DBSIZE counts it, as in Redis.
  const keep = (flags & fKEEPTTL) !== 0 ? -1 : expireAt;
  if (ks.setStringAfterLookup(db, key, slot, value, stringEncoding(value), keep) < 0) {
    replyOom(x, mark);
    return;
  }
  written(x, key, slot < 0, "set");
  if (expireAt > 0 && x.cfg.notifyKeyspaceEvents !== 0) notifyEvent(x, NOTIFY.generic, "expire", db, key);
  if ((flags & fGET) !== 0) return;
  if (intReply) out.int(1);
  else out.ok();
}

function setCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseExtendedOptions(x, argv, 3, true)) return;
  const flags = optFlags;
  let at = 0;
  if (optExpire !== null) {
    if (!expireAtOrReply(x, optExpire, flags, "set")) return;
    at = optExpireAt;
  }
  setGeneric(x, argv[1], argv[2], flags, at, false);
}

function setnxCommand(x: Exec, argv: Uint8Array[]): void {
  setGeneric(x, argv[1], argv[2], fNX, 0, true);
}

function setexCommand(x: Exec, argv: Uint8Array[]): void {
  if (!expireAtOrReply(x, argv[2], fEX, "setex")) return;
  setGeneric(x, argv[1], argv[3], fEX, optExpireAt, false);
}

function psetexCommand(x: Exec, argv: Uint8Array[]): void {
  if (!expireAtOrReply(x, argv[2], fPX, "psetex")) return;
  setGeneric(x, argv[1], argv[3], fPX, optExpireAt, false);
}

/** GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]: GET that also sets or clears the TTL. */
function getexCommand(x: Exec, argv: Uint8Array[]): void {
  if (!parseExtendedOptions(x, argv, 2, false)) return;
  const flags = optFlags;
  const expire = optExpire;
  const mark = x.out.len;
  const slot = lookupString(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) {
    x.out.nullBulk(); // the expire time is not even validated for a missing key
    return;
  }
  if (expire !== null && !expireAtOrReply(x, expire, flags, "getex")) return;
  const ks = x.ks;
  const t = ks.t;
  replySlotValue(x, t, slot);
  if (expire !== null) {
    if ((flags & (fEXAT | fPXAT)) !== 0 && optExpireAt <= x.now) {
      ks.deleteSlot(t, slot);
      written(x, argv[1], false, "del", NOTIFY.generic);
    } else if (!t.setExpire(slot, optExpireAt)) replyOom(x, mark);
    else written(x, argv[1], false, "expire", NOTIFY.generic);
  } else if ((flags & fPERSIST) !== 0 && t.expireAt(slot) !== 0) {
    if (!t.setExpire(slot, 0)) replyOom(x, mark);
    else written(x, argv[1], false, "persist", NOTIFY.generic);
  }
}

function getdelCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupString(x, argv[1]);
  if (slot === -1) x.out.nullBulk();
  if (slot < 0) return;
  const t = x.ks.t;
  replySlotValue(x, t, slot);
  x.ks.deleteSlot(t, slot);
  written(x, argv[1], false, "del", NOTIFY.generic);
}

/** GETSET: the old value (or nil), then a plain SET (the TTL is dropped). */
function getsetCommand(x: Exec, argv: Uint8Array[]): void {
  const mark = x.out.len;
  const slot = lookupString(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) x.out.nullBulk();
  else replySlotValue(x, x.ks.t, slot);
  const value = argv[2];
  if (x.ks.setString(x.s.db, argv[1], value, stringEncoding(value), 0) < 0) replyOom(x, mark);
  else written(x, argv[1], slot === -1, "set");
}

// ---- multi-key ------------------------------------------------------------------------------------

function mgetCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  x.out.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const slot = ks.lookup(x.s.db, argv[i]);
    if (slot < 0 || ks.t.type(slot) !== ObjType.string) x.out.nullBulk();
    else replySlotValue(x, ks.t, slot);
  }
}

/** MSET and MSETNX; with nx nothing is set (reply :0) when any key exists. */
function msetGeneric(x: Exec, argv: Uint8Array[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    x.out.error(`ERR wrong number of arguments for '${nx ? "msetnx" : "mset"}' command`);
    return;
  }
  const ks = x.ks;
  const db = x.s.db;
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (ks.lookup(db, argv[i]) >= 0) {
        x.out.int(0);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    const slot = ks.lookup(db, argv[i]); // lazy expiry (expired_keys), as setKey's lookupKeyWrite
    // Keys set before an OOM stay set: the arena cannot promise room for all pairs up front.
    if (ks.setStringAfterLookup(db, argv[i], slot, argv[i + 1], stringEncoding(argv[i + 1]), 0) < 0) {
      x.out.error(Err.oom);
      return;
    }
    written(x, argv[i], slot < 0, "set");
  }
  if (nx) x.out.int(1);
  else x.out.ok();
}

function msetCommand(x: Exec, argv: Uint8Array[]): void {
  msetGeneric(x, argv, false);
}
function msetnxCommand(x: Exec, argv: Uint8Array[]): void {
  msetGeneric(x, argv, true);
}

// ---- lengths and ranges ---------------------------------------------------------------------------

function strlenCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupString(x, argv[1]);
  if (slot === -1) x.out.int(0);
  else if (slot >= 0) x.out.int(x.ks.t.valueLen(slot));
}

/** True (after replying) when a string would exceed proto-max-bulk-len, as checkStringLength. */
function tooLong(x: Exec, total: number | bigint): boolean {
  if (total <= x.cfg.protoMaxBulkLen) return false;
  x.out.error(errStringTooBig);
  return true;
}

function appendCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const add = argv[2];
  const slot = lookupString(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) {
    // A new key holds the argument itself, encoded as SET would.
    if (ks.setString(x.s.db, argv[1], add, stringEncoding(add), 0) < 0) x.out.error(Err.oom);
    else {
      written(x, argv[1], true, "append");
      x.out.int(add.length);
    }
    return;
  }
  const t = ks.t;
  const oldLen = t.valueLen(slot);
  const total = oldLen + add.length;
  if (tooLong(x, total)) return;
  if (total > valueBytesMax || !t.resizeValue(slot, total, oldLen)) {
    x.out.error(Err.oom);
    return;
  }
  t.arena.u8.set(add, t.valueOffset(slot) + oldLen);
  t.setTypeEnc(slot, ObjType.string, ObjEnc.raw);
  written(x, argv[1], false, "append");
  x.out.int(total);
}

/** SETRANGE key offset value: overwrites from offset, zero-padding a shorter string. */
function setrangeCommand(x: Exec, argv: Uint8Array[]): void {
  const offset = intArg(x, argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    x.out.error(errOffset);
    return;
  }
  const value = argv[3];
  const ks = x.ks;
  const slot = lookupString(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  const oldLen = slot >= 0 ? ks.t.valueLen(slot) : 0;
  if (value.length === 0) {
    x.out.int(oldLen); // nothing to write: no key is created, no length check
    return;
  }
  const end = typeof offset === "number" ? offset + value.length : offset + BigInt(value.length);
  if (tooLong(x, end)) return;
  if (end > valueBytesMax) {
    x.out.error(Err.oom);
    return;
  }
  const off = Number(offset);
  const total = Math.max(oldLen, off + value.length);
  const t = ks.t;
  let s = slot;
  if (s < 0) s = ks.insert(x.s.db, argv[1], total, ObjType.string, ObjEnc.raw, 0);
  else if (!t.resizeValue(s, total, oldLen)) s = -1;
  if (s < 0) {
    x.out.error(Err.oom);
    return;
  }
  const base = t.valueOffset(s);
  // Fresh or recycled arena bytes are not zero: pad explicitly, as sdsgrowzero does.
  if (off > oldLen) t.arena.u8.fill(0, base + oldLen, base + off);
  t.arena.u8.set(value, base + off);
  t.setTypeEnc(s, ObjType.string, ObjEnc.raw);
  written(x, argv[1], slot < 0, "setrange");
  x.out.int(total);
}

/** GETRANGE / SUBSTR key start end: inclusive, negative indexes count from the end. */
function getrangeCommand(x: Exec, argv: Uint8Array[]): void {
  const startArg = intArg(x, argv[2]);
  if (startArg === null) return;
  const endArg = intArg(x, argv[3]);
  if (endArg === null) return;
  const slot = lookupString(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) {
    x.out.bulk(emptyBytes);
    return;
  }
  // This comparison needs the exact int64s; after it, clamping to +-2^53 changes nothing because
  // every string is far shorter.
  if (startArg < 0 && endArg < 0 && startArg > endArg) {
    x.out.bulk(emptyBytes);
    return;
  }
  const t = x.ks.t;
  const len = t.valueLen(slot);
  let start = clampSafe(startArg);
  let end = clampSafe(endArg);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) {
    x.out.bulk(emptyBytes);
    return;
  }
  const off = t.valueOffset(slot);
  x.out.bulkRange(t.arena.u8, off + start, off + end + 1);
}

function clampSafe(v: number | bigint): number {
  if (typeof v === "number") return v;
  return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
}

// ---- counters -------------------------------------------------------------------------------------

/** incrDecrCommand: adds `by` to the int64 at key (0 when missing); keeps the TTL; encoding int. */
function incrBy(x: Exec, key: Uint8Array, by: number | bigint): void {
  const ks = x.ks;
  const db = x.s.db;
  const slot = lookupString(x, key);
  if (slot === wrongTypeSlot) return;
  const t = ks.t;
  if (slot >= 0 && typeof by === "number") {
    // Fast path: a safe integer whose result has as many digits is rewritten in place.
    const off = t.valueOffset(slot);
    const len = t.valueLen(slot);
    const cur = parseSafeInt(t.arena.u8, off, off + len);
    const next = cur + by;
    if (!Number.isNaN(cur) && Number.isSafeInteger(next) && intByteLength(next) === len) {
      writeInt(next, t.arena.u8, off);
      t.setTypeEnc(slot, ObjType.string, ObjEnc.int);
      written(x, key, false, "incrby");
      x.out.int(next);
      return;
    }
  }
  let cur: number | bigint = 0;
  if (slot >= 0) {
    const off = t.valueOffset(slot);
    const v = parseInt64(t.arena.u8, off, off + t.valueLen(slot));
    if (v === null) {
      x.out.error(Err.notInt);
      return;
    }
    cur = v;
  }
  let next: number | bigint;
  if (typeof cur === "number" && typeof by === "number" && Number.isSafeInteger(cur + by)) next = cur + by;
  else {
    const r = BigInt(cur) + BigInt(by);
    if (r > int64Max || r < int64Min) {
      x.out.error(Err.overflow);
      return;
    }
    next = r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
  }
  if (!writeIntValue(x, key, slot, next)) {
    x.out.error(Err.oom);
    return;
  }
  written(x, key, slot < 0, "incrby");
  if (typeof next === "number") x.out.int(next);
  else x.out.bigint(next);
}

/**
 * Stores the decimal text of n as the value of key (slot from the lookup just made, or -1 to
 * create it), encoding int, keeping any TTL. Digits go straight into the arena. False on OOM.
 */
function writeIntValue(x: Exec, key: Uint8Array, slot: number, n: number | bigint): boolean {
  const ks = x.ks;
  const t = ks.t;
  const big = typeof n === "bigint" ? formatInt(n) : null; // beyond 2^53: rare, may allocate
  const len = big !== null ? big.length : intByteLength(n as number);
  let s = slot;
  if (s < 0) s = ks.insert(x.s.db, key, len, ObjType.string, ObjEnc.int, 0);
  else if (!t.resizeValue(s, len)) s = -1;
  if (s < 0) return false;
  const off = t.valueOffset(s);
  if (big !== null) t.arena.u8.set(big, off);
  else writeInt(n as number, t.arena.u8, off);
  t.setTypeEnc(s, ObjType.string, ObjEnc.int);
  return true;
}

function incrCommand(x: Exec, argv: Uint8Array[]): void {
  incrBy(x, argv[1], 1);
}
function decrCommand(x: Exec, argv: Uint8Array[]): void {
  incrBy(x, argv[1], -1);
}
function incrbyCommand(x: Exec, argv: Uint8Array[]): void {
  const by = intArg(x, argv[2]);
  if (by !== null) incrBy(x, argv[1], by);
}
function decrbyCommand(x: Exec, argv: Uint8Array[]): void {
  const by = intArg(x, argv[2]);
  if (by === null) return;
  if (by === int64Min) {
    x.out.error("ERR decrement would overflow");
    return;
  }
  incrBy(x, argv[1], -by);
}

/**
 * INCRBYFLOAT: x87 long double arithmetic (native-free/long_double.ts) and "%.17Lf" text trimmed,
 * stored as embstr/raw text with the TTL kept; the reply is that text as a bulk string.
 */
function incrbyfloatCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const key = argv[1];
  const slot = lookupString(x, key);
  if (slot === wrongTypeSlot) return;
  const t = ks.t;
  let current: Uint8Array | null = null;
  if (slot >= 0) {
    const off = t.valueOffset(slot);
    current = t.arena.u8.subarray(off, off + t.valueLen(slot));
  }
  const r = incrByFloat(current, argv[2]);
  if (!r.ok) {
    x.out.error(r.error === "nan-or-infinity" ? "ERR increment would produce NaN or Infinity" : Err.notFloat);
    return;
  }
  const text = asciiBytes(r.text);
  const s = ks.setString(x.s.db, key, text, textEncoding(text.length), -1);
  if (s < 0) {
    x.out.error(Err.oom);
    return;
  }
  written(x, key, slot < 0, "incrbyfloat");
  x.out.bulk(text);
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

// ---- LCS ------------------------------------------------------------------------------------------

const u32Max = 4294967295;

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: Redis's dynamic programming table and
 * its exact backtracking (on a tie it moves along key2), so the chosen subsequence and the match
 * ranges are Redis's. Cells are as narrow as the shorter string allows; the size limit is Redis's
 * (4-byte cells against proto-max-bulk-len).
 */
function lcsCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const db = x.s.db;
  let sa = ks.lookup(db, argv[1]);
  const ta = ks.t;
  const countA = ta.count;
  const sb = ks.lookup(db, argv[2]);
  const tb = ks.t;
  // Lazy expiry of the second key can shift the first key's slot in a shared table: then look the
  // first key up again (that lookup removes nothing, so the second slot stays valid).
  if (ta.count !== countA) sa = ks.lookup(db, argv[1]);
  if ((sa >= 0 && ta.type(sa) !== ObjType.string) || (sb >= 0 && tb.type(sb) !== ObjType.string)) {
    x.out.error("ERR The specified keys must contain string values");
    return;
  }
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen: number | bigint = 0;
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j];
    if (isOpt(a, "idx")) getIdx = true;
    else if (isOpt(a, "len")) getLen = true;
    else if (isOpt(a, "withmatchlen")) withMatchLen = true;
    else if (isOpt(a, "minmatchlen") && j + 1 < argv.length) {
      const v = intArg(x, argv[++j]);
      if (v === null) return;
      minMatchLen = v < 0 ? 0 : v;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  if (getLen && getIdx) {
    x.out.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const a = sa >= 0 ? ta.valueView(sa) : emptyBytes;
  const b = sb >= 0 ? tb.valueView(sb) : emptyBytes;
  const alen = a.length;
  const blen = b.length;
  if (alen >= u32Max - 1 || blen >= u32Max - 1) {
    x.out.error("ERR String too long for LCS");
    return;
  }
  if ((alen + 1) * (blen + 1) * 4 > x.cfg.protoMaxBulkLen) {
    x.out.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  const table = lcsTable(a, b);
  if (table === null) {
    x.out.error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  const w = blen + 1;
  const total = table[alen * w + blen];
  if (getLen) {
    x.out.int(total);
    return;
  }
  lcsBacktrack(x, a, b, table, total, getIdx, withMatchLen, minMatchLen);
}

type LcsTable = Uint8Array | Uint16Array | Uint32Array;

/** LCS(i, j) for all prefixes, row-major with rows of blen + 1 cells; null when it cannot be allocated. */
function lcsTable(a: Uint8Array, b: Uint8Array): LcsTable | null {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  const cells = (alen + 1) * w;
  const shorter = Math.min(alen, blen);
  let lcs: LcsTable;
  try {
    lcs = shorter < 256 ? new Uint8Array(cells) : shorter < 65536 ? new Uint16Array(cells) : new Uint32Array(cells);
  } catch {
    return null;
  }
  // Row 0 and column 0 are zero (fresh typed arrays are).
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * w;
    const up = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) lcs[row + j] = lcs[up + j - 1] + 1;
      else {
        const l1 = lcs[up + j];
        const l2 = lcs[row + j - 1];
        lcs[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  return lcs;
}

/** Walks the table back from (alen, blen), building the subsequence and, with IDX, the ranges. */
function lcsBacktrack(
  x: Exec, a: Uint8Array, b: Uint8Array, lcs: LcsTable, total: number,
  getIdx: boolean, withMatchLen: boolean, minMatchLen: number | bigint,
): void {
  const alen = a.length;
  const w = b.length + 1;
  const result = getIdx ? null : new Uint8Array(total);
  const ranges: number[] = []; // [aStart, aEnd, bStart, bEnd, len] per emitted match
  let idx = total;
  let i = alen;
  let j = b.length;
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      if (result !== null) result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (lcs[(i - 1) * w + j] > lcs[i * w + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      aStart = alen;
    }
  }
  if (result !== null) {
    x.out.bulk(result);
    return;
  }
  const out = x.out;
  out.mapHeader(2);
  out.bulkString("matches");
  out.arrayHeader(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    out.arrayHeader(withMatchLen ? 3 : 2);
    out.arrayHeader(2);
    out.int(ranges[k]);
    out.int(ranges[k + 1]);
    out.arrayHeader(2);
    out.int(ranges[k + 2]);
    out.int(ranges[k + 3]);
    if (withMatchLen) out.int(ranges[k + 4]);
  }
  out.bulkString("len");
  out.int(total);
}

export const stringCommands: CommandSpec[] = [
  cmd("get", 2, "readonly fast", 1, 1, 1, "@read @string @fast", getCommand),
  cmd("set", -3, "write denyoom", 1, 1, 1, "@write @string @slow", setCommand),
  cmd("setnx", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", setnxCommand),
  cmd("setex", 4, "write denyoom", 1, 1, 1, "@write @string @slow", setexCommand),
  cmd("psetex", 4, "write denyoom", 1, 1, 1, "@write @string @slow", psetexCommand),
  cmd("getex", -2, "write fast", 1, 1, 1, "@write @string @fast", getexCommand),
  cmd("getdel", 2, "write fast", 1, 1, 1, "@write @string @fast", getdelCommand),
  cmd("getset", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", getsetCommand),
  cmd("mget", -2, "readonly fast", 1, -1, 1, "@read @string @fast", mgetCommand),
  cmd("mset", -3, "write denyoom", 1, -1, 2, "@write @string @slow", msetCommand),
  cmd("msetnx", -3, "write denyoom", 1, -1, 2, "@write @string @slow", msetnxCommand),
  cmd("append", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", appendCommand),
  cmd("strlen", 2, "readonly fast", 1, 1, 1, "@read @string @fast", strlenCommand),
  cmd("getrange", 4, "readonly", 1, 1, 1, "@read @string @slow", getrangeCommand),
  cmd("substr", 4, "readonly", 1, 1, 1, "@read @string @slow", getrangeCommand),
  cmd("setrange", 4, "write denyoom", 1, 1, 1, "@write @string @slow", setrangeCommand),
  cmd("incr", 2, "write denyoom fast", 1, 1, 1, "@write @string @fast", incrCommand),
  cmd("decr", 2, "write denyoom fast", 1, 1, 1, "@write @string @fast", decrCommand),
  cmd("incrby", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", incrbyCommand),
  cmd("decrby", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", decrbyCommand),
  cmd("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", incrbyfloatCommand),
  cmd("lcs", -3, "readonly", 1, 2, 1, "@read @string @slow", lcsCommand),
];
