import { describe, expect, test, beforeEach, afterEach } from "bun:test";
import { mkdtempSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ObjEnc } from "../keyspace/table.ts";
import { LogRing, publishRings, Doorbell, createDoorbell } from "./ring.ts";
import { Replicator, SegmentWriter, recoverShard, listSegments } from "./shard_log.ts";
import { logDel, logPut, logFlush, logSwapDb } from "./effects.ts";
import { Op } from "./record.ts";
import { applyRecord } from "./apply.ts";
import { latestSnapshot, loadSnapshot, writeSnapshot } from "./snapshot.ts";
import { StaticKeyProvider } from "./keys.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/** Every key of every db: "db|key|value|expireAt", sorted. */
function digest(ks: Keyspace): string[] {
  const out: string[] = [];
  for (const t of ks.tables) {
    let c = 0;
    do {
      c = t.scanStep(c, (slot) => {
        const k = td.decode(t.keyCopy(slot));
        out.push(`${t.db(slot)}|${k}|${td.decode(t.valueView(slot))}|${t.expireAt(slot)}|${t.type(slot)}`);
      });
    } while (c !== 0);
  }
  return out.sort();
}

describe("snapshots and recovery of a keyspace", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-snap-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const encrypted of [false, true]) {
    test(`fuzzy snapshot under concurrent writes + log tail = final state (${encrypted ? "encrypted" : "plain"})`, () => {
      let keys: StaticKeyProvider | null = null;
      if (encrypted) {
        keys = new StaticKeyProvider();
        keys.add("m", new Uint8Array(32).fill(5));
      }
      const shards = 2;
      const ks = new Keyspace(createKeyspaceBuffers(shards, 16));
      ks.lockAll();
      const bell = createDoorbell();
      const rings = Array.from({ length: shards }, () => new LogRing(LogRing.create(1 << 20), bell));
      const writers = rings.map((_, s) => new SegmentWriter(dir, s, keys, 64 << 10));
      const rep = new Replicator(rings, writers, new Doorbell(bell));
      let seq = 0;
      const write = (db: number, k: string, v: string, expireAt = 0) => {
        const key = te.encode(k);
        const slot = ks.setString(db, key, te.encode(v), ObjEnc.raw, expireAt);
        expect(slot).toBeGreaterThanOrEqual(0);
        logPut(rings[ks.shardOf(key)], 1, ks.t, slot);
      };
      const del = (db: number, k: string) => {
        const key = te.encode(k);
        const slot = ks.lookup(db, key);
        if (slot < 0) return;
        ks.deleteSlot(ks.t, slot);
        logDel(rings[ks.shardOf(key)], 1, Op.del, ks.physicalDb(db), key);
      };
      for (let i = 0; i < 3000; i++) write(i % 3, `key:${i}`, `v${i}`, i % 5 === 0 ? 4_000_000_000_000 + i : 0);
      publishRings(); // the end of a worker turn
      rep.round();
      // Writes between snapshot chunks: updates, deletes, new keys that force table growth.
      const snaps = [0, 1].map((s) =>
        writeSnapshot(ks, s, dir, keys, {
          lock: () => {},
          unlock: () => {},
          appendedLsn: () => rings[s].appendedLsn(),
          between: () => {
            for (let j = 0; j < 40; j++) {
              const i = seq++;
              write(i % 3, `key:${(i * 7) % 5000}`, `late${i}`);
              if (i % 4 === 0) del(i % 3, `key:${(i * 13) % 3000}`);
            }
            publishRings(); // the end of a worker turn
            rep.round();
          },
        }),
      );
      expect(snaps[0].keys + snaps[1].keys).toBeGreaterThan(2500);
      logFlush(rings[1], 1, ks.physicalDb(2));
      ks.tables[1].clear(ks.physicalDb(2), (slot) => ks.freeValue(ks.tables[1], slot));
      ks.swapDb(0, 1);
      logSwapDb(rings[0], 1, 0, 1);
      write(0, "after-swap", "x");
      publishRings(); // the end of a worker turn
      rep.round();
      for (const w of writers) w.close();
      const want = digest(ks);
      ks.unlockAll();

      const ks2 = new Keyspace(createKeyspaceBuffers(shards, 16));
      ks2.lockAll();
      for (let s = 0; s < shards; s++) {
        const snap = latestSnapshot(dir, s);
        expect(snap).not.toBeNull();
        const loaded = loadSnapshot(ks2, s, snap!.path, keys);
        recoverShard(dir, s, keys, loaded.lsn, (r) => applyRecord(ks2, s, r));
      }
      expect(digest(ks2)).toEqual(want);
      expect(ks2.physicalDb(0)).toBe(1);
      ks2.unlockAll();
      // Segments wholly covered by the snapshot were removed.
      for (let s = 0; s < shards; s++) {
        const segs = listSegments(dir, s);
        expect(segs.length).toBeGreaterThan(0);
        expect(readdirSync(join(dir, `shard-${s}`)).filter((n) => n.startsWith("snap-")).length).toBe(1);
      }
    });
  }
});
