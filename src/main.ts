// memkeep's main thread: the acceptor actor. It loads the configuration, creates the shared
// keyspace and stats buffers, starts one shard worker per shard (each listens on the shared port
// with reusePort), relays peer requests between workers, and shuts everything down on SIGTERM/SIGINT
// or SHUTDOWN. It is never on the per-command path.

import { Config, ConfigError } from "./config.ts";
import { createDirtyMap, createKeyspaceBuffers } from "./keyspace/keyspace.ts";
import { createStatsBuffer } from "./server/stats.ts";
import { createPubSubBuffers } from "./server/pubsub.ts";
import { createBlockingBuffer } from "./server/blocking.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./server/worker_server.ts";
import { log, setLogLevel } from "./server/log.ts";
import { memkeepVersion } from "./version.ts";
import { LogRing, createDoorbell } from "./log/ring.ts";
import { DataDirError, closeDataDir, openDataDir } from "./log/data_dir.ts";
import { controlBytes, ctlF64LastSaveSec, ctlF64SaveInProgress, ctlF64SaveStatus, ctlF64Saves, ctlF64LastSaveMs, ctlStop } from "./log/control.ts";
import type { DurableInit, RecoveryReport } from "./log/durable_threads.ts";
import type { DurableWorkerInit } from "./server/durable.ts";
import { parseCidrList } from "./server/admission.ts";
import { checkedTlsSetup, tlsStartupError } from "./server/tls.ts";
import { enforceAclStartup } from "./acl/startup_check.ts";
import { readAclFile } from "./acl/startup.ts";


function randomHex(n: number): string {
  const b = new Uint8Array(n / 2);
  crypto.getRandomValues(b);
  return Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
}

/**
 * The acceptor's policy checks before any worker starts: something to listen on, a valid allow-cidr,
 * and TLS files BoringSSL accepts (workers then open their listeners with the same files).
 */
function checkListeningPolicy(cfg: Config): void {
  if (cfg.port === 0 && cfg.tlsPort === 0) {
    log("warning", "Configured to not listen anywhere, exiting.");
    process.exit(1);
  }
  const cidr = parseCidrList(cfg.allowCidr);
  if (!cidr.ok) {
    process.stderr.write(`\n*** FATAL CONFIG FILE ERROR (memkeep ${memkeepVersion}) ***\n${cidr.error}\n`);
    process.exit(1);
  }
  if (cfg.tlsPort !== 0) {
    const tls = checkedTlsSetup(cfg);
    if (!tls.ok) {
      log("warning", tls.error);
      log("warning", tlsStartupError);
      process.exit(1);
    }
  }
}

