import { test, expect } from "bun:test";
import {
  ScanKind, binaryToNumber, bitLength, doubleFormat, extendedFormat, pow10, roundDecimal, roundScaled, scan, scanFloat,
  scannedDigits,
} from "./float_scan.ts";

const L = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const kindOf = (s: string): number => scanFloat(L(s), 0, s.length);

test("scanFloat classifies whole ranges the way strtod plus an end check does", () => {
  expect(kindOf("12.5e-3")).toBe(ScanKind.decimal);
  expect(kindOf("-.5")).toBe(ScanKind.decimal);
  expect(kindOf("0X1.8P+1")).toBe(ScanKind.hex);
  expect(kindOf("0x10")).toBe(ScanKind.hex);
  expect(kindOf("+InFiNiTy")).toBe(ScanKind.infinity);
  expect(kindOf("-nan(0x7f_a)")).toBe(ScanKind.nan);
  for (const bad of ["", "+", ".", "1e", "1e+", "0x", "0x.", "0x1p", "inf ", " inf", "infin", "nan(", "1.2.3", "1\u00002"]) {
    expect([bad, kindOf(bad)]).toEqual([bad, ScanKind.invalid]);
  }
});

test("scanFloat records digits, dot, fraction length, exponent and sign", () => {
  const buf = L("-0012.3400e+5");
  expect(scanFloat(buf, 0, buf.length)).toBe(ScanKind.decimal);
  expect(scan.negative).toBe(true);
  expect(scan.digitCount).toBe(8);
  expect(scan.fractionDigits).toBe(4);
  expect(scan.exponent).toBe(5);
  expect(scannedDigits(buf)).toBe(123400n);
  const huge = L("1e99999999999999999999999");
  scanFloat(huge, 0, huge.length);
  expect(scan.exponent).toBe(1e15);
});

test("roundScaled rounds ties to even, carries into the next binade and flags overflow", () => {
  // 53-bit: 2^53 + 1 is a tie between 2^53 and 2^53 + 2.
  expect(binaryToNumber(roundScaled((1n << 53n) + 1n, 0, false, doubleFormat), false)).toBe(2 ** 53);
  expect(binaryToNumber(roundScaled((1n << 53n) + 1n, 0, true, doubleFormat), false)).toBe(2 ** 53 + 2);
  expect(binaryToNumber(roundScaled((1n << 54n) - 1n, 0, false, doubleFormat), false)).toBe(2 ** 54);
  expect(roundScaled(1n, 1024, false, doubleFormat).overflow).toBe(true);
  expect(roundScaled(1n, 16384, false, extendedFormat).overflow).toBe(true);
  expect(roundScaled(1n, 16383, false, extendedFormat).overflow).toBe(false);
});

test("roundScaled underflows gradually: subnormals, the half-way point and flush to zero", () => {
  expect(binaryToNumber(roundScaled(1n, -1074, false, doubleFormat), false)).toBe(5e-324);
  expect(binaryToNumber(roundScaled(1n, -1075, false, doubleFormat), false)).toBe(0); // tie to even 0
  expect(binaryToNumber(roundScaled(1n, -1075, true, doubleFormat), false)).toBe(5e-324);
  expect(binaryToNumber(roundScaled(3n, -1076, false, doubleFormat), false)).toBe(5e-324);
  expect(roundScaled(1n, -16445, false, extendedFormat).mant).toBe(1n);
  expect(roundScaled(1n, -16446, false, extendedFormat).mant).toBe(0n);
  expect(roundScaled(1n, -99999999, false, extendedFormat).mant).toBe(0n);
});

test("roundDecimal decides absurd exponents without building huge integers", () => {
  expect(roundDecimal(1n, 1e15, extendedFormat).overflow).toBe(true);
  expect(roundDecimal(1n, -1e15, extendedFormat).mant).toBe(0n);
  expect(binaryToNumber(roundDecimal(17976931348623157n, 292, doubleFormat), false)).toBe(1.7976931348623157e308);
  expect(binaryToNumber(roundDecimal(1n, -1, doubleFormat), false)).toBe(0.1);
});

test("bitLength and pow10 are exact across sizes", () => {
  for (const x of [0n, 1n, 2n, 255n, 256n, (1n << 53n) - 1n, 1n << 53n, (1n << 200n) + 5n, 10n ** 300n]) {
    expect(bitLength(x)).toBe(x === 0n ? 0 : x.toString(2).length);
  }
  expect(pow10(0)).toBe(1n);
  expect(pow10(25)).toBe(10n ** 25n);
  expect(pow10(6000)).toBe(10n ** 6000n);
});
