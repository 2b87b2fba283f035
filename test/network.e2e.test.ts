// Network isolation with real addresses: bind, protected mode and allow-cidr, proven with Linux
// network namespaces.
//
// Topology (made in beforeAll with `ip netns` and veth pairs, removed in afterAll):
//
//   client ns A  10.77.1.2, fd77:1::2  ---veth---  10.77.1.1, fd77:1::1  server ns  (and 127.0.0.1)
//   client ns B  10.77.2.2, fd77:2::2  ---veth---  10.77.2.1, fd77:2::1
//
// Each client namespace routes everything through its veth, so B can reach 10.77.1.1 too (with its
// own source address 10.77.2.2). memkeep runs in the server namespace (`ip netns exec ... bun
// src/main.ts`), and for protected mode redis-server 7.0 runs beside it with the same bind, so
// the DENIED reply and the rejected_connections count are compared byte for byte. Clients are
// `ip netns exec <ns> bun <probe>`: a raw socket that sends PING and QUIT and reports what came back and
// whether the server closed. Control commands (CONFIG SET, INFO) go through redis-cli on 127.0.0.1
// inside the server namespace.
//
// Needs root and CAP_NET_ADMIN (ip netns). Names carry this process's pid, so two runs do not clash.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultShardWorkers, repoRoot } from "./helpers/servers.ts";
import { protectedModeDenied } from "../src/server/admission.ts";
import { makeDevCerts } from "../scripts/dev-certs.ts";

const tag = `mk${process.pid % 100000}`;
const nsServer = `${tag}s`;
const nsA = `${tag}a`;
const nsB = `${tag}b`;
let work = "";
let probeFile = "";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[]): Promise<Run> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 15_000);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, out, err };
}

