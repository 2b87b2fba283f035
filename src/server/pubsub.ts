// Pub/sub: channels, patterns and shard channels across worker threads.
//
// Each worker keeps its own subscribers in JS maps (subscriptions are session state, not keyspace
// data: only the owning worker ever touches them). What the other workers need to know lives in a
// shared-memory REGISTRY: per channel / shard channel / pattern, the number of subscriptions on
// each worker (a Table + Arena in SharedArrayBuffers under one futex lock). So:
// - PUBLISH counts receivers synchronously and exactly from the registry (its own worker's from its
//   maps), delivers to its own subscribers at once, and queues one record for each OTHER worker
//   that has a receiver; workers without receivers get nothing.
// - Records for a worker are batched per event-loop turn into one buffer, transferred (no copy)
//   over a MessagePort dedicated to that pair of workers. A port is FIFO, so every subscriber sees
//   one publisher's messages in publish order. Bytes in flight to a worker are counted in shared
//   memory; past `inflightBytesMax` PUBLISH waits (backpressure) instead of queueing more.
// - PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARD* and INFO read the registry: no cross-worker round trip.
// A subscriber that unsubscribes while a record for it is in flight is counted but not delivered
// to (the race Redis's single thread does not have; the window is one loop turn).
//
// Delivery to a session: the frame is encoded once (RESP2 and RESP3 differ only in the first byte,
// `*` vs `>`). The session being served right now (`active`, set by the worker around a batch of
// its commands) gets it in the reply being written, so its own PUBLISH or a keyspace event caused
// by its own command arrives before that command's reply, as in Redis. Any other session collects
// frames in its push buffer, written once per loop turn; the output-buffer limit of the pubsub
// class then disconnects subscribers that do not read.

import { assert } from "../assert.ts";
import { Arena } from "../keyspace/arena.ts";
import { Table, hashKey } from "../keyspace/table.ts";
import { copyRange } from "../../native-free/bytes.ts";
import { stringMatchRange } from "../../native-free/glob.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { Session } from "./session.ts";

/** Namespaces: the registry table's db field and the record kind. */
export const Ns = { channel: 0, shard: 1, pattern: 2 } as const;

/** Bytes queued to one worker and not yet delivered by it, before PUBLISH waits. */
export const inflightBytesMax = 64 << 20;

// Control words (Int32): lock, subscriptions on all workers, then bytes in flight per worker.
const cLock = 0;
const cSubscriptions = 1;
const cInflight = 16;
const controlWords = cInflight + 64;

export interface PubSubBuffers {
  control: SharedArrayBuffer;
  channels: SharedArrayBuffer;
  patterns: SharedArrayBuffer;
  arena: SharedArrayBuffer;
}

export function createPubSubBuffers(): PubSubBuffers {
  return {
    control: new SharedArrayBuffer(controlWords * 4),
    channels: Table.create(),
    patterns: Table.create(),
    arena: Arena.create(),
  };
}

/** A session's subscriptions (names as latin1 strings -> the bytes). */
export interface SessionSubs {
  channels: Map<string, Uint8Array>;
  patterns: Map<string, Uint8Array>;
  shard: Map<string, Uint8Array>;
}

/** SUBSCRIBE + PSUBSCRIBE count (what (P)SUBSCRIBE replies report). */
export function subscriptionCount(s: Session): number {
  return s.subs === null ? 0 : s.subs.channels.size + s.subs.patterns.size;
}
/** Redis's CLIENT_PUBSUB flag: any subscription at all. */
export function isSubscribed(s: Session): boolean {
  return s.subs !== null && s.subs.channels.size + s.subs.patterns.size + s.subs.shard.size > 0;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
}

// The channel name a publish looked up last (a publisher repeats its channel): bytes kept in a copy
// (argument arrays are reused by the parser), compared before converting again.
let lastChannel = new Uint8Array(64);
let lastChannelLen = -1;
let lastChannelName = "";

