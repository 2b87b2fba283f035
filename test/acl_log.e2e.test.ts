// ACL LOG is one log for the whole server, with redis-server 7.0's rules, whichever worker a denial
// happens on (run with MEMKEEP_TEST_SHARD_WORKERS=3: twelve connections spread over the workers by
// the kernel's reusePort hashing). Each case runs the same steps on memkeep and on redis-server 7.0
// and compares ACL LOG (age-seconds and the connection-specific client-info fields masked):
// - the same denial from twelve connections is one entry whose count is 12 (a log per worker would
//   show one entry per worker), for keys, commands, channels and AUTH;
// - order: newest first; a repeat moves its entry to the head, but only if it is among the 10
//   newest (an older one gets a new entry);
// - a denial is in the log as soon as its client has the reply, asked from any other connection;
// - acllog-max-len trims at the next new entry, ACL LOG <count>, ACL LOG RESET from any connection;
// - a pipelined AUTH brute force is counted exactly;
// - client-info names the denied command and the last client that was denied;
// - the RESP3 reply has the same bytes (a map of seven fields per entry, age-seconds a double).

import { describe, expect, test } from "bun:test";
import { type RespValue, RespClient } from "./helpers/resp.ts";
import { useReferencePair } from "./helpers/reference_pair.ts";

const pair = useReferencePair();
const conns = 12;

interface Entry {
  count: number;
  reason: string;
  context: string;
  object: string;
  username: string;
  age: number;
  clientInfo: string;
}

function entries(v: RespValue): Entry[] {
  expect(Array.isArray(v)).toBe(true);
  return (v as RespValue[]).map((raw) => {
    const a = raw as RespValue[];
    expect(a.length).toBe(14); // Redis 7.0's seven fields, no entry-id / timestamps (7.2)
    const f = new Map<string, RespValue>();
    for (let i = 0; i < a.length; i += 2) f.set(String(a[i]), a[i + 1]);
    expect([...f.keys()]).toEqual(["count", "reason", "context", "object", "username", "age-seconds", "client-info"]);
    return {
      count: Number(f.get("count")), reason: String(f.get("reason")), context: String(f.get("context")),
      object: String(f.get("object")), username: String(f.get("username")), age: Number(f.get("age-seconds")),
      clientInfo: String(f.get("client-info")),
    };
  });
}

/** What may be compared across servers: everything but age and the per-connection client-info fields. */
function comparable(e: Entry): string {
  const cmd = /\bcmd=(\S+)/.exec(e.clientInfo)?.[1];
  const user = /\buser=(\S+)/.exec(e.clientInfo)?.[1];
  return `${e.count} ${e.reason} ${e.context} ${e.object} ${e.username} cmd=${cmd} user=${user}`;
}

async function log(c: RespClient, ...args: string[]): Promise<Entry[]> {
  return entries(await c.callParsed("ACL", "LOG", ...args));
}

/** Runs `steps` against each server with an admin client and `conns` connections; returns its result per server. */
async function onBoth<T>(steps: (admin: RespClient, cl: RespClient[]) => Promise<T>): Promise<[T, T]> {
  const out: T[] = [];
  for (const port of [pair.memkeep!.port, pair.redis!.port]) {
    const admin = await RespClient.connect(port, { readTimeoutMs: 5000 });
    const cl = await Promise.all(Array.from({ length: conns }, () => RespClient.connect(port, { readTimeoutMs: 5000 })));
    try {
      await admin.call("CONFIG", "SET", "acllog-max-len", "128");
      await admin.call("ACL", "LOG", "RESET");
      await admin.call("ACL", "SETUSER", "lg", "reset", "on", ">pw", "~ok*", "&ok*", "+@all", "-flushall");
      for (const c of cl) expect(String(await c.callParsed("AUTH", "lg", "pw"))).toBe("OK");
      out.push(await steps(admin, cl));
    } finally {
      await admin.call("ACL", "DELUSER", "lg");
      await admin.call("CONFIG", "SET", "acllog-max-len", "128");
      await admin.call("ACL", "LOG", "RESET");
      for (const c of cl) await c.close();
      await admin.close();
    }
  }
  return [out[0], out[1]];
}

