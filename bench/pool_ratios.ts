// Pools the rounds of several bench:compare runs: `bun bench/pool_ratios.ts bench/out/compare-A.json ...`
//
// Within a round, a test runs against both servers back to back, so memkeep rps / redis rps of the
// same (file, round, test, pipeline) is one paired ratio; this prints, per test and pipeline depth,
// how many paired ratios there are and their median, quartiles and minimum. On a noisy machine a
// 3-round median of one run swings by +-15%; the median of 15+ paired rounds from several runs is
// the figure to quote (bench/README.md, "Reading the numbers").

import { readFileSync } from "node:fs";

interface RawSample {
  round: number;
  role: "redis" | "memkeep";
  testId: string;
  pipeline: number;
  numbers: { rps: number } | null;
  error: string | null;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: bun bench/pool_ratios.ts <compare-*.json> [...]");
  process.exit(2);
}

const ratios = new Map<string, number[]>();
const order: string[] = [];
for (const f of files) {
  const samples = (JSON.parse(readFileSync(f, "utf8")) as { samples: RawSample[] }).samples;
  const rps = new Map<string, number>();
  for (const s of samples) {
    if (s.error === null && s.numbers !== null) rps.set(`${s.testId} ${s.pipeline} ${s.round} ${s.role}`, s.numbers.rps);
  }
  for (const s of samples) {
    if (s.role !== "memkeep" || s.error !== null || s.numbers === null) continue;
    const redis = rps.get(`${s.testId} ${s.pipeline} ${s.round} redis`);
    if (redis === undefined || redis <= 0) continue;
    const key = `${s.testId} -P ${s.pipeline}`;
    let list = ratios.get(key);
    if (list === undefined) {
      list = [];
      ratios.set(key, list);
      order.push(key);
    }
    list.push(s.numbers.rps / redis);
  }
}

/** Value at fraction q of sorted `v` (linear between neighbours). */
function quantile(v: number[], q: number): number {
  const i = (v.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return v[lo] + (v[hi] - v[lo]) * (i - lo);
}

console.log(`paired rounds from ${files.length} run(s); ratio = memkeep rps / redis rps of the same round`);
console.log(`${"test".padEnd(20)} ${"n".padStart(3)}  median     q1     q3    min`);
for (const key of order) {
  const v = ratios.get(key)!.sort((a, b) => a - b);
  const f = (x: number) => `${x.toFixed(2)}x`.padStart(6);
  console.log(`${key.padEnd(20)} ${String(v.length).padStart(3)}  ${f(quantile(v, 0.5))} ${f(quantile(v, 0.25))} ${f(quantile(v, 0.75))} ${f(v[0])}`);
}
