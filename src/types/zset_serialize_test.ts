// Sorted sets as self-contained bytes (shard log records, snapshots): both forms round-trip with the
// same members, bit-identical scores, the same order and form, the member index rebuilt at the same
// capacity; bytes are stable across round trips; a rebuilt set keeps working under further changes;
// freeing it returns the arena to its baseline; a full arena leaves nothing allocated.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Arena } from "../keyspace/arena.ts";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { createDoorbell, Doorbell, LogRing, publishRings } from "../log/ring.ts";
import { Replicator, SegmentWriter, recoverShard } from "../log/shard_log.ts";
import { logPut } from "../log/effects.ts";
import { applyRecord } from "../log/apply.ts";
import { latestSnapshot, loadSnapshot, writeSnapshot } from "../log/snapshot.ts";
import { typeOps } from "./registry.ts";
import "../commands/zsets.ts"; // registers the zset TypeOps
import {
  isCompact,
  nodeMemberLen,
  nodeMemberOff,
  nodeNext,
  nodeScore,
  readDesc,
  writeDesc,
  zsAtRank,
  zsCheck,
  zsConvert,
  zsCreate,
  zsDelete,
  zsDeserialize,
  zsFind,
  zsFirst,
  zsFree,
  zsInsert,
  zsLength,
  zsRank,
  zsSerialize,
  zsSerialVersion,
  zsUpdateScore,
} from "./zset.ts";

const te = new TextEncoder();
const bitsView = new DataView(new ArrayBuffer(8));
function bits(x: number): string {
  bitsView.setFloat64(0, x, true);
  return bitsView.getBigUint64(0, true).toString(16);
}
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Every member (hex) and score (f64 bits) in set order, and nothing else. */
function contents(a: Arena, d: number): string[] {
  const out: string[] = [];
  for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) {
    const off = nodeMemberOff(a, n);
    out.push(`${hex(a.u8.slice(off, off + nodeMemberLen(a, n)))}=${bits(nodeScore(a, n))}`);
  }
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const specialScores = [
  0, -0, 1, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769, 2147483647, 2147483648, -2147483648, -2147483649,
  Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53, 2 ** 53 + 2, 0.1, 1 / 3, -2.5e-310,
];

/** A random non-NaN double from random bits (any exponent, subnormals, infinities). */
function randomDouble(r: () => number): number {
  for (;;) {
    bitsView.setUint32(0, (r() * 2 ** 32) >>> 0, true);
    bitsView.setUint32(4, (r() * 2 ** 32) >>> 0, true);
    const x = bitsView.getFloat64(0, true);
    if (!Number.isNaN(x)) return x;
  }
}

function randomScore(r: () => number): number {
  const p = r();
  if (p < 0.35) return Math.floor(r() * 200) - 100;
  if (p < 0.55) return specialScores[Math.floor(r() * specialScores.length)];
  if (p < 0.75) return Math.floor(r() * 2 ** 40) - 2 ** 39;
  return randomDouble(r);
}

function randomMember(r: () => number, long: boolean): Uint8Array {
  const p = r();
  const len = p < 0.02 ? 0 : p < 0.9 ? 1 + Math.floor(r() * 2) : long && p < 0.91 ? 66000 + Math.floor(r() * 5000) : 3 + Math.floor(r() * 400);
  const m = new Uint8Array(len);
  // About 600 distinct short members, so updates and deletes hit existing ones; any byte value.
  for (let i = 0; i < len; i++) m[i] = len < 3 ? Math.floor(r() * 24) * 11 : Math.floor(r() * 256);
  return m;
}

/** A set built by random inserts, score updates and deletes (so it has lived: index grown, holes). */
function livedIn(a: Arena, compact: boolean, steps: number, seed: number): number {
  const d = zsCreate(a, compact);
  const r = rng(seed);
  for (let i = 0; i < steps; i++) {
    const m = randomMember(r, !compact);
    const n = zsFind(a, d, m, 0, m.length);
    const op = r();
    if (n === 0) expect(zsInsert(a, d, randomScore(r), m, 0, m.length)).not.toBe(0);
    else if (op < 0.6) zsUpdateScore(a, d, n, randomScore(r));
    else zsDelete(a, d, n);
  }
  return d;
}

function build(a: Arena, compact: boolean, count: number, score: (i: number) => number, member = (i: number) => `m:${i}`): number {
  const d = zsCreate(a, compact);
  for (let i = 0; i < count; i++) {
    const m = te.encode(member(i));
    expect(zsInsert(a, d, score(i), m, 0, m.length)).not.toBe(0);
  }
  return d;
}

