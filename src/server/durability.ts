// What the durability setting may promise in this build. The shard log (group commit, reply
// tracker, recovery) is not built yet, so only "none" (a pure cache) is honest: "sync" and "async"
// are refused at startup and by CONFIG SET rather than acknowledged without a log behind them.

export const durabilityUnavailable =
  "durability sync/async needs the shard log, which this build does not have yet: use durability none";
