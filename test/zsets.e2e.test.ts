// The sorted-set commands against redis-server 7.0: each case sends the same commands to memkeep and
// to redis-server and asserts identical reply bytes ("command => escaped reply" lines, so a failure
// names the command). Cases cover ZADD's flag conflicts and score edges (inf, NaN results), the ZRANGE
// family's option parsing and ranges ([ ( + - for lex, exclusive scores, LIMIT with negative
// offset/count), rank and score arithmetic, pops, the set algebra over zsets and plain sets, OBJECT
// ENCODING bookkeeping, WRONGTYPE order, RESP3 pair replies, and a real-client leaderboard (ioredis).
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (1 and 3): the multi-key commands use {tags}.

import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { RespClient, escapeBytes } from "./helpers/resp.ts";

const pair = useReferencePair();
const same = sameReplies(pair);

/** Runs cmds under RESP2 and then under RESP3 (HELLO 3), comparing both servers. */
async function sameBothProtocols(cmds: Cmd[]): Promise<void> {
  await same(cmds);
  await Promise.all([pair.mk.call("HELLO", "3"), pair.rd.call("HELLO", "3")]);
  try {
    await same(cmds);
  } finally {
    await Promise.all([pair.mk.call("HELLO", "2"), pair.rd.call("HELLO", "2")]);
  }
}

const seed = cs("ZADD z 1 a 2 b 3 c 4 d 5 e", "ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f 0 g");

describe("ZADD and ZINCRBY", () => {
  test("flags, conflicts, CH and INCR replies", async () => {
    await sameBothProtocols(cs(
      "ZADD z 1 a 2 b", "ZADD z NX XX 1 a", "ZADD z GT LT 1 a", "ZADD z NX GT 1 a", "ZADD z NX LT 1 a",
      "ZADD z INCR 1 a 2 b", "ZADD z 1 a 2", "ZADD z x a", "ZADD z nan a", "ZADD z 1 a x b",
      "ZADD z INCR 1 a", "ZADD z INCR NX 1 a", "ZADD z XX INCR 1 q", "ZADD z CH 5 a 2 b 7 c", "ZADD z CH NX 9 a 1 d",
      "ZADD z XX CH 10 a 1 e", "ZADD z GT CH 1 a 20 b", "ZADD z LT CH 1 a 50 b", "ZADD z GT INCR -1 a", "ZADD z LT INCR -1 a",
      "ZADD z XX GT 100 c", "ZRANGE z 0 -1 WITHSCORES", "ZADD z ch nx incr 3 new", "ZADD z FOO 1 a",
      "ZADD newkey XX 1 a", "EXISTS newkey", "ZADD newkey XX INCR 1 a", "ZADD z INCR 0 a", "ZADD z 1e400 a",
      "ZADD z inf x", "ZADD z INCR -inf x", "ZSCORE z x", "ZADD z -inf y", "ZINCRBY z +inf y", "ZINCRBY z 1 nothere",
      "ZINCRBY z x a", "ZINCRBY z 0.1 a", "ZINCRBY z 0.2 a", "ZSCORE z a", "ZADD z 0x10 hex", "ZSCORE z hex",
      "ZADD z -0 negzero", "ZSCORE z negzero", "ZADD z 1.5e-300 tiny", "ZSCORE z tiny", "ZADD z 123456789012345678 big", "ZSCORE z big",
      "ZCARD z", "ZCARD nokey", "ZMSCORE z a nope x", "ZMSCORE nokey a b", "ZSCORE nokey a",
    ));
  });

  test("WRONGTYPE comes after argument errors, as in Redis", async () => {
    await same(cs(
      "SET s v", "ZADD s x a", "ZADD s 1 a", "ZADD s NX XX 1 a", "ZINCRBY s x a", "ZINCRBY s 1 a", "ZCARD s", "ZSCORE s a",
      "ZMSCORE s a", "ZRANK s a", "ZREM s a", "ZRANGE s 0 1", "ZRANGE s 0 1 FOO", "ZRANGEBYSCORE s a b", "ZRANGEBYSCORE s 0 1",
      "ZCOUNT s x 1", "ZCOUNT s 0 1", "ZLEXCOUNT s a b", "ZLEXCOUNT s - +", "ZPOPMIN s", "ZPOPMIN s -1", "ZRANDMEMBER s",
      "ZRANDMEMBER s 2", "ZSCAN s 0", "ZSCAN s x", "ZREMRANGEBYRANK s 0 1", "ZREMRANGEBYSCORE s 0 1", "ZREMRANGEBYLEX s - +",
      "ZRANGESTORE {s}d s 0 -1", "ZUNION 1 s", "ZMPOP 1 s MIN", "GET s",
    ));
  });

  test("OBJECT ENCODING follows zset-max-listpack-entries/value and never converts back", async () => {
    const long = "x".repeat(65);
    const many: string[] = [];
    for (let i = 0; i < 129; i++) many.push(String(i), `m${i}`);
    const dup: string[] = [];
    for (let i = 0; i < 130; i++) dup.push("1", "a");
    await same([
      ...cs("ZADD z 1 a", "OBJECT ENCODING z", `ZADD z 2 ${long}`, "OBJECT ENCODING z", `ZREM z ${long}`, "OBJECT ENCODING z"),
      ["ZADD", "big", ...many], ...cs("OBJECT ENCODING big", "ZREMRANGEBYRANK big 0 100", "OBJECT ENCODING big", "ZCARD big"),
      ["ZADD", "dup", ...dup], ...cs("OBJECT ENCODING dup", `ZADD lz 1 ${long} 2 b`, "OBJECT ENCODING lz"),
      ...cs("ZRANGESTORE {big}d big 0 -1", "OBJECT ENCODING {big}d", "ZRANGESTORE {big}d big 0 10", "OBJECT ENCODING {big}d"),
      ...cs("ZUNIONSTORE {big}u 1 big", "OBJECT ENCODING {big}u", "CONFIG SET zset-max-listpack-entries 0", "ZADD e0 1 a",
        "OBJECT ENCODING e0", "CONFIG SET zset-max-listpack-entries 128", "TYPE z"),
    ]);
  });
});

