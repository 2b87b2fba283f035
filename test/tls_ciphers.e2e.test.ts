// TLS cipher settings with real handshakes (openssl s_client), next to redis-server 7.0 started with the
// same certificates and settings:
// - tls-ciphers restricts TLS 1.2 as Redis does: a client limited to TLS 1.2 that offers only a cipher
//   outside the list is refused in the handshake by both servers; one offering a listed cipher is
//   served by both, on that cipher.
// - tls-ciphersuites (TLS 1.3) is accepted, and memkeep says at startup that BoringSSL fixes the TLS 1.3
//   suites; a client offering only a listed suite is served, one offering only another suite is closed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDevCerts } from "../scripts/dev-certs.ts";
import { type ServerHandle, startMemkeep, startRedis } from "./helpers/servers.ts";
import { freePort } from "./helpers/ports.ts";

let certs = "";
const f = (name: string) => join(certs, name);
const servers: Record<"memkeep" | "redis", { handle?: ServerHandle; tls: number }> = { memkeep: { tls: 0 }, redis: { tls: 0 } };

const allowed12 = "ECDHE-ECDSA-AES256-GCM-SHA384";
const refused12 = "ECDHE-ECDSA-AES128-GCM-SHA256"; // the dev certificates are ECDSA
const listed13 = "TLS_AES_256_GCM_SHA384";
const unlisted13 = "TLS_CHACHA20_POLY1305_SHA256";

function tlsArgs(port: number): string[] {
  return ["--tls-port", String(port), "--tls-cert-file", f("server.crt"), "--tls-key-file", f("server.key"),
    "--tls-ca-cert-file", f("ca.crt"), "--tls-auth-clients", "no", "--tls-ciphers", allowed12, "--tls-ciphersuites", listed13];
}

beforeAll(async () => {
  certs = makeDevCerts(mkdtempSync(join(tmpdir(), "memkeep-ciphers-")));
  servers.memkeep.tls = await freePort();
  servers.redis.tls = await freePort();
  [servers.memkeep.handle, servers.redis.handle] = await Promise.all([
    startMemkeep({ args: tlsArgs(servers.memkeep.tls) }), startRedis({ args: tlsArgs(servers.redis.tls) }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([servers.memkeep.handle?.stop(), servers.redis.handle?.stop()]);
  if (certs !== "") rmSync(certs, { recursive: true, force: true });
}, 30_000);

interface Handshake {
  served: boolean;
  cipher: string;
}

/** openssl s_client with the given version/cipher options: did the server answer PING, on which cipher. */
async function handshake(port: number, extra: string[]): Promise<Handshake> {
  const p = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", f("ca.crt"), ...extra, "-ign_eof"], {
    stdin: new TextEncoder().encode("PING\r\nQUIT\r\n"), stdout: "pipe", stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), 15_000);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  const text = out + err;
  const cipher = /Cipher is (\S+)/.exec(text)?.[1] ?? "";
  return { served: text.includes("+PONG"), cipher: cipher === "(NONE)" ? "" : cipher };
}

describe("tls-ciphers (TLS 1.2)", () => {
  test("a TLS 1.2 client offering only a cipher outside tls-ciphers is refused, as by redis-server", async () => {
    for (const s of [servers.memkeep, servers.redis]) {
      expect(await handshake(s.tls, ["-tls1_2", "-cipher", refused12])).toEqual({ served: false, cipher: "" });
      expect(await handshake(s.tls, ["-tls1_2", "-cipher", allowed12])).toEqual({ served: true, cipher: allowed12 });
      // Offering both, the listed one is chosen.
      expect(await handshake(s.tls, ["-tls1_2", "-cipher", `${refused12}:${allowed12}`])).toEqual({ served: true, cipher: allowed12 });
    }
  });
});

describe("tls-ciphersuites (TLS 1.3)", () => {
  test("accepted, with a startup warning that BoringSSL fixes the TLS 1.3 suites", () => {
    const out = servers.memkeep.handle!.stdout();
    expect(out).toContain("# tls-ciphersuites is set, but TLS 1.3 cipher suites are fixed by the TLS library");
    expect(out.match(/tls-ciphersuites is set/g)?.length).toBe(1); // once, by the main thread
  });

  test("a client offering only a listed suite is served; one offering only another suite is not", async () => {
    expect(await handshake(servers.memkeep.tls, ["-tls1_3", "-ciphersuites", listed13])).toEqual({ served: true, cipher: listed13 });
    expect((await handshake(servers.memkeep.tls, ["-tls1_3", "-ciphersuites", unlisted13])).served).toBe(false);
    // redis-server (OpenSSL) refuses the unlisted suite in the handshake itself.
    expect(await handshake(servers.redis.tls, ["-tls1_3", "-ciphersuites", listed13])).toEqual({ served: true, cipher: listed13 });
    expect((await handshake(servers.redis.tls, ["-tls1_3", "-ciphersuites", unlisted13])).served).toBe(false);
  });
});
