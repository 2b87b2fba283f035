// Units for the access clocks (clock.ts: Redis 7.0's LRU clock, LFU log counter and decay) and for
// maxmemory eviction (evict.ts) run against a real Keyspace of 1 and 3 shards through a minimal Exec.
// Eviction's randomness comes from a seeded generator, so a failure reproduces; the assertions on
// victim quality still leave wide margins, as they compare an approximation with the exact order.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  lfuCounter,
  lfuDecayed,
  lfuElapsedMinutes,
  lfuInitVal,
  lfuLogIncr,
  lfuMinutes,
  lfuNew,
  lfuTouch,
  lruClock,
  lruClockMax,
  lruIdleMs,
} from "./clock.ts";
import {
  clearEvictionPool,
  evictionBackgroundRunning,
  evictionPoolScores,
  evictionPoolSize,
  evictionTimeLimitUs,
  performEvictions,
  Policy,
  poolInsert,
  setEvictionRandom,
} from "./evict.ts";
import { Keyspace, createKeyspaceBuffers } from "./keyspace.ts";
import { ObjEnc } from "./table.ts";
import { Stat, Stats, createStatsBuffer } from "../server/stats.ts";
import type { Exec } from "../server/exec.ts";

const now = 1_800_000_000_000; // ms, a fixed "now" for clock arithmetic
const te = new TextEncoder();

/** xorshift32 in [0, 1): the seeded randomness every statistical test here uses. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

// ---- clock.ts ---------------------------------------------------------------------------------------

describe("LRU clock", () => {
  test("the clock is Unix seconds in 24 bits, as Redis's getLRUClock", () => {
    expect(lruClock(now)).toBe(Math.floor(now / 1000) & lruClockMax);
    expect(lruClock(now + 1000)).toBe(lruClock(now) + 1);
    expect(lruClock((lruClockMax + 1) * 1000)).toBe(0);
  });

  test("idle time counts whole clock seconds, in ms", () => {
    const c = lruClock(now);
    expect(lruIdleMs(c, now)).toBe(0);
    expect(lruIdleMs(c, now + 5_000)).toBe(5_000);
    // Redis compares clocks in whole seconds: 0.9 s and 1.1 s after a second boundary differ by one.
    const boundary = Math.ceil(now / 1000) * 1000;
    expect(lruIdleMs(lruClock(boundary - 100), boundary + 100)).toBe(1_000);
  });

  test("idle time survives the 24-bit wrap as Redis's estimateObjectIdleTime", () => {
    const old = lruClockMax - 10;
    const later = 5 * 1000; // clock 5 after the wrap
    expect(lruIdleMs(old, later)).toBe((5 + lruClockMax - old) * 1000);
  });
});

describe("LFU counter", () => {
  test("a new key starts at LFU_INIT_VAL stamped with the current minute", () => {
    const c = lfuNew(now);
    expect(lfuCounter(c)).toBe(lfuInitVal);
    expect(c >>> 8).toBe(lfuMinutes(now));
    expect(lfuInitVal).toBe(5);
  });

  test("the increment probability is 1 / ((counter - 5) * factor + 1), saturating at 255", () => {
    // Counters at or below LFU_INIT_VAL always count an access.
    expect(lfuLogIncr(0, 10, 0.999999)).toBe(1);
    expect(lfuLogIncr(5, 10, 0.999999)).toBe(6);
    // Counter 6, factor 10: p = 1/11.
    expect(lfuLogIncr(6, 10, 1 / 11 - 1e-9)).toBe(7);
    expect(lfuLogIncr(6, 10, 1 / 11)).toBe(6);
    // Counter 105, factor 1: p = 1/101.
    expect(lfuLogIncr(105, 1, 1 / 101 - 1e-9)).toBe(106);
    expect(lfuLogIncr(105, 1, 1 / 101 + 1e-9)).toBe(105);
    // Factor 0: every access counts.
    expect(lfuLogIncr(200, 0, 0.999999)).toBe(201);
    expect(lfuLogIncr(255, 0, 0)).toBe(255);
  });

  /** Counter after `hits` accesses of a new key within one minute. */
  function counterAfter(hits: number, factor: number, seed: number): number {
    const r = rng(seed);
    let c = lfuNew(now);
    for (let i = 0; i < hits; i++) c = lfuTouch(c, now, 1, factor, r());
    return lfuCounter(c);
  }

  test("counters follow the hits-to-counter table of redis.conf (lfu-log-factor)", () => {
    // redis.conf: factor 0: 100 hits -> 104; factor 1: 100 -> 18, 1000 -> 49; factor 10: 100 -> 10,
    // 1000 -> 18, 100K -> 142; factor 100: 1000 -> 11, 100K -> 49, 1M -> 143. Our ranges are the
    // expectation of the process (hits needed from c to c+1 is (c-5)*factor+1) with room for chance.
    expect(counterAfter(100, 0, 1)).toBe(105);
    expect(counterAfter(100, 1, 2)).toBeWithin(15, 23);
    expect(counterAfter(1000, 1, 3)).toBeWithin(44, 55);
    expect(counterAfter(100, 10, 4)).toBeWithin(8, 13);
    expect(counterAfter(1000, 10, 5)).toBeWithin(16, 23);
    expect(counterAfter(100_000, 10, 6)).toBeWithin(135, 156);
    expect(counterAfter(100_000, 100, 7)).toBeWithin(44, 56);
    expect(counterAfter(1_000_000, 100, 8)).toBeWithin(135, 156);
    expect(counterAfter(1_000_000, 0, 9)).toBe(255);
  });

  test("decay takes one per lfu-decay-time minutes since the stored minute, never below 0", () => {
    const c = (lfuMinutes(now) << 8) | 20;
    expect(lfuDecayed(c, now, 1)).toBe(20);
    expect(lfuDecayed(c, now + 3 * 60_000, 1)).toBe(17);
    expect(lfuDecayed(c, now + 3 * 60_000, 2)).toBe(19);
    expect(lfuDecayed(c, now + 30 * 60_000, 2)).toBe(5);
    expect(lfuDecayed(c, now + 25 * 60_000, 1)).toBe(0);
    expect(lfuDecayed(c, now + 10_000 * 60_000, 0)).toBe(20); // lfu-decay-time 0: never decays
  });

  test("elapsed minutes wrap the 16-bit minute clock once, as Redis's LFUTimeElapsed", () => {
    const ms = (m: number) => m * 60_000;
    expect(lfuElapsedMinutes(65530, ms(65536 + 4))).toBe(65535 - 65530 + 4);
    expect(lfuElapsedMinutes(10, ms(15))).toBe(5);
  });

  test("an access decays first, then increments, and restamps the minute", () => {
    const c = (lfuMinutes(now) << 8) | 20;
    const later = now + 4 * 60_000;
    const touched = lfuTouch(c, later, 1, 10, 0.999999); // no increment at 16 with this rand
    expect(lfuCounter(touched)).toBe(16);
    expect(touched >>> 8).toBe(lfuMinutes(later));
    expect(lfuCounter(lfuTouch(c, later, 1, 10, 0))).toBe(17);
  });
});

