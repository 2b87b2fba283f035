// The data folder of a durable server: one owner at a time, and a manifest the logs depend on.
//
// LOCK holds the owner's pid; a second server on the same folder refuses to start while that pid
// lives (after kill -9 the pid is gone and the next start takes the folder over). MANIFEST records
// the format and the shard count: a shard's log only describes the keys of its slot range, so the
// folder is refused under another shard-workers value rather than replayed into the wrong shards.

import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, openSync, closeSync, fsyncSync } from "node:fs";
import { join } from "node:path";
import { syncDir } from "./file.ts";

export class DataDirError extends Error {}

const formatVersion = 1;

export interface Manifest {
  format: number;
  shards: number;
  /** Leadership epoch of this folder's records (multi-AZ failover raises it). */
  epoch: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process stays a zombie until its parent reaps it: it no longer owns anything.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Takes the folder (creating it), checks or writes the manifest. Returns it. */
export function openDataDir(dir: string, shards: number): Manifest {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, "LOCK");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
      throw new DataDirError(`data folder ${dir} is in use by process ${pid}`);
    }
  }
  writeFileSync(lock, `${process.pid}\n`);
  const mpath = join(dir, "MANIFEST");
  let m: Manifest;
  if (existsSync(mpath)) {
    try {
      m = JSON.parse(readFileSync(mpath, "utf8")) as Manifest;
    } catch {
      throw new DataDirError(`${mpath}: not a valid manifest`);
    }
    if (m.format !== formatVersion) throw new DataDirError(`${mpath}: format ${m.format}, this build reads ${formatVersion}`);
    if (m.shards !== shards) {
      throw new DataDirError(`data folder ${dir} was written with shard-workers ${m.shards}; start with shard-workers ${m.shards} (resharding a folder is not supported yet)`);
    }
  } else {
    m = { format: formatVersion, shards, epoch: 1 };
    writeDurably(mpath, `${JSON.stringify(m)}\n`);
  }
  syncDir(dir);
  return m;
}

/** Releases the folder at a clean shutdown. */
export function closeDataDir(dir: string): void {
  const lock = join(dir, "LOCK");
  try {
    if (existsSync(lock) && Number(readFileSync(lock, "utf8").trim()) === process.pid) unlinkSync(lock);
  } catch {
    // best effort: a stale LOCK is taken over at the next start
  }
}
