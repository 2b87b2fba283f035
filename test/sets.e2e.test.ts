// The set commands against redis-server 7.0: each case sends the same commands to both servers and
// asserts identical reply bytes. Intsets answer in ascending order in both servers, so their replies
// are compared byte for byte; hashtable sets answer in hash order, which differs by design, so those
// replies are compared sorted. Random picks (SRANDMEMBER, SPOP) are checked for shape and membership.
// Also: OBJECT ENCODING transitions (intset limits, never back, STORE results and SPOP's rebuild
// starting again as intsets), errors and their order, RESP3 shapes, and multi-key commands whose
// keys live on different shards (run with MEMKEEP_TEST_SHARD_WORKERS=3).

import { describe, expect, test } from "bun:test";
import { cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { commandTable } from "../src/commands/registry.ts";
import { RespClient, type RespValue } from "./helpers/resp.ts";

const pair = useReferencePair();
const expectSameReplies = sameReplies(pair);

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
function sorted(v: RespValue): string[] {
  return (v as unknown[]).map(String).sort();
}
async function onBoth(cmds: string[][]): Promise<void> {
  for (const c of [pair.mk, pair.rd]) for (const cmd of cmds) await c.call(...cmd);
}

test("each set command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const names = [
    "sadd", "srem", "scard", "sismember", "smismember", "smembers", "srandmember", "spop", "smove", "sinter", "sintercard",
    "sunion", "sdiff", "sinterstore", "sunionstore", "sdiffstore", "sscan",
  ];
  const fromRedis = (await pair.rd.callParsed("COMMAND", "INFO", ...names)) as unknown[][];
  const theirs = fromRedis.map((i) => [i[0], i[1], i[2], i[3], i[4], i[5], i[6]]);
  const ours = names.map((n) => {
    const s = commandTable().byFullName(n)!;
    return [n, s.arity, s.flags, s.firstKey, s.lastKey, s.step, s.acl];
  });
  expect(ours).toEqual(theirs as typeof ours);
});

describe("intsets answer exactly as redis-server", () => {
  test("SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS in ascending order", async () => {
    await expectSameReplies(cs(
      "SADD s 5 -3 100 0 5 9223372036854775807 -9223372036854775808", "SMEMBERS s", "SCARD s", "OBJECT ENCODING s",
      "SISMEMBER s 5", "SISMEMBER s 6", "SISMEMBER s 05", "SISMEMBER s x", "SMISMEMBER s 0 1 -3 a", "SREM s 0 0 7 100",
      "SMEMBERS s", "SREM s 5 -3 9223372036854775807 -9223372036854775808", "EXISTS s", "SCARD nokey", "SISMEMBER nokey a",
      "SMISMEMBER nokey a b", "SMEMBERS nokey", "SREM nokey a", "SADD t 9007199254740993 -9007199254740993 2", "SMEMBERS t",
      "SISMEMBER t 9007199254740993", "SISMEMBER t 9007199254740992", "SADD u 1 +1 01 -0 ' 1'", "OBJECT ENCODING u",
      "SCARD u",
    ));
  });
  test("SSCAN of a small set returns everything with cursor 0, MATCH applied; options checked after the key", async () => {
    await expectSameReplies(cs(
      "SADD s 1 2 3 10 11 20", "SSCAN s 0", "SSCAN s 0 MATCH 1*", "SSCAN s 0 COUNT 2", "SSCAN s 0 COUNT 0", "SSCAN s 0 COUNT x",
      "SSCAN s 0 MATCH", "SSCAN s x", "SSCAN nokey 0 COUNT 0", "SSCAN nokey x", "SSCAN s 0 foo bar",
    ));
  });
});

