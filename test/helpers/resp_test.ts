// The RESP test client against redis-server 7.0: exact bytes for every RESP2/RESP3 type, decoding,
// framing across arbitrary splits, pipelining with backpressure, raw input, and push messages.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RespClient, decodeReply, encodeCommand, escapeBytes, formatCommand, replyEnd } from "./resp.ts";
import { type ServerHandle, startRedis } from "./servers.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (s: string) => new TextEncoder().encode(s);

describe("resp codec without a server", () => {
  const composite =
    "|1\r\n+ttl\r\n:3\r\n%2\r\n$1\r\na\r\n*3\r\n,1.5\r\n(12345678901234567890\r\n_\r\n+b\r\n~2\r\n#t\r\n!5\r\noops!\r\n";

  test("replyEnd needs every byte of a nested RESP3 reply and stops exactly at its end", () => {
    const bytes = bytesOf(composite + "+NEXT\r\n");
    const full = composite.length;
    for (let cut = 0; cut < full; cut++) expect(replyEnd(bytes.subarray(0, cut), 0)).toBe(-1);
    expect(replyEnd(bytes, 0)).toBe(full);
    expect(replyEnd(bytes, full)).toBe(bytes.length);
  });

  test("decodeReply turns each RESP3 type into its JS value", () => {
    const value = decodeReply(bytesOf(composite));
    expect(value).toEqual({
      attributes: new Map([["ttl", 3]]),
      value: new Map<unknown, unknown>([
        ["a", [1.5, 12345678901234567890n, null]],
        ["b", new Set([true, { error: "oops!" }])],
      ]) as never,
    });
  });

  test("decoding 200000 nested arrays does not recurse", () => {
    const depth = 200_000;
    const bytes = bytesOf("*1\r\n".repeat(depth) + ":7\r\n");
    expect(replyEnd(bytes, 0)).toBe(bytes.length);
    let value = decodeReply(bytes);
    for (let i = 0; i < depth; i++) {
      expect(Array.isArray(value)).toBe(true);
      value = (value as unknown[])[0] as never;
    }
    expect(value).toBe(7);
  });

  test("bulk strings decode as strings when UTF-8 and as Buffers otherwise", () => {
    expect(decodeReply(bytesOf("$3\r\nabc\r\n"))).toBe("abc");
    const binary = decodeReply(new Uint8Array([0x24, 0x32, 13, 10, 0xff, 0x00, 13, 10]));
    expect(Buffer.isBuffer(binary)).toBe(true);
    expect([...(binary as Buffer)]).toEqual([0xff, 0x00]);
    expect(decodeReply(bytesOf("$-1\r\n"))).toBeNull();
    expect(decodeReply(bytesOf("*-1\r\n"))).toBeNull();
    expect(decodeReply(bytesOf(":9223372036854775807\r\n"))).toBe(9223372036854775807n);
    expect(decodeReply(bytesOf(",-inf\r\n"))).toBe(-Infinity);
  });

  test("replyEnd rejects bytes that are not RESP", () => {
    expect(() => replyEnd(bytesOf("hello\r\n"), 0)).toThrow("unknown type byte");
    expect(() => replyEnd(bytesOf("$abc\r\n"), 0)).toThrow("bad length");
  });

  test("encodeCommand and formatCommand keep binary arguments exact", () => {
    const cmd = ["SET", "k", new Uint8Array([0, 0xff, 13, 10])];
    expect(escapeBytes(encodeCommand(cmd))).toBe("*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$4\\r\\n\\x00\\xff\\r\\n\\r\\n");
    expect(formatCommand(cmd)).toBe('SET k "\\x00\\xff\\r\\n"');
    expect(formatCommand(["GET", "", "a b"])).toBe('GET "" "a b"');
  });
});

