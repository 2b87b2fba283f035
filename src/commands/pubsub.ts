// Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
//
// Replies are Redis 7.0.15's: each (un)subscription confirmation is its own 3-element push (`*3` in
// RESP2, `>3` in RESP3) carrying the running count (channels + patterns for SUBSCRIBE/PSUBSCRIBE,
// shard channels for SSUBSCRIBE); an UNSUBSCRIBE without arguments and with nothing to drop answers
// with a null name. The work (registry, delivery across workers) is src/server/pubsub.ts; RESP2's
// subscribed-mode restriction is checked in src/server/dispatch.ts, PING's RESP2 subscribed form in
// connection.ts.

import { keyHashSlot } from "../../native-free/crc16.ts";
import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec, ReplyFn } from "../server/exec.ts";
import { Ns, subscriptionCount } from "../server/pubsub.ts";
import type { Session } from "../server/session.ts";
import { replyHelp, resetHooks, subcommandSyntaxError } from "./connection.ts";

const crossSlot = "CROSSSLOT Keys in request don't hash to the same slot";

/** The running count a confirmation carries for namespace ns. */
function countFor(s: Session, ns: number): number {
  if (ns === Ns.shard) return s.subs === null ? 0 : s.subs.shard.size;
  return subscriptionCount(s);
}

function confirm(x: Exec, kind: string, name: Uint8Array | null, ns: number): void {
  const out = x.out;
  out.pushHeader(3);
  out.bulkString(kind);
  if (name === null) out.nullBulk();
  else out.bulk(name);
  out.int(countFor(x.s, ns));
}

/** In cluster mode, channels of one SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH must share a slot. */
function sameSlot(x: Exec, argv: Uint8Array[], from: number, to: number): boolean {
  if (!x.cfg.clusterEnabled || to - from < 1) return true;
  const slot = keyHashSlot(argv[from]);
  for (let i = from + 1; i <= to; i++) {
    if (keyHashSlot(argv[i]) !== slot) {
      x.out.error(crossSlot);
      return false;
    }
  }
  return true;
}

function subscribeIn(x: Exec, argv: Uint8Array[], ns: number, kind: string): void {
  const hub = x.pubsub;
  for (let i = 1; i < argv.length; i++) {
    hub.subscribe(x.s, ns, argv[i]);
    confirm(x, kind, argv[i], ns);
  }
}

function unsubscribeIn(x: Exec, argv: Uint8Array[], ns: number, kind: string): void {
  const hub = x.pubsub;
  if (argv.length === 1) {
    const names = hub.namesOf(x.s, ns);
    if (names.length === 0) {
      confirm(x, kind, null, ns);
      return;
    }
    for (const n of names) {
      hub.unsubscribe(x.s, ns, n);
      confirm(x, kind, n, ns);
    }
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    hub.unsubscribe(x.s, ns, argv[i]);
    confirm(x, kind, argv[i], ns);
  }
}

function subscribeCommand(x: Exec, argv: Uint8Array[]): void {
  subscribeIn(x, argv, Ns.channel, "subscribe");
}
function psubscribeCommand(x: Exec, argv: Uint8Array[]): void {
  subscribeIn(x, argv, Ns.pattern, "psubscribe");
}
function ssubscribeCommand(x: Exec, argv: Uint8Array[]): void {
  if (!sameSlot(x, argv, 1, argv.length - 1)) return;
  subscribeIn(x, argv, Ns.shard, "ssubscribe");
}
function unsubscribeCommand(x: Exec, argv: Uint8Array[]): void {
  unsubscribeIn(x, argv, Ns.channel, "unsubscribe");
}
function punsubscribeCommand(x: Exec, argv: Uint8Array[]): void {
  unsubscribeIn(x, argv, Ns.pattern, "punsubscribe");
}
function sunsubscribeCommand(x: Exec, argv: Uint8Array[]): void {
  if (!sameSlot(x, argv, 1, argv.length - 1)) return;
  unsubscribeIn(x, argv, Ns.shard, "sunsubscribe");
}

