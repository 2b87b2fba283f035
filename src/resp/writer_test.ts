// ReplyWriter tests: every RESP2/RESP3 encoding byte for byte (as redis-server 7.0 sends them), the
// RESP3 -> RESP2 degradations, integer edge cases, error sanitising, growth from a tiny buffer and
// trim. A fast-check property compares the writer with a naive string encoder over random reply
// sequences, starting from a buffer small enough that almost every reply forces growth.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { escapeBytes } from "../../test/helpers/resp_codec.ts";
import { OK, PONG, QUEUED, ReplyWriter } from "./writer.ts";

const te = new TextEncoder();
const b = (s: string) => te.encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Bytes written by `fn` for a session speaking `resp`, shown escaped so failures are readable. */
function out(resp: 2 | 3, fn: (w: ReplyWriter) => void, initialBytes = 64): string {
  const w = new ReplyWriter(initialBytes);
  w.resp = resp;
  fn(w);
  return escapeBytes(w.view(), 1 << 20);
}

const both = [2, 3] as const;

describe("constants", () => {
  test("pre-encoded replies", () => {
    expect(escapeBytes(OK)).toBe("+OK\\r\\n");
    expect(escapeBytes(PONG)).toBe("+PONG\\r\\n");
    expect(escapeBytes(QUEUED)).toBe("+QUEUED\\r\\n");
    for (const r of both) {
      expect(out(r, (w) => w.ok())).toBe("+OK\\r\\n");
      expect(out(r, (w) => w.emptyArray())).toBe("*0\\r\\n");
    }
  });
});

