// Command dispatch: the per-command path from a parsed argv to a reply.
//
// Order of checks follows Redis's processCommand: lookup (unknown command / subcommand), arity,
// authentication, then the OOM gate (eviction first) for commands flagged denyoom, then execution
// under the locks of the shards the keys live on. Rejections count as rejected_calls, errors written
// by the handler as failed_calls. A handler may return a Promise of a ReplyFn (cross-worker work,
// client pause): the session then waits for it before running the next buffered command, so replies
// always leave in request order. No lock is held across an await.

import { Bits, type CommandSpec, LockMode } from "../commands/spec.ts";
import { fullName } from "../commands/spec.ts";
import type { Exec, ReplyFn } from "./exec.ts";
import { ReplyMode, type Session } from "./session.ts";
import { Stat } from "./stats.ts";
import { performEvictions } from "../keyspace/evict.ts";
import { AssertionError } from "../assert.ts";
import { log } from "./log.ts";
import { latin1 as latin1Str } from "../commands/util.ts";
import { isSubscribed } from "./pubsub.ts";
import { blockingReady, serveReadyKeys } from "./blocking.ts";
import { aclDenied } from "../acl/state.ts";
import { commandRefused, isExecName, oomRefusedInMulti, queueCommand, runsInMulti } from "./multi.ts";

/** Decodes like C's "%.*s" on a C string: stops at the first NUL, at most `max` bytes. */
function latin1(b: Uint8Array, max = Infinity): string {
  let end = Math.min(b.length, max);
  const nul = b.subarray(0, end).indexOf(0);
  if (nul >= 0) end = nul;
  return latin1Str(b.subarray(0, end));
}

export function unknownCommandError(argv: Uint8Array[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${latin1(argv[i], 128 - args.length)}' `;
  }
  return `ERR unknown command '${latin1(argv[0], 128)}', with args beginning with: ${args}`;
}

export function arityError(spec: CommandSpec): string {
  return `ERR wrong number of arguments for '${fullName(spec)}' command`;
}

function arityOk(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity;
}

/** Resolves the spec for argv, writing the error reply when there is none. */
export function resolveCommand(x: Exec, argv: Uint8Array[], hint: CommandSpec | null = null): CommandSpec | null {
  let spec = hint ?? x.table.lookup(argv[0]);
  if (!spec) {
    x.out.error(unknownCommandError(argv));
    return null;
  }
  if (spec.subcommands && spec.subcommands.length > 0) {
    if (argv.length === 1) {
      // A container callable bare (COMMAND) runs its own handler; the others need a subcommand.
      if (!arityOk(spec.arity, 1)) {
        x.out.error(arityError(spec));
        x.stats.commandRejected(spec.id!);
        return null;
      }
      return spec;
    }
    const sub = x.table.lookupSub(spec, argv[1]);
    if (!sub) {
      x.out.error(
        `ERR unknown subcommand '${latin1(argv[1], 128)}'. Try ${spec.name.toUpperCase()} HELP.`,
      );
      x.stats.commandRejected(spec.id!);
      return null;
    }
    spec = sub;
  }
  if (!arityOk(spec.arity, argv.length)) {
    x.out.error(arityError(spec));
    x.stats.commandRejected(spec.id!);
    return null;
  }
  return spec;
}

/**
 * Runs one command for session s. Returns a Promise when the reply is asynchronous (the caller
 * pauses the session until it settles), otherwise undefined.
 */
