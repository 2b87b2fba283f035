// The keyspace as command handlers see it: every shard's table, reachable from every worker.
//
// Each shard (a contiguous range of the 16384 slots) is a Table + Arena in reserved (4 GiB, mapped on touch)
// SharedArrayBuffers plus a futex lock word in the shared control buffer. Every worker maps every
// shard. A command locks the shards its keys live on (in shard order, so multi-key commands cannot
// deadlock), runs inline on the session's own thread, and unlocks. This replaces a mailbox hop to the
// owning worker: measured here, an uncontended lock/unlock costs ~7 ns, a thread hop 7-55 us
// (design.md), and with W = 1 (the default on 2 cores) the lock is always uncontended.
// The owner of a shard (worker index == shard index) runs its active-expiry cycle.
//
// Logical databases map to physical db ids through `dbMap` (shared), so SWAPDB is O(1).
// Lazy expiry: lookups delete keys whose expireAt <= now (the command's cached clock).

import { assert } from "../assert.ts";
import { keyHashSlot } from "../../native-free/crc16.ts";
import { Arena } from "./arena.ts";
import { Table, dbCountMax, hashKey, ObjType } from "./table.ts";

/** Key hash buckets of a shard's dirty-LSN map (Keyspace.dirty): 2^15, 256 KiB per shard. */
export const dirtyBuckets = 1 << 15;
const dirtyMask = dirtyBuckets - 1;
/**
 * A shard's dirty map: buckets, then its floor (an LSN of its own log: its last FLUSH), then the LSN
 * in shard 0's log of the last SWAPDB (logged there only) that reads of this shard depend on.
 */
export function createDirtyMap(): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * (dirtyBuckets + 2));
}
import { typeOps } from "../types/registry.ts";
import { lfuNew, lfuTouch, lruClock } from "./clock.ts";

export const slotCount = 16384;

// Control buffer layout (Int32 words).
const cDbMap = 0; // 256 words
const cClientId = 256;
const cClients = 257;
const cLocks = 512; // 16 words per shard
/** WATCH registry roots (src/server/watch.ts): 4 words, then 4 words per shard. */
export const ctlWatchBase = 2048;
const controlWords = 4096;

/** Run by swapDb before the swap, every lock held (WATCH dirties the watchers of either db). */
export const swapDbHooks: ((ks: Keyspace, a: number, b: number) => void)[] = [];

export interface ShardBuffers {
  table: SharedArrayBuffer;
  arena: SharedArrayBuffer;
}

export interface KeyspaceBuffers {
  control: SharedArrayBuffer;
  shards: ShardBuffers[];
  databases: number;
}

export function createKeyspaceBuffers(shardCount: number, databases: number): KeyspaceBuffers {
  assert(shardCount >= 1 && shardCount <= 32, "keyspace: shard count out of range");
  assert(databases >= 1 && databases <= dbCountMax, "keyspace: databases must fit the slot's db bits");
  const control = new SharedArrayBuffer(controlWords * 4);
  const c = new Int32Array(control);
  for (let i = 0; i < 256; i++) c[cDbMap + i] = i;
  c[cClientId] = 0;
  const shards: ShardBuffers[] = [];
  for (let i = 0; i < shardCount; i++) shards.push({ table: Table.create(), arena: Arena.create() });
  return { control, shards, databases };
}

/** Hooks a keyspace user installs to hear about deletions it did not ask for (expiry). */
export interface KeyspaceEvents {
  onExpired(db: number, key: Uint8Array): void;
}

export class Keyspace {
  readonly tables: Table[];
  readonly arenas: Arena[];
  readonly ctl: Int32Array;
  readonly shardCount: number;
  readonly databases: number;
  /** The command's clock in ms: set by the dispatcher once per command. */
  now = Date.now();
  /** Table of the last lookup/route (avoids returning a pair). */
  t: Table;
  /** Hash of the last routed key. */
  h = 0;
  expiredKeys = 0;
  events: KeyspaceEvents | null = null;
  /** Access tracking: LFU counters when an LFU policy is set, else LRU clocks. */
  lfu = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  /** CLIENT NO-TOUCH of the running command's session. */
  noTouch = false;
  /** Set by the dispatcher for read-only commands: lookups count keyspace hits and misses. */
  countHits = false;
  hits = 0;
  misses = 0;
  /**
   * The reply tracker (src/server/durable.ts). Conservative: a bit per shard whose whole log a reply
   * must wait for (keyless commands that read a shard, transactions, asynchronous replies). Precise
   * (durable mode): per shard, the highest LSN of a write to any key this batch's commands routed to
   * (`dirty` maps key hash buckets to the LSN of their last logged change; its last slot is the
   * shard's floor, the LSN of its last FLUSH/SWAPDB), so a read of a clean key does not wait for
   * other keys' fsync.
   */
  touchedShards = 0;
  dirty: Float64Array[] | null = null;
  needLsn: Float64Array = new Float64Array(0);

