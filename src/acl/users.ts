// ACL users (Redis 7.0 semantics): passwords stored as SHA-256 hex, on/off, key patterns with read /
// write flags, channel patterns, command bitmaps by command id (categories from the command table's
// ACL categories), selectors. One AclStore per worker; every worker applies the same operations in
// the same order (src/server/peer_requests.ts relays them), so the copies stay identical.
//
// Rule text is handled as latin1 strings (one char per byte), so binary patterns round-trip.
// The hot path reads only `AclUser.unrestricted` (dispatch.ts): a user allowed every command, key and
// channel is never checked further.

import { createHash } from "node:crypto";
import { stringMatch } from "../../native-free/glob.ts";
import type { CommandSpec } from "../commands/spec.ts";
import { aclCategoryOrder } from "../commands/command_docs.ts";

export const KeyPerm = { read: 1, write: 2, all: 3 } as const;

/** The CommandTable surface the ACL needs (keeps this module testable without the registry). */
export interface AclCommands {
  readonly all: CommandSpec[];
  byFullName(name: string): CommandSpec | undefined;
}

export interface KeyPattern {
  /** The pattern bytes as a latin1 string. */
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly perm: number;
}

function latin1Bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

export class AclError extends Error {}

const errUnknown = "Unknown command or category name in ACL";
const errSyntax = "Syntax error";
const errKeysAfterAll =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. " +
  "Try 'resetkeys' to start with an empty list of patterns";
const errChannelsAfterAll =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. " +
  "Try 'resetchannels' to start with an empty list of channels";
const errNoSuchPass = "The password you are trying to remove from the user does not exist";
const errBadHash = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
const errFirstArgOfSub = "Allowing first-arg of a subcommand is not supported";

export class Selector {
  /** 1 = allowed, by command id. */
  cmds: Uint8Array;
  /** +@all / allcommands: future commands allowed too (Redis's reserved bit). */
  future = false;
  /** Allowed first arguments of commands without subcommands (+select|0), by command id. */
  firstArgs: Map<number, string[]> | null = null;
  allKeys = false;
  keys: KeyPattern[] = [];
  allChannels = false;
  channels: string[] = [];
  channelBytes: Uint8Array[] = [];

  constructor(n: number) {
    this.cmds = new Uint8Array(n);
  }

  clone(): Selector {
    const c = new Selector(0);
    c.cmds = this.cmds.slice();
    c.future = this.future;
    c.firstArgs = this.firstArgs === null ? null : new Map([...this.firstArgs].map(([k, v]) => [k, v.slice()]));
    c.allKeys = this.allKeys;
    c.keys = this.keys.slice();
    c.allChannels = this.allChannels;
    c.channels = this.channels.slice();
    c.channelBytes = this.channelBytes.slice();
    return c;
  }

  /** Every command, key and channel allowed. */
  get unrestricted(): boolean {
    if (!this.future || !this.allKeys || !this.allChannels) return false;
    for (let i = 0; i < this.cmds.length; i++) if (this.cmds[i] === 0) return false;
    return true;
  }
}

/** A selector as Redis creates one: nothing allowed, channels per acl-pubsub-default. */
export function newSelector(cat: AclCatalog): Selector {
  const sel = new Selector(cat.n);
  sel.allChannels = cat.allChannelsByDefault;
  return sel;
}

export class AclUser {
  enabled = false;
  nopass = false;
  /** 0: unset, 1: sanitize-payload, 2: skip-sanitize-payload. */
  sanitize = 0;
  passwords: string[] = [];
  root: Selector;
  selectors: Selector[] = [];
  /** Derived after every change: the dispatcher skips all checks for such a user. */
  unrestricted = false;

  constructor(readonly name: string, n: number) {
    this.root = new Selector(n);
  }

  clone(): AclUser {
    const u = new AclUser(this.name, 0);
    u.enabled = this.enabled;
    u.nopass = this.nopass;
    u.sanitize = this.sanitize;
    u.passwords = this.passwords.slice();
    u.root = this.root.clone();
    u.selectors = this.selectors.map((s) => s.clone());
    u.unrestricted = this.unrestricted;
    return u;
  }
}

