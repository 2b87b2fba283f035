// Unit tests of the arena stream structure: ID order across nodes, forward and reverse ranges,
// node limits, exact and approximate trimming, deletion with tombstones and node release, the PEL,
// consumers and groups, exact memory accounting (free returns every byte), and deep clone.
// A plain array of [id, fields] is the model the structure is checked against.

import { describe, expect, test } from "bun:test";
import { Arena } from "../keyspace/arena.ts";
import {
  StreamId, StreamIter, cmpId, consumerCreate, consumerDelete, consumerFind, consumerPending, consumerPelId, consumerPelSearch, visitEntryFields,
  firstRecordedId, groupCreate, groupDestroy, groupFind, lastId, maxDeletedId,
  nodeCount, pelCount, pelId, pelInsert, pelRec, pelRemove, pelSearch, pelSetConsumer, streamAppend, streamClone,
  streamCreate, streamDelete, streamFree, streamLength, streamOwnedBytes, streamTrim, u64String,
} from "./stream.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function newArena(): Arena {
  return new Arena(Arena.create(1 << 20));
}
function id(ms: number, seq: number): StreamId {
  return new StreamId().setNum(ms, seq);
}
function add(a: Arena, h: number, i: StreamId, fields: string[], maxEntries = 100, maxBytes = 4096): void {
  expect(streamAppend(a, h, i, fields.map((f) => te.encode(f)), 0, fields.length, maxEntries, maxBytes)).toBe(true);
}
function readAll(a: Arena, h: number, start = id(0, 0), end = new StreamId().setMax(), rev = false): [string, string[]][] {
  const it = new StreamIter().init(a, h, start, end, rev);
  const out: [string, string[]][] = [];
  while (it.next()) {
    const fields: string[] = [];
    visitEntryFields(it, { field: (u8, start, end) => fields.push(td.decode(u8.slice(start, end))) });
    expect(fields.length).toBe(it.fieldCount() * 2);
    out.push([it.id.toString(), fields]);
  }
  return out;
}

describe("stream IDs", () => {
  test("order, increment and decrement carry across the 32-bit halves and u64 limits", () => {
    const a = id(1, 0xffffffff);
    expect(a.incr()).toBe(true);
    expect(a.toString()).toBe("1-4294967296");
    const m = new StreamId().set(0, 5, 0xffffffff, 0xffffffff);
    expect(m.incr()).toBe(true);
    expect(m.toString()).toBe("6-0");
    expect(m.decr()).toBe(true);
    expect(m.toString()).toBe("5-18446744073709551615");
    expect(new StreamId().setMax().incr()).toBe(false);
    expect(new StreamId().decr()).toBe(false);
    expect(cmpId(id(2, 0), id(1, 5))).toBe(1);
    expect(cmpId(id(1, 5), id(1, 5))).toBe(0);
    expect(u64String(0xffffffff, 0xffffffff)).toBe("18446744073709551615");
  });
});

