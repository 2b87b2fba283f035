// Table contract suite (style rule 10): one set of behaviours, run against the shared-memory Table +
// Arena and against a plain Map model, then the same seeded random operation streams applied to both
// with their answers and full contents compared. Table-only properties follow: its structural
// invariant (every entry between its home bucket and the next empty slot), exact arena accounting,
// reuse of freed blocks, growth through many doublings, SCAN guarantees, randomSlot, running out of
// memory, and a second thread mapping the same buffers.
//
// A failing random stream names its seed and step; rerun with that seed to reproduce.

import { describe, expect, test } from "bun:test";
import { Arena, classBytes } from "./arena.ts";
import { ObjEnc, ObjType, Table, hashKey } from "./table.ts";

// ---- the interface under contract ----------------------------------------------------------------

interface Entry {
  value: Uint8Array;
  expireAt: number;
  type: number;
  enc: number;
  clock: number;
}

interface KeyTable {
  readonly name: string;
  /** Inserts a key that must not exist. */
  insert(db: number, key: Uint8Array, value: Uint8Array, type: number, enc: number, expireAt: number): boolean;
  get(db: number, key: Uint8Array): Entry | null;
  /**
   * Resizes the value to newLen keeping its first `keepBytes` bytes, then writes `fill` after the kept
   * part (fill.length === newLen - min(keepBytes, oldLen, newLen)).
   */
  rewrite(db: number, key: Uint8Array, newLen: number, keepBytes: number, fill: Uint8Array): boolean;
  setExpire(db: number, key: Uint8Array, at: number): boolean;
  setTypeEnc(db: number, key: Uint8Array, type: number, enc: number): void;
  setClock(db: number, key: Uint8Array, clock: number): void;
  remove(db: number, key: Uint8Array): boolean;
  /** Moves an existing key to db `to`, where it must not exist. */
  setDb(db: number, key: Uint8Array, to: number): void;
  clear(db: number): void;
  count(): number;
  expiresCount(): number;
  dbKeys(db: number): number;
  dbExpires(db: number): number;
  /** Every entry, as "db:key" (latin1) -> entry. */
  dump(): Map<string, Entry>;
}

function id(db: number, key: Uint8Array): string {
  let s = `${db}:`;
  for (let i = 0; i < key.length; i += 8192) s += String.fromCharCode(...key.subarray(i, i + 8192));
  return s;
}

/** The model: a Map, obviously right. */
class MapTable implements KeyTable {
  readonly name = "Map model";
  private m = new Map<string, Entry & { db: number }>();

  insert(db: number, key: Uint8Array, value: Uint8Array, type: number, enc: number, expireAt: number): boolean {
    const k = id(db, key);
    if (this.m.has(k)) throw new Error("model: insert of an existing key");
    this.m.set(k, { db, value: value.slice(), expireAt: expireAt > 0 ? expireAt : 0, type, enc, clock: 0 });
    return true;
  }
  get(db: number, key: Uint8Array): Entry | null {
    const e = this.m.get(id(db, key));
    return e ? { value: e.value, expireAt: e.expireAt, type: e.type, enc: e.enc, clock: e.clock } : null;
  }
  rewrite(db: number, key: Uint8Array, newLen: number, keepBytes: number, fill: Uint8Array): boolean {
    const e = this.m.get(id(db, key))!;
    const kept = Math.min(keepBytes, e.value.length, newLen);
    const v = new Uint8Array(newLen);
    v.set(e.value.subarray(0, kept));
    v.set(fill, kept);
    e.value = v;
    return true;
  }
  setExpire(db: number, key: Uint8Array, at: number): boolean {
    this.m.get(id(db, key))!.expireAt = at > 0 ? at : 0;
    return true;
  }
  setTypeEnc(db: number, key: Uint8Array, type: number, enc: number): void {
    const e = this.m.get(id(db, key))!;
    e.type = type;
    e.enc = enc;
  }
  setClock(db: number, key: Uint8Array, clock: number): void {
    this.m.get(id(db, key))!.clock = clock;
  }
  remove(db: number, key: Uint8Array): boolean {
    return this.m.delete(id(db, key));
  }
  setDb(db: number, key: Uint8Array, to: number): void {
    const e = this.m.get(id(db, key))!;
    this.m.delete(id(db, key));
    e.db = to;
    this.m.set(id(to, key), e);
  }
  clear(db: number): void {
    for (const [k, e] of this.m) if (db < 0 || e.db === db) this.m.delete(k);
  }
  count(): number {
    return this.m.size;
  }
  expiresCount(): number {
    let n = 0;
    for (const e of this.m.values()) if (e.expireAt > 0) n++;
    return n;
  }
  dbKeys(db: number): number {
    let n = 0;
    for (const e of this.m.values()) if (e.db === db) n++;
    return n;
  }
  dbExpires(db: number): number {
    let n = 0;
    for (const e of this.m.values()) if (e.db === db && e.expireAt > 0) n++;
    return n;
  }
  dump(): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const [k, e] of this.m) out.set(k, { value: e.value, expireAt: e.expireAt, type: e.type, enc: e.enc, clock: e.clock });
    return out;
  }
}

/** The implementation: Table + Arena in SharedArrayBuffers, driven as the keyspace drives it. */
class SharedTable implements KeyTable {
  readonly name = "SharedArrayBuffer Table";
  readonly t: Table;

