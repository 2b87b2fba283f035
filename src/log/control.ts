// Control words shared by the main thread, the replicator, the snapshotter and the shard workers.

// control: Int32 words
export const ctlStop = 0;
// Float64 slots (byte offset 64 + 8 * i): replicator statistics for INFO persistence.
export const ctlF64Rounds = 8;
export const ctlF64Bytes = 9;
export const ctlF64LastSyncUs = 10;
export const ctlF64LogBytesSinceSnapshot = 11;
// Written by the main thread (snapshot bookkeeping for LASTSAVE and INFO persistence).
export const ctlF64LastSaveSec = 12;
export const ctlF64SaveStatus = 13;
export const ctlF64SaveInProgress = 14;
export const ctlF64Saves = 15;
export const ctlF64LastSaveMs = 16;
/** Wall-clock ms when the replicator last made records durable (async lag). */
export const ctlF64LastRoundMs = 17;
export const controlBytes = 256;
// Int32 word: 1 while the replicator cannot write or sync the log (disk full, I/O error).
export const ctlLogFailing = 1;
// Int32 word: 1 with durability async (the replicator then syncs in batches, like appendfsync
// everysec, instead of as fast as the disk allows); written by worker 0 at start and on CONFIG SET.
export const ctlAsync = 2;
// Int32 word: FLUSHDB/FLUSHALL count (bumped with every lock held); a snapshot whose walk saw it
// change is retried (src/log/snapshot.ts).
export const ctlFlushes = 3;
const messageOffset = 160;
const messageBytes = 96;

/** Publishes (or clears, with null) why the log cannot be written. */
export function setLogFailure(control: SharedArrayBuffer, message: string | null): void {
  const i32 = new Int32Array(control);
  if (message === null) {
    Atomics.store(i32, ctlLogFailing, 0);
    return;
  }
  const u8 = new Uint8Array(control, messageOffset, messageBytes);
  u8.fill(0);
  const b = new TextEncoder().encode(message).subarray(0, messageBytes);
  u8.set(b);
  Atomics.store(i32, ctlLogFailing, 1);
}

/** Why the log cannot be written, or null when it can. */
export function logFailure(control: SharedArrayBuffer): string | null {
  if (Atomics.load(new Int32Array(control), ctlLogFailing) === 0) return null;
  const u8 = new Uint8Array(control, messageOffset, messageBytes);
  let n = 0;
  while (n < u8.length && u8[n] !== 0) n++;
  return new TextDecoder().decode(u8.slice(0, n));
}
