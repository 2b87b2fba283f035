// maxmemory eviction: Redis 7.0's performEvictions (evict.c), run before each command flagged denyoom
// while maxmemory > 0. Under the limit it costs one read of the keyspace's byte count and one
// comparison; everything else is the slow path.
//
// Memory is Keyspace.usedBytes() (arenas + tables of every shard). Over the limit:
// - noeviction: the command gets the OOM error (the dispatcher writes it).
// - *-lru, *-lfu, volatile-ttl: Redis's eviction pool. Each round samples maxmemory-samples entries
//   from every shard that has candidates (all keys, or only keys with a TTL for volatile-*), scores
//   them (idle ms for LRU, 255 - decayed counter for LFU, sooner expiry for TTL: higher evicts first;
//   plus a random fraction that breaks ties, our addition: without it equal candidates would all be
//   taken from the first shard sampled) and merges them into a pool of the 16 best candidates kept
//   across calls, in ascending score. The best live entry is evicted. A pool entry names its key by
//   (shard, hash, arena block address): no key copy, and an entry whose key was deleted, rewritten
//   into another block or (our addition to Redis) used since it was scored - its score went down -
//   is a ghost and is skipped.
// - *-random: a random candidate, its shard chosen in proportion to the shard's candidates.
// A volatile-* policy with no key having a TTL has no candidate, so it behaves as noeviction.
// The loop runs until memory is under the limit. Every 16 evicted keys it checks the time budget set
// by maxmemory-eviction-tenacity (0..10: 50 us steps up to 500 us; then +15% per step; 100: none);
// past it, a background task (setTimeout 0, one per worker, Redis's evictionTimeProc) keeps evicting
// between commands and the command runs (EVICT_RUNNING). With no candidate left while still over the
// limit the result is EVICT_FAIL: the command gets the OOM error.
// As in Redis, nothing is evicted while clients are paused, and CLIENT NO-EVICT does not exempt a
// client's commands: that flag protects the connection from client eviction (maxmemory-clients).
// Module state (the pool, the background task) is per worker thread; shards are locked one at a time
// and only inside this module's calls, never across an await.

import type { Exec } from "../server/exec.ts";
import { Stat } from "../server/stats.ts";
import { NOTIFY } from "../config.ts";
import { notifyEvent, signalHooks, signalModified } from "../server/signals.ts";
import { lfuCounterMax, lfuDecayed, lruIdleMs } from "./clock.ts";
import type { Table } from "./table.ts";

export const Policy = {
  noeviction: 0,
  allkeysLru: 1,
  allkeysLfu: 2,
  allkeysRandom: 3,
  volatileLru: 4,
  volatileLfu: 5,
  volatileRandom: 6,
  volatileTtl: 7,
} as const;

/** Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL. */
export const EvictResult = { ok: 0, running: 1, fail: 2 } as const;

export function policyCode(name: string): number {
  switch (name) {
    case "allkeys-lru": return Policy.allkeysLru;
    case "allkeys-lfu": return Policy.allkeysLfu;
    case "allkeys-random": return Policy.allkeysRandom;
    case "volatile-lru": return Policy.volatileLru;
    case "volatile-lfu": return Policy.volatileLfu;
    case "volatile-random": return Policy.volatileRandom;
    case "volatile-ttl": return Policy.volatileTtl;
    default: return Policy.noeviction;
  }
}

export function isLfuPolicy(p: number): boolean {
  return p === Policy.allkeysLfu || p === Policy.volatileLfu;
}

function isVolatilePolicy(p: number): boolean {
  return p >= Policy.volatileLru;
}

function isRandomPolicy(p: number): boolean {
  return p === Policy.allkeysRandom || p === Policy.volatileRandom;
}

/** Redis's evictionTimeLimitUs(): the time budget of one eviction call, in microseconds. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return 500 * Math.pow(1.15, tenacity - 10);
  return Infinity;
}

export const evictionPoolSize = 16;
/** Keys evicted between two looks at the clock (Redis checks every 16). */
const keysPerTimeCheck = 16;
/** Random probes for a uniform sample before walking to the next candidate. */
const uniformProbesMax = 16;
/** Random fraction added to whole-number scores to break ties (below 1: never reorders unequal scores). */
const tieBreakMax = 0.5;
/** Sample-and-pop rounds for one key before giving up; only other workers' deletes can use more than one. */
const poolRoundsMax = 64;

