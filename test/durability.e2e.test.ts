// The durable server end to end: restart keeps every type, damaged logs are cut or refused as the
// shard log rules say, encryption at rest, a full disk never yields a reply that claims durability.

import { describe, expect, test, afterEach } from "bun:test";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultShardWorkers, startMemkeep, type ServerHandle } from "./helpers/servers.ts";
import { RespClient } from "./helpers/resp.ts";
import { freePort } from "./helpers/ports.ts";

const td = new TextDecoder();
const text = (b: Uint8Array) => td.decode(b);
const live: ServerHandle[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of live.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), "memkeep-durable-"));
  dirs.push(d);
  return d;
}

async function start(dir: string, args: string[] = []): Promise<ServerHandle> {
  const s = await startMemkeep({ dir, args: ["--durability", "sync", ...args] });
  live.push(s);
  return s;
}

async function stop(s: ServerHandle): Promise<void> {
  await s.stop();
  live.splice(live.indexOf(s), 1);
}

/** Starts memkeep expecting it to fail; returns its stderr. */
async function startFails(dir: string, args: string[] = []): Promise<string> {
  const argv = [process.execPath, "src/main.ts", "--port", String(await freePort()), "--dir", dir, "--durability", "sync"];
  if (!args.includes("--shard-workers")) argv.push("--shard-workers", String(defaultShardWorkers()));
  const proc = Bun.spawn([...argv, ...args], {
    cwd: join(import.meta.dir, ".."),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const code = await proc.exited;
  clearTimeout(timer);
  expect(code).not.toBe(0);
  return (await new Response(proc.stderr).text()) + (await new Response(proc.stdout).text());
}

function segments(dir: string): string[] {
  const out: string[] = [];
  for (const sh of readdirSync(dir).filter((n) => n.startsWith("shard-"))) {
    for (const f of readdirSync(join(dir, sh)).filter((n) => n.startsWith("seg-"))) out.push(join(dir, sh, f));
  }
  return out.sort();
}

async function writeKeys(port: number, n: number, prefix = "k"): Promise<void> {
  const c = await RespClient.connect(port);
  for (let i = 0; i < n; i++) expect(text(await c.call("SET", `${prefix}:${i}`, `value-${i}`))).toBe("+OK\r\n");
  c.close();
}

async function countKeys(port: number, n: number, prefix = "k"): Promise<number> {
  const c = await RespClient.connect(port);
  let found = 0;
  for (let i = 0; i < n; i++) if (text(await c.call("GET", `${prefix}:${i}`)) === `$${`value-${i}`.length}\r\nvalue-${i}\r\n`) found++;
  c.close();
  return found;
}

describe("durable restart", () => {
  test("acknowledged writes survive SIGKILL; INFO persistence and LASTSAVE report the log", async () => {
    const dir = freshDir();
    let s = await start(dir);
    await writeKeys(s.port, 200);
    const c = await RespClient.connect(s.port);
    expect(text(await c.call("INCRBYFLOAT", "f", "1.5"))).toBe("$3\r\n1.5\r\n");
    expect(text(await c.call("SET", "ttl", "x", "EX", "1000"))).toBe("+OK\r\n");
    expect(text(await c.call("DEL", "k:0"))).toBe(":1\r\n");
    const info = text(await c.call("INFO", "persistence"));
    expect(info).toContain("durability:sync");
    expect(Number(/log_group_commits:(\d+)/.exec(info)![1])).toBeGreaterThan(0);
    c.close();
    s.kill("SIGKILL");
    await s.exited;
    live.splice(live.indexOf(s), 1);
    s = await start(dir);
    expect(await countKeys(s.port, 200)).toBe(199);
    const c2 = await RespClient.connect(s.port);
    expect(text(await c2.call("GET", "f"))).toBe("$3\r\n1.5\r\n");
    const ttl = Number(text(await c2.call("TTL", "ttl")).slice(1));
    expect(ttl).toBeGreaterThan(990);
    expect(text(await c2.call("EXISTS", "k:0"))).toBe(":0\r\n");
    c2.close();
  }, 60_000);

  test("evicted keys stay gone after a crash (evictions are in the log)", async () => {
    const dir = freshDir();
    let s = await start(dir, ["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-random"]);
    const c = await RespClient.connect(s.port);
    const v = "x".repeat(1000);
    for (let i = 0; i < 4000; i++) await c.call("SET", `ev:${i}`, v);
    const info = text(await c.call("INFO", "stats"));
    expect(Number(/evicted_keys:(\d+)/.exec(info)![1])).toBeGreaterThan(0);
    const before = Number(text(await c.call("DBSIZE")).slice(1));
    c.close();
    s.kill("SIGKILL");
    await s.exited;
    live.splice(live.indexOf(s), 1);
    s = await start(dir); // no maxmemory now: nothing would evict a key that came back
    const c2 = await RespClient.connect(s.port);
    expect(Number(text(await c2.call("DBSIZE")).slice(1))).toBe(before);
    c2.close();
  }, 60_000);

  test("SAVE writes a snapshot, old segments go, and restart loads snapshot plus tail", async () => {
    const dir = freshDir();
    let s = await start(dir, ["--log-segment-bytes", "64kb"]);
    await writeKeys(s.port, 1500);
    const c = await RespClient.connect(s.port);
    const before = Number(text(await c.call("LASTSAVE")).slice(1));
    expect(text(await c.call("SAVE"))).toBe("+OK\r\n");
    const info = text(await c.call("INFO", "persistence"));
    expect(info).toContain("rdb_saves:1");
    expect(Number(text(await c.call("LASTSAVE")).slice(1))).toBeGreaterThanOrEqual(before);
    expect(text(await c.call("BGSAVE", "x"))).toBe("-ERR syntax error\r\n");
    c.close();
    const snaps = readdirSync(join(dir, "shard-0")).filter((n) => n.startsWith("snap-"));
    expect(snaps.length).toBe(1);
    await writeKeys(s.port, 100, "tail");
    await stop(s);
    s = await start(dir);
    expect(await countKeys(s.port, 1500)).toBe(1500);
    expect(await countKeys(s.port, 100, "tail")).toBe(100);
  }, 60_000);

  test("a torn tail is cut at the last valid record; damage before valid records stops startup naming file and offset", async () => {
    const dir = freshDir();
    let s = await start(dir);
    await writeKeys(s.port, 50);
    await stop(s);
    const seg = segments(dir).at(-1)!;
    const size = statSync(seg).size;
    appendFileSync(seg, new Uint8Array([200, 0, 0, 0, 9, 9, 9, 9, 1, 2, 3])); // a frame cut short
    s = await start(dir);
    expect(await countKeys(s.port, 50)).toBe(50);
    expect(s.stdout() + s.stderr()).toContain("torn tail of 11 bytes cut");
    await stop(s);
    expect(statSync(seg).size).toBeGreaterThanOrEqual(size);
    // Flip a byte inside an early frame: valid frames follow it, so this is corruption.
    const all = segments(dir);
    const first = all[0];
    const bytes = readFileSync(first);
    bytes[100] ^= 0xff;
    writeFileSync(first, bytes);
    const err = await startFails(dir);
    expect(err).toMatch(new RegExp(`${first.replaceAll("/", "\\/")}: .* at offset \\d+`));
  }, 60_000);

  test("a second server on the same folder is refused; another shard count is refused", async () => {
    const dir = freshDir();
    const s = await start(dir);
    expect(await startFails(dir)).toContain("is in use by process");
    await stop(s);
    const other = await startFails(dir, ["--shard-workers", String(defaultShardWorkers() + 1)]);
    expect(other).toMatch(/shard-workers/);
  }, 60_000);
});

describe("encryption at rest", () => {
  test("sealed log and snapshot; restart with the key; wrong key refused; rotation keeps old files readable", async () => {
    const dir = freshDir();
    let s = await start(dir, ["--encryption-at-rest", "yes"]);
    const keyFile = join(dir, "master.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await writeKeys(s.port, 100, "secret");
    const c = await RespClient.connect(s.port);
    expect(text(await c.call("SAVE"))).toBe("+OK\r\n");
    c.close();
    await writeKeys(s.port, 10, "after");
    await stop(s);
    for (const f of segments(dir)) expect(readFileSync(f).includes(Buffer.from("value-7"))).toBe(false);
    // Rotate: a new master key becomes current; files sealed under the old one stay readable.
    execFileSync(process.execPath, ["scripts/rotate-key.ts", keyFile], { cwd: join(import.meta.dir, "..") });
    expect(readFileSync(keyFile, "utf8").trim().split("\n").length).toBe(2);
    s = await start(dir, ["--encryption-at-rest", "yes"]);
    expect(await countKeys(s.port, 100, "secret")).toBe(100);
    expect(await countKeys(s.port, 10, "after")).toBe(10);
    await stop(s);
    // A wrong key file: refused with a clear error, nothing loaded.
    const wrong = join(dir, "wrong.key");
    writeFileSync(wrong, `other ${"11".repeat(32)}\n`, { mode: 0o600 });
    const err = await startFails(dir, ["--encryption-at-rest", "yes", "--encryption-key-file", wrong]);
    expect(err).toMatch(/master key '.*' is not available|does not unwrap/);
  }, 90_000);
});

describe("a full disk", () => {
  test("writes wait or are refused with MISCONF, never acknowledged before they are durable; they resume when space returns", async () => {
    const mnt = freshDir();
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]);
    } catch (e) {
      throw new Error(`this test needs root to mount a tmpfs: ${(e as Error).message}`);
    }
    try {
      const dir = join(mnt, "data");
      mkdirSync(dir);
      const s = await start(dir, ["--log-segment-bytes", "64kb", "--snapshot-log-bytes", "0"]);
      // Leave little room: a filler file takes most of the tmpfs.
      const filler = join(mnt, "filler");
      writeFileSync(filler, new Uint8Array(2_600_000));
      const c = await RespClient.connect(s.port);
      const big = "x".repeat(32 * 1024);
      const acked: number[] = [];
      let refused = 0;
      let pending = 0;
      // Fire writes without waiting; note which ones are acknowledged within a short window.
      const replies: Promise<void>[] = [];
      for (let i = 0; i < 40; i++) {
        pending++;
        replies.push(
          c.call("SET", `big:${i}`, big).then((r) => {
            pending--;
            const t = text(r);
            if (t === "+OK\r\n") acked.push(i);
            else {
              expect(t).toStartWith("-MISCONF Errors writing to the shard log");
              refused++;
            }
          }),
        );
      }
      await Bun.sleep(1500);
      // The disk is full: some writes are acknowledged (durable), the rest wait or were refused.
      expect(acked.length).toBeLessThan(40);
      expect(pending + refused).toBeGreaterThan(0);
      const ackedWhileFull = [...acked];
      // Reads of other shards' keys and PING still answer.
      const c2 = await RespClient.connect(s.port);
      expect(text(await c2.call("PING"))).toBe("+PONG\r\n");
      c2.close();
      rmSync(filler);
      await Promise.all(replies);
      expect(acked.length + refused).toBe(40);
      c.close();
      // Everything acknowledged (during and after the full disk) is there after a crash.
      s.kill("SIGKILL");
      await s.exited;
      live.splice(live.indexOf(s), 1);
      const s2 = await start(dir);
      const c3 = await RespClient.connect(s2.port);
      for (const i of acked) expect(text(await c3.call("STRLEN", `big:${i}`))).toBe(`:${big.length}\r\n`);
      c3.close();
      expect(ackedWhileFull.length).toBeLessThanOrEqual(acked.length);
      await stop(s2);
    } finally {
      for (const srv of live.splice(0)) await srv.stop();
      execFileSync("umount", ["-l", mnt]);
    }
  }, 90_000);

  test("a read of a clean key answers at once while another key's write waits for the disk; a read of that key waits with it", async () => {
    const mnt = freshDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]);
    try {
      const dir = join(mnt, "data");
      mkdirSync(dir);
      const s = await start(dir, ["--log-segment-bytes", "64kb", "--snapshot-log-bytes", "0"]);
      // One hash tag: both keys live in the same shard (and the same shard log) at any worker count.
      const w = await RespClient.connect(s.port);
      expect(text(await w.call("SET", "{t}clean", "durable"))).toBe("+OK\r\n");
      writeFileSync(join(mnt, "filler"), new Uint8Array(2_700_000));
      let setReply: string | null = null;
      const setDone = w.call("SET", "{t}big", "y".repeat(600_000)).then((r) => (setReply = text(r)));
      await Bun.sleep(800);
      expect(setReply).toBeNull(); // the disk cannot take its record: no acknowledgement
      const r = await RespClient.connect(s.port);
      const t0 = performance.now();
      expect(text(await r.call("GET", "{t}clean"))).toBe("$7\r\ndurable\r\n");
      expect(performance.now() - t0).toBeLessThan(500);
      let bigReply: string | null = null;
      const bigDone = r.call("STRLEN", "{t}big").then((b) => (bigReply = text(b)));
      await Bun.sleep(500);
      expect(bigReply).toBeNull(); // it would show a write that is not durable
      rmSync(join(mnt, "filler"));
      await Promise.all([setDone, bigDone]);
      expect(setReply!).toBe("+OK\r\n");
      expect(bigReply!).toBe(":600000\r\n");
      w.close();
      r.close();
      await stop(s);
    } finally {
      for (const srv of live.splice(0)) await srv.stop();
      execFileSync("umount", ["-l", mnt]);
    }
  }, 60_000);
});