export function sha256Hex(pass: string | Uint8Array): string {
  return createHash("sha256").update(typeof pass === "string" ? latin1Bytes(pass) : pass).digest("hex");
}

function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

/** Categories by name (without @): the command ids in them. */
export class AclCatalog {
  readonly n: number;
  readonly byCategory = new Map<string, number[]>();
  /** acl-pubsub-default allchannels: new (and reset) users may use every channel. */
  allChannelsByDefault = false;
  /** The same without containers (what ACL CAT lists, and what the description counts). */
  readonly counted = new Map<string, number[]>();
  constructor(readonly table: AclCommands) {
    this.n = table.all.length;
    for (const c of aclCategoryOrder) {
      this.byCategory.set(c, []);
      this.counted.set(c, []);
    }
    for (const spec of table.all) {
      for (const a of spec.acl) {
        const name = a.replace(/^@/, "").toLowerCase();
        let l = this.byCategory.get(name);
        if (!l) this.byCategory.set(name, (l = []));
        l.push(spec.id!);
        let m = this.counted.get(name);
        if (!m) this.counted.set(name, (m = []));
        if (!(spec.subcommands && spec.subcommands.length > 0)) m.push(spec.id!);
      }
    }
  }
  categories(): string[] {
    return aclCategoryOrder.filter((c) => this.byCategory.has(c));
  }
}

function setCommand(sel: Selector, spec: CommandSpec, allow: boolean): void {
  sel.cmds[spec.id!] = allow ? 1 : 0;
  sel.firstArgs?.delete(spec.id!);
  for (const sub of spec.subcommands ?? []) setCommand(sel, sub, allow);
}

/** Applies one selector rule (keys, channels, commands). Throws AclError with Redis's reason. */
export function applySelectorRule(cat: AclCatalog, sel: Selector, op: string): void {
  const lop = op.toLowerCase();
  if (lop === "allkeys" || op === "~*") {
    sel.allKeys = true;
    sel.keys = [];
    return;
  }
  if (lop === "resetkeys") {
    sel.allKeys = false;
    sel.keys = [];
    return;
  }
  if (lop === "allchannels" || op === "&*") {
    sel.allChannels = true;
    sel.channels = [];
    sel.channelBytes = [];
    return;
  }
  if (lop === "resetchannels") {
    sel.allChannels = false;
    sel.channels = [];
    sel.channelBytes = [];
    return;
  }
  if (lop === "allcommands" || lop === "+@all") {
    sel.cmds.fill(1);
    sel.future = true;
    sel.firstArgs = null;
    return;
  }
  if (lop === "nocommands" || lop === "-@all") {
    sel.cmds.fill(0);
    sel.future = false;
    sel.firstArgs = null;
    return;
  }
  if (op[0] === "~" || op[0] === "%") {
    let perm: number = KeyPerm.all;
    let at = 1;
    if (op[0] === "%") {
      perm = 0;
      for (; at < op.length; at++) {
        const c = op[at].toUpperCase();
        if (c === "R") perm |= KeyPerm.read;
        else if (c === "W") perm |= KeyPerm.write;
        else if (c === "~") break;
        else throw new AclError(errSyntax);
      }
      if (at >= op.length || perm === 0) throw new AclError(errSyntax);
      at++;
    }
    if (sel.allKeys) throw new AclError(errKeysAfterAll);
    const text = op.slice(at);
    if (perm === KeyPerm.all && text === "*") {
      sel.allKeys = true;
      sel.keys = [];
      return;
    }
    // The same pattern again merges its permissions (Redis keeps one entry per pattern).
    const prev = sel.keys.findIndex((k) => k.text === text);
    if (prev >= 0) {
      const k = sel.keys[prev];
      sel.keys[prev] = { text, bytes: k.bytes, perm: k.perm | perm };
    } else sel.keys.push({ text, bytes: latin1Bytes(text), perm });
    return;
  }
  if (op[0] === "&") {
    if (sel.allChannels) throw new AclError(errChannelsAfterAll);
    const text = op.slice(1);
    if (!sel.channels.includes(text)) {
      sel.channels.push(text);
      sel.channelBytes.push(latin1Bytes(text));
    }
    return;
  }
  if (op[0] === "+" || op[0] === "-") {
    const allow = op[0] === "+";
    const name = lop.slice(1);
    if (name[0] === "@") {
      const ids = cat.byCategory.get(name.slice(1));
      if (ids === undefined) throw new AclError(errUnknown);
      for (const id of ids) setCommand(sel, cat.table.all[id], allow);
      return;
    }
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const spec = cat.table.byFullName(name);
      if (spec === undefined || spec.parent !== undefined) throw new AclError(errUnknown);
      setCommand(sel, spec, allow);
      return;
    }
    if (!allow) {
      // Only a subcommand can be removed (first arguments can only be allowed, Redis 7.0).
      const sub = cat.table.byFullName(name);
      if (sub === undefined || sub.parent === undefined) throw new AclError(errUnknown);
      setCommand(sel, sub, false);
      return;
    }
    // As Redis: split at the last '|'; "config|get|x" names a first argument of a subcommand.
    const base = cat.table.byFullName(name.slice(0, bar));
    const rest = name.slice(bar + 1);
    if (base === undefined) throw new AclError(errUnknown);
    if (base.parent !== undefined) throw new AclError(errFirstArgOfSub);
    if (rest === "") throw new AclError(errSyntax);
    if (base.subcommands && base.subcommands.length > 0) {
      const sub = cat.table.byFullName(name);
      if (sub === undefined) throw new AclError(errUnknown);
      setCommand(sel, sub, true);
      return;
    }
    if (sel.cmds[base.id!] === 1) return;
    sel.firstArgs ??= new Map();
    const l = sel.firstArgs.get(base.id!) ?? [];
    if (!l.includes(rest)) l.push(rest);
    sel.firstArgs.set(base.id!, l);
    return;
  }
  throw new AclError(errSyntax);
}

