// A shard worker's side of the shard log: it appends effect records while commands hold the shard
// locks, and it holds replies back until what they depend on is durable (the reply tracker).
//
// Effects: every write signals the keys it changed (src/server/signals.ts); the hook logs each key's
// resulting state (src/log/effects.ts) into the key's shard ring before the lock is released, so a
// shard's LSN order is the order its changes happened in. A large value changed by a delta-able
// command (CommandSpec.delta) logs the command's effect instead (a `delta`, O(argv) not O(value)). Expirations and evictions raise the same
// signal (src/server/notify.ts, src/keyspace/evict.ts) and so log a `del`; FLUSHDB/FLUSHALL are
// logged in every shard's ring, SWAPDB in shard 0's.
//
// Reply tracker (durability sync): each shard has a shared dirty map (Keyspace.dirty): key hash
// bucket -> LSN of the last logged change to a key in it, plus a floor (the shard's last FLUSH or
// SWAPDB). The log hook stores each record's LSN in its key's bucket; Keyspace.route() raises the
// batch's need for the shard to the bucket's (or floor's) LSN. So a reply depends on the session's own
// writes and on the last write of every key it read (another client's not yet durable SET of that
// key, or a colliding key in the same bucket: a harmless extra wait). Keyless commands that read a
// whole shard (KEYS, SCAN, DBSIZE...), transactions and asynchronous replies mark the shard instead
// (touchedShards) and wait for everything appended to it. When a session's replies are flushed and
// what they depend on is not durable yet, the bytes wait in the session's `held` queue (in order;
// later replies queue behind them, so session order is kept) and leave once the replicator publishes
// the LSN. Commands keep executing meanwhile, so a pipeline shares one fsync. A read of a clean key
// replies at once.
//
// durability async: replies leave at once; writes are refused while the oldest record not yet
// durable is older than durability-async-max-lag-ms.

import type { Exec } from "./exec.ts";
import type { Session } from "./session.ts";
import { signalHooks } from "./signals.ts";
import { LogRing } from "../log/ring.ts";
import { logDel, logDelta, logFlush, logPut, logSwapDb, valueIsLarge } from "../log/effects.ts";
import { Op } from "../log/record.ts";
import { typeOps } from "../types/registry.ts";
import { dirtyBuckets } from "../keyspace/keyspace.ts";
import { ctlAsync, ctlF64LastRoundMs, ctlFlushes, ctlLogFailing, logFailure } from "../log/control.ts";
import { bytesEqual } from "../commands/util.ts";

export interface DurableWorkerInit {
  rings: SharedArrayBuffer[];
  /** Per shard: the dirty map (src/keyspace/keyspace.ts createDirtyMap). */
  dirty: SharedArrayBuffer[];
  bell: SharedArrayBuffer;
  control: SharedArrayBuffer;
  epoch: number;
}

export interface HeldReply {
  bytes: Uint8Array;
  /** Per shard: the LSN that must be durable first (0n = none). */
  need: bigint[];
}

export class DurableWorker {
  readonly rings: LogRing[];
  readonly dirty: Float64Array[];
  readonly epoch: number;
  /** The durable actors' statistics (src/log/durable_threads.ts ctlF64* slots). */
  readonly control: Float64Array;
  private controlI32: Int32Array;
  private controlSab: SharedArrayBuffer;
  /** Sessions with held replies. */
  private waiting = new Set<Session>();
  private watching: boolean[];
  /** Time the oldest not-yet-durable record was appended, per shard (async lag), 0 = none. */
  private pendingSince: number[];

  constructor(init: DurableWorkerInit, private release: (s: Session, bytes: Uint8Array) => void) {
    this.rings = init.rings.map((r) => new LogRing(r, init.bell));
    this.dirty = init.dirty.map((d) => new Float64Array(d));
    this.epoch = init.epoch;
    this.control = new Float64Array(init.control);
    this.controlI32 = new Int32Array(init.control);
    this.controlSab = init.control;
    this.watching = this.rings.map(() => false);
    this.pendingSince = this.rings.map(() => 0);
  }

