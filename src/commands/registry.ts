// The command table: every group's specs, indexed for lookup on bytes.
//
// Lookup folds ASCII case while hashing the name's bytes and compares bytes, so no command name is
// decoded to a JS string on the hot path. Ids are assigned in a fixed order (group order, then spec
// order, subcommands after their parent), identical in every worker, so per-command stats can live
// in shared memory indexed by id.

import { assert } from "../assert.ts";
import { type CommandSpec, deltaCommandNames, flagsToBits, lockModeOf } from "./spec.ts";
export { fullName } from "./spec.ts";
import { groups } from "./groups.ts";
import type { NameResolver } from "../resp/parser.ts";

const enc = new TextEncoder();

interface Entry {
  spec: CommandSpec;
  name: Uint8Array;
  upper: Uint8Array;
}

export class CommandTable {
  readonly all: CommandSpec[] = [];
  readonly top: CommandSpec[] = [];
  private buckets = new Map<number, Entry[]>();
  private subs = new Map<CommandSpec, Map<number, Entry[]>>();
  private byName = new Map<string, CommandSpec>();

  constructor(specs: CommandSpec[]) {
    for (const spec of specs) this.add(spec, null);
  }

  private add(spec: CommandSpec, parent: CommandSpec | null): void {
    const full = parent ? `${parent.name}|${spec.name}` : spec.name;
    assert(!this.byName.has(full), `registry: duplicate command ${full}`);
    spec.id = this.all.length;
    spec.bits = flagsToBits(spec.flags);
    spec.lockMode = lockModeOf(spec);
    spec.hasKeys = spec.firstKey > 0 || spec.keyIndexes !== undefined;
    spec.full = full;
    spec.delta = parent === null && deltaCommandNames.has(full);
    this.all.push(spec);
    this.byName.set(full, spec);
    const entry = { spec, name: enc.encode(spec.name), upper: enc.encode(spec.name.toUpperCase()) };
    if (parent) {
      spec.parent = parent;
      let m = this.subs.get(parent);
      if (!m) this.subs.set(parent, (m = new Map()));
      pushBucket(m, foldHash(entry.name, 0, entry.name.length), entry);
    } else {
      this.top.push(spec);
      pushBucket(this.buckets, foldHash(entry.name, 0, entry.name.length), entry);
    }
    for (const sub of spec.subcommands ?? []) this.add(sub, spec);
  }

  lookup(name: Uint8Array): CommandSpec | undefined {
    return findEntry(this.buckets.get(foldHash(name, 0, name.length)), name, 0, name.length)?.spec;
  }

  /** A NameResolver for the parser: top-level names resolved on the raw input bytes. */
  nameResolver(): NameResolver {
    const buckets = this.buckets;
    // The name resolved last, as the client spelled it: a pipeline repeats one command.
    let lastBytes: Uint8Array = new Uint8Array(0);
    let lastSpec: CommandSpec | null = null;
    return {
      last: null,
      resolve(buf: Uint8Array, start: number, end: number): Uint8Array | null {
        if (end - start === lastBytes.length && lastSpec !== null && sameBytes(lastBytes, buf, start)) {
          this.last = lastSpec;
          return lastBytes;
        }
        const e = findEntry(buckets.get(foldHash(buf, start, end)), buf, start, end);
        this.last = e ? e.spec : null;
        if (!e) return null;
        let name: Uint8Array | null = null;
        if (sameBytes(e.upper, buf, start)) name = e.upper;
        else if (sameBytes(e.name, buf, start)) name = e.name;
        if (name !== null) {
          lastBytes = name;
          lastSpec = e.spec;
        }
        return name;
      },
    };
  }
  lookupSub(parent: CommandSpec, name: Uint8Array): CommandSpec | undefined {
    const m = this.subs.get(parent);
    if (!m) return undefined;
    return findEntry(m.get(foldHash(name, 0, name.length)), name, 0, name.length)?.spec;
  }
  /** By full name ("get", "config|get"), lowercase. */
  byFullName(name: string): CommandSpec | undefined {
    return this.byName.get(name);
  }
}

function pushBucket(m: Map<number, Entry[]>, h: number, e: Entry): void {
  const b = m.get(h);
  if (b) b.push(e);
  else m.set(h, [e]);
}

function findEntry(bucket: Entry[] | undefined, b: Uint8Array, start: number, end: number): Entry | undefined {
  if (!bucket) return undefined;
  const len = end - start;
  for (const e of bucket) {
    const n = e.name;
    if (n.length !== len) continue;
    let i = 0;
    while (i < len) {
      const c = b[start + i];
      if ((c | (c >= 65 && c <= 90 ? 32 : 0)) !== n[i]) break;
      i++;
    }
    if (i === len) return e;
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/** FNV-1a over ASCII-lowercased bytes. */
export function foldHash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

let table: CommandTable | null = null;
/** The process-wide command table (built on first use, the same in every worker). */
export function commandTable(): CommandTable {
  if (!table) table = new CommandTable(groups.flat());
  return table;
}