/** Applies one user rule (ACLSetUser); selectors "(...)" are whole ops here. */
export function applyUserRule(cat: AclCatalog, u: AclUser, op: string): void {
  const lop = op.toLowerCase();
  if (lop === "on") u.enabled = true;
  else if (lop === "off") u.enabled = false;
  else if (lop === "skip-sanitize-payload") u.sanitize = 2;
  else if (lop === "sanitize-payload") u.sanitize = 1;
  else if (lop === "nopass") {
    u.nopass = true;
    u.passwords = [];
  } else if (lop === "resetpass") {
    u.nopass = false;
    u.passwords = [];
  } else if (op[0] === ">" || op[0] === "#") {
    let h: string;
    if (op[0] === ">") h = sha256Hex(op.slice(1));
    else {
      h = op.slice(1);
      if (!validHash(h)) throw new AclError(errBadHash);
    }
    if (!u.passwords.includes(h)) u.passwords.push(h);
    u.nopass = false;
  } else if (op[0] === "<" || op[0] === "!") {
    let h: string;
    if (op[0] === "<") h = sha256Hex(op.slice(1));
    else {
      h = op.slice(1);
      if (!validHash(h)) throw new AclError(errBadHash);
    }
    const at = u.passwords.indexOf(h);
    if (at < 0) throw new AclError(errNoSuchPass);
    u.passwords.splice(at, 1);
  } else if (op[0] === "(" && op[op.length - 1] === ")") {
    const sel = newSelector(cat);
    for (const part of op.slice(1, -1).split(" ")) {
      if (part === "") continue;
      applySelectorRule(cat, sel, part);
    }
    u.selectors.push(sel);
  } else if (lop === "clearselectors") u.selectors = [];
  else if (lop === "reset") {
    u.passwords = [];
    u.nopass = false;
    u.root = newSelector(cat);
    u.selectors = [];
    u.enabled = false;
    u.sanitize = 1;
  } else applySelectorRule(cat, u.root, op);
}

