// Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER
// SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SSCAN. Storage is src/types/set.ts.
//
// Redis 7.0's shapes: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count reply a set (RESP3 `~`),
// SRANDMEMBER with a count an array. SUNION/SDIFF (and every STORE) build their result as Redis's
// fresh set does: an intset (ascending order) while every member is an integer within
// set-max-intset-entries; SINTER answers in the order of its smallest input. The multi-key commands
// type-check every key before reading any (a missing key reads as an empty set). Lookups first, then
// reads: a lookup may lazily expire a key, which moves other slots of its table, so slots are taken
// again once every expired key is gone.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import { ObjEnc, ObjType, type Table } from "../keyspace/table.ts";
import { NOTIFY } from "../config.ts";
import { effectPartial, notifyEvent, setEffect, signalModified, wantsEffect } from "../server/signals.ts";

const sremName = new TextEncoder().encode("SREM");
import { Err, eqCI, latin1 } from "./util.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { lookupTyped, matches, parseDictCursor, parseRandomCount, parseScanOptions, replyOom, scanOpts, wrongTypeSlot } from "./hashes.ts";
import {
  isIntMember, setAdd, setDict, setForEach, setIsMember, setLimits, setMembers, setRandomMember, setRemove, setSize,
  setStoreMembers,
} from "../types/set.ts";
import { dictScan, nodeFieldLen, nodeFieldOff } from "../types/dict.ts";

function noteLimits(x: Exec): number {
  const m = x.cfg.setMaxIntsetEntries;
  setLimits.maxIntsetEntries = m;
  return m;
}

function afterRemoval(x: Exec, t: Table, slot: number, key: Uint8Array, event: string): void {
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.set, event, x.s.db, key);
  if (setSize(t, slot) === 0) {
    x.ks.deleteSlot(t, slot);
    notifyEvent(x, NOTIFY.generic, "del", x.s.db, key);
  }
}

// ---- SADD SREM ----------------------------------------------------------------------------------

function saddCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const max = noteLimits(x);
  let slot = lookupTyped(x, key, ObjType.set);
  if (slot === wrongTypeSlot) return;
  const mark = x.out.len;
  if (slot < 0) {
    x.ks.route(key);
    slot = x.ks.insert(x.s.db, key, 0, ObjType.set, ObjEnc.intset, 0);
    if (slot < 0) return replyOom(x, mark);
  }
  const t = x.ks.t;
  let added = 0;
  for (let i = 2; i < argv.length; i++) {
    const r = setAdd(t, slot, argv[i], max);
    if (r < 0) {
      if (setSize(t, slot) === 0) x.ks.deleteSlot(t, slot);
      else if (added > 0) {
        // Members added before memory ran out stay: log the set as it is.
        effectPartial(x);
        signalModified(x, x.s.db, key);
      }
      return replyOom(x, mark);
    }
    added += r;
  }
  x.out.int(added);
  if (added > 0) {
    signalModified(x, x.s.db, key);
    notifyEvent(x, NOTIFY.set, "sadd", x.s.db, key);
  }
}

function sremCommand(x: Exec, argv: Uint8Array[]): void {
  const key = argv[1];
  const slot = lookupTyped(x, key, ObjType.set);
  if (slot === wrongTypeSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (setRemove(t, slot, argv[i], 0, argv[i].length)) {
      removed++;
      if (setSize(t, slot) === 0) break;
    }
  }
  x.out.int(removed);
  if (removed > 0) afterRemoval(x, t, slot, key, "srem");
}

// ---- reads --------------------------------------------------------------------------------------

function scardCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.set);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot < 0 ? 0 : setSize(x.ks.t, slot));
}

function sismemberCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.set);
  if (slot === wrongTypeSlot) return;
  x.out.int(slot >= 0 && setIsMember(x.ks.t, slot, argv[2], 0, argv[2].length) ? 1 : 0);
}

function smismemberCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.set);
  if (slot === wrongTypeSlot) return;
  const t = x.ks.t;
  x.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) x.out.int(slot >= 0 && setIsMember(t, slot, argv[i], 0, argv[i].length) ? 1 : 0);
}

function smembersCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupTyped(x, argv[1], ObjType.set);
  if (slot === wrongTypeSlot) return;
  const out = x.out;
  if (slot < 0) {
    out.setHeader(0);
    return;
  }
  const t = x.ks.t;
  out.setHeader(setSize(t, slot));
  setForEach(t, slot, (u8, off, len) => out.bulkRange(u8, off, off + len));
}

