// A client session: one connection's protocol state, identity and output queue.
//
// Output: replies of one data event are written with one socket.write. Bun keeps nothing the kernel
// refuses, so the rest is queued here (a copy) and resumed on drain. While the queue holds more than
// `outputPauseBytes`, the session stops executing buffered commands (they wait in the query buffer,
// which client-query-buffer-limit bounds), so one client that never reads holds bounded memory.
// The output queue itself is bounded by client-output-buffer-limit (hard and soft), as Redis does.

import type { Socket } from "bun";
import { RequestParser, type NameResolver, type ParserLimits } from "../resp/parser.ts";
import type { MultiState } from "./multi.ts";
import type { SessionSubs } from "./pubsub.ts";
import type { AclUser } from "../acl/users.ts";

/** CLIENT REPLY: skipNext is set by CLIENT REPLY SKIP and becomes skip once that command is done. */
export const ReplyMode = { on: 0, off: 1, skip: 2, skipNext: 3 } as const;
export const outputPauseBytes = 1 << 20;

export interface SessionData {
  session: Session;
  /** An admission error (protected mode) to send once the TLS handshake is done, then close. */
  deny?: string;
}

export class Session {
  readonly id: number;
  readonly parser: RequestParser;
  socket: Socket<SessionData> | null;
  db = 0;
  resp: 2 | 3 = 2;
  name = "";
  libName = "";
  libVer = "";
  authenticated = false;
  user = "default";
  /** The ACL user (src/acl/users.ts); null = the default user before the ACL state is attached. */
  aclUser: AclUser | null = null;
  /** Runs every command unchecked (the user allows everything): the dispatcher's only ACL test. */
  aclAll = true;
  readonly addr: string;
  readonly laddr: string;
  readonly createdMs: number;
  lastInteractionMs: number;
  lastCmd = "NULL";
  replyMode: number = ReplyMode.on;
  noEvict = false;
  noTouch = false;
  /** Waiting on an asynchronous reply; buffered commands wait behind it. */
  busy = false;
  closeAfterReply = false;
  closed = false;
  outQueue: Uint8Array[] = [];
  outQueuedBytes = 0;
  /**
   * Replies of this loop turn not yet handed to the socket (src/server/worker_server.ts send): they
   * go out in one write per session after every ready connection was served, as Redis writes its
   * clients' replies before it sleeps. Bytes order: outQueue first, then these.
   */
  pendingOut: Uint8Array | null = null;
  pendingLen = 0;
  /** In the worker's list of sessions with pending output. */
  pendingListed = false;
  /** When the output first went over the soft limit (0 = not over). */
  softLimitSinceMs = 0;
  bytesOut = 0;
  commandsProcessed = 0;
  /** Set by CLIENT KILL and friends: the session is closed at the next opportunity. */
  killed = false;
  /** True while EXEC runs the queued commands: blocking commands must not block (they time out at once). */
  inExec = false;
  /** While EXEC runs: how many commands it queued (CLIENT INFO inside EXEC reports flags=x multi=N). */
  execCount = 0;
  /** Replies waiting for their shard-log records to become durable (src/server/durable.ts). */
  held: { bytes: Uint8Array; need: bigint[] }[] = [];
  heldBytes = 0;
  /** MULTI state (src/server/multi.ts): null outside a transaction. */
  multi: MultiState | null = null;
  /** WATCHed keys (src/server/watch.ts): (shard, record address) pairs; null when none. */
  watched: number[] | null = null;
  /** EXEC applied CLIENT REPLY to its own reply: finishReply keeps what it wrote (once). */
  replyFiltered = false;
  /** Pub/sub subscriptions (src/server/pubsub.ts); null until the first (P|S)SUBSCRIBE. */
  subs: SessionSubs | null = null;
  /** Published messages waiting for this session's next write (src/server/pubsub.ts). */
  pushBuf: Uint8Array | null = null;
  pushLen = 0;
  pushDirty = false;

  constructor(id: number, socket: Socket<SessionData>, limits: ParserLimits, now: number, names: NameResolver | null = null) {
    this.id = id;
    this.socket = socket;
    this.parser = new RequestParser(limits, names, true);
    const ra = socket.remoteAddress ?? "?";
    const rp = (socket as unknown as { remotePort?: number }).remotePort ?? 0;
    this.addr = formatAddr(ra, rp);
    const la = (socket as unknown as { localAddress?: string }).localAddress ?? "127.0.0.1";
    const lp = (socket as unknown as { localPort?: number }).localPort ?? 0;
    this.laddr = formatAddr(la, lp);
    this.createdMs = now;
    this.lastInteractionMs = now;
  }
}

function formatAddr(host: string, port: number): string {
  return `${host}:${port}`;
}
