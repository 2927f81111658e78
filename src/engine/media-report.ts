/**
 * The media-quality fields of a report's `rtpStreams[]` (docs/REPORT.md): codec from SDP or the
 * RFC 3551 static table, RFC 3550 A.3 expected/lost accounting, A.8 jitter, RTCP report blocks
 * turned into ms, and an ITU-T G.107 E-model estimate (capture/emodel.ts states the
 * simplification: Ie/Bpl per codec from G.113 Appendix I, delay from RTCP RTT when known, else
 * 100 ms, plus twice the mean jitter and 20 ms packetisation).
 */
import { mosFromR, rFactor } from '../capture/emodel.ts';
import { endpointKey } from '../capture/types.ts';
import type { RtpStreamStats } from '../capture/types.ts';
import { rateOf } from '../capture/rtp-stats.ts';
import type { ReportRtpStream } from '../report/report.ts';
import { isoMicros } from '../report/report.ts';

type QualityFields = Pick<
  ReportRtpStream,
  | 'codec' | 'expected' | 'jitterMeanMs' | 'jitterMaxMs' | 'maxDeltaMs' | 'mos' | 'duplicates' | 'outOfOrder' | 'seqJumps'
  | 'markers' | 'ssrcChanges' | 'clockRate' | 'driftMs' | 'dtmf' | 'rtcp' | 'rFactor' | 'perSecond'
>;

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
const r3 = (n: number | null): number | null => (n === null ? null : round3(n));

/** Quality fields for each stream, given the codec names (streamCodecs in sip/media.ts). */
export function rtpQualityFields(streams: RtpStreamStats[], codecs: ReadonlyArray<string | null>): QualityFields[] {
  // Streams per src → dst flow: a flow carrying several SSRCs changed SSRC.
  const perFlow = new Map<string, number>();
  const flowKey = (s: RtpStreamStats): string => `${s.kind}|${endpointKey(s.src)}>${endpointKey(s.dst)}`;
  for (const s of streams) perFlow.set(flowKey(s), (perFlow.get(flowKey(s)) ?? 0) + 1);
  const rateBySsrc = new Map<number, number>();
  streams.forEach((s, i) => {
    if (s.kind !== 'rtp') return;
    const rate = s.quality?.clockRate || rateOf(codecs[i]);
    if (rate > 0) rateBySsrc.set(s.ssrc, rate);
  });
  return streams.map((s, i) => {
    const q = s.quality;
    const codec = codecs[i] ?? null;
    const rtp = s.kind === 'rtp';
    const expected = q?.expected ?? s.packets + s.lost;
    const rate = rateBySsrc.get(s.ssrc) ?? 0;
    const rtcp = q?.rtcp
      ? { fractionLost: round3(q.rtcp.fractionLost), jitterMs: rate > 0 ? round3((q.rtcp.jitterTs / rate) * 1000) : null, rttMs: r3(q.rtcp.rttMs) }
      : null;
    let r: number | null = null;
    if (rtp && expected > 0 && s.packets >= 10) {
      r = rFactor({ codec, lossPercent: (100 * s.lost) / expected, jitterMeanMs: q?.jitterMeanMs ?? null, rttMs: rtcp?.rttMs ?? null });
    }
    return {
      codec,
      expected: rtp ? expected : 0,
      jitterMeanMs: r3(q?.jitterMeanMs ?? null),
      jitterMaxMs: r3(q?.jitterMaxMs ?? null),
      maxDeltaMs: rtp && q ? round3(q.maxDeltaMs) : null,
      mos: r === null ? null : Math.round(mosFromR(r) * 100) / 100,
      duplicates: q?.duplicates ?? 0,
      outOfOrder: q?.outOfOrder ?? 0,
      seqJumps: q?.seqJumps ?? 0,
      markers: q?.markers ?? 0,
      ssrcChanges: (perFlow.get(flowKey(s)) ?? 1) - 1,
      clockRate: q?.clockRate ?? 0,
      driftMs: r3(q?.driftMs ?? null),
      dtmf: (q?.dtmf ?? []).map((e) => ({ digit: e.digit, frame: e.frame, time: isoMicros(e.timeUs), durationMs: round3(e.durationMs) })),
      rtcp,
      rFactor: r === null ? null : Math.round(r * 10) / 10,
      perSecond: {
        startUs: q?.perSecond.startUs ?? Math.floor(s.firstTimeUs / 1e6) * 1e6,
        packets: q?.perSecond.packets ?? [],
        lost: q?.perSecond.lost ?? [],
        jitterMs: (q?.perSecond.jitterMs ?? []).map(round3),
      },
    };
  });
}
