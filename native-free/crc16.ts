// CRC16-CCITT in its XMODEM form (poly 0x1021, init 0, no reflection, no final xor), the checksum
// Redis Cluster uses to place keys: slot = crc16(key or its hash tag) mod 16384. Table-driven, one
// lookup per byte, no allocation per call. Invariant: results are integers in 0..0xffff.

const table = buildTable();

function buildTable(): Uint16Array {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
}

export const clusterSlotCount = 16384;

export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xff00) ^ table[((crc >>> 8) ^ buf[i]) & 0xff];
  return crc;
}

/**
 * The cluster slot of key[start, end). When the key holds a `{` followed later by a `}` with at least
 * one byte between them, only the bytes between the first `{` and the first `}` after it are hashed;
 * otherwise (no `{`, no `}` after it, or an empty tag `{}`) the whole key is.
 */
export function keyHashSlot(key: Uint8Array, start = 0, end = key.length): number {
  let open = start;
  while (open < end && key[open] !== 0x7b) open++;
  if (open < end) {
    let close = open + 1;
    while (close < end && key[close] !== 0x7d) close++;
    if (close < end && close > open + 1) return crc16(key, open + 1, close) & (clusterSlotCount - 1);
  }
  return crc16(key, start, end) & (clusterSlotCount - 1);
}
