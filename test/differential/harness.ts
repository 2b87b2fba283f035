// Differential testing: the same seeded command stream goes to memkeep and to redis-server 7.0 and the
// replies must match byte for byte, or under a written-down, reasoned exception.
//
// Invariants:
// - The stream depends only on the seed and the selected groups, never on replies: generators draw from
//   a seeded PRNG (xoshiro128**), so a failure reproduces from the seed printed in its message.
// - Both servers start from FLUSHALL and see the same commands on one connection each, so their states
//   stay equal as long as their replies do; the first mismatch stops the run (later ones are echoes).
// - Generators draw keys, values and numbers from small pools so commands collide on the same keys.
//   Relative TTLs are never small positive numbers (a key must not expire between two commands on one
//   server and not the other); absolute times are fixed constants far in the past or future.
// - Replies are compared exactly unless an exception matches the command (its compare decides, or the
//   reply is only counted), a generator is marked nondeterministic (RESP shape only), or the generator
//   is a cursor command (iterated to the end on each server; the sets of elements must match).
// - After the stream, a final check compares each touched database's keys, types and string values.

import { encodeCommand } from "../../src/resp/encode.ts";
import { RespClient } from "../helpers/resp.ts";
import {
  type Arg,
  bytesEqual,
  compareBytes,
  decodeReply,
  escapeBytes,
  formatCommand,
  replyEnd,
} from "../helpers/resp_codec.ts";

export type { Arg };
export type Command = Arg[];

// ---------------------------------------------------------------------------------------------------
// Seeded PRNG

/** xoshiro128** seeded through splitmix32. Deterministic across platforms. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const splitmix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi], both included. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Picks by weight from [weight, item] pairs. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of items) total += w;
    let at = this.float() * total;
    for (const [w, item] of items) {
      at -= w;
      if (at < 0) return item;
    }
    return items[items.length - 1]![1];
  }

  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Pools: small on purpose, so commands hit the same keys and the same edge values.

const bin = (...b: number[]) => new Uint8Array(b);

const commonKeys = ["k1", "k2", "k3", "k4", "k5"] as const;
const edgeKeys: readonly Arg[] = ["", "{t}k", bin(0x62, 0x00, 0xff, 0x0d, 0x0a), "sp ace", "ключ", "k*"];

const plainValues = ["v", "hello", "abc", "abcdef", "hello world", "xyz", "aaa", "foo"] as const;
const binaryValues: readonly Arg[] = [bin(0x00), bin(0xff, 0x00, 0x0d, 0x0a), bin(0x80, 0x81), bin(0xc3, 0x28)];
/** Strings Redis parses as int64 (string2ll), edges included. */
export const validIntValues = [
  "0", "1", "-1", "10", "42", "-100", "123456789",
  "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
] as const;
/** Strings that look like integers but are not int64 to Redis. */
export const invalidIntValues = ["18446744073709551615", "99999999999999999999", "007", "+5", " 5", "5 ", "0x1f", "-0", "1e3"] as const;
export const intLikeValues = [...validIntValues, ...invalidIntValues] as const;
export const floatLikeValues = [
  "1.5", "-2.25", "0.1", "3.0", "10.50", ".5", "5.", "1e308", "-1e308", "1.7976931348623157e308",
  "5e-324", "inf", "-inf", "nan", " 1.0", "1.0 ", "3.14159265358979", "1e-10", "0.0",
] as const;
export const incrementArgs = [
  "1", "-1", "0", "5", "100", "-100", "9223372036854775807", "-9223372036854775808",
  "9223372036854775806", "4611686018427387904", "abc", "1.5", "", " 1", "99999999999999999999", "+1",
] as const;
export const floatIncrementArgs = [
  "1", "0.1", "-0.1", "1.5", "10", "-10", "1e308", "-1e308", "inf", "-inf", "nan", "abc", "1e-10",
  "3.0e2", "", "0", "-0", "1.7976931348623157e308", "5e-324", "0x10", " 1",
] as const;
/** Relative seconds: only large positives (no expiry during a run) and the error/deletion edges. */
export const relativeSeconds = ["100", "1000", "3600", "86400", "2000000"] as const;
export const relativeSecondsEdges = [
  "0", "-1", "-100", "9223372036854775807", "-9223372036854775808", "9223372036854775",
  "4611686018427387904", "abc", "1.5", "", "99999999999999999999",
] as const;
export const relativeMillis = ["100000", "3600000", "86400000", "2000000000"] as const;
export const relativeMillisEdges = ["0", "-1", "-100000", "9223372036854775807", "-9223372036854775808", "abc", "1.5", ""] as const;
/** Absolute times are constants: the same bytes every run, far from "now". */
export const absoluteSeconds = ["1", "1000000000", "2000000000", "4102444800"] as const;
/** Includes valid instants whose milliseconds are beyond 2^53 (exact only in int64 arithmetic). */
export const absoluteSecondsEdges = ["0", "-1", "9223372036854775807", "9223372036854775", "9007199254740993", "abc", ""] as const;
export const absoluteMillis = ["1", "1000000000000", "2000000000000", "4102444800000", "4102444800123"] as const;
export const absoluteMillisEdges = ["0", "-1", "9223372036854775807", "9007199254740993", "9223372036854775000", "abc", ""] as const;
export const dbIndexes = ["0", "1", "2", "3"] as const;
export const dbIndexEdges = ["15", "16", "-1", "abc", "2147483648", ""] as const;
/** Databases the final state check looks at: every database a generator can select. */
export const touchedDbs = [0, 1, 2, 3, 15] as const;
export const keyPatterns = [
  "*", "k*", "k?", "k[1-3]", "k[^1]", "*k*", "?", "", "\\*", "k\\*", "[", "k[", "{t}*", "*[", "[a-z]*",
  "*\\", "??", "k[!2]", "K*", "*ace", "\u043a*",
] as const;
export const rangeIndexes = [
  "0", "1", "2", "3", "5", "10", "-1", "-2", "-3", "-10", "-100", "100",
  "9223372036854775807", "-9223372036854775808", "abc", "1.5", "",
] as const;

