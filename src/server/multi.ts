// MULTI/EXEC: queueing and the atomic run of a transaction.
//
// Inside MULTI the dispatcher checks a command as usual (lookup, arity, auth, no-multi, OOM) and
// then queues a copy of its argv instead of running it; any refusal flags the transaction, and EXEC
// then answers EXECABORT (Redis's flagTransaction). EXEC, DISCARD, MULTI, WATCH, QUIT and RESET run
// at once. EXEC takes the lock of every shard a queued command touches, plus the shards of the
// session's watched keys, once each and in shard order (as dispatch's execute does for one
// command, so no two workers can deadlock), checks the watched keys, and runs the queued handlers
// directly under those locks: no other worker observes a partial transaction. While it runs,
// s.inExec tells blocking commands not to block. A handler that answers asynchronously (CONFIG SET,
// CLIENT LIST...) gets its slot in the reply array once its Promise settles: EXEC then returns a
// Promise of the whole reply, so bytes still leave in order.
// CLIENT REPLY inside EXEC behaves as in Redis: a reply written while replies are OFF (or skipped)
// is dropped, element by element, so the array header may promise more than follows.

import { aclExecDenied } from "../acl/state.ts";
import { AssertionError } from "../assert.ts";
import { Bits, type CommandSpec, LockMode, fullName, keyIndexesOf } from "../commands/spec.ts";
import { QUEUED } from "../resp/writer.ts";
import type { Exec, ReplyFn } from "./exec.ts";
import { log } from "./log.ts";
import { ReplyMode, type Session } from "./session.ts";
import { markWatchedShards, unwatchAll, watchedKeysChanged } from "./watch.ts";

/**
 * One session's transaction. The queued arguments are copied into one byte buffer (the parser
 * reuses its arrays) and rebuilt one command at a time at EXEC (argv): no allocation per argument
 * while queueing or running. A worker keeps one spare state, so MULTI allocates nothing in the
 * steady state. Measured: per-argument slice() copies were 19% of a MULTI/SET/INCR/GET/EXEC
 * profile, subarray() views at EXEC 20%.
 */
export class MultiState {
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  dirty = false;
  /** Union of the queued commands' flag bits (EXEC is refused on OOM when it holds denyoom). */
  bits = 0;
  count = 0;
  readonly specs: CommandSpec[] = [];
  readonly argcs: number[] = [];
  /** Index in `ends` of each queued command's first argument. */
  readonly firstArg: number[] = [];
  /** End offset in `bytes` of every queued argument, in order. */
  readonly ends: number[] = [];
  argTotal = 0;
  bytes = new Uint8Array(1024);
  used = 0;

  push(spec: CommandSpec, argv: Uint8Array[]): void {
    let need = this.used;
    for (let i = 0; i < argv.length; i++) need += argv[i].length;
    if (need > this.bytes.length) {
      const nb = new Uint8Array(Math.max(need, this.bytes.length * 2));
      nb.set(this.bytes.subarray(0, this.used));
      this.bytes = nb;
    }
    const b = this.bytes;
    let o = this.used;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a.length > 32) b.set(a, o);
      else for (let j = 0; j < a.length; j++) b[o + j] = a[j];
      o += a.length;
      this.ends[this.argTotal++] = o;
    }
    this.used = o;
    this.specs[this.count] = spec;
    this.firstArg[this.count] = this.argTotal - argv.length;
    this.argcs[this.count++] = argv.length;
    this.bits |= spec.bits!;
  }

  /**
   * argv of queued command i, rebuilt in this thread's reused arrays as the parser does (short
   * arguments copied into per (position, length) arrays, long ones as views): valid until the next
   * call, which is all a handler may rely on.
   */
  argv(i: number): Uint8Array[] {
    const argc = this.argcs[i];
    const argv = argc <= pooledArgsMax ? argvPool[argc] : new Array<Uint8Array>(argc);
    let k = this.firstArg[i];
    let start = k === 0 ? 0 : this.ends[k - 1];
    const b = this.bytes;
    for (let j = 0; j < argc; j++, k++) {
      const end = this.ends[k];
      const n = end - start;
      if (n <= pooledArgBytesMax && j < pooledArgsMax) {
        const v = argPool[j * (pooledArgBytesMax + 1) + n];
        for (let q = 0; q < n; q++) v[q] = b[start + q];
        argv[j] = v;
      } else argv[j] = b.subarray(start, end);
      start = end;
    }
    return argv;
  }

  reset(): void {
    this.dirty = false;
    this.bits = 0;
    this.count = 0;
    this.argTotal = 0;
    this.used = 0;
    if (this.bytes.length > 1 << 16) this.bytes = new Uint8Array(1024);
    if (this.ends.length > 4096) this.ends.length = 0;
    if (this.specs.length > 1024) this.specs.length = this.argcs.length = this.firstArg.length = 0;
  }
}

