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

/** ASCII bytes to text (a decoder of its own: the bytes are ASCII, so any UTF-8 decoder reads them one character per byte). */
const ascii = new TextDecoder('utf-8');

/**
 * `own(s)` for a value whose characters are the ASCII bytes `bytes[at, at + s.length)` (the
 * message's own bytes, when the parser knows where the value lies): decoded from them, a new
 * string in ~120 ns for 40 characters where the JSON round trip takes ~320 (~640 for an SDP body,
 * whose line breaks it escapes and reads back). `bytes` null or `at` < 0: `own(s)`.
 */
export function ownFrom(s: string, bytes: Uint8Array | null, at: number): string {
  if (s.length < SLICE_MIN) return s;
  return bytes !== null && at >= 0 ? ascii.decode(bytes.subarray(at, at + s.length)) : own(s);
}
