// CLIENT LIST / CLIENT INFO lines and CLIENT KILL filters.
//
// A line has exactly Redis 7.0's fields, in its order (networking.c catClientInfoString):
//   id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem
//   rbs rbp obl oll omem tot-mem events cmd user redir resp
// (7.2's lib-name/lib-ver are not printed: CLIENT SETINFO is accepted and stored, the 7.0 line stays.)
// Memory figures are memkeep's own: qbuf is the unparsed query bytes, omem the queued output bytes;
// `fd` is not a real descriptor (Bun does not expose it) but is stable per client.

import type { ClientFilter, Exec } from "./exec.ts";
import type { Session } from "./session.ts";
import { isBlocked } from "./blocking.ts";
import { isSubscribed } from "./pubsub.ts";
import { watchTouched } from "./watch.ts";

/** What a new Redis 7.0 client reports as its reply buffer size (PROTO_REPLY_CHUNK_BYTES). */
const replyBufferBytes = 16 * 1024;
/** Redis's PROTO_IOBUF_LEN: the query buffer a client gets on its first read. */
const queryBufferBytes = 16 * 1024 + 4 * 1024 - 2;
/** Rough fixed size of a client structure, as tot-mem counts it. */
const clientStructBytes = 1024 * 20;

export function clientInfoLine(x: Exec, s: Session, now: number): string {
  const age = Math.max(0, Math.floor((now - s.createdMs) / 1000));
  const idle = Math.max(0, Math.floor((now - s.lastInteractionMs) / 1000));
  const qbuf = s.parser.pendingBytes;
  const omem = s.outQueuedBytes;
  const totMem = clientStructBytes + queryBufferBytes + replyBufferBytes + omem;
  return (
    `id=${s.id} addr=${s.addr} laddr=${s.laddr} fd=${fdOf(s)} name=${s.name} age=${age} idle=${idle} ` +
    `flags=${sessionFlags(x, s)} db=${s.db} ${subCounts(s)} multi=${multiCount(s)} qbuf=${qbuf} ` +
    `qbuf-free=${Math.max(0, queryBufferBytes - qbuf)} argv-mem=0 multi-mem=0 rbs=${replyBufferBytes} ` +
    `rbp=${replyBufferBytes} obl=0 oll=${s.outQueue.length} omem=${omem} tot-mem=${totMem} ` +
    `events=${s.outQueue.length > 0 ? "rw" : "r"} cmd=${s.lastCmd} user=${s.user} redir=-1 resp=${s.resp}`
  );
}

/** multi=: commands queued in MULTI, -1 outside a transaction (as Redis, during EXEC too). */
function multiCount(s: Session): number {
  if (s.multi !== null) return s.multi.count;
  return s.inExec ? s.execCount : -1;
}

/** sub= psub= ssub= (pub/sub subscriptions of each kind). */
function subCounts(s: Session): string {
  const subs = s.subs;
  if (subs === null) return "sub=0 psub=0 ssub=0";
  return `sub=${subs.channels.size} psub=${subs.patterns.size} ssub=${subs.shard.size}`;
}

/** A small stable number standing in for the socket descriptor. */
function fdOf(s: Session): number {
  return 8 + (s.id % 1000);
}

/**
 * Redis's flag letters, in its order: P (pub/sub), x (in MULTI), b (blocked), d (a watched key was
 * written), c (close after reply), A (close asap), e (no-evict).
 */
function sessionFlags(x: Exec, s: Session): string {
  let f = "";
  if (isSubscribed(s)) f += "P";
  if (s.multi !== null || s.inExec) f += "x";
  if (isBlocked(s)) f += "b";
  if (watchTouched(x.ks, s)) f += "d";
  if (s.closeAfterReply) f += "c";
  if (s.killed) f += "A";
  if (s.noEvict) f += "e";
  if (s.noTouch) f += "T"; // 7.2's flag for CLIENT NO-TOUCH (a 7.2 addition we keep)
  return f === "" ? "N" : f;
}

/** Redis client types, as CLIENT LIST TYPE / CLIENT KILL TYPE name them ("slave" = "replica"). */
export function clientTypeByName(name: string): string | null {
  switch (name.toLowerCase()) {
    case "normal":
      return "normal";
    case "slave":
    case "replica":
      return "replica";
    case "master":
      return "master";
    case "pubsub":
      return "pubsub";
    default:
      return null;
  }
}

/** A session with subscriptions is a pubsub client (CLIENT_PUBSUB); no replicas yet. */
function sessionType(s: Session): string {
  return isSubscribed(s) ? "pubsub" : "normal";
}

export function clientMatches(s: Session, f: ClientFilter, now: number): boolean {
  if (f.ids && !f.ids.includes(s.id)) return false;
  if (f.type !== undefined && f.type !== sessionType(s)) return false;
  if (f.addr !== undefined && f.addr !== s.addr) return false;
  if (f.laddr !== undefined && f.laddr !== s.laddr) return false;
  if (f.user !== undefined && f.user !== s.user) return false;
  if (f.skipme && f.selfId === s.id) return false;
  // MAXAGE (a 7.4 addition): only clients strictly older than maxage seconds.
  if (f.maxAgeSec !== undefined && f.maxAgeSec > 0 && Math.floor((now - s.createdMs) / 1000) <= f.maxAgeSec) return false;
  return true;
}
