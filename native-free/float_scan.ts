// The syntax C's strtod/strtold accept, and exact rounding of the numbers they denote, shared by
// numbers.ts (double) and long_double.ts (x87 80-bit). The scanner checks that a whole byte range is
// one number: optional sign, then "inf"/"infinity", "nan" or "nan(chars)", a hex float
// (0x digits [. digits] [p exp]) or a decimal (digits [. digits] [e exp]), case-insensitive, with no
// space anywhere and nothing after. Where strtod would stop early (at "1e", "0x", a NUL) the range is
// not all consumed, so the scan fails: that is what Redis's "eptr == end" test rejects. The scan
// result lives in one module-level record (no allocation); read it before the next scan.
// roundScaled and roundDecimal round N x 2^e and N x 10^k exactly to a p-bit significand, ties to
// even, with gradual underflow, so results equal glibc's correctly rounded strtod/strtold.

export const ScanKind = { invalid: 0, decimal: 1, hex: 2, infinity: 3, nan: 4 } as const;
export type ScanKindValue = (typeof ScanKind)[keyof typeof ScanKind];

export interface FloatScan {
  kind: ScanKindValue;
  negative: boolean;
  /** Mantissa digits (decimal or hex) are those in [digitsStart, digitsEnd) other than one '.'. */
  digitsStart: number;
  digitsEnd: number;
  /** Index of the '.' inside the digits, or -1. */
  dot: number;
  /** Number of mantissa digits, and how many of them follow the dot. */
  digitCount: number;
  fractionDigits: number;
  /** True when some mantissa digit is not zero. */
  nonzero: boolean;
  /** The written exponent (decimal for e, binary for p), clamped to +-1e15. */
  exponent: number;
}

export const scan: FloatScan = {
  kind: ScanKind.invalid, negative: false, digitsStart: 0, digitsEnd: 0, dot: -1, digitCount: 0,
  fractionDigits: 0, nonzero: false, exponent: 0,
};

const exponentClamp = 1e15;
const log10of2 = Math.LOG10E * Math.LN2;

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 32 : b;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = lower(b);
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** True when buf[at, end) spells word (lower case ASCII) case-insensitively. */
function spells(buf: Uint8Array, at: number, end: number, word: string): boolean {
  if (end - at !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(buf[at + i]) !== word.charCodeAt(i)) return false;
  return true;
}