describe("ranges", () => {
  test("ZRANGE by rank, score and lex with REV, LIMIT and WITHSCORES", async () => {
    await sameBothProtocols([...seed, ...cs(
      "ZRANGE z 0 -1", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z -2 -1", "ZRANGE z 3 1", "ZRANGE z 10 20", "ZRANGE z -100 100",
      "ZRANGE z 0 -1 REV", "ZRANGE z 0 1 REV WITHSCORES", "ZRANGE z 0 -1 LIMIT 0 1", "ZRANGE z 0 -1 BYSCORE LIMIT 0 1",
      "ZRANGE z (1 3 BYSCORE", "ZRANGE z (1 (3 BYSCORE WITHSCORES", "ZRANGE z 3 (1 BYSCORE REV", "ZRANGE z (1 3 BYSCORE REV",
      "ZRANGE z -inf +inf BYSCORE LIMIT 1 2", "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES", "ZRANGE z -inf +inf BYSCORE LIMIT 0 -1",
      "ZRANGE z -inf +inf BYSCORE LIMIT 0 -5", "ZRANGE z -inf +inf BYSCORE LIMIT -1 5", "ZRANGE z -inf +inf BYSCORE LIMIT 5 5",
      "ZRANGE z -inf +inf BYSCORE LIMIT 4 5", "ZRANGE z -inf +inf BYSCORE LIMIT 0 0", "ZRANGE z -inf +inf BYSCORE LIMIT 0", "ZRANGE z 0 1 BYSCORE LIMIT 0 x",
      "ZRANGE z 0 -1 BYLEX BYSCORE", "ZRANGE z 0 -1 REV REV", "ZRANGE z a b BYSCORE", "ZRANGE z a b BYLEX", "ZRANGE z 0 -1 FOO",
      "ZRANGE lex - + BYLEX", "ZRANGE lex [b (e BYLEX", "ZRANGE lex (b [e BYLEX LIMIT 1 2", "ZRANGE lex + - BYLEX REV", "ZRANGE lex (e [b BYLEX REV",
      "ZRANGE lex - + BYLEX WITHSCORES", "ZRANGE lex [z + BYLEX", "ZRANGE lex - [0 BYLEX", "ZRANGE lex [ + BYLEX", "ZRANGE lex ( + BYLEX",
      "ZRANGE lex +a + BYLEX", "ZRANGE lex - -a BYLEX", "ZRANGE z a 1", "ZRANGE z 1 a", "ZRANGE nokey 0 -1", "ZRANGE nokey a b",
      "ZRANGE z '' 3 BYSCORE", "ZRANGE z ' 2' 4 BYSCORE", "ZRANGE z '2 ' 4 BYSCORE", "ZRANGE z ( 4 BYSCORE", "ZRANGE z 1e400 -1e400 BYSCORE REV",
      "ZRANGEBYSCORE z 2 4", "ZRANGEBYSCORE z 2 4 WITHSCORES LIMIT 1 1", "ZRANGEBYSCORE z 2 4 BYSCORE", "ZRANGEBYSCORE z 2 4 LIMIT 1",
      "ZRANGEBYSCORE z 2 4 REV", "ZREVRANGEBYSCORE z 4 2", "ZREVRANGEBYSCORE z 4 2 WITHSCORES LIMIT 1 5", "ZREVRANGEBYSCORE z 2 4",
      "ZRANGEBYLEX lex [b [d", "ZRANGEBYLEX lex - + LIMIT 2 2", "ZRANGEBYLEX lex - + WITHSCORES", "ZREVRANGEBYLEX lex [d [b", "ZREVRANGEBYLEX lex + - LIMIT 1 3",
      "ZREVRANGE z 0 1", "ZREVRANGE z 0 -1 WITHSCORES", "ZREVRANGE z 0 -1 REV", "ZREVRANGE z 0 -1 BYSCORE",
      "ZCOUNT z -inf +inf", "ZCOUNT z (1 (5", "ZCOUNT z 5 1", "ZCOUNT z x 1", "ZCOUNT nokey 0 1",
      "ZLEXCOUNT lex - +", "ZLEXCOUNT lex [b (d", "ZLEXCOUNT lex (d [b", "ZLEXCOUNT lex b d", "ZLEXCOUNT nokey - +",
      "ZRANK z c", "ZRANK z nope", "ZREVRANK z c", "ZRANK nokey a", "ZREVRANK z a", "ZRANK z c WITHSCORE",
    )]);
  });

  test("ZRANGESTORE and the ZREMRANGEBY family", async () => {
    await same([...seed, ...cs(
      "ZRANGESTORE {z}d z 1 3", "ZRANGE {z}d 0 -1 WITHSCORES", "ZRANGESTORE {z}d z (1 4 BYSCORE LIMIT 1 2", "ZRANGE {z}d 0 -1",
      "ZRANGESTORE {z}d z 3 1 BYSCORE REV", "ZRANGE {z}d 0 -1", "ZRANGESTORE {z}d z 0 -1 WITHSCORES", "ZRANGESTORE {z}d z 10 20", "EXISTS {z}d",
      "ZRANGESTORE {z}d {z}none 0 -1", "SET {z}s v", "ZRANGESTORE {z}s z 0 0", "TYPE {z}s", "ZRANGESTORE {lex}d lex [b [c BYLEX", "ZRANGE {lex}d 0 -1",
      "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYRANK z -1 -1", "ZREMRANGEBYRANK z 5 10", "ZREMRANGEBYRANK z x 1", "ZRANGE z 0 -1",
      "ZREMRANGEBYSCORE z (2 3", "ZREMRANGEBYSCORE z x 3", "ZRANGE z 0 -1", "ZREMRANGEBYLEX lex [b (e", "ZREMRANGEBYLEX lex b e", "ZRANGE lex 0 -1",
      "ZREMRANGEBYSCORE z -inf +inf", "EXISTS z", "ZREMRANGEBYLEX lex - +", "EXISTS lex", "ZREM nokey a",
      "ZADD r 1 a 2 b 3 c", "ZREM r a x", "ZREM r b c d", "EXISTS r",
    )]);
  });
});

