// The differential harness itself, with redis-server on both sides: two copies of the reference must
// agree on every stream apart from the written-down exceptions (which validates the exceptions list
// and the generators' care with time), and a real difference must fail with everything needed to
// reproduce it. Also pins the PRNG so a seed keeps meaning the same stream.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startRedis } from "../helpers/servers.ts";
import {
  DifferentialMismatch,
  Rng,
  integerWithin,
  planStream,
  registeredGroups,
  resolveGroups,
  runDifferential,
  shapeEqual,
  unorderedArrayEqual,
} from "./harness.ts";
import { keysExceptions } from "./keys_gen.ts";
import "./strings_gen.ts";

const groups = ["strings", "keys", "server"];
const bytes = (s: string) => new TextEncoder().encode(s);

describe("harness without servers", () => {
  test("xoshiro128** output for a seed is frozen, so printed seeds keep reproducing", () => {
    const rng = new Rng(42);
    const first = Array.from({ length: 6 }, () => rng.nextU32());
    expect(first).toEqual([2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290]);
  });

  test("a stream is a pure function of its seed and groups", () => {
    const show = (seed: number) => planStream(seed, 300, groups).map((p) => p.cmd.map((a) => (typeof a === "string" ? a : [...a].join(","))).join(" "));
    expect(show(9)).toEqual(show(9));
    expect(show(9)).not.toEqual(show(10));
  });

  test("every registered group can be selected and prefixes select whole families", () => {
    expect(resolveGroups(["strings"])).toEqual(registeredGroups().filter((g) => g.startsWith("strings.")));
    // Other test files in the same process register their own families: count only these.
    expect(resolveGroups(groups).length).toBe(registeredGroups().filter((g) => groups.some((f) => g.startsWith(`${f}.`))).length);
    expect(() => resolveGroups(["nosuch"])).toThrow("no generator group matches 'nosuch'");
  });

  test("shapeEqual ignores scalar contents but not types, sizes, nulls or errors", () => {
    expect(shapeEqual(bytes("*2\r\n$3\r\nabc\r\n:1\r\n"), bytes("*2\r\n$1\r\nz\r\n:9\r\n"))).toBe(true);
    expect(shapeEqual(bytes("$3\r\nabc\r\n"), bytes("$-1\r\n"))).toBe(false);
    expect(shapeEqual(bytes("*1\r\n:1\r\n"), bytes("*2\r\n:1\r\n:1\r\n"))).toBe(false);
    expect(shapeEqual(bytes("-ERR a\r\n"), bytes("-ERR b\r\n"))).toBe(false);
    expect(shapeEqual(bytes(":1\r\n"), bytes("$1\r\n1\r\n"))).toBe(false);
  });

  test("unorderedArrayEqual accepts a permutation and nothing else", () => {
    const ab = bytes("*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    expect(unorderedArrayEqual(ab, bytes("*2\r\n$1\r\nb\r\n$1\r\na\r\n"))).toBe(true);
    expect(unorderedArrayEqual(ab, bytes("*2\r\n$1\r\na\r\n$1\r\na\r\n"))).toBe(false);
    expect(unorderedArrayEqual(ab, bytes("*1\r\n$1\r\na\r\n"))).toBe(false);
  });

  test("integerWithin tolerates drift between positive TTLs only", () => {
    const within1 = integerWithin(1);
    expect(within1(bytes(":100\r\n"), bytes(":99\r\n"))).toBe(true);
    expect(within1(bytes(":100\r\n"), bytes(":98\r\n"))).toBe(false);
    expect(within1(bytes(":-1\r\n"), bytes(":-2\r\n"))).toBe(false);
    expect(within1(bytes(":1\r\n"), bytes(":-1\r\n"))).toBe(false);
    expect(within1(bytes(":0\r\n"), bytes(":1\r\n"))).toBe(false);
    // Exact beyond 2^53, where doubles would round both to the same or to 1024 apart.
    expect(integerWithin(1000)(bytes(":9223370241029914930\r\n"), bytes(":9223370241029915146\r\n"))).toBe(true);
    expect(within1(bytes(":9223370241029909\r\n"), bytes(":9223370241029911\r\n"))).toBe(false);
  });
});

describe("harness with redis-server on both sides", () => {
  let left: ServerHandle | undefined;
  let right: ServerHandle | undefined;
  let narrow: ServerHandle | undefined;

  beforeAll(async () => {
    const started = await Promise.allSettled([startRedis(), startRedis(), startRedis({ args: ["--databases", "2"] })]);
    [left, right, narrow] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
    for (const s of started) if (s.status === "rejected") throw s.reason;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([left?.stop(), right?.stop(), narrow?.stop()]);
  }, 30_000);

  test("two redis-servers agree on seeded streams apart from the listed exceptions", async () => {
    const seen = new Set<string>();
    for (const seed of [1, 2, 3]) {
      for (const pipeline of [undefined, { batchMax: 64 }]) {
        const report = await runDifferential({
          seed,
          count: 2000,
          groups,
          memkeepPort: left!.port,
          redisPort: right!.port,
          exceptions: keysExceptions,
          pipeline,
          labels: ["redis-a", "redis-b"],
        });
        expect(report.commands).toBe(2000);
        expect(report.cursorRuns).toBeGreaterThan(0);
        expect(report.finalKeys).toBeGreaterThan(0);
        for (const reason of Object.keys(report.underException)) seen.add(reason);
      }
    }
    // Every exception is exercised, so none is dead text.
    expect([...seen].sort()).toEqual(keysExceptions.map((e) => e.reason).sort());
  }, 60_000);

  test("two redis-servers agree on every family run on its own", async () => {
    for (const family of resolveGroups(groups)) {
      await runDifferential({
        seed: 7,
        count: 500,
        groups: [family, "strings.set"],
        memkeepPort: left!.port,
        redisPort: right!.port,
        exceptions: keysExceptions,
        labels: ["redis-a", "redis-b"],
      });
    }
  }, 60_000);

  test("a server that dies mid-stream aborts the run with the seed and the command in flight", async () => {
    const doomed = await startRedis();
    try {
      const running = runDifferential({
        seed: 8,
        count: 10_000_000,
        groups,
        memkeepPort: doomed.port,
        redisPort: right!.port,
        exceptions: keysExceptions,
      });
      await Bun.sleep(300);
      doomed.kill("SIGKILL");
      const error = (await running.catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(DifferentialMismatch);
      expect(error.message).toMatch(/^differential run aborted: memkeep: /);
      expect(error.message).toMatch(/seed 8, command #\d+ of 10000000/);
      expect(error.message).toContain("  command: ");
    } finally {
      await doomed.stop();
    }
  }, 60_000);

  test("a real difference fails with the seed, command index, command and both replies", async () => {
    // One side has 2 databases, the other 16: the first SELECT/MOVE/SWAPDB past db 1 differs.
    const error = await runDifferential({
      seed: 5,
      count: 2000,
      groups: ["keys.db"],
      memkeepPort: narrow!.port,
      redisPort: right!.port,
      exceptions: keysExceptions,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DifferentialMismatch);
    const mismatch = error as DifferentialMismatch;
    expect(mismatch.seed).toBe(5);
    expect(mismatch.index).toBeGreaterThanOrEqual(0);
    expect(mismatch.message).toContain("seed 5");
    expect(mismatch.message).toContain(`command #${mismatch.index} of 2000`);
    expect(mismatch.message).toMatch(/command: (SELECT|MOVE|SWAPDB|select|move|swapdb)/i);
    expect(mismatch.message).toContain('memkeep: "-ERR DB index is out of range\\r\\n"');
    expect(mismatch.message).toMatch(/redis: {3}"(\+OK|:[01])\\r\\n"/);
    expect(mismatch.message).toContain("reproduce: runDifferential({ seed: 5");
  }, 60_000);
});
