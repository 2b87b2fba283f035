// The two actors of the durable path, as thread bodies (workers/replicator.ts, workers/snapshotter.ts
// start them):
// - replicator: recovers the keyspace at start (latest snapshot + log tail of every shard), then
//   drains the shard rings with group commit until told to stop (design.md "Life of a write").
// - snapshotter: writes fuzzy snapshots on request (SAVE, BGSAVE, log-size and time triggers),
//   taking each shard's lock only for short chunks.
// Both map the same SharedArrayBuffers as the shard workers; control words live in `control`.

import { join } from "node:path";
import "../commands/groups.ts"; // registers every type's TypeOps (free, serialize, deserialize)
import { Keyspace, type KeyspaceBuffers } from "../keyspace/keyspace.ts";
import { FileKeyProvider, type KeyProvider } from "./keys.ts";
import { Doorbell, LogRing } from "./ring.ts";
import { Replicator, SegmentWriter } from "./shard_log.ts";
import { writeSnapshot, type SnapshotResult } from "./snapshot.ts";
import { recoverShardState } from "./recovery.ts";
import { DeltaReplayer } from "./replay.ts";
import type { ConfigSnapshot } from "../config.ts";

export interface DurableInit {
  dir: string;
  keyspace: KeyspaceBuffers;
  rings: SharedArrayBuffer[];
  bell: SharedArrayBuffer;
  control: SharedArrayBuffer;
  encryption: boolean;
  keyFile: string;
  segmentBytes: number;
  /** The server's configuration (encoding thresholds for replayed deltas); null: defaults. */
  config: ConfigSnapshot | null;
}

import { ctlAsync, ctlF64LastRoundMs, ctlFlushes, ctlStop, ctlF64Rounds, ctlF64Bytes, ctlF64LastSyncUs, ctlF64LogBytesSinceSnapshot, setLogFailure } from "./control.ts";
import { log, setLogRole } from "../server/log.ts";

export function keyProviderFor(init: { dir: string; encryption: boolean; keyFile: string }): KeyProvider | null {
  if (!init.encryption) return null;
  return new FileKeyProvider(init.keyFile !== "" ? init.keyFile : join(init.dir, "master.key"));
}

export interface RecoveryReport {
  keys: number;
  records: number;
  /** Of the records, deltas replayed through their command handlers. */
  deltas: number;
  /** Records at or below their key's per-key snapshot LSN, skipped. */
  skipped: number;
  tornBytes: number;
  ms: number;
  snapshotLsns: string[];
}

export function recoverAll(init: DurableInit, keys: KeyProvider | null, rings: LogRing[]): RecoveryReport {
  const t0 = performance.now();
  const ks = new Keyspace(init.keyspace);
  ks.lockAll();
  let nkeys = 0;
  let records = 0;
  let skipped = 0;
  let tornBytes = 0;
  const snapshotLsns: string[] = [];
  const replayer = new DeltaReplayer(ks, init.config ?? null);
  try {
    for (let s = 0; s < rings.length; s++) {
      const res = recoverShardState(ks, init.dir, s, keys, replayer);
      nkeys += res.keys;
      snapshotLsns.push(res.snapshotLsn.toString());
      records += res.applied;
      skipped += res.skipped;
      tornBytes += res.tornBytes;
      rings[s].setNextLsn(res.nextLsn);
    }
  } finally {
    ks.unlockAll();
  }
  return { keys: nkeys, records, deltas: replayer.count, skipped, tornBytes, ms: performance.now() - t0, snapshotLsns };
}

/** How long the replicator lets records gather between syncs with durability async. */
const asyncBatchMs = 20;

/** Replicator thread body: recovery, then group commit until control[ctlStop] is set. */
export function runReplicator(init: DurableInit, post: (m: unknown) => void): void {
  setLogRole("R");
  const keys = keyProviderFor(init);
  const rings = init.rings.map((r) => new LogRing(r, init.bell));
  let report: RecoveryReport;
  try {
    report = recoverAll(init, keys, rings);
  } catch (e) {
    post({ type: "recoveryFailed", message: (e as Error).message });
    return;
  }
  post({ type: "recovered", report });
  const writers = rings.map((_, s) => new SegmentWriter(init.dir, s, keys, init.segmentBytes));
  const rep = new Replicator(rings, writers, new Doorbell(init.bell));
  const ctl = new Int32Array(init.control);
  const f64 = new Float64Array(init.control);
  const stop = () => Atomics.load(ctl, ctlStop) !== 0;
  const bell = new Doorbell(init.bell);
  let failing = false;
  while (!stop()) {
    const seen = bell.seq();
    const t0 = performance.now();
    const n = rep.round();
    if (rep.failure !== null) {
      // Writes wait (sync) or are refused (MISCONF) until the disk takes the records again.
      if (!failing) log("warning", `shard log write failed: ${rep.failure}; retrying`);
      failing = true;
      setLogFailure(init.control, rep.failure);
      Bun.sleepSync(100);
      continue;
    }
    if (failing) {
      failing = false;
      setLogFailure(init.control, null);
      log("notice", "shard log writes succeed again");
    }
    if (n === 0) {
      bell.sleep(seen, 100);
      continue;
    }
    // durability async: nobody waits for this sync, so let records gather (bounded well below
    // durability-async-max-lag-ms) instead of spending a core on back-to-back fdatasyncs.
    if (Atomics.load(ctl, ctlAsync) === 1) Bun.sleepSync(asyncBatchMs);
    f64[ctlF64LastRoundMs] = Date.now();
    f64[ctlF64Rounds] = rep.rounds;
    f64[ctlF64Bytes] = rep.bytes;
    f64[ctlF64LastSyncUs] = (performance.now() - t0) * 1000;
    f64[ctlF64LogBytesSinceSnapshot] += n;
  }
  while (rep.round() > 0) {
    // drain what the workers appended before they stopped
  }
  for (const w of writers) w.close();
  post({ type: "stopped" });
}

/** Snapshotter thread: one snapshot of every shard per request. */
export class Snapshotter {
  private ks: Keyspace;
  private rings: LogRing[];
  private keys: KeyProvider | null;
  private f64: Float64Array;
  private ctl: Int32Array;

  private pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(private init: DurableInit) {
    this.ctl = new Int32Array(init.control);
    this.ks = new Keyspace(init.keyspace);
    this.rings = init.rings.map((r) => new LogRing(r, init.bell));
    this.keys = keyProviderFor(init);
    this.f64 = new Float64Array(init.control);
  }

  snapshotAll(): SnapshotResult[] {
    const out: SnapshotResult[] = [];
    this.f64[ctlF64LogBytesSinceSnapshot] = 0;
    for (let s = 0; s < this.rings.length; s++) {
      const ring = this.rings[s];
      out.push(
        writeSnapshot(this.ks, s, this.init.dir, this.keys, {
          lock: () => this.ks.lock(s),
          unlock: () => this.ks.unlock(s),
          appendedLsn: () => ring.appendedLsn(),
          // The shard lock is not fair: without a pause the walk retakes it at once and writers
          // queue behind chunk after chunk (p99 5x during a 1M-key snapshot). 0.2 ms lets them in.
          between: () => Atomics.wait(this.pause, 0, 0, 0.2),
          flushCount: () => Atomics.load(this.ctl, ctlFlushes),
        }),
      );
    }
    return out;
  }
}
