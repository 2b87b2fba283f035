// Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY
// HINCRBYFLOAT HRANDFIELD HSCAN. Storage and encodings are in src/types/hash.ts.
//
// Order of checks is redis-server 7.0's: HSET checks its pair count before the key; HINCRBY parses
// the increment before the type check; HINCRBYFLOAT also refuses an infinite increment before it;
// HRANDFIELD parses the count, then the options, then looks the key up; HSCAN parses the cursor,
// then looks the key up (a missing key answers an empty scan whatever the options), then options.
// Conversion to the hashtable encoding follows Redis's hashTypeTryConversion: every field and value
// of an HSET is checked against hash-max-listpack-value before anything is written.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import { ObjEnc, ObjType, type Table } from "../keyspace/table.ts";
import { NOTIFY } from "../config.ts";
import { effectPartial, notifyEvent, setEffect, signalModified, wantsEffect } from "../server/signals.ts";

const hsetName = new TextEncoder().encode("HSET");
import { Err, eqCI } from "./util.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { incrByFloat, LongDoubleKind, parseLongDouble } from "../../native-free/long_double.ts";
import { stringMatchRange } from "../../native-free/glob.ts";
import { parseScanCursor } from "./keys.ts";
import {
  hashConvert, hashDelete, hashDict, hashEmptyBytes, hashFind, hashForEach, hashFound, hashInitEmpty, hashLen, hashSet,
} from "../types/hash.ts";
import { dictRandomNode, dictScan, nodeFieldLen, nodeFieldOff, nodeValueLen, nodeValueOff } from "../types/dict.ts";

export const wrongTypeSlot = -2;

/** Slot of `key` holding `type` (ks.t is its table), -1 when missing, wrongTypeSlot after WRONGTYPE. */
export function lookupTyped(x: Exec, key: Uint8Array, type: number): number {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot >= 0 && x.ks.t.type(slot) !== type) {
    x.out.error(Err.wrongType);
    return wrongTypeSlot;
  }
  return slot;
}

/** Drops what the command wrote since `mark` and replies the OOM error alone. */
export function replyOom(x: Exec, mark: number): void {
  x.out.len = mark;
  x.out.error(Err.oom);
}

/** Deletes the key at slot when its collection became empty, with Redis's "del" event. */
function deleteIfEmptyHash(x: Exec, t: Table, slot: number, key: Uint8Array): void {
  if (hashLen(t, slot) !== 0) return;
  x.ks.deleteSlot(t, slot);
  notifyEvent(x, NOTIFY.generic, "del", x.s.db, key);
}

/** Slot of the hash at key, created empty when missing; -2 after WRONGTYPE, -1 after OOM. */
function lookupOrCreateHash(x: Exec, key: Uint8Array): number {
  let slot = lookupTyped(x, key, ObjType.hash);
  if (slot === wrongTypeSlot) return slot;
  if (slot < 0) {
    x.ks.route(key);
    slot = x.ks.insert(x.s.db, key, hashEmptyBytes, ObjType.hash, ObjEnc.listpack, 0);
    if (slot < 0) {
      x.out.error(Err.oom);
      return -1;
    }
    hashInitEmpty(x.ks.t, slot);
  }
  return slot;
}

// ---- HSET HMSET HSETNX --------------------------------------------------------------------------

function hsetGeneric(x: Exec, argv: Uint8Array[], isHmset: boolean): void {
  if (argv.length % 2 !== 0) {
    x.out.error(`ERR wrong number of arguments for '${isHmset ? "hmset" : "hset"}' command`);
    return;
  }
  const key = argv[1];
  const mark = x.out.len;
  const slot = lookupOrCreateHash(x, key);
  if (slot < 0) return;
  const t = x.ks.t;
  const maxEntries = x.cfg.hashMaxListpackEntries;
  const maxValue = x.cfg.hashMaxListpackValue;
  if (t.encoding(slot) === ObjEnc.listpack) {
    for (let i = 2; i < argv.length; i++) {
      if (argv[i].length > maxValue) {
        if (!hashConvert(t, slot)) return failWrite(x, t, slot, mark, argv[1]);
        break;
      }
    }
  }
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    const r = hashSet(t, slot, argv[i], argv[i + 1], maxEntries, maxValue);
    if (r < 0) return failWrite(x, t, slot, mark, argv[1]);
    created += r;
  }
  if (isHmset) x.out.ok();
  else x.out.int(created);
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.hash, "hset", x.s.db, key);
}

