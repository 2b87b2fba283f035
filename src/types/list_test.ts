// The arena list against a JS array model: seeded random streams of every mutation (push/pop at
// both ends, seek + replace/insert/delete in both walk directions, trims), under several node
// limits (list-max-listpack-size) and element sizes that cross every length-header class, with the
// full contents, the structure's invariants (listToArray asserts them) and exact arena accounting
// checked along the way. A failure names its seed and step.

import { describe, expect, test } from "bun:test";
import { Arena } from "../keyspace/arena.ts";
import { ObjEnc, ObjType, Table, hashKey } from "../keyspace/table.ts";
import { typeOps } from "./registry.ts";
import {
  el, emptyListBytes, initEmpty, iterDelete, iterInsert, iterNext, iterPrev, iterRead, iterReplace, iterSeek,
  listDropEnd, listLength, listPeek, listPopDiscard, listPopFast, listPush, listToArray, setListFill,
} from "./list.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

function fresh(): { t: Table; slot: number; arena: Arena } {
  const arena = new Arena(Arena.create());
  const t = new Table(Table.create(), arena);
  const key = new TextEncoder().encode("k");
  const slot = t.insert(0, key, hashKey(key), emptyListBytes, ObjType.list, ObjEnc.quicklist, 0);
  initEmpty(t, slot);
  return { t, slot, arena };
}

function val(r: () => number, i: number): Uint8Array {
  const pick = r();
  const len = pick < 0.6 ? Math.floor(r() * 12) : pick < 0.85 ? 100 + Math.floor(r() * 60) : pick < 0.97 ? 300 + Math.floor(r() * 900) : 16380 + Math.floor(r() * 20);
  const b = new Uint8Array(len);
  for (let j = 0; j < len; j++) b[j] = (i * 31 + j * 7) & 0xff;
  return b;
}

const hex = (a: Uint8Array[]) => a.map((b) => Buffer.from(b).toString("hex"));

function elBytes(t: Table): Uint8Array {
  return t.arena.u8.slice(el.off, el.off + el.len);
}

let checkEvery = !!process.env.LIST_CHECK_EVERY;
function runStream(seed: number, fill: number, steps: number): void {
  setListFill(fill);
  const { t, slot, arena } = fresh();
  const r = rng(seed);
  let model: Uint8Array[] = [];
  const ctx = (step: number, op: string) => `seed ${seed} fill ${fill} step ${step} op ${op}`;
  for (let step = 0; step < steps; step++) {
    const roll = r();
    let op = "";
    const n = model.length;
    if (roll < 0.3 || n === 0) {
      const head = r() < 0.5;
      op = head ? "lpush" : "rpush";
      const burst = 1 + Math.floor(r() * 8);
      for (let k = 0; k < burst; k++) {
        const v = val(r, step * 10 + k);
        expect(listPush(t, slot, head, v)).toBe(true);
        if (head) model.unshift(v);
        else model.push(v);
      }
    } else if (roll < 0.45) {
      const head = r() < 0.5;
      op = head ? "lpop" : "rpop";
      if (r() < 0.5 && listPopFast(t, slot, head)) {
        // The fast pop leaves the element readable until the next write.
        expect(Buffer.from(elBytes(t)).toString("hex"), ctx(step, op)).toBe(Buffer.from(head ? model[0] : model[n - 1]).toString("hex"));
      } else {
        listPeek(t, slot, head);
        expect(Buffer.from(elBytes(t)).toString("hex"), ctx(step, op)).toBe(Buffer.from(head ? model[0] : model[n - 1]).toString("hex"));
        listPopDiscard(t, slot, head);
      }
      if (head) model.shift();
      else model.pop();
    } else if (roll < 0.55) {
      op = "lset";
      const i = Math.floor(r() * n);
      iterSeek(t, slot, i);
      expect(Buffer.from(elBytes(t)).toString("hex"), ctx(step, op)).toBe(Buffer.from(model[i]).toString("hex"));
      const v = val(r, step);
      expect(iterReplace(t, slot, v)).toBe(true);
      model[i] = v;
    } else if (roll < 0.67) {
      op = "linsert";
      const i = Math.floor(r() * n);
      const after = r() < 0.5;
      iterSeek(t, slot, i);
      const v = val(r, step);
      expect(iterInsert(t, slot, v, after)).toBe(true);
      model.splice(after ? i + 1 : i, 0, v);
    } else if (roll < 0.77) {
      // LREM-like walk forwards from a random index deleting every other element for a while.
      op = "delete-forward";
      let i = Math.floor(r() * n);
      iterSeek(t, slot, i);
      let left = 1 + Math.floor(r() * 6);
      for (;;) {
        expect(Buffer.from(elBytes(t)).toString("hex"), ctx(step, op)).toBe(Buffer.from(model[i]).toString("hex"));
        if (left-- > 0 && r() < 0.6) {
          model.splice(i, 1);
          if (!iterDelete(t, slot)) break;
          iterRead(t, slot);
        } else {
          i++;
          if (!iterNext(t, slot)) break;
        }
        if (left <= 0) break;
      }
    } else if (roll < 0.85) {
      op = "delete-backward";
      let i = Math.floor(r() * n);
      iterSeek(t, slot, i);
      let left = 1 + Math.floor(r() * 6);
      for (;;) {
        expect(Buffer.from(elBytes(t)).toString("hex"), ctx(step, op)).toBe(Buffer.from(model[i]).toString("hex"));
        if (r() < 0.6) {
          model.splice(i, 1);
          iterDelete(t, slot);
        }
        left--;
        i--;
        if (left <= 0 || i < 0) break;
        expect(iterPrev(t, slot), ctx(step, op)).toBe(true);
      }
    } else if (roll < 0.92) {
      op = "trim";
      const a = Math.floor(r() * Math.min(n, 5));
      const b = Math.floor(r() * Math.min(n - a, 5));
      listDropEnd(t, slot, true, a);
      listDropEnd(t, slot, false, b);
      model = model.slice(a, n - b);
    } else {
      op = "walk";
      if (n > 0) {
        const i = Math.floor(r() * n);
        iterSeek(t, slot, i);
        let j = i;
        while (iterNext(t, slot)) {
          j++;
          expect(Buffer.from(elBytes(t)).toString("hex"), ctx(step, op)).toBe(Buffer.from(model[j]).toString("hex"));
        }
        expect(j, ctx(step, op)).toBe(n - 1);
      }
    }
    expect(listLength(t, slot), ctx(step, op)).toBe(model.length);
    if (checkEvery || step % 7 === 0 || model.length < 4) {
      let got: Uint8Array[];
      try {
        got = listToArray(t, slot);
      } catch (e) {
        throw new Error(`${ctx(step, op)}: ${String(e)}`);
      }
      expect(hex(got), ctx(step, op)).toEqual(hex(model));
    }
    if (model.length === 0) {
      // A command would delete the key here; the structure must hold nothing outside the block.
      expect(typeOps[ObjType.list]!.ownedBytes(arena, t.valueOffset(slot), t.valueLen(slot), 0), ctx(step, op)).toBe(0);
    }
  }
  expect(hex(listToArray(t, slot))).toEqual(hex(model));
  // Freeing returns every node: only the key's block remains.
  typeOps[ObjType.list]!.free(arena, t.valueOffset(slot), t.valueLen(slot), 0);
  t.remove(slot);
  expect(arena.usedBytes).toBe(0);
}

