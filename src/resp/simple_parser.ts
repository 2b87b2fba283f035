// A deliberately simple request parser: the reference the fast resumable parser (parser.ts) is fuzzed
// against. It sees the whole input at once, keeps no state between calls, copies every argument and
// follows Redis 7.0's networking.c step by step (processMultibulkBuffer, processInlineBuffer,
// sdssplitargs, string2ll), so it can be read side by side with the C.
//
// Written-down departures from the C, both shared with parser.ts:
// - A NUL byte is data. Redis finds line ends with strchr, which stops at NUL, so a header or inline
//   line with a NUL before its end makes Redis wait for more bytes; modelling that would only teach
//   the fuzz to hang.
// - The 64 KB "too big ... count string"/"too big inline request" checks are applied to the whole
//   input. Redis applies them to what one read delivered, so for lines longer than 64 KB its answer
//   depends on how the bytes arrived; the fuzz keeps lines shorter than that.
// Not for production use: it is quadratic in places and allocates freely.

/** Redis's PROTO_INLINE_MAX_SIZE. */
export const simpleInlineBytesMax = 64 * 1024;

export interface SimpleParserOptions {
  /** proto-max-bulk-len */
  bulkBytesMax: number;
  /** Redis's authRequired(c): tighter limits before AUTH. */
  authRequired?: boolean;
}

export interface SimpleParseResult {
  /** Every complete command before the end of input or the first error, arguments copied. */
  commands: Uint8Array[][];
  /** The protocol error Redis would reply (without the "ERR " code), or null. */
  error: string | null;
  /** Bytes at the end that start a request not yet complete (0 after an error). */
  pendingBytes: number;
}

const CR = 13;
const LF = 10;

/** Parses every request in `input` as redis-server 7.0 would. */
export function parseAllRequests(input: Uint8Array, opts: SimpleParserOptions): SimpleParseResult {
  const commands: Uint8Array[][] = [];
  let pos = 0;
  while (pos < input.length) {
    const r = input[pos] === 42 /* '*' */ ? multibulk(input, pos, opts) : inline(input, pos);
    if (r.kind === "error") return { commands, error: r.error, pendingBytes: 0 };
    if (r.kind === "incomplete") return { commands, error: null, pendingBytes: input.length - pos };
    if (r.argv.length > 0) commands.push(r.argv);
    pos = r.next;
  }
  return { commands, error: null, pendingBytes: 0 };
}

type Step =
  | { kind: "command"; argv: Uint8Array[]; next: number }
  | { kind: "incomplete" }
  | { kind: "error"; error: string };

function indexOfByte(input: Uint8Array, byte: number, from: number): number {
  for (let i = from; i < input.length; i++) if (input[i] === byte) return i;
  return -1;
}

function multibulk(input: Uint8Array, start: number, opts: SimpleParserOptions): Step {
  let pos = start;
  const newline = indexOfByte(input, CR, pos);
  if (newline < 0) {
    if (input.length - pos > simpleInlineBytesMax) return { kind: "error", error: "Protocol error: too big mbulk count string" };
    return { kind: "incomplete" };
  }
  // The line must be followed by one more byte (the LF, which is never checked).
  if (newline > input.length - 2) return { kind: "incomplete" };
  const count = string2ll(input.subarray(pos + 1, newline));
  if (count === null || count > 2147483647n) return { kind: "error", error: "Protocol error: invalid multibulk length" };
  if (count > 10n && opts.authRequired) return { kind: "error", error: "Protocol error: unauthenticated multibulk length" };
  pos = newline + 2;
  if (count <= 0n) return { kind: "command", argv: [], next: pos };

  const argv: Uint8Array[] = [];
  for (let k = 0n; k < count; k++) {
    const nl = indexOfByte(input, CR, pos);
    if (nl < 0) {
      if (input.length - pos > simpleInlineBytesMax) return { kind: "error", error: "Protocol error: too big bulk count string" };
      return { kind: "incomplete" };
    }
    if (nl > input.length - 2) return { kind: "incomplete" };
    if (input[pos] !== 36 /* '$' */) {
      // addReplyErrorFormat("... got '%c'"): the byte as is; CR/LF become spaces.
      const c = input[pos] === CR || input[pos] === LF ? " " : String.fromCharCode(input[pos]);
      return { kind: "error", error: `Protocol error: expected '$', got '${c}'` };
    }
    const len = string2ll(input.subarray(pos + 1, nl));
    if (len === null || len < 0n || len > BigInt(opts.bulkBytesMax)) return { kind: "error", error: "Protocol error: invalid bulk length" };
    if (len > 16384n && opts.authRequired) return { kind: "error", error: "Protocol error: unauthenticated bulk length" };
    pos = nl + 2;
    const n = Number(len);
    if (input.length - pos < n + 2) return { kind: "incomplete" };
    argv.push(input.slice(pos, pos + n));
    pos += n + 2; // the CRLF after the data is skipped, never checked
  }
  return { kind: "command", argv, next: pos };
}

