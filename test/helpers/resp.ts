// A raw RESP client for tests, over Bun.connect.
//
// It returns replies as the exact bytes the server sent, one complete reply (RESP2 or RESP3, with any
// attribute prefix) per read, so differential tests can compare byte for byte; `callParsed` decodes for
// tests that want values. Replies are handed out strictly in arrival order: the first read waiting gets
// the first reply. With `separatePushes`, RESP3 push frames (`>`) go to their own queue (`readPush`) so
// invalidation or pub/sub messages cannot be mistaken for a command's reply.
//
// Writes honour backpressure: what the socket does not take now is queued and written on drain, so a
// pipeline of any size goes out whole and in order.
//
// A read that times out gives up its place in the queue, so the reply it was waiting for would go to
// the next read: after a timeout, close the client rather than reuse it.

import { concatBytes } from "../../src/resp/encode.ts";
import type { Socket } from "bun";
import {
  type Arg,
  type BulkMode,
  type RespValue,
  decodeReply,
  encodeCommand,
  escapeBytes,
  replyEnd,
  toBytes,
} from "./resp_codec.ts";

export * from "./resp_codec.ts";

export interface RespClientOptions {
  host?: string;
  /** How long a read waits before failing, in ms. */
  readTimeoutMs?: number;
  /** Route RESP3 push frames to readPush() instead of the reply queue. */
  separatePushes?: boolean;
  connectTimeoutMs?: number;
}

interface Waiter {
  resolve(frame: Uint8Array): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const defaultReadTimeoutMs = 15_000;

class FrameQueue {
  readonly frames: Uint8Array[] = [];
  readonly waiters: Waiter[] = [];

  deliver(frame: Uint8Array): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.frames.push(frame);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(frame);
  }

  failAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

export class RespClient {
  private socket: Socket<undefined> | undefined;
  private inBuf = new Uint8Array(64 * 1024);
  private inStart = 0;
  private inEnd = 0;
  private readonly outQueue: Uint8Array[] = [];
  private readonly replies = new FrameQueue();
  private readonly pushes = new FrameQueue();
  private closedError: Error | undefined;
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;
  readonly port: number;
  readonly host: string;
  readonly readTimeoutMs: number;
  readonly separatePushes: boolean;

  private constructor(port: number, opts: RespClientOptions) {
    this.port = port;
    this.host = opts.host ?? "127.0.0.1";
    this.readTimeoutMs = opts.readTimeoutMs ?? defaultReadTimeoutMs;
    this.separatePushes = opts.separatePushes ?? false;
    this.closedPromise = new Promise<void>((resolve) => {
      this.markClosed = resolve;
    });
  }

  static async connect(port: number, opts: RespClientOptions = {}): Promise<RespClient> {
    const client = new RespClient(port, opts);
    const connecting = Bun.connect({
      hostname: client.host,
      port,
      socket: {
        data: (_socket, data) => client.onData(data),
        drain: () => client.flush(),
        end: () => client.onClose(new Error("server closed the connection")),
        close: (_socket, error) => client.onClose(error ?? new Error("connection closed")),
        error: (_socket, error) => client.onClose(error),
      },
    });
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connect to ${client.host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      client.socket = await Promise.race([connecting, timeout]);
    } catch (error) {
      connecting.then((late) => late.terminate(), () => {}); // a connection that arrives late is dropped
      throw error;
    } finally {
      clearTimeout(timer);
    }
    client.socket.setNoDelay(true);
    return client;
  }

  /** Sends one command and returns the raw bytes of the next reply. */
  call(...args: Arg[]): Promise<Uint8Array> {
    this.send(...args);
    return this.readReply();
  }

  /** Sends one command and returns the next reply decoded. */
  async callParsed(...args: Arg[]): Promise<RespValue> {
    return decodeReply(await this.call(...args));
  }

  /** Like callParsed, with bulk strings always as Buffers. */
  async callBuffers(...args: Arg[]): Promise<RespValue> {
    return decodeReply(await this.call(...args), "buffer");
  }

  /** Writes one command without waiting for its reply. */
  send(...args: Arg[]): void {
    this.write(encodeCommand(args));
  }

  /** Writes bytes as they are: inline commands, malformed or hostile input. */
  sendRaw(bytes: Arg): void {
    this.write(toBytes(bytes));
  }

  /** Sends all commands in one write, then returns their replies in order. */
  async pipeline(commands: readonly (readonly Arg[])[]): Promise<Uint8Array[]> {
    const batch = concatBytes(commands.map((command) => encodeCommand(command)));
    const reads = commands.map(() => this.readReply());
    this.write(batch);
    return Promise.all(reads);
  }

