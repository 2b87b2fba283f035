// The key-space commands against redis-server 7.0: every case sends the same commands to memkeep and to
// redis-server and asserts identical reply bytes (as "command => escaped reply" lines, so a failure
// names the command). Cases cover option parsing and which error wins, int64 edges of the EXPIRE
// family, RENAME/COPY/MOVE keeping value, encoding and TTL, SWAPDB and FLUSH* across dbs, SCAN cursor
// parsing, OBJECT and MEMORY replies, and lazy and active expiry.
//
// Not compared byte for byte, with the reason: KEYS and full SCANs (hash order differs; compared as
// sets), MEMORY USAGE of an existing key (a different allocator: memkeep reports block + slot bytes),
// OBJECT IDLETIME (second-granularity clock: equal within 1), OBJECT REFCOUNT of a COPY of a small
// integer (Redis gives the copy its own object, memkeep does not track references).
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (scripts/test.sh runs this file with 1 and 3), so
// the multi-key commands run across shards and SCAN's cursor crosses shard boundaries.

import { c, cs, sameReplies, transcript, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, defaultShardWorkers, startMemkeep, startRedis } from "./helpers/servers.ts";
import { RespClient, escapeBytes, formatCommand } from "./helpers/resp.ts";
import { commandTable } from "../src/commands/registry.ts";


const pair = useReferencePair();

/** SELECT 0 and FLUSHALL on both servers, then cmds on both (by default through the pair's clients). */
const expectSameReplies = sameReplies(pair);

const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of chunks) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Runs a full SCAN (extra options appended) and returns every key it produced, with repeats. */
async function fullScan(client: RespClient, ...opts: string[]): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = (await client.callParsed("SCAN", cursor, ...opts)) as [string, string[]];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

const sorted = (a: string[]) => [...new Set(a)].sort();

function keyCommandNames(): string[] {
  return [
    "del", "unlink", "exists", "touch", "type", "rename", "renamenx", "copy", "move", "swapdb", "dbsize", "flushdb",
    "flushall", "keys", "scan", "randomkey", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl", "expiretime",
    "pexpiretime", "persist", "object|help", "object|encoding", "object|freq", "object|idletime", "object|refcount",
    "memory|usage", "memory|help",
  ];
}

test("each key command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const names = keyCommandNames();
  const fromRedis = (await pair.rd.callParsed("COMMAND", "INFO", ...names)) as unknown[][];
  const theirs = fromRedis.map((info) => ({
    name: info[0], arity: info[1], flags: info[2], firstKey: info[3], lastKey: info[4], step: info[5], acl: info[6],
  }));
  const ours: unknown[] = names.map((name) => {
    const spec = commandTable().byFullName(name)!;
    return {
      name, arity: spec.arity, flags: spec.flags, firstKey: spec.firstKey, lastKey: spec.lastKey, step: spec.step,
      acl: spec.acl,
    };
  });
  expect(ours).toEqual(theirs);
});

describe("DEL UNLINK EXISTS TOUCH TYPE DBSIZE", () => {
  test("EXISTS counts repeats, DEL and UNLINK count each removed key once", async () => {
    await expectSameReplies(cs(
      "MSET a 1 b 2 c 3 d 4", "EXISTS a a a zz b", "DEL a a zz", "EXISTS a", "UNLINK b b c zz", "DBSIZE", "TOUCH d d zz",
      "TYPE d", "TYPE zz", "DEL", "EXISTS", "TYPE", "TYPE a b", "DBSIZE x", "TOUCH",
    ));
  });

  test("keys past their time are gone for every command (lazy expiry)", async () => {
    await Promise.all([pair.mk.call("FLUSHALL"), pair.rd.call("FLUSHALL")]);
    for (const client of [pair.mk, pair.rd]) {
      await client.call("SET", "brief", "v", "PX", "30");
      await client.call("SET", "brief2", "v", "PX", "30");
    }
    await Bun.sleep(80);
    const cmds = cs("GET brief", "EXISTS brief brief2", "TTL brief", "TYPE brief2", "RENAME brief x", "DEL brief2",
      "DBSIZE", "KEYS *", "RANDOMKEY");
    const [mine, theirs] = [await transcript(pair.mk, cmds), await transcript(pair.rd, cmds)];
    expect(mine).toEqual(theirs);
  });
});

