// Transactions against redis-server 7.0: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Deterministic sequences run on both servers and every reply must be the same bytes (RESP2 and
// RESP3): queueing errors and EXECABORT, runtime errors inside EXEC, SELECT and CLIENT REPLY inside
// a transaction, WATCH invalidated by another connection's write, FLUSHDB/FLUSHALL/SWAPDB, OOM and
// NOAUTH refusals, and seeded differential streams with MULTI/EXEC/WATCH mixed into string and key
// commands (test/differential/transactions_gen.ts). Then what only memkeep can show: WATCH across shard workers (the writer on
// another connection, so usually on another worker), transactions over keys on different shards
// never observed half-done by a concurrent reader, expiry and eviction of a watched key (Redis
// 7.0.15's answer there races with its own active-expire cycle), watched-key memory given back on
// disconnect, and ioredis's multi()/exec()/watch().

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { keyHashSlot } from "../native-free/crc16.ts";
import { type ServerHandle, defaultShardWorkers, startMemkeep, startRedis } from "./helpers/servers.ts";
import { RespClient, decodeReply, encodeCommand, escapeBytes } from "./helpers/resp.ts";
import { closeAll, connectMany } from "./helpers/reference_pair.ts";
import { runDifferential } from "./differential/harness.ts";
import "./differential/strings_gen.ts";
import "./differential/keys_gen.ts";
import "./differential/transactions_gen.ts";

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

/** Reply bytes as text, HELLO's client id masked (ids differ between servers). */
function masked(reply: Uint8Array): string {
  return escapeBytes(reply, 100_000).replace(/(\$2\\r\\nid\\r\\n):\d+/, "$1:<id>");
}

type Step = [conn: string, ...cmd: string[]] | ["sleep", string];

/** Runs steps ("A", "SET", "k", "v") on fresh named connections to `port`; returns the transcript. */
async function run(port: number, steps: Step[]): Promise<string[]> {
  const conns = new Map<string, RespClient>();
  const lines: string[] = [];
  try {
    for (const [who, ...cmd] of steps) {
      if (who === "sleep") {
        await Bun.sleep(Number(cmd[0]));
        continue;
      }
      let c = conns.get(who);
      if (!c) conns.set(who, (c = await RespClient.connect(port, { readTimeoutMs: 3000 })));
      lines.push(`${who} ${cmd.join(" ")} => ${masked(await c.call(...cmd))}`);
    }
  } finally {
    await closeAll([...conns.values()]);
  }
  return lines;
}

/** The same steps on memkeep and redis-server (each flushed first): transcripts must be equal. */
async function sameAsRedis(steps: Step[], port = memkeep!.port): Promise<void> {
  const all: Step[] = [["Z", "FLUSHALL"], ...steps];
  const [mine, theirs] = await Promise.all([run(port, all), run(redis!.port, all)]);
  expect(mine).toEqual(theirs);
}

/**
 * Sends cmds in one write on a raw socket and returns every byte received up to the reply of a
 * final ECHO (replies may be missing or an EXEC array short of elements: no frame parsing).
 */
async function rawExchange(port: number, cmds: string[][]): Promise<string> {
  const end = "$12\r\n__exchange__\r\n";
  let text = "";
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, data) {
        text += new TextDecoder("latin1").decode(data);
        if (text.endsWith(end)) done();
      },
    },
  });
  const all = [...cmds, ["CLIENT", "REPLY", "ON"], ["ECHO", "__exchange__"]];
  socket.write(new TextEncoder().encode(all.map((c) => new TextDecoder().decode(encodeCommand(c))).join("")));
  await Promise.race([finished, Bun.sleep(3000)]);
  socket.end();
  return escapeBytes(new TextEncoder().encode(text), 1_000_000);
}

/** Steps for one connection "A". */
const a = (...lines: string[]): Step[] => lines.map((l) => ["A", ...l.split(" ")] as Step);

