// Connection commands against redis-server 7.0: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and
// CLIENT. Deterministic replies are compared byte for byte with a fresh connection to each server
// (client ids, which differ between servers, are masked); behaviour that spans workers (CLIENT LIST,
// CLIENT KILL, CLIENT PAUSE) is checked on a memkeep with 3 shard workers, with enough connections
// that the kernel's reusePort spreading puts them on every worker.

import { closeAll, connectMany, expectSameOnFreshConnections } from "./helpers/reference_pair.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startMemkeep, startRedis } from "./helpers/servers.ts";
import { RespClient, type RespValue, escapeBytes } from "./helpers/resp.ts";

let memkeep: ServerHandle | undefined;
let memkeep3: ServerHandle | undefined;
let redis: ServerHandle | undefined;

beforeAll(async () => {
  const started = await Promise.allSettled([startMemkeep(), startMemkeep({ shardWorkers: 3 }), startRedis()]);
  [memkeep, memkeep3, redis] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
  for (const s of started) if (s.status === "rejected") throw s.reason;
}, 60_000);

afterAll(async () => {
  await Promise.all([memkeep?.stop(), memkeep3?.stop(), redis?.stop()]);
}, 30_000);

const decoder = new TextDecoder();

/** Reply bytes as text with the client id of HELLO and CLIENT ID replaced (ids differ per server). */
function masked(reply: Uint8Array, cmd: string[]): string {
  let s = escapeBytes(reply, 100_000);
  s = s.replace(/(\$2\\r\\nid\\r\\n):\d+/, "$1:<id>");
  if (cmd[0].toUpperCase() === "CLIENT" && cmd[1]?.toUpperCase() === "ID") s = s.replace(/^:\d+/, ":<id>");
  return s;
}

/** Runs `cmds` on a fresh connection to each server; every masked reply must be the same bytes. */
function sameAsRedis(cmds: string[][], port = memkeep!.port): Promise<void> {
  return expectSameOnFreshConnections(redis!.port, port, cmds, masked);
}

