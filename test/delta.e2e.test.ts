// Delta effect records (src/log/effects.ts) under fuzzy snapshots, with real processes.
//
// Big values (a 100k-field hash, a 200k-member zset, a 100k-entry stream, a 100k-element list, a 20k
// set, an 8 KiB string and a dense HLL) are written by every delta-able command while SAVE and BGSAVE
// walk the table (and FLUSHDB/SWAPDB force snapshot retries), so snapshots hold keys at per-key LSNs
// past their start. Proofs:
// - quiesced: after the writers stop, a digest of every key/type/encoding/TTL/value taken before
//   SIGKILL equals the digest after restart (a delta applied twice, skipped, or replayed on the wrong
//   state shows up here);
// - random kill: SIGKILL at random moments under load; every acknowledged write to the big keys is
//   there exactly once (counters within [acked, sent], list and stream sequences gapless);
// - log bytes: one HSET on a 100k-field hash logs a small record, not the hash.

import { describe, expect, test, afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMemkeep, type ServerHandle } from "./helpers/servers.ts";
import { RespClient } from "./helpers/resp.ts";
import { Rng } from "./differential/harness.ts";

const td = new TextDecoder();
const text = (b: Uint8Array) => td.decode(b);
const hashFields = 100_000;
const zsetMembers = 200_000;
const streamEntries = 100_000;
const listElements = 100_000;
const setMembers = 20_000;
const fillerKeys = 40_000;
const serverArgs = ["--durability", "sync", "--log-segment-bytes", "4mb"];

/** Runs commands pipelined in chunks; throws on an error reply. */
async function pipe(c: RespClient, cmds: string[][], chunk = 2000): Promise<void> {
  for (let i = 0; i < cmds.length; i += chunk) {
    const rs = await c.pipeline(cmds.slice(i, i + chunk));
    for (const r of rs) if (r[0] === 0x2d) throw new Error(`${cmds[i][0]} replied ${text(r)}`);
  }
}

async function buildBig(c: RespClient): Promise<void> {
  const cmds: string[][] = [];
  for (let i = 0; i < hashFields; i += 1000) {
    const a = ["HSET", "bh"];
    for (let j = i; j < i + 1000; j++) a.push(`f${j}`, `v${j}`);
    cmds.push(a);
  }
  for (let i = 0; i < zsetMembers; i += 1000) {
    const a = ["ZADD", "bz"];
    for (let j = i; j < i + 1000; j++) a.push(String(j / 2), `m${j}`);
    cmds.push(a);
  }
  for (let i = 0; i < listElements; i += 1000) {
    const a = ["RPUSH", "bl"];
    for (let j = i; j < i + 1000; j++) a.push(`e${j}`);
    cmds.push(a);
  }
  for (let i = 0; i < setMembers; i += 1000) {
    const a = ["SADD", "bs"];
    for (let j = i; j < i + 1000; j++) a.push(`s${j}`);
    cmds.push(a);
  }
  const hll = ["PFADD", "bhll"];
  for (let j = 0; j < 5000; j++) hll.push(`h${j}`);
  cmds.push(hll, ["SET", "bstr", "x".repeat(8000)]);
  await pipe(c, cmds, 50);
  // Filler keys (db 1, same tables): the snapshot walk then takes many chunks and writers run between
  // them, so big keys are serialized at LSNs past the snapshot's start (the per-key rule matters).
  const filler: string[][] = [["SELECT", "1"]];
  for (let i = 0; i < fillerKeys; i += 500) {
    const a = ["MSET"];
    for (let j = i; j < i + 500; j++) a.push(`filler:${j}`, `${j}`);
    filler.push(a);
  }
  filler.push(["SELECT", "0"]);
  await pipe(c, filler, 50);
  const xs: string[][] = [];
  for (let i = 1; i <= streamEntries; i++) xs.push(["XADD", "bx", `${i}-1`, "seq", String(i)]);
  await pipe(c, xs, 5000);
  await pipe(c, [["XGROUP", "CREATE", "bx", "g1", "0"], ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "50", "STREAMS", "bx", ">"]]);
}