  constructor(t?: Table) {
    this.t = t ?? new Table(Table.create(), new Arena(Arena.create()));
  }
  private slotOf(db: number, key: Uint8Array): number {
    return this.t.find(db, key, hashKey(key));
  }
  private must(db: number, key: Uint8Array): number {
    const s = this.slotOf(db, key);
    if (s < 0) throw new Error("table: key expected to exist");
    return s;
  }
  insert(db: number, key: Uint8Array, value: Uint8Array, type: number, enc: number, expireAt: number): boolean {
    const s = this.t.insert(db, key, hashKey(key), value.length, type, enc, expireAt);
    if (s < 0) return false;
    this.t.arena.u8.set(value, this.t.valueOffset(s));
    return true;
  }
  get(db: number, key: Uint8Array): Entry | null {
    const s = this.slotOf(db, key);
    if (s < 0) return null;
    return this.entryAt(s);
  }
  entryAt(s: number): Entry {
    const t = this.t;
    return { value: t.valueView(s).slice(), expireAt: t.expireAt(s), type: t.type(s), enc: t.encoding(s), clock: t.clock(s) };
  }
  rewrite(db: number, key: Uint8Array, newLen: number, keepBytes: number, fill: Uint8Array): boolean {
    const s = this.must(db, key);
    const kept = Math.min(keepBytes, this.t.valueLen(s), newLen);
    if (!this.t.resizeValue(s, newLen, keepBytes)) return false;
    this.t.arena.u8.set(fill, this.t.valueOffset(s) + kept);
    return true;
  }
  setExpire(db: number, key: Uint8Array, at: number): boolean {
    return this.t.setExpire(this.must(db, key), at);
  }
  setTypeEnc(db: number, key: Uint8Array, type: number, enc: number): void {
    this.t.setTypeEnc(this.must(db, key), type, enc);
  }
  setClock(db: number, key: Uint8Array, clock: number): void {
    this.t.setClock(this.must(db, key), clock);
  }
  remove(db: number, key: Uint8Array): boolean {
    const s = this.slotOf(db, key);
    if (s < 0) return false;
    this.t.remove(s);
    return true;
  }
  setDb(db: number, key: Uint8Array, to: number): void {
    this.t.setDb(this.must(db, key), to);
  }
  clear(db: number): void {
    this.t.clear(db);
  }
  count(): number {
    return this.t.count;
  }
  expiresCount(): number {
    return this.t.expiresCount;
  }
  dbKeys(db: number): number {
    return this.t.dbKeys(db);
  }
  dbExpires(db: number): number {
    return this.t.dbExpires(db);
  }
  dump(): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (let s = 0; s < this.t.capacity; s++) {
      if (this.t.occupied(s)) out.set(id(this.t.db(s), this.t.keyCopy(s)), this.entryAt(s));
    }
    return out;
  }
}

const implementations: Array<() => KeyTable> = [() => new MapTable(), () => new SharedTable()];

// ---- helpers --------------------------------------------------------------------------------------

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

const te = new TextEncoder();
const b = (s: string) => te.encode(s);

function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/**
 * Table invariants beyond the contract: the slot array agrees with the counters, every entry lies in
 * its home bucket's cluster, and the arena's accounting is exact.
 */
function checkTableInvariants(t: Table): void {
  const cap = t.capacity;
  const mask = cap - 1;
  let occupied = 0;
  let expires = 0;
  let classSum = 0;
  const perDb = new Map<number, [number, number]>();
  for (let s = 0; s < cap; s++) {
    if (!t.occupied(s)) continue;
    occupied++;
    const home = t.hashAt(s) & mask;
    for (let j = home; j !== s; j = (j + 1) & mask) {
      if (!t.occupied(j)) throw new Error(`slot ${s} (home ${home}) is cut off from its home by empty slot ${j}`);
    }
    if (t.hasExpire(s)) expires++;
    classSum += classBytes(t.blockBytes(s));
    const d = perDb.get(t.db(s)) ?? [0, 0];
    d[0]++;
    if (t.hasExpire(s)) d[1]++;
    perDb.set(t.db(s), d);
  }
  expect(occupied).toBe(t.count);
  expect(expires).toBe(t.expiresCount);
  expect(t.count * 4).toBeLessThanOrEqual(cap * 3);
  for (let db = 0; db < 256; db++) {
    const d = perDb.get(db) ?? [0, 0];
    if (t.dbKeys(db) !== d[0] || t.dbExpires(db) !== d[1]) {
      throw new Error(`db ${db}: counters ${t.dbKeys(db)}/${t.dbExpires(db)}, slots ${d[0]}/${d[1]}`);
    }
  }
  expect(t.arena.usedBytes).toBe(classSum);
  expect(t.arena.topBytes).toBe(4096 + t.arena.usedBytes + t.arena.freeListBytes);
}

