// Request parser tests.
//
// - Every protocol error the parser raises, checked against redis-server 7.0 itself: the same hostile
//   bytes go to a real server and the reply bytes must equal what the session would write
//   (`ERR ${message}` through the ReplyWriter), both for an open server and one with requirepass.
// - Inline commands with quotes and escapes, tokenised by a real server (RPUSH then LRANGE) and by us.
// - Resumability: the same pipeline split at every byte boundary and at random points, with retain()
//   between data events as the session calls it, gives the same argv; the caller's chunk may be
//   overwritten after retain(); argv views stay valid until retain().
// - Cost: a 20 MB bulk and a 64 MB command of small arguments, fed in 64 KB chunks, are buffered in
//   linear time (CPU time, so a loaded machine does not flake).
// - Fuzz (fast-check): against simple_parser.ts, the whole-buffer reference. Valid command streams
//   under random chunkings must give exactly the reference's commands; mutated and random bytes must
//   give the same commands, the same error (or none) and the same pending tail, and the parser may
//   only throw ProtocolError. A watchdog thread turns a hang into a report naming the input.

import { concatBytes } from "./encode.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { encodeCommand, escapeBytes } from "../../test/helpers/resp_codec.ts";
import { type ServerHandle, startRedis } from "../../test/helpers/servers.ts";
import { ProtocolError, QueryBufferLimitError, RequestParser, type ParserLimits, inlineBytesMax } from "./parser.ts";
import { parseAllRequests, type SimpleParseResult } from "./simple_parser.ts";
import { ReplyWriter } from "./writer.ts";

const te = new TextEncoder();
const b = (s: string) => te.encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const redisLimits: ParserLimits = { bulkBytesMax: 512 * 1024 * 1024, queryBufferBytesMax: 1024 * 1024 * 1024 };

const concat = concatBytes;

// ---- driving the parser as the session does -------------------------------------------------------

interface FastResult {
  commands: Uint8Array[][];
  error: string | null;
  /** "protocol" for ProtocolError, "querybuf" for QueryBufferLimitError. */
  errorKind: "protocol" | "querybuf" | null;
  pendingBytes: number;
}

/**
 * Feeds `chunks` as data events: feed, next() until null, then copy the argv views (they must still
 * be intact at the end of the event), retain(), and scribble over the chunk (the socket may reuse it).
 * Anything thrown that is not ProtocolError/QueryBufferLimitError propagates.
 */
function runFast(chunks: Uint8Array[], limits: ParserLimits = redisLimits, authRequired = false): FastResult {
  // The session's mode (reused argument arrays, argv valid until the next next()) must give exactly
  // what the view mode gives.
  const plain = runFastMode(chunks, limits, authRequired, false);
  const reused = runFastMode(chunks, limits, authRequired, true);
  expect(show(reused.commands)).toEqual(show(plain.commands));
  expect([reused.error, reused.errorKind, reused.pendingBytes]).toEqual([plain.error, plain.errorKind, plain.pendingBytes]);
  return plain;
}

function runFastMode(chunks: Uint8Array[], limits: ParserLimits, authRequired: boolean, reuseArgs: boolean): FastResult {
  const p = new RequestParser(limits, null, reuseArgs);
  p.authRequired = authRequired;
  const commands: Uint8Array[][] = [];
  for (const original of chunks) {
    const chunk = original.slice(); // ours to scribble on
    const views: Uint8Array[][] = [];
    try {
      p.feed(chunk);
      for (let argv = p.next(); argv !== null; argv = p.next()) {
        if (argv.length === 0) throw new Error("next() returned an empty argv");
        // Reused arrays are valid until the next next(): copy at once, as the session uses them.
        views.push(reuseArgs ? argv.map((a) => a.slice()) : argv);
      }
      commands.push(...views.map((argv) => argv.map((a) => a.slice())));
      p.retain();
    } catch (e) {
      commands.push(...views.map((argv) => argv.map((a) => a.slice())));
      if (e instanceof ProtocolError) return { commands, error: e.message, errorKind: "protocol", pendingBytes: 0 };
      if (e instanceof QueryBufferLimitError) return { commands, error: e.message, errorKind: "querybuf", pendingBytes: 0 };
      throw e;
    }
    chunk.fill(0xee);
  }
  return { commands, error: null, errorKind: null, pendingBytes: p.pendingBytes };
}

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of points) {
    if (c > at) out.push(data.subarray(at, c));
    at = Math.max(at, c);
  }
  if (at < data.length || out.length === 0) out.push(data.subarray(at));
  return out;
}

