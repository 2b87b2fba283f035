// Channel permissions and PUBSUB introspection, against redis-server 7.0: only PUBLISH, SPUBLISH,
// SUBSCRIBE, SSUBSCRIBE and PSUBSCRIBE are checked against a user's channel patterns; PUBSUB CHANNELS /
// NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB are not (a restricted user sees every channel, as in
// Redis 7.0). Subscribers (the default user) sit on their own connections, on any worker with
// MEMKEEP_TEST_SHARD_WORKERS=3; the restricted user's replies must be the same on both servers,
// RESP2 and RESP3 (channel lists compared as sets: their order is each server's hash order).

import { describe, expect, test } from "bun:test";
import { type Cmd, closeAll, cs, transcript, useReferencePair } from "./helpers/reference_pair.ts";
import { RespClient } from "./helpers/resp.ts";

const pair = useReferencePair();

const user = ["ACL", "SETUSER", "ps", "reset", "on", ">pw", "~*", "resetchannels", "&ok*", "&exact", "+@all"];

/** Subscribers of the default user: channels, a pattern and shard channels, some the user may not use. */
async function subscribers(port: number): Promise<RespClient[]> {
  const subs: [string, string[]][] = [["SUBSCRIBE", ["bad1", "ok1", "exact"]], ["PSUBSCRIBE", ["bad*", "ok*"]], ["SSUBSCRIBE", ["badshard"]], ["SSUBSCRIBE", ["okshard"]]];
  const out: RespClient[] = [];
  for (const [cmd, chans] of subs) {
    const c = await RespClient.connect(port, { readTimeoutMs: 3000 });
    c.send(cmd, ...chans);
    for (let i = 0; i < chans.length; i++) await c.readReply();
    out.push(c);
  }
  return out;
}

const introspection: Cmd[] = cs(
  "PUBSUB NUMSUB bad1 ok1 exact nobody", "PUBSUB NUMSUB", "PUBSUB NUMPAT", "PUBSUB SHARDNUMSUB badshard okshard nobody",
  "PUBSUB CHANNELS nomatch*", "PUBSUB CHANNELS bad1", "PUBSUB SHARDCHANNELS bad*", "PUBSUB HELP", "PUBSUB NOSUCH",
  "PUBLISH bad1 m", "PUBLISH ok1 m", "PUBLISH exact m", "PUBLISH exactly m", "SPUBLISH badshard m", "SPUBLISH okshard m",
  "PSUBSCRIBE bad*", "PSUBSCRIBE ok", "SUBSCRIBE bad1", "SSUBSCRIBE badshard", "SUBSCRIBE ok1 bad1",
);

describe("PUBSUB introspection for a user with restricted channels", () => {
  for (const resp3 of [false, true]) {
    test(`same replies as redis-server 7.0 (RESP${resp3 ? 3 : 2})`, async () => {
      const got: string[][] = [];
      for (const port of [pair.memkeep!.port, pair.redis!.port]) {
        const admin = await RespClient.connect(port, { readTimeoutMs: 3000 });
        await admin.call(...user);
        const subs = await subscribers(port);
        const u = await RespClient.connect(port, { readTimeoutMs: 3000 });
        try {
          if (resp3) await u.call("HELLO", "3");
          const t = await transcript(u, cs("AUTH ps pw"));
          // Channel lists as sets: every channel, whatever the user's patterns.
          for (const args of [["CHANNELS"], ["CHANNELS", "*"], ["CHANNELS", "bad*"], ["SHARDCHANNELS"]]) {
            const v = await u.callParsed("PUBSUB", ...args);
            t.push(`PUBSUB ${args.join(" ")} => ${(v as unknown[]).map(String).sort().join(",")}`);
          }
          t.push(...(await transcript(u, introspection)));
          got.push(t);
        } finally {
          await closeAll([u, ...subs]);
          await admin.call("ACL", "DELUSER", "ps");
          await admin.close();
        }
      }
      expect(got[0]).toEqual(got[1]);
      expect(got[0][1]).toBe("PUBSUB CHANNELS => bad1,exact,ok1");
      expect(got[0][4]).toBe("PUBSUB SHARDCHANNELS => badshard,okshard");
    });
  }
});