function inline(input: Uint8Array, start: number): Step {
  const newline = indexOfByte(input, LF, start);
  if (newline < 0) {
    if (input.length - start > simpleInlineBytesMax) return { kind: "error", error: "Protocol error: too big inline request" };
    return { kind: "incomplete" };
  }
  let lineEnd = newline;
  if (lineEnd !== start && input[lineEnd - 1] === CR) lineEnd--;
  const argv = sdssplitargs(input.subarray(start, lineEnd));
  if (argv === null) return { kind: "error", error: "Protocol error: unbalanced quotes in request" };
  return { kind: "command", argv, next: newline + 1 };
}

/** Redis's string2ll: strict decimal, no '+', no leading zeros, no spaces, 64-bit signed. */
export function string2ll(s: Uint8Array): bigint | null {
  if (s.length === 0 || s.length >= 21) return null;
  if (s.length === 1 && s[0] === 48) return 0n;
  let p = 0;
  let negative = false;
  if (s[0] === 45 /* '-' */) {
    negative = true;
    p++;
    if (p === s.length) return null;
  }
  if (!(s[p] >= 49 && s[p] <= 57)) return null; // first digit 1-9
  let v = 0n;
  for (; p < s.length; p++) {
    if (s[p] < 48 || s[p] > 57) return null;
    v = v * 10n + BigInt(s[p] - 48);
  }
  if (negative) {
    if (v > 9223372036854775808n) return null;
    return -v;
  }
  if (v > 9223372036854775807n) return null;
  return v;
}

/** C isspace in the "C" locale. */
function isspace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexDigitToInt(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/**
 * Redis's sdssplitargs, line by line. `at(p)` is 0 past the end, standing in for the C string's NUL.
 * Returns null for unbalanced quotes.
 */
export function sdssplitargs(line: Uint8Array): Uint8Array[] | null {
  const at = (i: number) => (i < line.length ? line[i] : 0);
  const end = (i: number) => i >= line.length;
  const vector: Uint8Array[] = [];
  let p = 0;
  for (;;) {
    while (!end(p) && isspace(at(p))) p++; // skip blanks
    if (end(p)) return vector;
    let inq = false; // in "double quotes"
    let insq = false; // in 'single quotes'
    let done = false;
    const current: number[] = [];
    while (!done) {
      if (inq) {
        if (at(p) === 92 /* \ */ && at(p + 1) === 120 /* x */ && !end(p + 2) && isHexDigit(at(p + 2)) && !end(p + 3) && isHexDigit(at(p + 3))) {
          current.push(hexDigitToInt(at(p + 2)) * 16 + hexDigitToInt(at(p + 3)));
          p += 3;
        } else if (at(p) === 92 && !end(p + 1)) {
          p++;
          const c = at(p);
          current.push(c === 110 ? 10 : c === 114 ? 13 : c === 116 ? 9 : c === 98 ? 8 : c === 97 ? 7 : c);
        } else if (at(p) === 34 /* " */ && !end(p)) {
          // The closing quote must be followed by a space or by nothing at all.
          if (!end(p + 1) && !isspace(at(p + 1))) return null;
          done = true;
        } else if (end(p)) {
          return null; // unterminated quotes
        } else {
          current.push(at(p));
        }
      } else if (insq) {
        if (at(p) === 92 && at(p + 1) === 39 /* ' */ && !end(p + 1)) {
          p++;
          current.push(39);
        } else if (at(p) === 39 && !end(p)) {
          if (!end(p + 1) && !isspace(at(p + 1))) return null;
          done = true;
        } else if (end(p)) {
          return null;
        } else {
          current.push(at(p));
        }
      } else if (end(p)) {
        done = true;
      } else {
        switch (at(p)) {
          case 32: // ' '
          case 10: // '\n'
          case 13: // '\r'
          case 9: //  '\t'  (only these end a token: '\v' and '\f' do not, unlike the blank skip above)
            done = true;
            break;
          case 34:
            inq = true;
            break;
          case 39:
            insq = true;
            break;
          default:
            current.push(at(p));
        }
      }
      if (!end(p)) p++;
    }
    vector.push(Uint8Array.from(current));
  }
}
