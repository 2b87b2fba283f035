// The stream commands against redis-server 7.0: every case sends the same commands to memkeep and to
// redis-server and asserts identical reply bytes, shown as "command => escaped reply" lines.
//
// Written-down exceptions (normalised in both transcripts before comparing):
// - XINFO STREAM radix-tree-nodes: Redis's radix tree internals; we store a sorted node index.
// - Clock-dependent numbers in the consumer group cases: idle times (XPENDING, XINFO CONSUMERS) and
//   ms timestamps (XINFO STREAM FULL seen-time / delivery time). Their size is checked separately.
// Auto IDs (XADD *) are compared by shape and order, not value. Blocking reads (XREAD/XREADGROUP
// BLOCK) run on both servers with a second client that writes. Shard workers come from
// MEMKEEP_TEST_SHARD_WORKERS (1 and 3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cs, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { RespClient, escapeBytes, formatCommand } from "./helpers/resp.ts";
import Redis from "ioredis";

const pair = useReferencePair();

function normalise(line: string): string {
  return line
    .replace(/radix-tree-nodes\\r\\n:\d+/g, "radix-tree-nodes\\r\\n:<n>")
    .replace(/:1\d{12}\\r\\n/g, ":<ms>\\r\\n")
    .replace(/idle\\r\\n:\d+/g, "idle\\r\\n:<idle>")
    .replace(/(\*4\\r\\n\$\d+\\r\\n[0-9-]+\\r\\n\$\d+\\r\\n[^\\]*\\r\\n):\d+/g, "$1:<idle>");
}

async function transcript(c: RespClient, cmds: readonly Cmd[]): Promise<string[]> {
  const lines: string[] = [];
  for (const cmd of cmds) lines.push(normalise(`${formatCommand(cmd, 60)} => ${escapeBytes(await c.call(...cmd), 3000)}`));
  return lines;
}

/** HELLO 2, SELECT 0, FLUSHALL, default node sizes on both; then cmds on both: same transcripts. */
async function same(cmds: readonly Cmd[], clients: [RespClient, RespClient] = [pair.mk, pair.rd], resp = "2"): Promise<void> {
  for (const c of clients) {
    await c.call("HELLO", resp);
    await c.call("SELECT", "0");
    await c.call("FLUSHALL");
    await c.call("CONFIG", "SET", "stream-node-max-entries", "100");
    await c.call("CONFIG", "SET", "stream-node-max-bytes", "4096");
  }
  const [mine, theirs] = [await transcript(clients[0], cmds), await transcript(clients[1], cmds)];
  expect(mine).toEqual(theirs);
}

describe("XADD", () => {
  test("options, IDs and their errors in Redis's order", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XADD s MAXLEN ~ 1 LIMIT 5 2-* a 1",
      "XADD s MAXLEN 1 LIMIT 5 3-* a 1",
      "XADD s MAXLEN = 1 3-* a 1",
      "XADD s MAXLEN -1 3-* a 1",
      "XADD s MAXLEN 1 MINID 3 5 a 1",
      "XADD s LIMIT 5 * a 1",
      "XADD s MAXLEN ~ 1 LIMIT -1 * a 1",
      "XADD s MAXLEN a 1 a",
      "XADD s 18446744073709551615-18446744073709551615 a 1",
      "XADD s * a 1",
      "XADD s 18446744073709551615-* a 1",
      "XADD t 5-18446744073709551615 a 1",
      "XADD t 5-* a 1",
      "XADD t 007-1 a 1",
      "XADD t -05-1 a 1",
      "XADD t ' 9-1' a 1",
      "XADD t 10-+1 a 1",
      "XADD t 11 a 1",
      "XADD t 11- a 1",
      "XADD t -1 a 1",
      "XADD t 12-1 a",
      "XADD t NOMKSTREAM MAXLEN 1 13-1 a 1",
      "XADD t MAXLEN 1 NOMKSTREAM 14-1 a 1",
      "XADD t MINID ~ 0 15-1 a 1",
      "XADD t MINID 0 LIMIT 0 16-1 a 1",
      "XADD t MINID ~ 0 LIMIT 0 17-1 a 1",
      "XADD t minid = 17 18-1 a 1 b 2",
      "XRANGE t - +",
      "XADD u LIMIT 5 0-0 a 1",
      "XADD u 0-0 a",
      "XADD u 0 a 1",
      "XADD u 0-* a 1",
      "XADD u 0-* a 1",
      "XADD u NOMKSTREAM",
      "XADD nokey NOMKSTREAM * a 1",
      "EXISTS nokey",
      "XADD u 1-x a 1",
      "XADD u 99999999999999999999-1 a 1",
      "XADD u 1-99999999999999999999 a 1",
      "XADD u '' a 1",
      "XADD u - a 1",
      "XADD u + a 1",
      "XADD u 2-1 '' ''",
      "XRANGE u - +",
    ));
  });

  test("auto IDs follow the clock and the last ID", async () => {
    for (const c of [pair.mk, pair.rd]) await c.call("FLUSHALL");
    for (const c of [pair.mk, pair.rd]) {
      const before = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push(String(await c.callParsed("XADD", "auto", "*", "n", String(i))));
      for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
      const ms = Number(ids[0].split("-")[0]);
      expect(Math.abs(ms - before)).toBeLessThan(5000);
      for (let i = 1; i < ids.length; i++) {
        const [a, b] = [ids[i - 1].split("-").map(BigInt), ids[i].split("-").map(BigInt)];
        expect(b[0] > a[0] || (b[0] === a[0] && b[1] === a[1] + 1n)).toBe(true);
      }
      // A future explicit ms makes "*" continue from it.
      await c.call("XADD", "auto", "99999999999999-5", "a", "1");
      expect(String(await c.callParsed("XADD", "auto", "*", "a", "1"))).toBe("99999999999999-6");
      await c.call("XADD", "auto2", "1-18446744073709551615", "a", "1");
      expect(String(await c.callParsed("XADD", "auto2", "*", "a", "1"))).toMatch(/^\d+-0$/);
    }
  });
});