describe("pops, random members and scans", () => {
  test("ZPOPMIN, ZPOPMAX, ZMPOP, and BZPOPMIN/BZMPOP that need not wait", async () => {
    await sameBothProtocols([...seed, ...cs(
      "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 0", "ZPOPMIN z -1", "ZPOPMIN z x", "ZPOPMIN z 1 2", "ZPOPMAX z 2", "ZPOPMIN nokey", "ZPOPMIN nokey 2",
      "ZADD z 1 a 2 b 3 c 4 d", "ZMPOP 1 z MIN", "ZMPOP 1 z MAX COUNT 2", "ZMPOP 2 {z}none z MIN COUNT 10", "ZMPOP 1 z MIN", "ZMPOP 0 z MIN",
      "ZMPOP 1 z FOO", "ZMPOP 1 z MIN COUNT 0", "ZMPOP 1 z MIN COUNT -1", "ZMPOP 1 z MIN COUNT 1 COUNT 2", "ZMPOP 2 z MIN", "ZMPOP x z MIN", "ZMPOP 1 z",
      "ZADD z 1 a 2 b 3 c", "BZPOPMIN z 0", "BZPOPMAX {z}none z 0.5", "BZPOPMIN z -1", "BZPOPMIN z x", "BZMPOP 0 1 z MAX COUNT 5",
      "BZMPOP -1 1 z MIN", "BZMPOP 0 0 z MIN", "EXISTS z", "ZADD z 1 a", "MULTI", "BZPOPMIN {z}none 0", "BZMPOP 0 1 {z}none MIN", "BZPOPMIN z 0", "EXEC",
    )]);
  });

  test("ZRANDMEMBER shapes and argument errors", async () => {
    await sameBothProtocols(cs(
      "ZADD one 7 only", "ZRANDMEMBER one", "ZRANDMEMBER one 1", "ZRANDMEMBER one -3", "ZRANDMEMBER one -2 WITHSCORES", "ZRANDMEMBER one 5 WITHSCORES",
      "ZRANDMEMBER one 0", "ZRANDMEMBER nokey", "ZRANDMEMBER nokey 5", "ZRANDMEMBER one x", "ZRANDMEMBER one 1 FOO", "ZRANDMEMBER one 1 WITHSCORES x",
      "ZRANDMEMBER one -9223372036854775808", "ZRANDMEMBER one -9223372036854775807 WITHSCORES", "ZRANDMEMBER one 9223372036854775807 WITHSCORES",
    ));
    // Several members: the picks differ, so only their membership and counts are compared.
    await pair.mk.call("ZADD", "r", "1", "a", "2", "b", "3", "c");
    for (const n of [2, 3, 10, -5]) {
      const got = (await pair.mk.callParsed("ZRANDMEMBER", "r", String(n))) as string[];
      expect(got.length).toBe(n < 0 ? -n : Math.min(n, 3));
      for (const m of got) expect(["a", "b", "c"]).toContain(m);
      if (n > 0) expect(new Set(got).size).toBe(got.length);
    }
  });

  test("ZSCAN returns every member once, with MATCH and COUNT, for both encodings", async () => {
    await same(cs("ZADD z 1 a 2 b 3 c", "ZSCAN z 0", "ZSCAN z 0 MATCH b*", "ZSCAN z 0 COUNT 0", "ZSCAN z 0 COUNT x", "ZSCAN z x", "ZSCAN nokey 0", "ZSCAN z 0 FOO 1"));
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(String(i), `m${i}`);
    await pair.mk.call("ZADD", "big", ...args);
    const seen = new Map<string, string>();
    let cursor = "0";
    do {
      const [next, items] = (await pair.mk.callParsed("ZSCAN", "big", cursor, "COUNT", "20")) as [string, string[]];
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.size).toBe(1000);
    expect(seen.get("m500")).toBe("500");
  });
});

