// Key-space commands: DEL UNLINK EXISTS TYPE TOUCH RENAME RENAMENX COPY MOVE SWAPDB KEYS SCAN
// RANDOMKEY DBSIZE FLUSHDB FLUSHALL, the EXPIRE and TTL families, PERSIST, OBJECT and MEMORY USAGE.
//
// Replies and errors are redis-server 7.0's, including its parse order (EXPIRE options before the
// number, COPY options left to right, SCAN cursor before options). Lookups that Redis does with
// LOOKUP_NOTOUCH (EXISTS TYPE TTL OBJECT) leave the LRU/LFU clock alone; the others touch it.
// Entries are self-contained blocks: RENAME and COPY rewrite them through copyEntry (a new key means
// a new block), MOVE only relabels the entry's physical db (a key lives in one shard whatever its db).
// Multi-key commands run with the locks of every shard their keys live on; KEYS, SCAN, RANDOMKEY,
// DBSIZE, FLUSH* and SWAPDB lock all shards.

import { typeOps } from "../types/registry.ts";
import { signalFlushed, signalSwapped } from "../server/signals.ts";
import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import type { Keyspace } from "../keyspace/keyspace.ts";
import { ObjEnc, ObjType, type Table, hashKey } from "../keyspace/table.ts";
import { lfuDecayed, lruIdleMs } from "../keyspace/clock.ts";
import { classBytes } from "../keyspace/arena.ts";
import { decodeCursor, encodeCursor, forEachEntry, randomEntry, scanShards } from "../keyspace/scan.ts";
import { isLfuPolicy, policyCode, Policy } from "../keyspace/evict.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { stringMatchRange } from "../../native-free/glob.ts";
import { Err, eqCI, int64Max, int64Min, latin1, bytesEqual } from "./util.ts";
import { NOTIFY } from "../config.ts";
import { notifyEvent, signalModified, signalReady } from "../server/signals.ts";
import { replyHelp } from "./connection.ts";
// server.ts imports the registry, which imports every group: modules that load keys.ts first must
// load the registry (or groups.ts) before it, so serverCommands exists when groups.ts reads it.
import { memoryServerSubcommands } from "./server.ts";

const sameObject = "ERR source and destination objects are the same";
const int32Range = "ERR value is out of range, value must between -2147483648 and 2147483647";
const int32Min = -2147483648;
const int32Max = 2147483647;

// ---- small helpers ------------------------------------------------------------------------------

/** The argument as C sees it (strcasecmp, %s): up to its first NUL byte. */
function cstr(arg: Uint8Array): Uint8Array {
  const nul = arg.indexOf(0);
  return nul < 0 ? arg : arg.subarray(0, nul);
}

/** Lookup without updating the LRU/LFU clock (Redis's LOOKUP_NOTOUCH); lazy expiry still applies. */
function lookupNoTouch(ks: Keyspace, db: number, key: Uint8Array): number {
  const saved = ks.noTouch;
  ks.noTouch = true;
  const slot = ks.lookup(db, key);
  ks.noTouch = saved;
  return slot;
}

/** Slot of `key` in logical db `db` with no expiry check and no touch; sets ks.t. */
function findRaw(ks: Keyspace, db: number, key: Uint8Array): number {
  const t = ks.route(key);
  return t.find(ks.physicalDb(db), key, ks.h);
}

/**
 * Redis's getIntFromObjectOrReply: an int64 that must fit a C int. Writes `msg` (when given) or
 * Redis's own errors and returns null on failure.
 */
function int32Arg(x: Exec, arg: Uint8Array, msg?: string): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(msg ?? Err.notInt);
    return null;
  }
  if (typeof v === "bigint" || v < int32Min || v > int32Max) {
    x.out.error(msg ?? int32Range);
    return null;
  }
  return v;
}

const typeNames: Record<number, string> = {
  [ObjType.string]: "string",
  [ObjType.list]: "list",
  [ObjType.set]: "set",
  [ObjType.zset]: "zset",
  [ObjType.hash]: "hash",
  [ObjType.stream]: "stream",
};

export function typeName(type: number): string {
  return typeNames[type] ?? "unknown";
}

