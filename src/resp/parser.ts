// Resumable RESP request parser on bytes (multibulk and inline commands).
//
// Zero copy when it can: while a data event is being handled, argv entries are views into the chunk
// the socket delivered. At the end of the event `retain()` copies only the unconsumed tail (a partial
// command) into an owned buffer. Parse state (declared argc, offsets of the args parsed so far,
// relative to the command start) survives partial reads, so a command arriving in many chunks is not
// re-scanned from its start. Declared lengths are checked against the limits before any allocation
// and the owned buffer is sized to min(declared, limit). Never recursive.
// Error strings are Redis 7.0's; after one the session replies and closes the connection.

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export interface ParserLimits {
  /** proto-max-bulk-len */
  bulkBytesMax: number;
  /** client-query-buffer-limit: the connection is closed past it (no reply, as Redis). */
  queryBufferBytesMax: number;
}

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline command, and longest count line. */
export const inlineBytesMax = 64 * 1024;
const multibulkCountMax = 0x7fffffff;
const bigArgBytes = 32 * 1024;
const unauthMultibulkMax = 10;
const unauthBulkBytesMax = 16384;
const CR = 13;
const LF = 10;
const pooledArgBytesMax = 64;
const pooledArgsMax = 24;
/** Per thread (module instance): argPool[position * 65 + length] is a Uint8Array of that length (24 x 65 arrays, ~60 KiB). */
const argPool: Uint8Array[] = [];
for (let k = 0; k < pooledArgsMax; k++) {
  for (let n = 0; n <= pooledArgBytesMax; n++) argPool.push(new Uint8Array(n));
}
/** Per thread: argvPool[argc] is the argv array reused for commands of argc arguments. */
const argvPool: Uint8Array[][] = [];
for (let n = 0; n <= pooledArgsMax; n++) argvPool.push(new Array<Uint8Array>(n).fill(argPool[0]));

/**
 * Resolves a command name straight from the input bytes (no view). Returns bytes equal to the
 * name to use as argv[0] (the table's own copy, saving a view allocation), or null to get a view;
 * either way `last` holds what it resolved (the command spec, or null) for the dispatcher.
 */
export interface NameResolver {
  resolve(buf: Uint8Array, start: number, end: number): Uint8Array | null;
  last: unknown;
}

export class QueryBufferLimitError extends Error {
  override name = "QueryBufferLimitError";
}

export class RequestParser {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private owned = false;
  // Multibulk state, offsets relative to cmdStart.
  private cmdStart = 0;
  private argc = -1; // -1: not inside a multibulk command
  private argOffs: number[] = [];
  private argLens: number[] = [];
  private scan = 0; // where the next arg header starts (relative)
  private storage: Uint8Array = new Uint8Array(4096);
  /** Set by the session: tighter limits before AUTH (Redis's unauthenticated rules). */
  authRequired = false;
  /** Bytes received in total (INFO total_net_input_bytes). */
  bytesIn = 0;
  /** What `names` resolved for the command next() returned last (null for inline commands). */
  nameHint: unknown = null;

  /**
   * `reuseArgs`: short arguments are copied into this thread's reused arrays instead of views, so
   * an argv is valid only until the next call of next() (the session runs each command before
   * parsing the next). Without it, argv views stay valid until retain().
   */
  constructor(
    public limits: ParserLimits,
    private names: NameResolver | null = null,
    private reuseArgs = false,
  ) {}

