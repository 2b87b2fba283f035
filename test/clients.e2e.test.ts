// Real client libraries and tools against memkeep: ioredis 5.9.2, node-redis 5.9.0 (RESP2 and RESP3),
// and redis-cli 7.0.15 (arguments, --pipe mass insertion, -x from stdin), plus inline commands typed
// over a bare socket as telnet would send them.
//
// What it proves: each client connects with its default handshake (ioredis's INFO ready check,
// node-redis's CLIENT SETINFO, HELLO 3 for RESP3), round-trips text and binary values (every byte value;
// a 100 MB value byte for byte), gets pipelined replies in request order, survives 200 concurrent
// connections, and reconnects by itself after the server closes its connection (CLIENT KILL).
//
// One memkeep per file; shard workers come from MEMKEEP_TEST_SHARD_WORKERS (scripts/test.sh runs 1
// and 3). Every client is closed in its test (finally) and the server is stopped in afterAll.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createClient, RESP_TYPES } from "redis";
import { type ServerHandle, startMemkeep } from "./helpers/servers.ts";
import { RespClient, decodeReply, escapeBytes } from "./helpers/resp.ts";

let server: ServerHandle | undefined;

beforeAll(async () => {
  server = await startMemkeep();
}, 60_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

function port(): number {
  if (!server) throw new Error("memkeep did not start (see beforeAll)");
  return server.port;
}

/** Every byte value 0..255 once, then once more reversed: a value no text codec survives. */
function allBytes(): Buffer {
  const b = Buffer.alloc(512);
  for (let i = 0; i < 256; i++) {
    b[i] = i;
    b[511 - i] = i;
  }
  return b;
}

/** Deterministic pseudo-random bytes (xorshift32), so a mismatch is reproducible. */
function patternBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b.writeUInt32LE(x, i);
  }
  for (; i < n; i++) b[i] = i & 0xff;
  return b;
}

/** Index of the first differing byte, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Polls `check` until it returns true; bounded by timeoutMs. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pauseMs = 10;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(pauseMs);
    pauseMs = Math.min(pauseMs * 2, 200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Resolves on the first `event` from an emitter; rejects after timeoutMs. */