describe("EXPIRE family, TTL family, PERSIST", () => {
  test("NX XX GT LT: conflicts are errors checked before the number; no TTL counts as infinite", async () => {
    await expectSameReplies(cs(
      "SET k v", "EXPIRE k 100 NX XX", "EXPIRE k 100 GT LT", "EXPIRE k 100 NX GT", "EXPIRE k 100 NX LT",
      "EXPIRE k 100 XX GT LT", "EXPIRE k abc NX XX", "EXPIRE k abc FOO", "EXPIRE k 100 FOO", "EXPIRE k 100 NX FOO",
      "EXPIRE k abc", "EXPIRE k 1.5", "EXPIRE k ''", "EXPIRE k 100 XX", "EXPIRE k 100 GT", "TTL k",
      "EXPIRE k 100 LT", "TTL k", "EXPIRE k 100 NX", "EXPIRE k 50 GT", "EXPIRE k 150 gt", "TTL k", "EXPIRE k 200 lT",
      "EXPIRE k 120 Lt", "TTL k", "EXPIRE k 120 xx", "TTL k", "EXPIRE k 120 NX NX", "EXPIRE k 300 XX GT", "TTL k",
      "EXPIRE k 10 XX LT", "TTL k", "PERSIST k", "PERSIST k", "TTL k", "PTTL k", "EXPIRE nokey 10", "EXPIRE nokey 10 XX",
      "PERSIST nokey", "TTL nokey", "PTTL nokey", "EXPIRETIME nokey", "PEXPIRETIME nokey", "EXPIRETIME k",
      "PEXPIRETIME k",
    ));
  });

  test("option words are cut at a NUL byte, as Redis's strcasecmp sees them", async () => {
    await expectSameReplies([
      ...cs("SET k v"),
      ["EXPIRE", "k", "100", bytes("NX", [0], "junk")],
      ["TTL", "k"],
      ["EXPIRE", "k", "100", bytes("bad", [0], "tail")],
      ["EXPIRE", "k", "100", bytes([0], "NX")],
    ]);
  });

  test("zero, negative and past times delete the key and reply 1", async () => {
    await expectSameReplies(cs(
      "SET k v", "EXPIRE k 0", "EXISTS k", "SET k v", "EXPIRE k -1", "EXISTS k", "SET k v", "PEXPIRE k 0", "EXISTS k",
      "SET k v", "EXPIREAT k 1", "EXISTS k", "SET k v", "PEXPIREAT k -9223372036854775808", "EXISTS k", "SET k v",
      "EXPIRE k -9223372036854775", "EXISTS k", "SET k v", "EXPIRE k 100", "EXPIRE k -5 LT", "EXISTS k",
      "SET k v", "EXPIRE k 100", "EXPIRE k 0 GT", "EXISTS k", "EXPIRE k -1 XX", "EXISTS k",
    ));
  });

  test("int64 overflow after the unit change or the clock is an error naming the command", async () => {
    await expectSameReplies(cs(
      "SET k v", "EXPIRE k 9223372036854775807", "EXPIRE k 9223372036854776", "EXPIRE k -9223372036854776",
      "EXPIRE k 9223372036854775808", "PEXPIRE k 9223372036854775807", "EXPIREAT k 9223372036854776",
      "EXPIREAT k -9223372036854776", "EXPIREAT k 9223372036854775", "EXPIRETIME k", "PEXPIREAT k 9223372036854775807",
      "PEXPIRETIME k", "EXPIRETIME k", "PEXPIREAT k 4102444800123", "PEXPIRETIME k", "EXPIRETIME k",
      "EXPIREAT k 4102444800", "PEXPIRETIME k", "PEXPIREAT k 4102444800499", "EXPIRETIME k",
      "PEXPIREAT k 4102444800500", "EXPIRETIME k", "expire k 9223372036854776", "PeXpIrEaT k 9223372036854775808",
    ));
  });

  test("TTL rounds to the nearest second, EXPIRE overwrites and SET clears the TTL", async () => {
    await expectSameReplies(cs(
      "SET k v", "TTL k", "PTTL k", "EXPIRE k 100", "TTL k", "EXPIRE k 200", "TTL k", "SET k w", "TTL k",
      "SET k v EX 100", "PERSIST k", "EXPIRE k 100", "TTL k", "EXPIRETIME zz",
    ));
  });
});