/** "nan" optionally followed by "(" [A-Za-z0-9_]* ")". */
function spellsNan(buf: Uint8Array, at: number, end: number): boolean {
  if (end - at < 3 || !spells(buf, at, at + 3, "nan")) return false;
  if (end - at === 3) return true;
  if (buf[at + 3] !== 0x28 || buf[end - 1] !== 0x29) return false;
  for (let i = at + 4; i < end - 1; i++) {
    const b = buf[i];
    const ok = (b >= 0x30 && b <= 0x39) || (lower(b) >= 0x61 && lower(b) <= 0x7a) || b === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Scans an optional signed exponent of at least one decimal digit filling [at, end). */
function scanExponent(buf: Uint8Array, at: number, end: number): boolean {
  let negative = false;
  if (at < end && (buf[at] === 0x2b || buf[at] === 0x2d)) negative = buf[at++] === 0x2d;
  if (at >= end) return false;
  let value = 0;
  for (; at < end; at++) {
    const d = buf[at] - 0x30;
    if (d < 0 || d > 9) return false;
    if (value < exponentClamp) value = value * 10 + d;
  }
  scan.exponent = negative ? -Math.min(value, exponentClamp) : Math.min(value, exponentClamp);
  return true;
}

/**
 * Scans the mantissa at [at, end) in the given radix up to an exponent marker; returns the index
 * where the mantissa stopped, or -1 when it holds no digit.
 */
function scanMantissa(buf: Uint8Array, at: number, end: number, hex: boolean): number {
  scan.digitsStart = at;
  scan.dot = -1;
  scan.digitCount = 0;
  scan.fractionDigits = 0;
  scan.nonzero = false;
  for (; at < end; at++) {
    const b = buf[at];
    const d = hex ? hexValue(b) : b >= 0x30 && b <= 0x39 ? b - 0x30 : -1;
    if (d >= 0) {
      scan.digitCount++;
      if (scan.dot >= 0) scan.fractionDigits++;
      if (d !== 0) scan.nonzero = true;
    } else if (b === 0x2e && scan.dot < 0) {
      scan.dot = at;
    } else {
      break;
    }
  }
  scan.digitsEnd = at;
  return scan.digitCount === 0 ? -1 : at;
}

/**
 * Scans buf[start, end) as one strtod number. Sets scan.kind (invalid when the range is empty, has
 * leading space, or strtod would not consume all of it) and the other fields for valid input.
 */
export function scanFloat(buf: Uint8Array, start: number, end: number): ScanKindValue {
  scan.kind = ScanKind.invalid;
  scan.exponent = 0;
  let at = start;
  scan.negative = false;
  if (at < end && (buf[at] === 0x2b || buf[at] === 0x2d)) scan.negative = buf[at++] === 0x2d;
  if (at >= end) return scan.kind;
  const first = lower(buf[at]);
  if (first === 0x69) { // 'i'
    if (spells(buf, at, end, "inf") || spells(buf, at, end, "infinity")) scan.kind = ScanKind.infinity;
    return scan.kind;
  }
  if (first === 0x6e) { // 'n'
    if (spellsNan(buf, at, end)) scan.kind = ScanKind.nan;
    return scan.kind;
  }
  const hex = buf[at] === 0x30 && at + 1 < end && lower(buf[at + 1]) === 0x78;
  if (hex) {
    const stop = scanMantissa(buf, at + 2, end, true);
    if (stop < 0) return scan.kind; // "0x" alone: strtod takes "0" and stops at 'x'
    if (stop < end && (lower(buf[stop]) !== 0x70 || !scanExponent(buf, stop + 1, end))) return scan.kind;
    scan.kind = ScanKind.hex;
    return scan.kind;
  }
  const stop = scanMantissa(buf, at, end, false);
  if (stop < 0) return scan.kind;
  if (stop < end && (lower(buf[stop]) !== 0x65 || !scanExponent(buf, stop + 1, end))) return scan.kind;
  scan.kind = ScanKind.decimal;
  return scan.kind;
}

/** The mantissa digits of the last scan as one integer (the dot dropped). */
export function scannedDigits(buf: Uint8Array): bigint {
  let s = Buffer.from(buf.buffer, buf.byteOffset + scan.digitsStart, scan.digitsEnd - scan.digitsStart).toString("latin1");
  if (scan.dot >= 0) s = s.slice(0, scan.dot - scan.digitsStart) + s.slice(scan.dot - scan.digitsStart + 1);
  return BigInt((scan.kind === ScanKind.hex ? "0x" : "") + s);
}

/** A rounded binary float: value = mant x 2^exp; mant < 2^precision; overflow means infinity. */
export interface BinaryFloat {
  mant: bigint;
  exp: number;
  overflow: boolean;
}

export interface BinaryFormat {
  /** Significand bits, hidden or explicit bit included (53 for double, 64 for x87 extended). */
  precision: number;
  /** Exponent of the smallest normal number (value 2^minExp) and of the largest binade. */
  minExp: number;
  maxExp: number;
}

export const doubleFormat: BinaryFormat = { precision: 53, minExp: -1022, maxExp: 1023 };
export const extendedFormat: BinaryFormat = { precision: 64, minExp: -16382, maxExp: 16383 };

/** Bits in x (x >= 0): exact via the hex text, which is a quarter the length of the binary one. */
export function bitLength(x: bigint): number {
  if (x < 0x20000000000000n) {
    const n = Number(x);
    return n === 0 ? 0 : n < 4294967296 ? 32 - Math.clz32(n) : 64 - Math.clz32(Math.floor(n / 4294967296));
  }
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

// 10^k: a dense table for small k, built by multiplication on first use, and a bounded map for the
// rare large k (computed by exponentiation, which is far cheaper than filling the table up to k).
const pow10DenseMax = 400;
const pow10Dense: bigint[] = [1n];
const pow10Sparse = new Map<number, bigint>();
const pow10SparseEntriesMax = 256;

export function pow10(k: number): bigint {
  if (k <= pow10DenseMax) {
    for (let i = pow10Dense.length; i <= k; i++) pow10Dense.push(pow10Dense[i - 1] * 10n);
    return pow10Dense[k];
  }
  let v = pow10Sparse.get(k);
  if (v === undefined) {
    v = 10n ** BigInt(k);
    if (pow10Sparse.size >= pow10SparseEntriesMax) pow10Sparse.clear();
    pow10Sparse.set(k, v);
  }
  return v;
}

/**
 * Rounds the exact value x * 2^e2 (plus a positive amount below one unit of x when sticky) to the
 * format, ties to even, subnormals included. x > 0.
 */
export function roundScaled(x: bigint, e2: number, sticky: boolean, format: BinaryFormat): BinaryFloat {
  const { precision, minExp, maxExp } = format;
  const len = bitLength(x);
  const top = len - 1 + e2; // x * 2^e2 lies in [2^top, 2^(top+1))
  if (top > maxExp + 1) return { mant: 0n, exp: 0, overflow: true };
  if (top < minExp - precision - 1) return { mant: 0n, exp: 0, overflow: false };
  // Bits of x to drop so that the kept significand has its unit at the format's spacing there.
  const drop = top < minExp ? minExp - precision + 1 - e2 : len - precision;
  let mant: bigint;
  let exp: number;
  if (drop <= 0) {
    mant = x << BigInt(-drop);
    exp = e2 + drop;
  } else {
    const d = BigInt(drop);
    mant = x >> d;
    const rest = x - (mant << d);
    const half = 1n << (d - 1n);
    if (rest > half || (rest === half && (sticky || (mant & 1n) === 1n))) mant += 1n;
    exp = e2 + drop;
    if (mant === 1n << BigInt(precision)) {
      mant >>= 1n;
      exp += 1;
    }
  }
  const overflow = mant !== 0n && bitLength(mant) - 1 + exp > maxExp;
  return { mant, exp, overflow };
}

/**
 * Rounds n x 10^k exactly to the format. n > 0. Values far outside the range are decided from their
 * digit count first, so absurd exponents never build huge integers.
 */
export function roundDecimal(n: bigint, k: number, format: BinaryFormat): BinaryFloat {
  // n x 10^k lies in [2^(bits-1) x 10^k, 2^bits x 10^k): compare decimal logarithms, one off.
  const bits = bitLength(n);
  if ((bits - 1) * log10of2 + k > (format.maxExp + 1) * log10of2 + 1) return { mant: 0n, exp: 0, overflow: true };
  if (bits * log10of2 + k < (format.minExp - format.precision) * log10of2 - 1) return { mant: 0n, exp: 0, overflow: false };
  if (k >= 0) return roundScaled(n * pow10(k), 0, false, format);
  const divisor = pow10(-k);
  // Scale so the quotient carries at least precision + 2 bits, then the remainder is only sticky.
  const shift = Math.max(0, format.precision + 2 + bitLength(divisor) - bitLength(n));
  const scaled = n << BigInt(shift);
  const q = scaled / divisor;
  const r = scaled - q * divisor;
  return roundScaled(q, -shift, r !== 0n, format);
}

/** The double a rounded 53-bit result denotes (negated when negative). */
export function binaryToNumber(r: BinaryFloat, negative: boolean): number {
  let v: number;
  if (r.overflow) v = Infinity;
  else if (r.mant === 0n) v = 0;
  // Two steps keep every intermediate exact: the first stays normal, the second lands on the value.
  else if (r.exp >= -1022) v = Number(r.mant) * 2 ** r.exp;
  else v = Number(r.mant) * 2 ** (r.exp + 128) * 2 ** -128;
  return negative ? -v : v;
}