describe("ranges, length, deletion, trimming", () => {
  test("XRANGE / XREVRANGE bounds, COUNT and errors; XLEN; XDEL", async () => {
    await same(cs(
      "XADD s 0-1 a 1",
      "XADD s 0-2 b 2 c 3",
      "XADD s 5-0 d 4",
      "XADD s 5-7 e 5",
      "XRANGE s - + COUNT 0",
      "XRANGE s - + COUNT -1",
      "XRANGE s - + COUNT 2",
      "XRANGE s - + COUNT",
      "XRANGE s - + COUNT 1 x",
      "XRANGE s - + count 1 COUNT 3",
      "XRANGE s (- +",
      "XRANGE s - (+",
      "XRANGE s (0-1 +",
      "XRANGE s (18446744073709551615-18446744073709551615 +",
      "XRANGE s - (0-0",
      "XRANGE s 0 0-1",
      "XRANGE s 5 5",
      "XRANGE s (5 +",
      "XRANGE s 6 1",
      "XRANGE s abc +",
      "XRANGE s - 5-x",
      "XRANGE nokey - + COUNT 0",
      "XREVRANGE s + -",
      "XREVRANGE s (5-7 - COUNT 2",
      "XREVRANGE s 5 (0-1",
      "XREVRANGE s - +",
      "XREVRANGE s (0-0 -",
      "XLEN s",
      "XLEN nokey",
      "XDEL s 0-1 0-9 abc",
      "XDEL s 0-1 0-9",
      "XDEL s 0-1",
      "XDEL nokey abc",
      "XINFO STREAM s",
      "XDEL s 0-2 5-0 5-7",
      "XINFO STREAM s",
      "EXISTS s",
      "XRANGE s - +",
      "XADD s 6-0 a 1",
      "XINFO STREAM s",
    ));
  });

  test("XTRIM and XADD trimming by node, exact and approximate, MINID and LIMIT", async () => {
    const setup: Cmd[] = [["CONFIG", "SET", "stream-node-max-entries", "3"]];
    for (let i = 1; i <= 40; i++) setup.push(["XADD", "s", `${i}-1`, "f", String(i)]);
    await same([
      ...setup,
      ...cs(
        "XTRIM s MAXLEN ~ 35",
        "XLEN s",
        "XTRIM s MAXLEN ~ 30 LIMIT 2",
        "XTRIM s MAXLEN ~ 30 LIMIT 3",
        "XTRIM s MAXLEN 30",
        "XINFO STREAM s",
        "XTRIM s MINID ~ 20",
        "XTRIM s MINID 20",
        "XRANGE s - + COUNT 2",
        "XDEL s 21-1 22-1 23-1",
        "XINFO STREAM s",
        "XTRIM s MAXLEN = 5",
        "XRANGE s - +",
        "XADD s MAXLEN 2 50-1 f 50",
        "XADD s MINID 60 60-1 f 60",
        "XINFO STREAM s",
        "XTRIM s MAXLEN 0",
        "XINFO STREAM s",
        "XTRIM s",
        "XTRIM s MINID",
        "XTRIM s foo 1",
        "XTRIM s LIMIT 1 MAXLEN 1",
        "XTRIM s MAXLEN ~ 0 LIMIT 1 extra",
        "XTRIM s MAXLEN 1 LIMIT 1",
        "XTRIM s MINID abc",
        "XTRIM s MAXLEN -1",
        "XTRIM nokey MAXLEN 1",
        "XTRIM nokey foo",
        "SET str x",
        "XTRIM str foo",
      ),
    ]);
  });

  test("a stream of 2000 entries over many nodes reads back identically", async () => {
    const cmds: Cmd[] = [["CONFIG", "SET", "stream-node-max-entries", "7"]];
    for (let i = 1; i <= 2000; i++) cmds.push(["XADD", "big", `${1000 + (i >> 2)}-${i & 3}`, "k", `v${i}`, ...(i % 5 === 0 ? ["extra", "x".repeat(i % 97)] : [])]);
    for (let i = 1; i <= 2000; i += 37) cmds.push(["XDEL", "big", `${1000 + (i >> 2)}-${i & 3}`]);
    cmds.push(...cs(
      "XLEN big", "XRANGE big - + COUNT 50", "XREVRANGE big + - COUNT 50", "XRANGE big 1200 1210",
      "XREVRANGE big 1300-2 1290", "XRANGE big (1100-1 1101-2", "XINFO STREAM big", "XTRIM big MAXLEN ~ 1500",
      "XTRIM big MINID 1300-2", "XLEN big", "XINFO STREAM big FULL COUNT 3",
    ));
    await same(cmds);
  });
});

