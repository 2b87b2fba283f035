// memkeep against redis-server 7.0 on the list commands: seeded command streams (lists_gen.ts, with
// the string setters for WRONGTYPE keys) must get byte-identical replies, sequentially and pipelined,
// and the final contents of every key must match; each family also runs on its own so a failure
// names it. Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (run with 1 and 3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startBoth } from "../helpers/servers.ts";
import { type DifferentialOptions, DifferentialMismatch, resolveGroups, runDifferential } from "./harness.ts";
import "./strings_gen.ts";
import "./lists_gen.ts";

const groups = ["lists", "strings.set"];

let memkeep: ServerHandle | undefined;
let redis: ServerHandle | undefined;

beforeAll(async () => {
  [memkeep, redis] = await startBoth();
}, 60_000);

afterAll(async () => {
  await Promise.all([memkeep?.stop(), redis?.stop()]);
}, 30_000);

async function run(opts: Omit<DifferentialOptions, "memkeepPort" | "redisPort">) {
  if (!memkeep || !redis) throw new Error("servers did not start (see beforeAll)");
  try {
    return await runDifferential({ ...opts, memkeepPort: memkeep.port, redisPort: redis.port });
  } catch (error) {
    if (error instanceof DifferentialMismatch) throw error;
    throw new Error(`${(error as Error).message}\n--- memkeep stderr (tail) ---\n${memkeep.stderr().slice(-4000)}`);
  }
}

describe("list streams reply byte for byte as redis-server 7.0 does", () => {
  for (const seed of [1, 2, 3]) {
    test(`list stream from seed ${seed} (2500 commands)`, async () => {
      const report = await run({ seed, count: 2500, groups });
      expect(report.commands).toBe(2500);
    }, 90_000);
  }

  test("pipelined batches of up to 64 commands (seed 101)", async () => {
    const report = await run({ seed: 101, count: 2500, groups, pipeline: { batchMax: 64 } });
    expect(report.commands).toBe(2500);
  }, 90_000);

  test("small nodes (list-max-listpack-size 2) change nothing visible (seed 55)", async () => {
    const setup = [["FLUSHALL"], ["SELECT", "0"], ["CONFIG", "SET", "list-max-listpack-size", "2"]];
    const report = await run({ seed: 55, count: 1500, groups, setupCommands: setup });
    expect(report.commands).toBe(1500);
    await run({ seed: 56, count: 1, groups, setupCommands: [["CONFIG", "SET", "list-max-listpack-size", "-2"]] });
  }, 90_000);
});

describe("each list family on its own matches redis-server 7.0", () => {
  for (const family of resolveGroups(["lists"])) {
    test(`family ${family}`, async () => {
      const report = await run({ seed: 11, count: 700, groups: [family, "lists.push"] });
      expect(report.commands).toBe(700);
    }, 60_000);
  }
});
