import { test, expect } from "bun:test";
import { existsSync } from "node:fs";
import { startReferenceRedis, replyText } from "./reference_redis.ts";

test("reference redis round-trips binary values, errors, integers and nested arrays", async () => {
  const redis = await startReferenceRedis();
  try {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(await redis.command(["SET", "bin", bytes])).toBe("OK");
    expect(await redis.command(["GET", "bin"])).toEqual(bytes);
    expect(await redis.command(["GET", "missing"])).toBeNull();
    expect(await redis.command(["INCR", "n"])).toBe(1);
    expect(replyText(await redis.command(["INCR", "bin"]))).toBe("ERR:ERR value is not an integer or out of range");
    await redis.command(["ZADD", "z", "1", "a", "2", "b"]);
    expect(replyText(await redis.command(["ZRANGE", "z", "0", "-1", "WITHSCORES"]))).toBe("[a,1,b,2]");
    const scan = await redis.command(["SCAN", "0", "MATCH", "z", "COUNT", "100"]);
    expect(replyText(scan)).toBe("[0,[z]]");
    const big = new Uint8Array(2_000_000).fill(0x61);
    await redis.command(["SET", "big", big]);
    expect(((await redis.command(["GET", "big"])) as Uint8Array).length).toBe(big.length);
  } finally {
    await redis.stop();
  }
}, 60_000);

test("reference redis in cluster mode answers CLUSTER KEYSLOT and cleans its folder", async () => {
  const redis = await startReferenceRedis({ cluster: true });
  const info = replyText(await redis.command(["CONFIG", "GET", "dir"]));
  await redis.command(["CLUSTER", "KEYSLOT", "foo"]).then((slot) => expect(slot).toBe(12182));
  await redis.stop();
  const dir = info.slice(1, -1).split(",")[1];
  expect(existsSync(dir)).toBe(false);
}, 60_000);