describe("stream entries", () => {
  test("appends keep ID order across nodes; ranges forward and reverse match the model", () => {
    const a = newArena();
    const h = streamCreate(a);
    const model: [string, string[]][] = [];
    for (let i = 1; i <= 250; i++) {
      const fields = ["f", `v${i}`, ...(i % 3 === 0 ? ["g", "x".repeat(i)] : [])];
      const sid = id(1000 + Math.floor(i / 4), i % 4);
      add(a, h, sid, fields, 10, 4096);
      model.push([sid.toString(), fields]);
    }
    expect(streamLength(a, h)).toBe(250);
    expect(nodeCount(a, h)).toBe(25);
    expect(readAll(a, h)).toEqual(model);
    expect(readAll(a, h, id(0, 0), new StreamId().setMax(), true)).toEqual([...model].reverse());
    // A range inside one node and across nodes.
    const sub = model.filter(([s]) => {
      const [ms, seq] = s.split("-").map(Number);
      return (ms > 1010 || (ms === 1010 && seq >= 2)) && (ms < 1040 || (ms === 1040 && seq <= 1));
    });
    expect(readAll(a, h, id(1010, 2), id(1040, 1))).toEqual(sub);
    expect(readAll(a, h, id(1010, 2), id(1040, 1), true)).toEqual([...sub].reverse());
    expect(lastId(a, h, new StreamId()).toString()).toBe(model[249][0]);
  });

  test("a node is closed when it would pass stream-node-max-bytes", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 1; i <= 10; i++) add(a, h, id(i, 0), ["f", "y".repeat(100)], 0, 300);
    expect(nodeCount(a, h)).toBe(5); // two ~107-byte entries fit in 300 bytes, a third does not
    expect(readAll(a, h).length).toBe(10);
  });

  test("IDs beyond 2^53 and with large ms gaps round-trip", () => {
    const a = newArena();
    const h = streamCreate(a);
    const ids = [id(1, 1), new StreamId().set(0x10, 7, 0, 3), new StreamId().set(0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe)];
    for (const i of ids) add(a, h, i, ["a", "b"]);
    expect(readAll(a, h).map((e) => e[0])).toEqual(ids.map((i) => i.toString()));
  });

  test("delete leaves tombstones, frees an emptied node, tracks max-deleted and first ids", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 1; i <= 6; i++) add(a, h, id(i, 0), ["f", "v"], 3);
    expect(nodeCount(a, h)).toBe(2);
    expect(streamDelete(a, h, id(2, 0))).toBe(true);
    expect(streamDelete(a, h, id(2, 0))).toBe(false);
    expect(streamDelete(a, h, id(9, 0))).toBe(false);
    expect(streamDelete(a, h, id(1, 0))).toBe(true);
    expect(firstRecordedId(a, h, new StreamId()).toString()).toBe("3-0");
    expect(streamDelete(a, h, id(3, 0))).toBe(true);
    expect(nodeCount(a, h)).toBe(1);
    expect(maxDeletedId(a, h, new StreamId()).toString()).toBe("3-0");
    expect(firstRecordedId(a, h, new StreamId()).toString()).toBe("4-0");
    expect(readAll(a, h).map((e) => e[0])).toEqual(["4-0", "5-0", "6-0"]);
    expect(streamLength(a, h)).toBe(3);
  });
});

describe("stream trimming", () => {
  function build(n: number, perNode: number): [Arena, number] {
    const a = newArena();
    const h = streamCreate(a);
    for (let i = 1; i <= n; i++) add(a, h, id(i, 0), ["f", String(i)], perNode);
    return [a, h];
  }

  test("exact MAXLEN removes whole nodes then single entries", () => {
    const [a, h] = build(25, 10);
    expect(streamTrim(a, h, 12, null, false, 0)).toBe(13);
    expect(streamLength(a, h)).toBe(12);
    expect(readAll(a, h)[0][0]).toBe("14-0");
    expect(nodeCount(a, h)).toBe(2);
    expect(firstRecordedId(a, h, new StreamId()).toString()).toBe("14-0");
  });

  test("approximate MAXLEN removes only whole nodes, and LIMIT caps the removal", () => {
    const [a, h] = build(25, 10);
    expect(streamTrim(a, h, 12, null, true, 0)).toBe(10);
    expect(streamLength(a, h)).toBe(15);
    const [b, hb] = build(45, 10);
    expect(streamTrim(b, hb, 0, null, true, 25)).toBe(20);
    expect(streamLength(b, hb)).toBe(25);
  });

  test("MINID removes entries below the ID, exact and approximate", () => {
    const [a, h] = build(25, 10);
    expect(streamTrim(a, h, 0, id(15, 0), false, 0)).toBe(14);
    expect(readAll(a, h)[0][0]).toBe("15-0");
    const [b, hb] = build(25, 10);
    expect(streamTrim(b, hb, 0, id(15, 0), true, 0)).toBe(10);
  });

  test("trimming to zero empties the stream but keeps last id", () => {
    const [a, h] = build(7, 3);
    expect(streamTrim(a, h, 0, null, false, 0)).toBe(7);
    expect(nodeCount(a, h)).toBe(0);
    expect(firstRecordedId(a, h, new StreamId()).toString()).toBe("0-0");
    expect(lastId(a, h, new StreamId()).toString()).toBe("7-0");
  });
});