const encodingNames: Record<number, string> = {
  [ObjEnc.raw]: "raw",
  [ObjEnc.int]: "int",
  [ObjEnc.hashtable]: "hashtable",
  3: "zipmap",
  4: "linkedlist",
  5: "ziplist",
  [ObjEnc.intset]: "intset",
  [ObjEnc.skiplist]: "skiplist",
  [ObjEnc.embstr]: "embstr",
  [ObjEnc.quicklist]: "quicklist",
  [ObjEnc.stream]: "stream",
  [ObjEnc.listpack]: "listpack",
};

// ---- copyEntry ----------------------------------------------------------------------------------

/**
 * Writes a copy of the entry at (src, srcSlot) as `dstKey` in logical db `dstDb`: type, encoding,
 * value bytes and expiry. The destination key must not exist. `keepClock` carries the LRU/LFU
 * clock over (RENAME moves the object in Redis); otherwise the copy gets a fresh clock (COPY
 * creates a new object). Returns the new slot in ks.t, or -1 when out of memory.
 * srcSlot is invalid afterwards when both keys share a table (the insert may rehash it).
 * Values that own arena nodes (src/types/registry.ts) are deep-copied, except for a move (RENAME)
 * within one arena: the new entry then takes the nodes over and the caller must drop the source
 * entry with Table.remove, not deleteSlot (which would free them).
 */
export function copyEntry(ks: Keyspace, src: Table, srcSlot: number, dstDb: number, dstKey: Uint8Array, keepClock: boolean, move = false): number {
  const type = src.type(srcSlot);
  const enc = src.encoding(srcSlot);
  const expireAt = src.expireAt(srcSlot);
  const clock = src.clock(srcSlot);
  const valueLen = src.valueLen(srcSlot);
  // Arena addresses are stable across inserts (the buffer grows in place), table slots are not.
  const valueOff = src.valueOffset(srcSlot);
  ks.route(dstKey);
  const dst = ks.t;
  const slot = ks.insert(dstDb, dstKey, valueLen, type, enc, expireAt);
  if (slot < 0) return -1;
  const at = dst.valueOffset(slot);
  if (dst.arena === src.arena) dst.arena.u8.copyWithin(at, valueOff, valueOff + valueLen);
  else dst.arena.u8.set(src.arena.u8.subarray(valueOff, valueOff + valueLen), at);
  if (keepClock) dst.setClock(slot, clock);
  const ops = typeOps[type];
  if (ops !== undefined && !(move && dst.arena === src.arena)) {
    if (!ops.clone(src.arena, valueOff, valueLen, enc, dst.arena, at)) {
      ks.deleteSlot(dst, slot);
      return -1;
    }
  }
  return slot;
}

/**
 * After a key command changed key in db (src/server/signals.ts): WATCH always; keyspace
 * notifications only when some are on: `new` when the key was created, then the event.
 */
function written(x: Exec, db: number, key: Uint8Array, created: boolean, event: string): void {
  signalModified(x, db, key);
  if (x.cfg.notifyKeyspaceEvents !== 0) {
    if (created) notifyEvent(x, NOTIFY.newKey, "new", db, key);
    notifyEvent(x, NOTIFY.generic, event, db, key);
  }
}

// ---- DEL UNLINK EXISTS TOUCH TYPE ---------------------------------------------------------------

function delCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const slot = lookupNoTouch(ks, x.s.db, argv[i]);
    if (slot < 0) continue;
    ks.deleteSlot(ks.t, slot);
    written(x, x.s.db, argv[i], false, "del");
    n++;
  }
  x.out.int(n);
}

