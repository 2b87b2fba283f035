// Crash test: clients write under load and record every acknowledged reply; the server is killed with
// SIGKILL at random moments and restarted on the same folder; after each restart a checker asserts
// that every acknowledged write is there (the acknowledged value or a later one; counters at least
// their acknowledged value; list entries in order, at least as many as acknowledged).
// MEMKEEP_CRASH_CYCLES raises the number of kill cycles (default 20).

import { describe, expect, test, afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMemkeep, type ServerHandle } from "./helpers/servers.ts";
import { RespClient } from "./helpers/resp.ts";

const cycles = Number(process.env.MEMKEEP_CRASH_CYCLES ?? 20);
const clients = 4;
const keysPerClient = 20;
const depth = 8; // commands in flight per client (pipelining shares fsyncs)
const td = new TextDecoder();

function text(b: Uint8Array): string {
  return td.decode(b);
}

/** What a client was told, and what it may have caused without being told. */
class Model {
  setAcked = new Map<string, number>();
  setSent = new Map<string, number>();
  incrAcked = new Map<string, number>();
  incrSent = new Map<string, number>();
  listAcked = new Map<string, number>();
  listSent = new Map<string, number>();
  // HSET h:c field -> seq, ZADD z:c seq member (score = seq), XADD x:c (one entry per seq)
  hashAcked = new Map<string, number>();
  hashSent = new Map<string, number>();
  zsetAcked = new Map<string, number>();
  zsetSent = new Map<string, number>();
  streamAcked = new Map<string, number>();
  streamSent = new Map<string, number>();
}

function bump(m: Map<string, number>, k: string, v: number): void {
  if ((m.get(k) ?? -1) < v) m.set(k, v);
}

async function writer(port: number, c: number, model: Model, stop: () => boolean): Promise<number> {
  let client: RespClient;
  try {
    client = await RespClient.connect(port);
  } catch {
    return 0;
  }
  let acked = 0;
  let seq = model.listSent.get(`l:${c}`) ?? 0;
  let xseq = model.streamSent.get(`x:${c}`) ?? 0;
  const lane = async (lane: number) => {
    let i = lane;
    while (!stop()) {
      const k = i % keysPerClient;
      i += depth;
      const op = i % 6;
      try {
        if (op === 0) {
          const key = `s:${c}:${k}`;
          const v = (model.setSent.get(key) ?? 0) + 1;
          model.setSent.set(key, v);
          const r = text(await client.call("SET", key, `${c}:${v}`));
          if (r !== "+OK\r\n") throw new Error(`SET replied ${r}`);
          bump(model.setAcked, key, v);
        } else if (op === 1) {
          const key = `n:${c}:${k}`;
          model.incrSent.set(key, (model.incrSent.get(key) ?? 0) + 1);
          const r = text(await client.call("INCR", key));
          bump(model.incrAcked, key, Number(r.slice(1)));
        } else if (op === 3) {
          const key = `h:${c}`;
          const field = `f${k}`;
          const id = `${key}|${field}`;
          const v = (model.hashSent.get(id) ?? 0) + 1;
          model.hashSent.set(id, v);
          const r = text(await client.call("HSET", key, field, String(v)));
          if (!r.startsWith(":")) throw new Error(`HSET replied ${r}`);
          bump(model.hashAcked, id, v);
        } else if (op === 4) {
          const key = `z:${c}`;
          const member = `m${k}`;
          const id = `${key}|${member}`;
          const v = (model.zsetSent.get(id) ?? 0) + 1;
          model.zsetSent.set(id, v);
          const r = text(await client.call("ZADD", key, String(v), member));
          if (!r.startsWith(":")) throw new Error(`ZADD replied ${r}`);
          bump(model.zsetAcked, id, v);
        } else if (op === 5) {
          if (lane !== 1) continue;
          const key = `x:${c}`;
          const v = xseq++;
          model.streamSent.set(key, xseq);
          const r = text(await client.call("XADD", key, "*", "seq", String(v)));
          if (!r.startsWith("$")) throw new Error(`XADD replied ${r}`);
          bump(model.streamAcked, key, v + 1);
        } else {
          // One list per client, appended in order by a single lane so entries are a sequence.
          if (lane !== 0) continue;
          const key = `l:${c}`;
          const v = seq++;
          model.listSent.set(key, seq);
          const r = text(await client.call("RPUSH", key, String(v)));
          bump(model.listAcked, key, Number(r.slice(1)));
        }
        acked++;
      } catch {
        return; // the server died: what was not acknowledged may or may not be there
      }
    }
  };
  await Promise.all(Array.from({ length: depth }, (_, l) => lane(l)));
  client.close();
  return acked;
}

