// Unit tests for src/config.ts. Expected strings were observed from redis-server 7.0.15 with
// redis-cli (CONFIG GET / CONFIG SET on a fresh server, and redis-server started on bad files) and
// are hard-coded here; where memkeep differs on purpose the test says so.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { replyText, startReferenceRedis, type ReferenceRedis, type Reply } from "../native-free/reference_redis.ts";
import {
  COMMAND_LINE,
  SETTINGS,
  Config,
  ConfigError,
  NOTIFY,
  findSetting,
  parseArgs,
  parseConfigFile,
  parseMemory,
  readConfigFile,
  splitConfigArgs,
  type Directive,
} from "./config.ts";

const tmp = mkdtempSync(join(tmpdir(), "memkeep-config-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

function loadText(text: string): Config {
  return Config.fromDirectives(parseConfigFile(text, "test.conf"));
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

function getOne(c: Config, name: string): string {
  const r = c.get(name);
  expect(r.length).toBe(1);
  return r[0][1];
}

const args = (ds: Directive[]) => ds.map((d) => [d.name, ...d.args]);

describe("config file syntax", () => {
  test("comments, blank lines and surrounding whitespace are skipped; names are lower-cased", () => {
    const ds = parseConfigFile("# a comment\n\n   \n  PORT 7000  \r\n\tMaxMemory 1gb\n", "x.conf");
    expect(args(ds)).toEqual([["port", "7000"], ["maxmemory", "1gb"]]);
    expect(ds.map((d) => d.line)).toEqual([4, 5]);
    expect(ds[0].text).toBe("PORT 7000");
  });

  test("a '#' after a directive is an argument, not a comment (as in Redis)", () => {
    const e = errorOf(() => loadText("port 6379 # the port\n"));
    expect(e.reason).toBe("wrong number of arguments");
  });

  test("several arguments on one line", () => {
    expect(args(parseConfigFile("bind 127.0.0.1 ::1 -::*\n"))).toEqual([["bind", "127.0.0.1", "::1", "-::*"]]);
  });

  test("double quotes take \\xHH, \\n \\r \\t \\b \\a and \\<other> escapes", () => {
    expect(splitConfigArgs('requirepass "a\\x41\\tb\\q\\x4"')).toEqual(["requirepass", "aA\tbqx4"]);
    expect(splitConfigArgs('x "a\\"b" "\\n\\r\\b\\a"')).toEqual(["x", 'a"b', "\n\r\b\x07"]);
    expect(splitConfigArgs('x "\\xe2\\x82\\xac"')).toEqual(["x", "€"]);
    expect(splitConfigArgs('x ""')).toEqual(["x", ""]);
  });

  test("single quotes take only \\' as an escape", () => {
    expect(splitConfigArgs("requirepass 'it\\'s'")).toEqual(["requirepass", "it's"]);
    expect(splitConfigArgs("requirepass 'a\\nb'")).toEqual(["requirepass", "a\\nb"]);
  });

  test("a quote opens mid-word and a closing quote must be followed by a space", () => {
    expect(splitConfigArgs('requirepass a"b c"')).toEqual(["requirepass", "ab c"]);
    expect(splitConfigArgs('requirepass "a"b')).toBeNull();
    expect(splitConfigArgs('requirepass "abc')).toBeNull();
    expect(splitConfigArgs("requirepass 'abc")).toBeNull();
  });

  test("unbalanced quotes fail with the file, line and text, in Redis's words", () => {
    const e = errorOf(() => parseConfigFile('port 7000\nrequirepass "abc\n', "my.conf"));
    expect(e.reason).toBe("Unbalanced quotes in configuration line");
    expect(e.file).toBe("my.conf");
    expect(e.line).toBe(2);
    expect(e.message).toBe(
      "Reading the configuration file my.conf, at line 2\n>>> 'requirepass \"abc'\nUnbalanced quotes in configuration line",
    );
  });

  test("quoted values reach the setting unquoted", () => {
    const c = loadText('requirepass "foo bar"\nsave ""\n');
    expect(c.requirepass).toBe("foo bar");
    expect(c.save).toEqual([]);
  });
});

describe("include", () => {
  test("an included file's directives take its place, paths relative to the working directory", () => {
    const inner = write("inner.conf", "maxmemory 2mb\nhz 20\n");
    const rel = relative(process.cwd(), inner);
    const ds = parseConfigFile(`port 7000\ninclude ${rel}\nhz 30\n`, "outer.conf");
    expect(args(ds)).toEqual([["port", "7000"], ["maxmemory", "2mb"], ["hz", "20"], ["hz", "30"]]);
    expect(ds[1].file).toBe(rel);
    expect(ds[1].line).toBe(1);
    const c = Config.fromDirectives(ds);
    expect(c.hz).toBe(30);
    expect(c.maxmemory).toBe(2 * 1024 * 1024);
  });

  test("an error inside an included file names that file and its line", () => {
    const bad = write("bad_inner.conf", "# first\nport abc\n");
    const e = errorOf(() => Config.fromDirectives(parseConfigFile(`include ${bad}\n`, "outer.conf")));
    expect(e.file).toBe(bad);
    expect(e.line).toBe(2);
    expect(e.reason).toBe("argument couldn't be parsed into an integer");
  });

  test("a missing include fails with Redis's message", () => {
    const e = errorOf(() => parseConfigFile("include /nonexistent/memkeep-nosuch.conf\n"));
    expect(e.message).toBe(
      "Fatal error, can't open config file '/nonexistent/memkeep-nosuch.conf': No such file or directory",
    );
  });

  test("an include cycle is refused instead of recursing", () => {
    const a = join(tmp, "cycle_a.conf");
    const b = write("cycle_b.conf", `include ${a}\n`);
    write("cycle_a.conf", `include ${b}\n`);
    const e = errorOf(() => readConfigFile(a));
    expect(e.reason).toContain("include cycle");
  });

  test("a wildcard include loads every match in name order and tolerates none", () => {
    write("wild_2.conf", "hz 22\n");
    write("wild_1.conf", "hz 11\nmaxclients 7\n");
    const ds = parseConfigFile(`include ${join(tmp, "wild_*.conf")}\ninclude ${join(tmp, "none_*.conf")}\n`);
    expect(args(ds)).toEqual([["hz", "11"], ["maxclients", "7"], ["hz", "22"]]);
  });
});

describe("loading directives", () => {
  test("an unknown directive fails as 'Bad directive or wrong number of arguments' with its line", () => {
    const e = errorOf(() => loadText("port 7001\n# c\n\nbogus 1\n"));
    expect(e.reason).toBe("Bad directive or wrong number of arguments");
    expect(e.line).toBe(4);
    expect(e.message).toBe(
      "Reading the configuration file test.conf, at line 4\n>>> 'bogus 1'\nBad directive or wrong number of arguments",
    );
  });

  test("a one-value setting with two values fails as 'wrong number of arguments'", () => {
    expect(errorOf(() => loadText("port 1 2\n")).reason).toBe("wrong number of arguments");
    expect(errorOf(() => loadText("notify-keyspace-events\n")).reason).toBe("wrong number of arguments");
  });

  test("bad values fail with the same reasons CONFIG SET gives", () => {
    expect(errorOf(() => loadText("port abc\n")).reason).toBe("argument couldn't be parsed into an integer");
    expect(errorOf(() => loadText("maxmemory 1tb\n")).reason).toBe("argument must be a memory value");
    expect(errorOf(() => loadText("save 60\n")).reason).toBe("Invalid save parameters");
  });

  test("directives Redis 7.0 ignores are ignored, with their exact argument count only", () => {
    expect(loadText("list-max-ziplist-entries 5\nlua-replicate-commands yes\n").port).toBe(6379);
    expect(errorOf(() => loadText("list-max-ziplist-value 5 6\n")).reason).toBe(
      "Bad directive or wrong number of arguments",
    );
  });

  test("save lines accumulate within a load; the first replaces the default", () => {
    expect(getOne(loadText("save 60 1\nsave 300 10\n"), "save")).toBe("60 1 300 10");
    expect(getOne(loadText('save 60 1\nsave ""\nsave 5 5\n'), "save")).toBe("60 1 5 5");
  });

  test("a multi-argument setting given one quoted argument is split like a line", () => {
    expect(getOne(loadText('save "60  1"\n'), "save")).toBe("60 1");
    expect(getOne(loadText('save "60 \\"1\\""\n'), "save")).toBe("60 1");
    expect(getOne(loadText('client-output-buffer-limit "normal  1 2 3"\n'), "client-output-buffer-limit")).toBe(
      "normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    );
    expect(errorOf(() => loadText('save "60 1" 300 10\n')).reason).toBe("Invalid save parameters");
  });

  test("bind lines replace each other and take up to 16 addresses", () => {
    expect(loadText("bind 127.0.0.1\nbind 127.0.0.1 ::1\n").bind).toEqual(["127.0.0.1", "::1"]);
    const many = Array.from({ length: 17 }, (_, i) => `127.0.0.${i + 1}`).join(" ");
    expect(errorOf(() => loadText(`bind ${many}\n`)).reason).toBe("Too many bind addresses specified.");
  });

  test("hz out of 1..500 is accepted and clamped, as Redis does", () => {
    expect(loadText("hz 0\n").hz).toBe(1);
    expect(loadText("hz 100000\n").hz).toBe(500);
  });

  test("proto-max-bulk-len may exceed client-query-buffer-limit: Redis 7.0 enforces no relation", () => {
    const c = loadText("proto-max-bulk-len 2gb\nclient-query-buffer-limit 1mb\n");
    expect(c.protoMaxBulkLen).toBe(2 * 1024 ** 3);
    expect(c.clientQueryBufferLimit).toBe(1024 ** 2);
  });
});

describe("memory units", () => {
  // Each row: input, bytes redis-server 7.0 stored for `CONFIG SET maxmemory <input>` (null: refused).
  const rows: [string, string | null][] = [
    ["1k", "1000"],
    ["1K", "1000"],
    ["1kb", "1024"],
    ["1KB", "1024"],
    ["1Kb", "1024"],
    ["1m", "1000000"],
    ["1mb", "1048576"],
    ["1g", "1000000000"],
    ["1gb", "1073741824"],
    ["1b", "1"],
    ["1B", "1"],
    ["10", "10"],
    ["", "0"],
    ["kb", "0"],
    ["99999999999999999999", "18446744073709551615"],
    ["18446744073709551615", "18446744073709551615"],
    ["9223372036854775808", "9223372036854775808"],
    ["-1", null],
    ["+5", null],
    [" 5", null],
    ["5 ", null],
    ["1.5mb", null],
    ["0x10", null],
    ["1e3", null],
    ["10%", null],
    ["1t", null],
    ["1tb", null],
    ["1kbb", null],
  ];
  for (const [input, bytes] of rows) {
    test(`'${input}' reads as ${bytes ?? "an error"}, as in Redis`, () => {
      const v = parseMemory(input);
      expect(v === null ? null : v.toString()).toBe(bytes);
      const c = new Config();
      const err = c.set([["maxmemory", input]]);
      if (bytes === null) {
        expect(err).toBe("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value");
      } else {
        expect(err).toBeNull();
        expect(getOne(c, "maxmemory")).toBe(bytes);
      }
    });
  }

  test("a unit on an integer setting is refused, on a memory-typed one accepted", () => {
    const c = new Config();
    expect(c.set([["hash-max-listpack-value", "1kb"]])).toBeNull();
    expect(c.hashMaxListpackValue).toBe(1024);
    expect(c.set([["hash-max-listpack-entries", "1kb"]])).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument couldn't be parsed into an integer",
    );
  });
});

describe("CONFIG GET", () => {
  // Observed on a fresh redis-server 7.0.15 (bind and save as we started it; see the notes).
  const redisDefaults: [string, string][] = [
    ["port", "6379"],
    ["protected-mode", "yes"],
    ["databases", "16"],
    ["maxclients", "10000"],
    ["maxmemory", "0"],
    ["maxmemory-policy", "noeviction"],
    ["maxmemory-samples", "5"],
    ["maxmemory-eviction-tenacity", "10"],
    ["lfu-log-factor", "10"],
    ["lfu-decay-time", "1"],
    ["proto-max-bulk-len", "536870912"],
    ["client-query-buffer-limit", "1073741824"],
    ["client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"],
    ["requirepass", ""],
    ["timeout", "0"],
    ["tcp-keepalive", "300"],
    ["tcp-backlog", "511"],
    ["hz", "10"],
    ["dynamic-hz", "yes"],
    ["slowlog-log-slower-than", "10000"],
    ["slowlog-max-len", "128"],
    ["latency-monitor-threshold", "0"],
    ["notify-keyspace-events", ""],
    ["active-expire-effort", "1"],
    ["lazyfree-lazy-eviction", "no"],
    ["lazyfree-lazy-expire", "no"],
    ["lazyfree-lazy-server-del", "no"],
    ["lazyfree-lazy-user-del", "no"],
    ["lazyfree-lazy-user-flush", "no"],
    ["cluster-enabled", "no"],
    ["appendonly", "no"],
    ["loglevel", "notice"],
    ["logfile", ""],
    ["daemonize", "no"],
    ["pidfile", ""],
    ["io-threads", "1"],
    ["tls-port", "0"],
    ["list-max-listpack-size", "-2"],
    ["hash-max-listpack-entries", "512"],
    ["hash-max-listpack-value", "64"],
    ["set-max-intset-entries", "512"],
    ["zset-max-listpack-entries", "128"],
    ["zset-max-listpack-value", "64"],
    ["stream-node-max-bytes", "4096"],
    ["stream-node-max-entries", "100"],
    ["hll-sparse-max-bytes", "3000"],
    ["activerehashing", "yes"],
    ["replica-read-only", "yes"],
    ["slave-read-only", "yes"],
    ["list-max-ziplist-size", "-2"],
  ];
  test("defaults print as redis-server 7.0 prints them", () => {
    const c = new Config();
    for (const [name, value] of redisDefaults) expect([name, getOne(c, name)]).toEqual([name, value]);
  });

  test("memkeep's own defaults: loopback bind, ./data as an absolute path, no save points, durability sync", () => {
    const c = new Config();
    expect(getOne(c, "bind")).toBe("127.0.0.1");
    expect(getOne(c, "dir")).toBe(join(process.cwd(), "data"));
    expect(getOne(c, "save")).toBe("");
    expect(getOne(c, "durability")).toBe("sync");
    expect(getOne(c, "durability-async-max-lag-ms")).toBe("1000");
    expect(c.shardWorkers).toBeGreaterThanOrEqual(1);
  });

  test("a glob matches names and aliases case-insensitively, each alias as its own name", () => {
    const c = new Config();
    // redis-server 7.0 answered these (minus settings memkeep does not have, in its own order).
    expect(new Map(c.get("*ziplist*"))).toEqual(
      new Map([
        ["zset-max-ziplist-entries", "128"],
        ["list-max-ziplist-size", "-2"],
        ["zset-max-ziplist-value", "64"],
        ["hash-max-ziplist-entries", "512"],
        ["hash-max-ziplist-value", "64"],
      ]),
    );
    expect(new Map(c.get("MAXMEM*"))).toEqual(
      new Map([
        ["maxmemory-policy", "noeviction"],
        ["maxmemory-samples", "5"],
        ["maxmemory", "0"],
        ["maxmemory-clients", "0"],
        ["maxmemory-eviction-tenacity", "10"],
      ]),
    );
    expect(c.get("*read-only").map(([n]) => n).sort()).toEqual(["replica-read-only", "slave-read-only"]);
    expect(c.get("[sb]ave")).toEqual([["save", ""]]);
  });

  test("an exact name is echoed as written; duplicates across patterns collapse, first spelling wins", () => {
    const c = new Config();
    expect(c.get("MAXMEMORY")).toEqual([["MAXMEMORY", "0"]]);
    expect(c.get("MAXMEMORY", "maxmemory")).toEqual([["MAXMEMORY", "0"]]);
    expect(c.get("MAXMEMORY", "maxmem*").filter(([n]) => n.toLowerCase() === "maxmemory")).toEqual([["MAXMEMORY", "0"]]);
    expect(c.get("maxmem*", "MAXMEMORY").filter(([n]) => n.toLowerCase() === "maxmemory")).toEqual([["maxmemory", "0"]]);
    expect(c.get("hash-max-ziplist-entries")).toEqual([["hash-max-ziplist-entries", "512"]]);
    expect(c.get("nosuch")).toEqual([]);
  });

  test("memory values print as plain bytes and bools as yes/no after a set", () => {
    const c = new Config();
    expect(c.set([["maxmemory", "1gb"], ["protected-mode", "NO"], ["maxmemory-policy", "ALLKEYS-LRU"]])).toBeNull();
    expect(c.get("maxmemory", "protected-mode", "maxmemory-policy")).toEqual([
      ["maxmemory", "1073741824"],
      ["protected-mode", "no"],
      ["maxmemory-policy", "allkeys-lru"],
    ]);
  });

  test("values beyond 2^53 print with Redis's exact digits", () => {
    const c = new Config();
    expect(c.set([["slowlog-max-len", "9223372036854775807"]])).toBeNull();
    expect(getOne(c, "slowlog-max-len")).toBe("9223372036854775807");
    expect(c.set([["slowlog-max-len", "5"]])).toBeNull();
    expect(getOne(c, "slowlog-max-len")).toBe("5");
  });

  // Each row: what CONFIG SET notify-keyspace-events got, what CONFIG GET then answered on 7.0.
  const notifyRows: [string, string][] = [
    ["KEA", "AKE"],
    ["Ex", "xE"],
    ["A", "A"],
    ["KA", "AK"],
    ["KEg$lshzxetdm", "AKEm"],
    ["KEg$lshzxetdmn", "AKEm"],
    ["g$lshzxetd", "A"],
    ["Eg$lshzxetd", "AE"],
    ["AKEn", "AKE"],
    ["nKE", "nKE"],
    ["x", "x"],
    ["AA", "A"],
    ["", ""],
  ];
  for (const [input, shown] of notifyRows) {
    test(`notify-keyspace-events '${input}' prints as '${shown}'`, () => {
      const c = new Config();
      expect(c.set([["notify-keyspace-events", input]])).toBeNull();
      expect(getOne(c, "notify-keyspace-events")).toBe(shown);
    });
  }

  test("notify-keyspace-events keeps n set under A although it is not printed", () => {
    const c = new Config();
    c.set([["notify-keyspace-events", "AKEn"]]);
    expect(c.notifyKeyspaceEvents & NOTIFY.newKey).toBe(NOTIFY.newKey);
    expect(c.notifyKeyspaceEvents & NOTIFY.keyMiss).toBe(0);
  });
});

const failed = (arg: string, why: string) => `ERR CONFIG SET failed (possibly related to argument '${arg}') - ${why}`;

// Each row: pairs, the exact error redis-server 7.0.15 replied.
const errorRows: [[string, string][], string][] = [
  [[["daemonize", "yes"]], failed("daemonize", "can't set immutable config")],
  [[["DAEMONIZE", "yes"]], failed("DAEMONIZE", "can't set immutable config")],
  [[["databases", "16"]], failed("databases", "can't set immutable config")],
  [[["io-threads", "1"]], failed("io-threads", "can't set immutable config")],
  [[["cluster-enabled", "no"]], failed("cluster-enabled", "can't set immutable config")],
  [[["tcp-backlog", "5"]], failed("tcp-backlog", "can't set immutable config")],
  [[["logfile", "x"]], failed("logfile", "can't set immutable config")],
  [[["pidfile", "x"]], failed("pidfile", "can't set immutable config")],
  [[["dir", "/tmp"]], failed("dir", "can't set protected config")],
  [[["nosuch", "1"]], "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
  [[["Nosuch", "1"]], "ERR Unknown option or number of arguments for CONFIG SET - 'Nosuch'"],
  [[["maxmemory", "abc"]], failed("maxmemory", "argument must be a memory value")],
  [[["maxmemory", "1gb"], ["maxmemory", "2gb"]], failed("maxmemory", "duplicate parameter")],
  [[["MAXMEMORY", "1"], ["MaxMemory", "2"]], failed("MaxMemory", "duplicate parameter")],
  [[["hz", "100"], ["nosuch", "1"]], "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
  [[["hz", "10"], ["maxmemory", "abc"]], failed("maxmemory", "argument must be a memory value")],
  [[["maxmemory", "10"], ["daemonize", "yes"]], failed("daemonize", "can't set immutable config")],
  [[["daemonize", "yes"], ["nosuch", "1"]], failed("daemonize", "can't set immutable config")],
  [[["nosuch", "1"], ["daemonize", "yes"]], "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
  [[["maxmemory", "1"], ["maxmemory", "2"], ["daemonize", "yes"]], failed("maxmemory", "duplicate parameter")],
  [[["maxmemory", "abc"], ["hz", "abc"]], failed("maxmemory", "argument must be a memory value")],
  [[["hz", "-1"]], failed("hz", "argument must be between 0 and 2147483647 inclusive")],
  [[["hz", "10abc"]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["hz", "+10"]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["hz", " 10"]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["hz", "-0"]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["hz", "010"]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["hz", ""]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["hz", "99999999999"]], failed("hz", "argument must be between 0 and 2147483647 inclusive")],
  [[["hz", "9223372036854775808"]], failed("hz", "argument couldn't be parsed into an integer")],
  [[["maxmemory-policy", "foo"]], failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")],
  [[["loglevel", "bad"]], failed("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning")],
  [[["protected-mode", "maybe"]], failed("protected-mode", "argument must be 'yes' or 'no'")],
  [[["protected-mode", "1"]], failed("protected-mode", "argument must be 'yes' or 'no'")],
  [[["appendonly", "maybe"]], failed("appendonly", "argument must be 'yes' or 'no'")],
  [[["proto-max-bulk-len", "100kb"]], failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")],
  [[["proto-max-bulk-len", "-1"]], failed("proto-max-bulk-len", "argument must be a memory value")],
  [[["proto-max-bulk-len", "9223372036854775808"]], failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")],
  [[["timeout", "1k"]], failed("timeout", "argument couldn't be parsed into an integer")],
  [[["slowlog-log-slower-than", "-2"]], failed("slowlog-log-slower-than", "argument must be between -1 and 9223372036854775807 inclusive")],
  [[["slowlog-max-len", "-1"]], failed("slowlog-max-len", "argument must be between 0 and 9223372036854775807 inclusive")],
  [[["slowlog-max-len", "99999999999999999999"]], failed("slowlog-max-len", "argument couldn't be parsed into an integer")],
  [[["maxclients", "0"]], failed("maxclients", "argument must be between 1 and 4294967295 inclusive")],
  [[["maxclients", "4294967296"]], failed("maxclients", "argument must be between 1 and 4294967295 inclusive")],
  [[["port", "65536"]], failed("port", "argument must be between 0 and 65535 inclusive")],
  [[["maxmemory-samples", "0"]], failed("maxmemory-samples", "argument must be between 1 and 2147483647 inclusive")],
  [[["maxmemory-eviction-tenacity", "101"]], failed("maxmemory-eviction-tenacity", "argument must be between 0 and 100 inclusive")],
  [[["active-expire-effort", "11"]], failed("active-expire-effort", "argument must be between 1 and 10 inclusive")],
  [[["latency-monitor-threshold", "-1"]], failed("latency-monitor-threshold", "argument must be between 0 and 9223372036854775807 inclusive")],
  [[["stream-node-max-entries", "-1"]], failed("stream-node-max-entries", "argument must be between 0 and 9223372036854775807 inclusive")],
  [[["list-max-listpack-size", "3000000000"]], failed("list-max-listpack-size", "argument must be between -2147483648 and 2147483647 inclusive")],
  [[["set-max-intset-entries", "1kb"]], failed("set-max-intset-entries", "argument couldn't be parsed into an integer")],
  [[["hash-max-ziplist-entries", "abc"]], failed("hash-max-ziplist-entries", "argument couldn't be parsed into an integer")],
  [[["HASH-MAX-ZIPLIST-ENTRIES", "abc"]], failed("hash-max-ziplist-entries", "argument couldn't be parsed into an integer")],
  [[["notify-keyspace-events", "X"]], failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")],
  [[["notify-keyspace-events", "KEA "]], failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")],
  [[["notify-keyspace-events", "kea"]], failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")],
  [[["save", "3600 1 300"]], failed("save", "Invalid save parameters")],
  [[["save", "0 1"]], failed("save", "Invalid save parameters")],
  [[["save", "1 -1"]], failed("save", "Invalid save parameters")],
  [[["save", " 1 0"]], failed("save", "Invalid save parameters")],
  [[["save", "1x 2"]], failed("save", "Invalid save parameters")],
  [[["save", "10 1  20 2"]], failed("save", "Invalid save parameters")],
  [[["client-output-buffer-limit", "master 1 1 1"]], failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")],
  [[["client-output-buffer-limit", "foo 1 1 1"]], failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")],
  [[["client-output-buffer-limit", "normal 1 1"]], failed("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration.")],
  [[["client-output-buffer-limit", "normal 1  1 1"]], failed("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration.")],
  [[["client-output-buffer-limit", "normal 1 1 x"]], failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")],
  [[["client-output-buffer-limit", "normal -1 1 1"]], failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")],
  [[["client-output-buffer-limit", "normal 1 1 -1"]], failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")],
  [[["client-output-buffer-limit", "normal 1 1 0x10"]], failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")],
];

describe("CONFIG SET", () => {
  for (const [pairs, error] of errorRows) {
    test(`${pairs.map((p) => p.join(" ")).join(" ")} fails as 7.0 does`, () => {
      expect(new Config().set(pairs)).toBe(error);
    });
  }

  test("memkeep refuses changing shard-workers at run time; tls-port may change, as in Redis 7.0", () => {
    const c = new Config();
    expect(c.set([["shard-workers", "2"]])).toBe(failed("shard-workers", "can't set immutable config"));
    expect(c.set([["tls-port", "6380"]])).toBeNull();
    expect(c.tlsPort).toBe(6380);
  });

  test("the TLS file settings run their hooks even when set to the same value (that is how files reload)", () => {
    const c = new Config();
    let reloads = 0;
    let portChanges = 0;
    c.onChange("tls-cert-file", () => void reloads++);
    c.onChange("port", () => void portChanges++);
    expect(c.set([["tls-cert-file", "/x.crt"], ["port", String(c.port)]])).toBeNull();
    expect(c.set([["tls-cert-file", "/x.crt"], ["port", String(c.port)]])).toBeNull();
    expect({ reloads, portChanges }).toEqual({ reloads: 2, portChanges: 0 });
  });

  test("a failing pair leaves every earlier pair unset (all or nothing)", () => {
    const c = new Config();
    const before = c.get("*");
    expect(c.set([["hz", "50"], ["maxmemory", "1mb"], ["save", "60 1"], ["maxmemory-policy", "nope"]])).not.toBeNull();
    expect(c.get("*")).toEqual(before);
    expect(c.hz).toBe(10);
    expect(c.maxmemory).toBe(0);
  });

  test("several pairs set together", () => {
    const c = new Config();
    expect(c.set([["hz", "50"], ["maxmemory", "1mb"], ["save", "3600 1 300 100"], ["bind", "127.0.0.1 ::1"]])).toBeNull();
    expect(c.hz).toBe(50);
    expect(c.maxmemory).toBe(1048576);
    expect(getOne(c, "save")).toBe("3600 1 300 100");
    expect(c.bind).toEqual(["127.0.0.1", "::1"]);
  });

  test("hz is accepted from 0 to INT_MAX and stored clamped to 1..500", () => {
    const c = new Config();
    expect(c.set([["hz", "501"]])).toBeNull();
    expect(getOne(c, "hz")).toBe("500");
    expect(c.set([["hz", "0"]])).toBeNull();
    expect(getOne(c, "hz")).toBe("1");
  });

  test("a setting and its alias in one call are not duplicates; the later wins (7.0 behaviour)", () => {
    const c = new Config();
    expect(c.set([["hash-max-ziplist-entries", "5"], ["hash-max-listpack-entries", "6"]])).toBeNull();
    expect(c.get("hash-max-listpack-entries", "hash-max-ziplist-entries")).toEqual([
      ["hash-max-listpack-entries", "6"],
      ["hash-max-ziplist-entries", "6"],
    ]);
  });

  test("client-output-buffer-limit changes only the classes named, with units and aliases", () => {
    const c = new Config();
    const steps: [string, string][] = [
      ["normal 1mb 2mb 3", "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"],
      ["replica 1k 2kb 5", "normal 1048576 2097152 3 slave 1000 2048 5 pubsub 33554432 8388608 60"],
      ["slave 1 2 3", "normal 1048576 2097152 3 slave 1 2 3 pubsub 33554432 8388608 60"],
      ["pubsub 0 0 0 normal 5 5 5", "normal 5 5 5 slave 1 2 3 pubsub 0 0 0"],
      ["NORMAL 7 7 7", "normal 7 7 7 slave 1 2 3 pubsub 0 0 0"],
      ["", "normal 7 7 7 slave 1 2 3 pubsub 0 0 0"],
      ["normal 1 1 1 normal 2 2 2", "normal 2 2 2 slave 1 2 3 pubsub 0 0 0"],
      ["normal 1 1 +1", "normal 1 1 1 slave 1 2 3 pubsub 0 0 0"],
      ["normal 1 1 99999999999", "normal 1 1 1215752191 slave 1 2 3 pubsub 0 0 0"],
    ];
    for (const [value, shown] of steps) {
      expect(c.set([["client-output-buffer-limit", value]])).toBeNull();
      expect(getOne(c, "client-output-buffer-limit")).toBe(shown);
    }
    expect(c.clientOutputBufferLimit.replica).toEqual({ hardBytes: 1, softBytes: 2, softSeconds: 3 });
  });

  test("save and bind take an empty value as none; save keeps +N like strtoll", () => {
    const c = new Config();
    expect(c.set([["save", "+5 3"]])).toBeNull();
    expect(getOne(c, "save")).toBe("5 3");
    expect(c.set([["save", ""]])).toBeNull();
    expect(c.save).toEqual([]);
    expect(c.set([["bind", ""]])).toBeNull();
    expect(c.bind).toEqual([]);
  });

  test("requirepass and loglevel change at run time", () => {
    const c = new Config();
    expect(c.set([["requirepass", "foo bar"], ["loglevel", "WARNING"]])).toBeNull();
    expect(c.requirepass).toBe("foo bar");
    expect(getOne(c, "loglevel")).toBe("warning");
    expect(findSetting("requirepass")?.sensitive).toBe(true);
  });

  test("a change hook runs once per call, only when its value changed", () => {
    const c = new Config();
    const calls: string[] = [];
    c.onChange("maxmemory", () => void calls.push("maxmemory"));
    c.onChange("hash-max-ziplist-entries", () => void calls.push("hash"));
    c.onAnyChange(() => void calls.push("any"));
    expect(c.set([["maxmemory", "0"]])).toBeNull();
    expect(calls).toEqual([]);
    expect(c.set([["maxmemory", "1mb"], ["hash-max-listpack-entries", "7"], ["hash-max-ziplist-entries", "8"]])).toBeNull();
    expect(calls).toEqual(["maxmemory", "any", "hash"]);
  });

  test("a hook's veto restores every value and re-runs the hooks that already ran", () => {
    const c = new Config();
    const seen: number[] = [];
    c.onChange("maxmemory", (cfg) => void seen.push(cfg.maxmemory));
    c.onChange("port", (cfg) => (cfg.port === 1 ? "Unable to listen on this port. Check server logs." : undefined));
    expect(c.set([["maxmemory", "1mb"], ["port", "1"]])).toBe(
      failed("port", "Unable to listen on this port. Check server logs."),
    );
    expect(c.maxmemory).toBe(0);
    expect(c.port).toBe(6379);
    expect(seen).toEqual([1048576, 0]);
  });

  test("a removed hook no longer runs", () => {
    const c = new Config();
    let n = 0;
    const off = c.onChange("hz", () => void n++);
    c.set([["hz", "20"]]);
    off();
    c.set([["hz", "30"]]);
    expect(n).toBe(1);
  });

  test("values replaced by a set are new frozen objects; old references stay as they were", () => {
    const c = new Config();
    const old = c.clientOutputBufferLimit;
    c.set([["client-output-buffer-limit", "normal 1 2 3"]]);
    expect(old.normal.hardBytes).toBe(0);
    expect(Object.isFrozen(c.clientOutputBufferLimit)).toBe(true);
    expect(Object.isFrozen(c.bind)).toBe(true);
  });
});

describe("command line", () => {
  test("an optional config file comes first, then --name value options in order", () => {
    const p = parseArgs(["my.conf", "--port", "7000", "--dir", "./data-7000", "--shard-workers", "3"]);
    expect(p.configFile).toBe("my.conf");
    expect(args(p.directives)).toEqual([["port", "7000"], ["dir", "./data-7000"], ["shard-workers", "3"]]);
    expect(p.directives.every((d) => d.file === COMMAND_LINE)).toBe(true);
    expect(parseArgs(["--port", "7000"]).configFile).toBeNull();
  });

  test("an option takes every value up to the next --option", () => {
    const p = parseArgs(["--bind", "127.0.0.1", "::1", "--save", "60", "1", "--list-max-listpack-size", "-2"]);
    expect(args(p.directives)).toEqual([
      ["bind", "127.0.0.1", "::1"],
      ["save", "60", "1"],
      ["list-max-listpack-size", "-2"],
    ]);
  });

  test("--save with no value means save \"\"", () => {
    expect(args(parseArgs(["--save"]).directives)).toEqual([["save", ""]]);
    expect(args(parseArgs(["--save", "--hz", "20"]).directives)).toEqual([["save", ""], ["hz", "20"]]);
    expect(args(parseArgs(["--save", ""]).directives)).toEqual([["save", ""]]);
  });

  test("the argument right after an option name is its value even if it starts with --", () => {
    expect(args(parseArgs(["--requirepass", "--foo", "--hz", "5"]).directives)).toEqual([
      ["requirepass", "--foo"],
      ["hz", "5"],
    ]);
  });

  test("an option and its value in one argument are split", () => {
    expect(args(parseArgs(["--port 7000", "--hz", "5"]).directives)).toEqual([["port", "7000"], ["hz", "5"]]);
  });

  test("an option with no value fails like Redis: wrong number of arguments, text shown quoted", () => {
    const e = errorOf(() => Config.load(["--hz"]));
    expect(e.reason).toBe("wrong number of arguments");
    expect(e.text).toBe("hz");
    const bad = errorOf(() => Config.load(["--port", "abc"]));
    expect(bad.message).toBe(
      "Reading the configuration file (command line), at line 1\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer",
    );
  });

  test("a --save \"60 1\" value is split into a save point, as Redis does", () => {
    expect(getOne(Config.load(["--save", "60 1"]), "save")).toBe("60 1");
    expect(getOne(Config.load(["--save", "60", "1", "--save", "300", "10"]), "save")).toBe("60 1 300 10");
  });

  test("load applies defaults, then the file, then the flags (later wins)", () => {
    const file = write("load.conf", "port 7001\nhz 20\nmaxmemory 1mb\n");
    const c = Config.load([file, "--port", "7000", "--maxmemory", "2mb"]);
    expect(c.port).toBe(7000);
    expect(c.hz).toBe(20);
    expect(c.maxmemory).toBe(2 * 1048576);
    expect(c.tcpKeepalive).toBe(300);
  });

  test("a missing config file fails with Redis's message", () => {
    expect(errorOf(() => Config.load(["/nonexistent/memkeep.conf"])).message).toBe(
      "Fatal error, can't open config file '/nonexistent/memkeep.conf': No such file or directory",
    );
  });

  test("a bare value with no option before it is a bad directive", () => {
    expect(errorOf(() => Config.load(["-x"])).reason).toBe("Bad directive or wrong number of arguments");
  });
});

describe("snapshot for worker threads", () => {
  test("toJSON survives structuredClone and JSON and rebuilds an equal Config", () => {
    const c = new Config();
    c.set([["maxmemory", "99999999999999999999"], ["client-output-buffer-limit", "normal 1 2 3"], ["save", "60 1"]]);
    const viaClone = Config.fromJSON(structuredClone(c.toJSON()));
    const viaJson = Config.fromJSON(JSON.parse(JSON.stringify(c.toJSON())));
    expect(viaClone.get("*")).toEqual(c.get("*"));
    expect(viaJson.get("*")).toEqual(c.get("*"));
    expect(getOne(viaJson, "maxmemory")).toBe("18446744073709551615");
    expect(Object.isFrozen(viaJson.save)).toBe(true);
  });

  test("the example configuration file at the repo root loads", () => {
    const c = Config.load([join(import.meta.dir, "..", "memkeep.conf.example")]);
    expect(c.port).toBe(6379);
  });
});

describe("differential: the same CONFIG GET / SET against redis-server 7.0", () => {
  let redis: ReferenceRedis;
  beforeAll(async () => {
    redis = await startReferenceRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  async function redisGet(name: string): Promise<string | null> {
    const r = (await redis.command(["CONFIG", "GET", name])) as Reply[];
    return r.length === 0 ? null : replyText(r[1]);
  }
  async function redisSet(pairs: [string, string][]): Promise<string | null> {
    const r = await redis.command(["CONFIG", "SET", ...pairs.flat()]);
    return r instanceof Error ? r.message : null;
  }

  // Started with --port 0 --dir <tmp> --loglevel warning (see reference_redis.ts); the rest are
  // memkeep's own settings or deliberate differences in default.
  const notCompared = new Set(["port", "bind", "dir", "save", "loglevel", "shard-workers", "durability", "durability-async-max-lag-ms",
    "allow-cidr", "log-segment-bytes", "log-buffer-bytes", "snapshot-log-bytes", "snapshot-interval-seconds", "encryption-at-rest",
    "encryption-key-file"]);

  test("every Redis setting and alias we have prints the same default", async () => {
    const c = new Config();
    for (const spec of SETTINGS) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) {
        if (notCompared.has(spec.name)) continue;
        expect([name, getOne(c, name)]).toEqual([name, (await redisGet(name)) ?? "(missing)"]);
      }
    }
  });

  test("every refused CONFIG SET gets the same error text", async () => {
    for (const [pairs] of errorRows) {
      expect([pairs, new Config().set(pairs)]).toEqual([pairs, await redisSet(pairs)]);
    }
  });

  test("accepted CONFIG SETs leave the same values behind", async () => {
    const c = new Config();
    const steps: [string, string][][] = [
      [["maxmemory", "1kb"]],
      [["maxmemory", "99999999999999999999"]],
      [["maxmemory", "kb"]],
      [["hz", "501"]],
      [["hz", "0"]],
      [["hz", "10"], ["timeout", "5"], ["maxmemory-policy", "ALLKEYS-LRU"], ["protected-mode", "NO"]],
      [["hash-max-ziplist-entries", "5"], ["hash-max-listpack-entries", "6"]],
      [["hash-max-listpack-value", "1kb"], ["zset-max-ziplist-value", "2k"], ["stream-node-max-bytes", "1kb"]],
      [["slowlog-max-len", "9223372036854775807"], ["slowlog-log-slower-than", "-1"]],
      [["list-max-ziplist-size", "-5"], ["slave-read-only", "no"]],
      [["notify-keyspace-events", "KEg$lshzxetdmn"]],
      [["notify-keyspace-events", "Ex"]],
      [["client-output-buffer-limit", "normal 1mb 2mb 3 replica 1k 2kb 5"]],
      [["client-output-buffer-limit", "pubsub 0 0 0 normal 1 1 99999999999"]],
      [["lazyfree-lazy-user-flush", "yes"], ["activerehashing", "no"], ["dynamic-hz", "no"]],
    ];
    for (const pairs of steps) {
      expect([pairs, c.set(pairs)]).toEqual([pairs, await redisSet(pairs)]);
      for (const [name] of pairs) {
        const theirs = await redisGet(name);
        expect([name, getOne(c, name)]).toEqual([name, theirs ?? "(missing)"]);
      }
    }
    await redisSet([["maxmemory", "0"]]);
  });
});