describe("set algebra", () => {
  test("ZUNION, ZINTER, ZDIFF and their STORE forms, with WEIGHTS, AGGREGATE and plain sets", async () => {
    await sameBothProtocols(cs(
      "ZADD {a}1 1 a 2 b 3 c", "ZADD {a}2 10 b 20 c 30 d", "SADD {a}s b d e",
      "ZUNION 2 {a}1 {a}2", "ZUNION 2 {a}1 {a}2 WITHSCORES", "ZUNION 2 {a}1 {a}2 WEIGHTS 2 3 WITHSCORES", "ZUNION 2 {a}1 {a}2 AGGREGATE MIN WITHSCORES",
      "ZUNION 2 {a}1 {a}2 AGGREGATE MAX WITHSCORES", "ZUNION 3 {a}1 {a}2 {a}s WITHSCORES", "ZINTER 2 {a}1 {a}2 WITHSCORES", "ZINTER 2 {a}1 {a}s WITHSCORES",
      "ZINTER 3 {a}1 {a}2 {a}s WEIGHTS 1 1 5", "ZDIFF 2 {a}1 {a}2 WITHSCORES", "ZDIFF 2 {a}2 {a}s", "ZDIFF 1 {a}none", "ZINTER 2 {a}1 {a}none",
      "ZUNION 0 {a}1", "ZUNION 3 {a}1", "ZUNION 1 {a}1 WEIGHTS", "ZUNION 1 {a}1 WEIGHTS x", "ZUNION 1 {a}1 AGGREGATE foo", "ZDIFF 1 {a}1 WEIGHTS 1",
      "ZUNION 1 {a}1 WITHSCORES WITHSCORES", "ZUNION x {a}1", "ZUNION -1 {a}1", "ZUNION 2 {a}1 {a}1 WEIGHTS inf -inf WITHSCORES",
      "ZUNION 1 {a}1 WEIGHTS 0 WITHSCORES", "ZADD {a}i inf x", "ZUNION 1 {a}i WEIGHTS 0 WITHSCORES",
      "ZUNIONSTORE {a}d 2 {a}1 {a}2", "ZRANGE {a}d 0 -1 WITHSCORES", "ZINTERSTORE {a}d 2 {a}1 {a}2 AGGREGATE MAX", "ZRANGE {a}d 0 -1 WITHSCORES",
      "ZDIFFSTORE {a}d 2 {a}1 {a}2", "ZRANGE {a}d 0 -1 WITHSCORES", "ZINTERSTORE {a}d 2 {a}1 {a}none", "EXISTS {a}d", "ZUNIONSTORE {a}d 1 {a}1 WITHSCORES",
      "ZUNIONSTORE {a}d 0 {a}1", "ZDIFFSTORE {a}d 1 {a}s", "ZRANGE {a}d 0 -1 WITHSCORES", "SET {a}str x", "ZUNION 2 {a}1 {a}str", "ZUNIONSTORE {a}str 1 {a}1", "TYPE {a}str",
      "ZINTERCARD 2 {a}1 {a}2", "ZINTERCARD 2 {a}1 {a}2 LIMIT 1", "ZINTERCARD 2 {a}1 {a}2 LIMIT -1", "ZINTERCARD 0 {a}1", "ZINTERCARD 3 {a}1 {a}2",
      "ZINTERCARD 2 {a}1 {a}s", "ZINTERCARD 1 {a}1 LIMIT x", "ZINTERCARD 1 {a}1 FOO",
    ));
  });
});

