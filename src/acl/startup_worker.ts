// A short-lived thread that judges the ACL configuration at startup (src/acl/startup.ts) with the real
// command table, so the main thread never loads the command modules. Answers once, then is ended.

import { commandTable } from "../commands/registry.ts";
import { type AclStartupInput, checkAclStartup } from "./startup.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent) => {
  self.postMessage(checkAclStartup(e.data as AclStartupInput, commandTable()));
};