/**
 * OOM during a write: an empty hash created for it is removed again; fields already set stay, so
 * the shard log records the hash as it is (a replayed HSET would not stop at the same field).
 */
function failWrite(x: Exec, t: Table, slot: number, mark: number, key: Uint8Array): void {
  if (hashLen(t, slot) === 0) x.ks.deleteSlot(t, slot);
  else {
    effectPartial(x);
    signalModified(x, x.s.db, key);
  }
  replyOom(x, mark);
}

function hsetCommand(x: Exec, argv: Uint8Array[]): void {
  hsetGeneric(x, argv, false);
}
function hmsetCommand(x: Exec, argv: Uint8Array[]): void {
  hsetGeneric(x, argv, true);
}

function hsetnxCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const mark = x.out.len;
  const slot = lookupOrCreateHash(x, key);
  if (slot < 0) return;
  const t = x.ks.t;
  if (hashFind(t, slot, argv[2])) {
    x.out.int(0);
    return;
  }
  const r = hashSet(t, slot, argv[2], argv[3], x.cfg.hashMaxListpackEntries, x.cfg.hashMaxListpackValue);
  if (r < 0) return failWrite(x, t, slot, mark, argv[1]);
  x.out.int(1);
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.hash, "hset", x.s.db, key);
}

// ---- reads --------------------------------------------------------------------------------------

function hgetCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  const t = x.ks.t;
  if (slot < 0 || !hashFind(t, slot, argv[2])) {
    x.out.nullBulk();
    return;
  }
  x.out.bulkRange(t.arena.u8, hashFound.off, hashFound.off + hashFound.len);
}

function hmgetCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  const t = x.ks.t;
  x.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    if (slot >= 0 && hashFind(t, slot, argv[i])) x.out.bulkRange(t.arena.u8, hashFound.off, hashFound.off + hashFound.len);
    else x.out.nullBulk();
  }
}

function hlenCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot < 0 ? 0 : hashLen(x.ks.t, slot));
}

function hstrlenCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot >= 0 && hashFind(x.ks.t, slot, argv[2]) ? hashFound.len : 0);
}

function hexistsCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot >= 0 && hashFind(x.ks.t, slot, argv[2]) ? 1 : 0);
}

const withFields = 1;
const withValues = 2;

function hgetallGeneric(x: Exec, argv: Uint8Array[], what: number): void {
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  const out = x.out;
  if (slot < 0) {
    if (what === (withFields | withValues)) out.mapHeader(0);
    else out.arrayHeader(0);
    return;
  }
  const t = x.ks.t;
  const n = hashLen(t, slot);
  if (what === (withFields | withValues)) out.mapHeader(n);
  else out.arrayHeader(n);
  hashForEach(t, slot, (u8, fOff, fLen, vOff, vLen) => {
    if ((what & withFields) !== 0) out.bulkRange(u8, fOff, fOff + fLen);
    if ((what & withValues) !== 0) out.bulkRange(u8, vOff, vOff + vLen);
  });
}

function hkeysCommand(x: Exec, argv: Uint8Array[]): void {
  hgetallGeneric(x, argv, withFields);
}
function hvalsCommand(x: Exec, argv: Uint8Array[]): void {
  hgetallGeneric(x, argv, withValues);
}
function hgetallCommand(x: Exec, argv: Uint8Array[]): void {
  hgetallGeneric(x, argv, withFields | withValues);
}

