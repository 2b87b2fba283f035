// CLIENT LIST / CLIENT INFO lines and CLIENT KILL filters, in Redis 7.0's field order.

import type { ClientFilter, Exec } from "./exec.ts";
import type { Session } from "./session.ts";

export function clientInfoLine(x: Exec, s: Session, now: number): string {
  const age = Math.floor((now - s.createdMs) / 1000);
  const idle = Math.floor((now - s.lastInteractionMs) / 1000);
  const flags = sessionFlags(s);
  const qbuf = s.parser.pendingBytes;
  const omem = s.outQueuedBytes;
  return (
    `id=${s.id} addr=${s.addr} laddr=${s.laddr} fd=${8 + (s.id % 1000)} name=${s.name} age=${age} idle=${idle} ` +
    `flags=${flags} db=${s.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=${qbuf} qbuf-free=${Math.max(0, 20474 - qbuf)} ` +
    `argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=${s.outQueue.length} omem=${omem} ` +
    `tot-mem=${22298 + qbuf + omem} events=r cmd=${s.lastCmd} user=${s.user} redir=-1 resp=${s.resp}` +
    (x.cfg ? "" : "")
  );
}

function sessionFlags(s: Session): string {
  let f = "";
  if (s.killed || s.closeAfterReply) f += "A";
  if (s.noEvict) f += "e";
  if (s.noTouch) f += "T";
  return f === "" ? "N" : f;
}

export function clientMatches(s: Session, f: ClientFilter, now: number): boolean {
  if (f.ids && !f.ids.includes(s.id)) return false;
  if (f.type && f.type !== "normal") return false;
  if (f.addr !== undefined && f.addr !== s.addr) return false;
  if (f.laddr !== undefined && f.laddr !== s.laddr) return false;
  if (f.user !== undefined && f.user !== s.user) return false;
  if (f.skipme && f.selfId === s.id) return false;
  if (f.maxAgeSec !== undefined && (now - s.createdMs) / 1000 < f.maxAgeSec) return false;
  return true;
}
