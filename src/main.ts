// memkeep's main thread: the acceptor actor. It loads the configuration, creates the shared
// keyspace and stats buffers, starts one shard worker per shard (each listens on the shared port
// with reusePort), relays peer requests between workers, and shuts everything down on SIGTERM/SIGINT
// or SHUTDOWN. It is never on the per-command path.

import { Config, ConfigError } from "./config.ts";
import { createKeyspaceBuffers } from "./keyspace/keyspace.ts";
import { createStatsBuffer } from "./server/stats.ts";
import { createPubSubBuffers } from "./server/pubsub.ts";
import { createBlockingBuffer } from "./server/blocking.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./server/worker_server.ts";
import { log, setLogLevel } from "./server/log.ts";
import { memkeepVersion } from "./version.ts";
import { durabilityUnavailable } from "./server/durability.ts";
import { parseCidrList } from "./server/admission.ts";
import { checkedTlsSetup, tlsStartupError } from "./server/tls.ts";


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
  if (cfg.durability !== "none") {
    // No write may be acknowledged as durable before the shard log exists to make it so.
    process.stderr.write(`\n*** FATAL CONFIG FILE ERROR (memkeep ${memkeepVersion}) ***\n${durabilityUnavailable}\n`);
    process.exit(1);
  }
  checkListeningPolicy(cfg);
  const workers = cfg.shardWorkers;
  const ks = createKeyspaceBuffers(workers, cfg.databases);
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
    setTimeout(() => process.exit(0), 2000).unref();
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
          if (++stopped === workers) {
            log("notice", "memkeep is now ready to exit, bye bye...");
            process.exit(0);
          }
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
      worker: w, workers, config: cfg.toJSON(), keyspace: ks, stats, slowlogIds, runId, pubsub, pubsubPorts: pubsubPorts[w], blocking,
    };
    threads[w].postMessage({ type: "init", init }, pubsubPorts[w].filter((p): p is MessagePort => p !== null));
  }
  process.on("SIGTERM", () => shutdown("Received SIGTERM scheduling shutdown"));
  process.on("SIGINT", () => shutdown("Received SIGINT scheduling shutdown"));
}

await main();
