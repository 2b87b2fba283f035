import { describe, expect, test } from "bun:test";
import { parseOptions, requestsFor, shellQuote, splitWords } from "./options.ts";

describe("bench:compare options", () => {
  test("a --memkeep-cmd with an empty quoted argument splits like a shell would", () => {
    expect(splitWords(`redis-server --save '' --appendonly no`)).toEqual(["redis-server", "--save", "", "--appendonly", "no"]);
    expect(splitWords(`a "b c" d\\ e`)).toEqual(["a", "b c", "d e"]);
  });

  test("shellQuote output splits back to the same word", () => {
    for (const word of ["plain", "", "a b", "it's", "redis-server --save '' x", `$HOME "q"`]) {
      expect(splitWords(shellQuote(word))).toEqual([word]);
    }
  });

  test("deeper pipelines get 10x the base requests unless given per depth", () => {
    const defaults = parseOptions([]);
    expect(requestsFor(defaults, 1)).toBe(200_000);
    expect(requestsFor(defaults, 16)).toBe(2_000_000);
    const explicit = parseOptions(["--requests", "1=5000,16=9000"]);
    expect(requestsFor(explicit, 16)).toBe(9_000);
  });

  test("--quick shrinks rounds, requests and memory keys unless they are given", () => {
    const quick = parseOptions(["--quick", "--rounds", "2"]);
    expect(quick.rounds).toBe(2);
    expect(requestsFor(quick, 1)).toBe(20_000);
    expect(quick.memoryKeys).toBe(100_000);
  });

  test("unknown options are refused", () => {
    expect(() => parseOptions(["--frobnicate"])).toThrow("unknown option");
  });
});
