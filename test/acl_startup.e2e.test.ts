// A bad `user` line in the config file, or a bad aclfile, stops the server at startup the way
// redis-server 7.0 stops: exit code 1 and Redis's message (a FATAL CONFIG FILE ERROR block, or
// Redis's warning lines in the log), never a stack trace. Each case starts a real memkeep process
// (MEMKEEP_TEST_SHARD_WORKERS workers) and a real redis-server 7.0 with the same configuration file
// and compares what they print. Plus: a good configuration still starts and the users work.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultShardWorkers, repoRoot, startMemkeep } from "./helpers/servers.ts";
import { freePort } from "./helpers/ports.ts";
import { RespClient } from "./helpers/resp.ts";

const dir = mkdtempSync(join(tmpdir(), "memkeep-aclstart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number;
  out: string;
}

async function run(argv: string[], cwd: string): Promise<Exit> {
  const p = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, out: out + err };
}

async function memkeep(conf: string, cwd: string): Promise<Exit> {
  return run([process.execPath, join(repoRoot, "src/main.ts"), conf, "--port", String(await freePort()), "--durability", "none",
    "--shard-workers", String(defaultShardWorkers())], cwd);
}

async function redis(conf: string, cwd: string): Promise<Exit> {
  return run(["redis-server", conf, "--port", String(await freePort()), "--save", "", "--appendonly", "no"], cwd);
}

/**
 * The lines that say what went wrong: log lines without their "pid:role date time mark" prefix, and
 * the FATAL CONFIG FILE ERROR block without the version and file name. Startup chatter is dropped.
 */
function verdict(out: string): string[] {
  const keep: string[] = [];
  for (const raw of out.split("\n")) {
    const line = raw.replace(/^\d+:[A-Z0-9]+ \d\d \w{3} \d{4} [\d:.]+ [.\-*#] /, "");
    if (/ACL|user|Critical|Aborting|Configuring|Spaces|^>>>|^Error in/.test(line) && !/starting, pid|Redis version/.test(line)) keep.push(line);
    else if (/^Reading the configuration file/.test(line)) keep.push(line.replace(/file .*?, at line/, "file, at line"));
    else if (/FATAL CONFIG FILE ERROR/.test(line)) keep.push("FATAL CONFIG FILE ERROR");
  }
  return keep;
}

const cases: { name: string; conf: string; acl?: string }[] = [
  { name: "a rule that is not one", conf: "user alice on >pw +get nosuchrule" },
  { name: "a key pattern with a bad flag", conf: "user alice on >pw %Q~x" },
  { name: "an unmatched selector parenthesis", conf: "user a1 (~x ~z) on off (~y" },
  { name: "a bad rule after a selector", conf: "user a2 (~x ~z) on off %Q~y" },
  { name: "removing a password the user does not have", conf: "user alice on <nopw" },
  { name: "a bad password hash", conf: "user dan on \"#zz\" +get" },
  { name: "a first argument of a subcommand", conf: "user alice on >pw +config|get|x" },
  { name: "a user defined twice", conf: "user alice on\nuser alice %Q~x" },
  { name: "an unknown command (found when the users are loaded)", conf: "user ok on nopass\nuser a5 on +nosuch" },
  { name: "an unknown category in a selector", conf: "user a7 on (+@nosuchcat ~x)" },
  { name: "a user name with a space", conf: "user \"a 6\" on" },
  { name: "users and an aclfile together", conf: "user bob on", acl: "user x on nopass\n" },
  { name: "an aclfile that does not exist", conf: "aclfile ./nonexistent.acl" },
  { name: "an aclfile with bad lines", conf: "", acl: "user alice on >pw +get\nuser bob on +nosuchcmd -@nosuch\nfoo bar\nuser alice on\n" },
];

describe("a bad ACL configuration stops the server as redis-server 7.0 stops", () => {
  for (const [i, k] of cases.entries()) {
    test(k.name, async () => {
      const cwd = join(dir, `case${i}`);
      mkdirSync(cwd);
      let conf = k.conf;
      if (k.acl !== undefined) {
        writeFileSync(join(cwd, "users.acl"), k.acl);
        conf += "\naclfile ./users.acl";
      }
      writeFileSync(join(cwd, "t.conf"), conf + "\n");
      const [m, r] = await Promise.all([memkeep("t.conf", cwd), redis("t.conf", cwd)]);
      expect(r.code).toBe(1);
      expect(m.code).toBe(1);
      expect(verdict(r.out).length).toBeGreaterThan(0);
      expect(verdict(m.out)).toEqual(verdict(r.out));
      // No stack trace, no source excerpt, no uncaught-error banner.
      expect(m.out).not.toMatch(/\n\s+at |^error:|\n\d+ \| |Error: |crashed/m);
    }, 30_000);
  }
});

describe("a good ACL configuration", () => {
  test("starts; config users and a default line apply; a user left off gets Redis's notice", async () => {
    const cwd = join(dir, "good");
    mkdirSync(cwd);
    const conf = join(cwd, "good.conf");
    writeFileSync(conf, "user bob off ~x\nuser zed on \">z pw\" ~z* +@all\nuser default on nopass ~* &* +@all -flushall\n");
    const srv = await startMemkeep({ args: ["--include", conf] });
    try {
      const cl = await RespClient.connect(srv.port);
      expect(String(await cl.callParsed("AUTH", "zed", "z pw"))).toBe("OK");
      expect(String(await cl.callParsed("SET", "z1", "v"))).toBe("OK");
      await cl.close();
      const d = await RespClient.connect(srv.port);
      expect(new TextDecoder().decode(await d.call("FLUSHALL"))).toBe("-NOPERM this user has no permissions to run the 'flushall' command\r\n");
      await d.close();
      expect(srv.stdout()).toContain("The user 'bob' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.");
    } finally {
      await srv.stop();
    }
  }, 30_000);
});