// ---- HDEL ---------------------------------------------------------------------------------------

function hdelCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const slot = lookupTyped(x, key, ObjType.hash);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (hashDelete(t, slot, argv[i])) {
      deleted++;
      if (hashLen(t, slot) === 0) break;
    }
  }
  x.out.int(deleted);
  if (deleted > 0) {
    signalModified(x, x.s.db, key);
    notifyEvent(x, NOTIFY.hash, "hdel", x.s.db, key);
    deleteIfEmptyHash(x, t, slot, key);
  }
}

// ---- HINCRBY HINCRBYFLOAT -----------------------------------------------------------------------

const asciiScratch = new Uint8Array(64);

function hincrbyCommand(x: Exec, argv: Uint8Array[]): void {
  const inc = parseInt64(argv[3], 0, argv[3].length);
  if (inc === null) {
    x.out.error(Err.notInt);
    return;
  }
  const key = argv[1];
  const mark = x.out.len;
  const slot = lookupOrCreateHash(x, key);
  if (slot < 0) return;
  const t = x.ks.t;
  let cur: number | bigint = 0;
  if (hashFind(t, slot, argv[2])) {
    const v = parseInt64(t.arena.u8, hashFound.off, hashFound.off + hashFound.len);
    if (v === null) {
      x.out.error("ERR hash value is not an integer");
      return;
    }
    cur = v;
  }
  let next: number | bigint;
  if (typeof cur === "number" && typeof inc === "number" && Number.isSafeInteger(cur + inc)) next = cur + inc;
  else {
    const b = BigInt(cur) + BigInt(inc);
    if (b > 9223372036854775807n || b < -9223372036854775808n) {
      if (hashLen(t, slot) === 0) x.ks.deleteSlot(t, slot);
      x.out.error(Err.overflow);
      return;
    }
    next = b;
  }
  const text = String(next);
  const n = text.length;
  for (let i = 0; i < n; i++) asciiScratch[i] = text.charCodeAt(i);
  const value = asciiScratch.subarray(0, n);
  if (hashSet(t, slot, argv[2], value, x.cfg.hashMaxListpackEntries, x.cfg.hashMaxListpackValue) < 0) return failWrite(x, t, slot, mark, argv[1]);
  if (typeof next === "number") x.out.int(next);
  else x.out.bigint(next);
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.hash, "hincrby", x.s.db, key);
}

function hincrbyfloatCommand(x: Exec, argv: Uint8Array[]): void {
  const incArg = argv[3];
  const parsed = parseLongDouble(incArg);
  if (parsed === null) {
    x.out.error(Err.notFloat);
    return;
  }
  if (parsed.kind !== LongDoubleKind.finite) {
    x.out.error("ERR value is NaN or Infinity");
    return;
  }
  const key = argv[1];
  const mark = x.out.len;
  const slot = lookupOrCreateHash(x, key);
  if (slot < 0) return;
  const t = x.ks.t;
  let current: Uint8Array | null = null;
  if (hashFind(t, slot, argv[2])) current = t.arena.u8.subarray(hashFound.off, hashFound.off + hashFound.len);
  const r = incrByFloat(current, incArg);
  if (!r.ok) {
    if (hashLen(t, slot) === 0) x.ks.deleteSlot(t, slot);
    if (r.error === "value-not-float") x.out.error("ERR hash value is not a float");
    else if (r.error === "nan-or-infinity") x.out.error("ERR increment would produce NaN or Infinity");
    else x.out.error(Err.notFloat);
    return;
  }
  const text = r.text;
  const value = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) value[i] = text.charCodeAt(i);
  if (hashSet(t, slot, argv[2], value, x.cfg.hashMaxListpackEntries, x.cfg.hashMaxListpackValue) < 0) return failWrite(x, t, slot, mark, argv[1]);
  x.out.bulk(value);
  if (wantsEffect(x)) setEffect(x, [hsetName, key, argv[2], value]); // the result, as Redis propagates it
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.hash, "hincrbyfloat", x.s.db, key);
}

