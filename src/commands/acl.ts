// ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG, DRYRUN, LOAD, SAVE, HELP.
// Replies are Redis 7.0.15's (acl.c aclCommand). Changes are validated here, then broadcast so every
// worker applies them (src/acl/state.ts); the reply waits for all workers.

import { randomBytes } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { Err, latin1 } from "./util.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { redactArg, replyHelp, subcommandSyntaxError } from "./connection.ts";
import { checkUser, Denied } from "../acl/state.ts";
import { type AclLogEntry, aclNow, logOwner } from "../acl/log.ts";
import { readAclFile } from "../acl/startup.ts";
import { describeChannels, describeCommands, describeKeys, describeUser, userFlags, type Selector } from "../acl/users.ts";

const ok: ReplyFn = (x) => x.out.ok();

function setuserCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  const name = latin1(argv[2]);
  const args = argv.slice(3).map(latin1);
  for (let j = 2; j < argv.length; j++) redactArg(argv, j); // the slow log shows "(redacted)", as Redis
  const u = x.acl.store.prepare(name, args);
  if (typeof u === "string") {
    x.out.error(u);
    return;
  }
  return x.peers.broadcast({ kind: "aclSetUser", name, args, self: x.s.id }).then(() => ok);
}

function replySelector(x: Exec, sel: Selector, root: boolean, selectors: Selector[] | null): void {
  const out = x.out;
  out.bulkString("commands");
  out.bulkString(describeCommands(x.acl.store.catalog, sel));
  out.bulkString("keys");
  out.bulkString(describeKeys(sel));
  out.bulkString("channels");
  out.bulkString(describeChannels(sel));
  if (root) {
    out.bulkString("selectors");
    out.arrayHeader(selectors!.length);
    for (const s of selectors!) {
      out.mapHeader(3);
      replySelector(x, s, false, null);
    }
  }
}

function getuserCommand(x: Exec, argv: Uint8Array[]): void {
  const u = x.acl.store.get(latin1(argv[2]));
  if (u === undefined) {
    x.out.nullBulk();
    return;
  }
  const out = x.out;
  out.mapHeader(6);
  out.bulkString("flags");
  const flags = userFlags(u);
  out.setHeader(flags.length);
  for (const f of flags) out.bulkString(f);
  out.bulkString("passwords");
  out.arrayHeader(u.passwords.length);
  for (const p of u.passwords) out.bulkString(p);
  replySelector(x, u.root, true, u.selectors);
}

function deluserCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  const names = argv.slice(2).map(latin1);
  if (names.includes("default")) {
    x.out.error("ERR The 'default' user cannot be removed");
    return;
  }
  return x.peers.broadcast({ kind: "aclDelUsers", names, self: x.s.id }).then((r) => {
    const n = r[x.worker] as number;
    return (x2: Exec) => x2.out.int(n);
  });
}

function listCommand(x: Exec): void {
  const users = [...x.acl.store.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  x.out.arrayHeader(users.length);
  for (const u of users) x.out.bulkString(describeUser(x.acl.store.catalog, u));
}

function usersCommand(x: Exec): void {
  const names = [...x.acl.store.users.keys()].sort();
  x.out.arrayHeader(names.length);
  for (const n of names) x.out.bulkString(n);
}

function whoamiCommand(x: Exec): void {
  x.out.bulkString(x.s.user);
}

function catCommand(x: Exec, argv: Uint8Array[]): void {
  const cat = x.acl.store.catalog;
  if (argv.length === 2) {
    const cats = cat.categories();
    x.out.arrayHeader(cats.length);
    for (const c of cats) x.out.bulkString(c);
    return;
  }
  const name = latin1(argv[2]).toLowerCase();
  const ids = cat.counted.get(name); // containers are not listed, as Redis
  if (ids === undefined) {
    x.out.error(`ERR Unknown category '${latin1(argv[2])}'`);
    return;
  }
  x.out.arrayHeader(ids.length);
  for (const id of ids) x.out.bulkString(x.table.all[id].full!);
}

function genpassCommand(x: Exec, argv: Uint8Array[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(x, argv);
    return;
  }
  let bits = 256;
  if (argv.length === 3) {
    const v = parseInt64(argv[2], 0, argv[2].length);
    if (v === null || typeof v === "bigint") {
      x.out.error(Err.notInt);
      return;
    }
    if (v <= 0 || v > 4096) {
      x.out.error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
      return;
    }
    bits = v;
  }
  const chars = Math.floor((bits + 3) / 4);
  x.out.bulkString(randomBytes(Math.ceil(chars / 2)).toString("hex").slice(0, chars));
}

/** ACL LOG's reply in Redis 7.0's shape: seven fields per entry (no entry-id or timestamps: 7.2's). */
function replyLog(x: Exec, entries: readonly AclLogEntry[], count: number): void {
  const now = aclNow();
  const n = Math.min(count, entries.length);
  const out = x.out;
  out.arrayHeader(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    out.mapHeader(7);
    out.bulkString("count");
    out.int(e.count);
    out.bulkString("reason");
    out.bulkString(e.reason);
    out.bulkString("context");
    out.bulkString(e.context);
    out.bulkString("object");
    out.bulkString(e.object);
    out.bulkString("username");
    out.bulkString(e.username);
    out.bulkString("age-seconds");
    out.double((now - e.at) / 1000);
    out.bulkString("client-info");
    out.bulkString(e.clientInfo);
  }
}

/**
 * ACL LOG [count | RESET]. The log lives on worker 0 (src/acl/state.ts); with several workers the
 * read or reset follows a barrier so that every denial sent before it has reached the log.
 */
function logCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  let count = 10;
  let reset = false;
  if (argv.length === 3) {
    if (latin1(argv[2]).toLowerCase() === "reset") reset = true;
    else {
      const v = parseInt64(argv[2], 0, argv[2].length);
      if (v === null || typeof v === "bigint") {
        x.out.error(Err.notInt);
        return;
      }
      count = Math.max(0, v); // a negative count lists nothing, as Redis
    }
  } else if (argv.length > 3) {
    subcommandSyntaxError(x, argv);
    return;
  }
  const log = x.acl.log;
  if (x.workers === 1) {
    if (!reset) replyLog(x, log.entries, count);
    else {
      log.reset(aclNow());
      x.out.ok();
    }
    return;
  }
  const at = aclNow();
  x.acl.flush(x); // this worker's own pending denials go first
  const sync = x.peers.broadcast({ kind: "aclLogSync" });
  if (reset) return sync.then(() => x.peers.broadcast({ kind: "aclLogReset", at })).then(() => ok);
  return sync.then(() => x.peers.broadcast({ kind: "aclLogGet", count })).then((r) => {
    const entries = r[logOwner] as AclLogEntry[];
    return (x2: Exec) => replyLog(x2, entries, count);
  });
}

