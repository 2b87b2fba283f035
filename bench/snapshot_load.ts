// Snapshot under load: write latency during a snapshot, and RSS growth, memkeep against
// redis-server 7.0 side by side: `bun run bench:snapshot [options]` (`--help` lists them).
//
// Both servers run at once, each on a free loopback port in a fresh temp dir, with durable writes:
// memkeep `--durability sync` (default shard workers), redis `--appendonly yes --appendfsync always`.
// Automatic snapshots are off on both (memkeep `--snapshot-log-bytes 0 --snapshot-interval-seconds 0`,
// redis `--save '' --auto-aof-rewrite-percentage 0`), so the only snapshot is the BGSAVE we send.
// Each is loaded with --keys keys (`key:%012d`, 100-byte values of random letters and digits, so
// that redis's LZF compression of RDB strings gains nothing, as with real data; pipelined). Then,
// per round and server (odd rounds redis first, even rounds memkeep; the other server sits idle):
//
// 1. A steady write load starts: --clients connections, each with one SET in flight to a random key
//    of the keyspace (a random 100-byte value), paced to --rate writes/s in total (0: each client
//    sends its next SET as soon as the reply arrives). Every request's send time and latency (reply
//    arrival - send) are kept. The default rate, 5000/s, is about a third of what either server
//    sustains with fsync per write on this machine, so the before window is not saturated and a
//    rise during the snapshot is the snapshot's doing.
// 2. After a --warmup, a --window of "before"; then BGSAVE from a control connection, and INFO
//    persistence polled every 10 ms until rdb_bgsave_in_progress is 0 again; then a --window "after".
// 3. A sampler thread (this file run as a Worker) reads VmRSS from /proc/<pid>/status every 50 ms for
//    the server and every child process, and for a child also Private_Dirty from
//    /proc/<child>/smaps_rollup (for redis's fork: the pages copied on write, i.e. the memory the
//    snapshot really costs) and, for the server, VmRSS split into RssAnon/RssFile/RssShmem (raw
//    numbers only). Every 10 ms it also watches for the child to exit.
//
// Windows, by request send time: before = the --window up to BGSAVE; during = from BGSAVE sent to
// the snapshot's end; after = the --window from when INFO first showed it finished. The snapshot's
// end is, for redis, when the fork child exited (seen within 10 ms; redis itself notices only in its
// cron, up to 100 ms later); for memkeep, the INFO poll that showed rdb_bgsave_in_progress:0 and
// rdb_saves one higher than before (the flag is cleared as soon as the snapshotter thread is done,
// but also raised only after BGSAVE's reply, so alone it can read 0 too early). "snapshot ms" = end
// - BGSAVE sent.
//
// Reported per server, medians over --rounds: snapshot ms; write p50/p99/max in each window and
// p99 during/before (median of the per-round ratios); completed writes/s per window; RSS before
// (median of the before window's samples) and peak during (parent + child VmRSS, as `ps` would add
// them: the fork's shared pages count twice) and the growth in %; "real growth": peak of parent
// VmRSS + child Private_Dirty, the memory actually added (for memkeep, which does not fork, the
// same as the RSS growth). The issue 4 targets for memkeep are printed under the table: p99 during
// at most 2x before, RSS growth at most 10%. Raw numbers (per-round window stats, a 100 ms latency
// time series, every RSS sample, INFO fields) go to bench/out/snapshot-<date>.json.
//
// Latency is measured from the moment a request was written, not from when it was due, so a stall
// shows once per client (in max and the top percentiles), not as a backlog; the time series and
// the writes/s columns show the throughput dip. All clients, the pacing and the control connection
// share this process's main thread; the sampler has its own thread so /proc reads do not delay
// replies. bench/README.md ("Snapshot under load") says how to read the table.

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { shellQuote, splitWords } from "./compare/options.ts";
import { machineInfo, median, renderMarkdown, renderText, type MachineInfo } from "./compare/report.ts";
import { RespClient, RespError, withTimeout, type RespValue } from "./compare/resp_client.ts";
import { ServerProcess, stopProcess, trackedProcesses, type ServerRole, type ServerSpec } from "./compare/server_process.ts";

const repoDir = join(import.meta.dir, "..");
const rssEveryMs = 50;
const childTickMs = 10;
const infoPollMs = 10;
const seriesBucketMs = 100;
const snapshotTimeoutMs = 600_000;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  keys: number;
  valueBytes: number;
  rounds: number;
  clients: number;
  rate: number;
  warmupSeconds: number;
  windowSeconds: number;
  servers: ServerRole[];
  memkeepArgs: string[];
  /** The memkeep command; the runner appends `--port P --dir D`, its own settings, then memkeepArgs. */
  memkeepCmd: string[];
  markdown: boolean;
  jsonPath: string;
  help: boolean;
}