// ---- evict.ts ---------------------------------------------------------------------------------------

interface Cfg {
  maxmemory: number;
  maxmemoryPolicy: string;
  maxmemorySamples: number;
  maxmemoryEvictionTenacity: number;
  lfuDecayTime: number;
  lfuLogFactor: number;
}

/** A keyspace with a minimal Exec: no locks held (eviction takes them), real shared-memory stats. */
class Harness {
  readonly ks: Keyspace;
  readonly stats = new Stats(createStatsBuffer(1), 0, 1, 0);
  readonly cfg: Cfg;
  readonly x: Exec & { pauseUntilMs: number };

  constructor(shards: number, policy: string) {
    this.ks = new Keyspace(createKeyspaceBuffers(shards, 16));
    this.ks.now = now;
    this.ks.lfu = policy.includes("lfu");
    this.cfg = {
      maxmemory: 0, maxmemoryPolicy: policy, maxmemorySamples: 5, maxmemoryEvictionTenacity: 100,
      lfuDecayTime: 1, lfuLogFactor: 10,
    };
    this.x = { ks: this.ks, cfg: this.cfg, stats: this.stats, pauseUntilMs: 0 } as unknown as Exec & { pauseUntilMs: number };
  }

  /** Writes key -> 32-byte value; `clock` overrides the access clock word. */
  set(key: string, opts: { expireAt?: number; clock?: number; db?: number } = {}): void {
    const k = te.encode(key);
    const shard = this.ks.shardOf(k);
    this.ks.lock(shard);
    try {
      const slot = this.ks.setString(opts.db ?? 0, k, te.encode("v".repeat(32)), ObjEnc.raw, opts.expireAt ?? 0);
      expect(slot).toBeGreaterThanOrEqual(0);
      if (opts.clock !== undefined) this.ks.t.setClock(slot, opts.clock);
    } finally {
      this.ks.unlock(shard);
    }
  }

