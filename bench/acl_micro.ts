// In-process cost of the ACL check on the dispatch path: `bun bench/acl_micro.ts`.
//
// dispatch() of GET and SET (one shard, no network) for a session of
//   - the default user (allowed everything: the dispatcher tests one boolean, s.aclAll),
//   - a user allowed every command and key but not every channel (the command bitmap and key-free
//     checks run: aclAll is false),
//   - a user limited to the key pattern "key:*" (bitmap plus one glob match per key).
// Compare the default-user lines with the same script on a tree without ACLs (it skips the ACL
// cases there). Medians of 8 rounds of 200k commands each.

import { Config } from "../src/config.ts";
import { commandTable } from "../src/commands/registry.ts";
import { Keyspace, createKeyspaceBuffers } from "../src/keyspace/keyspace.ts";
import { ReplyWriter } from "../src/resp/writer.ts";
import { Exec, type Peers } from "../src/server/exec.ts";
import { dispatch } from "../src/server/dispatch.ts";
import { Session, type SessionData } from "../src/server/session.ts";
import { SlowLog } from "../src/server/slowlog.ts";
import { Stats, createStatsBuffer } from "../src/server/stats.ts";
import type { Socket } from "bun";

const te = new TextEncoder();
const table = commandTable();
const cfg = new Config();
const ks = new Keyspace(createKeyspaceBuffers(1, 16));
const stats = new Stats(createStatsBuffer(1), 0, 1, table.all.length);
const peers: Peers = { broadcast: async () => [], shutdown: () => {}, snapshot: async () => ({ ok: false }) };
const sessions = new Map<number, Session>();
const x = new Exec(ks, new ReplyWriter(), cfg, stats, table, peers, sessions, new SlowLog(() => 0), 0, 1, "r", () => 0);
const fakeSocket = { remoteAddress: "127.0.0.1", remotePort: 1 } as unknown as Socket<SessionData>;
const parserLimits = { bulkBytesMax: 512 << 20, queryBufferBytesMax: 1 << 30 };

// The ACL module exists only in trees with ACLs: load it dynamically so the script runs on both.
let acl: typeof import("../src/acl/state.ts") | null = null;
try {
  acl = await import("../src/acl/state.ts");
} catch {
  acl = null;
}
if (acl !== null) (x as unknown as { acl: unknown }).acl = acl.createAclState(x);

function session(user: string | null): Session {
  const s = new Session(sessions.size + 1, fakeSocket, parserLimits, Date.now());
  s.authenticated = true;
  if (user !== null && acl !== null) {
    const u = x.acl.store.get(user)!;
    x.acl.attach(s, u);
  }
  return s;
}

function setUser(name: string, ops: string[]): void {
  const u = x.acl.store.prepare(name, ops);
  if (typeof u === "string") throw new Error(u);
  x.acl.store.commit(u);
}

const keys = Array.from({ length: 1024 }, (_, i) => te.encode(`key:${String(i).padStart(12, "0")}`));
const GET = te.encode("GET");
const SET = te.encode("SET");
const value = te.encode("xyz");
const getArgv = [GET, keys[0]];
const setArgv = [SET, keys[0], value];
let i = 0;

function run1(s: Session, argv: Uint8Array[]): void {
  argv[1] = keys[i++ & 1023];
  x.out.reset();
  dispatch(x, s, argv);
}

const cases: [string, Session][] = [["default user", session(acl !== null ? "default" : null)]];
if (acl !== null) {
  setUser("nochannels", ["on", "nopass", "+@all", "~*", "resetchannels"]);
  setUser("keypattern", ["on", "nopass", "+@all", "~key:*", "&*"]);
  cases.push(["+@all ~* (no channels)", session("nochannels")], ["+@all ~key:*", session("keypattern")]);
}
for (const k of keys) run1(cases[0][1], [SET, k, value]);

// Rounds alternate the cases so drift hits all alike; the report is the median ns per command.
const n = 200_000;
const rounds = 9;
const samples = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const [label, s] of cases) {
    for (const [name, argv] of [["GET", getArgv], ["SET", setArgv]] as const) {
      const t0 = performance.now();
      for (let j = 0; j < n; j++) run1(s, argv);
      const ns = ((performance.now() - t0) * 1e6) / n;
      const k = `${name} ${label}`;
      if (!samples.has(k)) samples.set(k, []);
      if (r > 0) samples.get(k)!.push(ns); // round 0 warms up
    }
  }
}
for (const [k, v] of samples) {
  v.sort((a, b) => a - b);
  console.log(`${k.padEnd(32)} median ${v[v.length >> 1].toFixed(0)} ns  min ${v[0].toFixed(0)} ns`);
}
