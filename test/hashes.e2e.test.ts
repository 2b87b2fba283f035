// The hash commands against redis-server 7.0: each case sends the same commands to both servers and
// asserts identical reply bytes. Listpack-encoded hashes answer in insertion order in both servers,
// so their HGETALL/HKEYS/HVALS/HSCAN replies are compared byte for byte; hashtable-encoded hashes
// answer in hash order, which differs by design, so those replies are compared as sorted sets of
// fields and values. Random picks (HRANDFIELD) are checked for shape and membership.
// Also: OBJECT ENCODING transitions (entries, value length, and never back), errors and their order,
// RESP3 shapes, and a session store with ioredis (HSET + EXPIRE + HGETALL + TTL).
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (run with 1 and 3).

import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { commandTable } from "../src/commands/registry.ts";
import type { RespValue } from "./helpers/resp.ts";

const pair = useReferencePair();
const expectSameReplies = sameReplies(pair);

/** expectSameReplies with both connections in RESP3 (HELLO's reply holds client ids: not compared). */
async function resp3(cmds: Cmd[]): Promise<void> {
  await Promise.all([pair.mk.call("HELLO", "3"), pair.rd.call("HELLO", "3")]);
  try {
    await expectSameReplies(cmds);
  } finally {
    await Promise.all([pair.mk.call("HELLO", "2"), pair.rd.call("HELLO", "2")]);
  }
}

async function both(...args: string[]): Promise<[RespValue, RespValue]> {
  return [await pair.mk.callParsed(...args), await pair.rd.callParsed(...args)];
}
function sortedStrings(v: RespValue): string[] {
  return (v as unknown[]).map(String).sort();
}
/** Pairs of a flat field/value reply, sorted by field. */
function sortedPairs(v: RespValue): string[] {
  const a = (v as unknown[]).map(String);
  const out: string[] = [];
  for (let i = 0; i < a.length; i += 2) out.push(`${a[i]}=${a[i + 1]}`);
  return out.sort();
}

test("each hash command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const names = [
    "hset", "hsetnx", "hget", "hmget", "hmset", "hdel", "hlen", "hstrlen", "hexists", "hkeys", "hvals", "hgetall",
    "hincrby", "hincrbyfloat", "hrandfield", "hscan",
  ];
  const fromRedis = (await pair.rd.callParsed("COMMAND", "INFO", ...names)) as unknown[][];
  const theirs = fromRedis.map((i) => [i[0], i[1], i[2], i[3], i[4], i[5], i[6]]);
  const ours = names.map((n) => {
    const s = commandTable().byFullName(n)!;
    return [n, s.arity, s.flags, s.firstKey, s.lastKey, s.step, s.acl];
  });
  expect(ours).toEqual(theirs as typeof ours);
});

describe("small hashes (listpack) answer exactly as redis-server", () => {
  test("HSET, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS and the insertion order of HGETALL", async () => {
    await expectSameReplies(cs(
      "HSET h a 1 b 2 c 3", "HSET h b 20 d 4", "HGETALL h", "HKEYS h", "HVALS h", "HGET h b", "HGET h zz", "HGET nokey a",
      "HMGET h a zz d", "HMGET nokey a b", "HLEN h", "HLEN nokey", "HSTRLEN h b", "HSTRLEN h zz", "HSTRLEN nokey a",
      "HEXISTS h a", "HEXISTS h zz", "HEXISTS nokey a", "HDEL h a zz a", "HGETALL h", "HDEL h b c d", "EXISTS h",
      "HDEL nokey a", "HGETALL nokey", "HKEYS nokey", "HVALS nokey", "HMSET m x 1 y 2", "HGETALL m", "HSET m x ''",
      "HGET m x", "HSTRLEN m x", "OBJECT ENCODING m", "TYPE m",
    ));
  });

  test("HSETNX sets only a missing field", async () => {
    await expectSameReplies(cs("HSETNX h a 1", "HSETNX h a 2", "HGET h a", "HSETNX h b 3", "HGETALL h"));
  });

  test("argument errors win in Redis's order", async () => {
    await expectSameReplies(cs(
      "SET s v", "HSET s a", "HSET s a b c", "HMSET s a b c", "HSET s a b", "HGET s a", "HMGET s a", "HDEL s a", "HLEN s",
      "HSTRLEN s a", "HEXISTS s a", "HKEYS s", "HVALS s", "HGETALL s", "HSETNX s a b", "HINCRBY s a x", "HINCRBY s a 1",
      "HINCRBYFLOAT s a x", "HINCRBYFLOAT s a inf", "HINCRBYFLOAT s a 1", "HRANDFIELD s", "HRANDFIELD s x", "HRANDFIELD s 1 foo",
      "HRANDFIELD s 1", "HSCAN s x", "HSCAN s 0", "HSCAN s 0 foo", "HSET", "HGET h", "HRANDFIELD",
    ));
  });
});

