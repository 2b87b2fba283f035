// Keyspace tests: routing of keys to shards (CRC16 slot ranges, hash tags), lookups with lazy expiry
// and access clocks, setString's create/replace/keep-TTL rules, per-db accounting through the logical
// -> physical db map (SWAPDB), and the futex lock under real contention from worker threads.

import { describe, expect, test } from "bun:test";
import { keyHashSlot } from "../../native-free/crc16.ts";
import { AssertionError } from "../assert.ts";
import { Arena } from "./arena.ts";
import { lfuInitVal, lruClock } from "./clock.ts";
import { Keyspace, createKeyspaceBuffers, slotCount, type KeyspaceBuffers } from "./keyspace.ts";
import { ObjEnc, ObjType, Table } from "./table.ts";

const te = new TextEncoder();
const b = (s: string) => te.encode(s);
const now = 1_800_000_000_000;

/** A keyspace whose shards are all locked, as the dispatcher holds them while a command runs. */
function keyspace(shards = 1, databases = 16): Keyspace {
  const ks = new Keyspace(createKeyspaceBuffers(shards, databases));
  ks.now = now;
  ks.lockAll();
  return ks;
}

function valueOf(ks: Keyspace, db: number, key: string): string | null {
  const slot = ks.lookup(db, b(key));
  if (slot < 0) return null;
  return new TextDecoder().decode(ks.t.valueView(slot));
}

describe("routing", () => {
  test("shard count is bounded at creation", () => {
    expect(() => createKeyspaceBuffers(0, 16)).toThrow(AssertionError);
    expect(() => createKeyspaceBuffers(33, 16)).toThrow(AssertionError);
    expect(createKeyspaceBuffers(32, 16).shards.length).toBe(32); // the reply tracker keeps a 32-bit shard mask
  });

  test("touching a shard without holding its lock is an assertion (our bug)", () => {
    const ks = new Keyspace(createKeyspaceBuffers(3, 16));
    const k = b("somekey");
    expect(() => ks.route(k)).toThrow(AssertionError);
    expect(() => ks.lookup(0, k)).toThrow(AssertionError);
    ks.lock(ks.shardOf(k));
    expect(ks.lookup(0, k)).toBe(-1);
    ks.unlock(ks.shardOf(k));
    expect(() => ks.setString(0, k, b("v"), ObjEnc.raw, 0)).toThrow(AssertionError);
  });

  test("a key's shard is its CRC16 slot's range: slot * shards / 16384", () => {
    for (const shards of [1, 2, 3, 7]) {
      const ks = keyspace(shards);
      for (let i = 0; i < 2000; i++) {
        const k = b(`key:${i}`);
        const want = Math.floor((keyHashSlot(k) * shards) / slotCount);
        expect(ks.shardOf(k)).toBe(want);
        expect(ks.route(k)).toBe(ks.tables[want]);
      }
    }
  });

  test("keys sharing a hash tag land on the same shard", () => {
    const ks = keyspace(5);
    for (let i = 0; i < 200; i++) {
      const shard = ks.shardOf(b(`{user${i}}`));
      expect(ks.shardOf(b(`{user${i}}:profile`))).toBe(shard);
      expect(ks.shardOf(b(`cart:{user${i}}`))).toBe(shard);
    }
  });

  test("shards split the slot space into contiguous ranges that cover every slot", () => {
    const ks = keyspace(3);
    let prev = 0;
    for (let i = 0; i < 5000; i++) {
      const k = b(`r${i}`);
      const s = ks.shardOf(k);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(3);
      prev = Math.max(prev, s);
    }
    expect(prev).toBe(2);
  });
});

