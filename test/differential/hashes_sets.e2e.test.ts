// memkeep against redis-server 7.0 on the hash and set commands: seeded command streams must get
// byte-identical replies apart from hashesSetsExceptions (dict walk order) and the random commands
// (compared by shape), sequentially and pipelined, and each family alone. Strings ride along so
// WRONGTYPE paths run. Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (run with 1 and 3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startBoth } from "../helpers/servers.ts";
import { type DifferentialOptions, DifferentialMismatch, resolveGroups, runDifferential } from "./harness.ts";
import { hashesSetsExceptions } from "./hashes_gen.ts";
import "./sets_gen.ts";
import "./strings_gen.ts";

const groups = ["hashes", "sets", "strings.set"];

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
    return await runDifferential({ ...opts, memkeepPort: memkeep.port, redisPort: redis.port, exceptions: hashesSetsExceptions });
  } catch (error) {
    if (error instanceof DifferentialMismatch) throw error;
    throw new Error(`${(error as Error).message}\n--- memkeep stderr (tail) ---\n${memkeep.stderr().slice(-4000)}`);
  }
}

describe("hash and set streams reply as redis-server 7.0 does", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed} (2000 commands)`, async () => {
      const report = await run({ seed, count: 2000, groups });
      expect(report.commands).toBe(2000);
    }, 60_000);
  }
  test("pipelined batches of up to 64 commands (seed 101)", async () => {
    const report = await run({ seed: 101, count: 2000, groups, pipeline: { batchMax: 64 } });
    expect(report.commands).toBe(2000);
  }, 60_000);
});

describe("each hash and set family on its own", () => {
  for (const family of resolveGroups(["hashes", "sets"])) {
    test(`family ${family}`, async () => {
      const writer = family.startsWith("hashes") ? "hashes.write" : "sets.write";
      const report = await run({ seed: 7, count: 600, groups: [family, writer, "strings.set"] });
      expect(report.commands).toBe(600);
    }, 60_000);
  }
});
