// Geohash arithmetic against values redis-server 7.0 printed for the same input (GEOADD scores,
// GEOHASH strings, GEOPOS text, GEODIST text) and against its own inverse.

import { describe, expect, test } from "bun:test";
import { decodeScore, decodedLat, decodedLon, distance, encode, estimateSteps, geohashText, interleave, searchCells } from "./geohash.ts";
import { formatDoubleHuman, formatFixed } from "./float_format.ts";

describe("52-bit geohash", () => {
  test("encodes Palermo and Catania to the scores Redis stores", () => {
    expect(encode(13.361389, 38.115556, 26)).toBe(3479099956230698);
    expect(encode(15.087269, 37.502669, 26)).toBe(3479447370796909);
  });

  test("decodes to the cell centre Redis prints with GEOPOS", () => {
    decodeScore(3479099956230698);
    expect(formatDoubleHuman(decodedLon)).toBe("13.36138933897018433");
    expect(formatDoubleHuman(decodedLat)).toBe("38.11555639549629859");
  });

  test("GEOHASH text and GEODIST digits", () => {
    expect(geohashText(3479099956230698)).toBe("sqc8b49rny0");
    expect(geohashText(3479447370796909)).toBe("sqdtr74hyu0");
    decodeScore(3479099956230698);
    const [lon, lat] = [decodedLon, decodedLat];
    decodeScore(3479447370796909);
    expect(formatFixed(distance(lon, lat, decodedLon, decodedLat) / 1000, 4)).toBe("166.2742");
  });

  test("interleave puts latitude on even bits and longitude on odd bits", () => {
    expect(interleave(1, 0)).toBe(1);
    expect(interleave(0, 1)).toBe(2);
    expect(interleave(2 ** 25, 0)).toBe(2 ** 50);
    expect(interleave(0, 2 ** 25)).toBe(2 ** 51);
    expect(interleave(2 ** 26 - 1, 2 ** 26 - 1)).toBe(2 ** 52 - 1);
  });

  test("step estimate shrinks with the radius and near the poles", () => {
    expect(estimateSteps(0, 0)).toBe(26);
    expect(estimateSteps(1000, 0)).toBeGreaterThan(estimateSteps(100000, 0));
    expect(estimateSteps(1000, 70)).toBe(estimateSteps(1000, 0) - 1);
    expect(estimateSteps(1000, 85)).toBe(estimateSteps(1000, 0) - 2);
  });

  test("a search scans the centre cell first and at most 9 cells", () => {
    const s = searchCells({ lon: 15, lat: 37, box: false, radius: 200, width: 0, height: 0, conversion: 1000 });
    expect(s.cells.length).toBe(9);
    expect(s.cells[0]).toBe(encode(15, 37, s.step));
  });
});
