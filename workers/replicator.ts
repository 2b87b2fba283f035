// Replicator thread entry (src/log/durable_threads.ts runReplicator).
import { runReplicator, type DurableInit } from "../src/log/durable_threads.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { type: "init"; init: DurableInit };
  if (m.type === "init") runReplicator(m.init, (msg) => self.postMessage(msg));
};