const pooledArgBytesMax = 64;
const pooledArgsMax = 24;
/** Per thread: argPool[k * 65 + n] holds argument k of length n while a queued command runs. */
const argPool: Uint8Array[] = [];
for (let k = 0; k < pooledArgsMax; k++) for (let n = 0; n <= pooledArgBytesMax; n++) argPool.push(new Uint8Array(n));
const argvPool: Uint8Array[][] = [];
for (let n = 0; n <= pooledArgsMax; n++) argvPool.push(new Array<Uint8Array>(n).fill(argPool[0]));

let spare: MultiState | null = null;

/** MULTI: a fresh transaction (the worker's spare one when there is one). */
export function beginMulti(s: Session): void {
  const m = spare ?? new MultiState();
  spare = null;
  s.multi = m;
}

function release(m: MultiState): void {
  m.reset();
  spare = m;
}

export const execAbortPrefix = "EXECABORT Transaction discarded because of: ";
export const execAbortDirty = "EXECABORT Transaction discarded because of previous errors.";

/** Commands that run at once inside MULTI instead of being queued (Redis's processCommand list). */
export function runsInMulti(spec: CommandSpec): boolean {
  const n = spec.full;
  return n === "exec" || n === "discard" || n === "multi" || n === "watch" || n === "quit" || n === "reset";
}

/** Inside MULTI every command but EXEC, DISCARD, QUIT and RESET is refused when memory is out. */
export function oomRefusedInMulti(s: Session, spec: CommandSpec): boolean {
  const n = spec.full;
  if (n === "exec") return (s.multi!.bits & Bits.denyoom) !== 0;
  return n !== "discard" && n !== "quit" && n !== "reset";
}

/** Queues argv (copied) and answers QUEUED. */
export function queueCommand(x: Exec, s: Session, spec: CommandSpec, argv: Uint8Array[]): void {
  s.multi!.push(spec, argv);
  s.lastCmd = spec.full!;
  x.out.raw(QUEUED);
}

export function isExecName(name: Uint8Array): boolean {
  return name.length === 4 && (name[0] | 32) === 101 && (name[1] | 32) === 120 && (name[2] | 32) === 101 && (name[3] | 32) === 99;
}

/**
 * The dispatcher refused argv before running it, after writing the error at `mark`: flags the
 * transaction, and a refused EXEC discards it and answers EXECABORT with the reason (Redis's
 * execCommandAbort: "ERR " is not part of the reason).
 */
export function commandRefused(x: Exec, s: Session, isExec: boolean, mark: number): void {
  if (!isExec) {
    if (s.multi !== null) s.multi.dirty = true;
    return;
  }
  const out = x.out;
  let reason = new TextDecoder("latin1").decode(out.buf.subarray(mark + 1, out.len - 2));
  if (reason.startsWith("ERR ")) reason = reason.slice(4);
  out.len = mark;
  out.error(execAbortPrefix + reason);
  out.errors--; // one refusal, one error
  discardTransaction(x, s);
}

/** Leaves MULTI (if in it) and unwatches every key. The caller holds no shard lock. */
export function discardTransaction(x: Exec, s: Session): void {
  if (s.multi !== null) release(s.multi);
  s.multi = null;
  unwatchAll(x.ks, s, false);
}

function dropping(mode: number): boolean {
  return mode === ReplyMode.off || mode === ReplyMode.skip;
}

let marks = new Uint8Array(64);

/** Marks the shards EXEC must lock: every queued command's keys, every watched key. */
function markShards(x: Exec, s: Session, m: MultiState): void {
  const ks = x.ks;
  if (marks.length < ks.shardCount) marks = new Uint8Array(ks.shardCount);
  for (let i = 0; i < m.count; i++) {
    const spec = m.specs[i];
    const mode = spec.lockMode!;
    if (mode === LockMode.none) continue;
    if (mode === LockMode.all || ks.shardCount === 1) {
      marks.fill(1, 0, ks.shardCount);
      break;
    }
    const argv = m.argv(i);
    if (spec.keyIndexes !== undefined) {
      for (const k of keyIndexesOf(spec, argv)) marks[ks.shardOf(argv[k])] = 1;
      continue;
    }
    // The first/last/step range, as dispatch's execute reads it (no array built).
    const last = Math.min(argv.length - 1, spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey);
    for (let k = spec.firstKey; k > 0 && k <= last; k += spec.step) marks[ks.shardOf(argv[k])] = 1;
  }
  markWatchedShards(s, marks);
}

type Piece = Uint8Array | { reply: Promise<ReplyFn>; drop: boolean };

