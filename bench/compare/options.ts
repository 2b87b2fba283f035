// Command-line options of bench/compare.ts. See bench/README.md for what each one is for.

import { join } from "node:path";

export type Suite = "core" | "types" | "all";

export interface CompareOptions {
  rounds: number;
  suite: Suite;
  filter: string[] | null;
  pipelines: number[];
  /** Requests per run by pipeline depth; a depth not listed gets base x min(depth, 10). */
  requests: Map<number, number>;
  requestsBase: number;
  clients: number;
  keyspace: number;
  memory: boolean;
  memoryKeys: number;
  memoryValueBytes: number;
  shardWorkers: number | null;
  memkeepCmd: string[] | null;
  memkeepArgs: string[];
  /** none: memkeep durability none vs redis without persistence; sync: vs appendfsync always; async: vs everysec. */
  durability: "none" | "sync" | "async";
  /** memkeep encryption-at-rest yes (durable runs). */
  encryption: boolean;
  runTimeoutMs: number;
  markdown: boolean;
  jsonPath: string | null;
  quick: boolean;
  /** Run redis-benchmark over TLS (tls-port, client certificates) against both servers. */
  tls: boolean;
  /** Run redis-benchmark as a restricted ACL user (both servers get the same `user` line). */
  acl: boolean;
  help: boolean;
}

export const usage = `Usage: bun run bench:compare [options]

Side-by-side redis-benchmark runs against redis-server and memkeep, in alternating rounds,
reporting medians; then a memory phase (1M x 16-byte keys with 100-byte values).

  --suite core|types|all   core: SET GET INCR MSET (default); types: data-type commands
  --filter set,get         only these tests (ids: set get incr mset lpush lpop sadd hset zadd
                           zrange zrank geosearch xadd pfadd)
  --pipelines 1,16         pipeline depths (-P), default 1,16
  --rounds N               rounds, alternating which server goes first (default 3)
  --requests N | P=N,...   requests per run at -P 1 (default 200000; deeper pipelines get
                           N x min(P, 10), e.g. 2000000 at -P 16), or explicit per depth
  --clients N              -c (default 50)
  --keyspace N             -r (default 100000); the core keyspace is prefilled before the runs
  --memory | --no-memory   memory phase on or off (default on)
  --memory-keys N          keys loaded in the memory phase (default 1000000)
  --shard-workers W        passed to memkeep (default: the server's own default)
  --memkeep-cmd "CMD"      memkeep command prefix (default: "bun src/main.ts"); the runner
                           appends --port P --dir D [--shard-workers W] [memkeep-args]
  --memkeep-args "ARGS"    extra memkeep arguments
  --durability MODE        none (default): memkeep durability none vs redis-server without
                           persistence; sync: memkeep durability sync vs redis-server appendonly
                           yes appendfsync always; async: vs appendfsync everysec
  --encryption             memkeep with encryption-at-rest yes (with --durability sync|async)
  --run-timeout S          kill a redis-benchmark run after S seconds (default 120)
  --markdown               print Markdown for bench/RESULTS.md (command, date, machine, versions)
  --json PATH              where raw samples go (default bench/out/compare-<date>.json; "-" for none)
  --quick                  smoke run: 1 round, 10x fewer requests, 100000 keys in the memory phase
  --acl                    redis-benchmark authenticates as a restricted ACL user on both servers
                           (user bench on >bench ~* &* +@all -@dangerous): the permission check
                           runs on every command
  --tls                    benchmark over TLS: both servers get a tls-port with certificates from
                           scripts/dev-certs.ts (client certificates required), and redis-benchmark
                           runs with --tls --cacert --cert --key
  --help`;

