// Pub/sub against redis-server 7.0: the same scripted conversation (a subscriber and a publisher)
// runs on both servers and every frame must be byte-identical, in RESP2 and RESP3: subscription
// confirmations and their counts, message / pmessage / smessage frames, RESP2's subscribed-mode
// errors and PING form, PUBSUB subcommands and their errors, RESET.
// Then memkeep alone: a dedicated 3-worker server where many subscribers (spread over the workers
// by reusePort) must each get every message of two concurrent publishers in publish order, with
// PUBLISH counting every receiver; a subscriber that stops reading is disconnected by the pubsub
// client-output-buffer-limit while the others keep receiving; CLIENT LIST / INFO fields; and
// ioredis / node-redis subscribers (RESP2 and RESP3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect as netConnect, type Socket as NetSocket } from "node:net";
import Redis from "ioredis";
import { createClient } from "redis";
import { type ServerHandle, startMemkeep } from "./helpers/servers.ts";
import { RespClient, decodeReply, escapeBytes, type Arg } from "./helpers/resp.ts";
import { type ReferencePair, closeAll, connectMany, useReferencePair } from "./helpers/reference_pair.ts";

// Started by the first describe (bun test ends a describe's processes with it).
let pair: ReferencePair;

/** One step: client `who` sends `cmd` (or nothing) and then `frames` frames are read from `read`. */
interface Step {
  who: "sub" | "pub";
  cmd: Arg[] | null;
  frames: number;
  read?: "sub" | "pub";
}
const s = (cmd: string, frames = 1): Step => ({ who: "sub", cmd: words(cmd), frames });
const p = (cmd: string, frames = 1): Step => ({ who: "pub", cmd: words(cmd), frames });
/** After a publish: `frames` frames arrive at the subscriber. */
const recv = (frames: number): Step => ({ who: "sub", cmd: null, frames });