  exists(key: string, db = 0): boolean {
    const k = te.encode(key);
    const shard = this.ks.shardOf(k);
    this.ks.lock(shard);
    try {
      const t = this.ks.route(k);
      return t.find(this.ks.physicalDb(db), k, this.ks.h) >= 0;
    } finally {
      this.ks.unlock(shard);
    }
  }

  /** Sets maxmemory so that exactly `n` more same-sized keys must go (keys named like `like`). */
  limitToEvict(n: number, withExpire: boolean): void {
    const blockBytes = this.blockBytesOf(withExpire);
    this.cfg.maxmemory = this.ks.usedBytes() - n * blockBytes + 1;
  }

  /** Class size of the block of one test key (6-char key, 32-byte value). */
  private blockBytesOf(withExpire: boolean): number {
    const before = this.ks.usedBytes();
    this.set("zzzzzz", withExpire ? { expireAt: now + 1e9 } : {});
    const after = this.ks.usedBytes();
    const k = te.encode("zzzzzz");
    const shard = this.ks.shardOf(k);
    this.ks.lock(shard);
    try {
      this.ks.deleteSlot(this.ks.route(k), this.ks.t.find(0, k, this.ks.h));
    } finally {
      this.ks.unlock(shard);
    }
    expect(this.ks.usedBytes()).toBe(before);
    return after - before;
  }

  /** Shard and current slot of a key of db 0 (the slot is valid until the next write). */
  slotOf(key: string): { shard: number; slot: number } {
    const k = te.encode(key);
    const shard = this.ks.shardOf(k);
    this.ks.lock(shard);
    try {
      const t = this.ks.route(k);
      return { shard, slot: t.find(this.ks.physicalDb(0), k, this.ks.h) };
    } finally {
      this.ks.unlock(shard);
    }
  }

  /** A read of the key: lookup with its LRU/LFU touch. */
  touch(key: string): void {
    const k = te.encode(key);
    const shard = this.ks.shardOf(k);
    this.ks.lock(shard);
    try {
      expect(this.ks.lookup(0, k)).toBeGreaterThanOrEqual(0);
    } finally {
      this.ks.unlock(shard);
    }
  }

  del(key: string): void {
    const { shard, slot } = this.slotOf(key);
    this.ks.lock(shard);
    try {
      this.ks.deleteSlot(this.ks.tables[shard], slot);
    } finally {
      this.ks.unlock(shard);
    }
  }

  get evicted(): number {
    return this.stats.total(Stat.evictedKeys);
  }
  get dbsize(): number {
    return this.ks.dbSize(0);
  }
}