/** One write per call to a big key or a small one, chosen by rng (deterministic per seed). */
function bigWrite(rng: Rng, i: number): string[] {
  const r = rng.range(0, 1000);
  const f = `f${rng.range(0, hashFields)}`;
  switch (rng.range(0, 34)) {
    case 0: return ["HSET", "bh", f, `w${i}`];
    case 1: return ["HMSET", "bh", `n${i}`, "1", f, `x${i}`];
    case 2: return ["HSETNX", "bh", `nx${r}`, `${i}`];
    case 3: return ["HDEL", "bh", f, `n${r}`];
    case 4: return ["HINCRBY", "bh", `cnt${r % 10}`, "3"];
    case 5: return ["HINCRBYFLOAT", "bh", `fl${r % 10}`, "0.1"];
    case 6: return ["SADD", "bs", `a${i}`, `s${r}`];
    case 7: return ["SREM", "bs", `s${rng.range(0, setMembers)}`];
    case 8: return ["SPOP", "bs"];
    case 9: return ["SPOP", "bs", "3"];
    case 10: return ["ZADD", "bz", String(i), `m${rng.range(0, zsetMembers)}`];
    case 11: return ["ZINCRBY", "bz", "1.25", `m${r}`];
    case 12: return ["ZADD", "bz", "GT", "CH", String(r), `m${r}`];
    case 13: return ["ZREM", "bz", `m${rng.range(0, zsetMembers)}`];
    case 14: return ["ZREMRANGEBYRANK", "bz", "0", "0"];
    case 15: return ["ZREMRANGEBYSCORE", "bz", String(r), String(r + 0.5)];
    case 16: return ["RPUSH", "bl", `r${i}`];
    case 17: return ["LPUSH", "bl", `l${i}`, `l${i}b`];
    case 18: return ["LPOP", "bl"];
    case 19: return ["RPOP", "bl", "2"];
    case 20: return ["LSET", "bl", String(r), `set${i}`];
    case 21: return ["LINSERT", "bl", "BEFORE", `e${rng.range(0, listElements)}`, `ins${i}`];
    case 22: return ["LREM", "bl", "1", `e${rng.range(0, listElements)}`];
    case 23: return ["LTRIM", "bl", "1", "-1"];
    case 24: return ["XADD", "bx", "*", "seq", `a${i}`];
    case 25: return ["XADD", "bx", "MAXLEN", "~", String(streamEntries - 500), "*", "seq", `t${i}`];
    case 26: return ["XDEL", "bx", `${rng.range(1, streamEntries)}-1`];
    case 27: return ["XACK", "bx", "g1", `${rng.range(1, 50)}-1`];
    case 28: return ["XTRIM", "bx", "MINID", "~", `${r * 5}`];
    case 29: return ["SETRANGE", "bstr", String(r * 7), `y${i}`];
    case 30: return ["APPEND", "bstr", "z"];
    case 31: return ["SETBIT", "bstr", String(r * 13), String(i % 2)];
    case 32: return ["PFADD", "bhll", `p${i}`];
    default: return rng.range(0, 2) === 0 ? ["SET", `small:${r % 50}`, `${i}`] : ["INCR", `ctr:${r % 20}`];
  }
}

