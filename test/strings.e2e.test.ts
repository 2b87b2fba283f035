// The string commands against redis-server 7.0: every case sends the same commands to memkeep and to
// redis-server and asserts identical reply bytes (shown as "command => escaped reply" lines, so a
// failure names the command). Cases cover option parsing and its conflicts, which error wins when
// several apply, the int64 and expire-time edges, OBJECT ENCODING bookkeeping, TTL keeping, LCS's
// shapes, binary-safe values and a 100 MB value.
//
// Commands whose replies depend on the clock (PTTL) are not compared; TTL after "EX 100" is.
// WRONGTYPE cases need a non-string type and RESP3 cases need HELLO: they run once memkeep has them.
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (scripts/test.sh runs this file with 1 and 3),
// so the multi-key commands (MGET, MSET, MSETNX, LCS) also run across shards.

import { c, cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startBoth } from "./helpers/servers.ts";
import { RespClient, bytesEqual, escapeBytes, formatCommand } from "./helpers/resp.ts";
import { commandTable } from "../src/commands/registry.ts";



const pair = useReferencePair();

/** SELECT 0 and FLUSHALL on both servers, then cmds on both (by default through the pair's clients). */
const expectSameReplies = sameReplies(pair);

const bytes = (...parts: (string | number[] | Uint8Array)[]): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of chunks) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

test("each string command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const names = stringCommandNames();
  const fromRedis = (await pair.rd.callParsed("COMMAND", "INFO", ...names)) as unknown[][];
  const theirs = fromRedis.map((info) => ({
    name: info[0], arity: info[1], flags: info[2], firstKey: info[3], lastKey: info[4], step: info[5], acl: info[6],
  }));
  const ours = names.map((name) => {
    const spec = commandTable().byFullName(name)!;
    return {
      name, arity: spec.arity, flags: spec.flags, firstKey: spec.firstKey, lastKey: spec.lastKey, step: spec.step,
      acl: spec.acl,
    };
  });
  expect(ours).toEqual(theirs as typeof ours);
});

function stringCommandNames(): string[] {
  return [
    "get", "set", "setnx", "setex", "psetex", "getex", "getdel", "getset", "mget", "mset", "msetnx", "append", "strlen",
    "getrange", "substr", "setrange", "incr", "decr", "incrby", "decrby", "incrbyfloat", "lcs",
  ];
}