  async pipelineParsed(commands: readonly (readonly Arg[])[], mode: BulkMode = "string"): Promise<RespValue[]> {
    return (await this.pipeline(commands)).map((frame) => decodeReply(frame, mode));
  }

  /** The raw bytes of the next reply (or push, unless pushes are separated). */
  readReply(timeoutMs: number = this.readTimeoutMs): Promise<Uint8Array> {
    return this.read(this.replies, timeoutMs);
  }

  async readParsed(timeoutMs: number = this.readTimeoutMs, mode: BulkMode = "string"): Promise<RespValue> {
    return decodeReply(await this.readReply(timeoutMs), mode);
  }

  /** The next push frame; only with `separatePushes`. */
  readPush(timeoutMs: number = this.readTimeoutMs): Promise<Uint8Array> {
    if (!this.separatePushes) throw new Error("readPush needs RespClient.connect(port, { separatePushes: true })");
    return this.read(this.pushes, timeoutMs);
  }

  /** Replies (and pushes) received but not read yet. */
  pendingCount(): number {
    return this.replies.frames.length + this.pushes.frames.length;
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /** Resolves when the connection has closed, from either side. */
  closed(): Promise<void> {
    return this.closedPromise;
  }

  async close(): Promise<void> {
    if (this.closedError === undefined) this.socket?.end();
    const timer = setTimeout(() => this.socket?.terminate(), 2_000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  private read(queue: FrameQueue, timeoutMs: number): Promise<Uint8Array> {
    const frame = queue.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise<Uint8Array>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const index = queue.waiters.indexOf(waiter);
        if (index >= 0) queue.waiters.splice(index, 1);
        const partial = this.inBuf.subarray(this.inStart, this.inEnd);
        reject(new Error(`no reply from ${this.host}:${this.port} within ${timeoutMs} ms; unparsed input: "${escapeBytes(partial, 300)}"`));
      }, timeoutMs);
      queue.waiters.push(waiter);
    });
  }

  private write(bytes: Uint8Array): void {
    if (this.closedError !== undefined) throw new Error(`write on closed connection: ${this.closedError.message}`);
    this.outQueue.push(bytes);
    if (this.outQueue.length === 1) this.flush();
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    while (this.outQueue.length > 0) {
      const head = this.outQueue[0]!;
      const written = socket.write(head);
      if (written < 0) {
        this.onClose(new Error("socket closed while writing"));
        return;
      }
      if (written < head.length) {
        this.outQueue[0] = head.subarray(written);
        return; // the drain handler resumes
      }
      this.outQueue.shift();
    }
  }

  private onData(data: Uint8Array): void {
    if (this.closedError !== undefined) return;
    this.append(data);
    for (;;) {
      let end: number;
      try {
        end = replyEnd(this.inBuf, this.inStart, this.inEnd);
      } catch (error) {
        // Not RESP: every later byte is suspect, so the connection is done.
        const partial = escapeBytes(this.inBuf.subarray(this.inStart, this.inEnd), 300);
        this.onClose(new Error(`protocol error from server: ${(error as Error).message}; input: "${partial}"`));
        this.socket?.terminate();
        return;
      }
      if (end < 0) break;
      const frame = this.inBuf.slice(this.inStart, end);
      this.inStart = end;
      if (this.separatePushes && frame[0] === 0x3e) this.pushes.deliver(frame);
      else this.replies.deliver(frame);
    }
    if (this.inStart === this.inEnd) {
      this.inStart = 0;
      this.inEnd = 0;
    }
  }

  private append(data: Uint8Array): void {
    const live = this.inEnd - this.inStart;
    if (this.inEnd + data.length > this.inBuf.length) {
      const needed = live + data.length;
      if (needed > this.inBuf.length) {
        const grown = new Uint8Array(Math.max(needed, this.inBuf.length * 2));
        grown.set(this.inBuf.subarray(this.inStart, this.inEnd), 0);
        this.inBuf = grown;
      } else {
        this.inBuf.copyWithin(0, this.inStart, this.inEnd);
      }
      this.inStart = 0;
      this.inEnd = live;
    }
    this.inBuf.set(data, this.inEnd);
    this.inEnd += data.length;
  }

  private onClose(error: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    this.replies.failAll(error);
    this.pushes.failAll(error);
    this.markClosed();
  }
}
