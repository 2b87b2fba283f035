// PUBLISH throughput with N subscribers: redis-server 7.0 against memkeep (1 and 3 shard workers),
// side by side. redis-benchmark drives `PUBLISH bench:ch <16 bytes>` (-c 20, -P 1 and 16); N raw
// subscriber sockets (this process) count the bytes they receive, and the run checks that every
// subscriber got every message (so a fast PUBLISH that drops messages cannot win).
//
//   bun bench/pubsub.ts [--subscribers 1,10,50] [--requests 200000] [--rounds 3]
//
// Prints the median ops/s of each configuration and memkeep / redis ratios.

import { startMemkeep, startRedis, type ServerHandle } from "../test/helpers/servers.ts";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const subscriberCounts = arg("subscribers", "1,10,50").split(",").map(Number);
const requests = Number(arg("requests", "200000"));
const rounds = Number(arg("rounds", "3"));
const pipelines = arg("pipelines", "1,16").split(",").map(Number);
const message = "m".repeat(16);
const channel = "bench:ch";
/** Bytes one RESP2 message frame takes on the wire. */
const frameBytes = `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${message.length}\r\n${message}\r\n`.length;

interface Sub {
  bytes: number;
  close(): void;
}

async function subscribe(port: number): Promise<Sub> {
  const sub: Sub = { bytes: 0, close: () => undefined };
  let confirmed: () => void = () => undefined;
  const ready = new Promise<void>((r) => (confirmed = r));
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        if (sub.bytes < 0) {
          sub.bytes = 0;
          confirmed();
          return;
        }
        sub.bytes += d.length;
      },
    },
  });
  sub.bytes = -1;
  sock.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`);
  await ready;
  sub.close = () => sock.end();
  return sub;
}

async function publishRun(port: number, p: number): Promise<number> {
  const n = p === 1 ? requests : requests * Math.min(p, 10);
  const proc = Bun.spawn(["redis-benchmark", "-p", String(port), "-c", "20", "-n", String(n), "-P", String(p), "--csv", "PUBLISH", channel, message], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const line = out.trim().split("\n").pop() ?? "";
  return Number(JSON.parse(`[${line}]`)[1]);
}

async function measure(server: ServerHandle, subs: number, p: number): Promise<number> {
  const list: Sub[] = [];
  for (let i = 0; i < subs; i++) list.push(await subscribe(server.port));
  try {
    const n = p === 1 ? requests : requests * Math.min(p, 10);
    const ops = await publishRun(server.port, p);
    const want = n * frameBytes;
    for (let i = 0; i < 500 && list.some((s) => s.bytes < want); i++) await Bun.sleep(10);
    for (const s of list) if (s.bytes !== want) throw new Error(`a subscriber got ${s.bytes} bytes, expected ${want}`);
    return ops;
  } finally {
    for (const s of list) s.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const servers: [string, () => Promise<ServerHandle>][] = [
  ["redis-server", () => startRedis()],
  ["memkeep W=1", () => startMemkeep({ shardWorkers: 1 })],
  ["memkeep W=3", () => startMemkeep({ shardWorkers: 3 })],
];
const results = new Map<string, number[]>();
for (const [name, start] of servers) {
  const server = await start();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const subs of subscriberCounts) {
        for (const p of pipelines) {
          const key = `${name}|${subs}|${p}`;
          const ops = await measure(server, subs, p);
          results.set(key, [...(results.get(key) ?? []), ops]);
          process.stderr.write(`${key}: ${Math.round(ops)} ops/s\n`);
        }
      }
    }
  } finally {
    await server.stop();
  }
}

console.log(`PUBLISH ${message.length}-byte messages, redis-benchmark -c 20, median of ${rounds} rounds (ops/s)\n`);
console.log("| subscribers | -P | redis-server | memkeep W=1 | ratio | memkeep W=3 | ratio |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const subs of subscriberCounts) {
  for (const p of pipelines) {
    const r = median(results.get(`redis-server|${subs}|${p}`)!);
    const m1 = median(results.get(`memkeep W=1|${subs}|${p}`)!);
    const m3 = median(results.get(`memkeep W=3|${subs}|${p}`)!);
    console.log(`| ${subs} | ${p} | ${Math.round(r)} | ${Math.round(m1)} | ${(m1 / r).toFixed(2)} | ${Math.round(m3)} | ${(m3 / r).toFixed(2)} |`);
  }
}
