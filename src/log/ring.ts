// A shard's log ring: effect records on their way from shard workers to the replicator, in a
// SharedArrayBuffer.
//
// Producers are the worker threads that hold the shard's lock (the lock serialises them, so the
// ring sees one producer at a time); the consumer is the replicator thread. head and tail are byte
// counters modulo 2^32 (capacity is a power of two <= 2^30, so head - tail is the used size even
// across wrap-around). A record never wraps: when it does not fit before the end of the buffer the
// producer writes a skip marker (0xffffffff, when at least 4 bytes remain) and continues at 0.
// The LSN counter lives here too (assigned under the shard lock); the durable LSN is published by
// the replicator after fdatasync (and, in multi-AZ mode, the replicas' acks).
//
// Publication: commit() makes a record complete but not yet visible to the replicator; the producing
// worker publishes its rings once at the end of its event-loop turn (after the I/O callbacks of that
// turn have run: setImmediate), and a round takes records only up to the published head. So a group
// commit carries everything one worker turn appended (the commands of every client whose data came
// in together) instead of waking on the first record and leaving the rest of the turn for the next
// fdatasync: fewer, fuller rounds, one doorbell per turn. The published head only moves forward
// (several workers may publish one ring: compare-and-swap).
//
// Backpressure: a producer that finds the ring full waits (Atomics.wait, the shard lock held) until
// the replicator frees space: writes stall rather than grow memory without bound. A record larger
// than half the ring waits for the ring to drain and grows the buffer (growable SAB) to at least
// twice its size first: then it fits wherever the head is, even after a wrap-around.

import { assert } from "../assert.ts";

const ctlBytes = 64;
// Int32 words
const wHead = 0;
const wTail = 1;
/** The head as last published to the replicator (<= wHead in ring order). */
const wPublished = 2;
/** Incremented by the replicator each time it frees space or publishes a durable LSN. */
const wProgress = 4;
const wCapLog2 = 5;
// BigInt64 slots (byte offset / 8)
const bNextLsn = 3; // byte 24
const bDurableLsn = 4; // byte 32
const bAppendedLsn = 5; // byte 40: last LSN committed into the ring
const skipMarker = 0xffffffff;
export const ringBytesMax = 2 ** 31;
// The doorbell buffer, shared by every shard's ring: the replicator sleeps on one word for all.
/** Incremented by producers on commit. */
const wDoorbell = 0;
/** 1 while the replicator sleeps (producers notify only then). */
const wConsumerSleeping = 1;

export function createDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(64);
}

export class LogRing {
  readonly sab: SharedArrayBuffer;
  private i32: Int32Array;
  private b64: BigInt64Array;
  u8: Uint8Array;
  /** A view of the record area (length-tracking: valid after the buffer grows). */
  readonly dv: DataView;
  private bell: Int32Array;

  constructor(sab: SharedArrayBuffer, doorbell: SharedArrayBuffer) {
    this.sab = sab;
    this.bell = new Int32Array(doorbell);
    this.i32 = new Int32Array(sab, 0, ctlBytes / 4);
    this.b64 = new BigInt64Array(sab, 0, ctlBytes / 8);
    this.u8 = new Uint8Array(sab, ctlBytes);
    this.dv = new DataView(sab, ctlBytes);
  }

  static create(capacity = 1 << 24): SharedArrayBuffer {
    assert((capacity & (capacity - 1)) === 0 && capacity >= 1 << 12 && capacity <= ringBytesMax, "ring: capacity must be a power of two");
    const sab = new SharedArrayBuffer(ctlBytes + capacity, { maxByteLength: ctlBytes + ringBytesMax });
    const i32 = new Int32Array(sab, 0, ctlBytes / 4);
    i32[wCapLog2] = 31 - Math.clz32(capacity);
    new BigInt64Array(sab, 0, ctlBytes / 8)[bNextLsn] = 1n;
    return sab;
  }

  get capacity(): number {
    return 2 ** Atomics.load(this.i32, wCapLog2);
  }

