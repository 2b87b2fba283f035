// A software x87 80-bit extended float, for INCRBYFLOAT and HINCRBYFLOAT: Redis 7.0 on x86-64 parses
// both operands with strtold, adds them as `long double` (64-bit significand, 15-bit exponent, round
// to nearest even, gradual underflow) and prints "%.17Lf" with trailing zeros, a bare dot and "-0"
// trimmed. Doubles cannot reproduce that text, so values here are exact: value = mant * 2^exp with
// mant a bigint below 2^64 (at least 2^63 for normal numbers, exp = -16445 for subnormals). BigInt
// is fine here: these commands are not on a per-GET hot path. Parsing follows string2ld: fewer than
// 5120 bytes, one whole strtold number, NaN rejected, overflow and underflow-to-zero rejected.

import {
  ScanKind, binaryToNumber, bitLength, doubleFormat, extendedFormat, pow10, roundDecimal, roundScaled, scan, scanFloat,
  scannedDigits,
} from "./float_scan.ts";
import { trimHuman } from "./float_format.ts";

export const LongDoubleKind = { finite: 0, infinity: 1, nan: 2 } as const;
export type LongDoubleKindValue = (typeof LongDoubleKind)[keyof typeof LongDoubleKind];

export interface LongDouble {
  readonly kind: LongDoubleKindValue;
  readonly negative: boolean;
  /** Significand, below 2^64; 0n for zero and for non-finite values. */
  readonly mant: bigint;
  readonly exp: number;
}

/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs of this many bytes or more. */
export const longDoubleCharsMax = 5 * 1024;

const encoder = new TextEncoder();

function finite(negative: boolean, mant: bigint, exp: number): LongDouble {
  return { kind: LongDoubleKind.finite, negative, mant, exp: mant === 0n ? 0 : exp };
}

function infinity(negative: boolean): LongDouble {
  return { kind: LongDoubleKind.infinity, negative, mant: 0n, exp: 0 };
}

const nan: LongDouble = { kind: LongDoubleKind.nan, negative: false, mant: 0n, exp: 0 };

/** The scanned decimal mantissa (at most 15 digits) as an exact number. */
function smallDigits(buf: Uint8Array): number {
  let m = 0;
  for (let i = scan.digitsStart; i < scan.digitsEnd; i++) if (buf[i] !== 0x2e) m = m * 10 + (buf[i] - 0x30);
  return m;
}

/**
 * The long double Redis's string2ld reads from input[start, end), or null where Redis replies
 * "value is not a valid float": empty or >= 5120 bytes, leading space, trailing bytes, NaN, or a
 * value that overflows to infinity or underflows to zero. "inf" and "-infinity" are accepted.
 */
export function parseLongDouble(input: Uint8Array | string, start = 0, end?: number): LongDouble | null {
  const buf = typeof input === "string" ? encoder.encode(input) : input;
  const stop = end ?? buf.length;
  if (stop - start <= 0 || stop - start >= longDoubleCharsMax) return null;
  const kind = scanFloat(buf, start, stop);
  const negative = scan.negative;
  if (kind === ScanKind.infinity) return infinity(negative);
  if (kind !== ScanKind.decimal && kind !== ScanKind.hex) return null;
  if (!scan.nonzero) return finite(negative, 0n, 0);
  const digits = scan.digitCount <= 15 && kind === ScanKind.decimal ? BigInt(smallDigits(buf)) : scannedDigits(buf);
  const r = kind === ScanKind.hex
    ? roundScaled(digits, scan.exponent - 4 * scan.fractionDigits, false, extendedFormat)
    : roundDecimal(digits, scan.exponent - scan.fractionDigits, extendedFormat);
  if (r.overflow || r.mant === 0n) return null;
  return finite(negative, r.mant, r.exp);
}