/** latin1(channel), remembering the last one. */
function channelKey(b: Uint8Array): string {
  const n = b.length;
  if (n === lastChannelLen) {
    const c = lastChannel;
    let i = 0;
    while (i < n && c[i] === b[i]) i++;
    if (i === n) return lastChannelName;
  }
  const name = latin1(b);
  if (n <= 256) {
    if (lastChannel.length < n) lastChannel = new Uint8Array(256);
    for (let i = 0; i < n; i++) lastChannel[i] = b[i];
    lastChannelLen = n;
    lastChannelName = name;
  }
  return name;
}

/**
 * The shared registry: per (namespace, name), one u32 count per worker. All access under lock();
 * counts are only changed by the worker they belong to.
 */
export class Registry {
  readonly ctl: Int32Array;
  readonly arena: Arena;
  readonly channels: Table;
  readonly patterns: Table;

  constructor(b: PubSubBuffers, readonly workers: number) {
    assert(workers >= 1 && workers <= 64, "pubsub: worker count out of range");
    this.ctl = new Int32Array(b.control);
    this.arena = new Arena(b.arena);
    this.channels = new Table(b.channels, this.arena);
    this.patterns = new Table(b.patterns, this.arena);
  }

  lock(): void {
    if (Atomics.compareExchange(this.ctl, cLock, 0, 1) === 0) return;
    for (let spin = 0; spin < 200; spin++) if (Atomics.compareExchange(this.ctl, cLock, 0, 1) === 0) return;
    while (Atomics.exchange(this.ctl, cLock, 2) !== 0) Atomics.wait(this.ctl, cLock, 2, 50);
  }
  unlock(): void {
    if (Atomics.sub(this.ctl, cLock, 1) !== 1) {
      Atomics.store(this.ctl, cLock, 0);
      Atomics.notify(this.ctl, cLock, 1);
    }
  }

  private table(ns: number): Table {
    return ns === Ns.pattern ? this.patterns : this.channels;
  }
  private db(ns: number): number {
    return ns === Ns.shard ? 1 : 0;
  }

  /** Adds delta to worker w's count of (ns, name); removes the entry at zero. Caller holds the lock. */
  add(ns: number, name: Uint8Array, w: number, delta: number): void {
    const t = this.table(ns);
    const db = this.db(ns);
    const h = hashKey(name);
    let slot = t.find(db, name, h);
    if (slot < 0) {
      assert(delta > 0, "pubsub: registry count below zero");
      slot = t.insert(db, name, h, this.workers * 4, 0, 0, 0);
      assert(slot >= 0, "pubsub: registry out of memory");
      t.arena.u8.fill(0, t.valueOffset(slot), t.valueOffset(slot) + this.workers * 4);
    }
    const off = t.valueOffset(slot) + w * 4;
    const n = readU32(t.arena.u8, off) + delta;
    assert(n >= 0, "pubsub: registry count below zero");
    writeU32(t.arena.u8, off, n);
    if (n === 0 && this.total(t, slot) === 0) t.remove(slot);
  }

  /** Sum over workers of the entry at slot. */
  total(t: Table, slot: number): number {
    const u8 = t.arena.u8;
    const off = t.valueOffset(slot);
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += readU32(u8, off + w * 4);
    return n;
  }

  /** Adds the per-worker counts of (ns, name) into acc; false when there is no entry. Under lock. */
  accumulate(ns: number, name: Uint8Array, acc: Int32Array): boolean {
    const t = this.table(ns);
    const slot = t.find(this.db(ns), name, hashKey(name));
    if (slot < 0) return false;
    addCounts(t, slot, this.workers, acc);
    return true;
  }

  /** Adds the counts of every pattern matching `channel` into acc. Under lock. */
  accumulatePatterns(channel: Uint8Array, acc: Int32Array): void {
    const t = this.patterns;
    if (t.count === 0) return;
    const cap = t.capacity;
    const u8 = t.arena.u8;
    for (let s = 0; s < cap; s++) {
      if (!t.occupied(s)) continue;
      const off = t.keyOffset(s);
      if (stringMatchRange(u8, off, off + t.keyLen(s), channel, 0, channel.length)) addCounts(t, s, this.workers, acc);
    }
  }