// ---- HRANDFIELD ---------------------------------------------------------------------------------

const longMax = 9223372036854775807n;
const errRangeLong = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/** Replies we refuse to build (Redis would try and run out of memory): far beyond any bulk limit. */
const randomReplyMax = 2 ** 32;

/** True when the last parseRandomCount saw |count| > LONG_MAX / 2 (HRANDFIELD WITHVALUES refuses it). */
let countBeyondHalf = false;

/**
 * Parses a count in [-LONG_MAX, LONG_MAX] as Redis's getRangeLongFromObjectOrReply; null after the
 * error. Counts beyond 2^53 come back clamped to +-MAX_SAFE_INTEGER (no reply can be that long).
 */
export function parseRandomCount(x: Exec, arg: Uint8Array): number | null {
  const v = parseInt64(arg, 0, arg.length);
  countBeyondHalf = false;
  if (v === null) {
    x.out.error(Err.notInt);
    return null;
  }
  if (typeof v === "bigint") {
    if (v < -longMax) {
      x.out.error(errRangeLong);
      return null;
    }
    countBeyondHalf = v > longMax / 2n || v < -(longMax / 2n);
    return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  }
  return v;
}

/** Entry locations of a hash (field and value offsets in t.arena.u8), in encoding order. */
function hashEntries(t: Table, slot: number): number[] {
  const out: number[] = [];
  hashForEach(t, slot, (_u8, fOff, fLen, vOff, vLen) => {
    out.push(fOff, fLen, vOff, vLen);
  });
  return out;
}

function hrandfieldCommand(x: Exec, argv: Uint8Array[]): void {
  const out = x.out;
  if (argv.length === 2) {
    const slot = lookupTyped(x, argv[1], ObjType.hash);
    if (slot === wrongTypeSlot) return;
    if (slot < 0) {
      out.nullBulk();
      return;
    }
    const t = x.ks.t;
    const e = randomEntry(t, slot);
    out.bulkRange(t.arena.u8, e[0], e[0] + e[1]);
    return;
  }
  const count = parseRandomCount(x, argv[2]);
  if (count === null) return;
  let values = false;
  if (argv.length > 4 || (argv.length === 4 && !eqCI(argv[3], "withvalues"))) {
    out.error(Err.syntax);
    return;
  }
  if (argv.length === 4) {
    values = true;
    if (countBeyondHalf) {
      out.error("ERR value is out of range");
      return;
    }
  }
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  if (slot < 0 || count === 0) {
    out.arrayHeader(0);
    return;
  }
  const t = x.ks.t;
  const size = hashLen(t, slot);
  const u8 = t.arena.u8;
  const pair = values && out.resp > 2;
  const emit = (fOff: number, fLen: number, vOff: number, vLen: number): void => {
    if (pair) out.arrayHeader(2);
    out.bulkRange(u8, fOff, fOff + fLen);
    if (values) out.bulkRange(u8, vOff, vOff + vLen);
  };
  if (count < 0) {
    const n = -count;
    if (n * (values ? 2 : 1) >= randomReplyMax) {
      out.error("ERR value is out of range");
      return;
    }
    out.arrayHeader(values && out.resp === 2 ? n * 2 : n);
    if (t.encoding(slot) === ObjEnc.listpack) {
      const ents = hashEntries(t, slot);
      for (let i = 0; i < n; i++) {
        const k = Math.floor(Math.random() * size) * 4;
        emit(ents[k], ents[k + 1], ents[k + 2], ents[k + 3]);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const e = randomEntry(t, slot);
        emit(e[0], e[1], e[2], e[3]);
      }
    }
    return;
  }
  const m = count >= size ? size : count;
  out.arrayHeader(values && out.resp === 2 ? m * 2 : m);
  if (count >= size) {
    hashForEach(t, slot, (_u8, fOff, fLen, vOff, vLen) => emit(fOff, fLen, vOff, vLen));
    return;
  }
  if (t.encoding(slot) !== ObjEnc.listpack && count * 3 <= size) {
    // Few picks from a big dict: random nodes, skipping repeats (no walk over the whole hash).
    const a = t.arena;
    const d = hashDict(t, slot);
    const seen = new Set<number>();
    while (seen.size < m) {
      const n = dictRandomNode(a, d, Math.random);
      if (seen.has(n)) continue;
      seen.add(n);
      emit(nodeFieldOff(a, n, true), nodeFieldLen(a, n), nodeValueOff(a, n), nodeValueLen(a, n));
    }
    return;
  }
  const ents = hashEntries(t, slot);
  // Partial Fisher-Yates over entry indexes: m distinct picks.
  const idx = new Uint32Array(size);
  for (let i = 0; i < size; i++) idx[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const k = idx[j];
    idx[j] = idx[i];
    idx[i] = k;
    emit(ents[k * 4], ents[k * 4 + 1], ents[k * 4 + 2], ents[k * 4 + 3]);
  }
}