/** What generators draw from. Every method uses the run's Rng, so the stream stays seeded. */
export class GenContext {
  constructor(readonly rng: Rng) {}

  /** One key: mostly a handful of plain keys, sometimes an odd one (empty, binary, spaced). */
  key(): Arg {
    return this.rng.chance(0.85) ? this.rng.pick(commonKeys) : this.rng.pick(edgeKeys);
  }

  /** Between min and max keys, repeats allowed. */
  keys(min: number, max: number): Arg[] {
    const n = this.rng.range(min, max);
    return Array.from({ length: n }, () => this.key());
  }

  value(): Arg {
    return this.rng.weighted<() => Arg>([
      [40, () => this.rng.pick(plainValues)],
      [5, () => ""],
      [8, () => this.rng.pick(binaryValues)],
      [20, () => this.rng.pick(intLikeValues)],
      [15, () => this.rng.pick(floatLikeValues)],
      [4, () => "x".repeat(this.rng.range(50, 300))],
      [8, () => this.rng.bytes(this.rng.range(1, 12))],
    ])();
  }

  /** An integer-ish argument for INCRBY/DECRBY. */
  increment(): string {
    return this.rng.chance(0.7) ? this.rng.pick(incrementArgs.slice(0, 6)) : this.rng.pick(incrementArgs);
  }

  floatIncrement(): string {
    return this.rng.chance(0.6) ? this.rng.pick(floatIncrementArgs.slice(0, 6)) : this.rng.pick(floatIncrementArgs);
  }

  relativeSeconds(edgeRate = 0.2): string {
    return this.rng.chance(edgeRate) ? this.rng.pick(relativeSecondsEdges) : this.rng.pick(relativeSeconds);
  }

  relativeMillis(edgeRate = 0.2): string {
    return this.rng.chance(edgeRate) ? this.rng.pick(relativeMillisEdges) : this.rng.pick(relativeMillis);
  }

  absoluteSeconds(edgeRate = 0.2): string {
    return this.rng.chance(edgeRate) ? this.rng.pick(absoluteSecondsEdges) : this.rng.pick(absoluteSeconds);
  }

  absoluteMillis(edgeRate = 0.2): string {
    return this.rng.chance(edgeRate) ? this.rng.pick(absoluteMillisEdges) : this.rng.pick(absoluteMillis);
  }