function nextEvent(emitter: { once(e: string, f: (...a: unknown[]) => void): unknown }, event: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** connected_clients from INFO clients, over a fresh raw connection (which counts itself). */
async function connectedClients(): Promise<number> {
  const raw = await RespClient.connect(port());
  try {
    const info = String(await raw.callParsed("INFO", "clients"));
    const m = /connected_clients:(\d+)/.exec(info);
    if (!m) throw new Error(`INFO clients has no connected_clients: ${info}`);
    return Number(m[1]) - 1;
  } finally {
    await raw.close();
  }
}

function newIoredis(opts: Record<string, unknown> = {}): Redis {
  return new Redis({ host: "127.0.0.1", port: port(), connectTimeout: 10_000, ...opts });
}

async function quitIoredis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

describe("ioredis 5.9.2", () => {
  test("connects with its INFO ready check and round-trips SET/GET", async () => {
    const client = newIoredis();
    try {
      await nextEvent(client, "ready");
      expect(await client.set("io:hello", "world")).toBe("OK");
      expect(await client.get("io:hello")).toBe("world");
      expect(await client.get("io:missing")).toBeNull();
      expect(await client.ping()).toBe("PONG");
    } finally {
      await quitIoredis(client);
    }
  }, 30_000);

  test("a pipeline of 1000 commands gets 1000 replies in request order", async () => {
    const client = newIoredis();
    try {
      const p = client.pipeline();
      const expected: unknown[] = [];
      for (let i = 0; i < 1000; i++) {
        switch (i % 4) {
          case 0:
            p.set(`io:pl:${i}`, `v${i}`);
            expected.push("OK");
            break;
          case 1:
            p.get(`io:pl:${i - 1}`);
            expected.push(`v${i - 1}`);
            break;
          case 2:
            p.incr("io:pl:counter");
            expected.push(Math.floor(i / 4) + 1);
            break;
          default:
            p.echo(`echo-${i}`);
            expected.push(`echo-${i}`);
        }
      }
      const results = await p.exec();
      expect(results).not.toBeNull();
      expect(results!.length).toBe(1000);
      for (const [err] of results!) expect(err).toBeNull();
      expect(results!.map(([, value]) => value)).toEqual(expected);
    } finally {
      await quitIoredis(client);
    }
  }, 30_000);

  test("Buffer keys and values with every byte value round-trip exactly", async () => {
    const client = newIoredis();
    try {
      const value = allBytes();
      const key = Buffer.concat([Buffer.from("io:bin:"), allBytes().subarray(0, 256)]);
      expect(await client.set(key, value)).toBe("OK");
      const got = await client.getBuffer(key);
      expect(got).not.toBeNull();
      expect(firstDifference(got!, value)).toBe(-1);
      expect(await client.strlen(key)).toBe(512);
      expect(await client.exists(key)).toBe(1);
    } finally {
      await quitIoredis(client);
    }
  }, 30_000);

  test("a 100 MB value is stored and read back byte for byte", async () => {
    const client = newIoredis({ commandTimeout: 90_000 });
    try {
      const value = patternBytes(100 * 1024 * 1024, 0xc0ffee);
      expect(await client.set("io:huge", value)).toBe("OK");
      expect(await client.strlen("io:huge")).toBe(value.length);
      const got = await client.getBuffer("io:huge");
      expect(got).not.toBeNull();
      expect(got!.length).toBe(value.length);
      expect(firstDifference(got!, value)).toBe(-1);
      expect(await client.del("io:huge")).toBe(1);
    } finally {
      await quitIoredis(client);
    }
  }, 180_000);

  test("200 concurrent connections each SET and GET their own keys, then all close", async () => {
    const before = await connectedClients();
    const clients = Array.from({ length: 200 }, () => newIoredis());
    try {
      await Promise.all(clients.map((c) => nextEvent(c, "ready", 30_000)));
      await Promise.all(
        clients.map(async (c, i) => {
          for (let j = 0; j < 5; j++) {
            expect(await c.set(`io:conc:${i}:${j}`, `${i}/${j}`)).toBe("OK");
          }
          for (let j = 0; j < 5; j++) {
            expect(await c.get(`io:conc:${i}:${j}`)).toBe(`${i}/${j}`);
          }
        }),
      );
      expect(await connectedClients()).toBeGreaterThanOrEqual(before + 200);
    } finally {
      await Promise.all(clients.map((c) => quitIoredis(c)));
    }
    await waitFor("connected_clients back to its level before the 200 clients", async () => (await connectedClients()) <= before);
    const check = newIoredis();
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `io:conc:${i}:4`);
      expect(await check.mget(...keys)).toEqual(keys.map((_, i) => `${i}/4`));
    } finally {
      await quitIoredis(check);
    }
  }, 120_000);

  test("reconnects by itself after the server closes its connection (CLIENT KILL)", async () => {
    const client = newIoredis({ retryStrategy: (times: number) => Math.min(times * 50, 500) });
    const killer = await RespClient.connect(port());
    try {
      await nextEvent(client, "ready");
      expect(await client.set("io:reconnect", "before")).toBe("OK");
      const idBefore = Number(await client.client("ID"));
      // Both listeners go on before the kill: the reconnect can finish before the kill's reply arrives.
      const reconnecting = nextEvent(client, "reconnecting");
      const readyAgain = nextEvent(client, "ready");
      expect(await killer.callParsed("CLIENT", "KILL", "ID", String(idBefore))).toBe(1);
      await reconnecting;
      await readyAgain;
      expect(await client.get("io:reconnect")).toBe("before");
      const idAfter = Number(await client.client("ID"));
      expect(idAfter).not.toBe(idBefore);
      expect(await client.set("io:reconnect", "after")).toBe("OK");
      expect(await killer.callParsed("GET", "io:reconnect")).toBe("after");
    } finally {
      await quitIoredis(client);
      await killer.close();
    }
  }, 30_000);
});

