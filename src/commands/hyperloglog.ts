// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE. An HLL is a string value in Redis's exact format
// (native-free/hll.ts), so GET returns the bytes redis-server would hold and a value written by
// Redis (or by SET) works here.
//
// Dense values are edited in place in the arena. A sparse value is copied once per command into a
// reusable JS buffer (it is at most hll-sparse-max-bytes, 3000 by default), edited there opcode by
// opcode exactly as Redis edits its sds (so the bytes match), and written back once, resized; when
// it must be promoted, the dense form is written straight into the resized arena block.
//
// Errors are Redis's: a non-string is WRONGTYPE; a string that is not an HLL (short, bad magic, bad
// encoding, a dense value of the wrong length) is "WRONGTYPE Key is not a valid HyperLogLog string
// value."; a sparse value whose runs do not cover 16384 registers is "INVALIDOBJ Corrupted HLL
// object detected", found when it is counted, merged or promoted. PFCOUNT of one key stores the
// estimate in the cache bytes (a write, as in Redis); PFADD and PFMERGE set the invalid-cache bit.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import type { Table } from "../keyspace/table.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { Err } from "./util.ts";
import { notifyEvent, signalModified } from "../server/signals.ts";
import { NOTIFY } from "../config.ts";
import { isWord } from "./bitmaps.ts";
import {
  SparseWork, cacheValid, countOf, countOfRegisters, denseGet, denseSet, denseSetRaw, hllDenseBytes, hllEmptySparseBytes, hllEncDense,
  hllEncSparse, hllHeaderBytes, hllPatLen, hllRegisters, invalidateCache, isValidHll, mergeInto, readCache,
  sparsePromote, sparseToDense, writeCache, writeEmptySparse,
} from "../../native-free/hll.ts";

const errNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const errCorrupt = "INVALIDOBJ Corrupted HLL object detected";

const work = new SparseWork();
/** Registers of a union (PFCOUNT of several keys, PFMERGE), one byte each. */
const maxRegisters = new Uint8Array(hllRegisters);
/** Scratch for a promotion whose source and target would overlap. */
let denseScratch = new Uint8Array(hllDenseBytes);

const wrongSlot = -2;

/** Slot of the HLL at key (ks.t its table), -1 when missing, or wrongSlot after replying. */
function lookupHll(x: Exec, key: Uint8Array): number {
  const ks = x.ks;
  const slot = ks.lookup(x.s.db, key);
  if (slot < 0) return -1;
  const t = ks.t;
  if (t.type(slot) !== ObjType.string) {
    x.out.error(Err.wrongType);
    return wrongSlot;
  }
  if (!isValidHll(t.arena.u8, t.valueOffset(slot), t.valueLen(slot))) {
    x.out.error(errNotHll);
    return wrongSlot;
  }
  return slot;
}

/** Creates key holding an empty sparse HLL; the slot, or -1 when out of memory. */
function createHll(x: Exec, key: Uint8Array): number {
  const ks = x.ks;
  ks.route(key);
  const slot = ks.insert(x.s.db, key, hllEmptySparseBytes, ObjType.string, ObjEnc.raw, 0);
  if (slot >= 0) writeEmptySparse(ks.t.arena.u8, ks.t.valueOffset(slot));
  return slot;
}

/** Writes the work buffer back as the value at slot (resized). False when out of memory. */
function storeWork(t: Table, slot: number): boolean {
  if (!t.resizeValue(slot, work.len, 0)) return false;
  t.arena.u8.set(work.buf.subarray(0, work.len), t.valueOffset(slot));
  return true;
}

/**
 * Promotes the sparse value in the work buffer to dense at slot. 1 done, -1 malformed (the sparse
 * value is stored back unchanged), 0 out of memory.
 */
function promoteWork(t: Table, slot: number): number {
  if (denseScratch.length < hllDenseBytes) denseScratch = new Uint8Array(hllDenseBytes);
  if (!sparseToDense(work.buf, 0, work.len, denseScratch, 0)) return storeWork(t, slot) ? -1 : 0;
  if (!t.resizeValue(slot, hllDenseBytes, 0)) return 0;
  t.arena.u8.set(denseScratch, t.valueOffset(slot));
  return 1;
}

