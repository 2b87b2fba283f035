// String command handlers run in-process against a real keyspace, for what a server test cannot
// reach: out-of-memory from the arena (forced here by making the keyspace refuse) must leave only
// Redis's OOM error in the reply, never half a reply, and recycled arena bytes must never show
// through SETRANGE's zero padding.

import { describe, expect, test } from "bun:test";
import { stringCommands, stringEncoding } from "./strings.ts";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { Config } from "../config.ts";
import type { Exec } from "../server/exec.ts";

const oomReply = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

function harness() {
  const ks = new Keyspace(createKeyspaceBuffers(1, 16));
  ks.lock(0); // the one shard stays locked for the test, as the dispatcher holds it around a command
  const out = new ReplyWriter();
  const x = { ks, out, cfg: new Config(), s: { db: 0, resp: 2 }, get now() { return ks.now; } } as unknown as Exec;
  const run = (...args: (string | Uint8Array)[]): string => {
    const argv = args.map((a) => (typeof a === "string" ? enc.encode(a) : a));
    const name = dec.decode(argv[0]).toLowerCase();
    const spec = stringCommands.find((s) => s.name === name);
    if (!spec) throw new Error(`no spec for ${name}`);
    ks.now = Date.now();
    out.reset();
    spec.handler(x, argv);
    return dec.decode(out.view());
  };
  return { ks, run, table: ks.tables[0] };
}

describe("out of memory from the keyspace replies only the OOM error", () => {
  test("SET GET: the old value already written is dropped from the reply and the key keeps it", () => {
    const { ks, run } = harness();
    run("SET", "k", "old");
    ks.setString = () => -1;
    ks.setStringAfterLookup = () => -1;
    ks.setStringAfterLookup = () => -1;
    expect(run("SET", "k", "new", "GET")).toBe(oomReply);
    expect(run("GET", "k")).toBe("$3\r\nold\r\n");
    expect(run("SET", "k2", "v")).toBe(oomReply);
    expect(run("SETNX", "k3", "v")).toBe(oomReply);
    expect(run("SETEX", "k3", "10", "v")).toBe(oomReply);
  });

  test("GETSET: no old value in the reply", () => {
    const { ks, run } = harness();
    run("SET", "k", "old");
    ks.setString = () => -1;
    ks.setStringAfterLookup = () => -1;
    expect(run("GETSET", "k", "new")).toBe(oomReply);
    expect(run("GETSET", "nokey", "new")).toBe(oomReply);
  });

  test("GETEX EX and PERSIST: the value is not replied when the expiry cannot be stored", () => {
    const { run, table } = harness();
    run("SET", "k", "v");
    run("SET", "t", "v", "EX", "100");
    table.setExpire = () => false;
    expect(run("GETEX", "k", "EX", "100")).toBe(oomReply);
    expect(run("GETEX", "t", "PERSIST")).toBe(oomReply);
    expect(run("GETEX", "k")).toBe("$1\r\nv\r\n");
  });

  test("APPEND, SETRANGE, INCR, INCRBYFLOAT, MSET, MSETNX on new and existing keys", () => {
    const { ks, run, table } = harness();
    run("SET", "s", "abc");
    // 9 -> 10 needs a longer value (a same-length INCR is rewritten in place and needs no memory).
    run("SET", "n", "9");
    ks.setString = () => -1;
    ks.setStringAfterLookup = () => -1;
    ks.insert = () => -1;
    table.resizeValue = () => false;
    expect(run("APPEND", "s", "def")).toBe(oomReply);
    expect(run("APPEND", "new", "def")).toBe(oomReply);
    expect(run("SETRANGE", "s", "10", "x")).toBe(oomReply);
    expect(run("SETRANGE", "new", "10", "x")).toBe(oomReply);
    expect(run("INCR", "n")).toBe(oomReply);
    expect(run("INCRBY", "new", "5")).toBe(oomReply);
    expect(run("INCRBYFLOAT", "n", "1.5")).toBe(oomReply);
    expect(run("MSET", "a", "1", "b", "2")).toBe(oomReply);
    expect(run("MSETNX", "a", "1", "b", "2")).toBe(oomReply);
    expect(run("GET", "s")).toBe("$3\r\nabc\r\n");
    expect(run("GET", "n")).toBe("$1\r\n9\r\n");
  });
});

