// Makes a private certificate authority and certificates signed by it, for development and tests:
//
//   bun scripts/dev-certs.ts [out-dir]        (default: ./tls)
//
// Writes into out-dir (created if missing; existing files are replaced):
//   ca.crt ca.key                 the private CA (self-signed, 10 years)
//   server.crt server.key         server certificate for localhost, 127.0.0.1 and ::1 (serverAuth)
//   server2.crt server2.key       a second server certificate (same names): for reload tests
//   server-pass.key               server.key encrypted with the passphrase "memkeep-dev" (tls-key-file-pass)
//   client.crt client.key         client certificate, CN=memkeep-client (clientAuth)
//   other-ca.crt other-client.crt other-client.key
//                                 a second CA and a client certificate it signed: one the server must refuse
//
// Then, for example:
//   bun src/main.ts --port 0 --tls-port 6380 --tls-cert-file tls/server.crt \
//     --tls-key-file tls/server.key --tls-ca-cert-file tls/ca.crt
//   redis-cli -p 6380 --tls --cacert tls/ca.crt --cert tls/client.crt --key tls/client.key PING
//
// Keys are EC P-256 (fast handshakes). Requires the openssl command (scripts/setup.sh installs it).
// The keys are for development only: never use them for anything you need to keep private.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const devKeyPassphrase = "memkeep-dev";

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed (${r.exitCode}):\n${r.stderr.toString()}`);
  }
}

function newKey(cwd: string, name: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name], cwd);
}

function makeCa(cwd: string, base: string, cn: string): void {
  newKey(cwd, `${base}.key`);
  openssl(["req", "-x509", "-new", "-key", `${base}.key`, "-sha256", "-days", "3650", "-subj", `/O=memkeep dev/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-out", `${base}.crt`], cwd);
}

/** A leaf certificate signed by ca (base name), with the given extensions. */
function makeLeaf(cwd: string, base: string, ca: string, cn: string, ext: string): void {
  newKey(cwd, `${base}.key`);
  openssl(["req", "-new", "-key", `${base}.key`, "-subj", `/O=memkeep dev/CN=${cn}`, "-out", `${base}.csr`], cwd);
  writeFileSync(join(cwd, `${base}.ext`), ext);
  openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-days", "3650", "-sha256", "-extfile", `${base}.ext`, "-out", `${base}.crt`], cwd);
  rmSync(join(cwd, `${base}.csr`));
  rmSync(join(cwd, `${base}.ext`));
}

const serverExt = [
  "basicConstraints=CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
  "",
].join("\n");
const clientExt = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth", ""].join("\n");

/** Writes the full set of development certificates into dir; returns its absolute path. */
export function makeDevCerts(dir: string): string {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  makeCa(out, "ca", "memkeep dev CA");
  makeLeaf(out, "server", "ca", "localhost", serverExt);
  makeLeaf(out, "server2", "ca", "localhost", serverExt);
  openssl(["pkey", "-in", "server.key", "-aes256", "-passout", `pass:${devKeyPassphrase}`, "-out", "server-pass.key"], out);
  makeLeaf(out, "client", "ca", "memkeep-client", clientExt);
  makeCa(out, "other-ca", "memkeep untrusted CA");
  makeLeaf(out, "other-client", "other-ca", "memkeep-untrusted-client", clientExt);
  for (const f of ["ca.srl", "other-ca.srl"]) rmSync(join(out, f), { force: true });
  return out;
}

if (import.meta.main) {
  const dir = makeDevCerts(process.argv[2] ?? "tls");
  console.log(`development certificates written to ${dir}`);
}
