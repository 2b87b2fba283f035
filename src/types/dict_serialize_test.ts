// Serialization of hash and set values (TypeOps serialize/deserialize, dict.ts format): every
// encoding round-trips through the path the shard log takes (serialize, or the block bytes when
// serialize returns null; then deserialize into a table, possibly of another Arena) and must come
// back with the same entries in the same iteration order, the same encoding, the same owned bytes,
// byte-identical re-serialization, exact arena accounting after free, and nothing left allocated
// when the arena is full.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { Doorbell, LogRing, createDoorbell, publishRings } from "../log/ring.ts";
import { Replicator, SegmentWriter, recoverShard } from "../log/shard_log.ts";
import { logPut } from "../log/effects.ts";
import { applyRecord } from "../log/apply.ts";
import { latestSnapshot, loadSnapshot, writeSnapshot } from "../log/snapshot.ts";
import { Arena } from "../keyspace/arena.ts";
import { ObjEnc, ObjType, Table, hashKey } from "../keyspace/table.ts";
import { typeOps } from "./registry.ts";
import { hashDelete, hashDict, hashEmptyBytes, hashForEach, hashInitEmpty, hashLen, hashSet } from "./hash.ts";
import { setAdd, setDict, setEmptyBytes, setForEach, setRemove, setSize } from "./set.ts";
import { dictDeserialize, dictFree, dictIsRehashing, dictRehashAll, dictSerialize, dictSize } from "./dict.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const hex = (u8: Uint8Array, off: number, len: number) => Buffer.from(u8.subarray(off, off + len)).toString("latin1");

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

function newTable(arena = new Arena(Arena.create())): Table {
  return new Table(Table.create(), arena);
}

/** An arena whose buffer cannot grow past `capBytes` (copies a fresh arena's header). */
function cappedArena(bytes: number, capBytes: number): Arena {
  const fresh = new Uint8Array(Arena.create(bytes));
  const sab = new SharedArrayBuffer(bytes, { maxByteLength: capBytes });
  new Uint8Array(sab).set(fresh.subarray(0, 4096));
  return new Arena(sab);
}

function newHash(t: Table, key: string): number {
  const k = b(key);
  const slot = t.insert(0, k, hashKey(k), hashEmptyBytes, ObjType.hash, ObjEnc.listpack, 0);
  hashInitEmpty(t, slot);
  return slot;
}
function newSet(t: Table, key: string): number {
  const k = b(key);
  return t.insert(0, k, hashKey(k), setEmptyBytes, ObjType.set, ObjEnc.intset, 0);
}
function slotOf(t: Table, key: string): number {
  const k = b(key);
  return t.find(0, k, hashKey(k));
}

/** Entries in the value's iteration order (HGETALL / SMEMBERS order), as strings. */
function view(t: Table, slot: number): string[] {
  const out: string[] = [];
  if (t.type(slot) === ObjType.hash) hashForEach(t, slot, (u8, fo, fl, vo, vl) => out.push(`${hex(u8, fo, fl)}=${hex(u8, vo, vl)}`));
  else setForEach(t, slot, (u8, o, l) => out.push(hex(u8, o, l)));
  return out;
}
function sizeOf(t: Table, slot: number): number {
  return t.type(slot) === ObjType.hash ? hashLen(t, slot) : setSize(t, slot);
}

/** What the shard log stores for the key: [serialized?, bytes]. */
function logged(t: Table, slot: number): { ser: boolean; bytes: Uint8Array } {
  const ops = typeOps[t.type(slot)]!;
  const off = t.valueOffset(slot);
  const s = ops.serialize!(t.arena, off, t.valueLen(slot), t.encoding(slot));
  if (s !== null) return { ser: true, bytes: s };
  return { ser: false, bytes: t.arena.u8.slice(off, off + t.valueLen(slot)) };
}

/** Recovery of one put record into table dst (as src/log/apply.ts does); the new slot or -1 on OOM. */
function restore(dst: Table, key: string, type: number, encoding: number, rec: { ser: boolean; bytes: Uint8Array }): number {
  let value = rec.bytes;
  if (rec.ser) {
    const v = typeOps[type]!.deserialize!(dst.arena, rec.bytes, encoding);
    if (v === null) return -1;
    value = v;
  }
  const k = b(key);
  const slot = dst.insert(0, k, hashKey(k), value.length, type, encoding, 0);
  expect(slot).toBeGreaterThanOrEqual(0);
  dst.arena.u8.set(value, dst.valueOffset(slot));
  return slot;
}

