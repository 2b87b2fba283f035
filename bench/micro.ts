// Micro-benchmarks of the hot path, one process, no network: `bun run bench`.
//
// - RESP request parser on a data event of 16 pipelined SET/GET multibulk frames (the shape
//   redis-benchmark -P 16 sends), whole and split mid-frame across two events.
// - Keyspace table find (hit and miss, hash included), and insert+remove of a fresh key, at 100k and
//   1M keys (16-byte keys, 32-byte values), so the cost of a cache-missing probe shows.
// - Reply writer: a 32-byte bulk and an integer.
// - hash32 (the table's hash) and crc16 (the cluster slot) on a 16-byte key.
// Numbers are per operation unless the name says per event. Keep the whole run under ~60 s.

import { bench, do_not_optimize, group, run } from "mitata";
import { crc16 } from "../native-free/crc16.ts";
import { hash32 } from "../native-free/hash32.ts";
import { Arena } from "../src/keyspace/arena.ts";
import { ObjEnc, ObjType, Table, hashKey } from "../src/keyspace/table.ts";
import { RequestParser } from "../src/resp/parser.ts";
import { ReplyWriter } from "../src/resp/writer.ts";

const te = new TextEncoder();

function encodeCommand(args: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [te.encode(`*${args.length}\r\n`)];
  for (const a of args) parts.push(te.encode(`$${a.length}\r\n`), a, te.encode("\r\n"));
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** 16-byte keys: "key:" + 12 digits. */
function key16(i: number): Uint8Array {
  return te.encode(`key:${String(i).padStart(12, "0")}`);
}

// ---- parser -------------------------------------------------------------------------------------

const value32 = new Uint8Array(32).fill(120);
const frames: Uint8Array[] = [];
for (let i = 0; i < 8; i++) {
  frames.push(encodeCommand([te.encode("SET"), key16(i), value32]));
  frames.push(encodeCommand([te.encode("GET"), key16(i)]));
}
const event16 = concat(frames);
const cut = Math.floor(event16.length / 2) + 3; // mid-frame
const eventA = event16.subarray(0, cut);
const eventB = event16.subarray(cut);
const parser = new RequestParser({ bulkBytesMax: 512 << 20, queryBufferBytesMax: 1 << 30 });

function parseEvent(chunk: Uint8Array): number {
  parser.feed(chunk);
  let n = 0;
  for (let argv = parser.next(); argv !== null; argv = parser.next()) n += argv.length;
  parser.retain();
  return n;
}

group("parser: 16 pipelined SET/GET frames per data event", () => {
  bench("one event of 16 frames", () => do_not_optimize(parseEvent(event16)));
  bench("16 frames split mid-frame over 2 events", () => {
    do_not_optimize(parseEvent(eventA));
    do_not_optimize(parseEvent(eventB));
  });
});

// ---- table ----------------------------------------------------------------------------------------

function buildTable(n: number): Table {
  const t = new Table(Table.create(), new Arena(Arena.create()));
  for (let i = 0; i < n; i++) {
    const k = key16(i);
    const s = t.insert(0, k, hashKey(k), value32.length, ObjType.string, ObjEnc.raw, 0);
    t.arena.u8.set(value32, t.valueOffset(s));
  }
  return t;
}

for (const n of [100_000, 1_000_000]) {
  const label = n === 100_000 ? "100k" : "1M";
  const t = buildTable(n);
  const probeCount = 4096;
  const hits: Uint8Array[] = [];
  const misses: Uint8Array[] = [];
  const fresh: Uint8Array[] = [];
  for (let i = 0; i < probeCount; i++) {
    hits.push(key16(Math.floor(Math.random() * n)));
    misses.push(key16(n + 1_000_000 + i));
    fresh.push(key16(n + 5_000_000 + i));
  }
  let i = 0;
  group(`table with ${label} keys`, () => {
    bench(`find hit (hashKey + probe) @${label}`, () => {
      const k = hits[i++ & (probeCount - 1)];
      do_not_optimize(t.find(0, k, hashKey(k)));
    });
    bench(`find miss @${label}`, () => {
      const k = misses[i++ & (probeCount - 1)];
      do_not_optimize(t.find(0, k, hashKey(k)));
    });
    bench(`insert + remove a fresh key @${label}`, () => {
      const k = fresh[i++ & (probeCount - 1)];
      const s = t.insert(0, k, hashKey(k), 32, ObjType.string, ObjEnc.raw, 0);
      t.remove(s);
    });
  });
}

// ---- writer ---------------------------------------------------------------------------------------

const writer = new ReplyWriter();
group("reply writer", () => {
  bench("bulk of 32 bytes", () => {
    writer.reset();
    writer.bulk(value32);
    do_not_optimize(writer.len);
  });
  bench("int 1234567", () => {
    writer.reset();
    writer.int(1234567);
    do_not_optimize(writer.len);
  });
  bench("int -42", () => {
    writer.reset();
    writer.int(-42);
    do_not_optimize(writer.len);
  });
});

// ---- hashes ---------------------------------------------------------------------------------------

const hashKeys = Array.from({ length: 256 }, (_, j) => key16(j * 7919));
let h = 0;
group("hashes on a 16-byte key", () => {
  bench("hash32 (xxh32)", () => {
    const k = hashKeys[h++ & 255];
    do_not_optimize(hash32(k, 0, k.length, 0x9e3779b1));
  });
  bench("crc16 (cluster slot)", () => {
    const k = hashKeys[h++ & 255];
    do_not_optimize(crc16(k, 0, k.length));
  });
});

await run();
