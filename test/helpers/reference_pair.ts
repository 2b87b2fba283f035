// A memkeep and a redis-server 7.0 started side by side for a test file, with one raw client each,
// and the helpers that compare their replies command by command.

import { afterAll, beforeAll, expect } from "bun:test";
import { startMemkeep, startRedis, type ServerHandle } from "./servers.ts";
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
    const [m, r] = await Promise.allSettled([startMemkeep(), startRedis()]);
    if (m.status === "fulfilled") pair.memkeep = m.value;
    if (r.status === "fulfilled") pair.redis = r.value;
    if (m.status === "rejected") throw m.reason;
    if (r.status === "rejected") throw r.reason;
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
