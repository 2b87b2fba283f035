// Recovery of one shard: its latest snapshot, then its log after the snapshot's LSN S, with the
// per-key LSN rule that keeps delta records exact (src/log/snapshot.ts says why it is needed).
//
// For a key in the snapshot with per-key LSN E, the key's records with LSN <= E are already in its
// image and are skipped; later ones apply. A key not in the snapshot gets every record after S.
// Only records in (S, maxE] can fall under the rule, so the keys those records name are collected
// first (one read of that range of the log) and only their E are kept: never a map of every key.
//
// A delta may reach a key that the recovering state does not hold, or holds differently from the
// primary at that LSN: a key that existed at S, was not in the image, and is changed before its
// removal. That is safe: a key missing from the image was absent at some moment of the walk (SCAN
// visits every key present throughout), so its records up to that moment end with a del/expire/
// evict record that erases whatever those deltas built, and from there on replay runs on the exact
// state. Replaying such a delta is harmless: a handler on a missing key either does nothing (HDEL,
// LSET, XDEL reply an error or 0) or builds a small value of the same type (HSET creates) that the
// removal then drops; its reply is ignored and it never stops recovery.

import type { Keyspace } from "../keyspace/keyspace.ts";
import type { KeyProvider } from "./keys.ts";
import { applyRecord } from "./apply.ts";
import { recordKey } from "./effects.ts";
import type { DeltaReplayer } from "./replay.ts";
import { recoverShard, scanRecords } from "./shard_log.ts";
import { applySnapshot, latestSnapshot, readSnapshot } from "./snapshot.ts";

export interface ShardRecovery {
  /** Keys loaded from the snapshot. */
  keys: number;
  /** The snapshot's LSN (0 without one). */
  snapshotLsn: bigint;
  /** Records applied after the snapshot. */
  applied: number;
  /** Records skipped by the per-key rule. */
  skipped: number;
  tornBytes: number;
  nextLsn: bigint;
}

/** "db:key" as a Map key (latin1, one char per byte). */
function keyId(db: number, key: Uint8Array): string {
  let s = String.fromCharCode(db) + ":";
  for (let i = 0; i < key.length; i += 4096) s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

/** Recovers shard `shard` into ks (every lock held). */
export function recoverShardState(ks: Keyspace, dir: string, shard: number, keys: KeyProvider | null, replayer: DeltaReplayer | null): ShardRecovery {
  let after = 0n;
  let maxE = 0n;
  let nkeys = 0;
  // Per-key LSNs of snapshot keys that records in (S, maxE] name; null when that range is empty.
  let perKey: Map<string, bigint> | null = null;
  const snap = latestSnapshot(dir, shard);
  if (snap !== null) {
    const img = readSnapshot(shard, snap.path, keys);
    after = img.lsn;
    maxE = img.maxLsn;
    if (maxE > after) {
      const named = new Set<string>();
      scanRecords(dir, shard, keys, after, maxE, (r) => {
        const k = recordKey(r.op, r.payload);
        if (k !== null) named.add(keyId(k.db, k.key));
      });
      const m = new Map<string, bigint>();
      nkeys = applySnapshot(ks, shard, img, (db, key, e) => {
        if (e <= after) return;
        const id = keyId(db, key);
        if (named.has(id)) m.set(id, e);
      });
      perKey = m;
    } else {
      nkeys = applySnapshot(ks, shard, img);
    }
  }
  let skipped = 0;
  const res = recoverShard(dir, shard, keys, after, (rec) => {
    if (perKey !== null && rec.lsn <= maxE) {
      const k = recordKey(rec.op, rec.payload);
      if (k !== null) {
        const e = perKey.get(keyId(k.db, k.key));
        if (e !== undefined && rec.lsn <= e) {
          skipped++;
          return;
        }
      }
    }
    applyRecord(ks, shard, rec, replayer);
  });
  return { keys: nkeys, snapshotLsn: after, applied: res.applied - skipped, skipped, tornBytes: res.tornBytes, nextLsn: res.nextLsn };
}
