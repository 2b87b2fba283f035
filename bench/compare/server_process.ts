// Starting, probing and stopping the two servers under comparison.
//
// Each server is spawned directly (no shell), so the pid we hold is the server process itself; Bun
// worker threads live inside that process, so its VmRSS covers them. Should a server ever fork
// helper processes, `rssBytes` adds the RSS of every descendant it finds in /proc. Output goes to
// log files in the server's own temp dir so a failed start can show why. Every process started here
// is stopped by its pid: SIGTERM, then SIGKILL after a grace period.

import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespClient, RespError, type RespValue } from "./resp_client.ts";

export type ServerRole = "redis" | "memkeep";

export interface ServerSpec {
  role: ServerRole;
  /** Command prefix; the runner appends `--port <port> --dir <dir>` and then `extraArgs`. */
  command: string[];
  extraArgs: string[];
  cwd: string;
}

const startTimeoutMs = 30_000;
const startAttempts = 3;

class EarlyExitError extends Error {}
const stopGraceMs = 5_000;
const probeIntervalMs = 50;

export class ServerProcess {
  private constructor(
    readonly spec: ServerSpec,
    readonly port: number,
    readonly dir: string,
    readonly argv: string[],
    private readonly proc: ReturnType<typeof Bun.spawn>,
  ) {}

  get pid(): number {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Spawns the server on a free loopback port in a fresh temp dir and waits until it answers PING.
   * The port is free when asked for but not reserved, so a server that exits during startup (most
   * likely: someone else took the port first) is tried again on another port.
   */
  static async start(spec: ServerSpec): Promise<ServerProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ServerProcess.startOnce(spec);
      } catch (error) {
        if (attempt >= startAttempts || !(error instanceof EarlyExitError)) throw error;
      }
    }
  }

  private static async startOnce(spec: ServerSpec): Promise<ServerProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `memkeep-bench-${spec.role}-`));
    const argv = [...spec.command, "--port", String(port), "--dir", dir, ...spec.extraArgs];
    const proc = Bun.spawn(argv, {
      cwd: spec.cwd,
      stdin: "ignore",
      stdout: Bun.file(join(dir, "server.stdout.log")),
      stderr: Bun.file(join(dir, "server.stderr.log")),
    });
    trackedProcesses.add(proc);
    const server = new ServerProcess(spec, port, dir, argv, proc);
    try {
      await server.waitReady();
    } catch (error) {
      const logs = server.logTail();
      const exitedEarly = !server.alive;
      await server.stop();
      const message = `${spec.role} did not start (${argv.map((a) => (/^[^\s'"]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}): ${(error as Error).message}${logs}`;
      throw exitedEarly ? new EarlyExitError(message) : new Error(message);
    }
    return server;
  }

  /** Opens a client connection; the caller closes it. */
  connect(): Promise<RespClient> {
    return RespClient.connect(this.port, 5_000);
  }

  /** Sends one command on a fresh connection; returns the reply, or a RespError for any failure. */
  async query(...args: string[]): Promise<RespValue> {
    let client: RespClient | null = null;
    try {
      client = await this.connect();
      return await client.command(...args);
    } catch (error) {
      return new RespError((error as Error).message);
    } finally {
      client?.close();
    }
  }

  /** Resident set size of the server and any descendant processes, from /proc/<pid>/status. */
  rssBytes(): number | null {
    if (!this.alive) return null;
    let total = 0;
    for (const pid of [this.pid, ...descendantPids(this.pid)]) total += vmRssBytes(pid) ?? 0;
    return total;
  }

  /** Stops the server by its pid and removes its temp dir. */
  async stop(): Promise<void> {
    await stopProcess(this.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(): string {
    const parts: string[] = [];
    for (const name of ["server.stdout.log", "server.stderr.log"]) {
      const path = join(this.dir, name);
      if (!existsSync(path)) continue;
      const text = readFileSync(path, "utf8").trim();
      if (text.length > 0) parts.push(`\n--- ${name} (tail) ---\n${text.split("\n").slice(-15).join("\n")}`);
    }
    return parts.join("");
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + startTimeoutMs;
    let lastError = "no answer";
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`exited with code ${this.proc.exitCode ?? this.proc.signalCode}`);
      const reply = await this.query("PING");
      if (reply === "PONG") return;
      lastError = reply instanceof RespError ? reply.message : `unexpected PING reply ${JSON.stringify(reply)}`;
      await Bun.sleep(probeIntervalMs);
    }
    throw new Error(`not ready after ${startTimeoutMs} ms (${lastError})`);
  }
}

/** Every child this module started and has not yet seen exit, for cleanup on Ctrl-C. */
export const trackedProcesses = new Set<ReturnType<typeof Bun.spawn>>();

export async function stopProcess(proc: ReturnType<typeof Bun.spawn>): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const helpers = descendantPids(proc.pid);
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(stopGraceMs).then(() => false)]);
    if (!exited) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    // A helper the server forked and did not reap on its own way out is stopped by its pid.
    for (const pid of helpers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  trackedProcesses.delete(proc);
}

/** Asks the kernel for a free loopback port by listening on port 0 and closing again. */
export async function freePort(): Promise<number> {
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data() {} },
  });
  const port = listener.port;
  listener.stop(true);
  return port;
}

function vmRssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Pids of all descendants of pid, breadth first, from /proc/<pid>/task/<tid>/children. */
function descendantPids(root: number): number[] {
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter((s) => s.length > 0).map(Number)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}
