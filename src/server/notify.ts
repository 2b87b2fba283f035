// Keyspace notifications (notify-keyspace-events): a write that calls notifyEvent(x, cls, event,
// db, key) publishes, as Redis's notifyKeyspaceEvent does,
//   `__keyspace@<db>__:<key>`   with the event name as message  (flag K)
//   `__keyevent@<db>__:<event>` with the key as message         (flag E)
// through the ordinary pub/sub path, so subscribers on every worker receive them. With no class
// flag set, signals.ts stops at one bit test; nothing here runs.
// Deletions the keyspace makes on its own (expiry, lazy or active) arrive through
// KeyspaceEvents.onExpired and become the `expired` event plus signalModified (WATCH).

import { NOTIFY } from "../config.ts";
import type { Exec } from "./exec.ts";
import { Ns, type PubSubHub } from "./pubsub.ts";
import { notifyEvent, signalHooks, signalModified } from "./signals.ts";

const enc = new TextEncoder();

/** Channel prefixes and event names, encoded once. */
const keyspacePrefixes: Uint8Array[] = [];
/** Per db: event name -> `__keyevent@<db>__:<event>`. */
const keyeventChannels: Map<string, Uint8Array>[] = [];
const eventNames = new Map<string, Uint8Array>();
let scratch = new Uint8Array(256);

function keyspacePrefix(db: number): Uint8Array {
  let p = keyspacePrefixes[db];
  if (p === undefined) keyspacePrefixes[db] = p = enc.encode(`__keyspace@${db}__:`);
  return p;
}

function keyeventChannel(db: number, event: string): Uint8Array {
  let m = keyeventChannels[db];
  if (m === undefined) keyeventChannels[db] = m = new Map();
  let c = m.get(event);
  if (c === undefined) m.set(event, (c = enc.encode(`__keyevent@${db}__:${event}`)));
  return c;
}

function eventName(event: string): Uint8Array {
  let e = eventNames.get(event);
  if (e === undefined) eventNames.set(event, (e = enc.encode(event)));
  return e;
}

/** Publishes the notification of one event on `hub` (the flags were checked by notifyEvent). */
export function publishKeyspaceEvent(hub: PubSubHub, flags: number, event: string, db: number, key: Uint8Array): void {
  if (hub.reg.subscriptions === 0) return; // nobody subscribed to anything, on any worker
  if ((flags & NOTIFY.keyspace) !== 0) {
    const prefix = keyspacePrefix(db);
    const n = prefix.length + key.length;
    if (scratch.length < n) scratch = new Uint8Array(n * 2);
    scratch.set(prefix, 0);
    scratch.set(key, prefix.length);
    hub.publish(Ns.channel, scratch.subarray(0, n), eventName(event));
  }
  if ((flags & NOTIFY.keyevent) !== 0) hub.publish(Ns.channel, keyeventChannel(db, event), key);
}

/** Installs the notification hook and the keyspace's expiry events for this worker. */
export function installNotify(x: Exec): void {
  signalHooks.notify = (x2, _cls, event, db, key) => publishKeyspaceEvent(x2.pubsub, x2.cfg.notifyKeyspaceEvents, event, db, key);
  x.ks.events = {
    onExpired(db: number, key: Uint8Array): void {
      notifyEvent(x, NOTIFY.expired, "expired", db, key);
      signalModified(x, db, key);
    },
  };
}