/**
 * Joins "(a" "b)" arguments into one selector op, as ACLMergeSelectorArguments. Returns the error
 * for an unmatched parenthesis.
 */
export function mergeSelectorArgs(args: readonly string[]): string[] | string {
  const out: string[] = [];
  let acc: string | null = null;
  for (const a of args) {
    if (acc !== null) {
      acc += " " + a;
      if (a.endsWith(")")) {
        out.push(acc);
        acc = null;
      }
    } else if (a.startsWith("(") && !a.endsWith(")")) acc = a;
    else out.push(a);
  }
  if (acc !== null) return `ERR Unmatched parenthesis in acl selector starting at '${acc}'.`;
  return out;
}

/** ACLStringHasSpaces: user names may not hold whitespace or NUL. */
export function invalidUsername(name: string): boolean {
  return /[\t\n\v\f\r \0]/.test(name);
}

export function refresh(u: AclUser): void {
  u.unrestricted = u.enabled && u.root.unrestricted;
}

// ---- describing -----------------------------------------------------------------------------------

/**
 * The command rules of a selector as redis-server 7.0 describes them: rebuilt from the bitmap, not
 * the rules as given. Start from +@all (when future commands are allowed) or -@all; then, while some
 * category would add (remove) more commands than it wrongly adds (removes), take the one with the
 * fewest wrong ones (ties: the most right ones, then category order), and count its commands as
 * handled; then one rule per command (or container, then subcommand) still different, in command
 * table order (7.0 uses its hash table's order there, which varies from run to run); then the
 * first-argument rules (+select|0).
 */
export function describeCommands(cat: AclCatalog, sel: Selector): string {
  const additive = !sel.future;
  const n = cat.n;
  const fake = new Uint8Array(n).fill(additive ? 0 : 1);
  const temp = sel.cmds.slice();
  const parts = [additive ? "-@all" : "+@all"];
  const names = cat.categories();
  const applied = new Set<string>();
  for (;;) {
    let best: string | null = null;
    let bestBad = 0;
    let bestGood = 0;
    for (const c of names) {
      if (applied.has(c)) continue;
      let on = 0;
      let off = 0;
      for (const id of cat.counted.get(c)!) {
        if (temp[id] === 1) on++;
        else off++;
      }
      const good = additive ? on : off;
      const bad = additive ? off : on;
      if (good <= bad) continue;
      if (best === null || bad < bestBad || (bad === bestBad && good > bestGood)) {
        best = c;
        bestBad = bad;
        bestGood = good;
      }
    }
    if (best === null) break;
    applied.add(best);
    for (const id of cat.byCategory.get(best)!) {
      fake[id] = additive ? 1 : 0;
      temp[id] = additive ? 0 : 1;
    }
    parts.push((additive ? "+@" : "-@") + best);
  }
  const all = cat.table.all;
  const setTree = (spec: CommandSpec, v: number) => {
    fake[spec.id!] = v;
    for (const sub of spec.subcommands ?? []) setTree(sub, v);
  };
  for (const spec of all) {
    if (spec.parent !== undefined) continue;
    const id = spec.id!;
    if (sel.cmds[id] !== fake[id]) {
      parts.push((sel.cmds[id] === 1 ? "+" : "-") + spec.full);
      setTree(spec, sel.cmds[id]);
    }
    for (const sub of spec.subcommands ?? []) {
      const sid = sub.id!;
      if (sel.cmds[sid] !== fake[sid]) {
        parts.push((sel.cmds[sid] === 1 ? "+" : "-") + sub.full);
        fake[sid] = sel.cmds[sid];
      }
    }
  }
  if (sel.firstArgs !== null) {
    for (const [id, args] of sel.firstArgs) for (const a of args) parts.push(`+${all[id].full}|${a}`);
  }
  return parts.join(" ");
}

export function describeKeys(sel: Selector): string {
  if (sel.allKeys) return "~*";
  return sel.keys.map((k) => (k.perm === KeyPerm.all ? "~" : k.perm === KeyPerm.read ? "%R~" : "%W~") + k.text).join(" ");
}