function existsCommand(x: Exec, argv: Uint8Array[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (lookupNoTouch(x.ks, x.s.db, argv[i]) >= 0) n++;
  x.out.int(n);
}

function touchCommand(x: Exec, argv: Uint8Array[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (x.ks.lookup(x.s.db, argv[i]) >= 0) n++;
  x.out.int(n);
}

function typeCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupNoTouch(x.ks, x.s.db, argv[1]);
  x.out.simple(slot < 0 ? "none" : typeName(x.ks.t.type(slot)));
}

// ---- RENAME RENAMENX COPY MOVE ------------------------------------------------------------------

/**
 * A key that appeared under a new name (RENAME, COPY, MOVE) may serve clients blocked on that name,
 * as Redis's dbAdd signals a list, sorted set or stream it adds.
 */
function readyIfBlockable(x: Exec, db: number, key: Uint8Array): void {
  const slot = findRaw(x.ks, db, key);
  if (slot < 0) return;
  const type = x.ks.t.type(slot);
  if (type === ObjType.list || type === ObjType.zset || type === ObjType.stream) signalReady(x, db, key);
}

function renameGeneric(x: Exec, argv: Uint8Array[], nx: boolean): void {
  const ks = x.ks;
  const db = x.s.db;
  const source = argv[1];
  const target = argv[2];
  if (ks.lookup(db, source) < 0) {
    x.out.error(Err.noSuchKey);
    return;
  }
  if (bytesEqual(source, target)) {
    if (nx) x.out.int(0);
    else x.out.ok();
    return;
  }
  const old = ks.lookup(db, target);
  if (old >= 0) {
    if (nx) {
      x.out.int(0);
      return;
    }
    ks.deleteSlot(ks.t, old);
  }
  // Deleting (or lazily expiring) the target may have shifted the source's slot: find it again.
  let slot = findRaw(ks, db, source);
  const src = ks.t;
  if (copyEntry(ks, src, slot, db, target, true, true) < 0) {
    x.out.error(Err.oom);
    return;
  }
  const moved = ks.t.arena === src.arena; // the new entry took the value's nodes over
  slot = findRaw(ks, db, source);
  if (moved) src.remove(slot);
  else ks.deleteSlot(src, slot);
  // As Redis: `new` for the target (dbAdd), then rename_from / rename_to.
  if (x.cfg.notifyKeyspaceEvents !== 0) notifyEvent(x, NOTIFY.newKey, "new", db, target);
  written(x, db, source, false, "rename_from");
  written(x, db, target, false, "rename_to");
  readyIfBlockable(x, db, target);
  if (nx) x.out.int(1);
  else x.out.ok();
}

function renameCommand(x: Exec, argv: Uint8Array[]): void {
  renameGeneric(x, argv, false);
}
function renamenxCommand(x: Exec, argv: Uint8Array[]): void {
  renameGeneric(x, argv, true);
}

function copyCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const db = x.s.db;
  let dstDb = db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = cstr(argv[j]);
    if (eqCI(opt, "replace")) replace = true;
    else if (eqCI(opt, "db") && j + 1 < argv.length) {
      const id = int32Arg(x, argv[++j]);
      if (id === null) return;
      if (id < 0 || id >= ks.databases) {
        x.out.error(Err.dbIndex);
        return;
      }
      dstDb = id;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const source = argv[1];
  const target = argv[2];
  if (dstDb === db && bytesEqual(source, target)) {
    x.out.error(sameObject);
    return;
  }
  if (ks.lookup(db, source) < 0) {
    x.out.int(0);
    return;
  }
  const old = ks.lookup(dstDb, target);
  if (old >= 0) {
    if (!replace) {
      x.out.int(0);
      return;
    }
    ks.deleteSlot(ks.t, old);
  }
  const slot = findRaw(ks, db, source);
  if (copyEntry(ks, ks.t, slot, dstDb, target, false) < 0) {
    x.out.error(Err.oom);
    return;
  }
  written(x, dstDb, target, true, "copy_to");
  readyIfBlockable(x, dstDb, target);
  x.out.int(1);
}

function moveCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const db = x.s.db;
  const dstDb = int32Arg(x, argv[2]);
  if (dstDb === null) return;
  if (dstDb < 0 || dstDb >= ks.databases) {
    x.out.error(Err.dbIndex);
    return;
  }
  if (dstDb === db) {
    x.out.error(sameObject);
    return;
  }
  const key = argv[1];
  if (ks.lookup(db, key) < 0 || ks.lookup(dstDb, key) >= 0) {
    x.out.int(0);
    return;
  }
  // Both dbs of one key live in the same table; the target lookup may have expired an entry there.
  const slot = findRaw(ks, db, key);
  ks.t.setDb(slot, ks.physicalDb(dstDb));
  if (x.cfg.notifyKeyspaceEvents !== 0) notifyEvent(x, NOTIFY.newKey, "new", dstDb, key);
  written(x, db, key, false, "move_from");
  written(x, dstDb, key, false, "move_to");
  readyIfBlockable(x, dstDb, key);
  x.out.int(1);
}