describe("consumer groups", () => {
  test("groups and consumers are kept sorted by name; PEL ordered by ID with pending counts", () => {
    const a = newArena();
    const h = streamCreate(a);
    for (const n of ["b", "a", "c"]) expect(groupCreate(a, h, te.encode(n), id(0, 0), -1)).toBeGreaterThan(0);
    expect(groupCreate(a, h, te.encode("a"), id(0, 0), -1)).toBe(0);
    const g = groupFind(a, h, te.encode("b"));
    expect(g).toBeGreaterThan(0);
    const c1 = consumerCreate(a, g, te.encode("zed"), 1);
    const c2 = consumerCreate(a, g, te.encode("amy"), 1);
    expect(consumerFind(a, g, te.encode("zed"))).toBe(c1);
    for (const [ms, c] of [[5, c1], [2, c2], [9, c1], [7, c2]] as const) {
      const pos = pelSearch(a, g, id(ms, 0));
      expect(pos).toBeLessThan(0);
      expect(pelInsert(a, g, -pos - 1, id(ms, 0), c, 100, 1)).toBeGreaterThan(0);
    }
    const ids = [...Array(pelCount(a, g)).keys()].map((i) => pelId(a, pelRec(a, g, i), new StreamId()).toString());
    expect(ids).toEqual(["2-0", "5-0", "7-0", "9-0"]);
    expect(consumerPending(a, c1)).toBe(2);
    expect(pelSetConsumer(a, pelRec(a, g, pelSearch(a, g, id(2, 0))), c1)).toBe(true);
    expect(consumerPending(a, c1)).toBe(3);
    // Each consumer's own pending set is ordered by ID and mirrors the group PEL.
    expect([0, 1, 2].map((i) => consumerPelId(a, c1, i, new StreamId()).toString())).toEqual(["2-0", "5-0", "9-0"]);
    expect(consumerPelId(a, c2, 0, new StreamId()).toString()).toBe("7-0");
    expect(consumerPelSearch(a, c1, id(6, 0))).toBe(-3);
    pelRemove(a, g, pelSearch(a, g, id(5, 0)));
    expect(consumerPending(a, c1)).toBe(2);
    expect(consumerDelete(a, g, te.encode("zed"))).toBe(2);
    expect(pelCount(a, g)).toBe(1);
    expect(consumerDelete(a, g, te.encode("zed"))).toBe(-1);
    expect(groupDestroy(a, h, te.encode("b"))).toBe(true);
    expect(groupFind(a, h, te.encode("b"))).toBe(0);
  });
});

describe("memory", () => {
  test("free returns every byte; ownedBytes and clone are exact", () => {
    const a = newArena();
    const before = a.usedBytes;
    const h = streamCreate(a);
    for (let i = 1; i <= 500; i++) add(a, h, id(i, 0), ["field", "value".repeat(i % 7)], 20);
    const g = groupCreate(a, h, te.encode("g"), id(0, 0), -1);
    const c = consumerCreate(a, g, te.encode("c"), 1);
    for (let i = 1; i <= 50; i++) pelInsert(a, g, i - 1, id(i, 0), c, 1, 1);
    streamDelete(a, h, id(3, 0));
    streamTrim(a, h, 300, null, false, 0);
    expect(a.usedBytes - before).toBe(streamOwnedBytes(a, h));
    const b = newArena();
    const bBefore = b.usedBytes;
    const hb = streamClone(a, h, b);
    expect(hb).toBeGreaterThan(0);
    expect(readAll(b, hb)).toEqual(readAll(a, h));
    expect(streamOwnedBytes(b, hb)).toBe(b.usedBytes - bBefore);
    streamFree(a, h);
    expect(a.usedBytes).toBe(before);
  });
});
