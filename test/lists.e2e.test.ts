// The list commands against redis-server 7.0: every case sends the same commands to memkeep and to
// redis-server and asserts identical reply bytes. Cases cover each command's argument parsing and
// which error wins (numbers parsed before or after the key lookup, WRONGTYPE, arity), index
// arithmetic at the edges (negative, out of range, int64 extremes), element sizes across every
// length-header class, lists big enough to span many nodes (LINDEX/LSET/LINSERT/LREM/LTRIM in the
// middle of them), list-max-listpack-size variants, deletion of emptied lists, RESP3 replies, and the
// blocking commands' non-blocking paths (served at once, inside MULTI). Blocking behaviour with
// several connections is in blocking.e2e.test.ts.

import { describe, expect, test } from "bun:test";
import { c, cs, sameReplies, useReferencePair, type Cmd } from "./helpers/reference_pair.ts";
import { commandTable } from "../src/commands/registry.ts";

const pair = useReferencePair();
const expectSameReplies = sameReplies(pair);

const listCommandNames = [
  "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset", "linsert", "lrem", "ltrim",
  "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop", "blmove", "brpoplpush", "blmpop",
];

test("each list command's spec has redis-server 7.0's arity, flags, key positions and ACL categories", async () => {
  const fromRedis = (await pair.rd.callParsed("COMMAND", "INFO", ...listCommandNames)) as unknown[][];
  const theirs = fromRedis.map((info) => ({
    name: info[0], arity: info[1], flags: info[2], firstKey: info[3], lastKey: info[4], step: info[5], acl: info[6],
  }));
  const ours = listCommandNames.map((name) => {
    const spec = commandTable().byFullName(name)!;
    return { name, arity: spec.arity, flags: spec.flags, firstKey: spec.firstKey, lastKey: spec.lastKey, step: spec.step, acl: spec.acl };
  });
  expect(ours).toEqual(theirs as typeof ours);
});

/** RPUSH key with n elements "e0".."e{n-1}" (or a generator). */
function fill(key: string, n: number, f: (i: number) => string = (i) => `e${i}`): Cmd[] {
  const out: Cmd[] = [];
  for (let i = 0; i < n; i += 500) {
    const batch: string[] = [];
    for (let j = i; j < Math.min(n, i + 500); j++) batch.push(f(j));
    out.push(["RPUSH", key, ...batch]);
  }
  return out;
}

describe("push and pop", () => {
  test("LPUSH/RPUSH order, lengths, X variants on missing keys, OBJECT ENCODING and TYPE", async () => {
    await expectSameReplies(cs(
      "LPUSH l a b c", "RPUSH l d e", "LRANGE l 0 -1", "LLEN l", "LPUSHX nokey a", "RPUSHX nokey a", "EXISTS nokey",
      "LPUSHX l x y", "RPUSHX l z", "LRANGE l 0 -1", "OBJECT ENCODING l", "TYPE l", "LLEN nokey",
      "LPUSH", "LPUSH l", "RPUSHX l", "LPUSH '' ''", "LRANGE '' 0 -1",
    ));
  });

  test("LPOP/RPOP with and without COUNT: missing key, zero, more than the length, errors, deletion", async () => {
    await expectSameReplies(cs(
      "LPOP nokey", "RPOP nokey", "LPOP nokey 0", "LPOP nokey 3", "RPUSH l a b c d e",
      "LPOP l 0", "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 10", "EXISTS l", "RPUSH l a", "LPOP l -1", "LPOP l abc",
      "LPOP l 1 2", "RPOP l 9223372036854775807", "EXISTS l", "RPUSH l a", "LPOP l 9223372036854775808", "LPOP l ''",
      "SET s v", "LPOP s", "LPOP s 0", "LPOP s -1", "RPOP s 2",
    ));
  });

  test("elements of every length-header size round-trip, binary-safe", async () => {
    const sizes = [0, 1, 127, 128, 129, 16383, 16384, 16385, 70000];
    const cmds: Cmd[] = [];
    for (const n of sizes) {
      const v = new Uint8Array(n);
      for (let i = 0; i < n; i++) v[i] = (i * 7 + n) & 0xff;
      cmds.push(["RPUSH", "big", v], ["LPUSH", "big", v]);
    }
    cmds.push(c("LLEN big"), c("LRANGE big 0 -1"), c("LINDEX big 9"), c("LINDEX big -3"));
    for (let i = 0; i < sizes.length; i++) cmds.push(c("LPOP big"), c("RPOP big"));
    cmds.push(c("EXISTS big"));
    await expectSameReplies(cmds);
  });

  test("a list of 20000 elements spans many nodes: pops, indexes and ranges stay exact", async () => {
    await expectSameReplies([
      ...fill("l", 20000),
      ...cs("LLEN l", "LINDEX l 0", "LINDEX l 9999", "LINDEX l -1", "LINDEX l -20000", "LINDEX l 20000", "LINDEX l -20001",
        "LRANGE l 9990 10010", "LRANGE l -5 -1", "LPOP l 3", "RPOP l 3", "LPUSH l x", "LINDEX l 1", "LLEN l",
        "LRANGE l 19990 30000"),
    ]);
  });
});

