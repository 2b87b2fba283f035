// SORT and SORT_RO over lists, sets and sorted sets, as Redis 7.0's sort.c behaves:
// - Options in any order: ASC/DESC, ALPHA, LIMIT offset count, BY pattern, GET pattern (repeatable),
//   STORE key (SORT only). A BY pattern without '*' (e.g. "nosort") means "do not sort": lists and
//   sorted sets keep their own order (DESC walks it backwards, LIMIT picks the range directly); a set
//   under STORE is then sorted ALPHA anyway, so the stored list is deterministic.
// - Patterns: '*' is replaced by the element (only the first '*'); "key->field" reads a hash field;
//   "#" (GET only) is the element itself. Pattern scanning is C-string scanning (stops at a NUL byte),
//   as Redis's strchr/strstr do.
// - Numeric sorting parses each weight with strtod (leading spaces allowed, the rest must be
//   consumed, no NaN, no out-of-range): failure answers "One or more scores can't be converted into
//   double" after sorting. (Redis 7.0 also tests a stale errno: after one out-of-range weight, later
//   numeric SORTs may fail until something resets errno. That is not reproduced.) Equal weights order
//   by the element's bytes. ALPHA compares bytes: with
//   STORE as binary strings, without it as C strings (strcoll in the C/C.UTF-8 locale = strcmp).
// - Without BY + LIMIT the sort is stable (glibc's qsort is a merge sort), so equal ALPHA weights keep
//   input order. With BY and a LIMIT that is not the whole vector Redis runs a partial quicksort
//   (Bentley-McIlroy with three-way partitioning, sorting only partitions that overlap the range);
//   partialSort below is that algorithm step for step, because ties then land where it puts them.
//
// BY and GET read keys anywhere in the database, so the command locks every shard; with
// cluster-enabled they are refused (a BY pattern with '*', any GET), as Redis Cluster does. The ACL
// check Redis makes there (full key access) is not made here.

import { cmd, type CommandSpec } from "./spec.ts";
import type { Exec } from "../server/exec.ts";
import { ObjEnc, ObjType } from "../keyspace/table.ts";
import { Err, intArg } from "./util.ts";
import { isWord } from "./bitmaps.ts";
import { NOTIFY } from "../config.ts";
import { notifyEvent, signalModified, signalReady } from "../server/signals.ts";
import { parseDouble } from "../../native-free/numbers.ts";
import { el, emptyListBytes, initEmpty, iterNext, iterSeek, listLength, listPush, setListFill } from "../types/list.ts";
import { setForEach } from "../types/set.ts";
import { hashGet } from "../types/hash.ts";
import { nodeMemberLen, nodeMemberOff, nodeNext, zsFirst } from "../types/zset.ts";
import { zsetDesc } from "./zsets.ts";

const errScores = "ERR One or more scores can't be converted into double";

interface SortItem {
  elem: Uint8Array;
  score: number;
  /** ALPHA BY weight (null when the BY key or field is missing). */
  cmp: Uint8Array | null;
}

/**
 * lookupKeyByPattern: the string value (or hash field) the pattern names for `elem`, as a copy, or
 * null. "#" is the element itself.
 */
function lookupByPattern(x: Exec, pattern: Uint8Array, elem: Uint8Array): Uint8Array | null {
  const plen = cStrLen(pattern);
  if (plen === 1 && pattern[0] === 0x23) return elem;
  const star = pattern.indexOf(0x2a);
  if (star < 0 || star >= plen) return null;
  // "->" after the '*' with a non-empty field (C-string view) starts a hash field.
  let arrow = -1;
  for (let i = star + 1; i + 1 < plen; i++) {
    if (pattern[i] === 0x2d && pattern[i + 1] === 0x3e) {
      arrow = i;
      break;
    }
  }
  if (arrow >= 0 && arrow + 2 >= plen) arrow = -1;
  const keyEnd = arrow >= 0 ? arrow : pattern.length;
  const key = new Uint8Array(star + elem.length + (keyEnd - star - 1));
  key.set(pattern.subarray(0, star));
  key.set(elem, star);
  key.set(pattern.subarray(star + 1, keyEnd), star + elem.length);
  const ks = x.ks;
  const slot = ks.lookup(x.s.db, key);
  if (slot < 0) return null;
  const t = ks.t;
  if (arrow >= 0) {
    if (t.type(slot) !== ObjType.hash) return null;
    return hashGet(t, slot, pattern.subarray(arrow + 2));
  }
  if (t.type(slot) !== ObjType.string) return null;
  const off = t.valueOffset(slot);
  return t.arena.u8.slice(off, off + t.valueLen(slot));
}