// ---- SWAPDB DBSIZE FLUSHDB FLUSHALL -------------------------------------------------------------

function swapdbCommand(x: Exec, argv: Uint8Array[]): void {
  const a = int32Arg(x, argv[1], "ERR invalid first DB index");
  if (a === null) return;
  const b = int32Arg(x, argv[2], "ERR invalid second DB index");
  if (b === null) return;
  const n = x.ks.databases;
  if (a < 0 || a >= n || b < 0 || b >= n) {
    x.out.error(Err.dbIndex);
    return;
  }
  if (a !== b) {
    x.ks.swapDb(a, b);
    signalSwapped(x, a, b);
  }
  x.out.ok();
}

function dbsizeCommand(x: Exec): void {
  x.out.int(x.ks.dbSize(x.s.db));
}

/** FLUSHDB/FLUSHALL take nothing, SYNC or ASYNC (both flush at once here). */
function flushArgsOk(x: Exec, argv: Uint8Array[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length === 2) {
    const a = cstr(argv[1]);
    if (eqCI(a, "sync") || eqCI(a, "async")) return true;
  }
  x.out.error(Err.syntax);
  return false;
}

/** Frees every entry of physical db `pdb` (all dbs when pdb < 0) in every shard. */
function flushShards(ks: Keyspace, pdb: number): void {
  for (const t of ks.tables) {
    if (pdb >= 0 ? t.dbKeys(pdb) === 0 : t.count === 0) continue;
    t.clear(pdb, (slot) => ks.freeValue(t, slot));
  }
}

function flushdbCommand(x: Exec, argv: Uint8Array[]): void {
  if (!flushArgsOk(x, argv)) return;
  flushShards(x.ks, x.ks.physicalDb(x.s.db));
  signalFlushed(x, x.s.db);
  x.out.ok();
}

function flushallCommand(x: Exec, argv: Uint8Array[]): void {
  if (!flushArgsOk(x, argv)) return;
  flushShards(x.ks, -1);
  signalFlushed(x, -1);
  x.out.ok();
}

// ---- KEYS SCAN RANDOMKEY ------------------------------------------------------------------------

function keysCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const pattern = argv[1];
  const allKeys = pattern.length === 1 && pattern[0] === 0x2a;
  const now = ks.now;
  const tables: Table[] = [];
  const slots: number[] = [];
  // KEYS skips logically expired keys without deleting them, like Redis (no writes while walking).
  forEachEntry(ks, ks.physicalDb(x.s.db), (t, s) => {
    const at = t.expireAt(s);
    if (at !== 0 && at <= now) return;
    if (!allKeys) {
      const off = t.keyOffset(s);
      if (!stringMatchRange(pattern, 0, pattern.length, t.arena.u8, off, off + t.keyLen(s))) return;
    }
    tables.push(t);
    slots.push(s);
  });
  x.out.arrayHeader(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const t = tables[i];
    const off = t.keyOffset(slots[i]);
    x.out.bulkRange(t.arena.u8, off, off + t.keyLen(slots[i]));
  }
}

const twoPow64 = 1n << 64n;

function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * Redis's parseScanCursorOrReply: strtoul(base 10) over the C string, rejecting a leading space,
 * trailing bytes and overflow. So "" and "+0" are cursor 0 and "-1" wraps to 2^64 - 1.
 * Returns null when invalid.
 */
export function parseScanCursor(arg: Uint8Array): number | bigint | null {
  const s = cstr(arg);
  if (s.length === 0) return 0;
  if (isCSpace(s[0])) return null;
  let i = 0;
  let negative = false;
  if (s[0] === 0x2b || s[0] === 0x2d) {
    negative = s[0] === 0x2d;
    i = 1;
  }
  const digitsStart = i;
  let v = 0;
  while (i < s.length && s[i] >= 0x30 && s[i] <= 0x39 && i - digitsStart < 15) v = v * 10 + (s[i++] - 0x30);
  let big: bigint | null = null;
  if (i < s.length && s[i] >= 0x30 && s[i] <= 0x39) {
    big = BigInt(v);
    while (i < s.length && s[i] >= 0x30 && s[i] <= 0x39) {
      big = big * 10n + BigInt(s[i++] - 0x30);
      if (big >= twoPow64) return null; // ERANGE
    }
  }
  if (i === digitsStart) return null; // no conversion: strtoul points back at the '+' or '-'
  if (i !== s.length) return null;
  if (!negative) return big ?? v;
  const mag = big ?? BigInt(v);
  return mag === 0n ? 0 : twoPow64 - mag;
}

function scanCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const cursor = parseScanCursor(argv[1]);
  if (cursor === null) {
    x.out.error("ERR invalid cursor");
    return;
  }
  let count = 10;
  let pattern: Uint8Array | null = null;
  let typeFilter: Uint8Array | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = cstr(argv[i]);
    const hasValue = i + 1 < argv.length;
    if (eqCI(opt, "count") && hasValue) {
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
    } else if (eqCI(opt, "match") && hasValue) {
      const p = argv[i + 1];
      pattern = p.length === 1 && p[0] === 0x2a ? null : p;
    } else if (eqCI(opt, "type") && hasValue) {
      typeFilter = cstr(argv[i + 1]);
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const db = x.s.db;
  const pdb = ks.physicalDb(db);
  const now = ks.now;
  const found: Uint8Array[] = [];
  const expired: Uint8Array[] = [];
  const p = decodeCursor(cursor, ks.shardCount);
  // Filters follow Redis's order: pattern, then type (an expired key reads as "none"), then expiry.
  scanShards(ks, pdb, p, count, (t, s) => {
    if (pattern !== null) {
      const off = t.keyOffset(s);
      if (!stringMatchRange(pattern, 0, pattern.length, t.arena.u8, off, off + t.keyLen(s))) return;
    }
    const at = t.expireAt(s);
    if (at !== 0 && at <= now) {
      const key = t.keyCopy(s);
      expired.push(key);
      // Redis 7.0's TYPE filter looks the key up, which deletes it; its expiry check then finds no
      // key and lets it through, so `TYPE none` returns expired keys.
      if (typeFilter !== null && eqCI(typeFilter, "none")) found.push(key);
      return;
    }
    if (typeFilter !== null && !eqCI(typeFilter, typeName(t.type(s)))) return;
    found.push(t.keyCopy(s));
  });
  // Expired keys met on the way are deleted, as Redis's expireIfNeeded does during the filter step.
  for (const key of expired) lookupNoTouch(ks, db, key);
  x.out.arrayHeader(2);
  x.out.bulkString(String(encodeCursor(p, ks.shardCount)));
  x.out.arrayHeader(found.length);
  for (const key of found) x.out.bulk(key);
}

function randomkeyCommand(x: Exec): void {
  const ks = x.ks;
  const db = x.s.db;
  const pdb = ks.physicalDb(db);
  for (;;) {
    const slot = randomEntry(ks, pdb);
    if (slot < 0) {
      x.out.nullBulk();
      return;
    }
    const t = ks.t;
    const at = t.expireAt(slot);
    if (at !== 0 && at <= ks.now) {
      ks.expireSlot(t, slot, db); // each round deletes one key, so the loop ends
      continue;
    }
    const off = t.keyOffset(slot);
    x.out.bulkRange(t.arena.u8, off, off + t.keyLen(slot));
    return;
  }
}

// ---- EXPIRE family ------------------------------------------------------------------------------

const expNX = 1;
const expXX = 2;
const expGT = 4;
const expLT = 8;

/** Parses NX XX GT LT from argv[3..]; null after writing the error. */
function parseExpireFlags(x: Exec, argv: Uint8Array[]): number | null {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = cstr(argv[j]);
    if (eqCI(opt, "nx")) flags |= expNX;
    else if (eqCI(opt, "xx")) flags |= expXX;
    else if (eqCI(opt, "gt")) flags |= expGT;
    else if (eqCI(opt, "lt")) flags |= expLT;
    else {
      x.out.error(`ERR Unsupported option ${latin1(opt)}`); // one char per byte: the writer sends them raw
      return null;
    }
  }
  if ((flags & expNX) !== 0 && (flags & (expXX | expGT | expLT)) !== 0) {
    x.out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return null;
  }
  if ((flags & expGT) !== 0 && (flags & expLT) !== 0) {
    x.out.error("ERR GT and LT options at the same time are not compatible");
    return null;
  }
  return flags;
}

