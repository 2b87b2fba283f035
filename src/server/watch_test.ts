// WATCH registry tests: exact per-key dirtying (records sharing a bucket are compared by bytes),
// expiry and deletion rules at EXEC time, SWAPDB's rules, and that every record and bucket array is
// freed (arena bytes back to where they started) on unwatch.

import { describe, expect, test } from "bun:test";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ObjEnc } from "../keyspace/table.ts";
import type { Exec } from "./exec.ts";
import type { Session } from "./session.ts";
import { swapDbHook, touchWatchedKey, unwatchAll, watchKey, watchedKeysChanged, watchedRecords } from "./watch.ts";

const te = new TextEncoder();
const b = (s: string) => te.encode(s);
const now = 1_800_000_000_000;

function setup(shards = 1): { ks: Keyspace; x: Exec } {
  const ks = new Keyspace(createKeyspaceBuffers(shards, 16));
  ks.now = now;
  return { ks, x: { ks } as unknown as Exec };
}

let nextId = 1;
function session(): Session {
  return { id: nextId++, watched: null } as unknown as Session;
}

function used(ks: Keyspace): number[] {
  return ks.arenas.map((a) => a.usedBytes);
}

/** Runs fn with every shard locked, as WATCH/EXEC/writers run under their shards' locks. */
function locked<T>(ks: Keyspace, fn: () => T): T {
  ks.lockAll();
  try {
    return fn();
  } finally {
    ks.unlockAll();
  }
}

describe("watch registry", () => {
  test("a write dirties exactly the watchers of that db and key, across 500 keys in shared buckets", () => {
    const { ks, x } = setup(3);
    const a = session();
    const c = session();
    locked(ks, () => {
      for (let i = 0; i < 500; i++) expect(watchKey(ks, a, 0, b(`key:${i}`), now)).toBe(true);
      expect(watchKey(ks, c, 1, b("key:7"), now)).toBe(true);
      expect(watchedRecords(ks)).toBe(501);
      touchWatchedKey(x, 0, b("key:7x")); // a different key (maybe same bucket): no change
      touchWatchedKey(x, 2, b("key:7")); // same key, another db: no change
      expect(watchedKeysChanged(ks, a, now)).toBe(false);
      expect(watchedKeysChanged(ks, c, now)).toBe(false);
      touchWatchedKey(x, 1, b("key:7"));
      expect(watchedKeysChanged(ks, a, now)).toBe(false);
      expect(watchedKeysChanged(ks, c, now)).toBe(true);
      touchWatchedKey(x, 0, b("key:499"));
      expect(watchedKeysChanged(ks, a, now)).toBe(true);
    });
  });

  test("watching a key twice keeps one record; unwatch frees every byte", () => {
    const { ks } = setup(3);
    const before = used(ks);
    const a = session();
    locked(ks, () => {
      for (let round = 0; round < 2; round++) for (let i = 0; i < 200; i++) watchKey(ks, a, 0, b(`k${i}`), now);
    });
    expect(watchedRecords(ks)).toBe(200);
    expect(a.watched!.length).toBe(400);
    unwatchAll(ks, a, false);
    expect(a.watched).toBe(null);
    expect(watchedRecords(ks)).toBe(0);
    expect(used(ks)).toEqual(before);
  });

  test("nobody watching: a write does no work (the registry stays empty)", () => {
    const { ks, x } = setup(1);
    const before = used(ks);
    locked(ks, () => touchWatchedKey(x, 0, b("k")));
    expect(used(ks)).toEqual(before);
  });

  test("a key live at WATCH that is deleted without a signal (expiry, eviction, flush) aborts", () => {
    const { ks } = setup(1);
    const a = session();
    locked(ks, () => {
      ks.setString(0, b("k"), b("v"), ObjEnc.embstr, 0);
      watchKey(ks, a, 0, b("k"), now);
      expect(watchedKeysChanged(ks, a, now)).toBe(false);
      const slot = ks.lookup(0, b("k"));
      ks.deleteSlot(ks.t, slot);
      expect(watchedKeysChanged(ks, a, now)).toBe(true);
    });
  });

  test("expiry: a key that expires after WATCH aborts; one already expired at WATCH does not", () => {
    const { ks, x } = setup(1);
    const a = session();
    const c = session();
    locked(ks, () => {
      ks.setString(0, b("live"), b("v"), ObjEnc.embstr, now + 100);
      ks.setString(0, b("dead"), b("v"), ObjEnc.embstr, now - 1);
      watchKey(ks, a, 0, b("live"), now);
      watchKey(ks, c, 0, b("dead"), now);
      expect(watchedKeysChanged(ks, a, now + 50)).toBe(false);
      expect(watchedKeysChanged(ks, a, now + 100)).toBe(true);
      expect(watchedKeysChanged(ks, c, now + 100)).toBe(false);
      // The expired key's deletion, if signalled, is no change; a later write is one.
      const t = ks.route(b("dead"));
      ks.deleteSlot(t, t.find(0, b("dead"), ks.h)); // a raw find: lookup would expire it itself
      touchWatchedKey(x, 0, b("dead"));
      expect(watchedKeysChanged(ks, c, now + 100)).toBe(false);
      ks.setString(0, b("dead"), b("again"), ObjEnc.embstr, 0);
      touchWatchedKey(x, 0, b("dead"));
      expect(watchedKeysChanged(ks, c, now + 100)).toBe(true);
    });
  });

  test("SWAPDB dirties watchers of a key present in either db, not of a key in neither", () => {
    const { ks } = setup(3);
    const inA = session();
    const inB = session();
    const neither = session();
    locked(ks, () => {
      ks.setString(0, b("x"), b("1"), ObjEnc.int, 0);
      ks.setString(1, b("y"), b("1"), ObjEnc.int, 0);
      watchKey(ks, inA, 0, b("x"), now);
      watchKey(ks, inB, 0, b("y"), now); // absent in 0, present in 1
      watchKey(ks, neither, 0, b("z"), now);
      swapDbHook(ks, 0, 1);
      ks.swapDb(0, 1);
      expect(watchedKeysChanged(ks, inA, now)).toBe(true);
      expect(watchedKeysChanged(ks, inB, now)).toBe(true);
      expect(watchedKeysChanged(ks, neither, now)).toBe(false);
    });
  });
});
