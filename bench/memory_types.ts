// Memory of data-type datasets, memkeep against redis-server 7.0: `bun bench/memory_types.ts [names]`.
//
// For each dataset, each server is started fresh, its RSS and INFO used_memory are read, the dataset
// is loaded through pipelined commands, and both are read again after a short settle. The report
// gives the growth of each and the ratio memkeep / redis. Other types add their datasets to
// `datasets` below (name, description, and a generator of commands).
// Persistence is paired as bench:compare pairs it: --durability none (default) runs memkeep
// --durability none against redis-server --save '' --appendonly no; sync against appendonly yes
// with appendfsync always; async against everysec. A durable memkeep also holds its shard-log ring
// (log-buffer-bytes per shard worker, resident once writes have gone round it), which is in its RSS.
// Options: names of datasets to run (default: all); --durability MODE; --memkeep-args "..." passes
// memkeep arguments.

import { ServerProcess } from "./compare/server_process.ts";
import { encodeCommand, concatBytes } from "./compare/resp_client.ts";
import { resolve } from "node:path";

interface Dataset {
  name: string;
  what: string;
  /** Yields the commands that build the dataset. */
  commands: () => Generator<string[]>;
}

export const datasets: Dataset[] = [
  {
    name: "hash-1m-fields",
    what: "one hash of 1,000,000 fields (field:N -> value:N)",
    commands: function* () {
      for (let i = 0; i < 1_000_000; i += 100) {
        const cmd = ["HSET", "bighash"];
        for (let j = i; j < i + 100; j++) cmd.push(`field:${j}`, `value:${j}`);
        yield cmd;
      }
    },
  },
  {
    name: "hash-100k-small",
    what: "100,000 hashes of 10 fields each (hash:N, fN -> value-N)",
    commands: function* () {
      for (let i = 0; i < 100_000; i++) {
        const cmd = ["HSET", `hash:${i}`];
        for (let j = 0; j < 10; j++) cmd.push(`f${j}`, `value-${j}`);
        yield cmd;
      }
    },
  },
  {
    name: "set-1m-members",
    what: "one set of 1,000,000 members (member:N)",
    commands: function* () {
      for (let i = 0; i < 1_000_000; i += 100) {
        const cmd = ["SADD", "bigset"];
        for (let j = i; j < i + 100; j++) cmd.push(`member:${j}`);
        yield cmd;
      }
    },
  },
  {
    name: "list-100k-small",
    what: "100,000 lists of 3 elements each (list:N -> a-N b-N c-N)",
    commands: function* () {
      for (let i = 0; i < 100_000; i++) yield ["RPUSH", `list:${i}`, `a-${i}`, `b-${i}`, `c-${i}`];
    },
  },
  {
    name: "stream-1m-entries",
    what: "one stream of 1,000,000 entries (explicit IDs, fields: user u<N%1000>, n <N>)",
    commands: function* () {
      for (let i = 0; i < 1_000_000; i++) yield ["XADD", "bigstream", `${1_700_000_000_000 + (i >> 4)}-${i & 15}`, "user", `u${i % 1000}`, "n", String(i)];
    },
  },
  {
    name: "zset-1m-members",
    what: "one sorted set of 1,000,000 members (member:N with score N * 1.5)",
    commands: function* () {
      for (let i = 0; i < 1_000_000; i += 100) {
        const cmd = ["ZADD", "bigzset"];
        for (let j = i; j < i + 100; j++) cmd.push(String(j * 1.5), `member:${j}`);
        yield cmd;
      }
    },
  },
  {
    name: "zset-100k-small",
    what: "100,000 sorted sets of 10 members each (zset:N, mJ -> score J)",
    commands: function* () {
      for (let i = 0; i < 100_000; i++) {
        const cmd = ["ZADD", `zset:${i}`];
        for (let j = 0; j < 10; j++) cmd.push(String(j), `m${j}`);
        yield cmd;
      }
    },
  },
  {
    name: "list-1m-elements",
    what: "one list of 1,000,000 elements (element:N)",
    commands: function* () {
      for (let i = 0; i < 1_000_000; i += 100) {
        const cmd = ["RPUSH", "biglist"];
        for (let j = i; j < i + 100; j++) cmd.push(`element:${j}`);
        yield cmd;
      }
    },
  },
];

