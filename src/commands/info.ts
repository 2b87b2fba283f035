// INFO: Redis 7.0.15's sections, field names and order (server.c genRedisInfoString), so tools that
// parse INFO (redis-cli, exporters, client libraries) read memkeep as they read Redis.
//
// Every figure is read without messages: counters live in shared memory (src/server/stats.ts, one
// region per worker, summed here), key counts in the shared tables. Fields for machinery memkeep
// does not have (forks, Lua, replication backlog, defrag) keep Redis's names with the values an idle
// Redis of that kind shows, so parsers find every field they expect.
// Memory: used_memory is the keyspace's exact bytes plus a fixed startup baseline; the baseline is
// also reported as mem_not_counted_for_evict, since eviction compares only the keyspace bytes with
// maxmemory (used_memory - mem_not_counted_for_evict is what maxmemory bounds, as in Redis).
// Instantaneous rates come from trackInstantaneousMetrics, which the worker cron calls every tick on
// worker 0 (16 samples, at least 100 ms apart, as Redis's STATS_METRIC_SAMPLES).

import { readFileSync } from "node:fs";
import { machine, release, totalmem, type } from "node:os";
import { resolve } from "node:path";
import type { Exec } from "../server/exec.ts";
import { Stat, statsRegionSlots } from "../server/stats.ts";
import { fullName } from "./spec.ts";
import { lruClock } from "../keyspace/clock.ts";
import { parseArgs } from "../config.ts";
import { memkeepVersion, redisVersion } from "../version.ts";
import { latin1 } from "./util.ts";
import { ctlF64Bytes, ctlF64LastSaveMs, ctlF64LastSaveSec, ctlF64LastSyncUs, ctlF64LogBytesSinceSnapshot, ctlF64Rounds, ctlF64SaveInProgress, ctlF64SaveStatus, ctlF64Saves } from "../log/control.ts";
import { Ns } from "../server/pubsub.ts";

/** What an empty server reports as used memory (Redis's used_memory_startup plays this part). */
export const startupMemoryBytes = 900 * 1024;

const defaultSections = [
  "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list",
  "errorstats", "cluster", "keyspace",
] as const;

export interface InfoSelection {
  all: boolean;
  names: Set<string>;
}

/** Redis's genInfoSectionDict: "all", "everything", "default" and section names, any case. */
export function selectSections(args: readonly string[]): InfoSelection {
  const names = new Set<string>();
  let all = false;
  if (args.length === 0) {
    for (const n of defaultSections) names.add(n);
    return { all, names };
  }
  for (const a of args) {
    const n = a.toLowerCase();
    if (n === "all" || n === "everything") all = true;
    else if (n === "default") for (const d of defaultSections) names.add(d);
    else names.add(n);
  }
  return { all, names };
}

function infoCommand(x: Exec, argv: Uint8Array[]): void {
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) args.push(latin1(argv[i]));
  x.out.verbatim(genInfoString(x, selectSections(args)));
}

type Lines = [string, string | number][];

const sectionOrder: [string, string, (x: Exec, now: number) => Lines, string[]?][] = [
  ["server", "Server", serverSection],
  ["clients", "Clients", clientsSection],
  ["memory", "Memory", memorySection],
  ["persistence", "Persistence", persistenceSection],
  ["stats", "Stats", statsSection],
  ["replication", "Replication", replicationSection],
  ["cpu", "CPU", cpuSection],
  ["modules", "Modules", () => [], ["module_list"]],
  ["commandstats", "Commandstats", commandstatsSection],
  ["errorstats", "Errorstats", errorstatsSection],
  ["latencystats", "Latencystats", () => []],
  ["cluster", "Cluster", (x) => [["cluster_enabled", x.cfg.clusterEnabled ? 1 : 0]]],
  ["keyspace", "Keyspace", keyspaceSection],
];

/** The INFO text for a selection ("" when no known section is named). */
export function genInfoString(x: Exec, sel: InfoSelection): string {
  const now = Date.now();
  const parts: string[] = [];
  for (const [name, title, gen, aliases] of sectionOrder) {
    const wanted = sel.all || sel.names.has(name) || (aliases?.some((a) => sel.names.has(a)) ?? false);
    if (!wanted) continue;
    let text = `# ${title}\r\n`;
    for (const [k, v] of gen(x, now)) text += `${k}:${v}\r\n`;
    parts.push(text);
  }
  return parts.join("\r\n");
}

