/**
 * A call exported as pcap/pcapng carries its media: every RTP/RTCP packet of its streams (found
 * while the capture is re-read, by flow, SSRC and frame range), so the exported file analysed
 * again shows the same streams and the same media findings; one packet comment per finding.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from './analyze.ts';
import { callExport, mediaForFrames } from './call-export.ts';
import { extractFrames } from './extract.ts';
import type { Report } from '../report/report.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');

async function load(name: string): Promise<{ bytes: Uint8Array; report: Report }> {
  const bytes = new Uint8Array(readFileSync(path.join(SAMPLES, name)));
  return { bytes, report: (await analyzeBytes(bytes)).report };
}

const summary = (r: Report) => r.rtpStreams.map((s) => `${s.kind} ${s.src}>${s.dst} ${s.ssrc} ${s.packets} lost ${s.lost} jitter ${s.jitterMaxMs} sources ${s.sourceChanges.length}`);
const countOf = (hay: Uint8Array, needle: string): number => new TextDecoder().decode(hay).split(needle).length - 1;

describe('call export with media', () => {
  it('08-one-way-audio: the call exports with its 315 RTP and 3 RTCP packets, not 7 of 333 frames', async () => {
    const { bytes, report } = await load('08-one-way-audio/capture.pcap');
    const callId = report.calls[0]!.callId;
    const plan = callExport(report, [callId]);
    expect(plan.media).not.toBeNull();
    for (const format of ['pcap', 'pcapng'] as const) {
      const out = await extractFrames(new Blob([bytes as BlobPart]), new Set(plan.frames), format, plan.comments, undefined, plan.media);
      const again = (await analyzeBytes(out)).report;
      expect(again.capture.packets, format).toBe(7 + 315 + 3); // the 8 ARP frames stay out
      expect(summary(again)).toEqual(summary(report));
      expect(again.findings.map((f) => f.kind)).toContain('rtp-one-way');
    }
    // Without media: the SIP messages (and the streams' first/last frames are not added either).
    const bare = callExport(report, [callId], { media: false });
    expect(bare.media).toBeNull();
    const out = await extractFrames(new Blob([bytes as BlobPart]), new Set(bare.frames), 'pcap');
    expect((await analyzeBytes(out)).report.capture.packets).toBe(7);
  });

  it('one pcapng comment per finding, on its first exported evidence frame', async () => {
    const { bytes, report } = await load('08-one-way-audio/capture.pcap');
    const callId = report.calls[0]!.callId;
    const plan = callExport(report, [callId]);
    const findings = report.findings.filter((f) => f.callId === callId);
    expect(findings.length).toBeGreaterThan(1);
    const lines = Object.values(plan.comments).flatMap((c) => c.split('\n'));
    expect(lines).toHaveLength(findings.length);
    const out = await extractFrames(new Blob([bytes as BlobPart]), new Set(plan.frames), 'pcapng', plan.comments, undefined, plan.media);
    for (const f of findings) {
      expect(countOf(out, `sipladder ${f.severity}: ${f.title}`), f.title).toBe(1);
      expect(plan.comments[f.frames.find((x) => plan.frames.includes(x))!]).toContain(f.title);
    }
  });

  it('09-rtp-source-port-changed: packets from every source port of the stream come along (worker path: by frame numbers)', async () => {
    const { bytes, report } = await load('09-rtp-source-port-changed/capture.pcap');
    const callId = report.calls.find((c) => report.rtpStreams.some((s) => s.callId === c.callId))!.callId;
    const frames = new Set(report.messages.filter((m) => m.callId === callId).map((m) => m.frame));
    const media = mediaForFrames(report, frames);
    const out = await extractFrames(new Blob([bytes as BlobPart]), frames, 'pcap', {}, undefined, media);
    const again = (await analyzeBytes(out)).report;
    const mine = report.rtpStreams.filter((s) => s.callId === callId);
    expect(mine.some((s) => s.sourceChanges.length > 0)).toBe(true);
    expect(summary(again)).toEqual(summary({ ...report, rtpStreams: mine }));
    expect(again.findings.map((f) => f.kind)).toContain('rtp-source-changed');
  });
});