describe("consumer groups", () => {
  test("XGROUP subcommands, their checks and errors", async () => {
    await same(cs(
      "XGROUP CREATE s g $ foo",
      "XGROUP CREATE s g $",
      "XGROUP CREATE s g $ MKSTREAM ENTRIESREAD -2",
      "XGROUP CREATE s g $ MKSTREAM ENTRIESREAD 3 x 1",
      "XGROUP CREATE s g $ a b c d",
      "XGROUP SETID s g 0",
      "XGROUP SETID s g 0 x",
      "XGROUP CREATECONSUMER s g c",
      "XGROUP CREATE s g $ MKSTREAM",
      "XGROUP CREATE s g $ MKSTREAM",
      "XGROUP SETID s g 0 x 1",
      "XGROUP SETID s g - ENTRIESREAD 1",
      "XGROUP SETID s g 0 ENTRIESREAD -2",
      "XGROUP SETID s g2 0",
      "XGROUP SETID s g bad",
      "XGROUP foo s g",
      "XGROUP DESTROY s g x",
      "XGROUP CREATE s g2 bad",
      "XGROUP CREATE nokey g bad MKSTREAM",
      "EXISTS nokey",
      "XGROUP CREATE nokey g 0 MKSTREAM ENTRIESREAD x",
      "XGROUP CREATE nokey2 g 5-5 MKSTREAM ENTRIESREAD 7",
      "XINFO GROUPS nokey2",
      "SET str 1",
      "XGROUP CREATE str g $ a b c d",
      "XGROUP CREATE str g $",
      "XGROUP CREATECONSUMER s nog c",
      "XGROUP CREATECONSUMER s g c",
      "XGROUP CREATECONSUMER s g c",
      "XGROUP DELCONSUMER s g nobody",
      "XGROUP DELCONSUMER s g c",
      "XGROUP DESTROY s g",
      "XGROUP DESTROY s g",
      "XGROUP DESTROY nokey3 g",
      "XGROUP HELP",
      "XINFO HELP",
      "XINFO GROUPS nokey",
      "XINFO GROUPS str",
      "XINFO STREAM s FULL COUNT",
      "XINFO STREAM s x",
      "XINFO CONSUMERS s g2",
      "XINFO foo s",
    ));
  });

  test("XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and the 7.0 lag counters", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XADD s 2-1 b 2",
      "XADD s 3-1 c 3",
      "XADD s 4-1 d 4",
      "XGROUP CREATE s g 0",
      "XINFO GROUPS s",
      "XREADGROUP GROUP g c1 COUNT 2 STREAMS s >",
      "XINFO GROUPS s",
      "XREADGROUP GROUP g c2 STREAMS s >",
      "XREADGROUP GROUP g c2 STREAMS s >",
      "XPENDING s g",
      "XACK s g 1-1 9-9",
      "XACK s g abc",
      "XACK s g 1-1 2-1 3-1 x",
      "XACK nokey g abc",
      "XACK s nog abc",
      "XPENDING s g",
      "XCLAIM s g c3 0 2-1 3-1 JUSTID",
      "XPENDING s g",
      "XPENDING s g - + 10 c3",
      "XPENDING s g - + 10 nobody",
      "XPENDING s g (2-1 + 1",
      "XPENDING s g IDLE 100000 - + 10",
      "XPENDING s g 1",
      "XPENDING s g IDLE 1 - +",
      "XPENDING s g IDLE x - + 1",
      "XPENDING s g - + x",
      "XPENDING s g x + 1",
      "XPENDING s g - + 10 c d",
      "XPENDING nokey g",
      "XCLAIM s g c3 0 2-1 JUSTID RETRYCOUNT 7",
      "XPENDING s g - + 10",
      "XCLAIM s g c3 100000 2-1 JUSTID",
      "XCLAIM s g c3 0 2-1 foo",
      "XCLAIM s g c3 0 2-1 IDLE x",
      "XCLAIM s g c3 0 2-1 TIME x",
      "XCLAIM s g c3 0 2-1 RETRYCOUNT x",
      "XCLAIM s g c3 0 2-1 LASTID x",
      "XCLAIM s g c3 x 2-1",
      "XCLAIM nokey g c3 0 2-1",
      "XCLAIM s g c3 0 1-1 FORCE JUSTID",
      "XCLAIM s g c3 0 9-1 FORCE JUSTID",
      "XCLAIM s g c3 0 1-1 4-1 FORCE LASTID 10-0",
      "XCLAIM s g c3 0 1-1 IDLE 5000 TIME 1 JUSTID",
      "XINFO GROUPS s",
      "XDEL s 1-1",
      "XCLAIM s g c4 0 1-1 2-1 JUSTID",
      "XPENDING s g",
      "XAUTOCLAIM s g c5 0 0 COUNT 1",
      "XAUTOCLAIM s g c5 0 0 COUNT 0",
      "XAUTOCLAIM s g c5 0 0 COUNT x",
      "XAUTOCLAIM s g c5 x 0",
      "XAUTOCLAIM s g c5 0 x",
      "XAUTOCLAIM s g c5 0 (1",
      "XAUTOCLAIM s g c5 0 (18446744073709551615-18446744073709551615",
      "XAUTOCLAIM s g c5 0 0 foo",
      "XAUTOCLAIM s g c5 0 0 JUSTID",
      "XAUTOCLAIM nokey g c 0 0",
      "XDEL s 3-1",
      "XAUTOCLAIM s g c6 0 - COUNT 10",
      "XAUTOCLAIM s g c6 0 + COUNT 10",
      "XAUTOCLAIM s g c6 100000 - COUNT 10",
      "XPENDING s g",
      "XINFO CONSUMERS s g",
      "XGROUP SETID s g 0",
      "XREADGROUP GROUP g c7 STREAMS s >",
      "XREADGROUP GROUP g c7 STREAMS s 0",
      "XREADGROUP GROUP g c7 COUNT 1 STREAMS s 0",
      "XPENDING s g - + 100",
      "XINFO STREAM s FULL",
      "XINFO STREAM s FULL COUNT 1",
      "XGROUP CREATE s g2 0",
      "XINFO GROUPS s",
      "XREADGROUP GROUP g2 c STREAMS s >",
      "XINFO GROUPS s",
      "XADD s 5-1 e 5",
      "XGROUP SETID s g2 0 ENTRIESREAD 0",
      "XINFO GROUPS s",
      "XREADGROUP GROUP g2 c NOACK STREAMS s >",
      "XINFO GROUPS s",
      "XPENDING s g2",
      "XGROUP DELCONSUMER s g2 c",
      "XGROUP DELCONSUMER s g c7",
      "XPENDING s g",
      "XSETID s 100-0 ENTRIESADDED 50 MAXDELETEDID 90-0",
      "XINFO GROUPS s",
      "XINFO STREAM s",
    ));
  });

  test("int64 edges: RETRYCOUNT beyond 2^53, XAUTOCLAIM COUNT bounds, empty group and consumer names", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XGROUP CREATE s '' 0",
      "XREADGROUP GROUP '' '' STREAMS s >",
      "XAUTOCLAIM s '' y 0 0 COUNT 576460752303423487",
      "XAUTOCLAIM s '' y 0 0 COUNT 576460752303423488",
      "XAUTOCLAIM s '' y 0 0 COUNT 1000",
      "XCLAIM s '' x -5 1-1 RETRYCOUNT 9223372036854775807 JUSTID",
      "XPENDING s '' - + 10",
      "XCLAIM s '' x 0 1-1 RETRYCOUNT 9007199254740993 JUSTID",
      "XCLAIM s '' x 0 1-1",
      "XCLAIM s '' x 0 1-1 RETRYCOUNT -9223372036854775808 JUSTID",
      "XINFO STREAM s FULL",
      "XRANGE s - + COUNT 9223372036854775807",
      "XPENDING s '' - + 9223372036854775807",
      "XADD s 9007199254740993-5 a 1",
      "XADD s 9007199254740993-* a 1",
      "XRANGE s 9007199254740993 +",
      "XREVRANGE s + 9007199254740993-6",
      "XREAD STREAMS s 9007199254740992",
      "XSETID s 18446744073709551615-18446744073709551614",
      "XADD s * a 1",
      "XADD s * a 1",
      "XINFO STREAM s",
    ));
  });

  test("XREAD and XREADGROUP option parsing, NOGROUP and the $ / > IDs", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XADD s 2-1 b 2",
      "XADD t 1-1 x 1",
      "XGROUP CREATE s g 0",
      "XREAD STREAMS s 0",
      "XREAD COUNT 1 STREAMS s 0",
      "XREAD COUNT 1 STREAMS s s 0",
      "XREAD COUNT 1 STREAMS s nokey t 0 0 0",
      "XREAD STREAMS s t 1-1 0",
      "XREAD STREAMS s $",
      "XREAD COUNT -5 STREAMS s 1",
      "XREAD BLOCK x STREAMS s $",
      "XREAD BLOCK -1 STREAMS s $",
      "XREAD GROUP a b STREAMS s $",
      "XREAD NOACK STREAMS s $",
      "XREAD STREAMS s >",
      "XREAD STREAMS s abc",
      "XREAD foo STREAMS s 0",
      "XREAD COUNT 1",
      "XREAD STREAMS s 18446744073709551615-18446744073709551615",
      "XREADGROUP GROUP g c STREAMS s $",
      "XREADGROUP STREAMS s >",
      "XREADGROUP GROUP g c STREAMS nokey >",
      "XREADGROUP GROUP nog c STREAMS s >",
      "XREADGROUP GROUP g c STREAMS s x",
      "XREADGROUP GROUP g c STREAMS s",
      "XREADGROUP GROUP g c COUNT 1 NOACK STREAMS s >",
      "XREADGROUP GROUP g c STREAMS s 0",
      "XREADGROUP GROUP g c STREAMS s >",
      "XINFO CONSUMERS s g",
      "SET str 1",
      "XREAD STREAMS str 0",
      "XREADGROUP GROUP g c STREAMS str >",
      "XREAD STREAMS s t 0 0",
    ));
  });

  test("RESP3 replies: XREAD maps, XINFO maps, nulls", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XADD t 1-1 b 2",
      "XREAD STREAMS s t 0 0",
      "XREAD STREAMS s 5",
      "XRANGE s - + COUNT 0",
      "XGROUP CREATE s g 0",
      "XPENDING s g",
      "XREADGROUP GROUP g c STREAMS s >",
      "XPENDING s g",
      "XINFO STREAM s",
      "XINFO GROUPS s",
      "XINFO STREAM s FULL",
      "XDEL s 1-1",
      "XINFO STREAM s",
      "XREADGROUP GROUP g c STREAMS s 0",
      "XAUTOCLAIM s g c 0 0",
    ), undefined, "3");
  });

  test("idle times and timestamps are close to the clock", async () => {
    const c = pair.mk;
    await c.call("HELLO", "2");
    await c.call("FLUSHALL");
    await c.call("XADD", "s", "1-1", "a", "1");
    await c.call("XGROUP", "CREATE", "s", "g", "0");
    const before = Date.now();
    await c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">");
    await Bun.sleep(30);
    const rows = (await c.callParsed("XPENDING", "s", "g", "-", "+", "10")) as unknown[][];
    expect(rows[0][2] as number).toBeGreaterThanOrEqual(25);
    expect(rows[0][2] as number).toBeLessThan(5000);
    const cons = (await c.callParsed("XINFO", "CONSUMERS", "s", "g")) as unknown[][];
    expect(cons[0][5] as number).toBeGreaterThanOrEqual(25);
    const full = (await c.callParsed("XINFO", "STREAM", "s", "FULL")) as unknown[];
    const group = (full[17] as unknown[][])[0];
    const pending = (group[11] as unknown[][])[0];
    expect(Math.abs((pending[2] as number) - before)).toBeLessThan(5000);
    const idle = (await c.callParsed("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10")) as unknown[];
    expect(idle).toEqual([]);
    await c.call("XCLAIM", "s", "g", "c2", "0", "1-1", "IDLE", "60000");
    const rows2 = (await c.callParsed("XPENDING", "s", "g", "-", "+", "10")) as unknown[][];
    expect(rows2[0][2] as number).toBeGreaterThanOrEqual(60000);
  });
});

