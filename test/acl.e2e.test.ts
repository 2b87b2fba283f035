// ACL against redis-server 7.0: SETUSER / GETUSER / LIST / DELUSER / DRYRUN / CAT / GENPASS / LOG
// errors and replies byte for byte (RESP2 and RESP3), NOPERM for commands, keys and channels, AUTH and
// HELLO AUTH as a user, a change on one connection applied to a session on another (another worker
// with MEMKEEP_TEST_SHARD_WORKERS=3), deleted users' sessions closed, aclfile SAVE / LOAD round trip.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import Redis from "ioredis";
import { createClient } from "redis";
import { type Cmd, c, connectMany, closeAll, cs, transcript, useReferencePair } from "./helpers/reference_pair.ts";
import { RespClient } from "./helpers/resp.ts";
import { startMemkeep, startRedis } from "./helpers/servers.ts";

const pair = useReferencePair();

/** Runs cmds on a fresh connection to each server (optionally RESP3) and compares the transcripts. */
async function same(cmds: Cmd[], resp3 = false): Promise<void> {
  const out: string[][] = [];
  for (const port of [pair.memkeep!.port, pair.redis!.port]) {
    const cl = await RespClient.connect(port, { readTimeoutMs: 3000 });
    try {
      if (resp3) await cl.call("HELLO", "3");
      out.push(await transcript(cl, cmds));
    } finally {
      await cl.close();
    }
  }
  expect(out[0]).toEqual(out[1]);
}

const setup = cs(
  "ACL SETUSER alice reset on >pw1 >pw2 ~k* %R~r* %W~w* &ch* +@all -@dangerous -get",
  "ACL SETUSER bob on nopass ~* &* +@all -@dangerous",
  "ACL SETUSER carol on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 -@all +get (~sel* +set)",
);

