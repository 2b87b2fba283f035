// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
//
// A bitmap is a string value (bytes in the shard arena); bit 0 is the most significant bit of byte 0.
// Writers grow the string in place with t.resizeValue and zero the new bytes (arena bytes are not
// zero), as sdsgrowzero does, and leave the encoding "raw" (dbUnshareStringValue / createObject).
//
// Order of checks is Redis 7.0's, visible in which error wins: SETBIT/GETBIT parse the offset (and
// the bit) before the lookup; BITCOUNT and BITPOS look the key up first (a missing key answers 0 /
// -1 / 0 whatever the range arguments are) and parse the range after the type check; BITFIELD
// parses every operation before touching the key.
//
// Ranges are worked out in bits: [first, last] inclusive. BYTE ranges become [start*8, end*8+7].

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import type { Table } from "../keyspace/table.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { Err } from "./util.ts";
import { notifyEvent, signalModified } from "../server/signals.ts";
import { NOTIFY } from "../config.ts";

const errBitOffset = "ERR bit offset is not an integer or out of range";
const errBitValue = "ERR bit is not an integer or out of range";
const errBitArg = "ERR The bit argument must be 1 or 0.";
const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const errOverflowType = "ERR Invalid OVERFLOW type specified";
const errBitfieldRo = "ERR BITFIELD_RO only supports the GET subcommand";
const errBitopNot = "ERR BITOP NOT must be called with a single source key.";
/** The largest value the arena can hold in one block (as strings.ts). */
const valueBytesMax = 2 ** 32 - 2 ** 16;

/** Set bits per byte value. */
const popcount8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) popcount8[i] = (i & 1) + popcount8[i >> 1];

/**
 * True when `arg` is the ASCII-lowercase word `lower`, ignoring case, cut at its first NUL byte as
 * Redis's strcasecmp on an sds does.
 */
export function isWord(arg: Uint8Array, lower: string): boolean {
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
const oomSlot = -3;

/** Set by bitmapForWrite: the key was created or grown (a change even if no bit flips). */
let bitDirty = false;

/** Slot of the string at key (ks.t is its table), -1 when missing, or wrongTypeSlot after replying. */
function lookupBitmap(x: Exec, key: Uint8Array): number {
  const slot = x.ks.lookup(x.s.db, key);
  if (slot >= 0 && x.ks.t.type(slot) !== ObjType.string) {
    x.out.error(Err.wrongType);
    return wrongTypeSlot;
  }
  return slot;
}

/**
 * lookupStringForBitCommand: the string at key grown (zero-filled) to at least `bytes` bytes,
 * created when missing; encoding raw. Returns the slot (ks.t is its table), or wrongTypeSlot after
 * replying WRONGTYPE, or oomSlot (nothing replied).
 */
function bitmapForWrite(x: Exec, key: Uint8Array, bytes: number): number {
  const ks = x.ks;
  bitDirty = false;
  const slot = lookupBitmap(x, key);
  if (slot === wrongTypeSlot) return slot;
  if (bytes > valueBytesMax) return oomSlot;
  const t = ks.t;
  if (slot < 0) {
    const s = ks.insert(x.s.db, key, bytes, ObjType.string, ObjEnc.raw, 0);
    if (s < 0) return oomSlot;
    const off = t.valueOffset(s);
    t.arena.u8.fill(0, off, off + bytes);
    bitDirty = true;
    return s;
  }
  const oldLen = t.valueLen(slot);
  if (oldLen < bytes) {
    if (!t.resizeValue(slot, bytes, oldLen)) return oomSlot;
    const off = t.valueOffset(slot);
    t.arena.u8.fill(0, off + oldLen, off + bytes);
    bitDirty = true;
  }
  if (t.encoding(slot) !== ObjEnc.raw) t.setTypeEnc(slot, ObjType.string, ObjEnc.raw);
  return slot;
}

/**
 * getBitOffsetFromArgument: a bit offset (with `#n` meaning n * bits when hashBits > 0), or -1 after
 * replying the error. Offsets must be >= 0 and address a byte below proto-max-bulk-len.
 */
function bitOffsetArg(x: Exec, arg: Uint8Array, hashBits: number): number {
  const hash = hashBits > 0 && arg.length > 1 && arg[0] === 0x23 ? 1 : 0;
  let v = parseInt64(arg, hash, arg.length);
  if (v === null) {
    x.out.error(errBitOffset);
    return -1;
  }
  if (hash === 1) {
    // C multiplies in int64 and wraps on overflow.
    if (typeof v === "number" && Number.isSafeInteger(v * hashBits)) v = v * hashBits;
    else {
      const w = BigInt.asIntN(64, BigInt(v) * BigInt(hashBits));
      v = w >= -9007199254740991n && w <= 9007199254740991n ? Number(w) : w;
    }
  }
  if (v < 0 || (typeof v === "bigint" ? v >> 3n : Math.floor(v / 8)) >= x.cfg.protoMaxBulkLen) {
    x.out.error(errBitOffset);
    return -1;
  }
  return Number(v); // < 8 * proto-max-bulk-len: exact
}

/** The int64 argument as a safe number (clamped: string lengths are far below 2^53), or null after replying. */
function rangeArg(x: Exec, arg: Uint8Array): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(Err.notInt);
    return null;
  }
  if (typeof v === "bigint") return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return v;
}