// ---- SRANDMEMBER SPOP ---------------------------------------------------------------------------

/** `m` distinct random members (copies) of a set of `size` members (m < size). */
function distinctRandom(t: Table, slot: number, m: number): Uint8Array[] {
  const size = setSize(t, slot);
  if (m * 4 > size || t.encoding(slot) === ObjEnc.intset) {
    const all = setMembers(t, slot);
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const k = all[j];
      all[j] = all[i];
      all[i] = k;
    }
    all.length = m;
    return all;
  }
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  while (out.length < m) {
    const v = setRandomMember(t, slot);
    const s = latin1(v);
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(v);
  }
  return out;
}

function srandmemberCommand(x: Exec, argv: Uint8Array[]): void {
  const out = x.out;
  if (argv.length > 3) {
    out.error(Err.syntax);
    return;
  }
  if (argv.length === 2) {
    const slot = lookupTyped(x, argv[1], ObjType.set);
    if (slot === wrongTypeSlot) return;
    if (slot < 0) out.nullBulk();
    else out.bulk(setRandomMember(x.ks.t, slot));
    return;
  }
  const count = parseRandomCount(x, argv[2]);
  if (count === null) return;
  const slot = lookupTyped(x, argv[1], ObjType.set);
  if (slot === wrongTypeSlot) return;
  if (slot < 0 || count === 0) {
    out.arrayHeader(0);
    return;
  }
  const t = x.ks.t;
  const size = setSize(t, slot);
  if (count < 0) {
    const n = -count;
    if (n >= 2 ** 32) {
      out.error("ERR value is out of range");
      return;
    }
    out.arrayHeader(n);
    if (t.encoding(slot) === ObjEnc.intset) {
      const all = setMembers(t, slot);
      for (let i = 0; i < n; i++) out.bulk(all[Math.floor(Math.random() * size)]);
    } else {
      for (let i = 0; i < n; i++) out.bulk(setRandomMember(t, slot));
    }
    return;
  }
  if (count >= size) {
    out.arrayHeader(size);
    setForEach(t, slot, (u8, off, len) => out.bulkRange(u8, off, off + len));
    return;
  }
  const picked = distinctRandom(t, slot, count);
  out.arrayHeader(picked.length);
  for (const m of picked) out.bulk(m);
}

function spopCommand(x: Exec, argv: Uint8Array[]): void {
  const out = x.out;
  const key = argv[1];
  const db = x.s.db;
  if (argv.length > 3) {
    out.error(Err.syntax);
    return;
  }
  if (argv.length === 2) {
    const slot = lookupTyped(x, key, ObjType.set);
    if (slot === wrongTypeSlot) return;
    if (slot < 0) {
      out.nullBulk();
      return;
    }
    const t = x.ks.t;
    const m = setRandomMember(t, slot);
    setRemove(t, slot, m, 0, m.length);
    out.bulk(m);
    if (wantsEffect(x)) setEffect(x, [sremName, key, m]); // the shard log replays the choice, not the dice
    afterRemoval(x, t, slot, key, "spop");
    return;
  }
  const v = parseInt64(argv[2], 0, argv[2].length);
  if (v === null || v < 0) {
    out.error("ERR value is out of range, must be positive");
    return;
  }
  const count = typeof v === "bigint" ? Number.MAX_SAFE_INTEGER : v;
  const slot = lookupTyped(x, key, ObjType.set);
  if (slot === wrongTypeSlot) return;
  if (slot < 0 || count === 0) {
    out.setHeader(0);
    return;
  }
  const t = x.ks.t;
  const size = setSize(t, slot);
  if (count >= size) {
    out.setHeader(size);
    setForEach(t, slot, (u8, off, len) => out.bulkRange(u8, off, off + len));
    x.ks.deleteSlot(t, slot);
    signalModified(x, db, key);
    notifyEvent(x, NOTIFY.set, "spop", db, key);
    notifyEvent(x, NOTIFY.generic, "del", db, key);
    return;
  }
  const remaining = size - count;
  if (remaining * 5 > count) {
    const picked = distinctRandom(t, slot, count);
    out.setHeader(count);
    for (const m of picked) {
      setRemove(t, slot, m, 0, m.length);
      out.bulk(m);
    }
    if (wantsEffect(x)) setEffect(x, [sremName, key, ...picked]);
  } else {
    // Redis rebuilds the set from the members that stay (a fresh set: it may become an intset).
    const all = setMembers(t, slot);
    for (let i = 0; i < remaining; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const k = all[j];
      all[j] = all[i];
      all[i] = k;
    }
    const keep = all.slice(0, remaining);
    const expireAt = t.expireAt(slot);
    const mark = out.len;
    if (setStoreMembers(x.ks, db, key, keep, expireAt, noteLimits(x)) < 0) {
      replyOom(x, mark);
      return;
    }
    out.setHeader(count);
    for (let i = remaining; i < size; i++) out.bulk(all[i]);
    if (wantsEffect(x)) setEffect(x, [sremName, key, ...all.slice(remaining)]);
  }
  signalModified(x, db, key);
  notifyEvent(x, NOTIFY.set, "spop", db, key);
}