describe("MULTI/EXEC/DISCARD reply byte for byte as redis-server 7.0", () => {
  test("errors: EXEC and DISCARD without MULTI, nested MULTI, WATCH inside MULTI, no-multi commands", async () => {
    await sameAsRedis(a(
      "EXEC", "DISCARD", "UNWATCH", "MULTI", "MULTI", "WATCH a", "SHUTDOWN", "EXEC", "EXEC",
      "MULTI", "MULTI", "SET a 1", "EXEC", "GET a",
      "MULTI", "WATCH a", "SET a 2", "EXEC", "GET a",
    ));
  });

  test("a command refused while queueing (unknown, arity, unknown subcommand) aborts EXEC with EXECABORT", async () => {
    await sameAsRedis(a(
      "MULTI", "SET a 1", "NOSUCHCMD x y", "INCR a", "EXEC", "GET a",
      "MULTI", "SET a", "EXEC", "EXISTS a",
      "MULTI", "CONFIG NOSUCH", "EXEC",
      "MULTI", "GET a", "EXEC x", "EXEC", "EXEC x", "DISCARD",
      "MULTI", "SET a 1", "DISCARD", "EXISTS a", "DISCARD x",
    ));
  });

  test("runtime errors are per-command replies; SELECT inside EXEC switches db for what follows", async () => {
    await sameAsRedis(a(
      "MULTI", "INCR a", "SET a x", "INCR a", "ZADD a 1 x", "SELECT 2", "SET z 1", "SELECT 99", "GET z", "EXEC",
      "GET z", "SELECT 2", "GET z", "SELECT 0", "MULTI", "EXEC", "GET a",
      "MULTI", "MSET a 1 b 2 c 3 d 4", "MGET a b c d", "DEL a b", "EXISTS a b c d", "EXEC",
    ));
  });

  test("RESP3: EXEC's array, nulls and maps inside it, and the null of an aborted EXEC", async () => {
    await sameAsRedis([
      ["A", "HELLO", "3"], ["A", "SET", "k", "1"], ["A", "WATCH", "k"],
      ["A", "MULTI"], ["A", "GET", "nokey"], ["A", "INCR", "k"], ["A", "CONFIG", "GET", "maxmemory"], ["A", "EXEC"],
      ["A", "WATCH", "k"], ["B", "SET", "k", "2"], ["A", "MULTI"], ["A", "GET", "k"], ["A", "EXEC"],
      ["A", "MULTI"], ["A", "EXEC"], ["A", "EXEC"],
    ]);
  });

  test("CLIENT REPLY: OFF and SKIP before and inside a transaction drop replies element by element", async () => {
    const cmds = [
      "SET a 1",
      "MULTI", "CLIENT REPLY OFF", "SET a 2", "CLIENT REPLY ON", "GET a", "EXEC",
      "MULTI", "CLIENT REPLY SKIP", "SET a 3", "GET a", "EXEC", "PING", "PING",
      "CLIENT REPLY OFF", "MULTI", "SET a 4", "CLIENT REPLY ON", "GET a", "EXEC", "PING",
      "MULTI", "SET a 5", "CLIENT REPLY SKIP", "EXEC", "PING",
      "MULTI", "CLIENT REPLY SKIP", "EXEC", "PING", "GET a",
      "MULTI", "CLIENT REPLY SKIP", "GET a", "EXEC", "GET a",
    ].map((l) => l.split(" "));
    const [mine, theirs] = await Promise.all([rawExchange(memkeep!.port, cmds), rawExchange(redis!.port, cmds)]);
    expect(theirs).toContain("__exchange__");
    expect(mine).toBe(theirs);
  });

  test("commands that answer asynchronously keep their place in EXEC's array (CONFIG SET, CLIENT)", async () => {
    await sameAsRedis(a(
      "MULTI", "SET a 1", "CONFIG SET maxmemory-policy allkeys-lru", "CONFIG GET maxmemory-policy",
      "CLIENT KILL ID 987654", "CLIENT GETNAME", "INCR a", "CONFIG SET maxmemory-policy noeviction", "EXEC",
    ));
  });

  test("blocking commands inside MULTI do not block: they answer their timeout at once", async () => {
    await sameAsRedis(a(
      "MULTI", "BZPOPMIN z1 0", "ZADD z2 1 m", "BZPOPMIN z2 0", "EXEC",
    ));
  });

  test("OOM: queueing is refused when memory is out, and EXEC of queued writes answers EXECABORT", async () => {
    const steps: Step[] = [
      ["A", "SET", "a", "1"],
      ["A", "MULTI"], ["A", "SET", "a", "2"], ["A", "GET", "a"],
      ["B", "CONFIG", "SET", "maxmemory", "1"],
      ["A", "EXEC"], ["A", "GET", "a"],
      ["A", "MULTI"], ["A", "GET", "a"], ["A", "DISCARD"],
      ["A", "MULTI"], ["A", "SET", "a", "3"], ["A", "EXEC"],
      ["B", "CONFIG", "SET", "maxmemory", "0"],
      ["A", "GET", "a"],
    ];
    await sameAsRedis(steps);
  });

  test("NOAUTH: EXEC from an unauthenticated client answers EXECABORT with the reason", async () => {
    const [m, r] = await Promise.all([startMemkeep(), startRedis()]);
    try {
      const steps: Step[] = [["Z", "CONFIG", "SET", "requirepass", "pw"], ["A", "MULTI"], ["A", "EXEC"], ["A", "EXEC", "x"], ["A", "DISCARD"], ["A", "AUTH", "pw"], ["A", "MULTI"], ["A", "PING"], ["A", "EXEC"]];
      const [mine, theirs] = await Promise.all([run(m.port, steps), run(r.port, steps)]);
      expect(mine).toEqual(theirs);
    } finally {
      await Promise.all([m.stop(), r.stop()]);
    }
  }, 30_000);
});