/** The exact long double of a double (every double is one). */
export function longDoubleFromNumber(d: number): LongDouble {
  if (d !== d) return nan;
  if (d === Infinity || d === -Infinity) return infinity(d < 0);
  const negative = d < 0 || (d === 0 && 1 / d < 0);
  if (d === 0) return finite(negative, 0n, 0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & 0xfffffffffffffn;
  const mant = biased === 0 ? fraction : fraction | (1n << 52n);
  const r = roundScaled(mant, (biased === 0 ? 1 : biased) - 1075, false, extendedFormat);
  return finite(negative, r.mant, r.exp);
}

/** a + b as the x87 FPU computes it in extended precision, round to nearest even. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === LongDoubleKind.nan || b.kind === LongDoubleKind.nan) return nan;
  if (a.kind === LongDoubleKind.infinity) {
    return b.kind === LongDoubleKind.infinity && b.negative !== a.negative ? nan : a;
  }
  if (b.kind === LongDoubleKind.infinity) return b;
  if (a.mant === 0n) return b.mant === 0n ? finite(a.negative && b.negative, 0n, 0) : b;
  if (b.mant === 0n) return a;
  // If one operand is below a quarter unit of the other's last place it cannot change the rounded
  // sum (even when the larger is a power of two), so skip the wide alignment.
  const topA = a.exp + bitLength(a.mant);
  const topB = b.exp + bitLength(b.mant);
  if (topA - topB >= 70) return a;
  if (topB - topA >= 70) return b;
  const low = Math.min(a.exp, b.exp);
  const sa = a.mant << BigInt(a.exp - low);
  const sb = b.mant << BigInt(b.exp - low);
  const sum = (a.negative ? -sa : sa) + (b.negative ? -sb : sb);
  if (sum === 0n) return finite(false, 0n, 0);
  const negative = sum < 0n;
  const r = roundScaled(negative ? -sum : sum, low, false, extendedFormat);
  return r.overflow ? infinity(negative) : finite(negative, r.mant, r.exp);
}

export function isFiniteLongDouble(x: LongDouble): boolean {
  return x.kind === LongDoubleKind.finite;
}

/** The double nearest to x ((double) cast: round to nearest even). */
export function longDoubleToNumber(x: LongDouble): number {
  if (x.kind === LongDoubleKind.nan) return NaN;
  if (x.kind === LongDoubleKind.infinity) return x.negative ? -Infinity : Infinity;
  if (x.mant === 0n) return x.negative ? -0 : 0;
  return binaryToNumber(roundScaled(x.mant, x.exp, false, doubleFormat), x.negative);
}

const fixedDigits = 17;
const fixedScale = pow10(fixedDigits);

/** glibc's "%.17Lf" of x: exact digits, the 17th fraction digit rounded half to even. */
export function formatLongDoubleFixed17(x: LongDouble): string {
  if (x.kind === LongDoubleKind.nan) return x.negative ? "-nan" : "nan";
  if (x.kind === LongDoubleKind.infinity) return x.negative ? "-inf" : "inf";
  const sign = x.negative ? "-" : "";
  if (x.exp >= 0) return `${sign}${(x.mant << BigInt(x.exp)).toString()}.${"0".repeat(fixedDigits)}`;
  const shift = BigInt(-x.exp);
  const scaled = x.mant * fixedScale;
  let q = scaled >> shift;
  const rest = scaled - (q << shift);
  const half = 1n << (shift - 1n);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  const whole = q / fixedScale;
  const fraction = (q - whole * fixedScale).toString().padStart(fixedDigits, "0");
  return `${sign}${whole.toString()}.${fraction}`;
}

/** Redis's LD_STR_HUMAN text, the reply and stored value of INCRBYFLOAT and HINCRBYFLOAT. */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.kind !== LongDoubleKind.finite) return formatLongDoubleFixed17(x);
  return trimHuman(formatLongDoubleFixed17(x));
}

export type IncrByFloatResult =
  | { ok: true; value: LongDouble; text: string }
  | { ok: false; error: "increment-not-float" | "value-not-float" | "nan-or-infinity" };

/**
 * The shared core of INCRBYFLOAT and HINCRBYFLOAT: current (null when the key or field is missing,
 * read as 0) plus increment. The increment is checked first, as HINCRBYFLOAT does; for INCRBYFLOAT
 * both failures carry the same message, so the order is not visible.
 */
export function incrByFloat(current: Uint8Array | null, increment: Uint8Array): IncrByFloatResult {
  const inc = parseLongDouble(increment);
  if (inc === null) return { ok: false, error: "increment-not-float" };
  const base = current === null ? finite(false, 0n, 0) : parseLongDouble(current);
  if (base === null) return { ok: false, error: "value-not-float" };
  const value = addLongDouble(base, inc);
  if (!isFiniteLongDouble(value)) return { ok: false, error: "nan-or-infinity" };
  return { ok: true, value, text: formatLongDoubleHuman(value) };
}