describe("simple strings and errors", () => {
  test("simple strings are the same in both protocols", () => {
    for (const r of both) expect(out(r, (w) => w.simple("PONG"))).toBe("+PONG\\r\\n");
  });

  test("an error is written as given, counted, and its code remembered for errorstats", () => {
    const w = new ReplyWriter(16);
    w.error("ERR syntax error");
    w.error("WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(escapeBytes(w.view())).toBe("-ERR syntax error\\r\\n-WRONGTYPE Operation against a key holding the wrong kind of value\\r\\n");
    expect(w.errors).toBe(2);
    expect(w.lastErrorCode).toBe("WRONGTYPE");
    w.error("NOSCRIPT");
    expect(w.lastErrorCode).toBe("NOSCRIPT");
    w.reset();
    expect(w.errors).toBe(3); // counted since the writer was made, not per reset
  });

  test("CR and LF inside an error become spaces, so the reply stays one line", () => {
    expect(out(2, (w) => w.error("ERR bad\r\nthing\nhere\rnow"))).toBe("-ERR bad  thing here now\\r\\n");
  });

  test("CR and LF at the ends of an error are trimmed, as addReplyErrorFormat does", () => {
    // redis-server 7.0: EVAL "return redis.error_reply('my err\\n')" 0  ->  "-my err\r\n"
    //                   EVAL "return redis.error_reply('\\nlead\\r\\nmid\\nx')" 0  ->  "-ERR lead  mid x\r\n"
    expect(out(2, (w) => w.error("my err\n"))).toBe("-my err\\r\\n");
    expect(out(2, (w) => w.error("ERR value\r\n"))).toBe("-ERR value\\r\\n");
  });

  test("error text holding client bytes (one char per byte) is written back as those bytes", () => {
    // Protocol and unknown-command errors quote client bytes; Redis sends them raw
    // ("-ERR Protocol error: expected '$', got '\xff'\r\n"). Text made of chars U+0000..U+00FF
    // (a lossless latin1 decode of the bytes) must come out as the same single bytes.
    expect(out(2, (w) => w.error("ERR Protocol error: expected '$', got '\xff'"))).toBe(
      escapeBytes(latin1("-ERR Protocol error: expected '$', got '\xff'\r\n")),
    );
    expect(out(2, (w) => w.error("ERR unknown command '\x80\xe9'"))).toBe(escapeBytes(latin1("-ERR unknown command '\x80\xe9'\r\n")));
  });
});

describe("integers", () => {
  const cases: Array<[number, string]> = [
    [0, "0"],
    [7, "7"],
    [9, "9"],
    [10, "10"],
    [-1, "-1"],
    [-9, "-9"],
    [-10, "-10"],
    [1234567890, "1234567890"],
    [2 ** 31, "2147483648"],
    [-(2 ** 31), "-2147483648"],
    [2 ** 32 + 1, "4294967297"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [Number.MIN_SAFE_INTEGER, "-9007199254740991"],
    [2 ** 53 + 2, "9007199254740994"],
    [2 ** 63, "9223372036854775808"],
    [-(2 ** 63), "-9223372036854775808"],
  ];
  for (const [n, s] of cases) {
    test(`int(${n}) is :${s} in both protocols`, () => {
      for (const r of both) expect(out(r, (w) => w.int(n))).toBe(`:${s}\\r\\n`);
    });
  }

  test("bigint covers the whole int64 range exactly", () => {
    for (const n of [0n, 9223372036854775807n, -9223372036854775808n, 12345678901234567890n]) {
      expect(out(2, (w) => w.bigint(n))).toBe(`:${n}\\r\\n`);
    }
  });

  test("bulkInt writes the decimal as a bulk string", () => {
    expect(out(2, (w) => w.bulkInt(-42))).toBe("$3\\r\\n-42\\r\\n");
    expect(out(3, (w) => w.bulkInt(18446744073709551615n))).toBe("$20\\r\\n18446744073709551615\\r\\n");
  });
});

describe("bulk strings", () => {
  test("empty, binary, and CRLF-holding values are length-prefixed and untouched", () => {
    for (const r of both) {
      expect(out(r, (w) => w.bulk(new Uint8Array(0)))).toBe("$0\\r\\n\\r\\n");
      expect(out(r, (w) => w.bulk(latin1("\r\n\0\xff")))).toBe("$4\\r\\n\\r\\n\\x00\\xff\\r\\n");
    }
  });

  test("bulkRange copies a slice of a larger buffer (short and long copy paths)", () => {
    const src = new Uint8Array(1000);
    for (let i = 0; i < src.length; i++) src[i] = i & 0xff;
    for (const [start, end] of [[10, 20], [0, 63], [0, 64], [100, 900], [5, 5]]) {
      const w = new ReplyWriter(8);
      w.bulkRange(src, start, end);
      const v = w.view();
      const head = b(`$${end - start}\r\n`);
      expect(Array.from(v.subarray(0, head.length))).toEqual(Array.from(head));
      expect(Array.from(v.subarray(head.length, head.length + end - start))).toEqual(Array.from(src.subarray(start, end)));
      expect(v.length).toBe(head.length + end - start + 2);
    }
  });

  test("bulkString encodes text as UTF-8 and counts bytes, not chars", () => {
    expect(out(2, (w) => w.bulkString("héllo"))).toBe("$6\\r\\nh\\xc3\\xa9llo\\r\\n");
  });

  test("verbatim is =len txt:... in RESP3 and a plain bulk in RESP2", () => {
    expect(out(3, (w) => w.verbatim("Some string"))).toBe("=15\\r\\ntxt:Some string\\r\\n");
    expect(out(3, (w) => w.verbatim("# Server", "mkd"))).toBe("=12\\r\\nmkd:# Server\\r\\n");
    expect(out(2, (w) => w.verbatim("Some string"))).toBe("$11\\r\\nSome string\\r\\n");
  });
});

describe("nulls, aggregates and RESP3 types degrading to RESP2", () => {
  test("null bulk and null array: $-1 / *-1 in RESP2, _ in RESP3", () => {
    expect(out(2, (w) => w.nullBulk())).toBe("$-1\\r\\n");
    expect(out(2, (w) => w.nullArray())).toBe("*-1\\r\\n");
    expect(out(3, (w) => w.nullBulk())).toBe("_\\r\\n");
    expect(out(3, (w) => w.nullArray())).toBe("_\\r\\n");
  });

  test("array headers are the same; sets are ~ in RESP3 and arrays in RESP2", () => {
    for (const r of both) expect(out(r, (w) => w.arrayHeader(3))).toBe("*3\\r\\n");
    expect(out(3, (w) => w.setHeader(2))).toBe("~2\\r\\n");
    expect(out(2, (w) => w.setHeader(2))).toBe("*2\\r\\n");
  });

  test("maps are %n in RESP3 and flat arrays of 2n elements in RESP2", () => {
    const hgetall = (w: ReplyWriter) => {
      w.mapHeader(2);
      w.bulkString("f1");
      w.bulkString("v1");
      w.bulkString("f2");
      w.bulkString("v2");
    };
    expect(out(3, hgetall)).toBe("%2\\r\\n$2\\r\\nf1\\r\\n$2\\r\\nv1\\r\\n$2\\r\\nf2\\r\\n$2\\r\\nv2\\r\\n");
    expect(out(2, hgetall)).toBe("*4\\r\\n$2\\r\\nf1\\r\\n$2\\r\\nv1\\r\\n$2\\r\\nf2\\r\\n$2\\r\\nv2\\r\\n");
    expect(out(3, (w) => w.mapHeader(0))).toBe("%0\\r\\n");
    expect(out(2, (w) => w.mapHeader(0))).toBe("*0\\r\\n");
  });

  test("push frames are > in RESP3 and arrays in RESP2", () => {
    expect(out(3, (w) => w.pushHeader(3))).toBe(">3\\r\\n");
    expect(out(2, (w) => w.pushHeader(3))).toBe("*3\\r\\n");
  });

  test("booleans are #t/#f in RESP3 and :1/:0 in RESP2", () => {
    expect(out(3, (w) => (w.bool(true), w.bool(false)))).toBe("#t\\r\\n#f\\r\\n");
    expect(out(2, (w) => (w.bool(true), w.bool(false)))).toBe(":1\\r\\n:0\\r\\n");
  });

  test("doubles are ,%.17g in RESP3 and bulk strings in RESP2 (bytes from redis-server 7.0 ZSCORE)", () => {
    const cases: Array<[number, string]> = [
      [0.1, "0.10000000000000001"],
      [1e300, "1.0000000000000001e+300"],
      [3, "3"],
      [Infinity, "inf"],
      [-Infinity, "-inf"],
      [1.5, "1.5"],
      [-2.5e-300, "-2.5e-300"],
    ];
    for (const [d, s] of cases) {
      expect(out(3, (w) => w.double(d))).toBe(`,${s}\\r\\n`);
      expect(out(2, (w) => w.double(d))).toBe(`$${s.length}\\r\\n${s}\\r\\n`);
    }
  });
});

describe("buffer management", () => {
  test("a 1-byte buffer grows to hold a 3 MB reply and keeps everything written before it", () => {
    const w = new ReplyWriter(1);
    w.int(12345);
    const big = new Uint8Array(3 << 20).fill(120);
    w.bulk(big);
    w.ok();
    const v = w.view();
    expect(escapeBytes(v.subarray(0, 8))).toBe(":12345\\r\\n");
    expect(escapeBytes(v.subarray(8, 18))).toBe("$3145728\\r\\n");
    expect(v.subarray(18, 18 + big.length).every((x) => x === 120)).toBe(true);
    expect(escapeBytes(v.subarray(18 + big.length))).toBe("\\r\\n+OK\\r\\n");
    expect(w.buf.length).toBeGreaterThanOrEqual(v.length);
  });

  test("reset keeps the buffer for reuse; trim shrinks an oversized empty buffer only", () => {
    const w = new ReplyWriter();
    w.bulk(new Uint8Array(5 << 20));
    const grown = w.buf.length;
    expect(grown).toBeGreaterThan(5 << 20);
    w.trim(1 << 20);
    expect(w.buf.length).toBe(grown); // not while a reply is pending
    w.reset();
    expect(w.len).toBe(0);
    expect(w.view().length).toBe(0);
    w.trim(16 << 20);
    expect(w.buf.length).toBe(grown); // not above the limit
    w.trim(1 << 20);
    expect(w.buf.length).toBe(64 * 1024);
    w.ok();
    expect(escapeBytes(w.view())).toBe("+OK\\r\\n");
  });

  test("raw and rawRange append bytes as they are", () => {
    const w = new ReplyWriter(2);
    w.raw(b("+A\r\n"));
    const src = new Uint8Array(200).fill(66);
    w.rawRange(src, 10, 110);
    expect(w.len).toBe(104);
    expect(w.view().subarray(4).every((x) => x === 66)).toBe(true);
  });
});

// ---- property: the writer equals a naive encoder -----------------------------------------------

type Reply =
  | { t: "int"; n: number }
  | { t: "bigint"; n: bigint }
  | { t: "bulk"; v: Uint8Array }
  | { t: "simple"; s: string }
  | { t: "null" }
  | { t: "nullArray" }
  | { t: "array"; n: number }
  | { t: "map"; n: number }
  | { t: "set"; n: number }
  | { t: "bool"; v: boolean }
  | { t: "double"; d: number }
  | { t: "ok" };

const arbReply: fc.Arbitrary<Reply> = fc.oneof(
  fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -1, 9, 10, 99, 100, -100)).map((n): Reply => ({ t: "int", n })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n): Reply => ({ t: "bigint", n })),
  fc.uint8Array({ maxLength: 300 }).map((v): Reply => ({ t: "bulk", v })),
  fc.stringMatching(/^[a-zA-Z0-9 ]{0,30}$/).map((s): Reply => ({ t: "simple", s })),
  fc.constant<Reply>({ t: "null" }),
  fc.constant<Reply>({ t: "nullArray" }),
  fc.nat({ max: 100_000 }).map((n): Reply => ({ t: "array", n })),
  fc.nat({ max: 1000 }).map((n): Reply => ({ t: "map", n })),
  fc.nat({ max: 1000 }).map((n): Reply => ({ t: "set", n })),
  fc.boolean().map((v): Reply => ({ t: "bool", v })),
  fc.constantFrom(0.5, -3, 1e21, Infinity, -Infinity, 2.5e-5).map((d): Reply => ({ t: "double", d })),
  fc.constant<Reply>({ t: "ok" }),
);