describe("reads", () => {
  test("LRANGE index arithmetic: negatives, out of range, inverted, int64 extremes, parse errors first", async () => {
    await expectSameReplies(cs(
      "RPUSH l a b c d e", "LRANGE l 0 0", "LRANGE l -1 -1", "LRANGE l -100 100", "LRANGE l 3 1", "LRANGE l 5 10",
      "LRANGE l -3 -2", "LRANGE l 1 -1", "LRANGE l 0 -6", "LRANGE l -9223372036854775808 9223372036854775807",
      "LRANGE l 0 9223372036854775808", "LRANGE l x 1", "LRANGE l 1 x", "LRANGE nokey 0 -1", "LRANGE nokey x 1",
      "SET s v", "LRANGE s 0 -1", "LRANGE s x 1",
    ));
  });

  test("LINDEX looks the key up before parsing the index", async () => {
    await expectSameReplies(cs(
      "LINDEX nokey x", "LINDEX nokey 0", "RPUSH l a b c", "LINDEX l x", "LINDEX l 1", "LINDEX l -1", "LINDEX l 3",
      "LINDEX l -4", "LINDEX l 9223372036854775807", "LINDEX l -9223372036854775808", "SET s v", "LINDEX s x",
    ));
  });

  test("LPOS with RANK, COUNT and MAXLEN in every combination and their errors", async () => {
    await expectSameReplies(cs(
      "RPUSH l a b c 1 2 3 c c a b c", "LPOS l c", "LPOS l c RANK 2", "LPOS l c RANK -1", "LPOS l c RANK -3",
      "LPOS l c RANK 9", "LPOS l c COUNT 0", "LPOS l c COUNT 2", "LPOS l c COUNT 2 RANK 2", "LPOS l c COUNT 0 RANK -2",
      "LPOS l c MAXLEN 3", "LPOS l c MAXLEN 2", "LPOS l c COUNT 0 MAXLEN 8", "LPOS l c RANK -1 MAXLEN 1",
      "LPOS l c RANK -1 MAXLEN 2 COUNT 0", "LPOS l x", "LPOS l x COUNT 0", "LPOS nokey x", "LPOS nokey x COUNT 1",
      "LPOS l c RANK 0", "LPOS l c RANK x", "LPOS l c COUNT -1", "LPOS l c COUNT x", "LPOS l c MAXLEN -1",
      "LPOS l c MAXLEN x", "LPOS l c FOO", "LPOS l c RANK", "LPOS l c COUNT 1 COUNT 2", "LPOS l c RANK 1 RANK -1",
      "LPOS l c RANK -9223372036854775808", "LPOS l c RANK 9223372036854775807", "LPOS l c RANK -9223372036854775807",
      "LPOS nokey x RANK 0", "SET s v", "LPOS s x", "LPOS s x RANK 0",
    ));
  });
});