describe("OBJECT ENCODING follows Redis 7.0's conversions", () => {
  test("a non-integer member or set-max-intset-entries converts, and it never converts back", async () => {
    await expectSameReplies(cs(
      "SADD s 1 2 3", "OBJECT ENCODING s", "SADD s a", "OBJECT ENCODING s", "SREM s a", "OBJECT ENCODING s", "SCARD s",
      "CONFIG SET set-max-intset-entries 3", "SADD t 1 2 3", "OBJECT ENCODING t", "SADD t 4", "OBJECT ENCODING t",
      "CONFIG SET set-max-intset-entries 0", "SADD z 1", "OBJECT ENCODING z", "CONFIG SET set-max-intset-entries 512",
      "SADD n a", "OBJECT ENCODING n",
    ));
  });
  test("STORE results and SMOVE's new key start as intsets", async () => {
    await expectSameReplies(cs(
      "SADD a 1 2 3 x", "SADD b 2 3 4 x", "SINTERSTORE i a b", "SREM a x", "SINTERSTORE i a b", "OBJECT ENCODING i", "SMEMBERS i",
      "SUNIONSTORE u a b", "OBJECT ENCODING u", "SREM b x", "SUNIONSTORE u a b", "OBJECT ENCODING u", "SMEMBERS u",
      "SDIFFSTORE d a b", "OBJECT ENCODING d", "SMEMBERS d", "SMOVE a m 1", "OBJECT ENCODING m", "SMOVE b m x",
      "SADD h y", "SMOVE h m2 y", "OBJECT ENCODING m2",
    ));
  });
  test("SPOP with a count close to the size rebuilds the rest as a new set (an intset when it can be)", async () => {
    const cmds = [["SADD", "s", "a"]];
    for (let i = 1; i <= 20; i++) cmds.push(["SADD", "s", String(i)]);
    cmds.push(["SREM", "s", "a"], ["OBJECT", "ENCODING", "s"], ["SPOP", "s", "18"], ["OBJECT", "ENCODING", "s"], ["SCARD", "s"]);
    for (const c of [pair.mk, pair.rd]) await c.call("FLUSHALL");
    for (const cmd of cmds) {
      const [m, r] = await both(...cmd);
      if (cmd[0] !== "SPOP") expect([cmd, m]).toEqual([cmd, r]);
      else expect([(m as unknown[]).length, (r as unknown[]).length]).toEqual([18, 18]);
    }
  });
});