function chunksOf(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

/** Readable form of a command list for failure messages and equality. */
function show(commands: Uint8Array[][]): string[][] {
  return commands.map((argv) => argv.map((a) => escapeBytes(a, 200)));
}

/** The bytes the session writes for a protocol error (worker_server.ts: out.error(`ERR ${message}`)). */
function sessionErrorBytes(message: string): Uint8Array {
  const w = new ReplyWriter(256);
  w.error(`ERR ${message}`);
  return w.view().slice();
}

// ---- unit behaviour ------------------------------------------------------------------------------

describe("commands", () => {
  test("multibulk commands with empty, binary and CRLF-holding arguments", () => {
    const cmds = [[b("SET"), b("k"), new Uint8Array(0)], [b("ECHO"), latin1("\r\n\0\xff$*")], [b("PING")]];
    const r = runFast([concat(cmds.map((c) => encodeCommand(c)))]);
    expect(show(r.commands)).toEqual(show(cmds));
    expect(r.error).toBeNull();
    expect(r.pendingBytes).toBe(0);
  });

  test("*0 and *-1 are skipped; so are empty and blank inline lines", () => {
    const r = runFast([b("*0\r\n*-1\r\n\r\n\n  \t \r\n*1\r\n$4\r\nPING\r\n")]);
    expect(show(r.commands)).toEqual([["PING"]]);
    expect(r.pendingBytes).toBe(0);
  });

  test("inline commands end at LF with or without CR; a lone CR inside the line separates tokens", () => {
    const r = runFast([b("SET a 1\r\nGET a\nECHO x\ry\r\n")]);
    expect(show(r.commands)).toEqual([["SET", "a", "1"], ["GET", "a"], ["ECHO", "x", "y"]]);
  });

  test("the CR LF after a header or bulk is skipped without being checked, as Redis does", () => {
    const r = runFast([b("*1\rX$4\r\nPINGxx*1\r\n$4\r\nPING\r\n")]);
    expect(show(r.commands)).toEqual([["PING"], ["PING"]]);
  });

  test("a partial command is pending, not an error", () => {
    for (const s of ["*", "*2", "*2\r", "*2\r\n$3\r\nGE", "*2\r\n$3\r\nGET\r\n$", "GET a", "\"unterminated"]) {
      const r = runFast([b(s)]);
      expect({ s, error: r.error, pending: r.pendingBytes }).toEqual({ s, error: null, pending: s.length });
    }
  });

  test("argv views of one event stay valid until retain(), even with later commands parsed", () => {
    const p = new RequestParser(redisLimits);
    p.feed(b("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*2\r\n$3\r\nGE"));
    const first = p.next()!;
    const second = p.next()!;
    expect(p.next()).toBeNull();
    expect(show([first, second])).toEqual([["GET", "a"], ["GET", "b"]]);
    p.retain();
    p.feed(b("T\r\n$1\r\nc\r\n"));
    expect(show([p.next()!])).toEqual([["GET", "c"]]);
  });

  test("bytesIn counts every byte fed", () => {
    const p = new RequestParser(redisLimits);
    p.feed(b("*1\r\n$4\r\nPI"));
    p.next();
    p.retain();
    p.feed(b("NG\r\n"));
    expect(p.bytesIn).toBe(14);
  });
});

describe("unauthenticated limits (Redis: 10 arguments, 16384-byte bulks before AUTH)", () => {
  test("10 arguments of 16384 bytes pass; the 11th argument or the 16385th byte is refused", () => {
    const ten = encodeCommand(Array.from({ length: 10 }, () => new Uint8Array(16384).fill(120)));
    expect(runFast([ten], redisLimits, true).commands.length).toBe(1);
    expect(runFast([encodeCommand(Array.from({ length: 11 }, () => b("x")))], redisLimits, true).error).toBe(
      "Protocol error: unauthenticated multibulk length",
    );
    expect(runFast([encodeCommand([new Uint8Array(16385)])], redisLimits, true).error).toBe(
      "Protocol error: unauthenticated bulk length",
    );
    expect(runFast([encodeCommand(Array.from({ length: 11 }, () => new Uint8Array(16385)))], redisLimits, false).error).toBeNull();
  });

  test("the limits follow authRequired per command: AUTH then a big command in one pipeline", () => {
    const p = new RequestParser(redisLimits);
    p.authRequired = true;
    p.feed(concat([encodeCommand(["AUTH", "pw"]), encodeCommand(Array.from({ length: 20 }, () => new Uint8Array(20000)))]));
    expect(show([p.next()!])).toEqual([["AUTH", "pw"]]);
    p.authRequired = false; // the AUTH command succeeded
    expect(p.next()!.length).toBe(20);
  });
});

describe("query buffer limit", () => {
  const limits: ParserLimits = { bulkBytesMax: 512 * 1024 * 1024, queryBufferBytesMax: 1024 * 1024 };

  test("a command that keeps more than client-query-buffer-limit pending closes the client", () => {
    const head = b("*1\r\n$2000000\r\n");
    const data = concat([head, new Uint8Array(1_500_000).fill(97)]);
    const r = runFast(chunksOf(data, 64 * 1024), limits);
    expect(r.errorKind).toBe("querybuf");
    // Exactly up to the limit is still accepted.
    const ok = runFast(chunksOf(concat([head, new Uint8Array(1024 * 1024 - head.length)]), 64 * 1024), limits);
    expect(ok.errorKind).toBeNull();
  });

  test("a long pipeline of complete commands never trips the limit", () => {
    const one = encodeCommand(["SET", "key", "x".repeat(100)]);
    const data = concat(Array.from({ length: 40_000 }, () => one)); // ~5 MB
    const r = runFast(chunksOf(data, 64 * 1024 + 7), limits);
    expect(r.errorKind).toBeNull();
    expect(r.commands.length).toBe(40_000);
  });
});

// ---- protocol errors, checked against redis-server 7.0 ----------------------------------------------

interface ErrorCase {
  name: string;
  bytes: Uint8Array;
  /** The message both Redis and we must produce (Redis replies "-ERR " + this + CRLF, then closes). */
  message: string;
  auth?: boolean;
}

const digits = (n: number) => "1".repeat(n);

const errorCases: ErrorCase[] = [
  { name: "non-numeric count", bytes: b("*abc\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "empty count", bytes: b("*\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "leading zero count", bytes: b("*01\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "plus sign count", bytes: b("*+1\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "space in count", bytes: b("*1 \r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "minus zero count", bytes: b("*-0\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "count over INT_MAX", bytes: b("*2147483648\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "count over LLONG_MAX (20 digits)", bytes: b("*99999999999999999999\r\n"), message: "Protocol error: invalid multibulk length" },
  { name: "count with 21 characters", bytes: b(`*${digits(21)}\r\n`), message: "Protocol error: invalid multibulk length" },
  {
    name: "negative count below LLONG_MIN (string2ll overflow)",
    bytes: b("*-9223372036854775809\r\n*1\r\n$4\r\nPING\r\n"),
    message: "Protocol error: invalid multibulk length",
  },
  {
    name: "negative 20-character count",
    bytes: b("*-9999999999999999999\r\n"),
    message: "Protocol error: invalid multibulk length",
  },
  { name: "count line longer than 64 KB with its CR in the buffer", bytes: b(`*${digits(70_000)}\r\n`), message: "Protocol error: invalid multibulk length" },
  { name: "11 arguments before AUTH", bytes: b("*11\r\n"), message: "Protocol error: unauthenticated multibulk length", auth: true },
  { name: "count over INT_MAX before AUTH", bytes: b("*2147483648\r\n"), message: "Protocol error: invalid multibulk length", auth: true },
  { name: "64 KB + 1 of count without CR", bytes: b(`*${digits(65_536)}`), message: "Protocol error: too big mbulk count string" },
  { name: "70 KB of count without CR", bytes: b(`*${digits(70_000)}`), message: "Protocol error: too big mbulk count string" },
  { name: "negative bulk length", bytes: b("*1\r\n$-1\r\n"), message: "Protocol error: invalid bulk length" },
  { name: "non-numeric bulk length", bytes: b("*1\r\n$abc\r\n"), message: "Protocol error: invalid bulk length" },
  { name: "empty bulk length", bytes: b("*1\r\n$\r\n"), message: "Protocol error: invalid bulk length" },
  { name: "leading zero bulk length", bytes: b("*1\r\n$01\r\n"), message: "Protocol error: invalid bulk length" },
  { name: "bulk over proto-max-bulk-len", bytes: b("*1\r\n$536870913\r\n"), message: "Protocol error: invalid bulk length" },
  { name: "bulk over LLONG_MAX", bytes: b("*1\r\n$9223372036854775808\r\n"), message: "Protocol error: invalid bulk length" },
  { name: "16385-byte bulk before AUTH", bytes: b("*1\r\n$16385\r\n"), message: "Protocol error: unauthenticated bulk length", auth: true },
  { name: "negative bulk before AUTH", bytes: b("*1\r\n$-5\r\n"), message: "Protocol error: invalid bulk length", auth: true },
  { name: "64 KB + 1 of bulk count without CR", bytes: b(`*1\r\n$${digits(65_536)}`), message: "Protocol error: too big bulk count string" },
  { name: "70 KB of bulk count without CR", bytes: b(`*1\r\n$${digits(70_000)}`), message: "Protocol error: too big bulk count string" },
  {
    name: "70 KB that is not a bulk header and has no CR",
    bytes: b(`*1\r\n${"x".repeat(70_000)}`),
    message: "Protocol error: too big bulk count string",
  },
  { name: "integer instead of bulk", bytes: b("*2\r\n$3\r\nfoo\r\n:1\r\n"), message: "Protocol error: expected '$', got ':'" },
  { name: "letter instead of bulk", bytes: b("*1\r\nx\r\n"), message: "Protocol error: expected '$', got 'x'" },
  { name: "CR instead of bulk (CR shown as a space)", bytes: b("*1\r\n\r\n"), message: "Protocol error: expected '$', got ' '" },
  { name: "LF instead of bulk (LF shown as a space)", bytes: b("*1\r\n\n\r\n"), message: "Protocol error: expected '$', got ' '" },
  { name: "byte 0xff instead of bulk (sent raw)", bytes: latin1("*1\r\n\xff\r\n"), message: "Protocol error: expected '$', got '\xff'" },
  { name: "64 KB + 1 inline without LF", bytes: b("E".repeat(65_537)), message: "Protocol error: too big inline request" },
  { name: "unterminated double quote", bytes: b('ECHO "abc\r\n'), message: "Protocol error: unbalanced quotes in request" },
  { name: "unterminated single quote", bytes: b("ECHO 'abc\r\n"), message: "Protocol error: unbalanced quotes in request" },
  { name: "closing quote followed by a letter", bytes: b('ECHO "a"b\r\n'), message: "Protocol error: unbalanced quotes in request" },
  { name: "escaped closing quote", bytes: b('ECHO "abc\\"\r\n'), message: "Protocol error: unbalanced quotes in request" },
  { name: "single-quoted then letter", bytes: b("ECHO 'a'b\r\n"), message: "Protocol error: unbalanced quotes in request" },
];

/** Inputs Redis neither answers nor rejects: it waits for more bytes. */
const waitingCases: Array<{ name: string; bytes: Uint8Array }> = [
  { name: "exactly 64 KB of count without CR", bytes: b(`*${digits(65_535)}`) },
  { name: "exactly 64 KB of bulk count without CR", bytes: b(`*1\r\n$${digits(65_535)}`) },
  { name: "exactly 64 KB inline without LF", bytes: b("E".repeat(65_536)) },
  { name: "10 arguments announced before AUTH", bytes: b("*10\r\n") },
  { name: "16384-byte bulk announced before AUTH", bytes: b("*1\r\n$16384\r\n") },
];

/** Sends bytes on a fresh connection; resolves with everything received once the server closes or goes quiet. */
async function exchange(port: number, data: Uint8Array, quietMs = 400): Promise<{ reply: Uint8Array; closed: boolean }> {
  const received: Uint8Array[] = [];
  let closed = false;
  let lastActivity = Date.now();
  let pending = data;
  let wake: () => void = () => {};
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        received.push(new Uint8Array(chunk));
        lastActivity = Date.now();
      },
      drain(s) {
        if (pending.length > 0) pending = pending.subarray(s.write(pending));
      },
      close() {
        closed = true;
        wake();
      },
      error() {
        closed = true;
        wake();
      },
    },
  });
  pending = pending.subarray(socket.write(pending));
  const deadline = Date.now() + 10_000;
  while (!closed && Date.now() < deadline && (pending.length > 0 || Date.now() - lastActivity < quietMs)) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 50);
    });
  }
  const closedByServer = closed;
  if (!closed) socket.end();
  return { reply: concat(received), closed: closedByServer };
}