async function must(argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.code}): ${r.err}`);
  return r.out;
}

const probeSource = `
import net from "node:net";
const [host, port, local, quiet] = process.argv.slice(2);
let data = "";
let closed = false;
let error = "";
const s = net.connect({ host, port: Number(port), localAddress: local || undefined }, () => { if (quiet !== "quiet") s.write("PING\\r\\nQUIT\\r\\n"); });
s.on("data", (d) => { data += d.toString("latin1"); });
s.on("error", (e) => { error = e.code ?? e.message; });
s.on("close", () => { closed = true; finish(); });
const timer = setTimeout(finish, 1500);
function finish() { clearTimeout(timer); console.log(JSON.stringify({ data, closed, error })); process.exit(0); }
`;

interface Probe {
  data: string;
  closed: boolean;
  error: string;
}

/**
 * From namespace ns, connects to host:port (optionally from a given source address), sends PING and
 * QUIT, and reports what came back. `quiet` sends nothing: for a client the server refuses at once,
 * where bytes it never read would turn its close into a reset.
 */
async function probe(ns: string, host: string, port: number, local = "", quiet = false): Promise<Probe> {
  const out = await must(["ip", "netns", "exec", ns, process.execPath, probeFile, host, String(port), local, quiet ? "quiet" : ""]);
  return JSON.parse(out.trim()) as Probe;
}

const quietProbe = (ns: string, host: string, port: number, local = "") => probe(ns, host, port, local, true);

/** redis-cli on the server namespace's loopback (control connection). */
async function ctl(port: number, ...args: string[]): Promise<string> {
  return (await must(["ip", "netns", "exec", nsServer, "redis-cli", "-p", String(port), ...args])).trim();
}

async function statOf(port: number, name: string): Promise<number> {
  const m = new RegExp(`${name}:(\\d+)`).exec(await ctl(port, "INFO", "stats"));
  if (!m) throw new Error(`INFO stats has no ${name}`);
  return Number(m[1]);
}

interface NsServer {
  port: number;
  stop(): Promise<void>;
  log(): string;
}

let nextPort = 17000 + (process.pid % 1000) * 10;

/** Starts a server process inside the server namespace and waits until its loopback answers. */
async function startInNs(kind: "memkeep" | "redis", args: string[]): Promise<NsServer> {
  const port = nextPort++;
  const dir = mkdtempSync(join(work, `${kind}-`));
  const argv = kind === "memkeep"
    ? [process.execPath, "src/main.ts", "--port", String(port), "--dir", dir, "--shard-workers", String(defaultShardWorkers()), ...args]
    : ["redis-server", "--port", String(port), "--dir", dir, "--save", "", "--appendonly", "no", ...args];
  const p = Bun.spawn(["ip", "netns", "exec", nsServer, ...argv], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  let text = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) text += new TextDecoder().decode(c);
  };
  void pump(p.stdout);
  void pump(p.stderr);
  const server: NsServer = {
    port,
    log: () => text,
    async stop() {
      if (p.exitCode === null) p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 5_000);
      await p.exited;
      clearTimeout(t);
    },
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (p.exitCode !== null) throw new Error(`${kind} exited (${p.exitCode}):\n${text}`);
    const r = await run(["ip", "netns", "exec", nsServer, "redis-cli", "-p", String(port), "PING"]);
    if (r.out.trim() === "PONG") return server;
    await Bun.sleep(100);
  }
  await server.stop();
  throw new Error(`${kind} did not answer in the namespace:\n${text}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "memkeep-netns-"));
  probeFile = join(work, "probe.ts");
  writeFileSync(probeFile, probeSource);
  const script = [
    `ip netns add ${nsServer}`,
    `ip -n ${nsServer} link set lo up`,
  ];
  for (const [i, ns] of [[1, nsA], [2, nsB]] as const) {
    script.push(
      `ip netns add ${ns}`,
      `ip link add ${tag}v${i} type veth peer name ${tag}p${i}`,
      `ip link set ${tag}v${i} netns ${nsServer}`,
      `ip link set ${tag}p${i} netns ${ns}`,
      `ip -n ${nsServer} addr add 10.77.${i}.1/24 dev ${tag}v${i}`,
      `ip -n ${nsServer} addr add fd77:${i}::1/64 dev ${tag}v${i} nodad`,
      `ip -n ${ns} addr add 10.77.${i}.2/24 dev ${tag}p${i}`,
      `ip -n ${ns} addr add fd77:${i}::2/64 dev ${tag}p${i} nodad`,
      `ip -n ${nsServer} link set ${tag}v${i} up`,
      `ip -n ${ns} link set ${tag}p${i} up`,
      `ip -n ${ns} link set lo up`,
      `ip -n ${ns} route add default via 10.77.${i}.1`,
      `ip -n ${ns} -6 route add default via fd77:${i}::1`,
    );
  }
  const r = await run(["bash", "-ec", script.join("\n")]);
  if (r.code !== 0) {
    throw new Error(`network namespaces are not available here (needs root and CAP_NET_ADMIN): ${r.err}`);
  }
}, 30_000);

afterAll(async () => {
  // Deleting a namespace destroys the veth ends inside it, and with them their peers.
  for (const ns of [nsA, nsB, nsServer]) await run(["ip", "netns", "del", ns]);
  if (work !== "") rmSync(work, { recursive: true, force: true });
}, 30_000);

const allAddresses = "10.77.1.1 10.77.2.1 fd77:1::1 127.0.0.1";
/** A served client: PING answered, then QUIT's +OK and the server's close. */
const pong = { data: "+PONG\r\n+OK\r\n", closed: true, error: "" };

