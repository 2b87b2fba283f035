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

import type { Exec, ReplyFn } from "./exec.ts";

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

export function block(_x: Exec, _req: BlockRequest): Promise<ReplyFn> {
  throw new Error("blocking: not implemented yet");
}