for (const resp of [2, 3] as const) {
  describe(`node-redis 5.9.0 with RESP${resp}`, () => {
    const newClient = () =>
      createClient({
        RESP: resp,
        socket: { host: "127.0.0.1", port: port(), connectTimeout: 10_000, reconnectStrategy: (retries: number) => Math.min(retries * 50, 500) },
      });
    type Client = ReturnType<typeof newClient>;
    const close = async (client: Client) => {
      try {
        if (client.isOpen) await client.close();
      } catch {
        client.destroy();
      }
    };

    test("connects (its handshake succeeds) and round-trips SET/GET", async () => {
      const client = newClient();
      client.on("error", () => {});
      try {
        await client.connect();
        expect(await client.set(`nr${resp}:hello`, "world")).toBe("OK");
        expect(await client.get(`nr${resp}:hello`)).toBe("world");
        expect(await client.get(`nr${resp}:missing`)).toBeNull();
        expect(await client.ping()).toBe("PONG");
      } finally {
        await close(client);
      }
    }, 30_000);

    if (resp === 3) {
      test("HELLO 3 answers with a RESP3 map naming proto 3", async () => {
        const raw = await RespClient.connect(port());
        try {
          const frame = await raw.call("HELLO", "3");
          expect(String.fromCharCode(frame[0]!)).toBe("%");
          const hello = decodeReply(frame) as Map<unknown, unknown>;
          expect(hello).toBeInstanceOf(Map);
          expect(hello.get("server")).toBe("redis");
          expect(hello.get("proto")).toBe(3);
          expect(typeof hello.get("id")).toBe("number");
          expect(hello.get("mode")).toBe("standalone");
          expect(hello.get("role")).toBe("master");
          // After HELLO 3 a missing key is the RESP3 null, not $-1.
          expect(escapeBytes(await raw.call("GET", "nr3:nothing-here"))).toBe("_\\r\\n");
        } finally {
          await raw.close();
        }
      }, 30_000);
    }

    test("1000 auto-pipelined commands resolve with their own replies, in order", async () => {
      const client = newClient();
      client.on("error", () => {});
      try {
        await client.connect();
        const order: number[] = [];
        const work: Promise<unknown>[] = [];
        for (let i = 0; i < 1000; i++) {
          const key = `nr${resp}:pl:${i >> 1}`;
          const p = i % 2 === 0 ? client.set(key, `v${i >> 1}`) : client.get(key);
          work.push(p.then((v) => (order.push(i), v)));
        }
        const results = await Promise.all(work);
        for (let i = 0; i < 1000; i++) expect(results[i]).toBe(i % 2 === 0 ? "OK" : `v${i >> 1}`);
        expect(order).toEqual(Array.from({ length: 1000 }, (_, i) => i));
        const pipe = client.multi();
        for (let i = 0; i < 100; i++) pipe.echo(`e${i}`);
        const echoed: unknown[] = await pipe.execAsPipeline();
        expect(echoed).toEqual(Array.from({ length: 100 }, (_, i) => `e${i}`));
      } finally {
        await close(client);
      }
    }, 30_000);

    test("Buffer values with every byte value, and a 10 MB value, round-trip exactly", async () => {
      const client = newClient();
      client.on("error", () => {});
      try {
        await client.connect();
        const buffers = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        const value = allBytes();
        const key = Buffer.concat([Buffer.from(`nr${resp}:bin:`), allBytes().subarray(0, 256)]);
        expect(await client.set(key, value)).toBe("OK");
        const got = (await buffers.get(key)) as Buffer | null;
        expect(got).toBeInstanceOf(Buffer);
        expect(firstDifference(got!, value)).toBe(-1);
        const big = patternBytes(10 * 1024 * 1024, 7 + resp);
        expect(await client.set(`nr${resp}:big`, big)).toBe("OK");
        const gotBig = (await buffers.get(`nr${resp}:big`)) as Buffer | null;
        expect(gotBig!.length).toBe(big.length);
        expect(firstDifference(gotBig!, big)).toBe(-1);
        expect(await client.del(`nr${resp}:big`)).toBe(1);
      } finally {
        await close(client);
      }
    }, 60_000);

    test("50 concurrent clients each SET and GET their own keys, then all close", async () => {
      const before = await connectedClients();
      const clients = Array.from({ length: 50 }, () => newClient());
      for (const c of clients) c.on("error", () => {});
      try {
        await Promise.all(clients.map((c) => c.connect()));
        await Promise.all(
          clients.map(async (c, i) => {
            expect(await c.set(`nr${resp}:conc:${i}`, `${i}`)).toBe("OK");
            expect(await c.get(`nr${resp}:conc:${i}`)).toBe(`${i}`);
          }),
        );
      } finally {
        await Promise.all(clients.map((c) => close(c)));
      }
      await waitFor("connected_clients back to its level before the 50 clients", async () => (await connectedClients()) <= before);
    }, 60_000);

    test("reconnects by itself after the server closes its connection (CLIENT KILL)", async () => {
      const client = newClient();
      client.on("error", () => {});
      const killer = await RespClient.connect(port());
      try {
        await client.connect();
        expect(await client.set(`nr${resp}:reconnect`, "before")).toBe("OK");
        const idBefore = await client.clientId();
        // Both listeners go on before the kill: the reconnect can finish before the kill's reply arrives.
        const reconnecting = nextEvent(client, "reconnecting");
        const readyAgain = nextEvent(client, "ready");
        expect(await killer.callParsed("CLIENT", "KILL", "ID", String(idBefore))).toBe(1);
        await reconnecting;
        await readyAgain;
        expect(await client.get(`nr${resp}:reconnect`)).toBe("before");
        expect(await client.clientId()).not.toBe(idBefore);
      } finally {
        await close(client);
        await killer.close();
      }
    }, 30_000);
  });
}