describe("seeded differential streams with transactions mixed in", () => {
  // String and key commands (no group whose replies need an exception or vary between servers:
  // inside EXEC's array they would be compared exactly) queued, refused and run inside EXEC.
  const groups = ["strings", "keys.delete", "keys.rename", "keys.db", "keys.errors", "transactions"];
  for (const [seed, pipeline] of [[11, false], [12, false], [13, true]] as const) {
    test(`seed ${seed}: 2000 commands${pipeline ? ", pipelined" : ""}, replies byte for byte`, async () => {
      const report = await runDifferential({
        seed, count: 2000, groups, memkeepPort: memkeep!.port, redisPort: redis!.port,
        ...(pipeline ? { pipeline: { batchMax: 32 } } : {}),
      });
      expect(report.commands).toBe(2000);
    }, 60_000);
  }
});

describe("WATCH replies byte for byte as redis-server 7.0", () => {
  test("another connection's write aborts EXEC (RESP2 *-1, RESP3 _); UNWATCH, DISCARD and EXEC unwatch", async () => {
    await sameAsRedis([
      ["A", "SET", "k", "1"], ["A", "WATCH", "k"], ["B", "SET", "k", "2"], ["A", "MULTI"], ["A", "INCR", "k"], ["A", "EXEC"],
      ["A", "GET", "k"],
      ["A", "WATCH", "k"], ["B", "SET", "k", "3"], ["A", "HELLO", "3"], ["A", "MULTI"], ["A", "EXEC"], ["A", "HELLO", "2"],
      ["A", "WATCH", "k"], ["A", "UNWATCH"], ["B", "SET", "k", "4"], ["A", "MULTI"], ["A", "INCR", "k"], ["A", "EXEC"],
      ["A", "WATCH", "k"], ["B", "SET", "k", "5"], ["A", "MULTI"], ["A", "DISCARD"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "k"], ["A", "MULTI"], ["A", "EXEC"], ["B", "SET", "k", "6"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "k", "k", "other"], ["B", "DEL", "other"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "k", "k", "other"], ["B", "SET", "other", "1"], ["A", "MULTI"], ["A", "EXEC"],
    ]);
  });

  test("a watcher's own write counts; a write to the same name in another db does not; RESET unwatches", async () => {
    await sameAsRedis([
      ["A", "WATCH", "k"], ["A", "SET", "k", "1"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "k"], ["B", "SELECT", "3"], ["B", "SET", "k", "1"], ["A", "MULTI"], ["A", "GET", "k"], ["A", "EXEC"],
      ["A", "SELECT", "3"], ["A", "WATCH", "k"], ["B", "SET", "k", "2"], ["A", "SELECT", "0"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "k"], ["A", "RESET"], ["B", "SET", "k", "3"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "MULTI"], ["A", "SET", "q", "1"], ["A", "RESET"], ["A", "EXEC"], ["A", "EXISTS", "q"],
    ]);
  });

  test("write commands of every kind dirty a watched key (DEL, EXPIRE, RENAME, INCR, APPEND, ZADD)", async () => {
    const steps: Step[] = [["A", "SET", "s", "1"], ["A", "ZADD", "z", "1", "m"]];
    for (const write of [["DEL", "s"], ["EXPIRE", "s", "100"], ["RENAME", "s", "t"], ["INCR", "s"], ["APPEND", "s", "x"], ["ZADD", "z", "2", "m"]]) {
      steps.push(["A", "SET", "s", "1"], ["A", "WATCH", "s", "z"], ["B", ...write], ["A", "MULTI"], ["A", "PING"], ["A", "EXEC"]);
    }
    steps.push(["A", "WATCH", "s", "z"], ["B", "GET", "s"], ["B", "ZSCORE", "z", "m"], ["A", "MULTI"], ["A", "PING"], ["A", "EXEC"]);
    await sameAsRedis(steps);
  });

  test("FLUSHDB, FLUSHALL and SWAPDB touch watchers of keys that existed; a key expired at WATCH time is no change", async () => {
    await sameAsRedis([
      ["A", "SET", "k", "1"], ["A", "WATCH", "k"], ["B", "FLUSHDB"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "nokey"], ["B", "FLUSHALL"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "SET", "k", "1"], ["A", "WATCH", "k"], ["B", "FLUSHALL"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "SET", "x", "1"], ["A", "WATCH", "x"], ["B", "SWAPDB", "0", "1"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "y"], ["B", "SELECT", "1"], ["B", "SET", "y", "1"], ["B", "SWAPDB", "0", "1"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "WATCH", "none"], ["B", "SWAPDB", "0", "1"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "SET", "e", "1", "PX", "30"], ["sleep", "80"], ["A", "WATCH", "e"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "SET", "e", "1", "PX", "30"], ["sleep", "80"], ["A", "WATCH", "e"], ["B", "SET", "e", "2"], ["A", "MULTI"], ["A", "EXEC"],
    ]);
  });
});

