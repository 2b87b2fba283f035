// Server statistics in shared memory: one region per worker, so any worker can answer INFO with the
// sum of all of them and no message round trip. A worker writes only its own region (plain stores,
// no atomics needed: readers tolerate a slightly stale figure, as INFO always has).
// Region layout (f64): scalar counters [0, 64), then 4 per command id (calls, usec, rejected,
// failed), then one per known error code.

import { assert } from "../assert.ts";

export const Stat = {
  connectionsReceived: 0,
  commandsProcessed: 1,
  netInputBytes: 2,
  netOutputBytes: 3,
  rejectedConnections: 4,
  expiredKeys: 5,
  evictedKeys: 6,
  keyspaceHits: 7,
  keyspaceMisses: 8,
  errorReplies: 9,
  connectedClients: 10,
  blockedClients: 11,
  clientsInTimeoutTable: 12,
  unexpectedErrorReplies: 13,
  clientRecentMaxInputBuffer: 14,
  clientRecentMaxOutputBuffer: 15,
  evictedClients: 16,
  totalReadsProcessed: 17,
  totalWritesProcessed: 18,
  expiredStalePerc: 19,
  expiredTimeCapReached: 20,
  expireCycleCpuMs: 21,
  ioThreadedReads: 22,
  peakMemory: 23,
  pubsubChannels: 24,
  pubsubPatterns: 25,
  trackingKeys: 26,
  dirtyWrites: 27,
  totalEvictionExceededMs: 28,
  aclAccessDeniedAuth: 29,
  opsSampleCommands: 30,
  opsSampleMs: 31,
  instantaneousOps: 32,
  instantaneousInputKbps: 33,
  instantaneousOutputKbps: 34,
  netInputSample: 35,
  netOutputSample: 36,
  aclAccessDeniedCmd: 37,
  aclAccessDeniedKey: 38,
  aclAccessDeniedChannel: 39,
  /** Connections closed at accept because their address is not in allow-cidr (memkeep's own). */
  rejectedConnectionsCidr: 60,
} as const;

const scalarSlots = 64;
export const errorCodes = [
  "ERR", "WRONGTYPE", "NOAUTH", "WRONGPASS", "NOPERM", "OOM", "EXECABORT", "BUSYKEY", "NOSCRIPT",
  "MOVED", "ASK", "CROSSSLOT", "READONLY", "LOADING", "NOREPLICAS", "MASTERDOWN", "BUSY", "NOGROUP",
  "UNBLOCKED", "NOPROTO", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "BUSYGROUP", "DURABILITY",
] as const;
const errorIndex = new Map<string, number>(errorCodes.map((c, i) => [c, i]));

export function statsRegionSlots(commandCount: number): number {
  return scalarSlots + commandCount * 4 + errorCodes.length + 1;
}

/** Command ids (commands and subcommands) the stats regions have room for; asserted by Stats. */
export const statsCommandsMax = 1024;

export function createStatsBuffer(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * statsRegionSlots(statsCommandsMax) * 8);
}

export class Stats {
  readonly all: Float64Array;
  readonly mine: Float64Array;
  private readonly region: number;
  private readonly workers: number;
  private readonly cmdBase = scalarSlots;
  private readonly errBase: number;

  constructor(sab: SharedArrayBuffer, worker: number, workers: number, commandCount: number) {
    assert(commandCount <= statsCommandsMax, "stats: more commands than statsCommandsMax");
    commandCount = statsCommandsMax;
    this.region = statsRegionSlots(commandCount);
    this.workers = workers;
    this.all = new Float64Array(sab);
    this.mine = new Float64Array(sab, worker * this.region * 8, this.region);
    this.errBase = scalarSlots + commandCount * 4;
  }

  add(stat: number, n = 1): void {
    this.mine[stat] += n;
  }
  /** Sum over workers. */
  total(stat: number): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += this.all[w * this.region + stat];
    return n;
  }
  command(id: number, usec: number): void {
    const i = this.cmdBase + id * 4;
    this.mine[i]++;
    this.mine[i + 1] += usec;
  }
  commandRejected(id: number): void {
    this.mine[this.cmdBase + id * 4 + 2]++;
  }
  commandFailed(id: number): void {
    this.mine[this.cmdBase + id * 4 + 3]++;
  }
  /** [calls, usec, rejected, failed] summed over workers. */
  commandTotals(id: number): [number, number, number, number] {
    const r: [number, number, number, number] = [0, 0, 0, 0];
    for (let w = 0; w < this.workers; w++) {
      const i = w * this.region + this.cmdBase + id * 4;
      r[0] += this.all[i];
      r[1] += this.all[i + 1];
      r[2] += this.all[i + 2];
      r[3] += this.all[i + 3];
    }
    return r;
  }
  error(code: string): void {
    const i = errorIndex.get(code);
    this.mine[this.errBase + (i ?? errorCodes.length)]++;
  }
  errorTotals(): [string, number][] {
    const out: [string, number][] = [];
    for (let k = 0; k < errorCodes.length; k++) {
      let n = 0;
      for (let w = 0; w < this.workers; w++) n += this.all[w * this.region + this.errBase + k];
      if (n > 0) out.push([errorCodes[k], n]);
    }
    return out;
  }
  /** CONFIG RESETSTAT: zero this worker's region (each worker is asked to reset its own). */
  resetMine(): void {
    const keep = this.mine[Stat.connectedClients];
    const blocked = this.mine[Stat.blockedClients];
    this.mine.fill(0);
    this.mine[Stat.connectedClients] = keep;
    this.mine[Stat.blockedClients] = blocked;
  }
}