  /** Number of entries of a namespace (PUBSUB NUMPAT, INFO). Under lock. */
  count(ns: number): number {
    return ns === Ns.pattern ? this.patterns.count : this.channels.dbKeys(this.db(ns));
  }

  /** Names of a namespace matching pattern (null = all). Under lock; returns copies. */
  names(ns: number, pattern: Uint8Array | null): Uint8Array[] {
    const t = this.table(ns);
    const db = this.db(ns);
    const out: Uint8Array[] = [];
    const u8 = t.arena.u8;
    for (let s = 0; s < t.capacity; s++) {
      if (!t.occupied(s) || t.db(s) !== db) continue;
      const off = t.keyOffset(s);
      const len = t.keyLen(s);
      if (pattern === null || stringMatchRange(pattern, 0, pattern.length, u8, off, off + len)) out.push(u8.slice(off, off + len));
    }
    return out;
  }

  /** Subscribers of (ns, name) over all workers. Under lock. */
  subscribers(ns: number, name: Uint8Array): number {
    const t = this.table(ns);
    const slot = t.find(this.db(ns), name, hashKey(name));
    return slot < 0 ? 0 : this.total(t, slot);
  }

  /** Subscriptions of every kind on every worker (0: PUBLISH has nothing to do). */
  get subscriptions(): number {
    return Atomics.load(this.ctl, cSubscriptions);
  }

  inflight(w: number): number {
    return Atomics.load(this.ctl, cInflight + w);
  }
  addInflight(w: number, n: number): void {
    Atomics.add(this.ctl, cInflight + w, n);
  }
}

function addCounts(t: Table, slot: number, workers: number, acc: Int32Array): void {
  const u8 = t.arena.u8;
  const off = t.valueOffset(slot);
  for (let w = 0; w < workers; w++) acc[w] += readU32(u8, off + w * 4);
}

function readU32(u8: Uint8Array, off: number): number {
  return (u8[off] | (u8[off + 1] << 8) | (u8[off + 2] << 16) | (u8[off + 3] << 24)) >>> 0;
}
function writeU32(u8: Uint8Array, off: number, v: number): void {
  u8[off] = v & 0xff;
  u8[off + 1] = (v >>> 8) & 0xff;
  u8[off + 2] = (v >>> 16) & 0xff;
  u8[off + 3] = (v >>> 24) & 0xff;
}

/** The port a worker uses to reach another worker (MessagePort in the server, a fake in tests). */
export interface PeerPort {
  postMessage(data: ArrayBuffer, transfer: ArrayBuffer[]): void;
}

/** Writes bytes to a session outside a command batch (the worker's socket path and limits). */
export type SessionSink = (s: Session, bytes: Uint8Array) => void;

const enc = new TextEncoder();
const fMessage = enc.encode("$7\r\nmessage\r\n");
const fPmessage = enc.encode("$8\r\npmessage\r\n");
const fSmessage = enc.encode("$8\r\nsmessage\r\n");
const tagArray = 42; // *
const tagPush = 62; // >

/** One pattern's local subscribers. */
interface PatternSubs {
  pattern: Uint8Array;
  sessions: Set<Session>;
}

/** Record header in a batch: [u8 ns][u32 channel length][u32 message length], then the bytes. */
const recordHeaderBytes = 9;

export class PubSubHub {
  readonly channels = new Map<string, Set<Session>>();
  readonly shardChannels = new Map<string, Set<Session>>();
  readonly patterns = new Map<string, PatternSubs>();
  /** The session whose replies the worker is writing right now (frames for it go to `out`). */
  active: Session | null = null;
  private readonly dirty: Session[] = [];
  private readonly acc: Int32Array;
  private readonly batch: Uint8Array[];
  private readonly batchLen: Int32Array;
  private flushScheduled = false;
  /** Scratch for one encoded frame. */
  private frame = new Uint8Array(256);
  private frameLen = 0;