  /** Makes `chunk` the input of this data event (after whatever was retained). */
  feed(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    if (this.pos === this.end) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
      this.cmdStart = 0;
      return;
    }
    // Append to the owned buffer.
    const pending = this.end - this.pos;
    if (pending + chunk.length > this.limits.queryBufferBytesMax) {
      throw new QueryBufferLimitError("closing client that reached max query buffer length");
    }
    this.ensureOwned(pending + chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Bytes buffered and not yet consumed. */
  get pendingBytes(): number {
    return this.end - this.pos;
  }

  /**
   * Next complete command, or null when more bytes are needed. Views stay valid until retain() or
   * the next feed(). Throws ProtocolError on malformed input.
   */
  next(): Uint8Array[] | null {
    for (;;) {
      if (this.argc < 0) {
        if (this.pos >= this.end) return null;
        if (this.buf[this.pos] !== 42 /* '*' */) {
          const argv = this.parseInline();
          if (argv === null) return null;
          this.nameHint = null;
          if (argv.length === 0) continue;
          return argv;
        }
        const r = this.parseCountLine(this.pos + 1, "multibulk");
        if (r < 0) return null;
        const n = this.numValue;
        if (n > multibulkCountMax) throw new ProtocolError("Protocol error: invalid multibulk length");
        if (this.authRequired && n > unauthMultibulkMax) {
          throw new ProtocolError("Protocol error: unauthenticated multibulk length");
        }
        this.cmdStart = this.pos;
        if (n <= 0) {
          this.pos = r;
          continue;
        }
        this.argc = n;
        this.argOffs.length = 0;
        this.argLens.length = 0;
        this.scan = r - this.pos;
      }
      const argv = this.parseArgs();
      if (argv === null) return null;
      return argv;
    }
  }

  /** Copies the unconsumed tail into owned storage: call at the end of every data event. */
  retain(): void {
    if (this.pos === this.end) {
      this.pos = this.end = 0;
      this.cmdStart = 0;
      if (this.owned && this.buf.length > 1 << 20) {
        this.storage = new Uint8Array(4096);
        this.buf = this.storage;
      }
      return;
    }
    if (this.end - this.pos > this.limits.queryBufferBytesMax) {
      throw new QueryBufferLimitError("closing client that reached max query buffer length");
    }
    // Size the buffer for the whole of a big bulk that is in flight (Redis does the same).
    let want = this.end - this.pos;
    if (this.argc >= 0 && this.expectBulk > 0) want = Math.max(want, this.scan + this.expectBulk + 2);
    this.ensureOwned(want);
  }

  private expectBulk = 0;
  private numValue = 0;

  private ensureOwned(need: number): void {
    const start = this.argc >= 0 ? this.cmdStart : this.pos;
    const pending = this.end - start;
    if (this.owned && start === 0 && this.storage.length >= need) return;
    let cap = this.storage.length;
    if (cap < need) cap = Math.max(need, cap * 2);
    const dst = cap === this.storage.length ? this.storage : new Uint8Array(cap);
    if (this.buf === dst) dst.copyWithin(0, start, this.end);
    else dst.set(this.buf.subarray(start, this.end), 0);
    this.storage = dst;
    this.buf = dst;
    this.owned = true;
    this.pos -= start;
    this.cmdStart -= start;
    this.end = pending;
  }

  /** Parses "<n>\r\n" at `at`; returns the index after LF, or -1 if incomplete. Sets numValue. */
  private parseCountLine(at: number, what: "multibulk" | "bulk", notBulk = false): number {
    const buf = this.buf;
    if (!notBulk) {
      // Fast path for what clients send: 1-15 plain digits, no leading zero, then CR LF.
      let j = at;
      let v = 0;
      let c = 0;
      const stop = Math.min(this.end, at + 15);
      while (j < stop && (c = buf[j]) >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        j++;
      }
      if (j > at && j + 1 < this.end && buf[j] === CR && (buf[at] !== 48 || j === at + 1)) {
        this.numValue = v;
        return j + 2;
      }
    }
    let i = at - 1; // the line starts at the type byte ('*', '$' or whatever came instead)
    const lim = this.end;
    while (i < lim && buf[i] !== CR) i++;
    if (i >= lim) {
      if (this.end - (at - 1) > inlineBytesMax) {
        throw new ProtocolError(`Protocol error: too big ${what === "multibulk" ? "mbulk" : "bulk"} count string`);
      }
      return -1;
    }
    if (i + 1 >= this.end) return -1;
    if (notBulk) throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[at - 1])}'`);
    const v = parseLongLong(buf, at, i);
    if (Number.isNaN(v)) {
      throw new ProtocolError(`Protocol error: invalid ${what} length`);
    }
    this.numValue = v;
    return i + 2;
  }

  private parseArgs(): Uint8Array[] | null {
    const buf = this.buf;
    const base = this.cmdStart;
    while (this.argOffs.length < this.argc) {
      const at = base + this.scan;
      if (at >= this.end) return null;
      if (this.expectBulk === 0) {
        const r = this.parseCountLine(at + 1, "bulk", buf[at] !== 36 /* '$' */);
        if (r < 0) return null;
        const n = this.numValue;
        if (n < 0 || n > this.limits.bulkBytesMax) throw new ProtocolError("Protocol error: invalid bulk length");
        if (this.authRequired && n > unauthBulkBytesMax) {
          throw new ProtocolError("Protocol error: unauthenticated bulk length");
        }
        this.scan = r - base;
        this.expectBulk = n + 1; // +1 so that a 0-length bulk is distinguishable from "no header"
      }
      const n = this.expectBulk - 1;
      const start = base + this.scan;
      if (start + n + 2 > this.end) return null;
      this.argOffs.push(this.scan);
      this.argLens.push(n);
      this.scan += n + 2;
      this.expectBulk = 0;
    }
    // In reuse mode the argv array itself is reused per argument count (same validity contract).
    const argv = this.reuseArgs && this.argc <= pooledArgsMax ? argvPool[this.argc] : new Array<Uint8Array>(this.argc);
    let k = 0;
    this.nameHint = null;
    if (this.names !== null) {
      const o = base + this.argOffs[0];
      const name = this.names.resolve(buf, o, o + this.argLens[0]);
      this.nameHint = this.names.last;
      if (name !== null) {
        argv[0] = name;
        k = 1;
      }
    }
    for (; k < this.argc; k++) {
      const o = base + this.argOffs[k];
      const n = this.argLens[k];
      if (this.reuseArgs && n <= pooledArgBytesMax && k < pooledArgsMax) {
        // A short argument is copied into this thread's array for (position, length): a byte loop
        // costs less than creating a view. Handlers use argv only during the call (style.md), and
        // one command runs at a time per thread, so the arrays are free again by the next command.
        const v = argPool[k * (pooledArgBytesMax + 1) + n];
        for (let i = 0; i < n; i++) v[i] = buf[o + i];
        argv[k] = v;
      } else argv[k] = buf.subarray(o, o + n);
    }
    this.pos = base + this.scan;
    this.argc = -1;
    this.scan = 0;
    return argv;
  }

  private parseInline(): Uint8Array[] | null {
    const buf = this.buf;
    let nl = this.pos;
    while (nl < this.end && buf[nl] !== LF) nl++;
    if (nl >= this.end) {
      if (this.end - this.pos > inlineBytesMax) throw new ProtocolError("Protocol error: too big inline request");
      return null;
    }
    let lineEnd = nl;
    if (lineEnd > this.pos && buf[lineEnd - 1] === CR) lineEnd--;
    const argv = splitInlineArgs(buf, this.pos, lineEnd);
    if (argv === null) throw new ProtocolError("Protocol error: unbalanced quotes in request");
    this.pos = nl + 1;
    return argv;
  }
}

