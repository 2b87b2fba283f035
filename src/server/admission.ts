// Admission: whether a connection that was just accepted may become a session.
//
// Checks, in the order a connection meets them:
// 1. allow-cidr (memkeep's own directive): the client's address must fall in one of the listed
//    IPv4/IPv6 ranges; an empty list allows every address. Checked the moment the socket is accepted,
//    before any TLS work or allocation for the session; a refused socket is closed at once, without
//    a reply, and counted (INFO stats rejected_connections_cidr).
// 2. maxclients: "-ERR max number of clients reached", counted in rejected_connections.
// 3. protected mode (Redis 7.0): protected-mode yes and no password for the default user refuse
//    every client whose address is not 127.0.0.1 or ::1 with Redis's DENIED error, whatever `bind`
//    says. Measured on redis-server 7.0.15 in network namespaces: a client from 127.0.0.5 or from the
//    server's own non-loopback address is refused too; rejected_connections counts these. (The ACL
//    work will widen "no password" to "the default user is nopass".)
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, as a dual-stack listener reports IPv4 peers) are
// treated as the IPv4 address in every check.

/** Redis 7.0.15's reply to a client refused by protected mode (observed byte for byte). */
export const protectedModeDenied =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set " +
  "for the default user. In this mode connections are only accepted from the loopback interface. If you " +
  "want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just " +
  "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by " +
  "connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly " +
  "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) " +
  "Alternatively you can just disable the protected mode by editing the Redis configuration file, and " +
  "setting the protected mode option to 'no', and then restarting the server. 3) If you started the server " +
  "manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an " +
  "authentication password for the default user. NOTE: You only need to do one of the above things in " +
  "order for the server to start accepting connections from the outside.\r\n";

export const maxClientsReached = "-ERR max number of clients reached\r\n";

/** One CIDR range: an IPv4 range is kept as IPv4 (32 bits), an IPv6 range as 8 16-bit words. */
interface Range {
  readonly v6: boolean;
  readonly words: readonly number[];
  readonly bits: number;
}

/** An address as words: IPv4 -> 2 words of 16 bits, IPv6 -> 8 words. null when not an address. */
function parseAddress(text: string): { v6: boolean; words: number[] } | null {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = s.indexOf("%");
  const a = zone >= 0 ? s.slice(0, zone) : s;
  const v4 = parseIPv4(a);
  if (v4 !== null) return { v6: false, words: v4 };
  const v6 = parseIPv6(a);
  if (v6 === null) return null;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: treat it as IPv4.
  if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0 && v6[3] === 0 && v6[4] === 0 && v6[5] === 0xffff) {
    return { v6: false, words: [v6[6], v6[7]] };
  }
  return { v6: true, words: v6 };
}

function parseIPv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const b: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    b.push(n);
  }
  return [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
}

function parseIPv6(s: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const side = (t: string): number[] | null => {
    if (t === "") return [];
    const out: number[] = [];
    const groups = t.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (v4 === null) return null;
        out.push(v4[0], v4[1]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = side(halves[0]);
  const tail = halves.length === 2 ? side(halves[1]) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** Parses "10.0.0.0/8 ::1/128 192.168.1.7" (a bare address is a single-address range). */
export function parseCidrList(text: string): { ok: true; ranges: Range[] } | { ok: false; error: string } {
  const ranges: Range[] = [];
  for (const item of text.split(/\s+/).filter((w) => w !== "")) {
    const slash = item.indexOf("/");
    const text = slash >= 0 ? item.slice(0, slash) : item;
    const addr = parseAddress(text);
    const width = addr === null ? 0 : addr.v6 ? 128 : 32;
    let bits = width;
    if (slash >= 0) {
      const b = item.slice(slash + 1);
      bits = /^(0|[1-9][0-9]{0,2})$/.test(b) ? Number(b) : -1;
      // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range with 96 bits fewer.
      if (addr !== null && !addr.v6 && text.includes(":")) bits = bits >= 96 ? bits - 96 : -1;
    }
    if (addr === null || bits < 0 || bits > width) {
      return { ok: false, error: `Invalid CIDR range '${item}' in allow-cidr: use IPv4 or IPv6 ranges such as 10.0.0.0/8 or fd00::/8` };
    }
    ranges.push({ v6: addr.v6, words: addr.words, bits });
  }
  return { ok: true, ranges };
}

function inRange(r: Range, words: readonly number[]): boolean {
  let left = r.bits;
  for (let i = 0; left > 0; i++, left -= 16) {
    const take = Math.min(16, left);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((words[i] & mask) !== (r.words[i] & mask)) return false;
  }
  return true;
}

/** Whether an address text is exactly 127.0.0.1 or ::1 (Redis 7.0's "local" for protected mode). */
export function isLoopbackForProtectedMode(addr: string): boolean {
  const a = parseAddress(addr);
  if (a === null) return false;
  if (!a.v6) return a.words[0] === 0x7f00 && a.words[1] === 1;
  return a.words.every((w, i) => (i === 7 ? w === 1 : w === 0));
}

/** The allow-cidr ranges of one worker, rebuilt whenever the setting changes. */
export class CidrAllowList {
  private ranges: Range[] = [];

  /** Replaces the list; returns the error text (and keeps the old list) when the value is invalid. */
  set(text: string): string | null {
    const parsed = parseCidrList(text);
    if (!parsed.ok) return parsed.error;
    this.ranges = parsed.ranges;
    return null;
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** True when the list is empty or the address is in one of its ranges. */
  allows(addr: string): boolean {
    if (this.ranges.length === 0) return true;
    const a = parseAddress(addr);
    if (a === null) return false; // an address we cannot read is not in any range
    for (const r of this.ranges) {
      if (r.v6 === a.v6 && inRange(r, a.words)) return true;
    }
    return false;
  }
}

/** Protected mode's verdict for a client address: true = refuse with protectedModeDenied. */
export function protectedModeRefuses(protectedMode: boolean, requirepass: string, addr: string): boolean {
  return protectedMode && requirepass === "" && !isLoopbackForProtectedMode(addr);
}
