import { describe, expect, test } from "bun:test";
import { parseSuites, protocolOptions, tls13Suites } from "./tls.ts";

const NO_SSLv3 = 0x02000000, NO_TLSv1 = 0x04000000, NO_TLSv1_1 = 0x10000000, NO_TLSv1_2 = 0x08000000, NO_TLSv1_3 = 0x20000000;
const old = NO_SSLv3 | NO_TLSv1 | NO_TLSv1_1;

describe("tls-protocols", () => {
  test("empty and both versions allow TLS 1.2 and 1.3 only", () => {
    expect(protocolOptions("")).toEqual({ ok: true, secureOptions: old });
    expect(protocolOptions("TLSv1.2 TLSv1.3")).toEqual({ ok: true, secureOptions: old });
    expect(protocolOptions("tlsv1.3  TLSv1.2")).toEqual({ ok: true, secureOptions: old });
  });

  test("one version turns the other off", () => {
    expect(protocolOptions("TLSv1.3")).toEqual({ ok: true, secureOptions: old | NO_TLSv1_2 });
    expect(protocolOptions("TLSv1.2")).toEqual({ ok: true, secureOptions: old | NO_TLSv1_3 });
  });

  test("versions before 1.2 and unknown words are refused", () => {
    expect(protocolOptions("TLSv1.1").ok).toBe(false);
    expect(protocolOptions("TLSv1 TLSv1.2").ok).toBe(false);
    expect(protocolOptions("SSLv3").ok).toBe(false);
  });
});

describe("tls-ciphersuites", () => {
  test("empty means any; BoringSSL's three suites are accepted; others refused with Redis's log line", () => {
    expect(parseSuites("")).toEqual({ ok: true, suites: null });
    expect(parseSuites(tls13Suites.join(":"))).toEqual({ ok: true, suites: new Set(tls13Suites) });
    expect(parseSuites("TLS_AES_128_CCM_SHA256")).toEqual({ ok: false, error: "Failed to configure ciphersuites: TLS_AES_128_CCM_SHA256" });
  });
});
