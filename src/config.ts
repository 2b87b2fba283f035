// Server settings: Redis's directive names, types, units and defaults, read from a redis.conf-style
// file and `--name value` flags, read and changed at run time by CONFIG GET / CONFIG SET.
//
// Design:
// - SETTINGS is the one table (data, not code paths): name, aliases, kind, default, bounds and
//   whether CONFIG SET may change it. Parsing, formatting, CONFIG GET, CONFIG SET and the worker
//   snapshot are all driven by it, so a new setting is one row plus one field in `Settings`.
// - Values live as plain fields on `Config` (`config.maxmemory`, `config.port`) so hot paths read a
//   property, never a map. Fields are written only through the table (load, set, fromJSON); array
//   and object values are frozen and replaced whole, so a reader holding an old one never sees it
//   change under it.
// - Numbers are JS numbers. Ranges are checked on BigInt before conversion, with Redis's integer
//   rules (string2ll for integers, memtoull for memory values, including its quirks), so every
//   accepted and refused input matches redis-server 7.0. A value beyond 2^53 keeps its exact text
//   beside the number so CONFIG GET still prints Redis's digits.
// - CONFIG SET is all or nothing, in Redis 7.0's three phases: check names (unknown, immutable,
//   protected, duplicate), parse and store every value (restore all on the first failure), then run
//   the change hooks once each (a hook may veto; then every value and already-run hook is restored).
// - An alias is its own entry, as in 7.0: CONFIG GET with a pattern lists both names, and setting a
//   name and its alias in one CONFIG SET is not a duplicate (the later one wins).
// - File parsing never recurses: `include` is expanded with an explicit stack that refuses cycles
//   and bounds depth.

import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { stringMatchStr } from "../native-free/glob.ts";
import { assert } from "./assert.ts";

// ---------------------------------------------------------------------------------------------
// Value types

export type MaxmemoryPolicy =
  | "volatile-lru"
  | "volatile-lfu"
  | "volatile-random"
  | "volatile-ttl"
  | "allkeys-lru"
  | "allkeys-lfu"
  | "allkeys-random"
  | "noeviction";
export type LogLevel = "debug" | "verbose" | "notice" | "warning";
/** tls-auth-clients: whether a TLS client must present a certificate the CA signed. */
export type TlsAuthClients = "no" | "yes" | "optional";
/** memkeep's own: when a write's reply may leave relative to its log record being durable. */
export type Durability = "sync" | "async" | "none";

export interface OutputBufferLimit {
  readonly hardBytes: number;
  readonly softBytes: number;
  readonly softSeconds: number;
}
/** Redis's client classes; CONFIG GET prints `replica` as `slave`, as 7.0 does. */
export interface OutputBufferLimits {
  readonly normal: OutputBufferLimit;
  readonly replica: OutputBufferLimit;
  readonly pubsub: OutputBufferLimit;
}
export interface SavePoint {
  readonly seconds: number;
  readonly changes: number;
}

/** Keyspace notification classes (bit values as in Redis's server.h). */
export const NOTIFY = {
  keyspace: 1 << 0, // K
  keyevent: 1 << 1, // E
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m
  module: 1 << 13, // d
  newKey: 1 << 14, // n
} as const;
/** `A`: every class except m and n. */
export const NOTIFY_ALL =
  NOTIFY.generic | NOTIFY.string | NOTIFY.list | NOTIFY.set | NOTIFY.hash | NOTIFY.zset |
  NOTIFY.expired | NOTIFY.evicted | NOTIFY.stream | NOTIFY.module;

/** Every setting, by field name (camelCase of the directive). */
export interface Settings {
  port: number;
  bind: readonly string[];
  protectedMode: boolean;
  dir: string;
  shardWorkers: number;
  databases: number;
  maxclients: number;
  maxmemory: number;
  maxmemoryPolicy: MaxmemoryPolicy;
  maxmemoryClients: number;
  maxmemorySamples: number;
  maxmemoryEvictionTenacity: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  clientOutputBufferLimit: OutputBufferLimits;
  requirepass: string;
  aclfile: string;
  acllogMaxLen: number;
  aclPubsubDefault: string;
  timeout: number;
  tcpKeepalive: number;
  tcpBacklog: number;
  hz: number;
  dynamicHz: boolean;
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  latencyMonitorThreshold: number;
  notifyKeyspaceEvents: number;
  activeExpireEffort: number;
  lazyfreeLazyEviction: boolean;
  lazyfreeLazyExpire: boolean;
  lazyfreeLazyServerDel: boolean;
  lazyfreeLazyUserDel: boolean;
  lazyfreeLazyUserFlush: boolean;
  clusterEnabled: boolean;
  appendonly: boolean;
  save: readonly SavePoint[];
  loglevel: LogLevel;
  logfile: string;
  daemonize: boolean;
  pidfile: string;
  ioThreads: number;
  tlsPort: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  tlsKeyFilePass: string;
  tlsCaCertFile: string;
  tlsAuthClients: TlsAuthClients;
  tlsProtocols: string;
  tlsCiphers: string;
  tlsCiphersuites: string;
  allowCidr: string;
  durability: Durability;
  durabilityAsyncMaxLagMs: number;
  logSegmentBytes: number;
  logBufferBytes: number;
  snapshotLogBytes: number;
  snapshotIntervalSeconds: number;
  encryptionAtRest: boolean;
  encryptionKeyFile: string;
  listMaxListpackSize: number;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  streamNodeMaxBytes: number;
  streamNodeMaxEntries: number;
  hllSparseMaxBytes: number;
  activerehashing: boolean;
  replicaReadOnly: boolean;
}

type FieldOf<T> = { [K in keyof Settings]: Settings[K] extends T ? K : never }[keyof Settings];
type SettingValue = Settings[keyof Settings];

// ---------------------------------------------------------------------------------------------
// The table

/** mutable: CONFIG SET may change it; immutable / protected: CONFIG SET refuses, as 7.0 does. */
export type SetMode = "mutable" | "immutable" | "protected";