describe("RENAME RENAMENX COPY MOVE", () => {
  test("RENAME and RENAMENX: missing source, renaming onto itself, overwriting, TTL moves with the value", async () => {
    await expectSameReplies(cs(
      "RENAME x x", "RENAMENX x x", "RENAME x y", "RENAMENX x y", "SET a 1", "RENAME a a", "RENAMENX a a", "GET a",
      "SET b hello EX 100", "RENAME b c", "EXISTS b", "GET c", "TTL c", "OBJECT ENCODING c", "SET d x", "RENAMENX c d",
      "RENAMENX c e", "TTL e", "SET f 12345678901234567890123456789012345678901234567890", "RENAME f e", "TTL e",
      "OBJECT ENCODING e", "GET e", "RENAME a e", "OBJECT ENCODING e", "GET e", "DBSIZE", "RENAME", "RENAME a",
      "RENAME a b c", "RENAMENX a",
    ));
  });

  test("RENAME and COPY across many keys (and shards) keep every value", async () => {
    const cmds: Cmd[] = [];
    for (let i = 0; i < 40; i++) cmds.push(["SET", `src{${i}}`, `value-${i}`, "EX", "1000"]);
    for (let i = 0; i < 40; i++) cmds.push(["RENAME", `src{${i}}`, `dst${i}`], ["COPY", `dst${i}`, `copy:${i * 7}`]);
    for (let i = 0; i < 40; i++) cmds.push(["GET", `dst${i}`], ["GET", `copy:${i * 7}`], ["TTL", `copy:${i * 7}`], ["EXISTS", `src{${i}}`]);
    cmds.push(["DBSIZE"]);
    await expectSameReplies(cmds);
  });

  test("COPY: DB and REPLACE options, left-to-right errors, same-object error, encodings and TTL kept", async () => {
    await expectSameReplies(cs(
      "SET a 1", "COPY a a", "COPY a a DB 0", "COPY a a DB 1", "COPY a b DB 16", "COPY a b DB -1",
      "COPY a b DB 99999999999", "COPY a b DB x", "COPY a b DB", "COPY a b REPLACE foo", "COPY a b foo DB x",
      "COPY a b DB x foo", "COPY a b replace REPLACE", "COPY zz b", "COPY a b", "COPY a b DB 1 db 2", "SELECT 2",
      "GET b", "SELECT 1", "GET a", "SELECT 0", "SET s hello EX 100", "COPY s s2", "TTL s2", "OBJECT ENCODING s2",
      "SET r 12345678901234567890123456789012345678901234567890", "APPEND r x", "COPY r r2", "OBJECT ENCODING r2",
      "GET r2", "COPY s r2", "COPY s r2 REPLACE", "GET r2", "TTL r2", "SET big 123456789012", "COPY big big2",
      "OBJECT ENCODING big2", "COPY", "COPY a",
    ));
  });

  test("MOVE: DB argument errors, same db, existing target, TTL kept", async () => {
    await expectSameReplies(cs(
      "SET a 1", "MOVE a 0", "MOVE a 16", "MOVE a -1", "MOVE a x", "MOVE a 99999999999", "MOVE zz 1", "SET t v EX 100",
      "MOVE t 3", "EXISTS t", "SELECT 3", "TTL t", "GET t", "SET a other", "MOVE a 0", "GET a", "SELECT 0", "GET a",
      "MOVE a 3", "DBSIZE",
    ));
  });
});

describe("SWAPDB DBSIZE FLUSHDB FLUSHALL", () => {
  test("SWAPDB argument errors name the first or second index; swapped dbs see each other's keys", async () => {
    await expectSameReplies(cs(
      "SET a 1", "SELECT 1", "SET b 2", "SET b2 3", "SELECT 0", "SWAPDB 0 x", "SWAPDB x 0", "SWAPDB x y",
      "SWAPDB 0 16", "SWAPDB -1 0", "SWAPDB 0 99999999999", "SWAPDB 99999999999 0", "SWAPDB 0 0", "SWAPDB 0 1",
      "DBSIZE", "GET b", "EXISTS a", "SELECT 1", "GET a", "SWAPDB 1 0", "GET a", "DBSIZE", "SWAPDB", "SWAPDB 0",
    ));
  });

  test("FLUSHDB clears only the selected db, FLUSHALL all of them; SYNC and ASYNC accepted", async () => {
    await expectSameReplies(cs(
      "MSET a 1 b 2 c 3", "SELECT 4", "MSET d 4 e 5", "FLUSHDB foo", "FLUSHDB SYNC ASYNC", "FLUSHDB async", "DBSIZE",
      "SELECT 0", "DBSIZE", "FLUSHDB sync", "DBSIZE", "MSET a 1 b 2", "SELECT 9", "SET z 1", "FLUSHALL foo",
      "FLUSHALL ASYNC", "DBSIZE", "SELECT 0", "DBSIZE", "SET a 1", "FLUSHALL SYNC", "DBSIZE", "FLUSHALL", "FLUSHDB",
    ));
  });
});

