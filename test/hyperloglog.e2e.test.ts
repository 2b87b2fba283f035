// HyperLogLog against redis-server 7.0: after the same PFADDs both servers must hold byte-identical
// string values (GET) and answer the same PFCOUNT, through the sparse encoding, its promotion to dense
// (by size and by hll-sparse-max-bytes), the cached cardinality bytes, PFMERGE of sparse and dense
// values, PFCOUNT of several keys, values written by Redis and SET into memkeep, and the errors for
// strings that are not HLLs (WRONGTYPE) or are corrupt (INVALIDOBJ). An analytics pipeline with ioredis
// (per-day unique visitors, PFMERGE into a weekly key) closes the file.
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS, so multi-key PFCOUNT/PFMERGE also cross shards.

import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { commandTable } from "../src/commands/registry.ts";
import { escapeBytes } from "./helpers/resp.ts";

const pair = useReferencePair();
const expectSameReplies = sameReplies(pair);

/** n distinct elements "prefix:i" as PFADD commands of up to `batch` elements each. */
function pfadds(key: string, prefix: string, n: number, batch: number): Cmd[] {
  const out: Cmd[] = [];
  for (let i = 0; i < n; i += batch) {
    const cmd: Cmd = ["PFADD", key];
    for (let j = i; j < Math.min(n, i + batch); j++) cmd.push(`${prefix}:${j}`);
    out.push(cmd);
  }
  return out;
}

/** Sends cmds to both servers (pipelined per server) and returns whether every reply matched. */
async function sameBulk(cmds: Cmd[]): Promise<void> {
  const run = async (c: typeof pair.mk) => {
    const replies = await Promise.all(cmds.map((cmd) => c.call(...cmd)));
    return replies.map((r, i) => `${String(cmds[i][0])} ${String(cmds[i][1])} => ${escapeBytes(r, 200)}`);
  };
  const [mine, theirs] = await Promise.all([run(pair.mk), run(pair.rd)]);
  expect(mine).toEqual(theirs);
}

test("each HLL command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const names = ["pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"];
  const fromRedis = (await pair.rd.callParsed("COMMAND", "INFO", ...names)) as unknown[][];
  const theirs = fromRedis.map((info) => ({
    name: info[0], arity: info[1], flags: info[2], firstKey: info[3], lastKey: info[4], step: info[5], acl: info[6],
  }));
  const ours = names.map((name) => {
    const spec = commandTable().byFullName(name)!;
    return { name, arity: spec.arity, flags: spec.flags, firstKey: spec.firstKey, lastKey: spec.lastKey, step: spec.step, acl: spec.acl };
  });
  expect(ours).toEqual(theirs as typeof ours);
});

describe("PFADD and PFCOUNT: same counts and same bytes", () => {
  test("an empty HLL, then 10 and 1000 elements one command at a time", async () => {
    const cmds: Cmd[] = cs("PFADD h", "GET h", "PFCOUNT h", "GET h", "OBJECT ENCODING h", "PFADD h", "PFCOUNT missing", "EXISTS missing");
    for (const c of pfadds("h", "e", 10, 1)) cmds.push(c, ["GET", "h"]);
    cmds.push(["PFCOUNT", "h"], ["GET", "h"]);
    for (const c of pfadds("h", "e", 10, 3)) cmds.push(c); // all present: :0
    cmds.push(["GET", "h"], ["PFCOUNT", "h"]);
    await expectSameReplies(cmds);
    const more: Cmd[] = [];
    for (const c of pfadds("k", "m", 1000, 1)) more.push(c, ["STRLEN", "k"]);
    more.push(["GET", "k"], ["PFCOUNT", "k"], ["GET", "k"], ["PFCOUNT", "k"]);
    await sameBulk(more);
  });

  test("100k elements in batches: counts after every batch and the final dense bytes", async () => {
    const cmds: Cmd[] = [];
    for (const c of pfadds("big", "user", 100_000, 1000)) cmds.push(c, ["PFCOUNT", "big"]);
    cmds.push(["GET", "big"], ["STRLEN", "big"]);
    await sameBulk(cmds);
  });

  test("binary, empty and long elements, and repeated elements in one call", async () => {
    await expectSameReplies([
      ["PFADD", "b", "", "\x00", "\x00\x00", new Uint8Array([255, 254, 0, 1, 2, 3, 4, 5, 6]), "x".repeat(1000), "a", "a", "a"],
      ["GET", "b"], ["PFCOUNT", "b"], ["PFADD", "b", "a", ""], ["GET", "b"],
      ...Array.from({ length: 17 }, (_, n): Cmd => ["PFADD", "b", "y".repeat(n)]), ["GET", "b"], ["PFCOUNT", "b"],
    ]);
  });
});

