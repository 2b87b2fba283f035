// Server commands: INFO, TIME, LASTSAVE, SHUTDOWN, CONFIG, SLOWLOG, COMMAND, CLUSTER, and the
// server side of MEMORY (STATS, DOCTOR, MALLOC-STATS, PURGE; the MEMORY container with USAGE and
// HELP lives in keys.ts, which includes `memoryServerSubcommands`).
//
// Replies and errors are Redis 7.0.15's. What every worker holds for itself (config, slow log,
// stats counters) is changed or gathered through x.peers.broadcast; arguments are checked first so
// errors are synchronous replies. CONFIG SET applies on the worker that got it, then on every worker
// (itself again, a no-op) in the main thread's relay order, so all workers end with the same values.
// COMMAND INFO / COUNT / LIST / DOCS describe memkeep's own table: only commands it implements.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { findSetting } from "../config.ts";
import type { SlowEntry } from "../server/slowlog.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { stringMatch } from "../../native-free/glob.ts";
import { keyHashSlot } from "../../native-free/crc16.ts";
import { Err, eqCI, latin1, lower, utf8 } from "./util.ts";
import { redactArg, replyHelp, subcommandSyntaxError } from "./connection.ts";
import { infoCommand, memoryFigures } from "./info.ts";
import { commandCategories, keyFlagsAt, replyCommandDocs, replyCommandInfo } from "./command_docs.ts";
import { fullName } from "./spec.ts";
import { keyIndexesOf } from "./spec.ts";

/** Never called for a known subcommand (the dispatcher resolves those). */
function containerCommand(x: Exec): void {
  x.out.error(Err.syntax);
}

// ---- TIME, LASTSAVE, SHUTDOWN ---------------------------------------------------------------------

function timeCommand(x: Exec): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(us / 1e6);
  x.out.arrayHeader(2);
  x.out.bulkString(String(sec));
  x.out.bulkString(String(us - sec * 1e6));
}

function shutdownCommand(x: Exec, argv: Uint8Array[]): void {
  let nosave = false;
  let save = false;
  let other = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (eqCI(a, "nosave")) nosave = true;
    else if (eqCI(a, "save")) save = true;
    else if (eqCI(a, "now") || eqCI(a, "force")) other = true;
    else if (eqCI(a, "abort")) abort = true;
    else {
      x.out.error(Err.syntax);
      return;
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) {
    x.out.error(Err.syntax);
    return;
  }
  if (abort) {
    x.out.error("ERR No shutdown in progress.");
    return;
  }
  // Success has no reply: the connection closes as the server exits.
  x.s.closeAfterReply = true;
  x.peers.shutdown();
}

// ---- CONFIG ---------------------------------------------------------------------------------------

function configGetCommand(x: Exec, argv: Uint8Array[]): void {
  const patterns: string[] = [];
  for (let i = 2; i < argv.length; i++) patterns.push(latin1(argv[i]));
  const pairs = x.cfg.get(...patterns);
  x.out.mapHeader(pairs.length);
  for (const [k, v] of pairs) {
    x.out.bulkString(k);
    x.out.bulkString(v);
  }
}

function configSetCommand(x: Exec, argv: Uint8Array[]): Promise<ReplyFn> | void {
  if (argv.length % 2 !== 0) {
    x.out.error(Err.syntax);
    return;
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) {
    pairs.push([latin1(argv[i]), utf8(argv[i + 1])]);
    if (findSetting(lower(argv[i]))?.sensitive === true) redactArg(argv, i + 1);
  }
  // Apply here first, as Redis does before its reply: a refused value is a synchronous error, and
  // this worker's next command (and the slow log check of this one) already sees the new value.
  const err = x.cfg.set(pairs);
  if (err !== null) {
    x.out.error(err);
    return;
  }
  return x.peers.broadcast({ kind: "config", pairs }).then((results) => {
    // Every worker ran the same change; a change hook may still have vetoed (the first veto wins).
    const veto = (results[x.worker] as string | null) ?? (results.find((r) => r !== null) as string | undefined) ?? null;
    return (x2: Exec) => {
      if (veto === null) x2.out.ok();
      else x2.out.error(veto);
    };
  });
}