/** Round trip into a fresh arena: same contents and form, stable bytes, invariants, clean free. */
function roundTrip(a: Arena, d: number): { b: Arena; copy: number; bytes: Uint8Array } {
  const bytes = zsSerialize(a, d);
  expect(bytes[0]).toBe(zsSerialVersion);
  const b = new Arena(Arena.create());
  const base = b.usedBytes;
  const copy = zsDeserialize(b, bytes);
  expect(copy).not.toBe(0);
  zsCheck(b, copy);
  expect(isCompact(b, copy)).toBe(isCompact(a, d));
  expect(zsLength(b, copy)).toBe(zsLength(a, d));
  expect(contents(b, copy)).toEqual(contents(a, d));
  expect(hex(zsSerialize(b, copy))).toBe(hex(bytes));
  // The source is untouched by serializing.
  zsCheck(a, d);
  const again = zsDeserialize(b, bytes);
  zsFree(b, again);
  zsFree(b, copy);
  expect(b.usedBytes).toBe(base);
  return { b, copy: zsDeserialize(b, bytes), bytes };
}

describe("zset serialize / deserialize", () => {
  test("the frozen format: version, form, index capLog2, count, then (len*4+kind, member, score) in set order", () => {
    for (const compact of [true, false]) {
      const a = new Arena(Arena.create());
      const d = build(a, compact, 3, (i) => [1, -0, 1.5][i], (i) => "abc"[i]);
      const want = [zsSerialVersion, compact ? 1 : 0, 0, 3];
      // -0 sorts with 0, before 1: "b" (f64 -0), "a" (int8 1), "c" (f64 1.5).
      want.push(1 * 4 + 3, 0x62, 0, 0, 0, 0, 0, 0, 0, 0x80);
      want.push(1 * 4 + 0, 0x61, 1);
      want.push(1 * 4 + 3, 0x63, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f);
      expect([...zsSerialize(a, d)]).toEqual(want);
    }
  });

  test("scores come back bit-identical in both forms: -0, infinities, subnormals, every integer width edge", () => {
    for (const compact of [true, false]) {
      const a = new Arena(Arena.create());
      const d = build(a, compact, specialScores.length, (i) => specialScores[i]);
      const { b, copy } = roundTrip(a, d);
      const got = new Map<string, string>();
      for (let n = zsFirst(b, copy); n !== 0; n = nodeNext(b, n)) {
        const off = nodeMemberOff(b, n);
        got.set(Buffer.from(b.u8.slice(off, off + nodeMemberLen(b, n))).toString(), bits(nodeScore(b, n)));
      }
      specialScores.forEach((s, i) => expect(got.get(`m:${i}`)).toBe(bits(s)));
    }
  });

  for (const compact of [true, false]) {
    for (const count of [0, 1, 7, 128, 129, 1000]) {
      test(`${compact ? "compact" : "skiplist"} form, ${count} members: round trip into another arena`, () => {
        const a = new Arena(Arena.create());
        const d = build(a, compact, count, (i) => (i % 3 === 0 ? i * 0.5 : i % 7) - 3);
        const { bytes } = roundTrip(a, d);
        // Only the skiplist past the linear-walk limit has an index.
        expect(bytes[2] !== 0).toBe(!compact && count > 128);
      });
    }
  }

  test("skiplist form, 100k members: round trip with the index rebuilt; throughput", () => {
    const a = new Arena(Arena.create());
    const d = build(a, false, 100000, (i) => (i * 7919) % 100000, (i) => `member:${i}`);
    let t0 = performance.now();
    const bytes = zsSerialize(a, d);
    const serMs = performance.now() - t0;
    const b = new Arena(Arena.create());
    const base = b.usedBytes;
    t0 = performance.now();
    const copy = zsDeserialize(b, bytes);
    const deMs = performance.now() - t0;
    console.log(`zset 100k: serialize ${serMs.toFixed(1)} ms, deserialize ${deMs.toFixed(1)} ms, ${bytes.length} bytes`);
    expect(contents(b, copy)).toEqual(contents(a, d));
    for (let k = 0; k < 100000; k += 997) {
      const n = zsAtRank(b, copy, k);
      expect(nodeScore(b, n)).toBe(k);
      expect(zsRank(b, copy, n)).toBe(k);
      const m = te.encode(`member:${(k * 10163) % 100000}`); // 7919 * 10163 = 1 mod 100000
      expect(zsFind(b, copy, m, 0, m.length)).not.toBe(0);
    }
    expect(hex(zsSerialize(b, copy))).toBe(hex(bytes));
    zsFree(b, copy);
    expect(b.usedBytes).toBe(base);
    zsFree(a, d);
  });

  for (const compact of [true, false]) {
    test(`${compact ? "compact" : "skiplist"} form: random lived-in sets match after a round trip, then keep working like the original`, () => {
      let indexed = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const a = new Arena(Arena.create());
        const d = livedIn(a, compact, [100, 400, 2500][seed % 3], seed);
        const { b, copy, bytes } = roundTrip(a, d);
        if (bytes[2] !== 0) indexed++;
        // The same random changes on both keep them equal (spans, tail and index were rebuilt right).
        const r1 = rng(seed * 1000);
        const r2 = rng(seed * 1000);
        for (let i = 0; i < 600; i++) {
          for (const [arena, set, r] of [[a, d, r1], [b, copy, r2]] as const) {
            const m = randomMember(r, !compact);
            const n = zsFind(arena, set, m, 0, m.length);
            const op = r();
            const s = randomScore(r);
            if (n === 0) zsInsert(arena, set, s, m, 0, m.length);
            else if (op < 0.5) zsUpdateScore(arena, set, n, s);
            else zsDelete(arena, set, n);
          }
          if (i % 150 === 0) {
            expect(contents(b, copy)).toEqual(contents(a, d));
            const len = zsLength(a, d);
            if (len > 0) {
              const k = i % len;
              expect(zsRank(b, copy, zsAtRank(b, copy, k))).toBe(k);
            }
          }
        }
        zsCheck(b, copy);
        expect(contents(b, copy)).toEqual(contents(a, d));
      }
      // Both kinds of skiplist were covered: with the member index and without.
      if (!compact) expect(indexed > 0 && indexed < 12).toBe(true);
    }, 30_000);
  }

  test("a set whose index outlived its members keeps the index and its capacity (ZSCAN buckets)", () => {
    const a = new Arena(Arena.create());
    const d = build(a, false, 1000, (i) => i);
    for (let i = 0; i < 990; i++) {
      const m = te.encode(`m:${i}`);
      zsDelete(a, d, zsFind(a, d, m, 0, m.length));
    }
    const { bytes, b, copy } = roundTrip(a, d);
    expect(bytes[2]).toBe(a.u32[d * 2 + 5]);
    expect(b.u32[copy * 2 + 4]).not.toBe(0);
    expect(b.u32[copy * 2 + 5]).toBe(a.u32[d * 2 + 5]);
  });

  test("a set left compact under the skiplist label (full arena at conversion) stays compact, even past 128 members", () => {
    const a = new Arena(Arena.create());
    const d = build(a, true, 3000, (i) => i % 50);
    const { b, copy } = roundTrip(a, d);
    expect(isCompact(b, copy)).toBe(true);
    expect(zsConvert(b, copy)).toBe(true);
    zsCheck(b, copy);
    expect(contents(b, copy)).toEqual(contents(a, d));
  });

  test("the TypeOps hooks: every set is serialized, the block is a 4-byte descriptor, the same arena works too", () => {
    const ops = typeOps[ObjType.zset]!;
    for (const [compact, enc] of [[true, ObjEnc.listpack], [false, ObjEnc.skiplist]] as const) {
      const a = new Arena(Arena.create());
      const d = livedIn(a, compact, 300, 99);
      const blockOff = a.alloc(8) * 8;
      writeDesc(a.u8, blockOff, d);
      const bytes = ops.serialize!(a, blockOff, 4, enc)!;
      expect(bytes).not.toBeNull();
      const base = a.usedBytes;
      const block = ops.deserialize!(a, bytes, enc)!;
      expect(block.length).toBe(4);
      const copy = readDesc(block, 0);
      zsCheck(a, copy);
      expect(contents(a, copy)).toEqual(contents(a, d));
      a.u8.set(block, blockOff);
      ops.free(a, blockOff, 4, enc);
      expect(a.usedBytes).toBe(base);
      // A block whose descriptor is 0 (a clone that failed half way) owns nothing: logged as it is.
      writeDesc(a.u8, blockOff, 0);
      expect(ops.serialize!(a, blockOff, 4, enc)).toBeNull();
    }
  });
});

