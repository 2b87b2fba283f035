// The pub/sub registry and hub without sockets: two or three hubs share one registry (as worker
// threads do) and exchange batches through in-process ports; sessions are stand-ins that collect
// what the hub hands them.

import { describe, expect, test } from "bun:test";
import { Ns, PubSubHub, Registry, createPubSubBuffers, inflightBytesMax, isSubscribed, subscriptionCount, type PeerPort } from "./pubsub.ts";
import { ReplyWriter } from "../resp/writer.ts";
import type { Session } from "./session.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);

function fakeSession(resp: 2 | 3 = 2): Session {
  return { subs: null, pushBuf: null, pushLen: 0, pushDirty: false, resp, closed: false } as unknown as Session;
}

interface World {
  hubs: PubSubHub[];
  writers: ReplyWriter[];
  /** Bytes each hub wrote to each session through its sink. */
  written: Map<Session, string>;
  /** Batches posted and not yet delivered, per target worker. */
  mail: ArrayBuffer[][];
  deliverMail(): void;
  reg: Registry;
}

function world(workers: number): World {
  const bufs = createPubSubBuffers();
  const written = new Map<Session, string>();
  const mail: ArrayBuffer[][] = Array.from({ length: workers }, () => []);
  const hubs: PubSubHub[] = [];
  const writers: ReplyWriter[] = [];
  for (let w = 0; w < workers; w++) {
    const ports: (PeerPort | null)[] = Array.from({ length: workers }, (_, to) =>
      to === w ? null : { postMessage: (data: ArrayBuffer) => mail[to].push(data) });
    const out = new ReplyWriter();
    writers.push(out);
    hubs.push(new PubSubHub(new Registry(bufs, workers), w, out, (s, bytes) => {
      written.set(s, (written.get(s) ?? "") + dec.decode(bytes));
    }, ports));
  }
  return {
    hubs, writers, written, mail, reg: new Registry(bufs, workers),
    deliverMail() {
      for (let w = 0; w < workers; w++) {
        const batches = mail[w].splice(0);
        for (const m of batches) hubs[w].onBatch(m);
      }
      for (const h of hubs) h.flush();
    },
  };
}

describe("registry", () => {
  test("counts per worker, drops an entry when every worker's count reaches zero", () => {
    const w = world(3);
    const [s0, s1, s2] = [fakeSession(), fakeSession(), fakeSession()];
    expect(w.hubs[0].subscribe(s0, Ns.channel, b("news"))).toBe(true);
    expect(w.hubs[0].subscribe(s0, Ns.channel, b("news"))).toBe(false); // already subscribed
    w.hubs[1].subscribe(s1, Ns.channel, b("news"));
    w.hubs[2].subscribe(s2, Ns.shard, b("news")); // another namespace
    w.hubs[2].subscribe(s2, Ns.pattern, b("n*"));
    expect(w.hubs[2].subscribers(Ns.channel, b("news"))).toBe(2);
    expect(w.hubs[0].subscribers(Ns.shard, b("news"))).toBe(1);
    expect(w.hubs[0].count(Ns.channel)).toBe(1);
    expect(w.hubs[0].count(Ns.pattern)).toBe(1);
    expect(w.hubs[1].names(Ns.channel, b("ne*")).map((x) => dec.decode(x))).toEqual(["news"]);
    expect(w.hubs[1].names(Ns.channel, b("x*"))).toEqual([]);
    expect(subscriptionCount(s2)).toBe(1); // shard channels are not counted with channels + patterns
    expect(isSubscribed(s2)).toBe(true);
    w.hubs[0].unsubscribe(s0, Ns.channel, b("news"));
    expect(w.hubs[1].subscribers(Ns.channel, b("news"))).toBe(1);
    w.hubs[1].dropSession(s1);
    expect(w.hubs[0].count(Ns.channel)).toBe(0);
    expect(w.hubs[0].names(Ns.channel, null)).toEqual([]);
    expect(w.hubs[0].unsubscribe(s0, Ns.channel, b("news"))).toBe(false);
  });

  test("thousands of channels grow the shared table and all go away again", () => {
    const w = world(2);
    const s = fakeSession();
    for (let i = 0; i < 5000; i++) w.hubs[1].subscribe(s, Ns.channel, b(`c${i}`));
    expect(w.hubs[0].count(Ns.channel)).toBe(5000);
    expect(w.hubs[0].subscribers(Ns.channel, b("c4999"))).toBe(1);
    w.hubs[1].dropSession(s);
    expect(w.hubs[0].count(Ns.channel)).toBe(0);
    expect(isSubscribed(s)).toBe(false);
  });
});

