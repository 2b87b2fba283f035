// Unit tests of the ACL log's rules (Redis 7.0's addACLLogEntry) and of the owner's time ordering of
// denials that arrive out of order from other workers.

import { describe, expect, test } from "bun:test";
import { type AclLogEntry, AclLog, recordInto } from "./log.ts";

function denial(object: string, at: number, count = 1, reason = "key"): AclLogEntry {
  return { count, reason, context: "toplevel", object, username: "u", at, clientInfo: `ci-${at}` };
}

const objects = (l: readonly AclLogEntry[]) => l.map((e) => `${e.object}:${e.count}`);

describe("recordInto (Redis 7.0's rules)", () => {
  test("a repeat within 60 s of the last update groups, takes the new client-info and moves to the head", () => {
    const log: AclLogEntry[] = [];
    recordInto(log, denial("a", 0), 128);
    recordInto(log, denial("b", 1_000), 128);
    recordInto(log, denial("a", 59_000), 128);
    expect(objects(log)).toEqual(["a:2", "b:1"]);
    expect(log[0].clientInfo).toBe("ci-59000");
    recordInto(log, denial("a", 118_000), 128); // 59 s after the last update: still the same entry
    expect(objects(log)).toEqual(["a:3", "b:1"]);
    recordInto(log, denial("a", 178_001), 128); // more than 60 s: a new entry
    expect(objects(log)).toEqual(["a:1", "a:3", "b:1"]);
  });

  test("only the 10 newest entries are compared; reason, context and username must match too", () => {
    const log: AclLogEntry[] = [];
    for (let i = 0; i < 11; i++) recordInto(log, denial(`k${i}`, i), 128);
    recordInto(log, denial("k0", 20), 128);
    expect(log.length).toBe(12);
    recordInto(log, denial("k5", 21, 1, "command"), 128);
    expect(log.length).toBe(13);
  });

  test("the length is trimmed when a new entry comes, not on a repeat", () => {
    const log: AclLogEntry[] = [];
    for (let i = 0; i < 5; i++) recordInto(log, denial(`k${i}`, i), 128);
    recordInto(log, denial("k4", 10), 2);
    expect(log.length).toBe(5);
    recordInto(log, denial("n", 11), 2);
    expect(objects(log)).toEqual(["n:1", "k4:2"]);
  });
});

describe("AclLog across workers", () => {
  test("denials are applied in time order whatever order they arrive in", () => {
    const inOrder = new AclLog();
    const shuffled = new AclLog();
    const ds = Array.from({ length: 40 }, (_, i) => denial(`k${i % 13}`, 1_000 + i));
    for (const d of ds) inOrder.add({ ...d });
    const perm = [...ds].sort((a, b) => ((a.at * 7919) % 40) - ((b.at * 7919) % 40));
    for (const d of perm) shuffled.receive({ ...d }, 1_100);
    expect(objects(shuffled.view(100))).toEqual(objects(inOrder.entries));
    // Settling (after settleMs) gives the same log as the view did.
    shuffled.receive(denial("late", 9_000), 9_000);
    expect(objects(shuffled.view(100)).slice(1)).toEqual(objects(inOrder.entries));
  });

  test("a reset drops denials stamped before it that arrive after it", () => {
    const log = new AclLog();
    log.receive(denial("a", 10), 10);
    log.reset(20);
    log.receive(denial("b", 15), 25);
    log.receive(denial("c", 30), 30);
    expect(objects(log.view(10))).toEqual(["c:1"]);
  });

  test("a denial is applied with the acllog-max-len in force when it happened", () => {
    const log = new AclLog();
    for (let i = 1; i <= 5; i++) log.receive(denial(`k${i}`, i), i);
    log.setMaxLen(2, 10);
    expect(log.view(100).length).toBe(5);
    log.receive(denial("n", 11), 11);
    expect(objects(log.view(100))).toEqual(["n:1", "k5:1"]);
  });

  test("a view is a copy", () => {
    const log = new AclLog();
    log.add(denial("a", 1));
    log.view(1)[0].count = 99;
    expect(log.entries[0].count).toBe(1);
  });
});