/** Keys whose slots fall on shards 0, 1 and 2 of a 3-worker memkeep. */
function keysOnShards(prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < 3; i++) {
    const k = `${prefix}${i}`;
    if (Math.floor((keyHashSlot(new TextEncoder().encode(k)) * 3) / 16384) === out.length) out.push(k);
  }
  return out;
}

async function usedMemory(c: RespClient): Promise<number> {
  const info = new TextDecoder().decode(await c.call("INFO", "memory"));
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

describe("memkeep: WATCH and EXEC across shard workers", () => {
  test("writers on every worker abort a watcher's EXEC; unrelated writes do not", async () => {
    const port = memkeep3!.port;
    const [watcher, ...writers] = await connectMany(port, 7);
    try {
      for (const [i, w] of writers.entries()) {
        for (const key of keysOnShards(`w${i}:`)) {
          expect(await watcher.callParsed("WATCH", key)).toBe("OK");
          expect(await w.callParsed("SET", `${key}:other`, "1")).toBe("OK");
          await watcher.call("MULTI");
          await watcher.call("GET", key);
          expect(await watcher.callParsed("EXEC")).toEqual([null]);
          expect(await watcher.callParsed("WATCH", key)).toBe("OK");
          expect(await w.callParsed("SET", key, String(i))).toBe("OK");
          await watcher.call("MULTI");
          await watcher.call("GET", key);
          expect(escapeBytes(await watcher.call("EXEC"))).toBe("*-1\\r\\n");
        }
      }
    } finally {
      await closeAll([watcher, ...writers]);
    }
  });

  test("MULTI; INCR a; INCR b; EXEC over keys on different shards is never seen half-done by MGET", async () => {
    const port = memkeep3!.port;
    const [k0, k1, k2] = keysOnShards("iso:");
    const clients = await connectMany(port, 6);
    const [writer1, writer2, ...readers] = clients;
    try {
      await writer1.call("DEL", k0, k1, k2);
      let stop = false;
      const torn: string[] = [];
      const write = async (c: RespClient) => {
        // Work between the INCRs widens the window a per-command lock would leave open.
        const pad = Array.from({ length: 20 }, (_, j) => ["SET", `{${k0}}pad${j}`, "x".repeat(2000)]);
        for (let i = 0; i < 400; i++) {
          const r = await c.pipeline([["MULTI"], ["INCR", k0], ...pad, ["INCR", k1], ...pad, ["INCR", k2], ["EXEC"]]);
          const exec = decodeReply(r[r.length - 1]);
          expect(Array.isArray(exec) && exec.length === 43).toBe(true);
        }
      };
      const read = async (c: RespClient) => {
        let reads = 0;
        while (!stop || reads < 50) {
          const v = (await c.callParsed("MGET", k0, k1, k2)) as (string | null)[];
          if (v[0] !== v[1] || v[1] !== v[2]) torn.push(JSON.stringify(v));
          reads++;
        }
        return reads;
      };
      const readers$ = readers.map(read);
      await Promise.all([write(writer1), write(writer2)]);
      stop = true;
      const reads = await Promise.all(readers$);
      expect(torn).toEqual([]);
      expect(reads.every((n) => n >= 50)).toBe(true);
      expect(await writer1.callParsed("MGET", k0, k1, k2)).toEqual(["800", "800", "800"]);
    } finally {
      await closeAll(clients);
    }
  }, 60_000);

  test("optimistic locking: concurrent WATCH/GET/MULTI/SET/EXEC increments never lose an update", async () => {
    const port = memkeep3!.port;
    const clients = await connectMany(port, 4);
    const key = "counter";
    try {
      await clients[0].call("SET", key, "0");
      await Promise.all(clients.map(async (c) => {
        for (let done = 0; done < 100; ) {
          await c.call("WATCH", key);
          const v = Number(await c.callParsed("GET", key));
          await c.call("MULTI");
          await c.call("SET", key, String(v + 1));
          const r = await c.callParsed("EXEC");
          if (r !== null) done++; // null: another client's SET came between WATCH and EXEC; retry
        }
      }));
      expect(await clients[0].callParsed("GET", key)).toBe("400");
    } finally {
      await closeAll(clients);
    }
  }, 60_000);
});

describe("memkeep: WATCH and deletions nobody asked for", () => {
  test("a watched key that expires after WATCH aborts EXEC, deleted by the active cycle or not", async () => {
    const lines = await run(memkeep!.port, [
      ["A", "SET", "e", "1", "PX", "50"], ["A", "WATCH", "e"], ["sleep", "100"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "SET", "e", "1", "PX", "50"], ["A", "WATCH", "e"], ["sleep", "400"], ["A", "EXISTS", "e"], ["A", "MULTI"], ["A", "EXEC"],
      ["A", "SET", "e", "1", "PX", "5000"], ["A", "WATCH", "e"], ["A", "MULTI"], ["A", "EXEC"],
    ]);
    expect(lines).toEqual([
      "A SET e 1 PX 50 => +OK\\r\\n", "A WATCH e => +OK\\r\\n", "A MULTI => +OK\\r\\n", "A EXEC => *-1\\r\\n",
      "A SET e 1 PX 50 => +OK\\r\\n", "A WATCH e => +OK\\r\\n", "A EXISTS e => :0\\r\\n", "A MULTI => +OK\\r\\n", "A EXEC => *-1\\r\\n",
      "A SET e 1 PX 5000 => +OK\\r\\n", "A WATCH e => +OK\\r\\n", "A MULTI => +OK\\r\\n", "A EXEC => *0\\r\\n",
    ]);
  });

  test("a watched key evicted by maxmemory aborts EXEC", async () => {
    const lines = await run(memkeep!.port, [
      ["A", "FLUSHALL"], ["A", "SET", "ev", "1"], ["A", "WATCH", "ev"],
      ["B", "CONFIG", "SET", "maxmemory-policy", "allkeys-random"], ["B", "CONFIG", "SET", "maxmemory", "1"],
      ["B", "CONFIG", "SET", "maxmemory", "0"], ["B", "CONFIG", "SET", "maxmemory-policy", "noeviction"],
      ["A", "EXISTS", "ev"], ["A", "MULTI"], ["A", "EXEC"],
    ]);
    expect(lines.slice(-3)).toEqual(["A EXISTS ev => :0\\r\\n", "A MULTI => +OK\\r\\n", "A EXEC => *-1\\r\\n"]);
  });

  test("watched-key memory is given back on UNWATCH, EXEC and disconnect", async () => {
    const c = await RespClient.connect(memkeep!.port);
    try {
      await c.call("FLUSHALL");
      const base = await usedMemory(c);
      const keys = Array.from({ length: 2000 }, (_, i) => `watched:${i}`);
      for (const how of ["UNWATCH", "EXEC", "close"]) {
        const w = await RespClient.connect(memkeep!.port);
        await w.call("WATCH", ...keys);
        expect(await usedMemory(c)).toBeGreaterThan(base + 2000 * 24);
        if (how === "UNWATCH") await w.call("UNWATCH");
        if (how === "EXEC") {
          await w.call("MULTI");
          await w.call("EXEC");
        }
        await w.close();
        for (let i = 0; i < 50 && (await usedMemory(c)) !== base; i++) await Bun.sleep(20);
        expect(await usedMemory(c)).toBe(base);
      }
    } finally {
      await c.close();
    }
  });
});

describe("ioredis multi() / exec() / watch()", () => {
  test("a pipeline transaction, a WATCH that succeeds and one another client invalidates", async () => {
    const port = (defaultShardWorkers() > 1 ? memkeep3 : memkeep)!.port;
    const r1 = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
    const r2 = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await Promise.all([r1.connect(), r2.connect()]);
    try {
      await r1.del("io:a", "io:b");
      const res = await r1.multi().set("io:a", "1").incr("io:a").get("io:a").mget("io:a", "io:b").exec();
      expect(res).toEqual([[null, "OK"], [null, 2], [null, "2"], [null, ["2", null]]]);
      const withError = await r1.multi().set("io:b", "x").incr("io:b").exec();
      expect(withError![0]).toEqual([null, "OK"]);
      expect(String(withError![1][0])).toContain("ERR value is not an integer or out of range");

      await r1.watch("io:a");
      const v = Number(await r1.get("io:a"));
      expect(await r1.multi().set("io:a", String(v * 10)).exec()).toEqual([[null, "OK"]]);
      expect(await r2.get("io:a")).toBe("20");

      await r1.watch("io:a");
      await r2.set("io:a", "changed");
      expect(await r1.multi().set("io:a", "mine").exec()).toBe(null);
      expect(await r2.get("io:a")).toBe("changed");
      await expect(r1.multi().set("io:a", "1").call("nosuchcommand").exec()).rejects.toThrow(/EXECABORT/);
    } finally {
      r1.disconnect();
      r2.disconnect();
    }
  });
});
