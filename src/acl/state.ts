// The per-worker ACL state: the user store, the ACL log, the permission check the dispatcher calls
// for restricted users, and what a worker does when a peer request changes the users.
//
// Changes (ACL SETUSER / DELUSER / LOAD, CONFIG SET requirepass) are validated by the worker that
// received the command, then broadcast (x.peers.broadcast); every worker, the sender included,
// applies the same operation in the same order, so the stores stay identical. Sessions of a changed
// user pick the new user up at once; sessions of a deleted user are closed; subscribers that lost
// a channel they are subscribed to are closed (Redis 7.0's ACLKillPubsubClientsIfNeeded).
//
// ACL LOG: one log for the whole server, kept by worker 0 (src/acl/log.ts).

import type { CommandSpec } from "../commands/spec.ts";
import { keyIndexesOf } from "../commands/spec.ts";
import { keyFlagsAt } from "../commands/command_docs.ts";
import type { Exec } from "../server/exec.ts";
import type { Session } from "../server/session.ts";
import { Stat } from "../server/stats.ts";
import { clientInfoLine } from "../server/client_info.ts";
import { type AclLogEntry, AclLog, aclNow, batchMax, logOwner, sameDenial } from "./log.ts";
import { type AclFileRead, bothUsersAndAclfile, configuredUsers, readAclFile } from "./startup.ts";
import {
  type AclUser, AclStore, KeyPerm, type Selector, selectorAllowsChannel, selectorAllowsCommand, selectorAllowsKey,
} from "./users.ts";

export type AclPeerRequest =
  | { kind: "aclSetUser"; name: string; args: string[]; self: number }
  | { kind: "aclDelUsers"; names: string[]; self: number }
  | { kind: "aclLoad"; text: string; self: number }
  | { kind: "aclLogAdd"; entries: AclLogEntry[] }
  | { kind: "aclLogSync" }
  | { kind: "aclLogGet"; count: number }
  | { kind: "aclLogReset"; at: number };

export const Denied = { ok: 0, cmd: 1, key: 2, auth: 3, channel: 4 } as const;

export class AclState {
  readonly store: AclStore;
  /** The server's ACL log: its entries live on the owner worker only (empty elsewhere). */
  readonly log = new AclLog();
  /** Denials not yet sent to the owner (non-owner workers), oldest first. */
  private pending: AclLogEntry[] = [];
  /** The key index or channel index that failed in the last check. */
  errPos = 0;

  constructor(x: Exec) {
    this.store = new AclStore(x.table);
    this.applyConfig(x);
    if (x.cfg.requirepass !== "") this.store.setRequirepass(x.cfg.requirepass);
  }

  /** acllog-max-len and acl-pubsub-default (at start and on CONFIG SET; the log is trimmed at its next entry). */
  applyConfig(x: Exec): void {
    this.log.setMaxLen(x.cfg.acllogMaxLen, aclNow());
    this.store.catalog.allChannelsByDefault = x.cfg.aclPubsubDefault === "allchannels";
  }

  /** Attaches the session to a user (authentication, connect, RESET). */
  attach(s: Session, u: AclUser): void {
    s.user = u.name;
    s.aclUser = u;
    s.aclAll = u.unrestricted;
  }

  /** Logs a denial: on the owner at once, elsewhere in this turn's batch for the owner. */
  addLog(x: Exec, s: Session, reason: string, context: string, object: string, username: string): void {
    const at = aclNow();
    const e: AclLogEntry = { count: 1, reason, context, object, username, at, clientInfo: clientInfoLine(x, s, Math.floor(at)) };
    if (x.workers === 1) {
      this.log.add(e);
      return;
    }
    if (x.worker === logOwner) {
      this.log.receive(e, at);
      return;
    }
    const p = this.pending;
    const last = p.length > 0 ? p[p.length - 1] : undefined;
    if (last !== undefined && sameDenial(last, e)) {
      // A repeat of the previous denial (a brute-force AUTH loop): what the owner would do with it.
      last.count++;
      last.at = at;
      last.clientInfo = e.clientInfo;
      return;
    }
    p.push(e);
    if (p.length === 1) queueMicrotask(() => this.flush(x));
    else if (p.length >= batchMax) this.flush(x);
  }

  /** Sends the pending denials to the owner (a peer request whose answers are not needed). */
  flush(x: Exec): void {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    void x.peers.broadcast({ kind: "aclLogAdd", entries });
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
  s.lastCmd = spec.full!; // as Redis's lastcmd: the refused command (client-info shows it)
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
  s.lastCmd = "exec"; // Redis's client-info names EXEC here
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

/**
 * A failed AUTH / HELLO AUTH: counted and logged as Redis does (reason auth, object the command name
 * as the client spelled it, context multi inside EXEC). Without argv0 the object is "AUTH".
 */
export function authFailed(x: Exec, s: Session, username: string, argv0: Uint8Array | null = null): void {
  x.stats.add(Stat.aclAccessDeniedAuth);
  const object = argv0 === null ? "AUTH" : latin1(argv0);
  // client-info names the failing command (EXEC when it ran inside a transaction), as Redis's lastcmd
  s.lastCmd = s.inExec ? "exec" : object.toLowerCase() === "hello" ? "hello" : "auth";
  x.acl.addLog(x, s, "auth", s.inExec ? "multi" : "toplevel", object, username);
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
    case "aclLogAdd": {
      if (w.x.worker !== logOwner) return null;
      const now = aclNow();
      for (const e of req.entries) acl.log.receive(e, now);
      return null;
    }
    case "aclLogSync":
      return null; // a barrier (src/acl/log.ts)
    case "aclLogGet":
      return w.x.worker === logOwner ? acl.log.view(req.count) : null;
    case "aclLogReset":
      if (w.x.worker === logOwner) acl.log.reset(req.at);
      return null;
  }
}

/**
 * The worker's ACL state at start: `user` lines of the config file, then the aclfile (Redis refuses
 * both at once), then requirepass for the default user. The main thread has already refused a bad
 * configuration with Redis's words (src/acl/startup_check.ts); what fails here (a file changed in
 * between) stops the worker.
 */
export function createAclState(x: Exec, aclText: AclFileRead | null = null): AclState {
  const acl = new AclState(x);
  const lines = x.cfg.userLines;
  if (lines.length > 0 && x.cfg.aclfile !== "") throw new Error(bothUsersAndAclfile);
  if (lines.length > 0) {
    const loaded = configuredUsers(acl.store, lines);
    if ("errors" in loaded) throw new Error(loaded.errors[0]);
    acl.store.replaceAll(loaded.users);
  }
  if (x.cfg.aclfile !== "") {
    // The text the main thread read once and judged: a worker starting later must not see the file
    // as it is by then (a test, or an admin, may already be writing the next version).
    const read = aclText ?? readAclFile(x.cfg.aclfile);
    const users = "error" in read ? read.error : acl.store.parseFile(read.text, x.cfg.aclfile);
    if (typeof users === "string") throw new Error(`Aborting Redis startup because of ACL errors: ${users}`);
    acl.store.replaceAll(users);
  }
  if (x.cfg.requirepass !== "") acl.store.setRequirepass(x.cfg.requirepass);
  return acl;
}