async function main(): Promise<void> {
  let cfg: Config;
  try {
    cfg = Config.load(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`\n*** FATAL CONFIG FILE ERROR (memkeep ${memkeepVersion}) ***\n${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  setLogLevel(cfg.loglevel);
  checkListeningPolicy(cfg);
  // The aclfile is read once: the judge and every shard worker load the same text.
  const aclText = cfg.aclfile !== "" ? readAclFile(cfg.aclfile) : null;
  await enforceAclStartup(cfg, aclText); // a bad `user` line or aclfile: Redis's error, exit 1
  const workers = cfg.shardWorkers;
  const ks = createKeyspaceBuffers(workers, cfg.databases);
  const durable = cfg.durability !== "none" ? await startDurable(cfg, workers, ks) : null;
  // Sized for statsCommandsMax commands, so this thread never loads the command modules (~10 MB).
  const stats = createStatsBuffer(workers);
  const slowlogIds = new SharedArrayBuffer(4);
  const runId = randomHex(40);
  log("notice", `memkeep ${memkeepVersion} starting, pid=${process.pid}, shard workers=${workers}`);

  const threads: Worker[] = [];
  // Peer requests in flight, by "origin:id": answers gathered in worker order.
  const peerWaits = new Map<string, { results: unknown[]; left: number }>();
  let stopped = 0;
  let readyCount = 0;
  let shuttingDown = false;

  const shutdown = (why: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log("notice", `${why}: shutting down`);
    for (const t of threads) t.postMessage({ type: "shutdown" } satisfies ToWorker);
    setTimeout(() => process.exit(0), 5000).unref();
  };
  const exit = async () => {
    if (durable !== null) await durable.stop();
    log("notice", "memkeep is now ready to exit, bye bye...");
    process.exit(0);
  };

  for (let w = 0; w < workers; w++) {
    const t = new Worker(new URL("../workers/shard_worker.ts", import.meta.url).href);
    threads.push(t);
    t.onmessage = (e: MessageEvent) => {
      const m = e.data as FromWorker;
      switch (m.type) {
        case "ready":
          if (++readyCount === workers) log("notice", `Ready to accept connections tcp on port ${m.port}`);
          return;
        case "listenError":
          log("warning", `Could not create server TCP listening socket ${m.message}`);
          process.exit(1);
          return;
        case "peer":
          peerWaits.set(`${w}:${m.id}`, { results: new Array(workers), left: workers });
          for (const o of threads) o.postMessage({ type: "peerReq", id: m.id, from: w, req: m.req } satisfies ToWorker);
          return;
        case "peerRes": {
          const key = `${m.from}:${m.id}`;
          const wait = peerWaits.get(key);
          if (!wait) return;
          wait.results[m.worker] = m.result;
          if (--wait.left === 0) {
            peerWaits.delete(key);
            threads[m.from].postMessage({ type: "peerDone", id: m.id, results: wait.results } satisfies ToWorker);
          }
          return;
        }
        case "shutdownRequest":
          shutdown("SHUTDOWN requested");
          return;
        case "stopped":
          if (++stopped === workers) void exit();
          return;
        case "snapshot":
          if (durable === null) t.postMessage({ type: "snapshotDone", id: m.id, ok: false, message: "durability is none: nothing to snapshot" } satisfies ToWorker);
          else durable.snapshot().then((r) => t.postMessage({ type: "snapshotDone", id: m.id, ...r } satisfies ToWorker));
          return;
        default: {
          const never: never = m;
          throw new Error(`main: unknown message ${JSON.stringify(never)}`);
        }
      }
    };
    t.onerror = (e) => {
      log("warning", `worker ${w} crashed: ${e.message}`);
      process.exit(1);
    };
  }
  // Pub/sub: a shared registry, and one MessagePort per pair of workers for published messages
  // (src/server/pubsub.ts); they travel worker to worker, never through this thread.
  const pubsub = createPubSubBuffers();
  const blocking = createBlockingBuffer(); // blocked-clients registry (src/server/blocking.ts)
  const pubsubPorts: (MessagePort | null)[][] = Array.from({ length: workers }, () => new Array(workers).fill(null));
  for (let a = 0; a < workers; a++) {
    for (let b = a + 1; b < workers; b++) {
      const ch = new MessageChannel();
      pubsubPorts[a][b] = ch.port1;
      pubsubPorts[b][a] = ch.port2;
    }
  }
  for (let w = 0; w < workers; w++) {
    const init: WorkerInit = {
      worker: w, workers, config: cfg.toJSON(), keyspace: ks, stats, slowlogIds, runId, pubsub, pubsubPorts: pubsubPorts[w], blocking, durable: durable?.workerInit, aclText,
    };
    threads[w].postMessage({ type: "init", init }, pubsubPorts[w].filter((p): p is MessagePort => p !== null));
  }
  process.on("SIGTERM", () => shutdown("Received SIGTERM scheduling shutdown"));
  process.on("SIGINT", () => shutdown("Received SIGINT scheduling shutdown"));
}

await main();

interface DurableHandle {
  workerInit: DurableWorkerInit;
  snapshot(): Promise<{ ok: boolean; message?: string }>;
  stop(): Promise<void>;
}

/**
 * Durable mode: takes the data folder, starts the replicator (which first recovers the keyspace from
 * the latest snapshots and the log tails) and the snapshotter. Exits on a folder or recovery error.
 */
async function startDurable(cfg: Config, workers: number, ks: ReturnType<typeof createKeyspaceBuffers>): Promise<DurableHandle> {
  const fatal = (msg: string): never => {
    log("warning", msg);
    process.stderr.write(`\n*** FATAL: ${msg}\n`);
    process.exit(1);
  };
  let epoch = 1;
  try {
    epoch = openDataDir(cfg.dir, workers).epoch;
  } catch (e) {
    if (e instanceof DataDirError) fatal(e.message);
    throw e;
  }
  let ringBytes = 1 << 16;
  while (ringBytes < cfg.logBufferBytes) ringBytes *= 2;
  const rings = Array.from({ length: workers }, () => LogRing.create(ringBytes));
  const bell = createDoorbell();
  const control = new SharedArrayBuffer(controlBytes);
  const init: DurableInit = {
    dir: cfg.dir,
    keyspace: ks,
    rings,
    bell,
    control,
    encryption: cfg.encryptionAtRest,
    keyFile: cfg.encryptionKeyFile,
    segmentBytes: cfg.logSegmentBytes,
    config: cfg.toJSON(),
  };
  const replicator = new Worker(new URL("../workers/replicator.ts", import.meta.url).href);
  let stoppedResolve: () => void = () => {};
  const stopped = new Promise<void>((r) => (stoppedResolve = r));
  const recovered = new Promise<RecoveryReport>((resolve) => {
    replicator.onmessage = (e: MessageEvent) => {
      const m = e.data as { type: string; report?: RecoveryReport; message?: string };
      if (m.type === "recovered") resolve(m.report!);
      else if (m.type === "recoveryFailed") fatal(`recovery failed: ${m.message}`);
      else if (m.type === "stopped") stoppedResolve();
    };
  });
  replicator.onerror = (e) => fatal(`replicator crashed: ${e.message}`);
  replicator.postMessage({ type: "init", init });
  const report = await recovered;
  log("notice", `DB loaded from the shard logs: ${report.keys} keys from snapshots, ${report.records} log records replayed (${report.deltas} deltas, ${report.skipped} covered by the snapshot skipped) in ${report.ms.toFixed(1)} ms${report.tornBytes > 0 ? `, torn tail of ${report.tornBytes} bytes cut` : ""}`);
  const snapshotter = new Worker(new URL("../workers/snapshotter.ts", import.meta.url).href);
  snapshotter.postMessage({ type: "init", init });
  const f64 = new Float64Array(control);
  f64[ctlF64LastSaveSec] = Math.floor(Date.now() / 1000);
  f64[ctlF64SaveStatus] = 1;
  let nextId = 1;
  let running: Promise<{ ok: boolean; message?: string }> | null = null;
  const waits = new Map<number, (r: { ok: boolean; message?: string }) => void>();
  snapshotter.onmessage = (e: MessageEvent) => {
    const m = e.data as { type: string; id: number; ok: boolean; message?: string };
    if (m.type !== "snapshotDone") return;
    waits.get(m.id)?.({ ok: m.ok, message: m.message });
    waits.delete(m.id);
  };
  snapshotter.onerror = (e) => fatal(`snapshotter crashed: ${e.message}`);
  return {
    workerInit: { rings, dirty: rings.map(() => createDirtyMap()), bell, control, epoch },
    snapshot() {
      // One at a time: a request during a snapshot shares it.
      if (running !== null) return running;
      const id = nextId++;
      const t0 = Date.now();
      f64[ctlF64SaveInProgress] = 1;
      log("notice", "Background saving started");
      running = new Promise<{ ok: boolean; message?: string }>((resolve) => waits.set(id, resolve)).then((r) => {
        running = null;
        f64[ctlF64SaveInProgress] = 0;
        f64[ctlF64SaveStatus] = r.ok ? 1 : 0;
        f64[ctlF64LastSaveMs] = Date.now() - t0;
        if (r.ok) {
          f64[ctlF64LastSaveSec] = Math.floor(Date.now() / 1000);
          f64[ctlF64Saves]++;
          log("notice", `Background saving terminated with success (${f64[ctlF64LastSaveMs]} ms)`);
        } else log("warning", `snapshot failed: ${r.message}`);
        return r;
      });
      snapshotter.postMessage({ type: "snapshot", id });
      return running;
    },
    async stop() {
      if (running !== null) await running;
      snapshotter.terminate();
      Atomics.store(new Int32Array(control), ctlStop, 1);
      new (await import("./log/ring.ts")).Doorbell(bell).ring();
      await Promise.race([stopped, Bun.sleep(3000)]);
      closeDataDir(cfg.dir);
    },
  };
}
