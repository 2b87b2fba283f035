// Side-by-side benchmark of memkeep against redis-server 7.0: `bun run bench:compare [options]`.
//
// Both servers run at once on loopback (redis with `--save '' --appendonly no`, memkeep in a fresh
// temp dir). redis-benchmark runs each test against both in alternating rounds: in odd rounds redis
// goes first, in even rounds memkeep, test by test, so drift in the machine hits both alike. The
// report holds medians over rounds. A test that fails on one server (an unknown command, a crash,
// a hang past the run timeout) is reported as "error" for that server; a server that exited is
// restarted fresh before the next run. Then a memory phase starts each server afresh, loads the
// same keys with the pipelined loader and reads RSS, INFO used_memory and DBSIZE.
// bench/README.md says how to read the numbers; results go to bench/RESULTS.md.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { makeDevCerts } from "../scripts/dev-certs.ts";
import { loadStrings } from "./compare/loader.ts";
import { parseOptions, requestsFor, shellQuote, usage, type CompareOptions, type Suite } from "./compare/options.ts";
import { runBenchmark, type BenchTls } from "./compare/redis_benchmark.ts";
import {
  machineInfo, memoryTable, renderMarkdown, renderText, summarize, throughputNotes, throughputTable,
  type MachineInfo, type MemoryNumbers, type MemoryReport, type Sample, type ThroughputRow,
} from "./compare/report.ts";
import { RespError, encodeCommand, concatBytes, withTimeout, type RespValue } from "./compare/resp_client.ts";
import { ServerProcess, freePort, stopProcess, trackedProcesses, type ServerRole, type ServerSpec } from "./compare/server_process.ts";

const repoDir = join(import.meta.dir, "..");

/** One benchmark: a redis-benchmark built-in (`-t`) or a custom command with `__rand_int__`. */
interface CompareTest {
  /** Lower-case id for --filter. */
  id: string;
  /** Label in the table. */
  label: string;
  suite: Exclude<Suite, "all">;
  builtin?: string;
  command?: string[];
  /** Request-count multipliers so a run takes about 2-5 s: [at -P 1, at deeper pipelines]. */
  scale?: [number, number];
  /**
   * Commands sent to each server before every run of the test, to give a read something to read
   * or to bound what a write accumulates. Must be idempotent and take well under a second.
   */
  setup?: (requests: number, keyspace: number) => string[][];
}

// Add new comparisons here. Keys of the types suite are one per test, so tests do not disturb
// each other; members and fields come from `__rand_int__` (12 digits, below --keyspace).
const tests: CompareTest[] = [
  { id: "set", label: "SET", suite: "core", builtin: "set" },
  { id: "get", label: "GET", suite: "core", builtin: "get" },
  { id: "incr", label: "INCR", suite: "core", builtin: "incr" },
  { id: "mset", label: "MSET (10 keys)", suite: "core", builtin: "mset", scale: [1, 0.15] },
  {
    id: "lpush", label: "LPUSH", suite: "types",
    command: ["LPUSH", "list:push", "__rand_int__"],
    setup: () => [["DEL", "list:push"]],
  },
  {
    id: "lpop", label: "LPOP", suite: "types",
    command: ["LPOP", "list:pop"],
    setup: (requests) => fillList("list:pop", requests),
  },
  { id: "sadd", label: "SADD", suite: "types", command: ["SADD", "set:add", "__rand_int__"], scale: [1, 0.5] },
  { id: "hset", label: "HSET", suite: "types", command: ["HSET", "hash:set", "__rand_int__", "value"], scale: [1, 0.5] },
  {
    id: "zadd", label: "ZADD", suite: "types",
    command: ["ZADD", "zset:add", "__rand_int__", "member:__rand_int__"], scale: [1, 0.25],
  },
  {
    id: "zrange", label: "ZRANGE 0 99", suite: "types",
    command: ["ZRANGE", "zset:read", "0", "99"], scale: [0.5, 0.1],
    setup: (_requests, keyspace) => fillSortedSet("zset:read", keyspace),
  },
  {
    id: "zrank", label: "ZRANK", suite: "types",
    command: ["ZRANK", "zset:read", "member:__rand_int__"], scale: [1, 0.4],
    setup: (_requests, keyspace) => fillSortedSet("zset:read", keyspace),
  },
  {
    id: "geosearch", label: "GEOSEARCH 1 km", suite: "types",
    command: ["GEOSEARCH", "geo:read", "FROMLONLAT", "13.4", "52.5", "BYRADIUS", "1", "km", "ASC", "COUNT", "10"],
    scale: [0.25, 0.05],
    setup: () => fillGeo("geo:read"),
  },
  {
    id: "xadd", label: "XADD", suite: "types",
    command: ["XADD", "stream:add", "*", "field", "__rand_int__"], scale: [1, 0.5],
    setup: () => [["DEL", "stream:add"]],
  },
  { id: "pfadd", label: "PFADD", suite: "types", command: ["PFADD", "hll:add", "__rand_int__"], scale: [1, 0.5] },
];