/** Length of b as a C string (up to its first NUL). */
function cStrLen(b: Uint8Array): number {
  const i = b.indexOf(0);
  return i < 0 ? b.length : i;
}

/** memcmp then length, as compareStringObjects (binary). */
function compareBinary(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** strcmp of the C strings (stops at the first NUL of either). */
function compareCString(a: Uint8Array, b: Uint8Array): number {
  const la = cStrLen(a);
  const lb = cStrLen(b);
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return la - lb;
}

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** strtod over the C string with Redis's SORT acceptance test; NaN when rejected. */
function sortScore(v: Uint8Array): number {
  const end = cStrLen(v);
  if (end === 0) return 0; // nothing converted, and the end pointer is at the terminator
  let start = 0;
  while (start < end && isSpace(v[start])) start++;
  if (start === end) return NaN;
  const d = parseDouble(v, start, end);
  return d === null ? NaN : d;
}

function sortGeneric(x: Exec, argv: Uint8Array[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: Uint8Array | null = null;
  let storekey: Uint8Array | null = null;
  const gets: Uint8Array[] = [];
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (isWord(a, "asc")) desc = false;
    else if (isWord(a, "desc")) desc = true;
    else if (isWord(a, "alpha")) alpha = true;
    else if (isWord(a, "limit") && left >= 2) {
      const s = intArg(x, argv[j + 1]);
      if (s === null) return;
      const c = intArg(x, argv[j + 2]);
      if (c === null) return;
      limitStart = clamp(s);
      limitCount = clamp(c);
      j += 2;
    } else if (!readonly && isWord(a, "store") && left >= 1) {
      storekey = argv[++j];
    } else if (isWord(a, "by") && left >= 1) {
      sortby = argv[++j];
      const star = sortby.indexOf(0x2a);
      if (star < 0 || star >= cStrLen(sortby)) dontsort = true;
      else if (x.cfg.clusterEnabled) {
        x.out.error("ERR BY option of SORT denied in Cluster mode.");
        return;
      }
    } else if (isWord(a, "get") && left >= 1) {
      if (x.cfg.clusterEnabled) {
        x.out.error("ERR GET option of SORT denied in Cluster mode.");
        return;
      }
      gets.push(argv[++j]);
    } else {
      x.out.error(Err.syntax);
      return;
    }
  }
  const ks = x.ks;
  const db = x.s.db;
  const slot = ks.lookup(db, argv[1]);
  const t = ks.t;
  const type = slot >= 0 ? t.type(slot) : ObjType.list;
  if (type !== ObjType.list && type !== ObjType.set && type !== ObjType.zset) {
    x.out.error(Err.wrongType);
    return;
  }
  if (dontsort && type === ObjType.set && storekey !== null) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  // Elements, copied: BY/GET lookups and STORE touch the keyspace.
  const all: Uint8Array[] = [];
  if (slot >= 0) {
    if (type === ObjType.list) {
      const n = listLength(t, slot);
      if (n > 0) {
        iterSeek(t, slot, 0);
        do all.push(t.arena.u8.slice(el.off, el.off + el.len));
        while (iterNext(t, slot));
      }
    } else if (type === ObjType.set) {
      setForEach(t, slot, (u8, off, len) => all.push(u8.slice(off, off + len)));
    } else {
      // Redis converts a listpack sorted set to a skiplist for SORT (OBJECT ENCODING shows it).
      t.setTypeEnc(slot, ObjType.zset, ObjEnc.skiplist);
      const a = t.arena;
      for (let n = zsFirst(a, zsetDesc(t, slot)); n !== 0; n = nodeNext(a, n)) {
        const off = nodeMemberOff(a, n);
        all.push(a.u8.slice(off, off + nodeMemberLen(a, n)));
      }
    }
  }
  let vectorLen = all.length;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? vectorLen - 1 : start + limitCount - 1;
  if (start >= vectorLen) {
    start = vectorLen - 1;
    end = vectorLen - 2;
  }
  if (end >= vectorLen) end = vectorLen - 1;
  let items: SortItem[];
  if (dontsort && type !== ObjType.set) {
    // Native order (reversed for DESC), only the LIMIT range.
    items = [];
    if (end >= start) {
      for (let i = start; i <= end; i++) items.push({ elem: all[desc ? vectorLen - 1 - i : i], score: 0, cmp: null });
    }
    vectorLen = items.length;
    end -= start;
    start = 0;
  } else {
    items = all.map((elem) => ({ elem, score: 0, cmp: null }));
  }
  let conversionError = false;
  if (!dontsort) {
    for (const it of items) {
      const by = sortby !== null ? lookupByPattern(x, sortby, it.elem) : it.elem;
      if (by === null) continue;
      if (alpha) {
        if (sortby !== null) it.cmp = by;
      } else {
        const s = sortScore(by);
        if (Number.isNaN(s)) conversionError = true;
        else it.score = s;
      }
    }
    const byPattern = sortby !== null;
    const store = storekey !== null;
    const sign = desc ? -1 : 1;
    const compare = (p: SortItem, q: SortItem): number => {
      let c: number;
      if (!alpha) {
        c = p.score > q.score ? 1 : p.score < q.score ? -1 : compareBinary(p.elem, q.elem);
      } else if (byPattern) {
        if (p.cmp === null || q.cmp === null) c = p.cmp === q.cmp ? 0 : p.cmp === null ? -1 : 1;
        else c = store ? compareBinary(p.cmp, q.cmp) : compareCString(p.cmp, q.cmp);
      } else {
        c = store ? compareBinary(p.elem, q.elem) : compareCString(p.elem, q.elem);
      }
      return c === 0 ? 0 : c * sign;
    };
    if (byPattern && (start !== 0 || end !== vectorLen - 1)) partialSort(items, compare, start, end);
    else items.sort(compare);
  }
  const count = end - start + 1;
  const outputLen = gets.length > 0 ? gets.length * count : count;
  if (conversionError) {
    x.out.error(errScores);
    return;
  }
  if (storekey === null) {
    x.out.arrayHeader(outputLen);
    for (let j = start; j <= end; j++) {
      const e = items[j].elem;
      if (gets.length === 0) x.out.bulk(e);
      for (const g of gets) {
        const v = lookupByPattern(x, g, e);
        if (v === null) x.out.nullBulk();
        else x.out.bulk(v);
      }
    }
    return;
  }
  const values: Uint8Array[] = [];
  for (let j = start; j <= end; j++) {
    const e = items[j].elem;
    if (gets.length === 0) values.push(e);
    for (const g of gets) values.push(lookupByPattern(x, g, e) ?? emptyBytes);
  }
  storeList(x, storekey, values);
}

const emptyBytes = new Uint8Array(0);

type Compare = (p: SortItem, q: SortItem) => number;

/**
 * Partial quicksort: afterwards v[lrange..rrange] hold what a full sort would put there. Bentley and
 * McIlroy's "Engineering a Sort Function": insertion sort below 7 elements, median of three (of
 * three medians above 40) as pivot, three-way partitioning with the pivot's equals swapped to both
 * ends and back into the middle; only partitions overlapping [lrange, rrange] are sorted further.
 * Partitions are independent, so an explicit stack replaces the recursion.
 */
function partialSort(v: SortItem[], cmp: Compare, lrange: number, rrange: number): void {
  const swap = (i: number, j: number) => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const med3 = (a: number, b: number, c: number) =>
    cmp(v[a], v[b]) < 0 ? (cmp(v[b], v[c]) < 0 ? b : cmp(v[a], v[c]) < 0 ? c : a) : cmp(v[b], v[c]) > 0 ? b : cmp(v[a], v[c]) < 0 ? a : c;
  const overlaps = (lo: number, hi: number) => !((lrange < lo && rrange < lo) || (lrange > hi && rrange > hi));
  const stack: number[] = [0, v.length];
  while (stack.length > 0) {
    let n = stack.pop()!;
    let lo = stack.pop()!;
    for (;;) {
      if (n < 7) {
        for (let m = lo + 1; m < lo + n; m++) for (let l = m; l > lo && cmp(v[l - 1], v[l]) > 0; l--) swap(l, l - 1);
        break;
      }
      let pm = lo + Math.floor(n / 2);
      if (n > 7) {
        let pl = lo;
        let pn = lo + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(lo, pm);
      let pa = lo + 1;
      let pb = pa;
      let pc = lo + n - 1;
      let pd = pc;
      for (;;) {
        let c: number;
        while (pb <= pc && (c = cmp(v[pb], v[lo])) <= 0) {
          if (c === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (c = cmp(v[pc], v[lo])) >= 0) {
          if (c === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const pn = lo + n;
      let r = Math.min(pa - lo, pb - pa);
      for (let i = 0; i < r; i++) swap(lo + i, pb - r + i);
      r = Math.min(pd - pc, pn - pd - 1);
      for (let i = 0; i < r; i++) swap(pb + i, pn - r + i);
      r = pb - pa;
      if (r > 1 && overlaps(lo, lo + r - 1)) stack.push(lo, r);
      r = pd - pc;
      if (r <= 1) break;
      lo = pn - r;
      n = r;
      if (!overlaps(lo, lo + r - 1)) break;
    }
  }
}

function clamp(v: number | bigint): number {
  if (typeof v === "number") return v;
  return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
}

/** setKey of a new list (or deletion when empty), then the reply: the number of stored elements. */
function storeList(x: Exec, key: Uint8Array, values: Uint8Array[]): void {
  const ks = x.ks;
  const db = x.s.db;
  const old = ks.lookup(db, key);
  if (values.length === 0) {
    if (old >= 0) {
      ks.deleteSlot(ks.t, old);
      signalModified(x, db, key);
      notifyEvent(x, NOTIFY.generic, "del", db, key);
    }
    x.out.int(0);
    return;
  }
  if (old >= 0) ks.deleteSlot(ks.t, old);
  ks.route(key);
  const slot = ks.insert(db, key, emptyListBytes, ObjType.list, ObjEnc.quicklist, 0);
  if (slot < 0) {
    x.out.error(Err.oom);
    return;
  }
  const t = ks.t;
  initEmpty(t, slot);
  setListFill(x.cfg.listMaxListpackSize);
  for (const v of values) {
    if (!listPush(t, slot, false, v)) {
      ks.deleteSlot(t, slot);
      x.out.error(Err.oom);
      return;
    }
  }
  signalModified(x, db, key);
  notifyEvent(x, NOTIFY.list, "sortstore", db, key);
  signalReady(x, db, key);
  x.out.int(values.length);
}

function sortCommand(x: Exec, argv: Uint8Array[]): void {
  sortGeneric(x, argv, false);
}

function sortRoCommand(x: Exec, argv: Uint8Array[]): void {
  sortGeneric(x, argv, true);
}

/** Key positions of SORT: the sorted key and the last STORE destination (as Redis's sortGetKeys). */
function sortKeyIndexes(argv: Uint8Array[]): number[] {
  const keys = [1];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (isWord(a, "limit")) i += 2;
    else if (isWord(a, "get") || isWord(a, "by")) i += 1;
    else if (isWord(a, "store") && i + 1 < argv.length) store = i + 1;
  }
  if (store > 0) keys.push(store);
  return keys;
}

export const sortCommands: CommandSpec[] = [
  cmd("sort", -2, "write denyoom movablekeys", 1, 1, 1, "@write @set @sortedset @list @slow @dangerous", sortCommand, {
    shards: "all", keyIndexes: sortKeyIndexes,
  }),
  cmd("sort_ro", -2, "readonly movablekeys", 1, 1, 1, "@read @set @sortedset @list @slow @dangerous", sortRoCommand, {
    shards: "all", keyIndexes: () => [1],
  }),
];