describe("a non-string key", () => {
  const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  // [command, reply] as redis-server 7.0.15 answered with `l` holding a list (LPUSH l a).
  const cases: [string[], string][] = [
    [["GET", "l"], wrongType],
    [["SET", "l", "v", "GET"], wrongType],
    [["SET", "l", "v", "EX", "0", "GET"], "-ERR invalid expire time in 'set' command\r\n"],
    [["SET", "l", "v", "NX"], "$-1\r\n"],
    [["GETEX", "l"], wrongType],
    [["GETEX", "l", "EX", "0"], wrongType],
    [["GETEX", "l", "FOO"], "-ERR syntax error\r\n"],
    [["GETDEL", "l"], wrongType],
    [["GETSET", "l", "v"], wrongType],
    [["STRLEN", "l"], wrongType],
    [["APPEND", "l", "a"], wrongType],
    [["GETRANGE", "l", "0", "1"], wrongType],
    [["GETRANGE", "l", "a", "1"], "-ERR value is not an integer or out of range\r\n"],
    [["SUBSTR", "l", "0", "1"], wrongType],
    [["SETRANGE", "l", "0", "a"], wrongType],
    [["SETRANGE", "l", "-1", "a"], "-ERR offset is out of range\r\n"],
    [["SETRANGE", "l", "x", "a"], "-ERR value is not an integer or out of range\r\n"],
    [["SETRANGE", "l", "0", ""], wrongType],
    [["INCR", "l"], wrongType],
    [["DECR", "l"], wrongType],
    [["INCRBY", "l", "1"], wrongType],
    [["INCRBY", "l", "x"], "-ERR value is not an integer or out of range\r\n"],
    [["DECRBY", "l", "-9223372036854775808"], "-ERR decrement would overflow\r\n"],
    [["INCRBYFLOAT", "l", "1"], wrongType],
    [["INCRBYFLOAT", "l", "x"], wrongType],
    [["MGET", "l", "nokey"], "*2\r\n$-1\r\n$-1\r\n"],
    [["LCS", "s", "l"], "-ERR The specified keys must contain string values\r\n"],
    [["LCS", "l", "s", "FOO"], "-ERR The specified keys must contain string values\r\n"],
    [["LCS", "l", "nokey"], "-ERR The specified keys must contain string values\r\n"],
    [["MSETNX", "l", "1"], ":0\r\n"],
    [["SETNX", "l", "1"], ":0\r\n"],
  ];

  test("every string command refuses it as Redis does, after the argument errors Redis checks first", () => {
    const { ks, run } = harness();
    run("SET", "s", "v");
    ks.route(enc.encode("l"));
    expect(ks.insert(0, enc.encode("l"), 0, ObjType.list, ObjEnc.quicklist, 0)).toBeGreaterThanOrEqual(0);
    const got = cases.map(([cmd]) => `${cmd.join(" ")} => ${run(...cmd)}`);
    expect(got).toEqual(cases.map(([cmd, reply]) => `${cmd.join(" ")} => ${reply}`));
    const slot = ks.lookup(0, enc.encode("l"));
    expect(ks.t.type(slot)).toBe(ObjType.list);
  });

  test("SET and GETSET replace it with a string", () => {
    const { ks, run } = harness();
    ks.route(enc.encode("l"));
    ks.insert(0, enc.encode("l"), 0, ObjType.list, ObjEnc.quicklist, 0);
    expect(run("SET", "l", "v")).toBe("+OK\r\n");
    expect(run("GET", "l")).toBe("$1\r\nv\r\n");
  });
});

describe("SETRANGE zero padding", () => {
  test("a key created in a recycled arena block reads zeros, not the freed value's bytes", () => {
    const { ks, run } = harness();
    // 8-byte header + 4-byte key + 34 bytes: the same 48-byte size class as the 31-byte value below.
    run("SET", "junk", "Z".repeat(34));
    const slot = ks.lookup(0, enc.encode("junk"));
    ks.deleteSlot(ks.t, slot);
    expect(run("SETRANGE", "junk", "30", "x")).toBe(":31\r\n");
    expect(run("GET", "junk")).toBe(`$31\r\n${"\0".repeat(30)}x\r\n`);
  });

  test("growing inside the block's size class zeroes the slack a shorter overwrite left", () => {
    const { run } = harness();
    // Header, key and value fit one 16-byte size class in all three states: every step is in place.
    run("SET", "k", "abcdefg");
    run("SET", "k", "ab");
    expect(run("SETRANGE", "k", "6", "x")).toBe(":7\r\n");
    expect(run("GET", "k")).toBe("$7\r\nab\0\0\0\0x\r\n");
  });
});

describe("stringEncoding follows tryObjectEncoding", () => {
  const cases: [string, number][] = [
    ["0", ObjEnc.int], ["-1", ObjEnc.int], ["9223372036854775807", ObjEnc.int], ["-9223372036854775808", ObjEnc.int],
    ["9223372036854775808", ObjEnc.embstr], ["9007199254740993", ObjEnc.int], ["-0", ObjEnc.embstr],
    ["01", ObjEnc.embstr], ["+1", ObjEnc.embstr], [" 1", ObjEnc.embstr], ["1.0", ObjEnc.embstr], ["", ObjEnc.embstr],
    ["x".repeat(44), ObjEnc.embstr], ["x".repeat(45), ObjEnc.raw], ["1".repeat(21), ObjEnc.embstr],
  ];
  for (const [text, want] of cases) {
    test(`'${text.length > 24 ? `${text.slice(0, 8)}... (${text.length})` : text}'`, () => {
      expect(stringEncoding(enc.encode(text))).toBe(want);
    });
  }
});
