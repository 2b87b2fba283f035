// Access clocks kept per key in the table slot's 4th word, as Redis keeps them in robj.lru:
// LRU: seconds, 24 bits, wrapping. LFU: minutes (16 bits) << 8 | logarithmic counter (8 bits).
// The counter grows with probability 1 / ((counter - 5) * lfu-log-factor + 1) and decays by one per
// lfu-decay-time minutes without access (Redis's LFULogIncr / LFUDecrAndReturn).

export const lruClockMax = (1 << 24) - 1;
export const lfuInitVal = 5;

export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & lruClockMax;
}

/** Idle time in ms of an entry whose LRU clock is `clock`. */
export function lruIdleMs(clock: number, nowMs: number): number {
  const now = lruClock(nowMs);
  const d = now >= clock ? now - clock : lruClockMax - clock + now;
  return d * 1000;
}

export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

export function lfuNew(nowMs: number): number {
  return (lfuMinutes(nowMs) << 8) | lfuInitVal;
}

function lfuElapsedMinutes(ldt: number, nowMs: number): number {
  const now = lfuMinutes(nowMs);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

/** The counter after decay (does not store it). */
export function lfuDecayed(clock: number, nowMs: number, decayTime: number): number {
  const ldt = clock >>> 8;
  const counter = clock & 0xff;
  const periods = decayTime > 0 ? Math.floor(lfuElapsedMinutes(ldt, nowMs) / decayTime) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** The new clock word after one access. */
export function lfuTouch(clock: number, nowMs: number, decayTime: number, logFactor: number, rand: number): number {
  let counter = lfuDecayed(clock, nowMs, decayTime);
  if (counter < 255) {
    const base = counter - lfuInitVal < 0 ? 0 : counter - lfuInitVal;
    const p = 1.0 / (base * logFactor + 1);
    if (rand < p) counter++;
  }
  return (lfuMinutes(nowMs) << 8) | counter;
}