function naive(r: Reply, resp: 2 | 3): string {
  const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;
  switch (r.t) {
    case "int":
      return `:${r.n}\r\n`;
    case "bigint":
      return `:${r.n}\r\n`;
    case "bulk":
      return bulk(String.fromCharCode(...r.v));
    case "simple":
      return `+${r.s}\r\n`;
    case "null":
      return resp === 2 ? "$-1\r\n" : "_\r\n";
    case "nullArray":
      return resp === 2 ? "*-1\r\n" : "_\r\n";
    case "array":
      return `*${r.n}\r\n`;
    case "map":
      return resp === 2 ? `*${r.n * 2}\r\n` : `%${r.n}\r\n`;
    case "set":
      return resp === 2 ? `*${r.n}\r\n` : `~${r.n}\r\n`;
    case "bool":
      return resp === 2 ? `:${r.v ? 1 : 0}\r\n` : `#${r.v ? "t" : "f"}\r\n`;
    case "double": {
      const s = r.d === Infinity ? "inf" : r.d === -Infinity ? "-inf" : r.d === 1e21 ? "1e+21" : r.d === 2.5e-5 ? "2.5000000000000001e-05" : String(r.d);
      return resp === 2 ? bulk(s) : `,${s}\r\n`;
    }
    case "ok":
      return "+OK\r\n";
  }
}