// ---- process facts shared by every worker ----------------------------------------------------------

let processStart: number | null = null;
/** Process start in ms: from /proc (the same in every worker thread), else this thread's start. */
export function processStartMs(x: Exec): number {
  if (processStart !== null) return processStart;
  processStart = x.startMs;
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]); // field 22 of the full line
    const btime = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "latin1"));
    if (btime && Number.isFinite(startTicks)) processStart = Number(btime[1]) * 1000 + startTicks * 10;
  } catch {
    // not Linux: this worker's start is close enough
  }
  return processStart;
}

let configFile: string | null = null;
/** The config file the server was started with (absolute), read from the process command line. */
function configFilePath(): string {
  if (configFile !== null) return configFile;
  configFile = "";
  try {
    const argv = readFileSync("/proc/self/cmdline", "utf8").split("\0").filter((a) => a !== "");
    const at = argv.findIndex((a) => a.endsWith("main.ts") || a.endsWith("main.js"));
    if (at >= 0) {
      const f = parseArgs(argv.slice(at + 1)).configFile;
      if (f !== null) configFile = resolve(f);
    }
  } catch {
    // no /proc: leave it empty
  }
  return configFile;
}

function hexOf(s: string): string {
  const h = new Bun.CryptoHasher("sha1");
  h.update(s);
  return h.digest("hex");
}

let buildId: string | null = null;
let replId: string | null = null;

// ---- sections -------------------------------------------------------------------------------------

