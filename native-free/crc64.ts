// Redis's CRC-64: Jones polynomial 0xad93d23594c935a9, reflected input and output, no final xor,
// continued from a previous value (crc64(crc64(0, a), b) == crc64(0, a ++ b)). It guards RDB files
// and the 8-byte little-endian trailer of DUMP payloads. The hot variant keeps the 64-bit state as
// two u32 halves and runs slicing-by-8 over 16 u32 tables (8 slices x lo/hi), so it never touches
// BigInt; the bigint wrapper exists for callers that want one value. Invariant: table k holds the CRC
// of byte i followed by k zero bytes, which is what lets 8 bytes fold in one step.

const polyLo = 0xac4bc9b5; // Jones polynomial 0xad93d23594c935a9 bit-reversed, low half
const polyHi = 0x95ac9329; // and high half

// tablesLo[k * 256 + i] / tablesHi[k * 256 + i] for slice k in 0..7.
const tablesLo = new Uint32Array(8 * 256);
const tablesHi = new Uint32Array(8 * 256);
buildTables();

function buildTables(): void {
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    tablesLo[i] = lo;
    tablesHi[i] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prevLo = tablesLo[(k - 1) * 256 + i];
      const prevHi = tablesHi[(k - 1) * 256 + i];
      const idx = prevLo & 0xff;
      tablesLo[k * 256 + i] = (((prevLo >>> 8) | (prevHi << 24)) ^ tablesLo[idx]) >>> 0;
      tablesHi[k * 256 + i] = ((prevHi >>> 8) ^ tablesHi[idx]) >>> 0;
    }
  }
}

/**
 * Continues the CRC held in state = [lo, hi] (u32 halves; [0, 0] to start) over buf[start, end),
 * in place. No allocation.
 */
export function crc64Parts(state: Uint32Array, buf: Uint8Array, start = 0, end = buf.length): void {
  let lo = state[0];
  let hi = state[1];
  let i = start;
  const T = tablesLo;
  const H = tablesHi;
  for (; i + 8 <= end; i += 8) {
    const xl = (lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    const xh = (hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
    const a = 1792 + (xl & 0xff), b = 1536 + ((xl >>> 8) & 0xff);
    const c = 1280 + ((xl >>> 16) & 0xff), d = 1024 + (xl >>> 24);
    const e = 768 + (xh & 0xff), f = 512 + ((xh >>> 8) & 0xff);
    const g = 256 + ((xh >>> 16) & 0xff), h = xh >>> 24;
    lo = T[a] ^ T[b] ^ T[c] ^ T[d] ^ T[e] ^ T[f] ^ T[g] ^ T[h];
    hi = H[a] ^ H[b] ^ H[c] ^ H[d] ^ H[e] ^ H[f] ^ H[g] ^ H[h];
  }
  for (; i < end; i++) {
    const idx = (lo ^ buf[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ T[idx];
    hi = (hi >>> 8) ^ H[idx];
  }
  state[0] = lo;
  state[1] = hi;
}

const scratch = new Uint32Array(2);

/** Continues crc (0n to start) over buf; the same value Redis's crc64(crc, buf, len) returns. */
export function crc64(crc: bigint, buf: Uint8Array, start = 0, end = buf.length): bigint {
  scratch[0] = Number(crc & 0xffffffffn);
  scratch[1] = Number((crc >> 32n) & 0xffffffffn);
  crc64Parts(scratch, buf, start, end);
  return (BigInt(scratch[1]) << 32n) | BigInt(scratch[0]);
}

/** Writes the CRC held in state as 8 little-endian bytes (the DUMP / RDB trailer layout). */
export function writeCrc64LE(state: Uint32Array, out: Uint8Array, offset: number): void {
  const lo = state[0];
  const hi = state[1];
  out[offset] = lo & 0xff;
  out[offset + 1] = (lo >>> 8) & 0xff;
  out[offset + 2] = (lo >>> 16) & 0xff;
  out[offset + 3] = lo >>> 24;
  out[offset + 4] = hi & 0xff;
  out[offset + 5] = (hi >>> 8) & 0xff;
  out[offset + 6] = (hi >>> 16) & 0xff;
  out[offset + 7] = hi >>> 24;
}

/** True when the last 8 bytes of buf[start, end) are the little-endian CRC-64 of the bytes before. */
export function hasValidCrc64Trailer(buf: Uint8Array, start = 0, end = buf.length): boolean {
  if (end - start < 8) return false;
  scratch[0] = 0;
  scratch[1] = 0;
  crc64Parts(scratch, buf, start, end - 8);
  const lo = (buf[end - 8] | (buf[end - 7] << 8) | (buf[end - 6] << 16) | (buf[end - 5] << 24)) >>> 0;
  const hi = (buf[end - 4] | (buf[end - 3] << 8) | (buf[end - 2] << 16) | (buf[end - 1] << 24)) >>> 0;
  return scratch[0] === lo && scratch[1] === hi;
}