/** An arena whose alloc fails after `allowed` more successes (every failure point, one at a time). */
class FailingArena extends Arena {
  allowed = Infinity;
  override alloc(n: number): number {
    if (this.allowed <= 0) return 0;
    this.allowed--;
    return super.alloc(n);
  }
}

describe("zset deserialize on a full arena", () => {
  for (const [compact, count] of [[true, 40], [false, 60], [false, 300]] as const) {
    test(`${compact ? "compact" : "skiplist"} form, ${count} members: a failure at any allocation leaves nothing allocated`, () => {
      const a = new Arena(Arena.create());
      const bytes = zsSerialize(a, build(a, compact, count, (i) => i / 4));
      const f = new FailingArena(Arena.create());
      f.alloc(24); // something else lives there
      const base = f.usedBytes;
      let failures = 0;
      for (let allowed = 0; ; allowed++) {
        f.allowed = allowed;
        const d = zsDeserialize(f, bytes);
        f.allowed = Infinity;
        if (d !== 0) {
          zsCheck(f, d);
          zsFree(f, d);
          expect(f.usedBytes).toBe(base);
          break;
        }
        expect(f.usedBytes).toBe(base);
        failures++;
      }
      // Descriptor + buffer, or descriptor + header (+ index) + a node per member (+ a taller header).
      expect(failures).toBeGreaterThanOrEqual(compact ? 2 : count + 2);
    });
  }

  test("an arena that cannot grow: deserialize and the hook return nothing and allocate nothing", () => {
    const a = new Arena(Arena.create());
    const bytes = zsSerialize(a, build(a, false, 20000, (i) => i, (i) => `a-longer-member-name:${i}`));
    const sab = new SharedArrayBuffer(1 << 20, { maxByteLength: 1 << 20 });
    new Uint8Array(sab).set(new Uint8Array(Arena.create(8192)).subarray(0, 4096));
    const small = new Arena(sab);
    const base = small.usedBytes;
    expect(zsDeserialize(small, bytes)).toBe(0);
    expect(small.usedBytes).toBe(base);
    expect(typeOps[ObjType.zset]!.deserialize!(small, bytes, ObjEnc.skiplist)).toBeNull();
    expect(small.usedBytes).toBe(base);
    // A small one still fits afterwards: the failed attempts left the arena usable.
    const little = zsSerialize(a, build(a, true, 10, (i) => i));
    const d = zsDeserialize(small, little);
    expect(d).not.toBe(0);
    zsFree(small, d);
    expect(small.usedBytes).toBe(base);
  });
});

