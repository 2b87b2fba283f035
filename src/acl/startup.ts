// The ACL configuration at startup, judged as redis-server 7.0 judges it, so that a bad `user` line or
// a bad aclfile stops the server with Redis's words and exit code 1 before any worker starts:
// 1. Each `user` line as the config file is read (ACLAppendUserForLoading): a duplicate user, an
//    unmatched selector parenthesis, or a rule that fails on a fresh user is a FATAL CONFIG FILE ERROR
//    "Error in user declaration '<token>': <reason>". Unknown commands and categories pass this step
//    (Redis defers them); <token> is the line's word at the failing rule's index counted from "user",
//    an off-by-two quirk of Redis kept as is (an unmatched parenthesis counts raw words and reports
//    the unknown-command reason, both as 7.0.15 prints them).
// 2. Users from the config file and an aclfile together are refused.
// 3. Each `user` line applied for real (ACLLoadConfiguredUsers): a user name with spaces, or a rule
//    that fails, is logged, then "Critical error while loading ACLs. Exiting.". A user left off gets
//    Redis's notice.
// 4. The aclfile (ACLLoadFromFile): a file that cannot be opened or any bad line is logged as
//    "Aborting Redis startup because of ACL errors: ..." (a directory reads as an empty file).
// The shard workers load the same users with configuredUsers and readAclFile (src/acl/state.ts).

import { readFileSync } from "node:fs";
import {
  AclError, type AclCommands, AclStore, AclUser, applyUserRule, invalidUsername, mergeSelectorArgs, newSelector, refresh,
} from "./users.ts";

/** Where a `user` line came from (the config error quotes it). */
export interface UserLineSource {
  file: string;
  line: number;
  text: string;
}

export interface AclStartupInput {
  /** The aclfile as the main thread read it once (every shard worker loads this same text). */
  aclText?: AclFileRead | null;
  /** Each `user` line's arguments (the name first). */
  users: string[][];
  sources: UserLineSource[];
  aclfile: string;
  allChannelsByDefault: boolean;
}

export type AclStartupVerdict =
  | { kind: "ok"; notices: string[] }
  /** A FATAL CONFIG FILE ERROR for the user line at `index`. */
  | { kind: "config"; index: number; reason: string }
  /** Warning lines to log before exiting with 1. */
  | { kind: "fatal"; lines: string[] };

const errUnknown = "Unknown command or category name in ACL";
const critical = "Critical error while loading ACLs. Exiting.";
export const bothUsersAndAclfile = "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.";

/** Step 1 for one line: null when Redis's config reader accepts it, else the token index and reason. */
function declarationError(store: AclStore, args: readonly string[], seen: Set<string>): { at: number; reason: string } | null {
  if (seen.has(args[0])) return { at: 1, reason: "Duplicate user found. A user can only be defined once in config files" };
  seen.add(args[0]);
  const rules = args.slice(1);
  const merged = mergeSelectorArgs(rules);
  if (typeof merged === "string") {
    let open = -1;
    for (let i = 0; i < rules.length; i++) {
      if (open < 0 && rules[i].startsWith("(") && !rules[i].endsWith(")")) open = i;
      else if (open >= 0 && rules[i].endsWith(")")) open = -1;
    }
    return { at: open, reason: errUnknown };
  }
  const fake = new AclUser(args[0], store.catalog.n);
  fake.root = newSelector(store.catalog);
  for (let j = 0; j < merged.length; j++) {
    try {
      applyUserRule(store.catalog, fake, merged[j]);
    } catch (e) {
      if (!(e instanceof AclError)) throw e;
      if (e.message !== errUnknown) return { at: j, reason: e.message };
    }
  }
  return null;
}

/**
 * Step 3: the users of the config file's `user` lines, in order (a `default` line resets the default
 * user first), or the lines Redis logs before exiting.
 */
export function configuredUsers(store: AclStore, lines: readonly string[][]): { users: AclUser[]; notices: string[] } | { errors: string[] } {
  const users = new Map<string, AclUser>();
  const notices: string[] = [];
  for (const args of lines) {
    const name = args[0];
    if (invalidUsername(name)) return { errors: ["Spaces not allowed in ACL usernames", critical] };
    let u = users.get(name);
    if (u === undefined) {
      if (name === "default") {
        u = store.get("default")!.clone();
        applyUserRule(store.catalog, u, "reset");
      } else {
        u = new AclUser(name, store.catalog.n);
        u.root = newSelector(store.catalog);
      }
    }
    const merged = mergeSelectorArgs(args.slice(1));
    const rules = typeof merged === "string" ? args.slice(1) : merged; // step 1 refused unmatched ones
    for (const op of rules) {
      try {
        applyUserRule(store.catalog, u, op);
      } catch (e) {
        if (!(e instanceof AclError)) throw e;
        return { errors: [`Error loading ACL rule '${op}' for the user named '${name}': ${e.message}`, critical] };
      }
    }
    refresh(u);
    users.set(name, u);
    if (!u.enabled) notices.push(`The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`);
  }
  return { users: [...users.values()], notices };
}

/** C's strerror text for the errors opening a file meets. */
export function strerror(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT": return "No such file or directory";
    case "EACCES": return "Permission denied";
    case "EISDIR": return "Is a directory";
    case "ENOTDIR": return "Not a directory";
    default: return (e as Error).message;
  }
}

/** The aclfile's text, or the error ACL LOAD and the startup report ("Error loading ACLs, opening file ..."). */
export type AclFileRead = { text: string } | { error: string };

export function readAclFile(file: string): AclFileRead {
  try {
    return { text: readFileSync(file, "latin1") };
  } catch (e) {
    // fopen(3) opens a directory and the first read ends it: Redis loads nothing from it.
    if ((e as NodeJS.ErrnoException).code === "EISDIR") return { text: "" };
    return { error: `Error loading ACLs, opening file '${file}': ${strerror(e)}` };
  }
}

/** Steps 1 to 4 (see the top of this file) against the real command table. */
export function checkAclStartup(input: AclStartupInput, table: AclCommands): AclStartupVerdict {
  const store = new AclStore(table);
  store.catalog.allChannelsByDefault = input.allChannelsByDefault;
  const seen = new Set<string>();
  for (let i = 0; i < input.users.length; i++) {
    const err = declarationError(store, input.users[i], seen);
    if (err !== null) {
      const words = ["user", ...input.users[i]];
      return { kind: "config", index: i, reason: `Error in user declaration '${words[err.at] ?? ""}': ${err.reason}` };
    }
  }
  if (input.users.length > 0 && input.aclfile !== "") return { kind: "fatal", lines: [bothUsersAndAclfile] };
  const loaded = configuredUsers(store, input.users);
  if ("errors" in loaded) return { kind: "fatal", lines: loaded.errors };
  if (input.aclfile !== "") {
    const read = input.aclText ?? readAclFile(input.aclfile);
    const users = "error" in read ? read.error : store.parseFile(read.text, input.aclfile);
    if (typeof users === "string") return { kind: "fatal", lines: [`Aborting Redis startup because of ACL errors: ${users}`] };
  }
  return { kind: "ok", notices: loaded.notices };
}