describe("set algebra", () => {
  test("SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD on intsets, byte for byte", async () => {
    await expectSameReplies(cs(
      "SADD a 1 2 3 4 5", "SADD b 4 5 6 7", "SADD c 5 7 9", "SINTER a b", "SINTER a b c", "SINTER a nokey", "SINTER nokey",
      "SUNION a b c", "SUNION nokey a", "SDIFF a b", "SDIFF a b c", "SDIFF nokey a", "SDIFF b nokey", "SINTERSTORE d a b",
      "SMEMBERS d", "SINTERSTORE d a nokey", "EXISTS d", "SUNIONSTORE d a b c", "SMEMBERS d", "SDIFFSTORE d a a", "EXISTS d",
      "SET str v", "EXPIRE str 100", "SUNIONSTORE str a", "TTL str", "TYPE str", "SINTERCARD 2 a b", "SINTERCARD 3 a b c",
      "SINTERCARD 2 a b LIMIT 1", "SINTERCARD 2 a b LIMIT 0", "SINTERCARD 1 nokey", "SINTERSTORE a a b", "SMEMBERS a",
    ));
  });
  test("errors and WRONGTYPE are checked over every key first, in Redis's order", async () => {
    await expectSameReplies(cs(
      "SADD a 1", "SET str v", "SINTER a str", "SINTER nokey str", "SUNION str nokey", "SDIFF nokey str", "SDIFFSTORE d nokey str",
      "SINTERSTORE d nokey str", "SUNIONSTORE d a str", "SINTERCARD 2 nokey str", "SINTERCARD 0 a", "SINTERCARD x a",
      "SINTERCARD 2 a", "SINTERCARD -1 a", "SINTERCARD 1 a LIMIT -1", "SINTERCARD 1 a LIMIT x", "SINTERCARD 1 a foo",
      "SINTERCARD 1 a LIMIT", "SINTERCARD 1 str LIMIT -1", "SADD str a", "SREM str a", "SCARD str", "SISMEMBER str a",
      "SMISMEMBER str a", "SMEMBERS str", "SRANDMEMBER str", "SRANDMEMBER str 1", "SPOP str", "SPOP str 1", "SSCAN str 0",
      "SMOVE str a 1", "SMOVE a str 1", "SMOVE a str 9", "SMOVE nokey str 1", "SMOVE str nokey 1", "SRANDMEMBER a 1 2",
      "SRANDMEMBER a x", "SRANDMEMBER a -9223372036854775808", "SPOP a x", "SPOP a -1", "SPOP a 1 2", "SPOP a -9223372036854775808",
    ));
  });
  test("hashtable sets agree as sorted member lists, across shards", async () => {
    await pair.mk.call("FLUSHALL");
    await pair.rd.call("FLUSHALL");
    const mk = (name: string, from: number, to: number, step: number) => {
      const cmd = ["SADD", name];
      for (let i = from; i < to; i += step) cmd.push(`m${i}`);
      return cmd;
    };
    await onBoth([mk("{x}a", 0, 1000, 1), mk("b", 0, 1000, 2), mk("c", 0, 1000, 3), mk("zz", 500, 700, 1)]);
    for (const cmd of [["SINTER", "{x}a", "b", "c"], ["SUNION", "b", "c", "zz"], ["SDIFF", "{x}a", "b", "c"], ["SMEMBERS", "b"],
      ["SINTERSTORE", "d1", "{x}a", "b", "zz"], ["SMEMBERS", "d1"], ["SUNIONSTORE", "d2", "c", "zz"], ["SMEMBERS", "d2"],
      ["SDIFFSTORE", "d3", "zz", "c"], ["SMEMBERS", "d3"]]) {
      const [m, r] = await both(...cmd);
      expect([cmd, typeof m === "number" ? m : sorted(m)]).toEqual([cmd, typeof r === "number" ? r : sorted(r)]);
    }
    for (const cmd of [["SCARD", "d1"], ["SINTERCARD", "3", "{x}a", "b", "c"], ["SINTERCARD", "2", "{x}a", "b", "LIMIT", "10"],
      ["SMOVE", "b", "c", "m2"], ["SMOVE", "b", "c", "m1"], ["SISMEMBER", "c", "m2"], ["SCARD", "b"], ["SCARD", "c"],
      ["OBJECT", "ENCODING", "d1"], ["SMOVE", "zz", "zz", "m500"], ["SMOVE", "zz", "zz", "nope"]]) {
      const [m, r] = await both(...cmd);
      expect([cmd, m]).toEqual([cmd, r]);
    }
  });
  test("SSCAN over a hashtable returns every member present for the whole scan, while the set grows", async () => {
    await pair.mk.call("DEL", "s");
    for (let i = 0; i < 1000; i += 100) {
      const cmd = ["SADD", "s"];
      for (let j = i; j < i + 100; j++) cmd.push(`s${j}`);
      await pair.mk.call(...cmd);
    }
    const seen = new Set<string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const reply = (await pair.mk.callParsed("SSCAN", "s", cursor, "COUNT", "15")) as [string, string[]];
      cursor = reply[0];
      for (const m of reply[1]) seen.add(m);
      if (rounds < 20) {
        const cmd = ["SADD", "s"];
        for (let i = 0; i < 60; i++) cmd.push(`grow${rounds}_${i}`);
        await pair.mk.call(...cmd);
      }
      rounds++;
    } while (cursor !== "0" && rounds < 10000);
    for (let i = 0; i < 1000; i++) expect(seen.has(`s${i}`)).toBe(true);
  }, 30_000);
});

