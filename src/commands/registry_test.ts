import { describe, expect, test } from "bun:test";
import { commandTable } from "./registry.ts";

const te = new TextEncoder();

describe("nameResolver", () => {
  test("resolves names on raw bytes, in any case, and a repeated name from its one-entry cache", () => {
    const table = commandTable();
    const r = table.nameResolver();
    const get = table.byFullName("get")!;
    const set = table.byFullName("set")!;
    const buf = te.encode("xxGETGETgetGeTSETGETGEX");
    // As spelled by the table (upper or lower): the table's own bytes come back.
    const a = r.resolve(buf, 2, 5);
    expect(a).not.toBeNull();
    expect(r.last).toBe(get);
    expect(r.resolve(buf, 5, 8)).toBe(a!); // the cached spelling
    expect(r.last).toBe(get);
    const lower = r.resolve(buf, 8, 11);
    expect(lower).not.toBeNull();
    expect(Array.from(lower!)).toEqual(Array.from(te.encode("get")));
    expect(r.last).toBe(get);
    // Mixed case: resolved (spec), but no table bytes to stand for it.
    expect(r.resolve(buf, 11, 14)).toBeNull();
    expect(r.last).toBe(get);
    // Another name of the same length misses the cache.
    expect(r.resolve(buf, 14, 17)).not.toBeNull();
    expect(r.last).toBe(set);
    expect(r.resolve(buf, 17, 20)).not.toBeNull();
    expect(r.last).toBe(get);
    // Unknown: null, and last is null.
    expect(r.resolve(buf, 20, 23)).toBeNull();
    expect(r.last).toBeNull();
    expect(r.resolve(te.encode("GET"), 0, 3)).not.toBeNull();
    expect(r.last).toBe(get);
  });
});
