// Generators for the stream commands: streams.add (XADD, XTRIM, XDEL, XSETID, DEL), streams.read
// (XLEN, XRANGE, XREVRANGE, XREAD), streams.groups (XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM,
// XPENDING) and streams.info (XINFO).
//
// Auto IDs are nondeterministic (the servers' clocks differ by the time between their commands), so
// the streams that are read back use explicit IDs: a per-run counter keeps them mostly increasing
// (an Rng-keyed WeakMap, so a seed still fixes the whole run), with some random, stale and malformed
// IDs for the error paths; "ms-*" IDs are deterministic too. "*" goes only to the key "auto", whose
// XADD replies are compared by shape and whose content is only measured with XLEN.
// Clock-dependent numbers are kept out of the comparison (streamsExceptions): idle times and ms
// timestamps in XPENDING / XINFO CONSUMERS / XINFO STREAM FULL, and XINFO's radix-tree-nodes (Redis's
// radix tree internals). Min-idle arguments are 0 or an hour, so what gets claimed is deterministic.

import { type Command, type Exception, type Rng, isCommand, registerGenerators, registerStateDigest, shapeEqual } from "./harness.ts";

const keys = ["s1", "s2", "s3", "{t}s"] as const;
const groupNames = ["g1", "g2"] as const;
const consumers = ["alice", "bob", "carol"] as const;
const fieldNames = ["f", "name", "n", "", "x y"] as const;
const values = ["1", "v", "hello", "", "42", "abc def"] as const;

/** Per run (per Rng), per key: the ms part of the next explicit ID. */
const counters = new WeakMap<Rng, Map<string, number>>();

function nextMs(rng: Rng, key: string): number {
  let m = counters.get(rng);
  if (!m) counters.set(rng, (m = new Map()));
  const v = (m.get(key) ?? 0) + rng.range(1, 3);
  m.set(key, v);
  return v;
}
function currentMs(rng: Rng, key: string): number {
  return counters.get(rng)?.get(key) ?? 0;
}

function key(rng: Rng): string {
  return rng.pick(keys);
}

/** An ID near the key's recent IDs (for reads, deletes and claims), sometimes an edge. */
function nearId(rng: Rng, k: string): string {
  const top = currentMs(rng, k);
  return rng.weighted<() => string>([
    [60, () => `${Math.max(0, top - rng.int(12))}-${rng.int(2)}`],
    [10, () => String(Math.max(0, top - rng.int(12)))],
    [5, () => "0"],
    [5, () => "0-0"],
    [3, () => "18446744073709551615-18446744073709551615"],
    [3, () => "abc"],
    [2, () => "1-x"],
    [2, () => "-1"],
    [2, () => " 5"],
    [2, () => "007"],
  ])();
}

/** A range bound: "-" / "+", exclusive "(" forms, or an ID near the key's IDs. */
function bound(rng: Rng, k: string, start: boolean): string {
  return rng.weighted<() => string>([
    [30, () => (start ? "-" : "+")],
    [40, () => nearId(rng, k)],
    [15, () => `(${nearId(rng, k)}`],
    [3, () => (start ? "+" : "-")],
    [2, () => "(-"],
  ])();
}

function fields(rng: Rng): string[] {
  const n = rng.weighted([[70, 1], [20, 2], [5, 3], [5, 0]] as const);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(fieldNames), rng.pick(values));
  if (rng.chance(0.02)) out.push("odd");
  return out;
}

function addId(rng: Rng, k: string): string {
  return rng.weighted<() => string>([
    [70, () => `${nextMs(rng, k)}-${rng.int(3)}`],
    [10, () => `${nextMs(rng, k)}-*`],
    [5, () => `${currentMs(rng, k)}-*`],
    [5, () => String(nextMs(rng, k))],
    [5, () => nearId(rng, k)],
    [2, () => "0-0"],
    [2, () => "0-*"],
    [1, () => "*x"],
  ])();
}

function trimArgs(rng: Rng, k: string): string[] {
  const out: string[] = [];
  if (rng.chance(0.5)) out.push("MAXLEN");
  else out.push("MINID");
  const mode = rng.weighted([[50, ""], [30, "~"], [20, "="]] as const);
  if (mode) out.push(mode);
  if (out[0] === "MAXLEN") out.push(rng.pick(["0", "1", "3", "5", "8", "12", "20", "-1", "x"]));
  else out.push(rng.chance(0.9) ? `${Math.max(0, currentMs(rng, k) - rng.int(20))}` : "bad");
  if (rng.chance(0.2)) out.push("LIMIT", rng.pick(["0", "1", "5", "10", "-1"]));
  return out;
}