function written(x: Exec, key: Uint8Array, event: string): void {
  signalModified(x, x.s.db, key);
  notifyEvent(x, NOTIFY.string, event, x.s.db, key);
}

// ---- SETBIT / GETBIT ------------------------------------------------------------------------------

function setbitCommand(x: Exec, argv: Uint8Array[]): void {
  const offset = bitOffsetArg(x, argv[2], 0);
  if (offset < 0) return;
  const b = argv[3];
  const on = parseInt64(b, 0, b.length);
  if (on !== 0 && on !== 1) {
    x.out.error(errBitValue);
    return;
  }
  const byte = Math.floor(offset / 8);
  const slot = bitmapForWrite(x, argv[1], byte + 1);
  if (slot === wrongTypeSlot) return;
  if (slot === oomSlot) {
    x.out.error(Err.oom);
    return;
  }
  const t = x.ks.t;
  const u8 = t.arena.u8;
  const at = t.valueOffset(slot) + byte;
  const mask = 1 << (7 - (offset & 7));
  const old = u8[at] & mask ? 1 : 0;
  // Redis signals (WATCH, notifications) only when the key was created or grown or the bit flips.
  if (bitDirty || old !== on) {
    if (on === 1) u8[at] |= mask;
    else u8[at] &= ~mask;
    written(x, argv[1], "setbit");
  }
  x.out.int(old);
}

