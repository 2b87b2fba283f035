// Recovery time: memkeep restarting from a snapshot of N keys plus an N-record log tail, against
// redis-server loading the equivalent AOF (an RDB preamble of N keys, then N commands). Both data
// sets are written the same way: N SETs, a snapshot (memkeep SAVE / redis BGREWRITEAOF), N more SETs
// overwriting the same keys; then a clean stop and a timed start (spawn until PING answers).
//
//   bun bench/recovery.ts [--keys 1000000] [--rounds 3] [--encryption]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespClient, concatBytes, encodeCommand } from "./compare/resp_client.ts";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const keys = Number(opt("--keys", "1000000"));
const rounds = Number(opt("--rounds", "3"));
const encryption = args.includes("--encryption");
const repo = join(import.meta.dir, "..");

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

interface Proc {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
}

async function spawn(argv: string[], port: number): Promise<{ p: Proc; ms: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn(argv, { cwd: repo, stdout: "ignore", stderr: "ignore" });
  for (;;) {
    try {
      const c = await RespClient.connect(port, 1000);
      const r = await c.command("PING");
      c.close();
      if (r === "PONG") break;
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null) throw new Error(`${argv[0]} exited with ${proc.exitCode}`);
    await Bun.sleep(5);
  }
  return { p: { proc, port }, ms: performance.now() - t0 };
}

async function stop(p: Proc): Promise<void> {
  p.proc.kill("SIGTERM");
  await p.proc.exited;
}

async function load(port: number, tag: string): Promise<void> {
  const c = await RespClient.connect(port, 5000);
  const batch = 1000;
  for (let i = 0; i < keys; i += batch) {
    const cmds: Uint8Array[] = [];
    for (let j = i; j < Math.min(keys, i + batch); j++) cmds.push(encodeCommand(["SET", `key:${j}`, `${tag}:${"v".repeat(80)}:${j}`]));
    const r = await c.pipeline(concatBytes(cmds), cmds.length, false);
    if (r.errorCount > 0) throw new Error(`load: ${r.firstError}`);
  }
  c.close();
}

async function cmd(port: number, ...a: string[]): Promise<unknown> {
  const c = await RespClient.connect(port, 5000);
  const r = await c.command(...a);
  c.close();
  return r;
}

async function waitAofRewrite(port: number): Promise<void> {
  for (;;) {
    const info = String(await cmd(port, "INFO", "persistence"));
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
    await Bun.sleep(50);
  }
}

async function one(role: "memkeep" | "redis"): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `recovery-${role}-`));
  const port = await freePort();
  const argv =
    role === "memkeep"
      ? [process.execPath, "src/main.ts", "--port", String(port), "--dir", dir, "--durability", "sync", "--snapshot-log-bytes", "0", ...(encryption ? ["--encryption-at-rest", "yes"] : [])]
      : ["redis-server", "--port", String(port), "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "yes", "--bind", "127.0.0.1"];
  try {
    let { p } = await spawn(argv, port);
    await load(port, "a");
    if (role === "memkeep") await cmd(port, "SAVE");
    else {
      await cmd(port, "BGREWRITEAOF");
      await waitAofRewrite(port);
    }
    await load(port, "b");
    await stop(p);
    const started = await spawn(argv, port);
    p = started.p;
    const n = Number(await cmd(port, "DBSIZE"));
    if (n !== keys) throw new Error(`${role}: ${n} keys after restart, expected ${keys}`);
    await stop(p);
    return started.ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const res: Record<string, number[]> = { memkeep: [], redis: [] };
for (let r = 0; r < rounds; r++) {
  for (const role of r % 2 === 0 ? (["redis", "memkeep"] as const) : (["memkeep", "redis"] as const)) {
    const ms = await one(role);
    res[role].push(ms);
    console.error(`round ${r + 1}: ${role} restarted with ${keys} keys in ${ms.toFixed(0)} ms`);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const m = median(res.memkeep);
const rd = median(res.redis);
console.log(`recovery of ${keys} keys (snapshot/RDB preamble + ${keys}-record log/AOF tail), median of ${rounds}${encryption ? ", memkeep encryption-at-rest yes" : ""}:`);
console.log(`  redis-server ${rd.toFixed(0)} ms, memkeep ${m.toFixed(0)} ms, memkeep/redis ${(m / rd).toFixed(2)}x (lower is better)`);
