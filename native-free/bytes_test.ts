import { describe, expect, test } from "bun:test";
import { copyRange } from "./bytes.ts";

describe("copyRange", () => {
  test("copies exactly the range, short (by hand) and long (set), and leaves the rest", () => {
    for (const len of [0, 1, 17, 128, 129, 1000]) {
      const src = new Uint8Array(len + 20).map((_, i) => (i * 7 + 3) & 0xff);
      const dst = new Uint8Array(len + 40).fill(0xee);
      copyRange(src, 5, dst, 11, len);
      expect(Array.from(dst.subarray(11, 11 + len))).toEqual(Array.from(src.subarray(5, 5 + len)));
      expect(dst.subarray(0, 11).every((b) => b === 0xee)).toBe(true);
      expect(dst.subarray(11 + len).every((b) => b === 0xee)).toBe(true);
    }
  });
});
