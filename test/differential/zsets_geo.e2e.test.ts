// memkeep against redis-server 7.0 on the sorted-set and GEO commands: seeded streams must get
// byte-identical replies (ZRANDMEMBER compared by shape, ZSCAN iterated and compared as sets),
// sequentially and pipelined, and the final state check compares every zset's members, scores and
// OBJECT ENCODING. Each family also runs on its own so a failure names it. Shard workers come from
// MEMKEEP_TEST_SHARD_WORKERS (run with 1 and 3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startBoth } from "../helpers/servers.ts";
import { type DifferentialOptions, DifferentialMismatch, resolveGroups, runDifferential } from "./harness.ts";
import { keysExceptions } from "./keys_gen.ts";
import "./strings_gen.ts";
import "./sets_gen.ts";
import "./zsets_gen.ts";
import "./geo_gen.ts";

const groups = ["zsets", "geo"];

let memkeep: ServerHandle | undefined;
let redis: ServerHandle | undefined;

beforeAll(async () => {
  [memkeep, redis] = await startBoth();
}, 60_000);

afterAll(async () => {
  await Promise.all([memkeep?.stop(), redis?.stop()]);
}, 30_000);

async function run(opts: Omit<DifferentialOptions, "memkeepPort" | "redisPort" | "exceptions">) {
  if (!memkeep || !redis) throw new Error("servers did not start (see beforeAll)");
  try {
    return await runDifferential({ ...opts, memkeepPort: memkeep.port, redisPort: redis.port, exceptions: keysExceptions });
  } catch (error) {
    if (error instanceof DifferentialMismatch) throw error;
    throw new Error(`${(error as Error).message}\n--- memkeep stderr (tail) ---\n${memkeep.stderr().slice(-4000)}`);
  }
}

describe("sorted-set and GEO streams reply byte for byte as redis-server 7.0", () => {
  for (const seed of [1, 2, 3]) {
    test(`mixed stream from seed ${seed} (2000 commands)`, async () => {
      const report = await run({ seed, count: 2000, groups });
      expect(report.commands).toBe(2000);
    }, 60_000);
  }

  test("pipelined batches of up to 64 commands (seed 101)", async () => {
    const report = await run({ seed: 101, count: 2000, groups, pipeline: { batchMax: 64 } });
    expect(report.commands).toBe(2000);
  }, 60_000);
});

describe("each family on its own", () => {
  for (const family of resolveGroups(groups)) {
    test(`family ${family}`, async () => {
      const report = await run({ seed: 7, count: 800, groups: [family] });
      expect(report.commands).toBe(800);
    }, 60_000);
  }
});
