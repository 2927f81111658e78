/**
 * Bounded decompression of a compressed blob inside a packet (HEP3 chunk 16: gzip, zlib or raw
 * DEFLATE, RFC 1952 / RFC 1950 / RFC 1951). DEFLATE expands at most about 1032:1, so feeding the
 * input in small slices bounds what one step can produce; decompression stops as soon as the
 * output passes `limit`. A 61 KB packet can no longer become 60 MB of heap.
 */
import { Decompress } from 'fflate';

/** Input fed per step: at most ~1 MiB of output per step. */
const SLICE = 1024;

export type Inflated = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** Decompresses `data` (format sniffed: gzip, zlib or raw DEFLATE) into at most `limit` bytes. */
export function inflateBounded(data: Uint8Array, limit: number): Inflated {
  const parts: Uint8Array[] = [];
  let total = 0;
  let over = false;
  const d = new Decompress((chunk) => {
    if (over) return;
    total += chunk.length;
    if (total > limit) over = true;
    else parts.push(chunk);
  });
  try {
    for (let o = 0; o < data.length && !over; o += SLICE) {
      const end = Math.min(data.length, o + SLICE);
      d.push(data.subarray(o, end), end === data.length);
    }
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  if (over) return { ok: false, reason: `it inflates to more than ${limit} bytes` };
  if (parts.length === 1) return { ok: true, bytes: parts[0]! };
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of parts) {
    out.set(c, p);
    p += c.length;
  }
  return { ok: true, bytes: out };
}