// ---- SMOVE --------------------------------------------------------------------------------------

function smoveCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const db = x.s.db;
  const src = argv[1];
  const dst = argv[2];
  const member = argv[3];
  const max = noteLimits(x);
  ks.lookup(db, src);
  let dstSlot = ks.lookup(db, dst);
  let dstT = ks.t;
  // Take src's slot again: the lookup of dst may have expired a key of src's table.
  const srcT = ks.route(src);
  let srcSlot = srcT.find(ks.physicalDb(db), src, ks.h);
  if (srcSlot < 0) {
    x.out.int(0);
    return;
  }
  if (srcT.type(srcSlot) !== ObjType.set || (dstSlot >= 0 && dstT.type(dstSlot) !== ObjType.set)) {
    x.out.error(Err.wrongType);
    return;
  }
  if (srcT === dstT && srcSlot === dstSlot) {
    x.out.int(setIsMember(srcT, srcSlot, member, 0, member.length) ? 1 : 0);
    return;
  }
  if (!setRemove(srcT, srcSlot, member, 0, member.length)) {
    x.out.int(0);
    return;
  }
  notifyEvent(x, NOTIFY.set, "srem", db, src);
  if (setSize(srcT, srcSlot) === 0) {
    ks.deleteSlot(srcT, srcSlot);
    notifyEvent(x, NOTIFY.generic, "del", db, src);
  }
  const mark = x.out.len;
  if (dstSlot >= 0) {
    dstT = ks.route(dst);
    dstSlot = dstT.find(ks.physicalDb(db), dst, ks.h); // the delete of src may have moved it
  } else {
    ks.route(dst);
    dstSlot = ks.insert(db, dst, 0, ObjType.set, ObjEnc.intset, 0);
    dstT = ks.t;
    if (dstSlot < 0) return replyOom(x, mark);
  }
  signalModified(x, db, src);
  const r = setAdd(dstT, dstSlot, member, max);
  if (r < 0) {
    if (setSize(dstT, dstSlot) === 0) ks.deleteSlot(dstT, dstSlot);
    return replyOom(x, mark);
  }
  if (r > 0) {
    signalModified(x, db, dst);
    notifyEvent(x, NOTIFY.set, "sadd", db, dst);
  }
  x.out.int(1);
}

// ---- SINTER SUNION SDIFF and STORE forms --------------------------------------------------------

const opInter = 0;
const opUnion = 1;
const opDiff = 2;

// Reused per call: the tables and slots of the input sets (slot -1: missing key).
let inT: Table[] = [];
let inSlot: number[] = [];

/**
 * Looks up keys argv[from..to) (type check of all first), then takes their slots again. Returns
 * false after WRONGTYPE. Fills inT/inSlot.
 */
function collectSets(x: Exec, argv: Uint8Array[], from: number, to: number): boolean {
  const ks = x.ks;
  for (let i = from; i < to; i++) {
    if (lookupTyped(x, argv[i], ObjType.set) === wrongTypeSlot) return false;
  }
  inT = [];
  inSlot = [];
  const pdb = ks.physicalDb(x.s.db);
  for (let i = from; i < to; i++) {
    const t = ks.route(argv[i]);
    inT.push(t);
    inSlot.push(t.find(pdb, argv[i], ks.h)); // expired keys are gone: no second hit count or touch
  }
  return true;
}