registerGenerators("streams.add", [
  {
    weight: 30,
    gen: (rng) => {
      const k = key(rng);
      const cmd: Command = ["XADD", k];
      if (rng.chance(0.05)) cmd.push("NOMKSTREAM");
      if (rng.chance(0.25)) cmd.push(...trimArgs(rng, k));
      cmd.push(addId(rng, k), ...fields(rng));
      return cmd;
    },
  },
  { weight: 3, gen: (rng) => ["XADD", "auto", ...(rng.chance(0.3) ? ["MAXLEN", "~", "5"] : []), "*", "f", rng.pick(values)], nondeterministic: true },
  { weight: 1, gen: () => ["XLEN", "auto"] },
  {
    weight: 6,
    gen: (rng) => {
      const k = key(rng);
      return ["XTRIM", k, ...(rng.chance(0.05) ? ["FOO", "1"] : trimArgs(rng, k))];
    },
  },
  {
    weight: 6,
    gen: (rng) => {
      const k = key(rng);
      const n = rng.range(1, 3);
      return ["XDEL", k, ...Array.from({ length: n }, () => nearId(rng, k))];
    },
  },
  {
    weight: 2,
    gen: (rng) => {
      const k = key(rng);
      const cmd: Command = ["XSETID", k, rng.chance(0.7) ? `${currentMs(rng, k) + rng.int(3)}-${rng.int(3)}` : nearId(rng, k)];
      if (rng.chance(0.3)) cmd.push("ENTRIESADDED", rng.pick(["0", "3", "100", "-1"]));
      if (rng.chance(0.3)) cmd.push("MAXDELETEDID", nearId(rng, k));
      return cmd;
    },
  },
  { weight: 1, gen: (rng) => ["DEL", key(rng)] },
  { weight: 1, gen: () => ["SET", "str", "x"] },
]);

registerGenerators("streams.read", [
  { weight: 4, gen: (rng) => ["XLEN", rng.chance(0.9) ? key(rng) : "str"] },
  {
    weight: 10,
    gen: (rng) => {
      const k = key(rng);
      const rev = rng.chance(0.4);
      const cmd: Command = rev ? ["XREVRANGE", k, bound(rng, k, false), bound(rng, k, true)] : ["XRANGE", k, bound(rng, k, true), bound(rng, k, false)];
      if (rng.chance(0.4)) cmd.push("COUNT", rng.pick(["0", "1", "2", "5", "-1", "x"]));
      return cmd;
    },
  },
  {
    weight: 8,
    gen: (rng) => {
      const n = rng.range(1, 2);
      const ks = Array.from({ length: n }, () => key(rng));
      const cmd: Command = ["XREAD"];
      if (rng.chance(0.4)) cmd.push("COUNT", rng.pick(["1", "2", "0", "-3"]));
      if (rng.chance(0.1)) cmd.push("BLOCK", "1");
      cmd.push("STREAMS", ...ks, ...ks.map((k) => (rng.chance(0.2) ? "$" : rng.chance(0.7) ? nearId(rng, k) : "0")));
      if (rng.chance(0.03)) cmd.pop();
      return cmd;
    },
  },
]);

function group(rng: Rng): string {
  return rng.chance(0.95) ? rng.pick(groupNames) : "nogroup";
}