describe("HINCRBY and HINCRBYFLOAT", () => {
  test("integer increments, overflow and non-integer values", async () => {
    await expectSameReplies(cs(
      "HINCRBY h n 5", "HINCRBY h n -7", "HINCRBY h n x", "HINCRBY h n 9223372036854775807", "HSET h big 9223372036854775807",
      "HINCRBY h big 1", "HINCRBY h big -1", "HSET h neg -9223372036854775808", "HINCRBY h neg -1", "HSET h s abc",
      "HINCRBY h s 1", "HSET h sp ' 1'", "HINCRBY h sp 1", "HINCRBY h n 99999999999999999999", "HGETALL h",
    ));
  });
  test("float increments, NaN/Infinity refusals and the text Redis stores", async () => {
    await expectSameReplies(cs(
      "HINCRBYFLOAT h f 1.5", "HINCRBYFLOAT h f 0.1", "HINCRBYFLOAT h f -1.6", "HINCRBYFLOAT h f 1e300", "HINCRBYFLOAT h f abc",
      "HINCRBYFLOAT h f inf", "HINCRBYFLOAT h f -inf", "HINCRBYFLOAT h f nan", "HSET h s abc", "HINCRBYFLOAT h s 1",
      "HSET h i 10", "HINCRBYFLOAT h i 3", "HINCRBYFLOAT h g 5.0e3", "HINCRBYFLOAT h g 1.23456789012345678", "OBJECT ENCODING h", "HLEN h", "HGET h g",
      "HINCRBYFLOAT newkey x inf", "EXISTS newkey",
    ));
  });
});

