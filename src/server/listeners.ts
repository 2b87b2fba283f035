// A shard worker's listening sockets: plain TCP on `port` and TLS on `tls-port`, one of each per
// `bind` address, every one opened with reusePort so all workers share the ports and the kernel
// spreads connections among them (measured with TLS too: 30 handshakes landed 8/10/12 on three
// worker threads).
//
// Replacing a set (CONFIG SET port, bind, tls-port, or any TLS file) opens the new listeners first
// and only then stops the old ones with stop(false): connections already accepted keep running on
// whatever certificate they shook hands with, new ones get the new set, and a set that cannot be
// opened (address not available, bad certificate) is dropped whole and the old one stays. While
// both sets are open on the same port the kernel may hand a connection to either.
//
// Bind addresses follow Redis 7.0: "*" is every IPv4 address, "::*" every IPv6 address, and a
// leading "-" marks an address whose absence (EADDRNOTAVAIL, no IPv6) is not an error.

import type { SocketHandler, TCPSocketListenOptions, TCPSocketListener, TLSOptions } from "bun";
import type { SessionData } from "./session.ts";

type Listener = TCPSocketListener<SessionData>;

export interface ListenPlan {
  readonly hosts: readonly string[];
  readonly port: number;
  /** Present for the TLS set. */
  readonly tls?: TLSOptions;
}

/** One bind address as Bun.listen wants it, and whether failing to bind it may be ignored. */
export function bindHost(address: string): { hostname: string; optional: boolean } {
  const optional = address.startsWith("-");
  const a = optional ? address.slice(1) : address;
  const hostname = a === "*" ? "0.0.0.0" : a === "::*" ? "::" : a;
  return { hostname, optional };
}

/** Opens one set of listeners; on failure closes what it opened and throws the first error. */
export function openSet(plan: ListenPlan, handlers: SocketHandler<SessionData>): Listener[] {
  const opened: Listener[] = [];
  if (plan.port === 0) return opened;
  for (const address of plan.hosts) {
    const { hostname, optional } = bindHost(address);
    try {
      // reusePort works for Bun.listen at run time but bun-types 1.4.5 does not declare it for TCP.
      const options = { hostname, port: plan.port, reusePort: true, socket: handlers, tls: plan.tls };
      opened.push(Bun.listen<SessionData>(options as TCPSocketListenOptions<SessionData>));
    } catch (e) {
      if (optional) continue;
      for (const l of opened) l.stop(false);
      throw new Error(`${address}:${plan.port}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return opened;
}

/** The two sets of one worker. Each replace keeps the old set when the new one cannot open. */
export class WorkerListeners {
  private plain: Listener[] = [];
  private secure: Listener[] = [];

  constructor(
    private readonly plainHandlers: SocketHandler<SessionData>,
    private readonly tlsHandlers: SocketHandler<SessionData>,
  ) {}

  /** Replaces the plain TCP set; returns the error (old set kept) or null. */
  replacePlain(plan: ListenPlan): string | null {
    return this.replace("plain", plan, this.plainHandlers);
  }

  /** Replaces the TLS set (plan.port 0 closes it); returns the error (old set kept) or null. */
  replaceTls(plan: ListenPlan): string | null {
    return this.replace("secure", plan, this.tlsHandlers);
  }

  private replace(which: "plain" | "secure", plan: ListenPlan, handlers: SocketHandler<SessionData>): string | null {
    let next: Listener[];
    try {
      next = openSet(plan, handlers);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    const old = this[which];
    this[which] = next;
    for (const l of old) l.stop(false); // accepted connections stay open
    return null;
  }

  /** Stops every listener; closeActive also closes the accepted connections. */
  stopAll(closeActive: boolean): void {
    for (const l of [...this.plain, ...this.secure]) l.stop(closeActive);
    this.plain = [];
    this.secure = [];
  }
}