describe("writes in place", () => {
  test("LSET: missing key, WRONGTYPE, index errors, growth of a middle element", async () => {
    await expectSameReplies(cs(
      "LSET nokey 0 x", "LSET nokey x y", "RPUSH l a b c", "LSET l 1 B", "LSET l -1 C", "LSET l 3 x", "LSET l -4 x",
      "LSET l x y", "LRANGE l 0 -1", "SET s v", "LSET s 0 x", "LSET s x y",
    ));
    const big = "v".repeat(300);
    await expectSameReplies([...fill("l", 3000), ["LSET", "l", "1500", big], ["LSET", "l", "0", big], ...cs(
      "LSET l -1 z", "LSET l 1500 short", "LINDEX l 1500", "LRANGE l 1495 1505", "LLEN l",
    ), ["LINDEX", "l", "0"]]);
  });

  test("LINSERT before and after, missing pivot, missing key, syntax checked first", async () => {
    await expectSameReplies(cs(
      "LINSERT nokey before a x", "LINSERT nokey middle a x", "RPUSH l a b c", "LINSERT l before a x",
      "LINSERT l after c y", "LINSERT l after b z", "LINSERT l BEFORE nope q", "LINSERT l middle a q", "LRANGE l 0 -1",
      "SET s v", "LINSERT s before a b", "LINSERT s middle a b",
    ));
    await expectSameReplies([...fill("l", 5000), ...cs(
      "LINSERT l before e2500 mid1", "LINSERT l after e2500 mid2", "LINSERT l after e4999 last", "LINSERT l before e0 first",
      "LRANGE l 2498 2504", "LINDEX l 0", "LINDEX l -1", "LLEN l",
    )]);
  });

  test("LREM from the head, from the tail, all, none, and deletion of the emptied list", async () => {
    await expectSameReplies(cs(
      "LREM nokey 0 a", "LREM nokey x a", "RPUSH l a b a c a d a", "LREM l 2 a", "LRANGE l 0 -1", "LREM l -1 a",
      "LRANGE l 0 -1", "LREM l 0 a", "LRANGE l 0 -1", "LREM l 0 zz", "LREM l x a", "LREM l 0 b", "LREM l 0 c",
      "LREM l -5 d", "EXISTS l", "SET s v", "LREM s 0 a", "LREM s x a",
    ));
    await expectSameReplies([...fill("l", 6000, (i) => (i % 3 === 0 ? "x" : `e${i}`)), ...cs(
      "LREM l 10 x", "LREM l -10 x", "LLEN l", "LRANGE l 0 20", "LRANGE l -20 -1", "LREM l 0 x", "LLEN l", "LINDEX l 2000",
    )]);
  });

  test("LTRIM shapes: inner range, nothing left, start past end, negatives, parse errors first", async () => {
    await expectSameReplies(cs(
      "LTRIM nokey 0 1", "LTRIM nokey x 1", "RPUSH l a b c d e f", "LTRIM l 1 -2", "LRANGE l 0 -1", "LTRIM l -100 100",
      "LRANGE l 0 -1", "LTRIM l 2 1", "EXISTS l", "RPUSH l a b c", "LTRIM l 5 10", "EXISTS l", "RPUSH l a b c",
      "LTRIM l 0 x", "LTRIM l x 0", "LTRIM l -1 -1", "LRANGE l 0 -1", "SET s v", "LTRIM s 0 1", "LTRIM s x 1",
    ));
    await expectSameReplies([...fill("l", 8000), ...cs(
      "LTRIM l 1000 -1000", "LLEN l", "LINDEX l 0", "LINDEX l -1", "LTRIM l 10 20", "LRANGE l 0 -1",
    )]);
  });
});

