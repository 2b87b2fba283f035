// RESP2/RESP3 codec for tests: framing, decoding, command encoding, and printable escaping.
//
// Framing (`replyEnd`) and decoding (`decodeReply`) never recurse: framing keeps one counter of values
// still owed (an aggregate of n adds n, a map or attribute adds 2n, an attribute adds one more for the
// value it decorates), and decoding keeps an explicit stack of open aggregates. Deeply nested replies
// therefore cannot overflow the JS stack. An attribute (`|`) is framed together with the value that
// follows it, so one "reply" is always one value a command produced.

const CR = 0x0d;
const LF = 0x0a;
const encoder = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const utf8Lenient = new TextDecoder("utf-8");

export type Arg = string | Uint8Array;

export interface RespError {
  error: string;
}
export interface RespPush {
  push: RespValue[];
}
export interface RespAttributed {
  attributes: Map<RespValue, RespValue>;
  value: RespValue;
}
export type RespValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespPush
  | RespAttributed
  | RespValue[]
  | Map<RespValue, RespValue>
  | Set<RespValue>;

export function isRespError(value: unknown): value is RespError {
  return typeof value === "object" && value !== null && "error" in value && typeof value.error === "string";
}

export class RespProtocolError extends Error {}

/** "string": bulk strings become JS strings when valid UTF-8, else Buffers. "buffer": always Buffers. */
export type BulkMode = "string" | "buffer";

/** Position of the CRLF that ends the line starting at `from`, or -1 if not yet received. */
function findCrlf(buf: Uint8Array, from: number, end: number): number {
  let i = buf.indexOf(CR, from);
  while (i >= 0 && i + 1 < end) {
    if (buf[i + 1] === LF) return i;
    i = buf.indexOf(CR, i + 1);
  }
  return -1;
}