registerGenerators("streams.groups", [
  {
    weight: 5,
    gen: (rng) => {
      const k = key(rng);
      const cmd: Command = ["XGROUP", "CREATE", k, group(rng), rng.pick(["$", "0", nearId(rng, k)])];
      if (rng.chance(0.6)) cmd.push("MKSTREAM");
      if (rng.chance(0.2)) cmd.push("ENTRIESREAD", rng.pick(["0", "2", "-1", "-5"]));
      return cmd;
    },
  },
  {
    weight: 3,
    gen: (rng) => {
      const k = key(rng);
      const cmd: Command = ["XGROUP", "SETID", k, group(rng), rng.pick(["$", "0", nearId(rng, k)])];
      if (rng.chance(0.3)) cmd.push("ENTRIESREAD", rng.pick(["0", "3", "-1"]));
      return cmd;
    },
  },
  {
    weight: 3,
    gen: (rng) => {
      const k = key(rng);
      return rng.weighted<() => Command>([
        [3, () => ["XGROUP", "CREATECONSUMER", k, group(rng), rng.pick(consumers)]],
        [3, () => ["XGROUP", "DELCONSUMER", k, group(rng), rng.pick(consumers)]],
        [1, () => ["XGROUP", "DESTROY", k, group(rng)]],
      ])();
    },
  },
  {
    weight: 14,
    gen: (rng) => {
      const k = key(rng);
      const cmd: Command = ["XREADGROUP", "GROUP", group(rng), rng.pick(consumers)];
      if (rng.chance(0.5)) cmd.push("COUNT", rng.pick(["1", "2", "3", "0"]));
      if (rng.chance(0.15)) cmd.push("NOACK");
      if (rng.chance(0.05)) cmd.push("BLOCK", "1");
      const ks = rng.chance(0.2) ? [k, key(rng)] : [k];
      cmd.push("STREAMS", ...ks, ...ks.map((kk) => (rng.chance(0.7) ? ">" : rng.chance(0.5) ? "0" : nearId(rng, kk))));
      return cmd;
    },
  },
  {
    weight: 6,
    gen: (rng) => {
      const k = key(rng);
      const n = rng.range(1, 3);
      return ["XACK", k, group(rng), ...Array.from({ length: n }, () => nearId(rng, k))];
    },
  },
  {
    weight: 6,
    gen: (rng) => {
      const k = key(rng);
      if (rng.chance(0.4)) return ["XPENDING", k, group(rng)];
      const cmd: Command = ["XPENDING", k, group(rng)];
      if (rng.chance(0.3)) cmd.push("IDLE", rng.pick(["0", "3600000"]));
      cmd.push(bound(rng, k, true), bound(rng, k, false), rng.pick(["10", "1", "0", "-1"]));
      if (rng.chance(0.3)) cmd.push(rng.pick(consumers));
      return cmd;
    },
  },
  {
    weight: 5,
    gen: (rng) => {
      const k = key(rng);
      const n = rng.range(1, 3);
      const cmd: Command = ["XCLAIM", k, group(rng), rng.pick(consumers), rng.pick(["0", "3600000"])];
      for (let i = 0; i < n; i++) cmd.push(nearId(rng, k));
      if (rng.chance(0.4)) cmd.push("JUSTID");
      if (rng.chance(0.2)) cmd.push("FORCE");
      if (rng.chance(0.2)) cmd.push("RETRYCOUNT", rng.pick(["0", "5", "-1"]));
      if (rng.chance(0.15)) cmd.push("IDLE", "7200000");
      if (rng.chance(0.1)) cmd.push("TIME", "1");
      if (rng.chance(0.1)) cmd.push("LASTID", nearId(rng, k));
      return cmd;
    },
  },
  {
    weight: 4,
    gen: (rng) => {
      const k = key(rng);
      const cmd: Command = ["XAUTOCLAIM", k, group(rng), rng.pick(consumers), rng.pick(["0", "3600000"]), bound(rng, k, true)];
      if (rng.chance(0.5)) cmd.push("COUNT", rng.pick(["1", "2", "5", "0"]));
      if (rng.chance(0.3)) cmd.push("JUSTID");
      return cmd;
    },
  },
]);

registerGenerators("streams.info", [
  { weight: 4, gen: (rng) => ["XINFO", "STREAM", rng.chance(0.95) ? key(rng) : "nokey"] },
  { weight: 3, gen: (rng) => ["XINFO", "STREAM", key(rng), "FULL", ...(rng.chance(0.5) ? ["COUNT", rng.pick(["1", "3", "0"])] : [])] },
  { weight: 4, gen: (rng) => ["XINFO", "GROUPS", key(rng)] },
  { weight: 3, gen: (rng) => ["XINFO", "CONSUMERS", key(rng), group(rng)] },
]);

// ---- exceptions ---------------------------------------------------------------------------------------

const latin1 = new TextDecoder("latin1");

/** The reply with clock-dependent numbers and radix-tree-nodes masked (see the header comment). */
function masked(reply: Uint8Array): string {
  return latin1
    .decode(reply)
    .replace(/radix-tree-nodes\r\n:\d+/g, "radix-tree-nodes\r\n:<n>")
    .replace(/:1\d{12}\r\n/g, ":<ms>\r\n")
    .replace(/idle\r\n:\d+/g, "idle\r\n:<idle>")
    .replace(/(\*4\r\n\$\d+\r\n[0-9-]+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g, "$1:<idle>");
}
const maskedEqual = (a: Uint8Array, b: Uint8Array) => masked(a) === masked(b);

export const streamsExceptions: readonly Exception[] = [
  {
    match: isCommand("XPENDING", "XINFO"),
    reason: "XPENDING/XINFO: idle times and ms timestamps depend on the clock; radix-tree-nodes is Redis's radix tree internals",
    compare: maskedEqual,
  },
  {
    match: (cmd) => isCommand("XADD")(cmd) && cmd[1] === "auto",
    reason: "XADD *: the ID comes from each server's clock",
    compare: shapeEqual,
  },
];

registerStateDigest("stream", (k) =>
  new TextDecoder().decode(k) === "auto" ? [{ cmd: ["XLEN", k] }] : [
  { cmd: ["XRANGE", k, "-", "+"] },
  { cmd: ["XINFO", "STREAM", k], compare: maskedEqual },
  { cmd: ["XINFO", "GROUPS", k] },
]);
