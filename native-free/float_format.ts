// Redis 7.0's text for doubles, as glibc printf produces it on x86-64:
//   formatDouble17g   "%.17g"  ZSCORE, ZRANGE WITHSCORES, ZINCRBY and every addReplyDouble reply
//                              (inf and -inf spelled so; -0 stays "-0");
//   formatFixed       "%.*f"   formatFixed4 is GEODIST / WITHDIST's "%.4f";
//   formatDoubleHuman "%.17Lf" of a double with trailing zeros and dot dropped and "-0" -> "0":
//                              LD_STR_HUMAN, what GEOPOS and WITHCOORD print.
// The engine's toExponential/toFixed give exact digits but break exact ties upward, while glibc
// rounds them to even. A double M * 2^-k (M odd) has exactly k fraction digits in decimal, the last
// being 5, so a tie can only happen when the digits kept end just before that 5: we detect that from
// the exponent bits (no BigInt on the common path) and round half to even ourselves.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const loWord = littleEndian ? 0 : 1;
const hiWord = littleEndian ? 1 : 0;

let oddMantissa = 0;

/**
 * For finite non-zero d = M * 2^-k with M odd: returns k (how many binary, and so decimal, fraction
 * digits d has; <= 0 for integers) and leaves M in oddMantissa.
 */
function fractionBits(d: number): number {
  f64[0] = d;
  const hi = u32[hiWord];
  const lo = u32[loWord];
  const biased = (hi >>> 20) & 0x7ff;
  const top = biased === 0 ? hi & 0xfffff : (hi & 0xfffff) | 0x100000;
  const tz = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(top & -top);
  oddMantissa = (top * 4294967296 + lo) / 2 ** tz;
  return (biased === 0 ? 1074 : 1075 - biased) - tz;
}

function specialText(d: number): string | null {
  if (d !== d) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  return null;
}

/** True when |d| has exactly 18 significant decimal digits: then 17 digits sit on an exact tie. */
function hasEighteenDigits(d: number): boolean {
  const k = fractionBits(d);
  if (k < 1 || k > 25) return false; // integers above 1e17 are too even to end in 5; 5^26 > 1e18
  const approx = oddMantissa * 5 ** k;
  if (approx < 0.99e17 || approx >= 1.01e18) return false;
  const exact = BigInt(oddMantissa) * 5n ** BigInt(k);
  return exact >= 10n ** 17n && exact < 10n ** 18n;
}

/** "%.17g" of d, as glibc prints it. */
export function formatDouble17g(d: number): string {
  const special = specialText(d);
  if (special !== null) return special;
  if (Number.isSafeInteger(d)) return d === 0 && 1 / d < 0 ? "-0" : String(d);
  const abs = Math.abs(d);
  let sci = abs.toExponential(16); // "d.dddddddddddddddde+x", ties rounded up
  if (hasEighteenDigits(abs)) {
    const exact = abs.toExponential(17);
    if ((exact.charCodeAt(17) & 1) === 0) sci = exact.slice(0, 18) + exact.slice(19);
  }
  const ePos = sci.indexOf("e");
  const exp = Number(sci.slice(ePos + 1));
  const digits = sci[0] + sci.slice(2, ePos);
  let last = digits.length;
  while (last > 1 && digits.charCodeAt(last - 1) === 0x30) last--;
  const sig = digits.slice(0, last);
  let body: string;
  if (exp < -4 || exp >= 17) {
    const mantissa = sig.length > 1 ? `${sig[0]}.${sig.slice(1)}` : sig;
    const e = Math.abs(exp);
    body = `${mantissa}e${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  } else if (exp < 0) {
    body = `0.${"0".repeat(-exp - 1)}${sig}`;
  } else if (sig.length > exp + 1) {
    body = `${sig.slice(0, exp + 1)}.${sig.slice(exp + 1)}`;
  } else {
    body = sig + "0".repeat(exp + 1 - sig.length);
  }
  return d < 0 ? `-${body}` : body;
}

/** "%.{digits}f" of d, as glibc prints it; digits in 0..99. */
export function formatFixed(d: number, digits: number): string {
  const special = specialText(d);
  if (special !== null) return special;
  const negative = d < 0 || (d === 0 && 1 / d < 0);
  const abs = Math.abs(d);
  let body: string;
  if (abs >= 1e21) {
    // toFixed switches to exponent form here; such doubles are integers, so print them exactly.
    body = BigInt(abs).toString() + (digits > 0 ? `.${"0".repeat(digits)}` : "");
  } else {
    body = abs.toFixed(digits); // ties rounded up
    if (abs !== 0 && fractionBits(abs) === digits + 1) {
      const exact = abs.toFixed(digits + 1); // ends in the 5 of an exact tie
      const keptLast = exact.charCodeAt(exact.length - 2);
      const even = keptLast === 0x2e ? (exact.charCodeAt(exact.length - 3) & 1) === 0 : (keptLast & 1) === 0;
      if (even) body = exact.slice(0, digits === 0 ? -2 : -1);
    }
  }
  return negative ? `-${body}` : body;
}

/** "%.4f", GEODIST's distance format. */
export function formatFixed4(d: number): string {
  return formatFixed(d, 4);
}

/** Trims "%.17f" output the way LD_STR_HUMAN does: trailing zeros, then a bare dot, then "-0". */
export function trimHuman(fixed: string): string {
  if (fixed.indexOf(".") < 0) return fixed;
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === 0x30) end--;
  if (fixed.charCodeAt(end - 1) === 0x2e) end--;
  const out = fixed.slice(0, end);
  return out === "-0" ? "0" : out;
}

/** Redis's LD_STR_HUMAN text of a double (GEOPOS, WITHCOORD): "%.17Lf" trimmed. */
export function formatDoubleHuman(d: number): string {
  return trimHuman(formatFixed(d, 17));
}
