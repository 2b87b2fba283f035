// Byte copies that C would do with memcpy.

/**
 * dst[to, to + len) = src[from, from + len). Runs up to 128 bytes by hand: a subarray view plus set()
 * costs ~110 ns here, a loop ~40 ns for 64 bytes and ~100 ns for 144 (mitata, this machine).
 */
export function copyRange(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if (len > 128) dst.set(src.subarray(from, from + len), to);
  else for (let i = 0; i < len; i++) dst[to + i] = src[from + i];
}
