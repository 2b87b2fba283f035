// Walks over every shard's table for the commands that see the whole keyspace of a db: SCAN, KEYS,
// RANDOMKEY. The caller holds every shard's lock (spec `shards: "all"`).
//
// SCAN cursor: the shard index sits in the low `shardBits` bits and the table's own reverse-binary
// cursor (Table.scanStep) above them; shards are walked in order, each from bucket 0 to the end of
// its reverse-binary sequence. With one shard the cursor is exactly the table cursor. Because
// Table.scanStep keeps Redis's dictScan guarantee per table (a key present for the whole scan is
// returned even if its table grows in between) and shards are visited one after another, the
// guarantee holds for the whole keyspace; a key may be returned more than once, as in Redis.
// Tables hold every physical db, so each walk keeps only the entries of the db it was asked for.

import type { Keyspace } from "./keyspace.ts";
import type { Table } from "./table.ts";

/** Bits of the SCAN cursor that hold the shard index. */
export function shardBits(shardCount: number): number {
  return shardCount <= 1 ? 0 : 32 - Math.clz32(shardCount - 1);
}

export interface ScanPosition {
  shard: number;
  /** The table cursor (a home bucket in reverse-binary order). */
  pos: number;
}

/**
 * Splits a client cursor (an unsigned 64-bit value) into shard and table cursor. A shard index past
 * the last shard is returned as is: the caller treats it as a finished scan.
 */
export function decodeCursor(cursor: number | bigint, shardCount: number): ScanPosition {
  const bits = shardBits(shardCount);
  if (typeof cursor === "number") {
    const span = 2 ** bits;
    const shard = cursor % span;
    const pos = Math.floor(cursor / span) % 2 ** 32;
    return { shard, pos };
  }
  const shard = Number(cursor & ((1n << BigInt(bits)) - 1n));
  const pos = Number((cursor >> BigInt(bits)) & 0xffffffffn);
  return { shard, pos };
}

export function encodeCursor(p: ScanPosition, shardCount: number): number {
  return p.pos * 2 ** shardBits(shardCount) + p.shard;
}

/** Called for each entry of the scanned db; `t.db(slot)` is already checked. */
export type SlotVisitor = (t: Table, slot: number) => void;

/** Size of the dict Redis would hold for n keys: the power of two >= n, at least 4. */
function redisDictSize(n: number): number {
  return n <= 4 ? 4 : 2 ** Math.ceil(Math.log2(n));
}

/**
 * One SCAN call (Redis's scanGenericCommand loop): visits buckets from `p` until `count` entries of
 * physical db `pdb` were seen, the bucket budget ran out, or the scan ended. Mutates and returns
 * `p`; the scan is over when the returned position is {shard: 0, pos: 0}.
 *
 * Budget: Redis visits at most count * 10 buckets of a dict sized to the db (a power of two near its
 * key count, shrunk after deletes). Our tables hold every db and never shrink, so one of our buckets
 * costs dictSize / capacity of a Redis bucket: a sparse table is walked further per call, and a small
 * db finishes in one call as it does in Redis.
 */
export function scanShards(ks: Keyspace, pdb: number, p: ScanPosition, count: number, visit: SlotVisitor): ScanPosition {
  let seen = 0;
  let t: Table = ks.tables[0];
  const onSlot = (slot: number): void => {
    if (t.db(slot) !== pdb) return;
    seen++;
    visit(t, slot);
  };
  let budget = count * 10;
  while (p.shard < ks.shardCount) {
    t = ks.tables[p.shard];
    const keys = t.dbKeys(pdb);
    if (keys === 0) {
      // A shard holding no key of this db has none that was present for the whole scan: skip it.
      p.pos = 0;
    } else {
      p.pos = t.scanStep(p.pos, onSlot);
      budget -= Math.min(1, redisDictSize(keys) / t.capacity);
    }
    if (p.pos === 0) p.shard++;
    if (p.shard >= ks.shardCount) break;
    if (budget < 0 || seen >= count) return p;
  }
  p.shard = 0;
  p.pos = 0;
  return p;
}

/** Calls fn for every entry of physical db `pdb` in every shard. fn must not insert or remove. */
export function forEachEntry(ks: Keyspace, pdb: number, fn: SlotVisitor): void {
  for (const t of ks.tables) {
    if (t.dbKeys(pdb) === 0) continue;
    const cap = t.capacity;
    for (let s = 0; s < cap; s++) {
      if (t.occupied(s) && t.db(s) === pdb) fn(t, s);
    }
  }
}

const randomProbesMax = 32;

/**
 * A random entry of physical db `pdb`: a shard picked with weight = its key count in that db, then a
 * random slot there (probing forward; entries of other dbs are skipped). Returns the slot and sets
 * ks.t, or -1 when the db is empty.
 */
export function randomEntry(ks: Keyspace, pdb: number, rand: () => number = Math.random): number {
  let total = 0;
  for (const t of ks.tables) total += t.dbKeys(pdb);
  if (total === 0) return -1;
  let pick = Math.floor(rand() * total);
  let t = ks.tables[0];
  for (const candidate of ks.tables) {
    t = candidate;
    const n = candidate.dbKeys(pdb);
    if (pick < n) break;
    pick -= n;
  }
  ks.t = t;
  // Most tables hold one db: random probes land on it at once.
  for (let i = 0; i < randomProbesMax; i++) {
    const s = t.randomSlot(rand());
    if (s >= 0 && t.db(s) === pdb) return s;
  }
  // The db is a small part of this table: walk from a random start to its next entry.
  const cap = t.capacity;
  const start = Math.floor(rand() * cap) % cap;
  for (let k = 0; k < cap; k++) {
    const s = (start + k) % cap;
    if (t.occupied(s) && t.db(s) === pdb) return s;
  }
  return -1;
}