function write(w: ReplyWriter, r: Reply): void {
  switch (r.t) {
    case "int":
      return w.int(r.n);
    case "bigint":
      return w.bigint(r.n);
    case "bulk":
      return w.bulk(r.v);
    case "simple":
      return w.simple(r.s);
    case "null":
      return w.nullBulk();
    case "nullArray":
      return w.nullArray();
    case "array":
      return w.arrayHeader(r.n);
    case "map":
      return w.mapHeader(r.n);
    case "set":
      return w.setHeader(r.n);
    case "bool":
      return w.bool(r.v);
    case "double":
      return w.double(r.d);
    case "ok":
      return w.ok();
  }
}

describe("property", () => {
  test("any reply sequence, from a 1-byte buffer, equals the naive encoding in both protocols", () => {
    fc.assert(
      fc.property(fc.array(arbReply, { maxLength: 60 }), fc.constantFrom<2 | 3>(2, 3), (replies, resp) => {
        const w = new ReplyWriter(1);
        w.resp = resp;
        for (const r of replies) write(w, r);
        const want = latin1(replies.map((r) => naive(r, resp)).join(""));
        expect(escapeBytes(w.view(), 1 << 20)).toBe(escapeBytes(want, 1 << 20));
      }),
      { numRuns: 500 },
    );
  });
});
