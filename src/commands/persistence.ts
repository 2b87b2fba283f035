// SAVE, BGSAVE, LASTSAVE over the shard log's snapshots (src/log/snapshot.ts). A snapshot never
// pauses the server: SAVE only makes its own client wait until the snapshot is written.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { ctlF64LastSaveSec, ctlF64SaveInProgress } from "../log/control.ts";
import { eqCI } from "./util.ts";
import { processStartMs } from "./info.ts";

const noLog = "ERR durability is none: there is no shard log to snapshot";

function saveCommand(x: Exec): void | Promise<ReplyFn> {
  if (x.durable === null) {
    x.out.error(noLog);
    return;
  }
  if (x.durable.control[ctlF64SaveInProgress] === 1) {
    x.out.error("ERR Background save already in progress");
    return;
  }
  x.durable.control[ctlF64SaveInProgress] = 1; // seen by INFO and the next SAVE/BGSAVE at once
  return x.peers.snapshot().then((r) => (x2: Exec) => {
    if (r.ok) x2.out.ok();
    else x2.out.error(`ERR ${r.message ?? "snapshot failed"}`);
  });
}

function bgsaveCommand(x: Exec, argv: Uint8Array[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && eqCI(argv[1], "schedule")) schedule = true;
    else {
      x.out.error("ERR syntax error");
      return;
    }
  }
  if (x.durable === null) {
    x.out.error(noLog);
    return;
  }
  if (x.durable.control[ctlF64SaveInProgress] === 1) {
    if (schedule) {
      // The running snapshot is shared by requests made during it (main.ts): this one joins it.
      void x.peers.snapshot();
      x.out.simple("Background saving scheduled");
    } else x.out.error("ERR Background save already in progress");
    return;
  }
  // Set here, not only when the main thread gets the request: INFO (rdb_bgsave_in_progress) and a
  // BGSAVE pipelined right after this one see it at once, as in Redis.
  x.durable.control[ctlF64SaveInProgress] = 1;
  void x.peers.snapshot();
  x.out.simple("Background saving started");
}

/** The last snapshot's time; without a log (or before the first), the process start as in Redis. */
function lastsaveCommand(x: Exec): void {
  x.out.int(x.durable === null ? Math.floor(processStartMs(x) / 1000) : x.durable.control[ctlF64LastSaveSec]);
}

export const persistenceCommands: CommandSpec[] = [
  cmd("save", 1, "admin noscript no_async_loading no_multi", 0, 0, 0, "@admin @slow @dangerous", saveCommand),
  cmd("bgsave", -1, "admin noscript no_async_loading", 0, 0, 0, "@admin @slow @dangerous", bgsaveCommand),
  cmd("lastsave", 1, "loading stale fast", 0, 0, 0, "@admin @fast @dangerous", lastsaveCommand),
];
