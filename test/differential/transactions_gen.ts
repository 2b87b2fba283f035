// Generators for transactions (group transactions): MULTI, EXEC, DISCARD, WATCH and UNWATCH mixed
// into the other groups' streams, so string and key commands get queued, refused while queueing
// (wrong arity, unknown commands from keys.errors: EXECABORT), run inside EXEC, and WATCHed keys get
// written by the same connection (EXEC then answers the null array). The stream never looks at
// replies; MULTI is frequent enough that most streams spend a good part of their commands queued.

import { type GenContext, type Rng, registerGenerators } from "./harness.ts";

registerGenerators("transactions", [
  { weight: 8, gen: () => ["MULTI"] },
  { weight: 7, gen: () => ["EXEC"] },
  { weight: 2, gen: () => ["DISCARD"] },
  { weight: 4, gen: (_rng: Rng, ctx: GenContext) => ["WATCH", ...ctx.keys(1, 3)] },
  { weight: 1, gen: () => ["UNWATCH"] },
  { weight: 1, gen: (rng: Rng) => rng.pick([["EXEC", "x"], ["MULTI", "x"], ["DISCARD", "x"], ["WATCH"], ["UNWATCH", "x"]]).slice() },
]);