describe("resp client against redis-server", () => {
  let redis: ServerHandle;
  let client: RespClient;

  beforeAll(async () => {
    redis = await startRedis({ args: ["--enable-debug-command", "yes"] });
    client = await RespClient.connect(redis.port);
  });

  afterAll(async () => {
    await client?.close();
    await redis?.stop();
  });

  test("call returns the exact bytes of RESP2 replies", async () => {
    expect(text(await client.call("FLUSHALL"))).toBe("+OK\r\n");
    expect(text(await client.call("SET", "k", "v"))).toBe("+OK\r\n");
    expect(text(await client.call("GET", "k"))).toBe("$1\r\nv\r\n");
    expect(text(await client.call("GET", "missing"))).toBe("$-1\r\n");
    expect(text(await client.call("INCR", "n"))).toBe(":1\r\n");
    expect(text(await client.call("INCR", "k"))).toBe("-ERR value is not an integer or out of range\r\n");
    expect(text(await client.call("MGET", "k", "missing"))).toBe("*2\r\n$1\r\nv\r\n$-1\r\n");
  });

  test("callParsed round-trips binary values and reports errors as { error }", async () => {
    const value = new Uint8Array([0, 1, 0xfe, 0xff, 13, 10, 36]);
    await client.call("SET", new Uint8Array([0xff, 0]), value);
    const got = await client.callBuffers("GET", new Uint8Array([0xff, 0]));
    expect([...(got as Buffer)]).toEqual([...value]);
    expect(await client.callParsed("NOSUCHCMD")).toEqual({ error: "ERR unknown command 'NOSUCHCMD', with args beginning with: " });
  });

  test("every RESP3 type from DEBUG PROTOCOL frames and decodes", async () => {
    const c = await RespClient.connect(redis.port, { separatePushes: true });
    try {
      await c.call("HELLO", "3");
      const cases: [string, string, unknown][] = [
        ["string", "$11\r\nHello World\r\n", "Hello World"],
        ["integer", ":12345\r\n", 12345],
        ["double", ",3.141\r\n", 3.141],
        ["bignum", "(1234567999999999999999999999999999999\r\n", 1234567999999999999999999999999999999n],
        ["null", "_\r\n", null],
        ["array", "*3\r\n:0\r\n:1\r\n:2\r\n", [0, 1, 2]],
        ["set", "~3\r\n:0\r\n:1\r\n:2\r\n", new Set([0, 1, 2])],
        ["map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", new Map([[0, false], [1, true], [2, false]])],
        ["verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n", "This is a verbatim\nstring"],
        ["true", "#t\r\n", true],
        ["false", "#f\r\n", false],
        [
          "attrib",
          "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
          { attributes: new Map([["key-popularity", ["key:123", 90]]]), value: "Some real reply following the attribute" },
        ],
      ];
      for (const [kind, raw, decoded] of cases) {
        const reply = await c.call("DEBUG", "PROTOCOL", kind);
        expect(text(reply)).toBe(raw);
        expect(decodeReply(reply)).toEqual(decoded as never);
      }
      // A push arrives before the command's own reply; separated, the call still gets its reply.
      expect(text(await c.call("DEBUG", "PROTOCOL", "push"))).toBe("$40\r\nSome real reply following the push reply\r\n");
      expect(decodeReply(await c.readPush())).toEqual({ push: ["server-cpu-usage", 42] });
    } finally {
      await c.close();
    }
  });

  test("readReply delivers pub/sub push messages in arrival order", async () => {
    const subscriber = await RespClient.connect(redis.port);
    try {
      await subscriber.call("HELLO", "3");
      expect(await subscriber.callParsed("SUBSCRIBE", "news")).toEqual({ push: ["subscribe", "news", 1] });
      expect(await client.callParsed("PUBLISH", "news", "hello")).toBe(1);
      expect(text(await subscriber.readReply())).toBe(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
    } finally {
      await subscriber.close();
    }
  });

  test("pipeline of 2000 commands returns every reply in order", async () => {
    const commands = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? ["SET", `p${i}`, String(i)] : ["GET", `p${i - 1}`]));
    const replies = await client.pipeline(commands);
    expect(replies.length).toBe(2000);
    for (let i = 0; i < replies.length; i++) {
      expect(text(replies[i]!)).toBe(i % 2 === 0 ? "+OK\r\n" : `$${String(i - 1).length}\r\n${i - 1}\r\n`);
    }
  });

  test("an 8 MiB value goes out and comes back whole through backpressure", async () => {
    const big = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    expect(text(await client.call("SET", "big", big))).toBe("+OK\r\n");
    const got = (await client.callBuffers("GET", "big")) as Buffer;
    expect(got.length).toBe(big.length);
    expect(Buffer.compare(got, Buffer.from(big))).toBe(0);
    await client.call("DEL", "big");
  });

  test("sendRaw passes inline and malformed input through, and closing is observed", async () => {
    const raw = await RespClient.connect(redis.port);
    raw.sendRaw("PING\r\nECHO hi\r\n");
    expect(text(await raw.readReply())).toBe("+PONG\r\n");
    expect(text(await raw.readReply())).toBe("$2\r\nhi\r\n");
    raw.sendRaw("*1\r\n$-5\r\n");
    expect(text(await raw.readReply())).toBe("-ERR Protocol error: invalid bulk length\r\n");
    await raw.closed();
    expect(raw.isClosed).toBe(true);
    await expect(raw.readReply()).rejects.toThrow();
  });
});
