// Redis's number rules on raw argument bytes.
// Integers follow string2ll: optional '-', no '+', no spaces, no leading zeros (so "-0" and "007"
// are rejected), signed 64-bit range. parseInt64 returns a JS number when the value is a safe
// integer and a bigint only beyond 2^53; parseSafeInt never allocates and says NaN instead.
// Doubles follow string2d (getDoubleFromObject: ZADD, ZINCRBY, ...): the whole range must be one
// strtod number (decimal, hex float, inf/infinity with optional sign; no leading space, nothing
// after), NaN is rejected, and so is a result that overflows to +-inf or underflows to zero from a
// non-zero input; subnormals pass. Short decimals take Clinger's exact fast path with no allocation;
// the rest go through the engine's correctly rounded parser or exact BigInt rounding for hex.
// formatInt/writeInt render integers as ASCII, sharing cached buffers for 0..9999.

import { ScanKind, binaryToNumber, doubleFormat, roundScaled, scan, scanFloat, scannedDigits } from "./float_scan.ts";

const int64Max = 9223372036854775807n;

/**
 * Digits of buf[at, end) as a number when there are at most 15 of them (so exact), else -1.
 * Caller guarantees they are all ASCII digits.
 */
function smallDigits(buf: Uint8Array, at: number, end: number): number {
  if (end - at > 15) return -1;
  let v = 0;
  for (; at < end; at++) v = v * 10 + (buf[at] - 0x30);
  return v;
}

/** Validates string2ll syntax; returns the index of the first digit, or -1. */
function int64DigitsStart(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 20) return -1;
  if (len === 1 && buf[start] === 0x30) return start;
  let at = start;
  if (buf[at] === 0x2d) at++;
  if (at >= end || buf[at] < 0x31 || buf[at] > 0x39) return -1;
  for (let i = at + 1; i < end; i++) if (buf[i] < 0x30 || buf[i] > 0x39) return -1;
  return at;
}

/**
 * The int64 value of buf[start, end) by Redis's string2ll rules: a number when it is a safe integer,
 * a bigint when it is a valid int64 beyond 2^53, null when invalid or out of range.
 */
export function parseInt64(buf: Uint8Array, start: number, end: number): number | bigint | null {
  const at = int64DigitsStart(buf, start, end);
  if (at < 0) return null;
  const negative = at > start;
  const small = smallDigits(buf, at, end);
  if (small >= 0) return negative ? -small : small;
  // 16 to 19 digits: split so each half is exact, then decide safety without BigInt.
  const hi = smallDigits(buf, at, end - 9);
  const lo = smallDigits(buf, end - 9, end);
  if (hi < 9007199 || (hi === 9007199 && lo <= 254740991)) {
    const v = hi * 1e9 + lo;
    return negative ? -v : v;
  }
  const big = BigInt(hi) * 1000000000n + BigInt(lo);
  if (big > int64Max + (negative ? 1n : 0n)) return null;
  return negative ? -big : big;
}

/** Like parseInt64 but NaN for invalid input and for valid int64 values beyond 2^53. No allocation. */
export function parseSafeInt(buf: Uint8Array, start: number, end: number): number {
  const at = int64DigitsStart(buf, start, end);
  if (at < 0) return NaN;
  const negative = at > start;
  let v = smallDigits(buf, at, end);
  if (v < 0) {
    const hi = smallDigits(buf, at, end - 9);
    const lo = smallDigits(buf, end - 9, end);
    if (hi > 9007199 || (hi === 9007199 && lo > 254740991)) return NaN;
    v = hi * 1e9 + lo;
  }
  return negative ? -v : v;
}

// Exact powers of ten a double holds: 10^0 .. 10^22.
const exactPow10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
}

/**
 * One pass over the common shape [+-]digits[.digits] with at most 15 significant digits and 22
 * fraction digits, where one IEEE divide is exact-rounded. NaN when the input has any other shape.
 */
function parseSimpleDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = i < end && buf[i] === 0x2d;
  if (negative || (i < end && buf[i] === 0x2b)) i++;
  let m = 0;
  let digits = 0;
  let significant = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d >= 0 && d <= 9) {
      digits++;
      if (significant > 0 || d !== 0) significant++;
      m = m * 10 + d;
      if (fraction >= 0) fraction++;
    } else if (d === -2 && fraction < 0) {
      fraction = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || significant > 15 || fraction > 22) return NaN;
  const v = fraction > 0 ? m / exactPow10[fraction] : m;
  return negative ? -v : v;
}

