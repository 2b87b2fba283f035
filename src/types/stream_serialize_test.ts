// Unit tests of the stream's self-contained serialized form (TypeOps serialize/deserialize, used by
// the shard log and snapshots): everything XINFO STREAM FULL shows (entries, length, node count,
// last id, entries-added, max-deleted id, recorded first id, groups with last-delivered id and
// entries-read, PEL records with consumer, delivery time and count, consumers with seen-time and
// pending sets) survives a round trip into another arena; so do tombstones, node boundaries and
// capacities (checked by running the same random operations on the original and the copy and
// comparing again); byte stability; exact memory accounting; out-of-memory leaves nothing behind.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Arena } from "../keyspace/arena.ts";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { applyRecord } from "../log/apply.ts";
import { logPut } from "../log/effects.ts";
import { Doorbell, LogRing, createDoorbell, publishRings } from "../log/ring.ts";
import { Replicator, SegmentWriter, recoverShard } from "../log/shard_log.ts";
import { latestSnapshot, loadSnapshot, writeSnapshot } from "../log/snapshot.ts";
import { typeOps } from "./registry.ts";
import {
  StreamId, StreamIter, cmpId, consumerAt, consumerCount, consumerCreate, consumerDelete, consumerFind, consumerName, consumerPelId, consumerPending,
  consumerSeen, entriesAdded, firstRecordedId, groupAt, groupCount, groupCreate, groupDestroy, groupEntriesRead, groupFind, groupLastId, groupName,
  headerOf, lastId, maxDeletedId, nodeCount, pelConsumer, pelCount, pelDeliveries, pelId, pelInsert, pelRec, pelRemove, pelSearch, pelSetConsumer,
  pelSetDeliveries, setEntriesAdded, streamValueBytes, setLastId, setMaxDeletedId, streamAppend, streamCreate, streamDelete, streamFree, streamLength,
  streamOwnedBytes, streamTrim, visitEntryFields, writeHeaderRef,
} from "./stream.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const ops = typeOps[ObjType.stream]!;