function getbitCommand(x: Exec, argv: Uint8Array[]): void {
  const offset = bitOffsetArg(x, argv[2], 0);
  if (offset < 0) return;
  const slot = lookupBitmap(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  const byte = Math.floor(offset / 8);
  if (byte >= t.valueLen(slot)) {
    x.out.int(0);
    return;
  }
  x.out.int((t.arena.u8[t.valueOffset(slot) + byte] >> (7 - (offset & 7))) & 1);
}

// ---- BITCOUNT / BITPOS ----------------------------------------------------------------------------

// Result of rangeOrReply: the bit range [rangeFirst, rangeLast] (empty when first > last).
let rangeFirst = 0;
let rangeLast = 0;

/**
 * Parses BITCOUNT's / BITPOS's start, optional end and optional BYTE|BIT unit from argv[at..] over a
 * string of `len` bytes into rangeFirst/rangeLast (bits). `bitcount`: the end is required and parsed
 * before the unit (BITCOUNT); otherwise it is optional and parsed after the unit (BITPOS).
 * Returns false after replying an error.
 */
function rangeOrReply(x: Exec, argv: Uint8Array[], at: number, len: number, bitcount: boolean): boolean {
  let start = rangeArg(x, argv[at]);
  if (start === null) return false;
  let end = 0;
  let isBit = false;
  if (bitcount) {
    const e = rangeArg(x, argv[at + 1]);
    if (e === null) return false;
    end = e;
    // Redis 7.0 answers 0 for this before it looks at the unit argument.
    if (start < 0 && end < 0 && start > end) {
      rangeFirst = 1;
      rangeLast = 0;
      return true;
    }
  }
  const unitAt = at + 2;
  if (argv.length > unitAt) {
    if (isWord(argv[unitAt], "bit")) isBit = true;
    else if (!isWord(argv[unitAt], "byte")) {
      x.out.error(Err.syntax);
      return false;
    }
  }
  const total = isBit ? len * 8 : len;
  if (!bitcount) {
    if (argv.length > at + 1) {
      const e = rangeArg(x, argv[at + 1]);
      if (e === null) return false;
      end = e;
    } else end = total - 1;
  }
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (isBit) {
    rangeFirst = start;
    rangeLast = end;
  } else {
    rangeFirst = start * 8;
    rangeLast = end * 8 + 7;
  }
  return true;
}

/** Set bits of u8 between bits first..last (inclusive) counted from byte `base`. */
function countBits(u8: Uint8Array, base: number, first: number, last: number): number {
  let n = 0;
  let i = first;
  while (i <= last && (i & 7) !== 0) {
    n += (u8[base + Math.floor(i / 8)] >> (7 - (i & 7))) & 1;
    i++;
  }
  const fullEnd = base + Math.floor((last + 1) / 8);
  let p = base + Math.floor(i / 8);
  while (p < fullEnd) n += popcount8[u8[p++]];
  if ((p - base) * 8 > i) i = (p - base) * 8;
  while (i <= last) {
    n += (u8[base + Math.floor(i / 8)] >> (7 - (i & 7))) & 1;
    i++;
  }
  return n;
}

/** First bit equal to `bit` between bits first..last (inclusive) from byte `base`, or -1. */
function findBit(u8: Uint8Array, base: number, first: number, last: number, bit: number): number {
  let i = first;
  while (i <= last && (i & 7) !== 0) {
    if (((u8[base + Math.floor(i / 8)] >> (7 - (i & 7))) & 1) === bit) return i;
    i++;
  }
  const skip = bit === 1 ? 0 : 0xff;
  const fullEnd = base + Math.floor((last + 1) / 8);
  let p = base + Math.floor(i / 8);
  while (p < fullEnd && u8[p] === skip) p++;
  if ((p - base) * 8 > i) i = (p - base) * 8;
  while (i <= last) {
    if (((u8[base + Math.floor(i / 8)] >> (7 - (i & 7))) & 1) === bit) return i;
    i++;
  }
  return -1;
}

function bitcountCommand(x: Exec, argv: Uint8Array[]): void {
  const slot = lookupBitmap(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) {
    x.out.int(0);
    return;
  }
  const t = x.ks.t;
  const len = t.valueLen(slot);
  if (argv.length === 4 || argv.length === 5) {
    if (!rangeOrReply(x, argv, 2, len, true)) return;
  } else if (argv.length === 2) {
    rangeFirst = 0;
    rangeLast = len * 8 - 1;
  } else {
    x.out.error(Err.syntax);
    return;
  }
  if (rangeFirst > rangeLast) x.out.int(0);
  else x.out.int(countBits(t.arena.u8, t.valueOffset(slot), rangeFirst, rangeLast));
}

function bitposCommand(x: Exec, argv: Uint8Array[]): void {
  const b = argv[2];
  const bit = parseInt64(b, 0, b.length);
  if (bit === null) {
    x.out.error(Err.notInt);
    return;
  }
  if (bit !== 0 && bit !== 1) {
    x.out.error(errBitArg);
    return;
  }
  const slot = lookupBitmap(x, argv[1]);
  if (slot === wrongTypeSlot) return;
  if (slot === -1) {
    x.out.int(bit === 1 ? -1 : 0);
    return;
  }
  const t = x.ks.t;
  const len = t.valueLen(slot);
  const endGiven = argv.length >= 5;
  if (argv.length >= 4 && argv.length <= 6) {
    if (!rangeOrReply(x, argv, 3, len, false)) return;
  } else if (argv.length === 3) {
    rangeFirst = 0;
    rangeLast = len * 8 - 1;
  } else {
    x.out.error(Err.syntax);
    return;
  }
  if (rangeFirst > rangeLast) {
    x.out.int(-1);
    return;
  }
  const pos = findBit(t.arena.u8, t.valueOffset(slot), rangeFirst, rangeLast, bit);
  if (pos >= 0) x.out.int(pos);
  // A missing clear bit: the string is zero-padded to the right unless an end was given.
  else x.out.int(bit === 1 || endGiven ? -1 : rangeLast + 1);
}

// ---- BITOP ----------------------------------------------------------------------------------------

const opAnd = 0;
const opOr = 1;
const opXor = 2;
const opNot = 3;

function bitopCommand(x: Exec, argv: Uint8Array[]): void {
  const name = argv[1];
  let op: number;
  if (isWord(name, "and")) op = opAnd;
  else if (isWord(name, "or")) op = opOr;
  else if (isWord(name, "xor")) op = opXor;
  else if (isWord(name, "not")) op = opNot;
  else {
    x.out.error(Err.syntax);
    return;
  }
  if (op === opNot && argv.length !== 4) {
    x.out.error(errBitopNot);
    return;
  }
  const ks = x.ks;
  const db = x.s.db;
  // Sources are copied: the destination may live in the same arena and move when it is written.
  const srcs: Uint8Array[] = [];
  let maxLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const slot = ks.lookup(db, argv[j]);
    if (slot < 0) {
      srcs.push(emptyBytes);
      continue;
    }
    const t = ks.t;
    if (t.type(slot) !== ObjType.string) {
      x.out.error(Err.wrongType);
      return;
    }
    const off = t.valueOffset(slot);
    const v = t.arena.u8.slice(off, off + t.valueLen(slot));
    srcs.push(v);
    if (v.length > maxLen) maxLen = v.length;
  }
  const dest = argv[2];
  if (maxLen === 0) {
    const slot = ks.lookup(db, dest);
    if (slot >= 0) {
      ks.deleteSlot(ks.t, slot);
      signalModified(x, db, dest);
      notifyEvent(x, NOTIFY.generic, "del", db, dest);
    }
    x.out.int(0);
    return;
  }
  const res = new Uint8Array(maxLen);
  const first = srcs[0];
  res.set(first);
  if (op === opNot) {
    for (let i = 0; i < maxLen; i++) res[i] = ~res[i];
  } else {
    for (let k = 1; k < srcs.length; k++) {
      const s = srcs[k];
      const n = s.length;
      if (op === opAnd) {
        for (let i = 0; i < n; i++) res[i] &= s[i];
        res.fill(0, n);
      } else if (op === opOr) {
        for (let i = 0; i < n; i++) res[i] |= s[i];
      } else {
        for (let i = 0; i < n; i++) res[i] ^= s[i];
      }
    }
  }
  // setKey: replaces any value and drops the TTL; the new string is raw whatever its length.
  if (ks.setString(db, dest, res, ObjEnc.raw, 0) < 0) {
    x.out.error(Err.oom);
    return;
  }
  signalModified(x, db, dest);
  notifyEvent(x, NOTIFY.string, "set", db, dest);
  x.out.int(maxLen);
}

