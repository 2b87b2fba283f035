import { describe, expect, test } from "bun:test";
import { RespError, RespParser, encodeCommand } from "./resp_client.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("RESP reply parser", () => {
  test("parses every reply type, nested arrays included", () => {
    const parser = new RespParser();
    parser.push(bytes("+OK\r\n-ERR no\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n*1\r\n:1\r\n$0\r\n\r\n*0\r\n"));
    expect(parser.next()).toBe("OK");
    expect(parser.next()).toEqual(new RespError("ERR no"));
    expect(parser.next()).toBe(42);
    expect(parser.next()).toBe("abc");
    expect(parser.next()).toBeNull();
    expect(parser.next()).toEqual([[1], ""]);
    expect(parser.next()).toEqual([]);
    expect(parser.next()).toBeUndefined();
  });

  test("a reply split at every byte boundary parses the same", () => {
    const wire = "*3\r\n$5\r\nhello\r\n:7\r\n*1\r\n+x\r\n+after\r\n";
    for (let cut = 1; cut < wire.length; cut++) {
      const parser = new RespParser();
      parser.push(bytes(wire.slice(0, cut)));
      const early = parser.next();
      parser.push(bytes(wire.slice(cut)));
      const first = early ?? parser.next();
      expect(first).toEqual(["hello", 7, ["x"]]);
      expect(parser.next()).toBe("after");
    }
  });

  test("the buffer grows for a bulk larger than its start size", () => {
    const parser = new RespParser();
    const big = "v".repeat(200_000);
    const wire = bytes(`$${big.length}\r\n${big}\r\n`);
    for (let i = 0; i < wire.length; i += 7_000) parser.push(wire.subarray(i, i + 7_000));
    expect(parser.next()).toBe(big);
  });

  test("commands are encoded as arrays of bulk strings", () => {
    expect(new TextDecoder().decode(encodeCommand(["SET", "k", ""]))).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  });
});