function configResetstatCommand(x: Exec): Promise<ReplyFn> {
  return x.peers.broadcast({ kind: "resetStat" }).then(() => (x2: Exec) => x2.out.ok());
}

const configHelpLines = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

// ---- SLOWLOG --------------------------------------------------------------------------------------

const slowlogDefaultCount = 10;

function slowlogGetCommand(x: Exec, argv: Uint8Array[]): Promise<ReplyFn> | void {
  if (argv.length > 3) {
    subcommandSyntaxError(x, argv);
    return;
  }
  let count = slowlogDefaultCount;
  if (argv.length === 3) {
    const v = parseInt64(argv[2], 0, argv[2].length);
    if (v === null || v < -1) {
      x.out.error("ERR count should be greater than or equal to -1");
      return;
    }
    count = v === -1 ? x.cfg.slowlogMaxLen : typeof v === "bigint" ? Number.MAX_SAFE_INTEGER : v;
  }
  // Each worker keeps at most slowlog-max-len entries: the merged log keeps the newest of those.
  const limit = Math.min(count, x.cfg.slowlogMaxLen);
  return x.peers.broadcast({ kind: "slowlogGet", count: limit }).then((results) => {
    const merged: SlowEntry[] = [];
    for (const r of results) merged.push(...(r as SlowEntry[]));
    merged.sort((a, b) => b.id - a.id);
    merged.length = Math.min(merged.length, limit);
    return (x2: Exec) => replySlowEntries(x2, merged);
  });
}

function replySlowEntries(x: Exec, entries: readonly SlowEntry[]): void {
  const out = x.out;
  out.arrayHeader(entries.length);
  for (const e of entries) {
    out.arrayHeader(6);
    out.int(e.id);
    out.int(e.timeSec);
    out.int(e.usec);
    out.arrayHeader(e.args.length);
    for (const a of e.args) out.bulk(a);
    out.bulkString(e.addr);
    out.bulkString(e.name);
  }
}

function slowlogLenCommand(x: Exec): Promise<ReplyFn> {
  return x.peers.broadcast({ kind: "slowlogLen" }).then((results) => {
    let n = 0;
    for (const r of results) n += r as number;
    const len = Math.min(n, x.cfg.slowlogMaxLen);
    return (x2: Exec) => x2.out.int(len);
  });
}

function slowlogResetCommand(x: Exec): Promise<ReplyFn> {
  return x.peers.broadcast({ kind: "slowlogReset" }).then(() => (x2: Exec) => x2.out.ok());
}

const slowlogHelpLines = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

// ---- MEMORY (server side) -------------------------------------------------------------------------

const doctorEmptyBytes = 5 * 1024 * 1024;