/**
 * Raises register `index` to `count` in the HLL at slot. Sparse values live in the work buffer
 * while `inWork` (see pfaddCommand). Returns 1 changed, 0 unchanged, -1 corrupt, -3 out of memory.
 */
let inWork = false;
function hllSet(x: Exec, t: Table, slot: number, index: number, count: number): number {
  if (!inWork) {
    const off = t.valueOffset(slot);
    const enc = t.arena.u8[off + 4];
    if (enc === hllEncDense) return denseSet(t.arena.u8, off + hllHeaderBytes, index, count) ? 1 : 0;
    if (enc !== hllEncSparse) return -1;
    work.load(t.arena.u8, off, t.valueLen(slot));
    inWork = true;
  }
  const r = work.set(index, count, x.cfg.hllSparseMaxBytes);
  if (r !== sparsePromote) return r;
  inWork = false;
  const p = promoteWork(t, slot);
  if (p !== 1) return p === 0 ? -3 : -1;
  const off = t.valueOffset(slot);
  denseSet(t.arena.u8, off + hllHeaderBytes, index, count);
  return 1;
}

/** Ends an edit: writes a sparse work buffer back. False when out of memory. */
function finishEdit(t: Table, slot: number): boolean {
  if (!inWork) return true;
  inWork = false;
  return storeWork(t, slot);
}

function pfaddCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const key = argv[1];
  let slot = lookupHll(x, key);
  if (slot === wrongSlot) return;
  let updated = 0;
  if (slot < 0) {
    slot = createHll(x, key);
    if (slot < 0) {
      x.out.error(Err.oom);
      return;
    }
    updated++;
  }
  const t = ks.t;
  if (t.encoding(slot) !== ObjEnc.raw) t.setTypeEnc(slot, ObjType.string, ObjEnc.raw); // dbUnshareStringValue
  inWork = false;
  for (let j = 2; j < argv.length; j++) {
    const pat = hllPatLen(argv[j]);
    const r = hllSet(x, t, slot, pat >>> 6, pat & 63);
    if (r === 1) updated++;
    else if (r < 0) {
      const stored = finishEdit(t, slot);
      x.out.error(r === -3 || !stored ? Err.oom : errCorrupt);
      return;
    }
  }
  if (!finishEdit(t, slot)) {
    x.out.error(Err.oom);
    return;
  }
  if (updated > 0) {
    invalidateCache(t.arena.u8, t.valueOffset(slot));
    signalModified(x, x.s.db, key);
    notifyEvent(x, NOTIFY.string, "pfadd", x.s.db, key);
  }
  x.out.int(updated > 0 ? 1 : 0);
}

function pfcountCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  if (argv.length > 2) {
    maxRegisters.fill(0);
    for (let j = 1; j < argv.length; j++) {
      const slot = lookupHll(x, argv[j]);
      if (slot === wrongSlot) return;
      if (slot < 0) continue;
      const t = ks.t;
      if (!mergeInto(maxRegisters, t.arena.u8, t.valueOffset(slot), t.valueLen(slot))) {
        x.out.error(errCorrupt);
        return;
      }
    }
    x.out.int(countOfRegisters(maxRegisters));
    return;
  }
  const slot = lookupHll(x, argv[1]);
  if (slot === wrongSlot) return;
  if (slot < 0) {
    x.out.int(0);
    return;
  }
  const t = ks.t;
  if (t.encoding(slot) !== ObjEnc.raw) t.setTypeEnc(slot, ObjType.string, ObjEnc.raw);
  const u8 = t.arena.u8;
  const off = t.valueOffset(slot);
  if (cacheValid(u8, off)) {
    const card = readCache(u8, off);
    if (typeof card === "number") x.out.int(card);
    else x.out.bigint(card);
    return;
  }
  const card = countOf(u8, off, t.valueLen(slot));
  if (card < 0) {
    x.out.error(errCorrupt);
    return;
  }
  writeCache(u8, off, card);
  signalModified(x, x.s.db, argv[1]);
  x.out.int(card);
}

function pfmergeCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const db = x.s.db;
  maxRegisters.fill(0);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const slot = lookupHll(x, argv[j]);
    if (slot === wrongSlot) return;
    if (slot < 0) continue;
    const t = ks.t;
    const off = t.valueOffset(slot);
    if (t.arena.u8[off + 4] === hllEncDense) useDense = true;
    if (!mergeInto(maxRegisters, t.arena.u8, off, t.valueLen(slot))) {
      x.out.error(errCorrupt);
      return;
    }
  }
  const key = argv[1];
  let slot = ks.lookup(db, key);
  if (slot < 0) {
    slot = createHll(x, key);
    if (slot < 0) {
      x.out.error(Err.oom);
      return;
    }
  }
  const t = ks.t;
  if (t.encoding(slot) !== ObjEnc.raw) t.setTypeEnc(slot, ObjType.string, ObjEnc.raw);
  inWork = false;
  if (useDense && t.arena.u8[t.valueOffset(slot) + 4] === hllEncSparse) {
    work.load(t.arena.u8, t.valueOffset(slot), t.valueLen(slot));
    const p = promoteWork(t, slot);
    if (p !== 1) {
      x.out.error(p === 0 ? Err.oom : errCorrupt);
      return;
    }
  }
  for (let i = 0; i < hllRegisters; i++) {
    const v = maxRegisters[i];
    if (v === 0) continue;
    // A malformed sparse target is left as it is at that register, as Redis ignores the failure.
    if (hllSet(x, t, slot, i, v) === -3) {
      finishEdit(t, slot);
      x.out.error(Err.oom);
      return;
    }
  }
  if (!finishEdit(t, slot)) {
    x.out.error(Err.oom);
    return;
  }
  invalidateCache(t.arena.u8, t.valueOffset(slot));
  signalModified(x, db, key);
  notifyEvent(x, NOTIFY.string, "pfadd", db, key);
  x.out.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: Redis's introspection of an HLL value. */
function pfdebugCommand(x: Exec, argv: Uint8Array[]): void {
  const ks = x.ks;
  const key = argv[2];
  const slot = lookupHll(x, key);
  if (slot === wrongSlot) return;
  if (slot < 0) {
    x.out.error("ERR The specified key does not exist");
    return;
  }
  const t = ks.t;
  if (t.encoding(slot) !== ObjEnc.raw) t.setTypeEnc(slot, ObjType.string, ObjEnc.raw);
  const sub = argv[1];
  const isSparse = () => t.arena.u8[t.valueOffset(slot) + 4] === hllEncSparse;
  const toDense = (): number => {
    work.load(t.arena.u8, t.valueOffset(slot), t.valueLen(slot));
    return promoteWork(t, slot);
  };
  if (isWord(sub, "getreg") || isWord(sub, "todense")) {
    const getreg = isWord(sub, "getreg");
    let converted = false;
    if (isSparse()) {
      const p = toDense();
      if (p !== 1) {
        x.out.error(p === 0 ? Err.oom : errCorrupt);
        return;
      }
      converted = true;
      signalModified(x, x.s.db, key);
    }
    if (!getreg) {
      x.out.int(converted ? 1 : 0);
      return;
    }
    const r = t.valueOffset(slot) + hllHeaderBytes;
    x.out.arrayHeader(hllRegisters);
    for (let i = 0; i < hllRegisters; i++) x.out.int(denseGet(t.arena.u8, r, i));
  } else if (isWord(sub, "decode")) {
    if (!isSparse()) {
      x.out.error("ERR HLL encoding is not sparse");
      return;
    }
    x.out.bulkString(decodeSparse(t.arena.u8, t.valueOffset(slot), t.valueLen(slot)));
  } else if (isWord(sub, "encoding")) {
    x.out.simple(isSparse() ? "sparse" : "dense");
  } else {
    x.out.error(`ERR Unknown PFDEBUG subcommand '${cString(sub)}'`);
  }
}

