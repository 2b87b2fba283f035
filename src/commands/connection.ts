// Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET and the CLIENT container.
//
// Replies and errors are Redis 7.0.15's (networking.c clientCommand, server.c helloCommand,
// acl.c authCommand). Users and passwords are the ACL's (src/acl/); `requirepass` is the default
// user's password (none when empty: the nopass default user takes any password).
// CLIENT LIST / KILL / PAUSE / UNPAUSE reach every worker through x.peers.broadcast: sessions live on
// the worker that accepted them, so the handler returns a Promise of the reply (the session waits,
// replies keep their order). Arguments are checked before broadcasting, so every syntax error is a
// synchronous reply. CLIENT SETINFO and NO-TOUCH are 7.2 additions, kept on purpose.

import { cmd, type CommandSpec, type Handler } from "./spec.ts";
import type { ClientFilter, Exec, ReplyFn } from "../server/exec.ts";
import { ReplyMode } from "../server/session.ts";
import { Stat } from "../server/stats.ts";
import { PONG } from "../resp/writer.ts";
import { parseInt64 } from "../../native-free/numbers.ts";
import { Err, bytes, eqCI, int64Max, latin1 } from "./util.ts";
import { clientInfoLine, clientTypeByName } from "../server/client_info.ts";
import { redisVersion } from "../version.ts";
import { isSubscribed } from "../server/pubsub.ts";
import { authFailed } from "../acl/state.ts";

export const wrongPassError = "WRONGPASS invalid username-password pair or user is disabled.";
const helloNoAuthError =
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH " +
  "<user> <pass> option can be used to authenticate the client and select the RESP protocol version " +
  "at the same time";
const int32Min = -2147483648;
const int32Max = 2147483647;

/** Redis's addReplyHelp: a header line, the subcommand lines, then HELP, all as status replies. */
export function replyHelp(x: Exec, name: string, lines: readonly string[]): void {
  x.out.arrayHeader(lines.length + 3);
  x.out.simple(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) x.out.simple(l);
  x.out.simple("HELP");
  x.out.simple("    Prints this help.");
}

/** Redis's addReplySubcommandSyntaxError (the subcommand as typed, the command upper-cased). */
export function subcommandSyntaxError(x: Exec, argv: Uint8Array[]): void {
  x.out.error(
    `ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. ` +
      `Try ${latin1(argv[0]).toUpperCase()} HELP.`,
  );
}

const redactedArg = bytes("(redacted)");

/**
 * Redis's redactClientCommandArgument: the slow log (written by the dispatcher from this same argv
 * after the handler returns) shows "(redacted)" instead of a secret.
 */
export function redactArg(argv: Uint8Array[], i: number): void {
  if (i < argv.length) argv[i] = redactedArg;
}

/** Cleanups other groups register for RESET (discard MULTI, unsubscribe, tracking off...). */
export const resetHooks: ((x: Exec) => void)[] = [];

// ---- PING, ECHO, QUIT, SELECT ---------------------------------------------------------------------

