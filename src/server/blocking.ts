// Blocked clients (BLPOP, BLMOVE, BZPOPMIN, BZMPOP, XREAD BLOCK, XREADGROUP BLOCK, ...).
//
// INTERFACE (fixed; the list helper implements it): a command handler that cannot be served at once
// (and x.s.inExec is false) returns block(x, req). The session's later commands wait behind it, as
// in Redis. When a write on any worker calls signalReady(x, db, key) for one of req.keys, the
// blocked clients of that key are tried in FIFO order (the order they blocked in, across workers)
// after the writing command has finished: req.serve runs on the blocked session's worker with the
// locks of every shard of req.lockKeys held and x.s set to the blocked session; it writes the reply
// and returns true, or returns false to keep waiting (e.g. another client took the element first).
// At the deadline req.timeout writes the timeout reply. CLIENT UNBLOCK ends the wait with
// req.timeout (TIMEOUT) or the error `UNBLOCKED client unblocked via CLIENT UNBLOCK` (ERROR).
// Arguments in req must be copies: argv is reused after the handler returns.
//
// IMPLEMENTATION. A registry in one SharedArrayBuffer, shared by every worker, holds one record per
// (blocked client, key): [next, prev, worker, client id, db, key hash], in per-bucket FIFO lists
// (bucket = hash of db and key). Records are added by block() while the handler still holds the
// key's shard lock, so a writer (which takes the same lock) either ran before the handler looked at
// the key or sees the record: no wake-up is lost. The registry has its own small lock, always taken
// last (inside shard locks, never around them). signalReady costs one load when nobody is blocked
// anywhere, and one bucket count check otherwise; a key whose bucket has waiters goes on the
// worker's ready list.
// After the writing command (dispatch calls serveReadyKeys), the writer's worker walks each ready
// key's waiters in registry order: a waiter on this worker is served at once, under the locks; a
// waiter on another worker is asked through a peer request (relayed by the main thread) and the
// walk goes on when it answers. A key that no longer exists ends its walk. While remote waiters are
// being served the writer's own reply is held back, so the writer never sees its reply before the
// waiters were served (as in Redis, where serving happens before the reply is written). Keys that
// a serve makes ready (BLMOVE's destination) are walked next.
// Memory: records are bounded by recordsMax (each is one blocked client's key; a full registry makes
// block() answer an error instead of growing without bound); per worker, a map of its blocked
// sessions (bounded by its connections).

import type { Exec, ReplyFn } from "./exec.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { hashKey } from "../keyspace/table.ts";
import { signalHooks } from "./signals.ts";
import { Stat } from "./stats.ts";
import type { Session } from "./session.ts";
import { finishReply } from "./dispatch.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { type LongDouble, LongDoubleKind, parseLongDouble } from "../../native-free/long_double.ts";
import { bytesEqual } from "../commands/util.ts";

export interface BlockRequest {
  /** Logical db the keys belong to. */
  db: number;
  /** Keys the client waits on (copies). */
  keys: Uint8Array[];
  /** Every key serve() touches (keys plus e.g. BLMOVE's destination), for locking; copies. */
  lockKeys: Uint8Array[];
  /** Absolute deadline in ms (Date.now() clock), 0 = wait forever. */
  deadlineMs: number;
  /** Tries to serve the client now that `key` may be ready; true when it wrote the reply. */
  serve(x: Exec, key: Uint8Array): boolean;
  /** Writes the reply for a timeout (usually a null array). */
  timeout(x: Exec): void;
}

// ---- the shared registry ----------------------------------------------------------------------------
const bucketCount = 4096;
const wLock = 0;
const wRecords = 1; // live records (signalReady's first check)
const wFree = 2; // free-list head (record index, 0 = none)
const wTop = 3; // next never-used record index
const bucketBase = 16; // [head, tail, count] per bucket
const recBase = bucketBase + bucketCount * 3;
const recWords = 8;
const rNext = 0;
const rPrev = 1;
const rWorker = 2;
const rClient = 3;
const rDb = 4;
const rHash = 5;
const rBucket = 6;
/** Registry capacity: (blocked client, key) pairs across the server. */
export const recordsMax = 1 << 20;
const recordsInitial = 1024;

