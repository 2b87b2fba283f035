// Client-side encoding: a command as a RESP multibulk, and byte concatenation. Used by the test
// clients, the benchmark runner and tests; the server's own replies go through ReplyWriter.

const encoder = new TextEncoder();

/** Joins byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `*N\r\n$len\r\narg\r\n...` for args given as strings (UTF-8) or bytes. */
export function encodeCommand(args: readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
    parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
  }
  return concatBytes(parts);
}
