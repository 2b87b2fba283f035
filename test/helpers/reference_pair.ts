// A memkeep and a redis-server 7.0 started side by side for a test file, with one raw client each,
// and the helpers that compare their replies command by command.

import { afterAll, beforeAll, expect } from "bun:test";
import { type ServerHandle, startBoth } from "./servers.ts";
import { RespClient } from "./resp.ts";
import { escapeBytes, formatCommand, type Arg } from "./resp_codec.ts";

export type Cmd = Arg[];

export interface ReferencePair {
  memkeep: ServerHandle | undefined;
  redis: ServerHandle | undefined;
  /** Raw client of memkeep, and of redis-server. */
  mk: RespClient;
  rd: RespClient;
}

/** Starts both servers in beforeAll and stops them in afterAll; the fields fill in when started. */
export function useReferencePair(): ReferencePair {
  const pair = {} as ReferencePair;
  beforeAll(async () => {
    [pair.memkeep, pair.redis] = await startBoth();
    pair.mk = await RespClient.connect(pair.memkeep!.port);
    pair.rd = await RespClient.connect(pair.redis!.port);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pair.mk?.close(), pair.rd?.close()]);
    await Promise.all([pair.memkeep?.stop(), pair.redis?.stop()]);
  }, 30_000);
  return pair;
}

/** Runs cmds on one client, returning "command => reply" lines. */
export async function transcript(c: RespClient, cmds: readonly Cmd[]): Promise<string[]> {
  const lines: string[] = [];
  for (const cmd of cmds) lines.push(`${formatCommand(cmd, 60)} => ${escapeBytes(await c.call(...cmd), 600)}`);
  return lines;
}

/** SELECT 0 and FLUSHALL on both servers, then cmds on both: the transcripts must be identical. */
export async function expectSameReplies(clients: [RespClient, RespClient], cmds: readonly Cmd[]): Promise<void> {
  const [m, r] = clients;
  await Promise.all([m.call("SELECT", "0"), r.call("SELECT", "0")]);
  await Promise.all([m.call("FLUSHALL"), r.call("FLUSHALL")]);
  const [mine, theirs] = [await transcript(m, cmds), await transcript(r, cmds)];
  expect(mine).toEqual(theirs);
}

/** Parses "SET k ' v' EX 10" into a command: words split on spaces, '...' is one argument ('' is empty). */
export function c(line: string): Cmd {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}
export const cs = (...lines: string[]): Cmd[] => lines.map(c);

/** expectSameReplies bound to a pair's own clients (a second pair of clients may be passed). */
export function sameReplies(pair: ReferencePair): (cmds: readonly Cmd[], clients?: [RespClient, RespClient]) => Promise<void> {
  return (cmds, clients) => expectSameReplies(clients ?? [pair.mk, pair.rd], cmds);
}

/**
 * Runs `cmds` on a fresh connection to each server; every reply, after `mask` (which hides what
 * legitimately differs, such as client ids), must be the same. Differences are listed together.
 */
export async function expectSameOnFreshConnections(
  redisPort: number,
  memkeepPort: number,
  cmds: string[][],
  mask: (reply: Uint8Array, cmd: string[]) => string,
): Promise<void> {
  const a = await RespClient.connect(redisPort, { readTimeoutMs: 3000 });
  const b = await RespClient.connect(memkeepPort, { readTimeoutMs: 3000 });
  try {
    const diffs: string[] = [];
    for (const cmd of cmds) {
      const ra = mask(await a.call(...cmd), cmd);
      const rb = mask(await b.call(...cmd), cmd);
      if (ra !== rb) diffs.push(`${JSON.stringify(cmd)}\n  redis:   ${ra}\n  memkeep: ${rb}`);
    }
    expect(diffs).toEqual([]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

export async function connectMany(port: number, n: number): Promise<RespClient[]> {
  const out: RespClient[] = [];
  for (let i = 0; i < n; i++) out.push(await RespClient.connect(port, { readTimeoutMs: 5000 }));
  return out;
}

export async function closeAll(clients: RespClient[]): Promise<void> {
  await Promise.allSettled(clients.map((c) => c.close()));
}