function expectSameContents(model: KeyTable, impl: KeyTable, where: string): void {
  expect({ where, count: impl.count() }).toEqual({ where, count: model.count() });
  expect({ where, expires: impl.expiresCount() }).toEqual({ where, expires: model.expiresCount() });
  for (let db = 0; db < 16; db++) {
    expect({ where, db, keys: impl.dbKeys(db), expires: impl.dbExpires(db) }).toEqual({
      where,
      db,
      keys: model.dbKeys(db),
      expires: model.dbExpires(db),
    });
  }
  const want = model.dump();
  const got = impl.dump();
  expect({ where, size: got.size }).toEqual({ where, size: want.size });
  for (const [k, e] of want) {
    const g = got.get(k);
    if (!g) throw new Error(`${where}: key ${JSON.stringify(k.slice(0, 40))} missing from ${impl.name}`);
    sameEntry(`${where} key ${JSON.stringify(k.slice(0, 40))}`, g, e);
  }
}

/** Every live key is found by lookup (not only present in the slot array) with the model's entry. */
function expectAllFindable(model: KeyTable, impl: KeyTable, live: Array<{ db: number; key: Uint8Array }>, where: string): void {
  for (const { db, key } of live) sameEntry(`${where} lookup db ${db}`, impl.get(db, key), model.get(db, key));
}

function describeEntry(e: Entry): string {
  return `{len ${e.value.length}, expireAt ${e.expireAt}, type ${e.type}, enc ${e.enc}, clock ${e.clock}}`;
}

// ---- the contract: every implementation behaves the same ------------------------------------------

for (const make of implementations) {
  const name = make().name;
  describe(`contract: ${name}`, () => {
    test("an inserted key is found with its value, type, encoding and expiry; other dbs do not see it", () => {
      const t = make();
      expect(t.insert(3, b("k"), b("value"), ObjType.string, ObjEnc.embstr, 0)).toBe(true);
      expect(t.insert(4, b("k"), b("other"), ObjType.hash, ObjEnc.listpack, 1_700_000_000_123)).toBe(true);
      expect(t.get(3, b("k"))).toEqual({ value: b("value"), expireAt: 0, type: ObjType.string, enc: ObjEnc.embstr, clock: 0 });
      expect(t.get(4, b("k"))).toEqual({ value: b("other"), expireAt: 1_700_000_000_123, type: ObjType.hash, enc: ObjEnc.listpack, clock: 0 });
      expect(t.get(5, b("k"))).toBeNull();
      expect(t.get(3, b("K"))).toBeNull();
      expect([t.count(), t.dbKeys(3), t.dbKeys(4), t.dbExpires(4), t.expiresCount()]).toEqual([2, 1, 1, 1, 1]);
    });

    test("the empty key, keys that are prefixes of each other and 10 KB binary keys are distinct", () => {
      const t = make();
      const big = randomBytes(rng(1), 10 * 1024);
      const keys = [new Uint8Array(0), b("a"), b("ab"), b("a\0"), big, big.subarray(0, big.length - 1)];
      keys.forEach((k, i) => t.insert(0, k, new Uint8Array([i]), ObjType.string, ObjEnc.raw, 0));
      keys.forEach((k, i) => expect(t.get(0, k)?.value).toEqual(new Uint8Array([i])));
      expect(t.get(0, b("abc"))).toBeNull();
      expect(t.count()).toBe(keys.length);
    });

    test("rewrite grows and shrinks a value and keeps the requested prefix", () => {
      const t = make();
      t.insert(0, b("k"), b("0123456789"), ObjType.string, ObjEnc.raw, 0);
      t.rewrite(0, b("k"), 5000, 10, new Uint8Array(4990).fill(120));
      const v = t.get(0, b("k"))!.value;
      expect(v.length).toBe(5000);
      expect(new TextDecoder().decode(v.subarray(0, 12))).toBe("0123456789xx");
      t.rewrite(0, b("k"), 3, 3, new Uint8Array(0));
      expect(t.get(0, b("k"))!.value).toEqual(b("012"));
      t.rewrite(0, b("k"), 0, 0, new Uint8Array(0));
      expect(t.get(0, b("k"))!.value).toEqual(new Uint8Array(0));
    });

    test("expiry can be added, changed and removed, and the counters follow", () => {
      const t = make();
      t.insert(2, b("k"), b("v"), ObjType.string, ObjEnc.raw, 0);
      t.setExpire(2, b("k"), 1000);
      expect([t.get(2, b("k"))!.expireAt, t.dbExpires(2), t.expiresCount()]).toEqual([1000, 1, 1]);
      t.setExpire(2, b("k"), 2_000_000_000_000.5);
      expect(t.get(2, b("k"))!.expireAt).toBe(2_000_000_000_000.5);
      t.setExpire(2, b("k"), 0);
      expect([t.get(2, b("k"))!.expireAt, t.dbExpires(2), t.expiresCount()]).toEqual([0, 0, 0]);
      t.setExpire(2, b("k"), 0);
      expect(t.expiresCount()).toBe(0);
      expect(t.get(2, b("k"))!.value).toEqual(b("v"));
    });

    test("setDb moves a key and its expiry between dbs", () => {
      const t = make();
      t.insert(1, b("k"), b("v"), ObjType.list, ObjEnc.quicklist, 99);
      t.setDb(1, b("k"), 15);
      expect(t.get(1, b("k"))).toBeNull();
      expect(t.get(15, b("k"))).toEqual({ value: b("v"), expireAt: 99, type: ObjType.list, enc: ObjEnc.quicklist, clock: 0 });
      expect([t.dbKeys(1), t.dbExpires(1), t.dbKeys(15), t.dbExpires(15)]).toEqual([0, 0, 1, 1]);
    });

    test("remove forgets the key; clear(db) empties one db and clear(-1) all of them", () => {
      const t = make();
      for (let i = 0; i < 100; i++) t.insert(i % 4, b(`k${i}`), b(`v${i}`), ObjType.string, ObjEnc.raw, i % 3 === 0 ? 5 : 0);
      expect(t.remove(1, b("k1"))).toBe(true);
      expect(t.remove(1, b("k1"))).toBe(false);
      expect(t.get(1, b("k1"))).toBeNull();
      t.clear(2);
      expect([t.dbKeys(0), t.dbKeys(1), t.dbKeys(2), t.dbKeys(3), t.dbExpires(2)]).toEqual([25, 24, 0, 25, 0]);
      expect(t.get(0, b("k4"))?.value).toEqual(b("v4"));
      t.clear(-1);
      expect([t.count(), t.expiresCount()]).toEqual([0, 0]);
      expect(t.get(0, b("k4"))).toBeNull();
    });

    test("type, encoding and clock are kept per entry", () => {
      const t = make();
      t.insert(0, b("k"), b("1"), ObjType.string, ObjEnc.int, 0);
      t.setTypeEnc(0, b("k"), ObjType.zset, ObjEnc.skiplist);
      t.setClock(0, b("k"), 0xffffffff);
      expect(t.get(0, b("k"))).toEqual({ value: b("1"), expireAt: 0, type: ObjType.zset, enc: ObjEnc.skiplist, clock: 0xffffffff });
    });
  });
}

