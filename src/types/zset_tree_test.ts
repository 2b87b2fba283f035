// The sorted-set B+tree against a sorted-array model: seeded random inserts, deletes and score
// updates (in place and moving, with many score ties) over sizes that cross several tree heights,
// with zsCheck (order, counts, separators, links, back-pointers, index) along the way and ranks,
// rank lookups, score and lex bounds and in-order walks compared with the model; an arena that runs
// full in the middle of an insert or a moving update leaves the set exactly as it was; the memory the
// set reports is what it holds, sequential loads fill their leaves, and deleting down to a few
// members gives the nodes back.

import { describe, expect, test } from "bun:test";
import { Arena } from "../keyspace/arena.ts";
import {
  type LexBound,
  nodeMemberLen,
  nodeMemberOff,
  nodeNext,
  nodePrev,
  nodeScore,
  zsAtRank,
  zsCheck,
  zsClone,
  zsConvert,
  zsCreate,
  zsDelete,
  zsDeserialize,
  zsFind,
  zsFirst,
  zsFirstInLex,
  zsFirstInScore,
  zsFree,
  zsInsert,
  zsLastInLex,
  zsLastInScore,
  zsLength,
  zsOwnedBytes,
  zsRank,
  zsSerialize,
  zsTail,
  zsUpdateScore,
} from "./zset.ts";

const te = new TextEncoder();
type Entry = { m: Uint8Array; key: string; s: number };

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

function cmpBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
const cmpEntry = (x: Entry, y: Entry) => (x.s !== y.s ? (x.s < y.s ? -1 : 1) : cmpBytes(x.m, y.m));

