// Regenerates the docs data at the end of src/commands/command_docs.ts from the Redis command facts
// (../shared/redis-commands/*.json by default), for exactly the commands in memkeep's table.
//
//   bun scripts/gen_command_docs.ts [facts-dir]
//
// The facts describe a newer Redis than the 7.0.15 we match, so history entries and arguments added
// after 7.0.15 are left out. Run it whenever a command group lands; the command table test fails
// while a command has no docs.

import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { commandTable, fullName } from "../src/commands/registry.ts";
import type { ArgDoc, CommandDoc, KeySpecDoc } from "../src/commands/command_docs.ts";

const targetVersion = [7, 0, 15];
const factsDir = resolve(process.argv[2] ?? join(import.meta.dir, "..", "..", "shared", "redis-commands"));
const docsFile = join(import.meta.dir, "..", "src", "commands", "command_docs.ts");

/**
 * Command tips where 7.0.15 differs from the (newer) facts; test/command_table.e2e.test.ts compares
 * every tip with redis-server 7.0 and names any new difference.
 */
const tipsIn70: Record<string, string[]> = {
  "acl|deluser": [],
  "acl|save": [],
  "acl|setuser": [],
  "client|setname": [],
  "config|resetstat": [],
  msetnx: ["request_policy:multi_shard", "response_policy:agg_min"],
  randomkey: ["request_policy:all_shards", "nondeterministic_output"],
  scan: ["nondeterministic_output", "request_policy:special"],
};

/**
 * Doc fields where 7.0.15 differs from the facts (later releases re-dated or deprecated these);
 * test/server.e2e.test.ts compares them with redis-server 7.0.
 */
