// Turning samples into the comparison tables, as aligned text or as Markdown for bench/RESULTS.md.
//
// Every cell is a median over rounds. A ratio is memkeep / redis: above 1 is better for throughput,
// below 1 is better for latency. A cell with no successful sample reads "error"; one where only
// some rounds failed carries a "*" and a note.

import { readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";
import type { BenchNumbers } from "./redis_benchmark.ts";
import type { ServerRole } from "./server_process.ts";

export interface Sample {
  round: number;
  role: ServerRole;
  testId: string;
  pipeline: number;
  requests: number;
  seconds: number;
  numbers: BenchNumbers | null;
  error: string | null;
}

export interface ThroughputRow {
  label: string;
  pipeline: number;
  requests: number;
  redis: ServerSummary;
  memkeep: ServerSummary;
}

export interface ServerSummary {
  runs: number;
  failures: number;
  rps: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** (max - min) / median of rps over the successful rounds. */
  spread: number | null;
  errors: string[];
}

export interface MemoryReport {
  keys: number;
  valueBytes: number;
  servers: Record<ServerRole, MemoryNumbers>;
}

export interface MemoryNumbers {
  dbsize: number | string;
  rssEmptyBytes: number | null;
  rssLoadedBytes: number | null;
  usedMemoryBytes: number | null;
  loadSeconds: number | null;
  error: string | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samples: readonly Sample[]): ServerSummary {
  const good = samples.filter((s) => s.numbers !== null).map((s) => s.numbers!);
  const rpsValues = good.map((n) => n.rps);
  const rps = median(rpsValues);
  const spread =
    rps !== null && rps > 0 && rpsValues.length > 1
      ? (Math.max(...rpsValues) - Math.min(...rpsValues)) / rps
      : null;
  return {
    runs: samples.length,
    failures: samples.length - good.length,
    rps,
    p50Ms: median(good.map((n) => n.p50Ms)),
    p99Ms: median(good.map((n) => n.p99Ms)),
    spread,
    errors: [...new Set(samples.filter((s) => s.error !== null).map((s) => s.error!))],
  };
}

const throughputHeader = [
  "test", "P", "n", "redis rps", "memkeep rps", "ratio",
  "redis p50/p99 ms", "memkeep p50/p99 ms", "p99 ratio", "spread",
];

export function throughputTable(rows: readonly ThroughputRow[]): string[][] {
  const body = rows.map((row) => [
    row.label,
    String(row.pipeline),
    formatCount(row.requests),
    rpsCell(row.redis),
    rpsCell(row.memkeep),
    ratioCell(row.memkeep.rps, row.redis.rps),
    latencyCell(row.redis),
    latencyCell(row.memkeep),
    ratioCell(row.memkeep.p99Ms, row.redis.p99Ms),
    spreadCell(row),
  ]);
  return [throughputHeader, ...body];
}

export function throughputNotes(rows: readonly ThroughputRow[]): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    for (const role of ["redis", "memkeep"] as const) {
      const summary = row[role];
      if (summary.failures === 0) continue;
      const where = `${row.label} -P ${row.pipeline}, ${role}`;
      notes.push(`${where}: ${summary.failures} of ${summary.runs} runs failed: ${summary.errors.join(" | ")}`);
    }
  }
  return notes;
}