// ---- per-worker state -----------------------------------------------------------------------------
const poolScore = new Float64Array(evictionPoolSize);
const poolHash = new Uint32Array(evictionPoolSize);
const poolAddr = new Uint32Array(evictionPoolSize);
const poolShard = new Int32Array(evictionPoolSize);
/** Entries [0, poolLen) are filled, in ascending score; the best candidate is the last. */
let poolLen = 0;
/** The policy the pool's scores were computed under. */
let poolPolicy = -1;
let backgroundRunning = false;
/** Uniform [0, 1): Math.random, or a seeded source in tests (style: randomness through an interface). */
let random: () => number = Math.random;
/** performance.now() when memory went over the limit and stayed there (0 = not over). */
let exceededSinceMs = 0;

/**
 * The OOM gate: returns false when memory is over maxmemory and nothing could be evicted (the
 * command must then be refused with the OOM error).
 */
export function performEvictions(x: Exec): boolean {
  const max = x.cfg.maxmemory;
  if (max <= 0 || x.ks.usedBytes() <= max) {
    if (exceededSinceMs !== 0) updateMetrics(x, EvictResult.ok);
    return true;
  }
  return evictionStep(x) !== EvictResult.fail;
}

/** One eviction call (Redis's performEvictions): evicts until under the limit or out of budget. */
export function evictionStep(x: Exec): number {
  const ks = x.ks;
  const max = x.cfg.maxmemory;
  if (x.pauseUntilMs > 0 && Date.now() < x.pauseUntilMs) return EvictResult.ok; // dataset frozen
  if (max <= 0 || ks.usedBytes() <= max) {
    updateMetrics(x, EvictResult.ok);
    return EvictResult.ok;
  }
  const policy = policyCode(x.cfg.maxmemoryPolicy);
  const result = policy === Policy.noeviction ? EvictResult.fail : evictLoop(x, policy, max);
  updateMetrics(x, result);
  return result;
}

function evictLoop(x: Exec, policy: number, max: number): number {
  const ks = x.ks;
  const limitUs = evictionTimeLimitUs(x.cfg.maxmemoryEvictionTenacity);
  const start = performance.now();
  let freed = 0;
  while (ks.usedBytes() > max) {
    const evicted = isRandomPolicy(policy) ? evictRandom(x, isVolatilePolicy(policy)) : evictFromPool(x, policy);
    if (!evicted) return EvictResult.fail;
    freed++;
    if (freed % keysPerTimeCheck === 0 && (performance.now() - start) * 1000 > limitUs) {
      startBackground(x);
      break;
    }
  }
  return backgroundRunning ? EvictResult.running : EvictResult.ok;
}

function updateMetrics(x: Exec, result: number): void {
  if (result !== EvictResult.ok) {
    if (exceededSinceMs === 0) exceededSinceMs = performance.now();
  } else if (exceededSinceMs !== 0) {
    x.stats.add(Stat.totalEvictionExceededMs, performance.now() - exceededSinceMs);
    exceededSinceMs = 0;
  }
}

// ---- background eviction (Redis's evictionTimeProc) --------------------------------------------------
function startBackground(x: Exec): void {
  if (backgroundRunning) return;
  backgroundRunning = true;
  setTimeout(() => backgroundTick(x), 0);
}

function backgroundTick(x: Exec): void {
  x.ks.now = Date.now(); // between commands: the tick has its own clock
  const r = evictionStep(x);
  if (r === EvictResult.running && x.cfg.maxmemory > 0 && x.ks.usedBytes() > x.cfg.maxmemory) {
    setTimeout(() => backgroundTick(x), 0);
    return;
  }
  backgroundRunning = false;
}

/** Replaces the random source (tests: a seeded generator); returns the previous one. */
export function setEvictionRandom(fn: () => number): () => number {
  const prev = random;
  random = fn;
  return prev;
}

