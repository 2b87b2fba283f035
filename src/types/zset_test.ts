// The arena B+tree (and the compact form) against a sorted-array model: random inserts, score updates
// and deletes, with every invariant checked (order, counts, separators, links, back-pointers, index)
// and ranks, rank lookups and score/lex range bounds compared with the model. The larger randomized
// model test of the tree (heights, a full arena, memory) is zset_tree_test.ts.

import { describe, expect, test } from "bun:test";
import { Arena } from "../keyspace/arena.ts";
import {
  type LexBound,
  zsAtRank,
  zsCheck,
  zsClone,
  zsCreate,
  zsDelete,
  zsFind,
  zsFirstInLex,
  zsFirstInScore,
  zsFree,
  zsFirst,
  zsInsert,
  zsLastInLex,
  zsLastInScore,
  zsLength,
  zsRank,
  zsUpdateScore,
  zsConvert,
  zsTail,
  isCompact,
  nodeNext,
  nodePrev,
  nodeMemberLen,
  nodeMemberOff,
  nodeScore,
} from "./zset.ts";

const te = new TextEncoder();
const scoreChoices = [1.5, -0.25, 300, -300, 70000, -70000, 3e9, -3e9, -0, Infinity, -Infinity, 2 ** 53, 1e-300];
type Entry = { m: string; s: number };
const cmp = (x: Entry, y: Entry) => (x.s !== y.s ? x.s - y.s : Buffer.compare(Buffer.from(x.m), Buffer.from(y.m)));

function memberOf(a: Arena, n: number): string {
  const off = nodeMemberOff(a, n);
  return Buffer.from(a.u8.slice(off, off + nodeMemberLen(a, n))).toString();
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

describe("zset B+tree with subtree counts, and the compact form", () => {
  for (const compact of [false, true]) test(`${compact ? "compact" : "tree"}: random inserts, updates and deletes keep order, ranks and index equal to a sorted-array model`, () => {
    const a = new Arena(Arena.create());
    const d = zsCreate(a, compact);
    const r = rng(7);
    let model: Entry[] = [];
    for (let step = 0; step < 4000; step++) {
      const m = `m${Math.floor(r() * (compact ? 200 : 600))}`;
      // Integers of every compact width, fractions, -0 and infinities.
      const s = r() < 0.6 ? Math.floor(r() * 50) - 25 : scoreChoices[Math.floor(r() * scoreChoices.length)];
      const mb = te.encode(m);
      const n = zsFind(a, d, mb, 0, mb.length);
      const op = r();
      if (n === 0) {
        expect(model.find((e) => e.m === m)).toBeUndefined();
        if (op < 0.7) {
          zsInsert(a, d, s, mb, 0, mb.length);
          model.push({ m, s });
        }
      } else if (op < 0.5) {
        zsUpdateScore(a, d, n, s);
        model.find((e) => e.m === m)!.s = s;
      } else {
        zsDelete(a, d, n);
        model = model.filter((e) => e.m !== m);
      }
      model.sort(cmp);
      expect(zsLength(a, d)).toBe(model.length);
      if (step % 400 === 0) zsCheck(a, d);
      if (model.length > 0) {
        const k = Math.floor(r() * model.length);
        const at = zsAtRank(a, d, k);
        expect(memberOf(a, at)).toBe(model[k].m);
        expect(zsRank(a, d, at)).toBe(k);
        const lo = Math.floor(r() * 50) - 25;
        const ex = r() < 0.5;
        const first = zsFirstInScore(a, d, lo, ex);
        const want = model.find((e) => (ex ? e.s > lo : e.s >= lo));
        expect(first === 0 ? undefined : memberOf(a, first)).toBe(want?.m);
        const last = zsLastInScore(a, d, lo, ex);
        const wantLast = [...model].reverse().find((e) => (ex ? e.s < lo : e.s <= lo));
        expect(last === 0 ? undefined : memberOf(a, last)).toBe(wantLast?.m);
        expect(last === 0 ? undefined : nodeScore(a, last)).toBe(wantLast?.s);
      }
    }
    zsCheck(a, d);
    const copy = zsClone(a, d, a);
    zsCheck(a, copy);
    expect(isCompact(a, copy)).toBe(compact);
    expect(zsLength(a, copy)).toBe(model.length);
    // Walking backwards from the tail meets the model in reverse.
    const back: string[] = [];
    for (let n = zsTail(a, copy); n !== 0; n = nodePrev(a, n)) back.push(memberOf(a, n));
    expect(back).toEqual(model.map((e) => e.m).reverse());
    expect(zsConvert(a, copy)).toBe(true);
    expect(isCompact(a, copy)).toBe(false);
    zsCheck(a, copy);
    const forward: string[] = [];
    for (let n = zsFirst(a, copy); n !== 0; n = nodeNext(a, n)) forward.push(`${memberOf(a, n)}=${nodeScore(a, n)}`);
    expect(forward).toEqual(model.map((e) => `${e.m}=${e.s}`));
    zsFree(a, copy);
    zsFree(a, d);
    expect(a.usedBytes).toBe(0);
  }, 30_000);

  test("lex bounds over members that share one score", () => {
    const a = new Arena(Arena.create());
    const d = zsCreate(a);
    const words = ["a", "b", "bb", "c", "d", "e"];
    for (const w of words) zsInsert(a, d, 0, te.encode(w), 0, w.length);
    const b = (kind: number, s = ""): LexBound => ({ kind, bytes: te.encode(s) });
    expect(memberOf(a, zsFirstInLex(a, d, b(1, "b")))).toBe("b");
    expect(memberOf(a, zsFirstInLex(a, d, b(2, "b")))).toBe("bb");
    expect(memberOf(a, zsFirstInLex(a, d, b(0)))).toBe("a");
    expect(zsFirstInLex(a, d, b(3))).toBe(0);
    expect(memberOf(a, zsLastInLex(a, d, b(1, "c")))).toBe("c");
    expect(memberOf(a, zsLastInLex(a, d, b(2, "c")))).toBe("bb");
    expect(memberOf(a, zsLastInLex(a, d, b(3)))).toBe("e");
    expect(zsLastInLex(a, d, b(0))).toBe(0);
    zsFree(a, d);
  });

  test("100k members: rank of every 1000th member is its position", () => {
    const a = new Arena(Arena.create());
    const d = zsCreate(a);
    for (let i = 0; i < 100000; i++) {
      const m = te.encode(`member:${i}`);
      zsInsert(a, d, (i * 7919) % 100000, m, 0, m.length);
    }
    for (let k = 0; k < 100000; k += 1000) {
      const n = zsAtRank(a, d, k);
      expect(nodeScore(a, n)).toBe(k);
      expect(zsRank(a, d, n)).toBe(k);
    }
    zsFree(a, d);
    expect(a.usedBytes).toBe(0);
  });
});
