// Start and stop real server processes for end-to-end tests: memkeep (`bun src/main.ts`) and Debian's
// redis-server, the reference every differential test compares against.
//
// Invariants:
// - Every process started here is stopped by its pid: `stop()` sends SIGTERM, waits, then SIGKILL after
//   5 s; a process-exit hook SIGKILLs whatever a test forgot, so no server outlives the test run.
// - A server is "ready" only once it accepts a TCP connection and answers PING with +PONG.
// - Each server gets a fresh temp dir (its --dir), removed by `stop()`.
// - Ports come from freePort(); if another process grabs the port first and the server dies with
//   "address in use", it is started again on a new port (a loaded 2-core CI machine makes this real).
// - Output is drained continuously (a full pipe would block the server) and the tail is kept for
//   error messages.

import type { Subprocess } from "bun";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./ports.ts";

export interface ServerHandle {
  port: number;
  pid: number;
  host: string;
  dir: string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals | number): void;
  /** The tail of what the server wrote to stderr. */
  stderr(): string;
  /** The tail of what the server wrote to stdout (redis-server logs here). */
  stdout(): string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number>;
  /** Resolves when both output streams have been read to their end. */
  outputDone: Promise<void>;
}

export interface ServerSpec {
  /** For messages: "memkeep", "redis-server". */
  name: string;
  /** The argv for a given port and dir. */
  argv: (port: number, dir: string) => string[];
  cwd?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  host?: string;
  /** Use this data folder (kept by stop(): restart tests reuse it) instead of a fresh temp dir. */
  dir?: string;
}

export const repoRoot = resolve(import.meta.dir, "..", "..");

const outputTailBytesMax = 256 * 1024;
const stopGraceMs = 5_000;
const startAttemptsMax = 5;
const defaultReadyTimeoutMs = Number(process.env.MEMKEEP_TEST_START_TIMEOUT_MS ?? 15_000);

const live = new Set<Subprocess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const proc of live) {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    live.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

/** Shard workers used when a test does not say: env MEMKEEP_TEST_SHARD_WORKERS, default 1. */
export function defaultShardWorkers(): number {
  const raw = process.env.MEMKEEP_TEST_SHARD_WORKERS;
  const n = raw === undefined || raw === "" ? 1 : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`MEMKEEP_TEST_SHARD_WORKERS must be a positive integer, got '${raw}'`);
  return n;
}

export async function startMemkeep(
  opts: { shardWorkers?: number; args?: string[]; env?: Record<string, string>; dir?: string } = {},
): Promise<ServerHandle> {
  const shardWorkers = opts.shardWorkers ?? defaultShardWorkers();
  const bun = process.execPath.endsWith("bun") ? process.execPath : (Bun.which("bun") ?? "bun");
  return startServer({
    name: "memkeep",
    cwd: repoRoot,
    env: opts.env,
    dir: opts.dir,
    argv: (port, dir) => [
      bun,
      "src/main.ts",
      "--port",
      String(port),
      "--dir",
      dir,
      "--shard-workers",
      String(shardWorkers),
      ...(opts.args ?? []),
    ],
  });
}

export async function startRedis(opts: { args?: string[] } = {}): Promise<ServerHandle> {
  const redisServer = Bun.which("redis-server") ?? "/usr/bin/redis-server";
  return startServer({
    name: "redis-server",
    argv: (port, dir) => [
      redisServer,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...(opts.args ?? []),
    ],
  });
}

/** Starts any server process described by `spec` and waits until it answers PING with +PONG. */
export async function startServer(spec: ServerSpec): Promise<ServerHandle> {
  installExitHook();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < startAttemptsMax; attempt++) {
    const port = await freePort();
    const dir = spec.dir ?? mkdtempSync(join(tmpdir(), `${spec.name.replace(/[^a-z0-9]/gi, "")}-test-`));
    const handle = spawnServer(spec, port, dir, spec.dir === undefined);
    const outcome = await waitReady(handle, spec.readyTimeoutMs ?? defaultReadyTimeoutMs);
    if (outcome === "ready") return handle;
    await handle.stop();
    await raceTimeout(handle.outputDone, 2_000);
    const output = describeOutput(handle);
    lastError = new Error(
      outcome === "timeout"
        ? `${spec.name} (pid ${handle.pid}) on port ${port} did not answer PING within ${spec.readyTimeoutMs ?? defaultReadyTimeoutMs} ms\n${output}`
        : `${spec.name} (pid ${handle.pid}) on port ${port} exited before it was ready (${outcome})\n${output}`,
    );
    const addressInUse = /address already in use|EADDRINUSE|address in use/i.test(handle.stderr() + handle.stdout());
    if (!addressInUse) throw lastError;
  }
  throw lastError ?? new Error(`${spec.name}: could not start`);
}

function describeOutput(handle: ServerHandle): string {
  const err = handle.stderr().trimEnd();
  const out = handle.stdout().trimEnd();
  return `--- stderr ---\n${err.length > 0 ? err : "(empty)"}\n--- stdout ---\n${out.length > 0 ? out : "(empty)"}`;
}

