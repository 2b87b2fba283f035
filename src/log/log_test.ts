import { describe, expect, test, beforeEach, afterEach } from "bun:test";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Op, opVersions, encodeRecord, decodeRecord, fillRecordCrcs, recordBytes } from "./record.ts";
import { SnapshotFormat, snapshotFormatVersion } from "./snapshot.ts";
import { decodeDelta, logDelta, recordKey } from "./effects.ts";
import { LogRing, createDoorbell } from "./ring.ts";
import { FileKeyProvider, StaticKeyProvider, KeyError, newDataKey } from "./keys.ts";
import { FileKind, FrameWriter, LogCorruption, readFrames } from "./file.ts";

const te = new TextEncoder();

function rec(lsn: number, payload: string, op: number = Op.put): Uint8Array {
  const p = te.encode(payload);
  const b = new Uint8Array(recordBytes(p.length));
  encodeRecord(b, 0, BigInt(lsn), 7, op, p);
  return b;
}

describe("record format", () => {
  test("opcodes and versions are frozen (append only)", () => {
    // Changing a number here breaks every log on disk: add new opcodes instead.
    expect(Op).toEqual({ noop: 0, put: 1, del: 2, expire: 3, evict: 4, setExpire: 5, flush: 6, swapDb: 7, rename: 8, delta: 9, snapshotEnd: 10 });
    expect(opVersions).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1 });
    expect(SnapshotFormat).toEqual({ v1: 1, perKeyLsn: 2 });
    expect(snapshotFormatVersion).toBe(2);
  });

  test("delta payload golden bytes and round trip", () => {
    const ring = new LogRing(LogRing.create(1 << 16), createDoorbell());
    const argv = ["HSET", "k", "f", "v"].map((a) => new TextEncoder().encode(a));
    const lsn = logDelta(ring, 3, 2, argv[1], argv);
    ring.publish(); // a worker does this at the end of its loop turn
    const taken = ring.take(1 << 16)!;
    const bytes = new Uint8Array(taken.bytes);
    let at = 0;
    for (const p of taken.pieces) {
      bytes.set(p, at);
      at += p.length;
    }
    fillRecordCrcs(bytes);
    const d = decodeRecord(bytes, 0);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.record.lsn).toBe(lsn);
    expect(d.record.op).toBe(Op.delta);
    // db 2, keyLen 1, "k", argc 4, then (len, bytes) per argument
    expect(Buffer.from(d.record.payload).toString("hex")).toBe(
      "02" + "01000000" + "6b" + "04000000" + "04000000" + "48534554" + "01000000" + "6b" + "01000000" + "66" + "01000000" + "76",
    );
    const e = decodeDelta(d.record.payload);
    expect(e.db).toBe(2);
    expect(new TextDecoder().decode(e.key)).toBe("k");
    expect(e.argv.map((a) => new TextDecoder().decode(a))).toEqual(["HSET", "k", "f", "v"]);
    expect(recordKey(Op.delta, d.record.payload)).toEqual({ db: 2, key: e.key });
  });

  test("golden bytes", () => {
    const b = rec(0x0102030405, "ab", Op.del);
    expect(Buffer.from(b).toString("hex")).toBe(
      // len=22, crc, lsn, epoch 7, op 2, version 1, "ab"
      "16000000" + Buffer.from(b.subarray(4, 8)).toString("hex") + "0504030201000000" + "07000000" + "0200" + "0100" + "6162",
    );
    expect(Buffer.from(b.subarray(4, 8)).toString("hex")).toBe("a238c282");
  });

  test("round trip and damage detection", () => {
    const b = rec(42, "hello world");
    const r = decodeRecord(b, 0);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.record.lsn).toBe(42n);
      expect(r.record.epoch).toBe(7);
      expect(r.record.op).toBe(Op.put);
      expect(new TextDecoder().decode(r.record.payload)).toBe("hello world");
      expect(r.end).toBe(b.length);
    }
    for (let i = 0; i < b.length; i++) {
      const c = b.slice();
      c[i] ^= 0x10;
      const d = decodeRecord(c, 0);
      expect(d.ok).toBe(false);
    }
    expect(decodeRecord(b.subarray(0, b.length - 1), 0)).toEqual({ ok: false, reason: "truncated", at: 0 });
  });
});