  /** Installs the effect hooks (once per worker). */
  install(x: Exec): void {
    // A value that owns arena nodes can only be logged through its type's serializer.
    for (let type = 0; type < typeOps.length; type++) {
      const ops = typeOps[type];
      if (ops !== undefined && (ops.serialize === undefined || ops.deserialize === undefined)) {
        throw new Error(`durability: type ${type} has no serialize/deserialize hooks, so its values cannot be logged`);
      }
    }
    const ks = x.ks;
    const rings = this.rings;
    const epoch = this.epoch;
    const dirty = this.dirty;
    ks.dirty = dirty;
    ks.needLsn = new Float64Array(rings.length);
    signalHooks.log = (x, db, key) => {
      // Keep the caller's routing state: handlers may still use ks.t / ks.h after signalling.
      const t0 = ks.t;
      const h0 = ks.h;
      const shard = ks.shardOf(key);
      const t = ks.route(key);
      const pdb = ks.physicalDb(db);
      const slot = t.find(pdb, key, ks.h);
      let lsn: bigint;
      if (slot >= 0) {
        // A large value changed by its own delta-able command (once per command): log the command's
        // effect instead of the whole value. SET/INCR pay one field test here (spec.delta false).
        const spec = x.effSpec;
        if (spec !== null && spec.delta === true && !x.effLogged && x.effArgv.length > 1 && bytesEqual(x.effArgv[1], key) && valueIsLarge(t, slot)) {
          x.effLogged = true;
          lsn = logDelta(rings[shard], epoch, pdb, key, x.effect ?? x.effArgv);
        } else lsn = logPut(rings[shard], epoch, t, slot);
      } else lsn = logDel(rings[shard], epoch, Op.del, pdb, key);
      const n = Number(lsn);
      dirty[shard][ks.h & (dirtyBuckets - 1)] = n;
      if (n > ks.needLsn[shard]) ks.needLsn[shard] = n;
      this.notePending(shard);
      ks.t = t0;
      ks.h = h0;
    };
    const ctl = this.controlI32;
    signalHooks.flushed = (_x, db) => {
      // A snapshot walk in progress is retried (src/log/snapshot.ts: the per-key LSN rule cannot
      // express a flush in the middle of a walk); every lock is held here.
      Atomics.add(ctl, ctlFlushes, 1);
      const pdb = db < 0 ? -1 : ks.physicalDb(db);
      for (let s = 0; s < rings.length; s++) {
        dirty[s][dirtyBuckets] = Number(logFlush(rings[s], epoch, pdb));
        ks.touchedShards |= 1 << s;
        this.notePending(s);
      }
    };
    signalHooks.swapped = (_x, a, b) => {
      // No snapshot retry for SWAPDB: records and snapshot entries name physical dbs, and the map
      // the snapshot took at its start plus the swapDb records after it give the final map.
      // SWAPDB moves every db's keys under other names: every shard's reads wait for it.
      // The record is in shard 0's log only: every shard's map points reads at that LSN of shard 0.
      const lsn = Number(logSwapDb(rings[0], epoch, a, b));
      for (let s = 0; s < rings.length; s++) {
        dirty[s][dirtyBuckets + 1] = lsn;
        ks.touchedShards |= 1 << s;
      }
      this.notePending(0);
    };
  }

  /** Tells the replicator whether replies wait for it (sync) or not (async: it may batch). */
  setAsync(async: boolean): void {
    Atomics.store(this.controlI32, ctlAsync, async ? 1 : 0);
  }

  /** Why the log cannot be written right now (disk full, I/O error), or null. */
  failure(): string | null {
    return Atomics.load(this.controlI32, ctlLogFailing) === 0 ? null : logFailure(this.controlSab);
  }

  private notePending(shard: number): void {
    if (this.pendingSince[shard] === 0) this.pendingSince[shard] = Date.now();
  }

