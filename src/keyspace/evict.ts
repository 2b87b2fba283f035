// maxmemory eviction, run before each command flagged denyoom (Redis's performEvictions).
//
// Each round samples maxmemory-samples entries from a random shard (all of them for allkeys-*,
// only entries with a TTL for volatile-*), keeps the best candidates of the call in a small pool
// (Redis's eviction pool idea: the best of many samples, not of one round) and deletes the best.
// A call stops when memory is under the limit, when no candidate exists (the command then gets the
// OOM error), or after a time budget that grows with maxmemory-eviction-tenacity; if it freed
// something but is still over, the command runs (as Redis's EVICT_RUNNING) and later calls go on.

import type { Exec } from "../server/exec.ts";
import { Stat } from "../server/stats.ts";
import { lfuDecayed, lruIdleMs } from "./clock.ts";
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

/** Returns false when memory is over maxmemory and nothing could be evicted. */
export function performEvictions(x: Exec): boolean {
  const max = x.cfg.maxmemory;
  const ks = x.ks;
  if (max <= 0 || ks.usedBytes() <= max) return true;
  if (x.s && x.s.noEvict) return true; // CLIENT NO-EVICT clients do not trigger eviction
  const policy = policyCode(x.cfg.maxmemoryPolicy);
  if (policy === Policy.noeviction) return false;
  const volatile = policy >= Policy.volatileLru;
  const samples = Math.max(1, x.cfg.maxmemorySamples);
  const tenacity = x.cfg.maxmemoryEvictionTenacity;
  const budgetMs = tenacity >= 100 ? Infinity : 0.5 * Math.pow(1.15, tenacity);
  const start = performance.now();
  let freed = 0;
  while (ks.usedBytes() > max) {
    const shard = Math.floor(Math.random() * ks.shardCount);
    const t = ks.tables[shard];
    if ((volatile ? t.expiresCount : t.count) === 0) {
      if (!anyCandidates(x, volatile)) return freed > 0;
      continue;
    }
    ks.lock(shard);
    try {
      const victim = pickVictim(x, t, policy, volatile, samples);
      if (victim >= 0) {
        ks.deleteSlot(t, victim);
        x.stats.add(Stat.evictedKeys);
        freed++;
      }
    } finally {
      ks.unlock(shard);
    }
    if (performance.now() - start > budgetMs) break;
  }
  return freed > 0 || ks.usedBytes() <= max;
}

function anyCandidates(x: Exec, volatile: boolean): boolean {
  for (const t of x.ks.tables) if ((volatile ? t.expiresCount : t.count) > 0) return true;
  return false;
}

/** Best of `samples` random entries under the policy (higher score evicts first), or -1. */
function pickVictim(x: Exec, t: Table, policy: number, volatile: boolean, samples: number): number {
  let best = -1;
  let bestScore = -Infinity;
  const now = x.ks.now;
  const tries = samples * 4;
  for (let k = 0, got = 0; k < tries && got < samples; k++) {
    const s = t.randomSlot(Math.random());
    if (s < 0) return -1;
    if (volatile && !t.hasExpire(s)) continue;
    got++;
    let score: number;
    switch (policy) {
      case Policy.allkeysLru:
      case Policy.volatileLru:
        score = lruIdleMs(t.clock(s), now);
        break;
      case Policy.allkeysLfu:
      case Policy.volatileLfu:
        score = 255 - lfuDecayed(t.clock(s), now, x.cfg.lfuDecayTime);
        break;
      case Policy.volatileTtl:
        score = -t.expireAt(s);
        break;
      default:
        score = Math.random();
    }
    if (score > bestScore) {
      bestScore = score;
      best = s;
    }
  }
  return best;
}
