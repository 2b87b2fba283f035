// The per-worker ACL state: the user store, the ACL log, the permission check the dispatcher calls
// for restricted users, and what a worker does when a peer request changes the users.
//
// Changes (ACL SETUSER / DELUSER / LOAD, CONFIG SET requirepass) are validated by the worker that
// received the command, then broadcast (x.peers.broadcast); every worker, the sender included,
// applies the same operation in the same order, so the stores stay identical. Sessions of a changed
// user pick the new user up at once; sessions of a deleted user are closed; subscribers that lost
// a channel they are subscribed to are closed (Redis 7.0's ACLKillPubsubClientsIfNeeded).

import { readFileSync } from "node:fs";
import type { CommandSpec } from "../commands/spec.ts";
import { keyIndexesOf } from "../commands/spec.ts";
import { keyFlagsAt } from "../commands/command_docs.ts";
import type { Exec } from "../server/exec.ts";
import type { Session } from "../server/session.ts";
import { Stat } from "../server/stats.ts";
import { clientInfoLine } from "../server/client_info.ts";
import {
  type AclUser, AclStore, KeyPerm, type Selector, selectorAllowsChannel, selectorAllowsCommand, selectorAllowsKey,
} from "./users.ts";

export type AclPeerRequest =
  | { kind: "aclSetUser"; name: string; args: string[]; self: number }
  | { kind: "aclDelUsers"; names: string[]; self: number }
  | { kind: "aclLoad"; text: string; self: number }
  | { kind: "aclLogGet" }
  | { kind: "aclLogReset" };

export interface AclLogEntry {
  count: number;
  reason: string;
  context: string;
  object: string;
  username: string;
  createdMs: number;
  updatedMs: number;
  clientInfo: string;
}

export const Denied = { ok: 0, cmd: 1, key: 2, auth: 3, channel: 4 } as const;

const logGroupMs = 60_000;
export const aclLogMaxLen = 128;

export class AclState {
  readonly store: AclStore;
  log: AclLogEntry[] = [];
  /** The key index or channel index that failed in the last check. */
  errPos = 0;
  /** acllog-max-len. */
  maxLen = aclLogMaxLen;

  constructor(x: Exec) {
    this.store = new AclStore(x.table);
    this.applyConfig(x);
    if (x.cfg.requirepass !== "") this.store.setRequirepass(x.cfg.requirepass);
  }

  /** acllog-max-len and acl-pubsub-default (at start and on CONFIG SET). */
  applyConfig(x: Exec): void {
    this.maxLen = x.cfg.acllogMaxLen;
    if (this.log.length > this.maxLen) this.log.length = this.maxLen;
    this.store.catalog.allChannelsByDefault = x.cfg.aclPubsubDefault === "allchannels";
  }

  /** Attaches the session to a user (authentication, connect, RESET). */
  attach(s: Session, u: AclUser): void {
    s.user = u.name;
    s.aclUser = u;
    s.aclAll = u.unrestricted;
  }

