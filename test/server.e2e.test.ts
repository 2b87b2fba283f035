// Server commands against redis-server 7.0: INFO, TIME, LASTSAVE, SHUTDOWN, CONFIG, SLOWLOG, COMMAND,
// CLUSTER and MEMORY STATS/DOCTOR. Deterministic replies are compared byte for byte; INFO is compared
// by structure (sections, field names and their order) and by the values memkeep can know exactly.
// Cross-worker behaviour (CONFIG SET seen by every worker, INFO counting keys of every shard, stats
// and slow log merged from every worker) runs on a memkeep with 3 shard workers.

import { closeAll, connectMany, expectSameOnFreshConnections } from "./helpers/reference_pair.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startMemkeep, startRedis } from "./helpers/servers.ts";
import { RespClient, type RespValue, escapeBytes, isRespError } from "./helpers/resp.ts";

let memkeep: ServerHandle | undefined;
let memkeep3: ServerHandle | undefined;
let redis: ServerHandle | undefined;

beforeAll(async () => {
  const started = await Promise.allSettled([startMemkeep(), startMemkeep({ shardWorkers: 3 }), startRedis()]);
  [memkeep, memkeep3, redis] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
  for (const s of started) if (s.status === "rejected") throw s.reason;
}, 60_000);

afterAll(async () => {
  await Promise.all([memkeep?.stop(), memkeep3?.stop(), redis?.stop()]);
}, 30_000);

/** Reply bytes as text, with HELLO's client id masked (ids differ between servers). */
function masked(reply: Uint8Array): string {
  return escapeBytes(reply, 100_000).replace(/(\$2\\r\\nid\\r\\n):\d+/, "$1:<id>");
}

/**
 * Runs `cmds` on a fresh connection to each server; every reply must be the same bytes. (Replies
 * whose order is a hash-table walk in Redis, CONFIG GET of several names or subcommand lists, are
 * compared elsewhere as sets.)
 */
function sameAsRedis(cmds: string[][], port = memkeep!.port): Promise<void> {
  return expectSameOnFreshConnections(redis!.port, port, cmds, masked);
}