function dropKey(t: Table, slot: number): void {
  typeOps[t.type(slot)]!.free(t.arena, t.valueOffset(slot), t.valueLen(slot), t.encoding(slot));
  t.remove(slot);
}

/**
 * Round trip of src's key into dst (another table, maybe another arena): same type, encoding, size,
 * entries in the same order, owned bytes; re-serializing gives the same bytes; dropping the copy
 * returns dst's arena to its baseline. Returns the logged record.
 */
function checkRoundTrip(src: Table, key: string, dst: Table = newTable()): { ser: boolean; bytes: Uint8Array } {
  const slot = slotOf(src, key);
  const type = src.type(slot);
  const encoding = src.encoding(slot);
  const before = view(src, slot);
  const usedSrc = src.arena.usedBytes;
  const rec = logged(src, slot);
  // Serializing reads only.
  expect(src.arena.usedBytes).toBe(usedSrc);
  expect(view(src, slot)).toEqual(before);
  expect(rec.ser).toBe(encoding === ObjEnc.hashtable);
  const baseline = dst.arena.usedBytes;
  const copy = restore(dst, key, type, encoding, rec);
  expect(dst.type(copy)).toBe(type);
  expect(dst.encoding(copy)).toBe(encoding);
  expect(sizeOf(dst, copy)).toBe(sizeOf(src, slot));
  const ops = typeOps[type]!;
  const owned = (t: Table, s: number) => ops.ownedBytes(t.arena, t.valueOffset(s), t.valueLen(s), t.encoding(s));
  if (encoding !== ObjEnc.hashtable || !dictIsRehashing(src.arena, src.type(slot) === ObjType.hash ? hashDict(src, slot) : setDict(src, slot))) {
    // Not mid-rehash: the copy is the same table (same buckets, same chains).
    expect(view(dst, copy)).toEqual(before);
    expect(owned(dst, copy)).toBe(owned(src, slot));
  } else {
    expect([...view(dst, copy)].sort()).toEqual([...before].sort());
  }
  const again = logged(dst, copy);
  expect(again.ser).toBe(rec.ser);
  expect(Buffer.from(again.bytes).equals(Buffer.from(rec.bytes))).toBe(true);
  dropKey(dst, copy);
  expect(dst.arena.usedBytes).toBe(baseline);
  return rec;
}

