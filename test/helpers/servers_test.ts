// The process helpers: ports are not handed out twice, servers are ready only when they answer PING,
// start failures carry the server's output, "address in use" is retried, and stop leaves nothing behind.

import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { freePort } from "./ports.ts";
import { RespClient } from "./resp.ts";
import { pingOnce, startRedis, startServer } from "./servers.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("freePort never hands out the same port twice in one process", async () => {
  const ports = new Set<number>();
  for (let i = 0; i < 200; i++) ports.add(await freePort());
  expect(ports.size).toBe(200);
});

test("startRedis is ready to answer PING and stop ends the process and removes its dir", async () => {
  const redis = await startRedis();
  expect(existsSync(redis.dir)).toBe(true);
  const client = await RespClient.connect(redis.port);
  expect(await client.callParsed("PING")).toBe("PONG");
  expect(await client.callParsed("CONFIG", "GET", "save")).toEqual(["save", ""]);
  await client.close();
  await redis.stop();
  expect(alive(redis.pid)).toBe(false);
  expect(existsSync(redis.dir)).toBe(false);
  expect(await pingOnce("127.0.0.1", redis.port, 500)).toBe(false);
  await redis.stop(); // a second stop is harmless
});

test("a server that exits before it is ready fails the start with its stderr", async () => {
  const start = startServer({
    name: "crasher",
    argv: () => [process.execPath, "-e", "console.error('boom: bad config'); process.exit(3)"],
  });
  await expect(start).rejects.toThrow(/exited before it was ready \(exit code 3\)[\s\S]*boom: bad config/);
});

test("a server that never answers PING times out with its output and is killed", async () => {
  let pid = 0;
  const start = startServer({
    name: "sleeper",
    readyTimeoutMs: 700,
    argv: () => [process.execPath, "-e", "console.error('still warming up'); setInterval(() => {}, 1000)"],
  });
  const error = await start.catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect(String(error)).toMatch(/did not answer PING within 700 ms[\s\S]*still warming up/);
  const match = /pid (\d+)/.exec(String(error));
  expect(match).not.toBeNull();
  pid = Number(match![1]);
  expect(alive(pid)).toBe(false);
});

test("a port taken between freePort and bind is retried on a fresh port", async () => {
  const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  let attempts = 0;
  const redisServer = Bun.which("redis-server") ?? "/usr/bin/redis-server";
  const redis = await startServer({
    name: "redis-server",
    argv: (port, dir) => {
      attempts += 1;
      const chosen = attempts === 1 ? squatter.port : port;
      return [redisServer, "--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    },
  });
  try {
    expect(attempts).toBe(2);
    expect(await pingOnce("127.0.0.1", redis.port, 2_000)).toBe(true);
  } finally {
    await redis.stop();
    squatter.stop(true);
  }
});
