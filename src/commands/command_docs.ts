// COMMAND INFO and COMMAND DOCS replies, and the documentation they draw on.
//
// COMMAND INFO is built from our spec table (arity, flags, key range, ACL categories) plus the tips
// and key specs of the docs below; COMMAND DOCS from the docs alone. Shapes and orders are Redis
// 7.0.15's (server.c addReplyCommandInfo / addReplyCommandDocs): flags, categories, tips and key
// specs are sets (RESP3 `~`), subcommands an array (INFO) or a map (DOCS), `~0` when there are none.
// Flag and category names come out in Redis's table order, whatever order a spec lists them in.
//
// The docs data at the end is generated from the Redis command facts for the commands memkeep
// implements (scripts/gen_command_docs.ts; regenerate when a command group lands). It keeps 7.0's
// view: history entries and arguments newer than 7.0.15 are left out. Summaries are the facts'
// wording, which is newer than 7.0's in places.

import type { CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { fullName } from "./spec.ts";

export interface ArgDoc {
  name: string;
  type: string;
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecatedSince?: string;
  flags?: string[];
  args?: ArgDoc[];
}

export type BeginSearch = { index: number } | { keyword: string; startfrom: number } | "unknown";
export type FindKeys =
  | { lastkey: number; keystep: number; limit: number }
  | { keynumidx: number; firstkey: number; keystep: number }
  | "unknown";

export interface KeySpecDoc {
  notes?: string;
  flags: string[];
  bs: BeginSearch;
  fk: FindKeys;
}

export interface CommandDoc {
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
  history?: [string, string][];
  args?: ArgDoc[];
  tips?: string[];
  keySpecs?: KeySpecDoc[];
}

/** Redis 7.0's COMMAND INFO flag order (hidden flags: may_replicate, sentinel, only_sentinel, protected). */
const flagOrder = [
  "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading",
  "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "no_mandatory_keys",
  "no_async_loading", "no_multi", "movablekeys", "allow_busy",
];
const hiddenFlags = new Set(["may_replicate", "sentinel", "only_sentinel", "protected"]);

/** Redis 7.0's ACL category table order. */
export const aclCategoryOrder = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
  "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
  "transaction", "scripting",
];

function ordered(names: readonly string[], order: readonly string[], hidden?: Set<string>): string[] {
  const known = order.filter((n) => names.includes(n));
  // Unknown names (typos in a spec) are kept at the end so the command table test sees them.
  const unknown = names.filter((n) => !order.includes(n) && !(hidden?.has(n) ?? false));
  return [...known, ...unknown];
}

/** The flags COMMAND INFO shows for a spec, in Redis's order. */
export function commandFlags(spec: CommandSpec): string[] {
  return ordered(spec.flags, flagOrder, hiddenFlags);
}

/** ACL categories without "@", in Redis's order. */
export function commandCategories(spec: CommandSpec): string[] {
  return ordered(spec.acl.map((c) => c.replace(/^@/, "")), aclCategoryOrder);
}

export function docOf(spec: CommandSpec): CommandDoc | undefined {
  return commandDocs[fullName(spec)];
}

// ---- COMMAND INFO -----------------------------------------------------------------------------------

export function replyCommandInfo(x: Exec, spec: CommandSpec): void {
  const out = x.out;
  const doc = docOf(spec);
  out.arrayHeader(10);
  out.bulkString(fullName(spec));
  out.int(spec.arity);
  const flags = commandFlags(spec);
  out.setHeader(flags.length);
  for (const f of flags) out.simple(f);
  out.int(spec.firstKey);
  out.int(spec.lastKey);
  out.int(spec.step);
  const cats = commandCategories(spec);
  out.setHeader(cats.length);
  for (const c of cats) out.simple(`@${c}`);
  const tips = doc?.tips ?? [];
  out.setHeader(tips.length);
  for (const t of tips) out.bulkString(t);
  const specs = doc?.keySpecs ?? [];
  out.setHeader(specs.length);
  for (const ks of specs) replyKeySpec(out, ks);
  const subs = spec.subcommands ?? [];
  if (subs.length === 0) out.setHeader(0);
  else {
    out.arrayHeader(subs.length);
    for (const sub of subs) replyCommandInfo(x, sub);
  }
}

function replyKeySpec(out: ReplyWriter, ks: KeySpecDoc): void {
  out.mapHeader(ks.notes !== undefined ? 4 : 3);
  if (ks.notes !== undefined) {
    out.bulkString("notes");
    out.bulkString(ks.notes);
  }
  out.bulkString("flags");
  out.setHeader(ks.flags.length);
  for (const f of ks.flags) out.simple(f);
  out.bulkString("begin_search");
  out.mapHeader(2);
  out.bulkString("type");
  if (ks.bs === "unknown") {
    out.bulkString("unknown");
    out.bulkString("spec");
    out.mapHeader(0);
  } else if ("index" in ks.bs) {
    out.bulkString("index");
    out.bulkString("spec");
    out.mapHeader(1);
    out.bulkString("index");
    out.int(ks.bs.index);
  } else {
    out.bulkString("keyword");
    out.bulkString("spec");
    out.mapHeader(2);
    out.bulkString("keyword");
    out.bulkString(ks.bs.keyword);
    out.bulkString("startfrom");
    out.int(ks.bs.startfrom);
  }
  out.bulkString("find_keys");
  out.mapHeader(2);
  out.bulkString("type");
  if (ks.fk === "unknown") {
    out.bulkString("unknown");
    out.bulkString("spec");
    out.mapHeader(0);
  } else if ("lastkey" in ks.fk) {
    out.bulkString("range");
    out.bulkString("spec");
    out.mapHeader(3);
    out.bulkString("lastkey");
    out.int(ks.fk.lastkey);
    out.bulkString("keystep");
    out.int(ks.fk.keystep);
    out.bulkString("limit");
    out.int(ks.fk.limit);
  } else {
    out.bulkString("keynum");
    out.bulkString("spec");
    out.mapHeader(3);
    out.bulkString("keynumidx");
    out.int(ks.fk.keynumidx);
    out.bulkString("firstkey");
    out.int(ks.fk.firstkey);
    out.bulkString("keystep");
    out.int(ks.fk.keystep);
  }
}

