// Control words shared by the main thread, the replicator, the snapshotter and the shard workers.

// control: Int32 words
export const ctlStop = 0;
// Float64 slots (byte offset 64 + 8 * i): replicator statistics for INFO persistence.
export const ctlF64Rounds = 8;
export const ctlF64Bytes = 9;
export const ctlF64LastSyncUs = 10;
export const ctlF64LogBytesSinceSnapshot = 11;
// Written by the main thread (snapshot bookkeeping for LASTSAVE and INFO persistence).
export const ctlF64LastSaveSec = 12;
export const ctlF64SaveStatus = 13;
export const ctlF64SaveInProgress = 14;
export const ctlF64Saves = 15;
export const ctlF64LastSaveMs = 16;
export const controlBytes = 256;
