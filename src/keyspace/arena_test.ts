// Arena unit tests: size classes, exact accounting, reuse of freed blocks, growth of the shared
// buffer, very large blocks, and the 4 GiB cap.
//
// The cap is tested without committing 4 GiB: a request whose end would pass 2^32 must fail before the
// buffer is touched, and the "grow failed" path is driven with a buffer whose maxByteLength is small.
// Not tested by design: an allocation that ends exactly at 2^32 succeeding (that needs a 4 GiB buffer).

import { describe, expect, test } from "bun:test";
import { AssertionError } from "../assert.ts";
import { Arena, arenaBytesMax, arenaClassCount, classBytes } from "./arena.ts";

const headerBytes = 4096;

function newArena(initialBytes = 1 << 20): Arena {
  return new Arena(Arena.create(initialBytes));
}

/** An initialised arena whose buffer can grow only to `maxBytes` (to drive the grow-failure path). */
function cappedArena(initialBytes: number, maxBytes: number): Arena {
  const sab = new SharedArrayBuffer(initialBytes, { maxByteLength: maxBytes });
  new Uint8Array(sab).set(new Uint8Array(Arena.create(8192)).subarray(0, headerBytes));
  return new Arena(sab);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every allocation must keep this: the bump pointer covers exactly the header, live and free blocks. */
function expectBalanced(a: Arena): void {
  expect(a.topBytes).toBe(headerBytes + a.usedBytes + a.freeListBytes);
  expect(a.topBytes).toBeLessThanOrEqual(a.capacityBytes);
}

describe("size classes", () => {
  test("up to 256 bytes a class is the next multiple of 8 (at least 8)", () => {
    for (let n = 1; n <= 256; n++) {
      const c = classBytes(n);
      expect(c % 8).toBe(0);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c - n).toBeLessThan(8);
      expect(c).toBeGreaterThanOrEqual(8);
    }
  });

  test("above 256 bytes a class wastes at most 12.5% and is a multiple of 8", () => {
    const check = (n: number) => {
      const c = classBytes(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect((c - n) / n).toBeLessThanOrEqual(0.125);
      expect(c % 8).toBe(0);
    };
    for (let n = 257; n <= 70_000; n++) check(n);
    for (let p = 17; p <= 32; p++) {
      for (const d of [-9, -1, 0, 1, 7, 9]) if (2 ** p + d <= 2 ** 32) check(2 ** p + d);
    }
  });

  test("classes are monotonic and idempotent: a class size is its own class", () => {
    let prev = 0;
    for (let n = 1; n <= 300_000; n += n < 5000 ? 1 : 97) {
      const c = classBytes(n);
      expect(c).toBeGreaterThanOrEqual(prev);
      expect(classBytes(c)).toBe(c);
      prev = c;
    }
  });

  test("the number of distinct classes up to 4 GiB fits the free-list table", () => {
    const classes = new Set<number>();
    for (let n = 1; n <= 256; n++) classes.add(classBytes(n));
    for (let p = 8; p < 32; p++) {
      for (let k = 1; k <= 8; k++) classes.add(classBytes(2 ** p + k * 2 ** (p - 3)));
    }
    expect(classes.size).toBe(arenaClassCount);
  });

  test("fitsInPlace holds exactly when both sizes share a class", () => {
    const r = rng(7);
    for (let i = 0; i < 20_000; i++) {
      const a = 1 + Math.floor(r() * 20_000);
      const b = Math.max(1, a + Math.floor((r() - 0.5) * 600));
      expect(Arena.fitsInPlace(a, b)).toBe(classBytes(a) === classBytes(b));
    }
  });
});

describe("allocation and accounting", () => {
  test("a fresh arena has only its header and 8-byte-aligned addresses after it", () => {
    const a = newArena();
    expect(a.usedBytes).toBe(0);
    expect(a.freeListBytes).toBe(0);
    expect(a.topBytes).toBe(headerBytes);
    const p = a.alloc(1);
    expect(p).toBe(headerBytes / 8);
    expect(a.alloc(24)).toBe(p + 1);
    expect(a.usedBytes).toBe(8 + 24);
  });

  test("usedBytes is the sum of class sizes of live blocks; freed bytes go to the free lists", () => {
    const a = newArena();
    const r = rng(11);
    const live: Array<[number, number]> = [];
    let expectUsed = 0;
    for (let i = 0; i < 20_000; i++) {
      if (live.length > 0 && r() < 0.45) {
        const k = Math.floor(r() * live.length);
        const [addr, n] = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        a.free(addr, n);
        expectUsed -= classBytes(n);
      } else {
        const n = 1 + Math.floor(r() ** 3 * 9000);
        const addr = a.alloc(n);
        expect(addr).toBeGreaterThan(0);
        live.push([addr, n]);
        expectUsed += classBytes(n);
      }
      if (i % 1000 === 0) {
        expect(a.usedBytes).toBe(expectUsed);
        expectBalanced(a);
      }
    }
    expect(a.usedBytes).toBe(expectUsed);
    expectBalanced(a);
    for (const [addr, n] of live) a.free(addr, n);
    expect(a.usedBytes).toBe(0);
    expect(a.freeListBytes).toBe(a.topBytes - headerBytes);
  });

  test("live blocks never overlap each other, the header or the end of the buffer", () => {
    const a = newArena(1 << 16);
    const r = rng(3);
    const live: Array<{ addr: number; n: number; tag: number }> = [];
    const fill = (b: { addr: number; n: number; tag: number }) => a.u8.fill(b.tag, b.addr * 8, b.addr * 8 + b.n);
    for (let i = 0; i < 6000; i++) {
      if (live.length > 0 && r() < 0.4) {
        const k = Math.floor(r() * live.length);
        const b = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        a.u8.fill(0, b.addr * 8, b.addr * 8 + b.n);
        a.free(b.addr, b.n);
      } else {
        const n = 1 + Math.floor(r() ** 2 * 3000);
        const addr = a.alloc(n);
        expect(addr * 8).toBeGreaterThanOrEqual(headerBytes);
        expect(addr * 8 + classBytes(n)).toBeLessThanOrEqual(a.capacityBytes);
        const b = { addr, n, tag: 1 + (i % 250) };
        fill(b);
        live.push(b);
      }
    }
    for (const b of live) {
      for (let j = b.addr * 8; j < b.addr * 8 + b.n; j++) {
        if (a.u8[j] !== b.tag) throw new Error(`block at ${b.addr} (${b.n} bytes) was overwritten at byte ${j}`);
      }
    }
  });

  test("a freed block is reused (LIFO) by the next allocation of its class, and nothing is bumped", () => {
    const a = newArena();
    const x = a.alloc(300); // class 320
    const y = a.alloc(300);
    const top = a.topBytes;
    a.free(x, 300);
    a.free(y, 300);
    expect(a.freeListBytes).toBe(2 * classBytes(300));
    expect(a.alloc(310)).toBe(y); // same class, most recently freed first
    expect(a.alloc(289)).toBe(x);
    expect(a.topBytes).toBe(top);
    expect(a.freeListBytes).toBe(0);
    expect(a.usedBytes).toBe(2 * classBytes(300));
  });

  test("a freed block is not handed to a different class", () => {
    const a = newArena();
    const x = a.alloc(64);
    a.free(x, 64);
    const y = a.alloc(72);
    expect(y).not.toBe(x);
    expect(a.alloc(57)).toBe(x);
  });

  test("freeing an address outside the allocated range is an assertion (our bug, not a client's)", () => {
    const a = newArena();
    expect(() => a.free(0, 8)).toThrow(AssertionError);
    expect(() => a.free(headerBytes / 8, 8)).toThrow(AssertionError); // nothing bumped yet
    const p = a.alloc(8);
    expect(() => a.free(p + 1, 8)).toThrow(AssertionError);
  });

  test("an Arena over a buffer that was never initialised is refused", () => {
    expect(() => new Arena(new SharedArrayBuffer(8192))).toThrow(AssertionError);
  });
});

describe("growth", () => {
  test("the buffer grows past its initial size; bytes written before growth stay; views follow", () => {
    const a = newArena(8192);
    const other = new Arena(a.sab); // another worker's view of the same buffer
    const first = a.alloc(1000);
    a.u8.fill(0xab, first * 8, first * 8 + 1000);
    const blocks: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const p = a.alloc(1000);
      a.u8[p * 8] = i & 0xff;
      a.u8[p * 8 + 999] = (i * 7) & 0xff;
      blocks.push(p);
    }
    expect(a.capacityBytes).toBeGreaterThanOrEqual(headerBytes + 5001 * classBytes(1000));
    // The buffer is reserved whole (views cover it all); capacityBytes is the committed part.
    expect(a.u8.length).toBeGreaterThanOrEqual(a.capacityBytes);
    expect(other.u8.length).toBeGreaterThanOrEqual(a.capacityBytes);
    expect(other.capacityBytes).toBe(a.capacityBytes);
    expect(other.usedBytes).toBe(5001 * classBytes(1000));
    for (let j = 0; j < 1000; j++) expect(other.u8[first * 8 + j]).toBe(0xab);
    blocks.forEach((p, i) => {
      expect(other.u8[p * 8]).toBe(i & 0xff);
      expect(other.u8[p * 8 + 999]).toBe((i * 7) & 0xff);
    });
    expectBalanced(a);
  });

  test("growth is geometric enough: 200k small allocations take few grow steps", () => {
    const a = newArena(8192);
    let grows = 0;
    let cap = a.capacityBytes;
    for (let i = 0; i < 200_000; i++) {
      a.alloc(40);
      if (a.capacityBytes !== cap) {
        grows++;
        cap = a.capacityBytes;
      }
    }
    expect(a.capacityBytes % (1 << 20)).toBe(0);
    expect(grows).toBeLessThan(40);
  });

  test("a 100 MB block can be allocated, written at both ends, freed and reused", () => {
    const a = newArena();
    const n = 100 * 1024 * 1024;
    const p = a.alloc(n);
    expect(p).toBeGreaterThan(0);
    expect(a.capacityBytes).toBeGreaterThanOrEqual(p * 8 + n);
    a.u8[p * 8] = 1;
    a.u8[p * 8 + n - 1] = 2;
    expect(a.usedBytes).toBe(classBytes(n));
    const cap = a.capacityBytes;
    a.free(p, n);
    expect(a.alloc(n - 1000)).toBe(p);
    expect(a.capacityBytes).toBe(cap);
  });
});