export function createBlockingBuffer(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer((recBase + recordsInitial * recWords) * 4, {
    maxByteLength: (recBase + recordsMax * recWords) * 4,
  });
  new Int32Array(sab)[wTop] = 1;
  return sab;
}

let reg: Int32Array | null = null;
let regSab: SharedArrayBuffer | null = null;

function regLock(): void {
  const r = reg!;
  if (Atomics.compareExchange(r, wLock, 0, 1) === 0) return;
  for (let spin = 0; spin < 200; spin++) if (Atomics.compareExchange(r, wLock, 0, 1) === 0) return;
  while (Atomics.exchange(r, wLock, 2) !== 0) Atomics.wait(r, wLock, 2, 50);
}
function regUnlock(): void {
  const r = reg!;
  if (Atomics.sub(r, wLock, 1) !== 1) {
    Atomics.store(r, wLock, 0);
    Atomics.notify(r, wLock, 1);
  }
}

function keyHash(db: number, key: Uint8Array): number {
  return (hashKey(key) ^ Math.imul(db + 1, 0x9e3779b1)) >>> 0;
}

/** Adds a record at its bucket's tail (registry lock held). 0 when the registry is full. */
function addRecord(worker: number, client: number, db: number, h: number): number {
  const r = reg!;
  let i = r[wFree];
  if (i !== 0) r[wFree] = r[recBase + i * recWords + rNext];
  else {
    i = r[wTop];
    if (i >= recordsMax) return 0;
    const need = (recBase + (i + 1) * recWords) * 4;
    if (need > regSab!.byteLength) {
      try {
        regSab!.grow(Math.min(regSab!.maxByteLength, Math.max(need, regSab!.byteLength * 2)));
      } catch {
        return 0;
      }
    }
    r[wTop] = i + 1;
  }
  const b = h & (bucketCount - 1);
  const o = recBase + i * recWords;
  const bo = bucketBase + b * 3;
  const tail = r[bo + 1];
  r[o + rNext] = 0;
  r[o + rPrev] = tail;
  r[o + rWorker] = worker;
  r[o + rClient] = client;
  r[o + rDb] = db;
  r[o + rHash] = h | 0;
  r[o + rBucket] = b;
  if (tail !== 0) r[recBase + tail * recWords + rNext] = i;
  else r[bo] = i;
  r[bo + 1] = i;
  r[bo + 2]++;
  r[wRecords]++;
  return i;
}

/** Unlinks and frees a record (registry lock held). */
function removeRecord(i: number): void {
  const r = reg!;
  const o = recBase + i * recWords;
  const bo = bucketBase + r[o + rBucket] * 3;
  const next = r[o + rNext];
  const prev = r[o + rPrev];
  if (prev !== 0) r[recBase + prev * recWords + rNext] = next;
  else r[bo] = next;
  if (next !== 0) r[recBase + next * recWords + rPrev] = prev;
  else r[bo + 1] = prev;
  r[bo + 2]--;
  r[wRecords]--;
  r[o + rNext] = r[wFree];
  r[wFree] = i;
}

/** [worker, client id, ...] of the waiters on (db, key), oldest first, each client once. */
function waitersOf(db: number, key: Uint8Array): number[] {
  const r = reg!;
  const h = keyHash(db, key) | 0;
  const out: number[] = [];
  regLock();
  try {
    for (let i = r[bucketBase + (h & (bucketCount - 1)) * 3]; i !== 0; i = r[recBase + i * recWords + rNext]) {
      const o = recBase + i * recWords;
      if (r[o + rHash] !== h || r[o + rDb] !== db) continue;
      const w = r[o + rWorker];
      const c = r[o + rClient];
      let dup = false;
      for (let j = 0; j < out.length; j += 2) if (out[j] === w && out[j + 1] === c) dup = true;
      if (!dup) out.push(w, c);
    }
  } finally {
    regUnlock();
  }
  return out;
}

// ---- this worker's blocked sessions -------------------------------------------------------------------
interface Blocked {
  s: Session;
  req: BlockRequest;
  resolve: (fn: ReplyFn) => void;
  timer: ReturnType<typeof setTimeout> | null;
  records: number[];
}