describe("sparse to dense promotion", () => {
  test("crossing hll-sparse-max-bytes one element at a time, with the value checked after each PFADD", async () => {
    const cmds: Cmd[] = [];
    for (const c of pfadds("p", "z", 3000, 1)) cmds.push(c, ["STRLEN", "p"]);
    for (let i = 0; i < 3000; i += 97) cmds.splice(i * 2, 0, ["GET", "p"]);
    cmds.push(["GET", "p"], ["PFCOUNT", "p"], ["GET", "p"]);
    await sameBulk(cmds);
  });

  test("a small hll-sparse-max-bytes promotes early; the cached cardinality bytes carry over", async () => {
    for (const c of [pair.mk, pair.rd]) expect(String(await c.callParsed("CONFIG", "SET", "hll-sparse-max-bytes", "60"))).toBe("OK");
    try {
      const cmds: Cmd[] = [...pfadds("q", "w", 10, 1), ["PFCOUNT", "q"], ["GET", "q"]];
      for (const c of pfadds("q", "v", 40, 1)) cmds.push(c, ["GET", "q"]);
      cmds.push(["PFCOUNT", "q"], ["GET", "q"]);
      await sameBulk(cmds);
    } finally {
      for (const c of [pair.mk, pair.rd]) await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
    }
  });

  test("hll-sparse-max-bytes 0 makes the first growing edit promote", async () => {
    for (const c of [pair.mk, pair.rd]) await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "0");
    try {
      await sameBulk([["PFADD", "z0", "a"], ["GET", "z0"], ["PFADD", "z1"], ["GET", "z1"], ["PFADD", "z1", "b", "c"], ["GET", "z1"]]);
    } finally {
      for (const c of [pair.mk, pair.rd]) await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
    }
  });
});

describe("PFMERGE and PFCOUNT of several keys", () => {
  test("unions of sparse, dense and missing keys across shards", async () => {
    const cmds: Cmd[] = [
      ...pfadds("day1", "u", 500, 50), ...pfadds("day2", "u", 800, 100).map((c) => c.map((a, i) => (i >= 2 ? `${String(a)}x` : a))),
      ...pfadds("day3", "u", 5000, 500), ...pfadds("day4", "w", 30, 5),
      ["PFCOUNT", "day1", "day2"], ["PFCOUNT", "day1", "day2", "day3", "nokey"], ["PFCOUNT", "nokey", "nokey2"],
      ["PFCOUNT", "day4", "day1"], ["PFCOUNT", "day1", "day1"],
      ["PFMERGE", "week", "day1", "day2"], ["GET", "week"], ["PFCOUNT", "week"],
      ["PFMERGE", "week", "day4"], ["GET", "week"], ["PFMERGE", "week", "day3"], ["GET", "week"], ["PFCOUNT", "week"],
      ["PFMERGE", "s2", "day4", "day1"], ["GET", "s2"], ["PFMERGE", "d2", "day3", "day4"], ["GET", "d2"],
      ["PFMERGE", "empty"], ["GET", "empty"], ["PFMERGE", "empty2", "nokey"], ["GET", "empty2"], ["PFCOUNT", "empty2"],
      ["PFMERGE", "day4", "day4"], ["GET", "day4"], ["PFMERGE", "day4"], ["GET", "day4"],
      ["PFCOUNT", "day1"], ["PFMERGE", "day1", "day4"], ["GET", "day1"], ["PFCOUNT", "day1"], ["GET", "day1"],
      ["SET", "ttl", "x"], ["DEL", "ttl"], ["PFADD", "ttl", "a"], ["EXPIRE", "ttl", "100"], ["PFMERGE", "ttl", "day4"], ["TTL", "ttl"],
    ];
    await sameBulk(cmds);
  });
});