describe("SET options", () => {
  test("a repeated option is accepted and the last expire time wins", async () => {
    await expectSameReplies(cs(
      "SET k v EX 10 EX 100", "TTL k", "SET k v PX 5000 PX 100000", "TTL k", "SET k v NX NX", "SET k v XX XX",
      "SET k v KEEPTTL KEEPTTL", "TTL k", "SET k v GET GET", "SET k v EXAT 4102444800 EXAT 4102444801", "EXPIRETIME k",
      "SET k v PXAT 4102444800000 PXAT 4102444800123", "PEXPIRETIME k",
    ));
  });

  test("conflicting options and an expire word without its value are syntax errors", async () => {
    await expectSameReplies(cs(
      "SET k v NX XX", "SET k v XX NX", "SET k v EX 10 PX 100", "SET k v PX 100 EXAT 4102444800", "SET k v EXAT 1 PXAT 1",
      "SET k v KEEPTTL EX 10", "SET k v EX 10 KEEPTTL", "SET k v PXAT 1 KEEPTTL", "SET k v EX", "SET k v PX", "SET k v EXAT",
      "SET k v PXAT", "SET k v FOO", "SET k v PERSIST", "SET k v EX 10 FOO", "EXISTS k",
    ));
  });

  test("option words ignore case and are cut at a NUL byte as Redis's C string compares are", async () => {
    await expectSameReplies([
      ...cs("SET k v nX", "SET k v Xx gEt", "SET k v kEePtTl", "SET k v eX 100", "TTL k", "SET k v pXaT 4102444800000"),
      ["SET", "k", "w", bytes("NX", [0], "junk")],
      ["SET", "k", "w", bytes("XX", [0])],
      ["GET", "k"],
      ["SET", "k", "w", bytes("EX", [0], "x"), "100"],
      ["TTL", "k"],
      ["SET", "k", "w", bytes([0], "NX")],
      ["SET", "k", "w", "NXX"],
    ]);
  });

  test("expire times: zero, negative, non-integer and int64 overflow after the unit change or the clock", async () => {
    await expectSameReplies(cs(
      "SET k v EX 0", "SET k v EX -1", "SET k v PX 0", "SET k v PXAT -5", "SET k v EX abc", "SET k v EX 1.5", "SET k v EX ''",
      "SET k v EX 9223372036854775808", "SET k v PX 9223372036854775807", "SET k v EX 9223372036854775",
      "SET k v EX 9223372036854776", "SET k v EXAT 9223372036854776", "EXISTS k",
      "SET k v EXAT 9223372036854775", "EXPIRETIME k", "SET k v PXAT 9223372036854775807", "PEXPIRETIME k",
      "SET k v EX 100000000000", "TTL k",
    ));
  });

  test("an expire time in the past stores the key until its next access, as Redis does", async () => {
    await expectSameReplies(cs("SET k v EXAT 1", "DBSIZE", "GET k", "DBSIZE", "SET k v PXAT 1000 GET", "EXISTS k"));
  });

  test("the expire time is validated before GET looks at the old value, and GET replies before NX/XX decide", async () => {
    await expectSameReplies(cs(
      "SET k old", "SET k new NX GET", "GET k", "SET k2 new XX GET", "EXISTS k2", "SET k newer XX GET", "GET k",
      "SET k2 first NX GET", "GET k2", "SET k v EX 0 GET", "SET k v EX abc GET", "GET k", "SET k3 v GET EX 100", "TTL k3",
    ));
  });

  test("SET drops the TTL unless KEEPTTL, and KEEPTTL on a new key sets none", async () => {
    await expectSameReplies(cs(
      "SET k v EX 100", "SET k w KEEPTTL", "TTL k", "SET k w", "TTL k", "SET n v KEEPTTL", "TTL n",
      "SET k v EX 100", "SET k w GET KEEPTTL", "TTL k", "SET k x XX", "TTL k",
    ));
  });
});

describe("SETNX, SETEX, PSETEX", () => {
  test("SETNX replies 1 or 0 and never overwrites", async () => {
    await expectSameReplies(cs("SETNX k a", "SETNX k b", "GET k", "SETNX k", "SETNX k a b"));
  });

  test("SETEX and PSETEX name themselves in the invalid expire time error", async () => {
    await expectSameReplies(cs(
      "SETEX k 0 v", "SETEX k -5 v", "SETEX k abc v", "SETEX k 9223372036854775 v", "PSETEX k 0 v", "PSETEX k -1 v",
      "PSETEX k 9223372036854775807 v", "PSETEX k 1.5 v", "EXISTS k", "SETEX k 100 v", "TTL k", "GET k",
      "PSETEX k 100000 w", "TTL k", "GET k", "SETEX k 100", "PSETEX k 100 v x",
    ));
  });
});