interface SpecBase {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly mode: SetMode;
  /** Redacted from SLOWLOG / MONITOR by the server (Redis's SENSITIVE_CONFIG). */
  readonly sensitive?: boolean;
  /** CONFIG SET runs its hooks even when the value is unchanged (TLS files: set again to reload). */
  readonly reapply?: boolean;
}
export type SettingSpec =
  | (SpecBase & { readonly kind: "bool"; readonly field: FieldOf<boolean>; readonly default: boolean })
  | (SpecBase & {
      readonly kind: "int";
      readonly field: FieldOf<number>;
      readonly default: number;
      readonly min: bigint;
      readonly max: bigint;
      /** Accepted range is min..max, then stored clamped to this (Redis does so for hz). */
      readonly clamp?: readonly [number, number];
    })
  | (SpecBase & {
      readonly kind: "memory";
      readonly field: FieldOf<number>;
      readonly default: number;
      readonly min: bigint;
      readonly max: bigint;
    })
  | (SpecBase & {
      readonly kind: "enum";
      readonly field: FieldOf<string>;
      readonly default: string;
      readonly values: readonly string[];
    })
  | (SpecBase & {
      readonly kind: "string";
      readonly field: FieldOf<string>;
      readonly default: string;
      /** Stored as an absolute path (CONFIG GET dir prints an absolute path, as Redis does). */
      readonly path?: boolean;
    })
  | (SpecBase & { readonly kind: "obuf"; readonly field: "clientOutputBufferLimit"; readonly default: OutputBufferLimits })
  | (SpecBase & { readonly kind: "bind"; readonly field: "bind"; readonly default: readonly string[] })
  | (SpecBase & { readonly kind: "save"; readonly field: "save"; readonly default: readonly SavePoint[] })
  | (SpecBase & { readonly kind: "notify"; readonly field: "notifyKeyspaceEvents"; readonly default: number });

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LLONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;
const MB = 1024 * 1024;
/** Redis's CONFIG_BINDADDR_MAX. */
const bindAddressesMax = 16;
const shardWorkersMax = 32; // the reply tracker keeps one bit per shard in a 32-bit mask

const defaultShardWorkers = Math.min(shardWorkersMax, Math.max(1, availableParallelism() - 1));

const defaultOutputBufferLimits: OutputBufferLimits = Object.freeze({
  normal: Object.freeze({ hardBytes: 0, softBytes: 0, softSeconds: 0 }),
  replica: Object.freeze({ hardBytes: 256 * MB, softBytes: 64 * MB, softSeconds: 60 }),
  pubsub: Object.freeze({ hardBytes: 32 * MB, softBytes: 8 * MB, softSeconds: 60 }),
});

const maxmemoryPolicies: readonly MaxmemoryPolicy[] = [
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "noeviction",
];

/**
 * Defaults and bounds are redis-server 7.0.15's compiled ones (CONFIG GET on a fresh server), except
 * where memkeep differs on purpose: bind (loopback), dir (./data), save (none), and memkeep's own
 * shard-workers, durability and allow-cidr settings.
 */