export function parseOptions(argv: readonly string[]): CompareOptions {
  const options: CompareOptions = {
    rounds: 3,
    suite: "core",
    filter: null,
    pipelines: [1, 16],
    requests: new Map(),
    requestsBase: 200_000,
    clients: 50,
    keyspace: 100_000,
    memory: true,
    memoryKeys: 1_000_000,
    memoryValueBytes: 100,
    shardWorkers: null,
    memkeepCmd: null,
    memkeepArgs: [],
    durability: "none",
    encryption: false,
    runTimeoutMs: 120_000,
    markdown: false,
    jsonPath: defaultJsonPath(),
    quick: false,
    tls: false,
    acl: false,
    help: false,
  };
  const explicit = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    explicit.add(flag);
    switch (flag) {
      case "--rounds": options.rounds = positiveInt(flag, value()); break;
      case "--suite": options.suite = suiteOf(value()); break;
      case "--filter": options.filter = value().split(",").map((s) => s.trim().toLowerCase()).filter(Boolean); break;
      case "--pipelines": options.pipelines = value().split(",").map((s) => positiveInt(flag, s)); break;
      case "--requests": parseRequests(options, value()); break;
      case "--clients": options.clients = positiveInt(flag, value()); break;
      case "--keyspace": options.keyspace = positiveInt(flag, value()); break;
      case "--memory": options.memory = true; break;
      case "--no-memory": options.memory = false; break;
      case "--memory-keys": options.memoryKeys = positiveInt(flag, value()); break;
      case "--shard-workers": options.shardWorkers = positiveInt(flag, value()); break;
      case "--memkeep-cmd": options.memkeepCmd = splitWords(value()); break;
      case "--memkeep-args": options.memkeepArgs = splitWords(value()); break;
      case "--durability": {
        const v = value();
        if (v !== "none" && v !== "sync" && v !== "async") throw new Error("--durability: none, sync or async");
        options.durability = v;
        break;
      }
      case "--encryption": options.encryption = true; break;
      case "--run-timeout": options.runTimeoutMs = positiveInt(flag, value()) * 1000; break;
      case "--markdown": options.markdown = true; break;
      case "--json": { const v = value(); options.jsonPath = v === "-" ? null : v; break; }
      case "--quick": options.quick = true; break;
      case "--tls": options.tls = true; break;
      case "--acl": options.acl = true; break;
      case "--help": case "-h": options.help = true; break;
      default: throw new Error(`unknown option ${flag}\n\n${usage}`);
    }
  }
  if (options.quick) {
    if (!explicit.has("--rounds")) options.rounds = 1;
    if (!explicit.has("--requests")) options.requestsBase = 20_000;
    if (!explicit.has("--memory-keys")) options.memoryKeys = 100_000;
  }
  if (options.memkeepCmd !== null && options.memkeepCmd.length === 0) throw new Error("--memkeep-cmd is empty");
  return options;
}

function defaultJsonPath(): string {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return join(import.meta.dir, "..", "out", `compare-${stamp}.json`);
}

/** Requests for one run of a test at a pipeline depth, before the test's own scale. */
export function requestsFor(options: CompareOptions, pipeline: number): number {
  return options.requests.get(pipeline) ?? options.requestsBase * Math.min(pipeline, 10);
}

function parseRequests(options: CompareOptions, text: string): void {
  if (!text.includes("=")) {
    options.requestsBase = positiveInt("--requests", text);
    return;
  }
  for (const part of text.split(",")) {
    const [depth, count] = part.split("=");
    if (depth === undefined || count === undefined) throw new Error(`--requests: bad entry "${part}"`);
    options.requests.set(positiveInt("--requests", depth), positiveInt("--requests", count));
  }
}

function suiteOf(text: string): Suite {
  if (text === "core" || text === "types" || text === "all") return text;
  throw new Error(`--suite must be core, types or all, not "${text}"`);
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text.replaceAll("_", ""));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, not "${text}"`);
  return n;
}

/** Splits a command line into words with shell-like quoting: 'single', "double", backslash. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new Error(`unbalanced quote in "${text}"`);
  if (inWord) words.push(current);
  return words;
}

/** Quotes a word for display in a copy-pasteable command line. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_\-.,/=:@+]+$/.test(word) || /^<[a-z]+>$/.test(word)) return word;
  if (word.includes("'") && !/["$`\\!]/.test(word)) return `"${word}"`;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
