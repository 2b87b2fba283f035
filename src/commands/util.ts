// Small helpers every command group uses: case-insensitive option matching on bytes, argument
// parsing with Redis's error replies, and the common error strings.

import { parseInt64 } from "../../native-free/numbers.ts";
import type { Exec } from "../server/exec.ts";

export const Err = {
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  syntax: "ERR syntax error",
  notInt: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  overflow: "ERR increment or decrement would overflow",
  noSuchKey: "ERR no such key",
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  dbIndex: "ERR DB index is out of range",
} as const;

const tdUtf8 = new TextDecoder();
const te = new TextEncoder();

/** True when `arg` equals `lower` (an ASCII lowercase literal) ignoring ASCII case. */
/** Byte-wise equality of two buffers. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function eqCI(arg: Uint8Array, lower: string): boolean {
  if (arg.length !== lower.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Decodes bytes one char per byte (lossless: latin1Bytes() gives the bytes back). */
export function latin1(b: Uint8Array): string {
  // Buffer's "latin1" maps byte n to U+00nn exactly; TextDecoder("latin1") is windows-1252.
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
}
export function latin1Bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}
export function utf8(b: Uint8Array): string {
  return tdUtf8.decode(b);
}
export function bytes(s: string): Uint8Array {
  return te.encode(s);
}
export function lower(b: Uint8Array): string {
  return latin1(b).toLowerCase();
}

/**
 * Parses an int64 argument; on failure writes `err` (Redis's "value is not an integer or out of
 * range" by default) and returns null. Returns a number when safe, else a bigint.
 */
export function intArg(x: Exec, arg: Uint8Array, err: string = Err.notInt): number | bigint | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) x.out.error(err);
  return v;
}

/** Like intArg but only accepts values that are safe JS integers (counts, indexes, timeouts). */
export function safeIntArg(x: Exec, arg: Uint8Array, err: string = Err.notInt): number | null {
  const v = parseInt64(arg, 0, arg.length);
  if (v === null) {
    x.out.error(err);
    return null;
  }
  if (typeof v === "bigint") {
    // Out of JS's safe range but a valid int64: clamp so range logic still sees "huge".
    return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  }
  return v;
}

export const int64Max = 9223372036854775807n;
export const int64Min = -9223372036854775808n;
