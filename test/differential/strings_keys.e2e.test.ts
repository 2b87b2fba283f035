// memkeep against redis-server 7.0 on the string and keyspace commands: seeded command streams must get
// byte-identical replies (apart from keysExceptions), sequentially and pipelined, and each command
// family is also run on its own so a failure names its family.
//
// Shard workers come from MEMKEEP_TEST_SHARD_WORKERS (scripts/test.sh runs this file with 1 and 3).
// MEMKEEP_LONG_TESTS=1 adds a soak over many more seeds.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ServerHandle, startBoth } from "../helpers/servers.ts";
import { type DifferentialOptions, DifferentialMismatch, resolveGroups, runDifferential } from "./harness.ts";
import { keysExceptions } from "./keys_gen.ts";
import "./strings_gen.ts";

const groups = ["strings", "keys", "server"];
const longTests = process.env.MEMKEEP_LONG_TESTS === "1";

let memkeep: ServerHandle | undefined;
let redis: ServerHandle | undefined;

beforeAll(async () => {
  [memkeep, redis] = await startBoth();
}, 60_000);

afterAll(async () => {
  await Promise.all([memkeep?.stop(), redis?.stop()]);
}, 30_000);

/** Runs a stream; a crash or hang (not a reply difference) also shows the tail of memkeep's stderr. */
async function run(opts: Omit<DifferentialOptions, "memkeepPort" | "redisPort" | "exceptions">) {
  if (!memkeep || !redis) throw new Error("servers did not start (see beforeAll)");
  try {
    return await runDifferential({ ...opts, memkeepPort: memkeep.port, redisPort: redis.port, exceptions: keysExceptions });
  } catch (error) {
    if (error instanceof DifferentialMismatch) throw error;
    throw new Error(`${(error as Error).message}\n--- memkeep stderr (tail) ---\n${memkeep.stderr().slice(-4000)}`);
  }
}

describe("memkeep replies byte for byte as redis-server 7.0 does", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    test(`string and keyspace stream from seed ${seed} (2000 commands)`, async () => {
      const report = await run({ seed, count: 2000, groups });
      expect(report.commands).toBe(2000);
    }, 60_000);
  }

  test("pipelined batches of up to 64 commands (seeds 101, 102)", async () => {
    for (const seed of [101, 102]) {
      const report = await run({ seed, count: 2000, groups, pipeline: { batchMax: 64 } });
      expect(report.commands).toBe(2000);
    }
  }, 60_000);

  if (longTests) {
    test("soak: 40 seeds of 5000 commands, half of them pipelined", async () => {
      for (let seed = 1000; seed < 1040; seed++) {
        await run({ seed, count: 5000, groups, pipeline: seed % 2 === 0 ? { batchMax: 128 } : undefined });
      }
    }, 900_000);
  }
});

describe("each command family on its own matches redis-server 7.0", () => {
  for (const family of resolveGroups(groups)) {
    test(`family ${family}`, async () => {
      // strings.set rides along so every family finds keys to work on.
      const report = await run({ seed: 7, count: 800, groups: [family, "strings.set"] });
      expect(report.commands).toBe(800);
    }, 60_000);
  }
});