describe("arena list vs JS array model", () => {
  for (const fill of [-2, -1, 3, 1, 128]) {
    test(`random streams keep contents and invariants (list-max-listpack-size ${fill})`, () => {
      for (let seed = 1; seed <= 4; seed++) runStream(seed * 7919 + fill, fill, 700);
    }, 60_000);
  }

  test("a large list pushes and pops at both ends in O(1) per element", () => {
    setListFill(-2);
    const { t, slot, arena } = fresh();
    const v = new Uint8Array([1, 2, 3]);
    const t0 = performance.now();
    for (let i = 0; i < 200_000; i++) listPush(t, slot, i % 2 === 0, v);
    for (let i = 0; i < 199_990; i++) listPopDiscard(t, slot, i % 3 === 0);
    const ms = performance.now() - t0;
    expect(listLength(t, slot)).toBe(10);
    expect(listToArray(t, slot).length).toBe(10);
    expect(ms).toBeLessThan(15_000); // O(n) per op would take minutes; loose for a loaded machine
    // Back to the inline form: nothing owned outside the block.
    expect(typeOps[ObjType.list]!.ownedBytes(arena, t.valueOffset(slot), t.valueLen(slot), 0)).toBe(0);
  }, 60_000);

  test("clone makes an independent copy into another arena", () => {
    setListFill(-2);
    const a = fresh();
    for (let i = 0; i < 5000; i++) listPush(a.t, a.slot, false, new TextEncoder().encode(`v${i}`));
    const b = fresh();
    const len = a.t.valueLen(a.slot);
    b.t.resizeValue(b.slot, len);
    b.arena.u8.set(a.arena.u8.subarray(a.t.valueOffset(a.slot), a.t.valueOffset(a.slot) + len), b.t.valueOffset(b.slot));
    expect(typeOps[ObjType.list]!.clone(a.arena, a.t.valueOffset(a.slot), len, 0, b.arena, b.t.valueOffset(b.slot))).toBe(true);
    listPopDiscard(a.t, a.slot, true);
    const copy = listToArray(b.t, b.slot);
    expect(copy.length).toBe(5000);
    expect(new TextDecoder().decode(copy[0])).toBe("v0");
    expect(listToArray(a.t, a.slot).length).toBe(4999);
  });
});

describe("serialize and deserialize (shard log, snapshots)", () => {
  for (const n of [3, 40, 5000]) {
    test(`a list of ${n} elements round-trips through its self-contained bytes`, () => {
      setListFill(-2);
      const a = fresh();
      for (let i = 0; i < n; i++) listPush(a.t, a.slot, false, new TextEncoder().encode(`value-${i}-${"z".repeat(i % 50)}`));
      const ops = typeOps[ObjType.list]!;
      const before = listToArray(a.t, a.slot);
      const ser = ops.serialize!(a.arena, a.t.valueOffset(a.slot), a.t.valueLen(a.slot), 0);
      const bytes = ser ?? a.t.valueView(a.slot).slice();
      const b = fresh();
      const block = ops.deserialize!(b.arena, bytes, 0)!;
      b.t.resizeValue(b.slot, block.length);
      b.arena.u8.set(block, b.t.valueOffset(b.slot));
      expect(hex(listToArray(b.t, b.slot))).toEqual(hex(before));
      expect(listLength(b.t, b.slot)).toBe(n);
      // The copy is a working list: it pops and pushes.
      listPopDiscard(b.t, b.slot, true);
      listPush(b.t, b.slot, true, new Uint8Array([1]));
      expect(listToArray(b.t, b.slot).length).toBe(n);
    });
  }
});
