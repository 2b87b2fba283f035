// xxHash32 over a byte range with a 32-bit seed: the hash-table hash for keys on the hot path. Lanes
// are read as little-endian u32 and mixed with Math.imul, so there is no allocation, no BigInt and no
// subarray per call. Output is the standard XXH32 value (unsigned), so it can be checked against
// published vectors and any other implementation.

const prime1 = 0x9e3779b1;
const prime2 = 0x85ebca77;
const prime3 = 0xc2b2ae3d;
const prime4 = 0x27d4eb2f;
const prime5 = 0x165667b1;

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, prime2)) | 0;
  acc = (acc << 13) | (acc >>> 19);
  return Math.imul(acc, prime1);
}

export function hash32(buf: Uint8Array, start: number, end: number, seed: number): number {
  const len = end - start;
  let i = start;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + prime1 + prime2) | 0;
    let v2 = (seed + prime2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - prime1) | 0;
    const limit = end - 16;
    do {
      v1 = round(v1, buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
      v2 = round(v2, buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24));
      v3 = round(v3, buf[i + 8] | (buf[i + 9] << 8) | (buf[i + 10] << 16) | (buf[i + 11] << 24));
      v4 = round(v4, buf[i + 12] | (buf[i + 13] << 8) | (buf[i + 14] << 16) | (buf[i + 15] << 24));
      i += 16;
    } while (i <= limit);
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) +
      ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = (seed + prime5) | 0;
  }
  h = (h + len) | 0;
  for (; i + 4 <= end; i += 4) {
    h = (h + Math.imul(buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24), prime3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), prime4);
  }
  for (; i < end; i++) {
    h = (h + Math.imul(buf[i], prime5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), prime1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, prime2);
  h ^= h >>> 13;
  h = Math.imul(h, prime3);
  h ^= h >>> 16;
  return h >>> 0;
}