export const SETTINGS: readonly SettingSpec[] = [
  { name: "port", kind: "int", field: "port", default: 6379, min: 0n, max: 65535n, mode: "mutable" },
  { name: "bind", kind: "bind", field: "bind", default: Object.freeze(["127.0.0.1"]), mode: "mutable" },
  { name: "protected-mode", kind: "bool", field: "protectedMode", default: true, mode: "mutable" },
  { name: "dir", kind: "string", field: "dir", default: "./data", path: true, mode: "protected" },
  { name: "shard-workers", kind: "int", field: "shardWorkers", default: defaultShardWorkers, min: 1n, max: BigInt(shardWorkersMax), mode: "immutable" },
  // memkeep keeps the physical db id in 8 bits of a table slot: 256 databases at most (Redis: INT_MAX).
  { name: "databases", kind: "int", field: "databases", default: 16, min: 1n, max: 256n, mode: "immutable" },
  { name: "maxclients", kind: "int", field: "maxclients", default: 10000, min: 1n, max: UINT_MAX, mode: "mutable" },
  { name: "maxmemory", kind: "memory", field: "maxmemory", default: 0, min: 0n, max: ULLONG_MAX, mode: "mutable" },
  { name: "maxmemory-policy", kind: "enum", field: "maxmemoryPolicy", default: "noeviction", values: maxmemoryPolicies, mode: "mutable" },
  { name: "maxmemory-clients", kind: "memory", field: "maxmemoryClients", default: 0, min: 0n, max: ULLONG_MAX, mode: "mutable" },
  { name: "maxmemory-samples", kind: "int", field: "maxmemorySamples", default: 5, min: 1n, max: INT_MAX, mode: "mutable" },
  { name: "maxmemory-eviction-tenacity", kind: "int", field: "maxmemoryEvictionTenacity", default: 10, min: 0n, max: 100n, mode: "mutable" },
  { name: "lfu-log-factor", kind: "int", field: "lfuLogFactor", default: 10, min: 0n, max: INT_MAX, mode: "mutable" },
  { name: "lfu-decay-time", kind: "int", field: "lfuDecayTime", default: 1, min: 0n, max: INT_MAX, mode: "mutable" },
  { name: "proto-max-bulk-len", kind: "memory", field: "protoMaxBulkLen", default: 512 * MB, min: BigInt(MB), max: LLONG_MAX, mode: "mutable" },
  { name: "client-query-buffer-limit", kind: "memory", field: "clientQueryBufferLimit", default: 1024 * MB, min: BigInt(MB), max: LLONG_MAX, mode: "mutable" },
  { name: "client-output-buffer-limit", kind: "obuf", field: "clientOutputBufferLimit", default: defaultOutputBufferLimits, mode: "mutable" },
  { name: "requirepass", kind: "string", field: "requirepass", default: "", sensitive: true, mode: "mutable" },
  { name: "aclfile", kind: "string", field: "aclfile", default: "", mode: "immutable" },
  { name: "acl-pubsub-default", kind: "enum", field: "aclPubsubDefault", default: "resetchannels", values: ["allchannels", "resetchannels"], mode: "mutable" },
  { name: "acllog-max-len", kind: "int", field: "acllogMaxLen", default: 128, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "timeout", kind: "int", field: "timeout", default: 0, min: 0n, max: INT_MAX, mode: "mutable" },
  { name: "tcp-keepalive", kind: "int", field: "tcpKeepalive", default: 300, min: 0n, max: INT_MAX, mode: "mutable" },
  { name: "tcp-backlog", kind: "int", field: "tcpBacklog", default: 511, min: 0n, max: INT_MAX, mode: "immutable" },
  { name: "hz", kind: "int", field: "hz", default: 10, min: 0n, max: INT_MAX, clamp: [1, 500], mode: "mutable" },
  { name: "dynamic-hz", kind: "bool", field: "dynamicHz", default: true, mode: "mutable" },
  { name: "slowlog-log-slower-than", kind: "int", field: "slowlogLogSlowerThan", default: 10000, min: -1n, max: LLONG_MAX, mode: "mutable" },
  { name: "slowlog-max-len", kind: "int", field: "slowlogMaxLen", default: 128, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "latency-monitor-threshold", kind: "int", field: "latencyMonitorThreshold", default: 0, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "notify-keyspace-events", kind: "notify", field: "notifyKeyspaceEvents", default: 0, mode: "mutable" },
  { name: "active-expire-effort", kind: "int", field: "activeExpireEffort", default: 1, min: 1n, max: 10n, mode: "mutable" },
  { name: "lazyfree-lazy-eviction", kind: "bool", field: "lazyfreeLazyEviction", default: false, mode: "mutable" },
  { name: "lazyfree-lazy-expire", kind: "bool", field: "lazyfreeLazyExpire", default: false, mode: "mutable" },
  { name: "lazyfree-lazy-server-del", kind: "bool", field: "lazyfreeLazyServerDel", default: false, mode: "mutable" },
  { name: "lazyfree-lazy-user-del", kind: "bool", field: "lazyfreeLazyUserDel", default: false, mode: "mutable" },
  { name: "lazyfree-lazy-user-flush", kind: "bool", field: "lazyfreeLazyUserFlush", default: false, mode: "mutable" },
  { name: "cluster-enabled", kind: "bool", field: "clusterEnabled", default: false, mode: "immutable" },
  { name: "appendonly", kind: "bool", field: "appendonly", default: false, mode: "mutable" },
  { name: "save", kind: "save", field: "save", default: Object.freeze([]), mode: "mutable" },
  { name: "loglevel", kind: "enum", field: "loglevel", default: "notice", values: ["debug", "verbose", "notice", "warning"], mode: "mutable" },
  { name: "logfile", kind: "string", field: "logfile", default: "", mode: "immutable" },
  { name: "daemonize", kind: "bool", field: "daemonize", default: false, mode: "immutable" },
  { name: "pidfile", kind: "string", field: "pidfile", default: "", mode: "immutable" },
  { name: "io-threads", kind: "int", field: "ioThreads", default: 1, min: 1n, max: 128n, mode: "immutable" },
  { name: "tls-port", kind: "int", field: "tlsPort", default: 0, min: 0n, max: 65535n, mode: "mutable" },
  // TLS material is read when the listeners start and again on every CONFIG SET of these files, even
  // to the same path (that is how certificates are rotated without a restart, as in Redis).
  { name: "tls-cert-file", kind: "string", field: "tlsCertFile", default: "", reapply: true, mode: "mutable" },
  { name: "tls-key-file", kind: "string", field: "tlsKeyFile", default: "", reapply: true, mode: "mutable" },
  { name: "tls-key-file-pass", kind: "string", field: "tlsKeyFilePass", default: "", sensitive: true, reapply: true, mode: "mutable" },
  { name: "tls-ca-cert-file", kind: "string", field: "tlsCaCertFile", default: "", reapply: true, mode: "mutable" },
  { name: "tls-auth-clients", kind: "enum", field: "tlsAuthClients", default: "yes", values: ["no", "yes", "optional"], mode: "mutable" },
  { name: "tls-protocols", kind: "string", field: "tlsProtocols", default: "", mode: "mutable" },
  { name: "tls-ciphers", kind: "string", field: "tlsCiphers", default: "", mode: "mutable" },
  { name: "tls-ciphersuites", kind: "string", field: "tlsCiphersuites", default: "", mode: "mutable" },
  // memkeep's own: space-separated IPv4/IPv6 CIDR ranges a client's address must fall in; empty = all.
  { name: "allow-cidr", kind: "string", field: "allowCidr", default: "", mode: "mutable" },
  // sync <-> async at runtime; none <-> sync/async only at start (the log must cover every write).
  { name: "durability", kind: "enum", field: "durability", default: "sync", values: ["sync", "async", "none"], mode: "mutable" },
  { name: "durability-async-max-lag-ms", kind: "int", field: "durabilityAsyncMaxLagMs", default: 1000, min: 1n, max: 86_400_000n, mode: "mutable" },
  { name: "log-segment-bytes", kind: "memory", field: "logSegmentBytes", default: 64 * MB, min: 64n * 1024n, max: 1024n * BigInt(MB), mode: "mutable" },
  { name: "log-buffer-bytes", kind: "memory", field: "logBufferBytes", default: 16 * MB, min: 64n * 1024n, max: 1024n * BigInt(MB), mode: "immutable" },
  { name: "snapshot-log-bytes", kind: "memory", field: "snapshotLogBytes", default: 256 * MB, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "snapshot-interval-seconds", kind: "int", field: "snapshotIntervalSeconds", default: 3600, min: 0n, max: INT_MAX, mode: "mutable" },
  { name: "encryption-at-rest", kind: "bool", field: "encryptionAtRest", default: false, mode: "immutable" },
  { name: "encryption-key-file", kind: "string", field: "encryptionKeyFile", default: "", mode: "immutable" },
  { name: "list-max-listpack-size", aliases: ["list-max-ziplist-size"], kind: "int", field: "listMaxListpackSize", default: -2, min: INT_MIN, max: INT_MAX, mode: "mutable" },
  { name: "hash-max-listpack-entries", aliases: ["hash-max-ziplist-entries"], kind: "int", field: "hashMaxListpackEntries", default: 512, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "hash-max-listpack-value", aliases: ["hash-max-ziplist-value"], kind: "memory", field: "hashMaxListpackValue", default: 64, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "set-max-intset-entries", kind: "int", field: "setMaxIntsetEntries", default: 512, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "zset-max-listpack-entries", aliases: ["zset-max-ziplist-entries"], kind: "int", field: "zsetMaxListpackEntries", default: 128, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "zset-max-listpack-value", aliases: ["zset-max-ziplist-value"], kind: "memory", field: "zsetMaxListpackValue", default: 64, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "stream-node-max-bytes", kind: "memory", field: "streamNodeMaxBytes", default: 4096, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "stream-node-max-entries", kind: "int", field: "streamNodeMaxEntries", default: 100, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "hll-sparse-max-bytes", kind: "memory", field: "hllSparseMaxBytes", default: 3000, min: 0n, max: LLONG_MAX, mode: "mutable" },
  { name: "activerehashing", kind: "bool", field: "activerehashing", default: true, mode: "mutable" },
  { name: "replica-read-only", aliases: ["slave-read-only"], kind: "bool", field: "replicaReadOnly", default: true, mode: "mutable" },
];

/** Directives Redis 7.0 still accepts in a file and ignores (name and exact argument count). */
const ignoredDirectives: ReadonlyMap<string, number> = new Map([
  ["list-max-ziplist-entries", 1],
  ["list-max-ziplist-value", 1],
  ["lua-replicate-commands", 1],
]);

/** One name CONFIG GET / SET knows: a setting's own name or one of its aliases (its own entry). */
interface Entry {
  readonly name: string;
  readonly spec: SettingSpec;
}
const entries: readonly Entry[] = SETTINGS.flatMap((spec) => [
  { name: spec.name, spec },
  ...(spec.aliases ?? []).map((alias) => ({ name: alias, spec })),
]);
const entryByName: ReadonlyMap<string, Entry> = new Map(entries.map((e) => [e.name, e]));