function memoryStatsCommand(x: Exec): void {
  const m = memoryFigures(x);
  const out = x.out;
  const dbs: [number, number, number][] = [];
  for (let db = 0; db < x.ks.databases; db++) {
    const keys = x.ks.dbSize(db);
    if (keys > 0) dbs.push([db, keys, x.ks.dbExpires(db)]);
  }
  const net = m.used - m.startup;
  out.mapHeader(27 + dbs.length);
  const int = (k: string, v: number) => {
    out.bulkString(k);
    out.int(Math.round(v));
  };
  const dbl = (k: string, v: number) => {
    out.bulkString(k);
    out.double(v);
  };
  int("peak.allocated", m.peak);
  int("total.allocated", m.used);
  int("startup.allocated", m.startup);
  int("replication.backlog", 0);
  int("clients.slaves", 0);
  int("clients.normal", 0);
  int("cluster.links", 0);
  int("aof.buffer", 0);
  int("lua.caches", 0);
  int("functions.caches", 0);
  for (const [db, keys, expires] of dbs) {
    out.bulkString(`db.${db}`);
    out.mapHeader(3);
    int("overhead.hashtable.main", keys * slotBytes);
    int("overhead.hashtable.expires", expires * slotBytes);
    int("overhead.hashtable.slot-to-keys", 0);
  }
  int("overhead.total", m.overhead);
  int("keys.count", m.keys);
  int("keys.bytes-per-key", m.keys > 0 ? Math.floor(net / m.keys) : 0);
  int("dataset.bytes", m.dataset);
  dbl("dataset.percentage", net > 0 ? (m.dataset * 100) / net : 0);
  dbl("peak.percentage", m.peak > 0 ? (m.used * 100) / m.peak : 0);
  int("allocator.allocated", m.allocated);
  int("allocator.active", m.active);
  int("allocator.resident", m.resident);
  dbl("allocator-fragmentation.ratio", m.allocated > 0 ? m.active / m.allocated : 0);
  int("allocator-fragmentation.bytes", m.active - m.allocated);
  dbl("allocator-rss.ratio", m.active > 0 ? m.resident / m.active : 0);
  int("allocator-rss.bytes", m.resident - m.active);
  dbl("rss-overhead.ratio", m.resident > 0 ? m.rss / m.resident : 0);
  int("rss-overhead.bytes", m.rss - m.resident);
  dbl("fragmentation", m.used > 0 ? m.rss / m.used : 0);
  int("fragmentation.bytes", m.rss - m.used);
}

/** Bytes of one table slot (hash, block address, meta, clock). */
const slotBytes = 16;

function memoryDoctorCommand(x: Exec): void {
  const m = memoryFigures(x);
  const report =
    m.used < doctorEmptyBytes
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  x.out.verbatim(report);
}

function memoryMallocStatsCommand(x: Exec): void {
  x.out.bulkString("Stats not supported for the current allocator");
}

function memoryPurgeCommand(x: Exec): void {
  Bun.gc(false);
  x.out.ok();
}

/** MEMORY subcommands served here; keys.ts puts them in its MEMORY container beside USAGE and HELP. */
export const memoryServerSubcommands: CommandSpec[] = [
  cmd("stats", 2, "", 0, 0, 0, "@slow", memoryStatsCommand),
  cmd("doctor", 2, "", 0, 0, 0, "@slow", memoryDoctorCommand),
  cmd("malloc-stats", 2, "", 0, 0, 0, "@slow", memoryMallocStatsCommand),
  cmd("purge", 2, "", 0, 0, 0, "@slow", memoryPurgeCommand),
];

// ---- COMMAND --------------------------------------------------------------------------------------

/** COMMAND with no subcommand: COMMAND INFO of every command. */
function commandCommand(x: Exec): void {
  const top = x.table.top;
  x.out.arrayHeader(top.length);
  for (const spec of top) replyCommandInfo(x, spec);
}

function commandCountCommand(x: Exec): void {
  x.out.int(x.table.top.length);
}

function specByName(x: Exec, name: Uint8Array): CommandSpec | undefined {
  return x.table.byFullName(lower(name));
}

function commandInfoCommand(x: Exec, argv: Uint8Array[]): void {
  if (argv.length === 2) {
    commandCommand(x);
    return;
  }
  x.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const spec = specByName(x, argv[i]);
    if (spec) replyCommandInfo(x, spec);
    else x.out.nullBulk();
  }
}

function commandDocsCommand(x: Exec, argv: Uint8Array[]): void {
  const specs: CommandSpec[] = [];
  if (argv.length === 2) specs.push(...x.table.top);
  else {
    for (let i = 2; i < argv.length; i++) {
      const spec = specByName(x, argv[i]);
      if (spec) specs.push(spec);
    }
  }
  x.out.mapHeader(specs.length);
  for (const spec of specs) {
    x.out.bulkString(fullName(spec));
    replyCommandDocs(x, spec);
  }
}