function headerNumber(buf: Uint8Array, from: number, to: number): number {
  const text = utf8Lenient.decode(buf.subarray(from, to));
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad length '${text}'`);
  return Number(text);
}

/**
 * Returns the offset just past one complete reply starting at `start`, or -1 when more bytes are needed.
 * Throws RespProtocolError on bytes that are not RESP.
 */
export function replyEnd(buf: Uint8Array, start: number, end: number = buf.length): number {
  let pos = start;
  let owed = 1;
  while (owed > 0) {
    if (pos >= end) return -1;
    const lineEnd = findCrlf(buf, pos + 1, end);
    if (lineEnd < 0) return -1;
    const type = buf[pos]!;
    owed -= 1;
    const next = lineEnd + 2;
    switch (type) {
      case 0x2b: // + simple string
      case 0x2d: // - error
      case 0x3a: // : integer
      case 0x5f: // _ null
      case 0x2c: // , double
      case 0x23: // # boolean
      case 0x28: // ( big number
        pos = next;
        break;
      case 0x24: // $ bulk string
      case 0x21: // ! blob error
      case 0x3d: {
        // = verbatim string
        const len = headerNumber(buf, pos + 1, lineEnd);
        if (len < 0) {
          if (type !== 0x24 || len !== -1) throw new RespProtocolError(`bad length ${len}`);
          pos = next;
          break;
        }
        if (next + len + 2 > end) return -1;
        if (buf[next + len] !== CR || buf[next + len + 1] !== LF) throw new RespProtocolError("bulk not followed by CRLF");
        pos = next + len + 2;
        break;
      }
      case 0x2a: // * array
      case 0x7e: // ~ set
      case 0x3e: {
        // > push
        const n = headerNumber(buf, pos + 1, lineEnd);
        if (n < -1 || (n === -1 && type !== 0x2a)) throw new RespProtocolError(`bad count ${n}`);
        if (n > 0) owed += n;
        pos = next;
        break;
      }
      case 0x25: {
        // % map
        const n = headerNumber(buf, pos + 1, lineEnd);
        if (n < 0) throw new RespProtocolError(`bad count ${n}`);
        owed += 2 * n;
        pos = next;
        break;
      }
      case 0x7c: {
        // | attribute: its pairs, then the value it decorates
        const n = headerNumber(buf, pos + 1, lineEnd);
        if (n < 0) throw new RespProtocolError(`bad count ${n}`);
        owed += 2 * n + 1;
        pos = next;
        break;
      }
      default:
        throw new RespProtocolError(`unknown type byte 0x${type.toString(16)} at offset ${pos}`);
    }
  }
  return pos;
}

type OpenAggregate =
  | { kind: "array" | "set" | "push"; items: RespValue[]; remaining: number }
  | { kind: "map" | "attribute"; items: RespValue[]; remaining: number }
  | { kind: "attributed"; attributes: Map<RespValue, RespValue>; items: RespValue[]; remaining: number };

function pairsToMap(items: RespValue[]): Map<RespValue, RespValue> {
  const map = new Map<RespValue, RespValue>();
  for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i]!, items[i + 1]!);
  return map;
}

function closeAggregate(open: OpenAggregate): RespValue {
  switch (open.kind) {
    case "array":
      return open.items;
    case "set":
      return new Set(open.items);
    case "push":
      return { push: open.items };
    case "map":
      return pairsToMap(open.items);
    case "attribute":
      throw new RespProtocolError("attribute closed without a value"); // handled by the caller
    case "attributed":
      return { attributes: open.attributes, value: open.items[0]! };
  }
}

function decodeBulk(bytes: Uint8Array, mode: BulkMode): string | Buffer {
  const buffer = Buffer.from(bytes);
  if (mode === "buffer") return buffer;
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return buffer;
  }
}

function decodeInteger(text: string): number | bigint {
  const big = BigInt(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function decodeDouble(text: string): number {
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan" || lower === "-nan") return NaN;
  return Number(text);
}

/** Decodes one complete reply (as framed by replyEnd) into a JS value. Iterative. */
export function decodeReply(bytes: Uint8Array, mode: BulkMode = "string"): RespValue {
  const stack: OpenAggregate[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = findCrlf(bytes, pos + 1, bytes.length);
    if (lineEnd < 0) throw new RespProtocolError("incomplete reply");
    const type = bytes[pos]!;
    const line = utf8Lenient.decode(bytes.subarray(pos + 1, lineEnd));
    pos = lineEnd + 2;
    let value: RespValue | undefined;
    switch (type) {
      case 0x2b:
        value = line;
        break;
      case 0x2d:
        value = { error: line };
        break;
      case 0x3a:
        value = decodeInteger(line);
        break;
      case 0x5f:
        value = null;
        break;
      case 0x2c:
        value = decodeDouble(line);
        break;
      case 0x23:
        value = line === "t";
        break;
      case 0x28:
        value = BigInt(line);
        break;
      case 0x24:
      case 0x21:
      case 0x3d: {
        const len = Number(line);
        if (len < 0) {
          value = null;
          break;
        }
        const payload = bytes.subarray(pos, pos + len);
        pos += len + 2;
        if (type === 0x24) value = decodeBulk(payload, mode);
        else if (type === 0x21) value = { error: utf8Lenient.decode(payload) };
        else value = utf8Lenient.decode(payload.subarray(Math.min(4, payload.length)));
        break;
      }
      case 0x2a:
      case 0x7e:
      case 0x3e: {
        const n = Number(line);
        if (n < 0) {
          value = null;
          break;
        }
        const kind = type === 0x2a ? "array" : type === 0x7e ? "set" : "push";
        const open: OpenAggregate = { kind, items: [], remaining: n };
        if (n === 0) value = closeAggregate(open);
        else stack.push(open);
        break;
      }
      case 0x25:
      case 0x7c: {
        const n = Number(line);
        if (type === 0x7c) {
          stack.push(n === 0 ? { kind: "attributed", attributes: new Map(), items: [], remaining: 1 } : { kind: "attribute", items: [], remaining: 2 * n });
        } else if (n === 0) {
          value = new Map();
        } else {
          stack.push({ kind: "map", items: [], remaining: 2 * n });
        }
        break;
      }
      default:
        throw new RespProtocolError(`unknown type byte 0x${type.toString(16)}`);
    }
    // Hand the finished value to its parent, closing every aggregate it completes.
    while (value !== undefined) {
      const parent = stack[stack.length - 1];
      if (parent === undefined) return value;
      parent.items.push(value);
      parent.remaining -= 1;
      value = undefined;
      if (parent.remaining > 0) break;
      stack.pop();
      if (parent.kind === "attribute") {
        stack.push({ kind: "attributed", attributes: pairsToMap(parent.items), items: [], remaining: 1 });
      } else {
        value = closeAggregate(parent);
      }
    }
  }
}

/** Encodes one command as a RESP multibulk. */
import { encodeCommand } from "../../src/resp/encode.ts";

export { encodeCommand };

export function toBytes(data: Arg): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Printable, unambiguous form of bytes: \r \n \t \\ \" and \xNN for anything else outside ASCII 0x20-0x7e. */
export function escapeBytes(data: Arg, maxChars = 2000): string {
  const bytes = toBytes(data);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (out.length >= maxChars) return `${out}... (${bytes.length} bytes)`;
    const b = bytes[i]!;
    if (b === 0x0d) out += "\\r";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x22) out += '\\"';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** A command as one would type it into redis-cli: bare words where safe, quoted and escaped otherwise. */
export function formatCommand(args: readonly Arg[], maxCharsPerArg = 200): string {
  return args
    .map((arg) => {
      const text = escapeBytes(arg, maxCharsPerArg);
      const bare = text.length > 0 && text === (typeof arg === "string" ? arg : utf8Lenient.decode(arg)) && !/[\s'"]/.test(text);
      return bare ? text : `"${text}"`;
    })
    .join(" ");
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