/** The setting a name or alias (any case) refers to. */
export function findSetting(name: string): SettingSpec | undefined {
  return entryByName.get(name.toLowerCase())?.spec;
}

function isMultiArg(spec: SettingSpec): boolean {
  return spec.kind === "obuf" || spec.kind === "bind" || spec.kind === "save";
}

// ---------------------------------------------------------------------------------------------
// Errors and directives

/** One line of configuration: from a file (with its line) or from the command line. */
export interface Directive {
  /** Lower-cased, as Redis matches directives. */
  readonly name: string;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  /** The line as written (file) or rebuilt with quoted arguments (command line). */
  readonly text: string;
}

export const COMMAND_LINE = "(command line)";

/** A mistake in the configuration the operator gave us; the message reads like Redis's. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly reason: string,
    readonly file: string | null = null,
    readonly line: number | null = null,
    readonly text: string | null = null,
  ) {
    super(
      file === null
        ? reason
        : `Reading the configuration file ${file}, at line ${line}\n>>> '${text}'\n${reason}`,
    );
  }
}

function directiveError(d: Directive, reason: string): ConfigError {
  return new ConfigError(reason, d.file, d.line, d.text);
}

// ---------------------------------------------------------------------------------------------
// Value parsing: each returns the new value or an error string (Redis's wording).

type Parsed = { ok: true; value: SettingValue; exact?: string } | { ok: false; error: string };

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Redis string2ll: optional '-', digits, no leading zeros, no '+', no spaces, fits int64. */
function parseInt64(s: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length > 20) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

const memoryUnits: ReadonlyMap<string, bigint> = new Map([
  ["", 1n],
  ["b", 1n],
  ["k", 1000n],
  ["kb", 1024n],
  ["m", 1000n * 1000n],
  ["mb", 1024n * 1024n],
  ["g", 1000n * 1000n * 1000n],
  ["gb", 1024n * 1024n * 1024n],
]);

/**
 * Redis memtoull: digits then an optional unit (k=1000, kb=1024, m, mb, g, gb; any case). Like
 * Redis, no digits reads as 0, digits saturate at 2^64-1 and the product wraps modulo 2^64.
 */
export function parseMemory(s: string): bigint | null {
  const m = /^([0-9]*)([a-zA-Z]*)$/.exec(s);
  if (m === null) return null;
  const mul = memoryUnits.get(m[2].toLowerCase());
  if (mul === undefined || m[1].length >= 128) return null;
  let v = m[1] === "" ? 0n : BigInt(m[1]);
  if (v > UINT64_MAX) v = UINT64_MAX;
  return BigInt.asUintN(64, v * mul);
}

/** C strtoll as Redis uses it (leading space, sign, saturating); null unless it eats the whole string. */
function parseStrtoll(s: string): bigint | null {
  if (s === "") return 0n;
  const m = /^[\t\n\v\f\r ]*([+-]?[0-9]+)$/.exec(s);
  if (m === null) return null;
  const v = BigInt(m[1]);
  return v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v;
}

function rangeError(min: bigint, max: bigint): string {
  return `argument must be between ${min} and ${max} inclusive`;
}

/** A number field's value, with the exact text kept when the number cannot hold every digit. */
function numberResult(v: bigint): Parsed {
  const n = Number(v);
  return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: true, value: n, exact: v.toString() };
}

function parseScalar(spec: SettingSpec, arg: string): Parsed {
  switch (spec.kind) {
    case "bool": {
      const a = arg.toLowerCase();
      if (a === "yes") return { ok: true, value: true };
      if (a === "no") return { ok: true, value: false };
      return { ok: false, error: "argument must be 'yes' or 'no'" };
    }
    case "int": {
      const v = parseInt64(arg);
      if (v === null) return { ok: false, error: "argument couldn't be parsed into an integer" };
      if (v < spec.min || v > spec.max) return { ok: false, error: rangeError(spec.min, spec.max) };
      if (spec.clamp !== undefined) {
        return { ok: true, value: Math.min(spec.clamp[1], Math.max(spec.clamp[0], Number(v))) };
      }
      return numberResult(v);
    }
    case "memory": {
      const v = parseMemory(arg);
      if (v === null) return { ok: false, error: "argument must be a memory value" };
      if (v < spec.min || v > spec.max) return { ok: false, error: rangeError(spec.min, spec.max) };
      return numberResult(v);
    }
    case "enum": {
      const a = arg.toLowerCase();
      if (spec.values.includes(a)) return { ok: true, value: a };
      return { ok: false, error: `argument(s) must be one of the following: ${spec.values.join(", ")}` };
    }
    case "string":
      return { ok: true, value: spec.path === true ? resolve(arg) : arg };
    case "notify":
      return parseNotify(arg);
    default:
      assert(false, `parseScalar: ${spec.name} takes several arguments`);
  }
}

const notifyLetters: ReadonlyMap<string, number> = new Map([
  ["A", NOTIFY_ALL],
  ["g", NOTIFY.generic],
  ["$", NOTIFY.string],
  ["l", NOTIFY.list],
  ["s", NOTIFY.set],
  ["h", NOTIFY.hash],
  ["z", NOTIFY.zset],
  ["x", NOTIFY.expired],
  ["e", NOTIFY.evicted],
  ["t", NOTIFY.stream],
  ["d", NOTIFY.module],
  ["n", NOTIFY.newKey],
  ["K", NOTIFY.keyspace],
  ["E", NOTIFY.keyevent],
  ["m", NOTIFY.keyMiss],
]);