/** How long memory has been over the limit without eviction catching up, in ms (INFO's
 * current_eviction_exceeded_time, as seen by this worker); 0 when it is not. */
export function currentEvictionExceededMs(): number {
  return exceededSinceMs === 0 ? 0 : performance.now() - exceededSinceMs;
}

/** True while this worker's background eviction is scheduled (tests and INFO). */
export function evictionBackgroundRunning(): boolean {
  return backgroundRunning;
}

// ---- candidates ---------------------------------------------------------------------------------------
function candidates(t: Table, volatile: boolean): number {
  return volatile ? t.expiresCount : t.count;
}

function isCandidate(t: Table, slot: number, volatile: boolean): boolean {
  return t.occupied(slot) && (!volatile || t.hasExpire(slot));
}

/**
 * A random candidate, or -1 when the table holds none. Caller holds the lock. Probes random slots
 * first: uniform over the candidates (the first entry after a random slot would favour entries that
 * follow empty runs and hardly ever show those deep in a cluster, which then never get evicted). A
 * sparse table falls back to the first candidate after the last probe.
 */
function randomCandidate(t: Table, volatile: boolean): number {
  const cap = t.capacity;
  const mask = cap - 1;
  let s = 0;
  for (let probe = 0; probe < uniformProbesMax; probe++) {
    s = Math.floor(random() * cap) & mask;
    if (isCandidate(t, s, volatile)) return s;
  }
  for (let steps = 0; steps < cap; steps++) {
    if (isCandidate(t, s, volatile)) return s;
    s = (s + 1) & mask;
  }
  return -1;
}

function evictSlot(x: Exec, t: Table, slot: number): void {
  // The key is copied only when someone listens (keyspace notifications, WATCH, the shard log).
  const key = (x.cfg.notifyKeyspaceEvents & NOTIFY.evicted) !== 0 || signalHooks.modified !== null || signalHooks.log !== null ? t.keyCopy(slot) : null;
  const db = key !== null ? x.ks.logicalDb(t.db(slot)) : 0;
  x.ks.deleteSlot(t, slot);
  x.stats.add(Stat.evictedKeys);
  if (key !== null) {
    signalModified(x, db, key);
    notifyEvent(x, NOTIFY.evicted, "evicted", db, key);
  }
}

/** allkeys-random / volatile-random: evicts one candidate; false when none exists. */
function evictRandom(x: Exec, volatile: boolean): boolean {
  const ks = x.ks;
  for (let round = 0; round < poolRoundsMax; round++) {
    let total = 0;
    for (const t of ks.tables) total += candidates(t, volatile);
    if (total === 0) return false;
    let r = random() * total;
    let shard = 0;
    while (shard < ks.shardCount - 1 && r >= candidates(ks.tables[shard], volatile)) {
      r -= candidates(ks.tables[shard], volatile);
      shard++;
    }
    ks.lock(shard);
    try {
      const t = ks.tables[shard];
      const slot = randomCandidate(t, volatile);
      if (slot >= 0) {
        evictSlot(x, t, slot);
        return true;
      }
    } finally {
      ks.unlock(shard);
    }
  }
  return false;
}

// ---- the eviction pool ------------------------------------------------------------------------------
/** Higher evicts first. Always a whole number: idle ms in whole seconds, 255 - counter, -expiry ms. */
function scoreOf(t: Table, slot: number, policy: number, nowMs: number, decayTime: number): number {
  switch (policy) {
    case Policy.allkeysLru:
    case Policy.volatileLru:
      return lruIdleMs(t.clock(slot), nowMs);
    case Policy.allkeysLfu:
    case Policy.volatileLfu:
      return lfuCounterMax - lfuDecayed(t.clock(slot), nowMs, decayTime);
    default:
      return -t.expireAt(slot); // volatile-ttl: the sooner the expiry, the better the candidate
  }
}

/** Empties the pool; its next entries are scored under `policy` (-1: whichever runs next). */
export function clearEvictionPool(policy = -1): void {
  poolLen = 0;
  poolPolicy = policy;
}

/** The pool's scores, ascending (tests). */
export function evictionPoolScores(): number[] {
  return Array.from(poolScore.subarray(0, poolLen));
}

