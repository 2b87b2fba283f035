// A shard worker's server: its listeners, its sessions, and its periodic duties.
//
// Every worker listens on the shared port with reusePort, so the kernel spreads connections and no
// socket ever moves between threads. A data event parses as many commands as arrived, runs them
// inline, and writes all their replies with one socket.write (a pipelined batch's at the end of the
// loop turn, see send). The worker that owns shard i runs the active-expiry cycle of shard i.
// Requests that need every worker (CLIENT LIST, CONFIG SET...) go through the main thread as
// PeerRequests and come back as answers; they never block a worker.

import { copyRange } from "../../native-free/bytes.ts";
import { createAclState, resync as aclResync } from "../acl/state.ts";
import type { Socket, SocketHandler } from "bun";
import { Config, type ConfigSnapshot } from "../config.ts";
import { Keyspace, type KeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { type NameResolver, ProtocolError, QueryBufferLimitError } from "../resp/parser.ts";
import type { CommandSpec } from "../commands/spec.ts";
import { commandTable } from "../commands/registry.ts";
import { dispatch, finishReply } from "./dispatch.ts";
import { Exec, type PeerRequest, type Peers, type ReplyFn } from "./exec.ts";
import { Session, type SessionData, outputPauseBytes } from "./session.ts";
import { Stat, Stats } from "./stats.ts";
import { SlowLog } from "./slowlog.ts";
import { activeExpireCycle } from "../keyspace/expire_cycle.ts";
import { evictionStep, isLfuPolicy, policyCode } from "../keyspace/evict.ts";
import { answerPeerRequest } from "./peer_requests.ts";
import { PubSubHub, Registry, isSubscribed, type PubSubBuffers } from "./pubsub.ts";
import { installNotify } from "./notify.ts";
import { unwatchAll } from "./watch.ts";
import { log } from "./log.ts";
import { DurableWorker, type DurableWorkerInit } from "./durable.ts";
import { publishRings } from "../log/ring.ts";
import { ctlF64LastSaveSec, ctlF64LogBytesSinceSnapshot, ctlF64SaveInProgress } from "../log/control.ts";
import { trackInstantaneousMetrics } from "../commands/info.ts";
import { installBlocking, unblockOnClose } from "./blocking.ts";
import { WorkerListeners } from "./listeners.ts";
import { checkHandshake, checkedTlsSetup, tlsUpdateError, type TlsSetup } from "./tls.ts";
import { CidrAllowList, maxClientsReached, protectedModeDenied, protectedModeRefuses } from "./admission.ts";

export interface WorkerInit {
  worker: number;
  workers: number;
  config: ConfigSnapshot;
  keyspace: KeyspaceBuffers;
  stats: SharedArrayBuffer;
  slowlogIds: SharedArrayBuffer;
  runId: string;
  /** The shard log's buffers, absent with durability none. */
  durable?: DurableWorkerInit;
  /** The aclfile as the main thread read it at start (src/acl/state.ts createAclState). */
  aclText?: { text: string } | { error: string } | null;
  /** Pub/sub registry (src/server/pubsub.ts) and one port per other worker (null for itself). */
  pubsub: PubSubBuffers;
  pubsubPorts: (MessagePort | null)[];
  /** Blocked-clients registry (src/server/blocking.ts). */
  blocking: SharedArrayBuffer;
}

/** Messages between the main thread and workers. */
export type ToWorker =
  | { type: "peerReq"; id: number; from: number; req: PeerRequest }
  | { type: "peerDone"; id: number; results: unknown[] }
  | { type: "snapshotDone"; id: number; ok: boolean; message?: string }
  | { type: "shutdown" };
export type FromWorker =
  | { type: "ready"; worker: number; port: number }
  | { type: "listenError"; worker: number; message: string }
  | { type: "peer"; id: number; req: PeerRequest }
  | { type: "peerRes"; id: number; from: number; worker: number; result: unknown }
  | { type: "shutdownRequest" }
  | { type: "snapshot"; id: number }
  | { type: "stopped"; worker: number };

const writerTrimBytes = 4 << 20;

/** A session's pending-output buffer starts at this size and is kept between turns up to pendingKeptBytes. */
const pendingInitialBytes = 1024;
const pendingKeptBytes = 16 * 1024;
/** Pending output this large is written at once (bounds the copy; big replies gain nothing by waiting). */
const pendingWriteNowBytes = 64 * 1024;
/**
 * A lone command that ran this long (ms) has its reply deferred like a pipelined batch's. 8-round
 * A/B at -P 1: GEOSEARCH (~10 us a call) 33.1k -> 41.2k rps median (and 22-46k -> 37-49k range);
 * GET and SET (~1 us) stay written at once, unchanged.
 */
const deferAfterMs = 0.004;
/** A deferred reply at least this long is written at once when the session has nothing pending. */
const writeNowBytes = 4096;

export class WorkerServer {
  readonly x: Exec;
  private readonly listeners: WorkerListeners;
  /** The TLS options new TLS connections get, and how their handshakes are judged (null: no TLS). */
  private tls: TlsSetup | null = null;
  private readonly allowList = new CidrAllowList();
  /**
   * Output queued for a session at which it stops running buffered commands. outputPauseBytes
   * (1 MiB) when the normal class has no client-output-buffer-limit; with a limit, commands keep
   * running until the queue reaches it, so a client that never reads is disconnected as Redis
   * disconnects it (hard limit at once, soft limit after its seconds) instead of waiting forever.
   */
  private pauseBytes = outputPauseBytes;
  private sessions = new Map<number, Session>();
  private pending = new Map<number, (r: unknown[]) => void>();
  private nextPeerId = 1;
  private timers: ReturnType<typeof setInterval>[] = [];
  private port = 0;
  /** Command names resolved on raw input bytes, shared by this worker's parsers. */
  private readonly names: NameResolver;

  constructor(private init: WorkerInit, private post: (m: FromWorker) => void) {
    const cfg = Config.fromJSON(init.config);
    const table = commandTable();
    const ks = new Keyspace(init.keyspace);
    const stats = new Stats(init.stats, init.worker, init.workers, table.all.length);
    const ids = new Int32Array(init.slowlogIds);
    const slowlog = new SlowLog(() => Atomics.add(ids, 0, 1));
    const peers: Peers = {
      broadcast: (req) => this.broadcast(req),
      shutdown: () => this.post({ type: "shutdownRequest" }),
      snapshot: () => this.requestSnapshot(),
    };
    this.names = table.nameResolver();
    this.x = new Exec(ks, new ReplyWriter(), cfg, stats, table, peers, this.sessions, slowlog,
      init.worker, init.workers, init.runId, () => this.port);
    this.x.pubsub = new PubSubHub(new Registry(init.pubsub, init.workers), init.worker, this.x.out,
      (s, bytes) => this.push(s, bytes), init.pubsubPorts);
    for (const port of init.pubsubPorts) {
      if (port !== null) port.onmessage = (e) => this.x.pubsub.onBatch(e.data as ArrayBuffer);
    }
    this.x.acl = createAclState(this.x, init.aclText ?? null);
    cfg.onChange("requirepass", (c) => {
      this.x.acl.store.setRequirepass(c.requirepass);
      aclResync(this, -1);
    });
    for (const name of ["acllog-max-len", "acl-pubsub-default"]) cfg.onChange(name, () => this.x.acl.applyConfig(this.x));
    installNotify(this.x);
    this.applyConfig();
    installBlocking(this.x, init.blocking);
    if (init.durable !== undefined) {
      this.x.durable = new DurableWorker(init.durable, (s, bytes) => this.releaseHeld(s, bytes));
      this.x.durable.install(this.x);
    }
    // sync <-> async at any time; none <-> sync/async only at start: the log must cover every write.
    const started = cfg.durability;
    cfg.onChange("durability", (c) => {
      if ((c.durability === "none") !== (started === "none")) return "durability can switch between none and sync/async only at startup";
      this.x.durable?.setAsync(c.durability === "async");
      return undefined;
    });
    this.x.durable?.setAsync(cfg.durability === "async");
    // Redis evicts at once when maxmemory is lowered, not at the next write.
    cfg.onChange("maxmemory", () => {
      if (this.init.worker === 0 && this.x.cfg.maxmemory > 0) {
        this.x.ks.now = Date.now();
        evictionStep(this.x);
      }
    });
    for (const name of ["maxmemory-policy", "lfu-log-factor", "lfu-decay-time", "proto-max-bulk-len", "client-query-buffer-limit",
      "client-output-buffer-limit"]) {
      cfg.onChange(name, () => this.applyConfig());
    }
    this.listeners = new WorkerListeners(this.socketHandlers(false), this.socketHandlers(true));
    this.allowList.set(cfg.allowCidr); // main.ts refused an invalid value at startup
    this.watchNetworkSettings(cfg);
  }

  /**
   * CONFIG SET of the listening settings re-opens the affected listeners on this worker; a veto
   * (address not available, unreadable certificate) leaves the old ones and the old values.
   */
  private watchNetworkSettings(cfg: Config): void {
    const rebindPlain = (c: Config) => {
      const err = this.listeners.replacePlain({ hosts: c.bind, port: c.port });
      if (err !== null) {
        log("warning", `Could not create server TCP listening socket ${err}`);
        return "Failed to bind to specified addresses.";
      }
      this.port = c.port;
    };
    cfg.onChange("port", rebindPlain);
    cfg.onChange("bind", (c) => rebindPlain(c) ?? this.reloadTls(c));
    const tlsSettings = ["tls-port", "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file",
      "tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-ciphersuites"];
    for (const name of tlsSettings) cfg.onChange(name, (c) => this.reloadTls(c));
    cfg.onChange("allow-cidr", (c) => this.allowList.set(c.allowCidr) ?? undefined);
  }

  /** (Re)builds the TLS setup from the files and opens the TLS listeners with it. */
  private reloadTls(c: Config): string | undefined {
    if (c.tlsPort === 0) {
      this.listeners.replaceTls({ hosts: c.bind, port: 0 });
      this.tls = null;
      return undefined;
    }
    const built = checkedTlsSetup(c);
    if (!built.ok) {
      log("warning", built.error);
      return tlsUpdateError;
    }
    const err = this.listeners.replaceTls({ hosts: c.bind, port: c.tlsPort, tls: built.setup.options });
    if (err !== null) {
      log("warning", `Could not create server TLS listening socket ${err}`);
      return tlsUpdateError;
    }
    this.tls = built.setup;
    return undefined;
  }

  /** Mirrors settings that hot paths read as plain fields. */
  private applyConfig(): void {
    const cfg = this.x.cfg;
    const ks = this.x.ks;
    ks.lfu = isLfuPolicy(policyCode(cfg.maxmemoryPolicy));
    ks.lfuLogFactor = cfg.lfuLogFactor;
    ks.lfuDecayTime = cfg.lfuDecayTime;
    for (const s of this.sessions.values()) {
      s.parser.limits = { bulkBytesMax: cfg.protoMaxBulkLen, queryBufferBytesMax: cfg.clientQueryBufferLimit };
    }
    const normal = cfg.clientOutputBufferLimit.normal;
    this.pauseBytes = normal.hardBytes > 0 ? normal.hardBytes : normal.softBytes > 0 ? normal.softBytes : outputPauseBytes;
  }

  start(): void {
    const cfg = this.x.cfg;
    this.port = cfg.port;
    const err = this.listeners.replacePlain({ hosts: cfg.bind, port: cfg.port }) ??
      (cfg.tlsPort === 0 ? null : this.reloadTls(cfg) === undefined ? null : `TLS on port ${cfg.tlsPort}: see the log above`);
    if (err !== null) {
      this.post({ type: "listenError", worker: this.init.worker, message: err });
      return;
    }
    const hz = Math.max(1, Math.min(500, cfg.hz));
    this.timers.push(setInterval(() => this.cron(), Math.floor(1000 / hz)));
    this.post({ type: "ready", worker: this.init.worker, port: this.port });
  }

  private socketHandlers(tls: boolean): SocketHandler<SessionData> {
    return {
      open: (socket: Socket<SessionData>) => this.onOpen(socket, tls),
      handshake: tls ? (socket, success, error) => this.onHandshake(socket, success, error) : undefined,
      data: (socket: Socket<SessionData>, data: Buffer) => this.onData(socket.data.session, data),
      drain: (socket: Socket<SessionData>) => this.onDrain(socket.data.session),
      close: (socket: Socket<SessionData>) => this.onClose(socket.data?.session),
      error: (socket: Socket<SessionData>) => this.onClose(socket.data?.session),
    };
  }

  /**
   * Admission (src/server/admission.ts): allow-cidr first, closed without a word; then maxclients
   * and protected mode, which answer with Redis's error and close. Over TLS nothing can be written
   * before the handshake: past maxclients the socket is closed at once (what a redis-server 7.0
   * client sees too), and a protected-mode refusal becomes a session that can run no command
   * (closeAfterReply), counted against maxclients, whose DENIED error onHandshake sends.
   */
  private onOpen(socket: Socket<SessionData>, tls: boolean): void {
    const x = this.x;
    const now = Date.now();
    x.stats.add(Stat.connectionsReceived);
    const remote = socket.remoteAddress ?? "";
    if (!this.allowList.allows(remote)) {
      x.stats.add(Stat.rejectedConnectionsCidr);
      log("verbose", `Connection from ${remote} refused: not in allow-cidr`);
      socket.data = { session: null as unknown as Session };
      socket.terminate();
      return;
    }
    const count = x.ks.addClients(1);
    const full = count > x.cfg.maxclients;
    // Redis's rule: protected mode bites while the default user has no password (nopass).
    const defaultNoPass = x.acl.store.get("default")?.nopass ?? true;
    const denied = !full && protectedModeRefuses(x.cfg.protectedMode, defaultNoPass ? "" : "set", remote);
    if (full || denied) x.stats.add(Stat.rejectedConnections);
    if (full || (denied && !tls)) {
      x.ks.addClients(-1);
      socket.data = { session: null as unknown as Session };
      if (tls) socket.terminate();
      else {
        socket.write(full ? maxClientsReached : protectedModeDenied);
        socket.end();
      }
      return;
    }
    const s = new Session(x.ks.nextClientId(), socket, {
      bulkBytesMax: x.cfg.protoMaxBulkLen,
      queryBufferBytesMax: x.cfg.clientQueryBufferLimit,
    }, now, this.names);
    x.acl.attach(s, x.acl.store.get("default")!);
    s.authenticated = x.acl.store.defaultNoAuth;
    s.parser.authRequired = !s.authenticated;
    socket.data = { session: s };
    socket.setNoDelay(true);
    if (x.cfg.tcpKeepalive > 0) socket.setKeepAlive(true, x.cfg.tcpKeepalive * 1000);
    this.sessions.set(s.id, s);
    x.stats.add(Stat.connectedClients);
    if (denied) {
      s.closeAfterReply = true;
      socket.data.deny = protectedModeDenied;
    }
  }

  /**
   * A TLS connection finished its handshake: refuse it (bad client certificate, a suite not in
   * tls-ciphersuites), send the protected-mode error waiting for it, or let its session read.
   */
  private onHandshake(socket: Socket<SessionData>, success: boolean, error: Error | null): void {
    const s = socket.data?.session;
    if (!s || s.closed) return;
    const why = this.tls === null ? null : checkHandshake(socket, this.tls, success, error);
    if (why !== null) {
      log("verbose", `${why}: id=${s.id} addr=${s.addr}`);
      this.close(s);
      return;
    }
    const deny = socket.data.deny;
    if (deny !== undefined) {
      socket.write(deny);
      this.close(s);
    }
  }

  private onData(s: Session, chunk: Uint8Array): void {
    if (!s || s.closed) return;
    this.x.stats.add(Stat.netInputBytes, chunk.length);
    try {
      s.parser.feed(chunk);
    } catch (e) {
      if (e instanceof QueryBufferLimitError) {
        log("warning", `Closing client that reached max query buffer length: id=${s.id} addr=${s.addr}`);
        this.close(s);
        return;
      }
      throw e;
    }
    this.drive(s);
  }

  /** Runs buffered commands until input runs out, the session waits, or output backs up. */
  private drive(s: Session): void {
    const x = this.x;
    const out = x.out;
    out.reset();
    out.resp = s.resp;
    x.pubsub.begin(s); // messages waiting for s go before its replies
    x.ks.noTouch = s.noTouch;
    x.clock = performance.now();
    x.ks.touchedShards = 0;
    x.ks.needLsn.fill(0);
    this.driveCommands = 0;
    this.driveStartMs = x.clock;
    s.lastInteractionMs = Math.floor(x.clock + x.clockOffsetMs);
    while (!s.busy && !s.closed && !s.closeAfterReply && s.outQueuedBytes + s.heldBytes < this.pauseBytes) {
      let argv: Uint8Array[] | null;
      try {
        argv = s.parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        const mark = out.len;
        out.error(`ERR ${e.message}`);
        finishReply(x, s, mark);
        s.closeAfterReply = true;
        log("verbose", `Protocol error (${e.message}) from client: id=${s.id} addr=${s.addr}`);
        break;
      }
      if (argv === null) break;
      this.driveCommands++;
      const r = dispatch(x, s, argv, s.parser.nameHint as CommandSpec | null);
      out.resp = s.resp; // HELLO may have switched it
      x.ks.noTouch = s.noTouch;
      if (r !== undefined) {
        s.busy = true;
        this.flush(s);
        this.awaitReply(s, r);
        break;
      }
      // Hand big batches to the socket early. When output is already queued, flush appends to
      // the queue, which raises outQueuedBytes and so ends this loop at pauseBytes: a client
      // that never reads holds at most that much, plus what the kernel took.
      if (out.len > 256 * 1024) {
        this.flush(s);
        if (s.closed) return;
        x.pubsub.begin(s);
      }
    }
    try {
      s.parser.retain();
    } catch (e) {
      if (!(e instanceof QueryBufferLimitError)) throw e;
      this.close(s);
      return;
    }
    this.flush(s);
  }

  private awaitReply(s: Session, r: Promise<ReplyFn>): void {
    r.then(
      (fn) => {
        if (s.closed) return;
        const x = this.x;
        x.out.reset();
        x.out.resp = s.resp;
        x.s = s;
        x.pubsub.begin(s);
        const mark = x.out.len;
        const errs = x.out.errors;
        x.clock = performance.now();
        this.driveCommands = 0; // written at once, as a lone command's reply (flush)
        fn(x);
        // An asynchronous reply (a served blocked pop, a transaction's EXEC, a paused command) may
        // carry data another client's write produced: it waits until every shard's log has caught
        // up with what was appended so far (conservative; these replies are not the hot path).
        x.ks.touchedShards = -1;
        finishReply(x, s, mark);
        if (x.out.errors !== errs) x.stats.add(Stat.errorReplies, x.out.errors - errs);
        // Flush now: several sessions' replies may settle in one tick, and they share x.out.
        this.flush(s);
      },
      (e) => {
        log("warning", `async command failed: ${String(e)}`);
        if (s.closed) return;
        this.x.out.reset();
        this.x.out.resp = s.resp;
        this.x.out.error(`ERR ${String(e instanceof Error ? e.message : e)}`);
        this.flush(s);
      },
    ).finally(() => {
      if (s.closed) return;
      s.busy = false;
      this.flush(s);
      this.drive(s);
    });
  }

  /**
   * Writes what the writer holds for s in one call; queues what the kernel did not take. With
   * durability sync, replies that depend on log records not yet durable wait in the reply tracker
   * (src/server/durable.ts) and leave through releaseHeld once they are.
   */
  private flush(s: Session): void {
    const x = this.x;
    const out = x.out;
    const d = x.durable;
    if (d !== null) {
      const mask = x.ks.touchedShards;
      x.ks.touchedShards = 0;
      if (out.len > 0 && !s.closed && s.socket && x.cfg.durability === "sync") {
        const need = d.needFor(mask, x.ks.needLsn);
        if (need !== null || s.held.length > 0) {
          d.hold(s, out.view().slice(), need);
          out.reset();
          out.trim(writerTrimBytes);
          x.pubsub.end();
          return;
        }
      }
    }
    // A lone cheap command's reply goes out at once; a pipelined batch's, or one that ran long
    // enough for other clients' requests to arrive meanwhile, waits for the end of the turn.
    const defer = this.driveCommands > 1 || x.clock - this.driveStartMs >= deferAfterMs;
    if (out.len > 0 && !s.closed && s.socket) this.send(s, out.buf, out.len, defer);
    out.reset();
    out.trim(writerTrimBytes);
    x.pubsub.end();
    if (s.killed) this.close(s);
    else if (s.closeAfterReply) {
      this.writePending(s);
      if (s.outQueue.length === 0) this.close(s);
    }
  }

  /**
   * Hands bytes to the socket, queueing (a copy of) what the kernel does not take. Replies of a
   * command batch (flush) and published messages (push) go out this way.
   */
  private send(s: Session, v: Uint8Array, vLen: number, defer = true): void {
    if (s.closed || !s.socket) return;
    this.x.stats.add(Stat.netOutputBytes, vLen);
    s.bytesOut += vLen;
    if (s.outQueue.length !== 0) {
      this.enqueue(s, v.slice(0, vLen));
      return;
    }
    // A long reply goes out at once even from a batch when nothing waits before it: copying it into
    // the pending buffer cost more than the wakeup it saves (8-round A/B, -P 16 ZRANGE 0 99 with
    // ~35 KB per batch: 88.7k -> 106k rps median, every B round above every A round).
    if ((!defer || vLen >= writeNowBytes) && s.pendingLen === 0) {
      // Offset and length instead of a subarray: no view object per write.
      const n = s.socket.write(v, 0, vLen);
      if (n < vLen) this.enqueue(s, v.slice(Math.max(0, n), vLen));
      return;
    }
    // Deferred to the end of the loop turn (writePendingAll): one write per session per turn, and
    // the clients are woken in one burst after every ready connection was served (a write per
    // batch woke a sleeping client each time: 5-10k context switches/s at -P 16).
    const len = s.pendingLen;
    let b = s.pendingOut;
    if (b === null || b.length < len + vLen) {
      const nb = new Uint8Array(Math.max(pendingInitialBytes, (len + vLen) * 2));
      if (b !== null) nb.set(b.subarray(0, len));
      s.pendingOut = b = nb;
    }
    if (vLen === v.length) b.set(v, len);
    else copyRange(v, 0, b, len, vLen);
    s.pendingLen = len + vLen;
    if (s.pendingLen >= pendingWriteNowBytes) {
      this.writePending(s);
      return;
    }
    if (!s.pendingListed) {
      s.pendingListed = true;
      this.pendingSessions.push(s);
      if (!this.pendingScheduled) {
        this.pendingScheduled = true;
        setImmediate(this.writePendingAll);
      }
    }
  }

  /** Hands s's pending bytes to the socket; what the kernel does not take joins the queue. */
  private writePending(s: Session): void {
    const len = s.pendingLen;
    if (len === 0) return;
    s.pendingLen = 0;
    const b = s.pendingOut!;
    if (b.length > pendingKeptBytes) s.pendingOut = null;
    if (s.closed || !s.socket) return;
    const n = s.socket.write(b, 0, len);
    if (n < len) this.enqueue(s, b.slice(Math.max(0, n), len));
  }

  /** Commands the current drive() ran, and when it started (flush defers long or pipelined batches). */
  private driveCommands = 0;
  private driveStartMs = 0;
  private pendingSessions: Session[] = [];
  private pendingScheduled = false;
  /** End of a loop turn: every session's pending replies, one write each. */
  private writePendingAll = (): void => {
    this.pendingScheduled = false;
    const list = this.pendingSessions;
    // A write may close a session (output limit), never add to this list.
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      s.pendingListed = false;
      this.writePending(s);
    }
    list.length = 0;
  };

  /** Writes published messages to s outside its command batches (same queueing and limits as flush). */
  private push(s: Session, v: Uint8Array): void {
    this.send(s, v, v.length);
  }

  /**
   * Sends replies the reply tracker held until their log records were durable; then does what
   * flush would have done at their time: close after QUIT/kill, or resume commands that waited
   * behind the held bytes.
   */
  private releaseHeld(s: Session, v: Uint8Array): void {
    this.send(s, v, v.length);
    if (s.closed || s.held.length > 0) return;
    if (s.closeAfterReply) this.writePending(s);
    if (s.killed || (s.closeAfterReply && s.outQueue.length === 0)) {
      this.close(s);
      return;
    }
    if (!s.busy && s.parser.pendingBytes > 0 && s.outQueuedBytes < this.pauseBytes) queueMicrotask(() => this.drive(s));
  }

  private enqueue(s: Session, bytes: Uint8Array): void {
    s.outQueue.push(bytes);
    s.outQueuedBytes += bytes.length;
    if (this.overOutputLimit(s)) {
      log("warning", `Client id=${s.id} addr=${s.addr} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.close(s);
    }
  }

  /** client-output-buffer-limit for the session's class (normal or pubsub). */
  private overOutputLimit(s: Session): boolean {
    const lim = this.x.cfg.clientOutputBufferLimit[this.isPubSub(s) ? "pubsub" : "normal"];
    if (lim.hardBytes > 0 && s.outQueuedBytes >= lim.hardBytes) return true;
    if (lim.softBytes > 0 && s.outQueuedBytes >= lim.softBytes) {
      const now = Date.now();
      if (s.softLimitSinceMs === 0) s.softLimitSinceMs = now;
      else if (now - s.softLimitSinceMs > lim.softSeconds * 1000) return true;
    } else s.softLimitSinceMs = 0;
    return false;
  }

  private isPubSub(s: Session): boolean {
    return isSubscribed(s);
  }

  private onDrain(s: Session): void {
    if (!s || s.closed || !s.socket) return;
    while (s.outQueue.length > 0) {
      const head = s.outQueue[0];
      const n = s.socket.write(head);
      if (n < head.length) {
        s.outQueue[0] = head.subarray(Math.max(0, n));
        s.outQueuedBytes -= Math.max(0, n);
        return;
      }
      s.outQueue.shift();
      s.outQueuedBytes -= head.length;
    }
    s.softLimitSinceMs = 0;
    if (s.closeAfterReply || s.killed) {
      this.close(s);
      return;
    }
    if (!s.busy && s.parser.pendingBytes > 0) this.drive(s);
  }

  close(s: Session): void {
    if (s.closed) return;
    this.writePending(s); // a QUIT's +OK, an error before a protocol-error close
    s.closed = true;
    s.socket?.end();
    this.onClose(s);
  }

  private onClose(s: Session | undefined): void {
    if (!s) return;
    s.closed = true;
    this.x.durable?.forget(s);
    unblockOnClose(this.x, s);
    if (this.sessions.delete(s.id)) {
      this.x.ks.addClients(-1);
      this.x.stats.add(Stat.connectedClients, -1);
    }
    s.outQueue = [];
    s.outQueuedBytes = 0;
    s.pendingLen = 0;
    s.socket = null;
    s.multi = null;
    this.x.pubsub.dropSession(s);
    if (s.watched !== null) unwatchAll(this.x.ks, s, false); // shared records die with the session
  }

  // ---- periodic duties --------------------------------------------------------------------------
  private cron(): void {
    const x = this.x;
    const now = Date.now();
    x.clockOffsetMs = now - performance.now();
    if (this.init.worker === 0) trackInstantaneousMetrics(x, now);
    if (this.init.worker < x.ks.shardCount) activeExpireCycle(x, this.init.worker, 1000 / Math.max(1, x.cfg.hz));
    const idleMs = x.cfg.timeout * 1000;
    for (const s of this.sessions.values()) {
      if (s.killed) {
        this.close(s);
        continue;
      }
      // `timeout` spares blocked clients (busy: waiting on an asynchronous reply) and subscribers, as Redis.
      if (idleMs > 0 && !s.busy && !this.isPubSub(s) && now - s.lastInteractionMs > idleMs) {
        log("verbose", `Closing idle client id=${s.id}`);
        this.close(s);
        continue;
      }
      if (s.outQueuedBytes > 0 && this.overOutputLimit(s)) this.close(s);
    }
    const used = x.ks.usedBytes();
    if (used > x.stats.mine[Stat.peakMemory]) x.stats.mine[Stat.peakMemory] = used;
    if (this.init.worker === 0 && x.durable !== null) this.snapshotTriggers(now);
  }

  /** snapshot-log-bytes and snapshot-interval-seconds (worker 0 asks; main runs one at a time). */
  private snapshotTriggers(now: number): void {
    const c = this.x.durable!.control;
    if (c[ctlF64SaveInProgress] === 1) return;
    const cfg = this.x.cfg;
    const bySize = cfg.snapshotLogBytes > 0 && c[ctlF64LogBytesSinceSnapshot] >= cfg.snapshotLogBytes;
    const byTime = cfg.snapshotIntervalSeconds > 0 && c[ctlF64LogBytesSinceSnapshot] > 0 && now / 1000 - c[ctlF64LastSaveSec] >= cfg.snapshotIntervalSeconds;
    if (bySize || byTime) {
      c[ctlF64SaveInProgress] = 1; // main sets it too; this keeps the next tick from asking again
      void this.requestSnapshot();
    }
  }

  // ---- peers --------------------------------------------------------------------------------------
  private snapshotWaits = new Map<number, (r: { ok: boolean; message?: string }) => void>();

  /** Asks the main thread for a snapshot of every shard (SAVE, BGSAVE, triggers). */
  private requestSnapshot(): Promise<{ ok: boolean; message?: string }> {
    const id = this.nextPeerId++;
    return new Promise((resolve) => {
      this.snapshotWaits.set(id, resolve);
      this.post({ type: "snapshot", id });
    });
  }

  private broadcast(req: PeerRequest): Promise<unknown[]> {
    const id = this.nextPeerId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post({ type: "peer", id, req });
    });
  }

  onMessage(m: ToWorker): void {
    switch (m.type) {
      case "peerReq": {
        const result = answerPeerRequest(this, m.req);
        this.post({ type: "peerRes", id: m.id, from: m.from, worker: this.init.worker, result });
        return;
      }
      case "peerDone": {
        const r = this.pending.get(m.id);
        this.pending.delete(m.id);
        r?.(m.results);
        return;
      }
      case "snapshotDone": {
        const r = this.snapshotWaits.get(m.id);
        this.snapshotWaits.delete(m.id);
        r?.({ ok: m.ok, message: m.message });
        return;
      }
      case "shutdown":
        this.stop();
        this.post({ type: "stopped", worker: this.init.worker });
        return;
      default: {
        const never: never = m;
        throw new Error(`worker: unknown message ${JSON.stringify(never)}`);
      }
    }
  }

  /** Sessions of this worker (peer requests read them). */
  get allSessions(): Map<number, Session> {
    return this.sessions;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.listeners.stopAll(true);
    for (const s of this.sessions.values()) this.close(s);
    publishRings(); // what this turn appended reaches the replicator before it drains and stops
  }
}