/** The members of the intersection (copies), in the order of the smallest input; `limit` 0 = all. */
function interMembers(limit: number): Uint8Array[] {
  const n = inT.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    if (inSlot[i] < 0) return [];
    order.push(i);
  }
  order.sort((a, b) => setSize(inT[a], inSlot[a]) - setSize(inT[b], inSlot[b]));
  const first = order[0];
  const out: Uint8Array[] = [];
  setForEach(inT[first], inSlot[first], (u8, off, len) => {
    if (limit > 0 && out.length >= limit) return;
    for (let k = 1; k < n; k++) {
      const j = order[k];
      if (!setIsMember(inT[j], inSlot[j], u8, off, len)) return;
    }
    out.push(u8.slice(off, off + len));
  });
  return out;
}

/** Union or difference of the inputs as a fresh set would hold it (ascending when an intset). */
function unionDiffMembers(op: number, maxIntset: number): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  if (op === opUnion) {
    for (let i = 0; i < inT.length; i++) {
      if (inSlot[i] < 0) continue;
      setForEach(inT[i], inSlot[i], (u8, off, len) => {
        const s = latin1(u8.subarray(off, off + len));
        if (!seen.has(s)) seen.set(s, u8.slice(off, off + len));
      });
    }
  } else if (inSlot[0] >= 0) {
    setForEach(inT[0], inSlot[0], (u8, off, len) => {
      for (let k = 1; k < inT.length; k++) {
        if (inSlot[k] >= 0 && setIsMember(inT[k], inSlot[k], u8, off, len)) return;
      }
      seen.set(latin1(u8.subarray(off, off + len)), u8.slice(off, off + len));
    });
  }
  const members = [...seen.values()];
  return sortIfIntset(members, maxIntset);
}

/** Ascending numeric order when the members would form an intset (Redis replies from one). */
function sortIfIntset(members: Uint8Array[], maxIntset: number): Uint8Array[] {
  if (members.length === 0 || members.length > maxIntset) return members;
  const nums: (number | bigint)[] = [];
  for (const m of members) {
    if (!isIntMember(m)) return members;
    nums.push(parseInt64(m, 0, m.length)!);
  }
  const idx = members.map((_, i) => i);
  idx.sort((a, b) => {
    const p = nums[a];
    const q = nums[b];
    return p < q ? -1 : p > q ? 1 : 0;
  });
  return idx.map((i) => members[i]);
}

function setOpCommand(x: Exec, argv: Uint8Array[], op: number, store: boolean): void {
  const from = store ? 2 : 1;
  const max = noteLimits(x);
  if (!collectSets(x, argv, from, argv.length)) return;
  const members = op === opInter ? interMembers(0) : unionDiffMembers(op, max);
  const out = x.out;
  if (!store) {
    out.setHeader(members.length);
    for (const m of members) out.bulk(m);
    return;
  }
  const ks = x.ks;
  const db = x.s.db;
  const dst = argv[1];
  if (members.length === 0) {
    const old = ks.lookup(db, dst);
    if (old >= 0) {
      ks.deleteSlot(ks.t, old);
      signalModified(x, db, dst);
      notifyEvent(x, NOTIFY.generic, "del", db, dst);
    }
    out.int(0);
    return;
  }
  const mark = out.len;
  if (setStoreMembers(ks, db, dst, members, 0, max) < 0) {
    replyOom(x, mark);
    return;
  }
  out.int(members.length);
  signalModified(x, db, dst);
  notifyEvent(x, NOTIFY.set, op === opInter ? "sinterstore" : op === opUnion ? "sunionstore" : "sdiffstore", db, dst);
}

function sinterCommand(x: Exec, argv: Uint8Array[]): void {
  setOpCommand(x, argv, opInter, false);
}
function sunionCommand(x: Exec, argv: Uint8Array[]): void {
  setOpCommand(x, argv, opUnion, false);
}
function sdiffCommand(x: Exec, argv: Uint8Array[]): void {
  setOpCommand(x, argv, opDiff, false);
}
function sinterstoreCommand(x: Exec, argv: Uint8Array[]): void {
  setOpCommand(x, argv, opInter, true);
}
function sunionstoreCommand(x: Exec, argv: Uint8Array[]): void {
  setOpCommand(x, argv, opUnion, true);
}
function sdiffstoreCommand(x: Exec, argv: Uint8Array[]): void {
  setOpCommand(x, argv, opDiff, true);
}

const errNumkeys = "ERR numkeys should be greater than 0";