const setupBatch = 1_000;

function fillList(key: string, elements: number): string[][] {
  const commands: string[][] = [["DEL", key]];
  for (let done = 0; done < elements; done += setupBatch) {
    commands.push(["RPUSH", key, ...Array<string>(Math.min(setupBatch, elements - done)).fill("x")]);
  }
  return commands;
}

/** Members `member:%012d` with score i for i < keyspace: what `member:__rand_int__` names. */
function fillSortedSet(key: string, keyspace: number): string[][] {
  const commands: string[][] = [];
  for (let first = 0; first < keyspace; first += setupBatch) {
    const command = ["ZADD", key];
    for (let i = first; i < Math.min(first + setupBatch, keyspace); i++) {
      command.push(String(i), `member:${String(i).padStart(12, "0")}`);
    }
    commands.push(command);
  }
  return commands;
}

/** 10,000 points on a 100 x 100 grid, about 340 m apart, centred on 13.4 E 52.5 N. */
function fillGeo(key: string): string[][] {
  const commands: string[][] = [];
  for (let row = 0; row < 100; row++) {
    const command = ["GEOADD", key];
    for (let col = 0; col < 100; col++) {
      const lon = (13.15 + col * 0.005).toFixed(6);
      const lat = (52.35 + row * 0.003).toFixed(6);
      command.push(lon, lat, `place:${row * 100 + col}`);
    }
    commands.push(command);
  }
  return commands;
}

const roles: readonly ServerRole[] = ["redis", "memkeep"];
const liveServers = new Set<ServerProcess>();

async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const server = await ServerProcess.start(spec);
  liveServers.add(server);
  return server;
}

async function stopServer(server: ServerProcess): Promise<void> {
  liveServers.delete(server);
  await server.stop();
}

/**
 * --tls: one certificate set (scripts/dev-certs.ts) for both servers, a tls-port for each (the
 * plain port stays for prefill and setup), and the files redis-benchmark presents.
 */
interface TlsBench {
  dir: string;
  ports: Record<ServerRole, number>;
  client: BenchTls;
}

let tlsBench: TlsBench | null = null;

async function prepareTls(): Promise<TlsBench> {
  const dir = makeDevCerts(mkdtempSync(join(tmpdir(), "memkeep-bench-tls-")));
  const ports = { redis: await freePort(), memkeep: await freePort() };
  return { dir, ports, client: { cacert: join(dir, "ca.crt"), cert: join(dir, "client.crt"), key: join(dir, "client.key") } };
}

function tlsServerArgs(tls: TlsBench, role: ServerRole): string[] {
  return ["--tls-port", String(tls.ports[role]), "--tls-cert-file", join(tls.dir, "server.crt"),
    "--tls-key-file", join(tls.dir, "server.key"), "--tls-ca-cert-file", join(tls.dir, "ca.crt")];
}