describe("OBJECT ENCODING follows Redis 7.0's conversions", () => {
  test("past hash-max-listpack-entries and never back", async () => {
    const cmds = [["CONFIG", "SET", "hash-max-listpack-entries", "4"]];
    for (let i = 0; i < 5; i++) cmds.push(["HSET", "h", `f${i}`, `v${i}`], ["OBJECT", "ENCODING", "h"]);
    cmds.push(["HDEL", "h", "f0", "f1", "f2"], ["OBJECT", "ENCODING", "h"], ["HLEN", "h"]);
    cmds.push(["CONFIG", "SET", "hash-max-listpack-entries", "512"]);
    await expectSameReplies(cmds);
  });
  test("a long field or value converts before it is written, whichever command writes it", async () => {
    const long = "x".repeat(65);
    await expectSameReplies([
      ["HSET", "a", "f", "x".repeat(64)], ["OBJECT", "ENCODING", "a"], ["HSET", "a", "g", long], ["OBJECT", "ENCODING", "a"],
      ["HSET", "b", long, "1"], ["OBJECT", "ENCODING", "b"], ["HSETNX", "c", "f", long], ["OBJECT", "ENCODING", "c"],
      ["HSET", "d", "f", "1"], ["HINCRBY", "d", long, "1"], ["OBJECT", "ENCODING", "d"],
      ["HSET", "e", "f", "1"], ["HINCRBYFLOAT", "e", "f", "1e70"], ["OBJECT", "ENCODING", "e"],
      ["HSET", "g", "f", "1"], ["HSETNX", "g", "f", long], ["OBJECT", "ENCODING", "g"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "0"], ["HSET", "z", "f", "1"], ["OBJECT", "ENCODING", "z"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
      ["CONFIG", "SET", "hash-max-listpack-value", "3"], ["HSET", "y", "f", "1"], ["HINCRBY", "y", "f", "1000"],
      ["OBJECT", "ENCODING", "y"], ["CONFIG", "SET", "hash-max-listpack-value", "64"],
    ]);
  });
  test("COPY and RENAME keep a hashtable hash and its contents", async () => {
    await pair.mk.call("FLUSHALL");
    await pair.rd.call("FLUSHALL");
    for (const c of [pair.mk, pair.rd]) for (let i = 0; i < 600; i++) await c.call("HSET", "big", `f${i}`, `v${i}`);
    for (const cmd of [["COPY", "big", "copy"], ["RENAME", "big", "renamed"], ["OBJECT", "ENCODING", "copy"], ["HLEN", "copy"],
      ["OBJECT", "ENCODING", "renamed"], ["HLEN", "renamed"], ["HGET", "copy", "f599"], ["HDEL", "renamed", "f1"], ["HGET", "copy", "f1"]]) {
      const [m, r] = await both(...cmd);
      expect([cmd, m]).toEqual([cmd, r]);
    }
    const [m, r] = await both("HGETALL", "copy");
    expect(sortedPairs(m)).toEqual(sortedPairs(r));
    expect(sortedPairs(m).length).toBe(600);
  });
});

describe("large hashes (hashtable)", () => {
  test("every read command agrees with redis-server as a set of fields and values", async () => {
    await pair.mk.call("FLUSHALL");
    await pair.rd.call("FLUSHALL");
    for (const c of [pair.mk, pair.rd]) {
      for (let i = 0; i < 2000; i += 100) {
        const args = ["HSET", "h"];
        for (let j = i; j < i + 100; j++) args.push(`field:${j}`, `value:${j}`);
        await c.call(...args);
      }
      for (let i = 0; i < 2000; i += 3) await c.call("HDEL", "h", `field:${i}`);
    }
    for (const cmd of [["HLEN", "h"], ["HGET", "h", "field:1"], ["HGET", "h", "field:0"], ["HMGET", "h", "field:2", "field:3"],
      ["HEXISTS", "h", "field:4"], ["HSTRLEN", "h", "field:1999"], ["OBJECT", "ENCODING", "h"], ["HINCRBY", "h", "field:1", "1"]]) {
      const [m, r] = await both(...cmd);
      expect([cmd, m]).toEqual([cmd, r]);
    }
    let [m, r] = await both("HGETALL", "h");
    expect(sortedPairs(m)).toEqual(sortedPairs(r));
    [m, r] = await both("HKEYS", "h");
    expect(sortedStrings(m)).toEqual(sortedStrings(r));
    [m, r] = await both("HVALS", "h");
    expect(sortedStrings(m)).toEqual(sortedStrings(r));
  });

  test("HSCAN over a hashtable returns every field present for the whole scan, while the hash grows", async () => {
    await pair.mk.call("DEL", "h");
    for (let i = 0; i < 1000; i++) await pair.mk.call("HSET", "h", `s${i}`, "v");
    const seen = new Set<string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const reply = (await pair.mk.callParsed("HSCAN", "h", cursor, "COUNT", "20")) as [string, string[]];
      cursor = reply[0];
      for (let i = 0; i < reply[1].length; i += 2) seen.add(reply[1][i]);
      if (rounds < 20) for (let i = 0; i < 50; i++) await pair.mk.call("HSET", "h", `grow${rounds}_${i}`, "v");
      rounds++;
    } while (cursor !== "0" && rounds < 10000);
    for (let i = 0; i < 1000; i++) expect(seen.has(`s${i}`)).toBe(true);
    // MATCH filters fields.
    const m = await pair.mk.callParsed("HSCAN", "h", "0", "MATCH", "s99*", "COUNT", "100000");
    expect((m as unknown[])[0]).toBe("0");
    expect(sortedPairs((m as unknown[])[1] as RespValue)).toEqual(["s99=v", "s990=v", "s991=v", "s992=v", "s993=v", "s994=v", "s995=v", "s996=v", "s997=v", "s998=v", "s999=v"].sort());
  }, 30_000);

  test("HSCAN of a small hash returns all of it with cursor 0, MATCH applied, COUNT checked after the key", async () => {
    await expectSameReplies(cs(
      "HSET h a 1 b 2 ab 3", "HSCAN h 0", "HSCAN h 0 MATCH a*", "HSCAN h 0 COUNT 1", "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT x",
      "HSCAN h 0 MATCH", "HSCAN nokey 0 COUNT 0", "HSCAN nokey x", "HSCAN h 18446744073709551615", "HSCAN h -1", "HSCAN h 0 match a* count 5",
    ));
  });
});