/** Redis's evictionPoolPopulate insertion: keeps the best evictionPoolSize scores, ascending. */
export function poolInsert(shard: number, hash: number, addr: number, score: number): void {
  for (let k = 0; k < poolLen; k++) {
    if (poolAddr[k] === addr && poolShard[k] === shard && poolHash[k] === hash) return; // sampled twice
  }
  let k = 0;
  while (k < poolLen && poolScore[k] < score) k++;
  if (poolLen < evictionPoolSize) {
    for (let j = poolLen; j > k; j--) poolMove(j - 1, j);
    poolLen++;
  } else {
    if (k === 0) return; // worse than every entry of a full pool
    k--; // drop the worst (index 0), shifting [1, k] left
    for (let j = 0; j < k; j++) poolMove(j + 1, j);
  }
  poolScore[k] = score;
  poolHash[k] = hash;
  poolAddr[k] = addr;
  poolShard[k] = shard;
}

function poolMove(from: number, to: number): void {
  poolScore[to] = poolScore[from];
  poolHash[to] = poolHash[from];
  poolAddr[to] = poolAddr[from];
  poolShard[to] = poolShard[from];
}

/** Samples up to `samples` candidates of one shard into the pool. */
function populate(x: Exec, shard: number, policy: number, volatile: boolean, samples: number): void {
  const ks = x.ks;
  ks.lock(shard);
  try {
    const t = ks.tables[shard];
    const n = Math.min(samples, candidates(t, volatile));
    for (let k = 0; k < n; k++) {
      const s = randomCandidate(t, volatile);
      if (s < 0) return;
      // Scores are whole numbers; the fraction breaks ties at random, so equal candidates (every
      // new key under LFU, a second's worth of writes under LRU) are evicted evenly across shards
      // rather than from whichever shard is sampled first.
      const score = scoreOf(t, s, policy, ks.now, x.cfg.lfuDecayTime) + random() * tieBreakMax;
      poolInsert(shard, t.hashAt(s), t.addr(s), score);
    }
  } finally {
    ks.unlock(shard);
  }
}

/** The slot holding the entry with this hash and block address, or -1. Caller holds the lock. */
function locate(t: Table, hash: number, addr: number): number {
  const mask = t.capacity - 1;
  let s = hash & mask;
  for (let steps = 0; steps <= mask; steps++) {
    if (!t.occupied(s)) return -1;
    if (t.addr(s) === addr && t.hashAt(s) === hash) return s;
    s = (s + 1) & mask;
  }
  return -1;
}

/** Evicts the best live pool entry, best first; false when every entry was a ghost. */
function popBest(x: Exec, policy: number, volatile: boolean): boolean {
  const ks = x.ks;
  while (poolLen > 0) {
    const k = --poolLen;
    const shard = poolShard[k];
    ks.lock(shard);
    try {
      const t = ks.tables[shard];
      const s = locate(t, poolHash[k], poolAddr[k]);
      if (s < 0 || (volatile && !t.hasExpire(s))) continue;
      const scored = Math.floor(poolScore[k]); // without the tie-break fraction
      if (scoreOf(t, s, policy, ks.now, x.cfg.lfuDecayTime) < scored) continue; // used since scored
      evictSlot(x, t, s);
      return true;
    } finally {
      ks.unlock(shard);
    }
  }
  return false;
}

/** LRU / LFU / TTL policies: evicts one key; false when no candidate exists. */
function evictFromPool(x: Exec, policy: number): boolean {
  const ks = x.ks;
  const volatile = isVolatilePolicy(policy);
  if (poolPolicy !== policy) {
    poolLen = 0;
    poolPolicy = policy;
  }
  const samples = Math.max(1, x.cfg.maxmemorySamples);
  for (let round = 0; round < poolRoundsMax; round++) {
    let total = 0;
    for (let shard = 0; shard < ks.shardCount; shard++) {
      if (candidates(ks.tables[shard], volatile) === 0) continue;
      total++;
      populate(x, shard, policy, volatile, samples);
    }
    if (total === 0) return false;
    if (popBest(x, policy, volatile)) return true;
  }
  return false;
}