const emptyBytes = new Uint8Array(0);

// ---- BITFIELD -------------------------------------------------------------------------------------

const bfGet = 0;
const bfSet = 1;
const bfIncrby = 2;
const owWrap = 0;
const owSat = 1;
const owFail = 2;

interface BitfieldOp {
  opcode: number;
  offset: number;
  bits: number;
  signed: boolean;
  value: bigint;
  overflow: number;
}

/** Parses "i<bits>" / "u<bits>" (i1..i64, u1..u63); returns bits (negative for signed) or 0 after replying. */
function bitfieldTypeArg(x: Exec, arg: Uint8Array): number {
  const c = arg[0];
  if (arg.length === 0 || (c !== 0x69 && c !== 0x75)) {
    x.out.error(errBitfieldType);
    return 0;
  }
  let end = 1;
  while (end < arg.length && arg[end] !== 0) end++; // strlen(p+1)
  const bits = parseInt64(arg, 1, end);
  if (bits === null || bits < 1 || (c === 0x69 && bits > 64) || (c === 0x75 && bits > 63)) {
    x.out.error(errBitfieldType);
    return 0;
  }
  return c === 0x69 ? -Number(bits) : Number(bits);
}

/** Unsigned value of `bits` bits at bit `offset` of u8[base, base + len), zero beyond len. */
function readBits(u8: Uint8Array, base: number, len: number, offset: number, bits: number): bigint {
  if (bits <= 32) {
    let v = 0;
    for (let i = 0; i < bits; i++) {
      const o = offset + i;
      const byte = Math.floor(o / 8);
      const b = byte < len ? (u8[base + byte] >> (7 - (o & 7))) & 1 : 0;
      v = v * 2 + b;
    }
    return BigInt(v);
  }
  const hiBits = bits - 32;
  const hi = readBits(u8, base, len, offset, hiBits);
  const lo = readBits(u8, base, len, offset + hiBits, 32);
  return (hi << 32n) | lo;
}

