// Process lifecycle: SIGTERM and SIGINT shut the server down cleanly (exit code 0, every worker
// stopped), SHUTDOWN does too, and a redis.conf-style file plus --flags configure it (flags win).

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMemkeep, type ServerHandle } from "./helpers/servers.ts";
import { RespClient } from "./helpers/resp.ts";
import { freePort } from "./helpers/ports.ts";

const started: ServerHandle[] = [];
afterEach(async () => {
  for (const h of started.splice(0)) await h.stop();
});

async function start(args: string[] = []): Promise<ServerHandle> {
  const h = await startMemkeep({ args });
  started.push(h);
  return h;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} stops every worker and exits with code 0`, async () => {
    const h = await start();
    const c = await RespClient.connect(h.port);
    expect(await c.callParsed("SET", "k", "v")).toBe("OK");
    h.kill(signal);
    expect(await h.exited).toBe(0);
    await h.outputDone;
    expect(h.stdout()).toContain("ready to exit");
    c.close();
  }, 30_000);
}

test("SHUTDOWN NOSAVE exits with code 0 and closes the connection", async () => {
  const h = await start();
  const c = await RespClient.connect(h.port);
  await c.send("SHUTDOWN", "NOSAVE");
  expect(await h.exited).toBe(0);
  c.close();
}, 30_000);

test("--name value flags set directives", async () => {
  const h = await start(["--maxmemory", "32mb", "--maxmemory-policy", "allkeys-lru"]);
  const c = await RespClient.connect(h.port);
  expect(await c.callParsed("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", String(32 * 1024 * 1024)]);
  expect(await c.callParsed("CONFIG", "GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
  c.close();
}, 30_000);

test("a config file given first sets directives, and flags after it win", async () => {
  const dir = mkdtempSync(join(tmpdir(), "memkeep-conf-"));
  const conf = join(dir, "memkeep.conf");
  writeFileSync(conf, ["# a comment", "maxmemory 64mb", 'maxmemory-policy "allkeys-lru"', "hz 20", "timeout 300"].join("\n"));
  const port = await freePort();
  const proc = Bun.spawn(
    [process.execPath, "src/main.ts", conf, "--port", String(port), "--dir", join(dir, "data"), "--hz", "15"],
    { cwd: join(import.meta.dir, ".."), stdout: "pipe", stderr: "pipe" },
  );
  try {
    let client: RespClient | null = null;
    for (let i = 0; i < 150 && client === null; i++) {
      try {
        client = await RespClient.connect(port);
      } catch {
        await Bun.sleep(100);
      }
    }
    expect(client).not.toBeNull();
    const c = client!;
    expect(await c.callParsed("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", String(64 * 1024 * 1024)]);
    expect(await c.callParsed("CONFIG", "GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
    expect(await c.callParsed("CONFIG", "GET", "hz")).toEqual(["hz", "15"]);
    expect(await c.callParsed("CONFIG", "GET", "timeout")).toEqual(["timeout", "300"]);
    c.close();
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("a bad directive stops startup with Redis's fatal config error", async () => {
  const proc = Bun.spawn([process.execPath, "src/main.ts", "--maxmemory-policy", "sometimes"], {
    cwd: join(import.meta.dir, ".."),
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await proc.exited).toBe(1);
  const err = await new Response(proc.stderr).text();
  expect(err).toContain("*** FATAL CONFIG FILE ERROR");
}, 30_000);

test("durability: sync by default; sync <-> async at run time; none <-> sync only at startup", async () => {
  const h = await start();
  const c = await RespClient.connect(h.port);
  expect(await c.callParsed("CONFIG", "GET", "durability")).toEqual(["durability", "sync"]);
  expect(await c.callParsed("CONFIG", "SET", "durability", "async")).toBe("OK");
  expect(await c.callParsed("CONFIG", "GET", "durability")).toEqual(["durability", "async"]);
  const err = (await c.callParsed("CONFIG", "SET", "durability", "none")) as { error: string };
  expect(err.error).toContain("durability can switch between none and sync/async only at startup");
  expect(await c.callParsed("CONFIG", "GET", "durability")).toEqual(["durability", "async"]);
  c.close();
}, 30_000);