describe("HRANDFIELD", () => {
  test("errors, empty replies and the whole hash when the count covers it", async () => {
    await expectSameReplies(cs(
      "HRANDFIELD nokey", "HRANDFIELD nokey 3", "HRANDFIELD nokey 3 WITHVALUES", "HSET h a 1 b 2 c 3", "HRANDFIELD h 0",
      "HRANDFIELD h 3", "HRANDFIELD h 10 WITHVALUES", "HRANDFIELD h x", "HRANDFIELD h 1 WITHVALUES x", "HRANDFIELD h 1 foo",
      "HRANDFIELD h -9223372036854775808", "HRANDFIELD h -4611686018427387904 WITHVALUES", "HRANDFIELD h 4611686018427387904 withvalues",
    ));
    await resp3(cs("HSET h a 1 b 2 c 3", "HRANDFIELD h 10 WITHVALUES", "HRANDFIELD nokey 1 WITHVALUES"));
  });
  test("random picks: distinct for a positive count, repeats allowed for a negative one, RESP3 pairs", async () => {
    for (const fields of [3, 30, 600]) {
      await pair.mk.call("DEL", "h");
      const args = ["HSET", "h"];
      for (let i = 0; i < fields; i++) args.push(`f${i}`, `v${i}`);
      await pair.mk.call(...args);
      const one = (await pair.mk.callParsed("HRANDFIELD", "h")) as string;
      expect(one).toMatch(/^f\d+$/);
      const some = (await pair.mk.callParsed("HRANDFIELD", "h", String(fields - 1))) as string[];
      expect(some.length).toBe(fields - 1);
      expect(new Set(some).size).toBe(fields - 1);
      const rep = (await pair.mk.callParsed("HRANDFIELD", "h", "-50", "WITHVALUES")) as string[];
      expect(rep.length).toBe(100);
      for (let i = 0; i < rep.length; i += 2) expect(rep[i + 1]).toBe(rep[i].replace("f", "v"));
      await pair.mk.call("HELLO", "3");
      const pairs = (await pair.mk.callParsed("HRANDFIELD", "h", "2", "WITHVALUES")) as string[][];
      expect(pairs.length).toBe(2);
      for (const p of pairs) expect(p[1]).toBe(p[0].replace("f", "v"));
      await pair.mk.call("HELLO", "2");
    }
  });
});

describe("RESP3 shapes", () => {
  test("HGETALL is a map, HKEYS an array, missing keys keep their shapes", async () => {
    await resp3(cs(
      "HSET h a 1 b 2", "HGETALL h", "HKEYS h", "HVALS h", "HMGET h a z", "HGETALL nokey", "HGET h z", "HINCRBYFLOAT h f 1.5",
    ));
  });
});

describe("a session store with ioredis", () => {
  test("HSET + EXPIRE + HGETALL + TTL, expiry removes the session", async () => {
    const client = new Redis({ port: pair.memkeep!.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const sid = "session:8f14e45f";
      expect(await client.hset(sid, { user: "ada", role: "admin", visits: "1" })).toBe(3);
      expect(await client.expire(sid, 100)).toBe(1);
      expect(await client.hincrby(sid, "visits", 1)).toBe(2);
      expect(await client.hgetall(sid)).toEqual({ user: "ada", role: "admin", visits: "2" });
      const ttl = await client.ttl(sid);
      expect(ttl).toBeGreaterThan(95);
      expect(ttl).toBeLessThanOrEqual(100);
      // Writing fields keeps the TTL, as in Redis.
      await client.hset(sid, "last", "now");
      expect(await client.ttl(sid)).toBeGreaterThan(95);
      expect(await client.pexpire(sid, 50)).toBe(1);
      await Bun.sleep(120);
      expect(await client.hgetall(sid)).toEqual({});
      expect(await client.exists(sid)).toBe(0);
    } finally {
      client.disconnect();
    }
  });
});

describe("memory accounting", () => {
  test("used_memory returns to its baseline after big hashes and sets are copied, renamed and deleted", async () => {
    const c = pair.mk;
    const used = async () => Number(/used_memory:(\d+)/.exec(String(await c.callParsed("INFO", "memory")))![1]);
    await c.call("FLUSHALL");
    await c.call("SET", "warm", "x"); // the table and arena exist before the baseline
    await c.call("DEL", "warm");
    const base = await used();
    for (let i = 0; i < 5000; i += 500) {
      const h = ["HSET", "h"];
      const s = ["SADD", "s"];
      for (let j = i; j < i + 500; j++) h.push(`field:${j}`, `value:${j}`), s.push(`member:${j}`);
      await c.call(...h);
      await c.call(...s);
    }
    expect(await used()).toBeGreaterThan(base + 5000 * 40);
    expect(Number(await c.callParsed("MEMORY", "USAGE", "h"))).toBeGreaterThan(5000 * 30);
    await c.call("COPY", "h", "h2");
    await c.call("COPY", "s", "s2");
    await c.call("RENAME", "h2", "h3");
    await c.call("HDEL", "h", "field:1");
    await c.call("SPOP", "s", "4990");
    await c.call("DEL", "h", "s", "h3", "s2");
    expect(await used()).toBe(base);
  });
});