  db(edgeRate = 0.1): string {
    return this.rng.chance(edgeRate) ? this.rng.pick(dbIndexEdges) : this.rng.pick(dbIndexes);
  }

  pattern(): string {
    return this.rng.pick(keyPatterns);
  }

  rangeIndex(): string {
    return this.rng.chance(0.75) ? this.rng.pick(rangeIndexes.slice(0, 12)) : this.rng.pick(rangeIndexes);
  }
}

// ---------------------------------------------------------------------------------------------------
// Registry

/** Produces one command from the run's randomness. Must not look at replies. */
export type Generator = (rng: Rng, ctx: GenContext) => Command;

/** A cursor command (SCAN, SSCAN...): iterated from cursor 0 to 0 on each server, elements compared as sets. */
export interface CursorSpec {
  /** Index of the cursor argument in the command (1 for SCAN, 2 for SSCAN/HSCAN/ZSCAN). */
  cursorArg: number;
  /** Elements come as field/value pairs (HSCAN, ZSCAN). */
  pairs?: boolean;
}

export interface GeneratorEntry {
  weight: number;
  gen: Generator;
  /** The reply legitimately differs between servers (RANDOMKEY, TIME): compare RESP shape only. */
  nondeterministic?: boolean;
  cursor?: CursorSpec;
}

const registry = new Map<string, GeneratorEntry[]>();

/** Adds weighted generators to a group ("strings.counter"). Groups registered twice are extended. */
export function registerGenerators(group: string, gens: GeneratorEntry[]): void {
  for (const entry of gens) {
    if (!(entry.weight > 0)) throw new Error(`generator weight must be positive in group ${group}`);
  }
  registry.set(group, [...(registry.get(group) ?? []), ...gens]);
}

export function registeredGroups(): string[] {
  return [...registry.keys()].sort();
}

/** Group names matching each selector: an exact name, or a prefix before a dot ("strings" = "strings.*"). */
export function resolveGroups(selectors: readonly string[]): string[] {
  const all = registeredGroups();
  const chosen = new Set<string>();
  for (const selector of selectors) {
    const hits = all.filter((g) => g === selector || g.startsWith(`${selector}.`));
    if (hits.length === 0) throw new Error(`no generator group matches '${selector}' (registered: ${all.join(", ")})`);
    for (const hit of hits) chosen.add(hit);
  }
  return [...chosen].sort();
}

// ---------------------------------------------------------------------------------------------------
// Comparators for exceptions

/**
 * A written-down, reasoned difference for the commands it matches, applied only when the bytes differ:
 * - `settle`: the command is a read whose answer converges (DBSIZE while expired keys await reclaiming):
 *   it is sent again to both servers every 100 ms until the replies are equal or `timeoutMs` passes;
 * - `compare`: the replies (the last ones, after any settling) are accepted when it returns true;
 * - with neither, the reply is not compared at all.
 */
export interface Exception {
  match: (cmd: Command) => boolean;
  reason: string;
  compare?: (a: Uint8Array, b: Uint8Array) => boolean;
  settle?: { timeoutMs: number };
}

/** Upper-cased command name, for exception matchers. */
export function commandName(cmd: Command): string {
  const first = cmd[0];
  if (first === undefined) return "";
  return (typeof first === "string" ? first : new TextDecoder().decode(first)).toUpperCase();
}

export function isCommand(...names: string[]): (cmd: Command) => boolean {
  const wanted = new Set(names.map((n) => n.toUpperCase()));
  return (cmd) => wanted.has(commandName(cmd));
}

interface Token {
  type: number;
  header: string;
  payload?: Uint8Array;
}

/** Flat tokens of one reply, in order. Iterative. */
function tokens(reply: Uint8Array): Token[] {
  const out: Token[] = [];
  let pos = 0;
  const decoder = new TextDecoder();
  while (pos < reply.length) {
    let lineEnd = reply.indexOf(0x0d, pos + 1);
    while (lineEnd >= 0 && reply[lineEnd + 1] !== 0x0a) lineEnd = reply.indexOf(0x0d, lineEnd + 1);
    if (lineEnd < 0) break;
    const type = reply[pos]!;
    const header = decoder.decode(reply.subarray(pos + 1, lineEnd));
    pos = lineEnd + 2;
    if ((type === 0x24 || type === 0x21 || type === 0x3d) && header !== "-1") {
      const len = Number(header);
      out.push({ type, header, payload: reply.subarray(pos, pos + len) });
      pos += len + 2;
    } else {
      out.push({ type, header });
    }
  }
  return out;
}