describe("real clients", () => {
  test("ioredis leaderboard: ZADD, ZINCRBY, ZREVRANGE WITHSCORES and ZREVRANK", async () => {
    const client = new Redis({ port: pair.memkeep!.port, lazyConnect: true });
    await client.connect();
    try {
      await client.del("board");
      await client.zadd("board", 100, "ann", 250, "bob", 175, "cid");
      await client.zincrby("board", 200, "ann");
      await client.zincrby("board", 0.5, "cid");
      expect(await client.zrevrange("board", 0, 2, "WITHSCORES")).toEqual(["ann", "300", "bob", "250", "cid", "175.5"]);
      expect(await client.zrevrank("board", "bob")).toBe(1);
      expect(await client.zrevrank("board", "nobody")).toBe(null);
      expect(await client.zscore("board", "cid")).toBe("175.5");
      expect(await client.zcard("board")).toBe(3);
    } finally {
      client.disconnect();
    }
  });
});

describe("blocking pops", () => {
  /** Runs the same scenario on both servers: waiter clients block, a writer wakes them. */
  async function scenario(port: number): Promise<string[]> {
    const w1 = await RespClient.connect(port);
    const w2 = await RespClient.connect(port);
    const writer = await RespClient.connect(port);
    try {
      await writer.call("FLUSHALL");
      const out: string[] = [];
      const first = w1.call("BZPOPMIN", "{b}1", "{b}2", "0");
      await Bun.sleep(50);
      const second = w2.call("BZMPOP", "0", "2", "{b}2", "{b}1", "MAX", "COUNT", "2");
      await Bun.sleep(50);
      out.push(escapeBytes(await writer.call("ZADD", "{b}2", "1", "a", "2", "b", "3", "c")));
      out.push(`first waiter: ${escapeBytes(await first)}`);
      out.push(`second waiter: ${escapeBytes(await second)}`);
      out.push(escapeBytes(await writer.call("ZRANGE", "{b}2", "0", "-1", "WITHSCORES")));
      const started = Date.now();
      out.push(`timeout: ${escapeBytes(await w1.call("BZPOPMAX", "{b}none", "0.2"))}`);
      const waited = Date.now() - started;
      out.push(`waited about the timeout: ${waited >= 150 && waited < 2000}`);
      out.push(`bzmpop timeout: ${escapeBytes(await w2.call("BZMPOP", "0.1", "1", "{b}none", "MIN"))}`);
      // A waiter is not served by a key of another type, and keeps waiting for its zset.
      const third = w1.call("BZPOPMAX", "{b}3", "1");
      await Bun.sleep(50);
      out.push(escapeBytes(await writer.call("SET", "{b}3", "x")));
      out.push(escapeBytes(await writer.call("DEL", "{b}3")));
      out.push(escapeBytes(await writer.call("ZADD", "{b}3", "5", "z")));
      out.push(`third waiter: ${escapeBytes(await third)}`);
      return out;
    } finally {
      await Promise.all([w1.close(), w2.close(), writer.close()]);
    }
  }

  test("BZPOPMIN and BZMPOP wait, are served in arrival order by a later ZADD, and time out with a null array", async () => {
    const mine = await scenario(pair.memkeep!.port);
    const theirs = await scenario(pair.redis!.port);
    expect(mine).toEqual(theirs);
  }, 20_000);
});