describe("GET, GETEX, GETDEL, GETSET", () => {
  test("GETEX parses options first, then looks the key up, and validates the expire time only for an existing key", async () => {
    await expectSameReplies(cs(
      "GETEX nokey EX abc", "GETEX nokey EX 0", "GETEX nokey FOO", "GETEX nokey EX", "SET k v", "GETEX k EX abc",
      "GETEX k EX 0", "GETEX k PX -1", "GETEX k EXAT 9223372036854776", "GETEX k PX 9223372036854775807",
      "GETEX k EX 9223372036854775", "TTL k",
    ));
  });

  test("GETEX accepts only EX, PX, EXAT, PXAT and PERSIST, one kind at a time", async () => {
    await expectSameReplies(cs(
      "SET k v", "GETEX k EX 100 PERSIST", "GETEX k PERSIST EX 10", "GETEX k PERSIST PERSIST", "GETEX k EX 10 EX 100",
      "TTL k", "GETEX k KEEPTTL", "GETEX k NX", "GETEX k XX", "GETEX k GET", "GETEX k PX 100 PXAT 1", "GETEX k", "TTL k",
      "GETEX k PERSIST", "TTL k", "GETEX k PERSIST", "TTL k", "GETEX k EXAT 4102444800", "EXPIRETIME k",
      "GETEX k PXAT 4102444800123", "PEXPIRETIME k",
    ));
  });

  test("GETEX with EXAT or PXAT in the past replies the value and deletes the key", async () => {
    await expectSameReplies(cs("SET k v", "GETEX k PXAT 1", "EXISTS k", "SET k v", "GETEX k EXAT 1", "DBSIZE"));
  });

  test("GETDEL replies the value once and removes the key", async () => {
    await expectSameReplies(cs("SET k v EX 100", "GETDEL k", "GETDEL k", "EXISTS k", "GETDEL"));
  });

  test("GETSET replies the old value or nil and drops the TTL", async () => {
    await expectSameReplies(cs("GETSET k a", "GETSET k b", "GET k", "SET k v EX 100", "GETSET k w", "TTL k", "GETSET k"));
  });

  test("GET of a missing key is nil and its arity is exact", async () => {
    await expectSameReplies(cs("GET nokey", "GET", "GET a b", "SET k ''", "GET k"));
  });
});

describe("MGET, MSET, MSETNX", () => {
  test("MGET replies nil for missing keys in place", async () => {
    await expectSameReplies(cs("MSET a 1 b 2 c 3", "MGET a nokey b c nokey", "MGET nokey", "MGET"));
  });

  test("MSET and MSETNX need key-value pairs and name themselves in the arity error", async () => {
    await expectSameReplies(cs("MSET a", "MSET a 1 b", "MSETNX a", "MSETNX a 1 b", "DBSIZE"));
  });

  test("MSET sets all pairs (the last of a repeated key wins) and drops TTLs", async () => {
    await expectSameReplies(cs("SET a x EX 100", "MSET a 1 b 2 a 3", "MGET a b", "TTL a"));
  });

  test("MSETNX sets nothing when any key exists", async () => {
    await expectSameReplies(cs(
      "MSETNX a 1 b 2", "MSETNX b 3 c 4", "MGET a b c", "MSETNX c 5 d 6 c 7", "MGET c d", "SET e v EXAT 1",
      "MSETNX e 1", "GET e",
    ));
  });
});

describe("APPEND and STRLEN", () => {
  test("APPEND creates, extends and keeps the TTL; STRLEN counts bytes", async () => {
    await expectSameReplies(cs(
      "APPEND k hello", "APPEND k ''", "APPEND k ' world'", "GET k", "STRLEN k", "STRLEN nokey", "APPEND e ''",
      "EXISTS e", "STRLEN e", "SET t v EX 100", "APPEND t x", "TTL t", "SET n 12", "APPEND n 3", "INCR n", "STRLEN n",
    ));
  });
});

describe("GETRANGE and SUBSTR", () => {
  test("indexes are inclusive, negative from the end, clamped, and an inverted range is empty", async () => {
    await expectSameReplies(cs(
      "SET s hello", "GETRANGE s 0 -1", "GETRANGE s -1 -5", "GETRANGE s -5 -1", "GETRANGE s 2 1", "GETRANGE s 10 20",
      "GETRANGE s -100 -99", "GETRANGE s -100 100", "GETRANGE s 4 4", "GETRANGE s 5 5", "GETRANGE s 0 0",
      "GETRANGE s -1 -1", "GETRANGE s 3 -3", "GETRANGE nokey 0 -1", "SUBSTR s 1 2", "SUBSTR s -3 -1",
      "SET e ''", "GETRANGE e 0 -1", "GETRANGE e 0 0", "GETRANGE e -1 -1", "SET n 12345", "GETRANGE n 1 3",
    ));
  });

  test("int64 edges: both ends negative and inverted stays empty even beyond 2^53", async () => {
    await expectSameReplies(cs(
      "SET s hello", "GETRANGE s 9223372036854775807 -9223372036854775808",
      "GETRANGE s -9223372036854775808 9223372036854775807", "GETRANGE s -1152921504606846976 -2305843009213693952",
      "GETRANGE s -2305843009213693952 -1152921504606846976", "GETRANGE s 9223372036854775808 1", "GETRANGE s a 1",
      "GETRANGE s 0 b", "GETRANGE nokey a 1", "GETRANGE s 0", "SUBSTR s 0 1 2",
    ));
  });
});