function newArena(): Arena {
  return new Arena(Arena.create(1 << 20));
}
function id(ms: number, seq: number): StreamId {
  return new StreamId().setNum(ms, seq);
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

/** XINFO STREAM FULL's data (plus node count and MEMORY USAGE's owned bytes), through the module's reads. */
function dump(a: Arena, h: number): unknown {
  const entries: [string, string[]][] = [];
  const it = new StreamIter().init(a, h, id(0, 0), new StreamId().setMax(), false);
  while (it.next()) {
    const fields: string[] = [];
    visitEntryFields(it, { field: (u8, s, e) => fields.push(td.decode(u8.slice(s, e))) });
    entries.push([it.id.toString(), fields]);
  }
  const groups: unknown[] = [];
  for (let i = 0; i < groupCount(a, h); i++) {
    const g = groupAt(a, h, i);
    const pel: unknown[] = [];
    for (let j = 0; j < pelCount(a, g); j++) {
      const w = pelRec(a, g, j);
      pel.push([pelId(a, w, new StreamId()).toString(), td.decode(consumerName(a, pelConsumer(a, w))), a.f64[(w >>> 1) + 3], String(pelDeliveries(a, w))]);
    }
    const consumers: unknown[] = [];
    for (let j = 0; j < consumerCount(a, g); j++) {
      const c = consumerAt(a, g, j);
      const pending: string[] = [];
      for (let k = 0; k < consumerPending(a, c); k++) pending.push(consumerPelId(a, c, k, new StreamId()).toString());
      consumers.push({ name: td.decode(consumerName(a, c)), seen: consumerSeen(a, c), pending });
    }
    groups.push({
      name: td.decode(groupName(a, g)), last: groupLastId(a, g, new StreamId()).toString(), entriesRead: groupEntriesRead(a, g), pel, consumers,
    });
  }
  return {
    length: streamLength(a, h), nodes: nodeCount(a, h), last: lastId(a, h, new StreamId()).toString(),
    maxDeleted: maxDeletedId(a, h, new StreamId()).toString(), entriesAdded: entriesAdded(a, h),
    firstRecorded: firstRecordedId(a, h, new StreamId()).toString(), entries, groups, owned: streamOwnedBytes(a, h),
  };
}

/** Serializes through the registered hook (the header reference sits in a 4-byte block, as a key's value). */
function ser(a: Arena, h: number): Uint8Array {
  const blk = a.alloc(8);
  writeHeaderRef(a.u8, blk * 8, h);
  const out = ops.serialize!(a, blk * 8, 4, ObjEnc.stream);
  a.free(blk, 8);
  expect(out).not.toBeNull();
  return out!;
}
function deser(a: Arena, bytes: Uint8Array): number {
  const v = ops.deserialize!(a, bytes, ObjEnc.stream);
  if (v === null) return 0;
  expect(v.length).toBe(4);
  return headerOf(v, 0);
}

/**
 * Round trip into a fresh arena: same dump, byte-stable, freeing the copy returns usedBytes to
 * baseline. Returns the copy (arena and header) for further checks.
 */
function roundTrip(a: Arena, h: number): { b: Arena; hb: number; bytes: Uint8Array } {
  const bytes = ser(a, h);
  expect(bytes[0]).toBe(1);
  const b = newArena();
  const base = b.usedBytes;
  const hb = deser(b, bytes);
  expect(hb).toBeGreaterThan(0);
  expect(dump(b, hb)).toEqual(dump(a, h));
  expect(b.usedBytes - base).toBe(streamOwnedBytes(b, hb));
  expect(ser(b, hb)).toEqual(bytes);
  // Freeing a second copy returns the arena to where it was.
  const before = b.usedBytes;
  const h2 = deser(b, bytes);
  expect(b.usedBytes).toBeGreaterThan(before);
  streamFree(b, h2);
  expect(b.usedBytes).toBe(before);
  return { b, hb, bytes };
}

function add(a: Arena, h: number, sid: StreamId, fields: string[], maxEntries = 100, maxBytes = 4096): void {
  expect(streamAppend(a, h, sid, fields.map((f) => te.encode(f)), 0, fields.length, maxEntries, maxBytes)).toBe(true);
}

/**
 * Random operations as the commands perform them (XADD, XDEL, XTRIM, XSETID, XGROUP, XREADGROUP
 * deliveries, XACK, XCLAIM, XGROUP DELCONSUMER...). Decisions depend only on the seed and the
 * stream's state, so equivalent streams stay equivalent.
 */
function randomOps(a: Arena, h: number, seed: number, count: number): void {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const name = (p: string, n: number) => te.encode(`${p}${pick(n)}`);
  const maxEntries = [0, 3, 10, 100][pick(4)];
  const maxBytes = [0, 200, 4096][pick(3)];
  const last = new StreamId();
  for (let i = 0; i < count; i++) {
    const op = pick(100);
    lastId(a, h, last);
    if (op < 55) {
      const sid = id(last.msH * 4294967296 + last.msL + pick(3), pick(4));
      if (cmpId(sid, last) <= 0) {
        sid.copy(last);
        sid.incr();
      }
      const fields = pick(2) === 0 ? ["a", `v${i}`, "b", "x".repeat(pick(40))] : [`f${pick(3)}`, `w${i}`];
      expect(streamAppend(a, h, sid, fields.map((f) => te.encode(f)), 0, fields.length, maxEntries, maxBytes)).toBe(true);
    } else if (op < 65) {
      streamDelete(a, h, id(pick(last.msL + 2), pick(4)));
    } else if (op < 68) {
      const len = streamLength(a, h);
      streamTrim(a, h, Math.floor(len * 0.8), null, pick(2) === 0, pick(2) === 0 ? 0 : 5);
    } else if (op < 70) {
      streamTrim(a, h, 0, id(pick(last.msL + 1), pick(4)), pick(2) === 0, 0);
    } else if (op < 72) {
      setEntriesAdded(a, h, entriesAdded(a, h) + pick(5));
      if (pick(2) === 0) setMaxDeletedId(a, h, last);
      const nl = last.clone();
      nl.incr();
      setLastId(a, h, nl);
    } else if (op < 76) {
      groupCreate(a, h, name("g", 4), id(pick(last.msL + 1), 0), pick(3) === 0 ? -1 : pick(100));
    } else if (op < 77) {
      groupDestroy(a, h, name("g", 4));
    } else {
      if (groupCount(a, h) === 0) continue;
      const g = groupAt(a, h, pick(groupCount(a, h)));
      const cname = name("c", 5);
      let c = consumerFind(a, g, cname);
      if (op < 80) {
        if (c === 0) expect(consumerCreate(a, g, cname, 1_700_000_000_000 + i)).toBeGreaterThan(0);
        else consumerDelete(a, g, cname);
        continue;
      }
      if (c === 0) c = consumerCreate(a, g, cname, 1_700_000_000_000 + i);
      const pid = id(pick(last.msL + 1), pick(4));
      const pos = pelSearch(a, g, pid);
      if (pos < 0) {
        const deliveries = pick(10) === 0 ? 2n ** 63n + BigInt(i) : pick(3) + 1;
        expect(pelInsert(a, g, -pos - 1, pid, c, 1_700_000_000_000 + i * 7, deliveries)).toBeGreaterThanOrEqual(0);
      } else if (op < 90) pelRemove(a, g, pos);
      else {
        const w = pelRec(a, g, pos);
        expect(pelSetConsumer(a, w, c)).toBe(true);
        pelSetDeliveries(a, w, pick(1000));
      }
    }
  }
}

describe("stream serialize/deserialize", () => {
  test("empty streams, with and without XSETID-style metadata and groups", () => {
    const a = newArena();
    const h = streamCreate(a);
    const { bytes } = roundTrip(a, h);
    expect(bytes.length).toBeLessThan(48);
    // Empty but with history: last id, entries-added, max-deleted id set, a group with no PEL.
    setLastId(a, h, new StreamId().set(0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe));
    setEntriesAdded(a, h, 2 ** 53 - 1);
    setMaxDeletedId(a, h, id(5, 2 ** 40));
    expect(groupCreate(a, h, te.encode("grp"), id(3, 0), -1)).toBeGreaterThan(0);
    const { b, hb } = roundTrip(a, h);
    expect(lastId(b, hb, new StreamId()).toString()).toBe("18446744073709551615-18446744073709551614");
    expect(entriesAdded(b, hb)).toBe(2 ** 53 - 1);
    expect(groupEntriesRead(b, groupFind(b, hb, te.encode("grp")))).toBe(-1);
  });

  test("a stream emptied by deletion keeps its tombstone nodes (XINFO's node count) and max-deleted id", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 1; i <= 30; i++) add(a, h, id(i, 0), ["f", `v${i}`], 10);
    expect(streamTrim(a, h, 5, null, false, 0)).toBe(25); // exact: the third node keeps tombstones
    for (let i = 26; i <= 28; i++) expect(streamDelete(a, h, id(i, 0))).toBe(true);
    const { b, hb } = roundTrip(a, h);
    expect(nodeCount(b, hb)).toBe(nodeCount(a, h));
    expect(maxDeletedId(b, hb, new StreamId()).toString()).toBe("28-0");
    expect(firstRecordedId(b, hb, new StreamId()).toString()).toBe("29-0");
    // Later trimming and appends treat the tombstones the same way on both.
    for (const [x, hx] of [[a, h], [b, hb]] as const) {
      add(x, hx, id(31, 0), ["f", "v31"], 10);
      streamTrim(x, hx, 1, null, true, 0);
    }
    expect(dump(b, hb)).toEqual(dump(a, h));
  });

  test("small stream with groups, consumers, PEL records (times, counts past 2^53), pending sets", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 1; i <= 8; i++) add(a, h, id(100, i), i % 2 ? ["name", `n${i}`, "age", `${i}`] : ["other", "x"]);
    const g1 = groupCreate(a, h, te.encode("g1"), id(100, 5), 5);
    const g2 = groupCreate(a, h, te.encode("a-group"), id(0, 0), 0);
    const alice = consumerCreate(a, g1, te.encode("alice"), 1_700_000_000_123);
    const bob = consumerCreate(a, g1, te.encode("bob"), 1_700_000_000_456.5);
    consumerCreate(a, g2, te.encode("idle"), 1);
    for (let i = 1; i <= 5; i++) pelInsert(a, g1, i - 1, id(100, i), i % 2 ? alice : bob, 1_700_000_001_000 + i, i === 3 ? 2n ** 64n - 1n : i);
    const { b, hb } = roundTrip(a, h);
    const gb = groupFind(b, hb, te.encode("g1"));
    expect(pelDeliveries(b, pelRec(b, gb, 2))).toBe(2n ** 64n - 1n);
    expect(consumerPending(b, consumerFind(b, gb, te.encode("alice")))).toBe(3);
    expect(consumerPending(b, consumerFind(b, gb, te.encode("bob")))).toBe(2);
    // The copy's PEL and pending sets stay consistent under XACK / XCLAIM / DELCONSUMER.
    for (const [x, hx] of [[a, h], [b, hb]] as const) {
      const g = groupFind(x, hx, te.encode("g1"));
      pelRemove(x, g, pelSearch(x, g, id(100, 2)));
      expect(pelSetConsumer(x, pelRec(x, g, pelSearch(x, g, id(100, 3))), consumerFind(x, g, te.encode("bob")))).toBe(true);
      expect(consumerDelete(x, g, te.encode("alice"))).toBe(2);
    }
    expect(dump(b, hb)).toEqual(dump(a, h));
  });

  test("large node-owning stream (20k entries, several groups) round trips", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 0; i < 20000; i++) add(a, h, id(1_600_000_000_000 + (i >> 2), i & 3), ["sensor", `s${i % 17}`, "value", String(i * 31)], 100, 4096);
    for (let k = 0; k < 3; k++) {
      const g = groupCreate(a, h, te.encode(`g${k}`), id(1_600_000_000_000 + 1000, 0), 4000);
      const c = consumerCreate(a, g, te.encode(`c${k}`), 1_700_000_000_000);
      for (let i = 0; i < 2000; i++) pelInsert(a, g, i, id(1_600_000_000_000 + i, 0), c, 1_700_000_000_000 + i, 1);
    }
    expect(nodeCount(a, h)).toBeGreaterThan(100);
    roundTrip(a, h);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random model-based streams (seed ${seed}): equal after a round trip and after the same later operations`, () => {
      const a = newArena();
      const h = streamCreate(a);
      randomOps(a, h, seed, 1500);
      // The generator reaches every part: nodes with tombstones, groups, consumers, PEL records.
      const d = dump(a, h) as { nodes: number; length: number; groups: { pel: unknown[]; consumers: unknown[] }[] };
      expect(d.nodes).toBeGreaterThan(0);
      expect(d.groups.length).toBeGreaterThan(1);
      expect(d.groups.some((g) => g.pel.length > 3 && g.consumers.length > 1)).toBe(true);
      const { b, hb, bytes } = roundTrip(a, h);
      randomOps(a, h, seed * 1000 + 7, 800);
      randomOps(b, hb, seed * 1000 + 7, 800);
      expect(dump(b, hb)).toEqual(dump(a, h));
      // Same node boundaries, tombstones and capacities: the serialized forms are identical too.
      expect(ser(b, hb)).toEqual(ser(a, h));
      expect(ser(a, h)).not.toEqual(bytes);
      const base = b.usedBytes - streamOwnedBytes(b, hb);
      streamFree(b, hb);
      expect(b.usedBytes).toBe(base);
    });
  }

  test("deserializing into the same arena gives an independent copy", () => {
    const a = newArena();
    const h = streamCreate(a);
    randomOps(a, h, 42, 600);
    const bytes = ser(a, h);
    const h2 = deser(a, bytes);
    expect(dump(a, h2)).toEqual(dump(a, h));
    randomOps(a, h2, 43, 300);
    expect(ser(a, h)).toEqual(bytes);
    streamFree(a, h2);
    expect(ser(a, h)).toEqual(bytes);
  });

  test("out of memory at every allocation leaves nothing allocated", () => {
    const a = newArena();
    const h = streamCreate(a);
    randomOps(a, h, 9, 400);
    const bytes = ser(a, h);
    // An arena whose alloc fails after `budget` successful allocations.
    class FailingArena extends Arena {
      budget = 0;
      override alloc(n: number): number {
        if (this.budget-- <= 0) return 0;
        return super.alloc(n);
      }
    }
    const b = new FailingArena(Arena.create(1 << 20));
    const base = b.usedBytes;
    let budget = 0;
    for (;; budget++) {
      b.budget = budget;
      const hb = deser(b, bytes);
      if (hb !== 0) {
        expect(dump(b, hb)).toEqual(dump(a, h));
        break;
      }
      expect(b.usedBytes).toBe(base);
    }
    expect(budget).toBeGreaterThan(10);
  });

  test("out of memory in an arena that cannot grow returns null and leaves usedBytes unchanged", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 0; i < 12000; i++) add(a, h, id(i + 1, 0), ["field", "v".repeat(100)]);
    const bytes = ser(a, h);
    const sab = new SharedArrayBuffer(1 << 20, { maxByteLength: 1 << 20 });
    new Uint8Array(sab).set(new Uint8Array(Arena.create(8192)).subarray(0, 4096));
    const small = new Arena(sab);
    const base = small.usedBytes;
    expect(bytes.length).toBeGreaterThan(1 << 20);
    expect(ops.deserialize!(small, bytes, ObjEnc.stream)).toBeNull();
    expect(small.usedBytes).toBe(base);
    // What was allocated before the failure went back to the free lists.
    expect(small.freeListBytes).toBe(small.topBytes - 4096);
    // The same bytes deserialize fine where there is room.
    const big = newArena();
    const hb = deser(big, bytes);
    expect(hb).toBeGreaterThan(0);
    expect(dump(big, hb)).toEqual(dump(a, h));
  });

  test("serialize and deserialize throughput, 100k entries", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 0; i < 100000; i++) add(a, h, id(1_600_000_000_000 + i, 0), ["sensor", `s${i % 17}`, "value", String(i)], 100, 4096);
    const g = groupCreate(a, h, te.encode("g"), id(0, 0), 0);
    const c = consumerCreate(a, g, te.encode("c"), 1);
    for (let i = 0; i < 10000; i++) pelInsert(a, g, i, id(1_600_000_000_000 + i, 0), c, 1, 1);
    const times: number[] = [];
    const dtimes: number[] = [];
    const b = newArena();
    let bytes = ser(a, h);
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      bytes = ser(a, h);
      times.push(performance.now() - t0);
      const t1 = performance.now();
      const hb = deser(b, bytes);
      dtimes.push(performance.now() - t1);
      streamFree(b, hb);
    }
    times.sort((x, y) => x - y);
    dtimes.sort((x, y) => x - y);
    console.log(`stream 100k entries + 10k PEL: ${bytes.length} bytes, serialize median ${times[2].toFixed(2)} ms, deserialize median ${dtimes[2].toFixed(2)} ms`);
    expect(times[2]).toBeLessThan(1000);
  });

  test("stream keys survive a snapshot plus shard-log recovery (with the same XINFO data and MEMORY USAGE)", () => {
    const dir = mkdtempSync(join(tmpdir(), "mk-stream-ser-"));
    try {
      const ks = new Keyspace(createKeyspaceBuffers(1, 16));
      ks.lockAll();
      const bell = createDoorbell();
      const ring = new LogRing(LogRing.create(1 << 20), bell);
      const writer = new SegmentWriter(dir, 0, null, 64 << 10);
      const rep = new Replicator([ring], [writer], new Doorbell(bell));
      const streamAt = (key: Uint8Array): number => headerOf(ks.route(key).arena.u8, ks.route(key).valueOffset(ks.lookup(0, key)));
      const put = (k: string, seed: number): void => {
        const key = te.encode(k);
        let slot = ks.lookup(0, key);
        if (slot < 0) {
          const t = ks.route(key);
          const h = streamCreate(t.arena);
          slot = ks.insert(0, key, streamValueBytes, ObjType.stream, ObjEnc.stream, 0);
          expect(slot).toBeGreaterThanOrEqual(0);
          writeHeaderRef(t.arena.u8, t.valueOffset(slot), h);
        }
        const t = ks.route(key);
        randomOps(t.arena, streamAt(key), seed, 300);
        logPut(ring, 1, t, ks.lookup(0, key));
      };
      for (let i = 0; i < 6; i++) put(`s${i}`, i + 1);
      publishRings(); // the end of a worker turn
      rep.round();
      writeSnapshot(ks, 0, dir, null, { lock: () => {}, unlock: () => {}, appendedLsn: () => ring.appendedLsn(), between: () => {} });
      for (let i = 3; i < 9; i++) put(`s${i}`, i + 100); // updates and new keys in the log tail
      publishRings(); // the end of a worker turn
      rep.round();
      writer.close();
      const want = Array.from({ length: 9 }, (_, i) => dump(ks.route(te.encode(`s${i}`)).arena, streamAt(te.encode(`s${i}`))));
      ks.unlockAll();

      const ks2 = new Keyspace(createKeyspaceBuffers(1, 16));
      ks2.lockAll();
      const snap = latestSnapshot(dir, 0);
      expect(snap).not.toBeNull();
      const loaded = loadSnapshot(ks2, 0, snap!.path, null);
      recoverShard(dir, 0, null, loaded.lsn, (r) => applyRecord(ks2, 0, r));
      for (let i = 0; i < 9; i++) {
        const key = te.encode(`s${i}`);
        const t = ks2.route(key);
        const slot = ks2.lookup(0, key);
        expect(t.type(slot)).toBe(ObjType.stream);
        expect(t.encoding(slot)).toBe(ObjEnc.stream);
        expect(dump(t.arena, headerOf(t.arena.u8, t.valueOffset(slot)))).toEqual(want[i]);
      }
      ks2.unlockAll();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
