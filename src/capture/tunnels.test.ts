/**
 * UDP tunnels (network.ts): GTP-U (3GPP TS 29.281), VXLAN (RFC 7348) and GENEVE (RFC 8926).
 * test/captures/tunnels/*.pcap are the lab's 04-rport-good capture (real kamailio, SIPp and
 * baresip) with every packet carried inside the tunnel (scripts/make-tunnel-captures.mjs).
 * The oracle is tshark 4.0.17, which dissects all three: `tshark -r FILE -Y sip` gives SIP in
 * frames 3 (INVITE), 4 (100), 6 (180), 7 (200), 8 (ACK), 213 (BYE), 214 (200) of each file —
 * the same frames as the unwrapped capture — and 202 RTP packets with heuristic RTP on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { ethernet, ipv4, pcapFile, udp, concat, u16, ethUdp4, text } from './testing/packets.ts';

const DIR = path.resolve(import.meta.dirname, '../../test/captures/tunnels');
const ORIGINAL = path.resolve(import.meta.dirname, '../../public/samples/04-rport-good/capture.pcap');
const TSHARK_SIP = [[3, 'INVITE'], [4, 100], [6, 180], [7, 200], [8, 'ACK'], [213, 'BYE'], [214, 200]];

const analyse = async (file: string) => (await analyzeBytes(new Uint8Array(readFileSync(file)))).report;

describe('SIP and RTP inside UDP tunnels', () => {
  for (const [file, tunnel] of [['gtpu-sip.pcap', 'gtp-u'], ['vxlan-sip.pcap', 'vxlan'], ['geneve-sip.pcap', 'geneve']] as const) {
    it(`${tunnel}: the same SIP frames as tshark, the same calls and media as the capture without the tunnel`, async () => {
      const inner = await analyse(path.join(DIR, file));
      const plain = await analyse(ORIGINAL);
      expect(inner.messages.map((m) => [m.frame, m.method ?? m.status])).toEqual(TSHARK_SIP);
      expect(inner.messages.every((m) => m.encapsulation === tunnel)).toBe(true);
      // Inner addresses, not the tunnel endpoints'.
      expect(inner.messages.map((m) => [m.src, m.dst, m.callId])).toEqual(plain.messages.map((m) => [m.src, m.dst, m.callId]));
      expect(inner.calls.map((c) => [c.callId, c.state])).toEqual(plain.calls.map((c) => [c.callId, c.state]));
      expect(inner.rtpStreams.map((s) => [s.ssrc, s.src, s.dst, s.packets])).toEqual(plain.rtpStreams.map((s) => [s.ssrc, s.src, s.dst, s.packets]));
      expect(inner.findings.map((f) => f.kind).sort()).toEqual(plain.findings.map((f) => f.kind).sort());
      expect(inner.warnings).toEqual([]);
    });
  }

  const sip = text('OPTIONS sip:a@192.0.2.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.45.0.2:5060;branch=z9hG4bK1\r\nFrom: <sip:u@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: gtp-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
  const innerIp = ipv4({ src: '10.45.0.2', dst: '192.0.2.9', protocol: 17, payload: udp({ sport: 5060, dport: 5060, payload: sip }) });
  const gtp = (flags: number, length: number, rest: Uint8Array) => concat(new Uint8Array([flags, 0xff]), u16(length), new Uint8Array([0, 0, 0, 1]), rest);
  const overUdp = (port: number, payload: Uint8Array) => ethernet({ type: 0x0800, payload: ipv4({ src: '198.51.100.1', dst: '198.51.100.2', protocol: 17, payload: udp({ sport: port, dport: port, payload }) }) });
  const run = async (frames: Uint8Array[]) => (await analyzeBytes(pcapFile(1, frames.map((data, i) => ({ timeUs: 1_700_000_000_000_000 + i * 1000, data }))))).report;

  it('a GTP-U header that says more than the packet holds gives what is there and one warning', async () => {
    const r = await run([overUdp(2152, gtp(0x30, innerIp.length + 40, innerIp)), overUdp(2152, gtp(0x30, innerIp.length + 40, innerIp))]);
    expect(r.messages.map((m) => [m.frame, m.method, m.src])).toEqual([[1, 'OPTIONS', '10.45.0.2:5060'], [2, 'OPTIONS', '10.45.0.2:5060']]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ frame: 1 });
    expect(r.warnings[0]!.message).toMatch(/GTP-U header says \d+ bytes follow but only \d+ are present/);
  });

  it('an extension header chain that runs past the packet is a warning, never a crash', async () => {
    const broken = gtp(0x34, 8, concat(new Uint8Array([0, 1, 0, 0x85]), new Uint8Array([9, 0, 0, 0])));
    const r = await run([overUdp(2152, broken)]);
    expect(r.messages).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/extension header runs past the packet/)]);
  });

  it('datagrams on a tunnel port without the tunnel shape stay plain UDP (SIP on port 4789 is still read)', async () => {
    const r = await run([ethUdp4({ src: '192.0.2.1', dst: '192.0.2.2', sport: 4789, dport: 4789, payload: sip })]);
    expect(r.messages.map((m) => [m.method, m.src, m.encapsulation])).toEqual([['OPTIONS', '192.0.2.1:4789', null]]);
  });
});
