// The main thread's side of the ACL startup check (src/acl/startup.ts): when the configuration has
// `user` lines or an aclfile, a throw-away thread judges them before any shard worker starts, and a
// bad one stops the server the way redis-server 7.0 stops: a FATAL CONFIG FILE ERROR on stderr, or
// Redis's warning lines in the log; exit code 1 either way, never a stack trace.

import { type Config, ConfigError } from "../config.ts";
import { log } from "../server/log.ts";
import { memkeepVersion } from "../version.ts";
import type { AclFileRead, AclStartupInput, AclStartupVerdict } from "./startup.ts";

function judge(input: AclStartupInput): Promise<AclStartupVerdict> {
  const w = new Worker(new URL("./startup_worker.ts", import.meta.url).href);
  return new Promise<AclStartupVerdict>((resolve) => {
    w.onmessage = (e: MessageEvent) => resolve(e.data as AclStartupVerdict);
    w.onerror = (e) => resolve({ kind: "fatal", lines: [`ACL startup check failed: ${e.message.split("\n")[0]}`] });
    w.postMessage(input);
  }).finally(() => w.terminate());
}

/** Exits the process (code 1) when the ACL configuration is one redis-server 7.0 refuses to start with. */
export async function enforceAclStartup(cfg: Config, aclText: AclFileRead | null): Promise<void> {
  if (cfg.userLines.length === 0 && cfg.aclfile === "") return;
  const verdict = await judge({
    aclText,
    users: cfg.userLines, sources: cfg.userSources, aclfile: cfg.aclfile, allChannelsByDefault: cfg.aclPubsubDefault === "allchannels",
  });
  switch (verdict.kind) {
    case "ok":
      for (const n of verdict.notices) log("notice", n);
      return;
    case "config": {
      const src = cfg.userSources[verdict.index];
      const err = new ConfigError(verdict.reason, src.file, src.line, src.text);
      process.stderr.write(`\n*** FATAL CONFIG FILE ERROR (memkeep ${memkeepVersion}) ***\n${err.message}\n`);
      process.exit(1);
      return;
    }
    case "fatal":
      for (const l of verdict.lines) log("warning", l);
      process.exit(1);
      return;
    default: {
      const never: never = verdict;
      throw new Error(`acl startup: unknown verdict ${JSON.stringify(never)}`);
    }
  }
}