// ---- the same random streams against both ---------------------------------------------------------

type Op = "insert" | "find" | "findAbsent" | "rewrite" | "expire" | "meta" | "remove" | "setDb" | "clear";

/** Operation mix; inserts and removes balance where the table holds about `targetKeys`. */
function chooseOp(r: () => number, fullness: number): Op {
  const weights: Array<[Op, number]> = [
    ["insert", fullness < 1 ? 30 : 18],
    ["find", 10],
    ["findAbsent", 5],
    ["rewrite", 12],
    ["expire", 10],
    ["meta", 4],
    ["remove", fullness < 1 ? 18 * fullness : 30],
    ["setDb", 4],
    ["clear", 0.04],
  ];
  let total = 0;
  for (const [, w] of weights) total += w;
  let x = r() * total;
  for (const [op, w] of weights) {
    if (x < w) return op;
    x -= w;
  }
  return "find";
}

function sameEntry(where: string, got: Entry | null, want: Entry | null): void {
  const same =
    got === null || want === null
      ? got === want
      : Buffer.from(got.value).equals(Buffer.from(want.value)) &&
        got.expireAt === want.expireAt && got.type === want.type && got.enc === want.enc && got.clock === want.clock;
  if (!same) {
    throw new Error(`${where}: got ${got ? describeEntry(got) : "null"}, model has ${want ? describeEntry(want) : "null"}`);
  }
}

interface StreamOptions {
  seed: number;
  ops: number;
  /** Full comparison every `checkEvery` steps (answers are compared at every step). */
  checkEvery: number;
  /** Live keys the stream hovers around (inserts vs removes balance there). */
  targetKeys: number;
}