describe("SETRANGE", () => {
  test("offset errors come before the lookup; empty values create nothing and skip the length check", async () => {
    await expectSameReplies(cs(
      "SETRANGE k -1 a", "SETRANGE k abc a", "SETRANGE k 9223372036854775808 a", "SETRANGE k 536870912 ''", "EXISTS k",
      "SETRANGE k 536870912 a", "SETRANGE k 9223372036854775807 a", "SET k hello", "SETRANGE k 536870912 a",
      "SETRANGE k 9223372036854775807 ''", "SETRANGE k 0 ''", "GET k",
    ));
  });

  test("writing past the end zero-pads, also over bytes a shorter value left behind", async () => {
    await expectSameReplies(cs(
      "SET k hello", "SETRANGE k 10 x", "GET k", "STRLEN k", "SETRANGE k 1 EL", "GET k", "SETRANGE n 3 abc", "GET n",
      "SET z abcdefg", "SET z ab", "SETRANGE z 6 x", "GET z", "SET t v EX 100", "SETRANGE t 2 x", "TTL t",
      "GET t",
    ));
  });
});

describe("INCR, DECR, INCRBY, DECRBY", () => {
  test("int64 overflow in both directions, and DECRBY of the minimum int64", async () => {
    await expectSameReplies(cs(
      "SET n 9223372036854775807", "INCR n", "DECRBY n -1", "INCRBY n 0", "DECR n", "SET n -9223372036854775808",
      "DECR n", "INCRBY n -1", "INCRBY n 9223372036854775807", "INCRBY n 9223372036854775807", "INCR n",
      "DECRBY n -9223372036854775808", "DECRBY nokey -9223372036854775808", "EXISTS nokey",
      "DECRBY x 9223372036854775807", "DECR x", "DECR x",
    ));
  });

  test("values beyond 2^53 count exactly", async () => {
    await expectSameReplies(cs(
      "SET big 9007199254740991", "INCR big", "INCR big", "INCRBY big 9007199254740993", "DECRBY big 18014398509481988",
      "DECR big", "INCRBY neg -9007199254740993", "DECR neg", "INCRBY neg 9007199254740993",
    ));
  });

  test("non-canonical integers are not integers, and the increment is parsed before the key", async () => {
    await expectSameReplies(cs(
      "SET n 1.0", "INCR n", "SET n ' 1'", "INCR n", "SET n 01", "INCR n", "SET n -0", "INCR n", "SET n +1", "INCR n",
      "SET n ''", "INCR n", "SET n 99999999999999999999", "INCR n", "INCRBY nokey abc", "INCRBY nokey 1.5",
      "INCRBY nokey 9223372036854775808", "SET n abc", "INCRBY n 1", "INCRBY n abc", "DECRBY n 1", "INCR nokey2",
      "DECR nokey3",
    ));
  });

  test("INCR keeps the TTL", async () => {
    await expectSameReplies(cs("SET t 5 EX 100", "INCR t", "TTL t", "INCRBY t 10", "DECR t", "TTL t"));
  });
});