  constructor(
    readonly reg: Registry,
    readonly worker: number,
    private readonly out: ReplyWriter,
    private readonly sink: SessionSink,
    private readonly ports: (PeerPort | null)[],
  ) {
    this.acc = new Int32Array(reg.workers);
    this.batch = Array.from({ length: reg.workers }, () => new Uint8Array(0));
    this.batchLen = new Int32Array(reg.workers);
  }

  get workers(): number {
    return this.reg.workers;
  }

  // ---- subscriptions ----------------------------------------------------------------------------
  private subsOf(s: Session): SessionSubs {
    if (s.subs === null) s.subs = { channels: new Map(), patterns: new Map(), shard: new Map() };
    return s.subs;
  }

  /** Adds a subscription; false when the session already had it. `name` is copied. */
  subscribe(s: Session, ns: number, name: Uint8Array): boolean {
    const subs = this.subsOf(s);
    const key = latin1(name);
    const mine = ns === Ns.channel ? subs.channels : ns === Ns.pattern ? subs.patterns : subs.shard;
    if (mine.has(key)) return false;
    const copy = name.slice();
    mine.set(key, copy);
    if (ns === Ns.pattern) {
      let p = this.patterns.get(key);
      if (p === undefined) this.patterns.set(key, (p = { pattern: copy, sessions: new Set() }));
      p.sessions.add(s);
    } else {
      const m = ns === Ns.channel ? this.channels : this.shardChannels;
      let set = m.get(key);
      if (set === undefined) m.set(key, (set = new Set()));
      set.add(s);
    }
    this.registryAdd(ns, copy, 1);
    return true;
  }

  /** Removes a subscription; false when the session did not have it. */
  unsubscribe(s: Session, ns: number, name: Uint8Array): boolean {
    if (s.subs === null) return false;
    const key = latin1(name);
    const mine = ns === Ns.channel ? s.subs.channels : ns === Ns.pattern ? s.subs.patterns : s.subs.shard;
    const stored = mine.get(key);
    if (stored === undefined) return false;
    mine.delete(key);
    if (ns === Ns.pattern) {
      const p = this.patterns.get(key);
      if (p !== undefined) {
        p.sessions.delete(s);
        if (p.sessions.size === 0) this.patterns.delete(key);
      }
    } else {
      const m = ns === Ns.channel ? this.channels : this.shardChannels;
      const set = m.get(key);
      if (set !== undefined) {
        set.delete(s);
        if (set.size === 0) m.delete(key);
      }
    }
    this.registryAdd(ns, stored, -1);
    return true;
  }

  /** The names of a session's subscriptions in one namespace (copies of the keys, in order). */
  namesOf(s: Session, ns: number): Uint8Array[] {
    if (s.subs === null) return [];
    const mine = ns === Ns.channel ? s.subs.channels : ns === Ns.pattern ? s.subs.patterns : s.subs.shard;
    return [...mine.values()];
  }

  /** Drops every subscription of a closing or RESET session, with no replies. */
  dropSession(s: Session): void {
    if (s.subs === null) return;
    for (const ns of [Ns.channel, Ns.pattern, Ns.shard]) for (const n of this.namesOf(s, ns)) this.unsubscribe(s, ns, n);
    s.subs = null;
    s.pushLen = 0;
  }

  private registryAdd(ns: number, name: Uint8Array, delta: number): void {
    const reg = this.reg;
    reg.lock();
    try {
      reg.add(ns, name, this.worker, delta);
      Atomics.add(reg.ctl, cSubscriptions, delta);
    } finally {
      reg.unlock();
    }
  }