describe("values written by Redis, and invalid values", () => {
  test("an HLL read from redis-server and SET into memkeep keeps working (sparse and dense)", async () => {
    await sameBulk([...pfadds("src1", "r", 200, 20), ...pfadds("src2", "r", 4000, 400)]);
    for (const key of ["src1", "src2"]) {
      const value = (await pair.rd.callParsed("GET", key)) as Uint8Array;
      await pair.mk.call("DEL", key);
      expect(String(await pair.mk.callParsed("SET", key, value))).toBe("OK");
    }
    await sameBulk([
      ["PFCOUNT", "src1"], ["PFCOUNT", "src2"], ["PFADD", "src1", "new1", "new2"], ["PFADD", "src2", "new1"], ["GET", "src1"], ["GET", "src2"],
      ["PFCOUNT", "src1", "src2"], ["PFMERGE", "src3", "src1", "src2"], ["GET", "src3"], ["OBJECT", "ENCODING", "src1"],
    ]);
  });

  test("strings that are not HLLs, corrupt sparse values, and a dense value of the wrong length", async () => {
    const hdr = (enc: number, rest: number[]) => new Uint8Array([0x48, 0x59, 0x4c, 0x4c, enc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...rest]);
    const dense = new Uint8Array(12304);
    dense.set(hdr(0, []));
    dense[16] = 5;
    await expectSameReplies([
      ...cs("SET s foo", "PFADD s a", "PFCOUNT s", "PFCOUNT s nokey", "PFMERGE s", "PFMERGE d s", "EXISTS d", "SET n 12345", "PFADD n a"),
      ["SET", "short", hdr(1, []).subarray(0, 15)], ["PFCOUNT", "short"],
      ["SET", "noregs", hdr(1, [])], ["PFCOUNT", "noregs"], ["PFADD", "noregs", "a"], ["PFADD", "noregs"], ["GET", "noregs"],
      ["SET", "enc2", hdr(2, [0x7f, 0xff])], ["PFADD", "enc2", "a"], ["PFCOUNT", "enc2"],
      ["SET", "magic", new Uint8Array([0x48, 0x59, 0x4c, 0x4d, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff])], ["PFCOUNT", "magic"],
      ["SET", "d", dense], ["PFCOUNT", "d"], ["GET", "d"], ["PFADD", "d", "a", "b"], ["PFCOUNT", "d"],
      ["SET", "dshort", dense.subarray(0, 12303)], ["PFCOUNT", "dshort"], ["PFADD", "dshort", "x"],
      ["SET", "xz100", hdr(1, [0x40, 99])], ["PFCOUNT", "xz100"], ["PFCOUNT", "xz100", "nokey"], ["PFMERGE", "m", "xz100"], ["EXISTS", "m"],
      ["PFADD", "xz100", "a"], ["PFADD", "xz100", "zzzz"], ["GET", "xz100"],
      ["SET", "long", hdr(1, [0x7f, 0xff, 0x80, 0x80])], ["PFCOUNT", "long"], ["PFADD", "long", "a"],
      ["SET", "valovr", hdr(1, [0x7f, 0xfe, 0x83])], ["PFCOUNT", "valovr"], ["PFMERGE", "m2", "valovr"],
      ["SET", "cached", hdr(1, [0x7f, 0xff])], ["SETRANGE", "cached", "8", "\x07\x00\x00\x00\x00\x00\x00\x00"], ["PFCOUNT", "cached"],
      ["SETRANGE", "cached", "8", "\xff\xff\xff\xff\xff\xff\xff\x7f"], ["PFCOUNT", "cached"], ["GET", "cached"],
      ["SET", "tail", hdr(1, [0x7f])], ["PFCOUNT", "tail"], ["PFADD", "tail", "x"],
    ]);
  });

  test("WRONGTYPE for a key of another type", async () => {
    const other = await nonStringCommand();
    await expectSameReplies([
      [other[0], "l", ...other.slice(1)], ...cs("PFADD l a", "PFCOUNT l", "PFCOUNT nokey l", "PFMERGE l", "PFMERGE d l", "PFMERGE l nokey"),
    ]);
  });
});