interface CliResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs redis-cli against memkeep; bounded by a kill after timeoutMs. */
async function redisCli(args: string[], stdin?: Uint8Array, timeoutMs = 60_000): Promise<CliResult> {
  const cli = Bun.which("redis-cli") ?? "/usr/bin/redis-cli";
  const proc = Bun.spawn([cli, "-h", "127.0.0.1", "-p", String(port()), ...args], {
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).arrayBuffer(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout: Buffer.from(stdout), stderr };
  } finally {
    clearTimeout(timer);
  }
}

describe("redis-cli 7.0.15", () => {
  test("SET and GET given as arguments", async () => {
    const set = await redisCli(["SET", "cli:k", "hello world"]);
    expect(set.code).toBe(0);
    expect(set.stdout.toString()).toBe("OK\n");
    const get = await redisCli(["GET", "cli:k"]);
    expect(get.stdout.toString()).toBe("hello world\n");
    const missing = await redisCli(["--no-raw", "GET", "cli:nothing"]);
    expect(missing.stdout.toString()).toBe("(nil)\n");
  }, 30_000);

  test("--pipe mass insertion of 10000 SETs reports no errors and 10000 replies", async () => {
    const parts: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const key = `cli:pipe:${i}`;
      const value = `value-${i}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
    }
    const r = await redisCli(["--pipe"], new TextEncoder().encode(parts.join("")));
    expect(r.stdout.toString()).toContain("errors: 0, replies: 10000");
    expect(r.code).toBe(0);
    const raw = await RespClient.connect(port());
    try {
      const keys = (await raw.callParsed("KEYS", "cli:pipe:*")) as string[];
      expect(keys.length).toBe(10_000);
      const sample = [0, 1, 4999, 9998, 9999];
      expect(await raw.callParsed("MGET", ...sample.map((i) => `cli:pipe:${i}`))).toEqual(sample.map((i) => `value-${i}`));
    } finally {
      await raw.close();
    }
  }, 60_000);

  test("-x SET takes a binary value from stdin unchanged", async () => {
    const value = Buffer.concat([allBytes(), Buffer.from("\r\n\n")]);
    const r = await redisCli(["-x", "SET", "cli:stdin"], value);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe("OK\n");
    const raw = await RespClient.connect(port());
    try {
      const got = (await raw.callBuffers("GET", "cli:stdin")) as Buffer;
      expect(got.length).toBe(value.length);
      expect(firstDifference(got, value)).toBe(-1);
    } finally {
      await raw.close();
    }
  }, 30_000);

  test("inline commands typed over a bare socket, as telnet sends them", async () => {
    const raw = await RespClient.connect(port());
    try {
      raw.sendRaw("SET a b\r\nGET a\r\n");
      expect(escapeBytes(await raw.readReply())).toBe("+OK\\r\\n");
      expect(escapeBytes(await raw.readReply())).toBe("$1\\r\\nb\\r\\n");
      // Bare LF line ends, quoted arguments with escapes, and a multibulk command in the same write.
      raw.sendRaw('SET "inline key" "two words\\x21"\nGET "inline key"\n*2\r\n$3\r\nGET\r\n$10\r\ninline key\r\nPING\r\n');
      expect(escapeBytes(await raw.readReply())).toBe("+OK\\r\\n");
      expect(escapeBytes(await raw.readReply())).toBe("$10\\r\\ntwo words!\\r\\n");
      expect(escapeBytes(await raw.readReply())).toBe("$10\\r\\ntwo words!\\r\\n");
      expect(escapeBytes(await raw.readReply())).toBe("+PONG\\r\\n");
      // A command typed one keystroke at a time.
      for (const ch of "GET a\r\n") {
        raw.sendRaw(ch);
        await Bun.sleep(2);
      }
      expect(escapeBytes(await raw.readReply())).toBe("$1\\r\\nb\\r\\n");
    } finally {
      await raw.close();
    }
  }, 30_000);
});