/** The double of buf[start, end) by Redis 7.0's string2d rules, or null when Redis rejects it. */
export function parseDouble(buf: Uint8Array, start: number, end: number): number | null {
  const simple = parseSimpleDecimal(buf, start, end);
  if (simple === simple) return simple;
  const kind = scanFloat(buf, start, end);
  if (kind === ScanKind.infinity) return scan.negative ? -Infinity : Infinity;
  if (kind === ScanKind.decimal) {
    if (!scan.nonzero) return scan.negative ? -0 : 0;
    const fast = fastDecimal(buf);
    if (fast >= 0) return scan.negative ? -fast : fast;
    const v = parseFloat(latin1(buf, start, end));
    return v === 0 || !Number.isFinite(v) ? null : v;
  }
  if (kind === ScanKind.hex) {
    if (!scan.nonzero) return scan.negative ? -0 : 0;
    const r = roundScaled(scannedDigits(buf), scan.exponent - 4 * scan.fractionDigits, false, doubleFormat);
    const v = binaryToNumber(r, scan.negative);
    return v === 0 || !Number.isFinite(v) ? null : v;
  }
  return null; // invalid or NaN
}

/**
 * Clinger's fast path for the scanned decimal: with at most 15 significant digits and a power of ten
 * a double holds exactly, one IEEE multiply or divide is correctly rounded. Returns -1 otherwise.
 */
function fastDecimal(buf: Uint8Array): number {
  let m = 0;
  let significant = 0;
  for (let i = scan.digitsStart; i < scan.digitsEnd; i++) {
    const d = buf[i] - 0x30;
    if (d < 0) continue; // the dot
    if (significant > 0 || d !== 0) significant++;
    m = m * 10 + d;
  }
  if (significant > 15) return -1;
  const e = scan.exponent - scan.fractionDigits;
  if (e >= 0 && e <= 22) return m * exactPow10[e];
  if (e < 0 && e >= -22) return m / exactPow10[-e];
  return -1;
}

const encoder = new TextEncoder();
const smallIntCacheSize = 10000;
const smallInts: Uint8Array[] = Array.from({ length: smallIntCacheSize }, (_, i) => encoder.encode(String(i)));

/** Number of ASCII bytes writeInt produces for the safe integer n. */
export function intByteLength(n: number): number {
  const v = n < 0 ? -n : n;
  const sign = n < 0 ? 1 : 0;
  // Comparisons, not divisions: INCR replies and values call this on every command.
  if (v < 1e9) {
    if (v < 10) return sign + 1;
    if (v < 100) return sign + 2;
    if (v < 1000) return sign + 3;
    if (v < 1e4) return sign + 4;
    if (v < 1e5) return sign + 5;
    if (v < 1e6) return sign + 6;
    if (v < 1e7) return sign + 7;
    if (v < 1e8) return sign + 8;
    return sign + 9;
  }
  let len = sign + 9;
  let w = Math.floor(v / 1e9);
  while (w >= 1) {
    w = Math.floor(w / 10);
    len++;
  }
  return len;
}

/** Writes the safe integer n as ASCII at out[offset..]; returns the end offset. No allocation. */
export function writeInt(n: number, out: Uint8Array, offset: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`writeInt needs a safe integer, got ${n}`);
  const end = offset + intByteLength(n);
  let v = Math.abs(n);
  let at = end;
  // Above 2^31 the digits come from float division; below, integer division is cheaper.
  while (v >= 2147483648) {
    const q = Math.floor(v / 10);
    out[--at] = 0x30 + (v - q * 10);
    v = q;
  }
  do {
    const q = (v / 10) | 0;
    out[--at] = 0x30 + (v - q * 10);
    v = q;
  } while (v > 0);
  if (n < 0) out[offset] = 0x2d;
  return end;
}

/**
 * The ASCII bytes of an integer (a safe number or any bigint). Values 0..9999 return a shared
 * cached buffer: callers must not write into the result.
 */
export function formatInt(n: number | bigint): Uint8Array {
  if (typeof n === "bigint") {
    if (n >= 0n && n < BigInt(smallIntCacheSize)) return smallInts[Number(n)];
    return encoder.encode(n.toString());
  }
  if (n >= 0 && n < smallIntCacheSize && Number.isInteger(n)) return smallInts[n];
  const out = new Uint8Array(intByteLength(n));
  writeInt(n, out, 0);
  return out;
}
