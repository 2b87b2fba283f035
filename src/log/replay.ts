// Replays `delta` records (src/log/effects.ts): the logged command runs through its own handler
// against the recovering keyspace, as if a client had sent it, with its reply thrown away.
//
// Time is frozen at 0 while a delta runs, so nothing expires lazily (keys expire through their own
// logged expire/del records, at the point of the log where the primary expired them), and lookups
// do not touch access clocks. Only commands flagged CommandSpec.delta replay: a record naming any
// other command is refused, never run. Encoding thresholds come from the server's configuration,
// so a replayed HSET converts a listpack at the same size as it did when it was logged.
// Runs on the replicator thread at start (and, later, on replicas); every shard lock is held.

import { Config, type ConfigSnapshot } from "../config.ts";
import { commandTable, type CommandTable } from "../commands/registry.ts";
import type { Keyspace } from "../keyspace/keyspace.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { Exec, type Peers } from "../server/exec.ts";
import { Session, type SessionData } from "../server/session.ts";
import { SlowLog } from "../server/slowlog.ts";
import { Stats, createStatsBuffer } from "../server/stats.ts";
import { AssertionError } from "../assert.ts";
import { decodeDelta } from "./effects.ts";
import type { Socket } from "bun";

export class ReplayError extends Error {}

const oom = new TextEncoder().encode("-OOM");

export class DeltaReplayer {
  private x: Exec;
  private table: CommandTable;
  private session: Session;
  /** Deltas replayed. */
  count = 0;

  constructor(private ks: Keyspace, config: ConfigSnapshot | null) {
    const cfg = config !== null ? Config.fromJSON(config) : new Config();
    this.table = commandTable();
    const stats = new Stats(createStatsBuffer(1), 0, 1, this.table.all.length);
    const peers: Peers = { broadcast: async () => [], shutdown: () => {}, snapshot: async () => ({ ok: false }) };
    const sessions = new Map<number, Session>();
    this.x = new Exec(ks, new ReplyWriter(), cfg, stats, this.table, peers, sessions, new SlowLog(() => 0), 0, 1, "replay", () => 0);
    const socket = { remoteAddress: "replay", remotePort: 0 } as unknown as Socket<SessionData>;
    this.session = new Session(0, socket, { bulkBytesMax: 512 << 20, queryBufferBytesMax: 1 << 30 }, Date.now());
    this.x.s = this.session;
  }

  /** Runs the delta record at `lsn` (payload as logged). Throws ReplayError when it cannot. */
  apply(lsn: bigint, payload: Uint8Array): void {
    const e = decodeDelta(payload);
    this.run(lsn, e.db, e.key, e.argv);
  }

  /** Runs argv (a delta-able command on `key`) in physical db pdb; the reply is discarded. */
  run(lsn: bigint, pdb: number, key: Uint8Array, argv: Uint8Array[]): void {
    const e = { db: pdb, key, argv };
    if (e.argv.length < 2) throw new ReplayError(`LSN ${lsn}: delta with ${e.argv.length} arguments`);
    const spec = this.table.lookup(e.argv[0]);
    if (spec === undefined || spec.delta !== true) {
      throw new ReplayError(`LSN ${lsn}: delta command '${new TextDecoder().decode(e.argv[0])}' is not one that replays`);
    }
    if (spec.arity > 0 ? e.argv.length !== spec.arity : e.argv.length < -spec.arity) throw new ReplayError(`LSN ${lsn}: delta '${spec.name}' has a wrong number of arguments`);
    if (!sameBytes(e.argv[1], e.key)) throw new ReplayError(`LSN ${lsn}: delta '${spec.name}' names another key than its record`);
    const ks = this.ks;
    const x = this.x;
    const db = ks.logicalDb(e.db);
    if (db < 0 || db >= ks.databases) throw new ReplayError(`LSN ${lsn}: delta in unknown db ${e.db}`);
    this.session.db = db;
    const now = ks.now;
    ks.now = 0; // frozen: nothing expires lazily while the delta runs
    ks.noTouch = true;
    x.out.reset();
    try {
      const r = spec.handler(x, e.argv);
      if (r !== undefined) throw new ReplayError(`LSN ${lsn}: delta '${spec.name}' did not complete at once`);
    } catch (err) {
      if (err instanceof AssertionError || err instanceof ReplayError) throw err;
      throw new ReplayError(`LSN ${lsn}: delta '${spec.name}' failed: ${(err as Error).message}`);
    } finally {
      ks.now = now;
      ks.noTouch = false;
    }
    // The reply is ignored (a delta on a key the recovering state does not hold is a no-op or an
    // error reply; src/log/recovery.ts says why that is safe), except running out of memory.
    const out = x.out.view();
    if (out.length >= oom.length && sameBytes(out.subarray(0, oom.length), oom)) throw new ReplayError(`LSN ${lsn}: out of memory while recovering`);
    this.count++;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