/**
 * Same RESP shape: the same types in the same nesting with the same aggregate sizes; nulls must match
 * and errors must match exactly. Scalar contents are ignored.
 */
export function shapeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const ta = tokens(a);
  const tb = tokens(b);
  if (ta.length !== tb.length) return false;
  for (let i = 0; i < ta.length; i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x.type !== y.type) return false;
    const aggregate = x.type === 0x2a || x.type === 0x25 || x.type === 0x7e || x.type === 0x3e || x.type === 0x7c;
    const exactHeader = aggregate || x.type === 0x2d || x.header === "-1" || y.header === "-1";
    if (exactHeader && x.header !== y.header) return false;
  }
  return true;
}

/** The raw bytes of each element of a top-level array reply, or undefined if it is not an array. */
export function arrayElements(reply: Uint8Array): Uint8Array[] | undefined {
  if (reply[0] !== 0x2a && reply[0] !== 0x7e) return undefined;
  const headerEnd = reply.indexOf(0x0d);
  const count = Number(new TextDecoder().decode(reply.subarray(1, headerEnd)));
  if (!(count >= 0)) return undefined;
  const out: Uint8Array[] = [];
  let pos = headerEnd + 2;
  for (let i = 0; i < count; i++) {
    const end = replyEnd(reply, pos);
    if (end < 0) return undefined;
    out.push(reply.subarray(pos, end));
    pos = end;
  }
  return out;
}

/** The same elements in any order (KEYS walks the hash table in its own order). */
export function unorderedArrayEqual(a: Uint8Array, b: Uint8Array): boolean {
  const ea = arrayElements(a);
  const eb = arrayElements(b);
  if (ea === undefined || eb === undefined) return bytesEqual(a, b);
  if (ea.length !== eb.length) return false;
  ea.sort(compareBytes);
  eb.sort(compareBytes);
  return ea.every((x, i) => bytesEqual(x, eb[i]!));
}

/** Integer replies equal, or both positive and within `tolerance` (a TTL read at slightly different times). */
export function integerWithin(tolerance: number): (a: Uint8Array, b: Uint8Array) => boolean {
  return (a, b) => {
    if (bytesEqual(a, b)) return true;
    if (a[0] !== 0x3a || b[0] !== 0x3a) return false;
    // BigInt: TTLs near int64 max (PXAT 9223372036854775807) are beyond a double's exact range.
    const x = BigInt(new TextDecoder().decode(a.subarray(1, a.length - 2)));
    const y = BigInt(new TextDecoder().decode(b.subarray(1, b.length - 2)));
    const diff = x > y ? x - y : y - x;
    return x > 0n && y > 0n && diff <= BigInt(tolerance);
  };
}

// ---------------------------------------------------------------------------------------------------
// State digests for the final check, per type; groups for other types add theirs.

/** Commands whose replies show a key's content, for a key of a given TYPE. */
export type StateDigest = (key: Uint8Array) => { cmd: Command; compare?: (a: Uint8Array, b: Uint8Array) => boolean }[];

const digests = new Map<string, StateDigest>();

export function registerStateDigest(type: string, digest: StateDigest): void {
  digests.set(type, digest);
}

registerStateDigest("string", (key) => [{ cmd: ["GET", key] }]);

// ---------------------------------------------------------------------------------------------------
// Runner

export interface DifferentialOptions {
  seed: number;
  count: number;
  /** Group names or prefixes; see resolveGroups. */
  groups: readonly string[];
  memkeepPort: number;
  redisPort: number;
  host?: string;
  exceptions?: readonly Exception[];
  /** Send commands in batches of 1..batchMax and compare the batch's replies. */
  pipeline?: { batchMax: number };
  /** Share of commands whose name is sent in random letter case. */
  mixCaseRate?: number;
  /** Compare every touched database's keys, types and contents after the stream. Default true. */
  finalStateCheck?: boolean;
  /** Labels for messages. */
  labels?: readonly [string, string];
  /** Sent to both servers before the stream; each must answer +OK on both. Default FLUSHALL, SELECT 0. */
  setupCommands?: readonly Command[];
  readTimeoutMs?: number;
}