// ---- COMMAND DOCS -----------------------------------------------------------------------------------

export function replyCommandDocs(x: Exec, spec: CommandSpec): void {
  const out = x.out;
  const doc = docOf(spec);
  const subs = spec.subcommands ?? [];
  let n = 1; // group is always there
  if (doc?.summary !== undefined) n++;
  if (doc?.since !== undefined) n++;
  if (doc?.complexity !== undefined) n++;
  if (doc?.docFlags !== undefined) n++;
  if (doc?.deprecatedSince !== undefined) n++;
  if (doc?.replacedBy !== undefined) n++;
  if (doc?.history !== undefined) n++;
  if (doc?.args !== undefined) n++;
  if (subs.length > 0) n++;
  out.mapHeader(n);
  if (doc?.summary !== undefined) pair(out, "summary", doc.summary);
  if (doc?.since !== undefined) pair(out, "since", doc.since);
  pair(out, "group", doc?.group ?? "server");
  if (doc?.complexity !== undefined) pair(out, "complexity", doc.complexity);
  if (doc?.docFlags !== undefined) {
    out.bulkString("doc_flags");
    out.setHeader(doc.docFlags.length);
    for (const f of doc.docFlags) out.simple(f);
  }
  if (doc?.deprecatedSince !== undefined) pair(out, "deprecated_since", doc.deprecatedSince);
  if (doc?.replacedBy !== undefined) pair(out, "replaced_by", doc.replacedBy);
  if (doc?.history !== undefined) {
    out.bulkString("history");
    out.setHeader(doc.history.length);
    for (const [v, text] of doc.history) {
      out.arrayHeader(2);
      out.bulkString(v);
      out.bulkString(text);
    }
  }
  if (doc?.args !== undefined) {
    out.bulkString("arguments");
    replyArgs(out, doc.args);
  }
  if (subs.length > 0) {
    out.bulkString("subcommands");
    out.mapHeader(subs.length);
    for (const sub of subs) {
      out.bulkString(fullName(sub));
      replyCommandDocs(x, sub);
    }
  }
}

function pair(out: ReplyWriter, k: string, v: string): void {
  out.bulkString(k);
  out.bulkString(v);
}

/** Redis 7.0's addReplyCommandArgList (no recursion on input: the docs are our own data). */
function replyArgs(out: ReplyWriter, args: readonly ArgDoc[]): void {
  out.arrayHeader(args.length);
  for (const a of args) {
    let n = 2;
    if (a.keySpecIndex !== undefined) n++;
    if (a.token !== undefined) n++;
    if (a.summary !== undefined) n++;
    if (a.since !== undefined) n++;
    if (a.deprecatedSince !== undefined) n++;
    if (a.flags !== undefined) n++;
    if (a.args !== undefined) n++;
    out.mapHeader(n);
    pair(out, "name", a.name);
    pair(out, "type", a.type);
    if (a.keySpecIndex !== undefined) {
      out.bulkString("key_spec_index");
      out.int(a.keySpecIndex);
    }
    if (a.token !== undefined) pair(out, "token", a.token);
    if (a.summary !== undefined) pair(out, "summary", a.summary);
    if (a.since !== undefined) pair(out, "since", a.since);
    if (a.deprecatedSince !== undefined) pair(out, "deprecated_since", a.deprecatedSince);
    if (a.flags !== undefined) {
      out.bulkString("flags");
      out.setHeader(a.flags.length);
      for (const f of a.flags) out.simple(f);
    }
    if (a.args !== undefined) {
      out.bulkString("arguments");
      replyArgs(out, a.args);
    }
  }
}

// ---- key specs for COMMAND GETKEYSANDFLAGS ------------------------------------------------------------

/** Argument indexes one key spec selects in argv (Redis's getKeysUsingKeySpecs); [] when unknown. */
export function keySpecIndexes(ks: KeySpecDoc, argv: readonly Uint8Array[]): number[] {
  const argc = argv.length;
  let first: number;
  if (ks.bs === "unknown") return [];
  if ("index" in ks.bs) first = ks.bs.index;
  else {
    const kw = ks.bs.keyword.toLowerCase();
    const from = ks.bs.startfrom;
    const start = from >= 0 ? from : argc + from;
    const end = from >= 0 ? argc - 1 : 0;
    const dir = from >= 0 ? 1 : -1;
    first = 0;
    for (let i = start; dir > 0 ? i <= end : i >= end; i += dir) {
      if (i > 0 && i < argc && new TextDecoder("latin1").decode(argv[i]).toLowerCase() === kw) {
        first = i + 1;
        break;
      }
    }
    if (first === 0) return [];
  }
  if (ks.fk === "unknown") return [];
  let last: number;
  let step: number;
  if ("lastkey" in ks.fk) {
    step = ks.fk.keystep;
    if (ks.fk.lastkey >= 0) last = first + ks.fk.lastkey;
    else if (ks.fk.limit === 0) last = argc + ks.fk.lastkey;
    else last = first + Math.floor((argc - first) / ks.fk.limit) + ks.fk.lastkey;
  } else {
    step = ks.fk.keystep;
    const at = first + ks.fk.keynumidx;
    if (at >= argc) return [];
    const numkeys = Number.parseInt(new TextDecoder("latin1").decode(argv[at]), 10);
    if (!Number.isFinite(numkeys) || numkeys < 0) return [];
    first += ks.fk.firstkey;
    last = first + (numkeys - 1) * step;
  }
  const out: number[] = [];
  for (let i = first; i <= last && i < argc; i += Math.max(1, step)) out.push(i);
  return out;
}