function spawnServer(spec: ServerSpec, port: number, dir: string, ownDir: boolean): ServerHandle {
  const argv = spec.argv(port, dir);
  const proc = Bun.spawn(argv, {
    cwd: spec.cwd,
    env: { ...process.env, ...(spec.env ?? {}) },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  const stderrTail = drain(proc.stderr);
  const stdoutTail = drain(proc.stdout);
  const exited = proc.exited.then((code) => {
    live.delete(proc);
    return code;
  });
  let stopping: Promise<void> | undefined;
  const handle: ServerHandle = {
    port,
    pid: proc.pid,
    host: spec.host ?? "127.0.0.1",
    dir,
    exited,
    outputDone: Promise.all([stderrTail.done, stdoutTail.done]).then(() => undefined),
    stderr: () => stderrTail.text(),
    stdout: () => stdoutTail.text(),
    kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, signal);
    },
    stop() {
      stopping ??= stopProcess(proc, exited).then(() => (ownDir ? rm(dir, { recursive: true, force: true }) : undefined));
      return stopping;
    },
  };
  return handle;
}

async function stopProcess(proc: Subprocess, exited: Promise<number>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    await exited;
    return;
  }
  signalPid(proc.pid, "SIGTERM");
  if ((await raceTimeout(exited, stopGraceMs)) === timedOut) {
    signalPid(proc.pid, "SIGKILL");
    await exited;
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // exited between the check and the signal
  }
}

const timedOut = Symbol("timedOut");

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof timedOut>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(timedOut), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface OutputTail {
  text(): string;
  /** Resolves when the stream has ended. */
  done: Promise<void>;
}

/** Reads a stream to its end in the background, keeping the last outputTailBytesMax characters. */
function drain(stream: ReadableStream<Uint8Array> | number | undefined | null): OutputTail {
  let tail = "";
  let done = Promise.resolve();
  if (stream instanceof ReadableStream) {
    const decoder = new TextDecoder();
    done = (async () => {
      try {
        for await (const chunk of stream) {
          tail += decoder.decode(chunk, { stream: true });
          if (tail.length > outputTailBytesMax * 2) tail = tail.slice(-outputTailBytesMax);
        }
      } catch {
        // the process was killed mid-write; what we have is what there is
      }
    })();
  }
  return { done, text: () => (tail.length > outputTailBytesMax ? tail.slice(-outputTailBytesMax) : tail) };
}

type ReadyOutcome = "ready" | "timeout" | string;

/** Polls PING until +PONG, the process exits, or the deadline passes. */
async function waitReady(handle: ServerHandle, timeoutMs: number): Promise<ReadyOutcome> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | undefined;
  void handle.exited.then((code) => {
    exitCode = code;
  });
  let pauseMs = 20;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) return `exit code ${exitCode}`;
    const remainingMs = deadline - Date.now();
    if (await pingOnce(handle.host, handle.port, Math.min(2_000, Math.max(remainingMs, 1)))) return "ready";
    if (exitCode !== undefined) return `exit code ${exitCode}`;
    await Bun.sleep(pauseMs);
    pauseMs = Math.min(pauseMs * 2, 200);
  }
  return "timeout";
}

/** One connection, one PING; true only for an exact +PONG reply. */
export async function pingOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolvePing) => {
    let settled = false;
    let received = "";
    let socketRef: { end(): void } | undefined;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socketRef?.end();
      } catch {
        // already closed
      }
      resolvePing(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(socket) {
          socketRef = socket;
          socket.write("*1\r\n$4\r\nPING\r\n");
        },
        data(_socket, data) {
          received += new TextDecoder().decode(data);
          if (received.includes("\r\n")) finish(received === "+PONG\r\n");
        },
        close() {
          finish(false);
        },
        error() {
          finish(false);
        },
        connectError() {
          finish(false);
        },
      },
    }).then(
      (socket) => {
        socketRef = socket;
        if (settled) socket.end();
      },
      () => finish(false),
    );
  });
}

/**
 * Starts a memkeep and a redis-server side by side. If either fails to start, the other is stopped
 * and the failure is thrown, so a suite's afterAll has nothing half-started to leak.
 */
export async function startBoth(
  memkeepOpts: Parameters<typeof startMemkeep>[0] = {},
  redisOpts: Parameters<typeof startRedis>[0] = {},
): Promise<[ServerHandle, ServerHandle]> {
  const [m, r] = await Promise.allSettled([startMemkeep(memkeepOpts), startRedis(redisOpts)]);
  if (m.status === "fulfilled" && r.status === "fulfilled") return [m.value, r.value];
  await Promise.all([m.status === "fulfilled" ? m.value.stop() : null, r.status === "fulfilled" ? r.value.stop() : null]);
  throw m.status === "rejected" ? m.reason : (r as PromiseRejectedResult).reason;
}