  // ---- producer side (shard lock held) ---------------------------------------------------------
  /** The LSN the next record gets. */
  nextLsn(): bigint {
    return this.b64[bNextLsn];
  }
  /** Assigns the next LSN. */
  takeLsn(): bigint {
    const l = this.b64[bNextLsn];
    this.b64[bNextLsn] = l + 1n;
    return l;
  }
  /** Sets the LSN counter (recovery: one past the last recovered record). */
  setNextLsn(l: bigint): void {
    this.b64[bNextLsn] = l;
    Atomics.store(this.b64, bAppendedLsn, l - 1n);
    Atomics.store(this.b64, bDurableLsn, l - 1n);
  }

  /**
   * Room for an n-byte record; returns its offset in this.u8. Blocks while the ring is full. The
   * caller writes the record there and then calls commit(n, lsn).
   */
  reserve(n: number): number {
    assert(n >= 4 && 2 * (n + 4) <= ringBytesMax, "ring: bad record size");
    if (2 * (n + 4) > this.capacity) this.growWhenEmpty(2 * (n + 4));
    for (;;) {
      const cap = this.capacity;
      const head = Atomics.load(this.i32, wHead) >>> 0;
      const tail = Atomics.load(this.i32, wTail) >>> 0;
      const used = (head - tail) >>> 0;
      const pos = head & (cap - 1);
      const gap = cap - pos;
      const need = gap >= n ? n : gap + n;
      if (cap - used >= need) {
        if (gap < n) {
          if (gap >= 4) this.dv.setUint32(pos, skipMarker, true);
          Atomics.store(this.i32, wHead, (head + gap) | 0);
          return 0;
        }
        return pos;
      }
      this.waitForSpace();
    }
  }

  /** Completes the record written at the reserved offset; publishRings() at turn end shows it. */
  commit(n: number, lsn: bigint): void {
    Atomics.store(this.i32, wHead, ((Atomics.load(this.i32, wHead) >>> 0) + n) | 0);
    Atomics.store(this.b64, bAppendedLsn, lsn);
    if (!this.pending) {
      this.pending = true;
      unpublished.push(this);
      if (!publishScheduled) {
        publishScheduled = true;
        setImmediate(publishRings);
      }
    }
  }

  /** This thread committed records the replicator has not been shown yet. */
  private pending = false;

  /** Shows every committed record to the replicator and rings its doorbell. */
  publish(): void {
    this.pending = false;
    for (;;) {
      const cur = Atomics.load(this.i32, wPublished);
      const head = Atomics.load(this.i32, wHead);
      const tail = Atomics.load(this.i32, wTail);
      if ((head - tail) >>> 0 <= (cur - tail) >>> 0) break;
      if (Atomics.compareExchange(this.i32, wPublished, cur, head) === cur) break;
    }
    Atomics.add(this.bell, wDoorbell, 1);
    // One wake per sleep: the producer that clears the flag notifies; the others see it cleared.
    if (Atomics.load(this.bell, wConsumerSleeping) === 1 && Atomics.compareExchange(this.bell, wConsumerSleeping, 1, 0) === 1) {
      Atomics.notify(this.bell, wDoorbell, 1);
    }
  }

  private waitForSpace(): void {
    this.publish();
    const seen = Atomics.load(this.i32, wProgress);
    Atomics.wait(this.i32, wProgress, seen, 100);
  }

  private growWhenEmpty(need: number): void {
    let cap = this.capacity;
    while (cap < need) cap *= 2;
    assert(cap <= ringBytesMax, "ring: record larger than the largest ring");
    while ((Atomics.load(this.i32, wHead) >>> 0) !== (Atomics.load(this.i32, wTail) >>> 0)) this.waitForSpace();
    this.sab.grow(ctlBytes + cap);
    Atomics.store(this.i32, wHead, 0);
    Atomics.store(this.i32, wTail, 0);
    Atomics.store(this.i32, wPublished, 0);
    Atomics.store(this.i32, wCapLog2, 31 - Math.clz32(cap));
  }