/** Applies one seeded stream to the model and the table; compares every answer and, periodically, everything. */
function runStream(o: StreamOptions): { model: MapTable; impl: SharedTable } {
  const r = rng(o.seed);
  const model = new MapTable();
  const impl = new SharedTable();
  const live: Array<{ db: number; key: Uint8Array }> = [];
  const liveIndex = new Map<string, number>();
  const gone: Array<{ db: number; key: Uint8Array }> = [];
  const addLive = (db: number, key: Uint8Array) => {
    liveIndex.set(id(db, key), live.length);
    live.push({ db, key });
  };
  const dropLive = (db: number, key: Uint8Array) => {
    const k = id(db, key);
    const i = liveIndex.get(k)!;
    const last = live.pop()!;
    if (i < live.length) {
      live[i] = last;
      liveIndex.set(id(last.db, last.key), i);
    }
    liveIndex.delete(k);
    if (gone.length < 2000) gone.push({ db, key });
    else gone[Math.floor(r() * gone.length)] = { db, key };
  };
  const newKey = (): Uint8Array => {
    const x = r();
    if (x < 0.02) return new Uint8Array(0);
    if (x < 0.1 && live.length > 0) return live[Math.floor(r() * live.length)].key; // same bytes, maybe another db
    if (x < 0.9) return randomBytes(r, 1 + Math.floor(r() * 24));
    if (x < 0.985) return randomBytes(r, 25 + Math.floor(r() * 300));
    return randomBytes(r, 300 + Math.floor(r() * (10 * 1024 - 300)));
  };
  const valueLen = (): number => {
    const x = r();
    if (x < 0.6) return Math.floor(r() * 33);
    if (x < 0.9) return 33 + Math.floor(r() * 480);
    return 513 + Math.floor(r() * 4488);
  };
  const expiry = (): number => (r() < 0.6 ? 0 : 1_700_000_000_000 + Math.floor(r() * 1e9));
  const types = Object.values(ObjType);
  const encs = Object.values(ObjEnc);
  const pick = () => live[Math.floor(r() * live.length)];

  for (let step = 1; step <= o.ops; step++) {
    const where = `seed ${o.seed} step ${step}`;
    const op = chooseOp(r, live.length / o.targetKeys);
    if (live.length === 0 || op === "insert") {
      const db = Math.floor(r() * 16);
      const key = newKey();
      if (liveIndex.has(id(db, key))) continue;
      const value = randomBytes(r, valueLen());
      const args = [db, key, value, types[Math.floor(r() * types.length)], encs[Math.floor(r() * encs.length)], expiry()] as const;
      const ok = impl.insert(...args);
      model.insert(...args);
      if (!ok) throw new Error(`${where}: insert failed`);
      addLive(db, key);
    } else if (op === "find") {
      const { db, key } = pick();
      sameEntry(where, impl.get(db, key), model.get(db, key));
    } else if (op === "findAbsent") {
      const k = gone.length > 0 && r() < 0.7 ? gone[Math.floor(r() * gone.length)] : { db: Math.floor(r() * 16), key: newKey() };
      const want = model.get(k.db, k.key);
      const got = impl.get(k.db, k.key);
      if ((got === null) !== (want === null)) throw new Error(`${where}: found=${got !== null}, model says ${want !== null}`);
    } else if (op === "rewrite") {
      const { db, key } = pick();
      const oldLen = model.get(db, key)!.value.length;
      const newLen = r() < 0.3 ? oldLen + Math.floor(r() * 9) - 4 : valueLen();
      const len = Math.max(0, newLen);
      const keep = r() < 0.5 ? 0 : Math.floor(r() * (oldLen + 10));
      const fill = randomBytes(r, len - Math.min(keep, oldLen, len));
      if (!impl.rewrite(db, key, len, keep, fill)) throw new Error(`${where}: resizeValue failed`);
      model.rewrite(db, key, len, keep, fill);
      sameEntry(where, impl.get(db, key), model.get(db, key));
    } else if (op === "expire") {
      const { db, key } = pick();
      const at = r() < 0.4 ? 0 : expiry() || 1_800_000_000_000;
      if (!impl.setExpire(db, key, at)) throw new Error(`${where}: setExpire failed`);
      model.setExpire(db, key, at);
    } else if (op === "meta") {
      const { db, key } = pick();
      const type = types[Math.floor(r() * types.length)];
      const enc = encs[Math.floor(r() * encs.length)];
      const clock = Math.floor(r() * 2 ** 32);
      impl.setTypeEnc(db, key, type, enc);
      model.setTypeEnc(db, key, type, enc);
      impl.setClock(db, key, clock);
      model.setClock(db, key, clock);
    } else if (op === "remove") {
      const { db, key } = pick();
      const got = impl.remove(db, key);
      if (got !== model.remove(db, key)) throw new Error(`${where}: remove answered ${got}`);
      dropLive(db, key);
    } else if (op === "setDb") {
      const { db, key } = pick();
      const to = Math.floor(r() * 16);
      if (to === db || liveIndex.has(id(to, key))) continue;
      impl.setDb(db, key, to);
      model.setDb(db, key, to);
      dropLive(db, key);
      addLive(to, key);
    } else {
      const db = r() < 0.1 ? -1 : Math.floor(r() * 16);
      impl.clear(db);
      model.clear(db);
      for (const k of [...live]) if (db < 0 || k.db === db) dropLive(k.db, k.key);
    }
    if (step % o.checkEvery === 0) {
      expectSameContents(model, impl, where);
      expectAllFindable(model, impl, live, where);
      checkTableInvariants(impl.t);
    }
  }
  expectSameContents(model, impl, `seed ${o.seed} end`);
  expectAllFindable(model, impl, live, `seed ${o.seed} end`);
  checkTableInvariants(impl.t);
  return { model, impl };
}

describe("random streams: the shared table answers exactly as the Map model", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    test(`seed ${seed}: 30k operations hovering around 3k keys`, () => {
      runStream({ seed, ops: 30_000, checkEvery: 1000, targetKeys: 3000 });
    }, 120_000);
  }
  test("seed 77: 100k operations over a table that grows to ~12k keys", () => {
    const { impl } = runStream({ seed: 77, ops: 100_000, checkEvery: 5000, targetKeys: 12_000 });
    expect(impl.t.capacity).toBeGreaterThanOrEqual(8192);
  }, 240_000);
  test("seed 9: 20k operations on a small table (wrap-around clusters), full check every 50 steps", () => {
    runStream({ seed: 9, ops: 20_000, checkEvery: 50, targetKeys: 40 });
  }, 120_000);
});

// ---- clusters that wrap around the end of the slot array ------------------------------------------

/** Keys whose home bucket in a table of `cap` slots is one of `homes`. */
function keysWithHomes(cap: number, homes: number[], n: number, prefix = "w"): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = b(`${prefix}${i}`);
    if (homes.includes(hashKey(k) & (cap - 1))) out.push(k);
  }
  return out;
}

