// Keyspace notifications against redis-server 7.0: the same string and key commands run on both
// servers while a subscriber listens on `__key*__:*`; the notifications it receives (channel and
// message, in order) must be identical for each notify-keyspace-events setting, including `new`
// (n), lazy and active expiry (x), and the settings that publish nothing. A marker published after
// every command attributes each event to its command, so a difference names the command.
// Also: WATCH sees every key these commands modify (signalModified), compared with redis-server;
// and eviction under maxmemory publishes `evicted` for exactly the keys that were evicted.

import { describe, expect, test } from "bun:test";
import { RespClient, decodeReply, escapeBytes } from "./helpers/resp.ts";
import { type ReferencePair, useReferencePair } from "./helpers/reference_pair.ts";
import { startMemkeep } from "./helpers/servers.ts";

let pair: ReferencePair;

function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

// Keys that expire on their own are left to the expiry test: whether the active cycle or the next
// command deletes them is timing, so the command an `expired` event follows would vary.
const stringCommands = [
  "SET a 1", "SET a 2 EX 100", "SET a 3 KEEPTTL", "SET a 4 PXAT 99999999999999", "GET a", "SET b 1 GET", "SET b 2 NX", "SET b 3 XX",
  "SET nx 1 XX", "SETNX b 2", "SETNX c 2", "SETEX d 10 x", "PSETEX d 10000 x", "GETEX d EX 100", "GETEX d PERSIST",
  "GETEX d PERSIST", "GETEX d", "GETEX d PXAT 1", "GETEX missing EX 10", "GETDEL c", "GETDEL c", "GETSET b 5", "GETSET new 1",
  "MSET e 1 f 2 e 3", "MSETNX g 1 h 2", "MSETNX g 1 z 2", "APPEND g x", "APPEND z x", "SETRANGE y 5 x", "SETRANGE y 0 ''",
  "SETRANGE y2 0 ''", "SETRANGE y 1 abc", "INCR n", "INCRBY n 3", "DECR n", "DECRBY n 2", "INCR n2", "INCRBYFLOAT n 1.5",
  "INCRBYFLOAT nn 1.5", "INCR g", "INCRBYFLOAT g 1", "SET big 99999999999999999", "INCR big",
  "SET i 9223372036854775807", "INCR i", "STRLEN e", "MGET e f",
];

const keyCommands = [
  "MSET ka 1 kb 2 kc 3", "DEL ka kb zz", "UNLINK kc", "SET k v", "EXPIRE k 100", "PEXPIRE k 100000",
  "EXPIREAT k 99999999999", "PEXPIREAT k 99999999999999", "EXPIRE k 100 NX", "EXPIRE k 200 XX", "EXPIRE k 50 GT",
  "PERSIST k", "PERSIST k", "EXPIRE k -1", "EXPIRE gone 10", "SET k v", "RENAME k k2", "RENAME k2 k2", "SET k3 x",
  "RENAMENX k2 k3", "RENAMENX k2 k4", "SET k5 old", "RENAME k4 k5", "COPY k5 k6", "COPY k5 k6", "COPY k5 k6 REPLACE",
  "COPY k6 k7 DB 1", "MOVE k7 1", "MOVE k6 1", "SELECT 1", "RENAME k6 k8", "DEL k8 k7", "SELECT 0", "TOUCH k5",
  "EXISTS k5", "TYPE k5", "SET t v EX 100", "PEXPIRE t 0", "DEL nokey", "RENAME nokey x",
];

/** Runs cmds on a fresh pair of connections and returns the notification frames, per command. */
async function eventsOf(port: number, flags: string, cmds: string[], activeExpiry: boolean): Promise<string[]> {
  const sub = await RespClient.connect(port, { readTimeoutMs: 3000 });
  const cli = await RespClient.connect(port, { readTimeoutMs: 3000 });
  const out: string[] = [];
  try {
    await cli.call("FLUSHALL");
    await cli.call("CONFIG", "SET", "notify-keyspace-events", flags);
    await sub.call("PSUBSCRIBE", "__key*__:*");
    const drain = async (label: string) => {
      // The marker goes through the same channel space, after everything the command published.
      await cli.call("PUBLISH", "__keyspace@0__:MARK", label);
      for (;;) {
        const f = decodeReply(await sub.readReply()) as string[];
        if (f[2] === "__keyspace@0__:MARK") break;
        out.push(`${label}: ${f[2]} ${escapeBytes(new TextEncoder().encode(String(f[3])), 80)}`);
      }
    };
    for (const c of cmds) {
      out.push(`${c} => ${escapeBytes(await cli.call(...words(c)), 120)}`);
      await drain(c);
    }
    if (activeExpiry) {
      // Keys that expire with nobody reading them are deleted by the active cycle; `lazy` is read
      // (GET deletes it, unless the cycle was first: on either server, the cycle's timing is its own).
      await cli.call("SELECT", "0");
      const before = out.length;
      for (let i = 0; i < 5; i++) await cli.call("SET", `vol${i}`, "v", "PX", "1");
      await cli.call("SET", "lazy", "v", "PX", "1");
      await Bun.sleep(20);
      const lazy = escapeBytes(await cli.call("GET", "lazy"));
      await drain("expiry");
      let dbsize = "";
      for (let i = 0; i < 100 && dbsize !== ":0\\r\\n"; i++) {
        await Bun.sleep(20);
        dbsize = escapeBytes(await cli.call("DBSIZE"));
      }
      await drain("expiry");
      const tail = out.splice(before).sort(); // the cycle's order over keys is its own
      out.push(`GET lazy => ${lazy}`, `DBSIZE => ${dbsize}`, ...tail);
    }
  } finally {
    await cli.call("CONFIG", "SET", "notify-keyspace-events", "");
    await Promise.all([sub.close(), cli.close()]);
  }
  return out;
}

