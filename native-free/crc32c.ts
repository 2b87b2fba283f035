// CRC32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum iSCSI, ext4 and many log formats
// use. Slicing-by-8 over 8 x 256 u32 tables; no allocation per call. The public value follows the
// usual convention (pre- and post-inverted), so passing a previous result as init continues it:
// crc32c(b, crc32c(a)) === crc32c(a ++ b). Invariant: results are unsigned 32-bit integers.

const reflectedPoly = 0x82f63b78;
const tables = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ reflectedPoly : crc >>> 1;
    t[i] = crc;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i];
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
}

export function crc32c(buf: Uint8Array, init = 0, start = 0, end = buf.length): number {
  const T = tables;
  let crc = ~init;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    const b = buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24);
    crc = T[1792 + (a & 0xff)] ^ T[1536 + ((a >>> 8) & 0xff)] ^ T[1280 + ((a >>> 16) & 0xff)] ^
      T[1024 + (a >>> 24)] ^ T[768 + (b & 0xff)] ^ T[512 + ((b >>> 8) & 0xff)] ^
      T[256 + ((b >>> 16) & 0xff)] ^ T[b >>> 24];
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ T[(crc ^ buf[i]) & 0xff];
  return ~crc >>> 0;
}