async function check(port: number, model: Model): Promise<number> {
  const client = await RespClient.connect(port);
  let checked = 0;
  try {
    for (const [key, acked] of model.setAcked) {
      const r = text(await client.call("GET", key));
      expect(r.startsWith("$")).toBe(true);
      const v = Number(r.split("\r\n")[1].split(":")[1]);
      expect(v).toBeGreaterThanOrEqual(acked);
      expect(v).toBeLessThanOrEqual(model.setSent.get(key)!);
      checked++;
    }
    for (const [key, acked] of model.incrAcked) {
      const r = text(await client.call("GET", key));
      const v = Number(r.split("\r\n")[1]);
      expect(v).toBeGreaterThanOrEqual(acked);
      expect(v).toBeLessThanOrEqual(model.incrSent.get(key)!);
      // What survived becomes the floor: later INCRs continue from it.
      model.incrAcked.set(key, v);
      model.incrSent.set(key, v);
      checked++;
    }
    for (const [key, acked] of model.listAcked) {
      const r = await client.callParsed("LRANGE", key, "0", "-1");
      const items = (r as Uint8Array[] | string[]).map((x) => (typeof x === "string" ? x : text(x)));
      expect(items.length).toBeGreaterThanOrEqual(acked);
      for (let i = 0; i < items.length; i++) expect(items[i]).toBe(String(i));
      model.listAcked.set(key, items.length);
      model.listSent.set(key, items.length);
      checked++;
    }
    for (const [id, acked] of model.hashAcked) {
      const [key, field] = id.split("|");
      const r = text(await client.call("HGET", key, field));
      expect(r.startsWith("$")).toBe(true);
      const v = Number(r.split("\r\n")[1]);
      expect(v).toBeGreaterThanOrEqual(acked);
      expect(v).toBeLessThanOrEqual(model.hashSent.get(id)!);
      model.hashAcked.set(id, v);
      model.hashSent.set(id, v);
      checked++;
    }
    for (const [id, acked] of model.zsetAcked) {
      const [key, member] = id.split("|");
      const r = text(await client.call("ZSCORE", key, member));
      expect(r.startsWith("$")).toBe(true);
      const v = Number(r.split("\r\n")[1]);
      expect(v).toBeGreaterThanOrEqual(acked);
      expect(v).toBeLessThanOrEqual(model.zsetSent.get(id)!);
      model.zsetAcked.set(id, v);
      model.zsetSent.set(id, v);
      checked++;
    }
    for (const [key, acked] of model.streamAcked) {
      const r = (await client.callParsed("XRANGE", key, "-", "+")) as unknown[];
      expect(r.length).toBeGreaterThanOrEqual(acked);
      for (let i = 0; i < r.length; i++) {
        const fields = (r[i] as unknown[])[1] as unknown[];
        const val = fields[1];
        expect(typeof val === "string" ? val : text(val as Uint8Array)).toBe(String(i));
      }
      model.streamAcked.set(key, r.length);
      model.streamSent.set(key, r.length);
      checked++;
    }
    for (const [key, acked] of model.setAcked) {
      // Values that survived become the new floor too.
      const r = text(await client.call("GET", key));
      const v = Number(r.split("\r\n")[1].split(":")[1]);
      if (v > acked) model.setAcked.set(key, v);
      model.setSent.set(key, v);
    }
  } finally {
    client.close();
  }
  return checked;
}

describe("crash safety (SIGKILL under load)", () => {
  const dir = mkdtempSync(join(tmpdir(), "memkeep-crash-"));
  let server: ServerHandle | null = null;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${cycles} kill cycles lose no acknowledged write`, async () => {
    const model = new Model();
    let totalAcked = 0;
    for (let cycle = 0; cycle < cycles; cycle++) {
      server = await startMemkeep({ dir, args: ["--durability", "sync", "--log-segment-bytes", "256kb"] });
      await check(server.port, model);
      let stopped = false;
      const runs = Array.from({ length: clients }, (_, c) => writer(server!.port, c, model, () => stopped));
      await Bun.sleep(100 + Math.floor(Math.random() * 400));
      server.kill("SIGKILL");
      await server.exited;
      stopped = true;
      const acked = await Promise.all(runs);
      totalAcked += acked.reduce((a, b) => a + b, 0);
    }
    server = await startMemkeep({ dir, args: ["--durability", "sync"] });
    const checked = await check(server.port, model);
    expect(checked).toBeGreaterThan(clients * keysPerClient);
    expect(totalAcked).toBeGreaterThan(cycles * 50);
    await server.stop();
    server = null;
  }, 300_000);
});
