/**
 * RTP quality on packets built byte by byte (RFC 3550 §5.1 header, §6.4 SR/RR, RFC 4733 events),
 * fed through the tracker the transport layer uses: RFC 3550 A.3 expected/lost across the 16-bit
 * wrap, A.8 interarrival jitter against the RFC's own recurrence, duplicates and reordering,
 * DTMF, RTCP round-trip time, the per-second series and the E-model.
 */
import { describe, expect, it } from 'vitest';
import { RtpTracker } from './rtp.ts';
import type { RtpStreamStats } from './types.ts';
import { mosFromR, rFactor } from './emodel.ts';

const A = '10.0.0.1';
const B = '10.0.0.2';
const T0 = 1_700_000_000_000_000; // µs since the epoch, on a whole second

/** An RTP packet: 12-byte header (RFC 3550 §5.1) + payload. */
function rtp(seq: number, ts: number, opts: { pt?: number; marker?: boolean; ssrc?: number; payload?: number[] } = {}): Uint8Array {
  const payload = opts.payload ?? new Array<number>(160).fill(0xff);
  const b = new Uint8Array(12 + payload.length);
  b[0] = 0x80; // V=2, P=0, X=0, CC=0
  b[1] = (opts.marker ? 0x80 : 0) | (opts.pt ?? 0); // M, PT (0 = PCMU/8000)
  b[2] = (seq >> 8) & 0xff; // sequence number
  b[3] = seq & 0xff;
  b[4] = (ts >>> 24) & 0xff; // timestamp
  b[5] = (ts >>> 16) & 0xff;
  b[6] = (ts >>> 8) & 0xff;
  b[7] = ts & 0xff;
  const ssrc = opts.ssrc ?? 0x11223344;
  b[8] = (ssrc >>> 24) & 0xff; // SSRC
  b[9] = (ssrc >>> 16) & 0xff;
  b[10] = (ssrc >>> 8) & 0xff;
  b[11] = ssrc & 0xff;
  b.set(payload, 12);
  return b;
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** Feeds [timeUs, bytes] pairs A → B:4000 (announced in SDP, so no heuristic probation). */
function run(packets: Array<[number, Uint8Array]>, setup?: (t: RtpTracker) => void): RtpStreamStats[] {
  const t = new RtpTracker();
  t.announce(B, 4000);
  setup?.(t);
  packets.forEach(([time, bytes], i) => t.packet(i + 1, time, A, 5000, B, 4000, bytes, 0, bytes.length));
  return t.streams();
}

describe('RFC 3550 A.3: expected and lost', () => {
  it('counts across the 16-bit sequence wrap: 65533…65535, 0, (1 lost), 2, 3', () => {
    const seqs = [65533, 65534, 65535, 0, 2, 3];
    const [s] = run(seqs.map((q, i) => [T0 + i * 20_000, rtp(q, i * 160)]));
    // extended max = 65536 + 3, base = 65533: expected = 65539 − 65533 + 1 = 7, received 6
    expect(s!.quality!.expected).toBe(7);
    expect(s!.packets).toBe(6);
    expect(s!.lost).toBe(1);
    expect(s!.quality!.seqJumps).toBe(1);
    expect(s!.quality!.duplicates).toBe(0);
    expect(s!.quality!.outOfOrder).toBe(0);
  });

  it('tells a duplicate from a late packet: 10, 11, 13, 12, 12, 14', () => {
    const seqs = [10, 11, 13, 12, 12, 14];
    const [s] = run(seqs.map((q, i) => [T0 + i * 20_000, rtp(q, q * 160)]));
    const q = s!.quality!;
    expect(q.expected).toBe(5); // 14 − 10 + 1
    expect(s!.packets).toBe(6);
    expect(s!.lost).toBe(0); // 5 − 6 = −1: duplicates count as received (A.3), shown as 0
    expect(q.duplicates).toBe(1); // the second 12
    expect(q.outOfOrder).toBe(1); // the first 12, after 13
    expect(q.seqJumps).toBe(1); // 11 → 13
  });

  it('a sender restart (jump beyond MAX_DROPOUT) opens a new run instead of thousands of losses', () => {
    const seqs = [100, 101, 102, 40000, 40001, 40003];
    const [s] = run(seqs.map((q, i) => [T0 + i * 20_000, rtp(q, i * 160)]));
    expect(s!.quality!.expected).toBe(3 + 4); // 100–102, then 40000–40003
    expect(s!.lost).toBe(1);
    expect(s!.quality!.seqJumps).toBe(2);
  });
});

describe('RFC 3550 A.8: interarrival jitter', () => {
  it('equals the RFC recurrence J += (|D| − J)/16 in timestamp units, shown in ms', () => {
    // PCMU, 8 kHz: 160 timestamp units per 20 ms; arrivals wander around the 20 ms grid.
    const arrivalsMs = [0, 20, 45, 60, 81, 100, 130, 140, 160, 185];
    const packets: Array<[number, Uint8Array]> = arrivalsMs.map((ms, i) => [T0 + ms * 1000, rtp(1000 + i, 5000 + i * 160)]);
    const [s] = run(packets);
    // The RFC's own computation, in timestamp units (arrival converted at 8 units per ms).
    let j = 0;
    const js: number[] = [];
    for (let i = 1; i < arrivalsMs.length; i++) {
      const d = (arrivalsMs[i]! - arrivalsMs[i - 1]!) * 8 - 160;
      j += (Math.abs(d) - j) / 16;
      js.push(j / 8); // → ms
    }
    const q = s!.quality!;
    expect(q.clockRate).toBe(8000);
    expect(q.jitterMaxMs).toBeCloseTo(Math.max(...js), 9);
    expect(q.jitterMeanMs).toBeCloseTo(js.reduce((a, b) => a + b, 0) / js.length, 9);
    expect(q.maxDeltaMs).toBeCloseTo(30, 9); // 100 → 130 ms
    // RTP clock says 9 × 20 = 180 ms elapsed, the packets took 185 ms.
    expect(q.driftMs).toBeCloseTo(5, 9);
    // Per second: all ten packets in second 0, the jitter there is the max.
    expect(q.perSecond.startUs).toBe(T0);
    expect(q.perSecond.packets).toEqual([10]);
    expect(q.perSecond.jitterMs[0]).toBeCloseTo(Math.max(...js), 9);
  });

  it('a marker packet (talkspurt start) is left out of max delta and jitter maxima, as Wireshark does', () => {
    const packets: Array<[number, Uint8Array]> = [
      [T0, rtp(1, 0)],
      [T0 + 20_000, rtp(2, 160)],
      [T0 + 520_000, rtp(3, 4160, { marker: true })], // 500 ms of silence suppression
      [T0 + 540_000, rtp(4, 4320)],
    ];
    const [s] = run(packets);
    expect(s!.quality!.markers).toBe(1);
    expect(s!.quality!.maxDeltaMs).toBeCloseTo(20, 9);
  });

  it('a dynamic payload type without an rtpmap has no clock rate: jitter null, not invented', () => {
    const [s] = run([0, 1, 2, 3].map((i) => [T0 + i * 20_000, rtp(i, i * 160, { pt: 111 })]));
    expect(s!.quality!.jitterMaxMs).toBeNull();
    expect(s!.quality!.jitterMeanMs).toBeNull();
    expect(s!.quality!.driftMs).toBeNull();
  });

  it('an rtpmap announced for the destination gives the clock rate (opus/48000)', () => {
    const pk: Array<[number, Uint8Array]> = [0, 1, 2, 3].map((i) => [T0 + i * 20_000 + (i === 2 ? 4000 : 0), rtp(i, i * 960, { pt: 111 })]);
    const [s] = run(pk, (t) => t.announceCodecs(B, 4000, [{ payload: 111, codec: 'opus/48000/2' }]));
    expect(s!.quality!.clockRate).toBe(48000);
    // D: 0, +4 ms, −4 ms → J = 4/16 = 0.25, then (15·0.25 + 4)/16
    expect(s!.quality!.jitterMaxMs).toBeCloseTo((15 * 0.25 + 4) / 16, 9);
  });

  it('an address announced twice (a re-INVITE) uses the last rtpmap of each payload type', () => {
    const pk: Array<[number, Uint8Array]> = [0, 1, 2, 3].map((i) => [T0 + i * 20_000, rtp(i, i * 960, { pt: 111 })]);
    const twice = (second: string) => (t: RtpTracker) => {
      t.announceCodecs(B, 4000, [{ payload: 0, codec: 'PCMU/8000' }, { payload: 111, codec: 'opus/48000/2' }]);
      t.announceCodecs(B, 4000, [{ payload: 111, codec: second }]);
    };
    expect(run(pk, twice('L16/16000'))[0]!.quality!.clockRate).toBe(16000);
    expect(run(pk, twice('opus/48000/2'))[0]!.quality!.clockRate).toBe(48000);
    // Past the list's bound the address gets its table, and the last mapping still wins.
    const many = (t: RtpTracker) => {
      for (let k = 0; k < 40; k++) t.announceCodecs(B, 4000, [{ payload: 111, codec: k % 2 ? 'opus/48000/2' : 'L16/16000' }]);
    };
    expect(run(pk, many)[0]!.quality!.clockRate).toBe(48000);
  });
});

describe('per-second series', () => {
  it('counts packets and the losses revealed in each second, with empty seconds in between', () => {
    const packets: Array<[number, Uint8Array]> = [
      [T0 + 100_000, rtp(1, 0)],
      [T0 + 900_000, rtp(2, 160)],
      [T0 + 2_100_000, rtp(5, 640)], // 3 and 4 lost, revealed in second 2
      [T0 + 2_200_000, rtp(6, 800)],
    ];
    const [s] = run(packets);
    const ps = s!.quality!.perSecond;
    expect(ps.startUs).toBe(T0);
    expect(ps.packets).toEqual([2, 0, 2]);
    expect(ps.lost).toEqual([0, 0, 2]);
    expect(s!.lost).toBe(2);
  });
});

describe('RFC 4733 telephone-events', () => {
  it('one event per RTP timestamp, with its longest duration', () => {
    /** Event payload: event, E|R|volume, duration (16 bits, timestamp units). */
    const ev = (event: number, end: boolean, duration: number): number[] => [event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff];
    const packets: Array<[number, Uint8Array]> = [
      [T0, rtp(1, 0)],
      [T0 + 20_000, rtp(2, 160, { pt: 101, marker: true, payload: ev(5, false, 160) })],
      [T0 + 40_000, rtp(3, 160, { pt: 101, payload: ev(5, false, 320) })],
      [T0 + 60_000, rtp(4, 160, { pt: 101, payload: ev(5, true, 480) })],
      [T0 + 61_000, rtp(5, 160, { pt: 101, payload: ev(5, true, 480) })], // end packet repeated (§2.5.1.4)
      [T0 + 200_000, rtp(6, 1760, { pt: 101, marker: true, payload: ev(11, true, 800) })],
    ];
    const [s] = run(packets, (t) => t.announceCodecs(B, 4000, [{ payload: 101, codec: 'telephone-event/8000' }]));
    expect(s!.quality!.dtmf).toEqual([
      { digit: '5', frame: 2, timeUs: T0 + 20_000, durationMs: 60 },
      { digit: '#', frame: 6, timeUs: T0 + 200_000, durationMs: 100 },
    ]);
  });
});

describe('RTCP reports (RFC 3550 §6.4)', () => {
  it('fraction lost, jitter and the round trip from LSR/DLSR, timed at the capture point', () => {
    const t = new RtpTracker();
    t.announce(A, 5000); // RTCP at 5001
    t.announce(B, 4000); // RTCP at 4001
    const ssrcA = 0x11223344;
    const ssrcB = 0x55667788;
    // NTP time of A's SR: seconds 0xE1234567, fraction 0x89AB0000 → middle 32 bits 0x456789AB.
    const sr = new Uint8Array([
      0x80, 200, 0, 6, // V=2, RC=0, PT=200 SR, length 6 (28 bytes)
      ...u32(ssrcA), // SSRC of sender
      ...u32(0xe1234567), ...u32(0x89ab0000), // NTP timestamp
      ...u32(160000), // RTP timestamp
      ...u32(500), ...u32(80000), // sender's packet and octet counts
    ]);
    const rr = new Uint8Array([
      0x81, 201, 0, 7, // V=2, RC=1, PT=201 RR, length 7 (32 bytes)
      ...u32(ssrcB), // SSRC of the reporter
      ...u32(ssrcA), // report block about A's stream
      64, 0, 0, 12, // fraction lost 64/256, cumulative lost 12
      ...u32(0x10000 + 500), // extended highest sequence
      ...u32(80), // interarrival jitter (timestamp units)
      ...u32(0x456789ab), // LSR
      ...u32(0x8000), // DLSR 0.5 s (1/65536 units)
    ]);
    // A's RTP, so the report block has a stream to attach to.
    for (let i = 0; i < 3; i++) {
      const p = rtp(i, i * 160, { ssrc: ssrcA });
      t.packet(1 + i, T0 + i * 20_000, A, 5000, B, 4000, p, 0, p.length);
    }
    t.packet(10, T0 + 1_000_000, A, 5001, B, 4001, sr, 0, sr.length);
    t.packet(11, T0 + 1_600_000, B, 4001, A, 5001, rr, 0, rr.length); // 600 ms later, 500 ms held
    const s = t.streams().find((x) => x.kind === 'rtp' && x.ssrc === ssrcA)!;
    expect(s.quality!.rtcp).toEqual({ fractionLost: 0.25, jitterTs: 80, rttMs: 100 });
  });
});

describe('E-model (ITU-T G.107, simplified)', () => {
  it('G.711 without loss at the default delay: R = 93.2 − 0.024·120', () => {
    const r = rFactor({ codec: 'PCMU/8000', lossPercent: 0, jitterMeanMs: 0, rttMs: null })!;
    expect(r).toBeCloseTo(93.2 - 0.024 * 120, 9);
    expect(mosFromR(r)).toBeCloseTo(1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r), 9);
    expect(mosFromR(r)).toBeGreaterThan(4.3);
  });
  it('G.729 with 2 % random loss: Ie,eff = 11 + 84·2/(2 + 19) = 19', () => {
    const r = rFactor({ codec: 'G729/8000', lossPercent: 2, jitterMeanMs: 0, rttMs: 200 })!;
    // d = 100 (RTT/2) + 20 ms packetisation
    expect(r).toBeCloseTo(93.2 - 0.024 * 120 - 19, 9);
  });
  it('long delay adds the 0.11·(d − 177.3) term; unknown codecs get no score', () => {
    const r = rFactor({ codec: 'PCMA/8000', lossPercent: 0, jitterMeanMs: 10, rttMs: 400 })!;
    const d = 200 + 20 + 20;
    expect(r).toBeCloseTo(93.2 - 0.024 * d - 0.11 * (d - 177.3), 9);
    expect(rFactor({ codec: 'H264/90000', lossPercent: 0, jitterMeanMs: 0, rttMs: null })).toBeNull();
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(120)).toBe(4.5);
  });
});