export interface DifferentialReport {
  seed: number;
  commands: number;
  exact: number;
  /** Replies compared by RESP shape only (nondeterministic generators). */
  shapeOnly: number;
  /** Cursor commands iterated to the end on both servers. */
  cursorRuns: number;
  /** Per exception reason: replies that matched it. */
  underException: Record<string, number>;
  /** Per exception reason: replies whose bytes differed and that the exception accepted. */
  differedUnderException: Record<string, number>;
  finalKeys: number;
}

export class DifferentialMismatch extends Error {
  /** `index` is -1 when the difference is outside the stream (setup or final state). */
  constructor(
    message: string,
    readonly seed: number,
    readonly index: number,
    readonly command: Command,
  ) {
    super(message);
    this.name = "DifferentialMismatch";
  }
}


export interface PlannedCommand {
  index: number;
  cmd: Command;
  entry: GeneratorEntry;
  group: string;
}

/**
 * The seeded command stream: picks a group uniformly (so every selected group gets an equal share
 * whatever its number of generators), then a generator in it by weight. Batch sizes in pipelined runs
 * are drawn from the same Rng, so a seed fixes the whole run.
 */
export class StreamPlanner {
  readonly rng: Rng;
  readonly ctx: GenContext;
  planned = 0;
  private readonly entriesByGroup: [string, GeneratorEntry[]][];

  constructor(
    seed: number,
    groups: readonly string[],
    private readonly mixCaseRate = 0.1,
  ) {
    this.rng = new Rng(seed);
    this.ctx = new GenContext(this.rng);
    this.entriesByGroup = resolveGroups(groups).map((g) => [g, registry.get(g)!]);
  }

  plan(): PlannedCommand {
    const [group, entries] = this.rng.pick(this.entriesByGroup);
    const entry = this.rng.weighted(entries.map((e) => [e.weight, e] as const));
    const cmd = entry.gen(this.rng, this.ctx);
    if (this.mixCaseRate > 0 && this.rng.chance(this.mixCaseRate) && typeof cmd[0] === "string") cmd[0] = mixCase(this.rng, cmd[0]);
    return { index: this.planned++, cmd, entry, group };
  }
}

/** The first `count` commands of a seeded stream, without running them (for repro and inspection). */
export function planStream(seed: number, count: number, groups: readonly string[], mixCaseRate = 0.1): PlannedCommand[] {
  const planner = new StreamPlanner(seed, groups, mixCaseRate);
  return Array.from({ length: count }, () => planner.plan());
}

const recentMax = 8;