describe("keyspace operations on sorted sets", () => {
  test("COPY, RENAME (also across shards), MOVE, EXPIRE, TYPE and DEL keep or drop the whole set", async () => {
    const many: string[] = [];
    for (let i = 0; i < 300; i++) many.push(String(i % 17), `m${i}`);
    await same([
      ["ZADD", "src", ...many], ...cs(
        "ZADD small 1 a 2 b", "COPY src dst", "ZCARD dst", "ZRANGE dst 0 4 WITHSCORES", "ZADD dst 100 extra", "ZCARD src", "ZCARD dst",
        "RENAME src renamed", "EXISTS src", "ZRANK renamed m299", "ZSCORE renamed m5", "OBJECT ENCODING renamed", "COPY small small2", "OBJECT ENCODING small2",
        "RENAME small2 other", "ZRANGE other 0 -1 WITHSCORES", "MOVE other 1", "SELECT 1", "ZRANGE other 0 -1", "SELECT 0", "EXPIRE dst 1000", "TTL dst",
        "TYPE renamed", "DEL renamed dst small", "EXISTS renamed dst small", "COPY nokey x",
      ),
    ]);
  });

  test("MEMORY USAGE grows with the set and DEL returns the arena memory", async () => {
    const mk = pair.mk;
    await mk.call("FLUSHALL");
    const used = async () => Number(/used_memory:(\d+)/.exec(new TextDecoder().decode(await mk.call("INFO", "memory")))![1]);
    const before = await used();
    for (let i = 0; i < 20; i++) {
      const args: string[] = [];
      for (let j = 0; j < 500; j++) args.push(String(j), `member:${i}:${j}`);
      await mk.call("ZADD", "mem", ...args);
    }
    const small = Number(await mk.callParsed("MEMORY", "USAGE", "mem"));
    await mk.call("ZADD", "mem2", "1", "a");
    expect(Number(await mk.callParsed("MEMORY", "USAGE", "mem2"))).toBeLessThan(small / 100);
    expect(small).toBeGreaterThan(10_000 * 20);
    expect(await used()).toBeGreaterThan(before + 10_000 * 20);
    await mk.call("DEL", "mem", "mem2");
    expect(await used()).toBeLessThan(before + 4096);
  });
});