/** Sorted "db key type encoding pexpiretime value-hash" lines of dbs 0, 5 and 6; db 1 (filler) whole. */
async function digest(c: RespClient): Promise<string[]> {
  const out: string[] = [];
  for (const db of ["0", "5", "6"]) {
    await c.call("SELECT", db);
    const keys = ((await c.callParsed("KEYS", "*")) as string[]).sort();
    for (const key of keys) {
      const type = (await c.callParsed("TYPE", key)) as string;
      const enc = (await c.callParsed("OBJECT", "ENCODING", key)) as string;
      const at = (await c.callParsed("PEXPIRETIME", key)) as number;
      let v: string;
      switch (type) {
        case "string": v = text(await c.call("GET", key)); break;
        case "hash": {
          const a = (await c.callParsed("HGETALL", key)) as string[];
          const pairs: string[] = [];
          for (let i = 0; i < a.length; i += 2) pairs.push(`${a[i]}=${a[i + 1]}`);
          v = pairs.sort().join(",");
          break;
        }
        case "set": v = ((await c.callParsed("SMEMBERS", key)) as string[]).sort().join(","); break;
        case "zset": v = text(await c.call("ZRANGE", key, "0", "-1", "WITHSCORES")); break;
        case "list": v = text(await c.call("LRANGE", key, "0", "-1")); break;
        case "stream": {
          const info = (await c.callParsed("XINFO", "STREAM", key)) as unknown[];
          const keep: unknown[] = [];
          for (let i = 0; i < info.length; i += 2) {
            if (["length", "last-generated-id", "max-deleted-entry-id", "entries-added", "groups"].includes(info[i] as string)) keep.push(info[i], info[i + 1]);
          }
          const pending = await c.callParsed("XPENDING", key, "g1", "-", "+", "1000");
          v = text(await c.call("XRANGE", key, "-", "+")) + JSON.stringify(keep) + JSON.stringify(pending).replace(/,\d+,(\d+)\]/g, ",$1]");
          break;
        }
        default: v = "?";
      }
      out.push(`${db} ${key} ${type} ${enc} ${at} ${v.length} ${Bun.hash(v)}`);
    }
  }
  await c.call("SELECT", "1");
  const names: string[] = [];
  for (let i = 0; i < fillerKeys; i++) names.push(`filler:${i}`);
  out.push(`1 dbsize ${text(await c.call("DBSIZE"))} ${Bun.hash(text(await c.call("MGET", ...names)))}`);
  await c.call("SELECT", "0");
  return out;
}

/** SAVE and BGSAVE back to back until stop(); counts the snapshots that completed. */
async function snapshotLoop(port: number, stop: () => boolean): Promise<number> {
  let c: RespClient;
  try {
    c = await RespClient.connect(port);
  } catch {
    return 0;
  }
  let n = 0;
  try {
    while (!stop()) {
      const r = text(await c.call(n % 2 === 0 ? "SAVE" : "BGSAVE"));
      if (r.startsWith("+")) n++;
      await Bun.sleep(n % 2 === 0 ? 5 : 60);
    }
  } catch {
    // the server died
  }
  c.close();
  return n;
}

/** FLUSHDB (a running snapshot walk retries) now and then, SWAPDB (no retry) often, on dbs 5 and 6. */
async function flushLoop(port: number, rng: Rng, stop: () => boolean): Promise<void> {
  let c: RespClient;
  try {
    c = await RespClient.connect(port);
  } catch {
    return;
  }
  try {
    await c.call("SELECT", "5");
    let i = 0;
    while (!stop()) {
      i++;
      await c.call("SET", `k${i % 7}`, `${i}`);
      if (rng.range(0, 25) === 0) await c.call("FLUSHDB");
      if (rng.range(0, 4) === 0) await c.call("SWAPDB", "5", "6");
      await Bun.sleep(rng.range(5, 40));
    }
  } catch {
    // the server died
  }
  c.close();
}

async function writeLoop(port: number, rng: Rng, depth: number, stop: () => boolean): Promise<number> {
  const c = await RespClient.connect(port);
  let i = 0;
  while (!stop()) {
    const batch: string[][] = [];
    for (let j = 0; j < depth; j++) batch.push(bigWrite(rng, i++));
    const rs = await c.pipeline(batch);
    for (let j = 0; j < rs.length; j++) {
      const r = text(rs[j]);
      // Only these are legitimate refusals in this workload.
      if (r.startsWith("-") && !r.startsWith("-ERR index out of range") && !r.startsWith("-ERR no such key")) throw new Error(`${batch[j].join(" ")} replied ${r}`);
    }
  }
  c.close();
  return i;
}

