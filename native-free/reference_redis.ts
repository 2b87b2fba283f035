// A real redis-server 7.0 for differential tests: started on a unix socket in a fresh temp folder
// (TCP port 0, so nothing listens on the network), driven with one request at a time over a tiny
// RESP2 client that keeps bulk strings as raw bytes. Invariants: every process we spawn is killed by
// its own handle in stop(); replies come back in request order; the reply parser never recurses.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Reply = string | number | Uint8Array | null | Error | Reply[];

export interface ReferenceRedis {
  /** Sends one command and resolves with its reply; bulk strings arrive as bytes. */
  command(args: (string | Uint8Array)[]): Promise<Reply>;
  /** Kills the server it started and removes its folder. */
  stop(): Promise<void>;
}

export interface ReferenceRedisOptions {
  /** Cluster mode, for CLUSTER KEYSLOT. The bus listens on 127.0.0.1 at a free port. */
  cluster?: boolean;
}

const encoder = new TextEncoder();
const startupWaitMs = 5000;

async function freeLoopbackPort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

function encodeCommand(args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
    parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
  }
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parses one complete RESP2 reply from buf at start; returns null when more bytes are needed. */
function parseReply(buf: Uint8Array, start: number): { value: Reply; end: number } | null {
  // Explicit stack of arrays being filled, so nested arrays do not recurse.
  const stack: { items: Reply[]; want: number }[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf(13, at);
    if (lineEnd < 0 || lineEnd + 1 >= buf.length) return null;
    const kind = buf[at];
    const line = Buffer.from(buf.buffer, buf.byteOffset + at + 1, lineEnd - at - 1).toString("latin1");
    at = lineEnd + 2;
    let value: Reply;
    if (kind === 43) value = line; // '+'
    else if (kind === 45) value = new Error(line); // '-'
    else if (kind === 58) value = Number(line); // ':'
    else if (kind === 36) {
      const n = Number(line);
      if (n < 0) value = null;
      else {
        if (at + n + 2 > buf.length) return null;
        value = buf.slice(at, at + n);
        at += n + 2;
      }
    } else if (kind === 42) {
      const n = Number(line);
      if (n < 0) value = null;
      else if (n > 0) {
        stack.push({ items: [], want: n });
        continue;
      } else value = [];
    } else throw new Error(`unexpected RESP type byte ${kind}`);
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return { value, end: at };
      top.items.push(value);
      if (top.items.length < top.want) break;
      stack.pop();
      value = top.items;
    }
  }
}

export async function startReferenceRedis(options: ReferenceRedisOptions = {}): Promise<ReferenceRedis> {
  const dir = mkdtempSync(join(tmpdir(), "memkeep-ref-redis-"));
  const socketPath = join(dir, "redis.sock");
  const args = [
    "redis-server", "--bind", "127.0.0.1", "--port", "0", "--unixsocket", socketPath,
    "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", dir,
    "--daemonize", "no", "--loglevel", "warning",
  ];
  if (options.cluster === true) {
    const busPort = await freeLoopbackPort();
    args.push("--cluster-enabled", "yes", "--cluster-config-file", join(dir, "nodes.conf"),
      "--cluster-port", String(busPort));
  }
  const proc = Bun.spawn(args, { stdout: "ignore", stderr: "ignore" });

  let pending = new Uint8Array(0);
  const waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  const onData = (chunk: Uint8Array): void => {
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    let at = 0;
    for (;;) {
      const parsed = parseReply(joined, at);
      if (parsed === null) break;
      at = parsed.end;
      const waiter = waiters.shift();
      if (waiter === undefined) throw new Error("reply without a request");
      waiter.resolve(parsed.value);
    }
    pending = joined.slice(at);
  };

  let flushOutbox = (): void => {};
  const deadline = Date.now() + startupWaitMs;
  let socket: Awaited<ReturnType<typeof Bun.connect>> | null = null;
  while (socket === null) {
    try {
      socket = await Bun.connect({
        unix: socketPath,
        socket: {
          data(_s, chunk) { onData(chunk); },
          drain() { flushOutbox(); },
          close() { for (const w of waiters.splice(0)) w.reject(new Error("connection closed")); },
          error(_s, err) { for (const w of waiters.splice(0)) w.reject(err); },
        },
      });
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null) {
        proc.kill();
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`redis-server did not start (exit code ${proc.exitCode}): ${String(err)}`);
      }
      await Bun.sleep(20);
    }
  }
  const connected = socket;

  // Bytes the kernel did not take yet; flushed from the drain handler.
  let outbox = new Uint8Array(0);
  flushOutbox = (): void => {
    if (outbox.length === 0) return;
    const written = connected.write(outbox);
    outbox = outbox.slice(Math.max(0, written));
  };
  const command = (cmd: (string | Uint8Array)[]): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      waiters.push({ resolve, reject });
      const bytes = encodeCommand(cmd);
      const joined = new Uint8Array(outbox.length + bytes.length);
      joined.set(outbox);
      joined.set(bytes, outbox.length);
      outbox = joined;
      flushOutbox();
    });

  const stop = async (): Promise<void> => {
    connected.end();
    proc.kill();
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const pong = await command(["PING"]);
  if (pong !== "PONG") {
    await stop();
    throw new Error(`unexpected PING reply ${String(pong)}`);
  }
  return { command, stop };
}

/** Reply bytes as a latin1 string (one char per byte), for comparing in tests. */
export function replyText(reply: Reply): string {
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.length).toString("latin1");
  if (reply instanceof Error) return `ERR:${reply.message}`;
  if (Array.isArray(reply)) return `[${reply.map(replyText).join(",")}]`;
  return String(reply);
}