describe("INCRBYFLOAT", () => {
  test("replies and stores %.17Lf trimmed, with long double precision", async () => {
    await expectSameReplies(cs(
      "INCRBYFLOAT g 1.1", "INCRBYFLOAT g 2.2", "INCRBYFLOAT g -3.3", "INCRBYFLOAT h -0.0", "INCRBYFLOAT h 5.0e3",
      "INCRBYFLOAT h 0.1", "GET h", "INCRBYFLOAT f 1e308", "INCRBYFLOAT f 1e308", "INCRBYFLOAT i 0x10",
      "INCRBYFLOAT i 1e-4940", "INCRBYFLOAT j 3.0000000000000000001", "INCRBYFLOAT k 10.5", "INCRBYFLOAT k -0.5",
      "SET m 1e3", "INCRBYFLOAT m 1", "SET m 0x1p3", "INCRBYFLOAT m 1", "SET m 5", "INCRBYFLOAT m 1.7976931348623157e308",
      "INCRBYFLOAT big 1e4000", "STRLEN big", "INCRBYFLOAT big 1.18e4932",
    ));
  });

  test("invalid floats, overflow, underflow to zero and NaN or Infinity results", async () => {
    await expectSameReplies(cs(
      "INCRBYFLOAT nn abc", "INCRBYFLOAT nn ''", "INCRBYFLOAT nn ' 1'", "INCRBYFLOAT nn 1x", "INCRBYFLOAT nn nan",
      "INCRBYFLOAT nn inf", "INCRBYFLOAT nn -infinity", "INCRBYFLOAT nn 1e5000", "INCRBYFLOAT nn 1e-5000",
      "INCRBYFLOAT nn 1.19e4932", "EXISTS nn", "SET s abc", "INCRBYFLOAT s 1", "INCRBYFLOAT s abc", "SET s inf",
      "INCRBYFLOAT s 1", "SET s 1e4932", "INCRBYFLOAT s 1e4932", "GET s", "INCRBYFLOAT", "INCRBYFLOAT a 1 2",
    ));
  });

  test("INCRBYFLOAT keeps the TTL", async () => {
    await expectSameReplies(cs("SET t 5 EX 100", "INCRBYFLOAT t 1.5", "TTL t"));
  });
});