export function describeChannels(sel: Selector): string {
  if (sel.allChannels) return "&*";
  return sel.channels.map((c) => "&" + c).join(" ");
}

/** A selector as ACL LIST prints it (keys, channels, commands). */
export function describeSelector(cat: AclCatalog, sel: Selector): string {
  const parts: string[] = [];
  const k = describeKeys(sel);
  if (k !== "") parts.push(k);
  if (sel.allChannels) parts.push("&*");
  else {
    parts.push("resetchannels");
    const c = describeChannels(sel);
    if (c !== "") parts.push(c);
  }
  parts.push(describeCommands(cat, sel));
  return parts.join(" ");
}

export function userFlags(u: AclUser): string[] {
  const f = [u.enabled ? "on" : "off"];
  if (u.nopass) f.push("nopass");
  if (u.sanitize === 2) f.push("skip-sanitize-payload");
  else if (u.sanitize === 1) f.push("sanitize-payload");
  return f;
}

/** ACL LIST's line for a user (also what ACL SAVE writes). */
export function describeUser(cat: AclCatalog, u: AclUser): string {
  const parts = ["user", u.name, ...userFlags(u)];
  for (const p of u.passwords) parts.push("#" + p);
  parts.push(describeSelector(cat, u.root));
  for (const s of u.selectors) parts.push(`(${describeSelector(cat, s)})`);
  return parts.join(" ");
}

// ---- checking ---------------------------------------------------------------------------------------

export function matchPattern(pattern: Uint8Array, str: Uint8Array): boolean {
  return stringMatch(pattern, str, false);
}

/** Is `spec` (with argv) allowed by the selector's command rules? */
export function selectorAllowsCommand(sel: Selector, spec: CommandSpec, argv: readonly Uint8Array[]): boolean {
  if (sel.cmds[spec.id!] === 1) return true;
  if (sel.firstArgs === null || argv.length < 2) return false;
  const l = sel.firstArgs.get(spec.id!);
  if (l === undefined) return false;
  const a = argv[1];
  let s = "";
  for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
  s = s.toLowerCase();
  return l.includes(s);
}

export function selectorAllowsKey(sel: Selector, key: Uint8Array, perm: number): boolean {
  if (sel.allKeys) return true;
  for (const k of sel.keys) {
    if ((k.perm & perm) !== perm) continue;
    if (matchPattern(k.bytes, key)) return true;
  }
  return false;
}

/** Channels: a literal channel is matched against the patterns; a PSUBSCRIBE pattern must equal one. */
export function selectorAllowsChannel(sel: Selector, ch: Uint8Array, literal: boolean): boolean {
  if (sel.allChannels) return true;
  for (let i = 0; i < sel.channelBytes.length; i++) {
    const p = sel.channelBytes[i];
    if (literal) {
      if (p.length === ch.length && p.every((b, j) => b === ch[j])) return true;
    } else if (matchPattern(p, ch)) return true;
  }
  return false;
}

// ---- the store -----------------------------------------------------------------------------------

export class AclStore {
  readonly users = new Map<string, AclUser>();
  readonly catalog: AclCatalog;
  /** The default user is nopass and on: new connections start authenticated. */
  defaultNoAuth = true;

  constructor(table: AclCommands) {
    this.catalog = new AclCatalog(table);
    this.users.set("default", this.defaultUser());
  }

