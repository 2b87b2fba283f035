// SLOWLOG: a bounded ring of the slowest commands of this worker (slowlog-max-len entries). SLOWLOG
// GET merges every worker's entries by id (ids are process-wide through the shared counter passed in).

export interface SlowEntry {
  id: number;
  timeSec: number;
  usec: number;
  args: Uint8Array[];
  addr: string;
  name: string;
}

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const enc = new TextEncoder();
const entryArgsMax = 32;
const entryStringMax = 128;

export class SlowLog {
  entries: SlowEntry[] = [];
  constructor(private nextId: () => number) {}

  push(argv: Uint8Array[], usec: number, nowMs: number, addr: string, name: string, maxLen: number): void {
    if (maxLen <= 0) return;
    const n = Math.min(argv.length, entryArgsMax);
    const args: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      if (i === entryArgsMax - 1 && argv.length > entryArgsMax) {
        args.push(enc.encode(`... (${argv.length - entryArgsMax + 1} more arguments)`));
        break;
      }
      const a = argv[i];
      if (a.length > entryStringMax) {
        const more = enc.encode(`... (${a.length - entryStringMax} more bytes)`);
        const b = new Uint8Array(entryStringMax + more.length);
        b.set(a.subarray(0, entryStringMax));
        b.set(more, entryStringMax);
        args.push(b);
      } else args.push(a.slice());
    }
    this.entries.unshift({ id: this.nextId(), timeSec: Math.floor(nowMs / 1000), usec: Math.round(usec), args, addr, name });
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }
  reset(): void {
    this.entries = [];
  }
}