/** --acl: a user that may do everything the benchmarks do, but is not `allcommands` (checked per command). */
const aclBenchUser = ["bench", "on", ">bench", "~*", "&*", "+@all", "-@dangerous"];

function serverSpecs(options: CompareOptions): Record<ServerRole, ServerSpec> {
  const memkeepArgs = ["--durability", options.durability, ...(options.encryption ? ["--encryption-at-rest", "yes"] : []), ...options.memkeepArgs];
  if (options.shardWorkers !== null) memkeepArgs.unshift("--shard-workers", String(options.shardWorkers));
  if (tlsBench !== null) memkeepArgs.push(...tlsServerArgs(tlsBench, "memkeep"));
  if (options.acl) memkeepArgs.push("--user", ...aclBenchUser);
  const aof = options.durability === "none" ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", options.durability === "sync" ? "always" : "everysec"];
  return {
    redis: {
      role: "redis",
      command: ["redis-server", "--save", "", ...aof, "--bind", "127.0.0.1"],
      extraArgs: [...(tlsBench === null ? [] : tlsServerArgs(tlsBench, "redis")), ...(options.acl ? ["--user", ...aclBenchUser] : [])],
      cwd: repoDir,
    },
    memkeep: {
      role: "memkeep",
      command: options.memkeepCmd ?? [process.execPath, "src/main.ts"],
      extraArgs: memkeepArgs,
      cwd: repoDir,
    },
  };
}

/** The two servers of the throughput phase; restarts one that died, and says so. */
class ServerPair {
  readonly notes: string[] = [];
  private constructor(
    private readonly specs: Record<ServerRole, ServerSpec>,
    private readonly servers: Record<ServerRole, ServerProcess>,
    private readonly options: CompareOptions,
  ) {}

  static async start(specs: Record<ServerRole, ServerSpec>, options: CompareOptions): Promise<ServerPair> {
    const redis = await startServer(specs.redis);
    const memkeep = await startServer(specs.memkeep).catch(async (error: unknown) => {
      await stopServer(redis);
      throw error;
    });
    const pair = new ServerPair(specs, { redis, memkeep }, options);
    for (const role of roles) await pair.prefill(role);
    return pair;
  }

  get(role: ServerRole): ServerProcess {
    return this.servers[role];
  }

  /** Restarts the server if it is no longer running; the fresh one gets the prefill again. */
  async ensureAlive(role: ServerRole): Promise<void> {
    const server = this.servers[role];
    if (server.alive) return;
    const tail = server.logTail().split("\n").filter((l) => l.trim().length > 0 && !l.startsWith("---")).slice(-1)[0];
    this.notes.push(`${role} had exited (pid ${server.pid}${tail ? `, last log line: ${tail.trim()}` : ""}); restarted`);
    progress(`${role} is not running: restarting it`);
    await stopServer(server);
    this.servers[role] = await startServer(this.specs[role]);
    await this.prefill(role);
  }

  async stop(): Promise<void> {
    for (const role of roles) await stopServer(this.servers[role]);
  }

  /** Loads the core keyspace (3-byte values, as redis-benchmark's SET writes) so GET finds keys. */
  private async prefill(role: ServerRole): Promise<void> {
    const client = await this.servers[role].connect();
    try {
      await withTimeout(loadStrings(client, { count: this.options.keyspace, valueBytes: 3 }), 60_000, "prefill");
    } catch (error) {
      this.notes.push(`${role}: prefill of ${this.options.keyspace} keys failed: ${(error as Error).message}`);
    } finally {
      client.close();
    }
  }
}

/** Sends a test's setup commands; returns an error message, or null when all succeeded. */
async function runSetup(server: ServerProcess, commands: string[][]): Promise<string | null> {
  if (commands.length === 0) return null;
  let client = null;
  try {
    client = await server.connect();
    const bytes = concatBytes(commands.map((c) => encodeCommand(c)));
    const batch = await withTimeout(client.pipeline(bytes, commands.length, false), 60_000, "setup");
    return batch.errorCount > 0 ? `setup failed: ${batch.firstError}` : null;
  } catch (error) {
    return `setup failed: ${(error as Error).message}`;
  } finally {
    client?.close();
  }
}