describe("clusters wrapping past the last slot", () => {
  test("keys homed in the last buckets are found, removed and cleared correctly in any order", () => {
    const r = rng(5);
    for (let round = 0; round < 300; round++) {
      const impl = new SharedTable();
      const model = new MapTable();
      expect(impl.t.capacity).toBe(16);
      const keys = keysWithHomes(16, [13, 14, 15], 12, `r${round}-`);
      for (const [i, k] of keys.entries()) {
        const db = i % 3;
        impl.insert(db, k, k, ObjType.string, ObjEnc.raw, i % 2 ? 7 : 0);
        model.insert(db, k, k, ObjType.string, ObjEnc.raw, i % 2 ? 7 : 0);
      }
      expect(impl.t.capacity).toBe(16); // 12 keys: still 3/4 full, no growth
      checkTableInvariants(impl.t);
      const order = keys.map((k, i) => ({ k, db: i % 3, w: r() })).sort((p, q) => p.w - q.w);
      for (const { k, db } of order.slice(0, 6)) {
        impl.remove(db, k);
        model.remove(db, k);
        checkTableInvariants(impl.t);
        expectSameContents(model, impl, `round ${round}`);
      }
      impl.clear(round % 3);
      model.clear(round % 3);
      checkTableInvariants(impl.t);
      expectSameContents(model, impl, `round ${round} after clear`);
    }
  });
});

// ---- growth, deletion, reuse -----------------------------------------------------------------------

describe("growth and reuse of freed space", () => {
  test("200k keys across 16 dbs: every doubling keeps every key; removing 90% and re-inserting reuses every freed block", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    const n = 200_000;
    const r = rng(42);
    const keys: Uint8Array[] = [];
    const vals: Uint8Array[] = [];
    const exp: number[] = [];
    let capacities = 0;
    let lastCap = t.capacity;
    for (let i = 0; i < n; i++) {
      const k = b(`key:${i}:${"x".repeat(i % 23)}`);
      const v = randomBytes(r, Math.floor(r() * 200));
      const at = i % 5 === 0 ? 1_700_000_000_000 + i : 0;
      keys.push(k);
      vals.push(v);
      exp.push(at);
      const s = t.insert(i % 16, k, hashKey(k), v.length, ObjType.string, ObjEnc.raw, at);
      if (s < 0) throw new Error(`insert ${i} failed`);
      t.arena.u8.set(v, t.valueOffset(s));
      if (t.capacity !== lastCap) {
        capacities++;
        lastCap = t.capacity;
        // Spot-check early keys right after each doubling.
        for (let j = 0; j < i; j += Math.max(1, Math.floor(i / 64))) {
          if (t.find(j % 16, keys[j], hashKey(keys[j])) < 0) throw new Error(`key ${j} lost when growing to ${t.capacity}`);
        }
      }
    }
    expect(capacities).toBe(15); // 16 -> 2^19 slots
    expect(t.capacity).toBe(1 << 19);
    expect(t.count).toBe(n);
    for (let i = 0; i < n; i++) {
      const s = t.find(i % 16, keys[i], hashKey(keys[i]));
      if (s < 0 || !Buffer.from(t.valueView(s)).equals(Buffer.from(vals[i])) || t.expireAt(s) !== exp[i]) {
        throw new Error(`key ${i} lost or changed after growth`);
      }
    }
    for (let db = 0; db < 16; db++) expect(t.dbKeys(db)).toBe(n / 16);
    checkTableInvariants(t);

    const blockOf = (i: number) => classBytes((exp[i] > 0 ? 16 : 8) + keys[i].length + vals[i].length);
    const totalClassBytes = keys.reduce((acc, _k, i) => acc + blockOf(i), 0);
    expect(t.arena.usedBytes).toBe(totalClassBytes);
    const removed: number[] = [];
    for (let i = 0; i < n; i++) if (i % 10 !== 0) removed.push(i);
    for (const i of removed) {
      const s = t.find(i % 16, keys[i], hashKey(keys[i]));
      t.remove(s);
    }
    expect(t.count).toBe(n / 10);
    const keptClassBytes = keys.reduce((acc, _k, i) => acc + (i % 10 === 0 ? blockOf(i) : 0), 0);
    expect(t.arena.usedBytes).toBe(keptClassBytes);
    expect(t.arena.freeListBytes).toBe(totalClassBytes - keptClassBytes);
    for (let i = 0; i < n; i++) {
      const found = t.find(i % 16, keys[i], hashKey(keys[i])) >= 0;
      if (found !== (i % 10 === 0)) throw new Error(`key ${i}: found=${found} after deleting 90%`);
    }
    checkTableInvariants(t);

    // Re-insert different keys of the same sizes: every block comes from a free list.
    const capBytes = t.arena.capacityBytes;
    const top = t.arena.topBytes;
    const tableBytes = t.tableBytes;
    for (const i of removed) {
      const k = keys[i].slice();
      k[0] = 75; // 'K': same length, different key
      if (t.insert(i % 16, k, hashKey(k), vals[i].length, ObjType.string, ObjEnc.raw, exp[i]) < 0) throw new Error(`re-insert ${i} failed`);
    }
    expect(t.arena.capacityBytes).toBe(capBytes);
    expect(t.arena.topBytes).toBe(top);
    expect(t.arena.freeListBytes).toBe(0);
    expect(t.arena.usedBytes).toBe(totalClassBytes);
    expect(t.tableBytes).toBe(tableBytes);
    checkTableInvariants(t);
  }, 120_000);

  test("growing and shrinking one value many times does not leak arena bytes", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    const k = b("k");
    t.insert(0, k, hashKey(k), 10, ObjType.string, ObjEnc.raw, 0);
    const r = rng(8);
    for (let i = 0; i < 5000; i++) {
      const s = t.find(0, k, hashKey(k));
      t.resizeValue(s, Math.floor(r() ** 2 * 100_000), Math.floor(r() * 50));
      if (i % 7 === 0) t.setExpire(s, i % 2 ? 0 : 123 + i);
    }
    checkTableInvariants(t);
    const s = t.find(0, k, hashKey(k));
    expect(t.arena.usedBytes).toBe(classBytes(t.blockBytes(s)));
  });
});

