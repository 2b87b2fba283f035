// The per-key LSN rule that keeps delta records exact under fuzzy snapshots (src/log/recovery.ts),
// in process: a "primary" keyspace runs commands through their handlers (DeltaReplayer.run) and logs
// what the server's log hook would (a put for small values, a delta for large ones) while a snapshot
// walks the table; recovery into a second keyspace must give the same digest.

import { describe, expect, test, beforeEach, afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../commands/groups.ts";
import { Keyspace, createKeyspaceBuffers } from "../keyspace/keyspace.ts";
import { ObjEnc, hashKey } from "../keyspace/table.ts";
import { typeOps } from "../types/registry.ts";
import { LogRing, Doorbell, createDoorbell, publishRings } from "./ring.ts";
import { Replicator, SegmentWriter } from "./shard_log.ts";
import { logDel, logDelta, logPut, valueIsLarge } from "./effects.ts";
import { Op, type LogRecord } from "./record.ts";
import { FileKind, FrameWriter, readFrames } from "./file.ts";
import { latestSnapshot, writeSnapshot } from "./snapshot.ts";
import { recoverShardState } from "./recovery.ts";
import { applyRecord } from "./apply.ts";
import { DeltaReplayer } from "./replay.ts";

const te = new TextEncoder();
const td = new TextDecoder("latin1");

/** "db|key|type|expireAt|serialized value" of every key, sorted. */
function digest(ks: Keyspace): string[] {
  const out: string[] = [];
  for (const t of ks.tables) {
    let c = 0;
    do {
      c = t.scanStep(c, (slot) => {
        const ops = typeOps[t.type(slot)];
        const ser = ops?.serialize?.(t.arena, t.valueOffset(slot), t.valueLen(slot), t.encoding(slot)) ?? null;
        const v = ser ?? t.valueView(slot);
        out.push(`${t.db(slot)}|${td.decode(t.keyCopy(slot))}|${t.type(slot)}|${t.expireAt(slot)}|${Bun.hash(v)}`);
      });
    } while (c !== 0);
  }
  return out.sort();
}

class Primary {
  ks = new Keyspace(createKeyspaceBuffers(1, 16));
  bell = createDoorbell();
  ring = new LogRing(LogRing.create(1 << 22), this.bell);
  exec = new DeltaReplayer(this.ks, null);
  deltas = 0;
  constructor() {
    this.ks.lockAll();
  }
  /** Runs a command and logs its effect on `key` as the server's log hook does. */
  run(...args: string[]): void {
    const argv = args.map((a) => te.encode(a));
    const key = argv[1];
    if (args[0] === "SET") this.ks.setString(0, key, argv[2], ObjEnc.raw, 0);
    else if (args[0] === "DEL") {
      const slot = this.ks.lookup(0, key);
      if (slot >= 0) this.ks.deleteSlot(this.ks.t, slot);
    } else this.exec.run(0n, 0, key, argv);
    const t = this.ks.tables[0];
    const slot = t.find(0, key, hashKey(key));
    if (slot < 0) logDel(this.ring, 1, Op.del, 0, key);
    else if (valueIsLarge(t, slot)) {
      logDelta(this.ring, 1, 0, key, argv);
      this.deltas++;
    } else logPut(this.ring, 1, t, slot);
  }
}

describe("recovery with delta records and per-key snapshot LSNs", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-delta-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function scenario(): { p: Primary; close: () => void } {
    const p = new Primary();
    const writers = [new SegmentWriter(dir, 0, null, 64 << 10)];
    const rep = new Replicator([p.ring], writers, new Doorbell(p.bell));
    for (let i = 0; i < 3000; i++) p.run("SET", `filler:${i}`, `${i}`);
    for (let i = 0; i < 400; i++) p.run("HSET", "big", `f${i}`, `v${i}`);
    for (let i = 0; i < 300; i++) p.run("RPUSH", "list", `e${i}`);
    publishRings(); // the end of a worker turn
    rep.round();
    let n = 0;
    const snap = writeSnapshot(p.ks, 0, dir, null, {
      lock: () => {},
      unlock: () => {},
      appendedLsn: () => p.ring.appendedLsn(),
      between: () => {
        // Deltas while the walk runs: before and after each big key's visit.
        for (let j = 0; j < 3; j++, n++) {
          p.run("HSET", "big", `w${n % 50}`, `${n}`);
          p.run("HINCRBY", "big", "counter", "1");
          p.run("RPUSH", "list", `late${n}`);
          p.run("LPOP", "list");
          // A big key deleted and rebuilt during the walk (absent at some moment).
          if (n % 40 === 0) {
            p.run("DEL", "gone");
            for (let i = 0; i < 200; i++) p.run("HSET", "gone", `g${i}`, `${n}`);
          }
          p.run("SET", `filler:${n % 3000}`, `late${n}`);
        }
        publishRings(); // the end of a worker turn
        rep.round();
      },
    });
    expect(snap.maxLsn).toBeGreaterThan(snap.lsn);
    for (let j = 0; j < 20; j++) {
      p.run("HSET", "big", `after${j}`, "x");
      p.run("RPUSH", "list", `after${j}`);
    }
    publishRings(); // the end of a worker turn
    rep.round();
    expect(p.deltas).toBeGreaterThan(100);
    return { p, close: () => writers[0].close() };
  }

  test("snapshot walked while deltas land + log tail recovers exactly; records covered by a key's image are skipped", () => {
    const { p, close } = scenario();
    close();
    const want = digest(p.ks);
    const ks2 = new Keyspace(createKeyspaceBuffers(1, 16));
    ks2.lockAll();
    const r = recoverShardState(ks2, dir, 0, null, new DeltaReplayer(ks2, null));
    expect(r.skipped).toBeGreaterThan(0);
    expect(digest(ks2)).toEqual(want);
  });

  test("without the per-key rule the same log double-applies deltas (the rule is what makes it exact)", () => {
    const { p, close } = scenario();
    close();
    const want = digest(p.ks);
    const ks2 = new Keyspace(createKeyspaceBuffers(1, 16));
    ks2.lockAll();
    const snap = latestSnapshot(dir, 0)!;
    // Format-1 reading of the same file: every key at the snapshot LSN.
    const v1 = join(dir, "v1.mks");
    const r = readFrames(snap.path, null);
    const w = FrameWriter.create(v1, FileKind.snapshot, 0, r.header.lsn, null);
    for (let i = 0; i < r.bodies.length - 1; i++) w.append(r.bodies[i]); // drop the trailer frame
    w.close();
    rmSync(snap.path);
    const { renameSync } = require("node:fs") as typeof import("node:fs");
    renameSync(v1, snap.path);
    recoverShardState(ks2, dir, 0, null, new DeltaReplayer(ks2, null));
    expect(digest(ks2)).not.toEqual(want);
  });

  test("an old-format snapshot (no trailer, every key at S) still loads", () => {
    const p = new Primary();
    const writers = [new SegmentWriter(dir, 0, null, 64 << 10)];
    const rep = new Replicator([p.ring], writers, new Doorbell(p.bell));
    for (let i = 0; i < 300; i++) p.run("HSET", "big", `f${i}`, `v${i}`);
    publishRings(); // the end of a worker turn
    rep.round();
    writeSnapshot(p.ks, 0, dir, null, { lock: () => {}, unlock: () => {}, appendedLsn: () => p.ring.appendedLsn() });
    const snap = latestSnapshot(dir, 0)!;
    const r = readFrames(snap.path, null);
    rmSync(snap.path);
    const w = FrameWriter.create(snap.path, FileKind.snapshot, 0, r.header.lsn, null);
    for (let i = 0; i < r.bodies.length - 1; i++) w.append(r.bodies[i]);
    w.close();
    for (let i = 0; i < 30; i++) p.run("HSET", "big", `g${i}`, "x");
    publishRings(); // the end of a worker turn
    rep.round();
    writers[0].close();
    const ks2 = new Keyspace(createKeyspaceBuffers(1, 16));
    ks2.lockAll();
    const res = recoverShardState(ks2, dir, 0, null, new DeltaReplayer(ks2, null));
    expect(res.keys).toBe(1);
    expect(digest(ks2)).toEqual(digest(p.ks));
  });

  test("a delta on a key the recovering state does not hold is a no-op or creates it, never an error", () => {
    const ks = new Keyspace(createKeyspaceBuffers(1, 16));
    ks.lockAll();
    const rp = new DeltaReplayer(ks, null);
    const ring = new LogRing(LogRing.create(1 << 16), createDoorbell());
    const cmds = [
      ["HDEL", "h", "f"], ["LSET", "l", "0", "x"], ["LPOP", "l"], ["XDEL", "x", "1-1"], ["XACK", "x", "g", "1-1"],
      ["SREM", "s", "m"], ["ZREM", "z", "m"], ["LTRIM", "l", "0", "1"], ["XTRIM", "x", "MAXLEN", "=", "3"], ["HSET", "h", "f", "v"],
    ];
    for (const c of cmds) logDelta(ring, 1, 0, te.encode(c[1]), c.map((a) => te.encode(a)));
    publishRings();
    const taken = ring.take(1 << 16)!;
    const bytes = new Uint8Array(taken.bytes);
    let at = 0;
    for (const piece of taken.pieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
    const dv = new DataView(bytes.buffer);
    at = 0;
    while (at < bytes.length) {
      const len = dv.getUint32(at, true);
      const rec: LogRecord = { lsn: dv.getBigUint64(at + 8, true), epoch: 1, op: dv.getUint16(at + 20, true), version: 1, payload: bytes.subarray(at + 24, at + 4 + len) };
      applyRecord(ks, 0, rec, rp);
      at += 4 + len;
    }
    expect(digest(ks).map((l) => l.split("|").slice(0, 3).join("|"))).toEqual(["0|h|4"]);
  });

  test("a record naming a command that is not delta-able is refused, not run", () => {
    const ks = new Keyspace(createKeyspaceBuffers(1, 16));
    ks.lockAll();
    const rp = new DeltaReplayer(ks, null);
    expect(() => rp.run(5n, 0, te.encode("k"), ["FLUSHALL", "k"].map((a) => te.encode(a)))).toThrow(/not one that replays/);
    expect(() => rp.run(5n, 0, te.encode("k"), ["HSET", "other", "f", "v"].map((a) => te.encode(a)))).toThrow(/another key/);
  });
});
