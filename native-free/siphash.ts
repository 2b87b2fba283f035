// SipHash (Aumasson and Bernstein) with 64-bit output, keyed by 16 bytes: the flood-resistant hash
// for tables whose keys an attacker chooses. JS has no u64, so each 64-bit lane lives as two u32
// halves in a module-level Uint32Array and the rounds run on locals; no BigInt, no allocation per
// call. siphash24 is the reference SipHash-2-4; siphash() takes the round counts so a table may choose
// a cheaper variant (Redis's dict uses SipHash-1-2). Invariant: out = [lo, hi] of the 64-bit result.

// v0..v3 as [lo, hi] pairs: v[0],v[1] = v0; v[2],v[3] = v1; v[4],v[5] = v2; v[6],v[7] = v3.
const v = new Uint32Array(8);

function sipRounds(n: number): void {
  let v0l = v[0], v0h = v[1], v1l = v[2], v1h = v[3], v2l = v[4], v2h = v[5], v3l = v[6], v3h = v[7];
  let t = 0, tl = 0;
  for (let r = 0; r < n; r++) {
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
    tl = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (tl < v0l ? 1 : 0)) >>> 0;
    v0l = tl;
    t = v1h;
    v1h = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
    v1l = ((v1l << 13) | (t >>> 19)) ^ v0l;
    t = v0l; v0l = v0h; v0h = t;
    // v2 += v3; v3 = rotl(v3, 16) ^ v2
    tl = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (tl < v2l ? 1 : 0)) >>> 0;
    v2l = tl;
    t = v3h;
    v3h = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
    v3l = ((v3l << 16) | (t >>> 16)) ^ v2l;
    // v0 += v3; v3 = rotl(v3, 21) ^ v0
    tl = (v0l + (v3l >>> 0)) >>> 0;
    v0h = (v0h + (v3h >>> 0) + (tl < v0l ? 1 : 0)) >>> 0;
    v0l = tl;
    t = v3h;
    v3h = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
    v3l = ((v3l << 21) | (t >>> 11)) ^ v0l;
    // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    tl = (v2l + (v1l >>> 0)) >>> 0;
    v2h = (v2h + (v1h >>> 0) + (tl < v2l ? 1 : 0)) >>> 0;
    v2l = tl;
    t = v1h;
    v1h = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
    v1l = ((v1l << 17) | (t >>> 15)) ^ v2l;
    t = v2l; v2l = v2h; v2h = t;
    v1l >>>= 0; v1h >>>= 0; v3l >>>= 0; v3h >>>= 0;
  }
  v[0] = v0l; v[1] = v0h; v[2] = v1l; v[3] = v1h; v[4] = v2l; v[5] = v2h; v[6] = v3l; v[7] = v3h;
}

function absorb(ml: number, mh: number, cRounds: number): void {
  v[6] ^= ml;
  v[7] ^= mh;
  sipRounds(cRounds);
  v[0] ^= ml;
  v[1] ^= mh;
}

/** Splits a 16-byte key into the [k0lo, k0hi, k1lo, k1hi] words siphash() takes; do this once. */
export function sipHashKey(key: Uint8Array): Uint32Array {
  if (key.length !== 16) throw new RangeError("a SipHash key is 16 bytes");
  const words = new Uint32Array(4);
  for (let w = 0; w < 4; w++) {
    const i = w * 4;
    words[w] = (key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)) >>> 0;
  }
  return words;
}

/** SipHash-c-d of buf[start, end) under a key from sipHashKey(); writes out[0] = lo, out[1] = hi. */
export function siphash(
  out: Uint32Array, key: Uint32Array, buf: Uint8Array, start: number, end: number,
  cRounds: number, dRounds: number,
): void {
  v[0] = key[0] ^ 0x70736575; v[1] = key[1] ^ 0x736f6d65; // "somepseu"
  v[2] = key[2] ^ 0x6e646f6d; v[3] = key[3] ^ 0x646f7261; // "dorandom"
  v[4] = key[0] ^ 0x6e657261; v[5] = key[1] ^ 0x6c796765; // "lygenera"
  v[6] = key[2] ^ 0x79746573; v[7] = key[3] ^ 0x74656462; // "tedbytes"
  const len = end - start;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    absorb((buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) >>> 0,
      (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24)) >>> 0, cRounds);
  }
  // Last block: the remaining 0..7 bytes, little-endian, with len mod 256 in the top byte.
  let ml = 0;
  let mh = (len & 0xff) << 24;
  for (let j = 0; i < end; i++, j++) {
    if (j < 4) ml |= buf[i] << (8 * j);
    else mh |= buf[i] << (8 * (j - 4));
  }
  absorb(ml >>> 0, mh >>> 0, cRounds);
  v[4] ^= 0xff;
  sipRounds(dRounds);
  out[0] = (v[0] ^ v[2] ^ v[4] ^ v[6]) >>> 0;
  out[1] = (v[1] ^ v[3] ^ v[5] ^ v[7]) >>> 0;
}

/** SipHash-2-4 of buf[start, end); writes out[0] = lo, out[1] = hi. */
export function siphash24(out: Uint32Array, key: Uint32Array, buf: Uint8Array, start = 0, end = buf.length): void {
  siphash(out, key, buf, start, end, 2, 4);
}

const result = new Uint32Array(2);

/** SipHash-2-4 as one bigint, for tests and cold paths; takes the raw 16-byte key. */
export function siphash24BigInt(key16: Uint8Array, buf: Uint8Array): bigint {
  siphash24(result, sipHashKey(key16), buf);
  return (BigInt(result[1]) << 32n) | BigInt(result[0]);
}