const usage = `Usage: bun run bench:snapshot [options]

  --keys N            keys loaded before the rounds (default 1000000)
  --value-bytes N     value size of the loaded keys and of the writes (default 100)
  --rounds N          rounds; each takes one snapshot of each server (default 3)
  --clients N         write connections, one SET in flight each (default 50)
  --rate N            writes per second over all clients; 0 = as fast as replies come (default 5000)
  --warmup S          seconds of load before the before window (default 1)
  --window S          seconds of the before and after windows (default 3)
  --servers LIST      memkeep,redis (default both)
  --memkeep-args "…"  more memkeep arguments (appended; e.g. "--shard-workers 2")
  --memkeep-cmd "…"   the memkeep command (default: bun src/main.ts), e.g. a patched copy elsewhere
  --markdown          print the table as markdown, with the command line
  --json PATH         raw numbers (default bench/out/snapshot-<date>.json)
  --help`;

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    keys: 1_000_000, valueBytes: 100, rounds: 3, clients: 50, rate: 5000, warmupSeconds: 1, windowSeconds: 3,
    servers: ["memkeep", "redis"], memkeepArgs: [], memkeepCmd: [process.execPath, "src/main.ts"], markdown: false, help: false,
    jsonPath: join(repoDir, "bench", "out", `snapshot-${new Date().toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-")}.json`),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--keys": o.keys = count(flag, value(), 1); break;
      case "--value-bytes": o.valueBytes = count(flag, value(), 1); break;
      case "--rounds": o.rounds = count(flag, value(), 1); break;
      case "--clients": o.clients = count(flag, value(), 1); break;
      case "--rate": o.rate = count(flag, value(), 0); break;
      case "--warmup": o.warmupSeconds = seconds(flag, value()); break;
      case "--window": o.windowSeconds = seconds(flag, value()); break;
      case "--servers": {
        const list = value().split(",").map((s) => s.trim()).filter((s) => s.length > 0);
        for (const s of list) if (s !== "memkeep" && s !== "redis") throw new Error(`--servers: unknown server ${s}`);
        if (list.length === 0) throw new Error("--servers: empty list");
        o.servers = list as ServerRole[];
        break;
      }
      case "--memkeep-args": o.memkeepArgs = splitWords(value()); break;
      case "--memkeep-cmd": o.memkeepCmd = splitWords(value()); break;
      case "--markdown": o.markdown = true; break;
      case "--json": o.jsonPath = value(); break;
      case "--help": case "-h": o.help = true; break;
      default: throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  return o;
}

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer >= ${min}, got ${text}`);
  return n;
}

function seconds(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected seconds > 0, got ${text}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Clock and /proc readers (used by both threads)

/** Wall-clock ms with sub-ms resolution, comparable between this thread and the sampler's. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function procField(path: string, re: RegExp): number | null {
  try {
    const m = re.exec(readFileSync(path, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const vmRssRe = /^VmRSS:\s+(\d+)\s+kB/m;
const rssAnonRe = /^RssAnon:\s+(\d+)\s+kB/m;
const rssFileRe = /^RssFile:\s+(\d+)\s+kB/m;
const rssShmemRe = /^RssShmem:\s+(\d+)\s+kB/m;

function readStatus(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
}
const privateDirtyRe = /^Private_Dirty:\s+(\d+)\s+kB/m;

/** Direct children of pid (from every thread's children list); exited-but-unreaped ones included. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const w of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ")) if (w.length > 0) out.push(Number(w));
    } catch {
      // thread gone
    }
  }
  return out;
}

/** True while pid runs; false once it exited (a zombie waiting for its parent, or gone). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Sampler thread

interface SamplerInit {
  pid: number;
  /** Int32 word 0: set to 1 to stop. */
  stop: SharedArrayBuffer;
}

interface RssSample {
  t: number;
  parentBytes: number;
  /** Sum of VmRSS of the running children (redis's BGSAVE fork). */
  childBytes: number;
  /** Sum of Private_Dirty of the running children. */
  childPrivateDirtyBytes: number;
  /** The server process's VmRSS split: anonymous (heaps), file-backed (code), shared memory. */
  parentAnonBytes: number;
  parentFileBytes: number;
  parentShmemBytes: number;
}

interface ChildSeen {
  pid: number;
  /** First tick that saw it running. */
  seenAt: number;
  /** First tick that saw it exited, or null if it outlived the sampler. */
  exitAt: number | null;
}

interface SamplerResult {
  samples: RssSample[];
  children: ChildSeen[];
}

function samplerThread(init: SamplerInit): SamplerResult {
  const stop = new Int32Array(init.stop);
  const samples: RssSample[] = [];
  const children = new Map<number, ChildSeen>();
  let nextRss = 0;
  while (Atomics.load(stop, 0) === 0) {
    const t = nowMs();
    const kids = childPids(init.pid);
    for (const pid of kids) if (!children.has(pid) && running(pid)) children.set(pid, { pid, seenAt: t, exitAt: null });
    for (const c of children.values()) if (c.exitAt === null && (!kids.includes(c.pid) || !running(c.pid))) c.exitAt = t;
    if (t >= nextRss) {
      nextRss = t + rssEveryMs;
      let childBytes = 0;
      let childPrivateDirtyBytes = 0;
      for (const c of children.values()) {
        if (c.exitAt !== null) continue;
        childBytes += procField(`/proc/${c.pid}/status`, vmRssRe) ?? 0;
        childPrivateDirtyBytes += procField(`/proc/${c.pid}/smaps_rollup`, privateDirtyRe) ?? 0;
      }
      const status = readStatus(init.pid);
      if (status !== null) {
        const kb = (re: RegExp) => Number(re.exec(status)?.[1] ?? 0) * 1024;
        samples.push({
          t, parentBytes: kb(vmRssRe), childBytes, childPrivateDirtyBytes,
          parentAnonBytes: kb(rssAnonRe), parentFileBytes: kb(rssFileRe), parentShmemBytes: kb(rssShmemRe),
        });
      }
    }
    Bun.sleepSync(childTickMs);
  }
  return { samples, children: [...children.values()] };
}

class Sampler {
  private readonly stopWord = new SharedArrayBuffer(4);
  private readonly worker = new Worker(import.meta.url);
  private readonly result: Promise<SamplerResult>;

  constructor(pid: number) {
    this.result = new Promise((resolve, reject) => {
      this.worker.onmessage = (e: MessageEvent) => resolve(e.data as SamplerResult);
      this.worker.onerror = (e) => reject(new Error(`sampler: ${e.message}`));
    });
    this.worker.postMessage({ pid, stop: this.stopWord } satisfies SamplerInit);
  }

  async finish(): Promise<SamplerResult> {
    Atomics.store(new Int32Array(this.stopWord), 0, 1);
    try {
      return await withTimeout(this.result, 10_000, "sampler");
    } finally {
      this.worker.terminate();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Write load

const keyDigits = 12;
const replyDecoder = new TextDecoder();
const valueAlphabet = new TextEncoder().encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

/** xorshift32: values that neither server can compress, cheaply. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = (seed | 0) || 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 2 ** 32) * n);
  }
  /** n random letters and digits into out at offset. */
  fill(out: Uint8Array, offset: number, n: number): void {
    for (let i = 0; i < n; i++) out[offset + i] = valueAlphabet[this.next() & 63]!;
  }
}

/** `key:` names carry 12 decimal digits, as in bench:compare (and redis-benchmark's __rand_int__). */
function writeKeyDigits(out: Uint8Array, at: number, value: number): void {
  let rest = value;
  for (let i = keyDigits - 1; i >= 0; i--) {
    out[at + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
}

/** Growable pair of columns: send time (absolute ms) and latency (ms) of each completed write. */
class Samples {
  sentAt = new Float64Array(1 << 16);
  latencyMs = new Float64Array(1 << 16);
  length = 0;

  push(sentAt: number, latencyMs: number): void {
    if (this.length === this.sentAt.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.sentAt = grow(this.sentAt);
      this.latencyMs = grow(this.latencyMs);
    }
    this.sentAt[this.length] = sentAt;
    this.latencyMs[this.length] = latencyMs;
    this.length++;
  }
}

/** One connection with one SET in flight; the request bytes are a template patched per key. */
class Writer {
  private socket: import("bun").Socket<undefined> | null = null;
  private readonly request: Uint8Array;
  private readonly keyAt: number;
  private readonly valueAt: number;
  private readonly valueBytes: number;
  private pending = 0;
  private sentAt = 0;
  private dueAt = 0;
  private reply = "";
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly load: WriteLoad, valueBytes: number) {
    const head = `*3\r\n$3\r\nSET\r\n$${4 + keyDigits}\r\nkey:`;
    this.request = new TextEncoder().encode(`${head}${"0".repeat(keyDigits)}\r\n$${valueBytes}\r\n${"w".repeat(valueBytes)}\r\n`);
    this.keyAt = head.length;
    this.valueAt = this.request.length - 2 - valueBytes;
    this.valueBytes = valueBytes;
  }

  async connect(port: number): Promise<void> {
    this.socket = await withTimeout(Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk: Uint8Array) => this.onData(chunk),
        close: () => this.load.fail("connection closed by server"),
        error: (_s, e) => this.load.fail(e.message),
      },
    }), 5_000, `connect to ${port}`);
  }

  /** Sends at dueAt (now if that has passed). */
  schedule(dueAt: number): void {
    this.dueAt = dueAt;
    const wait = dueAt - nowMs();
    if (wait > 0.5) this.timer = setTimeout(() => this.send(), wait);
    else this.send();
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.end();
  }

  get idle(): boolean {
    return this.pending === 0;
  }

  private send(): void {
    this.timer = null;
    if (!this.load.running || this.socket === null) return;
    writeKeyDigits(this.request, this.keyAt, this.load.random.below(this.load.keys));
    this.load.random.fill(this.request, this.valueAt, this.valueBytes);
    this.pending = 1;
    this.sentAt = nowMs();
    const n = this.socket.write(this.request);
    if (n !== this.request.length) this.load.fail(`short write (${n} of ${this.request.length} bytes)`);
  }

  private onData(chunk: Uint8Array): void {
    const t = nowMs();
    this.reply += replyDecoder.decode(chunk);
    if (!this.reply.endsWith("\r\n")) return;
    if (this.reply !== "+OK\r\n") this.load.fail(`unexpected reply ${JSON.stringify(this.reply.slice(0, 80))}`);
    this.reply = "";
    this.pending = 0;
    this.load.done(this.sentAt, t - this.sentAt, t - this.dueAt);
    if (this.load.running) this.schedule(this.load.interval === 0 ? t : this.dueAt + this.load.interval);
  }
}

class WriteLoad {
  readonly samples = new Samples();
  readonly random = new Random(Date.now());
  /** Latency from when each write was due (the pacing schedule), kept beside the measured one. */
  readonly dueLatencyMs: number[] = [];
  running = false;
  error: string | null = null;
  /** Per-client ms between writes; 0 for a closed loop. */
  readonly interval: number;
  private readonly writers: Writer[];

  constructor(readonly keys: number, clients: number, rate: number, valueBytes: number) {
    this.interval = rate === 0 ? 0 : (clients * 1000) / rate;
    this.writers = Array.from({ length: clients }, () => new Writer(this, valueBytes));
  }

  async start(port: number): Promise<void> {
    await Promise.all(this.writers.map((w) => w.connect(port)));
    this.running = true;
    const t0 = nowMs();
    // Staggered so the paced clients do not fire in one burst.
    this.writers.forEach((w, i) => w.schedule(t0 + (this.interval * i) / this.writers.length));
  }

  done(sentAt: number, latencyMs: number, dueLatencyMs: number): void {
    this.samples.push(sentAt, latencyMs);
    this.dueLatencyMs.push(dueLatencyMs);
  }

  fail(message: string): void {
    if (this.running && this.error === null) this.error = message;
  }

  /** Stops sending and waits (up to 10 s) for the writes in flight. */
  async stop(): Promise<void> {
    this.running = false;
    const deadline = nowMs() + 10_000;
    while (this.writers.some((w) => !w.idle) && nowMs() < deadline) await Bun.sleep(5);
    for (const w of this.writers) w.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

interface WindowStats {
  from: number;
  to: number;
  writes: number;
  writesPerSec: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  /** p99 of the latency from when each write was due (only differs from p99Ms with --rate). */
  dueP99Ms: number | null;
}

function quantile(sorted: Float64Array | number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function windowStats(load: WriteLoad, from: number, to: number): WindowStats {
  const lat: number[] = [];
  const due: number[] = [];
  const s = load.samples;
  for (let i = 0; i < s.length; i++) {
    const t = s.sentAt[i]!;
    if (t >= from && t < to) {
      lat.push(s.latencyMs[i]!);
      due.push(load.dueLatencyMs[i]!);
    }
  }
  const sorted = Float64Array.from(lat).sort();
  const dueSorted = Float64Array.from(due).sort();
  return {
    from, to, writes: lat.length, writesPerSec: to > from ? (lat.length * 1000) / (to - from) : 0,
    p50Ms: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), p99Ms: quantile(sorted, 0.99),
    p999Ms: quantile(sorted, 0.999), maxMs: quantile(sorted, 1), dueP99Ms: quantile(dueSorted, 0.99),
  };
}

/** [ms from BGSAVE, writes, p50, p99, max] per 100 ms bucket of send time. */
function latencySeries(load: WriteLoad, origin: number): number[][] {
  const buckets = new Map<number, number[]>();
  const s = load.samples;
  for (let i = 0; i < s.length; i++) {
    const b = Math.floor((s.sentAt[i]! - origin) / seriesBucketMs);
    let list = buckets.get(b);
    if (list === undefined) buckets.set(b, (list = []));
    list.push(s.latencyMs[i]!);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, list]) => {
    const sorted = Float64Array.from(list).sort();
    return [b * seriesBucketMs, list.length, round3(quantile(sorted, 0.5)!), round3(quantile(sorted, 0.99)!), round3(quantile(sorted, 1)!)];
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------------
// One snapshot under load

interface RoundResult {
  round: number;
  role: ServerRole;
  error: string | null;
  bgsaveReply: string;
  snapshotMs: number | null;
  /** Absolute ms: BGSAVE written, its reply, the snapshot's end, INFO first showing it done. */
  bgsaveSentAt: number;
  bgsaveReplyAt: number;
  snapshotEndAt: number;
  infoDoneAt: number;
  forkChildren: ChildSeen[];
  windows: { before: WindowStats; during: WindowStats; after: WindowStats };
  rss: {
    beforeBytes: number | null;
    /** Peak of parent VmRSS + children VmRSS during the snapshot. */
    peakSumBytes: number | null;
    /** Peak of parent VmRSS + children Private_Dirty during the snapshot. */
    peakRealBytes: number | null;
    afterBytes: number | null;
    growthPct: number | null;
    realGrowthPct: number | null;
  };
  snapshotFileBytes: number | null;
  infoAfter: Record<string, string>;
  rssSamples: RssSample[];
  series: number[][];
}

function infoFields(reply: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof reply !== "string") return out;
  for (const line of reply.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function info(client: RespClient, section: string): Promise<Record<string, string>> {
  const reply = await client.command("INFO", section);
  if (reply instanceof RespError) throw new Error(`INFO ${section}: ${reply.message}`);
  return infoFields(reply);
}

/** Waits until no snapshot, AOF rewrite or fork child runs (a leftover would spoil the round). */
async function waitQuiet(client: RespClient): Promise<void> {
  const deadline = nowMs() + snapshotTimeoutMs;
  for (;;) {
    const f = await info(client, "persistence");
    if (f.rdb_bgsave_in_progress !== "1" && f.aof_rewrite_in_progress !== "1" && f.aof_rewrite_scheduled !== "1") return;
    if (nowMs() > deadline) throw new Error("a snapshot or AOF rewrite is still running");
    await Bun.sleep(50);
  }
}

function snapshotFileBytes(role: ServerRole, dir: string): number | null {
  try {
    if (role === "redis") return statSync(join(dir, "dump.rdb")).size;
    let total = 0;
    for (const d of readdirSync(dir)) {
      if (!d.startsWith("shard-")) continue;
      for (const f of readdirSync(join(dir, d))) if (f.endsWith(".mks")) total += statSync(join(dir, d, f)).size;
    }
    return total;
  } catch {
    return null;
  }
}

function medianOf(samples: RssSample[], from: number, to: number, pick: (s: RssSample) => number): number | null {
  return median(samples.filter((s) => s.t >= from && s.t < to).map(pick));
}

function maxOf(samples: RssSample[], from: number, to: number, pick: (s: RssSample) => number): number | null {
  const v = samples.filter((s) => s.t >= from && s.t <= to).map(pick);
  return v.length === 0 ? null : Math.max(...v);
}

async function snapshotRound(server: ServerProcess, options: Options, round: number): Promise<RoundResult> {
  const control = await server.connect();
  const load = new WriteLoad(options.keys, options.clients, options.rate, options.valueBytes);
  let sampler: Sampler | null = null;
  try {
    await waitQuiet(control);
    sampler = new Sampler(server.pid);
    await load.start(server.port);
    await Bun.sleep((options.warmupSeconds + options.windowSeconds) * 1000);
    const persistenceBefore = await info(control, "persistence");
    const bgsaveSentAt = nowMs();
    const reply = await control.command("BGSAVE");
    const bgsaveReplyAt = nowMs();
    const bgsaveReply = reply instanceof RespError ? `-${reply.message}` : String(reply);
    let infoDoneAt = bgsaveReplyAt;
    let infoAfter: Record<string, string> = {};
    if (!(reply instanceof RespError)) {
      for (;;) {
        infoAfter = await info(control, "persistence");
        infoDoneAt = nowMs();
        // Done when no save runs and one more save is counted (memkeep sets its in-progress flag
        // after replying to BGSAVE, so the first polls may not show it yet), or it failed.
        const counted = infoAfter.rdb_saves !== persistenceBefore.rdb_saves;
        const saveFailed = infoAfter.rdb_last_bgsave_status !== "ok" && persistenceBefore.rdb_last_bgsave_status === "ok";
        if (infoAfter.rdb_bgsave_in_progress === "0" && (counted || saveFailed)) break;
        if (infoDoneAt - bgsaveSentAt > snapshotTimeoutMs) throw new Error("snapshot did not finish");
        await Bun.sleep(infoPollMs);
      }
    }
    await Bun.sleep(options.windowSeconds * 1000);
    await load.stop();
    const sampled = await sampler.finish();
    sampler = null;
    Object.assign(infoAfter, await info(control, "stats").then((s) => ({ latest_fork_usec: s.latest_fork_usec ?? "" })));
    const forkChildren = sampled.children.filter((c) => c.seenAt >= bgsaveSentAt - childTickMs);
    const childExit = forkChildren.map((c) => c.exitAt ?? infoDoneAt).reduce((a, b) => Math.max(a, b), 0);
    const snapshotEndAt = forkChildren.length > 0 ? Math.min(childExit, infoDoneAt) : infoDoneAt;
    const beforeFrom = bgsaveSentAt - options.windowSeconds * 1000;
    const windows = {
      before: windowStats(load, beforeFrom, bgsaveSentAt),
      during: windowStats(load, bgsaveSentAt, snapshotEndAt),
      after: windowStats(load, infoDoneAt, infoDoneAt + options.windowSeconds * 1000),
    };
    const samples = sampled.samples;
    const beforeBytes = medianOf(samples, beforeFrom, bgsaveSentAt, (s) => s.parentBytes + s.childBytes);
    const peakSumBytes = maxOf(samples, bgsaveSentAt, infoDoneAt, (s) => s.parentBytes + s.childBytes);
    const peakRealBytes = maxOf(samples, bgsaveSentAt, infoDoneAt, (s) => s.parentBytes + s.childPrivateDirtyBytes);
    const pct = (peak: number | null) => (peak === null || beforeBytes === null ? null : ((peak - beforeBytes) / beforeBytes) * 100);
    const failed = reply instanceof RespError ? `BGSAVE: ${reply.message}` : infoAfter.rdb_last_bgsave_status !== "ok" ? `rdb_last_bgsave_status:${infoAfter.rdb_last_bgsave_status}` : null;
    return {
      round, role: server.spec.role, error: load.error ?? failed, bgsaveReply,
      snapshotMs: failed === null ? snapshotEndAt - bgsaveSentAt : null,
      bgsaveSentAt, bgsaveReplyAt, snapshotEndAt, infoDoneAt, forkChildren, windows,
      rss: {
        beforeBytes, peakSumBytes, peakRealBytes,
        afterBytes: medianOf(samples, infoDoneAt, infoDoneAt + options.windowSeconds * 1000, (s) => s.parentBytes + s.childBytes),
        growthPct: pct(peakSumBytes), realGrowthPct: pct(peakRealBytes),
      },
      snapshotFileBytes: snapshotFileBytes(server.spec.role, server.dir),
      infoAfter, rssSamples: samples, series: latencySeries(load, bgsaveSentAt),
    };
  } finally {
    if (load.running) await load.stop();
    if (sampler !== null) await sampler.finish().catch(() => null);
    control.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Servers

function specs(options: Options): Record<ServerRole, ServerSpec> {
  return {
    redis: {
      role: "redis",
      command: ["redis-server", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
        "--auto-aof-rewrite-percentage", "0", "--bind", "127.0.0.1"],
      extraArgs: [],
      cwd: repoDir,
    },
    memkeep: {
      role: "memkeep",
      command: options.memkeepCmd,
      extraArgs: ["--durability", "sync", "--snapshot-log-bytes", "0", "--snapshot-interval-seconds", "0", ...options.memkeepArgs],
      cwd: repoDir,
    },
  };
}

const liveServers = new Set<ServerProcess>();

/**
 * SET key:%012d <random value> for 0..count-1, pipelined (batches of 10,000, 4 in flight). Values
 * are random letters and digits (a fixed seed, so both servers get the same data): redis compresses
 * RDB strings with LZF, and the repeated filler of bench:compare's loader would shrink its snapshot
 * to a fraction of what real data gives. memkeep does not compress snapshots.
 */
async function loadRandom(client: RespClient, count: number, valueBytes: number): Promise<void> {
  const random = new Random(0x5eed);
  const batchSize = 10_000;
  const inFlight: Promise<void>[] = [];
  const head = `*3\r\n$3\r\nSET\r\n$${4 + keyDigits}\r\nkey:`;
  const template = new TextEncoder().encode(`${head}${"0".repeat(keyDigits)}\r\n$${valueBytes}\r\n${"v".repeat(valueBytes)}\r\n`);
  const valueAt = template.length - 2 - valueBytes;
  for (let first = 0; first < count; first += batchSize) {
    const n = Math.min(batchSize, count - first);
    const out = new Uint8Array(template.length * n);
    for (let i = 0; i < n; i++) {
      const base = i * template.length;
      out.set(template, base);
      writeKeyDigits(out, base + head.length, first + i);
      random.fill(out, base + valueAt, valueBytes);
    }
    inFlight.push(client.pipeline(out, n, false).then((b) => {
      if (b.errorCount > 0) throw new Error(`SET failed ${b.errorCount} times: ${b.firstError}`);
    }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

async function startLoaded(spec: ServerSpec, options: Options): Promise<ServerProcess> {
  const server = await ServerProcess.start(spec);
  liveServers.add(server);
  const client = await server.connect();
  try {
    const t0 = nowMs();
    await withTimeout(loadRandom(client, options.keys, options.valueBytes), 600_000, "load");
    progress(`${spec.role}: loaded ${options.keys.toLocaleString("en-US")} keys in ${((nowMs() - t0) / 1000).toFixed(1)} s (pid ${server.pid}, port ${server.port})`);
    const dbsize = await client.command("DBSIZE");
    if (dbsize !== options.keys) throw new Error(`${spec.role}: DBSIZE ${JSON.stringify(dbsize)} after loading ${options.keys} keys`);
  } finally {
    client.close();
  }
  return server;
}

async function stopEverything(): Promise<void> {
  for (const server of [...liveServers]) {
    liveServers.delete(server);
    await server.stop();
  }
  for (const proc of [...trackedProcesses]) await stopProcess(proc);
}

// ---------------------------------------------------------------------------------------------
// Report

interface Summary {
  role: ServerRole;
  rounds: number;
  failed: number;
  snapshotMs: number | null;
  snapshotFileBytes: number | null;
  before: Record<"p50Ms" | "p99Ms" | "maxMs" | "writesPerSec", number | null>;
  during: Record<"p50Ms" | "p99Ms" | "maxMs" | "writesPerSec", number | null>;
  after: Record<"p50Ms" | "p99Ms" | "maxMs" | "writesPerSec", number | null>;
  p99Ratio: number | null;
  rssBeforeBytes: number | null;
  rssPeakSumBytes: number | null;
  rssGrowthPct: number | null;
  rssRealGrowthPct: number | null;
}

function summarize(role: ServerRole, results: RoundResult[]): Summary {
  const ok = results.filter((r) => r.role === role && r.error === null);
  const m = (pick: (r: RoundResult) => number | null) => median(ok.map(pick).filter((v): v is number => v !== null));
  const win = (w: "before" | "during" | "after") => ({
    p50Ms: m((r) => r.windows[w].p50Ms), p99Ms: m((r) => r.windows[w].p99Ms),
    maxMs: m((r) => r.windows[w].maxMs), writesPerSec: m((r) => r.windows[w].writesPerSec),
  });
  return {
    role, rounds: ok.length, failed: results.filter((r) => r.role === role).length - ok.length,
    snapshotMs: m((r) => r.snapshotMs),
    snapshotFileBytes: m((r) => r.snapshotFileBytes),
    before: win("before"), during: win("during"), after: win("after"),
    p99Ratio: m((r) => (r.windows.during.p99Ms !== null && r.windows.before.p99Ms ? r.windows.during.p99Ms / r.windows.before.p99Ms : null)),
    rssBeforeBytes: m((r) => r.rss.beforeBytes), rssPeakSumBytes: m((r) => r.rss.peakSumBytes),
    rssGrowthPct: m((r) => r.rss.growthPct), rssRealGrowthPct: m((r) => r.rss.realGrowthPct),
  };
}

const ms = (v: number | null) => (v === null ? "n/a" : v < 10 ? v.toFixed(2) : v.toFixed(0));
const mib = (v: number | null) => (v === null ? "n/a" : (v / 2 ** 20).toFixed(1));
const pctCell = (v: number | null) => (v === null ? "n/a" : `${v >= 0 ? "+" : ""}${v.toFixed(1)}%`);

function table(summaries: Summary[]): string[][] {
  const rows = [[
    "server", "snapshot ms", "file MiB", "p50 ms before/during", "p99 ms before/during/after", "p99 during/before",
    "max ms before/during", "writes/s before/during", "RSS MiB before", "RSS MiB peak", "RSS growth", "real growth",
  ]];
  for (const s of summaries) {
    rows.push([
      s.failed > 0 ? `${s.role} (${s.failed} failed)` : s.role,
      ms(s.snapshotMs),
      mib(s.snapshotFileBytes),
      `${ms(s.before.p50Ms)} / ${ms(s.during.p50Ms)}`,
      `${ms(s.before.p99Ms)} / ${ms(s.during.p99Ms)} / ${ms(s.after.p99Ms)}`,
      s.p99Ratio === null ? "n/a" : `${s.p99Ratio.toFixed(2)}x`,
      `${ms(s.before.maxMs)} / ${ms(s.during.maxMs)}`,
      `${s.before.writesPerSec?.toFixed(0) ?? "n/a"} / ${s.during.writesPerSec?.toFixed(0) ?? "n/a"}`,
      mib(s.rssBeforeBytes), mib(s.rssPeakSumBytes), pctCell(s.rssGrowthPct), pctCell(s.rssRealGrowthPct),
    ]);
  }
  return rows;
}

function verdict(s: Summary): string[] {
  if (s.p99Ratio === null || s.rssGrowthPct === null) return ["memkeep: no successful round, no verdict"];
  return [
    `memkeep p99 during/before ${s.p99Ratio.toFixed(2)}x (target <= 2x): ${s.p99Ratio <= 2 ? "met" : "NOT met"}`,
    `memkeep RSS growth ${pctCell(s.rssGrowthPct)} (target <= 10%): ${s.rssGrowthPct <= 10 ? "met" : "NOT met"}`,
  ];
}

interface Report {
  commandLine: string;
  machine: MachineInfo;
  options: Options;
  summaries: Summary[];
  results: RoundResult[];
}

function render(report: Report): string {
  const o = report.options;
  const lines = [
    `snapshot under load: ${o.keys.toLocaleString("en-US")} keys of ${o.valueBytes} B; ${o.clients} clients writing ` +
      `${o.rate === 0 ? "as fast as they can" : `${o.rate} SET/s`}; windows of ${o.windowSeconds} s; medians of ${o.rounds} round(s)`,
    `memkeep --durability sync${o.memkeepArgs.length > 0 ? ` ${o.memkeepArgs.join(" ")}` : ""} (BGSAVE: fuzzy snapshot thread); ` +
      `redis-server ${report.machine.redisServer.split(" ")[0]} --appendonly yes --appendfsync always (BGSAVE: fork)`,
    `${report.machine.cpus} CPUs, ${report.machine.cpuModel}, bun ${report.machine.bun}, memkeep ${report.machine.memkeepRevision}`,
    "",
  ];
  const t = table(report.summaries);
  if (o.markdown) lines.unshift("```sh", report.commandLine, "```", "");
  lines.push(o.markdown ? renderMarkdown(t) : renderText(t), "");
  const memkeep = report.summaries.find((s) => s.role === "memkeep");
  if (memkeep !== undefined) lines.push(...verdict(memkeep).map((l) => (o.markdown ? `- ${l}` : l)));
  for (const r of report.results) if (r.error !== null) lines.push(`round ${r.round} ${r.role}: ${r.error}`);
  return lines.join("\n");
}

function progress(line: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function describe(r: RoundResult): string {
  const w = r.windows;
  return `round ${r.round} ${r.role}: snapshot ${ms(r.snapshotMs)} ms; p99 ${ms(w.before.p99Ms)} -> ${ms(w.during.p99Ms)} -> ${ms(w.after.p99Ms)} ms` +
    ` (${w.before.writes}/${w.during.writes}/${w.after.writes} writes); max ${ms(w.during.maxMs)} ms;` +
    ` RSS ${mib(r.rss.beforeBytes)} -> ${mib(r.rss.peakSumBytes)} MiB (${pctCell(r.rss.growthPct)}, real ${pctCell(r.rss.realGrowthPct)})` +
    `${r.error !== null ? `; ERROR ${r.error}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const servers = {} as Record<ServerRole, ServerProcess>;
  const all = specs(options);
  // Loaded one after the other so the two loads do not compete; then both stay up for every round.
  for (const role of options.servers) {
    progress(`${role}: starting and loading ${options.keys.toLocaleString("en-US")} keys`);
    servers[role] = await startLoaded(all[role], options);
  }
  const results: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    // Odd rounds redis first, even rounds memkeep first, so drift in the machine hits both alike.
    const first: ServerRole = round % 2 === 1 ? "redis" : "memkeep";
    const order = [...options.servers.filter((r) => r === first), ...options.servers.filter((r) => r !== first)];
    for (const role of order) {
      await Bun.sleep(1000);
      progress(`round ${round}: ${role}`);
      const r = await snapshotRound(servers[role], options, round).catch((e: unknown) => failedRound(round, role, e));
      results.push(r);
      progress(describe(r));
    }
  }
  const report: Report = {
    commandLine: ["bun", "run", "bench:snapshot", ...args].map(shellQuote).join(" "),
    machine: machineInfo(repoDir),
    options,
    summaries: options.servers.map((role) => summarize(role, results)),
    results,
  };
  console.log(render(report));
  mkdirSync(dirname(options.jsonPath), { recursive: true });
  writeFileSync(options.jsonPath, JSON.stringify(report, null, 1));
  progress(`raw numbers: ${options.jsonPath}`);
  return results.some((r) => r.error !== null) ? 1 : 0;
}

function failedRound(round: number, role: ServerRole, e: unknown): RoundResult {
  const empty: WindowStats = { from: 0, to: 0, writes: 0, writesPerSec: 0, p50Ms: null, p90Ms: null, p99Ms: null, p999Ms: null, maxMs: null, dueP99Ms: null };
  return {
    round, role, error: (e as Error).message, bgsaveReply: "", snapshotMs: null, bgsaveSentAt: 0, bgsaveReplyAt: 0,
    snapshotEndAt: 0, infoDoneAt: 0, forkChildren: [], windows: { before: empty, during: empty, after: empty },
    rss: { beforeBytes: null, peakSumBytes: null, peakRealBytes: null, afterBytes: null, growthPct: null, realGrowthPct: null },
    snapshotFileBytes: null, infoAfter: {}, rssSamples: [], series: [],
  };
}

if (Bun.isMainThread) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      progress(`${signal}: stopping servers`);
      void stopEverything().finally(() => process.exit(130));
    });
  }
  try {
    process.exitCode = await main();
  } catch (error) {
    progress(`bench:snapshot failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    await stopEverything();
  }
} else {
  // The sampler thread: one init message, one result message.
  const thread = globalThis as unknown as Worker;
  thread.onmessage = (e: MessageEvent) => thread.postMessage(samplerThread(e.data as SamplerInit));
}