describe("KEYS SCAN RANDOMKEY", () => {
  test("SCAN cursor and option errors, strtoul quirks, deterministic small scans", async () => {
    await expectSameReplies([
      ...cs(
        "SCAN abc", "SCAN -1", "SCAN ''", "SCAN ' 1'", "SCAN '1 '", "SCAN +0", "SCAN 18446744073709551615",
        "SCAN 18446744073709551616", "SCAN 0x10", "SCAN 1.0", "SCAN -", "SCAN +", "SCAN abc COUNT x",
        "SCAN 0 COUNT 0", "SCAN 0 COUNT -1", "SCAN 0 COUNT x", "SCAN 0 COUNT", "SCAN 0 MATCH", "SCAN 0 TYPE",
        "SCAN 0 FOO bar", "SCAN 0 COUNT 1 FOO", "SCAN 0 COUNT x FOO bar", "SCAN 0 TYPE foo", "SCAN 0", "SET key v",
        "SCAN 0 COUNT 9223372036854775807", "SCAN 0 TYPE STRING", "SCAN 0 type list", "SCAN 0 MATCH k*",
        "SCAN 0 MATCH x*", "SCAN 0 MATCH * COUNT 100 TYPE string", "SCAN 0 MATCH x* MATCH *", "SCAN", "KEYS",
        "KEYS a b",
      ),
      ["SCAN", bytes("0", [0], "junk")],
      ["SCAN", "0", bytes("COUNT", [0], "x"), "5"],
    ]);
  });

  test("KEYS and SCAN MATCH agree with Redis on glob patterns and skip expired keys", async () => {
    const keys = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "a[b", "user:1", "user:12", "x\\y"];
    const patterns = ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "user:*", "*:1?", "a[b",
      "x\\\\y", "[", "nomatch", ""];
    for (const client of [pair.mk, pair.rd]) {
      await client.call("FLUSHALL");
      for (const k of keys) await client.call("SET", k, "v");
      await client.call("SET", "expired", "v", "PX", "1");
      for (let i = 0; i < 200; i++) await client.call("SET", `bulk:${i}`, "v");
    }
    await Bun.sleep(20);
    for (const p of patterns) {
      const [mine, theirs] = await Promise.all([pair.mk.callParsed("KEYS", p), pair.rd.callParsed("KEYS", p)]);
      expect({ p, keys: sorted(mine as string[]) }).toEqual({ p, keys: sorted(theirs as string[]) });
      const [ms, rs] = await Promise.all([fullScan(pair.mk, "MATCH", p, "COUNT", "7"), fullScan(pair.rd, "MATCH", p, "COUNT", "7")]);
      expect({ p, keys: sorted(ms) }).toEqual({ p, keys: sorted(rs) });
    }
    const [ms, rs] = await Promise.all([fullScan(pair.mk, "TYPE", "string"), fullScan(pair.rd, "TYPE", "string")]);
    expect(sorted(ms)).toEqual(sorted(rs));
    expect(sorted(ms).length).toBe(keys.length + 200);
  });

  test("SCAN returns every key present for the whole scan while keys are added and tables grow", async () => {
    for (const client of [pair.mk, pair.rd]) {
      await client.call("FLUSHALL");
      const initial: string[] = [];
      const batch: Cmd[] = [];
      for (let i = 0; i < 500; i++) {
        initial.push(`stay:${i}`);
        batch.push(["SET", `stay:${i}`, "v"]);
      }
      await client.pipeline(batch);
      const seen = new Set<string>();
      let cursor = "0";
      let calls = 0;
      let added = 0;
      do {
        const [next, keys] = (await client.callParsed("SCAN", cursor, "COUNT", "10")) as [string, string[]];
        for (const k of keys) seen.add(k);
        cursor = next;
        // Early in the scan, add enough keys to double the tables a few times (500 keys become 4500).
        if (calls < 20) {
          const more: Cmd[] = [];
          for (let i = 0; i < 200; i++) more.push(["SET", `added:${added++}`, "v"]);
          await client.pipeline(more);
        }
        calls++;
      } while (cursor !== "0");
      const missing = initial.filter((k) => !seen.has(k));
      expect({ server: client === pair.mk ? "memkeep" : "redis", missing }).toEqual({ server: client === pair.mk ? "memkeep" : "redis", missing: [] });
      expect(calls).toBeGreaterThan(20);
      expect(await client.callParsed("DBSIZE")).toBe(500 + added);
    }
  });

  test("SCAN and KEYS see only the selected db; RANDOMKEY picks from it and skips expired keys", async () => {
    await expectSameReplies(cs(
      "RANDOMKEY", "SET only v", "RANDOMKEY", "SELECT 1", "RANDOMKEY", "KEYS *", "SCAN 0", "SET one v", "KEYS *",
      "SCAN 0 COUNT 100", "RANDOMKEY", "SET gone v PX 1", "DEL one", "SELECT 0", "RANDOMKEY", "RANDOMKEY x",
    ));
    for (const client of [pair.mk, pair.rd]) {
      await client.call("FLUSHALL");
      for (let i = 0; i < 50; i++) await client.call("SET", `dead${i}`, "v", "PX", "1");
      await client.call("SET", "alive", "v");
    }
    await Bun.sleep(20);
    const [mine, theirs] = await Promise.all([pair.mk.call("RANDOMKEY"), pair.rd.call("RANDOMKEY")]);
    expect(escapeBytes(mine)).toBe(escapeBytes(theirs));
  });

  test("a keyspace spread over many dbs and shards scans completely in each db", async () => {
    for (const client of [pair.mk, pair.rd]) {
      await client.call("FLUSHALL");
      for (const db of ["0", "1", "7"]) {
        await client.call("SELECT", db);
        const batch: Cmd[] = [];
        for (let i = 0; i < 150; i++) batch.push(["SET", `db${db}:${i}`, "v"]);
        await client.pipeline(batch);
      }
    }
    for (const db of ["0", "1", "7"]) {
      await Promise.all([pair.mk.call("SELECT", db), pair.rd.call("SELECT", db)]);
      const [ms, rs] = await Promise.all([fullScan(pair.mk, "COUNT", "3"), fullScan(pair.rd, "COUNT", "3")]);
      expect(sorted(ms)).toEqual(sorted(rs));
      expect(sorted(ms).length).toBe(150);
      const [mkeys, rkeys] = await Promise.all([pair.mk.callParsed("KEYS", "*"), pair.rd.callParsed("KEYS", "*")]);
      expect(sorted(mkeys as string[])).toEqual(sorted(rkeys as string[]));
    }
    await Promise.all([pair.mk.call("SELECT", "0"), pair.rd.call("SELECT", "0")]);
  });
});