describe("the stream as a key", () => {
  test("TYPE, OBJECT ENCODING, WRONGTYPE everywhere, COPY, RENAME, DEL, an empty stream is kept", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XGROUP CREATE s g 0",
      "XREADGROUP GROUP g c STREAMS s >",
      "TYPE s",
      "OBJECT ENCODING s",
      "COPY s s2",
      "XINFO STREAM s2 FULL",
      "XACK s2 g 1-1",
      "XPENDING s g",
      "XPENDING s2 g",
      "RENAME s2 s3",
      "XRANGE s3 - +",
      "XDEL s 1-1",
      "EXISTS s",
      "XLEN s",
      "DEL s s3",
      "SET str 1",
      "XADD str * a 1",
      "XLEN str",
      "XRANGE str - +",
      "XREVRANGE str + -",
      "XDEL str 1-1",
      "XTRIM str MAXLEN 1",
      "XSETID str 1-1",
      "XGROUP CREATE str g 0",
      "XACK str g 1-1",
      "XPENDING str g",
      "XCLAIM str g c 0 1-1",
      "XAUTOCLAIM str g c 0 0",
      "XINFO STREAM str",
      "XINFO CONSUMERS str g",
      "LPUSH l a",
      "XADD s 1-1 a 1",
      "EXPIRE s 100",
      "TTL s",
    ));
    const usage = await pair.mk.callParsed("MEMORY", "USAGE", "s");
    expect(typeof usage === "number" && usage > 0).toBe(true);
  });

  test("XSETID checks and effects", async () => {
    await same(cs(
      "XADD s 1-1 a 1",
      "XADD s 2-1 a 1",
      "XDEL s 2-1",
      "XSETID s 1-0",
      "XSETID s 1-1",
      "XINFO STREAM s",
      "XSETID s 5-5 MAXDELETEDID 6-0",
      "XSETID nokey 5-5",
      "XSETID s 5-5 ENTRIESADDED -1",
      "XSETID s 5-5 ENTRIESADDED 0",
      "XSETID s 5-5 foo",
      "XSETID s 5-5 MAXDELETEDID 1-0 ENTRIESADDED 5",
      "XSETID s abc",
      "XSETID s 5-5 MAXDELETEDID x",
      "XINFO STREAM s",
      "XADD s 5-5 a 1",
      "XADD s 5-* a 1",
      "XDEL s 1-1",
      "XDEL s 5-6",
      "XSETID s 1-0",
      "XINFO STREAM s",
    ));
  });
});

