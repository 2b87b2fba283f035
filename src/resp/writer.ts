// Reply writer: encodes RESP2/RESP3 replies into one growable byte buffer.
//
// A worker owns one writer. While a session's data event is handled, every reply of every pipelined
// command lands in it; the session then hands the bytes to the socket in a single write (the design
// measured 87% of CPU in socket.write when each reply was written on its own). Values are copied
// straight from the arena into the buffer. `resp` is the protocol of the session being served:
// RESP3 types degrade to their RESP2 forms as Redis does (maps -> flat arrays, doubles -> bulk
// strings, null -> $-1 / *-1, booleans -> integers, push -> arrays).

import { formatDouble } from "./double.ts";
import { intByteLength } from "../../native-free/numbers.ts";

const enc = new TextEncoder();
export const OK = enc.encode("+OK\r\n");
export const PONG = enc.encode("+PONG\r\n");
export const QUEUED = enc.encode("+QUEUED\r\n");
const CRLF0 = 13;
const CRLF1 = 10;

export class ReplyWriter {
  buf: Uint8Array;
  len = 0;
  resp: 2 | 3 = 2;
  /** Errors written since reset (INFO total_error_replies). */
  errors = 0;
  /** Error prefix of the last error written ("ERR", "WRONGTYPE", ...), for errorstats. */
  lastErrorCode = "";

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
  }

  reset(): void {
    this.len = 0;
  }
  /** The bytes written since reset (a view: copy before keeping it). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }
  /** Shrinks a buffer that a huge reply grew, so one big GET does not pin memory forever. */
  trim(maxBytes: number): void {
    if (this.buf.length > maxBytes && this.len === 0) this.buf = new Uint8Array(64 * 1024);
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    if (n <= 32) {
      // Small constants (+OK, $-1, :1) copy faster by hand than through a native set() call.
      const b = this.buf;
      let o = this.len;
      for (let i = 0; i < n; i++) b[o++] = bytes[i];
    } else this.buf.set(bytes, this.len);
    this.len += n;
  }
  rawRange(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n < 64) {
      const b = this.buf;
      let o = this.len;
      if (end <= 0x7fffffff) {
        // Int32 indexes: an offset may arrive as a double (JSC keeps a function's arithmetic in
        // doubles once any caller passed one, e.g. a handle read from a Float64Array), and typed-array
        // reads at double indexes take the slow path (~25 ns a byte; GEOSEARCH replies spent ~28% of
        // their time here).
        const e = end | 0;
        for (let i = start | 0; i < e; i++) b[o++] = src[i];
      } else for (let i = start; i < end; i++) b[o++] = src[i];
    } else this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }
  private ascii(s: string): void {
    this.ensure(s.length * 3);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x100) b[o++] = c;
      else {
        const r = enc.encodeInto(s.slice(i), b.subarray(o));
        o += r.written;
        break;
      }
    }
    this.len = o;
  }
  private crlf(): void {
    this.buf[this.len++] = CRLF0;
    this.buf[this.len++] = CRLF1;
  }
  private intDigits(n: number): void {
    const b = this.buf;
    if (n < 0) {
      b[this.len++] = 45;
      n = -n;
    }
    if (n < 10) {
      b[this.len++] = 48 + n;
      return;
    }
    if (!Number.isSafeInteger(n)) {
      this.ascii(BigInt(n).toString());
      return;
    }
    let o = this.len + intByteLength(n);
    this.len = o;
    while (n >= 2147483648) {
      const q = Math.floor(n / 10);
      b[--o] = 48 + (n - q * 10);
      n = q;
    }
    while (n >= 10) {
      const q = (n / 10) | 0;
      b[--o] = 48 + (n - q * 10);
      n = q;
    }
    b[--o] = 48 + n;
  }
  private header(tag: number, n: number): void {
    this.ensure(24);
    this.buf[this.len++] = tag;
    this.intDigits(n);
    this.crlf();
  }

  simple(s: string): void {
    this.ensure(s.length * 3 + 3);
    this.buf[this.len++] = 43; // +
    this.ascii(s);
    this.crlf();
  }
  /** An error reply; `msg` starts with its code ("ERR ...", "WRONGTYPE ..."). */
  error(msg: string): void {
    this.errors++;
    const sp = msg.indexOf(" ");
    this.lastErrorCode = sp < 0 ? msg : msg.slice(0, sp);
    // Redis replaces newlines in error messages with spaces so the protocol stays intact.
    const clean = msg.includes("\n") || msg.includes("\r") ? msg.replace(/^[\r\n]+|[\r\n]+$/g, "").replace(/[\r\n]/g, " ") : msg;
    this.ensure(clean.length * 3 + 3);
    this.buf[this.len++] = 45; // -
    this.ascii(clean);
    this.crlf();
  }
  int(n: number): void {
    this.header(58, n); // :
  }
  bigint(n: bigint): void {
    const s = n.toString();
    this.ensure(s.length + 3);
    this.buf[this.len++] = 58;
    this.ascii(s);
    this.crlf();
  }
  bulk(bytes: Uint8Array): void {
    this.bulkRange(bytes, 0, bytes.length);
  }
  bulkRange(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n + 24);
    this.buf[this.len++] = 36; // $
    this.intDigits(n);
    this.crlf();
    this.rawRange(src, start, end);
    this.crlf();
  }
  bulkString(s: string): void {
    const bytes = enc.encode(s);
    this.bulk(bytes);
  }
  /** A bulk string of the decimal form of n (Redis replies INCRBYFLOAT etc. this way). */
  bulkInt(n: number | bigint): void {
    this.bulkString(String(n));
  }
  verbatim(s: string, format = "txt"): void {
    if (this.resp === 2) {
      this.bulkString(s);
      return;
    }
    const bytes = enc.encode(s);
    this.header(61, bytes.length + 4); // =
    this.ascii(format + ":");
    this.raw(bytes);
    this.ensure(2);
    this.crlf();
  }
  /** Null bulk: $-1 in RESP2, _ in RESP3. */
  nullBulk(): void {
    this.raw(this.resp === 2 ? NULL_BULK2 : NULL3);
  }
  /** Null array: *-1 in RESP2, _ in RESP3. */
  nullArray(): void {
    this.raw(this.resp === 2 ? NULL_ARRAY2 : NULL3);
  }
  arrayHeader(n: number): void {
    this.header(42, n); // *
  }
  setHeader(n: number): void {
    this.header(this.resp === 2 ? 42 : 126, n); // ~
  }
  /** Map of n pairs: %n in RESP3, *2n in RESP2. */
  mapHeader(n: number): void {
    if (this.resp === 2) this.header(42, n * 2);
    else this.header(37, n); // %
  }
  pushHeader(n: number): void {
    this.header(this.resp === 2 ? 42 : 62, n); // >
  }
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 2) {
      this.bulkString(s);
      return;
    }
    this.ensure(s.length + 3);
    this.buf[this.len++] = 44; // ,
    this.ascii(s);
    this.crlf();
  }
  bool(b: boolean): void {
    if (this.resp === 2) this.int(b ? 1 : 0);
    else this.raw(b ? TRUE3 : FALSE3);
  }
  ok(): void {
    this.raw(OK);
  }
  emptyArray(): void {
    this.raw(EMPTY_ARRAY);
  }
}

const NULL_BULK2 = enc.encode("$-1\r\n");
const NULL_ARRAY2 = enc.encode("*-1\r\n");
const NULL3 = enc.encode("_\r\n");
const TRUE3 = enc.encode("#t\r\n");
const FALSE3 = enc.encode("#f\r\n");
const EMPTY_ARRAY = enc.encode("*0\r\n");