describe("random members", () => {
  test("SRANDMEMBER and SPOP: counts, distinctness, repeats, whole-set replies and deletion", async () => {
    for (const members of [["1", "2", "3", "4", "5"], Array.from({ length: 40 }, (_, i) => `m${i}`), Array.from({ length: 800 }, (_, i) => `k${i}`)]) {
      await pair.mk.call("DEL", "s");
      await pair.mk.call("SADD", "s", ...members);
      const all = new Set(members);
      const one = (await pair.mk.callParsed("SRANDMEMBER", "s")) as string;
      expect(all.has(one)).toBe(true);
      const some = (await pair.mk.callParsed("SRANDMEMBER", "s", String(members.length - 1))) as string[];
      expect(new Set(some).size).toBe(members.length - 1);
      for (const m of some) expect(all.has(m)).toBe(true);
      const rep = (await pair.mk.callParsed("SRANDMEMBER", "s", "-100")) as string[];
      expect(rep.length).toBe(100);
      for (const m of rep) expect(all.has(m)).toBe(true);
      const whole = (await pair.mk.callParsed("SRANDMEMBER", "s", "100000")) as string[];
      expect(whole.sort()).toEqual([...members].sort());
      const popped = (await pair.mk.callParsed("SPOP", "s", "2")) as string[];
      expect(new Set(popped).size).toBe(2);
      const p1 = (await pair.mk.callParsed("SPOP", "s")) as string;
      expect(all.has(p1) && !popped.includes(p1)).toBe(true);
      const rest = (await pair.mk.callParsed("SPOP", "s", String(members.length - 4))) as string[];
      expect(new Set([...popped, p1, ...rest]).size).toBe(members.length - 1);
      expect(await pair.mk.callParsed("SCARD", "s")).toBe(1);
      const last = (await pair.mk.callParsed("SPOP", "s", "5")) as string[];
      expect(last.length).toBe(1);
      expect(await pair.mk.callParsed("EXISTS", "s")).toBe(0);
    }
  });
  test("empty and whole-set replies are deterministic and equal redis-server's", async () => {
    await expectSameReplies(cs(
      "SRANDMEMBER nokey", "SRANDMEMBER nokey 3", "SRANDMEMBER nokey -3", "SPOP nokey", "SPOP nokey 3", "SPOP nokey 0",
      "SADD s 3 1 2", "SRANDMEMBER s 0", "SPOP s 0", "SRANDMEMBER s 3", "SRANDMEMBER s 10", "SPOP s 3", "EXISTS s",
      "SADD s 7", "SPOP s", "EXISTS s",
    ));
    await resp3(cs(
      "SRANDMEMBER nokey 3", "SPOP nokey 3", "SPOP nokey", "SADD s 3 1 2", "SRANDMEMBER s 5", "SMEMBERS s", "SINTER s s",
      "SUNION s nokey", "SDIFF s nokey", "SMEMBERS nokey", "SPOP s 0", "SPOP s 5",
    ));
  });
});

describe("keyspace notifications", () => {
  test("hash and set writes publish Redis's event names, including del for emptied keys and STORE results", async () => {
    const events = async (port: number): Promise<string[]> => {
      const sub = await RespClient.connect(port);
      const c = await RespClient.connect(port);
      try {
        await c.call("FLUSHALL");
        await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        await sub.call("PSUBSCRIBE", "__keyevent@0__:*");
        for (const cmd of cs(
          "HSET h a 1", "HINCRBY h n 1", "HINCRBYFLOAT h f 1.5", "HDEL h a n f", "HSETNX h2 b 1", "HMSET h2 c 1", "HDEL h2 zz",
          "SADD s 1 2 3", "SADD s 1", "SREM s 1", "SPOP s 0", "SADD s 4", "SMOVE s t 2", "SMOVE s t 3", "SMOVE s t 4", "SADD a x",
          "SINTERSTORE d a t", "SUNIONSTORE d a t", "SDIFFSTORE d a a", "SPOP t 5", "SET end 1",
        )) await c.call(...cmd);
        const out: string[] = [];
        for (;;) {
          const msg = (await sub.readParsed(2000)) as string[];
          out.push(`${msg[2]} ${msg[3]}`);
          if (msg[3] === "end") break;
        }
        return out;
      } finally {
        await c.call("CONFIG", "SET", "notify-keyspace-events", "");
        await Promise.all([sub.close(), c.close()]);
      }
    };
    const theirs = await events(pair.redis!.port);
    expect(await events(pair.memkeep!.port)).toEqual(theirs);
    expect(theirs.length).toBeGreaterThan(20);
  });
});