  addLog(x: Exec, s: Session, reason: string, context: string, object: string, username: string): void {
    const now = Date.now();
    for (const e of this.log) {
      if (e.reason === reason && e.context === context && e.object === object && e.username === username &&
        now - e.updatedMs < logGroupMs) {
        e.count++;
        e.updatedMs = now;
        e.clientInfo = clientInfoLine(x, s, now);
        // The updated entry moves to the head, as Redis.
        this.log.splice(this.log.indexOf(e), 1);
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift({ count: 1, reason, context, object, username, createdMs: now, updatedMs: now, clientInfo: clientInfoLine(x, s, now) });
    if (this.log.length > this.maxLen) this.log.length = this.maxLen;
  }
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
}

/** Channels a command names, and whether they are PSUBSCRIBE patterns (matched literally). */
function channelArgs(spec: CommandSpec): number {
  switch (spec.full) {
    case "publish": case "spublish": return 1; // argv[1] only
    case "subscribe": case "ssubscribe": return 2; // argv[1..]
    case "psubscribe": return 3; // argv[1..], literal
    default: return 0;
  }
}

function keyPermFor(spec: CommandSpec, argv: Uint8Array[], i: number): number {
  const flags = keyFlagsAt(spec, argv, i);
  let p = 0;
  if (flags.includes("access")) p |= KeyPerm.read;
  if (flags.includes("insert") || flags.includes("delete") || flags.includes("update")) p |= KeyPerm.write;
  return p; // neither (STRLEN's RO without ACCESS): any matching pattern will do, as Redis
}

function checkSelector(acl: AclState, sel: Selector, spec: CommandSpec, argv: Uint8Array[]): number {
  if (!selectorAllowsCommand(sel, spec, argv)) {
    acl.errPos = 0;
    return Denied.cmd;
  }
  if (!sel.allKeys && (spec.firstKey > 0 || spec.keyIndexes)) {
    // Key spec flags matter only when some pattern is %R or %W.
    let partial = false;
    for (const k of sel.keys) if (k.perm !== KeyPerm.all) partial = true;
    if (spec.keyIndexes) {
      for (const i of keyIndexesOf(spec, argv)) {
        if (!selectorAllowsKey(sel, argv[i], partial ? keyPermFor(spec, argv, i) : 0)) {
          acl.errPos = i;
          return Denied.key;
        }
      }
    } else {
      // A plain range (GET, MSET...): no array of indexes.
      const last = Math.min(argv.length - 1, spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey);
      for (let i = spec.firstKey; i <= last; i += spec.step) {
        if (!selectorAllowsKey(sel, argv[i], partial ? keyPermFor(spec, argv, i) : 0)) {
          acl.errPos = i;
          return Denied.key;
        }
      }
    }
  }
  const ch = sel.allChannels ? 0 : channelArgs(spec);
  if (ch !== 0) {
    const last = ch === 1 ? Math.min(1, argv.length - 1) : argv.length - 1;
    for (let i = 1; i <= last; i++) {
      if (!selectorAllowsChannel(sel, argv[i], ch === 3)) {
        acl.errPos = i;
        return Denied.channel;
      }
    }
  }
  return Denied.ok;
}

/** ACLCheckAllUserCommandPerm: OK when any selector allows everything; else the most relevant denial. */
export function checkUser(acl: AclState, u: AclUser, spec: CommandSpec, argv: Uint8Array[]): number {
  if (u.unrestricted) return Denied.ok;
  let best = checkSelector(acl, u.root, spec, argv);
  if (best === Denied.ok) return best;
  let pos = acl.errPos;
  for (const sel of u.selectors) {
    const r = checkSelector(acl, sel, spec, argv);
    if (r === Denied.ok) return r;
    if (r > best || (r === best && acl.errPos > pos)) {
      best = r;
      pos = acl.errPos;
    }
  }
  acl.errPos = pos;
  return best;
}

/**
 * The dispatcher's check for a session whose user is restricted: null when allowed, else the
 * NOPERM error (logged in ACL LOG and counted in INFO).
 */
export function aclDenied(x: Exec, s: Session, spec: CommandSpec, argv: Uint8Array[], context = "toplevel"): string | null {
  const u = s.aclUser;
  if (u === null) return null;
  const acl = x.acl;
  const r = checkUser(acl, u, spec, argv);
  if (r === Denied.ok) return null;
  logDenial(x, s, u, r, spec, argv, context);
  if (r === Denied.cmd) return `NOPERM this user has no permissions to run the '${spec.full}' command`;
  if (r === Denied.key) return "NOPERM this user has no permissions to access one of the keys used as arguments";
  return "NOPERM this user has no permissions to access one of the channels used as arguments";
}

const execReasons = [
  "", "no permission to execute the command or subcommand", "no permission to touch the specified keys", "",
  "no permission to access one of the channels used as arguments",
];

/** EXEC re-checks every queued command (the user may have changed since it was queued). */
export function aclExecDenied(x: Exec, s: Session, spec: CommandSpec, argv: Uint8Array[]): string | null {
  const u = s.aclUser;
  if (u === null) return null;
  const r = checkUser(x.acl, u, spec, argv);
  if (r === Denied.ok) return null;
  logDenial(x, s, u, r, spec, argv, "multi");
  return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. " +
    `This command is no longer allowed for the following reason: ${execReasons[r]}`;
}

function logDenial(x: Exec, s: Session, u: AclUser, r: number, spec: CommandSpec, argv: Uint8Array[], context: string): void {
  const acl = x.acl;
  let reason: string;
  let object: string;
  if (r === Denied.cmd) {
    reason = "command";
    object = spec.full!;
    x.stats.add(Stat.aclAccessDeniedCmd);
  } else if (r === Denied.key) {
    reason = "key";
    object = latin1(argv[acl.errPos]);
    x.stats.add(Stat.aclAccessDeniedKey);
  } else {
    reason = "channel";
    object = latin1(argv[acl.errPos]);
    x.stats.add(Stat.aclAccessDeniedChannel);
  }
  acl.addLog(x, s, reason, context, object, u.name);
}

/** A failed AUTH / HELLO AUTH: counted and logged as Redis does (reason auth, object AUTH). */
export function authFailed(x: Exec, s: Session, username: string): void {
  x.stats.add(Stat.aclAccessDeniedAuth);
  x.acl.addLog(x, s, "auth", "toplevel", "AUTH", username);
}

// ---- applying changes on every worker ------------------------------------------------------------

export interface AclHost {
  readonly x: Exec;
  readonly allSessions: Map<number, Session>;
  close(s: Session): void;
}

/** Re-points sessions after users changed; closes those of deleted users and stripped subscribers. */
export function resync(w: AclHost, self: number): void {
  const acl = w.x.acl;
  for (const s of [...w.allSessions.values()]) {
    if (s.aclUser === null) continue;
    const u = acl.store.get(s.user);
    if (u === undefined) {
      kill(w, s, self);
      continue;
    }
    if (u === s.aclUser) continue;
    s.aclUser = u;
    s.aclAll = u.unrestricted;
    if (!u.unrestricted && s.subs !== null && lostChannel(u, s)) kill(w, s, self);
  }
}

/** Closes a session; the one whose command made the change gets its reply first (Redis's CLOSE_AFTER_REPLY). */
function kill(w: AclHost, s: Session, self: number): void {
  if (s.id === self) s.closeAfterReply = true;
  else w.close(s);
}

function anySelector(u: AclUser, f: (sel: Selector) => boolean): boolean {
  if (f(u.root)) return true;
  for (const sel of u.selectors) if (f(sel)) return true;
  return false;
}

function lostChannel(u: AclUser, s: Session): boolean {
  const subs = s.subs!;
  for (const ch of subs.channels.values()) if (!anySelector(u, (sel) => selectorAllowsChannel(sel, ch, false))) return true;
  for (const ch of subs.shard.values()) if (!anySelector(u, (sel) => selectorAllowsChannel(sel, ch, false))) return true;
  for (const p of subs.patterns.values()) if (!anySelector(u, (sel) => selectorAllowsChannel(sel, p, true))) return true;
  return false;
}

export function answerAclPeer(w: AclHost, req: AclPeerRequest): unknown {
  const acl = w.x.acl;
  switch (req.kind) {
    case "aclSetUser": {
      const u = acl.store.prepare(req.name, req.args);
      if (typeof u === "string") return u; // validated by the sender: cannot happen
      acl.store.commit(u);
      resync(w, req.self);
      return null;
    }
    case "aclDelUsers": {
      let n = 0;
      for (const name of req.names) if (name !== "default" && acl.store.remove(name)) n++;
      resync(w, req.self);
      return n;
    }
    case "aclLoad": {
      const users = acl.store.parseFile(req.text, w.x.cfg.aclfile);
      if (typeof users === "string") return users;
      acl.store.replaceAll(users);
      // As redis-server 7.0: every client authenticated as a user other than "default" is closed.
      for (const s of [...w.allSessions.values()]) if (s.aclUser !== null && s.user !== "default") kill(w, s, req.self);
      resync(w, req.self);
      return null;
    }
    case "aclLogGet":
      return acl.log;
    case "aclLogReset":
      acl.log = [];
      return null;
  }
}

/**
 * The worker's ACL state at start: `user` lines of the config file, then the aclfile (Redis refuses
 * both at once), then requirepass for the default user. A bad line stops the server.
 */
export function createAclState(x: Exec): AclState {
  const acl = new AclState(x);
  const lines = x.cfg.userLines;
  if (lines.length > 0 && x.cfg.aclfile !== "") {
    throw new Error("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.");
  }
  let text = lines.map((l) => ["user", ...l].join(" ")).join("\n");
  if (x.cfg.aclfile !== "") {
    try {
      text = readFileSync(x.cfg.aclfile, "latin1");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e; // Redis starts with an absent file
      text = "";
    }
  }
  const users = acl.store.parseFile(text, x.cfg.aclfile !== "" ? x.cfg.aclfile : "config");
  if (typeof users === "string") throw new Error(`Error loading ACL users: ${users}`);
  if (users.length > 0) acl.store.replaceAll(users);
  if (x.cfg.requirepass !== "") acl.store.setRequirepass(x.cfg.requirepass);
  return acl;
}