function requestsOf(test: CompareTest, options: CompareOptions, pipeline: number): number {
  const scale = test.scale?.[pipeline === 1 ? 0 : 1] ?? 1;
  return Math.max(1_000, Math.round(requestsFor(options, pipeline) * scale));
}

async function runOne(
  pair: ServerPair, role: ServerRole, test: CompareTest, pipeline: number, round: number, options: CompareOptions,
): Promise<Sample> {
  await pair.ensureAlive(role);
  const server = pair.get(role);
  const requests = requestsOf(test, options, pipeline);
  const sample: Sample = { round, role, testId: test.id, pipeline, requests, seconds: 0, numbers: null, error: null };
  const setupError = test.setup ? await runSetup(server, test.setup(requests, options.keyspace)) : null;
  if (setupError !== null) {
    sample.error = setupError;
    return sample;
  }
  const outcome = await runBenchmark({
    port: tlsBench === null ? server.port : tlsBench.ports[role],
    tls: tlsBench?.client,
    user: options.acl ? { name: "bench", pass: "bench" } : undefined,
    clients: options.clients,
    requests,
    keyspace: options.keyspace,
    pipeline,
    builtin: test.builtin,
    command: test.command,
    timeoutMs: options.runTimeoutMs,
  });
  sample.seconds = outcome.seconds;
  if (outcome.ok) sample.numbers = outcome.numbers;
  else sample.error = outcome.error;
  if (!server.alive) sample.error = `${sample.error ?? "ran"}; server exited during the run`;
  return sample;
}

function describeSample(sample: Sample): string {
  if (sample.numbers === null) return `error: ${sample.error}`;
  const n = sample.numbers;
  return `${Math.round(n.rps).toLocaleString("en-US")} rps, p50 ${n.p50Ms} ms, p99 ${n.p99Ms} ms (${sample.seconds.toFixed(1)} s)`;
}

async function throughputPhase(
  options: CompareOptions, selected: CompareTest[], specs: Record<ServerRole, ServerSpec>,
): Promise<{ rows: ThroughputRow[]; samples: Sample[]; notes: string[]; servers: ServerFacts }> {
  progress(`starting redis-server and memkeep; prefilling ${options.keyspace.toLocaleString("en-US")} keys`);
  const pair = await ServerPair.start(specs, options);
  const servers = await serverFacts(pair);
  const samples: Sample[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const order: ServerRole[] = round % 2 === 1 ? ["redis", "memkeep"] : ["memkeep", "redis"];
      for (const pipeline of options.pipelines) {
        for (const test of selected) {
          for (const role of order) {
            const sample = await runOne(pair, role, test, pipeline, round, options);
            samples.push(sample);
            progress(`[round ${round}/${options.rounds}] ${test.label} -P ${pipeline} ${role}: ${describeSample(sample)}`);
          }
        }
      }
    }
  } finally {
    await pair.stop();
  }
  const rows: ThroughputRow[] = [];
  for (const pipeline of options.pipelines) {
    for (const test of selected) {
      const of = (role: ServerRole) =>
        samples.filter((s) => s.role === role && s.testId === test.id && s.pipeline === pipeline);
      rows.push({
        label: test.label,
        pipeline,
        requests: requestsOf(test, options, pipeline),
        redis: summarize(of("redis")),
        memkeep: summarize(of("memkeep")),
      });
    }
  }
  return { rows, samples, notes: pair.notes, servers };
}

interface ServerFacts {
  redisArgv: string;
  memkeepArgv: string;
  memkeepShardWorkers: string;
}