const docsIn70: Record<string, Partial<CommandDoc> & { notDeprecated?: true }> = {
  "client|pause": { since: "2.9.50" },
  setnx: { notDeprecated: true },
  setex: { notDeprecated: true },
  psetex: { notDeprecated: true },
  zrandmember: { complexity: "O(N) where N is the number of elements returned" },
  zscan: { complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." },
  hscan: { complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." },
  sscan: { complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." },
  geopos: { complexity: "O(N) where N is the number of members requested." },
  geodist: { complexity: "O(log(N))" },
  geohash: { complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set." },
  psubscribe: { complexity: "O(N) where N is the number of patterns the client is already subscribed to." },
  unsubscribe: { complexity: "O(N) where N is the number of clients already subscribed to a channel." },
  punsubscribe: { complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client)." },
  sunsubscribe: { complexity: "O(N) where N is the number of clients already subscribed to a shard channel." },
  xread: { complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data." },
};

/** Command groups renamed after 7.0.15 (7.0 spells sorted sets with a dash). */
const groupsIn70: Record<string, string> = { sorted_set: "sorted-set" };

/** Key-spec flags in 7.0.15's order where the facts list them differently. */
const keySpecFlagsIn70: Record<string, string[][]> = {
  bitfield: [["RW", "access", "update", "variable_flags"]],
};

function newerThanTarget(v: string | undefined): boolean {
  if (v === undefined) return false;
  const p = v.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((p[i] ?? 0) !== targetVersion[i]) return (p[i] ?? 0) > targetVersion[i];
  }
  return false;
}

interface FactArg {
  name: string;
  type: string;
  key_spec_index?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecated_since?: string;
  optional?: boolean;
  multiple?: boolean;
  multiple_token?: boolean;
  arguments?: FactArg[];
}
interface FactKeySpec {
  notes?: string;
  flags: string[];
  begin_search: { index?: { pos: number }; keyword?: { keyword: string; startfrom: number }; unknown?: null };
  find_keys: {
    range?: { lastkey: number; step: number; limit: number };
    keynum?: { keynumidx: number; firstkey: number; step: number };
    unknown?: null;
  };
}
interface Fact {
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  doc_flags?: string[];
  deprecated_since?: string;
  replaced_by?: string;
  history?: [string, string][];
  arguments?: FactArg[];
  command_tips?: string[];
  key_specs?: FactKeySpec[];
}

function convertArgs(args: FactArg[]): ArgDoc[] {
  const out: ArgDoc[] = [];
  for (const a of args) {
    if (newerThanTarget(a.since)) continue;
    const d: ArgDoc = { name: a.name, type: a.type };
    if (a.key_spec_index !== undefined) d.keySpecIndex = a.key_spec_index;
    if (a.token !== undefined) d.token = a.token;
    if (a.summary !== undefined) d.summary = a.summary;
    if (a.since !== undefined) d.since = a.since;
    if (a.deprecated_since !== undefined) d.deprecatedSince = a.deprecated_since;
    const flags: string[] = [];
    if (a.optional) flags.push("optional");
    if (a.multiple) flags.push("multiple");
    if (a.multiple_token) flags.push("multiple_token");
    if (flags.length > 0) d.flags = flags;
    if (a.arguments !== undefined) d.args = convertArgs(a.arguments);
    out.push(d);
  }
  return out;
}

const upperKeyFlags = new Set(["RO", "RW", "OW", "RM"]);

function convertKeySpec(k: FactKeySpec): KeySpecDoc {
  const bs = k.begin_search;
  const fk = k.find_keys;
  return {
    ...(k.notes !== undefined ? { notes: k.notes } : {}),
    flags: k.flags.map((f) => (upperKeyFlags.has(f) ? f : f.toLowerCase())),
    bs: bs.index ? { index: bs.index.pos } : bs.keyword ? { keyword: bs.keyword.keyword, startfrom: bs.keyword.startfrom } : "unknown",
    fk: fk.range
      ? { lastkey: fk.range.lastkey, keystep: fk.range.step, limit: fk.range.limit }
      : fk.keynum
        ? { keynumidx: fk.keynum.keynumidx, firstkey: fk.keynum.firstkey, keystep: fk.keynum.step }
        : "unknown",
  };
}

function factFor(name: string): Fact | undefined {
  const [parent, sub] = name.split("|");
  const file = join(factsDir, sub === undefined ? `${parent}.json` : `${parent}-${sub}.json`);
  if (!existsSync(file)) return undefined;
  const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, Fact>;
  return json[(sub ?? parent).toUpperCase()] ?? Object.values(json)[0];
}

function convert(name: string, f: Fact): CommandDoc {
  const d: CommandDoc = { summary: f.summary, since: f.since, group: groupsIn70[f.group] ?? f.group };
  if (f.complexity !== undefined) d.complexity = f.complexity;
  const over = docsIn70[name];
  if (over?.complexity !== undefined) d.complexity = over.complexity;
  // A deprecation newer than 7.0.15 is not 7.0's (QUIT was deprecated in 7.2).
  const deprecated = f.deprecated_since !== undefined && !newerThanTarget(f.deprecated_since) && over?.notDeprecated !== true;
  const docFlags = (f.doc_flags ?? []).map((s) => s.toLowerCase()).filter((s) => deprecated || s !== "deprecated");
  if (docFlags.length > 0) d.docFlags = docFlags;
  if (deprecated) {
    d.deprecatedSince = f.deprecated_since;
    if (f.replaced_by !== undefined) d.replacedBy = f.replaced_by;
  }
  if (over?.since !== undefined) d.since = over.since;
  const history = (f.history ?? []).filter(([v]) => !newerThanTarget(v));
  if (history.length > 0) d.history = history;
  if (f.arguments !== undefined) d.args = convertArgs(f.arguments);
  const tips = tipsIn70[name] ?? f.command_tips?.map((t) => t.toLowerCase());
  if (tips !== undefined && tips.length > 0) d.tips = tips;
  if (f.key_specs !== undefined) {
    d.keySpecs = f.key_specs.map(convertKeySpec);
    const flags = keySpecFlagsIn70[name];
    if (flags !== undefined) d.keySpecs.forEach((k, i) => (k.flags = flags[i] ?? k.flags));
  }
  return d;
}

const docs: Record<string, CommandDoc> = {};
const missing: string[] = [];
for (const spec of commandTable().all) {
  const name = fullName(spec);
  const fact = factFor(name);
  if (fact) docs[name] = convert(name, fact);
  else missing.push(name);
}

const body =
  "export const commandDocs: Readonly<Record<string, CommandDoc>> = {\n" +
  Object.entries(docs)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`)
    .join("\n") +
  "\n};\n";

const src = readFileSync(docsFile, "utf8");
const begin = src.indexOf("// BEGIN GENERATED");
const end = src.indexOf("// END GENERATED");
if (begin < 0 || end < 0) throw new Error(`${docsFile}: generated-data markers not found`);
const beginLineEnd = src.indexOf("\n", begin) + 1;
writeFileSync(docsFile, src.slice(0, beginLineEnd) + body + src.slice(end));
console.log(`command docs: ${Object.keys(docs).length} commands written to ${docsFile}`);
if (missing.length > 0) console.log(`no facts for: ${missing.join(", ")}`);