const blocked = new Map<number, Blocked>();
/** A second context for serving blocked sessions (its own reply writer), made by installBlocking. */
let bx: Exec | null = null;
let lockMarks = new Uint8Array(0);

/** Keys made ready by the running command (db, key copy), walked by serveReadyKeys. */
const readyDbs: number[] = [];
const readyKeys: Uint8Array[] = [];
export const blockingReady = { n: 0 };

function onReady(_x: Exec, db: number, key: Uint8Array): void {
  const r = reg;
  if (r === null || Atomics.load(r, wRecords) === 0) return;
  const h = keyHash(db, key);
  if (Atomics.load(r, bucketBase + (h & (bucketCount - 1)) * 3 + 2) === 0) return;
  for (let i = 0; i < readyDbs.length; i++) if (readyDbs[i] === db && bytesEqual(readyKeys[i], key)) return;
  readyDbs.push(db);
  readyKeys.push(key.slice());
  blockingReady.n = readyDbs.length;
}

/** Wires the registry into this worker: called once per worker thread at start. */
export function installBlocking(x: Exec, sab: SharedArrayBuffer): void {
  regSab = sab;
  reg = new Int32Array(sab);
  // Inherits every field of the worker's context; only the session and the reply writer are its own.
  bx = Object.create(x) as Exec;
  Object.defineProperty(bx, "out", { value: new ReplyWriter(4096) });
  bx.s = x.s;
  lockMarks = new Uint8Array(x.ks.shardCount);
  signalHooks.ready = onReady;
}

const noop: ReplyFn = () => {};
export const unblockedError = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/**
 * Blocks the running session until req is served, times out, or is unblocked. Call with the locks
 * of req.keys' shards held (from the handler). Inside EXEC it answers as a timeout at once.
 */
export function block(x: Exec, req: BlockRequest): Promise<ReplyFn> {
  const s = x.s;
  if (s.inExec || reg === null) {
    req.timeout(x);
    return Promise.resolve(noop);
  }
  const records: number[] = [];
  regLock();
  try {
    for (let k = 0; k < req.keys.length; k++) {
      let dup = false;
      for (let j = 0; j < k; j++) if (bytesEqual(req.keys[j], req.keys[k])) dup = true;
      if (dup) continue;
      const i = addRecord(x.worker, s.id, req.db, keyHash(req.db, req.keys[k]));
      if (i === 0) {
        for (const r of records) removeRecord(r);
        records.length = 0;
        break;
      }
      records.push(i);
    }
  } finally {
    regUnlock();
  }
  if (records.length === 0) {
    x.out.error("ERR too many blocked clients");
    return Promise.resolve(noop);
  }
  x.stats.add(Stat.blockedClients, 1);
  if (req.deadlineMs > 0) x.stats.add(Stat.clientsInTimeoutTable, 1);
  return new Promise<ReplyFn>((resolve) => {
    const b: Blocked = { s, req, resolve, timer: null, records };
    blocked.set(s.id, b);
    if (req.deadlineMs > 0) armTimer(x, b);
  });
}

/** setTimeout holds at most 2^31-1 ms: longer waits re-arm until the deadline. */
function armTimer(x: Exec, b: Blocked): void {
  const left = Math.max(0, b.req.deadlineMs - Date.now());
  b.timer = setTimeout(() => {
    if (b.req.deadlineMs - Date.now() > 0 && left > timerMaxMs) armTimer(x, b);
    else finish(x, b, (x2) => b.req.timeout(x2));
  }, Math.min(left, timerMaxMs));
}
const timerMaxMs = 2 ** 31 - 1;

/** Ends a wait: unregisters the session and hands its reply to the session. */
function finish(x: Exec, b: Blocked, fn: ReplyFn): void {
  if (blocked.get(b.s.id) !== b) return;
  blocked.delete(b.s.id);
  if (b.timer !== null) {
    clearTimeout(b.timer);
    x.stats.add(Stat.clientsInTimeoutTable, -1);
  }
  regLock();
  try {
    for (const r of b.records) removeRecord(r);
  } finally {
    regUnlock();
  }
  x.stats.add(Stat.blockedClients, -1);
  b.resolve(fn);
}