function words(line: string): Arg[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

async function runScript(port: number, steps: Step[]): Promise<string[]> {
  const sub = await RespClient.connect(port, { readTimeoutMs: 3000 });
  const pub = await RespClient.connect(port, { readTimeoutMs: 3000 });
  const lines: string[] = [];
  try {
    for (const st of steps) {
      const c = st.who === "sub" ? sub : pub;
      if (st.cmd !== null) c.send(...st.cmd);
      const from = st.read === undefined ? c : st.read === "sub" ? sub : pub;
      for (let i = 0; i < st.frames; i++) {
        // Client ids (HELLO) differ between the servers by design.
        const frame = escapeBytes(await from.readReply(), 800).replace(/id\\r\\n:\d+/, "id\\r\\n:<id>");
        lines.push(`${st.who} ${st.cmd === null ? "(recv)" : st.cmd.join(" ")} => ${frame}`);
      }
    }
    // Nothing more may have arrived for either client.
    await Bun.sleep(50);
    lines.push(`left: sub ${sub.pendingCount()} pub ${pub.pendingCount()}`);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nafter:\n${lines.slice(-5).join("\n")}`);
  } finally {
    await Promise.all([sub.close(), pub.close()]);
  }
  return lines;
}

async function expectSameScript(steps: Step[]): Promise<void> {
  const theirs = await runScript(pair.redis!.port, steps);
  const mine = await runScript(pair.memkeep!.port, steps);
  expect(mine).toEqual(theirs);
}

const commonScript = (): Step[] => [
  s("SUBSCRIBE ch1 ch2", 2),
  s("PSUBSCRIBE ch* h?llo", 2),
  s("SSUBSCRIBE sh1"),
  s("SUBSCRIBE ch1"), // already subscribed: confirmed again with the same count
  p("PUBLISH ch1 hello"),
  recv(2), // message, then pmessage
  p("PUBLISH other x"),
  p("PUBLISH hello 'two words'"),
  recv(1),
  p("SPUBLISH sh1 shard-msg"),
  recv(1),
  p("SPUBLISH ch1 not-a-shard-subscriber"),
  p("PUBLISH ch2 ''"),
  recv(2),
  p("PUBSUB NUMSUB ch1 ch2 nope"),
  p("PUBSUB NUMSUB"),
  p("PUBSUB NUMPAT"),
  p("PUBSUB CHANNELS ch1"),
  p("PUBSUB CHANNELS nomatch*"),
  p("PUBSUB SHARDCHANNELS"),
  p("PUBSUB SHARDCHANNELS sh*"),
  p("PUBSUB SHARDNUMSUB sh1 sh2"),
  p("PUBSUB HELP"),
  p("PUBSUB CHANNELS a b"),
  p("PUBSUB SHARDCHANNELS a b"),
  p("PUBSUB NUMPAT x"),
  p("PUBSUB FOO"),
  p("PUBSUB"),
  p("PUBLISH a"),
  p("SUBSCRIBE"),
  s("UNSUBSCRIBE ch1 never", 2),
  s("PUNSUBSCRIBE ch*"),
  s("PUNSUBSCRIBE"),
  s("SUNSUBSCRIBE"),
  s("SUNSUBSCRIBE"),
  s("UNSUBSCRIBE"),
  s("UNSUBSCRIBE"),
  s("PUNSUBSCRIBE"),
  s("GET x"),
  s("SUBSCRIBE again"),
  s("RESET"),
  p("PUBLISH again x"),
  s("GET x"),
];

describe("pub/sub replies match redis-server 7.0 byte for byte", () => {
  pair = useReferencePair();
  test("RESP2: confirmations, message/pmessage/smessage frames, PUBSUB, subscribed-mode errors, PING", async () => {
    await expectSameScript([
      s("SUBSCRIBE a"),
      s("PING"),
      s("PING hi"),
      s("PING a b"),
      s("GET x"),
      s("CLIENT INFO"),
      s("SET k v"),
      s("PUBLISH a x"),
      s("QUIT"),
    ]);
    await expectSameScript([s("SSUBSCRIBE x"), s("GET x"), s("HELLO 3", 1), s("GET x"), s("PING")]);
    await expectSameScript(commonScript());
  });

  test("RESP3: push frames, null names, a subscriber publishing to itself, no subscribed-mode rule", async () => {
    await expectSameScript([
      s("HELLO 3"),
      ...commonScript(), // ends with RESET: back to RESP2
      s("HELLO 3"),
      s("SUBSCRIBE self"),
      s("PING"),
      s("GET x"),
      s("PUBLISH self mine", 2), // the push first, then :1
      s("PSUBSCRIBE s*"),
      s("PUBLISH self both", 3),
      s("HELLO 2"),
      s("GET x"), // back to RESP2 with subscriptions: refused
      s("PING"),
    ]);
  });

  test("PUBSUB CHANNELS and INFO count every channel, pattern and shard channel", async () => {
    const run = async (port: number) => {
      const cs = await connectMany(port, 3);
      try {
        await cs[0].call("SUBSCRIBE", "c1", "c2", "c3");
        for (let i = 0; i < 2; i++) await cs[0].readReply();
        await cs[1].call("SUBSCRIBE", "c2", "d1");
        await cs[1].readReply();
        await cs[1].call("PSUBSCRIBE", "p1", "p2");
        await cs[1].readReply();
        await cs[0].call("SSUBSCRIBE", "s1");
        const chans = (decodeReply(await cs[2].call("PUBSUB", "CHANNELS")) as string[]).map(String).sort();
        const some = (decodeReply(await cs[2].call("PUBSUB", "CHANNELS", "c*")) as string[]).map(String).sort();
        const info = new TextDecoder().decode(await cs[2].call("INFO", "stats"));
        const fields = info.split("\r\n").filter((l) => l.startsWith("pubsub"));
        const numsub = escapeBytes(await cs[2].call("PUBSUB", "NUMSUB", "c1", "c2", "d1", "zz"));
        return { chans, some, fields, numsub };
      } finally {
        await closeAll(cs);
      }
    };
    const theirs = await run(pair.redis!.port);
    const mine = await run(pair.memkeep!.port);
    expect(mine).toEqual(theirs);
    expect(mine.chans).toEqual(["c1", "c2", "c3", "d1"]);
  });

  test("CLIENT LIST shows sub/psub/ssub and the P flag; CLIENT KILL TYPE pubsub kills subscribers only", async () => {
    const fieldsOf = async (port: number) => {
      const [sub, other] = await connectMany(port, 2);
      try {
        await sub.call("CLIENT", "SETNAME", "subber");
        await sub.call("SUBSCRIBE", "a", "b");
        await sub.readReply();
        await sub.call("PSUBSCRIBE", "x*");
        await sub.call("SSUBSCRIBE", "s");
        const list = new TextDecoder().decode(await other.call("CLIENT", "LIST", "TYPE", "pubsub"));
        const line = list.split("\n").find((l) => l.includes("name=subber")) ?? "";
        const pick = (k: string) => line.match(new RegExp(`(?:^| )${k}=(\\S*)`))?.[1];
        const normal = new TextDecoder().decode(await other.call("CLIENT", "LIST", "TYPE", "normal"));
        const killed = escapeBytes(await other.call("CLIENT", "KILL", "TYPE", "pubsub"));
        await sub.closed();
        const after = escapeBytes(await other.call("PUBSUB", "NUMSUB", "a"));
        return {
          flags: pick("flags"), sub: pick("sub"), psub: pick("psub"), ssub: pick("ssub"),
          normalHasSub: normal.includes("name=subber"), killed, after,
        };
      } finally {
        await closeAll([sub, other]);
      }
    };
    const theirs = await fieldsOf(pair.redis!.port);
    const mine = await fieldsOf(pair.memkeep!.port);
    expect(mine).toEqual(theirs);
    expect(mine.flags).toBe("P");
    expect(mine.sub).toBe("2");
  });
  // ---- client libraries -----------------------------------------------------------------------------

  // ---- client libraries (kept in this describe: bun test ends a describe's processes with it) ----
  test("ioredis: subscribe, psubscribe, messageBuffer with binary payloads, unsubscribe", async () => {
    const port = pair.memkeep!.port;
    const sub = new Redis({ port, lazyConnect: true });
    const pub = new Redis({ port, lazyConnect: true });
    try {
      await sub.connect();
      await pub.connect();
      const got: string[] = [];
      const binary: Buffer[] = [];
      sub.on("message", (ch, msg) => got.push(`m ${ch} ${msg}`));
      sub.on("pmessage", (pat, ch, msg) => got.push(`p ${pat} ${ch} ${msg}`));
      sub.on("messageBuffer", (_ch, msg: Buffer) => binary.push(msg));
      expect(await sub.subscribe("io1", "io2")).toBe(2);
      expect(await sub.psubscribe("io*")).toBe(3);
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      expect(await pub.publish("io1", "one")).toBe(2);
      expect(await pub.publish("io2", bytes)).toBe(2);
      expect(await pub.publish("iox", "three")).toBe(1);
      for (let i = 0; i < 50 && got.length < 5; i++) await Bun.sleep(10);
      expect(got).toEqual(["m io1 one", "p io* io1 one", `m io2 ${bytes.toString()}`, `p io* io2 ${bytes.toString()}`, "p io* iox three"]);
      expect(binary[1].equals(bytes)).toBe(true);
      // ioredis resolves an argument-less UNSUBSCRIBE only at count 0: name the channels.
      expect(await sub.unsubscribe("io1", "io2")).toBe(1);
      expect(await sub.punsubscribe("io*")).toBe(0);
      expect(await sub.ping()).toBe("PONG");
      expect(await pub.publish("io1", "none")).toBe(0);
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    test(`node-redis RESP${RESP}: subscribe, pSubscribe, sSubscribe listeners and unsubscribe`, async () => {
      const url = `redis://127.0.0.1:${pair.memkeep!.port}`;
      const pub = createClient({ url, RESP });
      const sub = pub.duplicate();
      try {
        await pub.connect();
        await sub.connect();
        const got: string[] = [];
        await sub.subscribe("nr", (msg, ch) => got.push(`m ${ch} ${msg}`));
        await sub.pSubscribe("nr*", (msg, ch) => got.push(`p ${ch} ${msg}`));
        await sub.sSubscribe("nrs", (msg, ch) => got.push(`s ${ch} ${msg}`));
        expect(await pub.publish("nr", "hello")).toBe(2);
        expect(await pub.sPublish("nrs", "shard")).toBe(1);
        for (let i = 0; i < 50 && got.length < 3; i++) await Bun.sleep(10);
        // SPUBLISH reaches shard subscribers only, never patterns.
        expect(got.sort()).toEqual(["m nr hello", "p nr hello", "s nrs shard"]);
        expect(await pub.pubSubNumSub(["nr"])).toEqual({ nr: 1 });
        await sub.unsubscribe("nr");
        await sub.pUnsubscribe();
        await sub.sUnsubscribe();
        expect(await pub.publish("nr", "gone")).toBe(0);
      } finally {
        await Promise.allSettled([sub.quit(), pub.quit()]);
      }
    });
  }
});