describe("setString and lookup", () => {
  test("keys written across several shards are all found in their own shard and db", () => {
    const ks = keyspace(4);
    for (let i = 0; i < 3000; i++) expect(ks.setString(i % 3, b(`k${i}`), b(`v${i}`), ObjEnc.raw, 0)).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 3000; i++) {
      expect(valueOf(ks, i % 3, `k${i}`)).toBe(`v${i}`);
      expect(ks.t).toBe(ks.tables[ks.shardOf(b(`k${i}`))]);
      expect(valueOf(ks, (i % 3) + 1, `k${i}`)).toBeNull();
    }
    expect(ks.dbSize(0) + ks.dbSize(1) + ks.dbSize(2)).toBe(3000);
    expect(ks.dbSize(0)).toBe(1000);
    const perShard = ks.tables.map((t) => t.count);
    expect(perShard.every((n) => n > 0)).toBe(true);
  });

  test("replacing a value grows or shrinks it and keeps its identity", () => {
    const ks = keyspace();
    ks.setString(0, b("k"), b("short"), ObjEnc.embstr, 0);
    ks.setString(0, b("k"), new Uint8Array(100_000).fill(97), ObjEnc.raw, 0);
    expect(ks.t.valueLen(ks.lookup(0, b("k")))).toBe(100_000);
    ks.setString(0, b("k"), b("x"), ObjEnc.embstr, 0);
    expect(valueOf(ks, 0, "k")).toBe("x");
    expect(ks.t.encoding(ks.lookup(0, b("k")))).toBe(ObjEnc.embstr);
    expect(ks.dbSize(0)).toBe(1);
  });

  test("expireAt: a positive value sets the TTL, 0 clears it, -1 keeps it", () => {
    const ks = keyspace();
    ks.setString(0, b("k"), b("1"), ObjEnc.int, now + 5000);
    const ttl = () => ks.t.expireAt(ks.lookup(0, b("k")));
    expect(ttl()).toBe(now + 5000);
    expect(ks.dbExpires(0)).toBe(1);
    ks.setString(0, b("k"), b("2"), ObjEnc.int, -1);
    expect(ttl()).toBe(now + 5000);
    ks.setString(0, b("k"), b("3"), ObjEnc.int, now + 9000);
    expect(ttl()).toBe(now + 9000);
    ks.setString(0, b("k"), b("4"), ObjEnc.int, 0);
    expect(ttl()).toBe(0);
    expect(ks.dbExpires(0)).toBe(0);
    ks.setString(0, b("new"), b("v"), ObjEnc.raw, -1); // keep on a new key means none
    expect(ks.t.expireAt(ks.lookup(0, b("new")))).toBe(0);
    expect(valueOf(ks, 0, "k")).toBe("4");
  });

  test("a string replaces a key of another type; -1 (KEEPTTL) keeps that key's TTL as Redis does", () => {
    // Redis 7.0: HSET h f v; EXPIRE h 100; SET h str KEEPTTL -> TTL h is still 100, TYPE h is string.
    const ks = keyspace();
    ks.route(b("h"));
    expect(ks.insert(0, b("h"), 16, ObjType.hash, ObjEnc.listpack, now + 1000)).toBeGreaterThanOrEqual(0);
    ks.setString(0, b("h"), b("str"), ObjEnc.embstr, -1);
    const s = ks.lookup(0, b("h"));
    expect(ks.t.type(s)).toBe(ObjType.string);
    expect(ks.dbSize(0)).toBe(1);
    expect(ks.t.expireAt(s)).toBe(now + 1000);
  });

  test("a string replacing a key of another type with expireAt 0 has no TTL", () => {
    const ks = keyspace();
    ks.route(b("l"));
    ks.insert(0, b("l"), 16, ObjType.list, ObjEnc.quicklist, now + 1000);
    ks.setString(0, b("l"), b("str"), ObjEnc.embstr, 0);
    const s = ks.lookup(0, b("l"));
    expect([ks.t.type(s), ks.t.expireAt(s), ks.dbExpires(0)]).toEqual([ObjType.string, 0, 0]);
  });

  test("lookup deletes an expired key (expireAt <= now), counts it and reports it with its logical db", () => {
    const ks = keyspace(2);
    const expired: Array<[number, string]> = [];
    ks.events = { onExpired: (db, key) => expired.push([db, new TextDecoder().decode(key)]) };
    ks.setString(3, b("a"), b("1"), ObjEnc.int, now);
    ks.setString(3, b("b"), b("2"), ObjEnc.int, now + 1);
    expect(ks.dbSize(3)).toBe(2);
    expect(valueOf(ks, 3, "a")).toBeNull();
    expect(valueOf(ks, 3, "b")).toBe("2");
    expect(ks.dbSize(3)).toBe(1);
    expect(ks.dbExpires(3)).toBe(1);
    expect(ks.expiredKeys).toBe(1);
    expect(expired).toEqual([[3, "a"]]);
    ks.now = now + 1;
    expect(valueOf(ks, 3, "b")).toBeNull();
    expect(expired).toEqual([[3, "a"], [3, "b"]]);
    expect(ks.dbSize(3)).toBe(0);
  });

  test("expiry without event listeners still deletes", () => {
    const ks = keyspace();
    ks.setString(0, b("a"), b("1"), ObjEnc.int, now - 1);
    expect(ks.lookup(0, b("a"))).toBe(-1);
    expect(ks.dbSize(0)).toBe(0);
    expect(ks.arenas[0].usedBytes).toBe(0);
  });

  test("lookup records LRU access time unless the session set NO-TOUCH", () => {
    const ks = keyspace();
    ks.setString(0, b("k"), b("v"), ObjEnc.raw, 0);
    expect(ks.t.clock(ks.lookup(0, b("k")))).toBe(lruClock(now));
    ks.now = now + 60_000;
    ks.noTouch = true;
    expect(ks.t.clock(ks.lookup(0, b("k")))).toBe(lruClock(now));
    ks.noTouch = false;
    expect(ks.t.clock(ks.lookup(0, b("k")))).toBe(lruClock(now + 60_000));
  });

  test("with LFU, a new key starts at the initial counter and accesses only raise it", () => {
    const ks = keyspace();
    ks.lfu = true;
    ks.setString(0, b("k"), b("v"), ObjEnc.raw, 0);
    const slot = ks.lookup(0, b("k"));
    const first = ks.t.clock(slot) & 0xff;
    expect(first).toBeGreaterThanOrEqual(lfuInitVal);
    let last = first;
    for (let i = 0; i < 1000; i++) {
      const c = ks.t.clock(ks.lookup(0, b("k"))) & 0xff;
      expect(c).toBeGreaterThanOrEqual(last);
      last = c;
    }
    expect(last).toBeGreaterThan(lfuInitVal);
  });

  test("deleteSlot frees the block: arena usage returns to zero", () => {
    const ks = keyspace();
    for (let i = 0; i < 100; i++) ks.setString(0, b(`k${i}`), new Uint8Array(i * 10), ObjEnc.raw, i % 2 ? now + 1 : 0);
    expect(ks.arenas[0].usedBytes).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) {
      const s = ks.lookup(0, b(`k${i}`));
      ks.deleteSlot(ks.t, s);
    }
    expect(ks.arenas[0].usedBytes).toBe(0);
    expect(ks.dbSize(0)).toBe(0);
  });

  test("usedBytes is every arena's live bytes plus every table's slot array", () => {
    const ks = keyspace(3);
    for (let i = 0; i < 500; i++) ks.setString(0, b(`k${i}`), new Uint8Array(50), ObjEnc.raw, 0);
    let want = 0;
    for (let i = 0; i < 3; i++) want += ks.arenas[i].usedBytes + ks.tables[i].tableBytes;
    expect(ks.usedBytes()).toBe(want);
  });

  test("setString returns -1 when the shard's arena is full and leaves the old value", () => {
    const bufs = createKeyspaceBuffers(1, 16);
    const small = new SharedArrayBuffer(1 << 20, { maxByteLength: 2 << 20 });
    new Uint8Array(small).set(new Uint8Array(bufs.shards[0].arena).subarray(0, 4096));
    const ks = new Keyspace({ ...bufs, shards: [{ table: bufs.shards[0].table, arena: small }] } as KeyspaceBuffers);
    ks.now = now;
    ks.lockAll();
    expect(ks.setString(0, b("k"), b("old"), ObjEnc.raw, 0)).toBeGreaterThanOrEqual(0);
    expect(ks.setString(0, b("k"), new Uint8Array(3 << 20), ObjEnc.raw, 0)).toBe(-1);
    expect(valueOf(ks, 0, "k")).toBe("old");
    expect(ks.setString(0, b("other"), new Uint8Array(3 << 20), ObjEnc.raw, 0)).toBe(-1);
    expect(ks.dbSize(0)).toBe(1);
  });
});

