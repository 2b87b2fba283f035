import { describe, expect, test } from "bun:test";
import { Arena } from "../keyspace/arena.ts";
import { ObjEnc, ObjType, Table, hashKey } from "../keyspace/table.ts";
import { typeOps } from "./registry.ts";
import { hashConvert, hashDelete, hashEmptyBytes, hashForEach, hashGet, hashInitEmpty, hashLen, hashSet } from "./hash.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);

function newHash(t: Table, key = "h"): number {
  const k = b(key);
  const slot = t.insert(0, k, hashKey(k), hashEmptyBytes, ObjType.hash, ObjEnc.listpack, 0);
  hashInitEmpty(t, slot);
  return slot;
}
function entries(t: Table, slot: number): string[] {
  const out: string[] = [];
  hashForEach(t, slot, (u8, fo, fl, vo, vl) => out.push(`${dec.decode(u8.subarray(fo, fo + fl))}=${dec.decode(u8.subarray(vo, vo + vl))}`));
  return out;
}
function get(t: Table, slot: number, f: string): string | null {
  const v = hashGet(t, slot, b(f));
  return v === null ? null : dec.decode(v);
}

describe("hash storage", () => {
  test("listpack keeps insertion order, updates in place, shrinks and grows values, deletes", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    const slot = newHash(t);
    expect(hashSet(t, slot, b("a"), b("1"), 512, 64)).toBe(1);
    expect(hashSet(t, slot, b("b"), b("2"), 512, 64)).toBe(1);
    expect(hashSet(t, slot, b("c"), b("3"), 512, 64)).toBe(1);
    expect(hashSet(t, slot, b("b"), b("a much longer value than before"), 512, 64)).toBe(0);
    expect(entries(t, slot)).toEqual(["a=1", "b=a much longer value than before", "c=3"]);
    expect(hashSet(t, slot, b("b"), b(""), 512, 64)).toBe(0);
    expect(entries(t, slot)).toEqual(["a=1", "b=", "c=3"]);
    const big = "y".repeat(20000); // a 5-byte length prefix, allowed when the limit allows it
    expect(hashSet(t, slot, b("big"), b(big), 512, 1 << 20)).toBe(1);
    expect(get(t, slot, "big")).toBe(big);
    expect(hashDelete(t, slot, b("a"))).toBe(true);
    expect(hashDelete(t, slot, b("a"))).toBe(false);
    expect(hashLen(t, slot)).toBe(3);
    expect(get(t, slot, "c")).toBe("3");
    expect(t.encoding(slot)).toBe(ObjEnc.listpack);
  });

  test("converts past the entry limit or for a long value, and keeps every field", () => {
    const t = new Table(Table.create(), new Arena(Arena.create()));
    const slot = newHash(t);
    for (let i = 0; i < 4; i++) hashSet(t, slot, b(`f${i}`), b(`v${i}`), 4, 64);
    expect(t.encoding(slot)).toBe(ObjEnc.listpack);
    hashSet(t, slot, b("f4"), b("v4"), 4, 64);
    expect(t.encoding(slot)).toBe(ObjEnc.hashtable);
    for (let i = 0; i < 5; i++) expect(get(t, slot, `f${i}`)).toBe(`v${i}`);
    const s2 = newHash(t, "h2");
    hashSet(t, s2, b("f"), b("v"), 512, 64);
    hashSet(t, s2, b("g"), b("x".repeat(65)), 512, 64);
    const s2b = t.find(0, b("h2"), hashKey(b("h2")));
    expect(t.encoding(s2b)).toBe(ObjEnc.hashtable);
    expect(get(t, s2b, "g")).toBe("x".repeat(65));
  });

  test("type hooks: free returns the arena to its baseline, clone copies, ownedBytes counts", () => {
    const arena = new Arena(Arena.create());
    const t = new Table(Table.create(), arena);
    const base = arena.usedBytes;
    const slot = newHash(t);
    for (let i = 0; i < 1000; i++) hashSet(t, slot, b(`field:${i}`), b(`value:${i}`), 512, 64);
    expect(hashConvert(t, slot)).toBe(true);
    const ops = typeOps[ObjType.hash]!;
    const owned = ops.ownedBytes(arena, t.valueOffset(slot), t.valueLen(slot), t.encoding(slot));
    expect(owned + t.blockBytes(slot)).toBeGreaterThan(1000 * 24);
    const dstArena = new Arena(Arena.create());
    const dst = new Table(Table.create(), dstArena);
    const dstBase = dstArena.usedBytes;
    const k = b("h");
    const ds = dst.insert(0, k, hashKey(k), t.valueLen(slot), ObjType.hash, ObjEnc.hashtable, 0);
    dstArena.u8.set(arena.u8.subarray(t.valueOffset(slot), t.valueOffset(slot) + t.valueLen(slot)), dst.valueOffset(ds));
    expect(ops.clone(arena, t.valueOffset(slot), t.valueLen(slot), ObjEnc.hashtable, dstArena, dst.valueOffset(ds))).toBe(true);
    expect(get(dst, ds, "field:999")).toBe("value:999");
    ops.free(arena, t.valueOffset(slot), t.valueLen(slot), t.encoding(slot));
    t.remove(slot);
    expect(arena.usedBytes).toBe(base);
    expect(get(dst, ds, "field:0")).toBe("value:0");
    ops.free(dstArena, dst.valueOffset(ds), dst.valueLen(ds), dst.encoding(ds));
    dst.remove(ds);
    expect(dstArena.usedBytes).toBe(dstBase);
  });
});