describe("hash values serialize", () => {
  test("listpack hashes are their block bytes, in insertion order, including empty strings", () => {
    const t = newTable();
    const slot = newHash(t, "h");
    for (const [f, v] of [["z", "1"], ["a", ""], ["", "empty field"], ["m", "x".repeat(63)]]) hashSet(t, slot, b(f), b(v), 128, 64);
    expect(t.encoding(slot)).toBe(ObjEnc.listpack);
    const rec = checkRoundTrip(t, "h");
    expect(rec.ser).toBe(false);
    expect(view(t, slot)[0]).toBe("z=1");
  });

  test("a one-entry hashtable hash and one with empty field and value round-trip", () => {
    const t = newTable();
    const slot = newHash(t, "h");
    hashSet(t, slot, b("long"), b("v".repeat(100)), 128, 64); // a long value converts at once
    expect(t.encoding(slot)).toBe(ObjEnc.hashtable);
    const rec = checkRoundTrip(t, "h");
    expect(rec.bytes[0]).toBe(1); // format version
    expect(rec.bytes[1]).toBe(1); // valued
    hashSet(t, slot, b(""), b(""), 128, 64);
    hashDelete(t, slot, b("long"));
    expect(hashLen(t, slot)).toBe(1);
    expect(view(t, slot)).toEqual(["="]);
    checkRoundTrip(t, "h");
  });

  test("long fields and values (1, 2 and 3-byte varint lengths) round-trip", () => {
    const t = newTable();
    const slot = newHash(t, "h");
    const sizes = [0, 1, 127, 128, 16383, 16384, 70000, 2097152];
    for (const n of sizes) hashSet(t, slot, b(`f${n}`.padEnd(Math.min(n, 300), "q")), new Uint8Array(n).fill(n & 0xff), 128, 64);
    expect(t.encoding(slot)).toBe(ObjEnc.hashtable);
    checkRoundTrip(t, "h");
  });

  test("a large hashtable hash (20k fields) round-trips into another arena and into the same one", () => {
    const t = newTable();
    const slot = newHash(t, "h");
    for (let i = 0; i < 20000; i++) hashSet(t, slot, b(`field:${i}`), b(`value-${i * 7919}`), 128, 64);
    dictRehashAll(t.arena, hashDict(t, slot));
    checkRoundTrip(t, "h");
    checkRoundTrip(t, "h", newTable(t.arena)); // same arena, another table
    // After deleting most fields the table keeps its size until the shrink finishes: still the same table.
    for (let i = 0; i < 19000; i++) hashDelete(t, slot, b(`field:${i}`));
    dictRehashAll(t.arena, hashDict(t, slot));
    checkRoundTrip(t, "h");
  });

  test("mid-rehash dicts serialize in the order they will have once the rehash completes", () => {
    for (const [grow, n] of [[true, 1025], [true, 4097], [false, 300]] as const) {
      const t = newTable();
      const slot = newHash(t, "h");
      if (grow) for (let i = 0; i < n; i++) hashSet(t, slot, b(`k${i}`), b(`v${i}`), 128, 64);
      else {
        for (let i = 0; i < 4096; i++) hashSet(t, slot, b(`k${i}`), b(`v${i}`), 128, 64);
        dictRehashAll(t.arena, hashDict(t, slot));
        for (let i = 0; i < 4096 - n; i++) hashDelete(t, slot, b(`k${i}`));
      }
      const d = hashDict(t, slot);
      expect(dictIsRehashing(t.arena, d)).toBe(true);
      const dst = newTable();
      const rec = logged(t, slot);
      const copy = restore(dst, "h", ObjType.hash, ObjEnc.hashtable, rec);
      checkRoundTrip(t, "h");
      dictRehashAll(t.arena, d);
      expect(view(dst, copy)).toEqual(view(t, slot));
      const owned = typeOps[ObjType.hash]!.ownedBytes;
      expect(owned(dst.arena, dst.valueOffset(copy), 4, ObjEnc.hashtable)).toBe(owned(t.arena, t.valueOffset(slot), 4, ObjEnc.hashtable));
      expect(Buffer.from(logged(t, slot).bytes).equals(Buffer.from(rec.bytes))).toBe(true);
    }
  });

  test("random model-based hashes (sets, updates, deletes) round-trip at every checkpoint", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = rng(seed);
      const t = newTable();
      const slot = newHash(t, "h");
      const model = new Map<string, string>();
      const maxEntries = 8 + Math.floor(r() * 120);
      const word = () => {
        const n = r() < 0.1 ? Math.floor(r() * 200) : Math.floor(r() * 12);
        let s = "";
        for (let i = 0; i < n; i++) s += String.fromCharCode(r() < 0.1 ? Math.floor(r() * 256) : 97 + Math.floor(r() * 6));
        return s;
      };
      const bin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
      for (let step = 1; step <= 3000; step++) {
        if (r() < 0.7 || model.size === 0) {
          const f = word();
          const v = word();
          expect(hashSet(t, slot, bin(f), bin(v), maxEntries, 64)).toBe(model.has(f) ? 0 : 1);
          model.set(f, v);
        } else {
          const f = r() < 0.8 ? [...model.keys()][Math.floor(r() * model.size)] : word();
          expect(hashDelete(t, slot, bin(f))).toBe(model.delete(f));
          if (model.size === 0) break;
        }
        if (step % 300 === 0) {
          const got = view(t, slot).sort();
          const want = [...model].map(([f, v]) => `${f}=${v}`).sort();
          expect(got).toEqual(want);
          checkRoundTrip(t, "h");
        }
      }
    }
  });
});