describe("logical and physical dbs", () => {
  test("swapDb exchanges the contents of two logical dbs in O(1), both ways", () => {
    const ks = keyspace(2);
    for (let i = 0; i < 10; i++) ks.setString(0, b(`zero${i}`), b("0"), ObjEnc.int, 0);
    for (let i = 0; i < 3; i++) ks.setString(1, b(`one${i}`), b("1"), ObjEnc.int, now + 10);
    ks.swapDb(0, 1);
    expect([ks.physicalDb(0), ks.physicalDb(1)]).toEqual([1, 0]);
    expect([ks.dbSize(0), ks.dbSize(1), ks.dbExpires(0), ks.dbExpires(1)]).toEqual([3, 10, 3, 0]);
    expect(valueOf(ks, 0, "one2")).toBe("1");
    expect(valueOf(ks, 1, "zero9")).toBe("0");
    expect(valueOf(ks, 0, "zero9")).toBeNull();
    ks.setString(0, b("after"), b("x"), ObjEnc.raw, 0); // lands in physical db 1
    ks.swapDb(0, 1);
    expect(valueOf(ks, 1, "after")).toBe("x");
    expect([ks.dbSize(0), ks.dbSize(1)]).toEqual([10, 4]);
  });

  test("the db map is shared: a second Keyspace over the same buffers sees a swap", () => {
    const bufs = createKeyspaceBuffers(2, 16);
    const a = new Keyspace(bufs);
    const other = new Keyspace(bufs);
    a.now = other.now = now;
    a.lockAll(); // lock words live in the shared control buffer: held for both views
    a.setString(5, b("k"), b("v"), ObjEnc.raw, 0);
    a.swapDb(5, 6);
    expect(valueOf(other, 6, "k")).toBe("v");
    expect(other.dbSize(6)).toBe(1);
  });

  test("client ids are unique and increasing; the client counter is shared", () => {
    const bufs = createKeyspaceBuffers(1, 16);
    const a = new Keyspace(bufs);
    const c = new Keyspace(bufs);
    expect([a.nextClientId(), c.nextClientId(), a.nextClientId()]).toEqual([1, 2, 3]);
    expect(a.addClients(2)).toBe(2);
    expect(c.addClients(-1)).toBe(1);
    expect(a.clients).toBe(1);
  });
});