describe("publishing", () => {
  test("PUBLISH counts receivers on every worker and messages only the workers that have them", () => {
    const w = world(3);
    const a = fakeSession();
    const c = fakeSession(3);
    w.hubs[1].subscribe(a, Ns.channel, b("ch"));
    w.hubs[1].subscribe(a, Ns.pattern, b("c?"));
    w.hubs[0].subscribe(c, Ns.channel, b("ch")); // the publisher's own worker: delivered at once
    expect(w.hubs[0].publish(Ns.channel, b("ch"), b("hi"))).toBe(3);
    w.hubs[0].flush();
    expect(w.mail[1].length).toBe(1);
    expect(w.mail[2].length).toBe(0); // worker 2 has no subscriber: nothing sent
    expect(w.written.get(c)).toBe(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    w.deliverMail();
    expect(w.written.get(a)).toBe("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nc?\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    expect(w.reg.inflight(1)).toBe(0);
    expect(w.hubs[2].publish(Ns.channel, b("nobody"), b("x"))).toBe(0);
    expect(w.hubs[2].publish(Ns.shard, b("ch"), b("x"))).toBe(0); // channels and shard channels are apart
  });

  test("one publisher's messages arrive in publish order, batched into one transfer per turn", () => {
    const w = world(2);
    const s = fakeSession();
    w.hubs[1].subscribe(s, Ns.shard, b("q"));
    for (let i = 0; i < 1000; i++) expect(w.hubs[0].publish(Ns.shard, b("q"), b(String(i)))).toBe(1);
    w.hubs[0].flush();
    expect(w.mail[1].length).toBe(1);
    w.deliverMail();
    const got = [...w.written.get(s)!.matchAll(/smessage\r\n\$1\r\nq\r\n\$\d+\r\n(\d+)\r\n/g)].map((m) => Number(m[1]));
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  test("same-length channels published in turn, through one reused argument array, reach their own subscribers", () => {
    const w = world(1);
    const [sa, sb, sl] = [fakeSession(), fakeSession(), fakeSession()];
    w.hubs[0].subscribe(sa, Ns.channel, b("ch:a"));
    w.hubs[0].subscribe(sb, Ns.channel, b("ch:b"));
    const long = "L".repeat(300);
    w.hubs[0].subscribe(sl, Ns.channel, b(long));
    const arg = new Uint8Array(4); // the parser refills one array per argument position and length
    const msg = "m".repeat(200); // a frame over 128 bytes: copyRange's set() path
    for (const [ch, m] of [["ch:a", "1"], ["ch:b", "2"], ["ch:a", "3"], ["ch:c", "4"], ["ch:b", msg]]) {
      arg.set(b(ch));
      w.hubs[0].publish(Ns.channel, arg, b(m));
    }
    expect(w.hubs[0].publish(Ns.channel, b(long), b("5"))).toBe(1);
    w.hubs[0].flush();
    const frame = (ch: string, m: string) => `*3\r\n$7\r\nmessage\r\n$${ch.length}\r\n${ch}\r\n$${m.length}\r\n${m}\r\n`;
    expect(w.written.get(sa)).toBe(frame("ch:a", "1") + frame("ch:a", "3"));
    expect(w.written.get(sb)).toBe(frame("ch:b", "2") + frame("ch:b", msg));
    expect(w.written.get(sl)).toBe(frame(long, "5"));
  });

  test("the session being served gets its frames inside its reply, others when the turn ends", () => {
    const w = world(1);
    const me = fakeSession(3);
    const other = fakeSession();
    w.hubs[0].subscribe(me, Ns.channel, b("x"));
    w.hubs[0].subscribe(other, Ns.channel, b("x"));
    w.hubs[0].publish(Ns.channel, b("x"), b("early")); // me is not active: waits in its buffer
    w.hubs[0].begin(me); // the worker starts me's replies: the waiting frame goes first
    w.writers[0].int(7);
    w.hubs[0].publish(Ns.channel, b("x"), b("now"));
    w.writers[0].int(1);
    w.hubs[0].end();
    expect(dec.decode(w.writers[0].view())).toBe(
      ">3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$5\r\nearly\r\n:7\r\n>3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$3\r\nnow\r\n:1\r\n",
    );
    expect(w.written.get(me)).toBeUndefined();
    w.hubs[0].flush();
    expect(w.written.get(other)).toBe("*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$5\r\nearly\r\n*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$3\r\nnow\r\n");
  });

  test("a closed session gets nothing; a binary, empty or large message survives the trip", () => {
    const w = world(2);
    const s = fakeSession();
    const gone = fakeSession();
    w.hubs[1].subscribe(s, Ns.channel, b("bin"));
    w.hubs[1].subscribe(gone, Ns.channel, b("bin"));
    (gone as { closed: boolean }).closed = true;
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    w.hubs[0].publish(Ns.channel, b("bin"), new Uint8Array(0));
    w.hubs[0].publish(Ns.channel, b("bin"), big);
    w.hubs[0].flush();
    w.deliverMail();
    expect(w.written.get(gone)).toBeUndefined();
    const text = w.written.get(s)!;
    expect(text.startsWith("*3\r\n$7\r\nmessage\r\n$3\r\nbin\r\n$0\r\n\r\n*3\r\n$7\r\nmessage\r\n$3\r\nbin\r\n$300000\r\n")).toBe(true);
  });

  test("a worker with too many bytes in flight makes PUBLISH wait (congested)", () => {
    const w = world(2);
    expect(w.hubs[0].congested()).toBe(false);
    w.reg.addInflight(1, inflightBytesMax + 1);
    expect(w.hubs[0].congested()).toBe(true);
    expect(w.hubs[1].congested()).toBe(false); // its own inbox does not count
    w.reg.addInflight(1, -(inflightBytesMax + 1));
    expect(w.hubs[0].congested()).toBe(false);
  });
});