describe("ACL LOG across connections (every worker)", () => {
  test("the same denial from every connection is one entry whose count grows", async () => {
    const [mk, rd] = await onBoth(async (admin, cl) => {
      for (const c of cl) await c.call("GET", "secret");
      for (const c of cl) await c.call("FLUSHALL");
      for (const c of cl) await c.call("PUBLISH", "news", "m");
      for (const c of cl) await c.call("AUTH", "nobody", "x");
      const all = await log(admin);
      // Each entry's client-info is the last connection that was denied: the last one of cl.
      const lastId = String(await cl[conns - 1].callParsed("CLIENT", "ID"));
      for (const e of all) expect(e.clientInfo).toContain(`id=${lastId} `);
      for (const e of all) expect(e.age).toBeLessThan(5);
      return all.map(comparable);
    });
    expect(mk).toEqual(rd);
    expect(mk).toEqual([
      "12 auth toplevel AUTH nobody cmd=auth user=lg",
      "12 channel toplevel news lg cmd=publish user=lg",
      "12 command toplevel flushall lg cmd=flushall user=lg",
      "12 key toplevel secret lg cmd=get user=lg",
    ]);
  });

  test("newest first; a repeat joins its entry only among the 10 newest", async () => {
    const [mk, rd] = await onBoth(async (admin, cl) => {
      const t: string[][] = [];
      for (let i = 0; i < conns; i++) await cl[i].call("GET", `k${i}`);
      await cl[3].call("GET", "k11"); // newest: moves to the head
      await cl[7].call("GET", "k5"); // 7th newest: joins
      await cl[2].call("GET", "k0"); // 12th: not scanned, a new entry
      t.push((await log(admin, "100")).map(comparable));
      t.push((await log(admin, "3")).map(comparable));
      t.push((await log(admin)).map(comparable)); // 10 by default
      return t;
    });
    expect(mk).toEqual(rd);
    expect(mk[0].slice(0, 3)).toEqual(["1 key toplevel k0 lg cmd=get user=lg", "2 key toplevel k5 lg cmd=get user=lg",
      "2 key toplevel k11 lg cmd=get user=lg"]);
    expect(mk[0].length).toBe(13);
    expect(mk[2].length).toBe(10);
  });

  test("a denial is in the log at once, read from another connection", async () => {
    const [mk, rd] = await onBoth(async (admin, cl) => {
      const seen: string[] = [];
      for (let round = 0; round < 24; round++) {
        const a = cl[round % conns];
        const b = cl[(round * 5 + 1) % conns];
        await a.call("GET", `r${round}`);
        const top = await log(b, "1");
        seen.push(top.length === 1 ? top[0].object : "(none)");
        if (round % 6 === 5) {
          // RESET from one connection empties the log for every other one.
          expect(String(await b.callParsed("ACL", "LOG", "RESET"))).toBe("OK");
          seen.push(`after reset: ${(await log(cl[(round + 4) % conns])).length}`);
        }
      }
      await admin.call("PING");
      return seen;
    });
    expect(mk).toEqual(rd);
    expect(mk.slice(0, 2)).toEqual(["r0", "r1"]);
  });

  test("acllog-max-len trims at the next new entry; ACL LOG <count>", async () => {
    const [mk, rd] = await onBoth(async (admin, cl) => {
      const t: unknown[] = [];
      for (let i = 0; i < 8; i++) await cl[i].call("GET", `m${i}`);
      t.push(String(await admin.callParsed("CONFIG", "SET", "acllog-max-len", "3")));
      t.push((await log(admin, "100")).length); // not trimmed yet
      await cl[9].call("GET", "m7"); // a repeat: still not trimmed
      t.push((await log(admin, "100")).length);
      await cl[10].call("GET", "m8"); // a new entry: trimmed to 3
      t.push((await log(admin, "100")).map(comparable));
      t.push((await log(admin, "2")).map((e) => e.object), (await log(admin, "0")).length, (await log(admin, "-5")).length);
      t.push(String(await admin.callParsed("CONFIG", "SET", "acllog-max-len", "0")));
      await cl[11].call("GET", "m9");
      t.push((await log(admin)).length);
      return t;
    });
    expect(mk).toEqual(rd);
    expect(mk[1]).toBe(8);
    expect(mk[4]).toEqual(["m8", "m7"]);
  });

  test("a pipelined AUTH brute force is counted exactly; EXEC's denials are context multi", async () => {
    const [mk, rd] = await onBoth(async (admin, cl) => {
      const t: string[][] = [];
      const tries = 300;
      await Promise.all(cl.slice(0, 3).map((c) => c.pipeline(Array.from({ length: tries }, () => ["AUTH", "brute", "guess"]))));
      t.push((await log(admin)).map(comparable));
      await admin.call("ACL", "LOG", "RESET");
      const c = cl[4];
      await c.call("MULTI");
      await c.call("GET", "okay");
      await c.call("AUTH", "nobody", "x");
      await admin.call("ACL", "SETUSER", "lg", "resetkeys", "~zz*");
      await c.call("EXEC");
      t.push((await log(cl[8])).map(comparable));
      return t;
    });
    expect(mk).toEqual(rd);
    expect(mk[0]).toEqual(["900 auth toplevel AUTH brute cmd=auth user=lg"]);
  });

  test("RESP3: a map per entry, age-seconds a double (bytes as redis-server, age and client-info masked)", async () => {
    const [mk, rd] = await onBoth(async (admin, cl) => {
      await cl[1].call("GET", "secret");
      await cl[2].call("GET", "secret");
      await admin.call("HELLO", "3");
      const raw = new TextDecoder().decode(await admin.call("ACL", "LOG"));
      await admin.call("HELLO", "2");
      return raw.replace(/,[0-9.e-]+\r\n/g, ",AGE\r\n").replace(/\$\d+\r\nid=[^\r]*\r\n/g, "CLIENT");
    });
    expect(mk).toEqual(rd);
    expect(mk).toContain("%7\r\n$5\r\ncount\r\n:2\r\n");
    expect(mk).toContain("$11\r\nage-seconds\r\n,AGE\r\n");
  });
});