describe("OBJECT and MEMORY", () => {
  test("OBJECT subcommands, help, arity and missing keys", async () => {
    await expectSameReplies(cs(
      "SET a 1", "SET b hello", "SET r 12345678901234567890123456789012345678901234567890", "OBJECT ENCODING a",
      "OBJECT ENCODING b", "OBJECT ENCODING r", "OBJECT encoding zz", "OBJECT REFCOUNT a", "OBJECT REFCOUNT b",
      "SET big 10000", "OBJECT REFCOUNT big", "SET neg -1", "OBJECT REFCOUNT neg", "OBJECT REFCOUNT zz",
      "OBJECT FREQ a", "OBJECT FREQ zz", "OBJECT IDLETIME zz", "OBJECT ENCODING", "OBJECT ENCODING a b", "OBJECT FOO",
      "OBJECT", "OBJECT HELP", "OBJECT help extra", "RENAME a a2", "OBJECT REFCOUNT a2",
    ));
  });

  test("OBJECT IDLETIME is the seconds since the last access", async () => {
    for (const client of [pair.mk, pair.rd]) await client.call("SET", "idle", "v");
    const [mine, theirs] = await Promise.all([pair.mk.callParsed("OBJECT", "IDLETIME", "idle"), pair.rd.callParsed("OBJECT", "IDLETIME", "idle")]);
    expect(Math.abs((mine as number) - (theirs as number))).toBeLessThanOrEqual(1);
  });

  test("MEMORY USAGE: option errors and missing keys as Redis; a size for existing keys", async () => {
    await expectSameReplies(cs(
      "SET b hello", "MEMORY USAGE b SAMPLES -1", "MEMORY USAGE b SAMPLES x", "MEMORY USAGE b SAMPLES 0 foo",
      "MEMORY USAGE zz SAMPLES", "MEMORY USAGE zz", "MEMORY USAGE zz SAMPLES 0", "MEMORY USAGE zz FOO",
      "MEMORY USAGE", "MEMORY HELP", "MEMORY help x", "MEMORY FOO",
    ));
    await pair.mk.call("SET", "small", "v");
    await pair.mk.call("SET", "large", "x".repeat(10_000));
    const small = (await pair.mk.callParsed("MEMORY", "USAGE", "small")) as number;
    const large = (await pair.mk.callParsed("MEMORY", "USAGE", "large", "SAMPLES", "0")) as number;
    expect(small).toBeGreaterThan(16);
    expect(small).toBeLessThan(100);
    expect(large).toBeGreaterThanOrEqual(10_000);
    expect(large).toBeLessThan(12_000);
  });
});