export function memoryTable(report: MemoryReport): string[][] {
  const r = report.servers.redis;
  const m = report.servers.memkeep;
  const delta = (n: MemoryNumbers) =>
    n.rssLoadedBytes !== null && n.rssEmptyBytes !== null ? n.rssLoadedBytes - n.rssEmptyBytes : null;
  const perKey = (bytes: number | null) => (bytes === null ? null : bytes / report.keys);
  const rows: [string, number | null, number | null, (v: number | null) => string][] = [
    ["RSS before load", r.rssEmptyBytes, m.rssEmptyBytes, formatMiB],
    ["RSS after load", r.rssLoadedBytes, m.rssLoadedBytes, formatMiB],
    ["RSS growth", delta(r), delta(m), formatMiB],
    ["RSS growth per key", perKey(delta(r)), perKey(delta(m)), formatBytes],
    ["used_memory (INFO)", r.usedMemoryBytes, m.usedMemoryBytes, formatMiB],
    ["used_memory per key", perKey(r.usedMemoryBytes), perKey(m.usedMemoryBytes), formatBytes],
    ["load time (s)", r.loadSeconds, m.loadSeconds, (v) => (v === null ? "n/a" : v.toFixed(2))],
  ];
  const table: string[][] = [["memory", "redis", "memkeep", "ratio"]];
  table.push(["DBSIZE", String(r.dbsize), String(m.dbsize), ""]);
  for (const [label, redisValue, memkeepValue, format] of rows) {
    table.push([label, format(redisValue), format(memkeepValue), ratioCell(memkeepValue, redisValue)]);
  }
  return table;
}

export function renderText(table: readonly string[][]): string {
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => (row[col] ?? "").length)));
  return table
    .map((row) =>
      row
        .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function renderMarkdown(table: readonly string[][]): string {
  const [header, ...body] = table;
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  const align = `|${header!.map((_, col) => (col === 0 ? " --- " : " ---: ")).join("|")}|`;
  return [line(header!), align, ...body.map(line)].join("\n");
}

export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: string;
  kernel: string;
  bun: string;
  redisServer: string;
  redisBenchmark: string;
  memkeepRevision: string;
}

export function machineInfo(repoDir: string): MachineInfo {
  let cpuModel = "unknown";
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match) cpuModel = match[1]!.trim();
  } catch {
    // not Linux: leave unknown
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: release(),
    bun: `${Bun.version} (${Bun.revision.slice(0, 9)})`,
    redisServer: commandOutput(["redis-server", "--version"]).replace(/^Redis server /, ""),
    redisBenchmark: commandOutput(["redis-benchmark", "--version"]),
    memkeepRevision: gitRevision(repoDir),
  };
}

function commandOutput(argv: string[]): string {
  try {
    const result = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
    return result.stdout.toString().trim() || result.stderr.toString().trim();
  } catch {
    return "not found";
  }
}

function gitRevision(repoDir: string): string {
  const head = Bun.spawnSync(["git", "-C", repoDir, "rev-parse", "--short", "HEAD"], { stdout: "pipe", stderr: "pipe" });
  if (head.exitCode !== 0) return "no commit yet (work tree)";
  const status = Bun.spawnSync(["git", "-C", repoDir, "status", "--porcelain"], { stdout: "pipe", stderr: "pipe" });
  const dirty = status.stdout.toString().trim().length > 0;
  return `${head.stdout.toString().trim()}${dirty ? " + uncommitted changes" : ""}`;
}

function rpsCell(summary: ServerSummary): string {
  if (summary.rps === null) return "error";
  return `${formatCount(Math.round(summary.rps))}${summary.failures > 0 ? "*" : ""}`;
}

function latencyCell(summary: ServerSummary): string {
  if (summary.p50Ms === null || summary.p99Ms === null) return "error";
  return `${formatMs(summary.p50Ms)}/${formatMs(summary.p99Ms)}`;
}

function spreadCell(row: ThroughputRow): string {
  const spreads = [row.redis.spread, row.memkeep.spread].filter((s): s is number => s !== null);
  if (spreads.length === 0) return "-";
  return `${(Math.max(...spreads) * 100).toFixed(0)}%`;
}

function ratioCell(numerator: number | null, denominator: number | null): string {
  if (numerator === null || denominator === null || denominator === 0) return "-";
  return `${(numerator / denominator).toFixed(2)}x`;
}

function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

function formatMs(value: number): string {
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

function formatMiB(bytes: number | null): string {
  return bytes === null ? "n/a" : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function formatBytes(bytes: number | null): string {
  return bytes === null ? "n/a" : `${bytes.toFixed(1)} B`;
}
