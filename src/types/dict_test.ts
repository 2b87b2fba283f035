import { describe, expect, test } from "bun:test";
import { Arena, classBytes } from "../keyspace/arena.ts";
import {
  dictClone, dictCreate, dictDelete, dictFind, dictForEach, dictFree, dictOwnedBytes, dictRandomNode, dictScan, dictSet,
  dictSize, nodeFieldLen, nodeFieldOff, nodeValueLen, nodeValueOff,
} from "./dict.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);

function fieldOf(a: Arena, n: number, valued: boolean): string {
  const off = nodeFieldOff(a, n, valued);
  return dec.decode(a.u8.subarray(off, off + nodeFieldLen(a, n)));
}
function valueOf(a: Arena, n: number): string {
  const off = nodeValueOff(a, n);
  return dec.decode(a.u8.subarray(off, off + nodeValueLen(a, n)));
}
function set(a: Arena, d: number, f: string, v: string): number {
  const fb = b(f);
  const vb = b(v);
  return dictSet(a, d, fb, 0, fb.length, vb, 0, vb.length);
}
function get(a: Arena, d: number, f: string): string | null {
  const fb = b(f);
  const n = dictFind(a, d, fb, 0, fb.length);
  return n === 0 ? null : valueOf(a, n);
}
function del(a: Arena, d: number, f: string): boolean {
  const fb = b(f);
  return dictDelete(a, d, fb, 0, fb.length);
}
function allFields(a: Arena, d: number, valued: boolean): string[] {
  const out: string[] = [];
  dictForEach(a, d, (n) => out.push(fieldOf(a, n, valued)));
  return out.sort();
}

describe("dict: an arena-resident hash table", () => {
  test("grows through incremental rehashing and finds every entry at every step", () => {
    const a = new Arena(Arena.create());
    const d = dictCreate(a, true);
    for (let i = 0; i < 5000; i++) {
      expect(set(a, d, `field:${i}`, `v${i}`)).toBe(1);
      if (i % 97 === 0) for (let j = 0; j <= i; j += 13) expect(get(a, d, `field:${j}`)).toBe(`v${j}`);
    }
    expect(dictSize(a, d)).toBe(5000);
    expect(set(a, d, "field:7", "changed, and much longer than it was before")).toBe(0);
    expect(get(a, d, "field:7")).toBe("changed, and much longer than it was before");
    expect(get(a, d, "missing")).toBeNull();
    expect(dictSize(a, d)).toBe(5000);
  });

  test("delete removes entries, shrinks, and used bytes return to the baseline after free", () => {
    const a = new Arena(Arena.create());
    const base = a.usedBytes;
    const d = dictCreate(a, true);
    for (let i = 0; i < 3000; i++) set(a, d, `k${i}`, "x".repeat(i % 50));
    for (let i = 0; i < 3000; i += 2) expect(del(a, d, `k${i}`)).toBe(true);
    expect(del(a, d, "k0")).toBe(false);
    expect(dictSize(a, d)).toBe(1500);
    for (let i = 1; i < 3000; i += 2) expect(get(a, d, `k${i}`)).toBe("x".repeat(i % 50));
    for (let i = 1; i < 2990; i += 2) del(a, d, `k${i}`);
    expect(dictSize(a, d)).toBe(5);
    expect(allFields(a, d, true)).toEqual(["k2991", "k2993", "k2995", "k2997", "k2999"]);
    // Shrinking is incremental too: operations move it along until the table fits the entries.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 2000; i++) set(a, d, "k2991", "x".repeat(2991 % 50));
      del(a, d, "k2999");
      set(a, d, "k2999", "x".repeat(2999 % 50));
    }
    expect(dictOwnedBytes(a, d, classBytes)).toBeLessThan(1024);
    dictFree(a, d);
    expect(a.usedBytes).toBe(base);
  });

  test("owned bytes equal what the arena counts for the dict", () => {
    const a = new Arena(Arena.create());
    const base = a.usedBytes;
    const d = dictCreate(a, false);
    for (let i = 0; i < 777; i++) {
      const m = b(`member-${i}`);
      dictSet(a, d, m, 0, m.length, null, 0, 0);
    }
    expect(dictOwnedBytes(a, d, classBytes)).toBe(a.usedBytes - base);
  });

  test("scan returns every entry present for the whole scan while the table grows and shrinks", () => {
    const a = new Arena(Arena.create());
    const d = dictCreate(a, false);
    const add = (s: string) => {
      const m = b(s);
      dictSet(a, d, m, 0, m.length, null, 0, 0);
    };
    for (let i = 0; i < 200; i++) add(`stable${i}`);
    const seen = new Set<string>();
    let cursor = 0;
    let step = 0;
    do {
      cursor = dictScan(a, d, cursor, (n) => seen.add(fieldOf(a, n, false)));
      step++;
      // Churn between calls: grow a lot, then delete the churn again (shrink).
      if (step < 40) for (let i = 0; i < 100; i++) add(`churn${step}_${i}`);
      else if (step === 40) for (let s = 1; s < 40; s++) for (let i = 0; i < 100; i++) {
        const m = b(`churn${s}_${i}`);
        dictDelete(a, d, m, 0, m.length);
      }
    } while (cursor !== 0 && step < 100000);
    expect(cursor).toBe(0);
    for (let i = 0; i < 200; i++) expect(seen.has(`stable${i}`)).toBe(true);
  });

  test("clone into another arena is independent and frees back to its baseline", () => {
    const src = new Arena(Arena.create());
    const dst = new Arena(Arena.create());
    const dstBase = dst.usedBytes;
    const d = dictCreate(src, true);
    for (let i = 0; i < 1000; i++) set(src, d, `f${i}`, `value-${i}`);
    const c = dictClone(src, d, dst);
    expect(c).not.toBe(0);
    expect(dictSize(dst, c)).toBe(1000);
    set(src, d, "f1", "changed");
    expect(get(dst, c, "f1")).toBe("value-1");
    expect(dictOwnedBytes(dst, c, classBytes)).toBe(dst.usedBytes - dstBase);
    dictFree(dst, c);
    expect(dst.usedBytes).toBe(dstBase);
  });

  test("random node picks reach every entry", () => {
    const a = new Arena(Arena.create());
    const d = dictCreate(a, true);
    for (let i = 0; i < 20; i++) set(a, d, `r${i}`, "v");
    const hit = new Set<string>();
    for (let i = 0; i < 2000; i++) hit.add(fieldOf(a, dictRandomNode(a, d, Math.random), true));
    expect(hit.size).toBe(20);
  });
});