function parseNotify(arg: string): Parsed {
  let flags = 0;
  for (const ch of arg) {
    const bit = notifyLetters.get(ch);
    if (bit === undefined) return { ok: false, error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
    flags |= bit;
  }
  return { ok: true, value: flags };
}

/** Redis's normalized form: `A` when all of g$lshzxetd are on (n is then not shown), then K, E, m. */
export function formatNotify(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out = "A";
  else {
    for (const ch of "g$lshzxetdn") {
      if (flags & (notifyLetters.get(ch) ?? 0)) out += ch;
    }
  }
  if (flags & NOTIFY.keyspace) out += "K";
  if (flags & NOTIFY.keyevent) out += "E";
  if (flags & NOTIFY.keyMiss) out += "m";
  return out;
}

type ObufClass = keyof OutputBufferLimits;
const obufClasses: ReadonlyMap<string, ObufClass> = new Map([
  ["normal", "normal"],
  ["slave", "replica"],
  ["replica", "replica"],
  ["pubsub", "pubsub"],
]);

/** Groups of `<class> <hard> <soft> <soft seconds>`; classes not named keep their limits. */
function parseOutputBufferLimits(args: readonly string[], current: OutputBufferLimits): Parsed {
  if (args.length % 4 !== 0) {
    return { ok: false, error: "Wrong number of arguments in buffer limit configuration." };
  }
  const next: Record<ObufClass, OutputBufferLimit> = { ...current };
  for (let i = 0; i < args.length; i += 4) {
    const cls = obufClasses.get(args[i].toLowerCase());
    if (cls === undefined) {
      return { ok: false, error: "Invalid client class specified in buffer limit configuration." };
    }
    const hard = parseMemory(args[i + 1]);
    const soft = parseMemory(args[i + 2]);
    const seconds = parseStrtoll(args[i + 3]);
    // Redis keeps soft seconds in a C int: wider values wrap, and a negative result is refused.
    const secondsInt = seconds === null ? -1 : Number(BigInt.asIntN(32, seconds));
    if (hard === null || soft === null || secondsInt < 0) {
      return { ok: false, error: "Error in hard, soft or soft_seconds setting in buffer limit configuration." };
    }
    next[cls] = Object.freeze({ hardBytes: Number(hard), softBytes: Number(soft), softSeconds: secondsInt });
  }
  return { ok: true, value: Object.freeze(next) };
}

function formatOutputBufferLimits(v: OutputBufferLimits): string {
  const one = (name: string, l: OutputBufferLimit) =>
    `${name} ${BigInt(l.hardBytes)} ${BigInt(l.softBytes)} ${l.softSeconds}`;
  return `${one("normal", v.normal)} ${one("slave", v.replica)} ${one("pubsub", v.pubsub)}`;
}

/** Pairs of `<seconds> <changes>`; a single empty argument means no save points. */
function parseSave(args: readonly string[]): Parsed {
  const list = args.length === 1 && args[0] === "" ? [] : args;
  if (list.length % 2 !== 0) return { ok: false, error: "Invalid save parameters" };
  const points: SavePoint[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const seconds = parseStrtoll(list[i]);
    const changes = parseStrtoll(list[i + 1]);
    if (seconds === null || changes === null || seconds < 1n || changes < 0n) {
      return { ok: false, error: "Invalid save parameters" };
    }
    // Redis keeps changes in a C int (wraps), seconds in a time_t.
    points.push(Object.freeze({ seconds: Number(seconds), changes: Number(BigInt.asIntN(32, changes)) }));
  }
  return { ok: true, value: Object.freeze(points) };
}

function parseBind(args: readonly string[]): Parsed {
  if (args.length > bindAddressesMax) return { ok: false, error: "Too many bind addresses specified." };
  const list = args.length === 1 && args[0] === "" ? [] : [...args];
  return { ok: true, value: Object.freeze(list) };
}

/** CONFIG SET passes a multi-argument value as one string, split on single spaces like sdssplitlen. */
function splitOnSpaces(value: string): string[] {
  return value === "" ? [] : value.split(" ");
}

// ---------------------------------------------------------------------------------------------
// Line tokenizing (sdssplitargs rules) and quoting

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isSpaceByte(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}
function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}
const escapes: ReadonlyMap<number, number> = new Map([
  [0x6e, 0x0a], // \n
  [0x72, 0x0d], // \r
  [0x74, 0x09], // \t
  [0x62, 0x08], // \b
  [0x61, 0x07], // \a
]);

/** Reads one "double quoted" argument body starting after the quote; returns the index past it. */
function readDoubleQuoted(b: Uint8Array, start: number, out: number[]): number {
  let i = start;
  for (;;) {
    if (i >= b.length) return -1;
    const c = b[i];
    if (c === 0x5c && b[i + 1] === 0x78 && hexValue(b[i + 2] ?? 0) >= 0 && hexValue(b[i + 3] ?? 0) >= 0) {
      out.push(hexValue(b[i + 2]) * 16 + hexValue(b[i + 3]));
      i += 4;
    } else if (c === 0x5c && i + 1 < b.length) {
      out.push(escapes.get(b[i + 1]) ?? b[i + 1]);
      i += 2;
    } else if (c === 0x22) {
      // The closing quote must be followed by a space or the end.
      if (i + 1 < b.length && !isSpaceByte(b[i + 1])) return -1;
      return i + 1;
    } else {
      out.push(c);
      i++;
    }
  }
}

/** Reads one 'single quoted' argument body (only \' is an escape); returns the index past it. */
function readSingleQuoted(b: Uint8Array, start: number, out: number[]): number {
  let i = start;
  for (;;) {
    if (i >= b.length) return -1;
    const c = b[i];
    if (c === 0x5c && b[i + 1] === 0x27) {
      out.push(0x27);
      i += 2;
    } else if (c === 0x27) {
      if (i + 1 < b.length && !isSpaceByte(b[i + 1])) return -1;
      return i + 1;
    } else {
      out.push(c);
      i++;
    }
  }
}

/**
 * Splits a line into arguments as redis.conf does: spaces separate, "double quotes" take \xHH and
 * \n \r \t \b \a escapes, 'single quotes' take \' only, a quote may open mid-word, and a closing
 * quote must be followed by a space. Returns null on unbalanced quotes. Works on UTF-8 bytes so
 * \xHH escapes compose multi-byte characters.
 */
export function splitConfigArgs(line: string): string[] | null {
  const b = encoder.encode(line);
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (i < b.length && isSpaceByte(b[i])) i++;
    if (i >= b.length) return args;
    const cur: number[] = [];
    let done = false;
    while (!done) {
      if (i >= b.length) break;
      const c = b[i];
      if (c === 0x22 || c === 0x27) {
        i = c === 0x22 ? readDoubleQuoted(b, i + 1, cur) : readSingleQuoted(b, i + 1, cur);
        if (i < 0) return null;
        done = true;
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x00) {
        i++;
        done = true;
      } else {
        cur.push(c);
        i++;
      }
    }
    args.push(decoder.decode(new Uint8Array(cur)));
  }
}

/** Quotes an argument the way Redis echoes command-line options in its error report. */
function quoteArg(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

// ---------------------------------------------------------------------------------------------
// Files, includes and the command line

/** File access for include expansion; the default reads the real file system. */
export interface ConfigIO {
  readText(path: string): string;
  /** Names (not paths) in a folder. */
  listDir(path: string): string[];
}

const fsIO: ConfigIO = {
  readText: (path) => readFileSync(path, "utf8"),
  listDir: (path) => readdirSync(path),
};

const includeDepthMax = 16;

const errnoText: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
};