/** string2ll-style strict parse; NaN when invalid. Values beyond 2^53 lose precision (fine for counts). */
function parseLongLong(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 20) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 45 /* - */) {
    neg = true;
    i++;
    if (i === end) return NaN;
  }
  if (buf[i] === 48 /* 0 */) return end - i === 1 && !neg ? 0 : NaN;
  let v = 0;
  for (let j = i; j < end; j++) {
    const d = buf[j] - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (end - i > 19) return NaN;
  if (end - i === 19) {
    // Exact int64 range check on the digits (doubles cannot tell 2^63 - 1, 2^63 and 2^63 + 1 apart).
    const lim = neg ? "9223372036854775808" : "9223372036854775807";
    for (let j = 0; j < 19; j++) {
      const c = buf[i + j];
      const l = lim.charCodeAt(j);
      if (c !== l) {
        if (c > l) return NaN;
        break;
      }
    }
  }
  return neg ? -v : v;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline command line as redis-cli/sdssplitargs does: spaces separate, "double quotes"
 * with \n \r \t \b \a \\ \" \xHH escapes, 'single quotes' with \' only. A closing quote must be
 * followed by a space or the end. Returns null on unbalanced quotes. Returns copies.
 */
export function splitInlineArgs(buf: Uint8Array, start: number, end: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let i = start;
  const cur: number[] = [];
  for (;;) {
    while (i < end && isSpace(buf[i])) i++;
    if (i >= end) return out;
    cur.length = 0;
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      const c = i < end ? buf[i] : -1;
      if (inDq) {
        if (c === -1) return null;
        if (c === 92 /* \ */ && buf[i + 1] === 120 /* x */ && i + 3 < end && hexVal(buf[i + 2]) >= 0 && hexVal(buf[i + 3]) >= 0) {
          cur.push(hexVal(buf[i + 2]) * 16 + hexVal(buf[i + 3]));
          i += 3;
        } else if (c === 92 && i + 1 < end) {
          i++;
          const e = buf[i];
          cur.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34 /* " */) {
          if (i + 1 < end && !isSpace(buf[i + 1])) return null;
          done = true;
        } else cur.push(c);
      } else if (inSq) {
        if (c === -1) return null;
        if (c === 92 && buf[i + 1] === 39 /* ' */ && i + 1 < end) {
          i++;
          cur.push(39);
        } else if (c === 39) {
          if (i + 1 < end && !isSpace(buf[i + 1])) return null;
          done = true;
        } else cur.push(c);
      } else if (c === -1 || c === 32 || c === 10 || c === 13 || c === 9) {
        done = true; // sdssplitargs ends a token only at ' ', '\n', '\r', '\t' ('\v', '\f' are skipped only between tokens)
      } else if (c === 34) inDq = true;
      else if (c === 39) inSq = true;
      else cur.push(c);
      if (i < end) i++;
    }
    out.push(Uint8Array.from(cur));
  }
}