  // ---- both sides ------------------------------------------------------------------------------
  /** The highest LSN that is durable (0 = none). */
  durableLsn(): bigint {
    return Atomics.load(this.b64, bDurableLsn);
  }
  appendedLsn(): bigint {
    return Atomics.load(this.b64, bAppendedLsn);
  }
  /** Changes whenever the replicator publishes progress (wait on it with waitProgress). */
  progressSeq(): number {
    return Atomics.load(this.i32, wProgress);
  }
  /** Async wait until the progress counter moves from `seen` (or the timeout passes). */
  waitProgressAsync(seen: number, timeoutMs: number): Promise<unknown> | null {
    const r = Atomics.waitAsync(this.i32, wProgress, seen, timeoutMs);
    return r.async ? r.value : null;
  }

  // ---- consumer side (replicator) --------------------------------------------------------------
  /** Bytes waiting, as up to two pieces (before and after wrap-around), or null when empty. */
  take(maxBytes: number): { pieces: Uint8Array[]; bytes: number; consumed: number } | null {
    const cap = this.capacity;
    let tail = Atomics.load(this.i32, wTail) >>> 0;
    const head = Atomics.load(this.i32, wPublished) >>> 0;
    if (tail === head) return null;
    const pieces: Uint8Array[] = [];
    let bytes = 0;
    let consumed = 0;
    while (tail !== head && bytes < maxBytes) {
      const pos = tail & (cap - 1);
      const gap = cap - pos;
      if (gap < 4 || this.dv.getUint32(pos, true) === skipMarker) {
        tail = (tail + gap) >>> 0;
        consumed += gap;
        continue;
      }
      const avail = Math.min((head - tail) >>> 0, gap);
      // Whole records only: walk lengths until the piece ends or maxBytes is reached.
      let p = pos;
      const stop = pos + avail;
      while (p < stop && bytes + (p - pos) < maxBytes) {
        if (stop - p < 4) break;
        const len = this.dv.getUint32(p, true);
        if (len === skipMarker) break;
        if (p + 4 + len > stop) break;
        p += 4 + len;
      }
      if (p === pos) break;
      pieces.push(this.u8.subarray(pos, p));
      bytes += p - pos;
      consumed += p - pos;
      tail = (tail + (p - pos)) >>> 0;
      if (p < pos + gap && p === stop) break;
    }
    return { pieces, bytes, consumed };
  }

  /** Frees `consumed` bytes taken by take() and publishes the durable LSN. */
  release(consumed: number, durable: bigint): void {
    Atomics.store(this.i32, wTail, ((Atomics.load(this.i32, wTail) >>> 0) + consumed) | 0);
    if (durable > Atomics.load(this.b64, bDurableLsn)) Atomics.store(this.b64, bDurableLsn, durable);
    Atomics.add(this.i32, wProgress, 1);
    Atomics.notify(this.i32, wProgress);
  }

}

/** Rings this thread committed to since its last publication (see "Publication" above). */
const unpublished: LogRing[] = [];
let publishScheduled = false;

/** End of a worker's loop turn (and before it stops): publishes every ring it appended to. */
export function publishRings(): void {
  publishScheduled = false;
  for (let i = 0; i < unpublished.length; i++) unpublished[i].publish();
  unpublished.length = 0;
}

/** The replicator's side of the shared doorbell. */
export class Doorbell {
  private bell: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.bell = new Int32Array(sab);
  }
  seq(): number {
    return Atomics.load(this.bell, wDoorbell);
  }
  /** Sleeps until a producer rings after `seen` was read (or the timeout passes). */
  sleep(seen: number, timeoutMs: number): void {
    Atomics.store(this.bell, wConsumerSleeping, 1);
    if (Atomics.load(this.bell, wDoorbell) === seen) Atomics.wait(this.bell, wDoorbell, seen, timeoutMs);
    Atomics.store(this.bell, wConsumerSleeping, 0);
  }
  ring(): void {
    Atomics.add(this.bell, wDoorbell, 1);
    Atomics.notify(this.bell, wDoorbell, 1);
  }
}
