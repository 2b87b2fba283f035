// WATCH: the registry of watched keys, shared by every worker.
//
// A watcher and a writer of the same key usually sit on different workers, so the registry lives in
// shared memory: each watched (client, db, key) is one record in the Arena of the key's shard, and
// records of a shard hang off a bucket array (chained by hash) in the same Arena. Everything of a
// shard's registry is read and written under that shard's lock, the same lock every command takes
// for its keys, so a writer and a WATCH or EXEC of the same key are ordered by it.
// Record (u32 words at address a): [next][hash][db][flags][client id][key length], key bytes from
// byte a*8 + 24. Roots live in the keyspace control buffer (ctlWatchBase): word 0 = records over all
// shards (the write path's one-load test when nobody watches), then per shard [records, bucket
// array address, log2 of bucket count, spare].
//
// A write marks matching records dirty (exact: db, hash and key bytes compared). Deletions that no
// command signals (expiry, eviction, FLUSHDB/FLUSHALL) need no signal: a record remembers whether
// its key was live at WATCH time, and EXEC aborts when such a key is gone or logically expired
// (Redis 7.0: a watched key that expires aborts EXEC; one already expired at WATCH time does not).
// SWAPDB runs swapDbHook with every lock held and applies Redis's rules for both dbs.
// A session keeps (shard, address) pairs of its own records (s.watched) to free them on UNWATCH,
// EXEC, DISCARD, RESET and disconnect; a record never outlives its session.

import { assert } from "../assert.ts";
import { ctlWatchBase, type Keyspace } from "../keyspace/keyspace.ts";
import { hashKey } from "../keyspace/table.ts";
import type { Exec } from "./exec.ts";
import type { Session } from "./session.ts";

const wTotal = ctlWatchBase;
const shardBase = ctlWatchBase + 4;
const shardWords = 4;
const rNext = 0;
const rHash = 1;
const rDb = 2;
const rFlags = 3;
const rClient = 4;
const rKeyLen = 5;
const recHeaderBytes = 24;
const bucketsLog2Min = 4;

/** Record flags. */
const fDirty = 1;
/** The key existed and had not expired when WATCH ran. */
const fLive = 2;
/** The key existed but had logically expired when WATCH ran (Redis's wk->expired). */
const fExpired = 4;

function rootOf(shard: number): number {
  return shardBase + shard * shardWords;
}

/** Records watched over all shards (tests, INFO). */
export function watchedRecords(ks: Keyspace): number {
  return Atomics.load(ks.ctl, wTotal);
}

function sameKey(u8: Uint8Array, a: number, key: Uint8Array): boolean {
  let off = a * 8 + recHeaderBytes;
  for (let j = 0; j < key.length; j++, off++) if (u8[off] !== key[j]) return false;
  return true;
}

/** Watch state of (db, key) in its table now: fLive, fExpired or 0 (absent). Caller holds the lock. */
function keyState(ks: Keyspace, shard: number, db: number, key: Uint8Array, h: number, now: number): number {
  const t = ks.tables[shard];
  const slot = t.find(ks.physicalDb(db), key, h);
  if (slot < 0) return 0;
  const at = t.expireAt(slot);
  return at !== 0 && at <= now ? fExpired : fLive;
}

/**
 * WATCH of one key by session s (caller holds the lock of the key's shard). A key the session
 * already watches is not added twice. Returns false when the arena is out of memory.
 */
export function watchKey(ks: Keyspace, s: Session, db: number, key: Uint8Array, now: number): boolean {
  const shard = ks.shardOf(key);
  const root = rootOf(shard);
  const ctl = ks.ctl;
  const arena = ks.arenas[shard];
  const h = hashKey(key);
  if (ctl[root + 1] === 0 && !growBuckets(ks, shard, bucketsLog2Min)) return false;
  const u32 = arena.u32;
  let a = u32[ctl[root + 1] * 2 + (h & ((1 << ctl[root + 2]) - 1))];
  for (; a !== 0; a = u32[a * 2 + rNext]) {
    const w = a * 2;
    if (u32[w + rHash] === h && u32[w + rDb] === db && u32[w + rClient] === s.id && u32[w + rKeyLen] === key.length && sameKey(arena.u8, a, key)) {
      return true;
    }
  }
  if ((ctl[root] + 1) > 2 << ctl[root + 2] && !growBuckets(ks, shard, ctl[root + 2] + 1)) return false;
  const rec = arena.alloc(recHeaderBytes + key.length);
  if (rec === 0) {
    if (ctl[root] === 0) freeBuckets(ks, shard);
    return false;
  }
  const w = rec * 2;
  const b = ctl[root + 1] * 2 + (h & ((1 << ctl[root + 2]) - 1));
  u32[w + rNext] = u32[b];
  u32[w + rHash] = h;
  u32[w + rDb] = db;
  u32[w + rFlags] = keyState(ks, shard, db, key, h, now);
  u32[w + rClient] = s.id;
  u32[w + rKeyLen] = key.length;
  arena.u8.set(key, rec * 8 + recHeaderBytes);
  u32[b] = rec;
  ctl[root]++;
  Atomics.add(ctl, wTotal, 1);
  if (s.watched === null) s.watched = [];
  s.watched.push(shard, rec);
  return true;
}

