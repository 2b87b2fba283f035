// memkeep against redis-server 7.0 on the stream commands: seeded command streams (explicit IDs, see
// streams_gen.ts) must get byte-identical replies apart from streamsExceptions, sequentially and
// pipelined, and each family is also run on its own so a failure names its family. Nodes hold 5
// entries (stream-node-max-entries) so approximate trimming and node release are exercised.
//
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (run with 1 and 3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startBoth } from "../helpers/servers.ts";
import { type DifferentialOptions, DifferentialMismatch, resolveGroups, runDifferential } from "./harness.ts";
import { streamsExceptions } from "./streams_gen.ts";

const groups = ["streams"];

let memkeep: ServerHandle | undefined;
let redis: ServerHandle | undefined;

beforeAll(async () => {
  [memkeep, redis] = await startBoth();
}, 60_000);

afterAll(async () => {
  await Promise.all([memkeep?.stop(), redis?.stop()]);
}, 30_000);

async function run(opts: Omit<DifferentialOptions, "memkeepPort" | "redisPort" | "exceptions" | "setupCommands">) {
  if (!memkeep || !redis) throw new Error("servers did not start (see beforeAll)");
  try {
    return await runDifferential({
      ...opts,
      memkeepPort: memkeep.port,
      redisPort: redis.port,
      exceptions: streamsExceptions,
      setupCommands: [["FLUSHALL"], ["SELECT", "0"], ["CONFIG", "SET", "stream-node-max-entries", "5"]],
    });
  } catch (error) {
    if (error instanceof DifferentialMismatch) throw error;
    throw new Error(`${(error as Error).message}\n--- memkeep stderr (tail) ---\n${memkeep.stderr().slice(-4000)}`);
  }
}

describe("stream commands reply byte for byte as redis-server 7.0 does", () => {
  for (const seed of [1, 2, 3]) {
    test(`stream command stream from seed ${seed} (2000 commands)`, async () => {
      const report = await run({ seed, count: 2000, groups });
      expect(report.commands).toBe(2000);
    }, 60_000);
  }

  test("pipelined batches of up to 64 commands (seed 101)", async () => {
    const report = await run({ seed: 101, count: 2000, groups, pipeline: { batchMax: 64 } });
    expect(report.commands).toBe(2000);
  }, 60_000);
});

describe("each stream command family on its own matches redis-server 7.0", () => {
  for (const family of resolveGroups(groups)) {
    test(`family ${family}`, async () => {
      // streams.add rides along so every family finds streams to work on.
      const report = await run({ seed: 7, count: 600, groups: [family, "streams.add"] });
      expect(report.commands).toBe(600);
    }, 60_000);
  }
});