const redisPath = Bun.which("redis-server");

describe.skipIf(!redisPath)("protocol errors and inline parsing match redis-server 7.0", () => {
  let open: ServerHandle;
  let locked: ServerHandle;

  beforeAll(async () => {
    [open, locked] = await Promise.all([startRedis(), startRedis()]);
    const r = await exchange(locked.port, b("CONFIG SET requirepass pw\r\nQUIT\r\n"));
    expect(new TextDecoder().decode(r.reply)).toBe("+OK\r\n+OK\r\n");
  }, 60_000);
  afterAll(async () => {
    await Promise.all([open?.stop(), locked?.stop()]);
  });

  for (const c of errorCases) {
    test(`${c.message} <- ${c.name}`, async () => {
      // What Redis sends: "-ERR " + message (one byte per char) + CRLF, then it closes.
      const want = escapeBytes(latin1(`-ERR ${c.message}\r\n`));
      const server = c.auth ? locked : open;
      const redis = await exchange(server.port, c.bytes);
      expect({ redis: escapeBytes(redis.reply), closed: redis.closed }).toEqual({ redis: want, closed: true });
      // Whole, and in 16 KB pieces as Redis reads them: the session must write the same bytes.
      for (const chunks of [[c.bytes], chunksOf(c.bytes, 16 * 1024)]) {
        const ours = runFast(chunks, redisLimits, c.auth === true);
        expect({ pieces: chunks.length, reply: ours.error === null ? "(no error)" : escapeBytes(sessionErrorBytes(ours.error)) }).toEqual({
          pieces: chunks.length,
          reply: want,
        });
      }
    }, 30_000);
  }

  for (const c of waitingCases) {
    test(`no error, waits for more <- ${c.name}`, async () => {
      const server = c.name.includes("AUTH") ? locked : open;
      const redis = await exchange(server.port, c.bytes);
      expect({ reply: escapeBytes(redis.reply), closed: redis.closed }).toEqual({ reply: "", closed: false });
      const ours = runFast([c.bytes], redisLimits, server === locked);
      expect({ error: ours.error, pending: ours.pendingBytes }).toEqual({ error: null, pending: c.bytes.length });
    }, 30_000);
  }

  test("redis-server closes a client past client-query-buffer-limit without a reply; so do we", async () => {
    const set = await exchange(open.port, b("CONFIG SET client-query-buffer-limit 1mb\r\nQUIT\r\n"));
    expect(new TextDecoder().decode(set.reply)).toBe("+OK\r\n+OK\r\n");
    try {
      const data = concat([b("*1\r\n$2000000\r\n"), new Uint8Array(1_500_000).fill(97)]);
      const redis = await exchange(open.port, data);
      expect({ reply: escapeBytes(redis.reply), closed: redis.closed }).toEqual({ reply: "", closed: true });
      const ours = runFast(chunksOf(data, 64 * 1024), { bulkBytesMax: 512 * 1024 * 1024, queryBufferBytesMax: 1024 * 1024 });
      expect(ours.errorKind).toBe("querybuf");
    } finally {
      await exchange(open.port, b("CONFIG SET client-query-buffer-limit 1gb\r\nQUIT\r\n"));
    }
  }, 30_000);

  const inlineLines: string[] = [
    "plain words here",
    "   lots   of\t\tblanks   ",
    '"double quoted with spaces"',
    "'single quoted with spaces'",
    '"escapes \\n \\r \\t \\b \\a \\\\ \\" \\z end"',
    '"hex \\x41\\x62 \\x4g \\xZZ \\x4 \\X41"',
    "'no escapes in single \\n \\x41 but \\' works'",
    'ab"cd ef"',
    "ab'cd ef'",
    '"" \'\' empty',
    '"a"\t"b"',
    "a\vb",
    "a\fb",
    "\va \fb\v",
    '"quoted"\v then',
    '"with \\x00 nul" end',
    "high \xe9\xff bytes",
    "trailing backslash \\",
    '"ends with backslash \\\\"',
  ];

  test("inline lines are tokenised exactly as redis-server does (RPUSH the tokens, LRANGE them back)", async () => {
    const failures: string[] = [];
    for (const [i, line] of inlineLines.entries()) {
      const key = `inline:${i}`;
      const request = concat([b(`RPUSH ${key} `), latin1(line), b(`\r\nLRANGE ${key} 0 -1\r\nQUIT\r\n`)]);
      const redis = await exchange(open.port, request);
      const ours = runFast([request]);
      const w = new ReplyWriter(1024);
      const rpush = ours.commands[0];
      if (ours.error !== null) w.error(`ERR ${ours.error}`);
      else if (rpush.length < 3) {
        w.error("ERR wrong number of arguments for 'rpush' command");
        w.emptyArray();
        w.ok();
      } else {
        w.int(rpush.length - 2);
        w.arrayHeader(rpush.length - 2);
        for (const a of rpush.slice(2)) w.bulk(a);
        w.ok();
      }
      if (escapeBytes(w.view()) !== escapeBytes(redis.reply)) {
        failures.push(`${JSON.stringify(line)}: redis ${escapeBytes(redis.reply)} | ours ${escapeBytes(w.view())}`);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

// ---- resumability ----------------------------------------------------------------------------------

const pipeline = concat([
  encodeCommand(["SET", "key", "value"]),
  b("PING\r\n"),
  encodeCommand(["SET", "bin", latin1("\r\n*3\r\n$\0\xff")]),
  b("\r\n"),
  encodeCommand(["GET", ""]),
  b("*0\r\n"),
  b('ECHO "a b" \'c\\\'d\' "\\x41\\n"\n'),
  encodeCommand(["MSET", "a", "1", "b", "x".repeat(300), "c", ""]),
  b("*-1\r\n"),
  encodeCommand(["APPEND", "k", "y".repeat(70_000)]), // a big argument (>= 32 KB)
  b("  \t\r\n"),
  encodeCommand(["DEL", "a"]),
]);
const pipelineArgv = [
  ["SET", "key", "value"],
  ["PING"],
  ["SET", "bin", "\\r\\n*3\\r\\n$\\x00\\xff"],
  ["GET", ""],
  ["ECHO", "a b", "c'd", "A\\n"],
  ["MSET", "a", "1", "b", "x".repeat(200) + `... (300 bytes)`, "c", ""],
  ["APPEND", "k", "y".repeat(200) + "... (70000 bytes)"],
  ["DEL", "a"],
];

describe("resumable parsing", () => {
  test("the whole pipeline in one chunk", () => {
    expect(show(runFast([pipeline]).commands)).toEqual(pipelineArgv);
  });

  test("fed one byte at a time, with retain() after every byte", () => {
    const r = runFast(chunksOf(pipeline, 1));
    expect(show(r.commands)).toEqual(pipelineArgv);
    expect(r.pendingBytes).toBe(0);
  }, 60_000);

  test("split in two at every byte boundary of the small commands", () => {
    const small = pipeline.subarray(0, pipeline.indexOf(b("*3\r\n$6\r\nAPPEND")[0], 200));
    const want = show(runFast([small]).commands);
    expect(want.length).toBeGreaterThanOrEqual(5);
    for (let k = 0; k <= small.length; k++) {
      const got = show(runFast([small.subarray(0, k), small.subarray(k)]).commands);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`split at ${k}: ${JSON.stringify(got)}`);
    }
  });

  test("split in three around every boundary of the big argument's header", () => {
    const at = pipeline.length - 70_200;
    for (let k = at; k < at + 150; k++) {
      for (const m of [k + 1, k + 65_536, pipeline.length - 30]) {
        const got = show(runFast([pipeline.subarray(0, k), pipeline.subarray(k, m), pipeline.subarray(m)]).commands);
        if (JSON.stringify(got) !== JSON.stringify(pipelineArgv)) throw new Error(`split at ${k}, ${m}`);
      }
    }
  });

  test("random chunkings give the same argv (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: pipeline.length }), { maxLength: 60 }), (cuts) => {
        expect(show(runFast(split(pipeline, cuts)).commands)).toEqual(pipelineArgv);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- cost ----------------------------------------------------------------------------------------

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms to feed `data` in 64 KB data events (best of two runs). */
function feedCost(data: Uint8Array): number {
  let best = Infinity;
  for (let run = 0; run < 2; run++) {
    const t0 = cpuMs();
    const r = runFastCounting(chunksOf(data, 64 * 1024));
    best = Math.min(best, cpuMs() - t0);
    expect(r).toBe(1);
  }
  return best;
}

/** Like runFast, without copying or scribbling (so only the parser's own work is measured). */
function runFastCounting(chunks: Uint8Array[]): number {
  const p = new RequestParser({ bulkBytesMax: 1 << 30, queryBufferBytesMax: 1 << 30 });
  let n = 0;
  for (const c of chunks) {
    p.feed(c);
    while (p.next() !== null) n++;
    p.retain();
  }
  return n;
}

function bigBulkCommand(bytes: number): Uint8Array {
  return concat([b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${bytes}\r\n`), new Uint8Array(bytes).fill(97), b("\r\n")]);
}

function manyArgsCommand(bytes: number): Uint8Array {
  const arg = "$6\r\nabcdef\r\n";
  const n = Math.floor(bytes / arg.length);
  return b(`*${n}\r\n${arg.repeat(n)}`);
}

/** Bytes moved by Uint8Array#set and #copyWithin while `fn` runs (the parser's only copying tools). */
function bytesCopiedBy(fn: () => void): number {
  const proto = Uint8Array.prototype;
  const set = proto.set;
  const copyWithin = proto.copyWithin;
  let copied = 0;
  proto.set = function (this: Uint8Array, src: ArrayLike<number>, offset?: number) {
    copied += src.length;
    return set.call(this, src, offset);
  } as typeof proto.set;
  proto.copyWithin = function (this: Uint8Array, target: number, start: number, end?: number) {
    copied += Math.max(0, (end ?? this.length) - start);
    return copyWithin.call(this, target, start, end);
  } as typeof proto.copyWithin;
  try {
    fn();
  } finally {
    proto.set = set;
    proto.copyWithin = copyWithin;
  }
  return copied;
}

describe("cost of buffering", () => {
  test("a 20 MB bulk in 64 KB chunks is not re-scanned or re-copied per chunk", () => {
    const small = feedCost(bigBulkCommand(5 << 20));
    const big = feedCost(bigBulkCommand(20 << 20));
    // Linear: ~4x. Re-copying the bulk per chunk would be ~16x and seconds of CPU.
    expect({ big: big < 400, ratio: big / Math.max(small, 1) < 8 }).toEqual({ big: true, ratio: true });
    const data = bigBulkCommand(20 << 20);
    const copied = bytesCopiedBy(() => runFastCounting(chunksOf(data, 64 * 1024)));
    expect(copied / data.length).toBeLessThan(2);
  }, 60_000);

  test("a 32 MB command of small arguments in 64 KB chunks copies each byte O(1) times", () => {
    // Redis consumes arguments as they complete; we keep the whole command contiguous (argv views
    // are zero-copy), so the buffer must grow geometrically: growing by a fixed step re-copies the
    // command O(size / step) times, quadratic in its size.
    const data = manyArgsCommand(32 << 20);
    const copied = bytesCopiedBy(() => expect(runFastCounting(chunksOf(data, 64 * 1024))).toBe(1));
    expect({ copiedPerByte: Math.round((copied / data.length) * 10) / 10, linear: copied / data.length < 4 }).toMatchObject({ linear: true });
  }, 60_000);
});

// ---- fuzz against the simple parser ------------------------------------------------------------------

interface Watchdog {
  /** Records the input about to be parsed and that the fuzz is alive. */
  beat(input: Uint8Array): void;
  stop(): void;
}

/**
 * A thread that watches a heartbeat. If the fuzz stops beating for `stallMs` (the parser hangs in a
 * synchronous loop, so no timer on this thread can fire), it prints the input being parsed and kills
 * the test process: a hang is reported with its input instead of stalling CI forever.
 */
function startWatchdog(stallMs: number): Watchdog {
  const inputBytesMax = 1 << 20;
  const sab = new SharedArrayBuffer(8 + inputBytesMax);
  const words = new Int32Array(sab, 0, 2);
  const bytes = new Uint8Array(sab, 8);
  const code = `
        self.onmessage = (e) => {
      const { sab, stallMs } = e.data;
      const words = new Int32Array(sab, 0, 2);
      const bytes = new Uint8Array(sab, 8);
      let last = Atomics.load(words, 0);
      let since = Date.now();
      const timer = setInterval(() => {
        const now = Atomics.load(words, 0);
        if (now === -1) { clearInterval(timer); return; }
        if (now !== last) { last = now; since = Date.now(); return; }
        if (Date.now() - since < stallMs) return;
        const n = Atomics.load(words, 1);
        let hex = "";
        for (let i = 0; i < Math.min(n, 4096); i++) hex += bytes[i].toString(16).padStart(2, "0");
        writeSync(2, "\\nparser fuzz: no progress for " + stallMs + " ms; the parser hangs on input (hex, " + n + " bytes): " + hex + "\\n");
        process.kill(process.pid, "SIGKILL");
      }, 250);
    };`;
  const url = URL.createObjectURL(new Blob([code], { type: "application/typescript" }));
  const worker = new Worker(url);
  worker.postMessage({ sab, stallMs });
  return {
    beat(input) {
      const n = Math.min(input.length, inputBytesMax);
      bytes.set(input.subarray(0, n));
      Atomics.store(words, 1, input.length);
      Atomics.add(words, 0, 1);
    },
    stop() {
      Atomics.store(words, 0, -1);
      worker.terminate();
      URL.revokeObjectURL(url);
    },
  };
}

// Arbitraries: arguments, multibulk and inline commands, noise the parser must skip.

const arbArg = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(b(""), b("\r\n"), b("*1\r\n"), b("$3"), b('"'), b("\\x41")) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 3000 }) },
);

type Item = { kind: "multibulk"; argv: Uint8Array[] } | { kind: "inline"; argv: Uint8Array[]; text: Uint8Array } | { kind: "noise"; text: Uint8Array };

function quoteToken(t: Uint8Array, style: number): Uint8Array {
  const plain = t.length > 0 && t.every((c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122));
  if (plain && style === 0) return t;
  if (style === 1 && t.every((c) => c !== 39 && c !== 92 && c >= 32 && c < 127)) return concat([b("'"), t, b("'")]);
  let s = '"';
  for (const c of t) {
    if (c === 34) s += '\\"';
    else if (c === 92) s += "\\\\";
    else if (c >= 32 && c < 127) s += String.fromCharCode(c);
    else if (c === 10) s += "\\n";
    else s += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return b(`${s}"`);
}

const arbItem: fc.Arbitrary<Item> = fc.oneof(
  { weight: 5, arbitrary: fc.array(arbArg, { minLength: 1, maxLength: 6 }).map((argv): Item => ({ kind: "multibulk", argv })) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        argv: fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: 1, maxLength: 5 }),
        styles: fc.array(fc.nat({ max: 2 }), { minLength: 5, maxLength: 5 }),
        // A token ends only at space, tab, CR or LF ('\v' and '\f' are blanks only between tokens).
        seps: fc.array(fc.constantFrom(" ", "\t", "  ", " \v", "\t\f "), { minLength: 5, maxLength: 5 }),
        crlf: fc.boolean(),
      })
      .map(({ argv, styles, seps, crlf }): Item => {
        const parts: Uint8Array[] = [];
        argv.forEach((t, i) => {
          if (i > 0) parts.push(b(seps[i]));
          parts.push(quoteToken(t, styles[i]));
        });
        parts.push(b(crlf ? "\r\n" : "\n"));
        return { kind: "inline", argv, text: concat(parts) };
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom("\r\n", "\n", "*0\r\n", "*-1\r\n", " \t\r\n", "*-5\r\n").map((s): Item => ({ kind: "noise", text: b(s) })) },
);

function encodeItems(items: Item[]): Uint8Array {
  return concat(items.map((it) => (it.kind === "multibulk" ? encodeCommand(it.argv) : it.text)));
}

const hostileByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(42, 36, 13, 10, 48, 49, 50, 57, 45, 43, 32, 34, 39, 92, 120, 0, 255, 11, 12, 9) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

const arbMutation = fc.oneof(
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: hostileByte }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.array(hostileByte, { minLength: 1, maxLength: 6 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

type Mutation = { op: "set"; at: number; byte: number } | { op: "insert"; at: number; bytes: number[] } | { op: "delete"; at: number; n: number } | { op: "truncate"; at: number };

function mutate(input: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Array.from(input);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.op === "set" && at < out.length) out[at] = m.byte;
    else if (m.op === "insert") out.splice(at, 0, ...m.bytes);
    else if (m.op === "delete") out.splice(at, m.n);
    else if (m.op === "truncate") out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

const arbOptions = fc.record({
  authRequired: fc.boolean(),
  bulkBytesMax: fc.constantFrom(5, 100, 512 * 1024 * 1024),
});

/** Runs fast (chunked) and simple (whole) on one input and says how they differ, or null. */
function compareParsers(input: Uint8Array, cuts: number[], opts: { authRequired: boolean; bulkBytesMax: number }): string | null {
  const limits = { bulkBytesMax: opts.bulkBytesMax, queryBufferBytesMax: 1 << 30 };
  let fast: FastResult;
  try {
    fast = runFast(split(input, cuts), limits, opts.authRequired);
  } catch (e) {
    return `fast parser threw ${(e as Error).name}: ${(e as Error).message}`;
  }
  const simple: SimpleParseResult = parseAllRequests(input, opts);
  // Errors are compared as the bytes the session writes (the writer maps CR/LF in messages to spaces).
  const reply = (e: string | null) => (e === null ? null : escapeBytes(sessionErrorBytes(e)));
  const f = { commands: show(fast.commands), error: reply(fast.error), pending: fast.error === null ? fast.pendingBytes : 0 };
  const s = { commands: show(simple.commands), error: reply(simple.error), pending: simple.pendingBytes };
  if (JSON.stringify(f) === JSON.stringify(s)) return null;
  return `input ${escapeBytes(input, 400)} (${input.length} bytes), chunks at ${JSON.stringify(cuts)}, ${JSON.stringify(opts)}\n  fast:   ${JSON.stringify(f)}\n  simple: ${JSON.stringify(s)}`;
}

describe("fuzz: fast parser vs simple reference parser", () => {
  test("the simple parser reads back what the generators encode", () => {
    fc.assert(
      fc.property(fc.array(arbItem, { maxLength: 12 }), (items) => {
        const r = parseAllRequests(encodeItems(items), { bulkBytesMax: 512 * 1024 * 1024 });
        expect(r.error).toBeNull();
        expect(show(r.commands)).toEqual(show(items.filter((it) => it.kind !== "noise").map((it) => (it as { argv: Uint8Array[] }).argv)));
      }),
      { numRuns: 300 },
    );
  });

  test("valid command streams under random chunkings: exactly the simple parser's commands", () => {
    const dog = startWatchdog(30_000);
    try {
      fc.assert(
        fc.property(fc.array(arbItem, { maxLength: 16 }), fc.array(fc.nat(), { maxLength: 40 }), (items, cuts) => {
          const input = encodeItems(items);
          dog.beat(input);
          const diff = compareParsers(input, cuts, { authRequired: false, bulkBytesMax: 512 * 1024 * 1024 });
          if (diff !== null) throw new Error(diff);
        }),
        { numRuns: 1500 },
      );
    } finally {
      dog.stop();
    }
  }, 120_000);

  test("mutated streams: same commands, same error or none, same pending tail; only ProtocolError is thrown", () => {
    const dog = startWatchdog(30_000);
    try {
      fc.assert(
        fc.property(
          fc.array(arbItem, { maxLength: 8 }),
          fc.array(arbMutation, { minLength: 1, maxLength: 6 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          arbOptions,
          (items, mutations, cuts, opts) => {
            const input = mutate(encodeItems(items), mutations);
            dog.beat(input);
            const diff = compareParsers(input, cuts, opts);
            if (diff !== null) throw new Error(diff);
          },
        ),
        { numRuns: 4000 },
      );
    } finally {
      dog.stop();
    }
  }, 180_000);

  test("random bytes from a protocol-heavy alphabet: the parsers agree", () => {
    const dog = startWatchdog(30_000);
    try {
      fc.assert(
        fc.property(fc.array(hostileByte, { maxLength: 80 }), fc.array(fc.nat(), { maxLength: 10 }), arbOptions, (bytes, cuts, opts) => {
          const input = Uint8Array.from(bytes);
          dog.beat(input);
          const diff = compareParsers(input, cuts, opts);
          if (diff !== null) throw new Error(diff);
        }),
        { numRuns: 4000 },
      );
    } finally {
      dog.stop();
    }
  }, 180_000);
});

test("the inline and count-line limit the error cases are built around is Redis's PROTO_INLINE_MAX_SIZE", () => {
  expect(inlineBytesMax).toBe(64 * 1024);
});