function commandListCommand(x: Exec, argv: Uint8Array[]): void {
  let keep: (spec: CommandSpec) => boolean = () => true;
  if (argv.length === 5 && eqCI(argv[2], "filterby")) {
    const arg = argv[4];
    if (eqCI(argv[3], "module")) keep = () => false; // no modules
    else if (eqCI(argv[3], "aclcat")) {
      const cat = lower(arg);
      keep = (spec) => commandCategories(spec).includes(cat);
    } else if (eqCI(argv[3], "pattern")) {
      const enc = new TextEncoder();
      keep = (spec) => stringMatch(arg, enc.encode(fullName(spec)), true);
    } else {
      x.out.error(Err.syntax);
      return;
    }
  } else if (argv.length !== 2) {
    x.out.error(Err.syntax);
    return;
  }
  const names: string[] = [];
  for (const spec of x.table.top) {
    if (keep(spec)) names.push(fullName(spec));
    for (const sub of spec.subcommands ?? []) if (keep(sub)) names.push(fullName(sub));
  }
  x.out.arrayHeader(names.length);
  for (const n of names) x.out.bulkString(n);
}

/** Redis's getKeysSubcommandImpl: the command line after GETKEYS, its key arguments. */
function getKeys(x: Exec, argv: Uint8Array[], withFlags: boolean): void {
  const line = argv.slice(2);
  let spec = x.table.lookup(line[0]);
  if (spec && spec.subcommands && spec.subcommands.length > 0 && line.length >= 2) {
    spec = x.table.lookupSub(spec, line[1]);
  }
  if (!spec) {
    x.out.error("ERR Invalid command specified");
    return;
  }
  if (spec.firstKey <= 0 && !spec.keyIndexes) {
    x.out.error("ERR The command has no key arguments");
    return;
  }
  if ((spec.arity > 0 && spec.arity !== line.length) || line.length < -spec.arity) {
    x.out.error("ERR Invalid number of arguments specified for command");
    return;
  }
  let keys: number[];
  try {
    keys = keyIndexesOf(spec, line);
  } catch {
    keys = [];
  }
  if (keys.length === 0) {
    if (spec.flags.includes("no_mandatory_keys")) x.out.emptyArray();
    else x.out.error("ERR Invalid arguments specified for command");
    return;
  }
  x.out.arrayHeader(keys.length);
  for (const i of keys) {
    if (!withFlags) {
      x.out.bulk(line[i]);
      continue;
    }
    x.out.arrayHeader(2);
    x.out.bulk(line[i]);
    const flags = keyFlagsAt(spec, line, i);
    x.out.setHeader(flags.length);
    for (const f of flags) x.out.simple(f);
  }
}

const commandHelpLines = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

// ---- CLUSTER --------------------------------------------------------------------------------------
// cluster-enabled is "no" unless set at startup; then Redis 7.0 refuses every CLUSTER subcommand.

const clusterDisabled = "ERR This instance has cluster support disabled";

function clusterOnly(fn: (x: Exec, argv: Uint8Array[]) => void): (x: Exec, argv: Uint8Array[]) => void {
  return (x, argv) => {
    if (!x.cfg.clusterEnabled) x.out.error(clusterDisabled);
    else fn(x, argv);
  };
}

function clusterKeyslotCommand(x: Exec, argv: Uint8Array[]): void {
  x.out.int(keyHashSlot(argv[2]));
}

let nodeId: string | null = null;
function myNodeId(x: Exec): string {
  if (nodeId === null) {
    const h = new Bun.CryptoHasher("sha1");
    h.update(`node:${x.runId}`);
    nodeId = h.digest("hex");
  }
  return nodeId;
}

function clusterMyidCommand(x: Exec): void {
  x.out.bulkString(myNodeId(x));
}