  constructor(bufs: KeyspaceBuffers) {
    this.ctl = new Int32Array(bufs.control);
    this.shardCount = bufs.shards.length;
    this.databases = bufs.databases;
    this.arenas = bufs.shards.map((b) => new Arena(b.arena));
    this.tables = bufs.shards.map((b, i) => new Table(b.table, this.arenas[i]));
    this.t = this.tables[0];
  }

  // ---- routing ----------------------------------------------------------------------------------
  shardOf(key: Uint8Array): number {
    if (this.shardCount === 1) return 0;
    return Math.floor((keyHashSlot(key) * this.shardCount) / slotCount);
  }
  /** Routes `key`: sets this.t and this.h. */
  route(key: Uint8Array): Table {
    this.h = hashKey(key);
    const shard = this.shardCount === 1 ? 0 : this.shardOf(key);
    const dirty = this.dirty;
    if (dirty !== null) {
      const d = dirty[shard];
      const k = d[this.h & dirtyMask];
      const f = d[dirtyMask + 1];
      const lsn = k > f ? k : f;
      if (lsn > this.needLsn[shard]) this.needLsn[shard] = lsn;
      const swap = d[dirtyMask + 2];
      if (swap > this.needLsn[0]) this.needLsn[0] = swap;
    }
    // Our invariant, checked always: a table is only touched under its shard's lock (a spec with
    // wrong key positions or a missing `shards: "all"` would race with other workers).
    assert(Atomics.load(this.ctl, cLocks + shard * 16) !== 0, "keyspace: shard used without its lock");
    this.t = this.tables[shard];
    return this.t;
  }
  physicalDb(db: number): number {
    return Atomics.load(this.ctl, cDbMap + db);
  }
  /** The logical db a physical db currently stands for (SWAPDB permutes them). */
  logicalDb(pdb: number): number {
    for (let db = 0; db < this.databases; db++) if (this.physicalDb(db) === pdb) return db;
    return pdb;
  }

  // ---- locks (futex mutex: 0 free, 1 locked, 2 locked with waiters) ----------------------------
  lock(shard: number): void {
    const i = cLocks + shard * 16;
    if (Atomics.compareExchange(this.ctl, i, 0, 1) === 0) return;
    this.lockSlow(i);
  }
  private lockSlow(i: number): void {
    for (let spin = 0; spin < 200; spin++) {
      if (Atomics.compareExchange(this.ctl, i, 0, 1) === 0) return;
    }
    while (Atomics.exchange(this.ctl, i, 2) !== 0) Atomics.wait(this.ctl, i, 2, 50);
  }
  unlock(shard: number): void {
    const i = cLocks + shard * 16;
    if (Atomics.sub(this.ctl, i, 1) !== 1) {
      Atomics.store(this.ctl, i, 0);
      Atomics.notify(this.ctl, i, 1);
    }
  }
  lockAll(): void {
    for (let s = 0; s < this.shardCount; s++) this.lock(s);
  }
  unlockAll(): void {
    for (let s = this.shardCount - 1; s >= 0; s--) this.unlock(s);
  }

  // ---- lookups ----------------------------------------------------------------------------------
  /**
   * Slot of `key` in logical db `db`, or -1. Expired keys are deleted here (lazy expiry). Sets
   * this.t to the key's table.
   */
  lookup(db: number, key: Uint8Array): number {
    const t = this.route(key);
    const pdb = this.physicalDb(db);
    const slot = t.find(pdb, key, this.h);
    if (slot < 0) {
      if (this.countHits) this.misses++;
      return -1;
    }
    const at = t.expireAt(slot);
    if (at !== 0 && at <= this.now) {
      this.expireSlot(t, slot, db);
      if (this.countHits) this.misses++;
      return -1;
    }
    if (this.countHits) this.hits++;
    if (!this.noTouch) this.touch(t, slot);
    return slot;
  }

  /** Records an access in the entry's LRU/LFU clock. */
  touch(t: Table, slot: number): void {
    t.setClock(slot, this.lfu ? lfuTouch(t.clock(slot), this.now, this.lfuDecayTime, this.lfuLogFactor, Math.random()) : lruClock(this.now));
  }

  /** The clock word of a new entry. */
  newClock(): number {
    return this.lfu ? lfuNew(this.now) : lruClock(this.now);
  }

