import { describe, expect, test } from "bun:test";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { setAdd, setForEach, setIsMember, setRemove, setSize, setStoreMembers } from "./set.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);

function members(ks: Keyspace, key: string): string[] {
  const slot = ks.lookup(0, b(key));
  const out: string[] = [];
  setForEach(ks.t, slot, (u8, off, len) => out.push(dec.decode(u8.subarray(off, off + len))));
  return out;
}

function withKeyspace(fn: (ks: Keyspace) => void): void {
  const ks = new Keyspace(createKeyspaceBuffers(1, 16));
  ks.lock(0);
  try {
    fn(ks);
  } finally {
    ks.unlock(0);
  }
}

describe("set storage", () => {
  test("intset: sorted int64 members, canonical text only, removal", () => {
    withKeyspace((ks) => {
      const slot = setStoreMembers(ks, 0, b("s"), ["5", "-3", "9223372036854775807", "-9223372036854775808", "0", "5", "9007199254740993"].map(b), 0, 512);
      const t = ks.t;
      expect(t.encoding(slot)).toBe(ObjEnc.intset);
      expect(members(ks, "s")).toEqual(["-9223372036854775808", "-3", "0", "5", "9007199254740993", "9223372036854775807"]);
      expect(setIsMember(t, slot, b("05"), 0, 2)).toBe(false);
      expect(setIsMember(t, slot, b("9007199254740993"), 0, 16)).toBe(true);
      expect(setIsMember(t, slot, b("9007199254740992"), 0, 16)).toBe(false);
      expect(setRemove(t, slot, b("-3"), 0, 2)).toBe(true);
      expect(setRemove(t, slot, b("-3"), 0, 2)).toBe(false);
      expect(setSize(t, slot)).toBe(5);
    });
  });

  test("a word or the entry limit converts to a hashtable that keeps every member", () => {
    withKeyspace((ks) => {
      let slot = setStoreMembers(ks, 0, b("s"), ["1", "2", "3"].map(b), 0, 3);
      expect(ks.t.encoding(slot)).toBe(ObjEnc.intset);
      expect(setAdd(ks.t, slot, b("4"), 3)).toBe(1);
      expect(ks.t.encoding(slot)).toBe(ObjEnc.hashtable);
      expect(members(ks, "s").sort()).toEqual(["1", "2", "3", "4"]);
      slot = setStoreMembers(ks, 0, b("w"), ["1", "2"].map(b), 0, 512);
      expect(setAdd(ks.t, slot, b("x"), 512)).toBe(1);
      expect(ks.t.encoding(slot)).toBe(ObjEnc.hashtable);
      expect(setAdd(ks.t, slot, b("x"), 512)).toBe(0);
      expect(members(ks, "w").sort()).toEqual(["1", "2", "x"]);
      expect(ks.t.type(slot)).toBe(ObjType.set);
    });
  });

  test("setStoreMembers replaces the key, starts as an intset when it can, and an empty list deletes", () => {
    withKeyspace((ks) => {
      const base = ks.arenas[0].usedBytes;
      setStoreMembers(ks, 0, b("d"), Array.from({ length: 1000 }, (_, i) => b(`m${i}`)), 0, 512);
      expect(ks.t.encoding(ks.lookup(0, b("d")))).toBe(ObjEnc.hashtable);
      const slot = setStoreMembers(ks, 0, b("d"), ["7", "3"].map(b), 0, 512);
      expect(ks.t.encoding(slot)).toBe(ObjEnc.intset);
      expect(members(ks, "d")).toEqual(["3", "7"]);
      expect(setStoreMembers(ks, 0, b("d"), [], 0, 512)).toBe(-1);
      expect(ks.lookup(0, b("d"))).toBe(-1);
      expect(ks.arenas[0].usedBytes).toBe(base);
    });
  });
});