describe("ACL SETUSER / GETUSER / LIST / USERS", () => {
  for (const resp3 of [false, true]) {
    test(`replies and errors (RESP${resp3 ? 3 : 2})`, async () => {
      await same([
        ...setup,
        ...cs(
          "ACL GETUSER alice", "ACL GETUSER bob", "ACL GETUSER carol", "ACL GETUSER nobody", "ACL GETUSER default",
          "ACL LIST", "ACL USERS", "ACL WHOAMI",
          "ACL SETUSER e1 foo", "ACL SETUSER e1 ~* ~x", "ACL SETUSER e1 &* &x", "ACL SETUSER e1 <nope",
          "ACL SETUSER e1 #abc", "ACL SETUSER e1 !abc", "ACL SETUSER e1 +config|get|x", "ACL SETUSER e1 +nosuch",
          "ACL SETUSER e1 -select|0", "ACL SETUSER e1 %X~a", "ACL SETUSER e1 %~a", "ACL SETUSER e1 allkeys %R~x",
          "ACL SETUSER e1 (~x", "ACL SETUSER e1 (foo)", "ACL SETUSER e1 -@nonexist", "ACL SETUSER e1 +", "ACL SETUSER e1",
          "ACL SETUSER e1 +get|", "ACL SETUSER e1 +config|", "ACL SETUSER e1 +select|0|1", "ACL SETUSER e1 +config|nosuch|x",
          "ACL SETUSER e1 -config|get|x", "ACL SETUSER e1 -get|x", "ACL SETUSER e1 -config|", "ACL SETUSER e1 +nosuch|x",
          "ACL SETUSER e2 %RW~a %W~b &a allchannels", "ACL GETUSER e2",
          "ACL SETUSER e3 resetpass nopass resetkeys ~x resetchannels clearselectors (~a +get) (%R~b +@read)", "ACL GETUSER e3",
          "ACL SETUSER e3 clearselectors off", "ACL LIST",
          "ACL DELUSER e1 e2 e3 nobody", "ACL DELUSER default", "ACL DELUSER", "ACL USERS",
          "ACL CAT", "ACL CAT nosuch", "ACL GENPASS 0", "ACL GENPASS 4097", "ACL GENPASS x", "ACL GENPASS 1 2",
          "ACL DRYRUN alice get k1", "ACL DRYRUN alice set k1 v", "ACL DRYRUN alice set x v", "ACL DRYRUN alice publish x m",
          "ACL DRYRUN alice publish ch1 m", "ACL DRYRUN nobody get x", "ACL DRYRUN alice nocmd x", "ACL DRYRUN alice get",
          "ACL DRYRUN carol set sel1 v", "ACL DRYRUN carol set k v", "ACL DRYRUN carol get anything",
          "ACL LOG x", "ACL LOG 1 2", "ACL LOG -1", "ACL LOG 0", "ACL DRYRUN alice config nosuch", "ACL DRYRUN alice config",
          "ACL DRYRUN alice CONFIG GET x", "ACL DRYRUN alice select 0", "ACL SETUSER 'a b' on", "ACL SETUSER '' on", "ACL GETUSER ''",
          "ACL DELUSER ''", "ACL NOSUCH", "ACL HELP", "ACL",
          "CONFIG SET acl-pubsub-default allchannels", "ACL SETUSER pp on", "ACL SETUSER pp2 reset", "ACL SETUSER pp3 (~x +get)",
          "ACL LIST", "CONFIG SET acl-pubsub-default resetchannels", "ACL SETUSER pp reset", "ACL GETUSER pp",
          "CONFIG SET acl-pubsub-default foo", "CONFIG GET acllog-max-len", "CONFIG GET aclfile", "CONFIG GET acl-pubsub-default", "ACL DELUSER pp pp2 pp3",
          "ACL DELUSER alice bob carol",
        ),
      ], resp3);
    });
  }

  test("command rules are described as redis-server 7.0 rebuilds them (seeded random rules)", async () => {
    // Categories whose members are the same in both tables; 7.0 lists the single-command rules in its
    // hash table's order (different on every run), so those are compared as a set.
    const cats = ["set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "blocking", "transaction"];
    const dec = new TextDecoder();
    const members: string[] = [];
    for (const cat of cats) {
      const r = dec.decode(await pair.rd.call("ACL", "CAT", cat)).split("\r\n").filter((l, i) => i > 0 && i % 2 === 0 && l !== "");
      members.push(...r);
    }
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const describe = async (cl: RespClient, ops: string[]) => {
      await cl.call("ACL", "SETUSER", "rz", "reset", ...ops);
      const r = dec.decode(await cl.call("ACL", "GETUSER", "rz")).split("\r\n");
      const words = r[r.indexOf("commands") + 2].split(" ");
      return { cats: words.filter((w) => w.startsWith("+@") || w.startsWith("-@")), singles: words.filter((w) => !w.startsWith("+@") && !w.startsWith("-@")) };
    };
    const diffs: string[] = [];
    for (let i = 0; i < 150; i++) {
      const ops = [rnd(2) === 0 ? "+@all" : "-@all"];
      for (let j = rnd(4) + 1; j > 0; j--) ops.push((rnd(2) === 0 ? "+@" : "-@") + cats[rnd(cats.length)]);
      for (let j = rnd(4); j > 0; j--) ops.push((rnd(2) === 0 ? "+" : "-") + members[rnd(members.length)]);
      const [m, r] = [await describe(pair.mk, ops), await describe(pair.rd, ops)];
      const same = JSON.stringify(m.cats) === JSON.stringify(r.cats) &&
        (r.singles.length <= 1 ? JSON.stringify(m.singles) === JSON.stringify(r.singles)
          : JSON.stringify([...m.singles].sort()) === JSON.stringify([...r.singles].sort()));
      if (!same) diffs.push(`${ops.join(" ")}\n  redis:   ${[...r.cats, ...r.singles].join(" ")}\n  memkeep: ${[...m.cats, ...m.singles].join(" ")}`);
    }
    await Promise.all([pair.mk.call("ACL", "DELUSER", "rz"), pair.rd.call("ACL", "DELUSER", "rz")]);
    expect(diffs).toEqual([]);
  });

  test("ACL SETUSER arguments are redacted in the slow log (as redis-server)", async () => {
    const got: string[] = [];
    for (const cl of [pair.mk, pair.rd]) {
      await cl.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await cl.call("SLOWLOG", "RESET");
      await cl.call("ACL", "SETUSER", "q", "on", ">secret", "~k");
      const r = new TextDecoder().decode(await cl.call("SLOWLOG", "GET", "2"));
      await cl.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      await cl.call("ACL", "DELUSER", "q");
      const words = r.split("\r\n").filter((l) => !/^[:$*]/.test(l));
      const at = words.indexOf("SETUSER");
      got.push(words.slice(at - 1, at + 5).join(" "));
    }
    expect(got[0]).toBe(got[1]);
    expect(got[0]).toBe("ACL SETUSER (redacted) (redacted) (redacted) (redacted)");
  });

  test("ACL GENPASS lengths", async () => {
    for (const [bits, len] of [["", 64], ["1", 1], ["5", 2], ["128", 32], ["4096", 1024]] as const) {
      const r = new TextDecoder().decode(await pair.mk.call(...(bits ? ["ACL", "GENPASS", bits] : ["ACL", "GENPASS"])));
      const v = r.split("\r\n")[1];
      expect(v).toMatch(new RegExp(`^[0-9a-f]{${len}}$`));
    }
  });

  test("ACL CAT <category> lists the same commands as redis-server", async () => {
    for (const cat of ["string", "hash", "dangerous", "pubsub", "keyspace"]) {
      const names: string[][] = [];
      for (const cl of [pair.mk, pair.rd]) {
        const r = new TextDecoder().decode(await cl.call("ACL", "CAT", cat));
        names.push(r.split("\r\n").filter((l, i) => i > 0 && i % 2 === 0 && l !== "").sort());
      }
      // Our table may lack commands redis-server has (modules, scripting): ours must be a subset.
      for (const n of names[0]) expect(names[1]).toContain(n);
    }
  });
});

describe("NOPERM, AUTH, HELLO AUTH", () => {
  for (const resp3 of [false, true]) {
    test(`as a restricted user (RESP${resp3 ? 3 : 2})`, async () => {
      await same([
        ...setup,
        ...cs(
          "AUTH alice wrong", "AUTH nobody pw1", "AUTH alice pw2", "ACL WHOAMI",
          "GET k1", "MGET k1 x", "MGET k1 r1", "SET k1 v", "SET w1 v", "SET r1 v", "STRLEN w1", "STRLEN r1", "CONFIG GET maxmemory",
          "CONFIG SET maxmemory 0", "PUBLISH x m", "PUBLISH ch1 m", "PSUBSCRIBE ch*", "ACL WHOAMI",
          "HELLO 2 AUTH carol wrong", "AUTH carol password", "ACL WHOAMI", "GET x", "SET sel1 v", "SET k v",
          "MULTI", "SET k v", "GET sel1", "EXEC",
          "AUTH default x",
        ),
      ], resp3);
      await same(cs("ACL DELUSER alice bob carol"));
    });
  }

  test("ACL LOG entries (masked age and client-info) and counts", async () => {
    const masked: string[][] = [];
    for (const port of [pair.memkeep!.port, pair.redis!.port]) {
      const admin = await RespClient.connect(port);
      const u = await RespClient.connect(port);
      try {
        await admin.call("ACL", "LOG", "RESET");
        for (const cmd of setup) await admin.call(...cmd);
        await u.call("AUTH", "alice", "bad");
        await u.call("AUTH", "alice", "bad");
        await u.call("AUTH", "alice", "pw1");
        await u.call("GET", "k1");
        await u.call("SET", "zz", "v");
        await u.call("PUBLISH", "nope", "m");
        const r = new TextDecoder().decode(await admin.call("ACL", "LOG"));
        masked.push([r.replace(/\$\d+\r\n[0-9.e-]+\r\n(?=\$11\r\nclient-info)/g, "AGE").replace(/\$\d+\r\nid=[^\r]*\r\n/g, "CLIENT")]);
        masked.push([new TextDecoder().decode(await admin.call("ACL", "LOG", "2")).split("\r\n").length.toString()]);
        await admin.call("ACL", "LOG", "RESET");
        masked.push([new TextDecoder().decode(await admin.call("ACL", "LOG"))]);
        await admin.call("ACL", "DELUSER", "alice", "bob", "carol");
      } finally {
        await closeAll([admin, u]);
      }
    }
    expect(masked.slice(0, 3)).toEqual(masked.slice(3));
    const info = new TextDecoder().decode(await pair.mk.call("INFO", "stats"));
    expect(Number(/acl_access_denied_auth:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(2);
    expect(Number(/acl_access_denied_cmd:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(1);
    expect(Number(/acl_access_denied_key:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(1);
    expect(Number(/acl_access_denied_channel:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(1);
  });
});

describe("ACL LOG length", () => {
  test("acllog-max-len bounds the log (as redis-server)", async () => {
    const got: string[][] = [];
    for (const port of [pair.memkeep!.port, pair.redis!.port]) {
      const cl = await RespClient.connect(port);
      try {
        const t = await transcript(cl, cs("ACL LOG RESET", "CONFIG SET acllog-max-len 2", "AUTH u1 x", "AUTH u2 x", "AUTH u3 x"));
        const r = new TextDecoder().decode(await cl.call("ACL", "LOG"));
        t.push(r.split("\r\n").filter((l) => /^u\d$/.test(l)).join(" "));
        t.push(...(await transcript(cl, cs("CONFIG SET acllog-max-len 128", "ACL LOG RESET", "ACL LOG"))));
        got.push(t);
      } finally {
        await cl.close();
      }
    }
    expect(got[0]).toEqual(got[1]);
    expect(got[0][5]).toBe("u3 u2");
  });
});

describe("changes reach every session (every worker)", () => {
  test("EXEC re-checks queued commands after the user changed (reply and ACL LOG as redis-server)", async () => {
    const got: string[][] = [];
    for (const port of [pair.memkeep!.port, pair.redis!.port]) {
      const admin = await RespClient.connect(port, { readTimeoutMs: 3000 });
      const u = await RespClient.connect(port, { readTimeoutMs: 3000 });
      try {
        await admin.call("ACL", "LOG", "RESET");
        const t = await transcript(admin, cs("ACL SETUSER mu on >p ~* &* +@all"));
        t.push(...(await transcript(u, cs("AUTH mu p", "MULTI", "GET a", "SET a 1", "PUBLISH ch m", "PING"))));
        t.push(...(await transcript(admin, cs("ACL SETUSER mu -get resetkeys ~b resetchannels"))));
        t.push(...(await transcript(u, cs("EXEC"))));
        const log = new TextDecoder().decode(await admin.call("ACL", "LOG"));
        t.push(log.replace(/\$\d+\r\n[0-9.e-]+\r\n(?=\$11\r\nclient-info)/g, "AGE").replace(/\$\d+\r\nid=[^\r]*\r\n/g, "CLIENT"));
        t.push(...(await transcript(admin, cs("ACL DELUSER mu", "ACL LOG RESET"))));
        got.push(t);
      } finally {
        await closeAll([admin, u]);
      }
    }
    expect(got[0]).toEqual(got[1]);
  });

  test("SETUSER on one connection changes what sessions on others may do; DELUSER closes them", async () => {
    const port = pair.memkeep!.port;
    const admin = await RespClient.connect(port, { readTimeoutMs: 3000 });
    await admin.call("ACL", "SETUSER", "dave", "on", ">pw", "~*", "&*", "+@all");
    const users = await connectMany(port, 6); // spread over the workers
    try {
      for (const u of users) expect(new TextDecoder().decode(await u.call("AUTH", "dave", "pw"))).toBe("+OK\r\n");
      for (const u of users) expect(new TextDecoder().decode(await u.call("GET", "x"))).toBe("$-1\r\n");
      expect(new TextDecoder().decode(await admin.call("ACL", "SETUSER", "dave", "-get"))).toBe("+OK\r\n");
      for (const u of users) {
        expect(new TextDecoder().decode(await u.call("GET", "x"))).toBe("-NOPERM this user has no permissions to run the 'get' command\r\n");
      }
      expect(new TextDecoder().decode(await admin.call("ACL", "DELUSER", "dave"))).toBe(":1\r\n");
      for (const u of users) await u.closed;
    } finally {
      await closeAll([...users, admin]);
    }
  });

  test("a subscriber whose channel permission is revoked is disconnected (as redis-server)", async () => {
    for (const port of [pair.memkeep!.port, pair.redis!.port]) {
      const admin = await RespClient.connect(port, { readTimeoutMs: 3000 });
      await admin.call("ACL", "SETUSER", "erin", "on", ">pw", "~*", "&news*", "+@all");
      const [sub, other] = await connectMany(port, 2);
      await sub.call("AUTH", "erin", "pw");
      await other.call("AUTH", "erin", "pw");
      await sub.call("SUBSCRIBE", "news1");
      await admin.call("ACL", "SETUSER", "erin", "resetchannels", "&sport*");
      await sub.closed; // closed by the server
      expect(new TextDecoder().decode(await other.call("PING"))).toBe("+PONG\r\n"); // not subscribed: kept
      await admin.call("ACL", "DELUSER", "erin");
      await closeAll([sub, other, admin]);
    }
  });

  test("a user deleting itself gets the reply, then the connection closes; SETUSER off keeps sessions (as redis-server)", async () => {
    const got: string[][] = [];
    for (const port of [pair.memkeep!.port, pair.redis!.port]) {
      const [admin, self, other] = await connectMany(port, 3);
      try {
        const t = await transcript(admin, cs("ACL SETUSER fay on >p ~* &* +@all"));
        t.push(...(await transcript(self, cs("AUTH fay p"))), ...(await transcript(other, cs("AUTH fay p"))));
        t.push(...(await transcript(admin, cs("ACL SETUSER fay off"))));
        t.push(...(await transcript(other, cs("PING", "ACL WHOAMI"))));
        t.push(...(await transcript(self, cs("ACL DELUSER fay"))));
        await self.closed;
        await other.closed;
        t.push(...(await transcript(admin, cs("ACL USERS"))));
        got.push(t);
      } finally {
        await closeAll([admin, self, other]);
      }
    }
    expect(got[0]).toEqual(got[1]);
  });

  test("CONFIG SET requirepass is the default user's password", async () => {
    const port = pair.memkeep!.port;
    const admin = await RespClient.connect(port);
    try {
      await admin.call("CONFIG", "SET", "requirepass", "s3cret");
      const cl = await RespClient.connect(port);
      expect(new TextDecoder().decode(await cl.call("GET", "x"))).toBe("-NOAUTH Authentication required.\r\n");
      expect(new TextDecoder().decode(await cl.call("AUTH", "s3cret"))).toBe("+OK\r\n");
      expect(new TextDecoder().decode(await admin.call("ACL", "GETUSER", "default"))).toContain(
        createHash("sha256").update("s3cret").digest("hex"),
      );
      await cl.call("CONFIG", "SET", "requirepass", "");
      await cl.close();
    } finally {
      await admin.close();
    }
  });
});

describe("clients and files", () => {
  test("ioredis and node-redis authenticate as a user", async () => {
    const port = pair.memkeep!.port;
    await pair.mk.call("ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "+@all");
    const io = new Redis({ port, username: "app", password: "apppw", lazyConnect: true, maxRetriesPerRequest: 0 });
    await io.connect();
    expect(await io.set("app:1", "v")).toBe("OK");
    await expect(io.get("other")).rejects.toThrow(/NOPERM/);
    io.disconnect();
    const nr = createClient({ socket: { port }, username: "app", password: "apppw" });
    await nr.connect();
    expect(await nr.get("app:1")).toBe("v");
    await expect(nr.get("other")).rejects.toThrow(/NOPERM/);
    await nr.quit();
    await pair.mk.call("ACL", "DELUSER", "app");
  });

  test("aclfile: SAVE then LOAD round trip, same file text as redis-server", async () => {
    const texts: string[] = [];
    for (const start of [(a: string[]) => startMemkeep({ args: a }), (a: string[]) => startRedis({ args: a })]) {
      const dir = mkdtempSync(join(tmpdir(), "acl-"));
      const file = join(dir, "users.acl");
      writeFileSync(file, "user default on nopass ~* &* +@all\nuser ann on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~a* +get\n");
      const srv = await start(["--aclfile", file]);
      const cl = await RespClient.connect(srv.port);
      try {
        const t = await transcript(cl, cs("ACL LIST", "AUTH ann password", "GET a1", "GET b1", "AUTH default x"));
        await cl.call("ACL", "SETUSER", "bea", "on", ">x", "%R~b*", "+@read");
        await cl.call("ACL", "SAVE");
        const saved = readFileSync(file, "latin1");
        await cl.call("ACL", "SETUSER", "tmp", "on");
        t.push(...(await transcript(cl, cs("ACL LOAD", "ACL LIST", "ACL USERS"))));
        texts.push([...t, saved].join("\n"));
      } finally {
        await cl.close();
        await srv.stop();
      }
    }
    expect(texts[0]).toEqual(texts[1]);
  });

  test("ACL LOAD errors and ACL LOAD with a missing file, as redis-server (file path masked)", async () => {
    const contents = [
      "user default on nopass ~* &* +@all\nuser a on +nosuch -nosuch2 ~* ~x\nfoo\n",
      "user default on nopass ~* &* +@all\nuser\nuser a on\n",
      "user default on nopass ~* &* +@all\nuser a on\nuser a off\n",
      "user default on nopass ~* &* +@all\nuser a on  >x   ~y\r\nuser c\tq\n",
      "user default on nopass ~* &* +@all\nuser a on \"~x y\"\n",
      "user default on nopass ~* &* +@all\nuser a on ~* ~x +nosuch foo bar\n",
      "user default on nopass ~* &* +@all\nuser a on foo ~* ~x +nosuch\n",
      "user default on nopass ~* &* +@all\n# comment\nuser b on\n",
      "\nuser default on nopass ~* &* +@all\n\nuser b on >p ~b* +@hash\n",
    ];
    const results: string[][] = [];
    for (const start of [(a: string[]) => startMemkeep({ args: a }), (a: string[]) => startRedis({ args: a })]) {
      const dir = mkdtempSync(join(tmpdir(), "aclload-"));
      const file = join(dir, "users.acl");
      writeFileSync(file, "user default on nopass ~* &* +@all\n");
      const srv = await start(["--aclfile", file]);
      const cl = await RespClient.connect(srv.port);
      const r: string[] = [];
      try {
        for (const text of contents) {
          writeFileSync(file, text);
          r.push(...(await transcript(cl, cs("ACL LOAD", "ACL LIST"))));
        }
        writeFileSync(file + ".x", "");
        const { renameSync } = await import("node:fs");
        renameSync(file, file + ".y");
        r.push(...(await transcript(cl, cs("ACL LOAD"))));
      } finally {
        await cl.close();
        await srv.stop();
      }
      results.push(r.map((l) => l.split(file).join("FILE")));
    }
    expect(results[0]).toEqual(results[1]);
  });

  test("ACL LOAD closes the clients of every user but default (as redis-server)", async () => {
    const got: string[][] = [];
    for (const start of [(a: string[]) => startMemkeep({ args: a }), (a: string[]) => startRedis({ args: a })]) {
      const dir = mkdtempSync(join(tmpdir(), "aclkill-"));
      const file = join(dir, "users.acl");
      writeFileSync(file, "user default on nopass ~* &* +@all\nuser b on >p ~* &* +@all\nuser c on >p ~* &* +@all\n");
      const srv = await start(["--aclfile", file]);
      const [adm, b, c, d] = await connectMany(srv.port, 4);
      try {
        const t = await transcript(b, cs("AUTH b p"));
        t.push(...(await transcript(c, cs("AUTH c p"))));
        writeFileSync(file, "user default on nopass ~* &* +@all\nuser b on >p ~* &* +@all\nuser c on >p ~x +@all\n");
        t.push(...(await transcript(adm, cs("ACL LOAD"))));
        await b.closed;
        await c.closed;
        t.push(...(await transcript(d, cs("PING"))), ...(await transcript(adm, cs("PING", "ACL USERS"))));
        got.push(t);
      } finally {
        await closeAll([adm, b, c, d]);
        await srv.stop();
      }
    }
    expect(got[0]).toEqual(got[1]);
  });

  test("user lines in the config file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aclconf-"));
    const conf = join(dir, "m.conf");
    writeFileSync(conf, "user zed on >zpw ~z* +@all\nuser default on nopass ~* &* +@all\n");
    const srv = await startMemkeep({ args: ["--include", conf] });
    try {
      const cl = await RespClient.connect(srv.port);
      const t = await transcript(cl, cs("AUTH zed zpw", "ACL WHOAMI", "SET z1 v", "SET a1 v"));
      expect(t.map((l) => l.split(" => ")[1])).toEqual(["+OK\\r\\n", "$3\\r\\nzed\\r\\n", "+OK\\r\\n",
        "-NOPERM this user has no permissions to access one of the keys used as arguments\\r\\n"]);
      await cl.close();
    } finally {
      await srv.stop();
    }
  });
});

void c;