function serverSection(x: Exec, now: number): Lines {
  const start = processStartMs(x);
  const uptime = Math.max(0, Math.floor((now - start) / 1000));
  buildId ??= hexOf(`memkeep ${memkeepVersion}`).slice(0, 15);
  return [
    ["redis_version", redisVersion],
    ["memkeep_version", memkeepVersion],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", buildId],
    ["redis_mode", x.cfg.clusterEnabled ? "cluster" : "standalone"],
    ["os", `${type()} ${release()} ${machine()}`],
    ["arch_bits", 64],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", "epoll"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["process_id", process.pid],
    ["process_supervised", "no"],
    ["run_id", x.runId],
    ["tcp_port", x.tcpPort()],
    ["server_time_usec", Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ["uptime_in_seconds", uptime],
    ["uptime_in_days", Math.floor(uptime / 86400)],
    ["hz", x.cfg.hz],
    ["configured_hz", x.cfg.hz],
    ["lru_clock", lruClock(now)],
    ["executable", process.execPath],
    ["config_file", configFilePath()],
    ["io_threads_active", 0],
  ];
}

/** The largest value of a per-worker stat (peaks, recent maxima), not their sum. */
function statMax(x: Exec, stat: number): number {
  const region = statsRegionSlots(x.table.all.length);
  let m = 0;
  for (let w = 0; w < x.workers; w++) m = Math.max(m, x.stats.all[w * region + stat]);
  return m;
}

function clientsSection(x: Exec): Lines {
  return [
    ["connected_clients", x.ks.clients],
    ["cluster_connections", 0],
    ["maxclients", x.cfg.maxclients],
    ["client_recent_max_input_buffer", statMax(x, Stat.clientRecentMaxInputBuffer)],
    ["client_recent_max_output_buffer", statMax(x, Stat.clientRecentMaxOutputBuffer)],
    ["blocked_clients", x.stats.total(Stat.blockedClients)],
    ["tracking_clients", 0],
    ["clients_in_timeout_table", x.stats.total(Stat.clientsInTimeoutTable)],
  ];
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  for (const u of units) {
    if (d < 1024 || u === "P") return `${d.toFixed(2)}${u}`;
    d /= 1024;
  }
  return `${n}B`;
}

export interface MemoryFigures {
  used: number;
  startup: number;
  peak: number;
  rss: number;
  overhead: number;
  dataset: number;
  tables: number;
  allocated: number;
  active: number;
  resident: number;
  keys: number;
}

/** Memory accounting shared by INFO memory and MEMORY STATS. */
export function memoryFigures(x: Exec): MemoryFigures {
  const ks = x.ks;
  let tables = 0;
  let top = 0;
  let capacity = 0;
  for (let i = 0; i < ks.shardCount; i++) {
    tables += ks.tables[i].tableBytes;
    top += ks.arenas[i].topBytes;
    capacity += ks.arenas[i].capacityBytes;
  }
  const data = ks.usedBytes();
  const used = startupMemoryBytes + data;
  const peak = Math.max(used, startupMemoryBytes + statMax(x, Stat.peakMemory));
  const rss = process.memoryUsage.rss();
  let keys = 0;
  for (let db = 0; db < ks.databases; db++) keys += ks.dbSize(db);
  const overhead = startupMemoryBytes + tables;
  return {
    used,
    startup: startupMemoryBytes,
    peak,
    rss,
    overhead,
    dataset: Math.max(0, used - overhead),
    tables,
    allocated: used,
    active: startupMemoryBytes + tables + top,
    resident: startupMemoryBytes + tables + capacity,
    keys,
  };
}

const pct = (a: number, b: number) => (b > 0 ? (a * 100) / b : 0);
const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

function memorySection(x: Exec): Lines {
  const m = memoryFigures(x);
  const max = x.cfg.maxmemory;
  const total = totalmem();
  return [
    ["used_memory", m.used],
    ["used_memory_human", bytesToHuman(m.used)],
    ["used_memory_rss", m.rss],
    ["used_memory_rss_human", bytesToHuman(m.rss)],
    ["used_memory_peak", m.peak],
    ["used_memory_peak_human", bytesToHuman(m.peak)],
    ["used_memory_peak_perc", `${pct(m.used, m.peak).toFixed(2)}%`],
    ["used_memory_overhead", m.overhead],
    ["used_memory_startup", m.startup],
    ["used_memory_dataset", m.dataset],
    ["used_memory_dataset_perc", `${pct(m.dataset, m.used - m.startup).toFixed(2)}%`],
    ["allocator_allocated", m.allocated],
    ["allocator_active", m.active],
    ["allocator_resident", m.resident],
    ["total_system_memory", total],
    ["total_system_memory_human", bytesToHuman(total)],
    ["used_memory_lua", 0],
    ["used_memory_vm_eval", 0],
    ["used_memory_lua_human", "0B"],
    ["used_memory_scripts_eval", 0],
    ["number_of_cached_scripts", 0],
    ["number_of_functions", 0],
    ["number_of_libraries", 0],
    ["used_memory_vm_functions", 0],
    ["used_memory_vm_total", 0],
    ["used_memory_vm_total_human", "0B"],
    ["used_memory_functions", 0],
    ["used_memory_scripts", 0],
    ["used_memory_scripts_human", "0B"],
    ["maxmemory", max],
    ["maxmemory_human", bytesToHuman(max)],
    ["maxmemory_policy", x.cfg.maxmemoryPolicy],
    ["allocator_frag_ratio", ratio(m.active, m.allocated).toFixed(2)],
    ["allocator_frag_bytes", m.active - m.allocated],
    ["allocator_rss_ratio", ratio(m.resident, m.active).toFixed(2)],
    ["allocator_rss_bytes", m.resident - m.active],
    ["rss_overhead_ratio", ratio(m.rss, m.resident).toFixed(2)],
    ["rss_overhead_bytes", m.rss - m.resident],
    ["mem_fragmentation_ratio", ratio(m.rss, m.used).toFixed(2)],
    ["mem_fragmentation_bytes", m.rss - m.used],
    ["mem_not_counted_for_evict", m.startup],
    ["mem_replication_backlog", 0],
    ["mem_total_replication_buffers", 0],
    ["mem_clients_slaves", 0],
    ["mem_clients_normal", 0],
    ["mem_cluster_links", 0],
    ["mem_aof_buffer", 0],
    ["mem_allocator", "memkeep-arena"],
    ["active_defrag_running", 0],
    ["lazyfree_pending_objects", 0],
    ["lazyfreed_objects", 0],
  ];
}

function persistenceSection(x: Exec): Lines {
  const c = x.durable?.control ?? null;
  const inProgress = c !== null && c[ctlF64SaveInProgress] === 1;
  return [
    ["loading", 0],
    ["async_loading", 0],
    ["current_cow_peak", 0],
    ["current_cow_size", 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", "0.00"],
    ["current_save_keys_processed", 0],
    ["current_save_keys_total", 0],
    ["rdb_changes_since_last_save", x.stats.total(Stat.dirtyWrites)],
    ["rdb_bgsave_in_progress", inProgress ? 1 : 0],
    ["rdb_last_save_time", c !== null ? c[ctlF64LastSaveSec] : Math.floor(processStartMs(x) / 1000)],
    ["rdb_last_bgsave_status", c === null || c[ctlF64SaveStatus] === 1 ? "ok" : "err"],
    ["rdb_last_bgsave_time_sec", c !== null && c[ctlF64Saves] > 0 ? Math.round(c[ctlF64LastSaveMs] / 1000) : -1],
    ["rdb_current_bgsave_time_sec", -1],
    ["rdb_saves", c !== null ? c[ctlF64Saves] : 0],
    ["rdb_last_cow_size", 0],
    ["rdb_last_load_keys_expired", 0],
    ["rdb_last_load_keys_loaded", 0],
    ["aof_enabled", x.cfg.appendonly ? 1 : 0],
    ["aof_rewrite_in_progress", 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_rewrite_time_sec", -1],
    ["aof_current_rewrite_time_sec", -1],
    ["aof_last_bgrewrite_status", "ok"],
    ["aof_rewrites", 0],
    ["aof_rewrites_consecutive_failures", 0],
    ["aof_last_write_status", "ok"],
    ["aof_last_cow_size", 0],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
    // memkeep's shard log (INFO fields Redis does not have; clients ignore unknown fields)
    ["durability", x.cfg.durability],
    ["log_group_commits", c !== null ? c[ctlF64Rounds] : 0],
    ["log_bytes_written", c !== null ? c[ctlF64Bytes] : 0],
    ["log_last_sync_usec", c !== null ? Math.round(c[ctlF64LastSyncUs]) : 0],
    ["log_bytes_since_snapshot", c !== null ? c[ctlF64LogBytesSinceSnapshot] : 0],
    ["log_durable_lsn", x.durable !== null ? x.durable.rings.map((r) => r.durableLsn().toString()).join(",") : ""],
  ];
}

/** Calls of every command, summed over workers (Redis's stat_numcommands). */
export function totalCommandCalls(x: Exec): number {
  let n = 0;
  for (const spec of x.table.all) n += x.stats.commandTotals(spec.id!)[0];
  return n;
}

function statsSection(x: Exec): Lines {
  const st = x.stats;
  const t = (s: number) => st.total(s);
  return [
    ["total_connections_received", t(Stat.connectionsReceived)],
    ["total_commands_processed", totalCommandCalls(x)],
    ["instantaneous_ops_per_sec", Math.round(t(Stat.instantaneousOps))],
    ["total_net_input_bytes", t(Stat.netInputBytes)],
    ["total_net_output_bytes", t(Stat.netOutputBytes)],
    ["total_net_repl_input_bytes", 0],
    ["total_net_repl_output_bytes", 0],
    ["instantaneous_input_kbps", t(Stat.instantaneousInputKbps).toFixed(2)],
    ["instantaneous_output_kbps", t(Stat.instantaneousOutputKbps).toFixed(2)],
    ["instantaneous_input_repl_kbps", "0.00"],
    ["instantaneous_output_repl_kbps", "0.00"],
    ["rejected_connections", t(Stat.rejectedConnections)],
    ["sync_full", 0],
    ["sync_partial_ok", 0],
    ["sync_partial_err", 0],
    ["expired_keys", t(Stat.expiredKeys)],
    ["expired_stale_perc", statMax(x, Stat.expiredStalePerc).toFixed(2)],
    ["expired_time_cap_reached_count", t(Stat.expiredTimeCapReached)],
    ["expire_cycle_cpu_milliseconds", Math.round(t(Stat.expireCycleCpuMs))],
    ["evicted_keys", t(Stat.evictedKeys)],
    ["evicted_clients", t(Stat.evictedClients)],
    ["total_eviction_exceeded_time", Math.round(t(Stat.totalEvictionExceededMs))],
    ["current_eviction_exceeded_time", 0],
    ["keyspace_hits", t(Stat.keyspaceHits)],
    ["keyspace_misses", t(Stat.keyspaceMisses)],
    ["pubsub_channels", x.pubsub.count(Ns.channel)],
    ["pubsub_patterns", x.pubsub.count(Ns.pattern)],
    ["pubsubshard_channels", x.pubsub.count(Ns.shard)],
    ["latest_fork_usec", 0],
    ["total_forks", 0],
    ["migrate_cached_sockets", 0],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", t(Stat.trackingKeys)],
    ["tracking_total_items", 0],
    ["tracking_total_prefixes", 0],
    ["unexpected_error_replies", t(Stat.unexpectedErrorReplies)],
    ["total_error_replies", t(Stat.errorReplies)],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", t(Stat.totalReadsProcessed)],
    ["total_writes_processed", t(Stat.totalWritesProcessed)],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
    // Redis 7.2's ACL counters (7.0 has none; src/acl/check.ts counts them).
    ["acl_access_denied_auth", t(Stat.aclAccessDeniedAuth)],
    ["acl_access_denied_cmd", t(Stat.aclAccessDeniedCmd)],
    ["acl_access_denied_key", t(Stat.aclAccessDeniedKey)],
    ["acl_access_denied_channel", t(Stat.aclAccessDeniedChannel)],
    ["rejected_connections_cidr", t(Stat.rejectedConnectionsCidr)],
  ];
}

function replicationSection(x: Exec): Lines {
  replId ??= hexOf(`replid:${x.runId}`);
  return [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", replId],
    ["master_replid2", "0".repeat(40)],
    ["master_repl_offset", 0],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 0],
    ["repl_backlog_size", 1048576],
    ["repl_backlog_first_byte_offset", 0],
    ["repl_backlog_histlen", 0],
  ];
}

function cpuSection(): Lines {
  const u = process.cpuUsage();
  const sec = (us: number) => (us / 1e6).toFixed(6);
  return [
    ["used_cpu_sys", sec(u.system)],
    ["used_cpu_user", sec(u.user)],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
    ["used_cpu_sys_main_thread", sec(u.system)],
    ["used_cpu_user_main_thread", sec(u.user)],
  ];
}

function commandstatsSection(x: Exec): Lines {
  const lines: Lines = [];
  for (const spec of x.table.all) {
    const [calls, usecF, rejected, failed] = x.stats.commandTotals(spec.id!);
    if (calls === 0 && rejected === 0 && failed === 0) continue;
    const usec = Math.floor(usecF);
    const perCall = calls > 0 ? usec / calls : 0;
    lines.push([
      `cmdstat_${fullName(spec)}`,
      `calls=${calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${rejected},failed_calls=${failed}`,
    ]);
  }
  return lines;
}

function errorstatsSection(x: Exec): Lines {
  // Redis keeps error codes in a radix tree: they come out sorted.
  const totals = x.stats.errorTotals().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return totals.map(([code, n]) => [`errorstat_${code}`, `count=${n}`]);
}

function keyspaceSection(x: Exec): Lines {
  const ks = x.ks;
  const lines: Lines = [];
  for (let db = 0; db < ks.databases; db++) {
    const keys = ks.dbSize(db);
    const expires = ks.dbExpires(db);
    if (keys === 0 && expires === 0) continue;
    lines.push([`db${db}`, `keys=${keys},expires=${expires},avg_ttl=0`]);
  }
  return lines;
}

// ---- instantaneous metrics (Redis's trackInstantaneousMetric) --------------------------------------

const metricSamples = 16;
const metricPeriodMs = 100;

class Metric {
  samples = new Float64Array(metricSamples);
  idx = 0;
  lastMs = 0;
  lastReading = 0;
  track(nowMs: number, reading: number): number {
    const dt = nowMs - this.lastMs;
    const perSec = this.lastMs > 0 && dt > 0 ? ((reading - this.lastReading) * 1000) / dt : 0;
    this.samples[this.idx] = perSec;
    this.idx = (this.idx + 1) % metricSamples;
    this.lastMs = nowMs;
    this.lastReading = reading;
    let sum = 0;
    for (const v of this.samples) sum += v;
    return sum / metricSamples;
  }
}

const opsMetric = new Metric();
const inMetric = new Metric();
const outMetric = new Metric();

/**
 * Samples commands and network bytes of the whole server (all workers) and stores the rates in this
 * worker's stats region. Called by the cron of worker 0 only (INFO sums regions); at most one sample
 * per 100 ms.
 */
export function trackInstantaneousMetrics(x: Exec, nowMs: number): void {
  if (nowMs - opsMetric.lastMs < metricPeriodMs) return;
  const st = x.stats;
  st.mine[Stat.instantaneousOps] = opsMetric.track(nowMs, totalCommandCalls(x));
  st.mine[Stat.instantaneousInputKbps] = inMetric.track(nowMs, st.total(Stat.netInputBytes)) / 1024;
  st.mine[Stat.instantaneousOutputKbps] = outMetric.track(nowMs, st.total(Stat.netOutputBytes)) / 1024;
}

export { infoCommand };
