// The bitmap commands against redis-server 7.0: every case sends the same commands to memkeep and to
// redis-server and asserts identical reply bytes. Covers SETBIT/GETBIT at the offset limits, BITCOUNT
// and BITPOS with BYTE and BIT ranges (negative, reversed, clipped), the order in which their errors
// win, BITOP's four operations over strings of different lengths and missing keys, BITFIELD's types,
// `#` offsets, the three overflow modes at every width edge, BITFIELD_RO, and the raw encoding the
// writers leave. Shard workers come from MEMKEEP_TEST_SHARD_WORKERS, so BITOP also runs across shards.

import { describe, expect, test } from "bun:test";
import { cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { commandTable } from "../src/commands/registry.ts";
import { RespClient, escapeBytes } from "./helpers/resp.ts";

const pair = useReferencePair();
const expectSameReplies = sameReplies(pair);

/**
 * A command that creates a key of a non-string type on both servers: the first of the collection
 * types memkeep implements. Fails while memkeep has none (WRONGTYPE cannot be shown without one).
 */
async function nonStringCommand(): Promise<string[]> {
  for (const cand of [["RPUSH", "a"], ["SADD", "a"], ["HSET", "f", "v"], ["ZADD", "1", "a"]]) {
    const info = (await pair.mk.callParsed("COMMAND", "INFO", cand[0])) as unknown[];
    if (info[0] !== null) return cand;
  }
  throw new Error("memkeep implements no collection type yet (RPUSH, SADD, HSET, ZADD): WRONGTYPE cannot be tested");
}

test("each bitmap command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const names = ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"];
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

describe("SETBIT and GETBIT", () => {
  test("set, clear, read back, grow with zero bytes, and the encoding becomes raw", async () => {
    await expectSameReplies(cs(
      "SETBIT b 7 1", "GET b", "SETBIT b 7 1", "SETBIT b 7 0", "GET b", "SETBIT b 100 1", "STRLEN b", "GET b",
      "GETBIT b 100", "GETBIT b 99", "GETBIT b 101", "GETBIT b 100000", "GETBIT missing 0",
      "SET s 123", "OBJECT ENCODING s", "SETBIT s 0 0", "OBJECT ENCODING s", "GET s",
      "SET e ab", "OBJECT ENCODING e", "SETBIT e 1 0", "OBJECT ENCODING e", "GET e", "OBJECT ENCODING b",
      "SET t x EX 100", "SETBIT t 3 1", "TTL t",
    ));
  });

  test("offsets at and past the 2^32 - 1 limit, malformed offsets and bits, errors in Redis's order", async () => {
    await expectSameReplies(cs(
      "GETBIT k 4294967295", "GETBIT k 4294967296", "GETBIT k -1", "GETBIT k abc", "GETBIT k 1.5", "GETBIT k ''",
      "GETBIT k 18446744073709551616", "GETBIT k +1", "GETBIT k 01",
      "SETBIT k 4294967296 1", "SETBIT k -1 1", "SETBIT k 0 2", "SETBIT k 0 -1", "SETBIT k 0 x", "SETBIT k 0 ''",
      "SETBIT k x 2", "EXISTS k",
    ));
  });

  test("a bit near the end of a 64 KiB string", async () => {
    await expectSameReplies(cs("SETBIT big 524287 1", "STRLEN big", "GETBIT big 524287", "BITCOUNT big", "BITPOS big 1"));
  });
});

describe("BITCOUNT", () => {
  test("whole strings, byte ranges and bit ranges with negative and out-of-range indexes", async () => {
    const cmds: Cmd[] = cs("SET s foobar", "BITCOUNT s", "BITCOUNT missing", "SET empty ''", "BITCOUNT empty", "BITCOUNT empty 0 -1");
    const ranges = [
      ["0", "0"], ["1", "1"], ["0", "-1"], ["-2", "-1"], ["-1", "-2"], ["2", "1"], ["5", "100"], ["-100", "-3"],
      ["-100", "100"], ["1", "-100"], ["100", "200"], ["-9223372036854775808", "9223372036854775807"],
    ];
    for (const [a, b] of ranges) {
      cmds.push(["BITCOUNT", "s", a, b], ["BITCOUNT", "s", a, b, "BYTE"], ["BITCOUNT", "s", a, b, "bit"]);
    }
    for (const [a, b] of [["5", "30"], ["1", "6"], ["0", "7"], ["7", "8"], ["-5", "-1"], ["-13", "-12"], ["3", "3"]]) {
      cmds.push(["BITCOUNT", "s", a, b, "BIT"]);
    }
    await expectSameReplies(cmds);
  });

  test("argument errors only after the key is found and is a string", async () => {
    await expectSameReplies(cs(
      "BITCOUNT nokey a b", "BITCOUNT nokey 0", "BITCOUNT nokey 0 1 foo", "SET s foobar", "BITCOUNT s 0",
      "BITCOUNT s a 1", "BITCOUNT s 0 b", "BITCOUNT s 0 1 foo", "BITCOUNT s 0 1 bit 5", "BITCOUNT s a b foo",
      "BITCOUNT s 0 1 BITS", "BITCOUNT s 0 1 BYTE",
    ));
  });
});

describe("BITPOS", () => {
  test("first set and clear bits, with and without ends, in BYTE and BIT units", async () => {
    const cmds: Cmd[] = [
      ["SET", "a", new Uint8Array([0xff, 0xf0, 0x00])], ["SET", "f", new Uint8Array([0xff, 0xff, 0xff])],
      ["SET", "z", new Uint8Array([0, 0, 0])], ["SET", "m", new Uint8Array([0x00, 0x0f, 0xf0, 0x81])], ...cs("SET e ''"),
    ];
    for (const k of ["a", "f", "z", "m", "e", "missing"]) {
      for (const bit of ["0", "1"]) {
        cmds.push(["BITPOS", k, bit]);
        for (const start of ["0", "1", "2", "-1", "-2", "5", "-100"]) {
          cmds.push(["BITPOS", k, bit, start]);
          for (const end of ["0", "1", "2", "-1", "-3", "100"]) {
            cmds.push(["BITPOS", k, bit, start, end], ["BITPOS", k, bit, start, end, "BYTE"]);
          }
        }
        for (const [s, e] of [["0", "7"], ["3", "12"], ["7", "7"], ["8", "15"], ["12", "20"], ["-5", "-1"], ["9", "3"], ["4", "100"], ["20", "23"], ["13", "13"]]) {
          cmds.push(["BITPOS", k, bit, s, e, "BIT"]);
        }
      }
    }
    await expectSameReplies(cmds);
  });

  test("errors: the bit first, then the key, then the range", async () => {
    await expectSameReplies(cs(
      "BITPOS nokey 2", "BITPOS nokey x", "BITPOS nokey 1 a", "BITPOS nokey 0 0 1 foo", "SET s foobar",
      "BITPOS s 1 a", "BITPOS s 1 0 a", "BITPOS s 1 0 1 foo", "BITPOS s 1 0 1 bit x", "BITPOS s 0 a 1 foo",
      "BITPOS s 1 0 a foo", "BITPOS s -1", "BITPOS s 01",
    ));
  });
});

describe("BITOP", () => {
  test("AND, OR, XOR and NOT over strings of different lengths and missing keys", async () => {
    const cmds: Cmd[] = [["SET", "{t}a", new Uint8Array([0xff, 0x0f, 0x55])], ["SET", "{t}b", new Uint8Array([0x0f, 0xff])], ...cs("SET {t}c foobar")];
    for (const op of ["AND", "OR", "XOR", "and", "Or"]) {
      cmds.push(["BITOP", op, "{t}d", "{t}a", "{t}b"], ["GET", "{t}d"], ["BITOP", op, "{t}d", "{t}a", "{t}b", "{t}c", "{t}missing"], ["GET", "{t}d"]);
      cmds.push(["BITOP", op, "{t}d", "{t}missing", "{t}a"], ["GET", "{t}d"], ["BITOP", op, "{t}d", "{t}a", "{t}b", "{t}a", "{t}c", "{t}b"], ["GET", "{t}d"]);
    }
    cmds.push(...cs(
      "BITOP NOT {t}d {t}a", "GET {t}d", "OBJECT ENCODING {t}d", "BITOP NOT {t}d {t}missing", "EXISTS {t}d",
      "SET {t}d x EX 100", "BITOP OR {t}d {t}a", "TTL {t}d", "BITOP AND {t}d {t}missing {t}other", "EXISTS {t}d",
      "BITOP AND {t}a {t}a {t}b", "GET {t}a",
    ));
    await expectSameReplies(cmds);
  });

  test("keys on different shards", async () => {
    await expectSameReplies(cs("SET k1 abc", "SET k2 xyzw", "SET k3 Q", "BITOP XOR k9 k1 k2 k3", "GET k9", "BITOP OR k1 k2 k3", "GET k1"));
  });

  test("errors: unknown operation, NOT arity, wrong types", async () => {
    await expectSameReplies(cs("BITOP FOO d s", "BITOP NOT d a b", "BITOP foo", "BITOP NOT d"));
  });
});

describe("BITFIELD", () => {
  test("GET, SET and INCRBY of signed and unsigned fields at every width edge", async () => {
    const cmds: Cmd[] = [];
    for (const ty of ["i1", "u1", "i2", "i7", "u7", "i8", "u8", "i16", "u31", "i32", "u32", "i33", "u53", "i63", "u63", "i64"]) {
      for (const ow of ["WRAP", "SAT", "FAIL"]) {
        cmds.push(["DEL", "bf"]);
        for (const v of ["0", "1", "-1", "100", "-100", "127", "128", "-129", "255", "256", "65535", "2147483647", "-2147483648", "4294967296",
          "9007199254740993", "9223372036854775807", "-9223372036854775808"]) {
          cmds.push(["BITFIELD", "bf", "OVERFLOW", ow, "SET", ty, "3", v, "GET", ty, "3"]);
          cmds.push(["BITFIELD", "bf", "OVERFLOW", ow, "INCRBY", ty, "3", v, "INCRBY", ty, "3", v, "GET", ty, "3"]);
        }
        cmds.push(["GET", "bf"]);
      }
    }
    await expectSameReplies(cmds);
  });

  test("# offsets, several operations in one call, reads past the end, the FAIL mode keeps the value", async () => {
    await expectSameReplies(cs(
      "BITFIELD k SET u8 #0 255 SET u8 #1 128 GET u4 0 GET u4 4 GET i8 #1 GET u16 #0 GET u63 5 GET i64 3",
      "GET k", "BITFIELD k INCRBY u2 100 1 GET u2 100", "STRLEN k", "BITFIELD k OVERFLOW FAIL INCRBY u2 100 10 GET u2 100",
      "BITFIELD k OVERFLOW SAT INCRBY i4 #30 -100 OVERFLOW WRAP INCRBY i4 #30 -100", "BITFIELD k GET i64 #1000", "STRLEN k",
      "BITFIELD nokey", "EXISTS nokey", "BITFIELD nokey GET i8 0", "EXISTS nokey", "BITFIELD nokey2 OVERFLOW FAIL SET u2 0 9", "GET nokey2",
      "BITFIELD h SET i8 #2305843009213693952 4", "GET h", "BITFIELD h SET i8 #-1 4", "BITFIELD h SET u8 #536870912 1",
      "STRLEN h", "DEL h", "BITFIELD h2 GET u8 4294967295", "BITFIELD h2 GET u8 4294967296",
      "OBJECT ENCODING k", "SET e 12", "BITFIELD e SET u8 0 51", "OBJECT ENCODING e", "GET e",
      "BITFIELD k OVERFLOW wrap OVERFLOW sat INCRBY u8 0 1000 overflow Fail incrby u8 0 1",
    ));
  });

  test("errors, BITFIELD_RO, and the order in which they win", async () => {
    await expectSameReplies(cs(
      "BITFIELD k FOO", "BITFIELD k GET i8", "BITFIELD k GET I8 0", "BITFIELD k GET u64 0", "BITFIELD k GET i65 0",
      "BITFIELD k GET i0 0", "BITFIELD k GET u 0", "BITFIELD k GET '' 0", "BITFIELD k GET i8 -1", "BITFIELD k GET i8 x",
      "BITFIELD k GET i8 # ", "BITFIELD k GET i8 #", "BITFIELD k SET i8 0 x", "BITFIELD k SET i8 0", "BITFIELD k OVERFLOW",
      "BITFIELD k OVERFLOW FOO GET x y", "BITFIELD k GET x 0 OVERFLOW FOO", "BITFIELD k GET i8 0 FOO", "BITFIELD k INCRBY i8 0 1 GET u64 0",
      "BITFIELD k GET u8 1 SET i8 #-1 4", "EXISTS k", "BITFIELD_RO k GET u8 0 GET i8 #3", "BITFIELD_RO k SET i8 0 1",
      "BITFIELD_RO k SET i8 0 x", "BITFIELD_RO k INCRBY i8 0 1", "BITFIELD_RO k OVERFLOW SAT", "BITFIELD_RO k", "EXISTS k",
    ));
  });
});

describe("WRONGTYPE", () => {
  test("every bitmap command refuses a key of another type, after its own argument checks as Redis orders them", async () => {
    const other = await nonStringCommand();
    const mk = (key: string): Cmd => [other[0], key, ...other.slice(1)];
    await expectSameReplies([
      mk("l"), ...cs("SETBIT l 0 1", "SETBIT l x 1", "SETBIT l 0 5", "GETBIT l 0", "GETBIT l x", "BITCOUNT l", "BITCOUNT l a b"),
      ...cs("BITPOS l 1 a", "BITPOS l 3", "BITFIELD l", "BITFIELD l GET i8 0", "BITFIELD l SET i8 0 1", "BITFIELD_RO l GET i8 0"),
      ...cs("BITFIELD l GET i8 x", "BITFIELD_RO l SET i8 0 1"),
      mk("{x}l"), ...cs("BITOP AND {x}d {x}l", "BITOP AND {x}d {x}nokey {x}l", "BITOP OR {x}l {x}nokey", "TYPE {x}l"),
      mk("{x}l"), ...cs("SET {x}s v", "BITOP AND {x}l {x}s", "TYPE {x}l", "GET {x}l", "OBJECT ENCODING {x}l"),
    ]);
  });
});

describe("WATCH sees a bitmap write only when something changed", () => {
  test("SETBIT and BITFIELD that leave the value as it was do not abort a transaction; real changes do", async () => {
    const scenarios: Cmd[] = cs(
      "SETBIT wk 3 1", "SETBIT wk 3 0", "SETBIT wk 100 0", "BITFIELD wk GET u8 0", "BITFIELD wk SET u8 0 16", "BITFIELD wk SET u8 0 17",
      "BITFIELD wk OVERFLOW FAIL INCRBY u2 0 100", "BITFIELD wk INCRBY u8 0 0", "BITFIELD wk SET u8 #5 0", "BITFIELD wk OVERFLOW SAT SET u4 0 100",
      "BITOP OR wk wk", "BITFIELD_RO wk GET u8 0", "BITCOUNT wk", "GETBIT wk 3",
    );
    const [mk2, rd2] = await Promise.all([RespClient.connect(pair.memkeep!.port), RespClient.connect(pair.redis!.port)]);
    try {
      const results: string[][] = [[], []];
      for (const [i, [a, b]] of [[pair.mk, mk2], [pair.rd, rd2]].entries()) {
        for (const cmd of scenarios) {
          await a.call("DEL", "wk");
          await a.call("SETBIT", "wk", "3", "1");
          await a.call("WATCH", "wk");
          const r = await b.call(...cmd);
          await a.call("MULTI");
          await a.call("PING");
          results[i].push(`${cmd.join(" ")} => ${escapeBytes(r)} / EXEC ${escapeBytes(await a.call("EXEC"))}`);
        }
      }
      expect(results[0]).toEqual(results[1]);
    } finally {
      await Promise.all([mk2.close(), rd2.close()]);
    }
  });
});

describe("RESP3", () => {
  test("replies are the same under HELLO 3", async () => {
    await Promise.all([pair.mk.call("HELLO", "3"), pair.rd.call("HELLO", "3")]);
    try {
      await expectSameReplies(cs("SETBIT k 1 1", "BITFIELD k GET u8 0 OVERFLOW FAIL INCRBY u2 0 100", "BITFIELD_RO k GET i8 0", "BITFIELD k"));
    } finally {
      await Promise.all([pair.mk.call("HELLO", "2"), pair.rd.call("HELLO", "2")]);
    }
  });
});