// ---- running out of memory ----------------------------------------------------------------------

function tableWithArenaCap(maxBytes: number): Table {
  const sab = new SharedArrayBuffer(1 << 20, { maxByteLength: maxBytes });
  new Uint8Array(sab).set(new Uint8Array(Arena.create(8192)).subarray(0, 4096));
  return new Table(Table.create(), new Arena(sab));
}

describe("out of memory", () => {
  test("insert, resizeValue and setExpire fail cleanly and leave the entry and counters intact", () => {
    const t = tableWithArenaCap(2 << 20);
    const k = b("big");
    const s0 = t.insert(0, k, hashKey(k), 1_500_000, ObjType.string, ObjEnc.raw, 0);
    expect(s0).toBeGreaterThanOrEqual(0);
    t.arena.u8.fill(7, t.valueOffset(s0), t.valueOffset(s0) + 1_500_000);
    const k2 = b("other");
    const before = { count: t.count, used: t.arena.usedBytes, db0: t.dbKeys(0) };
    expect(t.insert(0, k2, hashKey(k2), 1_000_000, ObjType.string, ObjEnc.raw, 0)).toBe(-1);
    expect({ count: t.count, used: t.arena.usedBytes, db0: t.dbKeys(0) }).toEqual(before);
    expect(t.find(0, k2, hashKey(k2))).toBe(-1);

    const s = t.find(0, k, hashKey(k));
    expect(t.resizeValue(s, 1_900_000, 1_500_000)).toBe(false); // needs a second block
    expect(t.valueLen(s)).toBe(1_500_000);
    expect(t.setExpire(s, 5)).toBe(false); // moving to a 16-byte header needs a new block
    expect(t.expireAt(s)).toBe(0);
    expect(t.expiresCount).toBe(0);
    expect(t.valueView(s).every((x) => x === 7)).toBe(true);
    checkTableInvariants(t);
    expect(t.resizeValue(s, 10, 10)).toBe(true); // shrinking into a new small block works
    expect(t.setExpire(t.find(0, k, hashKey(k)), 5)).toBe(true);
    checkTableInvariants(t);
  }, 60_000);
});

// ---- SCAN ----------------------------------------------------------------------------------------

function fillTable(t: Table, n: number, prefix: string, db = 0): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = b(`${prefix}${i}`);
    if (t.insert(db, k, hashKey(k), 0, ObjType.string, ObjEnc.raw, 0) < 0) throw new Error("insert failed");
    keys.push(k);
  }
  return keys;
}

function scanKey(t: Table, s: number): string {
  return id(t.db(s), t.keyCopy(s));
}

describe("scanStep", () => {
  test("an empty table is scanned in `capacity` steps with no entries", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    let cursor = 0;
    let steps = 0;
    do {
      cursor = t.scanStep(cursor, () => {
        throw new Error("no entries expected");
      });
      steps++;
    } while (cursor !== 0);
    expect(steps).toBe(t.capacity);
  });

  for (const n of [1, 12, 13, 1000, 50_000]) {
    test(`with no changes, a full scan of ${n} keys returns each exactly once`, () => {
      const t = new Table(Table.create(), new Arena(Arena.create()));
      const keys = fillTable(t, n, "s");
      const seen = new Map<string, number>();
      let cursor = 0;
      do cursor = t.scanStep(cursor, (s) => seen.set(scanKey(t, s), (seen.get(scanKey(t, s)) ?? 0) + 1));
      while (cursor !== 0);
      expect(seen.size).toBe(n);
      expect(keys.filter((k) => seen.get(id(0, k)) !== 1).length).toBe(0);
    }, 60_000);
  }

  test("keys present throughout are returned even when the table doubles several times mid-scan", () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const t = new Table(Table.create(), new Arena(Arena.create()));
      const original = fillTable(t, 2000, `o${seed}-`);
      const seen = new Set<string>();
      let cursor = 0;
      let steps = 0;
      let added = 0;
      const capStart = t.capacity;
      do {
        cursor = t.scanStep(cursor, (s) => seen.add(scanKey(t, s)));
        steps++;
        if (steps % 97 === 0 && added < 60_000) {
          const m = 1000 + Math.floor(r() * 4000);
          fillTable(t, m, `n${seed}-${steps}-`);
          added += m;
        }
      } while (cursor !== 0);
      expect(t.capacity).toBeGreaterThanOrEqual(capStart * 8);
      const missing = original.filter((k) => !seen.has(id(0, k)));
      expect(missing.length).toBe(0);
    }
  }, 60_000);

  test("with inserts and removes that do not grow the table, keys present throughout come back exactly once", () => {
    const r = rng(12);
    const t = new Table(Table.create(14), new Arena(Arena.create()));
    const stay = fillTable(t, 3000, "stay");
    let churn = fillTable(t, 3000, "churn0-");
    const capStart = t.capacity;
    const seen = new Map<string, number>();
    let cursor = 0;
    let step = 0;
    do {
      cursor = t.scanStep(cursor, (s) => {
        const k = scanKey(t, s);
        seen.set(k, (seen.get(k) ?? 0) + 1);
      });
      if (++step % 200 === 0) {
        const kept: Uint8Array[] = [];
        for (const k of churn) {
          if (r() < 0.5) t.remove(t.find(0, k, hashKey(k)));
          else kept.push(k);
        }
        churn = kept.concat(fillTable(t, 1500, `churn${step}-`));
      }
    } while (cursor !== 0);
    expect(t.capacity).toBe(capStart);
    expect(stay.filter((k) => seen.get(id(0, k)) !== 1).length).toBe(0);
    for (const [k, times] of seen) if (times !== 1) throw new Error(`${k} returned ${times} times without growth`);
  }, 60_000);

  test("a cursor from a smaller table continues correctly after growth (cursor is masked)", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    const keys = fillTable(t, 10, "c");
    const seen = new Set<string>();
    let cursor = t.scanStep(0, (s) => seen.add(scanKey(t, s)));
    fillTable(t, 5000, "grow");
    do cursor = t.scanStep(cursor, (s) => seen.add(scanKey(t, s)));
    while (cursor !== 0);
    for (const k of keys) expect(seen.has(id(0, k))).toBe(true);
  });
});

