/**
 * One copy of the short strings that repeat across a capture's messages (header names as
 * written, parameter names, schemes, transports, hosts, methods). A parsed message is kept for the
 * whole analysis, so on a signalling-dense capture these copies were a large part of the heap;
 * a bounded map hands out the first copy instead. Only for strings up to 64 characters, and not
 * for values that are mostly unique (branches, tags, users), where the lookup costs more than it saves.
 */

const table = new Map<string, string>();
const LIMIT = 200_000;

export function intern(s: string): string {
  // Not shared, but still a copy: the caller keeps it, and a slice would keep the whole text.
  if (s.length > 64) return own(s);
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  // Unbounded variety (random tags, fuzzing): start over rather than grow without limit.
  if (table.size >= LIMIT) table.clear();
  const o = own(s);
  table.set(o, o);
  return o;
}

/** Forget the interned strings (those handed out stay what they are; later ones are new copies). */
export function forgetInterned(): void {
  table.clear();
}

/**
 * SlicedString::kMinLength in V8: a shorter substring is always copied, a longer one is a slice
 * that keeps the whole string it was cut from alive.
 */
const SLICE_MIN = 13;

/**
 * The same characters in storage of their own. A header value cut out of a message's text is a
 * slice of it, and kept — as a shared parsed value, a map key, an interned string — it keeps the
 * whole text alive, which is what the engine no longer keeps for a message it can read again from
 * the file (capture/reread.ts). The JSON round trip is exact for every string and gives a flat
 * new one; `(' ' + s).slice(1)`, half the time, gives a slice of a one-character-longer copy, a
 * 32-byte slice object more per value (~6 MB of sip-dense's ~270 MB at its peaks, against
 * ~30 ms; only values seen for the first time are copied).
 */
export function own(s: string): string {
  return s.length < SLICE_MIN ? s : (JSON.parse(JSON.stringify(s)) as string);
}