async function serverFacts(pair: ServerPair): Promise<ServerFacts> {
  const display = (server: ServerProcess) =>
    server.argv
      .map((word) => (word === String(server.port) ? "<port>" : word === server.dir ? "<tmpdir>" : word))
      .map((word) => (word === process.execPath ? "bun" : shellQuote(word)))
      .join(" ");
  const reply = await pair.get("memkeep").query("CONFIG", "GET", "shard-workers");
  const workers = Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : "n/a (CONFIG GET shard-workers unanswered)";
  return { redisArgv: display(pair.get("redis")), memkeepArgv: display(pair.get("memkeep")), memkeepShardWorkers: workers };
}

/** Starts one server fresh, loads the keys, measures, stops it. Servers take turns, never overlap. */
async function memoryOf(spec: ServerSpec, options: CompareOptions): Promise<MemoryNumbers> {
  const numbers: MemoryNumbers = {
    dbsize: "n/a", rssEmptyBytes: null, rssLoadedBytes: null, usedMemoryBytes: null, loadSeconds: null, error: null,
  };
  const server = await startServer(spec);
  try {
    await Bun.sleep(500);
    numbers.rssEmptyBytes = server.rssBytes();
    const client = await server.connect();
    try {
      const load = await withTimeout(
        loadStrings(client, { count: options.memoryKeys, valueBytes: options.memoryValueBytes }),
        300_000,
        "memory load",
      );
      numbers.loadSeconds = load.seconds;
    } finally {
      client.close();
    }
    await Bun.sleep(1_000); // let lazy frees and background threads settle before reading RSS
    numbers.rssLoadedBytes = server.rssBytes();
    const dbsize = await server.query("DBSIZE");
    numbers.dbsize = replyText(dbsize);
    const info = await server.query("INFO", "memory");
    numbers.usedMemoryBytes = usedMemory(info);
    const problems = [
      dbsize instanceof RespError ? `DBSIZE: ${dbsize.message}` : null,
      info instanceof RespError ? `INFO memory: ${info.message}` : null,
      !(info instanceof RespError) && numbers.usedMemoryBytes === null ? "INFO memory has no used_memory" : null,
    ].filter((p): p is string => p !== null);
    if (problems.length > 0) numbers.error = problems.join("; ");
  } catch (error) {
    numbers.error = (error as Error).message;
    numbers.rssLoadedBytes ??= server.rssBytes();
  } finally {
    await stopServer(server);
  }
  return numbers;
}

function replyText(reply: RespValue): number | string {
  if (typeof reply === "number") return reply;
  if (reply instanceof RespError) return "error";
  return String(reply);
}

function usedMemory(reply: RespValue): number | null {
  if (typeof reply !== "string") return null;
  const match = /^used_memory:(\d+)\r?$/m.exec(reply);
  return match ? Number(match[1]) : null;
}