function pingCommand(x: Exec, argv: Uint8Array[]): void {
  if (argv.length > 2) {
    x.out.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (x.s.subs !== null && x.s.resp === 2 && isSubscribed(x.s)) {
    // RESP2 subscribed mode: a two-element array, as Redis 7.0 answers there.
    x.out.arrayHeader(2);
    x.out.bulkString("pong");
    if (argv.length === 2) x.out.bulk(argv[1]);
    else x.out.bulkString("");
    return;
  }
  if (argv.length === 2) x.out.bulk(argv[1]);
  else x.out.raw(PONG);
}

function echoCommand(x: Exec, argv: Uint8Array[]): void {
  x.out.bulk(argv[1]);
}

function quitCommand(x: Exec): void {
  x.out.ok();
  x.s.closeAfterReply = true;
}

function selectCommand(x: Exec, argv: Uint8Array[]): void {
  // getIntFromObjectOrReply: the int64 parse, then Redis's own range message for a C int.
  const v = parseInt64(argv[1], 0, argv[1].length);
  if (v === null) {
    x.out.error(Err.notInt);
    return;
  }
  if (typeof v === "bigint" || v < int32Min || v > int32Max) {
    x.out.error(`ERR value is out of range, value must between ${int32Min} and ${int32Max}`);
    return;
  }
  if (x.cfg.clusterEnabled && v !== 0) {
    x.out.error("ERR SELECT is not allowed in cluster mode");
    return;
  }
  if (v < 0 || v >= x.ks.databases) {
    x.out.error(Err.dbIndex);
    return;
  }
  x.s.db = v;
  x.out.ok();
}

// ---- AUTH, HELLO, RESET ---------------------------------------------------------------------------

/** ACLAuthenticateUser: on success the session is authenticated as the user (src/acl/state.ts). */
function authenticate(x: Exec, user: Uint8Array, pass: Uint8Array, argv0: Uint8Array): boolean {
  const name = latin1(user); // user names are case-sensitive
  const u = x.acl.store.check(name, pass);
  if (u === null) {
    authFailed(x, x.s, name, argv0); // ACL LOG names the command as the client typed it
    return false;
  }
  x.s.authenticated = true;
  x.acl.attach(x.s, u);
  x.s.parser.authRequired = false;
  return true;
}

function authCommand(x: Exec, argv: Uint8Array[]): void {
  if (argv.length > 3) {
    x.out.error(Err.syntax);
    return;
  }
  const args = argv.slice();
  redactArg(argv, 1);
  redactArg(argv, 2);
  let user: Uint8Array;
  let pass: Uint8Array;
  if (argv.length === 2) {
    if (x.acl.store.get("default")!.nopass) {
      x.out.error(
        "ERR AUTH <password> called without any password configured for the default user. " +
          "Are you sure your configuration is correct?",
      );
      return;
    }
    user = defaultUser;
    pass = args[1];
  } else {
    user = args[1];
    pass = args[2];
  }
  if (authenticate(x, user, pass, argv[0])) x.out.ok();
  else x.out.error(wrongPassError);
}
const defaultUser = bytes("default");

function helloCommand(x: Exec, argv: Uint8Array[]): void {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseInt64(argv[1], 0, argv[1].length);
    next++;
    if (v === null) {
      x.out.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v < 2 || v > 3) {
      x.out.error("NOPROTO unsupported protocol version");
      return;
    }
    ver = Number(v);
  }
  let user: Uint8Array | null = null;
  let pass: Uint8Array | null = null;
  let name: Uint8Array | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (eqCI(argv[j], "auth") && more >= 2) {
      user = argv[j + 1];
      pass = argv[j + 2];
      redactArg(argv, j + 1);
      redactArg(argv, j + 2);
      j += 2;
    } else if (eqCI(argv[j], "setname") && more >= 1) {
      name = argv[j + 1];
      j++;
    } else {
      x.out.error(`ERR Syntax error in HELLO option '${latin1(argv[j])}'`);
      return;
    }
  }
  if (user !== null && pass !== null && !authenticate(x, user, pass, argv[0])) {
    x.out.error(wrongPassError);
    return;
  }
  if (!x.s.authenticated && !x.acl.store.defaultNoAuth) {
    x.out.error(helloNoAuthError);
    return;
  }
  if (name !== null && !setClientName(x, name)) return;
  if (ver !== 0) {
    x.s.resp = ver as 2 | 3;
    x.out.resp = x.s.resp; // the reply already speaks the new protocol
  }
  const out = x.out;
  out.mapHeader(7);
  out.bulkString("server");
  out.bulkString("redis");
  out.bulkString("version");
  out.bulkString(redisVersion);
  out.bulkString("proto");
  out.int(x.s.resp);
  out.bulkString("id");
  out.int(x.s.id);
  out.bulkString("mode");
  out.bulkString(x.cfg.clusterEnabled ? "cluster" : "standalone");
  out.bulkString("role");
  out.bulkString("master");
  out.bulkString("modules");
  out.emptyArray();
}