async function once<T>(port: number, fn: (c: RespClient) => Promise<T>): Promise<T> {
  const c = await RespClient.connect(port, { readTimeoutMs: 5000 });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

type Sections = Map<string, [string, string][]>;

/** INFO text as sections of [field, value] in order. */
function parseInfo(text: string): Sections {
  const out: Sections = new Map();
  let cur: [string, string][] | null = null;
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) out.set(line.slice(2), (cur = []));
    else if (line !== "" && cur) {
      const i = line.indexOf(":");
      cur.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}

async function info(port: number, ...sections: string[]): Promise<Sections> {
  return parseInfo((await once(port, (c) => c.callParsed("INFO", ...sections))) as string);
}

function field(s: Sections, section: string, name: string): string | undefined {
  return s.get(section)?.find(([k]) => k === name)?.[1];
}

describe("server commands reply byte for byte as redis-server 7.0", () => {
  test("HELP texts of CONFIG, SLOWLOG and COMMAND", async () => {
    await sameAsRedis([["CONFIG", "HELP"], ["SLOWLOG", "HELP"], ["COMMAND", "HELP"], ["config", "help", "x"]]);
  });

  test("CONFIG GET/SET/RESETSTAT argument errors and plain replies", async () => {
    await sameAsRedis([
      ["CONFIG"], ["CONFIG", "GET"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "GET", "nosuchsetting"],
      ["CONFIG", "GET", "MAXMEMORY-POLICY"], ["CONFIG", "SET", "maxmemory"], ["CONFIG", "SET", "maxmemory", "1", "hz"],
      ["CONFIG", "SET", "maxmemory", "abc"], ["CONFIG", "SET", "nosuch", "abc"], ["CONFIG", "SET", "databases", "4"],
      ["CONFIG", "SET", "hz", "10"], ["CONFIG", "SET", "hz", "10", "hz", "11"], ["CONFIG", "RESETSTAT", "x"], ["CONFIG", "FOO"],
      ["HELLO", "3"], ["CONFIG", "GET", "hz"], ["CONFIG", "GET", "nosuch"],
    ]);
  });

  test("SLOWLOG argument errors, TIME/LASTSAVE arity, INFO of an unknown section", async () => {
    await sameAsRedis([
      ["SLOWLOG", "GET", "x"], ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "1", "2"], ["SLOWLOG", "LEN", "x"],
      ["SLOWLOG", "RESET", "x"], ["SLOWLOG"], ["SLOWLOG", "GET", "0"], ["TIME", "x"], ["LASTSAVE", "x"],
      ["INFO", "nosuchsection"], ["INFO", "nosuch", "other"], ["HELLO", "3"], ["INFO", "nosuchsection"],
    ]);
  });

  test("COMMAND GETKEYS / GETKEYSANDFLAGS / LIST / INFO / DOCS / COUNT edge cases", async () => {
    await sameAsRedis([
      ["COMMAND", "GETKEYS"], ["COMMAND", "GETKEYS", "get"], ["COMMAND", "GETKEYS", "get", "a"], ["COMMAND", "GETKEYS", "nosuch", "a"],
      ["COMMAND", "GETKEYS", "ping"], ["COMMAND", "GETKEYS", "ping", "x"], ["COMMAND", "GETKEYS", "mset", "a", "b", "c", "d"],
      ["COMMAND", "GETKEYS", "mset", "a", "b", "c"], ["COMMAND", "GETKEYS", "config", "get", "x"], ["COMMAND", "GETKEYS", "get", "a", "b"],
      ["COMMAND", "GETKEYS", "config", "nosuch", "x"], ["COMMAND", "GETKEYS", "del", "a", "b", "c"], ["COMMAND", "GETKEYS", "GET", "k"],
      ["COMMAND", "GETKEYSANDFLAGS", "mset", "a", "b"], ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"],
      ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "get"], ["COMMAND", "GETKEYSANDFLAGS", "get", "a"],
      ["COMMAND", "GETKEYSANDFLAGS", "del", "a", "b"], ["COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"],
      ["COMMAND", "LIST", "FILTERBY", "FOO", "x"], ["COMMAND", "LIST", "FILTERBY"], ["COMMAND", "LIST", "x"],
      ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"], ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
      ["COMMAND", "INFO", "nosuch"], ["COMMAND", "INFO", "nosuch", "get"], ["COMMAND", "INFO", "GET", "Client|List", "config|get"],
      ["COMMAND", "DOCS", "nosuch"], ["COMMAND", "COUNT", "x"], ["COMMAND", "FOO"],
      ["HELLO", "3"], ["COMMAND", "INFO", "get", "nosuch", "config|get"], ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"],
    ]);
  });

  test("CLUSTER without cluster mode, SHUTDOWN argument errors, MEMORY DOCTOR on an empty instance", async () => {
    await sameAsRedis([
      ["CLUSTER", "KEYSLOT", "x"], ["CLUSTER", "INFO"], ["CLUSTER", "MYID"], ["CLUSTER", "HELP"], ["CLUSTER", "FOO"], ["CLUSTER"],
      ["CLUSTER", "KEYSLOT"], ["SHUTDOWN", "ABORT"], ["SHUTDOWN", "foo"], ["SHUTDOWN", "SAVE", "NOSAVE"], ["SHUTDOWN", "ABORT", "NOW"],
      ["MEMORY", "DOCTOR"], ["MEMORY", "DOCTOR", "x"], ["MEMORY", "STATS", "x"],
    ]);
  });
});