function readConfigText(path: string, io: ConfigIO): string {
  try {
    return io.readText(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    const why = errnoText[code] ?? (e instanceof Error ? e.message : String(e));
    throw new ConfigError(`Fatal error, can't open config file '${path}': ${why}`);
  }
}

/** Splits file text into directives, skipping blank lines and lines starting with '#'. */
function tokenizeConfig(text: string, file: string): Directive[] {
  const out: Directive[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line[0] === "#") continue;
    const args = splitConfigArgs(line);
    if (args === null) {
      throw new ConfigError("Unbalanced quotes in configuration line", file, i + 1, line);
    }
    if (args.length === 0) continue;
    out.push({ name: args[0].toLowerCase(), args: args.slice(1), file, line: i + 1, text: line });
  }
  return out;
}

/** The files an include names: one path, or the sorted matches of a wildcard in its last part. */
function includeTargets(pattern: string, io: ConfigIO): string[] {
  const folder = dirname(pattern);
  const base = basename(pattern);
  // Wildcards are honoured in the file name only; elsewhere the path is taken literally.
  if (!/[*?[]/.test(base) || /[*?[]/.test(folder)) return [pattern];
  let names: string[];
  try {
    names = io.listDir(folder);
  } catch {
    return []; // like glob(3): no match, nothing to include
  }
  const glob = new Bun.Glob(base);
  return names
    .filter((n) => (!n.startsWith(".") || base.startsWith(".")) && glob.match(n))
    .sort()
    .map((n) => join(folder, n));
}

interface IncludeFrame {
  readonly directives: readonly Directive[];
  next: number;
  /** Absolute paths of the files this frame is nested in, itself last. */
  readonly chain: readonly string[];
}

/**
 * Replaces every `include <path>` with the directives of that file, depth first, with an explicit
 * stack. Paths are relative to the working directory, as in Redis. Cycles and nesting deeper than
 * includeDepthMax are refused.
 */
function expandIncludes(top: readonly Directive[], chain: readonly string[], io: ConfigIO): Directive[] {
  const out: Directive[] = [];
  const stack: IncludeFrame[] = [{ directives: top, next: 0, chain }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.directives.length) {
      stack.pop();
      continue;
    }
    const d = frame.directives[frame.next++];
    if (d.name !== "include" || d.args.length !== 1) {
      out.push(d);
      continue;
    }
    const targets = includeTargets(d.args[0], io);
    for (let t = targets.length - 1; t >= 0; t--) {
      const abs = resolve(targets[t]);
      if (frame.chain.includes(abs)) throw directiveError(d, `include cycle: '${targets[t]}' includes itself`);
      if (frame.chain.length >= includeDepthMax) {
        throw directiveError(d, `include nesting deeper than ${includeDepthMax} files`);
      }
      const text = readConfigText(targets[t], io);
      stack.push({ directives: tokenizeConfig(text, targets[t]), next: 0, chain: [...frame.chain, abs] });
    }
  }
  return out;
}

/**
 * Parses redis.conf-style text into directives, expanding `include`. `file` names the source in
 * errors and is the include chain's root.
 */
export function parseConfigFile(text: string, file = "(string)", io: ConfigIO = fsIO): Directive[] {
  const root = file.startsWith("(") ? [] : [resolve(file)];
  return expandIncludes(tokenizeConfig(text, file), root, io);
}

/** Reads and parses a configuration file. */
export function readConfigFile(path: string, io: ConfigIO = fsIO): Directive[] {
  return parseConfigFile(readConfigText(path, io), path, io);
}

export interface ParsedArgs {
  /** The first argument when it does not start with '-'. */
  readonly configFile: string | null;
  /** `--name value...` options in order, as directives of file COMMAND_LINE. */
  readonly directives: Directive[];
}

/**
 * The redis-server command line: an optional config file first, then `--name value [value...]`.
 * As in Redis, the argument right after an option name is always its value (even if it starts
 * with "--"); later arguments starting with "--" open the next option; `--save` with no value
 * means `save ""`; an option written as one argument ("--port 7000") is split like a file line.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let j = 0;
  let configFile: string | null = null;
  if (argv.length > 0 && !argv[0].startsWith("-")) configFile = argv[j++];
  const groups: string[][] = [];
  let wantsValue = false;
  for (; j < argv.length; j++) {
    const a = argv[j];
    if (!wantsValue && a.startsWith("--")) {
      const words = splitConfigArgs(a.slice(2)) ?? [a.slice(2)];
      groups.push(words.length === 0 ? [""] : words);
      wantsValue = words.length <= 1;
      const nextIsOption = j + 1 < argv.length && argv[j + 1].startsWith("--");
      if (wantsValue && a.toLowerCase() === "--save" && (nextIsOption || j + 1 === argv.length)) {
        groups[groups.length - 1].push("");
        wantsValue = false;
      }
    } else if (groups.length === 0) {
      groups.push([a]); // a value with no option before it: reported as a bad directive
    } else {
      groups[groups.length - 1].push(a);
      wantsValue = false;
    }
  }
  const directives = groups.map((g, i) => ({
    name: g[0].toLowerCase(),
    args: g.slice(1),
    file: COMMAND_LINE,
    line: i + 1,
    text: [g[0], ...g.slice(1).map(quoteArg)].join(" "),
  }));
  return { configFile, directives };
}

// ---------------------------------------------------------------------------------------------
// Config

/** A change hook: runs after CONFIG SET stored new values; a returned string vetoes the change. */
export type ChangeHook = (config: Config) => string | void;

/** Plain data for postMessage to worker threads (structured-clone and JSON safe). */
export interface ConfigSnapshot {
  /** Every setting by field name (camelCase of the directive). */
  readonly values: Settings;
  /** Exact decimal text of number settings beyond 2^53, by field. */
  readonly exact: Readonly<Record<string, string>>;
  /** `user` lines of the config file. */
  readonly users?: string[][];
}

function setError(name: string, reason: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
}

interface Saved {
  readonly spec: SettingSpec;
  readonly value: SettingValue;
  readonly exact: string | undefined;
}

export class Config implements Settings {
  readonly port!: number;
  readonly bind!: readonly string[];
  readonly protectedMode!: boolean;
  readonly dir!: string;
  readonly shardWorkers!: number;
  readonly databases!: number;
  readonly maxclients!: number;
  readonly maxmemory!: number;
  readonly maxmemoryPolicy!: MaxmemoryPolicy;
  readonly maxmemoryClients!: number;
  readonly maxmemorySamples!: number;
  readonly maxmemoryEvictionTenacity!: number;
  readonly lfuLogFactor!: number;
  readonly lfuDecayTime!: number;
  readonly protoMaxBulkLen!: number;
  readonly clientQueryBufferLimit!: number;
  readonly clientOutputBufferLimit!: OutputBufferLimits;
  readonly requirepass!: string;
  readonly aclfile!: string;
  readonly acllogMaxLen!: number;
  readonly aclPubsubDefault!: string;
  /** `user` lines of the config file (their arguments), applied by src/acl/state.ts at start. */
  userLines: string[][] = [];
  /** Where each of userLines was written (src/acl/startup_check.ts quotes it; main thread only). */
  userSources: { file: string; line: number; text: string }[] = [];
  readonly timeout!: number;
  readonly tcpKeepalive!: number;
  readonly tcpBacklog!: number;
  readonly hz!: number;
  readonly dynamicHz!: boolean;
  readonly slowlogLogSlowerThan!: number;
  readonly slowlogMaxLen!: number;
  readonly latencyMonitorThreshold!: number;
  readonly notifyKeyspaceEvents!: number;
  readonly activeExpireEffort!: number;
  readonly lazyfreeLazyEviction!: boolean;
  readonly lazyfreeLazyExpire!: boolean;
  readonly lazyfreeLazyServerDel!: boolean;
  readonly lazyfreeLazyUserDel!: boolean;
  readonly lazyfreeLazyUserFlush!: boolean;
  readonly clusterEnabled!: boolean;
  readonly appendonly!: boolean;
  readonly save!: readonly SavePoint[];
  readonly loglevel!: LogLevel;
  readonly logfile!: string;
  readonly daemonize!: boolean;
  readonly pidfile!: string;
  readonly ioThreads!: number;
  readonly tlsPort!: number;
  readonly tlsCertFile!: string;
  readonly tlsKeyFile!: string;
  readonly tlsKeyFilePass!: string;
  readonly tlsCaCertFile!: string;
  readonly tlsAuthClients!: TlsAuthClients;
  readonly tlsProtocols!: string;
  readonly tlsCiphers!: string;
  readonly tlsCiphersuites!: string;
  readonly allowCidr!: string;
  readonly durability!: Durability;
  readonly durabilityAsyncMaxLagMs!: number;
  readonly logSegmentBytes!: number;
  readonly logBufferBytes!: number;
  readonly snapshotLogBytes!: number;
  readonly snapshotIntervalSeconds!: number;
  readonly encryptionAtRest!: boolean;
  readonly encryptionKeyFile!: string;
  readonly listMaxListpackSize!: number;
  readonly hashMaxListpackEntries!: number;
  readonly hashMaxListpackValue!: number;
  readonly setMaxIntsetEntries!: number;
  readonly zsetMaxListpackEntries!: number;
  readonly zsetMaxListpackValue!: number;
  readonly streamNodeMaxBytes!: number;
  readonly streamNodeMaxEntries!: number;
  readonly hllSparseMaxBytes!: number;
  readonly activerehashing!: boolean;
  readonly replicaReadOnly!: boolean;

  /** Exact text for number fields whose value is beyond 2^53 (rare: huge maxmemory and the like). */
  private exact: Record<string, string> = {};
  private readonly hooks = new Map<SettingSpec, ChangeHook[]>();
  private readonly anyHooks: ChangeHook[] = [];

  /** Every setting at its default. */
  constructor() {
    for (const spec of SETTINGS) {
      this.write(spec, spec.kind === "string" && spec.path === true ? resolve(spec.default) : spec.default, undefined);
    }
  }

  /** Defaults, then the config file named first in argv (if any), then its `--name value` options. */
  static load(argv: readonly string[], io: ConfigIO = fsIO): Config {
    const parsed = parseArgs(argv);
    const directives = parsed.configFile === null ? [] : readConfigFile(parsed.configFile, io);
    directives.push(...expandIncludes(parsed.directives, [], io));
    return Config.fromDirectives(directives);
  }

  /** Defaults, then each directive in order (a later one wins; `save` lines accumulate). */
  static fromDirectives(directives: readonly Directive[]): Config {
    const config = new Config();
    let saveSeen = false;
    for (const d of directives) {
      if (d.name === "user" && d.args.length >= 1) {
        config.userLines.push([...d.args]);
        config.userSources.push({ file: d.file, line: d.line, text: d.text });
        continue;
      }
      const spec = findSetting(d.name);
      if (spec === undefined) {
        if (ignoredDirectives.get(d.name) === d.args.length) continue;
        throw directiveError(d, "Bad directive or wrong number of arguments");
      }
      const parsed = config.parseDirective(spec, d);
      if (!parsed.ok) throw directiveError(d, parsed.error);
      // The first `save` of a load replaces the default; later ones add points, as in Redis.
      if (spec.kind === "save" && saveSeen) {
        const points = [...config.save, ...(parsed.value as readonly SavePoint[])];
        config.write(spec, Object.freeze(points), undefined);
      } else config.write(spec, parsed.value, parsed.exact);
      if (spec.kind === "save") saveSeen = true;
    }
    return config;
  }

  private parseDirective(spec: SettingSpec, d: Directive): Parsed {
    if (!isMultiArg(spec)) {
      if (d.args.length !== 1) return { ok: false, error: "wrong number of arguments" };
      return parseScalar(spec, d.args[0]);
    }
    let args = d.args;
    // A lone non-empty argument to a multi-argument setting is split like a line (`--save "60 1"`).
    // Redis turns an unbalanced one into no arguments at all; we refuse it instead.
    if (args.length === 1 && args[0] !== "") {
      const split = splitConfigArgs(args[0]);
      if (split === null) return { ok: false, error: "Unbalanced quotes in configuration line" };
      args = split;
    }
    return this.parseMulti(spec, args);
  }

  private parseMulti(spec: SettingSpec, args: readonly string[]): Parsed {
    switch (spec.kind) {
      case "obuf":
        return parseOutputBufferLimits(args, this.clientOutputBufferLimit);
      case "bind":
        return parseBind(args);
      case "save":
        return parseSave(args);
      default:
        assert(false, `parseMulti: ${spec.name} takes one argument`);
    }
  }

  /** A setting's value as CONFIG GET prints it. */
  format(spec: SettingSpec): string {
    const v = this.read(spec);
    switch (spec.kind) {
      case "bool":
        return v ? "yes" : "no";
      case "int":
      case "memory":
        return this.exact[spec.field] ?? String(v);
      case "enum":
      case "string":
        return v as string;
      case "obuf":
        return formatOutputBufferLimits(v as OutputBufferLimits);
      case "bind":
        return (v as readonly string[]).join(" ");
      case "save":
        return (v as readonly SavePoint[]).map((p) => `${p.seconds} ${p.changes}`).join(" ");
      case "notify":
        return formatNotify(v as number);
    }
  }

  /**
   * CONFIG GET: each pattern without `[*?` is an exact name (echoed as written); others are
   * case-insensitive globs over every name and alias. Matches are deduplicated by name
   * (ignoring case), in pattern order then table order.
   */
  get(...patterns: string[]): [string, string][] {
    const found = new Map<string, [string, Entry]>();
    for (const pattern of patterns) {
      if (!/[[*?]/.test(pattern)) {
        const key = pattern.toLowerCase();
        const entry = entryByName.get(key);
        if (entry !== undefined && !found.has(key)) found.set(key, [pattern, entry]);
        continue;
      }
      for (const entry of entries) {
        if (!found.has(entry.name) && stringMatchStr(pattern, entry.name, true)) {
          found.set(entry.name, [entry.name, entry]);
        }
      }
    }
    return [...found.values()].map(([name, entry]) => [name, this.format(entry.spec)]);
  }

  /**
   * CONFIG SET with Redis 7.0's semantics: all pairs or none. Returns null on success, else the
   * error reply text (without the leading '-'), e.g. "ERR CONFIG SET failed (possibly related to
   * argument 'maxmemory') - argument must be a memory value".
   */
  set(pairs: readonly (readonly [string, string])[]): string | null {
    const checked = this.checkSetNames(pairs);
    if (typeof checked === "string") return checked;
    const saved = checked.map((e) => this.savedOf(e.spec));
    const before = checked.map((e) => this.format(e.spec));
    for (let i = 0; i < checked.length; i++) {
      const spec = checked[i].spec;
      const parsed = isMultiArg(spec)
        ? this.parseMulti(spec, splitOnSpaces(pairs[i][1]))
        : parseScalar(spec, pairs[i][1]);
      if (!parsed.ok) {
        this.restore(saved);
        return setError(checked[i].name, parsed.error);
      }
      this.write(spec, parsed.value, parsed.exact);
    }
    return this.runHooks(checked, saved, before);
  }

  /** Phase one: every name known, settable and not repeated; the first problem wins. */
  private checkSetNames(pairs: readonly (readonly [string, string])[]): Entry[] | string {
    const checked: Entry[] = [];
    for (const [name] of pairs) {
      const entry = entryByName.get(name.toLowerCase());
      if (entry === undefined) return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      if (entry.spec.mode === "immutable") return setError(name, "can't set immutable config");
      if (entry.spec.mode === "protected") return setError(name, "can't set protected config");
      if (checked.includes(entry)) return setError(name, "duplicate parameter");
      checked.push(entry);
    }
    return checked;
  }

  /** Phase three: each hook of a changed setting once; a veto restores values and re-runs hooks. */
  private runHooks(checked: readonly Entry[], saved: readonly Saved[], before: readonly string[]): string | null {
    const ran: ChangeHook[] = [];
    for (let i = 0; i < checked.length; i++) {
      const spec = checked[i].spec;
      if (spec.reapply !== true && this.format(spec) === before[i]) continue;
      for (const hook of [...(this.hooks.get(spec) ?? []), ...this.anyHooks]) {
        if (ran.includes(hook)) continue;
        ran.push(hook);
        const veto = hook(this);
        if (typeof veto === "string") {
          this.restore(saved);
          for (const undo of ran) undo(this);
          return setError(checked[i].name, veto);
        }
      }
    }
    return null;
  }

  /**
   * Calls fn after CONFIG SET changes the named setting (name or alias); fn may veto by returning
   * an error string. Returns a function that removes the hook.
   */
  onChange(name: string, fn: ChangeHook): () => void {
    const spec = findSetting(name);
    assert(spec !== undefined, `onChange: no setting named ${name}`);
    const list = this.hooks.get(spec) ?? [];
    list.push(fn);
    this.hooks.set(spec, list);
    return () => {
      const at = list.indexOf(fn);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /** Like onChange, for a change to any setting; runs once per CONFIG SET that changed something. */
  onAnyChange(fn: ChangeHook): () => void {
    this.anyHooks.push(fn);
    return () => {
      const at = this.anyHooks.indexOf(fn);
      if (at >= 0) this.anyHooks.splice(at, 1);
    };
  }

  /** A copy of every setting as plain data, for worker threads. Hooks are not carried. */
  toJSON(): ConfigSnapshot {
    const values: Record<string, SettingValue> = {};
    for (const spec of SETTINGS) values[spec.field] = structuredClone(this.read(spec));
    return { values: values as unknown as Settings, exact: { ...this.exact }, users: this.userLines.map((l) => [...l]) };
  }

  /** Rebuilds a Config from toJSON()'s output (values frozen again). */
  static fromJSON(snapshot: ConfigSnapshot): Config {
    const config = new Config();
    const values = snapshot.values as unknown as Record<string, SettingValue | undefined>;
    for (const spec of SETTINGS) {
      const v = values[spec.field];
      assert(v !== undefined, `fromJSON: snapshot lacks ${spec.field}`);
      config.write(spec, deepFreeze(structuredClone(v)), snapshot.exact[spec.field]);
    }
    config.userLines = (snapshot.users ?? []).map((l) => [...l]);
    return config;
  }

  private read(spec: SettingSpec): SettingValue {
    return (this as unknown as Settings)[spec.field];
  }

  private write(spec: SettingSpec, value: SettingValue, exact: string | undefined): void {
    (this as unknown as Record<string, SettingValue>)[spec.field] = value;
    if (exact === undefined) delete this.exact[spec.field];
    else this.exact[spec.field] = exact;
  }

  private savedOf(spec: SettingSpec): Saved {
    return { spec, value: this.read(spec), exact: this.exact[spec.field] };
  }

  private restore(saved: readonly Saved[]): void {
    for (let i = saved.length - 1; i >= 0; i--) this.write(saved[i].spec, saved[i].value, saved[i].exact);
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const inner of Object.values(v)) deepFreeze(inner);
    Object.freeze(v);
  }
  return v;
}

// Table self-check at load (our bugs, not the operator's): names unique, defaults inside their
// bounds and printed back by CONFIG GET as they parse.
{
  assert(entryByName.size === entries.length, "config: a setting name or alias is used twice");
  const fresh = new Config();
  for (const spec of SETTINGS) {
    assert(spec.name === spec.name.toLowerCase(), `config: ${spec.name} must be lower case`);
    if (spec.kind === "int" || spec.kind === "memory") {
      const d = BigInt(spec.default);
      assert(d >= spec.min && d <= spec.max, `config: default of ${spec.name} outside its bounds`);
    }
    if (isMultiArg(spec) || spec.kind === "string") continue;
    const parsed = parseScalar(spec, fresh.format(spec));
    assert(parsed.ok && parsed.value === spec.default, `config: default of ${spec.name} does not round-trip`);
  }
}
