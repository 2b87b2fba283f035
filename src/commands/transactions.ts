// Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis 7.0's multi.c replies).
//
// Queueing happens in the dispatcher (src/server/multi.ts decides what queues and runs EXEC);
// the watched-key registry is src/server/watch.ts. This module installs the two write-path hooks
// WATCH needs (signalHooks.modified, the SWAPDB hook) and RESET's cleanup.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { beginMulti, discardTransaction, execAbortDirty, execTransaction } from "../server/multi.ts";
import { swapDbHook, touchWatchedKey, unwatchAll, watchKey } from "../server/watch.ts";
import { signalHooks } from "../server/signals.ts";
import { swapDbHooks } from "../keyspace/keyspace.ts";
import { resetHooks } from "./connection.ts";
import { Err } from "./util.ts";

signalHooks.modified = touchWatchedKey;
swapDbHooks.push(swapDbHook);
resetHooks.push((x) => discardTransaction(x, x.s));

function multiCommand(x: Exec): void {
  const s = x.s;
  if (s.multi !== null) {
    x.out.error("ERR MULTI calls can not be nested");
    return;
  }
  beginMulti(s);
  x.out.ok();
}

function execCommand(x: Exec): void | Promise<ReplyFn> {
  const s = x.s;
  if (s.multi === null) {
    x.out.error("ERR EXEC without MULTI");
    return;
  }
  if (s.multi.dirty) {
    x.out.error(execAbortDirty);
    discardTransaction(x, s);
    return;
  }
  return execTransaction(x);
}

function discardCommand(x: Exec): void {
  const s = x.s;
  if (s.multi === null) {
    x.out.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(x, s);
  x.out.ok();
}

/** Runs with the locks of its keys' shards held (dispatch's execute). */
function watchCommand(x: Exec, argv: Uint8Array[]): void {
  const s = x.s;
  if (s.multi !== null) {
    x.out.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    if (!watchKey(x.ks, s, s.db, argv[i], x.ks.now)) {
      x.out.error(Err.oom);
      return;
    }
  }
  x.out.ok();
}

function unwatchCommand(x: Exec): void {
  // Inside EXEC the transaction already unwatched (and holds the locks): nothing left to free.
  if (!x.s.inExec) unwatchAll(x.ks, x.s, false);
  x.out.ok();
}

export const transactionCommands: CommandSpec[] = [
  cmd("multi", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "@fast @transaction", multiCommand),
  cmd("exec", 1, "noscript loading stale skip_slowlog", 0, 0, 0, "@slow @transaction", execCommand),
  cmd("discard", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "@fast @transaction", discardCommand),
  cmd("watch", -2, "noscript loading stale fast allow_busy", 1, -1, 1, "@fast @transaction", watchCommand),
  cmd("unwatch", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "@fast @transaction", unwatchCommand),
];