export function dispatch(x: Exec, s: Session, argv: Uint8Array[], hint: CommandSpec | null = null): Promise<ReplyFn> | undefined {
  x.s = s;
  const out = x.out;
  const mark = out.len;
  const errorsBefore = out.errors;
  const spec = resolveCommand(x, argv, hint);
  if (spec === null) {
    commandRefused(x, s, isExecName(argv[0]), mark); // MULTI: flags the transaction
    finishReply(x, s, mark);
    countError(x, errorsBefore);
    return undefined;
  }
  const bits = spec.bits!;
  if (!s.authenticated && (bits & Bits.noauth) === 0 && !x.acl.store.defaultNoAuth) {
    return reject(x, s, spec, mark, errorsBefore, "NOAUTH Authentication required.");
  }
  if (s.multi !== null && (bits & Bits.noMulti) !== 0 && !runsInMulti(spec)) {
    return reject(x, s, spec, mark, errorsBefore, "ERR Command not allowed inside a transaction");
  }
  // ACL (src/acl/state.ts): a user allowed everything costs one field test.
  if (!s.aclAll && (bits & Bits.noauth) === 0) {
    const denied = aclDenied(x, s, spec, argv, s.multi !== null ? "multi" : "toplevel");
    if (denied !== null) return reject(x, s, spec, mark, errorsBefore, denied);
  }
  // EXEC waits for a write pause when it queued writes (Redis looks at the transaction's flags).
  if (x.pauseUntilMs > 0 && isPausedFor(x, s.multi !== null && spec.full === "exec" ? bits | s.multi.bits : bits)) return waitForUnpause(x, s, argv);
  // One clock read per command: a command starts where the previous one ended (x.clock; the
  // session loop reads the clock once per batch), so its time includes its own parsing.
  const t0 = x.clock;
  x.ks.now = Math.floor(t0 + x.clockOffsetMs);
  // As Redis: with maxmemory set, every command first evicts what it must; only commands that
  // may grow memory (denyoom) are refused when nothing could be freed.
  // Inside MULTI queueing itself is refused (src/server/multi.ts oomRefusedInMulti).
  if (x.cfg.maxmemory > 0 && !performEvictions(x) && ((bits & Bits.denyoom) !== 0 || (s.multi !== null && oomRefusedInMulti(s, spec)))) {
    return reject(x, s, spec, mark, errorsBefore, "OOM command not allowed when used memory > 'maxmemory'.");
  }
  // durability async bounds what a crash may lose: writes wait out a log that fell too far behind.
  // A log that cannot be written refuses writes (Redis's MISCONF for a failing AOF); those already
  // executed keep waiting for durability in the reply tracker.
  if ((bits & Bits.write) !== 0 && x.durable !== null) {
    const failure = x.durable.failure();
    if (failure !== null) return reject(x, s, spec, mark, errorsBefore, `MISCONF Errors writing to the shard log: ${failure}`);
    if (x.cfg.durability === "async") {
      const lag = x.durable.lagMs();
      if (lag > x.cfg.durabilityAsyncMaxLagMs) {
        return reject(x, s, spec, mark, errorsBefore, `NOTDURABLE Write refused: the shard log is ${lag} ms behind (durability-async-max-lag-ms is ${x.cfg.durabilityAsyncMaxLagMs})`);
      }
    }
  }
  // RESP2 subscribed mode (src/server/pubsub.ts): only the pub/sub commands, PING, QUIT and RESET.
  if (s.subs !== null && s.resp === 2 && !allowedWhileSubscribed(spec) && isSubscribed(s)) {
    return reject(x, s, spec, mark, errorsBefore,
      `ERR Can't execute '${spec.full}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
  }
  if (s.multi !== null && !runsInMulti(spec)) {
    queueCommand(x, s, spec, argv); // MULTI: answers QUEUED, EXEC runs it (src/server/multi.ts)
    finishReply(x, s, mark);
    return undefined;
  }
  const ks = x.ks;
  ks.countHits = (bits & Bits.readonly) !== 0;
  let r: Promise<ReplyFn> | undefined;
  // The running command, for the shard log's delta effects (src/server/exec.ts effSpec).
  x.effSpec = spec;
  x.effArgv = argv;
  x.effect = null;
  x.effLogged = false;
  try {
    r = execute(x, spec, argv);
  } catch (e) {
    // An assertion is our invariant broken: crash the actor. Anything else is a handler bug that
    // one input triggered: log it loudly and answer that client with an error, keep serving others.
    if (e instanceof AssertionError) throw e;
    log("warning", `internal error in '${fullName(spec)}': ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    out.error(`ERR internal error in '${fullName(spec)}'`);
    r = undefined;
  }
  x.effSpec = null;
  const t1 = performance.now();
  x.clock = t1;
  const usec = (t1 - t0) * 1000;
  if (ks.hits !== 0 || ks.misses !== 0 || ks.expiredKeys !== 0) flushKeyspaceCounters(x);
  x.stats.command(spec.id!, usec);
  s.lastCmd = spec.full!;
  s.commandsProcessed++;
  if (out.errors !== errorsBefore) {
    x.stats.commandFailed(spec.id!);
    countError(x, errorsBefore);
  }
  if (usec >= x.cfg.slowlogLogSlowerThan && x.cfg.slowlogLogSlowerThan >= 0 && (bits & Bits.skipSlowlog) === 0) {
    x.slowlog.push(argv, usec, x.ks.now, s.addr, s.name, x.cfg.slowlogMaxLen);
  }
  // Blocked clients on keys this command made ready are served now (src/server/blocking.ts).
  if (blockingReady.n !== 0 && !s.inExec) r = serveReadyKeys(x, s, mark, r);
  if (r !== undefined) return r;
  finishReply(x, s, mark);
  return undefined;
}

/** What a RESP2 client with subscriptions may still run (Redis 7.0's processCommand). */
function allowedWhileSubscribed(spec: CommandSpec): boolean {
  switch (spec.full) {
    case "subscribe": case "ssubscribe": case "psubscribe":
    case "unsubscribe": case "sunsubscribe": case "punsubscribe":
    case "ping": case "quit": case "reset":
      return true;
    default:
      return false;
  }
}

/** Refuses a resolved command before it runs (rejected_calls, errorstats). */
function reject(x: Exec, s: Session, spec: CommandSpec, mark: number, errorsBefore: number, msg: string): undefined {
  x.out.error(msg);
  commandRefused(x, s, spec.full === "exec", mark); // MULTI: flags the transaction
  x.stats.commandRejected(spec.id!);
  finishReply(x, s, mark);
  countError(x, errorsBefore);
  return undefined;
}

/** Moves the keyspace's per-command counters into the shared stats. */
export function flushKeyspaceCounters(x: Exec): void {
  const ks = x.ks;
  x.stats.add(Stat.keyspaceHits, ks.hits);
  x.stats.add(Stat.keyspaceMisses, ks.misses);
  x.stats.add(Stat.expiredKeys, ks.expiredKeys);
  ks.hits = ks.misses = ks.expiredKeys = 0;
}

function countError(x: Exec, errorsBefore: number): void {
  if (x.out.errors !== errorsBefore) {
    x.stats.add(Stat.errorReplies, x.out.errors - errorsBefore);
    x.stats.error(x.out.lastErrorCode);
  }
}

/** Applies CLIENT REPLY OFF/SKIP: drops what the command wrote. */
export function finishReply(x: Exec, s: Session, mark: number): void {
  if (s.replyMode === ReplyMode.on) return;
  // EXEC dropped the replies written while OFF itself (element by element, as Redis).
  if (s.replyFiltered) s.replyFiltered = false;
  else x.out.len = mark;
  // CLIENT REPLY SKIP itself is silent and arms the skip for the command after it.
  if (s.replyMode === ReplyMode.skipNext) s.replyMode = ReplyMode.skip;
  else if (s.replyMode === ReplyMode.skip) s.replyMode = ReplyMode.on;
}

/** Locks the shards argv's keys live on, runs the handler, unlocks. */
export function execute(x: Exec, spec: CommandSpec, argv: Uint8Array[]): Promise<ReplyFn> | undefined {
  const ks = x.ks;
  const mode = spec.lockMode!;
  if (mode === LockMode.none) return spec.handler(x, argv) as Promise<ReplyFn> | undefined;
  if (ks.shardCount === 1 || mode === LockMode.all) {
    if (ks.shardCount === 1) ks.lock(0);
    else ks.lockAll();
    // The reply tracker (src/server/durable.ts): keyed commands are tracked per key as they route;
    // a keyless one (KEYS, SCAN, DBSIZE, RANDOMKEY...) may read anything in the shards it locks.
    if (mode === LockMode.all || !spec.hasKeys) ks.touchedShards = -1;
    try {
      return spec.handler(x, argv) as Promise<ReplyFn> | undefined;
    } finally {
      if (ks.shardCount === 1) ks.unlock(0);
      else ks.unlockAll();
    }
  }
  // Several shards: lock each involved shard once, in shard order (no allocation for the common
  // first/last/step specs; x.lockScratch marks the shards).
  const marks = x.lockScratch;
  let single = -1;
  let many = false;
  const ki = spec.keyIndexes ? spec.keyIndexes(argv) : null; // only specs with movable keys allocate
  const last = Math.min(argv.length - 1, spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey);
  const count = ki !== null ? ki.length : last >= spec.firstKey ? Math.floor((last - spec.firstKey) / spec.step) + 1 : 0;
  for (let j = 0; j < count; j++) {
    const sh = ks.shardOf(argv[ki !== null ? ki[j] : spec.firstKey + j * spec.step]);
    if (single < 0) single = sh;
    else if (sh !== single) many = true;
    marks[sh] = 1;
  }
  if (!many) {
    if (single >= 0) marks[single] = 0;
    if (single < 0) return spec.handler(x, argv) as Promise<ReplyFn> | undefined;
    ks.lock(single);
    try {
      return spec.handler(x, argv) as Promise<ReplyFn> | undefined;
    } finally {
      ks.unlock(single);
    }
  }
  for (let sh = 0; sh < ks.shardCount; sh++) {
    if (marks[sh] === 1) ks.lock(sh);
  }
  try {
    return spec.handler(x, argv) as Promise<ReplyFn> | undefined;
  } finally {
    for (let sh = ks.shardCount - 1; sh >= 0; sh--) {
      if (marks[sh] === 1) {
        marks[sh] = 0;
        ks.unlock(sh);
      }
    }
  }
}

function isPausedFor(x: Exec, bits: number): boolean {
  if (Date.now() >= x.pauseUntilMs) {
    x.pauseUntilMs = 0;
    return false;
  }
  if (!x.pauseWritesOnly) return true;
  return (bits & Bits.write) !== 0;
}

/** CLIENT PAUSE: the command runs when the pause ends (or is lifted). */
function waitForUnpause(x: Exec, s: Session, argv: Uint8Array[]): Promise<ReplyFn> {
  const copy = argv.map((a) => a.slice());
  return new Promise<ReplyFn>((resolve) => {
    const poll = () => {
      if (x.pauseUntilMs === 0 || Date.now() >= x.pauseUntilMs) {
        resolve((x2) => {
          x2.pauseUntilMs = x2.pauseUntilMs !== 0 && Date.now() >= x2.pauseUntilMs ? 0 : x2.pauseUntilMs;
          const r = dispatch(x2, s, copy);
          if (r) throw new Error("dispatch: nested async reply after pause");
        });
      } else setTimeout(poll, Math.min(10, Math.max(1, x.pauseUntilMs - Date.now())));
    };
    poll();
  });
}
