// Access clocks kept per key in the table slot's 4th word, as Redis 7.0 keeps them in robj.lru, so
// OBJECT IDLETIME / OBJECT FREQ and the eviction policies read the same numbers Redis would:
// - LRU: the Unix time in seconds, 24 bits, wrapping every ~194 days (Redis's LRU_CLOCK with
//   LRU_CLOCK_RESOLUTION 1000 ms). Idle time is the wrapped difference, in whole seconds x 1000.
// - LFU: last-decrement time in minutes (16 bits, wrapping) << 8 | a logarithmic counter (8 bits).
//   A new key starts at lfuInitVal so it survives long enough to collect accesses. An access first
//   decays the counter by one per lfu-decay-time minutes since the stored minute (0 = never), then
//   increments it with probability 1 / ((counter - lfuInitVal) * lfu-log-factor + 1), saturating at
//   255 (Redis's LFUDecrAndReturn + LFULogIncr in updateLFU). Reading the counter for OBJECT FREQ or
//   eviction applies the decay without storing it.
// All functions are pure: the caller passes the command's clock (ms) and, for the increment, a
// uniform random number in [0, 1), so tests can drive them exactly.

export const lruClockMax = (1 << 24) - 1;
export const lfuInitVal = 5;
export const lfuCounterMax = 255;
const lfuMinutesMax = 65535;

/** Redis's getLRUClock(): seconds, 24 bits. The word stored for a key under an LRU policy. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & lruClockMax;
}

/** Idle time in ms of an entry whose LRU clock is `clock` (Redis's estimateObjectIdleTime). */
export function lruIdleMs(clock: number, nowMs: number): number {
  const now = lruClock(nowMs);
  const d = now >= clock ? now - clock : now + (lruClockMax - clock);
  return d * 1000;
}

/** Redis's LFUGetTimeInMinutes(): minutes, 16 bits. */
export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & lfuMinutesMax;
}

/** The clock word of a key created now under an LFU policy. */
export function lfuNew(nowMs: number): number {
  return (lfuMinutes(nowMs) << 8) | lfuInitVal;
}

/** The 8-bit counter of an LFU clock word, without decay. */
export function lfuCounter(clock: number): number {
  return clock & 0xff;
}

/** Minutes since the stored minute `ldt`, treating the 16-bit time as wrapped at most once. */
export function lfuElapsedMinutes(ldt: number, nowMs: number): number {
  const now = lfuMinutes(nowMs);
  return now >= ldt ? now - ldt : lfuMinutesMax - ldt + now;
}

/** The counter after decay (Redis's LFUDecrAndReturn; does not store it). What OBJECT FREQ shows. */
export function lfuDecayed(clock: number, nowMs: number, decayTime: number): number {
  const counter = clock & 0xff;
  const periods = decayTime > 0 ? Math.floor(lfuElapsedMinutes(clock >>> 8, nowMs) / decayTime) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** Redis's LFULogIncr: one access's probabilistic increment, given rand uniform in [0, 1). */
export function lfuLogIncr(counter: number, logFactor: number, rand: number): number {
  if (counter >= lfuCounterMax) return lfuCounterMax;
  const base = counter > lfuInitVal ? counter - lfuInitVal : 0;
  const p = 1.0 / (base * logFactor + 1);
  return rand < p ? counter + 1 : counter;
}

/** The new clock word after one access (Redis's updateLFU): decay, increment, restamp the minute. */
export function lfuTouch(clock: number, nowMs: number, decayTime: number, logFactor: number, rand: number): number {
  const counter = lfuLogIncr(lfuDecayed(clock, nowMs, decayTime), logFactor, rand);
  return (lfuMinutes(nowMs) << 8) | counter;
}