/** The opcodes of a sparse value as PFDEBUG DECODE prints them ("z:len Z:len v:value,len"). */
function decodeSparse(u8: Uint8Array, off: number, len: number): string {
  const parts: string[] = [];
  const end = off + len;
  let p = off + hllHeaderBytes;
  while (p < end) {
    const op = u8[p];
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0x80) === 0) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (p + 1 < end ? u8[p + 1] : 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >>> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

/** Bytes up to the first NUL as text, newlines made spaces (Redis's error sanitizing). */
function cString(b: Uint8Array): string {
  const n = b.indexOf(0);
  return Buffer.from(n < 0 ? b : b.subarray(0, n)).toString("latin1").replace(/[\r\n]/g, " ");
}

/**
 * PFSELFTEST: checks this implementation's invariants on scratch buffers (register packing, the
 * sparse and dense forms agreeing after the same additions, the estimate's error) and replies +OK.
 */
function pfselftestCommand(x: Exec): void {
  const dense = new Uint8Array(hllDenseBytes + 1);
  for (let i = 0; i < hllRegisters; i++) denseSetRaw(dense, hllHeaderBytes, i, (i * 7) & 63);
  for (let i = 0; i < hllRegisters; i++) {
    if (denseGet(dense, hllHeaderBytes, i) !== ((i * 7) & 63)) {
      x.out.error(`ERR TESTFAILED Register error at ${i}`);
      return;
    }
  }
  const sparse = new SparseWork();
  const empty = new Uint8Array(hllEmptySparseBytes);
  sparse.load(empty, 0, writeEmptySparse(empty, 0));
  const model = new Uint8Array(hllDenseBytes);
  writeEmptySparse(model, 0);
  model[4] = hllEncDense;
  model.fill(0, hllHeaderBytes); // the XZERO opcode bytes are not dense registers
  const ele = new Uint8Array(8);
  for (let n = 1; n <= 2000; n++) {
    new DataView(ele.buffer).setUint32(0, n * 2654435761, true);
    const pat = hllPatLen(ele);
    denseSet(model, hllHeaderBytes, pat >>> 6, pat & 63);
    if (sparse.set(pat >>> 6, pat & 63, 1 << 30) < 0) {
      x.out.error("ERR TESTFAILED sparse edit reported a malformed value");
      return;
    }
  }
  const fromSparse = new Uint8Array(hllDenseBytes);
  if (!sparseToDense(sparse.buf, 0, sparse.len, fromSparse, 0)) {
    x.out.error("ERR TESTFAILED sparse value does not cover every register");
    return;
  }
  for (let i = 0; i < hllRegisters; i++) {
    if (denseGet(fromSparse, hllHeaderBytes, i) !== denseGet(model, hllHeaderBytes, i)) {
      x.out.error(`ERR TESTFAILED Sparse and dense disagree at register ${i}`);
      return;
    }
  }
  const card = countOf(model, 0, hllDenseBytes);
  if (Math.abs(card - 2000) > 2000 * 0.05) {
    x.out.error(`ERR TESTFAILED estimate ${card} for 2000 elements`);
    return;
  }
  x.out.ok();
}

export const hyperloglogCommands: CommandSpec[] = [
  cmd("pfadd", -2, "write denyoom fast", 1, 1, 1, "@write @hyperloglog @fast", pfaddCommand),
  cmd("pfcount", -2, "readonly", 1, -1, 1, "@read @hyperloglog @slow", pfcountCommand),
  cmd("pfmerge", -2, "write denyoom", 1, -1, 1, "@write @hyperloglog @slow", pfmergeCommand),
  cmd("pfdebug", 3, "write denyoom admin", 2, 2, 1, "@write @hyperloglog @admin @slow @dangerous", pfdebugCommand),
  cmd("pfselftest", 1, "admin", 0, 0, 0, "@hyperloglog @admin @slow @dangerous", pfselftestCommand, { shards: "none" }),
];
