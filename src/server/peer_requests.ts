// Answers to PeerRequests: what one worker contributes when a command needs every worker (CLIENT
// LIST, CLIENT KILL, CONFIG SET, CONFIG RESETSTAT, CLIENT PAUSE, SLOWLOG). Results are plain data
// (structured-clone safe). Every worker receives every request in the same order (the main thread
// relays them one by one), so state that each worker mirrors (config, pause) converges.

import type { PeerRequest } from "./exec.ts";
import type { WorkerServer } from "./worker_server.ts";
import { clientInfoLine, clientMatches } from "./client_info.ts";
import { serveForPeer, unblockClient } from "./blocking.ts";
import { answerAclPeer } from "../acl/state.ts";

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
      // Redis's CONFIG RESETSTAT leaves the slow log alone (SLOWLOG RESET clears it).
      x.stats.resetMine();
      return null;
    case "pause": {
      // As Redis's pauseClients: the later end and the more restrictive mode win while a pause lasts.
      const active = x.pauseUntilMs > now;
      x.pauseWritesOnly = active ? x.pauseWritesOnly && req.writesOnly : req.writesOnly;
      x.pauseUntilMs = Math.max(active ? x.pauseUntilMs : 0, req.untilMs);
      return null;
    }
    case "unpause":
      x.pauseUntilMs = 0;
      return null;
    case "slowlogGet":
      // Newest first; the asker merges every worker's entries by id.
      return x.slowlog.entries.slice(0, Math.max(0, req.count));
    case "slowlogReset":
      x.slowlog.reset();
      return null;
    case "slowlogLen":
      return x.slowlog.entries.length;
    case "blockServe":
      // Only the blocked client's worker serves it (src/server/blocking.ts).
      return x.worker === req.worker ? serveForPeer(x, req.clientId, req.db, req.key) : 0;
    case "clientUnblock":
      return unblockClient(x, req.id, req.error);
    case "aclSetUser": case "aclDelUsers": case "aclLoad": case "aclLogAdd": case "aclLogSync": case "aclLogGet": case "aclLogReset":
      return answerAclPeer(w, req);
    default: {
      const never: never = req;
      throw new Error(`peer: unknown request ${JSON.stringify(never)}`);
    }
  }
}