describe("set values serialize", () => {
  test("intsets are their block bytes, ascending, with int64 extremes", () => {
    const t = newTable();
    const slot = newSet(t, "s");
    for (const m of ["5", "-1", "9223372036854775807", "-9223372036854775808", "0", "4294967296"]) setAdd(t, slot, b(m), 512);
    expect(t.encoding(slot)).toBe(ObjEnc.intset);
    const rec = checkRoundTrip(t, "s");
    expect(rec.ser).toBe(false);
    expect(view(t, slot)[0]).toBe("-9223372036854775808");
  });

  test("hashtable sets: one member, an empty member, integers past the intset limit, large sets", () => {
    const t = newTable();
    let slot = newSet(t, "s");
    setAdd(t, slot, b("word"), 512);
    expect(t.encoding(slot)).toBe(ObjEnc.hashtable);
    const rec = checkRoundTrip(t, "s");
    expect(rec.bytes[1]).toBe(0); // no values
    setAdd(t, slot, b(""), 512);
    setRemove(t, slot, b("word"), 0, 4);
    checkRoundTrip(t, "s");
    slot = newSet(t, "ints");
    for (let i = 0; i < 600; i++) setAdd(t, slot, b(String(i * 3 - 900)), 512);
    expect(t.encoding(slot)).toBe(ObjEnc.hashtable);
    dictRehashAll(t.arena, setDict(t, slot));
    checkRoundTrip(t, "ints");
    slot = newSet(t, "big");
    for (let i = 0; i < 30000; i++) setAdd(t, slot, b(`member:${i}`), 512);
    checkRoundTrip(t, "big"); // may be mid-rehash
    dictRehashAll(t.arena, setDict(t, slot));
    checkRoundTrip(t, "big", newTable(t.arena));
  });

  test("random model-based sets round-trip at every checkpoint", () => {
    for (let seed = 11; seed <= 16; seed++) {
      const r = rng(seed);
      const t = newTable();
      const slot = newSet(t, "s");
      const model = new Set<string>();
      const intsOnly = seed % 2 === 0;
      const member = () => (intsOnly || r() < 0.5 ? String(Math.floor(r() * 2000) - 1000) : `m${Math.floor(r() * 2000)}`);
      for (let step = 1; step <= 3000; step++) {
        if (r() < 0.7 || model.size === 0) {
          const m = member();
          expect(setAdd(t, slot, b(m), 64)).toBe(model.has(m) ? 0 : 1);
          model.add(m);
        } else {
          const m = [...model][Math.floor(r() * model.size)];
          const mb = b(m);
          expect(setRemove(t, slot, mb, 0, mb.length)).toBe(true);
          model.delete(m);
          if (model.size === 0) break;
        }
        if (step % 300 === 0) {
          expect(view(t, slot).sort()).toEqual([...model].sort());
          checkRoundTrip(t, "s");
        }
      }
    }
  });
});

