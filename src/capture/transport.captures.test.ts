/**
 * The transport layer over public captures (container reader → NetworkDecoder →
 * TransportDecoder, with the real SIP framer), checked against what tshark reports for them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppPayload, CaptureWarning } from './types.ts';
import { openContainer } from './sniff.ts';
import { NetworkDecoder } from './network.ts';
import { TransportDecoder } from './transport.ts';
import { createSipFramer } from '../sip/framing.ts';
import { looksLikeSipStart } from '../sip/detect.ts';
import { ethUdp4, pcapFile } from './testing/packets.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const dec = new TextDecoder();

function run(bytes: Uint8Array, media: Array<[string, number]> = []) {
  const apps: AppPayload[] = [];
  const warnings: CaptureWarning[] = [];
  const t = new TransportDecoder({ app: (p) => apps.push(p), warning: (w) => warnings.push(w) }, { framer: createSipFramer, isSipStart: looksLikeSipStart });
  for (const [ip, port] of media) t.announceMedia(ip, port, 'rtp');
  const n = new NetworkDecoder({ ip: (p) => t.packet(p), warning: (w) => warnings.push(w) });
  const r = openContainer(bytes.subarray(0, 64), { packet: (rec) => n.packet(rec), warning: (w) => warnings.push(w) });
  if ('error' in r) throw new Error(r.error);
  r.push(bytes);
  r.end();
  t.end();
  const byTransport: Record<string, number> = {};
  for (const a of apps) byTransport[a.transport] = (byTransport[a.transport] ?? 0) + 1;
  const startLines = apps.map((a) => dec.decode(a.bytes.subarray(0, 80)).split(/\r?\n/)[0]!);
  return { t, apps, warnings, byTransport, startLines };
}

function capture(rel: string) {
  return new Uint8Array(readFileSync(path.join(PUBLIC, rel)));
}

const have = existsSync(PUBLIC);

describe.skipIf(!have)('public captures', () => {
  it('heplify/sip_ipv4_tcp_retrans.pcap: 8 SIP messages, the TCP retransmission counted once', () => {
    const { apps, byTransport, t, startLines } = run(capture('heplify/sip_ipv4_tcp_retrans.pcap'));
    expect(apps).toHaveLength(8);
    expect(byTransport).toEqual({ tcp: 4, udp: 4 });
    expect(startLines.filter((l) => l.startsWith('REGISTER'))).toHaveLength(4);
    // the unrelated HTTPS connection is not reported
    expect(t.connections().map((c) => [c.transport, c.server.port, c.sawSyn])).toEqual([['tcp', 5060, true]]);
  });

  it('heplify/sip_tcp_websocket.pcap: 39 SIP messages over UDP and WebSocket', () => {
    const { apps, byTransport, t, warnings } = run(capture('heplify/sip_tcp_websocket.pcap'));
    expect(apps).toHaveLength(39);
    expect(byTransport).toEqual({ udp: 28, ws: 11 });
    expect(t.connections()).toMatchObject([{ transport: 'ws', server: { port: 8080 }, sawSyn: true }]);
    expect(warnings).toEqual([]);
  });

  it('heplify/sip_sctp.pcap: INVITE, 100, 403, ACK over SCTP', () => {
    const { byTransport, startLines } = run(capture('heplify/sip_sctp.pcap'));
    expect(byTransport).toEqual({ sctp: 4 });
    expect(startLines.map((l) => l.split(' ')[0] === 'SIP/2.0' ? l.split(' ')[1] : l.split(' ')[0])).toEqual(['INVITE', '100', '403', 'ACK']);
  });

  it('hep-wireshark/hep.pcap: 6 SIP messages inside HEP3', () => {
    const { apps } = run(capture('hep-wireshark/hep.pcap'));
    expect(apps).toHaveLength(6);
    for (const a of apps) expect(a.encapsulation).toBe('hep');
    expect(apps[0]).toMatchObject({ src: { ip: '192.168.1.1', port: 5060 }, dst: { ip: '192.168.1.2', port: 5060 }, transport: 'udp' });
  });

  it('hep-wireshark/hep3_compressed.pcap.pcapng: compressed HEP3 payloads are inflated', () => {
    const { apps, warnings } = run(capture('hep-wireshark/hep3_compressed.pcap.pcapng'));
    expect(apps).toHaveLength(21);
    expect(warnings).toEqual([]);
    expect(dec.decode(apps[0]!.bytes)).toMatch(/^REGISTER sip:rcs\.st SIP\/2\.0\r\n/);
  });

  it('suricata-verify/sip-body-large: one INVITE reassembled from many segments, then a 100', () => {
    const { apps, warnings } = run(capture('suricata-verify/sip-body-large/sip-body-large.pcap'));
    expect(apps).toHaveLength(2);
    expect(apps[0]!.frames.length).toBeGreaterThan(2);
    expect(dec.decode(apps[0]!.bytes)).toMatch(/^INVITE /);
    expect(dec.decode(apps[1]!.bytes)).toMatch(/^SIP\/2\.0 100 /);
    expect(warnings).toEqual([]);
  });

  it('heplify/sip_ipv4_tcp_fragmented.pcap: SIP on TCP 6060 found from the first payload (tshark -d: 406)', () => {
    const { apps, warnings } = run(capture('heplify/sip_ipv4_tcp_fragmented.pcap'));
    expect(apps).toHaveLength(406);
    expect(warnings).toEqual([]);
  });

  it('snort3-demo Eyebeam call: RTP on SDP-announced ports inside the SIP port range (tshark: 3538 RTP)', () => {
    // the SDP of this call announces audio 5062 and video 5064 on both hosts
    const { t } = run(capture('snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap'), [
      ['192.168.1.87', 5062],
      ['192.168.1.87', 5064],
      ['192.168.1.36', 5062],
      ['192.168.1.36', 5064],
    ]);
    const rtp = t.rtpStreams().filter((s) => s.kind === 'rtp');
    expect(rtp.reduce((n, s) => n + s.packets, 0)).toBe(3538);
    for (const s of rtp) expect(s.recognisedBy).toBe('sdp');
    // without the SDP, nothing RTP-shaped on 5062/5064 is taken for media
    expect(run(capture('snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap')).t.rtpStreams()).toEqual([]);
  });

  it('heplify/sip_ipv4_tcp.pcap: the two RTP streams found by the heuristic (tshark: 42 + 24)', () => {
    const { t } = run(capture('heplify/sip_ipv4_tcp.pcap'));
    const rtp = t.rtpStreams().filter((s) => s.kind === 'rtp');
    expect(rtp.map((s) => [s.ssrc.toString(16), s.packets, s.lost])).toEqual([
      ['42f433d4', 42, 0],
      ['5a3361b3', 24, 0],
    ]);
  });

  it('sngrep/tlssaved.pcap: SIP over TLS captured mid-session, segments reordered by the capture', () => {
    const { apps, t, warnings } = run(capture('sngrep/tlssaved.pcap'));
    expect(apps).toHaveLength(0);
    const conns = t.connections();
    expect(conns.length).toBeGreaterThan(0);
    for (const c of conns) expect(c).toMatchObject({ transport: 'tls', sawSyn: false, tls: { handshake: 'none' }, gaps: [] });
    expect(warnings).toEqual([]);
  });
});

describe('through the network layer', () => {
  it('builds the same payload from an Ethernet/IPv4/UDP frame in a pcap file', () => {
    const m = 'OPTIONS sip:x@example.com SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n';
    const file = pcapFile(1, [{ timeUs: 1_700_000_000_000_001, data: ethUdp4({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5062, dport: 5060, payload: m, vlan: [24] }) }]);
    const { apps } = run(file);
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ frame: 1, timeUs: 1_700_000_000_000_001, src: { ip: '10.0.0.1', port: 5062 }, transport: 'udp' });
    expect(dec.decode(apps[0]!.bytes)).toBe(m);
  });
});