describe("the 4 GiB cap", () => {
  test("a block that would end past 2^32 bytes is refused with 0 before the buffer is touched", () => {
    const a = newArena();
    const before = { cap: a.capacityBytes, used: a.usedBytes, top: a.topBytes };
    expect(arenaBytesMax).toBe(2 ** 32);
    expect(a.alloc(2 ** 32)).toBe(0);
    expect(a.alloc(2 ** 32 - headerBytes)).toBe(0); // header + block = 2^32 + class rounding
    expect(a.alloc(2 ** 32 - 1)).toBe(0);
    expect({ cap: a.capacityBytes, used: a.usedBytes, top: a.topBytes }).toEqual(before);
  });

  test("a request of more than 4 GiB is refused with 0 and leaves the accounting alone", () => {
    // A 5 GB value can be asked for (proto-max-bulk-len is configurable past 4 GiB): the answer must
    // be "full", never a garbage address.
    const a = newArena();
    const sizes = [2 ** 32 + 1, 2 ** 32 + 100, 2 ** 33, 5e9, 2 ** 40];
    const got = sizes.map((n) => ({ n, addr: a.alloc(n), usedBytes: a.usedBytes, topBytes: a.topBytes }));
    expect(got).toEqual(sizes.map((n) => ({ n, addr: 0, usedBytes: 0, topBytes: headerBytes })));
  });

  test("when the buffer cannot grow, alloc returns 0, keeps its state, and smaller blocks still fit", () => {
    const a = cappedArena(1 << 20, 4 << 20);
    const p = a.alloc(1 << 20);
    expect(p).toBeGreaterThan(0);
    const before = { used: a.usedBytes, top: a.topBytes };
    expect(a.alloc(3 << 20)).toBe(0);
    expect({ used: a.usedBytes, top: a.topBytes }).toEqual(before);
    expect(a.capacityBytes).toBeLessThanOrEqual(4 << 20);
    const q = a.alloc(100_000);
    expect(q).toBeGreaterThan(0);
    a.free(p, 1 << 20);
    expect(a.alloc(1 << 20)).toBe(p); // the free list still serves a full arena
    expectBalanced(a);
  });
});
