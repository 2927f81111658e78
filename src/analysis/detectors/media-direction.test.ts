/**
 * One-way audio and media that stops in one direction (rtp-one-way, media-stopped) on the lab's
 * real captures from both sides of the NAT, and on a capture built packet by packet where one
 * direction falls silent 0.6 s into a 20 s call.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../../engine/analyze.ts';
import { concat, ethUdp4, pcapFile, u16, u32 } from '../../capture/testing/packets.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const report = async (p: string) => (await analyzeBytes(new Uint8Array(readFileSync(path.join(ROOT, p))))).report;
const kinds = (r: Awaited<ReturnType<typeof report>>, kind: string) => r.findings.filter((f) => f.kind === kind).map((f) => [f.severity, f.title]);

describe('rtp-one-way as received', () => {
  it('the one-way sample is an error from the WAN and from the LAN side', async () => {
    expect(kinds(await report('public/samples/08-one-way-audio/capture.pcap'), 'rtp-one-way')).toEqual([['error', 'One-way audio: RTP only 203.0.113.1 → 203.0.113.20']]);
    // Seen from the LAN both ends of the media look reachable, but nothing comes back: still the customer's symptom.
    expect(kinds(await report('public/samples/08-one-way-audio/capture-lan.pcap'), 'rtp-one-way')).toEqual([['error', 'One-way audio: RTP only 192.168.1.10 → 203.0.113.20']]);
  });

  it('a return stream sent from a public address to a private one does not count as received (13-rtp-unlatched, WAN side)', async () => {
    const r = await report('public/samples/13-rtp-unlatched/capture.pcap');
    const f = r.findings.find((x) => x.kind === 'rtp-one-way')!;
    expect(f.severity).toBe('error');
    expect(f.explanation).toMatch(/sent, but to a private address from a public one, where it cannot arrive: 203\.0\.113\.20:\d+ → 192\.168\.1\.10:40060/);
  });

  it('healthy calls, both sides of the NAT, and a test tool streaming one way without NAT stay at info', async () => {
    for (const f of ['04-rport-good/capture.pcap', '04-rport-good/capture-lan.pcap', '10-good-tcp/capture.pcap'].filter((x) => existsSync(path.join(ROOT, 'public/samples', x)))) {
      expect(kinds(await report(`public/samples/${f}`), 'rtp-one-way'), f).toEqual([]);
    }
    // SIPp on one LAN playing a pcap toward its peer: one way by design, no NAT anywhere.
    const sipp = await report('test/captures/public/wireshark-wiki/sip-rtp-g711.pcap');
    expect(sipp.findings.filter((x) => x.kind === 'rtp-one-way').map((x) => x.severity)).toEqual(['info', 'info']);
  });
});

describe('media-stopped', () => {
  // A call between two public hosts: INVITE/200/ACK at 0 s, RTP both ways at 50 packets/s, the
  // callee's direction stops after 0.6 s, the caller's goes on to 20 s, then BYE/200.
  const A = '198.51.100.7';
  const B = '203.0.113.20';
  const sipMsg = (start: string, extra: string[], body = '') =>
    [start, 'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK' + start.length + extra.length, 'From: <sip:a@x>;tag=a1', `To: <sip:b@y>${start.startsWith('INVITE') ? '' : ';tag=b1'}`, 'Call-ID: stop-1', ...extra, `Content-Length: ${body.length}`, '', body].join('\r\n');
  const sdp = (ip: string, port: number) => `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  const rtp = (seq: number, ssrc: number) => concat(new Uint8Array([0x80, 0x00]), u16(seq), u32(seq * 160), u32(ssrc), new Uint8Array(160).fill(0xff));
  function capture(stopAfterS: number): Uint8Array {
    const t0 = 1_700_000_000_000_000;
    const frames: Array<{ timeUs: number; data: Uint8Array }> = [];
    const sip = (t: number, src: string, dst: string, text: string) => frames.push({ timeUs: t0 + Math.round(t * 1e6), data: ethUdp4({ src, dst, sport: 5060, dport: 5060, payload: text }) });
    const offer = sdp(A, 4000);
    const answer = sdp(B, 6000);
    sip(0, A, B, sipMsg('INVITE sip:b@203.0.113.20 SIP/2.0', ['CSeq: 1 INVITE', 'Contact: <sip:a@198.51.100.7>', 'Content-Type: application/sdp'], offer));
    sip(0.1, B, A, sipMsg('SIP/2.0 200 OK', ['CSeq: 1 INVITE', 'Contact: <sip:b@203.0.113.20>', 'Content-Type: application/sdp'], answer));
    sip(0.15, A, B, sipMsg('ACK sip:b@203.0.113.20 SIP/2.0', ['CSeq: 1 ACK']));
    for (let i = 0; i < 1000; i++) {
      const t = 0.2 + i * 0.02;
      frames.push({ timeUs: t0 + Math.round(t * 1e6), data: ethUdp4({ src: A, dst: B, sport: 4000, dport: 6000, payload: rtp(i, 0xaaaa) }) });
      if (t < 0.2 + stopAfterS) frames.push({ timeUs: t0 + Math.round(t * 1e6) + 500, data: ethUdp4({ src: B, dst: A, sport: 6000, dport: 4000, payload: rtp(i, 0xbbbb) }) });
    }
    sip(20.3, A, B, sipMsg('BYE sip:b@203.0.113.20 SIP/2.0', ['CSeq: 2 BYE']));
    sip(20.35, B, A, sipMsg('SIP/2.0 200 OK', ['CSeq: 2 BYE']));
    frames.sort((x, y) => x.timeUs - y.timeUs);
    return pcapFile(1, frames);
  }

  it('one direction silent after 0.6 s of a 20 s call is named, with the frames where each direction ended', async () => {
    const r = (await analyzeBytes(capture(0.6))).report;
    const f = r.findings.filter((x) => x.kind === 'media-stopped');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', callId: 'stop-1', title: 'Media 203.0.113.20 → 198.51.100.7 stopped 19 s before the other direction' });
    const lastBack = r.rtpStreams.find((s) => s.src.startsWith(B))!.lastFrame;
    expect(f[0]!.frames[0]).toBe(lastBack);
    expect(f[0]!.explanation).toContain('ran for 580 ms and stopped');
    // Both directions flowed, so this is not one-way audio.
    expect(r.findings.filter((x) => x.kind === 'rtp-one-way')).toEqual([]);
  });

  it('both directions to the end: nothing', async () => {
    const r = (await analyzeBytes(capture(30))).report;
    expect(r.findings.filter((x) => x.kind === 'media-stopped' || x.kind === 'rtp-one-way')).toEqual([]);
  });
});