describe("dict serialization format", () => {
  test("a hash's bytes do not deserialize as a set, nor a set's as a hash", () => {
    const t = newTable();
    const h = newHash(t, "h");
    hashSet(t, h, b("f"), b("v".repeat(100)), 128, 64);
    const s = newSet(t, "s");
    setAdd(t, s, b("x"), 512);
    const arena = new Arena(Arena.create());
    const hb = logged(t, h).bytes;
    const sb = logged(t, s).bytes;
    expect(() => typeOps[ObjType.set]!.deserialize!(arena, hb, ObjEnc.hashtable)).toThrow();
    expect(() => typeOps[ObjType.hash]!.deserialize!(arena, sb, ObjEnc.hashtable)).toThrow();
    expect(arena.usedBytes).toBe(0);
  });

  test("malformed bytes throw and leave nothing allocated", () => {
    const src = new Arena(Arena.create());
    const t = newTable(src);
    const h = newHash(t, "h");
    for (let i = 0; i < 50; i++) hashSet(t, h, b(`f${i}`), b(`value${i}`), 8, 64);
    const good = logged(t, h).bytes;
    const arena = new Arena(Arena.create());
    const bad = [
      good.subarray(0, good.length - 1), // truncated value
      good.subarray(0, 40),
      Uint8Array.from([...good, 0]), // trailing byte
      Uint8Array.from(good, (x, i) => (i === 0 ? 2 : x)), // unknown version
      Uint8Array.from(good, (x, i) => (i === 2 ? 31 : x)), // bucket count out of range
      Uint8Array.from(good, (x, i) => (i === 1 ? 3 : x)), // unknown flag
    ];
    for (const bytes of bad) {
      expect(() => dictDeserialize(arena, bytes)).toThrow();
      expect(arena.usedBytes).toBe(0);
    }
    expect(dictDeserialize(arena, good)).toBeGreaterThan(0);
  });

  test("on a full arena deserialize returns null with nothing left allocated, at every failure point", () => {
    const t = newTable();
    const slot = newHash(t, "h");
    for (let i = 0; i < 3000; i++) hashSet(t, slot, b(`field:${i}`), new Uint8Array(40 + (i % 50)).fill(i & 0xff), 128, 64);
    const bytes = logged(t, slot).bytes;
    const ops = typeOps[ObjType.hash]!;
    let fails = 0;
    let successes = 0;
    // Fill a capped arena so that from 0 to ~all of the dict fits: failures at the header, the
    // table, and at many nodes.
    for (let free = 0; free <= 320_000; free += 8_000) {
      const a = cappedArena(1 << 20, 1 << 20);
      while (a.topBytes + 4096 <= (1 << 20) - free) expect(a.alloc(4096)).toBeGreaterThan(0);
      const baseline = a.usedBytes;
      const v = ops.deserialize!(a, bytes, ObjEnc.hashtable);
      if (v === null) {
        fails++;
        expect(a.usedBytes).toBe(baseline);
      } else {
        successes++;
        expect(a.capacityBytes).toBe(1 << 20);
        dictFree(a, v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24));
        expect(a.usedBytes).toBe(baseline);
      }
    }
    expect(fails).toBeGreaterThan(10);
    expect(successes).toBeGreaterThan(0);
  });

  test("the format is frozen: version, flags, bucket log, varint count, varint-prefixed strings", () => {
    const t = newTable();
    const s = newSet(t, "s");
    setAdd(t, s, b("a"), 512); // converts: a 4-bucket dict without values
    expect([...logged(t, s).bytes]).toEqual([1, 0, 2, 1, 1, 0x61]);
    const h = newHash(t, "h");
    hashSet(t, h, b("f"), new Uint8Array(200).fill(7), 128, 64);
    const hb = logged(t, h).bytes;
    expect([...hb.subarray(0, 7)]).toEqual([1, 1, 2, 1, 1, 0x66, 0xc8]);
    expect([...hb.subarray(7)]).toEqual([1, ...new Array(200).fill(7)]);
    // A dict built entry by entry decodes to the same count.
    const big = newSet(t, "big");
    for (let i = 0; i < 1000; i++) setAdd(t, big, b(`x${i}`), 16);
    dictRehashAll(t.arena, setDict(t, big));
    const bytes = dictSerialize(t.arena, setDict(t, big));
    expect(bytes[2]).toBe(Math.log2(1024));
    expect([bytes[3], bytes[4]]).toEqual([1000 & 0x7f | 0x80, 1000 >>> 7]);
    const other = new Arena(Arena.create());
    expect(dictSize(other, dictDeserialize(other, bytes))).toBe(1000);
  });
});