describe("LCS", () => {
  test("the subsequence, LEN and IDX with MINMATCHLEN and WITHMATCHLEN", async () => {
    await expectSameReplies(cs(
      "MSET a ohmytext b mynewtext", "LCS a b", "LCS b a", "LCS a b LEN", "LCS a b IDX", "LCS a b IDX MINMATCHLEN 4",
      "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", "LCS a b IDX WITHMATCHLEN", "LCS a b WITHMATCHLEN",
      "LCS a b LEN WITHMATCHLEN", "LCS a b MINMATCHLEN -5 IDX", "LCS a b idx minmatchlen 2 withmatchlen", "LCS a a IDX",
      "LCS a b LEN LEN", "LCS a b IDX IDX",
    ));
  });

  test("missing keys are empty strings and integers compare as their text", async () => {
    await expectSameReplies(cs(
      "SET a ohmytext", "LCS a nokey", "LCS nokey a IDX", "LCS x y LEN", "LCS x y", "MSET n 12345 m 92349",
      "LCS n m", "LCS n m IDX WITHMATCHLEN",
    ));
  });

  test("option errors: LEN with IDX, bad MINMATCHLEN, unknown words", async () => {
    await expectSameReplies(cs(
      "MSET a ohmytext b mynewtext", "LCS a b LEN IDX", "LCS a b IDX LEN", "LCS a b MINMATCHLEN x", "LCS a b MINMATCHLEN",
      "LCS a b MINMATCHLEN 9223372036854775808", "LCS a b FOO", "LCS a", "LCS a b IDX FOO LEN",
    ));
  });

  test("ties in the table are broken as Redis does, so the same subsequence and ranges come back", async () => {
    await expectSameReplies(cs(
      "MSET a abcabcabc b cbacbacba", "LCS a b", "LCS a b IDX WITHMATCHLEN", "LCS b a IDX",
      "MSET c AAAABBBBCCCC d CCCCBBBBAAAA", "LCS c d", "LCS c d IDX WITHMATCHLEN",
      "MSET e GAC f AGCAT", "LCS e f", "LCS f e", "LCS e f IDX",
      "MSET g xaxbxcxdx h yaybycydy", "LCS g h IDX", "LCS g h IDX MINMATCHLEN 2",
    ));
  });

  test("LCS of 300-byte random strings matches in all forms", async () => {
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const word = (n: number) => Array.from({ length: n }, () => "acgt"[rand() % 4]).join("");
    const a = word(300);
    const b = word(280);
    await expectSameReplies([
      ["MSET", "a", a, "b", b], ["LCS", "a", "b"], ["LCS", "a", "b", "LEN"], ["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
      ["LCS", "b", "a", "IDX", "MINMATCHLEN", "3"],
    ]);
  });
});

describe("OBJECT ENCODING after each string command", () => {
  test("SET, MSET, SETNX, SETEX, GETSET: int for canonical int64, embstr up to 44 bytes, raw beyond", async () => {
    const long44 = "x".repeat(44);
    const long45 = "x".repeat(45);
    await expectSameReplies([
      ...cs(
        "SET a 10", "OBJECT ENCODING a", "SET a 9223372036854775807", "OBJECT ENCODING a", "SET a 9223372036854775808",
        "OBJECT ENCODING a", "SET a -9223372036854775808", "OBJECT ENCODING a", "SET a -9223372036854775809",
        "OBJECT ENCODING a", "SET a -0", "OBJECT ENCODING a", "SET a 007", "OBJECT ENCODING a", "SET a +1",
        "OBJECT ENCODING a", "SET a 0", "OBJECT ENCODING a", "SET a ''", "OBJECT ENCODING a",
        "MSET m 1 n abc", "OBJECT ENCODING m", "OBJECT ENCODING n", "SETNX x 2", "OBJECT ENCODING x",
        "SETEX y 100 12", "OBJECT ENCODING y", "GETSET y abc", "OBJECT ENCODING y", "GETSET y 13", "OBJECT ENCODING y",
        "PSETEX z 100000 1", "OBJECT ENCODING z",
      ),
      ["SET", "a", long44], ["OBJECT", "ENCODING", "a"], ["SET", "a", long45], ["OBJECT", "ENCODING", "a"],
      ["SET", "a", "12345678901234567890123456789012345678901234"], ["OBJECT", "ENCODING", "a"],
    ]);
  });

  test("APPEND and SETRANGE leave raw, except APPEND creating a key; INCR leaves int; INCRBYFLOAT never int", async () => {
    await expectSameReplies(cs(
      "SET b 1", "APPEND b 2", "OBJECT ENCODING b", "APPEND c 123", "OBJECT ENCODING c", "APPEND d abc",
      "OBJECT ENCODING d", "SET e 5", "APPEND e ''", "OBJECT ENCODING e", "SET f 5", "SETRANGE f 0 ''",
      "OBJECT ENCODING f", "SETRANGE f 0 6", "OBJECT ENCODING f", "SETRANGE g 0 1", "OBJECT ENCODING g",
      "INCR g", "OBJECT ENCODING g", "SET i 10", "INCR i", "OBJECT ENCODING i", "SETRANGE i 0 2", "OBJECT ENCODING i",
      "INCR i", "OBJECT ENCODING i", "SET a 10", "INCRBYFLOAT a 1", "OBJECT ENCODING a", "INCRBYFLOAT a 0.5",
      "OBJECT ENCODING a", "INCRBYFLOAT z 1e50", "OBJECT ENCODING z", "INCRBY big 9223372036854775807",
      "OBJECT ENCODING big",
    ));
  });
});

describe("binary safety", () => {
  const all256 = Uint8Array.from({ length: 256 }, (_, i) => i);
  const crlf = bytes("a\r\nb\r\n\r\n$5\r\n*1\r\n", [0, 0xff], "\r");

  test("values and keys with all 256 byte values and CRLF round trip through every command", async () => {
    await expectSameReplies([
      ["SET", all256, all256], ["GET", all256], ["STRLEN", all256], ["SET", "k", crlf], ["GET", "k"],
      ["APPEND", "k", all256], ["GET", "k"], ["GETRANGE", "k", "3", "20"], ["SETRANGE", "k", "2", crlf], ["GET", "k"],
      ["MSET", crlf, all256, "x", crlf], ["MGET", crlf, "x", all256], ["GETSET", "x", all256], ["GETDEL", "x"],
      ["SET", "y", crlf, "GET"], ["SET", "y", all256, "GET"], ["LCS", "y", "k"], ["LCS", "y", "k", "IDX"],
      ["GETEX", crlf, "EX", "100"], ["APPEND", "z", crlf], ["GET", "z"],
    ]);
    const got = await pair.mk.callBuffers("GET", all256);
    expect(bytesEqual(got as Uint8Array, all256)).toBe(true);
  });
});

describe("a 100 MB value", () => {
  test("SET then GET returns the same 100 MB, and STRLEN, GETRANGE and APPEND see all of it", async () => {
    const size = 100 * 1024 * 1024;
    const big = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) big[i] = (i >>> 12) & 0xff;
    big[size - 1] = 0x7a;
    expect(await pair.mk.callParsed("SET", "big", big)).toBe("OK");
    const got = (await pair.mk.callBuffers("GET", "big")) as Uint8Array;
    expect(got.length).toBe(size);
    expect(bytesEqual(got, big)).toBe(true);
    expect(await pair.mk.callParsed("STRLEN", "big")).toBe(size);
    const tail = (await pair.mk.callBuffers("GETRANGE", "big", "-4096", "-1")) as Uint8Array;
    expect(bytesEqual(tail, big.subarray(size - 4096))).toBe(true);
    expect(await pair.mk.callParsed("APPEND", "big", "end")).toBe(size + 3);
    const end = (await pair.mk.callBuffers("GETRANGE", "big", String(size - 1), "-1")) as Uint8Array;
    expect(new TextDecoder().decode(end)).toBe("zend");
    expect(await pair.mk.callParsed("DEL", "big")).toBe(1);
  }, 120_000);
});