/** Writes the low `bits` bits of v at bit `offset` (the string is long enough). */
function writeBits(u8: Uint8Array, base: number, offset: number, bits: number, v: bigint): void {
  let lo = Number(BigInt.asUintN(32, v));
  let hi = bits > 32 ? Number(BigInt.asUintN(32, v >> 32n)) : 0;
  for (let i = bits - 1; i >= 0; i--) {
    const o = offset + i;
    const at = base + Math.floor(o / 8);
    const mask = 1 << (7 - (o & 7));
    const b = (lo & 1) === 1;
    if (b) u8[at] |= mask;
    else u8[at] &= ~mask;
    lo = (lo >>> 1) | ((hi & 1) << 31);
    hi >>>= 1;
  }
}

/** Signed or unsigned interpretation of raw bits. */
function interpret(raw: bigint, bits: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(bits, raw) : raw;
}

// Result of overflowCheck: the value to store when the check reports an overflow (WRAP/SAT).
let overflowLimit = 0n;

/**
 * checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow: 0 when value + incr fits the type,
 * else 1 / -1 (above / below) with overflowLimit set for WRAP and SAT. The margins are computed in
 * wrapping 64-bit arithmetic as in C, which is visible: SET i63 to -2^63 saturates to the maximum.
 * For unsigned types `value` is uint64 (SET's int64 argument reinterpreted) and incr an int64.
 */
function overflowCheck(value: bigint, incr: bigint, bits: number, signed: boolean, ow: number): number {
  let dir = 0;
  let max: bigint;
  let min: bigint;
  if (signed) {
    max = bits === 64 ? 9223372036854775807n : (1n << BigInt(bits - 1)) - 1n;
    min = -max - 1n;
    const maxIncr = BigInt.asIntN(64, max - value);
    const minIncr = BigInt.asIntN(64, min - value);
    if (value > max || (bits !== 64 && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)) dir = 1;
    else if (value < min || (bits !== 64 && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)) dir = -1;
  } else {
    max = (1n << BigInt(bits)) - 1n;
    min = 0n;
    const maxIncr = BigInt.asIntN(64, max - value);
    const minIncr = BigInt.asIntN(64, -value);
    if (value > max || (incr > 0n && incr > maxIncr)) dir = 1;
    else if (incr < 0n && incr < minIncr) dir = -1;
  }
  if (dir === 0) return 0;
  if (ow === owWrap) overflowLimit = signed ? BigInt.asIntN(bits, value + incr) : BigInt.asUintN(bits, value + incr);
  else if (ow === owSat) overflowLimit = dir > 0 ? max : min;
  return dir;
}