const randScratch = [0, 0, 0, 0];
/** A random entry's [fieldOff, fieldLen, valueOff, valueLen] (shared scratch array). */
function randomEntry(t: Table, slot: number): number[] {
  const a = t.arena;
  if (t.encoding(slot) === ObjEnc.listpack) {
    const size = hashLen(t, slot);
    let k = Math.floor(Math.random() * size);
    hashForEach(t, slot, (_u8, fOff, fLen, vOff, vLen) => {
      if (k-- === 0) {
        randScratch[0] = fOff;
        randScratch[1] = fLen;
        randScratch[2] = vOff;
        randScratch[3] = vLen;
      }
    });
    return randScratch;
  }
  const n = dictRandomNode(a, hashDict(t, slot), Math.random);
  randScratch[0] = nodeFieldOff(a, n, true);
  randScratch[1] = nodeFieldLen(a, n);
  randScratch[2] = nodeValueOff(a, n);
  randScratch[3] = nodeValueLen(a, n);
  return randScratch;
}

// ---- HSCAN --------------------------------------------------------------------------------------

/** Parsed SCAN options of HSCAN/SSCAN/ZSCAN: count and pattern (null = match all). */
export const scanOpts = { count: 10, pattern: null as Uint8Array | null };

/** Parses [MATCH pattern] [COUNT n] from argv[3..] as Redis's scanGenericCommand; false after the error. */
export function parseScanOptions(x: Exec, argv: Uint8Array[]): boolean {
  scanOpts.count = 10;
  scanOpts.pattern = null;
  for (let i = 3; i < argv.length; i += 2) {
    const hasValue = i + 1 < argv.length;
    if (eqCI(argv[i], "count") && hasValue) {
      const v = parseInt64(argv[i + 1], 0, argv[i + 1].length);
      if (v === null) {
        x.out.error(Err.notInt);
        return false;
      }
      if (v < 1) {
        x.out.error(Err.syntax);
        return false;
      }
      scanOpts.count = typeof v === "bigint" ? Number.MAX_SAFE_INTEGER : v;
    } else if (eqCI(argv[i], "match") && hasValue) {
      const p = argv[i + 1];
      scanOpts.pattern = p.length === 1 && p[0] === 0x2a ? null : p;
    } else {
      x.out.error(Err.syntax);
      return false;
    }
  }
  return true;
}

/** The cursor argument as a 32-bit dict cursor, or -1 after "invalid cursor". */
export function parseDictCursor(x: Exec, arg: Uint8Array): number {
  const c = parseScanCursor(arg);
  if (c === null) {
    x.out.error("ERR invalid cursor");
    return -1;
  }
  if (typeof c === "bigint") return Number(c & 0xffffffffn);
  return c % 4294967296;
}