describe("connection commands reply byte for byte as redis-server 7.0", () => {
  test("PING and ECHO in RESP2 and RESP3, with arity errors", async () => {
    await sameAsRedis([
      ["PING"], ["PING", "hello"], ["PING", "a", "b"], ["ECHO", "x"], ["ECHO"], ["ECHO", "a", "b"],
      ["ping"], ["HELLO", "3"], ["PING"], ["PING", "x"], ["ECHO", ""], ["HELLO", "2"], ["PING"],
    ]);
  });

  test("HELLO: protocol switch, AUTH and SETNAME options, and its errors", async () => {
    await sameAsRedis([
      ["HELLO"], ["HELLO", "3"], ["HELLO"], ["HELLO", "2"], ["HELLO", "4"], ["HELLO", "1"], ["HELLO", "abc"],
      ["HELLO", "03"], ["HELLO", "-3"], ["HELLO", "99999999999999999999"],
      ["HELLO", "2", "AUTH", "a"], ["HELLO", "2", "AUTH", "default", "anything"], ["HELLO", "2", "AUTH", "nobody", "x"],
      ["HELLO", "2", "SETNAME", "a b"], ["HELLO", "2", "SETNAME"], ["HELLO", "2", "FOO"],
      ["HELLO", "3", "setname", "conn1"], ["CLIENT", "GETNAME"], ["HELLO", "2", "AUTH", "default", "x", "SETNAME"],
    ]);
  });

  test("HELLO 3 switches how later replies are encoded (maps, nulls, verbatim)", async () => {
    await sameAsRedis([
      ["HELLO", "3"], ["CONFIG", "GET", "maxmemory"], ["CLIENT", "GETNAME"], ["INFO", "nosuchsection"],
      ["HELLO", "2"], ["CONFIG", "GET", "maxmemory"], ["CLIENT", "GETNAME"], ["INFO", "nosuchsection"],
    ]);
  });

  test("AUTH without requirepass, SELECT, QUIT arity", async () => {
    await sameAsRedis([
      ["AUTH", "x"], ["AUTH", "a", "b"], ["AUTH", "default", "b"], ["AUTH", "a", "b", "c"], ["AUTH"],
      ["SELECT", "1"], ["SELECT", "15"], ["SELECT", "16"], ["SELECT", "-1"], ["SELECT", "x"], ["SELECT", "1.5"],
      ["SELECT", "99999999999"], ["SELECT", "2147483648"], ["SELECT", "0"], ["SELECT"],
    ]);
  });

  test("CLIENT SETNAME / GETNAME / ID / GETREDIR / NO-EVICT / REPLY errors / HELP", async () => {
    await sameAsRedis([
      ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "worker-1"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "a b"],
      ["CLIENT", "SETNAME", "a\nb"], ["CLIENT", "SETNAME", "caf\u00e9"], ["CLIENT", "SETNAME", ""], ["CLIENT", "GETNAME"],
      ["CLIENT", "ID"], ["CLIENT", "ID", "x"], ["CLIENT", "GETREDIR"], ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "NO-EVICT", "OFF"],
      ["CLIENT", "NO-EVICT", "x"], ["CLIENT", "NO-EVICT"], ["CLIENT", "REPLY", "x"], ["CLIENT", "REPLY", "on", "x"],
      ["CLIENT", "REPLY", "ON"], ["CLIENT", "HELP"], ["CLIENT", "FOO"], ["CLIENT"], ["CLIENT", "GETNAME", "x"], ["CLIENT", "SETNAME"],
    ]);
  });

  test("CLIENT LIST / KILL / PAUSE argument errors", async () => {
    await sameAsRedis([
      ["CLIENT", "LIST", "TYPE", "foo"], ["CLIENT", "LIST", "ID", "x"], ["CLIENT", "LIST", "ID", "0"], ["CLIENT", "LIST", "FOO"],
      ["CLIENT", "LIST", "ID"], ["CLIENT", "LIST", "TYPE", "pubsub"], ["CLIENT", "LIST", "TYPE", "master"],
      ["CLIENT", "LIST", "ID", "999999", "888888"], ["CLIENT", "LIST", "TYPE", "normal", "x"],
      ["CLIENT", "KILL", "1.2.3.4:5"], ["CLIENT", "KILL", "ID", "abc"], ["CLIENT", "KILL", "ID", "0"], ["CLIENT", "KILL", "ID", "-5"],
      ["CLIENT", "KILL", "ID", "999999"], ["CLIENT", "KILL", "TYPE", "foo"], ["CLIENT", "KILL", "FOO", "bar"], ["CLIENT", "KILL", "ID"],
      ["CLIENT", "KILL", "SKIPME", "maybe"], ["CLIENT", "KILL", "USER", "nouser"], ["CLIENT", "KILL", "ID", "999", "TYPE"],
      ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"], ["CLIENT", "KILL", "LADDR", "1.2.3.4:5"], ["CLIENT", "KILL", "TYPE", "pubsub"],
      ["CLIENT", "KILL"], ["CLIENT", "PAUSE", "abc"], ["CLIENT", "PAUSE", "10", "foo"], ["CLIENT", "PAUSE", "-1"],
      ["CLIENT", "PAUSE", "10", "write", "x"], ["CLIENT", "PAUSE"], ["CLIENT", "UNPAUSE", "x"],
    ]);
  });

  test("RESET answers +RESET and restores db, protocol, name and reply mode", async () => {
    await sameAsRedis([
      ["SELECT", "5"], ["CLIENT", "SETNAME", "before"], ["HELLO", "3"], ["RESET"], ["CLIENT", "GETNAME"],
      ["CONFIG", "GET", "hz"], ["RESET", "x"],
    ]);
  });
});

