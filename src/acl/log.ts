// ACL LOG: one log for the whole server, with Redis 7.0's rules, whichever worker a denial happens on.
//
// Redis's rules (addACLLogEntry): a denial that matches one of the 10 newest entries (same reason,
// context, object and username, last updated at most 60 s apart) bumps that entry's count, takes the
// new client-info and time, and moves it to the head; otherwise a new entry goes to the head and the
// log is trimmed to acllog-max-len (only then: CONFIG SET alone does not trim). age-seconds counts
// from the last update.
//
// Across workers: worker 0 (logOwner) keeps the log. Every denial is stamped with a high-resolution
// wall-clock time (performance.timeOrigin + performance.now(): one clock for every thread, measured
// within a microsecond of each other); other workers send theirs to the owner through the peer path,
// batched per event-loop turn (a microtask), identical consecutive denials folded into one entry with a
// count. Messages from different workers reach the owner in any order (the main thread relays each
// worker's port on its own), so the owner applies denials in time order, not arrival order: arrivals
// wait in `incoming` and are applied (settled) once they are settleMs old. A read applies the waiting
// ones, in time order, to a copy. ACL LOG and ACL LOG RESET first send a barrier to every worker
// (aclLogSync, src/commands/acl.ts): a worker answers it only after its earlier batches were posted on
// the same port, and the main thread relays those to the owner before the read or reset that follows.
// So a denial a client saw before it asked is in the log, in its place. With one worker everything is
// applied at once. Nothing here runs for a user allowed everything (dispatch checks one flag).

/** One ACL LOG entry (plain data: it crosses threads). */
export interface AclLogEntry {
  count: number;
  reason: string;
  context: string;
  object: string;
  username: string;
  /** Time of the last update, ms (aclNow()): grouping, order and age-seconds count from it. */
  at: number;
  clientInfo: string;
}

/** The worker that keeps the server's ACL log. */
export const logOwner = 0;
/** ACL_LOG_GROUPING_MAX_TIME_DELTA: a denial groups with an entry updated at most this long before. */
const groupMs = 60_000;
/** How many of the newest entries a denial is compared with (Redis looks at 10). */
const scanMax = 10;
/** A denial from another worker is applied once it is this old (later arrivals: in arrival order). */
const settleMs = 2_000;
/** Denials waiting to be applied, at most: past it the oldest half is applied at once. */
const incomingMax = 4096;
/** A batch of denials for the owner is sent early once it holds this many entries. */
export const batchMax = 256;

/** Wall-clock ms with sub-microsecond resolution, comparable across worker threads. */
export function aclNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sameDenial(a: AclLogEntry, b: AclLogEntry): boolean {
  return a.reason === b.reason && a.context === b.context && Math.abs(a.at - b.at) <= groupMs &&
    a.object === b.object && a.username === b.username;
}

/** addACLLogEntry on `log` (newest first); `e` may stand for e.count identical denials. */
export function recordInto(log: AclLogEntry[], e: AclLogEntry, maxLen: number): void {
  const scan = Math.min(log.length, scanMax);
  for (let i = 0; i < scan; i++) {
    const cur = log[i];
    if (!sameDenial(cur, e)) continue;
    cur.count += e.count;
    cur.at = e.at;
    cur.clientInfo = e.clientInfo;
    if (i > 0) {
      log.splice(i, 1);
      log.unshift(cur);
    }
    return;
  }
  log.unshift(e);
  while (log.length > maxLen) log.pop();
}

const byTime = (a: AclLogEntry, b: AclLogEntry) => a.at - b.at;

/** The owner's log: applied entries, and denials from other workers still waiting for their turn. */
export class AclLog {
  /** Applied entries, newest first. */
  entries: AclLogEntry[] = [];
  /** acllog-max-len. */
  maxLen = 128;
  /**
   * Earlier acllog-max-len values, oldest first, each with the time it was replaced: a denial is
   * applied with the length in force when it happened, even if it reached the owner after a change.
   */
  private limits: { until: number; maxLen: number }[] = [];
  /** Denials not yet applied, in arrival order. */
  private incoming: AclLogEntry[] = [];
  /** Every denial stamped at or before this is applied (or dropped by a reset). */
  private settledAt = 0;
  /** Denials stamped at or before the last ACL LOG RESET are dropped when they arrive. */
  private resetAt = 0;

  /** CONFIG SET acllog-max-len (the log is trimmed at its next new entry, as Redis). */
  setMaxLen(n: number, now: number): void {
    if (n === this.maxLen) return;
    this.limits.push({ until: now, maxLen: this.maxLen });
    if (this.limits.length > 64) this.limits.shift(); // only denials still in flight need them
    this.maxLen = n;
  }

  private maxLenAt(at: number): number {
    for (const l of this.limits) if (at <= l.until) return l.maxLen;
    return this.maxLen;
  }

  /** A denial on a server with one worker: applied at once. */
  add(e: AclLogEntry): void {
    recordInto(this.entries, e, this.maxLen);
  }

  /** A denial on a server with several workers (the owner's own, or sent by another worker). */
  receive(e: AclLogEntry, now: number): void {
    if (e.at <= this.resetAt) return;
    if (e.at <= this.settledAt) {
      recordInto(this.entries, e, this.maxLenAt(e.at)); // very late: takes its place by arrival
      return;
    }
    this.incoming.push(e);
    if (this.incoming.length > incomingMax) {
      this.incoming.sort(byTime);
      this.settle(this.incoming[this.incoming.length >> 1].at);
    } else if (this.incoming[0].at < now - settleMs) this.settle(now - settleMs);
  }

  /** Applies the waiting denials stamped at or before upTo, in time order. */
  private settle(upTo: number): void {
    const inc = this.incoming.sort(byTime);
    let n = 0;
    for (; n < inc.length && inc[n].at <= upTo; n++) recordInto(this.entries, inc[n], this.maxLenAt(inc[n].at));
    this.incoming = inc.slice(n);
    if (upTo > this.settledAt) this.settledAt = upTo;
    while (this.limits.length > 0 && this.limits[0].until < this.settledAt) this.limits.shift();
  }

  /** The newest `count` entries as the log stands, waiting denials included (copies). */
  view(count: number): AclLogEntry[] {
    if (this.incoming.length === 0) return this.entries.slice(0, count).map((e) => ({ ...e }));
    const copy = this.entries.map((e) => ({ ...e }));
    for (const e of [...this.incoming].sort(byTime)) recordInto(copy, { ...e }, this.maxLenAt(e.at));
    return copy.slice(0, count);
  }

  /** ACL LOG RESET; `at` is when it ran: denials stamped before it that arrive later are dropped. */
  reset(at: number): void {
    this.entries = [];
    this.incoming = this.incoming.filter((e) => e.at > at);
    if (at > this.resetAt) this.resetAt = at;
  }
}