describe("COMMAND", () => {
  test("COMMAND with no subcommand lists every command (COMMAND COUNT of them)", async () => {
    await once(memkeep!.port, async (c) => {
      const all = (await c.callParsed("COMMAND")) as RespValue[];
      expect(Array.isArray(all)).toBe(true);
      expect(all.length).toBe((await c.callParsed("COMMAND", "COUNT")) as number);
    });
  });

  test("COMMAND LIST FILTERBY PATTERN and ACLCAT select the same names as 7.0 among memkeep's commands", async () => {
    const ourNames = (await once(memkeep!.port, (c) => c.callParsed("COMMAND", "LIST"))) as string[];
    const theirNames = new Set((await once(redis!.port, (c) => c.callParsed("COMMAND", "LIST"))) as string[]);
    const inBoth = new Set(ourNames.filter((n) => theirNames.has(n)));
    for (const filter of [["PATTERN", "cl*"], ["PATTERN", "CONFIG*"], ["ACLCAT", "connection"], ["ACLCAT", "Admin"], ["PATTERN", "*|help"]]) {
      const ours = (await once(memkeep!.port, (c) => c.callParsed("COMMAND", "LIST", "FILTERBY", ...filter))) as string[];
      const theirs = (await once(redis!.port, (c) => c.callParsed("COMMAND", "LIST", "FILTERBY", ...filter))) as string[];
      const both = (names: string[]) => names.filter((n) => inBoth.has(n)).sort();
      expect(both(ours)).toEqual(both(theirs));
    }
  });

  test("COMMAND DOCS matches 7.0 in since, group, complexity, history and deprecation for every command", async () => {
    // Known, accepted difference: summaries and argument names come from newer command facts.
    const names = (await once(memkeep!.port, (c) => c.callParsed("COMMAND", "LIST"))) as string[];
    const problems: string[] = [];
    const toObj = (arr: RespValue[]) => {
      const o: Record<string, RespValue> = {};
      for (let i = 0; i < arr.length; i += 2) o[arr[i] as string] = arr[i + 1];
      return o;
    };
    const a = await RespClient.connect(redis!.port);
    const b = await RespClient.connect(memkeep!.port);
    try {
      for (const n of names) {
        const theirs = (await a.callParsed("COMMAND", "DOCS", n)) as RespValue[];
        const ours = (await b.callParsed("COMMAND", "DOCS", n)) as RespValue[];
        expect(ours.length).toBe(2);
        if (theirs.length === 0) continue; // a 7.2 addition
        const t = toObj(theirs[1] as RespValue[]);
        const o = toObj(ours[1] as RespValue[]);
        for (const k of ["since", "group", "complexity", "history", "doc_flags", "deprecated_since", "replaced_by"]) {
          if (JSON.stringify(t[k]) !== JSON.stringify(o[k])) problems.push(`${n}.${k}: ${JSON.stringify(o[k])} vs 7.0 ${JSON.stringify(t[k])}`);
        }
        if (typeof o.summary !== "string" || o.summary === "") problems.push(`${n}: no summary`);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(problems).toEqual([]);
  }, 30_000);
});

describe("INFO", () => {
  const headers = async (port: number, ...args: string[]) => [...(await info(port, ...args)).keys()];

  test("section selection (default, all, everything, names in any case) matches 7.0", async () => {
    for (const args of [[], ["default"], ["all"], ["everything"], ["all", "default"], ["commandstats", "default"], ["server"],
      ["CPU", "keyspace"], ["modules"], ["module_list"], ["Cluster", "nosuch"], ["errorstats", "latencystats", "commandstats"]]) {
      expect(`${args.join(" ")} -> ${(await headers(memkeep!.port, ...args)).join(",")}`).toBe(
        `${args.join(" ")} -> ${(await headers(redis!.port, ...args)).join(",")}`,
      );
    }
  });

  // memkeep's additions: memkeep_version, and in Stats acl_access_denied_auth (7.2's name) and
  // rejected_connections_cidr (allow-cidr), last in their section.
  const memkeepOnly = new Set(["memkeep_version", "acl_access_denied_auth", "rejected_connections_cidr", "durability",
    "log_group_commits", "log_bytes_written", "log_last_sync_usec", "log_bytes_since_snapshot", "log_durable_lsn"]);
  test("every fixed section has 7.0's fields in 7.0's order (plus memkeep's own)", async () => {
    const ours = await info(memkeep!.port, "everything");
    const theirs = await info(redis!.port, "everything");
    for (const section of ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Cluster"]) {
      // acl_access_denied_* are 7.2's ACL counters (src/acl/state.ts), kept on purpose.
      const names = ours.get(section)!.map(([k]) => k).filter((k) => !memkeepOnly.has(k) && !k.startsWith("acl_access_denied_"));
      expect(`${section}: ${names.join(" ")}`).toBe(`${section}: ${theirs.get(section)!.map(([k]) => k).join(" ")}`);
    }
    expect(field(ours, "Server", "memkeep_version")).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("values memkeep knows exactly", async () => {
    const s = await info(memkeep!.port, "everything");
    expect(field(s, "Server", "redis_version")).toBe("7.0.15");
    expect(field(s, "Server", "redis_mode")).toBe("standalone");
    expect(field(s, "Server", "tcp_port")).toBe(String(memkeep!.port));
    expect(field(s, "Server", "process_id")).toBe(String(memkeep!.pid));
    expect(field(s, "Server", "run_id")).toMatch(/^[0-9a-f]{40}$/);
    expect(field(s, "Server", "hz")).toBe("10");
    expect(field(s, "Replication", "role")).toBe("master");
    expect(field(s, "Replication", "master_replid")).toMatch(/^[0-9a-f]{40}$/);
    expect(field(s, "Memory", "maxmemory_policy")).toBe("noeviction");
    expect(Number(field(s, "Memory", "used_memory"))).toBeGreaterThan(0);
    expect(field(s, "Persistence", "loading")).toBe("0");
    expect(field(s, "Cluster", "cluster_enabled")).toBe("0");
    expect(Number(field(s, "Clients", "connected_clients"))).toBeGreaterThanOrEqual(1);
    expect(Number(field(s, "CPU", "used_cpu_user"))).toBeGreaterThan(0);
  });

  test("INFO is a verbatim string in RESP3, a bulk string in RESP2", async () => {
    await once(memkeep!.port, async (c) => {
      expect(new TextDecoder().decode((await c.call("INFO", "cluster")).subarray(0, 1))).toBe("$");
      await c.call("HELLO", "3");
      const r = new TextDecoder().decode(await c.call("INFO", "cluster"));
      expect(r).toBe("=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
    });
  });

  test("INFO keyspace counts keys and expires of every shard (3 shard workers), per db", async () => {
    const cs = await connectMany(memkeep3!.port, 6);
    try {
      await cs[0].call("FLUSHALL");
      for (let i = 0; i < 300; i++) {
        const c = cs[i % cs.length];
        if (i < 100) c.send("SET", `ks:${i}`, "v", "EX", "1000");
        else c.send("SET", `ks:${i}`, "v");
      }
      for (let i = 0; i < 300; i++) await cs[i % cs.length].readReply();
      await cs[1].call("SELECT", "2");
      await cs[1].call("SET", "other-db", "1");
      for (const c of cs) {
        const s = parseInfo((await c.callParsed("INFO", "keyspace")) as string);
        expect(s.get("Keyspace")).toEqual([["db0", "keys=300,expires=100,avg_ttl=0"], ["db2", "keys=1,expires=0,avg_ttl=0"]]);
      }
      await cs[0].call("FLUSHALL");
      expect(parseInfo((await cs[2].callParsed("INFO", "keyspace")) as string).get("Keyspace")).toEqual([]);
    } finally {
      await closeAll(cs);
    }
  });

  test("commandstats and errorstats add up every worker's calls; CONFIG RESETSTAT clears all of them", async () => {
    const cs = await connectMany(memkeep3!.port, 9);
    try {
      expect(await cs[0].callParsed("CONFIG", "RESETSTAT")).toBe("OK");
      for (const c of cs) {
        for (let i = 0; i < 3; i++) await c.call("GET", "stat-key");
        await c.call("GET"); // rejected: arity
        await c.call("SET", "stat-str", "abc");
        await c.call("INCR", "stat-str"); // failed: not an integer
      }
      for (const c of [cs[0], cs[4], cs[8]]) {
        const s = parseInfo((await c.callParsed("INFO", "commandstats", "errorstats")) as string);
        expect(field(s, "Commandstats", "cmdstat_get")).toMatch(/^calls=27,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=9,failed_calls=0$/);
        expect(field(s, "Commandstats", "cmdstat_incr")).toMatch(/^calls=9,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=9$/);
        expect(field(s, "Errorstats", "errorstat_ERR")).toBe("count=18");
      }
      expect(await cs[3].callParsed("CONFIG", "RESETSTAT")).toBe("OK");
      const after = parseInfo((await cs[5].callParsed("INFO", "commandstats", "errorstats", "stats")) as string);
      expect(field(after, "Commandstats", "cmdstat_get")).toBeUndefined();
      expect(after.get("Errorstats")).toEqual([]);
      expect(Number(field(after, "Stats", "total_commands_processed"))).toBeLessThan(5);
    } finally {
      await closeAll(cs);
    }
  });
});

describe("CONFIG across workers", () => {
  test("CONFIG SET on one connection is seen by CONFIG GET and INFO on every worker", async () => {
    const cs = await connectMany(memkeep3!.port, 12);
    try {
      expect(await cs[0].callParsed("CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lru")).toBe("OK");
      for (const c of cs) {
        expect(await c.callParsed("CONFIG", "GET", "maxmemory", "maxmemory-policy")).toEqual([
          "maxmemory", "10485760", "maxmemory-policy", "allkeys-lru",
        ]);
        const s = parseInfo((await c.callParsed("INFO", "memory")) as string);
        expect(field(s, "Memory", "maxmemory")).toBe("10485760");
      }
      // All or nothing: a bad second value leaves the first unchanged everywhere.
      const bad = await cs[5].callParsed("CONFIG", "SET", "maxmemory", "20mb", "maxmemory-policy", "nope");
      expect(isRespError(bad)).toBe(true);
      for (const c of cs) expect(await c.callParsed("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", "10485760"]);
    } finally {
      await cs[0].call("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction");
      await closeAll(cs);
    }
  });
});

describe("SLOWLOG across workers", () => {
  test("entries of every worker merge newest first, in 7.0's entry shape; LEN and RESET cover all", async () => {
    const cs = await connectMany(memkeep3!.port, 9);
    try {
      expect(await cs[0].callParsed("CONFIG", "SET", "slowlog-log-slower-than", "0")).toBe("OK");
      expect(await cs[0].callParsed("SLOWLOG", "RESET")).toBe("OK");
      for (let i = 0; i < cs.length; i++) {
        await cs[i].call("CLIENT", "SETNAME", `slow-${i}`);
        await cs[i].call("ECHO", `msg-${i}`);
      }
      const entries = (await cs[0].callParsed("SLOWLOG", "GET", "-1")) as RespValue[][];
      const ids = entries.map((e) => e[0] as number);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 0; i < cs.length; i++) {
        const e = entries.find((x) => JSON.stringify(x[3]) === JSON.stringify(["ECHO", `msg-${i}`]));
        expect(e).toBeDefined();
        expect(e![5]).toBe(`slow-${i}`);
        expect(e![4]).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(typeof e![1]).toBe("number");
        expect(typeof e![2]).toBe("number");
      }
      const maxBefore = Math.max(...ids);
      // The newest two: the GET -1 above (logged after it ran) and the one before it.
      const two = ((await cs[4].callParsed("SLOWLOG", "GET", "2")) as RespValue[][]).map((e) => e[0] as number);
      expect(two.length).toBe(2);
      expect(two[0]).toBeGreaterThan(two[1]);
      expect(two[1]).toBeGreaterThanOrEqual(maxBefore);
      expect(await cs[7].callParsed("SLOWLOG", "LEN")).toBeGreaterThanOrEqual(2 * cs.length);
      expect(await cs[2].callParsed("SLOWLOG", "RESET")).toBe("OK");
      const after = (await cs[6].callParsed("SLOWLOG", "GET", "-1")) as RespValue[][];
      for (const e of after) expect(e[0] as number).toBeGreaterThan(maxBefore);
    } finally {
      await cs[0].call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      await closeAll(cs);
    }
  });

  test("long arguments are cut as 7.0 cuts them", async () => {
    const long = "k".repeat(200);
    const argsOf = async (port: number) =>
      once(port, async (c) => {
        await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
        await c.call("SLOWLOG", "RESET");
        await c.call("SET", long, "v", "EX", "100");
        const e = (await c.callParsed("SLOWLOG", "GET", "-1")) as RespValue[][];
        await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
        return e.find((x) => (x[3] as string[])[0] === "SET")![3];
      });
    expect(await argsOf(memkeep!.port)).toEqual(await argsOf(redis!.port));
  });

  test("secrets of AUTH, HELLO AUTH and CONFIG SET requirepass are logged as (redacted)", async () => {
    const logged = async (port: number) =>
      once(port, async (c) => {
        await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
        await c.call("SLOWLOG", "RESET");
        await c.call("AUTH", "default", "guess");
        await c.call("AUTH", "alone");
        await c.call("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n");
        await c.call("CONFIG", "SET", "requirepass", "", "hz", "10");
        await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
        const e = (await c.callParsed("SLOWLOG", "GET", "-1")) as RespValue[][];
        return e.map((x) => x[3]).filter((a) => ["AUTH", "HELLO", "CONFIG"].includes((a as string[])[0])).reverse();
      });
    expect(await logged(memkeep!.port)).toEqual(await logged(redis!.port));
  });
});

describe("TIME, LASTSAVE, MEMORY STATS", () => {
  test("TIME is [seconds, microseconds] of now", async () => {
    const t = (await once(memkeep!.port, (c) => c.callParsed("TIME"))) as string[];
    expect(t.length).toBe(2);
    expect(Math.abs(Number(t[0]) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number(t[1])).toBeGreaterThanOrEqual(0);
    expect(Number(t[1])).toBeLessThan(1_000_000);
  });

  test("LASTSAVE is the process start (no snapshot yet), the same on every worker", async () => {
    const cs = await connectMany(memkeep3!.port, 6);
    try {
      const values = new Set<RespValue>();
      for (const c of cs) values.add(await c.callParsed("LASTSAVE"));
      expect(values.size).toBe(1);
      const v = [...values][0] as number;
      expect(v).toBeLessThanOrEqual(Date.now() / 1000);
      expect(v).toBeGreaterThan(Date.now() / 1000 - 600);
    } finally {
      await closeAll(cs);
    }
  });

  test("MEMORY STATS has 7.0's fields in 7.0's order", async () => {
    const keys = async (port: number) => {
      const r = (await once(port, (c) => c.callParsed("MEMORY", "STATS"))) as RespValue[];
      return r.filter((_, i) => i % 2 === 0);
    };
    expect(await keys(memkeep!.port)).toEqual(await keys(redis!.port));
  });
});

describe("SHUTDOWN", () => {
  for (const workers of [1, 3]) {
    test(`SHUTDOWN NOSAVE closes the connection and ends the process (${workers} shard workers)`, async () => {
      const s = await startMemkeep({ shardWorkers: workers });
      try {
        const c = await RespClient.connect(s.port);
        c.send("SHUTDOWN", "NOSAVE");
        await c.closed();
        expect(await Promise.race([s.exited, Bun.sleep(5000).then(() => "still running")])).toBe(0);
      } finally {
        await s.stop();
      }
    }, 30_000);
  }
});