describe("moves", () => {
  test("LMOVE and RPOPLPUSH: every direction, same key rotation, missing source, WRONGTYPE on either side", async () => {
    await expectSameReplies(cs(
      "RPUSH src a b c", "LMOVE src dst LEFT RIGHT", "LMOVE src dst RIGHT LEFT", "LMOVE src dst left left",
      "LRANGE dst 0 -1", "EXISTS src", "LMOVE src dst LEFT RIGHT", "RPOPLPUSH dst dst", "LRANGE dst 0 -1",
      "LMOVE dst dst LEFT RIGHT", "LRANGE dst 0 -1", "RPOPLPUSH dst other", "LRANGE other 0 -1", "LMOVE dst x UP LEFT",
      "LMOVE dst x LEFT DOWN", "LMOVE nokey x UP LEFT", "SET s v", "LMOVE s dst LEFT LEFT", "LMOVE dst s LEFT LEFT",
      "RPOPLPUSH s dst", "RPOPLPUSH dst s", "LRANGE dst 0 -1", "RPOPLPUSH nokey s", "RPUSH one only",
      "RPOPLPUSH one one", "LRANGE one 0 -1", "LMOVE one two LEFT LEFT", "EXISTS one", "LRANGE two 0 -1",
    ));
  });

  test("LMPOP: numkeys, LEFT/RIGHT, COUNT and their errors; the first non-empty key wins", async () => {
    await expectSameReplies(cs(
      "LMPOP 1 nokey LEFT", "RPUSH b 1 2 3", "RPUSH c x", "LMPOP 3 a b c LEFT", "LMPOP 3 a b c RIGHT COUNT 5",
      "LMPOP 3 a c b LEFT COUNT 1", "EXISTS c", "LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT", "LMPOP 2 a LEFT",
      "LMPOP 1 a MIDDLE", "LMPOP 1 a LEFT COUNT 0", "LMPOP 1 a LEFT COUNT -1", "LMPOP 1 a LEFT COUNT x",
      "LMPOP 1 a LEFT COUNT 1 COUNT 1", "LMPOP 1 a LEFT FOO", "LMPOP 1 a LEFT COUNT", "LMPOP 9223372036854775807 a LEFT",
      "SET s v", "LMPOP 2 a s LEFT", "LMPOP 2 b s LEFT", "LMPOP 1 s LEFT COUNT 0",
    ));
  });
});

describe("blocking commands that need not block", () => {
  test("BLPOP/BRPOP/BLMPOP/BLMOVE/BRPOPLPUSH are served at once from non-empty lists", async () => {
    await expectSameReplies(cs(
      "RPUSH l a b c", "BLPOP nokey l 0", "BRPOP nokey l 1", "BLMPOP 0 2 nokey l LEFT COUNT 5", "EXISTS l",
      "RPUSH l a b", "BLMOVE l d LEFT RIGHT 0", "BRPOPLPUSH l d 0", "LRANGE d 0 -1", "EXISTS l", "SET s v",
      "BLPOP s 0", "BLPOP nokey s 0", "BLMOVE s d LEFT LEFT 0", "RPUSH l2 z", "BLMOVE l2 s LEFT LEFT 0", "LLEN l2",
    ));
  });

  test("timeout parsing: negative, not a float, out of range, hex floats; checked before the keys", async () => {
    await expectSameReplies(cs(
      "SET s v", "BLPOP s -1", "BLPOP s abc", "BLPOP s nan", "BLPOP s inf", "BLPOP s 1e20", "BRPOP s -0.001",
      "BLMOVE s d LEFT LEFT -1", "BLMOVE s d UP LEFT -1", "BLMOVE s d LEFT UP x", "BRPOPLPUSH s d x", "BLMPOP x 1 s LEFT",
      "BLMPOP -1 1 s LEFT", "BLMPOP 0 0 s LEFT", "BLMPOP 0 1 s UP", "BLMPOP 0 1 s LEFT COUNT 0", "RPUSH l a b c",
      "BLPOP l 0x10", "BLPOP l 0.0", "BLPOP l ' 1'", "BLPOP l 9223372036854775", "RPUSH l a b c", "BLPOP l -0.0001",
      "BLPOP l -0.001", "BLPOP s -0.0011", "BLPOP s 9223372036854776", "BLPOP s 1e-30", "BLPOP s -1e-30", "BLPOP l 1e-3",
    ));
  });

  test("inside MULTI they answer as if timed out at once", async () => {
    await expectSameReplies(cs(
      "MULTI", "BLPOP nokey 0", "BRPOP nokey 10", "BLMOVE nokey d LEFT LEFT 0", "BRPOPLPUSH nokey d 0",
      "BLMPOP 0 1 nokey LEFT", "RPUSH l a", "BLPOP l 0", "EXEC",
    ));
  });

  test("CLIENT UNBLOCK argument errors and unknown ids", async () => {
    await expectSameReplies(cs(
      "CLIENT UNBLOCK abc", "CLIENT UNBLOCK 1 foo", "CLIENT UNBLOCK abc foo", "CLIENT UNBLOCK 1 timeout x",
      "CLIENT UNBLOCK 999999", "CLIENT UNBLOCK 999999 ERROR", "CLIENT UNBLOCK 999999 TIMEOUT", "CLIENT UNBLOCK -5",
    ));
  });
});

