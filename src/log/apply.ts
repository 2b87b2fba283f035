// Applies effect records (src/log/effects.ts) to a keyspace: recovery at start, and replicas.
// Records name physical dbs, so they apply without the logical-db map; swapDb records rebuild that
// map. The caller holds the locks of every shard (recovery runs before any worker starts).
// A shard's log only describes that shard's keys (the shard count is fixed for a data folder), so a
// flush record clears only its own shard's table, and swapDb is logged in shard 0's log only.

import type { Keyspace } from "../keyspace/keyspace.ts";
import { hashKey } from "../keyspace/table.ts";
import { typeOps } from "../types/registry.ts";
import { Op, opVersions, type LogRecord } from "./record.ts";
import { decodeDel, decodePut } from "./effects.ts";
import type { DeltaReplayer } from "./replay.ts";

export class ApplyError extends Error {}

/** Applies one record; `delta` records need a replayer (src/log/replay.ts). */
export function applyRecord(ks: Keyspace, shard: number, r: LogRecord, replayer: DeltaReplayer | null = null): void {
  const known = opVersions[r.op];
  if (known === undefined) throw new ApplyError(`unknown opcode ${r.op} at LSN ${r.lsn} (written by a newer memkeep?)`);
  if (r.version > known) throw new ApplyError(`opcode ${r.op} version ${r.version} at LSN ${r.lsn} is newer than this build reads (${known})`);
  switch (r.op) {
    case Op.noop:
      return;
    case Op.put: {
      const e = decodePut(r.payload);
      const t = ks.tables[ks.shardOf(e.key)];
      const h = hashKey(e.key);
      const old = t.find(e.db, e.key, h);
      if (old >= 0) {
        ks.freeValue(t, old);
        t.remove(old);
      }
      let value = e.value;
      if (e.serialized) {
        const ops = typeOps[e.type];
        if (ops === undefined || ops.deserialize === undefined) throw new ApplyError(`LSN ${r.lsn}: type ${e.type} has no deserializer`);
        const v = ops.deserialize(t.arena, e.value, e.enc);
        if (v === null) throw new ApplyError(`LSN ${r.lsn}: out of memory while recovering`);
        value = v;
      }
      const slot = t.insert(e.db, e.key, h, value.length, e.type, e.enc, e.expireAt);
      if (slot < 0) throw new ApplyError(`LSN ${r.lsn}: out of memory while recovering`);
      t.arena.u8.set(value, t.valueOffset(slot));
      t.setClock(slot, ks.newClock());
      return;
    }
    case Op.del:
    case Op.expire:
    case Op.evict: {
      const e = decodeDel(r.payload);
      const t = ks.tables[ks.shardOf(e.key)];
      const slot = t.find(e.db, e.key, hashKey(e.key));
      if (slot >= 0) {
        ks.freeValue(t, slot);
        t.remove(slot);
      }
      return;
    }
    case Op.flush: {
      const db = r.payload[0] === 255 ? -1 : r.payload[0];
      const t = ks.tables[shard];
      t.clear(db, (slot) => ks.freeValue(t, slot));
      return;
    }
    case Op.swapDb:
      ks.swapDb(r.payload[0], r.payload[1]);
      return;
    case Op.delta:
      if (replayer === null) throw new ApplyError(`LSN ${r.lsn}: delta record where no replayer was given`);
      replayer.apply(r.lsn, r.payload);
      return;
    default:
      throw new ApplyError(`opcode ${r.op} at LSN ${r.lsn} cannot be applied yet`);
  }
}
