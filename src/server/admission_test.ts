import { describe, expect, test } from "bun:test";
import { CidrAllowList, isLoopbackForProtectedMode, parseCidrList, protectedModeRefuses } from "./admission.ts";

describe("allow-cidr parsing", () => {
  test("IPv4 and IPv6 ranges, bare addresses and an empty list are accepted", () => {
    for (const text of ["", "10.0.0.0/8", "10.1.2.3", "0.0.0.0/0", "::/0", "fd00::/8 127.0.0.1 ::1", "2001:db8::1:2/128", "::ffff:10.0.0.0/104"]) {
      expect({ text, ok: parseCidrList(text).ok }).toEqual({ text, ok: true });
    }
  });

  test("bad addresses and prefix lengths are refused with a message naming the item", () => {
    for (const item of ["10.0.0.0/33", "10.0.0/8", "256.1.1.1", "10.0.0.01", "fd00::/129", "fd00:::1", "1:2:3:4:5:6:7:8:9", "abc", "10.0.0.0/", "10.0.0.0/-1", "::/08"]) {
      const r = parseCidrList(`127.0.0.1 ${item}`);
      expect({ item, r }).toEqual({ item, r: { ok: false, error: `Invalid CIDR range '${item}' in allow-cidr: use IPv4 or IPv6 ranges such as 10.0.0.0/8 or fd00::/8` } });
    }
  });
});

describe("CidrAllowList", () => {
  test("an empty list allows every address", () => {
    const l = new CidrAllowList();
    expect(l.allows("203.0.113.9")).toBe(true);
    expect(l.allows("2001:db8::1")).toBe(true);
  });

  test("prefix boundaries are exact, for IPv4 and IPv6", () => {
    const l = new CidrAllowList();
    expect(l.set("10.77.1.0/24 192.168.0.0/23 2001:db8:8000::/33 fe80::1")).toBeNull();
    expect(["10.77.1.0", "10.77.1.255", "192.168.1.200", "2001:db8:8000::1", "2001:db8:ffff:ffff::", "fe80::1"].map((a) => l.allows(a)))
      .toEqual([true, true, true, true, true, true]);
    expect(["10.77.2.0", "10.77.0.255", "192.168.2.0", "2001:db8:7fff:ffff::", "2001:db9::", "fe80::2", "garbage", ""].map((a) => l.allows(a)))
      .toEqual([false, false, false, false, false, false, false, false]);
  });

  test("IPv4-mapped IPv6 addresses match IPv4 ranges, and only them", () => {
    const l = new CidrAllowList();
    expect(l.set("10.0.0.0/8")).toBeNull();
    expect(l.allows("::ffff:10.1.2.3")).toBe(true);
    expect(l.allows("::ffff:11.1.2.3")).toBe(false);
    expect(l.set("::/0")).toBeNull();
    expect(l.allows("::ffff:10.1.2.3")).toBe(false); // an IPv4 client, the list is IPv6 only
    expect(l.allows("::1")).toBe(true);
    expect(l.set("::ffff:10.0.0.0/104")).toBeNull(); // written as a mapped range: the IPv4 range 10/8
    expect(l.allows("10.1.2.3")).toBe(true);
    expect(l.allows("11.1.2.3")).toBe(false);
  });

  test("an invalid value leaves the previous list in force", () => {
    const l = new CidrAllowList();
    expect(l.set("10.0.0.0/8")).toBeNull();
    expect(l.set("10.0.0.0/99")).not.toBeNull();
    expect(l.allows("10.9.9.9")).toBe(true);
    expect(l.allows("11.9.9.9")).toBe(false);
  });
});

describe("protected mode", () => {
  test("only 127.0.0.1 and ::1 (also as ::ffff:127.0.0.1) are local, as measured on redis-server 7.0", () => {
    expect(["127.0.0.1", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"].map(isLoopbackForProtectedMode)).toEqual([true, true, true, true]);
    expect(["127.0.0.5", "10.0.0.1", "::2", "", "localhost"].map(isLoopbackForProtectedMode)).toEqual([false, false, false, false, false]);
  });

  test("it refuses only when on, without a password, and from a non-local address", () => {
    expect(protectedModeRefuses(true, "", "10.0.0.1")).toBe(true);
    expect(protectedModeRefuses(true, "pw", "10.0.0.1")).toBe(false);
    expect(protectedModeRefuses(false, "", "10.0.0.1")).toBe(false);
    expect(protectedModeRefuses(true, "", "127.0.0.1")).toBe(false);
  });
});