  /** durability async: the age in ms of the oldest record not yet durable (0 when none). */
  lagMs(): number {
    let oldest = 0;
    for (let s = 0; s < this.rings.length; s++) {
      const since = this.pendingSince[s];
      if (since === 0) continue;
      if (this.rings[s].durableLsn() >= this.rings[s].appendedLsn()) {
        this.pendingSince[s] = 0;
        continue;
      }
      // The oldest unsynced record is younger than both the start of this dirty spell and the
      // replicator's last completed round (everything appended before that round is durable).
      const age = Date.now() - Math.max(since, this.control[ctlF64LastRoundMs]);
      if (age > oldest) oldest = age;
    }
    return oldest;
  }

  /**
   * The LSNs a batch's replies must wait for, or null when all are durable: everything appended to
   * the shards in `mask`, and per shard the precise need the batch gathered (which it resets).
   */
  needFor(mask: number, precise: Float64Array): bigint[] | null {
    let need: bigint[] | null = null;
    for (let s = 0; s < this.rings.length; s++, mask >>>= 1) {
      const p = precise[s];
      if ((mask & 1) === 0 && p === 0) continue;
      precise[s] = 0;
      const r = this.rings[s];
      const want = (mask & 1) !== 0 ? r.appendedLsn() : BigInt(p);
      if (want > r.durableLsn()) {
        if (need === null) need = this.rings.map(() => 0n);
        need[s] = want;
      }
    }
    return need;
  }

  /** Queues bytes behind the session's held replies. */
  hold(s: Session, bytes: Uint8Array, need: bigint[] | null): void {
    s.held.push({ bytes, need: need ?? this.rings.map(() => 0n) });
    s.heldBytes += bytes.length;
    if (!this.waiting.has(s)) this.waiting.add(s);
    if (need !== null) for (let i = 0; i < need.length; i++) if (need[i] > 0n) this.watch(i);
  }

  private ready(h: HeldReply): boolean {
    for (let i = 0; i < h.need.length; i++) if (h.need[i] > 0n && this.rings[i].durableLsn() < h.need[i]) return false;
    return true;
  }

  /** Releases every held reply whose LSNs are durable, in order per session. */
  drain(): void {
    for (const s of this.waiting) {
      while (s.held.length > 0 && this.ready(s.held[0])) {
        const h = s.held.shift()!;
        s.heldBytes -= h.bytes.length;
        this.release(s, h.bytes);
      }
      if (s.held.length === 0) this.waiting.delete(s);
      else for (let i = 0; i < s.held[0].need.length; i++) if (s.held[0].need[i] > 0n) this.watch(i);
    }
  }

  /** Wakes drain() when shard's durable LSN moves (one outstanding wait per shard). */
  private watch(shard: number): void {
    if (this.watching[shard]) return;
    const r = this.rings[shard];
    // Read the progress counter before the durable LSN: the replicator publishes the LSN first and
    // bumps the counter after, so either the LSN read here is already enough, or the bump comes
    // after `seen` and wakes the wait.
    const seen = r.progressSeq();
    this.watching[shard] = true;
    const done = () => {
      this.watching[shard] = false;
      this.drain();
    };
    if (r.durableLsn() >= r.appendedLsn()) {
      // Everything appended is durable: the held reply is releasable now. A reply that waits for an
      // LSN its shard never appended would make this a hot loop (a bug: a wrong LSN space); back off
      // to a timer then, so the worker stays responsive and the bug shows as latency, not a spin.
      if (++this.shortcuts > 64) setTimeout(done, 10);
      else queueMicrotask(done);
      return;
    }
    this.shortcuts = 0;
    const p = r.waitProgressAsync(seen, Infinity);
    if (p === null) queueMicrotask(done);
    else p.then(done, done);
  }

  /** Consecutive watch() calls that found everything durable (see watch). */
  private shortcuts = 0;

  /** A closing session's held replies are dropped. */
  forget(s: Session): void {
    this.waiting.delete(s);
    s.held.length = 0;
    s.heldBytes = 0;
  }
}