describe("shard locks", () => {
  test("lock and unlock leave the word free; lockAll/unlockAll cover every shard", () => {
    const ks = new Keyspace(createKeyspaceBuffers(4, 16));
    const k = b("{a}");
    ks.lock((ks.shardOf(k) + 1) % 4); // another shard's lock does not cover this key
    expect(() => ks.route(k)).toThrow(AssertionError);
    ks.unlock((ks.shardOf(k) + 1) % 4);
    ks.lockAll();
    for (let i = 0; i < 100; i++) ks.route(b(`k${i}`));
    ks.unlockAll();
    for (let i = 0; i < 100; i++) expect(() => ks.route(b(`k${i}`))).toThrow(AssertionError);
    ks.lock(0);
    ks.unlock(0);
  });

  test("four worker threads incrementing a plain counter under the lock lose no update", async () => {
    const bufs = createKeyspaceBuffers(2, 16);
    const counter = new SharedArrayBuffer(8);
    const url = URL.createObjectURL(
      new Blob(
        [
          `import { Keyspace } from ${JSON.stringify(new URL("./keyspace.ts", import.meta.url).href)};
           self.onmessage = (e) => {
             const ks = new Keyspace(e.data.bufs);
             const c = new Int32Array(e.data.counter);
             for (let i = 0; i < e.data.n; i++) {
               ks.lock(1);
               const v = c[0];        // plain read-modify-write: only the lock makes it safe
               for (let j = 0; j < 20; j++) c[1] = j;
               c[0] = v + 1;
               ks.unlock(1);
             }
             postMessage("done");
           };`,
        ],
        { type: "application/typescript" },
      ),
    );
    const n = 20_000;
    const workers = Array.from({ length: 4 }, () => new Worker(url));
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.onmessage = () => resolve();
              w.onerror = (e) => reject(new Error(String(e.message)));
              w.postMessage({ bufs, counter, n });
            }),
        ),
      );
    } finally {
      for (const w of workers) w.terminate();
      URL.revokeObjectURL(url);
    }
    expect(new Int32Array(counter)[0]).toBe(4 * n);
    const ks = new Keyspace(bufs);
    ks.lock(1); // free again: would hang here otherwise
    ks.unlock(1);
  }, 60_000);
});

describe("tables inside the keyspace", () => {
  test("every shard's table and arena are mapped from the shared buffers", () => {
    const bufs = createKeyspaceBuffers(3, 16);
    const ks = new Keyspace(bufs);
    ks.now = now;
    ks.lockAll();
    ks.setString(0, b("x"), b("y"), ObjEnc.raw, 0);
    const shard = ks.shardOf(b("x"));
    const t = new Table(bufs.shards[shard].table, new Arena(bufs.shards[shard].arena));
    expect(t.count).toBe(1);
  });
});
