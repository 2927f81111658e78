/**
 * RTP stream quality against tshark on every public capture and lab sample with RTP:
 * packets, lost, max delta, max and mean jitter per stream equal `tshark -q -z rtp,streams`
 * (heuristic RTP on) within 0.1 ms or 1% (src/engine/fixtures/tshark-rtp.json, written by
 * scripts/tshark-rtp-oracle.mjs). Where we differ, the fixture's notes say why, and our side of
 * the difference is asserted instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from './analyze.ts';
import type { Report, ReportRtpStream } from '../report/report.ts';
import { dtmfDigit } from '../capture/rtp-stats.ts';

interface TsharkStream {
  src: string; srcPort: number; dst: string; dstPort: number; ssrc: number; payload: string;
  packets: number; lost: number; maxDeltaMs: number; meanJitterMs: number; maxJitterMs: number;
}
interface Note {
  why: string;
  absent?: string[];
  extra?: string[];
  merged?: boolean;
  fields?: Record<string, { packets?: number; lost?: number; timing?: 'skip' }>;
  dtmf?: { ours: Array<{ frame: number; digit: string; durationMs: number }>; why: string };
}
interface TsharkEvent { frame: number; ssrc: number; event: number; duration: number }
const REPO = path.resolve(import.meta.dirname, '../..');
const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/tshark-rtp.json'), 'utf8')) as {
  notes: Record<string, Note | string>;
  files: Record<string, { streams: TsharkStream[]; dtmf: TsharkEvent[] }>;
};

const ep = (ip: string, port: number): string => `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
const keyOf = (t: TsharkStream): string => `${t.src}:${t.srcPort}>${t.dst}:${t.dstPort} 0x${t.ssrc.toString(16).padStart(8, '0')}`;
const ourKey = (s: ReportRtpStream): string => `${s.src.replace(/^\[|\](?=:)/g, '')}>${s.dst.replace(/^\[|\](?=:)/g, '')} 0x${s.ssrc.toString(16).padStart(8, '0')}`;

/** Within 0.1 ms or 1 %. */
function near(ours: number | null | undefined, theirs: number, what: string): void {
  expect(ours, what).not.toBeNull();
  expect(ours, what).toBeDefined();
  const d = Math.abs(ours! - theirs);
  expect(d <= 0.1 || d <= 0.01 * Math.abs(theirs), `${what}: ours ${ours}, tshark ${theirs}`).toBe(true);
}

async function analyse(file: string): Promise<Report> {
  const keyLog = path.join(REPO, path.dirname(file), 'keylog.txt');
  const opts = existsSync(keyLog) ? { keyLog: readFileSync(keyLog, 'utf8') } : {};
  return (await analyzeBytes(new Uint8Array(readFileSync(path.join(REPO, file))), opts)).report;
}

describe('RTP stream statistics equal tshark -z rtp,streams', () => {
  const files = Object.entries(fixture.files);
  it('covers the corpus: every capture with RTP, 40+ files', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.reduce((n, [, f]) => n + f.streams.length, 0)).toBeGreaterThan(90);
  });

  for (const [file, { streams, dtmf }] of files) {
    const note = fixture.notes[file] as Note | undefined;
    it(`${file}${note ? ' (differences explained in the fixture notes)' : ''}`, async () => {
      const report = await analyse(file);
      const ours = report.rtpStreams.filter((s) => s.kind === 'rtp');
      const byKey = new Map(ours.map((s) => [ourKey(s), s]));
      const matched = new Set<ReportRtpStream>();
      if (note?.merged) {
        // One stream of ours per SSRC + destination: packets are the sum of tshark's streams.
        const sums = new Map<string, { packets: number; sources: number }>();
        for (const t of streams) {
          const k = `${ep(t.dst, t.dstPort)} ${t.ssrc}`;
          const sum = sums.get(k) ?? { packets: 0, sources: 0 };
          sums.set(k, { packets: sum.packets + t.packets, sources: sum.sources + 1 });
        }
        expect([...sums.values()].some((x) => x.sources > 1), 'tshark split a stream by source').toBe(true);
        for (const [k, { packets, sources }] of sums) {
          const s = ours.find((o) => `${o.dst} ${o.ssrc}` === k);
          expect(s, k).toBeDefined();
          expect(s!.packets, k).toBe(packets);
          if (sources > 1) expect(s!.sourceChanges.length, `${k} source changes`).toBeGreaterThan(0);
          matched.add(s!);
        }
      } else {
        for (const t of streams) {
          const k = keyOf(t);
          const s = byKey.get(k);
          if (note?.absent?.includes(k)) {
            expect(s, `${k} is not a stream of ours`).toBeUndefined();
            continue;
          }
          expect(s, `tshark stream ${k} (${t.payload}, ${t.packets} packets)`).toBeDefined();
          matched.add(s!);
          const f = note?.fields?.[k];
          expect(s!.packets, `${k} packets`).toBe(f?.packets ?? t.packets);
          expect(s!.lost, `${k} lost`).toBe(f?.lost ?? Math.max(0, t.lost));
          if (f?.timing === 'skip' || f?.packets !== undefined) continue;
          near(s!.maxDeltaMs, t.maxDeltaMs, `${k} max delta`);
          if (s!.jitterMaxMs === null) {
            // No clock rate for this payload type (dynamic, no rtpmap): tshark prints 0.
            expect(t.maxJitterMs, `${k}: no jitter from us, none from tshark`).toBe(0);
          } else {
            near(s!.jitterMaxMs, t.maxJitterMs, `${k} max jitter`);
            near(s!.jitterMeanMs, t.meanJitterMs, `${k} mean jitter`);
          }
        }
      }
      // RFC 4733 events: as tshark decodes them (8 kHz durations), unless the notes say otherwise.
      const ourEvents = ours.flatMap((s) => s.dtmf ?? []).map((e) => ({ frame: e.frame, digit: e.digit, durationMs: e.durationMs })).sort((a, b) => a.frame - b.frame);
      const theirs = note?.dtmf?.ours ?? dtmf.map((e) => ({ frame: e.frame, digit: dtmfDigit(e.event), durationMs: e.duration / 8 })).sort((a, b) => a.frame - b.frame);
      expect(ourEvents, 'DTMF events').toEqual(theirs);
      // Streams of ours tshark does not list: only those the notes name.
      const extra = ours.filter((s) => !matched.has(s)).map(ourKey);
      expect(extra.sort()).toEqual([...(note?.extra ?? [])].sort());
    });
  }

  it('sample 12 (both sides of the NAT in one file): each sequence number twice, so 269 duplicates', async () => {
    const r = await analyse('public/samples/12-sip-alg/capture.pcap');
    const s = r.rtpStreams.find((x) => x.kind === 'rtp' && x.dst === '203.0.113.20:40010');
    expect(s?.packets).toBe(538);
    expect(s?.duplicates).toBe(269);
    expect(s?.expected).toBe(269);
    expect(s?.lost).toBe(0);
  });
});