/** Every zset key: "db|key|enc|form|members and scores", sorted. */
function zsetDigest(ks: Keyspace): string[] {
  const out: string[] = [];
  for (const t of ks.tables) {
    let c = 0;
    do {
      c = t.scanStep(c, (slot) => {
        const d = readDesc(t.arena.u8, t.valueOffset(slot));
        zsCheck(t.arena, d);
        const head = `${t.db(slot)}|${hex(t.keyCopy(slot))}|${t.encoding(slot)}|${isCompact(t.arena, d)}`;
        out.push(`${head}|${contents(t.arena, d).join(",")}`);
      });
    } while (c !== 0);
  }
  return out.sort();
}

describe("zsets through the shard log", () => {
  test("a snapshot plus log records recover every zset: forms, labels, members and exact scores", () => {
    const dir = mkdtempSync(join(tmpdir(), "mk-zset-log-"));
    try {
      const shards = 2;
      const ks = new Keyspace(createKeyspaceBuffers(shards, 16));
      ks.lockAll();
      const bell = createDoorbell();
      const rings = Array.from({ length: shards }, () => new LogRing(LogRing.create(1 << 22), bell));
      const writers = rings.map((_, s) => new SegmentWriter(dir, s, null, 1 << 20));
      const rep = new Replicator(rings, writers, new Doorbell(bell));
      const put = (k: string, compact: boolean, seed: number, steps: number) => {
        const key = te.encode(k);
        const old = ks.lookup(0, key);
        if (old >= 0) ks.deleteSlot(ks.t, old);
        ks.route(key);
        const t = ks.t;
        const d = livedIn(t.arena, compact, steps, seed);
        const slot = ks.insert(0, key, 4, ObjType.zset, compact ? ObjEnc.listpack : ObjEnc.skiplist, 0);
        expect(slot).toBeGreaterThanOrEqual(0);
        writeDesc(t.arena.u8, t.valueOffset(slot), d);
        logPut(rings[ks.shardOf(key)], 1, t, slot);
      };
      for (let i = 0; i < 24; i++) put(`z:${i}`, i % 2 === 0, i + 1, [5, 60, 400][i % 3]);
      publishRings(); // the end of a worker turn
      rep.round();
      for (let s = 0; s < shards; s++) {
        writeSnapshot(ks, s, dir, null, {
          lock: () => {},
          unlock: () => {},
          appendedLsn: () => rings[s].appendedLsn(),
          between: () => {},
        });
      }
      // After the snapshot: overwrites (logged puts replace the snapshot's values) and new keys.
      for (let i = 0; i < 30; i += 3) put(`z:${i}`, i % 2 === 1, 100 + i, 300);
      put("z:new", false, 7, 2500);
      publishRings(); // the end of a worker turn
      rep.round();
      for (const w of writers) w.close();
      const want = zsetDigest(ks);
      expect(want.length).toBe(24 + 2 + 1);

      const ks2 = new Keyspace(createKeyspaceBuffers(shards, 16));
      ks2.lockAll();
      for (let s = 0; s < shards; s++) {
        const snap = latestSnapshot(dir, s);
        expect(snap).not.toBeNull();
        const loaded = loadSnapshot(ks2, s, snap!.path, null);
        recoverShard(dir, s, null, loaded.lsn, (r) => applyRecord(ks2, s, r));
      }
      expect(zsetDigest(ks2)).toEqual(want);
      ks.unlockAll();
      ks2.unlockAll();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
