/**
 * Wording helpers shared by the detectors: endpoints in the report's notation, frame lists
 * ("frames 14–27", "frames 3, 9 and 12"), durations ("32 s", "850 ms") and short message names
 * ("the 200 OK", "the BYE"). Findings name exact values; these keep the phrasing consistent.
 */
import type { Endpoint } from '../../capture/types.ts';
import { endpointKey } from '../../capture/types.ts';
import type { SipMessage, SipUri } from '../../sip/types.ts';

export function ep(e: Endpoint): string {
  return endpointKey(e);
}

/** Sorted, deduplicated frame numbers. */
export function uniqFrames(frames: Iterable<number>): number[] {
  const out: number[] = [];
  for (const f of frames) if (Number.isFinite(f) && f > 0) out.push(f);
  // Most lists hold a handful of frames (one per finding, tens of thousands of findings): an
  // insertion sort there, where Array.prototype.sort allocated ~1 KB per call.
  if (out.length > 16) out.sort((a, b) => a - b);
  else {
    for (let i = 1; i < out.length; i++) {
      const v = out[i]!;
      let j = i - 1;
      while (j >= 0 && out[j]! > v) {
        out[j + 1] = out[j]!;
        j--;
      }
      out[j + 1] = v;
    }
  }
  // Sorted: a repeat is next to its first.
  let n = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[n - 1]) out[n++] = out[i]!;
  out.length = n;
  return out;
}

/** "frame 7", "frames 14–27" (when contiguous), "frames 3, 9 and 12", long lists shortened. */
export function framesText(frames: Iterable<number>): string {
  const f = uniqFrames(frames);
  if (f.length === 0) return 'no frame';
  if (f.length === 1) return `frame ${f[0]}`;
  const first = f[0]!;
  const last = f[f.length - 1]!;
  if (last - first === f.length - 1) return `frames ${first}–${last}`;
  if (f.length > 6) return `frames ${f.slice(0, 4).join(', ')} … ${last} (${f.length} in all)`;
  return `frames ${f.slice(0, -1).join(', ')} and ${last}`;
}

/** "850 ms", "4.2 s", "32 s", "3 min 5 s". */
export function duration(us: number): string {
  const ms = us / 1000;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** "the INVITE", "the 200 OK", or "a SIP message" for unparsed ones. */
export function msgName(m: { sip: SipMessage | null }): string {
  const s = m.sip;
  if (!s) return 'a SIP message';
  if (s.kind === 'request') return `the ${s.method}`;
  const method = s.cseq?.method;
  return `the ${s.status} ${s.reason}${method ? ` (to ${method})` : ''}`;
}

/** "200 OK" / "BYE" without article. */
export function msgShort(m: { sip: SipMessage | null }): string {
  const s = m.sip;
  if (!s) return 'SIP message';
  return s.kind === 'request' ? s.method : `${s.status} ${s.reason}`;
}

/** `host:port` of a URI as written ("192.168.1.20:5060", "example.com" when no port). */
export function uriHostPort(u: SipUri): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return u.port === null ? host : `${host}:${u.port}`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