/**
 * PUBLISH / SPUBLISH. When another worker has too many bytes in flight, the publisher waits (its
 * session's later commands wait behind it) instead of queueing more: the bounded path.
 */
function publishIn(x: Exec, argv: Uint8Array[], ns: number): void | Promise<ReplyFn> {
  const hub = x.pubsub;
  if (!hub.congested()) {
    x.out.int(hub.publish(ns, argv[1], argv[2]));
    return;
  }
  const channel = argv[1].slice();
  const message = argv[2].slice();
  return new Promise<ReplyFn>((resolve) => {
    const poll = () => {
      if (hub.congested()) setTimeout(poll, 1);
      else resolve((x2) => x2.out.int(x2.pubsub.publish(ns, channel, message)));
    };
    setTimeout(poll, 1);
  });
}

function publishCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  return publishIn(x, argv, Ns.channel);
}
function spublishCommand(x: Exec, argv: Uint8Array[]): void | Promise<ReplyFn> {
  return publishIn(x, argv, Ns.shard);
}

// ---- PUBSUB ---------------------------------------------------------------------------------------

function channelsIn(x: Exec, argv: Uint8Array[], ns: number): void {
  if (argv.length > 3) {
    subcommandSyntaxError(x, argv);
    return;
  }
  const names = x.pubsub.names(ns, argv.length === 3 ? argv[2] : null);
  x.out.arrayHeader(names.length);
  for (const n of names) x.out.bulk(n);
}

function numsubIn(x: Exec, argv: Uint8Array[], ns: number): void {
  x.out.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    x.out.bulk(argv[i]);
    x.out.int(x.pubsub.subscribers(ns, argv[i]));
  }
}

const pubsubHelp = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
] as const;

const pubsubSubcommands: CommandSpec[] = [
  cmd("channels", -2, "pubsub loading stale", 0, 0, 0, "@pubsub @slow", (x, argv) => channelsIn(x, argv, Ns.channel)),
  cmd("help", 2, "loading stale", 0, 0, 0, "@slow", (x) => replyHelp(x, "PUBSUB", pubsubHelp)),
  cmd("numpat", 2, "pubsub loading stale", 0, 0, 0, "@pubsub @slow", (x) => x.out.int(x.pubsub.count(Ns.pattern))),
  cmd("numsub", -2, "pubsub loading stale", 0, 0, 0, "@pubsub @slow", (x, argv) => numsubIn(x, argv, Ns.channel)),
  cmd("shardchannels", -2, "pubsub loading stale", 0, 0, 0, "@pubsub @slow", (x, argv) => channelsIn(x, argv, Ns.shard)),
  cmd("shardnumsub", -2, "pubsub loading stale", 0, 0, 0, "@pubsub @slow", (x, argv) => numsubIn(x, argv, Ns.shard)),
];

// RESET drops every subscription silently (Redis's clearClientConnectionState).
resetHooks.push((x) => x.pubsub.dropSession(x.s));

const none = { shards: "none" } as const;

export const pubsubCommands: CommandSpec[] = [
  cmd("subscribe", -2, "pubsub noscript loading stale", 0, 0, 0, "@pubsub @slow", subscribeCommand),
  cmd("psubscribe", -2, "pubsub noscript loading stale", 0, 0, 0, "@pubsub @slow", psubscribeCommand),
  cmd("ssubscribe", -2, "pubsub noscript loading stale", 1, -1, 1, "@pubsub @slow", ssubscribeCommand, none),
  cmd("unsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0, "@pubsub @slow", unsubscribeCommand),
  cmd("punsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0, "@pubsub @slow", punsubscribeCommand),
  cmd("sunsubscribe", -1, "pubsub noscript loading stale", 1, -1, 1, "@pubsub @slow", sunsubscribeCommand, none),
  cmd("publish", 3, "pubsub loading stale fast", 0, 0, 0, "@pubsub @fast", publishCommand),
  cmd("spublish", 3, "pubsub loading stale fast", 1, 1, 1, "@pubsub @fast", spublishCommand, none),
  cmd("pubsub", -2, "", 0, 0, 0, "@slow", () => undefined, { subcommands: pubsubSubcommands }),
];