  private defaultUser(): AclUser {
    const u = new AclUser("default", this.catalog.n);
    for (const op of ["+@all", "~*", "&*", "on", "nopass"]) applyUserRule(this.catalog, u, op);
    refresh(u);
    return u;
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** ACL SETUSER: applies ops to a copy; returns the error reply, or the new user on success. */
  prepare(name: string, args: readonly string[]): AclUser | string {
    if (invalidUsername(name)) return "ERR Usernames can't contain spaces or null characters";
    const merged = mergeSelectorArgs(args);
    if (typeof merged === "string") return merged;
    const cur = this.users.get(name);
    let u: AclUser;
    if (cur) u = cur.clone();
    else {
      // A new user starts as Redis creates it: off, no passwords, channels per acl-pubsub-default.
      u = new AclUser(name, this.catalog.n);
      u.root = newSelector(this.catalog);
    }
    for (const op of merged) {
      try {
        applyUserRule(this.catalog, u, op);
      } catch (e) {
        if (e instanceof AclError) return `ERR Error in ACL SETUSER modifier '${op}': ${e.message}`;
        throw e;
      }
    }
    refresh(u);
    return u;
  }

  commit(u: AclUser): void {
    this.users.set(u.name, u);
    this.refreshDefault();
  }

  remove(name: string): boolean {
    return this.users.delete(name);
  }

  /** Replaces every user (ACL LOAD); the default user is recreated when the file lacks it. */
  replaceAll(users: AclUser[]): void {
    this.users.clear();
    this.users.set("default", this.defaultUser());
    for (const u of users) this.users.set(u.name, u);
    this.refreshDefault();
  }

  refreshDefault(): void {
    const d = this.users.get("default")!;
    this.defaultNoAuth = d.enabled && d.nopass;
  }

  /** requirepass: the default user's password ("" = nopass), as Redis's CONFIG SET requirepass. */
  setRequirepass(pass: string): void {
    const d = this.users.get("default")!.clone();
    applyUserRule(this.catalog, d, "resetpass");
    applyUserRule(this.catalog, d, pass === "" ? "nopass" : ">" + pass);
    refresh(d);
    this.commit(d);
  }

  /** ACLCheckUserCredentials: the user when enabled and the password matches. */
  check(name: string, pass: Uint8Array): AclUser | null {
    const u = this.users.get(name);
    if (u === undefined || !u.enabled) return null;
    if (u.nopass) return u;
    const h = sha256Hex(pass);
    return u.passwords.includes(h) ? u : null;
  }

  /**
   * Parses ACL file text (Redis 7.0's ACLLoadFromFile): every line is `user <name> <rules...>`,
   * split on spaces (no quoting, no comments; blank lines are skipped). Returns the users, or every
   * error found, each as "<file>:<line>: <reason>. ", the way ACL LOAD and the startup report them.
   */
  parseFile(text: string, file = "(aclfile)"): AclUser[] | string {
    const users: AclUser[] = [];
    const seen = new Set<string>();
    let errors = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      if (line === "") continue;
      const words = line.split(" ").filter((w) => w !== "");
      const n = i + 1;
      if (words[0] !== "user" || words.length < 2) {
        errors += `${file}:${n} should start with user keyword followed by the username. `;
        continue;
      }
      const name = words[1];
      if (invalidUsername(name)) {
        errors += `'${file}:${n}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (seen.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${n}. `;
        continue;
      }
      seen.add(name);
      const merged = mergeSelectorArgs(words.slice(2));
      if (typeof merged === "string") {
        errors += `${file}:${n}: ${merged.replace(/^ERR /, "").replace(/\.$/, "")}. `;
        continue;
      }
      // As redis-server 7.0 reports them: every bad command rule, but only the first other bad rule.
      const u = new AclUser(name, this.catalog.n);
      u.root = newSelector(this.catalog);
      let failed = false;
      for (const op of merged) {
        const command = op[0] === "+" || op[0] === "-";
        if (failed && !command) continue;
        try {
          applyUserRule(this.catalog, u, op);
        } catch (e) {
          if (!(e instanceof AclError)) throw e;
          if (command) errors += `${file}:${n}: Error in applying operation '${op}': ${e.message}. `;
          else {
            errors += `${file}:${n}: ${e.message}. `;
            failed = true;
          }
        }
      }
      refresh(u);
      users.push(u);
    }
    if (errors !== "") return errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
    return users;
  }

  /** ACL SAVE's text: every user's ACL LIST line. */
  fileText(): string {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((u) => describeUser(this.catalog, u) + "\n").join("");
  }
}