/**
 * Key flags that depend on the arguments (key specs flagged variable_flags), as the command's own
 * getkeys function in Redis computes them.
 */
const variableKeyFlags: Record<string, (argv: readonly Uint8Array[]) => string[]> = {
  // setGetKeys: with GET the old value is read.
  set: (argv) => {
    for (let i = 3; i < argv.length; i++) {
      const a = argv[i];
      if (a.length === 3 && (a[0] | 32) === 103 && (a[1] | 32) === 101 && (a[2] | 32) === 116) {
        return ["RW", "access", "update"];
      }
    }
    return ["OW", "update"];
  },
};

/** Flags of the key at argv index `i` under the command's key specs (first spec that selects it). */
export function keyFlagsAt(spec: CommandSpec, argv: readonly Uint8Array[], i: number): string[] {
  const variable = variableKeyFlags[fullName(spec)];
  if (variable) return variable(argv);
  const specs = docOf(spec)?.keySpecs ?? [];
  for (const ks of specs) if (keySpecIndexes(ks, argv).includes(i)) return ks.flags;
  // Keys only a command's own key function finds (unknown specs): the first unknown spec's flags.
  const unknown = specs.find((ks) => ks.bs === "unknown" || ks.fk === "unknown");
  return unknown?.flags ?? [];
}