/**
 * The absolute expiry in ms for `arg` (seconds when `seconds`), relative to `base` ms; null after
 * writing the error. Overflow checks are Redis's: the unit conversion and the addition of the base
 * must stay within int64.
 */
function expireTimeArg(x: Exec, arg: Uint8Array, seconds: boolean, base: number, name: string): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(Err.notInt);
    return null;
  }
  // |v| < 2^43: v * 1000 + base is exact in a double and far from int64 limits.
  if (typeof v === "number" && Math.abs(v) < 2 ** 43) return (seconds ? v * 1000 : v) + base;
  let when = BigInt(v);
  const invalid = `ERR invalid expire time in '${name}' command`;
  if (seconds) {
    if (when > int64Max / 1000n || when < int64Min / 1000n) {
      x.out.error(invalid);
      return null;
    }
    when *= 1000n;
  }
  if (when > int64Max - BigInt(base)) {
    x.out.error(invalid);
    return null;
  }
  return Number(when + BigInt(base));
}

/** NX XX GT LT against the current expiry `at` (0: none, which counts as an infinite TTL). */
function expireConditionHolds(flags: number, at: number, when: number): boolean {
  if ((flags & expNX) !== 0 && at !== 0) return false;
  if ((flags & expXX) !== 0 && at === 0) return false;
  if ((flags & expGT) !== 0 && (at === 0 || when <= at)) return false;
  if ((flags & expLT) !== 0 && at !== 0 && when >= at) return false;
  return true;
}

/** EXPIRE PEXPIRE EXPIREAT PEXPIREAT; `name` is the command's name for the overflow error. */
function expireGeneric(x: Exec, argv: Uint8Array[], name: string, seconds: boolean, relative: boolean): void {
  const flags = parseExpireFlags(x, argv);
  if (flags === null) return;
  const when = expireTimeArg(x, argv[2], seconds, relative ? x.now : 0, name);
  if (when === null) return;
  const ks = x.ks;
  const db = x.s.db;
  const slot = ks.lookup(db, argv[1]);
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = ks.t;
  if (flags !== 0 && !expireConditionHolds(flags, t.expireAt(slot), when)) {
    x.out.int(0);
    return;
  }
  if (when <= ks.now) {
    ks.deleteSlot(t, slot);
    written(x, db, argv[1], false, "del");
    x.out.int(1);
    return;
  }
  if (!t.setExpire(slot, when)) {
    x.out.error(Err.oom);
    return;
  }
  written(x, db, argv[1], false, "expire");
  x.out.int(1);
}

function expireCommand(x: Exec, argv: Uint8Array[]): void {
  expireGeneric(x, argv, "expire", true, true);
}
function pexpireCommand(x: Exec, argv: Uint8Array[]): void {
  expireGeneric(x, argv, "pexpire", false, true);
}
function expireatCommand(x: Exec, argv: Uint8Array[]): void {
  expireGeneric(x, argv, "expireat", true, false);
}
function pexpireatCommand(x: Exec, argv: Uint8Array[]): void {
  expireGeneric(x, argv, "pexpireat", false, false);
}

/** TTL PTTL EXPIRETIME PEXPIRETIME: -2 no key, -1 no expiry, else the time (seconds rounded). */
function ttlGeneric(x: Exec, key: Uint8Array, ms: boolean, absolute: boolean): void {
  const slot = lookupNoTouch(x.ks, x.s.db, key);
  if (slot < 0) {
    x.out.int(-2);
    return;
  }
  const at = x.ks.t.expireAt(slot);
  if (at === 0) {
    x.out.int(-1);
    return;
  }
  if (at <= Number.MAX_SAFE_INTEGER) {
    const ttl = Math.max(0, absolute ? at : at - x.now);
    x.out.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
    return;
  }
  // Past 2^53 the stored double may exceed int64 (PEXPIREAT k 2^63-1 is stored as 2^63): clamp.
  let big = BigInt(at);
  if (big > int64Max) big = int64Max;
  const ttl = absolute ? big : big - BigInt(x.now);
  x.out.bigint(ms ? ttl : (ttl + 500n) / 1000n);
}