describe("lists through the keyspace commands", () => {
  test("COPY, RENAME, MOVE, DEL and expiry of small and big lists keep them independent and intact", async () => {
    await expectSameReplies([
      ...fill("big", 3000), ...cs(
        "RPUSH small a b c", "COPY big big2", "COPY small small2", "LPOP big 2", "LRANGE big2 0 2", "LLEN big2",
        "RPUSH small2 d", "LRANGE small 0 -1", "RENAME big2 {x}moved", "LINDEX {x}moved -1", "RENAME small2 other",
        "LRANGE other 0 -1", "MOVE other 1", "SELECT 1", "LRANGE other 0 -1", "SELECT 0", "DEL big small", "EXISTS big",
        "COPY {x}moved k9 DB 2", "SELECT 2", "LLEN k9", "RPOP k9", "SELECT 0", "PEXPIRE {x}moved 1",
      ),
    ]);
    await Bun.sleep(20);
    await expectSameReplies(cs("RPUSH l a", "PEXPIRE l 1"));
    await Bun.sleep(20);
    await expectSameReplies(cs("EXISTS l", "LLEN l", "LPUSHX l a", "RPUSH l b", "TTL l"));
  });
});

describe("RESP3 and settings", () => {
  test("null and array replies in RESP3", async () => {
    await Promise.all([pair.mk.call("HELLO", "3"), pair.rd.call("HELLO", "3")]);
    await expectSameReplies(cs(
      "LPOP nokey", "LPOP nokey 2", "LMPOP 1 nokey LEFT", "LINDEX nokey 0", "LPOS nokey a", "RPUSH l a",
      "LPOP l 1", "MULTI", "BLPOP nokey 0", "BLMOVE nokey d LEFT LEFT 0", "EXEC",
    ));
    await Promise.all([pair.mk.call("HELLO", "2"), pair.rd.call("HELLO", "2")]);
  });

  test("list-max-listpack-size variants only change the layout, never the replies", async () => {
    for (const fillSize of ["1", "3", "-1", "-5"]) {
      await expectSameReplies([
        ["CONFIG", "SET", "list-max-listpack-size", fillSize],
        ...fill("l", 700, (i) => (i % 5 === 0 ? "x".repeat(200) : `e${i}`)),
        ...cs("LINSERT l before e301 in", "LREM l 3 e2", "LSET l 350 changed", "LTRIM l 3 -3", "LRANGE l 0 -1", "LPOS l in",
          "LINDEX l 400", "LPOP l 5", "RPOP l 5", "LLEN l"),
        ["CONFIG", "SET", "list-max-listpack-size", "-2"],
      ]);
    }
  });
});