describe("PFDEBUG and PFSELFTEST", () => {
  test("ENCODING, DECODE, TODENSE and GETREG, on sparse, dense, missing and invalid values", async () => {
    await sameBulk([
      ...pfadds("dbg", "d", 40, 4), ["PFDEBUG", "ENCODING", "dbg"], ["PFDEBUG", "DECODE", "dbg"], ["PFDEBUG", "decode", "nokey"],
      ["PFDEBUG", "FOO", "dbg"], ["PFDEBUG", "FOO", "nokey"], ["PFDEBUG", "GETREG", "dbg"], ["PFDEBUG", "ENCODING", "dbg"], ["GET", "dbg"],
      ["PFDEBUG", "DECODE", "dbg"], ["PFDEBUG", "TODENSE", "dbg"], ...pfadds("dbg2", "f", 10, 5), ["PFCOUNT", "dbg2"],
      ["PFDEBUG", "TODENSE", "dbg2"], ["GET", "dbg2"], ["PFDEBUG", "TODENSE", "dbg2"], ["SET", "s", "x"], ["PFDEBUG", "ENCODING", "s"],
      ["PFADD", "e"], ["PFDEBUG", "DECODE", "e"], ["PFDEBUG", "GETREG"], ["PFDEBUG", "ENCODING", "dbg", "x"],
    ]);
  });

  test("PFSELFTEST passes", async () => {
    const [mine, theirs] = await Promise.all([pair.mk.call("PFSELFTEST"), pair.rd.call("PFSELFTEST")]);
    expect(new TextDecoder().decode(mine)).toBe("+OK\r\n");
    expect(new TextDecoder().decode(theirs)).toBe("+OK\r\n");
  });
});

test("RESP3 replies match", async () => {
  await Promise.all([pair.mk.call("HELLO", "3"), pair.rd.call("HELLO", "3")]);
  try {
    await expectSameReplies(cs("PFADD h a b c", "PFCOUNT h", "PFMERGE h2 h", "PFCOUNT h h2", "SET s x", "PFADD s a"));
  } finally {
    await Promise.all([pair.mk.call("HELLO", "2"), pair.rd.call("HELLO", "2")]);
  }
});

test("analytics with ioredis: unique visitors per day, PFMERGE into the week, counts equal redis-server's", async () => {
  const clients = [new Redis(pair.memkeep!.port, { lazyConnect: true }), new Redis(pair.redis!.port, { lazyConnect: true })];
  try {
    const results: unknown[][] = [];
    for (const r of clients) {
      await r.connect();
      await r.flushall();
      const days = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"];
      const seen: unknown[] = [];
      for (let d = 0; d < days.length; d++) {
        const pipe = r.pipeline();
        for (let i = 0; i < 40; i++) {
          const visitors = Array.from({ length: 50 }, (_, j) => `visitor:${(d * 700 + i * 53 + j * 7) % 3000}`);
          pipe.pfadd(`uv:${days[d]}`, ...visitors);
        }
        await pipe.exec();
        seen.push(await r.pfcount(`uv:${days[d]}`));
      }
      seen.push(await r.pfmerge("uv:week48", ...days.map((d) => `uv:${d}`)));
      seen.push(await r.pfcount("uv:week48"), await r.pfcount(...days.slice(0, 3).map((d) => `uv:${d}`)));
      seen.push((await r.getBuffer("uv:week48"))?.toString("hex"));
      results.push(seen);
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0][7]).toBe("OK");
    const week = results[0][8] as number;
    expect(Math.abs(week - 3000) / 3000).toBeLessThan(0.03);
  } finally {
    for (const r of clients) r.disconnect();
  }
});

/** A command creating a key of a non-string type: the first collection type memkeep implements. */
async function nonStringCommand(): Promise<string[]> {
  for (const cand of [["RPUSH", "a"], ["SADD", "a"], ["HSET", "f", "v"], ["ZADD", "1", "a"]]) {
    const info = (await pair.mk.callParsed("COMMAND", "INFO", cand[0])) as unknown[];
    if (info[0] !== null) return cand;
  }
  throw new Error("memkeep implements no collection type yet (RPUSH, SADD, HSET, ZADD): WRONGTYPE cannot be tested");
}