/** Redis 7.0's clearClientConnectionState; NO-EVICT survives (7.0 keeps it), NO-TOUCH does not. */
function resetCommand(x: Exec): void {
  const s = x.s;
  for (const hook of resetHooks) hook(x);
  s.db = 0;
  s.resp = 2;
  x.out.resp = 2;
  s.name = "";
  x.acl.attach(s, x.acl.store.get("default")!);
  s.authenticated = x.acl.store.defaultNoAuth;
  s.parser.authRequired = !s.authenticated;
  s.replyMode = ReplyMode.on;
  s.noTouch = false;
  x.out.simple("RESET");
}

// ---- CLIENT ---------------------------------------------------------------------------------------

/** Client names (and 7.2's lib-name/lib-ver) are printable ASCII without spaces. */
function validClientAttr(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] < 0x21 || v[i] > 0x7e) return false;
  return true;
}

function setClientName(x: Exec, name: Uint8Array): boolean {
  if (!validClientAttr(name)) {
    x.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return false;
  }
  x.s.name = latin1(name);
  return true;
}

function clientIdCommand(x: Exec): void {
  x.out.int(x.s.id);
}

function clientSetnameCommand(x: Exec, argv: Uint8Array[]): void {
  if (setClientName(x, argv[2])) x.out.ok();
}

function clientGetnameCommand(x: Exec): void {
  if (x.s.name === "") x.out.nullBulk();
  else x.out.bulkString(x.s.name);
}