function sintercardCommand(x: Exec, argv: Uint8Array[]): void {
  const nk = parseInt64(argv[1], 0, argv[1].length);
  if (nk === null || nk < 1) {
    x.out.error(errNumkeys);
    return;
  }
  if (nk > argv.length - 2) {
    x.out.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const numkeys = Number(nk);
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (eqCI(argv[i], "limit") && i + 1 < argv.length) {
      const l = parseInt64(argv[i + 1], 0, argv[i + 1].length);
      if (l === null || l < 0) {
        x.out.error("ERR LIMIT can't be negative");
        return;
      }
      limit = typeof l === "bigint" ? Number.MAX_SAFE_INTEGER : l;
      i++;
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  if (!collectSets(x, argv, 2, 2 + numkeys)) return;
  x.out.int(interMembers(limit).length);
}

function sintercardKeys(argv: Uint8Array[]): number[] {
  const nk = parseInt64(argv[1], 0, argv[1].length);
  if (nk === null || nk < 1 || nk > argv.length - 2) return [];
  const out: number[] = [];
  for (let i = 0; i < Number(nk); i++) out.push(2 + i);
  return out;
}

// ---- SSCAN --------------------------------------------------------------------------------------

function sscanCommand(x: Exec, argv: Uint8Array[]): void {
  const cursor = parseDictCursor(x, argv[2]);
  if (cursor < 0) return;
  const slot = lookupTyped(x, argv[1], ObjType.set);
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
  let next = 0;
  if (t.encoding(slot) === ObjEnc.intset) {
    const found: Uint8Array[] = [];
    setForEach(t, slot, (u8, off, len) => {
      if (matches(u8, off, len)) found.push(u8.slice(off, off + len));
    });
    out.arrayHeader(2);
    out.bulkString("0");
    out.arrayHeader(found.length);
    for (const m of found) out.bulk(m);
    return;
  }
  const a = t.arena;
  const d = setDict(t, slot);
  const found: number[] = [];
  const visit = (n: number): void => {
    const off = nodeFieldOff(a, n, false);
    const len = nodeFieldLen(a, n);
    if (matches(a.u8, off, len)) found.push(off, len);
  };
  let budget = scanOpts.count * 10;
  let c = cursor;
  do {
    c = dictScan(a, d, c, visit);
  } while (c !== 0 && budget-- > 0 && found.length / 2 < scanOpts.count);
  next = c;
  out.arrayHeader(2);
  out.bulkString(String(next));
  out.arrayHeader(found.length / 2);
  for (let i = 0; i < found.length; i += 2) out.bulkRange(a.u8, found[i], found[i] + found[i + 1]);
}

export const setCommands: CommandSpec[] = [
  cmd("sadd", -3, "write denyoom fast", 1, 1, 1, "@write @set @fast", saddCommand),
  cmd("srem", -3, "write fast", 1, 1, 1, "@write @set @fast", sremCommand),
  cmd("scard", 2, "readonly fast", 1, 1, 1, "@read @set @fast", scardCommand),
  cmd("sismember", 3, "readonly fast", 1, 1, 1, "@read @set @fast", sismemberCommand),
  cmd("smismember", -3, "readonly fast", 1, 1, 1, "@read @set @fast", smismemberCommand),
  cmd("smembers", 2, "readonly", 1, 1, 1, "@read @set @slow", smembersCommand),
  cmd("srandmember", -2, "readonly", 1, 1, 1, "@read @set @slow", srandmemberCommand),
  cmd("spop", -2, "write fast", 1, 1, 1, "@write @set @fast", spopCommand),
  cmd("smove", 4, "write fast", 1, 2, 1, "@write @set @fast", smoveCommand),
  cmd("sinter", -2, "readonly", 1, -1, 1, "@read @set @slow", sinterCommand),
  cmd("sintercard", -3, "readonly movablekeys", 0, 0, 0, "@read @set @slow", sintercardCommand, { keyIndexes: sintercardKeys }),
  cmd("sunion", -2, "readonly", 1, -1, 1, "@read @set @slow", sunionCommand),
  cmd("sdiff", -2, "readonly", 1, -1, 1, "@read @set @slow", sdiffCommand),
  cmd("sinterstore", -3, "write denyoom", 1, -1, 1, "@write @set @slow", sinterstoreCommand),
  cmd("sunionstore", -3, "write denyoom", 1, -1, 1, "@write @set @slow", sunionstoreCommand),
  cmd("sdiffstore", -3, "write denyoom", 1, -1, 1, "@write @set @slow", sdiffstoreCommand),
  cmd("sscan", -3, "readonly", 1, 1, 1, "@read @set @slow", sscanCommand),
];
