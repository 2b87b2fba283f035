// Redis's glob-style matcher (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ACL key and channel patterns),
// reproducing redis-server 7.0's stringmatchlen byte for byte, quirks included:
//   - `*` any run, `?` one byte, `\x` the byte x, a trailing `\` is a literal backslash;
//   - `[...]` one byte from a set: `^` first negates; `a-z` is a range whose ends are swapped when
//     reversed; `\x` inside a set is x compared exactly even when nocase; `]` right after `[` or `[^`
//     closes an empty set; `x-]` is a range ending at `]`, not a closing bracket;
//   - a set with no closing `]` ends the pattern: it matches one byte and nothing may follow;
//   - range ends and the tested byte compare as signed chars (x86 `char`), and nocase folds them with
//     glibc's C-locale tolower, which maps -128..-2 to 128..254 but leaves -1 (0xff) alone;
//   - an empty string matches only the empty pattern, so "*" does not match "" (KEYS and SCAN treat
//     a lone "*" specially before calling the matcher; callers must do the same);
//   - Redis recurses once per run of stars and gives up past 1000 levels, so a pattern whose 1001st
//     run of stars has anything after it matches nothing (reaching that run needs a non-empty rest
//     of the string, and what follows it needs at least one byte).
// Every token except `*` consumes exactly one byte, so the matcher is the iterative scan that
// remembers only the latest `*` and retries it one byte later: O(pattern x string) in the worst case,
// no recursion and no allocation.

/** Runs of stars Redis 7.0 follows before giving up (its recursion limit). */
export const starRunsMax = 1000;

const star = 0x2a, question = 0x3f, open = 0x5b, close = 0x5d, caret = 0x5e, dash = 0x2d, backslash = 0x5c;

/** ASCII case fold of an unsigned byte; equality under it equals equality under C tolower. */
function foldByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 32 : b;
}

/** glibc C-locale tolower of a signed char value, as the nocase range check sees it. */
function cTolower(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 32;
  if (c < -1) return c + 256;
  return c;
}

function signedByte(b: number): number {
  return (b << 24) >> 24;
}

/**
 * Matches the set that opens at pattern[p] (a `[`) against byte c. Returns the index after the set,
 * or -1 when c is not in it. A set without `]` returns pend: it swallows the rest of the pattern.
 */
function matchSet(pattern: Uint8Array, p: number, pend: number, c: number, nocase: boolean): number {
  let q = p + 1;
  const negate = q < pend && pattern[q] === caret;
  if (negate) q++;
  let hit = false;
  let next: number;
  for (;;) {
    if (q + 1 < pend && pattern[q] === backslash) {
      q++;
      if (pattern[q] === c) hit = true;
    } else if (q >= pend) {
      next = pend;
      break;
    } else if (pattern[q] === close) {
      next = q + 1;
      break;
    } else if (q + 2 < pend && pattern[q + 1] === dash) {
      let lo = signedByte(pattern[q]);
      let hi = signedByte(pattern[q + 2]);
      if (lo > hi) {
        const t = lo;
        lo = hi;
        hi = t;
      }
      let x = signedByte(c);
      if (nocase) {
        lo = cTolower(lo);
        hi = cTolower(hi);
        x = cTolower(x);
      }
      if (x >= lo && x <= hi) hit = true;
      q += 2;
    } else if (nocase ? foldByte(pattern[q]) === foldByte(c) : pattern[q] === c) {
      hit = true;
    }
    q++;
  }
  return hit !== negate ? next : -1;
}

/** Matches one non-star token at pattern[p] against c; returns the index after it, or -1. */
function matchToken(pattern: Uint8Array, p: number, pend: number, c: number, nocase: boolean): number {
  let b = pattern[p];
  if (b === question) return p + 1;
  if (b === open) return matchSet(pattern, p, pend, c, nocase);
  if (b === backslash && p + 1 < pend) b = pattern[++p];
  return (nocase ? foldByte(b) === foldByte(c) : b === c) ? p + 1 : -1;
}

/** Redis stringmatchlen over pattern[pstart, pend) and str[sstart, send). */
export function stringMatchRange(
  pattern: Uint8Array, pstart: number, pend: number,
  str: Uint8Array, sstart: number, send: number, nocase = false,
): boolean {
  if (sstart >= send) return pstart >= pend;
  let p = pstart;
  let s = sstart;
  let starP = -1; // pattern index just after the latest `*`
  let starS = 0; // string index that `*` is currently assumed to stop at
  let starRuns = 0; // runs of stars passed; backtracking never returns to an earlier run
  while (s < send) {
    if (p < pend && pattern[p] === star) {
      while (p + 1 < pend && pattern[p + 1] === star) p++;
      if (p + 1 === pend) return true;
      if (++starRuns > starRunsMax) return false;
      starP = ++p;
      starS = s;
      continue;
    }
    if (p < pend) {
      const next = matchToken(pattern, p, pend, str[s], nocase);
      if (next >= 0) {
        p = next;
        s++;
        continue;
      }
    }
    if (starP < 0) return false;
    // Let the latest `*` swallow one more byte and retry what follows it.
    s = ++starS;
    p = starP;
  }
  while (p < pend && pattern[p] === star) p++;
  return p === pend;
}

export function stringMatch(pattern: Uint8Array, str: Uint8Array, nocase = false): boolean {
  return stringMatchRange(pattern, 0, pattern.length, str, 0, str.length, nocase);
}

const encoder = new TextEncoder();
let patternScratch = new Uint8Array(256);
let strScratch = new Uint8Array(256);

/**
 * stringMatch on JS strings, compared as their UTF-8 bytes (what Redis sees on the wire). They are
 * encoded into reused scratch buffers, so config and ACL checks do not allocate per call.
 */
export function stringMatchStr(pattern: string, str: string, nocase = false): boolean {
  if (patternScratch.length < pattern.length * 3) patternScratch = new Uint8Array(pattern.length * 3);
  if (strScratch.length < str.length * 3) strScratch = new Uint8Array(str.length * 3);
  const plen = encoder.encodeInto(pattern, patternScratch).written;
  const slen = encoder.encodeInto(str, strScratch).written;
  return stringMatchRange(patternScratch, 0, plen, strScratch, 0, slen, nocase);
}