describe("blocking reads", () => {
  let clients: RespClient[] = [];
  beforeAll(async () => {
    clients = await Promise.all([pair.memkeep!.port, pair.memkeep!.port, pair.redis!.port, pair.redis!.port].map((p) => RespClient.connect(p)));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  /** On each server: `blocker` sends cmd, then `writer` runs writes; returns the blocker's reply. */
  async function blockThenWrite(cmd: string[], writes: string[][], setup: string[][] = []): Promise<string[]> {
    const results: string[] = [];
    for (const [blocker, writer] of [[clients[0], clients[1]], [clients[2], clients[3]]] as const) {
      await writer.call("FLUSHALL");
      for (const s of setup) await writer.call(...s);
      blocker.send(...cmd);
      await Bun.sleep(50);
      for (const w of writes) await writer.call(...w);
      results.push(normalise(escapeBytes(await blocker.readReply(5000))));
    }
    return results;
  }

  test("XREAD BLOCK $ wakes on XADD with only the new entry", async () => {
    const [mine, theirs] = await blockThenWrite(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], [["XADD", "s", "5-1", "k", "new"]], [["XADD", "s", "1-1", "k", "old"]]);
    expect(mine).toBe(theirs);
    expect(mine).toContain("new");
  });

  test("XREAD BLOCK on a missing key wakes when it is created, with COUNT", async () => {
    const [mine, theirs] = await blockThenWrite(["XREAD", "COUNT", "1", "BLOCK", "5000", "STREAMS", "other", "s", "0", "0"], [["SET", "unrelated", "1"], ["XADD", "s", "2-1", "k", "v"]]);
    expect(mine).toBe(theirs);
  });

  test("XREADGROUP BLOCK > wakes, delivers and records the PEL", async () => {
    const setup = [["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]];
    const [mine, theirs] = await blockThenWrite(["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], [["XADD", "s", "3-1", "k", "v"]], setup);
    expect(mine).toBe(theirs);
    expect(await clients[1].callParsed("XPENDING", "s", "g")).toEqual(await clients[3].callParsed("XPENDING", "s", "g"));
  });

  test("XGROUP DESTROY ends a blocked XREADGROUP with NOGROUP", async () => {
    const setup = [["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]];
    const [mine, theirs] = await blockThenWrite(["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], [["XGROUP", "DESTROY", "s", "g"]], setup);
    expect(mine).toBe(theirs);
    expect(mine).toContain("NOGROUP");
  });

  test("XREAD BLOCK times out with a null array; in MULTI it does not block", async () => {
    for (const c of [clients[0], clients[2]]) {
      await c.call("FLUSHALL");
      const t0 = Date.now();
      expect(escapeBytes(await c.call("XREAD", "BLOCK", "100", "STREAMS", "s", "$"))).toBe("*-1\\r\\n");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
      await c.call("MULTI");
      await c.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      expect(escapeBytes(await c.call("EXEC"))).toBe("*1\\r\\n*-1\\r\\n");
    }
  });
});

describe("a real client: ioredis analytics pipeline", () => {
  // The same scenario runs on redis-server first, so the expectations are checked against it too.
  test("producers XADD page views, a consumer group of two XREADGROUP + XACK them; totals and lag add up", async () => {
    for (const port of [pair.redis!.port, pair.memkeep!.port]) await analytics(port);
  });
});

async function analytics(port: number): Promise<void> {
  const producer = new Redis({ port, lazyConnect: true });
  const workers = [new Redis({ port, lazyConnect: true }), new Redis({ port, lazyConnect: true })];
  await Promise.all([producer, ...workers].map((c) => c.connect()));
  try {
    await producer.del("events");
    await producer.xgroup("CREATE", "events", "analytics", "$", "MKSTREAM");
    const pages = ["/", "/pricing", "/docs", "/blog"];
    const expected = new Map<string, number>();
    const batch = producer.pipeline();
    for (let i = 0; i < 500; i++) {
      const page = pages[(i * 7) % pages.length];
      expected.set(page, (expected.get(page) ?? 0) + 1);
      batch.xadd("events", "*", "page", page, "user", `u${i % 37}`, "ms", String(i));
    }
    await batch.exec();
    // Before anyone reads, the group lags by every entry.
    const groups = (await producer.xinfo("GROUPS", "events")) as unknown[][];
    expect(groups[0][9]).toBe(null); // entries-read: unknown until the first read
    expect(groups[0][11]).toBe(500); // lag
    const seen = new Map<string, number>();
    const ids = new Set<string>();
    let round = 0;
    for (;;) {
      const w = workers[round++ % 2];
      const name = `worker-${round % 2}`;
      const reply = (await w.xreadgroup("GROUP", "analytics", name, "COUNT", "64", "STREAMS", "events", ">")) as [string, [string, string[]][]][] | null;
      if (reply === null) break;
      const entries = reply[0][1];
      for (const [id, fields] of entries) {
        expect(ids.has(id)).toBe(false);
        ids.add(id);
        const page = fields[fields.indexOf("page") + 1];
        seen.set(page, (seen.get(page) ?? 0) + 1);
      }
      expect(await w.xack("events", "analytics", ...entries.map((e) => e[0]))).toBe(entries.length);
      if (round === 3) {
        const mid = (await producer.xinfo("GROUPS", "events")) as unknown[][];
        expect(mid[0][11]).toBe(500 - 3 * 64);
      }
    }
    expect(seen).toEqual(expected);
    expect(ids.size).toBe(500);
    const summary = (await producer.xpending("events", "analytics")) as unknown[];
    expect(summary[0]).toBe(0);
    const after = (await producer.xinfo("GROUPS", "events")) as unknown[][];
    expect(after[0][9]).toBe(500);
    expect(after[0][11]).toBe(0);
    const consumers = (await producer.xinfo("CONSUMERS", "events", "analytics")) as unknown[][];
    expect(consumers.map((c) => c[1])).toEqual(["worker-0", "worker-1"]);
    // A crashed consumer's entries are taken over with XAUTOCLAIM.
    await producer.xadd("events", "*", "page", "/late", "user", "u1", "ms", "0");
    await workers[0].xreadgroup("GROUP", "analytics", "worker-0", "STREAMS", "events", ">");
    const claimed = (await workers[1].xautoclaim("events", "analytics", "worker-1", 0, "0", "COUNT", 10)) as unknown[];
    expect((claimed[1] as unknown[]).length).toBe(1);
    expect(claimed[0]).toBe("0-0");
  } finally {
    await Promise.all([producer, ...workers].map((c) => c.quit()));
  }
}

describe("keyspace notifications", () => {
  test("stream writes publish Redis's event names in Redis's order", async () => {
    const events: string[][] = [];
    for (const port of [pair.memkeep!.port, pair.redis!.port]) {
      const sub = await RespClient.connect(port);
      const c = await RespClient.connect(port);
      try {
        await c.call("FLUSHALL");
        await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        await sub.call("PSUBSCRIBE", "__keyevent@0__:*");
        for (const cmd of cs(
          "XADD s 1-1 a 1",
          "XADD s MAXLEN 1 2-1 a 1",
          "XDEL s 2-1 9-9",
          "XDEL s 9-9",
          "XTRIM s MAXLEN 0",
          "XSETID s 5-0",
          "XGROUP CREATE s g 0",
          "XGROUP CREATE m g $ MKSTREAM",
          "XGROUP CREATECONSUMER s g c1",
          "XGROUP SETID s g 0",
          "XADD s 6-0 a 1",
          "XREADGROUP GROUP g c2 STREAMS s >",
          "XCLAIM s g c3 0 6-0",
          "XAUTOCLAIM s g c4 0 0",
          "XACK s g 6-0",
          "XGROUP DELCONSUMER s g c1",
          "XGROUP DESTROY s g",
          "DEL s",
        )) await c.call(...cmd);
        await c.call("PUBLISH", "__keyevent@0__:end", "x");
        const got: string[] = [];
        for (;;) {
          const msg = (await sub.readParsed(3000)) as string[];
          if (msg[2] === "__keyevent@0__:end") break;
          got.push(`${msg[2]} ${msg[3]}`);
        }
        events.push(got);
      } finally {
        await c.call("CONFIG", "SET", "notify-keyspace-events", "");
        await Promise.all([sub.close(), c.close()]);
      }
    }
    expect(events[0]).toEqual(events[1]);
    expect(events[0]).toContain("__keyevent@0__:xadd s");
  });

  test("DEL frees everything a stream with groups owned", async () => {
    const c = pair.mk;
    await c.call("HELLO", "2");
    await c.call("FLUSHALL");
    const used = async () => Number(/used_memory:(\d+)/.exec(String(await c.callParsed("INFO", "memory")))![1]);
    await c.call("SET", "warm", "x");
    await c.call("DEL", "warm");
    const before = await used();
    const cmds: string[][] = [];
    for (let i = 1; i <= 3000; i++) cmds.push(["XADD", "s", `${i}-0`, "f", `v${i}`, ...(i % 3 ? [] : ["g", "w"])]);
    cmds.push(["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "COUNT", "500", "STREAMS", "s", ">"], ["XDEL", "s", "7-0", "8-0"]);
    await c.pipeline(cmds);
    expect(await used()).toBeGreaterThan(before + 30000);
    await c.call("DEL", "s");
    expect(await used()).toBe(before);
  });
});
