// One bounded run of redis-benchmark 7.0 and the parse of its `--csv` output.
//
// redis-benchmark 7.0 prints a header row and one data row per test:
//   "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
// An error reply from the server makes it print "Error from server: ..." on stderr and exit 1
// with the header alone; a server that stops answering makes it hang. So a run is an outcome: the
// numbers, or an error with the reason. A run is killed by its pid when it exceeds its time limit.

import { stopProcess, trackedProcesses } from "./server_process.ts";

export interface BenchNumbers {
  rps: number;
  avgMs: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type BenchOutcome =
  | { ok: true; numbers: BenchNumbers; seconds: number }
  | { ok: false; error: string; seconds: number };

export interface BenchRun {
  port: number;
  clients: number;
  requests: number;
  keyspace: number;
  pipeline: number;
  /** Either a built-in test name for `-t` or the argv of a custom command. */
  builtin?: string;
  command?: string[];
  timeoutMs: number;
  /** Connect with TLS, verifying the server with cacert and presenting cert/key. */
  tls?: BenchTls;
  /** ACL user and password to authenticate as. */
  user?: { name: string; pass: string };
}

export interface BenchTls {
  cacert: string;
  cert: string;
  key: string;
}

export function benchmarkArgs(run: BenchRun): string[] {
  const args = [
    "redis-benchmark",
    "-h", "127.0.0.1",
    "-p", String(run.port),
    "-c", String(run.clients),
    "-n", String(run.requests),
    "-r", String(run.keyspace),
    "-P", String(run.pipeline),
    "--csv",
  ];
  if (run.user !== undefined) args.push("--user", run.user.name, "-a", run.user.pass);
  if (run.tls !== undefined) args.push("--tls", "--cacert", run.tls.cacert, "--cert", run.tls.cert, "--key", run.tls.key);
  if (run.builtin !== undefined) return [...args, "-t", run.builtin];
  if (run.command === undefined || run.command.length === 0) throw new Error("a run needs a builtin or a command");
  return [...args, ...run.command];
}

export async function runBenchmark(run: BenchRun): Promise<BenchOutcome> {
  const started = performance.now();
  const proc = Bun.spawn(benchmarkArgs(run), { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  trackedProcesses.add(proc);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopProcess(proc);
  }, run.timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  trackedProcesses.delete(proc);
  const seconds = (performance.now() - started) / 1000;
  if (timedOut) return { ok: false, error: `timeout after ${run.timeoutMs / 1000} s`, seconds };
  const numbers = parseBenchmarkCsv(stdout);
  if (exitCode !== 0 || numbers === null) {
    return { ok: false, error: firstErrorLine(stderr, stdout, exitCode), seconds };
  }
  return { ok: true, numbers, seconds };
}

/** Returns the numbers of the first data row, or null when there is none. */
export function parseBenchmarkCsv(text: string): BenchNumbers | null {
  for (const line of text.split(/\r?\n/)) {
    const fields = parseCsvLine(line.trim());
    if (fields.length < 8 || fields[0] === "test") continue;
    const values = fields.slice(1, 8).map(Number);
    if (values.some((v) => !Number.isFinite(v))) continue;
    const [rps, avgMs, minMs, p50Ms, p95Ms, p99Ms, maxMs] = values as [
      number, number, number, number, number, number, number,
    ];
    return { rps, avgMs, minMs, p50Ms, p95Ms, p99Ms, maxMs };
  }
  return null;
}

/** Splits one CSV line with double-quoted fields ("" inside quotes is a literal quote). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ",") {
      fields.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (line.length > 0) fields.push(current);
  return fields;
}

function firstErrorLine(stderr: string, stdout: string, exitCode: number): string {
  const lines = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('"test"') && !l.startsWith("WARNING"));
  const line = lines[0] ?? `exit code ${exitCode}, no result row`;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