describe("proto-max-bulk-len bounds SETRANGE, APPEND and LCS", () => {
  let small: ServerHandle | undefined;
  let reference: ServerHandle | undefined;
  let sm: RespClient;
  let rf: RespClient;
  const args = ["--proto-max-bulk-len", "1mb"];

  beforeAll(async () => {
    [small, reference] = await startBoth({ args }, { args });
    sm = await RespClient.connect(small!.port);
    rf = await RespClient.connect(reference!.port);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([sm?.close(), rf?.close()]);
    await Promise.all([small?.stop(), reference?.stop()]);
  }, 30_000);

  test("a string may reach the limit exactly but not pass it", async () => {
    const mb = 1024 * 1024;
    await expectSameReplies([
      ...cs("SETRANGE k 1048575 a", "STRLEN k", "SETRANGE k 1048576 a", "SETRANGE j 1048576 a", "EXISTS j",
        "SETRANGE k 1048576 ''", "APPEND k b", "STRLEN k"),
      ["SET", "m", "x".repeat(mb - 2)], ["APPEND", "m", "ab"], ["APPEND", "m", "c"], ["APPEND", "m", ""], ["STRLEN", "m"],
    ], [sm, rf]);
  });

  test("LCS refuses a table of 4-byte cells larger than the limit", async () => {
    await expectSameReplies([
      ["MSET", "a", "ab".repeat(250), "b", "ba".repeat(250)], ["LCS", "a", "b", "LEN"],
      ["MSET", "c", "ab".repeat(300), "d", "ba".repeat(300)], ["LCS", "c", "d", "LEN"], ["LCS", "c", "d"],
      ["LCS", "c", "d", "IDX", "LEN"], ["LCS", "c", "d", "FOO"],
    ], [sm, rf]);
  });
});

describe("RESP3", () => {
  test("nil replies are RESP3 nulls and LCS IDX is a map", async () => {
    const [m3, r3] = await Promise.all([RespClient.connect(pair.memkeep!.port), RespClient.connect(pair.redis!.port)]);
    try {
      await Promise.all([m3.call("HELLO", "3"), r3.call("HELLO", "3")]);
      await expectSameReplies(cs(
        "GET nokey", "SET k v NX GET", "SET k v NX", "SET x v XX", "SET k w GET", "MGET k nokey", "GETEX nokey",
        "GETDEL nokey", "GETSET n v", "SETNX k v", "INCRBYFLOAT f 1.5", "GETRANGE nokey 0 1", "MSET a ohmytext b mynewtext",
        "LCS a b", "LCS a b LEN", "LCS a b IDX", "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", "LCS a nokey IDX",
        "SET k v EX 0", "INCR k",
      ), [m3, r3]);
    } finally {
      await Promise.all([m3.close(), r3.close()]);
    }
  });
});