/** The session closed: forget its wait (worker_server's close path). */
export function unblockOnClose(x: Exec, s: Session): void {
  const b = blocked.get(s.id);
  if (b !== undefined) finish(x, b, noop);
}

/** CLIENT UNBLOCK on this worker: 1 when the client was blocked here. */
export function unblockClient(x: Exec, id: number, error: boolean): number {
  const b = blocked.get(id);
  if (b === undefined) return 0;
  finish(x, b, error ? (x2) => x2.out.error(unblockedError) : (x2) => b.req.timeout(x2));
  return 1;
}

/** True when the session waits in a blocking command (CLIENT LIST flag b). */
export function isBlocked(s: Session): boolean {
  return blocked.has(s.id);
}

// ---- serving -------------------------------------------------------------------------------------------
const codeExists = 1;
const codeServed = 2;

function keyExists(x: Exec, db: number, key: Uint8Array): boolean {
  const ks = x.ks;
  const t = ks.route(key);
  const slot = t.find(ks.physicalDb(db), key, ks.h);
  if (slot < 0) return false;
  const at = t.expireAt(slot);
  return at === 0 || at > ks.now;
}

/**
 * Offers (db, key) to client `id` of this worker: serves it when it still waits on that key.
 * Returns codeServed | codeExists bits (whether the key still exists afterwards).
 */
export function serveLocal(x: Exec, id: number, db: number, key: Uint8Array): number {
  const ks = x.ks;
  const b = blocked.get(id);
  const marks = lockMarks;
  marks[ks.shardOf(key)] = 1;
  let waits = false;
  if (b !== undefined && !b.s.closed && b.req.db === db) {
    for (const k of b.req.keys) if (bytesEqual(k, key)) waits = true;
    if (waits) for (const k of b.req.lockKeys) marks[ks.shardOf(k)] = 1;
  }
  for (let sh = 0; sh < ks.shardCount; sh++) if (marks[sh] === 1) ks.lock(sh);
  let bytes: Uint8Array | null = null;
  let exists = false;
  try {
    ks.now = Date.now();
    ks.countHits = false;
    if (waits) {
      const y = bx!;
      y.s = b!.s;
      y.out.reset();
      y.out.resp = b!.s.resp;
      if (b!.req.serve(y, key)) bytes = y.out.view().slice();
      y.out.reset();
    }
    exists = keyExists(x, db, key);
  } finally {
    for (let sh = ks.shardCount - 1; sh >= 0; sh--) {
      if (marks[sh] === 1) {
        marks[sh] = 0;
        ks.unlock(sh);
      }
    }
  }
  if (bytes !== null) {
    const reply = bytes;
    finish(x, b!, (x2) => x2.out.raw(reply));
  }
  return (bytes !== null ? codeServed : 0) | (exists ? codeExists : 0);
}

interface ReadyRun {
  dbs: number[];
  keys: Uint8Array[];
  i: number;
  db: number;
  key: Uint8Array | null;
  waiters: number[];
  wi: number;
}

function takeReady(run: ReadyRun | null): ReadyRun {
  const r = run ?? { dbs: [], keys: [], i: 0, db: 0, key: null, waiters: [], wi: 0 };
  for (let i = 0; i < readyDbs.length; i++) {
    r.dbs.push(readyDbs[i]);
    r.keys.push(readyKeys[i]);
  }
  readyDbs.length = 0;
  readyKeys.length = 0;
  blockingReady.n = 0;
  return r;
}

/** Walks the ready keys' waiters; undefined when everything was served synchronously. */
function walkReady(x: Exec, run: ReadyRun): Promise<void> | undefined {
  for (;;) {
    if (run.key === null) {
      if (run.i >= run.dbs.length) {
        if (readyDbs.length === 0) return undefined;
        takeReady(run);
      }
      run.db = run.dbs[run.i];
      run.key = run.keys[run.i];
      run.i++;
      run.waiters = waitersOf(run.db, run.key);
      run.wi = 0;
    }
    while (run.wi < run.waiters.length) {
      const w = run.waiters[run.wi];
      const id = run.waiters[run.wi + 1];
      run.wi += 2;
      if (w === x.worker) {
        if ((serveLocal(x, id, run.db, run.key!) & codeExists) === 0) run.wi = run.waiters.length;
        continue;
      }
      return x.peers.broadcast({ kind: "blockServe", worker: w, clientId: id, db: run.db, key: run.key! }).then((res) => {
        if (((res[w] as number) & codeExists) === 0) run.wi = run.waiters.length;
        return walkReady(x, run);
      });
    }
    run.key = null;
  }
}

