// In-process cost of the data-type commands of `bench:compare --suite types`: `bun bench/types_micro.ts [filter]`.
//
// dispatch() (one shard, no network, default user) of the same command shapes bench/compare.ts
// sends, with members and fields drawn like redis-benchmark's __rand_int__ (12 digits, below
// 100000), on keys prefilled like its setup. SET is the control. Medians of rounds of n commands;
// the first round warms up. Reports CPU ns per command (process CPU time, less noisy than wall
// time on a shared machine). ROUNDS=n sets the rounds; a filter (e.g. `ZRANK`) runs the matching
// cases plus the SET controls, NOSET=1 drops the controls. GEOSEARCH1M is the same search with a
// 1 m radius: the fixed cost of a search (cells, descents, parsing).

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
const s = new Session(1, fakeSocket, { bulkBytesMax: 512 << 20, queryBufferBytesMax: 1 << 30 }, Date.now());
s.authenticated = true;
const acl = await import("../src/acl/state.ts");
(x as unknown as { acl: unknown }).acl = acl.createAclState(x);
x.acl.attach(s, x.acl.store.get("default")!);

/** Process CPU time in ms: on a shared machine, less noisy than wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const keyspace = 100_000;
const randCount = 1 << 16;

function run(argv: string[]): void {
  x.out.reset();
  dispatch(x, s, argv.map((a) => te.encode(a)));
}

/**
 * One argv per case, reused: each __rand_int__ is a 12-digit slot rewritten before every call with
 * its own draw (as redis-benchmark does), so arguments stay hot in cache like a parser's buffer.
 */
interface Argv {
  argv: Uint8Array[];
  slots: [Uint8Array, number][];
}
function makeArgv(template: string[]): Argv {
  const argv: Uint8Array[] = [];
  const slots: [Uint8Array, number][] = [];
  for (const a of template) {
    const b = te.encode(a.replaceAll("__rand_int__", "000000000000"));
    for (let at = a.indexOf("__rand_int__"); at >= 0; at = a.indexOf("__rand_int__", at + 1)) slots.push([b, at]);
    argv.push(b);
  }
  return { argv, slots };
}
const draws = new Int32Array(randCount).map(() => Math.floor(Math.random() * keyspace));
let drawAt = 0;
function randomize(v: Argv): void {
  for (let k = 0; k < v.slots.length; k++) {
    const [b, at] = v.slots[k];
    let r = draws[drawAt++ & (randCount - 1)];
    for (let i = at + 11; i >= at; i--) {
      b[i] = 48 + (r % 10);
      r = (r / 10) | 0;
    }
  }
}

function fillList(key: string, n: number): void {
  run(["DEL", key]);
  for (let d = 0; d < n; d += 1000) run(["RPUSH", key, ...Array<string>(Math.min(1000, n - d)).fill("x")]);
}
function fillSortedSet(key: string): void {
  for (let first = 0; first < keyspace; first += 1000) {
    const c = ["ZADD", key];
    for (let i = first; i < first + 1000; i++) c.push(String(i), `member:${String(i).padStart(12, "0")}`);
    run(c);
  }
}
function fillGeo(key: string): void {
  for (let row = 0; row < 100; row++) {
    const c = ["GEOADD", key];
    for (let col = 0; col < 100; col++) c.push((13.15 + col * 0.005).toFixed(6), (52.35 + row * 0.003).toFixed(6), `place:${row * 100 + col}`);
    run(c);
  }
}

interface Case { name: string; template: string[]; setup?: () => void; n: number }
const cases: Case[] = [
  { name: "SET", template: ["SET", "key:__rand_int__", "xxx"], n: 200_000 },
  { name: "GET", template: ["GET", "key:__rand_int__"], n: 200_000 },
  { name: "INCR", template: ["INCR", "counter:__rand_int__"], n: 200_000 },
  { name: "LPUSH", template: ["LPUSH", "list:push", "__rand_int__"], n: 200_000 },
  { name: "LPOP", template: ["LPOP", "list:pop"], n: 200_000 }, // refilled before every round
  { name: "HSET", template: ["HSET", "hash:set", "__rand_int__", "value"], n: 200_000 },
  { name: "ZADD", template: ["ZADD", "zset:add", "__rand_int__", "member:__rand_int__"], n: 200_000 },
  { name: "ZRANGE", template: ["ZRANGE", "zset:read", "0", "99"], setup: () => fillSortedSet("zset:read"), n: 20_000 },
  { name: "ZRANK", template: ["ZRANK", "zset:read", "member:__rand_int__"], setup: () => fillSortedSet("zset:read"), n: 200_000 },
  { name: "GEOSEARCH", template: ["GEOSEARCH", "geo:read", "FROMLONLAT", "13.4", "52.5", "BYRADIUS", "1", "km", "ASC", "COUNT", "10"], setup: () => fillGeo("geo:read"), n: 20_000 },
  { name: "GEOSEARCH1M", template: ["GEOSEARCH", "geo:read", "FROMLONLAT", "13.4", "52.5", "BYRADIUS", "1", "m", "ASC", "COUNT", "10"], setup: () => fillGeo("geo:read"), n: 20_000 },
  { name: "GEOSEARCHC1", template: ["GEOSEARCH", "geo:read", "FROMLONLAT", "13.4", "52.5", "BYRADIUS", "1", "km", "ASC", "COUNT", "1"], setup: () => fillGeo("geo:read"), n: 20_000 },
  { name: "PFADD", template: ["PFADD", "hll:add", "__rand_int__"], n: 200_000 },
  // The control again, after every type ran: shared helpers (hash32, the reply writer) have now
  // seen every caller, as in a server that served them all.
  { name: "SET-AFTER", template: ["SET", "key:__rand_int__", "xxx"], n: 200_000 },
];

const filter = process.argv[2]?.toUpperCase();
const rounds = Number(process.env.ROUNDS ?? 7);
for (const c of cases) {
  if (filter && !c.name.includes(filter) && (!c.name.startsWith("SET") || process.env.NOSET)) continue;
  c.setup?.();
  const v = makeArgv(c.template);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (c.name === "LPOP") fillList("list:pop", c.n + 10);
    const t0 = cpuMs();
    for (let j = 0; j < c.n; j++) {
      randomize(v);
      x.out.reset();
      dispatch(x, s, v.argv);
    }
    const ns = ((cpuMs() - t0) * 1e6) / c.n;
    if (r > 0) samples.push(ns);
  }
  samples.sort((a, b) => a - b);
  console.log(`${c.name.padEnd(10)} median ${samples[samples.length >> 1].toFixed(0).padStart(6)} ns  min ${samples[0].toFixed(0).padStart(6)} ns`);
}