/** A sorted array with binary-search insert and remove (the model). */
class Model {
  items: Entry[] = [];
  byKey = new Map<string, Entry>();
  private lowerBound(e: Entry): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpEntry(this.items[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(e: Entry): void {
    this.items.splice(this.lowerBound(e), 0, e);
    this.byKey.set(e.key, e);
  }
  remove(e: Entry): void {
    const i = this.lowerBound(e);
    expect(this.items[i]).toBe(e);
    this.items.splice(i, 1);
    this.byKey.delete(e.key);
  }
  rank(e: Entry): number {
    return this.lowerBound(e);
  }
}

function memberKey(a: Arena, n: number): string {
  const off = nodeMemberOff(a, n);
  return Buffer.from(a.u8.subarray(off, off + nodeMemberLen(a, n))).toString("latin1");
}

function contents(a: Arena, d: number): string[] {
  const out: string[] = [];
  for (let n = zsFirst(a, d); n !== 0; n = nodeNext(a, n)) out.push(`${memberKey(a, n)}=${nodeScore(a, n)}`);
  return out;
}

const height = (a: Arena, d: number) => a.u32[d * 2 + 7];

/** Members of 1 to 12 bytes over a small alphabet (shared prefixes, so memcmp decides ties). */
function randomMember(r: () => number, universe: number): Uint8Array {
  const id = Math.floor(r() * universe);
  return te.encode(`${"abc"[id % 3]}${id.toString(36)}`);
}

/** Scores with many ties (a few small integers), -0 beside 0, and spread values. */
function randomScore(r: () => number): number {
  const p = r();
  if (p < 0.4) return Math.floor(r() * 6);
  if (p < 0.45) return -0;
  if (p < 0.5) return [Infinity, -Infinity, 1e-300, -2.5][Math.floor(r() * 4)];
  return Math.floor(r() * 1e6) / 8 - 60000;
}

/** Checks queries against the model: rank of a member, member at a rank, score bounds, a walk. */
function compareQueries(a: Arena, d: number, model: Model, r: () => number): void {
  const items = model.items;
  expect(zsLength(a, d)).toBe(items.length);
  if (items.length === 0) {
    expect(zsFirst(a, d)).toBe(0);
    expect(zsTail(a, d)).toBe(0);
    expect(zsFirstInScore(a, d, 0, false)).toBe(0);
    return;
  }
  for (let q = 0; q < 3; q++) {
    const k = Math.floor(r() * items.length);
    const at = zsAtRank(a, d, k);
    expect(memberKey(a, at)).toBe(items[k].key);
    expect(nodeScore(a, at)).toBe(items[k].s);
    const e = items[Math.floor(r() * items.length)];
    const n = zsFind(a, d, e.m, 0, e.m.length);
    expect(zsRank(a, d, n)).toBe(model.rank(e));
    const lo = randomScore(r);
    const ex = r() < 0.5;
    const first = zsFirstInScore(a, d, lo, ex);
    const want = items.find((x) => (ex ? x.s > lo : x.s >= lo));
    expect(first === 0 ? undefined : memberKey(a, first)).toBe(want?.key);
    const last = zsLastInScore(a, d, lo, ex);
    let wantLast: Entry | undefined;
    for (let i = items.length - 1; i >= 0; i--) {
      if (ex ? items[i].s < lo : items[i].s <= lo) {
        wantLast = items[i];
        break;
      }
    }
    expect(last === 0 ? undefined : memberKey(a, last)).toBe(wantLast?.key);
  }
  // A short walk both ways from a random rank.
  const k = Math.floor(r() * items.length);
  let n = zsAtRank(a, d, k);
  for (let i = k; i < Math.min(items.length, k + 40); i++, n = nodeNext(a, n)) expect(memberKey(a, n)).toBe(items[i].key);
  if (k + 40 >= items.length) expect(n).toBe(0);
  n = zsAtRank(a, d, k);
  for (let i = k; i >= Math.max(0, k - 40); i--, n = nodePrev(a, n)) expect(memberKey(a, n)).toBe(items[i].key);
  if (k - 40 < 0) expect(n).toBe(0);
}

/** One random step: insert a new member, move or nudge a score, or delete. `grow` biases inserts. */
function step(a: Arena, d: number, model: Model, r: () => number, grow: number, universe: number): void {
  const m = randomMember(r, universe);
  const key = Buffer.from(m).toString("latin1");
  const e = model.byKey.get(key);
  const n = zsFind(a, d, m, 0, m.length);
  expect(n !== 0).toBe(e !== undefined);
  const p = r();
  if (e === undefined) {
    if (p < grow) {
      const s = randomScore(r);
      expect(zsInsert(a, d, s, m, 0, m.length)).toBeGreaterThan(0);
      model.add({ m, key, s });
    }
  } else if (p < 0.45) {
    // Half nudges (mostly in place), half jumps anywhere.
    const s = r() < 0.5 ? e.s + (r() - 0.5) * 1e-9 * Math.max(1, Math.abs(e.s)) : randomScore(r);
    if (Number.isNaN(s)) return;
    expect(zsUpdateScore(a, d, n, s)).toBe(true);
    model.remove(e);
    e.s = s;
    model.add(e);
  } else if (p < 0.45 + (1 - grow)) {
    zsDelete(a, d, n);
    model.remove(e);
  }
}

describe("zset B+tree against a sorted-array model", () => {
  test("grow past three levels and shrink back to empty: every query matches, every invariant holds", () => {
    const a = new Arena(Arena.create());
    const base = a.usedBytes;
    const d = zsCreate(a);
    const model = new Model();
    const r = rng(11);
    const heights = new Set<number>();
    // Grow (inserts win), churn (balanced), shrink (deletes win).
    const phases: [number, number, number][] = [[0.97, 60000, 90000], [0.5, 20000, 90000], [0.03, 150000, 90000]];
    let steps = 0;
    for (const [grow, count, universe] of phases) {
      for (let i = 0; i < count; i++) {
        step(a, d, model, r, grow, universe);
        steps++;
        if (steps % 97 === 0) compareQueries(a, d, model, r);
        heights.add(height(a, d));
        if (steps % 20000 === 0 || (model.items.length < 2000 && steps % 700 === 0)) {
          zsCheck(a, d);
          expect(zsOwnedBytes(a, d)).toBe(a.usedBytes - base);
        }
      }
    }
    // Leave nothing: delete the rest in random order, checking as the tree collapses.
    while (model.items.length > 0) {
      const e = model.items[Math.floor(r() * model.items.length)];
      zsDelete(a, d, zsFind(a, d, e.m, 0, e.m.length));
      model.remove(e);
      if (model.items.length % 97 === 0) {
        zsCheck(a, d);
        compareQueries(a, d, model, r);
      }
    }
    zsCheck(a, d);
    expect([...heights].sort()).toEqual([0, 1, 2, 3]);
    expect(height(a, d)).toBe(0);
    zsFree(a, d);
    expect(a.usedBytes).toBe(base);
  }, 120_000);

  test("one score for every member: lex bounds and ranks over a multi-level tree", () => {
    const a = new Arena(Arena.create());
    const d = zsCreate(a);
    const model = new Model();
    const r = rng(5);
    for (let i = 0; i < 6000; i++) {
      const m = randomMember(r, 20000);
      const key = Buffer.from(m).toString("latin1");
      if (model.byKey.has(key)) continue;
      zsInsert(a, d, 0, m, 0, m.length);
      model.add({ m, key, s: 0 });
    }
    expect(height(a, d)).toBeGreaterThanOrEqual(2);
    zsCheck(a, d);
    const items = model.items;
    for (let q = 0; q < 500; q++) {
      const probe = randomMember(r, 30000).subarray(0, 1 + Math.floor(r() * 3));
      const kind = 1 + Math.floor(r() * 2);
      const b: LexBound = { kind, bytes: probe };
      const first = zsFirstInLex(a, d, b);
      const want = items.find((x) => (kind === 1 ? cmpBytes(x.m, probe) >= 0 : cmpBytes(x.m, probe) > 0));
      expect(first === 0 ? undefined : memberKey(a, first)).toBe(want?.key);
      const last = zsLastInLex(a, d, b);
      const below = items.filter((x) => (kind === 1 ? cmpBytes(x.m, probe) <= 0 : cmpBytes(x.m, probe) < 0));
      expect(last === 0 ? undefined : memberKey(a, last)).toBe(below.at(-1)?.key);
      if (first !== 0) expect(zsRank(a, d, first)).toBe(items.indexOf(want!));
    }
    expect(zsFirstInLex(a, d, { kind: 0, bytes: new Uint8Array() })).toBe(zsFirst(a, d));
    expect(zsLastInLex(a, d, { kind: 3, bytes: new Uint8Array() })).toBe(zsTail(a, d));
    expect(zsFirstInLex(a, d, { kind: 3, bytes: new Uint8Array() })).toBe(0);
    expect(zsLastInLex(a, d, { kind: 0, bytes: new Uint8Array() })).toBe(0);
    zsFree(a, d);
  });

  test("clone, serialize round trip and compact conversion of multi-level trees keep every invariant", () => {
    const a = new Arena(Arena.create());
    const d = zsCreate(a);
    const model = new Model();
    const r = rng(23);
    for (let i = 0; i < 30000; i++) step(a, d, model, r, 0.8, 40000);
    expect(height(a, d)).toBeGreaterThanOrEqual(2);
    const want = contents(a, d);
    const b = new Arena(Arena.create());
    const copy = zsClone(a, d, b);
    zsCheck(b, copy);
    expect(contents(b, copy)).toEqual(want);
    expect(zsOwnedBytes(b, copy)).toBe(b.usedBytes);
    const same = zsClone(a, d, a);
    zsCheck(a, same);
    expect(contents(a, same)).toEqual(want);
    const back = zsDeserialize(b, zsSerialize(a, d));
    zsCheck(b, back);
    expect(contents(b, back)).toEqual(want);
    // Both keep working like the original under the same changes.
    const r1 = rng(99);
    const r2 = rng(99);
    const m2 = new Model();
    for (const e of model.items) m2.add({ ...e });
    for (let i = 0; i < 3000; i++) {
      step(a, d, model, r1, 0.5, 40000);
      step(b, back, m2, r2, 0.5, 40000);
    }
    zsCheck(b, back);
    expect(contents(b, back)).toEqual(contents(a, d));
    // A large compact set (left compact by a full arena) converts bottom-up.
    const c = zsCreate(a, true);
    for (let i = 0; i < 1500; i++) {
      const m = te.encode(`c${i}`);
      zsInsert(a, c, i % 7, m, 0, m.length);
    }
    const before = contents(a, c);
    expect(zsConvert(a, c)).toBe(true);
    zsCheck(a, c);
    expect(contents(a, c)).toEqual(before);
    expect(height(a, c)).toBe(2);
  }, 60_000);

  test("sequential loads fill their leaves; deleting down to a few members gives the nodes back", () => {
    const a = new Arena(Arena.create());
    const base = a.usedBytes;
    const d = zsCreate(a);
    const count = 50000;
    for (let i = 0; i < count; i++) {
      const m = te.encode(`member:${i}`);
      zsInsert(a, d, i * 1.5, m, 0, m.length);
    }
    zsCheck(a, d);
    let leaves = 0;
    for (let leaf = a.u32[d * 2 + 1]; leaf !== 0; leaf = a.u32[leaf * 2 + 3]) leaves++;
    expect(leaves).toBe(Math.ceil(count / 33));
    const owned = zsOwnedBytes(a, d);
    expect(owned).toBe(a.usedBytes - base);
    // Records (40-byte class) + an entry of 12 bytes in full leaves + index (4 bytes at load > 3/8).
    expect(owned / count).toBeLessThan(40 + 12.7 + 11 + 1);
    const r = rng(3);
    const alive = Array.from({ length: count }, (_, i) => i);
    while (alive.length > 5) {
      const k = Math.floor(r() * alive.length);
      const m = te.encode(`member:${alive[k]}`);
      zsDelete(a, d, zsFind(a, d, m, 0, m.length));
      alive[k] = alive[alive.length - 1];
      alive.pop();
      if (alive.length % 5000 === 0) zsCheck(a, d);
    }
    zsCheck(a, d);
    expect(height(a, d)).toBe(0);
    // One leaf, five records, the descriptor and the index that stays.
    const index = 4 << a.u32[d * 2 + 5];
    expect(zsOwnedBytes(a, d) - index).toBeLessThan(1000);
    zsFree(a, d);
    expect(a.usedBytes).toBe(base);
  }, 60_000);
});

/** An arena whose alloc fails once `allowed` more allocations have succeeded. */
class FailingArena extends Arena {
  allowed = Infinity;
  override alloc(n: number): number {
    if (this.allowed <= 0) return 0;
    this.allowed--;
    return super.alloc(n);
  }
}

describe("zset B+tree on a full arena", () => {
  test("an insert or moving update that cannot get a node fails and leaves the set as it was", () => {
    const a = new FailingArena(Arena.create());
    const d = zsCreate(a);
    const model = new Model();
    const r = rng(77);
    for (let i = 0; i < 4000; i++) step(a, d, model, r, 0.9, 6000);
    let insertFailures = 0;
    let updateFailures = 0;
    let splitsUnderFailure = 0;
    for (let i = 0; i < 6000; i++) {
      const snapshot = i % 50 === 0 ? contents(a, d) : null;
      const used = a.usedBytes;
      const h = height(a, d);
      // Zero, one or two more allocations succeed: the record, the leaf, the internal nodes.
      a.allowed = Math.floor(r() * 3);
      const m = randomMember(r, 6000);
      const key = Buffer.from(m).toString("latin1");
      const e = model.byKey.get(key);
      const s = randomScore(r);
      if (e === undefined) {
        const n = zsInsert(a, d, s, m, 0, m.length);
        a.allowed = Infinity;
        if (n === 0) {
          insertFailures++;
          expect(zsFind(a, d, m, 0, m.length)).toBe(0);
        } else model.add({ m, key, s });
      } else {
        const n = zsFind(a, d, m, 0, m.length);
        const ok = zsUpdateScore(a, d, n, s);
        a.allowed = Infinity;
        if (!ok) {
          updateFailures++;
          expect(a.usedBytes).toBe(used);
          expect(nodeScore(a, n)).toBe(e.s);
        } else {
          model.remove(e);
          e.s = s;
          model.add(e);
          if (height(a, d) > h) splitsUnderFailure++;
        }
      }
      if (snapshot !== null) {
        zsCheck(a, d);
        if (model.items.length === snapshot.length) expect(contents(a, d).length).toBe(snapshot.length);
        expect(contents(a, d)).toEqual(model.items.map((x) => `${x.key}=${x.s}`));
      }
      // Keep the size roughly stable: delete a random member now and then.
      if (r() < 0.45 && model.items.length > 0) {
        const x = model.items[Math.floor(r() * model.items.length)];
        zsDelete(a, d, zsFind(a, d, x.m, 0, x.m.length));
        model.remove(x);
      }
    }
    zsCheck(a, d);
    expect(contents(a, d)).toEqual(model.items.map((x) => `${x.key}=${x.s}`));
    expect(insertFailures).toBeGreaterThan(100);
    expect(updateFailures).toBeGreaterThan(10);
    expect(splitsUnderFailure).toBeGreaterThanOrEqual(0);
  }, 60_000);

  test("every allocation of a large insert sequence can fail in turn without damage", () => {
    const a = new FailingArena(Arena.create());
    const d = zsCreate(a);
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const m = te.encode(`k${(i * 7919) % 3000}`);
      for (let allowed = 0; ; allowed++) {
        a.allowed = allowed;
        const n = zsInsert(a, d, i % 13, m, 0, m.length);
        a.allowed = Infinity;
        if (n !== 0) break;
        failures++;
        expect(zsLength(a, d)).toBe(i);
      }
      if (i % 500 === 0) zsCheck(a, d);
    }
    zsCheck(a, d);
    expect(zsLength(a, d)).toBe(3000);
    expect(failures).toBeGreaterThan(3000);
  });
});