  // ---- publishing -------------------------------------------------------------------------------
  /** True when some worker has too much in flight: PUBLISH should wait (see publishWhenReady). */
  congested(): boolean {
    const reg = this.reg;
    for (let w = 0; w < reg.workers; w++) if (w !== this.worker && reg.inflight(w) > inflightBytesMax) return true;
    return false;
  }

  /** Publishes to every subscriber on every worker; returns the number of receivers. */
  publish(ns: number, channel: Uint8Array, message: Uint8Array): number {
    const reg = this.reg;
    if (reg.subscriptions === 0) return 0;
    const local = this.deliverLocal(ns, channel, message);
    if (reg.workers === 1) return local;
    const acc = this.acc;
    acc.fill(0);
    reg.lock();
    try {
      reg.accumulate(ns, channel, acc);
      if (ns === Ns.channel) reg.accumulatePatterns(channel, acc);
    } finally {
      reg.unlock();
    }
    let total = local;
    for (let w = 0; w < reg.workers; w++) {
      if (w === this.worker || acc[w] === 0) continue;
      total += acc[w];
      this.queueRecord(w, ns, channel, message);
    }
    return total;
  }

  private queueRecord(w: number, ns: number, channel: Uint8Array, message: Uint8Array): void {
    const need = recordHeaderBytes + channel.length + message.length;
    let b = this.batch[w];
    const len = this.batchLen[w];
    if (len + need > b.length) {
      const nb = new Uint8Array(Math.max(4096, (len + need) * 2));
      nb.set(b.subarray(0, len));
      this.batch[w] = b = nb;
    }
    b[len] = ns;
    writeU32(b, len + 1, channel.length);
    writeU32(b, len + 5, message.length);
    b.set(channel, len + recordHeaderBytes);
    b.set(message, len + recordHeaderBytes + channel.length);
    this.batchLen[w] = len + need;
    this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** End of a loop turn: one transfer per worker with records, then pending frames to sockets. */
  flush(): void {
    this.flushScheduled = false;
    for (let w = 0; w < this.batchLen.length; w++) {
      const len = this.batchLen[w];
      if (len === 0) continue;
      this.batchLen[w] = 0;
      const copy = this.batch[w].slice(0, len);
      if (this.batch[w].length > 1 << 20) this.batch[w] = new Uint8Array(0);
      const port = this.ports[w];
      if (port === null) continue;
      this.reg.addInflight(w, len);
      port.postMessage(copy.buffer, [copy.buffer]);
    }
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const s = dirty[i];
      s.pushDirty = false;
      if (s.pushLen === 0 || s.closed) continue;
      const bytes = s.pushBuf!.subarray(0, s.pushLen);
      s.pushLen = 0;
      this.sink(s, bytes);
      if (s.pushBuf!.length > 1 << 20) s.pushBuf = null;
    }
    dirty.length = 0;
    if (this.frame.length > 1 << 20) this.frame = new Uint8Array(256); // one huge message is not kept
  }

  /** A batch of records from another worker. */
  onBatch(data: ArrayBuffer): void {
    const b = new Uint8Array(data);
    let p = 0;
    while (p < b.length) {
      const ns = b[p];
      const cl = readU32(b, p + 1);
      const ml = readU32(b, p + 5);
      const c0 = p + recordHeaderBytes;
      this.deliverLocal(ns, b.subarray(c0, c0 + cl), b.subarray(c0 + cl, c0 + cl + ml));
      p = c0 + cl + ml;
    }
    this.reg.addInflight(this.worker, -b.length);
    this.schedule();
  }