describe("delta records under fuzzy snapshots", () => {
  const dir = mkdtempSync(join(tmpdir(), "memkeep-delta-"));
  let server: ServerHandle | null = null;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("one HSET on a 100k-field hash logs a small record, and restart replays it", async () => {
    rmSync(dir, { recursive: true, force: true });
    server = await startMemkeep({ dir, args: serverArgs });
    const c = await RespClient.connect(server.port);
    const cmds: string[][] = [];
    for (let i = 0; i < hashFields; i += 1000) {
      const a = ["HSET", "bh"];
      for (let j = i; j < i + 1000; j++) a.push(`f${j}`, `v${j}`);
      cmds.push(a);
    }
    await pipe(c, cmds, 20);
    const logBytes = async () => Number(/log_bytes_written:(\d+)/.exec(text(await c.call("INFO", "persistence")))![1]);
    // The replicator publishes its byte count after the fsync that released the reply.
    await Bun.sleep(50);
    const before = await logBytes();
    for (let i = 0; i < 100; i++) expect(text(await c.call("HSET", "bh", `new${i}`, `val${i}`))).toBe(":1\r\n");
    await Bun.sleep(50);
    const perWrite = ((await logBytes()) - before) / 100;
    // A record header (24 bytes) and the HSET's arguments, nowhere near the hash's ~1.6 MB.
    expect(perWrite).toBeLessThan(128);
    const want = await digest(c);
    c.close();
    server.kill("SIGKILL");
    await server.exited;
    server = await startMemkeep({ dir, args: serverArgs });
    const c2 = await RespClient.connect(server.port);
    expect(await digest(c2)).toEqual(want);
    c2.close();
    await server.stop();
    server = null;
  }, 120_000);

  test("writes during SAVE/BGSAVE walks, FLUSHDB and SWAPDB: restart digest equals the digest before SIGKILL", async () => {
    rmSync(dir, { recursive: true, force: true });
    server = await startMemkeep({ dir, args: serverArgs });
    let c = await RespClient.connect(server.port);
    await buildBig(c);
    c.close();
    const rng = new Rng(Number(process.env.MEMKEEP_DELTA_SEED ?? 7));
    let snapshots = 0;
    for (let cycle = 0; cycle < 3; cycle++) {
      let stopped = false;
      const stop = () => stopped;
      const snaps = snapshotLoop(server.port, stop);
      const flushes = flushLoop(server.port, new Rng(rng.nextU32()), stop);
      const writers = [0, 1, 2].map((w) => writeLoop(server!.port, new Rng(rng.nextU32() + w), 8, stop));
      await Bun.sleep(3000);
      stopped = true;
      const written = await Promise.all(writers);
      await flushes;
      snapshots += await snaps;
      // Enough writes landed during the walks to matter (a loaded 2-core machine does a few hundred).
      expect(written.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
      c = await RespClient.connect(server.port);
      const before = await digest(c);
      c.close();
      expect(before.some((l) => l.startsWith("0 bh hash hashtable"))).toBe(true);
      server.kill("SIGKILL");
      await server.exited;
      server = await startMemkeep({ dir, args: serverArgs });
      c = await RespClient.connect(server.port);
      const after = await digest(c);
      c.close();
      expect(after).toEqual(before);
    }
    expect(snapshots).toBeGreaterThan(2);
    await server.stop();
    server = null;
  }, 300_000);

  test("SIGKILL at random moments: acknowledged writes to big keys are there exactly once", async () => {
    rmSync(dir, { recursive: true, force: true });
    server = await startMemkeep({ dir, args: serverArgs });
    let c = await RespClient.connect(server.port);
    await buildBig(c);
    c.close();
    // Per big key one sequential lane; what it was told (acked) and what it sent.
    const m = { hAck: 0, hSent: 0, zAck: 0, zSent: 0, lAck: 0, lSent: 0, xAck: 0, xSent: 0 };
    const cycles = Number(process.env.MEMKEEP_DELTA_CYCLES ?? 6);
    for (let cycle = 0; cycle < cycles; cycle++) {
      let stopped = false;
      const stop = () => stopped;
      const snaps = snapshotLoop(server.port, stop);
      const lane = async (fn: (c: RespClient) => Promise<void>) => {
        let lc: RespClient;
        try {
          lc = await RespClient.connect(server!.port);
        } catch {
          return;
        }
        try {
          while (!stop()) await fn(lc);
        } catch {
          // the server died: unacknowledged writes may or may not be there
        }
        lc.close();
      };
      const lanes = [
        // HINCRBY on one field of the big hash: a delta applied twice or lost shows in the count.
        lane(async (lc) => {
          m.hSent++;
          const r = text(await lc.call("HINCRBY", "bh", "counter", "1"));
          m.hAck = Math.max(m.hAck, Number(r.slice(1)));
        }),
        // ZINCRBY (logged as ZADD of the result) on one member of the big zset.
        lane(async (lc) => {
          m.zSent++;
          const r = await lc.callParsed("ZINCRBY", "bz", "1", "counter");
          m.zAck = Math.max(m.zAck, Number(r));
        }),
        // RPUSH a sequence onto the big list.
        lane(async (lc) => {
          const v = m.lSent++;
          const r = text(await lc.call("RPUSH", "bl", `q${v}`));
          if (!r.startsWith(":")) throw new Error(r);
          m.lAck = v + 1;
        }),
        // XADD * a sequence onto the big stream (IDs assigned by the server, logged explicitly).
        lane(async (lc) => {
          const v = m.xSent++;
          const r = text(await lc.call("XADD", "bx", "*", "seq", `q${v}`));
          if (!r.startsWith("$")) throw new Error(r);
          m.xAck = v + 1;
        }),
      ];
      await Bun.sleep(200 + Math.floor(Math.random() * 600));
      server.kill("SIGKILL");
      await server.exited;
      stopped = true;
      await Promise.all(lanes);
      await snaps;
      server = await startMemkeep({ dir, args: serverArgs });
      c = await RespClient.connect(server.port);
      const h = Number((await c.callParsed("HGET", "bh", "counter")) ?? 0);
      expect(h).toBeGreaterThanOrEqual(m.hAck);
      expect(h).toBeLessThanOrEqual(m.hSent);
      m.hAck = m.hSent = h;
      const z = Number((await c.callParsed("ZSCORE", "bz", "counter")) ?? 0);
      expect(z).toBeGreaterThanOrEqual(m.zAck);
      expect(z).toBeLessThanOrEqual(m.zSent);
      m.zAck = m.zSent = z;
      expect(Number(await c.callParsed("HLEN", "bh"))).toBe(hashFields + (h > 0 ? 1 : 0));
      expect(Number(await c.callParsed("ZCARD", "bz"))).toBe(zsetMembers + (z > 0 ? 1 : 0));
      const list = (await c.callParsed("LRANGE", "bl", String(listElements), "-1")) as string[];
      expect(list.length).toBeGreaterThanOrEqual(m.lAck);
      expect(list.length).toBeLessThanOrEqual(m.lSent);
      for (let i = 0; i < list.length; i++) expect(list[i]).toBe(`q${i}`);
      expect((await c.callParsed("LINDEX", "bl", String(listElements - 1))) as string).toBe(`e${listElements - 1}`);
      m.lAck = m.lSent = list.length;
      const tail = (await c.callParsed("XRANGE", "bx", `${streamEntries}-2`, "+")) as [string, string[]][];
      expect(tail.length).toBeGreaterThanOrEqual(m.xAck);
      expect(tail.length).toBeLessThanOrEqual(m.xSent);
      for (let i = 0; i < tail.length; i++) expect(tail[i][1][1]).toBe(`q${i}`);
      expect(Number(await c.callParsed("XLEN", "bx"))).toBe(streamEntries + tail.length);
      m.xAck = m.xSent = tail.length;
      c.close();
    }
    await server.stop();
    server = null;
  }, 300_000);
});
