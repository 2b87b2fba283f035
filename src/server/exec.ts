// The execution context a command handler receives: the keyspace, the reply writer, the session
// being served, configuration, stats, and the worker's links to its peers. One per worker, reused
// for every command (no allocation per command); `s` is set by the dispatcher.

import type { Config } from "../config.ts";
import type { Keyspace } from "../keyspace/keyspace.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { CommandTable } from "../commands/registry.ts";
import type { CommandSpec } from "../commands/spec.ts";
import type { Session } from "./session.ts";
import type { Stats } from "./stats.ts";
import type { SlowLog } from "./slowlog.ts";
import type { DurableWorker } from "./durable.ts";
import type { PubSubHub } from "./pubsub.ts";
import type { AclPeerRequest, AclState } from "../acl/state.ts";

/** A reply written later, once an asynchronous step finished; runs with x.s = its session. */
export type ReplyFn = (x: Exec) => void;

/** Requests a worker sends to every worker (itself included) through the main thread. */
export type PeerRequest =
  | { kind: "clientList"; filter: ClientFilter }
  | { kind: "clientKill"; filter: ClientFilter; skipId: number }
  | { kind: "config"; pairs: [string, string][] }
  | { kind: "resetStat" }
  | { kind: "pause"; untilMs: number; writesOnly: boolean }
  | { kind: "unpause" }
  | { kind: "slowlogGet"; count: number }
  | { kind: "slowlogReset" }
  | { kind: "slowlogLen" }
  | { kind: "blockServe"; worker: number; clientId: number; db: number; key: Uint8Array }
  | { kind: "clientUnblock"; id: number; error: boolean }
  | AclPeerRequest;

export interface ClientFilter {
  ids?: number[];
  type?: string;
  addr?: string;
  laddr?: string;
  user?: string;
  skipme?: boolean;
  maxAgeSec?: number;
  selfId?: number;
}

export interface Peers {
  /** Sends a request to every worker and resolves with their answers, in worker order. */
  broadcast(req: PeerRequest): Promise<unknown[]>;
  /** Asks the main thread to shut the server down (SHUTDOWN). */
  shutdown(): void;
  /** Asks for a snapshot of every shard (SAVE, BGSAVE); resolves when it is written. */
  snapshot(): Promise<{ ok: boolean; message?: string }>;
}

export class Exec {
  s!: Session;
  /** Client pause state (CLIENT PAUSE): until when, and whether only writes wait. */
  pauseUntilMs = 0;
  pauseWritesOnly = false;
  readonly startMs = Date.now();
  /**
   * Date.now() - performance.now(), refreshed every cron tick: the dispatcher reads one clock
   * (performance.now) per command and derives the wall-clock ms from it.
   */
  clockOffsetMs = Date.now() - performance.now();
  /** performance.now() at the end of the last command (or the start of the batch). */
  clock = performance.now();
  /** The shard log's worker side, or null with durability none. */
  durable: DurableWorker | null = null;
  /**
   * The command whose handler is running, set around the handler by dispatch and EXEC (null
   * otherwise, e.g. while blocked clients are served): the shard log may log a large key's change
   * as this command's effect (a `delta`, src/log/effects.ts). Plain stores: nothing is allocated.
   */
  effSpec: CommandSpec | null = null;
  effArgv: Uint8Array[] = [];
  /** The effect argv a handler set with setEffect (SPOP's SREM, XADD's assigned ID), else null. */
  effect: Uint8Array[] | null = null;
  /** A delta was logged for the running command: a second signal of its key logs a `put`. */
  effLogged = false;
  /** Per shard: 1 while the running command holds its lock (dispatch's multi-shard path). */
  readonly lockScratch: Uint8Array;
  /** This worker's pub/sub subscribers and its link to the other workers' (set at start). */
  pubsub!: PubSubHub;
  /** ACL users and log, mirrored by every worker (src/acl/state.ts). */
  acl!: AclState;

  constructor(
    readonly ks: Keyspace,
    readonly out: ReplyWriter,
    readonly cfg: Config,
    readonly stats: Stats,
    readonly table: CommandTable,
    readonly peers: Peers,
    readonly sessions: Map<number, Session>,
    readonly slowlog: SlowLog,
    readonly worker: number,
    readonly workers: number,
    readonly runId: string,
    readonly tcpPort: () => number,
  ) {
    this.lockScratch = new Uint8Array(ks.shardCount);
  }

  /** The command's clock (ms), fixed for the duration of one command. */
  get now(): number {
    return this.ks.now;
  }
}