// ---- memkeep across workers -----------------------------------------------------------------------

describe("across three worker threads", () => {
  let server: ServerHandle | undefined;
  beforeAll(async () => {
    server = await startMemkeep({ shardWorkers: 3 });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  test("every subscriber gets every message of each publisher, in order, and PUBLISH counts all", async () => {
    const subscribers = 12;
    const perPublisher = 300;
    const subs = await connectMany(server!.port, subscribers);
    const pubs = await connectMany(server!.port, 2);
    try {
      // Half subscribe to the channel, half to a pattern matching it, one to both.
      for (let i = 0; i < subscribers; i++) {
        if (i % 2 === 0) await subs[i].call("SUBSCRIBE", "news");
        else await subs[i].call("PSUBSCRIBE", "ne*");
      }
      await subs[1].call("SUBSCRIBE", "news");
      const receivers = subscribers + 1;
      const counts = escapeBytes(await pubs[0].call("PUBSUB", "NUMSUB", "news"));
      expect(counts).toBe(`*2\\r\\n$4\\r\\nnews\\r\\n:${subscribers / 2 + 1}\\r\\n`);
      // Two publishers, pipelined, concurrently.
      const sends = pubs.map((c, pi) =>
        c.pipelineParsed(Array.from({ length: perPublisher }, (_, k) => ["PUBLISH", "news", `p${pi}:${k}`])),
      );
      const replies = await Promise.all(sends);
      for (const r of replies) expect(new Set(r)).toEqual(new Set([receivers]));
      // Each subscriber: every message once (twice for the one with both), each publisher in order.
      for (let i = 0; i < subscribers; i++) {
        const expected = perPublisher * 2 * (i === 1 ? 2 : 1);
        const next = [0, 0];
        const nextViaPattern = [0, 0];
        for (let k = 0; k < expected; k++) {
          const frame = decodeReply(await subs[i].readReply(5000)) as unknown[];
          const msg = String(frame[frame.length - 1]);
          const [who, seq] = msg.slice(1).split(":").map(Number);
          const seen = frame[0] === "pmessage" ? nextViaPattern : next;
          expect(seq).toBe(seen[who]);
          seen[who]++;
        }
        const wantChannel = i % 2 === 0 || i === 1 ? perPublisher : 0;
        const wantPattern = i % 2 === 1 ? perPublisher : 0;
        expect(next).toEqual([wantChannel, wantChannel]);
        expect(nextViaPattern).toEqual([wantPattern, wantPattern]);
      }
      // Unsubscribing updates every worker's view at once.
      for (let i = 0; i < subscribers; i += 2) await subs[i].call("UNSUBSCRIBE");
      expect(decodeReply(await pubs[0].call("PUBLISH", "news", "late"))).toBe(subscribers / 2 + 1);
      expect(escapeBytes(await pubs[1].call("PUBSUB", "NUMSUB", "news"))).toBe("*2\\r\\n$4\\r\\nnews\\r\\n:1\\r\\n");
    } finally {
      await closeAll([...subs, ...pubs]);
    }
  }, 60_000);

  test("keyspace events of a key on any worker reach a subscriber on every worker", async () => {
    const cs = await connectMany(server!.port, 7);
    try {
      await cs[0].call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      const subs = cs.slice(1);
      for (const c of subs) await c.call("PSUBSCRIBE", "__keyevent@0__:*");
      const keys = Array.from({ length: 20 }, (_, i) => `key:${i}`); // spread over the three shards
      for (const k of keys) await cs[0].call("SET", k, "v");
      for (const c of subs) {
        for (const k of keys) expect(decodeReply(await c.readReply(5000))).toEqual(["pmessage", "__keyevent@0__:*", "__keyevent@0__:set", k]);
      }
    } finally {
      await cs[0].call("CONFIG", "SET", "notify-keyspace-events", "");
      await closeAll(cs);
    }
  }, 30_000);

  test("a subscriber that does not read is disconnected by the pubsub output limit; others keep working", async () => {
    const port = server!.port;
    const admin = await RespClient.connect(port, { readTimeoutMs: 5000 });
    const good = await RespClient.connect(port, { readTimeoutMs: 10_000 });
    let slow: NetSocket | undefined;
    try {
      expect(decodeReply(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 60"))).toBe("OK");
      // The slow subscriber: a socket that subscribes and then never reads.
      slow = netConnect({ port, host: "127.0.0.1" });
      const slowSocket = slow;
      await new Promise<void>((resolve, reject) => {
        slowSocket.once("error", reject);
        slowSocket.write("*3\r\n$9\r\nSUBSCRIBE\r\n$4\r\nflood\r\n$8\r\nslowname\r\n");
        slowSocket.once("data", () => resolve());
      });
      slowSocket.pause();
      const closed = new Promise<void>((resolve) => slowSocket.once("close", () => resolve()));
      slowSocket.on("error", () => {});
      await good.call("SUBSCRIBE", "flood");
      const payload = "x".repeat(64 * 1024);
      const rounds = 400; // 25 MiB: far past the limit plus what the kernel buffers
      // The good subscriber reads each batch before the next is published (it never lags).
      let received = 0;
      for (let i = 0; i < rounds; i += 20) {
        const counts = await admin.pipelineParsed(Array.from({ length: 20 }, () => ["PUBLISH", "flood", payload]));
        for (const n of counts) expect(n === 1 || n === 2).toBe(true);
        for (let k = 0; k < 20; k++) {
          const f = decodeReply(await good.readReply(10_000)) as unknown[];
          expect([String(f[1]), String(f[2]).length]).toEqual(["flood", payload.length]);
          received++;
        }
      }
      expect(received).toBe(rounds);
      // The slow one is gone: only the good subscriber is left on the channel.
      let numsub = "";
      for (let i = 0; i < 100; i++) {
        numsub = escapeBytes(await admin.call("PUBSUB", "NUMSUB", "flood"));
        if (numsub.endsWith(":1\\r\\n")) break;
        await Bun.sleep(20);
      }
      expect(numsub).toBe("*2\\r\\n$5\\r\\nflood\\r\\n:1\\r\\n");
      slowSocket.resume();
      await closed;
      expect(decodeReply(await admin.call("PUBLISH", "flood", "after"))).toBe(1);
    } finally {
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
      slow?.destroy();
      await closeAll([admin, good]);
    }
  }, 60_000);
});