/** EXEC inside MULTI (not dirty): runs the transaction. */
export function execTransaction(x: Exec): void | Promise<ReplyFn> {
  const s = x.s;
  const m = s.multi!;
  s.multi = null;
  const ks = x.ks;
  const out = x.out;
  const start = out.len;
  markShards(x, s, m);
  const n = ks.shardCount;
  for (let sh = 0; sh < n; sh++) if (marks[sh] === 1) ks.lock(sh);
  // The reply tracker: a transaction's replies (and a WATCH abort) may reflect any write to the shards
  // it locked, queued keyless commands included: wait for their whole logs.
  ks.touchedShards = -1;
  let pieces: Piece[] | null = null;
  try {
    const aborted = watchedKeysChanged(ks, s, ks.now);
    unwatchAll(ks, s, true); // Redis unwatches before running: the transaction's own writes are no change
    if (aborted) {
      if (!dropping(s.replyMode)) out.nullArray();
      s.replyFiltered = s.replyMode !== ReplyMode.on;
      return;
    }
    if (!dropping(s.replyMode)) out.arrayHeader(m.count);
    s.inExec = true;
    s.execCount = m.count;
    x.clock = performance.now();
    for (let i = 0; i < m.count; i++) {
      const r = runQueued(x, m.specs[i], m.argv(i));
      if (r === undefined && pieces === null) continue;
      if (pieces === null) pieces = [];
      if (out.len > start) pieces.push(out.buf.slice(start, out.len));
      out.len = start;
      if (r !== undefined) pieces.push({ reply: r, drop: dropping(s.replyMode) });
    }
  } finally {
    release(m);
    s.inExec = false;
    for (let sh = n - 1; sh >= 0; sh--) {
      if (marks[sh] === 1) {
        marks[sh] = 0;
        ks.unlock(sh);
      }
    }
  }
  if (pieces === null) {
    s.replyFiltered = s.replyMode !== ReplyMode.on;
    return;
  }
  return finishAsync(s, pieces);
}

/** Runs one queued command under EXEC's locks; its reply goes to x.out (or is dropped). */
function runQueued(x: Exec, spec: CommandSpec, argv: Uint8Array[]): Promise<ReplyFn> | undefined {
  const out = x.out;
  const s = x.s;
  const mark = out.len;
  const errorsBefore = out.errors;
  // ACL: the user may have changed since the command was queued (src/acl/state.ts).
  if (!s.aclAll) {
    const denied = aclExecDenied(x, s, spec, argv);
    if (denied !== null) {
      out.error(denied);
      if (dropping(s.replyMode)) out.len = mark;
      return undefined;
    }
  }
  x.ks.countHits = (spec.bits! & Bits.readonly) !== 0;
  const t0 = x.clock; // one clock read per command, as dispatch
  let r: Promise<ReplyFn> | undefined;
  x.effSpec = spec; // the shard log's delta effects (src/server/exec.ts effSpec)
  x.effArgv = argv;
  x.effect = null;
  x.effLogged = false;
  try {
    r = spec.handler(x, argv) as Promise<ReplyFn> | undefined;
  } catch (e) {
    if (e instanceof AssertionError) throw e;
    log("warning", `internal error in '${fullName(spec)}': ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    out.error(`ERR internal error in '${fullName(spec)}'`);
    r = undefined;
  }
  x.effSpec = null;
  x.clock = performance.now();
  const usec = (x.clock - t0) * 1000;
  x.stats.command(spec.id!, usec);
  if (out.errors !== errorsBefore) x.stats.commandFailed(spec.id!);
  // As Redis's call(): each command of the transaction is a slow-log entry of its own.
  const slower = x.cfg.slowlogLogSlowerThan;
  if (usec >= slower && slower >= 0 && (spec.bits! & Bits.skipSlowlog) === 0) {
    x.slowlog.push(argv, usec, x.ks.now, s.addr, s.name, x.cfg.slowlogMaxLen);
  }
  if (r === undefined && dropping(s.replyMode)) out.len = mark;
  return r;
}

/** Some queued command answers later: the whole EXEC reply is written once all have settled. */
function finishAsync(s: Session, pieces: Piece[]): Promise<ReplyFn> {
  const waits: Promise<ReplyFn>[] = [];
  for (const p of pieces) if (!(p instanceof Uint8Array)) waits.push(p.reply);
  return Promise.all(waits).then((fns) => (x2: Exec) => {
    let k = 0;
    for (const p of pieces) {
      if (p instanceof Uint8Array) {
        x2.out.raw(p);
        continue;
      }
      const mark = x2.out.len;
      fns[k++](x2);
      if (p.drop) x2.out.len = mark;
    }
    s.replyFiltered = s.replyMode !== ReplyMode.on;
  });
}
