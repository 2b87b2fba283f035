// Command specs: one entry per command, as data (style.md rule 1). The facts (arity, flags, key
// positions, ACL categories) are Redis 7's; a test diffs them against COMMAND INFO of redis-server.
//
// arity: N means exactly N args including the name, -N means at least N.
// keys: firstKey/lastKey/step as in COMMAND INFO (lastKey -1 = last arg, -2 = one before...). A
// command whose keys are not a simple range (numkeys, options) supplies `keyIndexes`.
// `shards`: "keys" (lock the shards its keys live on), "all" (lock every shard: KEYS, FLUSHALL...),
// "none" (touches no keyspace state under lock).

import type { Exec, ReplyFn } from "../server/exec.ts";

/** Writes the reply now, or returns a Promise of the function that writes it (see dispatch.ts). */
export type Handler = (x: Exec, argv: Uint8Array[]) => void | Promise<ReplyFn>;

export interface CommandSpec {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  acl: string[];
  handler: Handler;
  shards?: "keys" | "all" | "none";
  keyIndexes?: (argv: Uint8Array[]) => number[];
  subcommands?: CommandSpec[];
  /** Filled by the registry. */
  id?: number;
  /** Bit flags derived from `flags` for the hot path. */
  bits?: number;
  /** Parent command for subcommands ("config" for "config|get"). */
  parent?: CommandSpec;
  /** Filled by the registry from `shards` and the key positions: LockMode. */
  lockMode?: number;
  /** Filled by the registry: the command names keys (key positions or keyIndexes). */
  hasKeys?: boolean;
  /** Filled by the registry: "get", or "config|get" for a subcommand. */
  full?: string;
  /**
   * Set by the shard log (src/server/durable.ts deltaCommands): the command changes only its key
   * argv[1], deterministically given that key's previous state (after its handler's setEffect), so
   * the change of a large value may be logged as the command instead of the whole value.
   */
  delta?: boolean;
}

/**
 * Commands whose change to their key argv[1] may be logged as the command itself (CommandSpec.delta):
 * single-key, and deterministic given the key's previous state once the handler has rewritten what is
 * not (SPOP logs SREM of the chosen members, XADD its assigned ID and exact trim, XTRIM its exact
 * trim, HINCRBYFLOAT an HSET of the result, ZINCRBY a ZADD of the resulting score). Replay runs them
 * through their handlers (src/log/replay.ts), which refuses any other command.
 */
export const deltaCommandNames: ReadonlySet<string> = new Set([
  "hset", "hmset", "hsetnx", "hdel", "hincrby", "hincrbyfloat",
  "sadd", "srem", "spop",
  "zadd", "zincrby", "zrem", "zremrangebyscore", "zremrangebyrank", "zremrangebylex",
  "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "lset", "linsert", "lrem", "ltrim",
  "xadd", "xdel", "xtrim", "xack",
  "setrange", "append", "setbit", "pfadd",
]);

/** What the dispatcher locks for a command (derived once per spec). */
export const LockMode = { none: 0, keys: 1, all: 2 } as const;

export function lockModeOf(spec: CommandSpec): number {
  const mode = spec.shards ?? (spec.firstKey > 0 || spec.keyIndexes ? "keys" : "none");
  return mode === "all" ? LockMode.all : mode === "keys" ? LockMode.keys : LockMode.none;
}

export const Bits = {
  write: 1,
  readonly: 2,
  denyoom: 4,
  admin: 8,
  pubsub: 16,
  noscript: 32,
  loading: 64,
  stale: 128,
  fast: 256,
  noauth: 512,
  allowBusy: 1024,
  noMulti: 2048,
  skipMonitor: 4096,
  skipSlowlog: 8192,
  blocking: 16384,
  movableKeys: 32768,
} as const;

const flagBits: Record<string, number> = {
  write: Bits.write,
  readonly: Bits.readonly,
  denyoom: Bits.denyoom,
  admin: Bits.admin,
  pubsub: Bits.pubsub,
  noscript: Bits.noscript,
  loading: Bits.loading,
  stale: Bits.stale,
  fast: Bits.fast,
  no_auth: Bits.noauth,
  allow_busy: Bits.allowBusy,
  no_multi: Bits.noMulti,
  skip_monitor: Bits.skipMonitor,
  skip_slowlog: Bits.skipSlowlog,
  blocking: Bits.blocking,
  movablekeys: Bits.movableKeys,
};

export function flagsToBits(flags: string[]): number {
  let b = 0;
  for (const f of flags) b |= flagBits[f] ?? 0;
  return b;
}

/** Builds a spec with less noise: cmd("get", 2, "readonly fast", 1, 1, 1, "@read @string fast", fn). */
export function cmd(
  name: string,
  arity: number,
  flags: string,
  firstKey: number,
  lastKey: number,
  step: number,
  acl: string,
  handler: Handler,
  extra?: Partial<CommandSpec>,
): CommandSpec {
  return {
    name,
    arity,
    flags: flags ? flags.split(" ") : [],
    firstKey,
    lastKey,
    step,
    acl: acl ? acl.split(" ") : [],
    handler,
    ...extra,
  };
}

/** Indexes of the key arguments of argv under `spec` (simple ranges or keyIndexes). */
export function keyIndexesOf(spec: CommandSpec, argv: Uint8Array[]): number[] {
  if (spec.keyIndexes) return spec.keyIndexes(argv);
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) out.push(i);
  return out;
}

/** "get", or "config|get" for a subcommand. */
export function fullName(spec: CommandSpec): string {
  return spec.full ?? (spec.parent ? `${spec.parent.name}|${spec.name}` : spec.name);
}