function ttlCommand(x: Exec, argv: Uint8Array[]): void {
  ttlGeneric(x, argv[1], false, false);
}
function pttlCommand(x: Exec, argv: Uint8Array[]): void {
  ttlGeneric(x, argv[1], true, false);
}
function expiretimeCommand(x: Exec, argv: Uint8Array[]): void {
  ttlGeneric(x, argv[1], false, true);
}
function pexpiretimeCommand(x: Exec, argv: Uint8Array[]): void {
  ttlGeneric(x, argv[1], true, true);
}

function persistCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const slot = ks.lookup(x.s.db, argv[1]);
  if (slot < 0 || !ks.t.hasExpire(slot)) {
    x.out.int(0);
    return;
  }
  if (!ks.t.setExpire(slot, 0)) {
    x.out.error(Err.oom);
    return;
  }
  written(x, x.s.db, argv[1], false, "persist");
  x.out.int(1);
}

// ---- OBJECT -------------------------------------------------------------------------------------

const objectHelp = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
] as const;

const lfuSelected =
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const lfuNotSelected =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/** Redis's shared integers: values 0..9999 share one object unless an LRU/LFU policy is in force. */
const sharedIntegers = 10000;
const sharedRefcount = 2147483647;

function lfuPolicy(x: Exec): boolean {
  return isLfuPolicy(policyCode(x.cfg.maxmemoryPolicy));
}

/** The OBJECT lookup: no touch; replies null when missing. Returns the slot in ks.t or -1. */
function objectLookup(x: Exec, key: Uint8Array): number {
  const slot = lookupNoTouch(x.ks, x.s.db, key);
  if (slot < 0) x.out.nullBulk();
  return slot;
}

function objectHelpCommand(x: Exec): void {
  replyHelp(x, "OBJECT", objectHelp);
}

function objectEncodingCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = objectLookup(x, argv[2]);
  if (slot < 0) return;
  x.out.bulkString(encodingNames[x.ks.t.encoding(slot)] ?? "unknown");
}

function objectRefcountCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = objectLookup(x, argv[2]);
  if (slot < 0) return;
  const t = x.ks.t;
  let refcount = 1;
  if (t.type(slot) === ObjType.string && t.encoding(slot) === ObjEnc.int && sharedIntegersAllowed(x)) {
    const off = t.valueOffset(slot);
    const v = parseInt64(t.arena.u8, off, off + t.valueLen(slot));
    if (typeof v === "number" && v >= 0 && v < sharedIntegers) refcount = sharedRefcount;
  }
  x.out.int(refcount);
}

function sharedIntegersAllowed(x: Exec): boolean {
  if (x.cfg.maxmemory === 0) return true;
  const p = policyCode(x.cfg.maxmemoryPolicy);
  return !(p === Policy.allkeysLru || p === Policy.volatileLru || p === Policy.allkeysLfu || p === Policy.volatileLfu);
}

function objectIdletimeCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = objectLookup(x, argv[2]);
  if (slot < 0) return;
  if (lfuPolicy(x)) {
    x.out.error(lfuSelected);
    return;
  }
  x.out.int(Math.floor(lruIdleMs(x.ks.t.clock(slot), x.now) / 1000));
}

function objectFreqCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = objectLookup(x, argv[2]);
  if (slot < 0) return;
  if (!lfuPolicy(x)) {
    x.out.error(lfuNotSelected);
    return;
  }
  x.out.int(lfuDecayed(x.ks.t.clock(slot), x.now, x.cfg.lfuDecayTime));
}

// ---- MEMORY USAGE and HELP (STATS DOCTOR MALLOC-STATS PURGE come from server.ts) ----------------

const memoryHelp = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
] as const;

/** Bytes of one table slot (hash, block address, meta, clock). */
const slotBytes = 16;

function memoryHelpCommand(x: Exec): void {
  replyHelp(x, "MEMORY", memoryHelp);
}

/**
 * MEMORY USAGE: the entry's arena block (size class of header + key + value) plus its table slot.
 * SAMPLES is parsed as Redis does; strings have nothing to sample. Like Redis it reads the dict
 * directly: no expiry check, no touch.
 */