describe("AUTH and HELLO with requirepass", () => {
  test("every auth path replies as 7.0 does, and RESET drops the authentication", async () => {
    const admins = [await RespClient.connect(redis!.port), await RespClient.connect(memkeep!.port)];
    try {
      for (const c of admins) expect(await c.callParsed("CONFIG", "SET", "requirepass", "s3cret")).toBe("OK");
      await sameAsRedis([
        ["GET", "k"], ["PING"], ["CLIENT", "ID"], ["HELLO", "3"], ["HELLO", "3", "AUTH", "default", "bad"],
        ["AUTH", "x"], ["AUTH", "nobody", "s3cret"], ["AUTH", "Default", "s3cret"], ["AUTH", "default", "x"],
        ["AUTH", "s3cret"], ["PING"], ["RESET"], ["PING"], ["AUTH", "default", "s3cret"], ["PING"],
        ["RESET"], ["HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "authed"], ["CLIENT", "GETNAME"], ["QUIT"],
      ]);
    } finally {
      for (const c of admins) {
        await c.call("CONFIG", "SET", "requirepass", "");
        await c.close();
      }
    }
  });
});

describe("CLIENT REPLY", () => {
  test("OFF silences replies until ON; SKIP drops only the next command's reply", async () => {
    for (const port of [redis!.port, memkeep!.port]) {
      const c = await RespClient.connect(port, { readTimeoutMs: 3000 });
      try {
        c.send("CLIENT", "REPLY", "OFF");
        c.send("PING", "silent-1");
        c.send("SET", "reply-test", "1");
        expect(await c.callParsed("CLIENT", "REPLY", "ON")).toBe("OK");
        expect(await c.callParsed("PING", "loud")).toBe("loud");
        c.send("CLIENT", "REPLY", "SKIP");
        c.send("PING", "skipped");
        expect(await c.callParsed("PING", "after-skip")).toBe("after-skip");
        expect(c.pendingCount()).toBe(0);
      } finally {
        await c.close();
      }
    }
  });
});

describe("CLIENT INFO and CLIENT LIST", () => {
  function fields(line: string): [string, string][] {
    return line.trim().split(" ").map((kv) => {
      const i = kv.indexOf("=");
      return [kv.slice(0, i), kv.slice(i + 1)];
    });
  }

  test("CLIENT INFO has 7.0's fields in 7.0's order, with this client's name, db, flags, cmd and resp", async () => {
    const lines: [string, string][][] = [];
    for (const port of [redis!.port, memkeep!.port]) {
      const c = await RespClient.connect(port);
      try {
        await c.call("CLIENT", "SETNAME", "probe");
        await c.call("SELECT", "3");
        await c.call("CLIENT", "NO-EVICT", "on");
        const r = await c.call("CLIENT", "INFO");
        expect(decoder.decode(r).startsWith("$")).toBe(true);
        lines.push(fields((await c.callParsed("CLIENT", "INFO")) as string));
      } finally {
        await c.close();
      }
    }
    const [theirs, ours] = lines;
    expect(ours.map(([k]) => k)).toEqual(theirs.map(([k]) => k));
    const pick = (l: [string, string][], k: string) => l.find(([n]) => n === k)?.[1];
    for (const k of ["name", "db", "flags", "cmd", "user", "resp", "multi", "sub", "psub", "ssub", "redir", "events"]) {
      expect(`${k}=${pick(ours, k)}`).toBe(`${k}=${pick(theirs, k)}`);
    }
  });

  test("flags x, b and d and the multi= count are Redis's: in MULTI, blocked, watched key written, inside EXEC", async () => {
    const seen: string[][] = [];
    for (const port of [redis!.port, memkeep!.port, memkeep3!.port]) {
      const cs = await connectMany(port, 4);
      const [inMulti, blocked, writer, lister] = cs;
      try {
        await inMulti.call("DEL", "cl:watched", "cl:list");
        await inMulti.call("CLIENT", "SETNAME", "inmulti");
        await blocked.call("CLIENT", "SETNAME", "blocked");
        await inMulti.call("WATCH", "cl:watched");
        await inMulti.call("MULTI");
        await inMulti.call("SET", "cl:x", "1");
        await inMulti.call("GET", "cl:x");
        const popped = blocked.callParsed("BLPOP", "cl:list", "0");
        const line = async (name: string) => {
          const text = (await lister.callParsed("CLIENT", "LIST")) as string;
          return text.split("\n").find((l) => l.includes(` name=${name} `)) ?? `no ${name}`;
        };
        const pickFlags = (l: string) => /flags=(\S+) .* multi=(-?\d+) /.exec(l)?.slice(1).join(" ") ?? l;
        const row: string[] = [];
        row.push(pickFlags(await line("inmulti")));
        // The BLPOP is in once the lister sees cmd=blpop.
        for (let i = 0; i < 200 && !(await line("blocked")).includes("cmd=blpop"); i++) await Bun.sleep(5);
        row.push(pickFlags(await line("blocked")));
        await writer.call("SET", "cl:watched", "2");
        row.push(pickFlags(await line("inmulti")));
        await writer.call("RPUSH", "cl:list", "a");
        expect(await popped).toEqual(["cl:list", "a"]);
        row.push(pickFlags(await line("blocked")));
        expect(await inMulti.callParsed("EXEC")).toBeNull();
        row.push(pickFlags(await line("inmulti")));
        await inMulti.call("MULTI");
        await inMulti.call("CLIENT", "INFO");
        await inMulti.call("PING");
        const exec = (await inMulti.callParsed("EXEC")) as string[];
        row.push(pickFlags(exec[0]));
        seen.push(row);
      } finally {
        await closeAll(cs);
      }
    }
    expect(seen[0]).toEqual(["x 2", "b -1", "xd 2", "N -1", "N -1", "x 2"]);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  });

  test("CLIENT LIST lists every connection of every worker (3 shard workers), in id order", async () => {
    const cs = await connectMany(memkeep3!.port, 24);
    try {
      const ids: number[] = [];
      for (const c of cs) ids.push((await c.callParsed("CLIENT", "ID")) as number);
      const text = (await cs[0].callParsed("CLIENT", "LIST")) as string;
      const listed = text.trim().split("\n").map((l) => Number(/^id=(\d+) /.exec(l)![1]));
      for (const id of ids) expect(listed).toContain(id);
      expect(listed).toEqual([...listed].sort((a, b) => a - b));
      const self = text.split("\n").find((l) => l.startsWith(`id=${ids[0]} `))!;
      expect(self).toContain(" cmd=client|list ");
      // ID filter: in the order given, repeats kept, unknown ids skipped.
      const picked = (await cs[5].callParsed("CLIENT", "LIST", "ID", String(ids[9]), "999999", String(ids[2]), String(ids[9]))) as string;
      expect(picked.trim().split("\n").map((l) => Number(/^id=(\d+) /.exec(l)![1]))).toEqual([ids[9], ids[2], ids[9]]);
      const normal = (await cs[1].callParsed("CLIENT", "LIST", "TYPE", "normal")) as string;
      expect(normal.trim().split("\n").length).toBe(listed.length);
      expect(await cs[1].callParsed("CLIENT", "LIST", "TYPE", "pubsub")).toBe("");
    } finally {
      await closeAll(cs);
    }
  });
});

describe("CLIENT KILL across workers", () => {
  test("KILL ID closes a client whichever worker serves it", async () => {
    const cs = await connectMany(memkeep3!.port, 16);
    try {
      const ids: number[] = [];
      for (const c of cs) ids.push((await c.callParsed("CLIENT", "ID")) as number);
      for (let i = 1; i < cs.length; i++) {
        expect(await cs[0].callParsed("CLIENT", "KILL", "ID", String(ids[i]))).toBe(1);
        await cs[i].closed();
        expect(cs[i].isClosed).toBe(true);
      }
      expect(await cs[0].callParsed("CLIENT", "KILL", "ID", String(ids[1]))).toBe(0);
      expect(await cs[0].callParsed("PING")).toBe("PONG");
    } finally {
      await closeAll(cs);
    }
  });

  test("KILL addr (old form) and ADDR/LADDR/TYPE/USER/SKIPME filters", async () => {
    const cs = await connectMany(memkeep3!.port, 10);
    try {
      const info = async (c: RespClient) => Object.fromEntries(
        ((await c.callParsed("CLIENT", "INFO")) as string).trim().split(" ").map((kv) => kv.split("=") as [string, string]),
      );
      const target = await info(cs[3]);
      expect(await cs[0].callParsed("CLIENT", "KILL", target.addr)).toBe("OK");
      await cs[3].closed();
      expect(await cs[0].callParsed("CLIENT", "KILL", target.addr)).toEqual({ error: "ERR No such client" });
      const t2 = await info(cs[4]);
      expect(await cs[0].callParsed("CLIENT", "KILL", "ADDR", t2.addr, "LADDR", t2.laddr)).toBe(1);
      await cs[4].closed();
      // SKIPME yes (the default) spares the caller; TYPE normal and USER default match everyone else.
      const me = await info(cs[0]);
      expect(await cs[0].callParsed("CLIENT", "KILL", "ADDR", me.addr)).toBe(0);
      expect(await cs[0].callParsed("CLIENT", "KILL", "TYPE", "normal", "USER", "default")).toBe(7);
      for (const i of [1, 2, 5, 6, 7, 8, 9]) await cs[i].closed();
      expect(await cs[0].callParsed("PING")).toBe("PONG");
      // SKIPME no: the caller gets its reply, then its connection closes.
      expect(await cs[0].callParsed("CLIENT", "KILL", "ADDR", me.addr, "SKIPME", "no")).toBe(1);
      await cs[0].closed();
    } finally {
      await closeAll(cs);
    }
  });
});

describe("CLIENT PAUSE across workers", () => {
  async function timed(c: RespClient, ...cmd: string[]): Promise<[RespValue, number]> {
    const t0 = performance.now();
    const r = await c.callParsed(...cmd);
    return [r, performance.now() - t0];
  }

  test("PAUSE WRITE delays a SET on every worker but not a GET; UNPAUSE releases it", async () => {
    const cs = await connectMany(memkeep3!.port, 9);
    try {
      expect(await cs[0].callParsed("CLIENT", "PAUSE", "800", "WRITE")).toBe("OK");
      for (const c of cs.slice(1)) {
        const [r, ms] = await timed(c, "GET", "pause-key");
        expect(r).toBe(null);
        expect(ms).toBeLessThan(300);
      }
      const pendingSets = cs.slice(1).map((c, i) => timed(c, "SET", `pause-key-${i}`, "v"));
      await Bun.sleep(300);
      expect(await cs[0].callParsed("CLIENT", "UNPAUSE")).toBe("OK");
      for (const [r, ms] of await Promise.all(pendingSets)) {
        expect(r).toBe("OK");
        expect(ms).toBeGreaterThanOrEqual(250);
        expect(ms).toBeLessThan(750);
      }
    } finally {
      await closeAll(cs);
    }
  });

  test("PAUSE ALL holds reads too until the timeout", async () => {
    const cs = await connectMany(memkeep3!.port, 6);
    try {
      expect(await cs[0].callParsed("CLIENT", "PAUSE", "400")).toBe("OK");
      const results = await Promise.all(cs.slice(1).map((c) => timed(c, "GET", "x")));
      for (const [, ms] of results) expect(ms).toBeGreaterThanOrEqual(300);
    } finally {
      await closeAll(cs);
    }
  });
});

describe("7.2 additions memkeep keeps", () => {
  test("CLIENT SETINFO stores lib-name/lib-ver and validates like 7.2; NO-TOUCH takes ON/OFF", async () => {
    const c = await RespClient.connect(memkeep!.port);
    try {
      expect(await c.callParsed("CLIENT", "SETINFO", "LIB-NAME", "ioredis")).toBe("OK");
      expect(await c.callParsed("CLIENT", "SETINFO", "lib-ver", "5.9.2")).toBe("OK");
      expect(await c.callParsed("CLIENT", "SETINFO", "lib-name", "a b")).toEqual({
        error: "ERR lib-name cannot contain spaces, newlines or special characters.",
      });
      expect(await c.callParsed("CLIENT", "SETINFO", "color", "red")).toEqual({ error: "ERR Unrecognized option 'color'" });
      expect(await c.callParsed("CLIENT", "NO-TOUCH", "on")).toBe("OK");
      expect(((await c.callParsed("CLIENT", "INFO")) as string)).toContain(" flags=T ");
      expect(await c.callParsed("CLIENT", "NO-TOUCH", "maybe")).toEqual({ error: "ERR syntax error" });
    } finally {
      await c.close();
    }
  });
});