describe("protected mode (on by default, no password), memkeep beside redis-server 7.0", () => {
  let memkeep: NsServer | undefined;
  let redis: NsServer | undefined;
  beforeAll(async () => {
    [memkeep, redis] = await Promise.all([startInNs("memkeep", ["--bind", allAddresses]), startInNs("redis", ["--bind", allAddresses])]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([memkeep?.stop(), redis?.stop()]);
  }, 30_000);

  test("a client from another host gets Redis's exact DENIED error and is closed; both count it", async () => {
    for (const s of [redis!, memkeep!]) {
      const before = await statOf(s.port, "rejected_connections");
      const fromA = await quietProbe(nsA, "10.77.1.1", s.port);
      expect(fromA).toEqual({ data: protectedModeDenied, closed: true, error: "" });
      expect(await quietProbe(nsB, "10.77.1.1", s.port)).toEqual(fromA); // across the route too
      expect(await quietProbe(nsA, "fd77:1::1", s.port)).toEqual(fromA); // and over IPv6
      expect(await statOf(s.port, "rejected_connections")).toBe(before + 3);
    }
  });

  test("only 127.0.0.1 and ::1 count as local: 127.0.0.5 and the server's own 10.77.1.1 are refused", async () => {
    for (const s of [redis!, memkeep!]) {
      expect(await probe(nsServer, "127.0.0.1", s.port)).toEqual(pong);
      expect((await quietProbe(nsServer, "127.0.0.1", s.port, "127.0.0.5")).data).toBe(protectedModeDenied);
      expect((await quietProbe(nsServer, "10.77.1.1", s.port)).data).toBe(protectedModeDenied);
    }
  });

  test("a password lifts it (the client gets NOAUTH instead), and so does protected-mode no", async () => {
    for (const s of [redis!, memkeep!]) {
      expect(await ctl(s.port, "CONFIG", "SET", "requirepass", "secret")).toBe("OK");
      expect(await probe(nsA, "10.77.1.1", s.port)).toEqual({ data: "-NOAUTH Authentication required.\r\n+OK\r\n", closed: true, error: "" });
      expect(await ctl(s.port, "-a", "secret", "--no-auth-warning", "CONFIG", "SET", "requirepass", "", "protected-mode", "no")).toBe("OK");
      expect(await probe(nsA, "10.77.1.1", s.port)).toEqual(pong);
      expect(await ctl(s.port, "CONFIG", "SET", "protected-mode", "yes")).toBe("OK");
      expect((await quietProbe(nsA, "10.77.1.1", s.port)).data).toBe(protectedModeDenied);
    }
  });
});

describe("protected mode over TLS", () => {
  test("the DENIED error arrives after the handshake, from memkeep as from redis-server", async () => {
    const certs = makeDevCerts(join(work, "certs"));
    const tlsPorts = [nextPort++, nextPort++];
    const tlsArgs = (port: number) => ["--bind", allAddresses, "--tls-port", String(port), "--tls-cert-file", join(certs, "server.crt"),
      "--tls-key-file", join(certs, "server.key"), "--tls-ca-cert-file", join(certs, "ca.crt"), "--tls-auth-clients", "no"];
    const [memkeep, redis] = await Promise.all([startInNs("memkeep", tlsArgs(tlsPorts[0])), startInNs("redis", tlsArgs(tlsPorts[1]))]);
    try {
      const cli = (ns: string, port: number) =>
        run(["ip", "netns", "exec", ns, "redis-cli", "-h", "10.77.1.1", "-p", String(port), "--tls", "--insecure", "PING"]);
      const [fromMemkeep, fromRedis] = [await cli(nsA, tlsPorts[0]), await cli(nsA, tlsPorts[1])];
      expect(fromRedis.out).toStartWith("DENIED Redis is running in protected mode");
      expect(fromMemkeep.out).toBe(fromRedis.out);
      // From the server's own loopback over TLS: served.
      expect((await cli(nsServer, tlsPorts[0])).out).toStartWith("DENIED"); // 10.77.1.1 is not loopback
      const local = await run(["ip", "netns", "exec", nsServer, "redis-cli", "-p", String(tlsPorts[0]), "--tls", "--insecure", "PING"]);
      expect(local.out).toBe("PONG\n");
      expect(await statOf(memkeep.port, "rejected_connections")).toBe(2);
    } finally {
      await Promise.all([memkeep.stop(), redis.stop()]);
    }
  }, 30_000);
});

describe("allow-cidr (protected mode off)", () => {
  let memkeep: NsServer | undefined;
  beforeAll(async () => {
    memkeep = await startInNs("memkeep", ["--bind", allAddresses, "--protected-mode", "no", "--allow-cidr", "10.77.1.0/24 127.0.0.0/8"]);
  }, 30_000);
  afterAll(async () => {
    await memkeep?.stop();
  }, 30_000);

  const refused = (p: Probe) => p.data === "" && p.closed;

  test("a client inside a listed range is served; one outside is closed at once without a reply and counted", async () => {
    const s = memkeep!;
    const before = await statOf(s.port, "rejected_connections_cidr");
    expect(await probe(nsA, "10.77.1.1", s.port)).toEqual(pong);
    const fromB = await probe(nsB, "10.77.1.1", s.port);
    expect(refused(fromB)).toBe(true);
    expect(refused(await probe(nsB, "10.77.2.1", s.port))).toBe(true);
    // IPv6 clients are outside an IPv4-only list.
    expect(refused(await probe(nsA, "fd77:1::1", s.port))).toBe(true);
    expect(await statOf(s.port, "rejected_connections_cidr")).toBe(before + 3);
    expect(await statOf(s.port, "rejected_connections")).toBe(0);
  });

  test("CONFIG SET allow-cidr takes effect for the next connection, IPv6 ranges and single addresses included", async () => {
    const s = memkeep!;
    try {
      expect(await ctl(s.port, "CONFIG", "SET", "allow-cidr", "127.0.0.1 fd77:2::/64 10.77.2.2/32")).toBe("OK");
      expect(await probe(nsB, "10.77.1.1", s.port)).toEqual(pong);
      expect(await probe(nsB, "fd77:1::1", s.port)).toEqual(pong);
      expect(refused(await probe(nsA, "10.77.1.1", s.port))).toBe(true);
      expect(refused(await probe(nsA, "fd77:1::1", s.port))).toBe(true);
      expect(await ctl(s.port, "CONFIG", "SET", "allow-cidr", "")).toBe("OK");
      expect(await probe(nsA, "fd77:1::1", s.port)).toEqual(pong);
      expect(await ctl(s.port, "CONFIG", "SET", "allow-cidr", "10.0.0.0/33")).toBe(
        "ERR CONFIG SET failed (possibly related to argument 'allow-cidr') - Invalid CIDR range '10.0.0.0/33' in allow-cidr: use IPv4 or IPv6 ranges such as 10.0.0.0/8 or fd00::/8",
      );
      expect(await ctl(s.port, "CONFIG", "GET", "allow-cidr")).toBe("allow-cidr");
    } finally {
      await ctl(s.port, "CONFIG", "SET", "allow-cidr", "10.77.1.0/24 127.0.0.0/8");
    }
  });

  test("on a dual-stack listener (bind ::) IPv4 clients arrive as ::ffff:a.b.c.d and match IPv4 ranges", async () => {
    const dual = await startInNs("memkeep", ["--bind", "::", "--protected-mode", "no", "--allow-cidr", "10.77.1.0/24 127.0.0.1"]);
    try {
      expect(await ctl(dual.port, "CLIENT", "INFO")).toContain("addr=::ffff:127.0.0.1:");
      expect(await probe(nsA, "10.77.1.1", dual.port)).toEqual(pong);
      expect(refused(await probe(nsB, "10.77.1.1", dual.port))).toBe(true);
      expect(refused(await probe(nsA, "fd77:1::1", dual.port))).toBe(true);
    } finally {
      await dual.stop();
    }
  });
});

describe("bind", () => {
  test("only the bound address accepts; CONFIG SET bind moves the listener; a bind that fails changes nothing", async () => {
    const s = await startInNs("memkeep", ["--bind", "10.77.1.1 127.0.0.1", "--protected-mode", "no"]);
    try {
      expect(await probe(nsB, "10.77.1.1", s.port)).toEqual(pong);
      const other = await probe(nsB, "10.77.2.1", s.port);
      expect(other).toEqual({ data: "", closed: true, error: "ECONNREFUSED" });
      expect(await ctl(s.port, "CONFIG", "SET", "bind", "10.77.2.1 127.0.0.1")).toBe("OK");
      expect(await probe(nsB, "10.77.2.1", s.port)).toEqual(pong);
      expect((await probe(nsA, "10.77.1.1", s.port)).error).toBe("ECONNREFUSED");
      expect(await ctl(s.port, "CONFIG", "SET", "bind", "10.99.0.1 127.0.0.1")).toBe(
        "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
      );
      expect(await ctl(s.port, "CONFIG", "GET", "bind")).toBe("bind\n10.77.2.1 127.0.0.1");
      expect(await probe(nsB, "10.77.2.1", s.port)).toEqual(pong);
    } finally {
      await s.stop();
    }
  }, 30_000);
});
