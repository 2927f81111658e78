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
