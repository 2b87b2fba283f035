// Every data type comes back exactly after a crash: a digest of every key (type, encoding, value,
// absolute expiry) taken before SIGKILL equals the digest after restart, with the state split between
// a snapshot and the log tail written after it.

import { describe, expect, test, afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMemkeep, type ServerHandle } from "./helpers/servers.ts";
import { RespClient } from "./helpers/resp.ts";
import { Rng } from "./differential/harness.ts";

const td = new TextDecoder();
const text = (b: Uint8Array) => td.decode(b);

/** Writes a mix of every type: small (compact encodings) and large (node-owning) values, TTLs. */
async function populate(c: RespClient, rng: Rng, tag: string): Promise<void> {
  // Pipelined: replies are awaited per key group (each still waits for its log record to be durable).
  const pending: Promise<Uint8Array>[] = [];
  const q = (...args: string[]) => pending.push(c.call(...args));
  const big = (n: number) => rng.range(n, n * 2);
  for (let k = 0; k < 6; k++) {
    const small = k % 2 === 0;
    const n = small ? big(3) : big(300);
    const key = (t: string) => `${t}:${tag}:${k}`;
    q("SET", key("str"), `v${rng.nextU32()}`);
    q("SET", key("int"), String(rng.nextU32()));
    for (let i = 0; i < n; i++) {
      q("HSET", key("hash"), `f${i}`, `val${rng.nextU32()}`);
      q("SADD", key("set"), small ? String(i) : `m${rng.nextU32() % 1000}`);
      q("ZADD", key("zset"), String(rng.range(0, 1000) / 7), `m${i}`);
      q("RPUSH", key("list"), `e${i}`);
      q("XADD", key("stream"), `${1000 + i}-${k}`, "f", `${i}`, "g", tag);
      q("PFADD", key("hll"), `x${rng.nextU32()}`);
      q("GEOADD", key("geo"), String(13 + (i % 100) / 100), String(52 + (i % 90) / 100), `p${i}`);
    }
    q("SETBIT", key("bits"), String(rng.range(0, 5000)), "1");
    q("LPOP", key("list"));
    q("HDEL", key("hash"), "f0");
    q("ZINCRBY", key("zset"), "2.5", "m1");
    q("XGROUP", "CREATE", key("stream"), "g1", "0");
    q("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", key("stream"), ">");
    q("XACK", key("stream"), "g1", `1000-${k}`);
    q("XDEL", key("stream"), `1001-${k}`);
    if (k % 3 === 0) q("PEXPIREAT", key("hash"), String(4_000_000_000_000 + k));
    if (k % 3 === 1) q("EXPIRE", key("zset"), "100000");
    for (const r of await Promise.all(pending.splice(0))) expect(text(r).startsWith("-")).toBe(false);
  }
  q("SELECT", "3");
  q("SET", `db3:${tag}`, "in db 3");
  q("SELECT", "0");
  await Promise.all(pending.splice(0));
}

/** Sorted lines "db key type encoding pexpiretime value..." for every key of dbs 0 and 3. */
async function digest(c: RespClient): Promise<string[]> {
  const out: string[] = [];
  for (const db of ["0", "3"]) {
    await c.call("SELECT", db);
    const keys = ((await c.callParsed("KEYS", "*")) as string[]).sort();
    for (const key of keys) {
      const type = (await c.callParsed("TYPE", key)) as string;
      const enc = (await c.callParsed("OBJECT", "ENCODING", key)) as string;
      const at = (await c.callParsed("PEXPIRETIME", key)) as number;
      let value: unknown;
      switch (type) {
        case "string": value = await c.callParsed("GET", key); break;
        case "hash": value = ((await c.callParsed("HGETALL", key)) as string[]).join(","); break;
        case "list": value = await c.callParsed("LRANGE", key, "0", "-1"); break;
        case "set": value = ((await c.callParsed("SMEMBERS", key)) as string[]).sort(); break;
        case "zset": value = await c.callParsed("ZRANGE", key, "0", "-1", "WITHSCORES"); break;
        case "stream":
          value = [await c.callParsed("XRANGE", key, "-", "+"), await c.callParsed("XINFO", "GROUPS", key), await c.callParsed("XPENDING", key, "g1", "-", "+", "100")];
          // XPENDING's idle times move on: keep ids, consumers and delivery counts only.
          value = JSON.stringify(value, (_k, v) => v).replace(/,\d+,(\d+)\]/g, ",$1]");
          break;
        default: value = "?";
      }
      out.push(`${db} ${key} ${type} ${enc} ${at} ${JSON.stringify(value)}`);
    }
  }
  await c.call("SELECT", "0");
  return out;
}

describe("restart restores every type exactly", () => {
  const dir = mkdtempSync(join(tmpdir(), "memkeep-digest-"));
  let server: ServerHandle | null = null;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const encryption of ["no", "yes"]) {
    test(`snapshot + log tail + SIGKILL, encryption-at-rest ${encryption}`, async () => {
      rmSync(dir, { recursive: true, force: true });
      const args = ["--durability", "sync", "--encryption-at-rest", encryption];
      server = await startMemkeep({ dir, args });
      let c = await RespClient.connect(server.port);
      const rng = new Rng(encryption === "yes" ? 2 : 1);
      await populate(c, rng, "a");
      expect(text(await c.call("SAVE"))).toBe("+OK\r\n");
      await populate(c, rng, "b"); // in the log tail only
      await c.call("DEL", "str:a:0", "hash:a:1"); // deletions after the snapshot
      await c.call("RENAME", "zset:a:3", "zset:renamed");
      const before = await digest(c);
      expect(before.length).toBeGreaterThan(100);
      c.close();
      server.kill("SIGKILL");
      await server.exited;
      server = await startMemkeep({ dir, args });
      c = await RespClient.connect(server.port);
      const after = await digest(c);
      c.close();
      expect(after).toEqual(before);
      await server.stop();
      server = null;
    }, 120_000);
  }
});