describe('addresses announced in SDP', () => {
  it('knows each address and port announced, with many addresses on one port (phones of one make), and the rtpmaps of each', () => {
    const t = new RtpTracker();
    // 30 phones announce port 4000 (and 4001 for RTCP); one announces a dynamic PT of its own.
    const phones = Array.from({ length: 30 }, (_, i) => `10.0.1.${i + 1}`);
    for (const ip of phones) t.announce(ip, 4000);
    t.announceCodecs(phones[20]!, 4000, [{ payload: 96, codec: 'opus/48000/2' }]);
    t.announceCodecs(phones[0]!, 4000, [{ payload: 96, codec: 'AMR/8000' }]);
    for (const ip of phones) {
      expect(t.isAnnounced(ip, 4000)).toBe(true);
      expect(t.isAnnounced(ip, 4001)).toBe(true);
      expect(t.isAnnounced(ip, 4002)).toBe(false);
    }
    expect(t.isAnnounced('10.0.1.99', 4000)).toBe(false);
    expect(t.isAnnounced('10.0.1.1', 5000)).toBe(false);
    // Each stream's clock rate comes from the rtpmap its own destination announced.
    const send = (dst: string, ssrc: number): void => {
      for (let k = 0; k < 10; k++) {
        const p = rtp(k, k * 960, { pt: 96, ssrc });
        t.packet(k + 1, T0 + k * 20_000, '192.0.2.9', 6000 + ssrc, dst, 4000, p, 0, p.length);
      }
    };
    send(phones[20]!, 1);
    send(phones[0]!, 2);
    const byDst = new Map(t.streams().map((s) => [s.dst.ip, s]));
    expect(byDst.get(phones[20]!)?.recognisedBy).toBe('sdp');
    expect(byDst.get(phones[20]!)?.quality?.clockRate).toBe(48000);
    expect(byDst.get(phones[0]!)?.quality?.clockRate).toBe(8000);
  });
});