describe("keyspace notifications", () => {
  const zsetEventCommands = [
    "ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z XX 5 nope", "ZADD z INCR 1 a", "ZINCRBY z 2 b", "ZREM z nope", "ZREM z a",
    "ZADD z 1 a 2 d 3 e 4 f", "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYSCORE z 3 3", "ZREMRANGEBYLEX z - +", "ZADD z 1 a 2 b",
    "ZPOPMIN z", "ZPOPMAX z", "ZADD z 1 a 2 b", "ZMPOP 1 z MIN COUNT 5", "ZADD {z}1 1 a 2 b", "ZADD {z}2 2 b 3 c",
    "ZUNIONSTORE {z}d 2 {z}1 {z}2", "ZINTERSTORE {z}d 2 {z}1 {z}2", "ZDIFFSTORE {z}d 2 {z}1 {z}1", "ZRANGESTORE {z}d {z}1 0 0",
    "ZRANGESTORE {z}d {z}1 5 6", "GEOADD {z}g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "GEOSEARCHSTORE {z}d {z}g FROMMEMBER Palermo BYRADIUS 200 km", "GEORADIUS {z}g 15 37 200 km STORE {z}d2",
    "GEOSEARCHSTORE {z}d {z}g FROMLONLAT 0 0 BYRADIUS 1 km", "BZPOPMIN {z}1 0",
  ];

  /** The notifications a subscriber on __key*__:* receives for each command, as lines. */
  async function eventsOf(port: number): Promise<string[]> {
    const sub = await RespClient.connect(port, { readTimeoutMs: 3000 });
    const cli = await RespClient.connect(port, { readTimeoutMs: 3000 });
    const out: string[] = [];
    try {
      await cli.call("FLUSHALL");
      await cli.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      await sub.call("PSUBSCRIBE", "__key*__:*");
      for (const line of zsetEventCommands) {
        const words = line.split(" ");
        out.push(`${line} => ${escapeBytes(await cli.call(...words), 200)}`);
        await cli.call("PUBLISH", "__keyspace@0__:MARK", line);
        for (;;) {
          const f = (await sub.readParsed()) as string[];
          if (f[2] === "__keyspace@0__:MARK") break;
          out.push(`  ${f[2]} ${f[3]}`);
        }
      }
    } finally {
      await cli.call("CONFIG", "SET", "notify-keyspace-events", "");
      await Promise.all([sub.close(), cli.close()]);
    }
    return out;
  }

  test("every write publishes Redis's event names (zadd, zincr, zrem, zpopmin, zunionstore, georadiusstore, del...)", async () => {
    const theirs = await eventsOf(pair.redis!.port);
    const mine = await eventsOf(pair.memkeep!.port);
    expect(mine).toEqual(theirs);
  }, 20_000);
});