const repoRoot = resolve(import.meta.dir, "..");

async function usedMemory(server: ServerProcess): Promise<number> {
  const info = String(await server.query("INFO", "memory"));
  const m = /used_memory:(\d+)/.exec(info);
  return m ? Number(m[1]) : NaN;
}

async function load(server: ServerProcess, ds: Dataset): Promise<void> {
  const client = await server.connect();
  try {
    let batch: Uint8Array[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const r = await client.pipeline(concatBytes(batch), batch.length, false);
      if (r.errorCount > 0) throw new Error(`${server.spec.role}: ${r.firstError}`);
      batch = [];
    };
    for (const cmd of ds.commands()) {
      batch.push(encodeCommand(cmd));
      if (batch.length >= 200) await flush();
    }
    await flush();
  } finally {
    client.close();
  }
}

interface Sample {
  rssBefore: number;
  rssAfter: number;
  usedBefore: number;
  usedAfter: number;
}

type Durability = "none" | "sync" | "async";

async function measure(role: "redis" | "memkeep", ds: Dataset, durability: Durability, memkeepArgs: string[]): Promise<Sample> {
  const aof = durability === "none" ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", durability === "sync" ? "always" : "everysec"];
  const server = await ServerProcess.start(role === "redis"
    ? { role, command: ["redis-server", "--save", "", ...aof], extraArgs: [], cwd: repoRoot }
    : { role, command: ["bun", "src/main.ts"], extraArgs: ["--durability", durability, ...memkeepArgs], cwd: repoRoot });
  try {
    await Bun.sleep(300);
    const rssBefore = server.rssBytes() ?? NaN;
    const usedBefore = await usedMemory(server);
    await load(server, ds);
    await Bun.sleep(1000);
    return { rssBefore, rssAfter: server.rssBytes() ?? NaN, usedBefore, usedAfter: await usedMemory(server) };
  } finally {
    await server.stop();
  }
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let memkeepArgs: string[] = [];
  let durability: Durability = "none";
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--memkeep-args") memkeepArgs = (args[++i] ?? "").split(" ").filter(Boolean);
    else if (args[i] === "--durability") {
      const v = args[++i];
      if (v !== "none" && v !== "sync" && v !== "async") throw new Error("--durability: none, sync or async");
      durability = v;
    } else names.push(args[i]!);
  }
  const chosen = names.length === 0 ? datasets : datasets.filter((d) => names.includes(d.name));
  const redisMode = durability === "none" ? "--appendonly no" : `--appendonly yes --appendfsync ${durability === "sync" ? "always" : "everysec"}`;
  console.log(`memkeep --durability ${durability} ${memkeepArgs.length > 0 ? memkeepArgs.join(" ") + " " : ""}against redis-server --save '' ${redisMode}\n`);
  console.log("| dataset | redis RSS growth | memkeep RSS growth | RSS ratio | redis used_memory growth | memkeep used_memory growth | used_memory ratio |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const ds of chosen) {
    const r = await measure("redis", ds, durability, memkeepArgs);
    const m = await measure("memkeep", ds, durability, memkeepArgs);
    const rr = r.rssAfter - r.rssBefore;
    const mr = m.rssAfter - m.rssBefore;
    const ru = r.usedAfter - r.usedBefore;
    const mu = m.usedAfter - m.usedBefore;
    console.log(`| ${ds.name}: ${ds.what} | ${mb(rr)} | ${mb(mr)} | ${(mr / rr).toFixed(2)}x | ${mb(ru)} | ${mb(mu)} | ${(mu / ru).toFixed(2)}x |`);
  }
}

await main();