async function memoryPhase(options: CompareOptions, specs: Record<ServerRole, ServerSpec>): Promise<MemoryReport> {
  const servers = {} as Record<ServerRole, MemoryNumbers>;
  for (const role of roles) {
    progress(`memory phase: ${role}, loading ${options.memoryKeys.toLocaleString("en-US")} keys`);
    servers[role] = await memoryOf(specs[role], options);
    const n = servers[role];
    progress(`memory phase: ${role}: DBSIZE ${n.dbsize}, RSS ${n.rssLoadedBytes ?? "n/a"} B${n.error ? `, error: ${n.error}` : ""}`);
  }
  return { keys: options.memoryKeys, valueBytes: options.memoryValueBytes, servers };
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface Report {
  commandLine: string;
  machine: MachineInfo;
  options: CompareOptions;
  servers: ServerFacts | null;
  rows: ThroughputRow[];
  notes: string[];
  memory: MemoryReport | null;
}

function render(report: Report): string {
  const { machine, options } = report;
  const md = options.markdown;
  const table = md ? renderMarkdown : renderText;
  const out: string[] = [];
  out.push(md ? `### ${machine.date}: suite ${options.suite}, ${options.rounds} round(s)` : `memkeep vs redis-server, ${machine.date}`);
  out.push("");
  const facts = [
    `Command: ${md ? `\`${report.commandLine}\`` : report.commandLine}`,
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}`,
    `Versions: bun ${machine.bun}; redis-server ${machine.redisServer}; ${machine.redisBenchmark}; memkeep ${machine.memkeepRevision}`,
  ];
  if (report.servers) {
    facts.push(`redis: ${code(report.servers.redisArgv, md)}`);
    facts.push(`memkeep: ${code(report.servers.memkeepArgv, md)} (shard-workers: ${report.servers.memkeepShardWorkers})`);
    facts.push(
      `redis-benchmark -c ${options.clients} -r ${options.keyspace}, ${options.keyspace.toLocaleString("en-US")} keys prefilled; ` +
        `medians of ${options.rounds} alternating round(s); ratio = memkeep / redis`,
    );
    if (options.acl) facts.push(`as ACL user: redis-benchmark --user bench, both servers with \`user ${aclBenchUser.join(" ")}\``);
    if (options.tls) facts.push("over TLS: redis-benchmark --tls with client certificates, both servers on a tls-port with the same scripts/dev-certs.ts certificates");
  }
  out.push(...facts.map((f) => (md ? `- ${f}` : f)));
  if (report.rows.length > 0) {
    out.push("", table(throughputTable(report.rows)));
    const notes = [...throughputNotes(report.rows), ...report.notes];
    if (notes.length > 0) out.push("", ...notes.map((n) => `${md ? "- " : "note: "}${n}`));
  }
  if (report.memory) {
    out.push("", `Memory: ${report.memory.keys.toLocaleString("en-US")} keys of 16 bytes with ${report.memory.valueBytes}-byte values, each server started fresh`);
    out.push("", table(memoryTable(report.memory)));
    for (const role of roles) {
      const error = report.memory.servers[role].error;
      if (error) out.push("", `${md ? "- " : "note: "}${role} memory phase: ${error}`);
    }
  }
  return out.join("\n");
}

function code(text: string, markdown: boolean): string {
  return markdown ? `\`${text}\`` : text;
}

function selectTests(options: CompareOptions): CompareTest[] {
  const inSuite = tests.filter((t) => options.suite === "all" || t.suite === options.suite);
  if (options.filter === null) return inSuite;
  const unknown = options.filter.filter((id) => !tests.some((t) => t.id === id));
  if (unknown.length > 0) throw new Error(`--filter: unknown test(s) ${unknown.join(", ")}`);
  // An explicit filter may pick tests outside the chosen suite.
  return tests.filter((t) => options.filter!.includes(t.id));
}

async function stopEverything(): Promise<void> {
  for (const server of [...liveServers]) await stopServer(server);
  for (const proc of [...trackedProcesses]) await stopProcess(proc);
  if (tlsBench !== null) rmSync(tlsBench.dir, { recursive: true, force: true });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const selected = selectTests(options);
  if (options.tls) tlsBench = await prepareTls();
  const specs = serverSpecs(options);
  const report: Report = {
    commandLine: ["bun", "run", "bench:compare", ...args].map(shellQuote).join(" "),
    machine: machineInfo(repoDir),
    options,
    servers: null,
    rows: [],
    notes: [],
    memory: null,
  };
  let samples: Sample[] = [];
  if (selected.length > 0 && options.pipelines.length > 0) {
    const result = await throughputPhase(options, selected, specs);
    Object.assign(report, { rows: result.rows, notes: result.notes, servers: result.servers });
    samples = result.samples;
  }
  if (options.memory) report.memory = await memoryPhase(options, specs);
  console.log(render(report));
  if (options.jsonPath !== null) {
    mkdirSync(dirname(options.jsonPath), { recursive: true });
    writeFileSync(options.jsonPath, JSON.stringify({ ...report, options: { ...options, requests: [...options.requests] }, samples }, null, 2));
    progress(`raw samples: ${options.jsonPath}`);
  }
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    progress(`${signal}: stopping servers`);
    void stopEverything().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  progress(`bench:compare failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await stopEverything();
}