describe("keys", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-keys-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("key file is created 0600, rotation keeps old keys", () => {
    const path = join(dir, "master.key");
    const p = new FileKeyProvider(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const id1 = p.currentId();
    const dk = newDataKey();
    const w1 = p.wrap(id1, dk);
    const id2 = p.rotate();
    expect(id2).not.toBe(id1);
    expect(p.currentId()).toBe(id2);
    const again = new FileKeyProvider(path);
    expect(again.currentId()).toBe(id2);
    expect(again.unwrap(id1, w1)).toEqual(dk);
  });

  test("tampered wrap and unknown key are refused", () => {
    const p = new StaticKeyProvider();
    p.add("a", new Uint8Array(32).fill(1));
    const w = p.wrap("a", newDataKey());
    w[20] ^= 1;
    expect(() => p.unwrap("a", w)).toThrow(KeyError);
    expect(() => p.unwrap("b", w)).toThrow(/not available/);
  });

  test("a key file readable by others is refused", () => {
    const path = join(dir, "open.key");
    writeFileSync(path, `k1 ${"ab".repeat(32)}\n`, { mode: 0o644 });
    expect(() => new FileKeyProvider(path)).toThrow(/accessible by others/);
  });
});

describe("frame files", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-frames-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(path: string, keys: StaticKeyProvider | null, frames: number): number[] {
    const w = FrameWriter.create(path, FileKind.segment, 3, 100n, keys);
    const ends: number[] = [];
    for (let i = 0; i < frames; i++) {
      w.append(rec(100 + i, `value-${i}-${"x".repeat(i * 10)}`));
      ends.push(w.size);
    }
    w.sync();
    w.close();
    return ends;
  }

  for (const encrypted of [false, true]) {
    const mkKeys = () => {
      if (!encrypted) return null;
      const k = new StaticKeyProvider();
      k.add("m1", new Uint8Array(32).fill(9));
      return k;
    };
    const label = encrypted ? "encrypted" : "plain";

    test(`${label}: write and read back`, () => {
      const path = join(dir, "seg");
      const keys = mkKeys();
      write(path, keys, 5);
      const r = readFrames(path, keys);
      expect(r.torn).toBe(false);
      expect(r.header.shard).toBe(3);
      expect(r.header.lsn).toBe(100n);
      expect(r.header.encrypted).toBe(encrypted);
      expect(r.bodies.length).toBe(5);
      for (let i = 0; i < 5; i++) {
        const d = decodeRecord(r.bodies[i], 0);
        expect(d.ok && d.record.lsn).toBe(BigInt(100 + i));
      }
      if (encrypted) expect(readFileSync(path).includes(Buffer.from("value-3"))).toBe(false);
    });

    test(`${label}: a preallocated segment reads to a clean end; a torn frame inside the zeros is torn; close cuts the zeros`, () => {
      const path = join(dir, "seg");
      const keys = mkKeys();
      const w = FrameWriter.create(path, FileKind.segment, 3, 100n, keys);
      w.preallocate(4096);
      const ends: number[] = [];
      for (let i = 0; i < 3; i++) {
        w.append(rec(100 + i, `value-${i}`));
        ends.push(w.size);
      }
      w.sync();
      // While open: the file holds zeros after its frames, and reads as complete, not torn.
      expect(statSync(path).size).toBeGreaterThan(ends[2]);
      let r = readFrames(path, keys);
      expect(r.torn).toBe(false);
      expect(r.zeroTail).toBe(true);
      expect(r.validEnd).toBe(ends[2]);
      expect(r.bodies.length).toBe(3);
      // A frame cut short inside the preallocated zeros (its fdatasync never returned) is a torn tail.
      const bytes = readFileSync(path);
      const cut = Buffer.from(bytes);
      cut.fill(0, ends[1] + Math.floor((ends[2] - ends[1]) / 2), ends[2]);
      writeFileSync(join(dir, "cut"), cut);
      r = readFrames(join(dir, "cut"), keys);
      expect(r.torn).toBe(true);
      expect(r.validEnd).toBe(ends[1]);
      w.close();
      expect(statSync(path).size).toBe(ends[2]);
      r = readFrames(path, keys);
      expect(r.torn || r.zeroTail).toBe(false);
      expect(r.bodies.length).toBe(3);
    });

    test(`${label}: truncation anywhere in the last frame is a torn tail`, () => {
      const path = join(dir, "seg");
      const keys = mkKeys();
      const ends = write(path, keys, 4);
      for (let cut = ends[2] + 1; cut < ends[3]; cut += 7) {
        const p2 = join(dir, `cut-${cut}`);
        writeFileSync(p2, readFileSync(path).subarray(0, cut));
        const r = readFrames(p2, keys);
        expect(r.torn).toBe(true);
        expect(r.validEnd).toBe(ends[2]);
        expect(r.bodies.length).toBe(3);
      }
    });

    test(`${label}: a zeroed tail is torn, a flipped byte before valid frames is corruption`, () => {
      const path = join(dir, "seg");
      const keys = mkKeys();
      const ends = write(path, keys, 4);
      const bytes = readFileSync(path);
      const zeroed = Buffer.from(bytes);
      zeroed.fill(0, ends[2] + 3);
      writeFileSync(path, zeroed);
      let r = readFrames(path, keys);
      expect(r.torn).toBe(true);
      expect(r.validEnd).toBe(ends[2]);
      const flipped = Buffer.from(bytes);
      flipped[ends[0] + 12] ^= 0x40; // inside frame 1, frames 2 and 3 follow
      writeFileSync(path, flipped);
      expect(() => readFrames(path, keys)).toThrow(LogCorruption);
      try {
        readFrames(path, keys);
      } catch (e) {
        expect((e as Error).message).toContain(`${path}: frame checksum mismatch at offset ${ends[0]}`);
      }
      // Flipping the last frame's body with nothing after it cannot be told from a torn write.
      const lastFlip = Buffer.from(bytes);
      lastFlip[ends[3] - 2] ^= 1;
      writeFileSync(path, lastFlip);
      r = readFrames(path, keys);
      expect(r.torn).toBe(true);
      expect(r.validEnd).toBe(ends[2]);
    });
  }

  test("encrypted: wrong master key and tampered frames are refused", () => {
    const path = join(dir, "seg");
    const k1 = new StaticKeyProvider();
    k1.add("m1", new Uint8Array(32).fill(9));
    const ends = write(path, k1, 3);
    const other = new StaticKeyProvider();
    other.add("m1", new Uint8Array(32).fill(8));
    expect(() => readFrames(path, other)).toThrow(/does not unwrap/);
    expect(() => readFrames(path, null)).toThrow(/encrypted/);
    // Tamper with ciphertext and fix the CRC: only GCM can tell.
    const bytes = Buffer.from(readFileSync(path));
    const at = ends[0];
    bytes[at + 8 + 3] ^= 1;
    const { crc32c } = require("../../native-free/crc32c.ts");
    const len = bytes.readUInt32LE(at);
    bytes.writeUInt32LE(crc32c(bytes, crc32c(bytes, 0, at, at + 4), at + 8, at + 8 + len), at + 4);
    writeFileSync(path, bytes);
    expect(() => readFrames(path, k1)).toThrow(/fails authentication/);
  });

  test("header damage is corruption, not a torn tail", () => {
    const path = join(dir, "seg");
    write(path, null, 2);
    const bytes = Buffer.from(readFileSync(path));
    bytes[17] ^= 1;
    writeFileSync(path, bytes);
    expect(() => readFrames(path, null)).toThrow(/header checksum mismatch/);
    truncateSync(path, 10);
    expect(() => readFrames(path, null)).toThrow(/shorter than its header/);
  });
});
