// Shard worker thread entry: receives its WorkerInit from the acceptor (main thread), then serves
// sessions and owns shard `worker`'s periodic duties. See src/server/worker_server.ts.

import { WorkerServer, type ToWorker, type WorkerInit, type FromWorker } from "../src/server/worker_server.ts";
import { setLogLevel, setLogRole } from "../src/server/log.ts";

declare const self: Worker;

let server: WorkerServer | null = null;
const post = (m: FromWorker) => self.postMessage(m);

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { type: "init"; init: WorkerInit } | ToWorker;
  if (m.type === "init") {
    setLogRole(`W${m.init.worker}`);
    setLogLevel(m.init.config.values.loglevel);
    server = new WorkerServer(m.init, post);
    server.start();
    return;
  }
  server?.onMessage(m);
};