describe("randomSlot", () => {
  test("-1 on an empty table; otherwise always an occupied slot, for any rand in [0, 1)", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    expect(t.randomSlot(0.5)).toBe(-1);
    const r = rng(4);
    const keys = fillTable(t, 3000, "r");
    for (const k of keys) if (r() < 0.97) t.remove(t.find(0, k, hashKey(k))); // sparse: long empty runs
    expect(t.count).toBeGreaterThan(0);
    for (const x of [0, 1e-12, 0.5, 0.999999, 1 - 2 ** -53]) expect(t.occupied(t.randomSlot(x))).toBe(true);
    for (let i = 0; i < 100_000; i++) {
      const s = t.randomSlot(r());
      if (s < 0 || s >= t.capacity || !t.occupied(s)) throw new Error(`randomSlot returned ${s}`);
    }
  });

  test("every key can be returned", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    fillTable(t, 200, "every");
    const r = rng(6);
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) seen.add(t.randomSlot(r()));
    expect(seen.size).toBe(200);
  });

  test("a single key in a large table is always the answer", () => {
    const t = new Table(Table.create(16), new Arena(Arena.create()));
    const k = b("only");
    const s = t.insert(0, k, hashKey(k), 1, ObjType.string, ObjEnc.raw, 0);
    for (const x of [0, 0.25, 0.5, 0.75, 0.9999999]) expect(t.randomSlot(x)).toBe(s);
  });
});

// ---- sharing across threads -----------------------------------------------------------------------

describe("shared buffers", () => {
  test("a second Table over the same buffers sees every entry, including after growth by the first", () => {
    const a = new Table(Table.create(), new Arena(Arena.create()));
    const other = new Table(a.sab, new Arena(a.arena.sab));
    const keys = fillTable(a, 20_000, "shared");
    expect(other.count).toBe(20_000);
    for (const k of keys) expect(other.find(0, k, hashKey(k))).toBeGreaterThanOrEqual(0);
  });

  test("a worker thread growing the table and arena is seen by this thread's existing views", async () => {
    const t = new Table(Table.create(), new Arena(Arena.create(8192)));
    const before = fillTable(t, 100, "main");
    const tableUrl = new URL("./table.ts", import.meta.url).href;
    const arenaUrl = new URL("./arena.ts", import.meta.url).href;
    const code = `
      import { Table, hashKey } from ${JSON.stringify(tableUrl)};
      import { Arena } from ${JSON.stringify(arenaUrl)};
      self.onmessage = (e) => {
        const t = new Table(e.data.table, new Arena(e.data.arena));
        const te = new TextEncoder();
        for (let i = 0; i < 30000; i++) {
          const k = te.encode("worker" + i);
          const s = t.insert(1, k, hashKey(k), 100, 0, 0, 0);
          t.arena.u8.fill(i & 255, t.valueOffset(s), t.valueOffset(s) + 100);
        }
        postMessage(t.count);
      };`;
    const url = URL.createObjectURL(new Blob([code], { type: "application/typescript" }));
    const worker = new Worker(url);
    try {
      const count = await new Promise<number>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data as number);
        worker.onerror = (e) => reject(new Error(String(e.message)));
        worker.postMessage({ table: t.sab, arena: t.arena.sab });
      });
      expect(count).toBe(30_100);
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
    expect(t.count).toBe(30_100);
    expect(t.capacity).toBe(1 << 16);
    expect(t.arena.u8.length).toBeGreaterThanOrEqual(t.arena.capacityBytes);
    for (const k of before) expect(t.find(0, k, hashKey(k))).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 30_000; i += 37) {
      const k = b(`worker${i}`);
      const s = t.find(1, k, hashKey(k));
      expect(s).toBeGreaterThanOrEqual(0);
      expect(t.valueView(s).every((x) => x === (i & 255))).toBe(true);
    }
    checkTableInvariants(t);
  }, 60_000);
});