function bitfieldGeneric(x: Exec, argv: Uint8Array[], readonlyCmd: boolean): void {
  const ops: BitfieldOp[] = [];
  let overflow = owWrap;
  let readonly = true;
  let highestWrite = 0;
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = argv[j];
    let opcode: number;
    if (isWord(sub, "get") && rem >= 2) opcode = bfGet;
    else if (isWord(sub, "set") && rem >= 3) opcode = bfSet;
    else if (isWord(sub, "incrby") && rem >= 3) opcode = bfIncrby;
    else if (isWord(sub, "overflow") && rem >= 1) {
      const t = argv[++j];
      if (isWord(t, "wrap")) overflow = owWrap;
      else if (isWord(t, "sat")) overflow = owSat;
      else if (isWord(t, "fail")) overflow = owFail;
      else {
        x.out.error(errOverflowType);
        return;
      }
      continue;
    } else {
      x.out.error(Err.syntax);
      return;
    }
    const typeBits = bitfieldTypeArg(x, argv[j + 1]);
    if (typeBits === 0) return;
    const bits = Math.abs(typeBits);
    const offset = bitOffsetArg(x, argv[j + 2], bits);
    if (offset < 0) return;
    let value = 0n;
    if (opcode !== bfGet) {
      readonly = false;
      if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
      const a = argv[j + 3];
      const v = parseInt64(a, 0, a.length);
      if (v === null) {
        x.out.error(Err.notInt);
        return;
      }
      value = BigInt(v);
    }
    ops.push({ opcode, offset, bits, signed: typeBits < 0, value, overflow });
    j += opcode === bfGet ? 2 : 3;
  }
  const ks = x.ks;
  let slot: number;
  if (readonly) {
    slot = lookupBitmap(x, argv[1]);
    if (slot === wrongTypeSlot) return;
  } else {
    if (readonlyCmd) {
      x.out.error(errBitfieldRo);
      return;
    }
    slot = bitmapForWrite(x, argv[1], Math.floor(highestWrite / 8) + 1);
    if (slot === wrongTypeSlot) return;
    if (slot === oomSlot) {
      x.out.error(Err.oom);
      return;
    }
  }
  const t: Table = ks.t;
  const u8 = t.arena.u8;
  const base = slot >= 0 ? t.valueOffset(slot) : 0;
  const len = slot >= 0 ? t.valueLen(slot) : 0;
  let changes = 0;
  x.out.arrayHeader(ops.length);
  for (const op of ops) {
    const old = interpret(readBits(u8, base, len, op.offset, op.bits), op.bits, op.signed);
    if (op.opcode === bfGet) {
      x.out.bigint(old);
      continue;
    }
    let next: bigint;
    let reply: bigint;
    if (op.opcode === bfIncrby) {
      // Unsigned INCRBY adds the increment as an int64 to the stored value.
      const dir = overflowCheck(old, op.value, op.bits, op.signed, op.overflow);
      next = dir !== 0 ? overflowLimit : old + op.value;
      reply = next;
      if (dir !== 0 && op.overflow === owFail) {
        x.out.nullBulk();
        continue;
      }
    } else {
      const v = op.signed ? op.value : BigInt.asUintN(64, op.value);
      const dir = overflowCheck(v, 0n, op.bits, op.signed, op.overflow);
      next = dir !== 0 ? overflowLimit : v;
      reply = old;
      if (dir !== 0 && op.overflow === owFail) {
        x.out.nullBulk();
        continue;
      }
    }
    x.out.bigint(reply);
    writeBits(u8, base, op.offset, op.bits, next);
    // As Redis: a write counts as a change when the key was created or grown or the field changed.
    if (bitDirty || old !== next) changes++;
  }
  if (changes > 0) written(x, argv[1], "setbit");
}

function bitfieldCommand(x: Exec, argv: Uint8Array[]): void {
  bitfieldGeneric(x, argv, false);
}

function bitfieldRoCommand(x: Exec, argv: Uint8Array[]): void {
  bitfieldGeneric(x, argv, true);
}

export const bitmapCommands: CommandSpec[] = [
  cmd("setbit", 4, "write denyoom", 1, 1, 1, "@write @bitmap @slow", setbitCommand),
  cmd("getbit", 3, "readonly fast", 1, 1, 1, "@read @bitmap @fast", getbitCommand),
  cmd("bitcount", -2, "readonly", 1, 1, 1, "@read @bitmap @slow", bitcountCommand),
  cmd("bitpos", -3, "readonly", 1, 1, 1, "@read @bitmap @slow", bitposCommand),
  cmd("bitop", -4, "write denyoom", 2, -1, 1, "@write @bitmap @slow", bitopCommand),
  cmd("bitfield", -2, "write denyoom", 1, 1, 1, "@write @bitmap @slow", bitfieldCommand),
  cmd("bitfield_ro", -2, "readonly fast", 1, 1, 1, "@read @bitmap @fast", bitfieldRoCommand),
];