  /**
   * Inserts a new entry (the key must not exist in db) in this.t after route(key); returns the slot
   * or -1 when out of memory. The caller writes the value bytes.
   */
  insert(db: number, key: Uint8Array, valLen: number, type: number, enc: number, expireAt: number): number {
    const slot = this.t.insert(this.physicalDb(db), key, this.h, valLen, type, enc, expireAt);
    if (slot >= 0) this.t.setClock(slot, this.newClock());
    return slot;
  }

  /** Deletes an expired entry and reports it; db < 0 when the caller does not know it (active expiry). */
  expireSlot(t: Table, slot: number, db: number): void {
    const key = this.events ? t.keyCopy(slot) : null;
    if (key !== null && db < 0) db = this.logicalDb(t.db(slot));
    this.freeValue(t, slot);
    t.remove(slot);
    this.expiredKeys++;
    if (key && this.events) this.events.onExpired(db, key);
  }

  /** Frees what an entry's value owns outside its block (src/types/registry.ts; nothing for strings). */
  freeValue(t: Table, slot: number): void {
    const ops = typeOps[t.type(slot)];
    if (ops !== undefined) ops.free(t.arena, t.valueOffset(slot), t.valueLen(slot), t.encoding(slot));
  }

  /** Deletes the key at `slot` of this.t. */
  deleteSlot(t: Table, slot: number): void {
    this.freeValue(t, slot);
    t.remove(slot);
  }

  /**
   * Writes a string value for `key`, creating or replacing it. `expireAt`: absolute ms, 0 = none,
   * -1 = keep the existing expiry. Returns the slot (in this.t), or -1 when out of memory.
   */
  setString(db: number, key: Uint8Array, value: Uint8Array, enc: number, expireAt: number): number {
    const t = this.route(key);
    return this.writeString(t, t.find(this.physicalDb(db), key, this.h), db, key, value, enc, expireAt);
  }

  /**
   * setString for a key that lookup(db, key) just returned `slot` for (this.t and this.h still
   * describe it, and nothing was inserted or removed since): saves a second hash and probe.
   */
  setStringAfterLookup(db: number, key: Uint8Array, slot: number, value: Uint8Array, enc: number, expireAt: number): number {
    return this.writeString(this.t, slot, db, key, value, enc, expireAt);
  }

  private writeString(t: Table, slot: number, db: number, key: Uint8Array, value: Uint8Array, enc: number, expireAt: number): number {
    if (slot >= 0 && t.type(slot) !== ObjType.string) {
      if (expireAt === -1) expireAt = t.expireAt(slot); // KEEPTTL keeps the replaced key's TTL
      this.deleteSlot(t, slot);
      slot = -1;
    }
    if (slot < 0) {
      slot = this.insert(db, key, value.length, ObjType.string, enc, expireAt > 0 ? expireAt : 0);
      if (slot < 0) return -1;
    } else {
      // Resize before touching the expiry: when memory runs out, nothing has changed.
      if (!t.resizeValue(slot, value.length)) return -1;
      if (expireAt !== -1 && !t.setExpire(slot, expireAt)) return -1;
      t.setTypeEnc(slot, ObjType.string, enc);
    }
    copyBytes(value, t.arena.u8, t.valueOffset(slot));
    return slot;
  }

  // ---- accounting -------------------------------------------------------------------------------
  /** Exact bytes held by keys, values and tables across shards. */
  usedBytes(): number {
    let n = 0;
    for (let i = 0; i < this.shardCount; i++) n += this.arenas[i].usedBytes + this.tables[i].tableBytes;
    return n;
  }
  dbSize(db: number): number {
    const pdb = this.physicalDb(db);
    let n = 0;
    for (const t of this.tables) n += t.dbKeys(pdb);
    return n;
  }
  dbExpires(db: number): number {
    const pdb = this.physicalDb(db);
    let n = 0;
    for (const t of this.tables) n += t.dbExpires(pdb);
    return n;
  }

  /** SWAPDB: swaps the physical ids behind two logical dbs. Caller holds every lock. */
  swapDb(a: number, b: number): void {
    for (const f of swapDbHooks) f(this, a, b);
    const pa = this.physicalDb(a);
    const pb = this.physicalDb(b);
    Atomics.store(this.ctl, cDbMap + a, pb);
    Atomics.store(this.ctl, cDbMap + b, pa);
  }

  nextClientId(): number {
    return Atomics.add(this.ctl, cClientId, 1) + 1;
  }
  /** Connected clients across workers (admission for maxclients). */
  addClients(delta: number): number {
    return Atomics.add(this.ctl, cClients, delta) + delta;
  }
  get clients(): number {
    return Atomics.load(this.ctl, cClients);
  }
}

/** dst.set(src, at), with a plain loop for small copies (a native set() call costs more). */
export function copyBytes(src: Uint8Array, dst: Uint8Array, at: number): void {
  const n = src.length;
  if (n > 32) {
    dst.set(src, at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[i];
}