describe("through the shard log", () => {
  test("hashes and sets of every encoding survive a snapshot plus log tail, with the same order and sizes", () => {
    const dir = mkdtempSync(join(tmpdir(), "mk-dictser-"));
    try {
      const shards = 2;
      const ks = new Keyspace(createKeyspaceBuffers(shards, 16));
      ks.lockAll();
      const bell = createDoorbell();
      const rings = Array.from({ length: shards }, () => new LogRing(LogRing.create(8 << 20), bell));
      const writers = rings.map((_, s) => new SegmentWriter(dir, s, null, 1 << 20));
      const rep = new Replicator(rings, writers, new Doorbell(bell));
      const r = rng(99);
      const slotFor = (key: string, type: number) => {
        const k = b(key);
        let slot = ks.lookup(0, k);
        if (slot < 0) {
          slot = ks.insert(0, k, type === ObjType.hash ? hashEmptyBytes : setEmptyBytes, type, type === ObjType.hash ? ObjEnc.listpack : ObjEnc.intset, 0);
          expect(slot).toBeGreaterThanOrEqual(0);
          if (type === ObjType.hash) hashInitEmpty(ks.t, slot);
        }
        return slot;
      };
      const write = (i: number) => {
        const n = i % 12;
        const key = `k${n}`;
        const k = b(key);
        if (n < 6) {
          const slot = slotFor(key, ObjType.hash);
          const limit = n < 2 ? 64 : 8; // k0, k1 stay listpack longer
          const f = `f${Math.floor(r() * (n * 300 + 10))}`;
          if (r() < 0.2) hashDelete(ks.t, slot, b(f));
          else expect(hashSet(ks.t, slot, b(f), b(`v${i}`.repeat(1 + (i % 3))), limit, n === 5 ? 4 : 64)).toBeGreaterThanOrEqual(0);
          if (hashLen(ks.t, slot) === 0) hashSet(ks.t, slot, b("keep"), b("1"), limit, 64);
        } else {
          const slot = slotFor(key, ObjType.set);
          const m = n < 8 ? String(Math.floor(r() * 400)) : `m${Math.floor(r() * (n * 250))}`;
          if (r() < 0.2) setRemove(ks.t, slot, b(m), 0, m.length);
          else expect(setAdd(ks.t, slot, b(m), n === 6 ? 512 : 64)).toBeGreaterThanOrEqual(0); // k6 stays an intset
          if (setSize(ks.t, slot) === 0) setAdd(ks.t, slot, b("7"), 64);
        }
        logPut(rings[ks.shardOf(k)], 1, ks.t, ks.lookup(0, k));
      };
      let i = 0;
      for (; i < 4000; i++) write(i);
      publishRings(); // the end of a worker turn
      rep.round();
      for (let s = 0; s < shards; s++) {
        writeSnapshot(ks, s, dir, null, {
          lock: () => {},
          unlock: () => {},
          appendedLsn: () => rings[s].appendedLsn(),
          between: () => {
            for (let j = 0; j < 50; j++) write(i++);
            publishRings(); // the end of a worker turn
            rep.round();
          },
        });
      }
      for (let j = 0; j < 2000; j++) write(i++);
      publishRings(); // the end of a worker turn
      rep.round();
      for (const w of writers) w.close();
      const ks2 = new Keyspace(createKeyspaceBuffers(shards, 16));
      ks2.lockAll();
      for (let s = 0; s < shards; s++) {
        const snap = latestSnapshot(dir, s);
        expect(snap).not.toBeNull();
        const loaded = loadSnapshot(ks2, s, snap!.path, null);
        recoverShard(dir, s, null, loaded.lsn, (rec) => applyRecord(ks2, s, rec));
      }
      const encs = new Set<number>();
      for (let n = 0; n < 12; n++) {
        const k = b(`k${n}`);
        const a = ks.lookup(0, k);
        const ta = ks.t;
        const c = ks2.lookup(0, k);
        const tc = ks2.t;
        expect(c).toBeGreaterThanOrEqual(0);
        expect(tc.type(c)).toBe(ta.type(a));
        expect(tc.encoding(c)).toBe(ta.encoding(a));
        encs.add(ta.type(a) * 100 + ta.encoding(a));
        if (ta.encoding(a) === ObjEnc.hashtable) dictRehashAll(ta.arena, ta.type(a) === ObjType.hash ? hashDict(ta, a) : setDict(ta, a));
        expect(view(tc, c)).toEqual(view(ta, a));
        const ops = typeOps[ta.type(a)]!;
        expect(ops.ownedBytes(tc.arena, tc.valueOffset(c), tc.valueLen(c), tc.encoding(c))).toBe(ops.ownedBytes(ta.arena, ta.valueOffset(a), ta.valueLen(a), ta.encoding(a)));
      }
      // Every encoding was exercised: listpack and hashtable hashes, intset and hashtable sets.
      expect([...encs].sort((x, y) => x - y)).toEqual(
        [ObjType.hash * 100 + ObjEnc.listpack, ObjType.hash * 100 + ObjEnc.hashtable, ObjType.set * 100 + ObjEnc.intset, ObjType.set * 100 + ObjEnc.hashtable].sort((x, y) => x - y),
      );
      ks.unlockAll();
      ks2.unlockAll();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
