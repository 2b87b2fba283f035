// TLS for client connections: Redis's tls-* settings turned into Bun.listen TLS options, and the
// checks that run once a client's handshake is done.
//
// Design:
// - The certificate, key and CA files are read eagerly (readFileSync), so an unreadable or malformed
//   file is an error at the moment it is configured (startup, or CONFIG SET), never at the next
//   accept. Bun's TLS is BoringSSL: a trial listener on 127.0.0.1:0 (probeTlsOptions) makes BoringSSL
//   itself judge the whole set (key matches certificate, passphrase, cipher list, CA) before a
//   worker replaces its live listeners.
// - TLS 1.2 is the minimum. tls-protocols chooses TLSv1.2 and/or TLSv1.3 through SSL_OP_NO_* bits in
//   secureOptions (Bun has no minVersion for servers). TLSv1 and TLSv1.1, which Redis still accepts,
//   are refused.
// - tls-ciphers (TLS 1.2 and below) goes to BoringSSL's cipher list: a client offering only ciphers
//   outside it is refused in the handshake, as by Redis. BoringSSL has no setting for TLS 1.3 suites
//   (it always offers its three and picks one itself), so tls-ciphersuites cannot steer the choice:
//   the directive is accepted (names checked), the main thread logs tls13SuitesWarning at startup,
//   and a TLS 1.3 connection that negotiated a suite outside the list is closed after the handshake
//   (checkHandshake). A client offering only listed suites is served; one offering several may land
//   on an unlisted one and be closed where Redis would have picked a listed one.
// - tls-auth-clients: "yes" asks for a certificate and BoringSSL refuses a client without a valid
//   one; "optional" asks for one and lets the handshake finish either way, and checkHandshake closes
//   a connection whose client sent a certificate the CA did not sign; "no" does not ask.
// - Errors come back as log lines worded like Redis's; CONFIG SET answers Redis's fixed
//   "Unable to update TLS configuration. Check server logs." (tlsUpdateError).

import { readFileSync } from "node:fs";
import type { Socket, TLSOptions } from "bun";
import type { Config } from "../config.ts";
import { log } from "./log.ts";

/** The CONFIG SET veto text Redis 7.0 gives for any TLS configuration it could not apply. */
export const tlsUpdateError = "Unable to update TLS configuration. Check server logs.";
/** What Redis logs before exiting when the TLS configuration at startup is unusable. */
export const tlsStartupError = "Failed to configure TLS. Check logs for more info.";

// BoringSSL's SSL_OP_NO_* bits (the same values node:crypto's constants report under Bun).
const SSL_OP_NO_SSLv3 = 0x02000000;
const SSL_OP_NO_TLSv1 = 0x04000000;
const SSL_OP_NO_TLSv1_2 = 0x08000000;
const SSL_OP_NO_TLSv1_1 = 0x10000000;
const SSL_OP_NO_TLSv1_3 = 0x20000000;

/** The TLS 1.3 suites BoringSSL implements (IANA names, as tls-ciphersuites and OpenSSL spell them). */
export const tls13Suites: readonly string[] = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

/** Logged at startup when tls-ciphersuites is set (see the top of this file). */
export const tls13SuitesWarning = "tls-ciphersuites is set, but TLS 1.3 cipher suites are fixed by the TLS library " +
  `(BoringSSL, Bun's), which offers ${tls13Suites.join(", ")} and picks one itself: a TLS 1.3 connection that ` +
  "negotiates a suite not listed is closed after its handshake. To choose ciphers, use tls-protocols TLSv1.2 with tls-ciphers.";

/** Everything a worker needs to listen with TLS and to judge a finished handshake. */
export interface TlsSetup {
  readonly options: TLSOptions;
  readonly authClients: Config["tlsAuthClients"];
  /** TLS 1.3 suites a connection may use; null = any. */
  readonly suites: ReadonlySet<string> | null;
}

export type TlsResult = { ok: true; setup: TlsSetup } | { ok: false; error: string };

/** SSL_OP_NO_* bits for a tls-protocols value; "" means TLSv1.2 and TLSv1.3. */
export function protocolOptions(text: string): { ok: true; secureOptions: number } | { ok: false; error: string } {
  const words = text.split(/\s+/).filter((w) => w !== "");
  let v12 = words.length === 0;
  let v13 = words.length === 0;
  for (const w of words) {
    const p = w.toLowerCase();
    if (p === "tlsv1.2") v12 = true;
    else if (p === "tlsv1.3") v13 = true;
    else if (p === "tlsv1" || p === "tlsv1.1") {
      return { ok: false, error: `Invalid tls-protocols specified. ${w} is older than TLSv1.2, the minimum memkeep accepts: use 'TLSv1.2' and/or 'TLSv1.3'.` };
    } else {
      return { ok: false, error: "Invalid tls-protocols specified. Use a combination of 'TLSv1.2' and 'TLSv1.3'." };
    }
  }
  let bits = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
  if (!v12) bits |= SSL_OP_NO_TLSv1_2;
  if (!v13) bits |= SSL_OP_NO_TLSv1_3;
  return { ok: true, secureOptions: bits };
}

