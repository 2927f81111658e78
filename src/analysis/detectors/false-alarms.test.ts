/**
 * Healthy behaviour that must not raise an alarm (issue: "never cries wolf"): a WebSocket
 * client's standard Contact, a BYE sent after a refused INVITE (no dialog existed), a private
 * Contact behind a carrier SBC that Record-Routes, and ICMP in the ordinary hang-up race.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../../engine/analyze.ts';
import { concat, ethUdp4, ip4Packet, ipv4, pcapFile, u16, u32, udp } from '../../capture/testing/packets.ts';
import { flow, reply, request } from '../../sip/testing/flows.ts';
import { runFlow } from '../lib/testing.ts';
import { detectContactPrivateAddress } from './contact-private-address.ts';
import { detectInDialogRequestMisrouted } from './in-dialog-request-misrouted.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('no false alarms', () => {
  it('a WebSocket client\'s Contact "<…>.invalid;transport=ws;ob" has no port by design (heplify/sip_tcp_websocket.pcap)', async () => {
    const a = await analyzeBytes(new Uint8Array(readFileSync(path.join(ROOT, 'test/captures/public/heplify/sip_tcp_websocket.pcap'))));
    const r = a.report;
    expect(a.messages.some((m) => /Contact: <sip:\w+@\w+\.invalid;transport=ws;ob>/.test(m.raw))).toBe(true);
    expect(r.findings.filter((f) => f.kind === 'contact-missing-port')).toEqual([]);
  });

  const ALICE = '<sip:alice@example.com>;tag=a1';
  const BOB = '<sip:bob@example.net>';

  it('a BYE after a 403 is not a misrouted in-dialog request: no dialog existed', () => {
    const inv = request({ method: 'INVITE', uri: 'sip:bob@example.net', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1;rport', from: ALICE, to: BOB, callId: 'f403', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const f = flow()
      .send('198.51.100.7:5060', '203.0.113.10:5060', 'udp', 0, inv)
      .send('203.0.113.10:5060', '198.51.100.7:5060', 'udp', 0.1, reply(inv, 403, 'Forbidden', { toTag: 'x9' }))
      .send('198.51.100.7:5060', '203.0.113.10:5060', 'udp', 0.11, request({ method: 'ACK', uri: 'sip:bob@example.net', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1;rport', from: ALICE, to: `${BOB};tag=x9`, callId: 'f403', cseq: '1 ACK' }))
      // A confused UA hangs up a call that never existed, toward some other address.
      .send('198.51.100.7:5060', '203.0.113.99:5060', 'udp', 1, request({ method: 'BYE', uri: 'sip:bob@203.0.113.99', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKb1;rport', from: ALICE, to: `${BOB};tag=x9`, callId: 'f403', cseq: 2 }));
    expect(runFlow(f, detectInDialogRequestMisrouted, 2)).toEqual([]);
  });

  it('a private Contact on an INVITE from a carrier SBC that Record-Routes is info', () => {
    const inv = request({ method: 'INVITE', uri: 'sip:+15550100@203.0.113.20', via: 'SIP/2.0/UDP 198.51.100.50:5060;branch=z9hG4bKsbc1', recordRoute: ['<sip:198.51.100.50;lr>'], from: '<sip:+15550199@carrier.example>;tag=c1', to: '<sip:+15550100@203.0.113.20>', callId: 'rr-1', cseq: 1, contact: '<sip:+15550199@10.20.30.40:5060>' });
    const f = flow()
      .send('198.51.100.50:5060', '203.0.113.20:5060', 'udp', 0, inv)
      .send('203.0.113.20:5060', '198.51.100.50:5060', 'udp', 0.2, reply(inv, 200, 'OK', { toTag: 'p1', contact: '<sip:pbx@203.0.113.20:5060>' }));
    const out = runFlow(f, detectContactPrivateAddress, 1);
    expect(out.map((x) => x.severity)).toEqual(['info']);
    expect(out[0]!.explanation).toContain('go through 198.51.100.50 first');
  });

  it('ICMP port unreachable in the last moment before the BYE, after 10 s of two-way audio, is the hang-up race (info)', async () => {
    const A = '198.51.100.7';
    const B = '203.0.113.20';
    const t0 = 1_700_000_000_000_000;
    const frames: Array<{ timeUs: number; data: Uint8Array }> = [];
    const at = (s: number) => t0 + Math.round(s * 1e6);
    const sdp = (ip: string, port: number) => `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
    const msg = (start: string, cseq: string, extra: string[] = [], body = '') =>
      [start, `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK${cseq.replace(' ', '')}`, 'From: <sip:a@x>;tag=a1', `To: <sip:b@y>${start.startsWith('INVITE') ? '' : ';tag=b1'}`, 'Call-ID: race-1', `CSeq: ${cseq}`, ...extra, `Content-Length: ${body.length}`, '', body].join('\r\n');
    const sip = (s: number, src: string, dst: string, text: string) => frames.push({ timeUs: at(s), data: ethUdp4({ src, dst, sport: 5060, dport: 5060, payload: text }) });
    sip(0, A, B, msg('INVITE sip:b@203.0.113.20 SIP/2.0', '1 INVITE', ['Contact: <sip:a@198.51.100.7>', 'Content-Type: application/sdp'], sdp(A, 4000)));
    sip(0.1, B, A, msg('SIP/2.0 200 OK', '1 INVITE', ['Contact: <sip:b@203.0.113.20>', 'Content-Type: application/sdp'], sdp(B, 6000)));
    sip(0.15, A, B, msg('ACK sip:b@203.0.113.20 SIP/2.0', '1 ACK'));
    const rtp = (seq: number, ssrc: number) => concat(new Uint8Array([0x80, 0x00]), u16(seq), u32(seq * 160), u32(ssrc), new Uint8Array(160).fill(0xff));
    for (let i = 0; i < 500; i++) {
      frames.push({ timeUs: at(0.2 + i * 0.02), data: ethUdp4({ src: A, dst: B, sport: 4000, dport: 6000, payload: rtp(i, 0xaaaa) }) });
      if (i < 495) frames.push({ timeUs: at(0.2 + i * 0.02) + 300, data: ethUdp4({ src: B, dst: A, sport: 6000, dport: 4000, payload: rtp(i, 0xbbbb) }) });
    }
    // B closed its port: ICMP port unreachable (type 3, code 3) quoting A's last RTP packet, then B's BYE.
    const quoted = ipv4({ src: A, dst: B, protocol: 17, payload: udp({ sport: 4000, dport: 6000, payload: rtp(499, 0xaaaa).subarray(0, 8) }) });
    frames.push({ timeUs: at(10.19), data: ip4Packet({ src: B, dst: A, protocol: 1, payload: concat(new Uint8Array([3, 3, 0, 0, 0, 0, 0, 0]), quoted) }) });
    sip(10.3, B, A, ['BYE sip:a@198.51.100.7 SIP/2.0', `Via: SIP/2.0/UDP ${B}:5060;branch=z9hG4bKbye`, 'From: <sip:b@y>;tag=b1', 'To: <sip:a@x>;tag=a1', 'Call-ID: race-1', 'CSeq: 1 BYE', 'Content-Length: 0', '', ''].join('\r\n'));
    sip(10.35, A, B, ['SIP/2.0 200 OK', `Via: SIP/2.0/UDP ${B}:5060;branch=z9hG4bKbye`, 'From: <sip:b@y>;tag=b1', 'To: <sip:a@x>;tag=a1', 'Call-ID: race-1', 'CSeq: 1 BYE', 'Content-Length: 0', '', ''].join('\r\n'));
    frames.sort((x, y) => x.timeUs - y.timeUs);
    const r = (await analyzeBytes(pcapFile(1, frames))).report;
    expect(r.icmp).toHaveLength(1);
    const f = r.findings.filter((x) => x.kind === 'rtp-icmp-unreachable');
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0]!.explanation).toContain('an ordinary race, not a fault');
    expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
  });
});
