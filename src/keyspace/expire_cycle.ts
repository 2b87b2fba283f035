// Active expiry (Redis's activeExpireCycle, slow mode): each cron tick, the shard's owner walks its
// table from a persistent cursor, deleting expired entries, for at most 25% of the tick (more with
// active-expire-effort). It holds the shard lock for chunks of slots, not for the whole walk, so
// commands from other workers are never stalled for long. Lazy expiry on lookup covers the rest.

import type { Exec } from "../server/exec.ts";
import { Stat } from "../server/stats.ts";

const chunkSlots = 256;

export function activeExpireCycle(x: Exec, shard: number, tickMs: number): void {
  const ks = x.ks;
  const t = ks.tables[shard];
  if (t.expiresCount === 0) return;
  const effort = Math.max(1, Math.min(10, x.cfg.activeExpireEffort)) - 1;
  const budgetMs = tickMs * (0.25 + effort * 0.02);
  const start = performance.now();
  let visited = 0;
  while (visited < t.capacity) {
    ks.lock(shard);
    let expired = 0;
    try {
      ks.now = Date.now();
      const cap = t.capacity;
      let s = t.expireCursor % cap;
      for (let k = 0; k < chunkSlots && visited < cap; k++, visited++) {
        if (t.occupied(s)) {
          const at = t.expireAt(s);
          if (at !== 0 && at <= ks.now) {
            ks.expireSlot(t, s, -1);
            expired++;
            continue; // backward shift moved another entry into s: look at s again
          }
        }
        s = (s + 1) % cap;
      }
      t.expireCursor = s;
    } finally {
      ks.unlock(shard);
    }
    if (expired > 0) {
      // expireSlot counted them in ks.expiredKeys; move the count to the shared stats.
      x.stats.add(Stat.expiredKeys, ks.expiredKeys);
      ks.expiredKeys = 0;
    }
    if (performance.now() - start > budgetMs) {
      x.stats.add(Stat.expiredTimeCapReached);
      break;
    }
  }
}
