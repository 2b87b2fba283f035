// Signals the write path raises for the features that watch keys: WATCH (modified), blocked clients
// (ready) and keyspace notifications (notify). Commands call the functions below; each feature
// installs its hook once at start. A signal nobody listens to costs one null check (and notify
// one bit test of notify-keyspace-events), so the string hot path stays as it is.
//
// Conventions for command handlers (as Redis's signalModifiedKey / signalKeyAsReady /
// notifyKeyspaceEvent):
// - signalModified(x, db, key): once per key a command changed (written, deleted, renamed, expired
//   or evicted), after the change, with the shard's lock still held.
// - signalReady(x, db, key): a list, sorted set or stream received elements (blocked clients may
//   be served once the command has finished).
// - notifyEvent(x, NOTIFY.hash, "hset", db, key): the event names Redis uses for that command.

import type { Exec } from "./exec.ts";

export type KeyHook = (x: Exec, db: number, key: Uint8Array) => void;
export type NotifyHook = (x: Exec, cls: number, event: string, db: number, key: Uint8Array) => void;

export type DbHook = (x: Exec, db: number, db2: number) => void;

export const signalHooks: {
  modified: KeyHook | null;
  ready: KeyHook | null;
  notify: NotifyHook | null;
  /** The shard log (src/server/durable.ts): records the key's new state. */
  log: KeyHook | null;
  /** The shard log: FLUSHDB (db >= 0) / FLUSHALL (db = -1); db2 unused. */
  flushed: DbHook | null;
  /** The shard log: SWAPDB db db2. */
  swapped: DbHook | null;
} = {
  modified: null,
  ready: null,
  notify: null,
  log: null,
  flushed: null,
  swapped: null,
};

/**
 * A handler whose command's own argv would not replay to the same result (SPOP's random choice,
 * XADD's `*` ID) states the deterministic command it amounts to, for the shard log (Redis's
 * rewriting of the propagated argv). Call before signalModified, only when wantsEffect(x).
 */
export function setEffect(x: Exec, argv: Uint8Array[]): void {
  x.effect = argv;
}

/**
 * The command stopped part-way (out of memory after some changes): replaying its argv would not stop
 * at the same point, so the shard log records the key's resulting value instead. Call before
 * signalModified.
 */
export function effectPartial(x: Exec): void {
  x.effLogged = true;
}

/** True when the shard log may log this command's effect: build setEffect's argv only then. */
export function wantsEffect(x: Exec): boolean {
  return x.durable !== null && x.effSpec !== null && x.effSpec.delta === true;
}

export function signalModified(x: Exec, db: number, key: Uint8Array): void {
  const f = signalHooks.modified;
  if (f !== null) f(x, db, key);
  const l = signalHooks.log;
  if (l !== null) l(x, db, key);
}

/** FLUSHDB (db >= 0) or FLUSHALL (db = -1), after the flush, every lock held. */
export function signalFlushed(x: Exec, db: number): void {
  const f = signalHooks.flushed;
  if (f !== null) f(x, db, 0);
}

/** SWAPDB a b, after the swap, every lock held. */
export function signalSwapped(x: Exec, a: number, b: number): void {
  const f = signalHooks.swapped;
  if (f !== null) f(x, a, b);
}

export function signalReady(x: Exec, db: number, key: Uint8Array): void {
  const f = signalHooks.ready;
  if (f !== null) f(x, db, key);
}

export function notifyEvent(x: Exec, cls: number, event: string, db: number, key: Uint8Array): void {
  if ((x.cfg.notifyKeyspaceEvents & cls) === 0) return;
  const f = signalHooks.notify;
  if (f !== null) f(x, cls, event, db, key);
}
