// Free TCP ports on 127.0.0.1 for test servers.
//
// The kernel picks a free port when we bind port 0; we read it and close the listener at once, so the
// server we start next can bind it. Another process can still grab the port in between (a window the
// server helpers close by retrying on "address in use"); within this process a port is never handed
// out twice, so two servers started back to back cannot be given the same number.

const handedOut = new Set<number>();
const attemptsMax = 50;

/** Returns a port that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data() {} },
    });
    const port = listener.port;
    listener.stop(true);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no unused port after ${attemptsMax} attempts`);
}
