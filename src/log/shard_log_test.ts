import { describe, expect, test, beforeEach, afterEach } from "bun:test";
import { mkdtempSync, rmSync, appendFileSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogRing, Doorbell, createDoorbell } from "./ring.ts";
import { Replicator, SegmentWriter, listSegments, recoverShard, removeSegmentsThrough } from "./shard_log.ts";
import { Op, encodeRecord, recordBytes, type LogRecord } from "./record.ts";
import { LogCorruption } from "./file.ts";
import { StaticKeyProvider } from "./keys.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function append(ring: LogRing, payload: string): bigint {
  const p = te.encode(payload);
  const n = recordBytes(p.length);
  const at = ring.reserve(n);
  const lsn = ring.takeLsn();
  encodeRecord(ring.u8, at, lsn, 1, Op.put, p);
  ring.commit(n, lsn);
  ring.publish(); // a worker does this at the end of its loop turn
  return lsn;
}

describe("shard log", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-shardlog-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setup(shards: number, ringBytes: number, segmentBytes: number, keys: StaticKeyProvider | null = null) {
    const bell = createDoorbell();
    const rings = Array.from({ length: shards }, () => new LogRing(LogRing.create(ringBytes), bell));
    const writers = rings.map((_, s) => new SegmentWriter(dir, s, keys, segmentBytes));
    return { rings, writers, rep: new Replicator(rings, writers, new Doorbell(bell)) };
  }

  for (const encrypted of [false, true]) {
    test(`records survive rounds, wrap-around and segment rolls (${encrypted ? "encrypted" : "plain"})`, () => {
      let keys: StaticKeyProvider | null = null;
      if (encrypted) {
        keys = new StaticKeyProvider();
        keys.add("m", new Uint8Array(32).fill(3));
      }
      const { rings, writers, rep } = setup(2, 1 << 12, 2000, keys);
      const want: string[][] = [[], []];
      for (let i = 0; i < 400; i++) {
        const s = i % 2;
        const v = `k${i}:${"v".repeat(i % 97)}`;
        append(rings[s], v);
        want[s].push(v);
        if (i % 7 === 0) rep.round(); // keeps the 4 KiB rings from filling
        expect(rings[s].durableLsn()).toBeLessThanOrEqual(rings[s].appendedLsn());
      }
      rep.round();
      for (const r of rings) expect(r.durableLsn()).toBe(r.appendedLsn());
      for (const w of writers) w.close();
      expect(listSegments(dir, 0).length).toBeGreaterThan(3);
      for (let s = 0; s < 2; s++) {
        const got: string[] = [];
        const res = recoverShard(dir, s, keys, 0n, (r: LogRecord) => got.push(td.decode(r.payload)));
        expect(got).toEqual(want[s]);
        expect(res.nextLsn).toBe(BigInt(want[s].length + 1));
        expect(res.tornBytes).toBe(0);
      }
    });
  }

  test("a record larger than half the ring grows it and fits after a wrap-around (no deadlock)", () => {
    const { rings, writers, rep } = setup(1, 1 << 12, 1 << 20);
    append(rings[0], "x".repeat(3000)); // head ends up well past the middle
    rep.round();
    const big = "y".repeat(3500); // > half the 4 KiB ring: needs the wrap-around and a bigger ring
    append(rings[0], big);
    expect(rings[0].capacity).toBeGreaterThanOrEqual(2 * 3500);
    rep.round();
    append(rings[0], "z".repeat(5000)); // and again, from wherever the head is now
    rep.round();
    writers[0].close();
    const got: string[] = [];
    recoverShard(dir, 0, null, 0n, (r) => got.push(td.decode(r.payload)));
    expect(got).toEqual(["x".repeat(3000), big, "z".repeat(5000)]);
  });

  test("a newest segment cut inside its header (crash while creating it) is removed, not fatal", () => {
    const { rings, writers, rep } = setup(1, 1 << 16, 1 << 20);
    for (let i = 0; i < 5; i++) append(rings[0], `v${i}`);
    rep.round();
    writers[0].close();
    const next = join(dir, "shard-0", "seg-00000000000000000006.log");
    writeFileSync(next, new Uint8Array([0x4d, 0x4b, 0x4c, 0x4f])); // 4 bytes of a header
    let n = 0;
    const res = recoverShard(dir, 0, null, 0n, () => n++);
    expect(n).toBe(5);
    expect(res.nextLsn).toBe(6n);
    expect(res.tornBytes).toBe(4);
    expect(listSegments(dir, 0).length).toBe(1);
    // The same damage in a segment that is not the newest stays fatal.
    writeFileSync(next, new Uint8Array([0x4d, 0x4b]));
    writeFileSync(join(dir, "shard-0", "seg-00000000000000000007.log"), new Uint8Array(0));
    expect(() => recoverShard(dir, 0, null, 0n, () => {})).toThrow(LogCorruption);
  });

  test("recovery skips records covered by a snapshot and removes old segments", () => {
    const { rings, writers, rep } = setup(1, 1 << 16, 1500);
    for (let i = 0; i < 200; i++) {
      append(rings[0], `r${i}`);
      if (i % 10 === 9) rep.round();
    }
    rep.round();
    writers[0].close();
    const before = listSegments(dir, 0).length;
    const got: bigint[] = [];
    recoverShard(dir, 0, null, 150n, (r) => got.push(r.lsn));
    expect(got[0]).toBe(151n);
    expect(got.length).toBe(50);
    const removed = removeSegmentsThrough(dir, 0, 150n);
    expect(removed).toBeGreaterThan(0);
    expect(listSegments(dir, 0).length).toBe(before - removed);
    const again: bigint[] = [];
    recoverShard(dir, 0, null, 150n, (r) => again.push(r.lsn));
    expect(again).toEqual(got);
  });

  test("a torn tail is cut; a gap or a damaged older segment stops recovery", () => {
    const { rings, writers, rep } = setup(1, 1 << 16, 1 << 20);
    for (let i = 0; i < 30; i++) {
      append(rings[0], `value-${i}`);
      rep.round();
    }
    writers[0].close();
    const seg = listSegments(dir, 0)[0].path;
    const size = statSync(seg).size;
    appendFileSync(seg, new Uint8Array([40, 0, 0, 0, 1, 2, 3])); // a frame cut short
    let n = 0;
    const res = recoverShard(dir, 0, null, 0n, () => n++);
    expect(n).toBe(30);
    expect(res.tornBytes).toBe(7);
    expect(statSync(seg).size).toBe(size);
    // Damage in the middle of the only segment (valid frames follow): refuse, naming file and offset.
    const bytes = readFileSync(seg);
    bytes[200] ^= 0xff;
    writeFileSync(seg, bytes);
    expect(() => recoverShard(dir, 0, null, 0n, () => {})).toThrow(LogCorruption);
    expect(() => recoverShard(dir, 0, null, 0n, () => {})).toThrow(new RegExp(`${seg}: .* at offset \\d+`));
  });

  test("a full ring makes the producer wait for the replicator (backpressure)", async () => {
    const bell = createDoorbell();
    const ringSab = LogRing.create(1 << 12);
    const ring = new LogRing(ringSab, bell);
    const w = new SegmentWriter(dir, 0, null, 1 << 20);
    const rep = new Replicator([ring], [w], new Doorbell(bell));
    // A producer thread writes 2000 records of ~100 bytes through a 4 KiB ring.
    const code = `
      import { LogRing } from ${JSON.stringify(join(import.meta.dir, "ring.ts"))};
      import { Op, encodeRecord, recordBytes } from ${JSON.stringify(join(import.meta.dir, "record.ts"))};
      self.onmessage = (e) => {
        const ring = new LogRing(e.data.ring, e.data.bell);
        const p = new Uint8Array(80).fill(120);
        for (let i = 0; i < 2000; i++) {
          const n = recordBytes(p.length);
          const at = ring.reserve(n);
          const lsn = ring.takeLsn();
          encodeRecord(ring.u8, at, lsn, 1, Op.put, p);
          ring.commit(n, lsn);
        }
        self.postMessage("done");
      };`;
    const file = join(dir, "producer.ts");
    writeFileSync(file, code);
    const worker = new Worker(file);
    const done = new Promise((r) => (worker.onmessage = r));
    worker.postMessage({ ring: ringSab, bell });
    let finished = false;
    done.then(() => (finished = true));
    while (!finished || ring.durableLsn() < 2000n) {
      rep.round();
      await Bun.sleep(0);
    }
    worker.terminate();
    w.close();
    let n = 0;
    recoverShard(dir, 0, null, 0n, () => n++);
    expect(n).toBe(2000);
    expect(rep.rounds).toBeGreaterThan(10); // it could only progress in many small batches
  });
});
