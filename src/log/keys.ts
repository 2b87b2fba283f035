// Encryption at rest: master keys, data keys, AES-256-GCM.
//
// Every sealed file (log segment, snapshot) gets its own random 256-bit data key; the file header
// stores it wrapped (AES-256-GCM) under a master key named by id. A KeyProvider holds the master
// keys: the default reads a key file, a KMS would implement the same three calls. Rotation adds a
// master key and makes it current: new files use it, old files name theirs and stay readable for as
// long as the provider still has it.
//
// Key file format: one key per line, `<id> <64 hex digits>`; the last line is the current key. The
// file is created with mode 0600 when missing; a key file readable by group or others is refused.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync, appendFileSync } from "node:fs";

export const dataKeyBytes = 32;
const nonceBytes = 12;
const tagBytes = 16;
export const sealOverheadBytes = tagBytes;

export class KeyError extends Error {}

export interface KeyProvider {
  /** Id of the master key new files are sealed with. */
  currentId(): string;
  /** Wraps a data key under master key `id`. */
  wrap(id: string, dataKey: Uint8Array): Uint8Array;
  /** Unwraps a data key; throws KeyError when the key is unknown or the bytes were tampered with. */
  unwrap(id: string, wrapped: Uint8Array): Uint8Array;
}

/** AES-256-GCM: returns ciphertext || tag. `nonce` must never repeat for one key. */
export function sealBytes(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(aad);
  const head = c.update(plain);
  const tail = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + tag.length);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
}

/** Inverse of sealBytes; null when authentication fails (tampered bytes, wrong key, wrong aad). */
export function openBytes(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < tagBytes) return null;
  try {
    const d = createDecipheriv("aes-256-gcm", key, nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - tagBytes));
    const head = d.update(sealed.subarray(0, sealed.length - tagBytes));
    const tail = d.final();
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  } catch {
    return null;
  }
}

export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(dataKeyBytes));
}

const wrapAad = new TextEncoder().encode("memkeep data key v1");

/** Master keys held in memory (the file provider loads them; tests use it directly). */
export class StaticKeyProvider implements KeyProvider {
  protected keys = new Map<string, Uint8Array>();
  protected current = "";

  add(id: string, key: Uint8Array): void {
    if (key.length !== dataKeyBytes) throw new KeyError(`master key '${id}' must be 32 bytes`);
    this.keys.set(id, key);
    this.current = id;
  }
  currentId(): string {
    if (this.current === "") throw new KeyError("no master key");
    return this.current;
  }
  wrap(id: string, dataKey: Uint8Array): Uint8Array {
    const mk = this.keys.get(id);
    if (mk === undefined) throw new KeyError(`unknown master key '${id}'`);
    const nonce = new Uint8Array(randomBytes(nonceBytes));
    const sealed = sealBytes(mk, nonce, dataKey, wrapAad);
    const out = new Uint8Array(nonceBytes + sealed.length);
    out.set(nonce, 0);
    out.set(sealed, nonceBytes);
    return out;
  }
  unwrap(id: string, wrapped: Uint8Array): Uint8Array {
    const mk = this.keys.get(id);
    if (mk === undefined) throw new KeyError(`master key '${id}' is not available (wrong or missing key file?)`);
    const key = openBytes(mk, wrapped.subarray(0, nonceBytes), wrapped.subarray(nonceBytes), wrapAad);
    if (key === null || key.length !== dataKeyBytes) throw new KeyError(`data key does not unwrap with master key '${id}' (wrong key or tampered file)`);
    return key;
  }
}

const lineRe = /^([A-Za-z0-9._-]{1,64}) ([0-9a-fA-F]{64})$/;

/** Master keys from a key file (created with one fresh key, mode 0600, when missing). */
export class FileKeyProvider extends StaticKeyProvider {
  constructor(readonly path: string) {
    super();
    if (!existsSync(path)) {
      writeFileSync(path, `${keyId()} ${Buffer.from(randomBytes(dataKeyBytes)).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600);
    }
    this.load();
  }

  private mtimeMs = 0;

  /** The current key; a key file rotated while the server runs is picked up for new files. */
  override currentId(): string {
    try {
      if (statSync(this.path).mtimeMs !== this.mtimeMs) this.load();
    } catch {
      // keep the keys already loaded
    }
    return super.currentId();
  }

  override unwrap(id: string, wrapped: Uint8Array): Uint8Array {
    if (!this.keys.has(id)) {
      try {
        this.load();
      } catch {
        // report the unknown key below
      }
    }
    return super.unwrap(id, wrapped);
  }

  private load(): void {
    const st = statSync(this.path);
    this.mtimeMs = st.mtimeMs;
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) throw new KeyError(`key file ${this.path} is accessible by others (mode ${mode.toString(8)}); chmod 600 it`);
    const lines = readFileSync(this.path, "utf8").split("\n");
    this.keys.clear();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === "" || line.startsWith("#")) continue;
      const m = lineRe.exec(line);
      if (m === null) throw new KeyError(`key file ${this.path} line ${i + 1}: expected '<id> <64 hex digits>'`);
      this.add(m[1], new Uint8Array(Buffer.from(m[2], "hex")));
    }
    if (this.keys.size === 0) throw new KeyError(`key file ${this.path} holds no key`);
  }

  /** Adds a fresh master key and makes it current (old files stay readable). Returns its id. */
  rotate(): string {
    const id = keyId();
    appendFileSync(this.path, `${id} ${Buffer.from(randomBytes(dataKeyBytes)).toString("hex")}\n`);
    this.load();
    return id;
  }
}

function keyId(): string {
  return `k${Date.now().toString(36)}${Buffer.from(randomBytes(3)).toString("hex")}`;
}