function dryrunCommand(x: Exec, argv: Uint8Array[]): void {
  const u = x.acl.store.get(latin1(argv[2]));
  if (u === undefined) {
    x.out.error(`ERR User '${latin1(argv[2])}' not found`);
    return;
  }
  const args = argv.slice(3);
  let spec: CommandSpec | undefined = x.table.lookup(args[0]);
  if (spec !== undefined && spec.subcommands && spec.subcommands.length > 0 && args.length > 1) {
    spec = x.table.lookupSub(spec, args[1]); // an unknown subcommand: the command is "not found"
  }
  if (spec === undefined) {
    x.out.error(`ERR Command '${latin1(args[0])}' not found`);
    return;
  }
  const arity = spec.arity;
  if ((arity > 0 && args.length !== arity) || args.length < -arity) {
    x.out.error(`ERR wrong number of arguments for '${spec.full}' command`);
    return;
  }
  const r = checkUser(x.acl, u, spec, args);
  if (r === Denied.ok) x.out.ok();
  else if (r === Denied.cmd) x.out.bulkString(`This user has no permissions to run the '${spec.full}' command`);
  else if (r === Denied.key) x.out.bulkString(`This user has no permissions to access the '${latin1(args[x.acl.errPos])}' key`);
  else x.out.bulkString(`This user has no permissions to access the '${latin1(args[x.acl.errPos])}' channel`);
}

function loadCommand(x: Exec): void | Promise<ReplyFn> {
  const file = x.cfg.aclfile;
  if (file === "") {
    x.out.error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.");
    return;
  }
  const read = readAclFile(file);
  if ("error" in read) {
    x.out.error(`ERR ${read.error}`);
    return;
  }
  const text = read.text;
  const users = x.acl.store.parseFile(text, file);
  if (typeof users === "string") {
    x.out.error(`ERR ${users}`);
    return;
  }
  return x.peers.broadcast({ kind: "aclLoad", text, self: x.s.id }).then(() => ok);
}

function saveCommand(x: Exec): void {
  const file = x.cfg.aclfile;
  if (file === "") {
    x.out.error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.");
    return;
  }
  try {
    const tmp = `${file}.tmp-${process.pid}-${x.worker}`;
    writeFileSync(tmp, Buffer.from(x.acl.store.fileText(), "latin1"));
    renameSync(tmp, file);
  } catch {
    x.out.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
    return;
  }
  x.out.ok();
}

const helpLines = [
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
];

function helpCommand(x: Exec): void {
  replyHelp(x, "ACL", helpLines);
}

const f = "admin noscript loading stale";
const a = "@admin @slow @dangerous";
export const aclCommands: CommandSpec[] = [
  cmd("acl", -2, "", 0, 0, 0, "@slow", () => undefined, {
    subcommands: [
      cmd("cat", -2, "noscript loading stale", 0, 0, 0, "@slow", catCommand),
      cmd("deluser", -3, f, 0, 0, 0, a, deluserCommand),
      cmd("dryrun", -4, f, 0, 0, 0, a, dryrunCommand),
      cmd("genpass", -2, "noscript loading stale", 0, 0, 0, "@slow", genpassCommand),
      cmd("getuser", 3, f, 0, 0, 0, a, getuserCommand),
      cmd("help", 2, "loading stale", 0, 0, 0, "@slow", helpCommand),
      cmd("list", 2, f, 0, 0, 0, a, listCommand),
      cmd("load", 2, f, 0, 0, 0, a, loadCommand),
      cmd("log", -2, f, 0, 0, 0, a, logCommand),
      cmd("save", 2, f, 0, 0, 0, a, saveCommand),
      cmd("setuser", -3, f, 0, 0, 0, a, setuserCommand),
      cmd("users", 2, f, 0, 0, 0, a, usersCommand),
      cmd("whoami", 2, "noscript loading stale", 0, 0, 0, "@slow", whoamiCommand),
    ],
  }),
];
