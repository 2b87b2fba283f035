// Answers to PeerRequests: what one worker contributes when a command needs every worker (CLIENT
// LIST, CLIENT KILL, CONFIG SET, CONFIG RESETSTAT, CLIENT PAUSE, SLOWLOG). Results are plain data
// (structured-clone safe).

import type { PeerRequest } from "./exec.ts";
import type { WorkerServer } from "./worker_server.ts";
import { clientInfoLine, clientMatches } from "./client_info.ts";

export function answerPeerRequest(w: WorkerServer, req: PeerRequest): unknown {
  const x = w.x;
  const now = Date.now();
  switch (req.kind) {
    case "clientList": {
      const lines: [number, string][] = [];
      for (const s of w.allSessions.values()) {
        if (clientMatches(s, req.filter, now)) lines.push([s.id, clientInfoLine(x, s, now)]);
      }
      return lines;
    }
    case "clientKill": {
      let n = 0;
      for (const s of w.allSessions.values()) {
        if (!clientMatches(s, req.filter, now)) continue;
        n++;
        if (s.id === req.skipId) s.closeAfterReply = true; // killing itself: close after this reply
        else w.close(s);
      }
      return n;
    }
    case "config": {
      const err = x.cfg.set(req.pairs);
      return err;
    }
    case "resetStat":
      x.stats.resetMine();
      x.slowlog.reset();
      return null;
    case "pause":
      x.pauseUntilMs = Math.max(x.pauseUntilMs, req.untilMs);
      x.pauseWritesOnly = req.writesOnly;
      return null;
    case "unpause":
      x.pauseUntilMs = 0;
      return null;
    case "slowlogGet":
      return x.slowlog.entries.slice(0, req.count < 0 ? undefined : req.count);
    case "slowlogReset":
      x.slowlog.reset();
      return null;
    case "slowlogLen":
      return x.slowlog.entries.length;
    case "clientInfo":
      return w.allSessions.size;
    default: {
      const never: never = req;
      throw new Error(`peer: unknown request ${JSON.stringify(never)}`);
    }
  }
}
