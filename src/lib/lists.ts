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

/** `f` with `x` added unless it is there (the same list, or a Set made of it once it holds more than FEW; insertion order kept). */
export function fewAdd<T>(f: Few<T>, x: T): Few<T> {
  if (!Array.isArray(f)) {
    f.add(x);
    return f;
  }
  if (f.includes(x)) return f;
  f.push(x);
  return f.length > FEW ? new Set(f) : f;
}

export function fewSize<T>(f: Few<T>): number {
  return Array.isArray(f) ? f.length : f.size;
}

/** The values, in the order added, as a list (the list itself while it is one). */
export function fewList<T>(f: Few<T>): T[] {
  return Array.isArray(f) ? f : [...f];
}