async function expectSameEvents(flags: string, cmds: string[], activeExpiry = false): Promise<string[]> {
  const theirs = await eventsOf(pair.redis!.port, flags, cmds, activeExpiry);
  const mine = await eventsOf(pair.memkeep!.port, flags, cmds, activeExpiry);
  expect(mine).toEqual(theirs);
  return mine;
}

describe("keyspace notifications match redis-server 7.0", () => {
  pair = useReferencePair();

  test("string commands with KEA and with n (new keys)", async () => {
    const events = await expectSameEvents("KEA", stringCommands);
    expect(events.some((l) => l.includes("__keyevent@0__:incrbyfloat"))).toBe(true);
    const withNew = await expectSameEvents("KEAn", stringCommands);
    expect(withNew.some((l) => l.includes("__keyevent@0__:new"))).toBe(true);
  });

  test("key commands with KEA and with n (rename, copy, move, expire, persist, del across dbs)", async () => {
    const events = await expectSameEvents("KEA", keyCommands);
    expect(events.some((l) => l.includes("__keyevent@1__:move_to"))).toBe(true);
    await expectSameEvents("KEAn", keyCommands);
  });

  test("one class or one kind at a time, and settings that publish nothing", async () => {
    const cmds = [...stringCommands.slice(0, 20), ...keyCommands.slice(0, 20)];
    for (const flags of ["K$", "Eg", "Kgx", "E$n", "Kn", "K", "E", "A", "", "Kx"]) await expectSameEvents(flags, cmds);
  });

  test("expired events: lazy (on access) and active (nobody reads the key)", async () => {
    const events = await expectSameEvents("KEx", [], true);
    expect(events.filter((l) => l.startsWith("expiry: __keyevent@0__:expired")).length).toBe(6);
    expect(events.filter((l) => l.startsWith("expiry: __keyspace@0__:") && l.endsWith(" expired")).length).toBe(6);
  });

  test("WATCH sees the keys every string and key command modifies", async () => {
    const run = async (port: number) => {
      const a = await RespClient.connect(port, { readTimeoutMs: 3000 });
      const b = await RespClient.connect(port, { readTimeoutMs: 3000 });
      const out: string[] = [];
      try {
        await a.call("FLUSHALL");
        const checks: [string, string][] = [
          ["a", "SET a 1"], ["a", "APPEND a x"], ["a", "SETRANGE a 0 z"], ["n", "INCR n"], ["n", "INCRBYFLOAT n 1"],
          ["a", "GETDEL a"], ["n", "GETEX n EX 100"], ["n", "GETEX n PERSIST"], ["m", "MSET m 1 o 2"], ["p", "MSETNX p 1 q 1"],
          ["n", "EXPIRE n 100"], ["n", "PERSIST n"], ["m", "RENAME m r"], ["r", "RENAME o r"], ["c", "COPY r c"],
          ["r", "MOVE r 1"], ["q", "DEL q"], ["p", "GETSET p 2"], ["p", "SET p 3 KEEPTTL"], ["x", "SET x 1 NX"],
          ["x", "SET x 2 NX"], ["x", "EXPIRE x 100 GT"], ["zz", "DEL zz"],
        ];
        for (const [key, cmd] of checks) {
          await a.call("WATCH", key);
          await b.call(...words(cmd));
          await a.call("MULTI");
          await a.call("PING");
          out.push(`${cmd} -> ${escapeBytes(await a.call("EXEC"))}`);
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      return out;
    };
    const theirs = await run(pair.redis!.port);
    const mine = await run(pair.memkeep!.port);
    expect(mine).toEqual(theirs);
    expect(theirs.filter((l) => l.endsWith("*-1\\r\\n")).length).toBeGreaterThan(15);
  });
});

describe("eviction", () => {
  test("each evicted key publishes `evicted`, as many as evicted_keys counts", async () => {
    const server = await startMemkeep({ args: ["--maxmemory-policy", "allkeys-random"] });
    const sub = await RespClient.connect(server.port, { readTimeoutMs: 3000 });
    const cli = await RespClient.connect(server.port, { readTimeoutMs: 3000 });
    try {
      await cli.call("CONFIG", "SET", "notify-keyspace-events", "Ee");
      await sub.call("SUBSCRIBE", "__keyevent@0__:evicted");
      await cli.call("CONFIG", "SET", "maxmemory", String(1024 * 1024));
      const value = "v".repeat(1000);
      for (let i = 0; i < 3000; i += 50) {
        await cli.pipeline(Array.from({ length: 50 }, (_, k) => ["SET", `key:${i + k}`, value]));
      }
      const stats = new TextDecoder().decode(await cli.call("INFO", "stats"));
      const evicted = Number(/evicted_keys:(\d+)/.exec(stats)![1]);
      expect(evicted).toBeGreaterThan(100);
      const keys = new Set<string>();
      for (let i = 0; i < evicted; i++) {
        const f = decodeReply(await sub.readReply()) as string[];
        expect(f[1]).toBe("__keyevent@0__:evicted");
        keys.add(String(f[2]));
      }
      expect(keys.size).toBe(evicted);
      // None of the evicted keys is still there.
      const exists = decodeReply(await cli.call("EXISTS", ...keys)) as number;
      expect(exists).toBe(0);
      const dbsize = decodeReply(await cli.call("DBSIZE")) as number;
      expect(dbsize + evicted).toBe(3000);
    } finally {
      await Promise.all([sub.close(), cli.close()]);
      await server.stop();
    }
  }, 60_000);
});