  /** Delivers to this worker's subscribers; returns how many received it. */
  deliverLocal(ns: number, channel: Uint8Array, message: Uint8Array): number {
    let n = 0;
    if (ns === Ns.shard) {
      if (this.shardChannels.size === 0) return 0;
      const set = this.shardChannels.get(channelKey(channel));
      if (set === undefined) return 0;
      this.encode(fSmessage, null, channel, message);
      for (const s of set) this.deliver(s);
      return set.size;
    }
    if (this.channels.size > 0) {
      const set = this.channels.get(channelKey(channel));
      if (set !== undefined) {
        this.encode(fMessage, null, channel, message);
        for (const s of set) this.deliver(s);
        n += set.size;
      }
    }
    if (this.patterns.size > 0) {
      for (const p of this.patterns.values()) {
        const pat = p.pattern;
        if (!stringMatchRange(pat, 0, pat.length, channel, 0, channel.length)) continue;
        this.encode(fPmessage, pat, channel, message);
        for (const s of p.sessions) this.deliver(s);
        n += p.sessions.size;
      }
    }
    return n;
  }

  /** Encodes `*N kind [pattern] channel message` into this.frame. */
  private encode(kind: Uint8Array, pattern: Uint8Array | null, channel: Uint8Array, message: Uint8Array): void {
    const need = 64 + kind.length + channel.length + message.length + (pattern === null ? 0 : pattern.length + 16);
    if (this.frame.length < need) this.frame = new Uint8Array(need * 2);
    const f = this.frame;
    let o = 0;
    f[o++] = tagArray;
    f[o++] = pattern === null ? 51 : 52; // '3' | '4'
    f[o++] = 13;
    f[o++] = 10;
    f.set(kind, o);
    o += kind.length;
    if (pattern !== null) o = bulkInto(f, o, pattern);
    o = bulkInto(f, o, channel);
    o = bulkInto(f, o, message);
    this.frameLen = o;
  }

  /** Hands this.frame to one session. */
  private deliver(s: Session): void {
    if (s.closed) return;
    const n = this.frameLen;
    const tag = s.resp === 3 ? tagPush : tagArray;
    if (s === this.active) {
      const out = this.out;
      const at = out.len;
      out.rawRange(this.frame, 0, n);
      out.buf[at] = tag;
      return;
    }
    let b = s.pushBuf;
    if (b === null || s.pushLen + n > b.length) {
      const nb = new Uint8Array(Math.max(1024, (s.pushLen + n) * 2));
      if (b !== null) nb.set(b.subarray(0, s.pushLen));
      s.pushBuf = b = nb;
    }
    // copyRange copies short frames by hand: a subarray view per subscriber was 17% of a PUBLISH
    // profile with 10 subscribers.
    const at = s.pushLen;
    copyRange(this.frame, 0, b, at, n);
    b[at] = tag;
    s.pushLen += n;
    if (!s.pushDirty) {
      s.pushDirty = true;
      this.dirty.push(s);
    }
    this.schedule();
  }

  /** The worker starts writing replies for s: frames it was waiting for go first. */
  begin(s: Session): void {
    this.active = s;
    if (s.pushLen > 0) {
      this.out.rawRange(s.pushBuf!, 0, s.pushLen);
      s.pushLen = 0;
    }
  }

  /** The worker is done writing replies for the active session. */
  end(): void {
    this.active = null;
  }

  // ---- introspection (PUBSUB, INFO) -------------------------------------------------------------
  count(ns: number): number {
    const reg = this.reg;
    reg.lock();
    try {
      return reg.count(ns);
    } finally {
      reg.unlock();
    }
  }
  names(ns: number, pattern: Uint8Array | null): Uint8Array[] {
    const reg = this.reg;
    reg.lock();
    try {
      return reg.names(ns, pattern);
    } finally {
      reg.unlock();
    }
  }
  subscribers(ns: number, name: Uint8Array): number {
    const reg = this.reg;
    reg.lock();
    try {
      return reg.subscribers(ns, name);
    } finally {
      reg.unlock();
    }
  }
}

function bulkInto(f: Uint8Array, o: number, b: Uint8Array): number {
  f[o++] = 36; // $
  const digits = String(b.length);
  for (let i = 0; i < digits.length; i++) f[o++] = digits.charCodeAt(i);
  f[o++] = 13;
  f[o++] = 10;
  f.set(b, o);
  o += b.length;
  f[o++] = 13;
  f[o++] = 10;
  return o;
}
