/**
 * linkMedia ties each RTP stream to the SDP that announced its destination (else its source): of
 * the SDPs announcing that address and port, the latest at or before the stream's start (2 s of
 * slack for early media), else the first announced. Checked against that rule written as a scan.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../lib/random.ts';
import type { RtpStreamStats } from '../capture/types.ts';
import { linkMedia } from './media.ts';
import type { SdpEndpoint } from './media.ts';

describe('linkMedia picks the SDP a stream answers to', () => {
  it('the latest announcing SDP by the stream start (+2 s), ties to the later one, else the first: as a scan would', () => {
    const r = mulberry32(11);
    for (let round = 0; round < 50; round++) {
      const ports = [4000, 4002, 4004];
      const sdp = Array.from({ length: 40 }, (_, i) => ({
        callId: `call-${i}`,
        address: '203.0.113.5',
        port: ports[Math.floor(r() * ports.length)]!,
        rtcpPort: 9,
        timeUs: Math.floor(r() * 20) * 1_000_000,
      })) as unknown as SdpEndpoint[];
      const streams = Array.from({ length: 30 }, () => ({
        kind: 'rtp',
        src: { ip: '198.51.100.1', port: 7000 },
        dst: { ip: '203.0.113.5', port: ports[Math.floor(r() * ports.length)]! },
        firstTimeUs: Math.floor(r() * 25) * 1_000_000 - 3_000_000,
      })) as unknown as RtpStreamStats[];
      const links = linkMedia(streams, sdp).links;
      streams.forEach((st, i) => {
        const cands = sdp.map((s, k) => [s, k] as const).filter(([s]) => s.port === st.dst.port);
        let best: number | null = null;
        for (const [s, k] of cands) if (s.timeUs <= st.firstTimeUs + 2_000_000 && (best === null || sdp[best]!.timeUs <= s.timeUs)) best = k;
        const want = best ?? cands[0]?.[1] ?? null;
        const link = links.find((l) => l.stream === i);
        expect(link?.sdp ?? null, `round ${round} stream ${i}`).toBe(want);
      });
    }
  });
});
