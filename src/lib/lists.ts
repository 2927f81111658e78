/**
 * Lists kept for a whole analysis, at their exact length. A list that grew by push keeps room: V8
 * gives an array 17 slots on its first push (~150 bytes in Node, ~80 in Chromium), and a
 * signalling capture keeps several such lists per transaction, dialog, call, host and SDP body,
 * most holding one to three items.
 */

/** The one empty list, frozen (nothing changes a list once it is fitted). */
const EMPTY: never[] = Object.freeze([]) as unknown as never[];

/** The list at its exact length (a copy), or the one empty list. Call it once the list is complete. */
export function fit<T>(list: T[]): T[] {
  return list.length === 0 ? EMPTY : list.slice();
}

/** A new list of exactly `n` slots to fill, or the one empty list when `n` is 0. */
export function exactList<T>(n: number): T[] {
  return n === 0 ? EMPTY : new Array<T>(n);
}
