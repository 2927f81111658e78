/**
 * Lists kept for a whole analysis, at their exact length. A list that grew by push keeps room: V8
 * gives an array 17 slots on its first push (~150 bytes in Node, ~80 in Chromium), and a
 * signalling capture keeps several such lists per transaction, dialog, call, host and SDP body,
 * most holding one to three items.
 */

/** The one empty list, frozen (nothing changes a list once it is fitted; a list that may grow is replaced, not pushed into). */
export const EMPTY: never[] = Object.freeze([]) as unknown as never[];

/** The list at its exact length (a copy), or the one empty list. Call it once the list is complete. */
export function fit<T>(list: T[]): T[] {
  return list.length === 0 ? EMPTY : list.slice();
}

/**
 * `list` with `x` appended, for a list built item by item that stays short nearly always: a new
 * list of its exact length while it holds at most FEW items (the one it replaces is garbage, most
 * often still young), the same list pushed into after that (amortised growth for the rare long
 * one). Assign the result: `d.requests = appended(d.requests, i)`. A list pushed into from empty
 * has 17 slots (~185 bytes in Node for one item, against ~56 at its length), and the model builds
 * several per dialog and per call that live through the build (lib/lists.ts' header).
 * Start such a list as `EMPTY`.
 */
export function appended<T>(list: T[], x: T): T[] {
  const n = list.length;
  if (n >= FEW) {
    list.push(x);
    return list;
  }
  const out = new Array<T>(n + 1);
  for (let k = 0; k < n; k++) out[k] = list[k]!;
  out[n] = x;
  return out;
}

/** A list built by `appended` at its exact length: itself while it holds at most FEW items (it is exact already), else a copy (`fit`). */
export function fitAppended<T>(list: T[]): T[] {
  return list.length > FEW ? fit(list) : list;
}

/**
 * The first of two passes that group n items by a key: each distinct key numbered in the order
 * it first comes (`keys`), each item's group (`groupOf`, −1 for an item without a key) and each
 * group's size (`sizes`). The caller then makes each group's list at its length and fills it:
 * grown by push instead, every list lives through the whole pass and leaves discarded copies
 * behind (a busy group's a few hundred thousand slots at a time).
 */
export function numberByKey(n: number, keyAt: (i: number) => string | null | undefined): { keys: string[]; groupOf: Int32Array; sizes: number[] } {
  const ids = new Map<string, number>();
  const keys: string[] = [];
  const sizes: number[] = [];
  const groupOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const key = keyAt(i);
    if (!key) continue;
    let g = ids.get(key);
    if (g === undefined) {
      g = keys.length;
      ids.set(key, g);
      keys.push(key);
      sizes.push(0);
    }
    groupOf[i] = g;
    sizes[g] = sizes[g]! + 1;
  }
  return { keys, groupOf, sizes };
}

/**
 * The second pass: each group's list at its length (`numberByKey`'s sizes), filled with
 * `itemAt(i)` for its items in order; `placed`, when given, is told each item's place in its list.
 */
export function groupLists<T>(grouped: { groupOf: Int32Array; sizes: readonly number[] }, itemAt: (i: number) => T, placed?: (i: number, at: number) => void): T[][] {
  const { groupOf, sizes } = grouped;
  const lists = sizes.map((size) => new Array<T>(size));
  const filled = new Int32Array(lists.length);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i]!;
    if (g < 0) continue;
    const at = filled[g]!;
    lists[g]![at] = itemAt(i);
    placed?.(i, at);
    filled[g] = at + 1;
  }
  return lists;
}

/** A new list of exactly `n` slots to fill, or the one empty list when `n` is 0. */
export function exactList<T>(n: number): T[] {
  return n === 0 ? EMPTY : new Array<T>(n);
}

/**
 * Sorts a list of numbers ascending in place, unless it is in order already (the usual case for
 * message indexes gathered in capture order): `Array.prototype.sort` copies the list into a work
 * array each time, which for the model's per-dialog lists was ~19 MB of garbage on sip-dense.
 */
export function sortAscending(list: number[]): number[] {
  for (let k = 1; k < list.length; k++) {
    if (list[k - 1]! > list[k]!) return list.length <= SHORT_LIST ? insertionSort(list, k) : list.sort(ascending);
  }
  return list;
}

/**
 * Up to this length an unsorted list is sorted in place by insertion: a dialog's few messages
 * with its initial request's copies put back in front. `Array.prototype.sort` copies the list
 * into a work array first (sip-dense's 20,000 dialogs: ~15 MB of garbage).
 */
const SHORT_LIST = 64;

/** Sorts list in place, its first `from` items already in order. */
function insertionSort(list: number[], from: number): number[] {
  for (let k = from; k < list.length; k++) {
    const x = list[k]!;
    let j = k - 1;
    while (j >= 0 && list[j]! > x) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = x;
  }
  return list;
}

function ascending(a: number, b: number): number {
  return a - b;
}

/**
 * A few distinct values: a list while there are at most FEW (a scan of a handful is cheaper than a
 * Set, which costs ~200 bytes even for one value), a Set once there are more, so that membership
 * stays one step however many there are. For per-dialog and per-call working sets that hold one
 * to three values nearly always but may, on a hostile or odd capture, hold thousands.
 */
export type Few<T> = T[] | Set<T>;
export const FEW = 8;

export function fewHas<T>(f: Few<T>, x: T): boolean {
  return Array.isArray(f) ? f.includes(x) : f.has(x);
}

/**
 * `f` with `x` added unless it is there: a list of its exact length (`appended`), or a Set made
 * of it once it holds more than FEW (insertion order kept). Assign the result.
 */
export function fewAdd<T>(f: Few<T>, x: T): Few<T> {
  if (!Array.isArray(f)) {
    f.add(x);
    return f;
  }
  if (f.includes(x)) return f;
  const g = appended(f, x);
  return g.length > FEW ? new Set(g) : g;
}

export function fewSize<T>(f: Few<T>): number {
  return Array.isArray(f) ? f.length : f.size;
}

/** The values, in the order added, as a list (the list itself while it is one). */
export function fewList<T>(f: Few<T>): T[] {
  return Array.isArray(f) ? f : [...f];
}