/** A tls-ciphersuites value as a set of suite names; "" means no restriction. */
export function parseSuites(text: string): { ok: true; suites: ReadonlySet<string> | null } | { ok: false; error: string } {
  if (text.trim() === "") return { ok: true, suites: null };
  const names = text.split(":").map((n) => n.trim()).filter((n) => n !== "");
  for (const n of names) {
    if (!tls13Suites.includes(n)) return { ok: false, error: `Failed to configure ciphersuites: ${text}` };
  }
  return { ok: true, suites: new Set(names) };
}

function readPem(path: string): { ok: true; text: string } | { ok: false; why: string } {
  try {
    return { ok: true, text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT" ? "No such file or directory" : code === "EACCES" ? "Permission denied"
      : code === "EISDIR" ? "Is a directory" : String(e instanceof Error ? e.message : e);
    return { ok: false, why };
  }
}

/**
 * Reads the TLS files a configuration names and builds the listener options. Errors read like the
 * lines Redis logs ("Failed to load certificate: <file>: <reason>").
 */
export function buildTlsSetup(cfg: Config): TlsResult {
  if (cfg.tlsCertFile === "") return { ok: false, error: "No tls-cert-file configured!" };
  if (cfg.tlsKeyFile === "") return { ok: false, error: "No tls-key-file configured!" };
  if (cfg.tlsAuthClients !== "no" && cfg.tlsCaCertFile === "") {
    return { ok: false, error: "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!" };
  }
  const cert = readPem(cfg.tlsCertFile);
  if (!cert.ok) return { ok: false, error: `Failed to load certificate: ${cfg.tlsCertFile}: ${cert.why}` };
  const key = readPem(cfg.tlsKeyFile);
  if (!key.ok) return { ok: false, error: `Failed to load private key: ${cfg.tlsKeyFile}: ${key.why}` };
  let ca: string | undefined;
  if (cfg.tlsCaCertFile !== "") {
    const read = readPem(cfg.tlsCaCertFile);
    if (!read.ok) return { ok: false, error: `Failed to load CA certificate(s) file/directory: ${cfg.tlsCaCertFile}: ${read.why}` };
    ca = read.text;
  }
  const protocols = protocolOptions(cfg.tlsProtocols);
  if (!protocols.ok) return protocols;
  const suites = parseSuites(cfg.tlsCiphersuites);
  if (!suites.ok) return suites;
  const options: TLSOptions = {
    cert: cert.text,
    key: key.text,
    ca,
    passphrase: cfg.tlsKeyFilePass === "" ? undefined : cfg.tlsKeyFilePass,
    requestCert: cfg.tlsAuthClients !== "no",
    rejectUnauthorized: cfg.tlsAuthClients === "yes",
    secureOptions: protocols.secureOptions,
    ciphers: cfg.tlsCiphers === "" ? undefined : cfg.tlsCiphers,
  };
  return { ok: true, setup: { options, authClients: cfg.tlsAuthClients, suites: suites.suites } };
}

/**
 * Lets BoringSSL judge the options on a throw-away listener (127.0.0.1, a port the kernel picks):
 * null when they are usable, else the reason, e.g. "KEY_VALUES_MISMATCH" or "Invalid ciphers".
 */
export function probeTlsOptions(options: TLSOptions): string | null {
  try {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, tls: options, socket: { data() {} } });
    probe.stop(true);
    return null;
  } catch (e) {
    return `Failed to configure TLS: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** buildTlsSetup, then the BoringSSL probe. On the main thread (startup) it also logs tls13SuitesWarning. */
export function checkedTlsSetup(cfg: Config): TlsResult {
  const built = buildTlsSetup(cfg);
  if (!built.ok) return built;
  const probe = probeTlsOptions(built.setup.options);
  if (probe !== null) return { ok: false, error: probe };
  if (Bun.isMainThread && built.setup.suites !== null) log("warning", tls13SuitesWarning);
  return built;
}

/**
 * After a handshake BoringSSL let through: null when the connection may proceed, else why it must be
 * closed. `success` and `authorizationError` are Bun's handshake callback arguments.
 */
export function checkHandshake<T>(socket: Socket<T>, setup: TlsSetup, success: boolean, authorizationError: Error | null): string | null {
  if (!success) return `TLS handshake failed: ${authorizationError?.message ?? "unknown error"}`;
  if (setup.authClients === "optional" && !socket.authorized) {
    // No certificate is fine in optional mode; one the CA did not sign is not.
    const peer = socket.getPeerCertificate() as unknown as Record<string, unknown> | undefined;
    if (peer !== undefined && peer !== null && Object.keys(peer).length > 0) {
      return `Client certificate refused: ${authorizationError?.message ?? "not signed by the configured CA"}`;
    }
  }
  if (setup.suites !== null && socket.getTLSVersion() === "TLSv1.3") {
    const suite = socket.getCipher().standardName;
    if (!setup.suites.has(suite)) return `TLS 1.3 cipher suite ${suite} is not in tls-ciphersuites`;
  }
  return null;
}