describe("LFU policy", () => {
  test("OBJECT FREQ and IDLETIME under allkeys-lfu", async () => {
    const args = ["--maxmemory-policy", "allkeys-lfu"];
    const [m, r] = await Promise.all([startMemkeep({ args }), startRedis({ args })]);
    const [mc, rc] = await Promise.all([RespClient.connect(m.port), RespClient.connect(r.port)]);
    try {
      await expectSameReplies(cs("SET k v", "OBJECT FREQ k", "OBJECT IDLETIME k", "OBJECT FREQ zz", "COPY k k2",
        "OBJECT FREQ k2", "OBJECT REFCOUNT k"), [mc, rc]);
      await Promise.all([mc.call("SET", "n", "5"), rc.call("SET", "n", "5")]);
      const [mine, theirs] = await Promise.all([mc.call("OBJECT", "REFCOUNT", "n"), rc.call("OBJECT", "REFCOUNT", "n")]);
      // Small integers stay shared under an LFU policy while maxmemory is 0.
      expect(escapeBytes(mine)).toBe(escapeBytes(theirs));
    } finally {
      await Promise.all([mc.close(), rc.close()]);
      await Promise.all([m.stop(), r.stop()]);
    }
  }, 60_000);
});

describe("expiry", () => {
  test("keys with short TTLs that are never accessed disappear (active expiry, hz 10)", async () => {
    await pair.mk.call("FLUSHALL");
    const batch: Cmd[] = [];
    for (let i = 0; i < 300; i++) batch.push(["SET", `short:${i}`, "v", "PX", String(100 + (i % 50))]);
    for (let i = 0; i < 20; i++) batch.push(["SET", `long:${i}`, "v"]);
    await pair.mk.pipeline(batch);
    expect(await pair.mk.callParsed("DBSIZE")).toBe(320);
    const start = Date.now();
    let size = 320;
    while (Date.now() - start < 2500) {
      await Bun.sleep(100);
      size = (await pair.mk.callParsed("DBSIZE")) as number;
      if (size === 20) break;
    }
    expect(size).toBe(20);
    expect(Date.now() - start).toBeLessThan(2500);
  });

  test(`the suite runs with ${defaultShardWorkers()} shard worker(s)`, async () => {
    // Keys spread over every shard: one multi-key command sees them all.
    const keys = Array.from({ length: 64 }, (_, i) => `spread:${i}`);
    await expectSameReplies([["MSET", ...keys.flatMap((k) => [k, k])], ["EXISTS", ...keys], ["DEL", ...keys.slice(0, 32)], ["DBSIZE"],
      ["EXISTS", ...keys], ["UNLINK", ...keys], ["DBSIZE"]]);
  });
});

describe("RESP3", () => {
  test("missing keys are RESP3 nulls in OBJECT, MEMORY USAGE and RANDOMKEY", async () => {
    const [m3, r3] = await Promise.all([RespClient.connect(pair.memkeep!.port), RespClient.connect(pair.redis!.port)]);
    try {
      await Promise.all([m3.call("HELLO", "3"), r3.call("HELLO", "3")]);
      await expectSameReplies(cs(
        "RANDOMKEY", "OBJECT ENCODING zz", "OBJECT REFCOUNT zz", "MEMORY USAGE zz", "SET k v", "TYPE k", "TTL k",
        "SCAN 0 COUNT 100", "KEYS *", "OBJECT HELP", "EXISTS k k", "RENAME zz y", "COPY k k",
      ), [m3, r3]);
    } finally {
      await Promise.all([m3.close(), r3.close()]);
    }
  });
});
