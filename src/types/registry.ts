// Per-type hooks for values that own arena memory outside their key's block.
//
// A key's value bytes live in its table block (src/keyspace/table.ts). Small collections keep their
// whole compact encoding there; large ones keep a fixed header there that points at arena-resident
// nodes (allocated from the same shard's Arena). Those nodes belong to exactly one key: deleting,
// overwriting, expiring, evicting or flushing the key frees them through `free`, and COPY or a
// RENAME into another shard's arena duplicates them through `clone`. Strings own nothing and have no
// entry here, so the string hot path pays one array read.

import type { Arena } from "../keyspace/arena.ts";

export interface TypeOps {
  /** Frees what the value at (arena, off, len) with encoding `enc` owns outside its block. */
  free(arena: Arena, off: number, len: number, enc: number): void;
  /**
   * The value bytes were copied byte for byte from (src, srcOff) to (dst, dstOff): make the copy
   * independent by duplicating every owned node into `dst` and rewriting the pointers at dstOff.
   * Returns false when dst's arena is full (the caller then deletes the new key, which frees what
   * was already cloned: pointers not yet rewritten must be set to 0 first, or cloned depth-first so
   * a partial copy is always freeable).
   */
  clone(src: Arena, srcOff: number, len: number, enc: number, dst: Arena, dstOff: number): boolean;
  /** Bytes owned outside the block (MEMORY USAGE). */
  ownedBytes(arena: Arena, off: number, len: number, enc: number): number;
  /**
   * Self-contained bytes of the value (shard log records, snapshots), for encodings whose block
   * points at nodes. Absent or returning null: the block bytes are the value.
   */
  serialize?(arena: Arena, off: number, len: number, enc: number): Uint8Array | null;
  /**
   * Inverse of serialize: allocates the value's nodes in `arena` and returns the bytes the key's block
   * must hold, or null when the arena is full (nothing stays allocated then).
   */
  deserialize?(arena: Arena, bytes: Uint8Array, enc: number): Uint8Array | null;
}

/** Indexed by ObjType; undefined for types that own nothing outside the block (strings). */
export const typeOps: (TypeOps | undefined)[] = new Array(16).fill(undefined);

export function registerTypeOps(type: number, ops: TypeOps): void {
  typeOps[type] = ops;
}
