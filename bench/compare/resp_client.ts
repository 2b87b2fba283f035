// A small RESP2 client for the benchmark runner: readiness probes, INFO/DBSIZE/CONFIG queries,
// per-test setup commands and the pipelined bulk loader of the memory phase.
//
// Design: one TCP connection (Bun.connect, loopback only). Requests are raw bytes; writes that the
// kernel does not take at once are queued and flushed on `drain`, so a caller may hand over
// megabytes at a time. Replies are parsed by a resumable, non-recursive parser (an explicit stack
// for arrays) and handed, in order, to waiters that each expect a known number of replies.
// A waiter may keep the values or only count them and remember errors: the loader expects a
// million +OK replies and keeps none of them.

export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

interface Waiter {
  remaining: number;
  keepValues: boolean;
  values: RespValue[];
  errorCount: number;
  firstError: string | null;
  resolve: (result: ReplyBatch) => void;
  reject: (error: Error) => void;
}

export interface ReplyBatch {
  values: RespValue[];
  errorCount: number;
  firstError: string | null;
}

const CR = 13;
const LF = 10;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Encodes one command as a RESP array of bulk strings. */
import { concatBytes, encodeCommand } from "../../src/resp/encode.ts";

export { concatBytes, encodeCommand };

/**
 * Resumable RESP2 reply parser. `push` appends bytes; `next` returns the next complete top-level
 * reply, or `undefined` when more bytes are needed (the partial reply is re-parsed from its start
 * when they arrive: replies here are small or flat, so that costs little).
 */
export class RespParser {
  private buffer = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;

  push(chunk: Uint8Array): void {
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buffer.length) {
        this.buffer.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array((live + chunk.length) * 2);
        next.set(this.buffer.subarray(this.start, this.end), 0);
        this.buffer = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }

  next(): RespValue | undefined {
    let pos = this.start;
    const stack: { items: RespValue[]; remaining: number }[] = [];
    for (;;) {
      const lineEnd = this.findLineEnd(pos);
      if (lineEnd < 0) return undefined;
      const kind = this.buffer[pos];
      const line = textDecoder.decode(this.buffer.subarray(pos + 1, lineEnd));
      pos = lineEnd + 2;
      let value: RespValue;
      let isContainer = false;
      switch (kind) {
        case 0x2b: // '+'
          value = line;
          break;
        case 0x2d: // '-'
          value = new RespError(line);
          break;
        case 0x3a: // ':'
          value = Number(line);
          break;
        case 0x24: {
          // '$'
          const length = Number(line);
          if (length < 0) {
            value = null;
            break;
          }
          if (pos + length + 2 > this.end) return undefined;
          value = textDecoder.decode(this.buffer.subarray(pos, pos + length));
          pos += length + 2;
          break;
        }
        case 0x2a: {
          // '*'
          const length = Number(line);
          if (length < 0) {
            value = null;
          } else if (length === 0) {
            value = [];
          } else {
            stack.push({ items: [], remaining: length });
            isContainer = true;
            value = null;
          }
          break;
        }
        default:
          throw new Error(`unexpected RESP type byte ${kind} in reply`);
      }
      if (isContainer) continue;
      // Fold the finished value into its enclosing arrays, innermost first.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          this.start = pos;
          return value;
        }
        top.items.push(value);
        top.remaining -= 1;
        if (top.remaining > 0) break;
        stack.pop();
        value = top.items;
      }
    }
  }

  private findLineEnd(from: number): number {
    for (let i = from; i + 1 < this.end; i++) {
      if (this.buffer[i] === CR && this.buffer[i + 1] === LF) return i;
    }
    return -1;
  }
}

export class RespClient {
  private readonly parser = new RespParser();
  private readonly waiters: Waiter[] = [];
  private readonly writeQueue: Uint8Array[] = [];
  private closedError: Error | null = null;

  private constructor(private readonly socket: import("bun").Socket<undefined>) {}

  /** Connects to 127.0.0.1:port; rejects after timeoutMs. */
  static async connect(port: number, timeoutMs: number): Promise<RespClient> {
    let client: RespClient | null = null;
    const connecting = Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data(_socket, chunk: Uint8Array) {
          client?.onData(chunk);
        },
        drain() {
          client?.flush();
        },
        close() {
          client?.fail(new Error("connection closed by server"));
        },
        error(_socket, error) {
          client?.fail(error);
        },
      },
    });
    const socket = await withTimeout(connecting, timeoutMs, `connect to port ${port}`);
    client = new RespClient(socket);
    return client;
  }

  /** Sends one command and returns its reply (a RespError value for an error reply). */
  async command(...args: (string | Uint8Array)[]): Promise<RespValue> {
    const batch = await this.pipeline(encodeCommand(args), 1, true);
    return batch.values[0] ?? null;
  }

  /**
   * Sends already-encoded requests holding `count` commands and resolves when all `count`
   * replies arrived. With keepValues false only errors are remembered.
   */
  pipeline(requests: Uint8Array, count: number, keepValues: boolean): Promise<ReplyBatch> {
    if (this.closedError) return Promise.reject(this.closedError);
    const result = new Promise<ReplyBatch>((resolve, reject) => {
      this.waiters.push({
        remaining: count,
        keepValues,
        values: [],
        errorCount: 0,
        firstError: null,
        resolve,
        reject,
      });
    });
    this.writeQueue.push(requests);
    this.flush();
    return result;
  }

  close(): void {
    this.fail(new Error("client closed"));
    this.socket.end();
  }

  private flush(): void {
    while (this.writeQueue.length > 0) {
      const head = this.writeQueue[0]!;
      const written = this.socket.write(head);
      if (written < head.length) {
        this.writeQueue[0] = head.subarray(Math.max(written, 0));
        return; // the rest goes out on drain
      }
      this.writeQueue.shift();
    }
  }

  private onData(chunk: Uint8Array): void {
    this.parser.push(chunk);
    for (;;) {
      const waiter = this.waiters[0];
      if (waiter === undefined) return;
      const value = this.parser.next();
      if (value === undefined) return;
      if (value instanceof RespError) {
        waiter.errorCount += 1;
        waiter.firstError ??= value.message;
      }
      if (waiter.keepValues) waiter.values.push(value);
      waiter.remaining -= 1;
      if (waiter.remaining === 0) {
        this.waiters.shift();
        waiter.resolve({
          values: waiter.values,
          errorCount: waiter.errorCount,
          firstError: waiter.firstError,
        });
      }
    }
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