/** (Re)builds shard's bucket array with 2^log2 buckets, relinking its records. */
function growBuckets(ks: Keyspace, shard: number, log2: number): boolean {
  const root = rootOf(shard);
  const ctl = ks.ctl;
  const arena = ks.arenas[shard];
  const n = 1 << log2;
  const nb = arena.alloc(n * 4);
  if (nb === 0) return false;
  const u32 = arena.u32;
  u32.fill(0, nb * 2, nb * 2 + n);
  const old = ctl[root + 1];
  if (old !== 0) {
    const on = 1 << ctl[root + 2];
    for (let i = 0; i < on; i++) {
      let a = u32[old * 2 + i];
      while (a !== 0) {
        const next = u32[a * 2 + rNext];
        const b = nb * 2 + (u32[a * 2 + rHash] & (n - 1));
        u32[a * 2 + rNext] = u32[b];
        u32[b] = a;
        a = next;
      }
    }
    arena.free(old, on * 4);
  }
  ctl[root + 1] = nb;
  ctl[root + 2] = log2;
  return true;
}

function freeBuckets(ks: Keyspace, shard: number): void {
  const root = rootOf(shard);
  const ctl = ks.ctl;
  if (ctl[root + 1] === 0) return;
  ks.arenas[shard].free(ctl[root + 1], (1 << ctl[root + 2]) * 4);
  ctl[root + 1] = 0;
  ctl[root + 2] = 0;
}

/** Unlinks and frees one record (caller holds the shard's lock). */
function removeRecord(ks: Keyspace, shard: number, rec: number): void {
  const root = rootOf(shard);
  const ctl = ks.ctl;
  const arena = ks.arenas[shard];
  const u32 = arena.u32;
  let p = ctl[root + 1] * 2 + (u32[rec * 2 + rHash] & ((1 << ctl[root + 2]) - 1));
  while (u32[p] !== rec) {
    const a = u32[p];
    assert(a !== 0, "watch: record not in its bucket");
    p = a * 2 + rNext;
  }
  u32[p] = u32[rec * 2 + rNext];
  arena.free(rec, recHeaderBytes + u32[rec * 2 + rKeyLen]);
  ctl[root]--;
  Atomics.sub(ctl, wTotal, 1);
  if (ctl[root] === 0) freeBuckets(ks, shard);
}

/**
 * Frees every record of s. `locked`: the caller holds the locks of all their shards (EXEC);
 * otherwise each shard is locked here, in shard order, so the caller must hold no lock.
 */
export function unwatchAll(ks: Keyspace, s: Session, locked: boolean): void {
  const w = s.watched;
  if (w === null) return;
  s.watched = null;
  if (locked) {
    for (let i = 0; i < w.length; i += 2) removeRecord(ks, w[i], w[i + 1]);
    return;
  }
  for (let sh = 0; sh < ks.shardCount; sh++) {
    let held = false;
    try {
      for (let i = 0; i < w.length; i += 2) {
        if (w[i] !== sh) continue;
        if (!held) {
          ks.lock(sh);
          held = true;
        }
        removeRecord(ks, sh, w[i + 1]);
      }
    } finally {
      if (held) ks.unlock(sh);
    }
  }
}

/** Marks the shards of s's records in marks (EXEC's lock set). */
export function markWatchedShards(s: Session, marks: Uint8Array): void {
  const w = s.watched;
  if (w === null) return;
  for (let i = 0; i < w.length; i += 2) marks[w[i]] = 1;
}

/**
 * True when a write has marked one of s's watched keys (CLIENT LIST flag d, Redis's CLIENT_DIRTY_CAS).
 * Reads each flag word without the shard lock: a report, not a decision (EXEC decides under locks).
 */
export function watchTouched(ks: Keyspace, s: Session): boolean {
  const w = s.watched;
  if (w === null) return false;
  for (let i = 0; i < w.length; i += 2) {
    if ((Atomics.load(ks.arenas[w[i]].u32, w[i + 1] * 2 + rFlags) & fDirty) !== 0) return true;
  }
  return false;
}

/**
 * True when EXEC must abort: a watched key was written, or a key live at WATCH time is gone or
 * logically expired (expiry, eviction and flushes need no signal). Caller holds every shard lock
 * of s's records; `now` is the command clock.
 */