/**
 * After a command (dispatch, outside EXEC): serves the clients blocked on keys the command made
 * ready. Returns `r`, or, when waiters on other workers are being served, a Promise that holds this
 * session's reply (written since `mark`) until they were.
 */
export function serveReadyKeys(x: Exec, s: Session, mark: number, r: Promise<ReplyFn> | undefined): Promise<ReplyFn> | undefined {
  const p = walkReady(x, takeReady(null));
  if (p === undefined) return r;
  if (r !== undefined) return r;
  finishReply(x, s, mark);
  const out = x.out;
  const held = out.buf.slice(mark, out.len);
  out.len = mark;
  return p.then(() => (x2: Exec) => x2.out.raw(held));
}

/** Peer request "blockServe" on the target worker: code bits (served, key exists). */
export function serveForPeer(x: Exec, id: number, db: number, key: Uint8Array): number {
  const code = serveLocal(x, id, db, key);
  if (readyDbs.length > 0) void walkReady(x, takeReady(null)); // keys a served BLMOVE made ready
  return code;
}

// ---- timeouts -----------------------------------------------------------------------------------------
export const errTimeoutNotFloat = "ERR timeout is not a float or out of range";
export const errTimeoutNegative = "ERR timeout is negative";
export const errTimeoutRange = "ERR timeout is out of range";

/**
 * Parses a blocking timeout (seconds as a double, or milliseconds as an integer when `ms`) into an
 * absolute deadline (Date.now() ms; 0 = forever). Writes Redis's error and returns -1 when invalid.
 * Seconds follow Redis 7.0 on x86-64 exactly: strtold, times 1000 in long double, ceill, a cast to
 * long long (which turns anything beyond its range into LLONG_MIN: "negative"), then now + timeout
 * (which may wrap: such a client times out at once).
 */
export function parseTimeout(x: Exec, arg: Uint8Array, ms = false): number {
  let v: number;
  if (ms) {
    const p = parseInt64(arg, 0, arg.length);
    if (p === null) {
      x.out.error("ERR timeout is not an integer or out of range");
      return -1;
    }
    v = typeof p === "bigint" ? (p > 0n ? Number.MAX_SAFE_INTEGER : -1) : p;
  } else {
    const ld = parseLongDouble(arg);
    if (ld === null) {
      x.out.error(errTimeoutNotFloat);
      return -1;
    }
    const t = ceilTimesThousand(ld);
    if (t === null || t < 0n) {
      x.out.error(errTimeoutNegative);
      return -1;
    }
    if (t === 0n) return 0;
    const now = Date.now();
    if (t > llongMax - BigInt(now)) return 1; // wraps negative in Redis: times out at once
    v = Number(t);
  }
  if (v < 0) {
    x.out.error(errTimeoutNegative);
    return -1;
  }
  if (v === 0) return 0;
  return Date.now() + v;
}

const llongMax = 9223372036854775807n;

/** ceill(x * 1000) for an x87 long double, or null when it leaves the long long range. */
function ceilTimesThousand(x: LongDouble): bigint | null {
  if (x.kind !== LongDoubleKind.finite) return null;
  if (x.mant === 0n) return 0n;
  let m = x.mant * 1000n;
  let e = x.exp;
  const bits = m.toString(2).length;
  if (bits > 64) {
    const shift = BigInt(bits - 64);
    const q = m >> shift;
    const rem = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m = rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
    e += bits - 64;
  }
  let c: bigint;
  if (e >= 0) c = m << BigInt(e);
  else if (e < -200) c = x.negative ? 0n : 1n;
  else {
    const ip = m >> BigInt(-e);
    const frac = m & ((1n << BigInt(-e)) - 1n);
    c = x.negative ? ip : ip + (frac !== 0n ? 1n : 0n);
  }
  if (x.negative) c = -c;
  if (c > llongMax || c < -llongMax - 1n) return null;
  return c;
}