// ---- generated data ---------------------------------------------------------------------------------
// BEGIN GENERATED (scripts/gen_command_docs.ts): do not edit by hand.
export const commandDocs: Readonly<Record<string, CommandDoc>> = {
  "ping": {"summary":"Returns the server's liveliness response.","since":"1.0.0","group":"connection","complexity":"O(1)","args":[{"name":"message","type":"string","flags":["optional"]}],"tips":["request_policy:all_shards","response_policy:all_succeeded"]},
  "echo": {"summary":"Returns the given string.","since":"1.0.0","group":"connection","complexity":"O(1)","args":[{"name":"message","type":"string"}]},
  "quit": {"summary":"Closes the connection.","since":"1.0.0","group":"connection","complexity":"O(1)"},
  "select": {"summary":"Changes the selected database.","since":"1.0.0","group":"connection","complexity":"O(1)","args":[{"name":"index","type":"integer"}]},
  "auth": {"summary":"Authenticates the connection.","since":"1.0.0","group":"connection","complexity":"O(N) where N is the number of passwords defined for the user","history":[["6.0.0","Added ACL style (username and password)."]],"args":[{"name":"username","type":"string","since":"6.0.0","flags":["optional"]},{"name":"password","type":"string"}]},
  "hello": {"summary":"Handshakes with the Redis server.","since":"6.0.0","group":"connection","complexity":"O(1)","history":[["6.2.0","`protover` made optional; when called without arguments the command reports the current connection's context."]],"args":[{"name":"arguments","type":"block","flags":["optional"],"args":[{"name":"protover","type":"integer"},{"name":"auth","type":"block","token":"AUTH","flags":["optional"],"args":[{"name":"username","type":"string"},{"name":"password","type":"string"}]},{"name":"clientname","type":"string","token":"SETNAME","flags":["optional"]}]}]},
  "reset": {"summary":"Resets the connection.","since":"6.2.0","group":"connection","complexity":"O(1)"},
  "client": {"summary":"A container for client connection commands.","since":"2.4.0","group":"connection","complexity":"Depends on subcommand."},
  "client|id": {"summary":"Returns the unique client ID of the connection.","since":"5.0.0","group":"connection","complexity":"O(1)"},
  "client|info": {"summary":"Returns information about the connection.","since":"6.2.0","group":"connection","complexity":"O(1)","tips":["nondeterministic_output"]},
  "client|setname": {"summary":"Sets the connection name.","since":"2.6.9","group":"connection","complexity":"O(1)","args":[{"name":"connection-name","type":"string"}]},
  "client|getname": {"summary":"Returns the name of the connection.","since":"2.6.9","group":"connection","complexity":"O(1)"},
  "client|setinfo": {"summary":"Sets information specific to the client or connection.","since":"7.2.0","group":"connection","complexity":"O(1)","args":[{"name":"attr","type":"oneof","args":[{"name":"libname","type":"string","token":"lib-name"},{"name":"libver","type":"string","token":"lib-ver"}]}],"tips":["request_policy:all_nodes","response_policy:all_succeeded"]},
  "client|list": {"summary":"Lists open connections.","since":"2.4.0","group":"connection","complexity":"O(N) where N is the number of client connections","history":[["2.8.12","Added unique client `id` field."],["5.0.0","Added optional `TYPE` filter."],["6.0.0","Added `user` field."],["6.2.0","Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."],["7.0.0","Added `resp`, `multi-mem`, `rbs` and `rbp` fields."],["7.0.3","Added `ssub` field."]],"args":[{"name":"client-type","type":"oneof","token":"TYPE","since":"5.0.0","flags":["optional"],"args":[{"name":"normal","type":"pure-token","token":"normal"},{"name":"master","type":"pure-token","token":"master"},{"name":"replica","type":"pure-token","token":"replica"},{"name":"pubsub","type":"pure-token","token":"pubsub"}]},{"name":"client-id","type":"integer","token":"ID","since":"6.2.0","flags":["optional","multiple"]}],"tips":["nondeterministic_output"]},
  "client|kill": {"summary":"Terminates open connections.","since":"2.4.0","group":"connection","complexity":"O(N) where N is the number of client connections","history":[["2.8.12","Added new filter format."],["2.8.12","`ID` option."],["3.2.0","Added `master` type in for `TYPE` option."],["5.0.0","Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."],["6.2.0","`LADDR` option."]],"args":[{"name":"filter","type":"oneof","args":[{"name":"old-format","type":"string","deprecatedSince":"2.8.12"},{"name":"new-format","type":"oneof","flags":["multiple"],"args":[{"name":"client-id","type":"integer","token":"ID","since":"2.8.12","flags":["optional"]},{"name":"client-type","type":"oneof","token":"TYPE","since":"2.8.12","flags":["optional"],"args":[{"name":"normal","type":"pure-token","token":"normal"},{"name":"master","type":"pure-token","token":"master","since":"3.2.0"},{"name":"slave","type":"pure-token","token":"slave"},{"name":"replica","type":"pure-token","token":"replica","since":"5.0.0"},{"name":"pubsub","type":"pure-token","token":"pubsub"}]},{"name":"username","type":"string","token":"USER","flags":["optional"]},{"name":"addr","type":"string","token":"ADDR","flags":["optional"]},{"name":"laddr","type":"string","token":"LADDR","since":"6.2.0","flags":["optional"]},{"name":"skipme","type":"oneof","token":"SKIPME","flags":["optional"],"args":[{"name":"yes","type":"pure-token","token":"YES"},{"name":"no","type":"pure-token","token":"NO"}]}]}]}]},
  "client|reply": {"summary":"Instructs the server whether to reply to commands.","since":"3.2.0","group":"connection","complexity":"O(1)","args":[{"name":"action","type":"oneof","args":[{"name":"on","type":"pure-token","token":"ON"},{"name":"off","type":"pure-token","token":"OFF"},{"name":"skip","type":"pure-token","token":"SKIP"}]}]},
  "client|no-evict": {"summary":"Sets the client eviction mode of the connection.","since":"7.0.0","group":"connection","complexity":"O(1)","args":[{"name":"enabled","type":"oneof","args":[{"name":"on","type":"pure-token","token":"ON"},{"name":"off","type":"pure-token","token":"OFF"}]}]},
  "client|no-touch": {"summary":"Controls whether commands sent by the client affect the LRU/LFU of accessed keys.","since":"7.2.0","group":"connection","complexity":"O(1)","args":[{"name":"enabled","type":"oneof","args":[{"name":"on","type":"pure-token","token":"ON"},{"name":"off","type":"pure-token","token":"OFF"}]}]},
  "client|pause": {"summary":"Suspends commands processing.","since":"2.9.50","group":"connection","complexity":"O(1)","history":[["6.2.0","`CLIENT PAUSE WRITE` mode added along with the `mode` option."]],"args":[{"name":"timeout","type":"integer"},{"name":"mode","type":"oneof","since":"6.2.0","flags":["optional"],"args":[{"name":"write","type":"pure-token","token":"WRITE"},{"name":"all","type":"pure-token","token":"ALL"}]}]},
  "client|unpause": {"summary":"Resumes processing commands from paused clients.","since":"6.2.0","group":"connection","complexity":"O(N) Where N is the number of paused clients"},
  "client|getredir": {"summary":"Returns the client ID to which the connection's tracking notifications are redirected.","since":"6.0.0","group":"connection","complexity":"O(1)"},
  "client|help": {"summary":"Returns helpful text about the different subcommands.","since":"5.0.0","group":"connection","complexity":"O(1)"},
  "info": {"summary":"Returns information and statistics about the server.","since":"1.0.0","group":"server","complexity":"O(1)","history":[["7.0.0","Added support for taking multiple section arguments."]],"args":[{"name":"section","type":"string","flags":["optional","multiple"]}],"tips":["nondeterministic_output","request_policy:all_shards","response_policy:special"]},
  "time": {"summary":"Returns the server time.","since":"2.6.0","group":"server","complexity":"O(1)","tips":["nondeterministic_output"]},
  "lastsave": {"summary":"Returns the Unix timestamp of the last successful save to disk.","since":"1.0.0","group":"server","complexity":"O(1)","tips":["nondeterministic_output"]},
  "shutdown": {"summary":"Synchronously saves the database(s) to disk and shuts down the Redis server.","since":"1.0.0","group":"server","complexity":"O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)","history":[["7.0.0","Added the `NOW`, `FORCE` and `ABORT` modifiers."]],"args":[{"name":"save-selector","type":"oneof","flags":["optional"],"args":[{"name":"nosave","type":"pure-token","token":"NOSAVE"},{"name":"save","type":"pure-token","token":"SAVE"}]},{"name":"now","type":"pure-token","token":"NOW","since":"7.0.0","flags":["optional"]},{"name":"force","type":"pure-token","token":"FORCE","since":"7.0.0","flags":["optional"]},{"name":"abort","type":"pure-token","token":"ABORT","since":"7.0.0","flags":["optional"]}]},
  "config": {"summary":"A container for server configuration commands.","since":"2.0.0","group":"server","complexity":"Depends on subcommand."},
  "config|get": {"summary":"Returns the effective values of configuration parameters.","since":"2.0.0","group":"server","complexity":"O(N) when N is the number of configuration parameters provided","history":[["7.0.0","Added the ability to pass multiple pattern parameters in one call"]],"args":[{"name":"parameter","type":"string","flags":["multiple"]}]},
  "config|set": {"summary":"Sets configuration parameters in-flight.","since":"2.0.0","group":"server","complexity":"O(N) when N is the number of configuration parameters provided","history":[["7.0.0","Added the ability to set multiple parameters in one call."]],"args":[{"name":"data","type":"block","flags":["multiple"],"args":[{"name":"parameter","type":"string"},{"name":"value","type":"string"}]}],"tips":["request_policy:all_nodes","response_policy:all_succeeded"]},
  "config|resetstat": {"summary":"Resets the server's statistics.","since":"2.0.0","group":"server","complexity":"O(1)"},
  "config|help": {"summary":"Returns helpful text about the different subcommands.","since":"5.0.0","group":"server","complexity":"O(1)"},
  "slowlog": {"summary":"A container for slow log commands.","since":"2.2.12","group":"server","complexity":"Depends on subcommand."},
  "slowlog|get": {"summary":"Returns the slow log's entries.","since":"2.2.12","group":"server","complexity":"O(N) where N is the number of entries returned","history":[["4.0.0","Added client IP address, port and name to the reply."]],"args":[{"name":"count","type":"integer","flags":["optional"]}],"tips":["request_policy:all_nodes","nondeterministic_output"]},
  "slowlog|len": {"summary":"Returns the number of entries in the slow log.","since":"2.2.12","group":"server","complexity":"O(1)","tips":["request_policy:all_nodes","response_policy:agg_sum","nondeterministic_output"]},
  "slowlog|reset": {"summary":"Clears all entries from the slow log.","since":"2.2.12","group":"server","complexity":"O(N) where N is the number of entries in the slowlog","tips":["request_policy:all_nodes","response_policy:all_succeeded"]},
  "slowlog|help": {"summary":"Show helpful text about the different subcommands","since":"6.2.0","group":"server","complexity":"O(1)"},
  "command": {"summary":"Returns detailed information about all commands.","since":"2.8.13","group":"server","complexity":"O(N) where N is the total number of Redis commands","tips":["nondeterministic_output_order"]},
  "command|count": {"summary":"Returns a count of commands.","since":"2.8.13","group":"server","complexity":"O(1)"},
  "command|info": {"summary":"Returns information about one, multiple or all commands.","since":"2.8.13","group":"server","complexity":"O(N) where N is the number of commands to look up","history":[["7.0.0","Allowed to be called with no argument to get info on all commands."]],"args":[{"name":"command-name","type":"string","flags":["optional","multiple"]}],"tips":["nondeterministic_output_order"]},
  "command|docs": {"summary":"Returns documentary information about one, multiple or all commands.","since":"7.0.0","group":"server","complexity":"O(N) where N is the number of commands to look up","args":[{"name":"command-name","type":"string","flags":["optional","multiple"]}],"tips":["nondeterministic_output_order"]},
  "command|list": {"summary":"Returns a list of command names.","since":"7.0.0","group":"server","complexity":"O(N) where N is the total number of Redis commands","args":[{"name":"filterby","type":"oneof","token":"FILTERBY","flags":["optional"],"args":[{"name":"module-name","type":"string","token":"MODULE"},{"name":"category","type":"string","token":"ACLCAT"},{"name":"pattern","type":"pattern","token":"PATTERN"}]}],"tips":["nondeterministic_output_order"]},
  "command|getkeys": {"summary":"Extracts the key names from an arbitrary command.","since":"2.8.13","group":"server","complexity":"O(N) where N is the number of arguments to the command","args":[{"name":"command","type":"string"},{"name":"arg","type":"string","flags":["optional","multiple"]}]},
  "command|getkeysandflags": {"summary":"Extracts the key names and access flags for an arbitrary command.","since":"7.0.0","group":"server","complexity":"O(N) where N is the number of arguments to the command","args":[{"name":"command","type":"string"},{"name":"arg","type":"string","flags":["optional","multiple"]}]},
  "command|help": {"summary":"Returns helpful text about the different subcommands.","since":"5.0.0","group":"server","complexity":"O(1)"},
  "cluster": {"summary":"A container for Redis Cluster commands.","since":"3.0.0","group":"cluster","complexity":"Depends on subcommand."},
  "cluster|keyslot": {"summary":"Returns the hash slot for a key.","since":"3.0.0","group":"cluster","complexity":"O(N) where N is the number of bytes in the key","args":[{"name":"key","type":"string"}]},
  "cluster|info": {"summary":"Returns information about the state of a node.","since":"3.0.0","group":"cluster","complexity":"O(1)","tips":["nondeterministic_output"]},
  "cluster|myid": {"summary":"Returns the ID of a node.","since":"3.0.0","group":"cluster","complexity":"O(1)"},
  "cluster|help": {"summary":"Returns helpful text about the different subcommands.","since":"5.0.0","group":"cluster","complexity":"O(1)"},
  "get": {"summary":"Returns the string value of a key.","since":"1.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "set": {"summary":"Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.","since":"1.0.0","group":"string","complexity":"O(1)","history":[["2.6.12","Added the `EX`, `PX`, `NX` and `XX` options."],["6.0.0","Added the `KEEPTTL` option."],["6.2.0","Added the `GET`, `EXAT` and `PXAT` option."],["7.0.0","Allowed the `NX` and `GET` options to be used together."]],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"value","type":"string"},{"name":"condition","type":"oneof","since":"2.6.12","flags":["optional"],"args":[{"name":"nx","type":"pure-token","token":"NX"},{"name":"xx","type":"pure-token","token":"XX"}]},{"name":"get","type":"pure-token","token":"GET","since":"6.2.0","flags":["optional"]},{"name":"expiration","type":"oneof","flags":["optional"],"args":[{"name":"seconds","type":"integer","token":"EX","since":"2.6.12"},{"name":"milliseconds","type":"integer","token":"PX","since":"2.6.12"},{"name":"unix-time-seconds","type":"unix-time","token":"EXAT","since":"6.2.0"},{"name":"unix-time-milliseconds","type":"unix-time","token":"PXAT","since":"6.2.0"},{"name":"keepttl","type":"pure-token","token":"KEEPTTL","since":"6.0.0"}]}],"keySpecs":[{"notes":"RW and ACCESS due to the optional `GET` argument","flags":["RW","access","update","variable_flags"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "setnx": {"summary":"Set the string value of a key only when the key doesn't exist.","since":"1.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"value","type":"string"}],"keySpecs":[{"flags":["OW","insert"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "setex": {"summary":"Sets the string value and expiration time of a key. Creates the key if it doesn't exist.","since":"2.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"seconds","type":"integer"},{"name":"value","type":"string"}],"keySpecs":[{"flags":["OW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "psetex": {"summary":"Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.","since":"2.6.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"milliseconds","type":"integer"},{"name":"value","type":"string"}],"keySpecs":[{"flags":["OW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "getex": {"summary":"Returns the string value of a key after setting its expiration time.","since":"6.2.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"expiration","type":"oneof","flags":["optional"],"args":[{"name":"seconds","type":"integer","token":"EX"},{"name":"milliseconds","type":"integer","token":"PX"},{"name":"unix-time-seconds","type":"unix-time","token":"EXAT"},{"name":"unix-time-milliseconds","type":"unix-time","token":"PXAT"},{"name":"persist","type":"pure-token","token":"PERSIST"}]}],"keySpecs":[{"notes":"RW and UPDATE because it changes the TTL","flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "getdel": {"summary":"Returns the string value of a key after deleting the key.","since":"6.2.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RW","access","delete"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "getset": {"summary":"Returns the previous string value of a key after setting it to a new value.","since":"1.0.0","group":"string","complexity":"O(1)","docFlags":["deprecated"],"deprecatedSince":"6.2.0","replacedBy":"`SET` with the `!GET` argument","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"value","type":"string"}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "mget": {"summary":"Atomically returns the string values of one or more keys.","since":"1.0.0","group":"string","complexity":"O(N) where N is the number of keys to retrieve.","args":[{"name":"key","type":"key","keySpecIndex":0,"flags":["multiple"]}],"tips":["request_policy:multi_shard"],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":1,"limit":0}}]},
  "mset": {"summary":"Atomically creates or modifies the string values of one or more keys.","since":"1.0.1","group":"string","complexity":"O(N) where N is the number of keys to set.","args":[{"name":"data","type":"block","flags":["multiple"],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"value","type":"string"}]}],"tips":["request_policy:multi_shard","response_policy:all_succeeded"],"keySpecs":[{"flags":["OW","update"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":2,"limit":0}}]},
  "msetnx": {"summary":"Atomically modifies the string values of one or more keys only when all keys don't exist.","since":"1.0.1","group":"string","complexity":"O(N) where N is the number of keys to set.","args":[{"name":"data","type":"block","flags":["multiple"],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"value","type":"string"}]}],"tips":["request_policy:multi_shard","response_policy:agg_min"],"keySpecs":[{"flags":["OW","insert"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":2,"limit":0}}]},
  "append": {"summary":"Appends a string to the value of a key. Creates the key if it doesn't exist.","since":"2.0.0","group":"string","complexity":"O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"value","type":"string"}],"keySpecs":[{"flags":["RW","insert"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "strlen": {"summary":"Returns the length of a string value.","since":"2.2.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RO"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "getrange": {"summary":"Returns a substring of the string stored at a key.","since":"2.4.0","group":"string","complexity":"O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"start","type":"integer"},{"name":"end","type":"integer"}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "substr": {"summary":"Returns a substring from a string value.","since":"1.0.0","group":"string","complexity":"O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.","docFlags":["deprecated"],"deprecatedSince":"2.0.0","replacedBy":"`GETRANGE`","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"start","type":"integer"},{"name":"end","type":"integer"}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "setrange": {"summary":"Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.","since":"2.2.0","group":"string","complexity":"O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"offset","type":"integer"},{"name":"value","type":"string"}],"keySpecs":[{"flags":["RW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "incr": {"summary":"Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.","since":"1.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "decr": {"summary":"Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.","since":"1.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "incrby": {"summary":"Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.","since":"1.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"increment","type":"integer"}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "decrby": {"summary":"Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.","since":"1.0.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"decrement","type":"integer"}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "incrbyfloat": {"summary":"Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.","since":"2.6.0","group":"string","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"increment","type":"double"}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "lcs": {"summary":"Finds the longest common substring.","since":"7.0.0","group":"string","complexity":"O(N*M) where N and M are the lengths of s1 and s2, respectively","args":[{"name":"key1","type":"key","keySpecIndex":0},{"name":"key2","type":"key","keySpecIndex":0},{"name":"len","type":"pure-token","token":"LEN","flags":["optional"]},{"name":"idx","type":"pure-token","token":"IDX","flags":["optional"]},{"name":"min-match-len","type":"integer","token":"MINMATCHLEN","flags":["optional"]},{"name":"withmatchlen","type":"pure-token","token":"WITHMATCHLEN","flags":["optional"]}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":1,"keystep":1,"limit":0}}]},
  "del": {"summary":"Deletes one or more keys.","since":"1.0.0","group":"generic","complexity":"O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).","args":[{"name":"key","type":"key","keySpecIndex":0,"flags":["multiple"]}],"tips":["request_policy:multi_shard","response_policy:agg_sum"],"keySpecs":[{"flags":["RM","delete"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":1,"limit":0}}]},
  "unlink": {"summary":"Asynchronously deletes one or more keys.","since":"4.0.0","group":"generic","complexity":"O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.","args":[{"name":"key","type":"key","keySpecIndex":0,"flags":["multiple"]}],"tips":["request_policy:multi_shard","response_policy:agg_sum"],"keySpecs":[{"flags":["RM","delete"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":1,"limit":0}}]},
  "exists": {"summary":"Determines whether one or more keys exist.","since":"1.0.0","group":"generic","complexity":"O(N) where N is the number of keys to check.","history":[["3.0.3","Accepts multiple `key` arguments."]],"args":[{"name":"key","type":"key","keySpecIndex":0,"flags":["multiple"]}],"tips":["request_policy:multi_shard","response_policy:agg_sum"],"keySpecs":[{"flags":["RO"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":1,"limit":0}}]},
  "touch": {"summary":"Returns the number of existing keys out of those specified after updating the time they were last accessed.","since":"3.2.1","group":"generic","complexity":"O(N) where N is the number of keys that will be touched.","args":[{"name":"key","type":"key","keySpecIndex":0,"flags":["multiple"]}],"tips":["request_policy:multi_shard","response_policy:agg_sum"],"keySpecs":[{"flags":["RO"],"bs":{"index":1},"fk":{"lastkey":-1,"keystep":1,"limit":0}}]},
  "type": {"summary":"Determines the type of value stored at a key.","since":"1.0.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RO"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "rename": {"summary":"Renames a key and overwrites the destination.","since":"1.0.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"newkey","type":"key","keySpecIndex":1}],"keySpecs":[{"flags":["RW","access","delete"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}},{"flags":["OW","update"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "renamenx": {"summary":"Renames a key only when the target key name doesn't exist.","since":"1.0.0","group":"generic","complexity":"O(1)","history":[["3.2.0","The command no longer returns an error when source and destination names are the same."]],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"newkey","type":"key","keySpecIndex":1}],"keySpecs":[{"flags":["RW","access","delete"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}},{"flags":["OW","insert"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "copy": {"summary":"Copies the value of a key to a new key.","since":"6.2.0","group":"generic","complexity":"O(N) worst case for collections, where N is the number of nested items. O(1) for string values.","args":[{"name":"source","type":"key","keySpecIndex":0},{"name":"destination","type":"key","keySpecIndex":1},{"name":"destination-db","type":"integer","token":"DB","flags":["optional"]},{"name":"replace","type":"pure-token","token":"REPLACE","flags":["optional"]}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}},{"flags":["OW","update"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "move": {"summary":"Moves a key to another database.","since":"1.0.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"db","type":"integer"}],"keySpecs":[{"flags":["RW","access","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "swapdb": {"summary":"Swaps two Redis databases.","since":"4.0.0","group":"server","complexity":"O(N) where N is the count of clients watching or blocking on keys from both databases.","args":[{"name":"index1","type":"integer"},{"name":"index2","type":"integer"}]},
  "dbsize": {"summary":"Returns the number of keys in the database.","since":"1.0.0","group":"server","complexity":"O(1)","tips":["request_policy:all_shards","response_policy:agg_sum"]},
  "flushdb": {"summary":"Remove all keys from the current database.","since":"1.0.0","group":"server","complexity":"O(N) where N is the number of keys in the selected database","history":[["4.0.0","Added the `ASYNC` flushing mode modifier."],["6.2.0","Added the `SYNC` flushing mode modifier."]],"args":[{"name":"flush-type","type":"oneof","flags":["optional"],"args":[{"name":"async","type":"pure-token","token":"ASYNC","since":"4.0.0"},{"name":"sync","type":"pure-token","token":"SYNC","since":"6.2.0"}]}],"tips":["request_policy:all_shards","response_policy:all_succeeded"]},
  "flushall": {"summary":"Removes all keys from all databases.","since":"1.0.0","group":"server","complexity":"O(N) where N is the total number of keys in all databases","history":[["4.0.0","Added the `ASYNC` flushing mode modifier."],["6.2.0","Added the `SYNC` flushing mode modifier."]],"args":[{"name":"flush-type","type":"oneof","flags":["optional"],"args":[{"name":"async","type":"pure-token","token":"ASYNC","since":"4.0.0"},{"name":"sync","type":"pure-token","token":"SYNC","since":"6.2.0"}]}],"tips":["request_policy:all_shards","response_policy:all_succeeded"]},
  "keys": {"summary":"Returns all key names that match a pattern.","since":"1.0.0","group":"generic","complexity":"O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.","args":[{"name":"pattern","type":"pattern"}],"tips":["request_policy:all_shards","nondeterministic_output_order"]},
  "scan": {"summary":"Iterates over the key names in the database.","since":"2.8.0","group":"generic","complexity":"O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.","history":[["6.0.0","Added the `TYPE` subcommand."]],"args":[{"name":"cursor","type":"integer"},{"name":"pattern","type":"pattern","token":"MATCH","flags":["optional"]},{"name":"count","type":"integer","token":"COUNT","flags":["optional"]},{"name":"type","type":"string","token":"TYPE","since":"6.0.0","flags":["optional"]}],"tips":["nondeterministic_output","request_policy:special"]},
  "randomkey": {"summary":"Returns a random key name from the database.","since":"1.0.0","group":"generic","complexity":"O(1)","tips":["request_policy:all_shards","nondeterministic_output"]},
  "expire": {"summary":"Sets the expiration time of a key in seconds.","since":"1.0.0","group":"generic","complexity":"O(1)","history":[["7.0.0","Added options: `NX`, `XX`, `GT` and `LT`."]],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"seconds","type":"integer"},{"name":"condition","type":"oneof","since":"7.0.0","flags":["optional"],"args":[{"name":"nx","type":"pure-token","token":"NX"},{"name":"xx","type":"pure-token","token":"XX"},{"name":"gt","type":"pure-token","token":"GT"},{"name":"lt","type":"pure-token","token":"LT"}]}],"keySpecs":[{"flags":["RW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "pexpire": {"summary":"Sets the expiration time of a key in milliseconds.","since":"2.6.0","group":"generic","complexity":"O(1)","history":[["7.0.0","Added options: `NX`, `XX`, `GT` and `LT`."]],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"milliseconds","type":"integer"},{"name":"condition","type":"oneof","since":"7.0.0","flags":["optional"],"args":[{"name":"nx","type":"pure-token","token":"NX"},{"name":"xx","type":"pure-token","token":"XX"},{"name":"gt","type":"pure-token","token":"GT"},{"name":"lt","type":"pure-token","token":"LT"}]}],"keySpecs":[{"flags":["RW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "expireat": {"summary":"Sets the expiration time of a key to a Unix timestamp.","since":"1.2.0","group":"generic","complexity":"O(1)","history":[["7.0.0","Added options: `NX`, `XX`, `GT` and `LT`."]],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"unix-time-seconds","type":"unix-time"},{"name":"condition","type":"oneof","since":"7.0.0","flags":["optional"],"args":[{"name":"nx","type":"pure-token","token":"NX"},{"name":"xx","type":"pure-token","token":"XX"},{"name":"gt","type":"pure-token","token":"GT"},{"name":"lt","type":"pure-token","token":"LT"}]}],"keySpecs":[{"flags":["RW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "pexpireat": {"summary":"Sets the expiration time of a key to a Unix milliseconds timestamp.","since":"2.6.0","group":"generic","complexity":"O(1)","history":[["7.0.0","Added options: `NX`, `XX`, `GT` and `LT`."]],"args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"unix-time-milliseconds","type":"unix-time"},{"name":"condition","type":"oneof","since":"7.0.0","flags":["optional"],"args":[{"name":"nx","type":"pure-token","token":"NX"},{"name":"xx","type":"pure-token","token":"XX"},{"name":"gt","type":"pure-token","token":"GT"},{"name":"lt","type":"pure-token","token":"LT"}]}],"keySpecs":[{"flags":["RW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "ttl": {"summary":"Returns the expiration time in seconds of a key.","since":"1.0.0","group":"generic","complexity":"O(1)","history":[["2.8.0","Added the -2 reply."]],"args":[{"name":"key","type":"key","keySpecIndex":0}],"tips":["nondeterministic_output"],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "pttl": {"summary":"Returns the expiration time in milliseconds of a key.","since":"2.6.0","group":"generic","complexity":"O(1)","history":[["2.8.0","Added the -2 reply."]],"args":[{"name":"key","type":"key","keySpecIndex":0}],"tips":["nondeterministic_output"],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "expiretime": {"summary":"Returns the expiration time of a key as a Unix timestamp.","since":"7.0.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "pexpiretime": {"summary":"Returns the expiration time of a key as a Unix milliseconds timestamp.","since":"7.0.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RO","access"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "persist": {"summary":"Removes the expiration time of a key.","since":"2.2.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"keySpecs":[{"flags":["RW","update"],"bs":{"index":1},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "object": {"summary":"A container for object introspection commands.","since":"2.2.3","group":"generic","complexity":"Depends on subcommand."},
  "object|help": {"summary":"Returns helpful text about the different subcommands.","since":"6.2.0","group":"generic","complexity":"O(1)"},
  "object|encoding": {"summary":"Returns the internal encoding of a Redis object.","since":"2.2.3","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"tips":["nondeterministic_output"],"keySpecs":[{"flags":["RO"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "object|freq": {"summary":"Returns the logarithmic access frequency counter of a Redis object.","since":"4.0.0","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"tips":["nondeterministic_output"],"keySpecs":[{"flags":["RO"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "object|idletime": {"summary":"Returns the time since the last access to a Redis object.","since":"2.2.3","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"tips":["nondeterministic_output"],"keySpecs":[{"flags":["RO"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "object|refcount": {"summary":"Returns the reference count of a value of a key.","since":"2.2.3","group":"generic","complexity":"O(1)","args":[{"name":"key","type":"key","keySpecIndex":0}],"tips":["nondeterministic_output"],"keySpecs":[{"flags":["RO"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "memory": {"summary":"A container for memory diagnostics commands.","since":"4.0.0","group":"server","complexity":"Depends on subcommand."},
  "memory|stats": {"summary":"Returns details about memory usage.","since":"4.0.0","group":"server","complexity":"O(1)","tips":["nondeterministic_output","request_policy:all_shards","response_policy:special"]},
  "memory|doctor": {"summary":"Outputs a memory problems report.","since":"4.0.0","group":"server","complexity":"O(1)","tips":["nondeterministic_output","request_policy:all_shards","response_policy:special"]},
  "memory|malloc-stats": {"summary":"Returns the allocator statistics.","since":"4.0.0","group":"server","complexity":"Depends on how much memory is allocated, could be slow","tips":["nondeterministic_output","request_policy:all_shards","response_policy:special"]},
  "memory|purge": {"summary":"Asks the allocator to release memory.","since":"4.0.0","group":"server","complexity":"Depends on how much memory is allocated, could be slow","tips":["request_policy:all_shards","response_policy:all_succeeded"]},
  "memory|usage": {"summary":"Estimates the memory usage of a key.","since":"4.0.0","group":"server","complexity":"O(N) where N is the number of samples.","args":[{"name":"key","type":"key","keySpecIndex":0},{"name":"count","type":"integer","token":"SAMPLES","flags":["optional"]}],"keySpecs":[{"flags":["RO"],"bs":{"index":2},"fk":{"lastkey":0,"keystep":1,"limit":0}}]},
  "memory|help": {"summary":"Returns helpful text about the different subcommands.","since":"4.0.0","group":"server","complexity":"O(1)"},
};
// END GENERATED
