// Assertions check memkeep's own invariants. They are always on: a failed assertion is our bug and
// crashes the actor (a client's mistake is never an assertion; it gets Redis's error reply).

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}