/** Runs one seeded stream against both servers; throws DifferentialMismatch at the first difference. */
export async function runDifferential(opts: DifferentialOptions): Promise<DifferentialReport> {
  const groups = resolveGroups(opts.groups);
  const labels = opts.labels ?? ["memkeep", "redis"];
  const host = opts.host ?? "127.0.0.1";
  const readTimeoutMs = opts.readTimeoutMs ?? 15_000;
  const [a, b] = await Promise.all([
    RespClient.connect(opts.memkeepPort, { host, readTimeoutMs }),
    RespClient.connect(opts.redisPort, { host, readTimeoutMs }),
  ]);
  const run = new Run(opts, groups, labels, a, b);
  try {
    await run.start();
    if (opts.pipeline) await run.streamPipelined(opts.pipeline.batchMax);
    else await run.streamSequential();
    if (opts.finalStateCheck ?? true) await run.finalState();
    return run.report;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

class Run {
  readonly report: DifferentialReport;
  private readonly rng: Rng;
  private readonly planner: StreamPlanner;
  private readonly recent: PlannedCommand[] = [];

  constructor(
    private readonly opts: DifferentialOptions,
    private readonly groups: string[],
    private readonly labels: readonly [string, string],
    private readonly a: RespClient,
    private readonly b: RespClient,
  ) {
    this.planner = new StreamPlanner(opts.seed, groups, opts.mixCaseRate ?? 0.1);
    this.rng = this.planner.rng;
    this.report = {
      seed: opts.seed,
      commands: 0,
      exact: 0,
      shapeOnly: 0,
      cursorRuns: 0,
      underException: {},
      differedUnderException: {},
      finalKeys: 0,
    };
  }

  async start(): Promise<void> {
    const setup = this.opts.setupCommands ?? [["FLUSHALL"], ["SELECT", "0"]];
    for (const cmd of setup) {
      const [ra, rb] = await Promise.all([this.a.call(...cmd), this.b.call(...cmd)]);
      if (!bytesEqual(ra, rb) || ra[0] !== 0x2b) this.fail("setup", cmd, ra, rb, "setup command did not answer +OK on both servers");
    }
  }

  async streamSequential(): Promise<void> {
    while (this.planner.planned < this.opts.count) {
      const planned = this.planner.plan();
      this.remember(planned);
      if (planned.entry.cursor) {
        await this.runCursor(planned);
        continue;
      }
      const [ra, rb] = await this.both(planned.index, planned.cmd, (c) => c.call(...planned.cmd));
      await this.check(planned, ra, rb);
    }
  }

  async streamPipelined(batchMax: number): Promise<void> {
    while (this.planner.planned < this.opts.count) {
      const size = this.rng.range(1, batchMax);
      const batch: PlannedCommand[] = [];
      let cursorCommand: PlannedCommand | undefined;
      while (batch.length < size && this.planner.planned < this.opts.count) {
        const planned = this.planner.plan();
        if (planned.entry.cursor) {
          cursorCommand = planned; // cursors need round trips: it runs after the batch
          break;
        }
        batch.push(planned);
      }
      const cmds = batch.map((p) => p.cmd);
      const [ra, rb] = batch.length === 0 ? [[], []] : await this.both(batch[0]!.index, cmds[0]!, (c) => c.pipeline(cmds));
      for (let i = 0; i < batch.length; i++) {
        this.remember(batch[i]!);
        await this.check(batch[i]!, ra[i]!, rb[i]!, ` (pipelined batch of ${batch.length}, position ${i})`);
      }
      if (cursorCommand) {
        this.remember(cursorCommand);
        await this.runCursor(cursorCommand);
      }
    }
  }

  /**
   * Runs the same exchange on both servers. A closed connection or a missing reply aborts the run with
   * the seed and command that were in flight (a crash or hang, not a difference).
   */
  private async both<T>(index: number | "setup" | "final state", cmd: Command, exchange: (client: RespClient) => Promise<T>): Promise<[T, T]> {
    const [la, lb] = this.labels;
    const label = (name: string) => (error: unknown) => {
      throw new Error(`${name}: ${(error as Error).message}`);
    };
    try {
      // The async wrappers make a synchronous throw (a write on an already closed connection) take
      // the same labelled path as a rejected reply.
      const run = async (client: RespClient) => exchange(client);
      return await Promise.all([run(this.a).catch(label(la)), run(this.b).catch(label(lb))]);
    } catch (error) {
      const lines = [`differential run aborted: ${(error as Error).message}`, ...this.context(index, cmd)];
      throw new Error(lines.join("\n"));
    }
  }

  private remember(planned: PlannedCommand): void {
    this.report.commands += 1;
    this.recent.push(planned);
    if (this.recent.length > recentMax) this.recent.shift();
  }

  private async check(planned: PlannedCommand, replyA: Uint8Array, replyB: Uint8Array, where = ""): Promise<void> {
    let ra = replyA;
    let rb = replyB;
    if (bytesEqual(ra, rb)) {
      this.report.exact += 1;
      const exception = this.exceptionFor(planned.cmd);
      if (exception) bump(this.report.underException, exception.reason);
      return;
    }
    const exception = this.exceptionFor(planned.cmd);
    if (exception) {
      bump(this.report.underException, exception.reason);
      if (exception.settle) {
        [ra, rb] = await this.settle(planned.index, planned.cmd, ra, rb, exception.settle.timeoutMs);
        if (bytesEqual(ra, rb)) {
          bump(this.report.differedUnderException, exception.reason);
          return;
        }
      }
      const unchecked = exception.compare === undefined && exception.settle === undefined;
      if (unchecked || exception.compare?.(ra, rb)) {
        bump(this.report.differedUnderException, exception.reason);
        return;
      }
      this.fail(planned.index, planned.cmd, ra, rb, `differs beyond exception '${exception.reason}'${where}`, planned.group);
    }
    if (planned.entry.nondeterministic) {
      if (shapeEqual(ra, rb)) {
        this.report.shapeOnly += 1;
        return;
      }
      this.fail(planned.index, planned.cmd, ra, rb, `RESP shape differs (nondeterministic command)${where}`, planned.group);
    }
    this.fail(planned.index, planned.cmd, ra, rb, `replies differ${where}`, planned.group);
  }

  /** Re-reads a converging command on both servers until the replies agree or time runs out. */
  private async settle(index: number | "final state", cmd: Command, ra: Uint8Array, rb: Uint8Array, timeoutMs: number): Promise<[Uint8Array, Uint8Array]> {
    const deadline = Date.now() + timeoutMs;
    while (!bytesEqual(ra, rb) && Date.now() < deadline) {
      await Bun.sleep(100);
      [ra, rb] = await this.both(index, cmd, (c) => c.call(...cmd));
    }
    return [ra, rb];
  }

  private exceptionFor(cmd: Command): Exception | undefined {
    return this.opts.exceptions?.find((e) => e.match(cmd));
  }

  private async runCursor(planned: PlannedCommand): Promise<void> {
    const spec = planned.entry.cursor!;
    const [ia, ib] = await this.both(planned.index, planned.cmd, (c) => iterateCursor(c, planned.cmd, spec));
    this.report.cursorRuns += 1;
    if (ia.error || ib.error) {
      const ea = ia.error ?? encodeList(ia.items);
      const eb = ib.error ?? encodeList(ib.items);
      if (!bytesEqual(ea, eb)) this.fail(planned.index, planned.cmd, ea, eb, "cursor iteration: error on one side or different errors", planned.group);
      this.report.exact += 1;
      return;
    }
    const la = encodeList(ia.items);
    const lb = encodeList(ib.items);
    if (!bytesEqual(la, lb)) {
      this.fail(planned.index, planned.cmd, la, lb, `cursor iteration collected different element sets (${ia.calls} vs ${ib.calls} calls; shown sorted and deduplicated)`, planned.group);
    }
  }

  /** Compares the keys, types and contents of every database a stream can touch. */
  async finalState(): Promise<void> {
    for (const db of touchedDbs) {
      await this.compareStep(["SELECT", String(db)], "final state");
      const keysCmd: Command = ["KEYS", "*"];
      const [ka, kb] = await Promise.all([this.a.call(...keysCmd), this.b.call(...keysCmd)]);
      if (!unorderedArrayEqual(ka, kb)) this.fail("final state", keysCmd, ka, kb, `final state: db ${db} holds different keys`);
      // DBSIZE also counts expired keys not yet reclaimed; both servers reclaim them in time.
      const dbsize: Command = ["DBSIZE"];
      const [da, db_] = await Promise.all([this.a.call(...dbsize), this.b.call(...dbsize)]);
      const [sa, sb] = await this.settle("final state", dbsize, da, db_, 3_000);
      if (!bytesEqual(sa, sb)) this.fail("final state", dbsize, sa, sb, `final state: db ${db} DBSIZE differs after 3 s of settling`);
      const keys = (decodeReply(ka, "buffer") as Buffer[]).map((k) => new Uint8Array(k));
      keys.sort(compareBytes);
      this.report.finalKeys += keys.length;
      for (const key of keys) {
        const type = await this.compareStep(["TYPE", key], `final state db ${db}`);
        await this.compareStep(["PTTL", key], `final state db ${db}`, integerWithin(1000));
        const typeName = new TextDecoder().decode(type.subarray(1, type.length - 2));
        for (const step of digests.get(typeName)?.(key) ?? []) await this.compareStep(step.cmd, `final state db ${db}`, step.compare);
      }
    }
  }

  private async compareStep(cmd: Command, what: string, compare?: (a: Uint8Array, b: Uint8Array) => boolean): Promise<Uint8Array> {
    const [ra, rb] = await Promise.all([this.a.call(...cmd), this.b.call(...cmd)]);
    const same = bytesEqual(ra, rb) || (compare !== undefined && compare(ra, rb));
    if (!same) this.fail("final state", cmd, ra, rb, `${what}: replies differ`);
    return ra;
  }

  /** `index` is the stream position, or the phase outside the stream ("setup", "final state"). */
  private fail(index: number | "setup" | "final state", cmd: Command, ra: Uint8Array, rb: Uint8Array, why: string, group?: string): never {
    const [la, lb] = this.labels;
    const width = Math.max(la.length, lb.length) + 1;
    const [where, ...rest] = this.context(index, cmd, group);
    const lines = [
      `differential mismatch: ${why}`,
      where!,
      rest[0]!,
      `  ${`${la}:`.padEnd(width)} "${escapeBytes(ra, 1500)}"`,
      `  ${`${lb}:`.padEnd(width)} "${escapeBytes(rb, 1500)}"`,
      ...rest.slice(1),
    ];
    throw new DifferentialMismatch(lines.join("\n"), this.opts.seed, typeof index === "number" ? index : -1, cmd);
  }

  /** Where a failure happened: seed and position, the command, recent commands, how to reproduce. */
  private context(index: number | "setup" | "final state", cmd: Command, group?: string): string[] {
    const o = this.opts;
    const position = typeof index === "number" ? `command #${index} of ${o.count}` : `${index} (stream of ${o.count})`;
    const lines = [
      `  seed ${o.seed}, ${position}, groups [${this.groups.join(", ")}]${group ? `, generated by ${group}` : ""}${o.pipeline ? `, pipelined (batchMax ${o.pipeline.batchMax})` : ""}`,
      `  command: ${formatCommand(cmd)}`,
    ];
    if (this.recent.length > 0) {
      lines.push("  recent commands:");
      for (const p of this.recent) lines.push(`    #${p.index} ${formatCommand(p.cmd, 80)}`);
    }
    lines.push(`  reproduce: runDifferential({ seed: ${o.seed}, count: ${o.count}, groups: ${JSON.stringify(o.groups)}${o.pipeline ? `, pipeline: { batchMax: ${o.pipeline.batchMax} }` : ""}, ... })`);
    return lines;
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function mixCase(rng: Rng, name: string): string {
  let out = "";
  for (const ch of name) out += rng.chance(0.5) ? ch.toLowerCase() : ch.toUpperCase();
  return out;
}

const cursorCallsMax = 100_000;

interface CursorResult {
  error?: Uint8Array;
  /** Sorted, deduplicated elements (pairs joined as one length-prefixed element). */
  items: Uint8Array[];
  calls: number;
}

/** Follows a cursor command from its given cursor until the server returns cursor 0. */
async function iterateCursor(client: RespClient, cmd: Command, spec: CursorSpec): Promise<CursorResult> {
  const args = cmd.slice();
  const collected: Uint8Array[] = [];
  let calls = 0;
  for (;;) {
    const reply = await client.call(...args);
    calls += 1;
    if (reply[0] !== 0x2a) return { error: reply, items: [], calls };
    const parts = decodeReply(reply, "buffer") as [Buffer, Buffer[]];
    const elements = parts[1];
    if (spec.pairs) {
      for (let i = 0; i + 1 < elements.length; i += 2) collected.push(joinPair(elements[i]!, elements[i + 1]!));
    } else {
      for (const element of elements) collected.push(new Uint8Array(element));
    }
    const cursor = parts[0].toString("latin1");
    if (cursor === "0") break;
    if (calls >= cursorCallsMax) throw new Error(`cursor command did not finish within ${cursorCallsMax} calls: ${formatCommand(cmd)}`);
    args[spec.cursorArg] = cursor;
  }
  collected.sort(compareBytes);
  const items = collected.filter((item, i) => i === 0 || !bytesEqual(item, collected[i - 1]!));
  return { items, calls };
}

function joinPair(field: Uint8Array, value: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(`${field.length}:`);
  const out = new Uint8Array(header.length + field.length + value.length);
  out.set(header, 0);
  out.set(field, header.length);
  out.set(value, header.length + field.length);
  return out;
}

/** A RESP array of bulk strings, used to show and compare collected cursor elements. */
function encodeList(items: Uint8Array[]): Uint8Array {
  return encodeCommand(items);
}