function clientSetinfoCommand(x: Exec, argv: Uint8Array[]): void {
  const attr = argv[2];
  const isName = eqCI(attr, "lib-name");
  if (!isName && !eqCI(attr, "lib-ver")) {
    x.out.error(`ERR Unrecognized option '${latin1(attr)}'`);
    return;
  }
  if (!validClientAttr(argv[3])) {
    x.out.error(`ERR ${latin1(attr)} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (isName) x.s.libName = latin1(argv[3]);
  else x.s.libVer = latin1(argv[3]);
  x.out.ok();
}

function clientInfoCommand(x: Exec): void {
  x.s.lastCmd = "client|info"; // Redis shows the running command in the line
  x.out.verbatim(clientInfoLine(x, x.s, Date.now()) + "\n");
}

function clientListCommand(x: Exec, argv: Uint8Array[]): Promise<ReplyFn> | void {
  const filter: ClientFilter = {};
  let ids: (number | null)[] | null = null;
  if (argv.length === 4 && eqCI(argv[2], "type")) {
    const type = clientTypeByName(latin1(argv[3]));
    if (type === null) {
      x.out.error(`ERR Unknown client type '${latin1(argv[3])}'`);
      return;
    }
    filter.type = type;
  } else if (argv.length > 3 && eqCI(argv[2], "id")) {
    ids = [];
    for (let j = 3; j < argv.length; j++) {
      const v = parseInt64(argv[j], 0, argv[j].length);
      if (v === null) {
        x.out.error("ERR Invalid client ID");
        return;
      }
      ids.push(typeof v === "bigint" ? null : v);
    }
    filter.ids = ids.filter((v): v is number => v !== null);
  } else if (argv.length !== 2) {
    x.out.error(Err.syntax);
    return;
  }
  x.s.lastCmd = "client|list";
  const wanted = ids;
  return x.peers.broadcast({ kind: "clientList", filter }).then((results) => {
    const byId = new Map<number, string>();
    for (const r of results) for (const [id, line] of r as [number, string][]) byId.set(id, line);
    let text = "";
    if (wanted === null) {
      for (const id of [...byId.keys()].sort((a, b) => a - b)) text += byId.get(id) + "\n";
    } else {
      // Redis answers in the order the IDs were given (repeats included).
      for (const id of wanted) {
        const line = id === null ? undefined : byId.get(id);
        if (line !== undefined) text += line + "\n";
      }
    }
    return (x2: Exec) => x2.out.verbatim(text);
  });
}

/** Parses CLIENT KILL's filters; null after writing the error. `old`: the CLIENT KILL addr form. */
function parseKillFilter(x: Exec, argv: Uint8Array[]): ClientFilter | null {
  const f: ClientFilter = { selfId: x.s.id };
  if (argv.length === 3) {
    f.addr = latin1(argv[2]);
    f.skipme = false; // the old form may kill the caller itself
    return f;
  }
  f.skipme = true;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i];
    const more = i + 1 < argv.length;
    const val = more ? argv[i + 1] : null;
    if (val === null) {
      x.out.error(Err.syntax);
      return null;
    }
    if (eqCI(opt, "id")) {
      const v = parseInt64(val, 0, val.length);
      if (v === null || v < 1) {
        x.out.error("ERR client-id should be greater than 0");
        return null;
      }
      f.ids = [typeof v === "bigint" ? -1 : v];
    } else if (eqCI(opt, "type")) {
      const type = clientTypeByName(latin1(val));
      if (type === null) {
        x.out.error(`ERR Unknown client type '${latin1(val)}'`);
        return null;
      }
      f.type = type;
    } else if (eqCI(opt, "addr")) {
      f.addr = latin1(val);
    } else if (eqCI(opt, "laddr")) {
      f.laddr = latin1(val);
    } else if (eqCI(opt, "user")) {
      if (latin1(val) !== "default") {
        x.out.error(`ERR No such user '${latin1(val)}'`);
        return null;
      }
      f.user = "default";
    } else if (eqCI(opt, "skipme")) {
      if (eqCI(val, "yes")) f.skipme = true;
      else if (eqCI(val, "no")) f.skipme = false;
      else {
        x.out.error(Err.syntax);
        return null;
      }
    } else if (eqCI(opt, "maxage")) {
      // A 7.4 addition: kill clients older than maxage seconds.
      const v = parseInt64(val, 0, val.length);
      if (v === null) {
        x.out.error(Err.syntax);
        return null;
      }
      f.maxAgeSec = typeof v === "bigint" ? Number.MAX_SAFE_INTEGER : v;
    } else {
      x.out.error(Err.syntax);
      return null;
    }
  }
  return f;
}

function clientKillCommand(x: Exec, argv: Uint8Array[]): Promise<ReplyFn> | void {
  const filter = parseKillFilter(x, argv);
  if (filter === null) return;
  const oldForm = argv.length === 3;
  return x.peers.broadcast({ kind: "clientKill", filter, skipId: x.s.id }).then((results) => {
    let killed = 0;
    for (const n of results) killed += n as number;
    return (x2: Exec) => {
      if (!oldForm) x2.out.int(killed);
      else if (killed === 0) x2.out.error("ERR No such client");
      else x2.out.ok();
    };
  });
}

function clientReplyCommand(x: Exec, argv: Uint8Array[]): void {
  const s = x.s;
  if (eqCI(argv[2], "on")) {
    s.replyMode = ReplyMode.on;
    x.out.ok();
  } else if (eqCI(argv[2], "off")) {
    s.replyMode = ReplyMode.off;
  } else if (eqCI(argv[2], "skip")) {
    if (s.replyMode !== ReplyMode.off) s.replyMode = ReplyMode.skipNext;
  } else x.out.error(Err.syntax);
}

function onOffCommand(set: (x: Exec, on: boolean) => void): Handler {
  return (x: Exec, argv: Uint8Array[]) => {
    if (eqCI(argv[2], "on")) set(x, true);
    else if (eqCI(argv[2], "off")) set(x, false);
    else {
      x.out.error(Err.syntax);
      return;
    }
    x.out.ok();
  };
}

function clientPauseCommand(x: Exec, argv: Uint8Array[]): Promise<ReplyFn> | void {
  if (argv.length > 4) {
    subcommandSyntaxError(x, argv);
    return;
  }
  let writesOnly = false;
  if (argv.length === 4) {
    if (eqCI(argv[3], "write")) writesOnly = true;
    else if (!eqCI(argv[3], "all")) {
      x.out.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  const t = parseInt64(argv[2], 0, argv[2].length);
  if (t === null) {
    x.out.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (t < 0) {
    x.out.error("ERR timeout is negative");
    return;
  }
  // getTimeoutFromObjectOrReply adds the clock; an end past int64 wraps negative (no pause) in 7.0.
  const now = Date.now();
  let untilMs = 0;
  if (t > 0) untilMs = BigInt(t) + BigInt(now) > int64Max ? 0 : Math.min(Number(t) + now, 8.64e15);
  return x.peers.broadcast({ kind: "pause", untilMs, writesOnly }).then(() => (x2: Exec) => x2.out.ok());
}

function clientUnpauseCommand(x: Exec): Promise<ReplyFn> {
  return x.peers.broadcast({ kind: "unpause" }).then(() => (x2: Exec) => x2.out.ok());
}

function clientGetredirCommand(x: Exec): void {
  x.out.int(-1); // Redis replies -1 for a client without CLIENT TRACKING redirection; no client has one here
}

const clientHelpLines = [
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

function clientHelpCommand(x: Exec): void {
  replyHelp(x, "CLIENT", clientHelpLines);
}

const clientSubcommands: CommandSpec[] = [
  cmd("id", 2, "noscript loading stale", 0, 0, 0, "@slow @connection", clientIdCommand),
  cmd("info", 2, "noscript loading stale", 0, 0, 0, "@slow @connection", clientInfoCommand),
  cmd("setname", 3, "noscript loading stale", 0, 0, 0, "@slow @connection", clientSetnameCommand),
  cmd("getname", 2, "noscript loading stale", 0, 0, 0, "@slow @connection", clientGetnameCommand),
  cmd("setinfo", 4, "noscript loading stale", 0, 0, 0, "@slow @connection", clientSetinfoCommand),
  cmd("list", -2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection", clientListCommand),
  cmd("kill", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection", clientKillCommand),
  cmd("reply", 3, "noscript loading stale", 0, 0, 0, "@slow @connection", clientReplyCommand),
  cmd("no-evict", 3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection",
    onOffCommand((x, on) => (x.s.noEvict = on))),
  cmd("no-touch", 3, "noscript loading stale", 0, 0, 0, "@slow @connection",
    onOffCommand((x, on) => {
      x.s.noTouch = on;
      x.ks.noTouch = on;
    })),
  cmd("pause", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection", clientPauseCommand),
  cmd("unpause", 2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection", clientUnpauseCommand),
  cmd("getredir", 2, "noscript loading stale", 0, 0, 0, "@slow @connection", clientGetredirCommand),
  cmd("unblock", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection", clientUnblockCommand),
  cmd("help", 2, "loading stale", 0, 0, 0, "@slow @connection", clientHelpCommand),
];

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: asks every worker (src/server/blocking.ts unblockClient). */
function clientUnblockCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  if (argv.length > 4) {
    x.out.error(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try ${latin1(argv[0]).toUpperCase()} HELP.`);
    return;
  }
  let error = false;
  if (argv.length === 4) {
    if (eqCI(argv[3], "error")) error = true;
    else if (!eqCI(argv[3], "timeout")) {
      x.out.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const id = parseInt64(argv[2], 0, argv[2].length);
  if (id === null) {
    x.out.error(Err.notInt);
    return;
  }
  if (typeof id === "bigint" || id <= 0) {
    x.out.int(0);
    return;
  }
  return x.peers.broadcast({ kind: "clientUnblock", id, error }).then((results) => {
    const n = results.reduce((a: number, r) => a + (r as number), 0);
    return (x2: Exec) => x2.out.int(n);
  });
}

/** Never called for a known subcommand (the dispatcher resolves those). */
function containerCommand(x: Exec): void {
  x.out.error(Err.syntax);
}

export const connectionCommands: CommandSpec[] = [
  cmd("ping", -1, "fast", 0, 0, 0, "@fast @connection", pingCommand),
  cmd("echo", 2, "loading stale fast", 0, 0, 0, "@fast @connection", echoCommand),
  cmd("quit", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", quitCommand),
  cmd("select", 2, "loading stale fast", 0, 0, 0, "@fast @connection", selectCommand),
  cmd("auth", -2, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", authCommand),
  cmd("hello", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", helloCommand),
  cmd("reset", 1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", resetCommand),
  cmd("client", -2, "", 0, 0, 0, "@slow", containerCommand, { subcommands: clientSubcommands }),
];