export function matches(u8: Uint8Array, off: number, len: number): boolean {
  const p = scanOpts.pattern;
  return p === null || stringMatchRange(p, 0, p.length, u8, off, off + len);
}

function hscanCommand(x: Exec, argv: Uint8Array[]): void {
  const cursor = parseDictCursor(x, argv[2]);
  if (cursor < 0) return;
  const slot = lookupTyped(x, argv[1], ObjType.hash);
  if (slot === wrongTypeSlot) return;
  const out = x.out;
  if (slot < 0) {
    out.arrayHeader(2);
    out.bulkString("0");
    out.arrayHeader(0);
    return;
  }
  if (!parseScanOptions(x, argv)) return;
  const t = x.ks.t;
  const found: number[] = [];
  let next = 0;
  if (t.encoding(slot) === ObjEnc.listpack) {
    hashForEach(t, slot, (u8, fOff, fLen, vOff, vLen) => {
      if (matches(u8, fOff, fLen)) found.push(fOff, fLen, vOff, vLen);
    });
  } else {
    const a = t.arena;
    const d = hashDict(t, slot);
    let budget = scanOpts.count * 10;
    const visit = (n: number): void => {
      const fOff = nodeFieldOff(a, n, true);
      const fLen = nodeFieldLen(a, n);
      if (matches(a.u8, fOff, fLen)) found.push(fOff, fLen, nodeValueOff(a, n), nodeValueLen(a, n));
    };
    let c = cursor;
    do {
      c = dictScan(a, d, c, visit);
    } while (c !== 0 && budget-- > 0 && found.length / 2 < scanOpts.count);
    next = c;
  }
  out.arrayHeader(2);
  out.bulkString(String(next));
  out.arrayHeader(found.length / 2);
  const u8 = t.arena.u8;
  for (let i = 0; i < found.length; i += 4) {
    out.bulkRange(u8, found[i], found[i] + found[i + 1]);
    out.bulkRange(u8, found[i + 2], found[i + 2] + found[i + 3]);
  }
}

export const hashCommands: CommandSpec[] = [
  cmd("hset", -4, "write denyoom fast", 1, 1, 1, "@write @hash @fast", hsetCommand),
  cmd("hsetnx", 4, "write denyoom fast", 1, 1, 1, "@write @hash @fast", hsetnxCommand),
  cmd("hget", 3, "readonly fast", 1, 1, 1, "@read @hash @fast", hgetCommand),
  cmd("hmget", -3, "readonly fast", 1, 1, 1, "@read @hash @fast", hmgetCommand),
  cmd("hmset", -4, "write denyoom fast", 1, 1, 1, "@write @hash @fast", hmsetCommand),
  cmd("hdel", -3, "write fast", 1, 1, 1, "@write @hash @fast", hdelCommand),
  cmd("hlen", 2, "readonly fast", 1, 1, 1, "@read @hash @fast", hlenCommand),
  cmd("hstrlen", 3, "readonly fast", 1, 1, 1, "@read @hash @fast", hstrlenCommand),
  cmd("hexists", 3, "readonly fast", 1, 1, 1, "@read @hash @fast", hexistsCommand),
  cmd("hkeys", 2, "readonly", 1, 1, 1, "@read @hash @slow", hkeysCommand),
  cmd("hvals", 2, "readonly", 1, 1, 1, "@read @hash @slow", hvalsCommand),
  cmd("hgetall", 2, "readonly", 1, 1, 1, "@read @hash @slow", hgetallCommand),
  cmd("hincrby", 4, "write denyoom fast", 1, 1, 1, "@write @hash @fast", hincrbyCommand),
  cmd("hincrbyfloat", 4, "write denyoom fast", 1, 1, 1, "@write @hash @fast", hincrbyfloatCommand),
  cmd("hrandfield", -2, "readonly", 1, 1, 1, "@read @hash @slow", hrandfieldCommand),
  cmd("hscan", -3, "readonly", 1, 1, 1, "@read @hash @slow", hscanCommand),
];
