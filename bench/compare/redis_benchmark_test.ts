import { describe, expect, test } from "bun:test";
import { benchmarkArgs, parseBenchmarkCsv, parseCsvLine } from "./redis_benchmark.ts";

describe("redis-benchmark --csv parsing", () => {
  test("reads the data row of redis-benchmark 7.0 output", () => {
    const out =
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n' +
      '"MSET (10 keys)","52910.05","0.726","0.128","0.599","1.607","2.079","4.103"\n';
    expect(parseBenchmarkCsv(out)).toEqual({
      rps: 52910.05, avgMs: 0.726, minMs: 0.128, p50Ms: 0.599, p95Ms: 1.607, p99Ms: 2.079, maxMs: 4.103,
    });
  });

  test("a header without a data row (the server replied an error) is no result", () => {
    const out = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n';
    expect(parseBenchmarkCsv(out)).toBeNull();
    expect(parseBenchmarkCsv("")).toBeNull();
  });

  test("custom command names with commas and quotes stay one field", () => {
    expect(parseCsvLine('"SET a ""b,c""","1","2"')).toEqual(['SET a "b,c"', "1", "2"]);
  });

  test("a custom command is passed as separate argv words after the options", () => {
    const args = benchmarkArgs({
      port: 7000, clients: 50, requests: 1000, keyspace: 100, pipeline: 16, timeoutMs: 1000,
      command: ["XADD", "s", "*", "f", "__rand_int__"],
    });
    expect(args.slice(-5)).toEqual(["XADD", "s", "*", "f", "__rand_int__"]);
    expect(args).toContain("--csv");
  });

  test("--tls runs carry the CA, the client certificate and key before the test", () => {
    const args = benchmarkArgs({
      port: 7001, clients: 50, requests: 1000, keyspace: 100, pipeline: 1, timeoutMs: 1000, builtin: "get",
      tls: { cacert: "/c/ca.crt", cert: "/c/client.crt", key: "/c/client.key" },
    });
    expect(args.slice(-9)).toEqual(["--tls", "--cacert", "/c/ca.crt", "--cert", "/c/client.crt", "--key", "/c/client.key", "-t", "get"]);
  });
});
