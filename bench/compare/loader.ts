// Pipelined bulk loader: `SET key:%012d <value>` for key indexes 0..count-1 over one connection.
//
// Keys are exactly 16 bytes (`key:` + 12 digits), the same names redis-benchmark makes from
// `key:__rand_int__`, so a load of 100,000 keys prefills the keyspace of `-r 100000`. Values are
// exactly valueBytes long: the key's 12 digits (when there is room), then filler. Requests go out in batches of
// batchSize commands with at most windowBatches batches unanswered; the load ends only when every
// reply has arrived, and any error reply fails it.

import type { RespClient } from "./resp_client.ts";

export interface LoadOptions {
  count: number;
  valueBytes: number;
  batchSize?: number;
  windowBatches?: number;
}

export interface LoadResult {
  keys: number;
  seconds: number;
}

const keyDigits = 12;
const keyPrefix = "key:";

export function keyName(index: number): string {
  return keyPrefix + String(index).padStart(keyDigits, "0");
}

export async function loadStrings(client: RespClient, options: LoadOptions): Promise<LoadResult> {
  if (options.valueBytes < 1) throw new Error("valueBytes must be at least 1");
  const batchSize = options.batchSize ?? 10_000;
  const windowBatches = options.windowBatches ?? 4;
  const template = commandTemplate(options.valueBytes);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let first = 0; first < options.count; first += batchSize) {
    const n = Math.min(batchSize, options.count - first);
    const bytes = encodeBatch(template, first, n);
    inFlight.push(
      client.pipeline(bytes, n, false).then((batch) => {
        if (batch.errorCount > 0) throw new Error(`SET failed ${batch.errorCount} times: ${batch.firstError}`);
      }),
    );
    if (inFlight.length >= windowBatches) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return { keys: options.count, seconds: (performance.now() - started) / 1000 };
}

interface CommandTemplate {
  bytes: Uint8Array;
  keyDigitsAt: number;
  /** -1 when the value is too short to carry the digits. */
  valueDigitsAt: number;
}

/** One encoded SET with placeholder digits, patched per key. */
function commandTemplate(valueBytes: number): CommandTemplate {
  const head = `*3\r\n$3\r\nSET\r\n$${keyPrefix.length + keyDigits}\r\n${keyPrefix}`;
  const middle = `${"0".repeat(keyDigits)}\r\n$${valueBytes}\r\n`;
  const withDigits = valueBytes >= keyDigits;
  const value = withDigits ? "0".repeat(keyDigits) + "v".repeat(valueBytes - keyDigits) : "v".repeat(valueBytes);
  const text = `${head}${middle}${value}\r\n`;
  const bytes = new TextEncoder().encode(text);
  const keyDigitsAt = head.length;
  const valueDigitsAt = withDigits ? head.length + middle.length : -1;
  return { bytes, keyDigitsAt, valueDigitsAt };
}

function encodeBatch(template: CommandTemplate, first: number, n: number): Uint8Array {
  const size = template.bytes.length;
  const out = new Uint8Array(size * n);
  for (let i = 0; i < n; i++) {
    const base = i * size;
    out.set(template.bytes, base);
    writeDigits(out, base + template.keyDigitsAt, first + i);
    if (template.valueDigitsAt >= 0) writeDigits(out, base + template.valueDigitsAt, first + i);
  }
  return out;
}

function writeDigits(out: Uint8Array, at: number, value: number): void {
  let rest = value;
  for (let i = keyDigits - 1; i >= 0; i--) {
    out[at + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
}
