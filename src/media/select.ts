/**
 * From a report's RTP stream (docs/REPORT.md `rtpStreams[]`) to the selector the extraction
 * re-scans the capture with.
 */
import type { ReportRtpStream } from '../engine/report.ts';
import type { StreamSelector } from './extract.ts';

export function selectorOf(s: ReportRtpStream): StreamSelector {
  const codec = (s as { codec?: unknown }).codec;
  return {
    ssrc: s.ssrc,
    src: s.src,
    dst: s.dst,
    payloadType: s.payloadType,
    otherSources: s.sourceChanges.map((c) => c.to),
    firstFrame: s.firstFrame,
    lastFrame: s.lastFrame,
    codec: typeof codec === 'string' ? codec : null,
  };
}

/** "0x5EED0001", "5eed0001", "1592590337" → the SSRC number; null when it is none. */
export function parseSsrc(text: string): number | null {
  const t = text.trim();
  const n = /^0x[0-9a-f]{1,8}$/i.test(t) || /^[0-9a-f]{8}$/i.test(t) ? parseInt(t.replace(/^0x/i, ''), 16) : /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : null;
}

export function ssrcHex(ssrc: number): string {
  return `0x${ssrc.toString(16).toUpperCase().padStart(8, '0')}`;
}