/** A single node owning every slot (memkeep has no cluster bus). */
function clusterInfoCommand(x: Exec): void {
  const lines = [
    "cluster_state:ok",
    "cluster_slots_assigned:16384",
    "cluster_slots_ok:16384",
    "cluster_slots_pfail:0",
    "cluster_slots_fail:0",
    "cluster_known_nodes:1",
    "cluster_size:1",
    "cluster_current_epoch:0",
    "cluster_my_epoch:0",
    "cluster_stats_messages_sent:0",
    "cluster_stats_messages_received:0",
    "total_cluster_links_buffer_limit_exceeded:0",
  ];
  x.out.verbatim(lines.join("\r\n") + "\r\n");
}

const clusterHelpLines = [
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MYID",
  "    Return the node id.",
];

// ---- the table ------------------------------------------------------------------------------------

const adminFlags = "admin noscript loading stale";
const adminAcl = "@admin @slow @dangerous";

export const serverCommands: CommandSpec[] = [
  cmd("info", -1, "loading stale", 0, 0, 0, "@slow @dangerous", infoCommand),
  cmd("time", 1, "loading stale fast", 0, 0, 0, "@fast", timeCommand),
  cmd("shutdown", -1, "admin noscript loading stale no_multi allow_busy", 0, 0, 0, adminAcl, shutdownCommand),
  cmd("config", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      cmd("get", -3, adminFlags, 0, 0, 0, adminAcl, configGetCommand),
      cmd("set", -4, adminFlags, 0, 0, 0, adminAcl, configSetCommand),
      cmd("resetstat", 2, adminFlags, 0, 0, 0, adminAcl, configResetstatCommand),
      cmd("help", 2, "loading stale", 0, 0, 0, "@slow", (x) => replyHelp(x, "CONFIG", configHelpLines)),
    ],
  }),
  cmd("slowlog", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      cmd("get", -2, "admin loading stale", 0, 0, 0, adminAcl, slowlogGetCommand),
      cmd("len", 2, "admin loading stale", 0, 0, 0, adminAcl, slowlogLenCommand),
      cmd("reset", 2, "admin loading stale", 0, 0, 0, adminAcl, slowlogResetCommand),
      cmd("help", 2, "loading stale", 0, 0, 0, "@slow", (x) => replyHelp(x, "SLOWLOG", slowlogHelpLines)),
    ],
  }),
  cmd("command", -1, "loading stale", 0, 0, 0, "@slow @connection", commandCommand, {
    subcommands: [
      cmd("count", 2, "loading stale", 0, 0, 0, "@slow @connection", commandCountCommand),
      cmd("info", -2, "loading stale", 0, 0, 0, "@slow @connection", commandInfoCommand),
      cmd("docs", -2, "loading stale", 0, 0, 0, "@slow @connection", commandDocsCommand),
      cmd("list", -2, "loading stale", 0, 0, 0, "@slow @connection", commandListCommand),
      cmd("getkeys", -4, "loading stale", 0, 0, 0, "@slow @connection", (x, argv) => getKeys(x, argv, false)),
      cmd("getkeysandflags", -4, "loading stale", 0, 0, 0, "@slow @connection", (x, argv) => getKeys(x, argv, true)),
      cmd("help", 2, "loading stale", 0, 0, 0, "@slow @connection", (x) => replyHelp(x, "COMMAND", commandHelpLines)),
    ],
  }),
  cmd("cluster", -2, "", 0, 0, 0, "@slow", containerCommand, {
    subcommands: [
      cmd("keyslot", 3, "stale", 0, 0, 0, "@slow", clusterOnly(clusterKeyslotCommand)),
      cmd("info", 2, "stale", 0, 0, 0, "@slow", clusterOnly(clusterInfoCommand)),
      cmd("myid", 2, "stale", 0, 0, 0, "@slow", clusterOnly(clusterMyidCommand)),
      cmd("help", 2, "loading stale", 0, 0, 0, "@slow", clusterOnly((x) => replyHelp(x, "CLUSTER", clusterHelpLines))),
    ],
  }),
];