const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(5, "0")}`;

let restoreRandom: (() => number) | null = null;
beforeEach(() => {
  clearEvictionPool();
  restoreRandom = setEvictionRandom(rng(12345));
});
afterEach(() => {
  if (restoreRandom) setEvictionRandom(restoreRandom);
});

describe("eviction time budget (maxmemory-eviction-tenacity)", () => {
  test("is Redis's evictionTimeLimitUs: linear to 500 us at 10, +15% per step after, none at 100", () => {
    expect(evictionTimeLimitUs(0)).toBe(0);
    expect(evictionTimeLimitUs(1)).toBe(50);
    expect(evictionTimeLimitUs(10)).toBe(500);
    expect(evictionTimeLimitUs(11)).toBeCloseTo(575, 6);
    expect(evictionTimeLimitUs(99) / 1e6).toBeWithin(100, 130); // "~2 min at tenacity 99"
    expect(evictionTimeLimitUs(100)).toBe(Infinity);
  });
});

describe("eviction pool", () => {
  test("keeps the 16 best scores in ascending order and drops what is worse than all of a full pool", () => {
    const r = rng(7);
    const scores: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = Math.floor(r() * 1e6);
      scores.push(s);
      poolInsert(0, i, 1000 + i, s);
    }
    const best = [...scores].sort((a, b) => a - b).slice(-evictionPoolSize);
    expect(evictionPoolScores()).toEqual(best);
    poolInsert(0, 999, 9999, -1); // worse than every entry of the full pool
    expect(evictionPoolScores()).toEqual(best);
  });

  test("an entry sampled twice is held once", () => {
    poolInsert(1, 42, 4242, 10);
    poolInsert(1, 42, 4242, 10);
    poolInsert(2, 42, 4242, 10); // same hash and address in another shard: another key
    expect(evictionPoolScores()).toEqual([10, 10]);
  });
});

describe.each([1, 3])("eviction with %i shard(s)", (shards) => {
  test("under the limit nothing is evicted; noeviction over the limit refuses (OOM)", () => {
    const h = new Harness(shards, "noeviction");
    for (let i = 0; i < 100; i++) h.set(name("k", i));
    h.cfg.maxmemory = h.ks.usedBytes();
    expect(performEvictions(h.x)).toBe(true);
    h.cfg.maxmemory = h.ks.usedBytes() - 1;
    expect(performEvictions(h.x)).toBe(false);
    expect(h.dbsize).toBe(100);
    expect(h.evicted).toBe(0);
  });

  test("allkeys-lru evicts the keys idle longest", () => {
    const h = new Harness(shards, "allkeys-lru");
    const r = rng(99);
    // 1500 keys, about 20% idle 1000 s and the rest idle 0-9 s, interleaved at random.
    const isOld: boolean[] = [];
    for (let i = 0; i < 1500; i++) {
      isOld.push(r() < 0.2);
      h.set(name("k", i), { clock: lruClock(now - (isOld[i] ? 1_000_000 : Math.floor(r() * 10_000))) });
    }
    h.limitToEvict(200, false);
    expect(performEvictions(h.x)).toBe(true);
    expect(h.evicted).toBe(200);
    expect(h.ks.usedBytes()).toBeLessThanOrEqual(h.cfg.maxmemory);
    let oldEvicted = 0;
    for (let i = 0; i < 1500; i++) if (isOld[i] && !h.exists(name("k", i))) oldEvicted++;
    // Chance alone would evict about 40 old keys of 200. Redis's approximation is not exact: each
    // victim follows only 5 fresh samples (one old key each on average) plus what the pool kept, so a
    // recent key goes whenever neither holds an old one (about 150 of 200 old with one shard).
    expect(oldEvicted).toBeGreaterThanOrEqual(120);
  });

  test("allkeys-lfu evicts the least frequently used keys", () => {
    const h = new Harness(shards, "allkeys-lfu");
    const m = lfuMinutes(now) << 8;
    for (let i = 0; i < 1000; i++) h.set(name("k", i), { clock: m | (i % 2 === 0 ? 40 : 5) });
    h.limitToEvict(300, false);
    expect(performEvictions(h.x)).toBe(true);
    let frequentGone = 0;
    for (let i = 0; i < 1000; i += 2) if (!h.exists(name("k", i))) frequentGone++;
    expect(h.evicted).toBe(300);
    expect(frequentGone).toBeLessThanOrEqual(10);
  });

  test("LFU scores use the decayed counter: a once-hot key idle for long is evicted first", () => {
    const h = new Harness(shards, "allkeys-lfu");
    const m = (lfuMinutes(now) << 8);
    const stale = ((lfuMinutes(now - 50 * 60_000)) << 8) | 40; // 40 - 50 minutes of decay = 0
    for (let i = 0; i < 200; i++) h.set(name("k", i), { clock: i < 40 ? stale : m | 10 });
    h.limitToEvict(20, false);
    expect(performEvictions(h.x)).toBe(true);
    let staleGone = 0;
    for (let i = 0; i < 40; i++) if (!h.exists(name("k", i))) staleGone++;
    expect(staleGone).toBeGreaterThanOrEqual(14); // chance: 4 of 20
  });

  test("volatile-ttl evicts the nearest expiries first and never a key without TTL", () => {
    const h = new Harness(shards, "volatile-ttl");
    const r = rng(5);
    const order = Array.from({ length: 600 }, (_, i) => i).sort(() => r() - 0.5);
    for (let i = 0; i < 300; i++) h.set(name("p", i)); // persistent
    for (const i of order) h.set(name("v", i), { expireAt: now + 60_000 + i * 1000 });
    h.limitToEvict(150, true);
    expect(performEvictions(h.x)).toBe(true);
    expect(h.evicted).toBe(150);
    for (let i = 0; i < 300; i++) expect(h.exists(name("p", i))).toBe(true);
    let nearGone = 0;
    for (let i = 0; i < 150; i++) if (!h.exists(name("v", i))) nearGone++;
    expect(nearGone).toBeGreaterThanOrEqual(90); // of the 150 nearest expiries; chance: about 38
    let farGone = 0;
    for (let i = 300; i < 600; i++) if (!h.exists(name("v", i))) farGone++;
    expect(farGone).toBe(0);
  });

  test.each(["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])(
    "%s evicts only keys with a TTL and refuses (OOM) when none is left",
    (policy) => {
      const h = new Harness(shards, policy);
      for (let i = 0; i < 200; i++) h.set(name("p", i));
      for (let i = 0; i < 50; i++) h.set(name("v", i), { expireAt: now + 3_600_000 });
      h.cfg.maxmemory = 1; // below what the persistent keys alone hold
      expect(performEvictions(h.x)).toBe(false);
      expect(h.evicted).toBe(50);
      expect(h.dbsize).toBe(200);
      for (let i = 0; i < 200; i++) expect(h.exists(name("p", i))).toBe(true);
    },
  );

  test.each(["allkeys-lru", "allkeys-lfu", "allkeys-random"])(
    "%s evicts every key in the end, then refuses (OOM)",
    (policy) => {
      const h = new Harness(shards, policy);
      for (let i = 0; i < 300; i++) h.set(name("k", i), { db: i % 3 });
      h.cfg.maxmemory = 1; // below what the tables alone hold
      expect(performEvictions(h.x)).toBe(false);
      expect(h.evicted).toBe(300);
      for (let db = 0; db < 3; db++) expect(h.ks.dbSize(db)).toBe(0);
    },
  );

  test("equal candidates are evicted evenly across shards and databases", () => {
    const h = new Harness(shards, "allkeys-lfu"); // every key at LFU_INIT_VAL: all tie
    for (let i = 0; i < 1200; i++) h.set(name("k", i), { db: i % 2 });
    const before = h.ks.tables.map((t) => t.count);
    h.limitToEvict(600, false);
    expect(performEvictions(h.x)).toBe(true);
    h.ks.tables.forEach((t, i) => expect(t.count / before[i]).toBeWithin(0.35, 0.65));
    for (let db = 0; db < 2; db++) expect(h.ks.dbSize(db)).toBeWithin(240, 361);
  });

  test("keys of every database are candidates", () => {
    const h = new Harness(shards, "allkeys-lru");
    for (let i = 0; i < 400; i++) h.set(name("k", i), { db: i % 4, clock: lruClock(now - 1000) });
    h.limitToEvict(200, false);
    expect(performEvictions(h.x)).toBe(true);
    for (let db = 0; db < 4; db++) expect(h.ks.dbSize(db)).toBeWithin(20, 81);
  });

  test("a pooled key that was deleted, or used after it was scored, is skipped", () => {
    const h = new Harness(shards, "allkeys-lru");
    for (let i = 0; i < 40; i++) h.set(name("k", i), { clock: lruClock(now - 100_000 - i * 1000) });
    // Pool the 16 oldest keys (k24..k39) with their true scores, as sampling would.
    clearEvictionPool(Policy.allkeysLru);
    for (let i = 24; i < 40; i++) {
      const { shard, slot } = h.slotOf(name("k", i));
      const t = h.ks.tables[shard];
      poolInsert(shard, t.hashAt(slot), t.addr(slot), lruIdleMs(t.clock(slot), now));
    }
    h.cfg.maxmemorySamples = 1; // later rounds add little: the pool decides
    h.touch(name("k", 39)); // used now: idle 0, below its pooled score
    h.del(name("k", 38));
    h.limitToEvict(1, false);
    expect(performEvictions(h.x)).toBe(true);
    expect(h.exists(name("k", 39))).toBe(true);
    expect(h.exists(name("k", 37))).toBe(false);
    expect(h.evicted).toBe(1);
  });

  test("clients paused: nothing is evicted and commands are not refused", () => {
    const h = new Harness(shards, "allkeys-random");
    for (let i = 0; i < 50; i++) h.set(name("k", i));
    h.cfg.maxmemory = 1;
    h.x.pauseUntilMs = Date.now() + 60_000;
    expect(performEvictions(h.x)).toBe(true);
    expect(h.evicted).toBe(0);
  });

  test("past the time budget the command runs and eviction goes on in the background", async () => {
    const h = new Harness(shards, "allkeys-random");
    for (let i = 0; i < 3000; i++) h.set(name("k", i));
    h.cfg.maxmemoryEvictionTenacity = 0; // budget 0: one check after 16 keys
    h.limitToEvict(2000, false);
    expect(performEvictions(h.x)).toBe(true);
    expect(h.evicted).toBe(16);
    expect(evictionBackgroundRunning()).toBe(true);
    for (let i = 0; i < 2000 && evictionBackgroundRunning(); i++) await Bun.sleep(1);
    expect(evictionBackgroundRunning()).toBe(false);
    expect(h.evicted).toBe(2000);
    expect(h.ks.usedBytes()).toBeLessThanOrEqual(h.cfg.maxmemory);
    expect(h.stats.total(Stat.totalEvictionExceededMs)).toBe(0); // counted when back under the limit
    expect(performEvictions(h.x)).toBe(true);
    expect(h.stats.total(Stat.totalEvictionExceededMs)).toBeGreaterThan(0);
  });
});
