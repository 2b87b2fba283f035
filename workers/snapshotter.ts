// Snapshotter thread entry: answers {type: "snapshot", id} with {type: "snapshotDone", id, ...}.
import { Snapshotter, type DurableInit } from "../src/log/durable_threads.ts";

declare const self: Worker;

let snap: Snapshotter | null = null;

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { type: "init"; init: DurableInit } | { type: "snapshot"; id: number };
  if (m.type === "init") {
    snap = new Snapshotter(m.init);
    return;
  }
  if (m.type === "snapshot" && snap !== null) {
    try {
      const results = snap.snapshotAll().map((r) => ({ ...r, lsn: r.lsn.toString() }));
      self.postMessage({ type: "snapshotDone", id: m.id, ok: true, results });
    } catch (err) {
      self.postMessage({ type: "snapshotDone", id: m.id, ok: false, message: (err as Error).message });
    }
  }
};