export function watchedKeysChanged(ks: Keyspace, s: Session, now: number): boolean {
  const w = s.watched;
  if (w === null) return false;
  for (let i = 0; i < w.length; i += 2) {
    const shard = w[i];
    const rec = w[i + 1];
    const arena = ks.arenas[shard];
    const u32 = arena.u32;
    const flags = u32[rec * 2 + rFlags];
    if ((flags & fDirty) !== 0) return true;
    if ((flags & fExpired) !== 0) continue; // expired at WATCH time: its expiry is no change
    const key = arena.u8.subarray(rec * 8 + recHeaderBytes, rec * 8 + recHeaderBytes + u32[rec * 2 + rKeyLen]);
    const state = keyState(ks, shard, u32[rec * 2 + rDb], key, u32[rec * 2 + rHash], now);
    if (state === fExpired) return true;
    if ((flags & fLive) !== 0 && state === 0) return true;
  }
  return false;
}

/**
 * signalHooks.modified: marks the watchers of (db, key) dirty. Runs after the write, with the
 * key's shard lock held. Costs one shared load while nobody watches anything.
 */
export function touchWatchedKey(x: Exec, db: number, key: Uint8Array): void {
  const ks = x.ks;
  const ctl = ks.ctl;
  if (ctl[wTotal] === 0) return;
  const shard = ks.shardOf(key);
  const root = rootOf(shard);
  if (ctl[root] === 0) return;
  const arena = ks.arenas[shard];
  const u32 = arena.u32;
  const h = hashKey(key);
  let a = u32[ctl[root + 1] * 2 + (h & ((1 << ctl[root + 2]) - 1))];
  let present = -1;
  for (; a !== 0; a = u32[a * 2 + rNext]) {
    const wd = a * 2;
    if (u32[wd + rHash] !== h || u32[wd + rDb] !== db || u32[wd + rKeyLen] !== key.length || !sameKey(arena.u8, a, key)) continue;
    const flags = u32[wd + rFlags];
    if ((flags & fExpired) !== 0) {
      // Redis's touchWatchedKey: an already-expired key that is now deleted is no logical change.
      if (present < 0) present = ks.tables[shard].find(ks.physicalDb(db), key, h) >= 0 ? 1 : 0;
      if (present === 0) {
        u32[wd + rFlags] = flags & ~fExpired;
        continue;
      }
    }
    u32[wd + rFlags] = flags | fDirty;
  }
}

/**
 * SWAPDB a b (every lock held, before the swap), as Redis's touchAllWatchedKeysInDb for both
 * directions: a watcher of a key in `a` is dirty when the key exists in `a` or in `b`, with the
 * expired-at-WATCH refinements.
 */
export function swapDbHook(ks: Keyspace, a: number, b: number): void {
  if (Atomics.load(ks.ctl, wTotal) === 0 || a === b) return;
  // Decide every record on the pre-swap contents first, then apply (the two directions read the
  // same state, as Redis does before it swaps).
  const updates: number[] = [];
  for (let shard = 0; shard < ks.shardCount; shard++) {
    const root = rootOf(shard);
    if (ks.ctl[root] === 0) continue;
    const arena = ks.arenas[shard];
    const u32 = arena.u32;
    const t = ks.tables[shard];
    const nb = 1 << ks.ctl[root + 2];
    const base = ks.ctl[root + 1] * 2;
    for (let i = 0; i < nb; i++) {
      for (let r = u32[base + i]; r !== 0; r = u32[r * 2 + rNext]) {
        const db = u32[r * 2 + rDb];
        if (db !== a && db !== b) continue;
        const other = db === a ? b : a;
        const key = arena.u8.subarray(r * 8 + recHeaderBytes, r * 8 + recHeaderBytes + u32[r * 2 + rKeyLen]);
        const h = u32[r * 2 + rHash];
        const inEmptied = t.find(ks.physicalDb(db), key, h) >= 0;
        const slot = t.find(ks.physicalDb(other), key, h);
        if (!inEmptied && slot < 0) continue;
        const at = slot >= 0 ? t.expireAt(slot) : 0;
        const replacedExpired = slot >= 0 && at !== 0 && at <= ks.now;
        let flags = u32[r * 2 + rFlags];
        if ((flags & fExpired) !== 0) {
          if (slot < 0) flags &= ~fExpired; // expired key deleted: no logical change
          else if (!replacedExpired) flags |= fDirty;
        } else if (!inEmptied && replacedExpired) {
          flags = (flags & ~fLive) | fExpired; // a missing key replaced by an expired one
        } else flags |= fDirty;
        updates.push(shard, r, flags);
      }
    }
  }
  for (let i = 0; i < updates.length; i += 3) ks.arenas[updates[i]].u32[updates[i + 1] * 2 + rFlags] = updates[i + 2];
}
