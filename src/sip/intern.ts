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
  if (s.length > 64) return s;
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  // Unbounded variety (random tags, fuzzing): start over rather than grow without limit.
  if (table.size >= LIMIT) table.clear();
  table.set(s, s);
  return s;
}