function memoryUsageCommand(x: Exec, argv: Uint8Array[]): void {
  for (let j = 3; j < argv.length; j++) {
    if (eqCI(cstr(argv[j]), "samples") && j + 1 < argv.length) {
      const v = parseInt64(argv[j + 1], 0, argv[j + 1].length);
      if (v === null) {
        x.out.error(Err.notInt);
        return;
      }
      if (v < 0) {
        x.out.error(Err.syntax);
        return;
      }
      j++;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const slot = findRaw(x.ks, x.s.db, argv[2]);
  if (slot < 0) {
    x.out.nullBulk();
    return;
  }
  const t = x.ks.t;
  const ops = typeOps[t.type(slot)];
  const owned = ops !== undefined ? ops.ownedBytes(t.arena, t.valueOffset(slot), t.valueLen(slot), t.encoding(slot)) : 0;
  x.out.int(classBytes(t.blockBytes(slot)) + slotBytes + owned);
}

function containerCommand(x: Exec): void {
  x.out.error(Err.syntax); // never called: the dispatcher resolves subcommands first
}

export const keyCommands: CommandSpec[] = [
  cmd("del", -2, "write", 1, -1, 1, "@keyspace @write @slow", delCommand),
  cmd("unlink", -2, "write fast", 1, -1, 1, "@keyspace @write @fast", delCommand),
  cmd("exists", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast", existsCommand),
  cmd("touch", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast", touchCommand),
  cmd("type", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", typeCommand),
  cmd("rename", 3, "write", 1, 2, 1, "@keyspace @write @slow", renameCommand),
  cmd("renamenx", 3, "write fast", 1, 2, 1, "@keyspace @write @fast", renamenxCommand),
  cmd("copy", -3, "write denyoom", 1, 2, 1, "@keyspace @write @slow", copyCommand),
  cmd("move", 3, "write fast", 1, 1, 1, "@keyspace @write @fast", moveCommand),
  cmd("swapdb", 3, "write fast", 0, 0, 0, "@keyspace @write @fast @dangerous", swapdbCommand, { shards: "all" }),
  cmd("dbsize", 1, "readonly fast", 0, 0, 0, "@keyspace @read @fast", dbsizeCommand, { shards: "all" }),
  cmd("flushdb", -1, "write", 0, 0, 0, "@keyspace @write @slow @dangerous", flushdbCommand, { shards: "all" }),
  cmd("flushall", -1, "write", 0, 0, 0, "@keyspace @write @slow @dangerous", flushallCommand, { shards: "all" }),
  cmd("keys", 2, "readonly", 0, 0, 0, "@keyspace @read @slow @dangerous", keysCommand, { shards: "all" }),
  cmd("scan", -2, "readonly", 0, 0, 0, "@keyspace @read @slow", scanCommand, { shards: "all" }),
  cmd("randomkey", 1, "readonly", 0, 0, 0, "@keyspace @read @slow", randomkeyCommand, { shards: "all" }),
  cmd("expire", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", expireCommand),
  cmd("pexpire", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", pexpireCommand),
  cmd("expireat", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", expireatCommand),
  cmd("pexpireat", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", pexpireatCommand),
  cmd("ttl", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", ttlCommand),
  cmd("pttl", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", pttlCommand),
  cmd("expiretime", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", expiretimeCommand),
  cmd("pexpiretime", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", pexpiretimeCommand),
  cmd("persist", 2, "write fast", 1, 1, 1, "@keyspace @write @fast", persistCommand),
  cmd("object", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      cmd("help", 2, "loading stale", 0, 0, 0, "@keyspace @slow", objectHelpCommand, { shards: "none" }),
      cmd("encoding", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", objectEncodingCommand),
      cmd("freq", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", objectFreqCommand),
      cmd("idletime", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", objectIdletimeCommand),
      cmd("refcount", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", objectRefcountCommand),
    ],
  }),
  cmd("memory", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      ...memoryServerSubcommands,
      cmd("usage", -3, "readonly", 2, 2, 1, "@read @slow", memoryUsageCommand),
      cmd("help", 2, "loading stale", 0, 0, 0, "@slow", memoryHelpCommand, { shards: "none" }),
    ],
  }),
];
