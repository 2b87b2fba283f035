// Unit tests of the ACL rule parser, descriptions and checks (against the real command table).

import { describe, expect, test } from "bun:test";
import { commandTable } from "../commands/registry.ts";
import {
  AclStore, AclUser, applyUserRule, describeUser, KeyPerm, matchPattern, mergeSelectorArgs, refresh,
  selectorAllowsChannel, selectorAllowsCommand, selectorAllowsKey, sha256Hex,
} from "./users.ts";
import { checkUser, Denied } from "./state.ts";
import type { AclState } from "./state.ts";

const table = commandTable();
const catalog = new AclStore(table).catalog;
const enc = (s: string) => new TextEncoder().encode(s);
const argv = (line: string) => line.split(" ").map(enc);

function user(...ops: string[]): AclUser {
  const store = new AclStore(table);
  const u = store.prepare("u", ops);
  if (typeof u === "string") throw new Error(u);
  return u;
}

describe("rule parser", () => {
  test("a new user is off, without passwords, keys, channels or commands", () => {
    expect(describeUser(catalog, user())).toBe("user u off resetchannels -@all");
  });

  test("passwords: >, <, #, !, nopass, resetpass", () => {
    const h = sha256Hex("pw");
    expect(h).toBe("30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
    let u = user("on", ">pw", ">pw", "#" + "a".repeat(64));
    expect(u.passwords).toEqual([h, "a".repeat(64)]);
    u = user(">pw", "#" + "a".repeat(64), "<pw", "!" + "a".repeat(64));
    expect(u.passwords).toEqual([]);
    expect(typeof new AclStore(table).prepare("u", [">pw", "<other"])).toBe("string");
    expect(new AclStore(table).prepare("u", ["#ABC"])).toBe(
      "ERR Error in ACL SETUSER modifier '#ABC': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    );
    u = user(">pw", "nopass");
    expect([u.nopass, u.passwords]).toEqual([true, []]);
    u = user("nopass", "resetpass");
    expect([u.nopass, u.passwords]).toEqual([false, []]);
    u = user("nopass", ">x");
    expect(u.nopass).toBe(false);
  });

  test("keys and channels", () => {
    const u = user("~a*", "%R~r*", "%W~w*", "%RW~b", "~a*", "&ch*", "&ch*");
    expect(describeUser(catalog, u)).toBe("user u off ~a* %R~r* %W~w* ~b resetchannels &ch* -@all");
    expect(describeUser(catalog, user("~x", "allkeys", "allchannels"))).toBe("user u off ~* &* -@all");
    expect(describeUser(catalog, user("~x", "allkeys", "resetkeys", "~y"))).toBe("user u off ~y resetchannels -@all");
    expect(new AclStore(table).prepare("u", ["~*", "%R~x"])).toContain("Adding a pattern after the * pattern");
    expect(new AclStore(table).prepare("u", ["%Q~x"])).toBe("ERR Error in ACL SETUSER modifier '%Q~x': Syntax error");
    expect(new AclStore(table).prepare("u", ["%R"])).toBe("ERR Error in ACL SETUSER modifier '%R': Syntax error");
  });

  test("commands, categories and subcommands", () => {
    const u = user("+@read", "-get", "+config|get", "-config|get", "+config|get");
    expect(describeUser(catalog, u)).toBe("user u off resetchannels -@all +@read +config|get -get"); // as redis-server 7.0
    expect(selectorAllowsCommand(u.root, table.byFullName("strlen")!, [])).toBe(true);
    expect(selectorAllowsCommand(u.root, table.byFullName("get")!, [])).toBe(false);
    expect(selectorAllowsCommand(u.root, table.byFullName("config|get")!, [])).toBe(true);
    expect(selectorAllowsCommand(u.root, table.byFullName("config|set")!, [])).toBe(false);
    const all = user("+@all", "-@dangerous");
    expect(describeUser(catalog, all)).toBe("user u off resetchannels +@all -@dangerous");
    expect(selectorAllowsCommand(all.root, table.byFullName("flushall")!, [])).toBe(false);
    expect(new AclStore(table).prepare("u", ["+nosuch"])).toBe(
      "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
    );
    expect(new AclStore(table).prepare("u", ["+config|get|x"])).toBe(
      "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported",
    );
    const fa = user("+select|0");
    expect(selectorAllowsCommand(fa.root, table.byFullName("select")!, argv("select 0"))).toBe(true);
    expect(selectorAllowsCommand(fa.root, table.byFullName("select")!, argv("select 1"))).toBe(false);
  });

  test("selectors and reset", () => {
    expect(mergeSelectorArgs(["(~a", "+get)", "on"])).toEqual(["(~a +get)", "on"]);
    expect(mergeSelectorArgs(["(~a", "+get"])).toBe("ERR Unmatched parenthesis in acl selector starting at '(~a +get'.");
    const u = user("on", "(~a* +get)", "(%R~b* +@read)");
    expect(describeUser(catalog, u)).toBe("user u on resetchannels -@all (~a* resetchannels -@all +get) (%R~b* resetchannels -@all +@read)");
    expect(describeUser(catalog, user("on", "(~a +get)", "clearselectors"))).toBe("user u on resetchannels -@all");
    expect(describeUser(catalog, user("on", ">x", "~*", "+@all", "reset"))).toBe("user u off sanitize-payload resetchannels -@all");
  });

  test("unrestricted only when every command, key and channel is allowed", () => {
    const u = new AclUser("x", table.all.length);
    for (const op of ["on", "+@all", "~*", "&*"]) applyUserRule(new AclStore(table).catalog, u, op);
    refresh(u);
    expect(u.unrestricted).toBe(true);
    expect(user("on", "+@all", "~*", "&*", "-get").unrestricted).toBe(false);
    expect(user("on", "+@all", "~*").unrestricted).toBe(false);
    expect(user("off", "+@all", "~*", "&*").unrestricted).toBe(false);
  });
});

describe("checks", () => {
  const acl = { errPos: 0 } as AclState;
  test("the most relevant denial over selectors, with the failing argument", () => {
    const u = user("on", "~k*", "%R~r*", "&ch*", "+@all", "(~s* +set)");
    const check = (line: string) => {
      const a = argv(line);
      const r = checkUser(acl, u, table.lookup(a[0])!, a);
      return [r, r === Denied.ok ? 0 : acl.errPos];
    };
    expect(check("get k1")).toEqual([Denied.ok, 0]);
    expect(check("get r1")).toEqual([Denied.ok, 0]);
    expect(check("set r1 v")).toEqual([Denied.key, 1]);
    expect(check("set s1 v")).toEqual([Denied.ok, 0]);
    expect(check("mget k1 k2 x")).toEqual([Denied.key, 3]);
    expect(check("publish ch1 m")).toEqual([Denied.ok, 0]);
    expect(check("publish x m")).toEqual([Denied.channel, 1]);
    expect(check("psubscribe ch*")).toEqual([Denied.ok, 0]);
    expect(check("psubscribe ch1*")).toEqual([Denied.channel, 1]);
  });

  test("key permissions follow the key spec flags", () => {
    const u = user("on", "+@all", "%R~r*", "%W~w*");
    expect(selectorAllowsKey(u.root, enc("r1"), KeyPerm.read)).toBe(true);
    expect(selectorAllowsKey(u.root, enc("r1"), KeyPerm.write)).toBe(false);
    expect(selectorAllowsKey(u.root, enc("w1"), KeyPerm.write)).toBe(true);
    expect(selectorAllowsKey(u.root, enc("w1"), KeyPerm.all)).toBe(false);
    expect(selectorAllowsChannel(u.root, enc("x"), false)).toBe(false);
  });
});

describe("pattern matcher", () => {
  const m = (p: string, s: string) => matchPattern(enc(p), enc(s));
  test("glob as Redis", () => {
    expect(m("k*", "k")).toBe(true);
    expect(m("k*", "key")).toBe(true);
    expect(m("k*", "ak")).toBe(false);
    expect(m("k?y", "key")).toBe(true);
    expect(m("k[ae]y", "kay")).toBe(true);
    expect(m("k[^ae]y", "kay")).toBe(false);
    expect(m("k\\*", "k*")).toBe(true);
    expect(m("k\\*", "kx")).toBe(false);
    expect(m("K*", "key")).toBe(false); // case-sensitive
    expect(m("*", "")).toBe(false);
  });
});

describe("the store", () => {
  test("credentials, requirepass and files", () => {
    const s = new AclStore(table);
    expect(s.defaultNoAuth).toBe(true);
    expect(s.check("default", enc("anything"))).not.toBeNull();
    s.setRequirepass("pw");
    expect(s.defaultNoAuth).toBe(false);
    expect(s.check("default", enc("x"))).toBeNull();
    expect(s.check("default", enc("pw"))).not.toBeNull();
    const u = s.prepare("bob", ["on", ">b", "~*", "+get"]);
    s.commit(u as AclUser);
    expect(s.check("bob", enc("b"))?.name).toBe("bob");
    expect(s.check("Bob", enc("b"))).toBeNull();
    const text = s.fileText();
    const parsed = new AclStore(table).parseFile(text);
    expect(Array.isArray(parsed)).toBe(true);
    const t = new AclStore(table);
    t.replaceAll(parsed as AclUser[]);
    expect(t.fileText()).toBe(text);
    expect(new AclStore(table).parseFile("user x on\nuser x off\n")).toContain("Duplicate user 'x'");
    expect(new AclStore(table).parseFile("bogus line\n")).toContain("should start with user keyword");
  });
});
