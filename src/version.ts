// Version strings, in one place so INFO, HELLO and the startup banner agree. `redisVersion` is the
// Redis release whose replies memkeep matches (HELLO's `version`, INFO's `redis_version`); clients
// gate features on it, so it moves only when the compatibility target moves.

export const memkeepVersion = "0.1.0";
export const redisVersion = "7.0.15";
