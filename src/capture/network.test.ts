import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { NetworkDecoder } from './network.ts';
import type { CaptureWarning, IpPacket, PacketRecord } from './types.ts';
import { readAll } from './testing/containers.ts';
import { concat, ethernet, hex, ip4Udp, ip6Udp, ipv4, sll2, u16, udp } from './testing/packets.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');

interface Seen { frame: number; firstFrame: number; version: number; src: string; dst: string; protocol: number; payload: number[]; truncated: boolean; tunnels: string[] }

function decode(frames: Array<{ linkType: number; data: Uint8Array; timeUs?: number }>): { ips: Seen[]; warnings: CaptureWarning[] } {
  const ips: Seen[] = [];
  const warnings: CaptureWarning[] = [];
  const net = new NetworkDecoder({
    ip: (p: IpPacket) => ips.push({ frame: p.frame, firstFrame: p.firstFrame, version: p.version, src: p.src, dst: p.dst, protocol: p.protocol, payload: Array.from(p.payload), truncated: p.truncated, tunnels: [...p.tunnels] }),
    warning: (w) => warnings.push(w),
  });
  frames.forEach((f, i) => {
    const rec: PacketRecord = { frame: i + 1, timeUs: f.timeUs ?? 1_000_000 * (i + 1), linkType: f.linkType, data: f.data, origLen: f.data.length, fileOffset: 100 * i, interfaceId: 0 };
    net.packet(rec);
  });
  net.end();
  return { ips, warnings };
}

function decodeFile(file: string): { ips: Seen[]; warnings: CaptureWarning[] } {
  const r = readAll(new Uint8Array(fs.readFileSync(path.join(PUBLIC, file))));
  return decode(r.records);
}

const SIP = 'OPTIONS sip:a@b SIP/2.0\r\n\r\n';
const INNER4 = ip4Udp({ src: '192.168.1.10', dst: '192.168.1.20', sport: 5060, dport: 5060, payload: SIP });
const INNER_UDP = Array.from(udp({ sport: 5060, dport: 5060, payload: new TextEncoder().encode(SIP) }));
const INNER_ETH = ethernet({ type: 0x0800, payload: INNER4 });

function overGre(gre: Uint8Array): Uint8Array {
  return ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 47, payload: gre }) });
}

const inner = { frame: 1, firstFrame: 1, version: 4, src: '192.168.1.10', dst: '192.168.1.20', protocol: 17, payload: INNER_UDP, truncated: false };

describe('NetworkDecoder', () => {
  it('delivers a VLAN-tagged UDP packet with its addresses and payload', () => {
    const { ips, warnings } = decode([{ linkType: 1, data: ethernet({ type: 0x0800, vlan: [24], payload: INNER4 }) }]);
    expect(warnings).toEqual([]);
    expect(ips).toEqual([{ ...inner, tunnels: [] }]);
  });

  it('marks packets cut by the snaplen as truncated', () => {
    const full = ethernet({ type: 0x0800, payload: INNER4 });
    const { ips } = decode([{ linkType: 1, data: full.subarray(0, full.length - 5) }]);
    expect(ips[0]).toMatchObject({ truncated: true, payload: INNER_UDP.slice(0, -5) });
  });

  it('opens GRE with checksum, key and sequence number', () => {
    const gre = concat(
      hex('b000'), // flags: C, K, S set; version 0
      u16(0x0800), // protocol: IPv4
      hex('0000 0000'), // checksum + reserved
      hex('0000 002a'), // key 42
      hex('0000 0007'), // sequence number 7
      INNER4,
    );
    expect(decode([{ linkType: 1, data: overGre(gre) }]).ips).toEqual([{ ...inner, tunnels: ['gre'] }]);
  });

  it('opens GRE transparent Ethernet bridging (0x6558) and enhanced GRE carrying PPP', () => {
    const teb = concat(hex('0000'), u16(0x6558), INNER_ETH); // no flags, version 0, protocol 0x6558
    expect(decode([{ linkType: 1, data: overGre(teb) }]).ips).toEqual([{ ...inner, tunnels: ['gre'] }]);
    const pptp = concat(
      hex('3081'), // flags: K, S, A set; version 1
      u16(0x880b), // protocol: PPP
      u16(INNER4.length + 4), // payload length
      u16(0x1234), // call id
      hex('00000001'), // sequence number
      hex('00000000'), // acknowledgment number
      hex('ff03 0021'), // PPP address, control, protocol IPv4
      INNER4,
    );
    expect(decode([{ linkType: 1, data: overGre(pptp) }]).ips).toEqual([{ ...inner, tunnels: ['gre'] }]);
  });

  it('opens ERSPAN type I, II and III', () => {
    const type1 = concat(hex('0000'), u16(0x88be), INNER_ETH); // no sequence number: no ERSPAN header
    const type2 = concat(
      hex('1000'), // flags: S set
      u16(0x88be), // protocol: ERSPAN
      hex('00000005'), // GRE sequence number
      hex('1018 0001'), // ERSPAN II: version 1, VLAN 24, COS/En/T, session id 1
      hex('0000 0000'), // reserved, index
      INNER_ETH,
    );
    const type3 = concat(
      hex('1000'), // flags: S set
      u16(0x22eb), // protocol: ERSPAN type III
      hex('00000005'), // GRE sequence number
      hex('2018 0001'), // version 2, VLAN 24, COS/BSO/T, session id 1
      hex('12345678'), // timestamp
      hex('0000'), // SGT
      hex('0001'), // P=0, FT=0 (Ethernet), Hw ID 0, D 0, Gra 0, O=1: platform sub-header follows
      hex('0000000000000000'), // platform-specific sub-header
      INNER_ETH,
    );
    for (const gre of [type1, type2, type3]) expect(decode([{ linkType: 1, data: overGre(gre) }]).ips).toEqual([{ ...inner, tunnels: ['erspan'] }]);
  });

  it('opens IP-in-IP and IPv6-in-IPv4, recording nested tunnels outermost first', () => {
    const ipip = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 4, payload: INNER4 }) });
    expect(decode([{ linkType: 1, data: ipip }]).ips).toEqual([{ ...inner, tunnels: ['ipip'] }]);
    const in6 = ip6Udp({ src: '2001:db8::a', dst: '2001:db8::b', sport: 5060, dport: 5080, payload: SIP });
    const sit = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 41, payload: in6 }) });
    expect(decode([{ linkType: 1, data: sit }]).ips).toMatchObject([{ version: 6, src: '2001:db8::a', dst: '2001:db8::b', protocol: 17, tunnels: ['6in4'] }]);
    const greInIpip = ethernet({ type: 0x0800, payload: ipv4({ src: '10.9.9.9', dst: '10.8.8.8', protocol: 4, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 47, payload: concat(hex('0000'), u16(0x0800), INNER4) }) }) });
    expect(decode([{ linkType: 1, data: greInIpip }]).ips).toEqual([{ ...inner, tunnels: ['ipip', 'gre'] }]);
  });

  it('delivers GRE it cannot open as the outer packet', () => {
    const gre = concat(hex('0000'), u16(0x1234), hex('01020304'));
    expect(decode([{ linkType: 1, data: overGre(gre) }]).ips).toMatchObject([{ src: '10.0.0.1', protocol: 47, tunnels: [] }]);
  });

  it('warns once per unknown link type, and about bad IP headers with the frame', () => {
    const { ips, warnings } = decode([
      { linkType: 147, data: INNER4 },
      { linkType: 147, data: INNER4 },
      { linkType: 276, data: sll2({ protocol: 0x0800, payload: hex('45000014') }) },
    ]);
    expect(ips).toEqual([]);
    expect(warnings).toEqual([
      { frame: 1, message: 'frames with link type user-defined (147) (first at frame 1) cannot be decoded and are skipped' },
      { frame: 3, offset: 200, message: 'IPv4 header cut short (4 of 20 bytes captured)' },
    ]);
  });

  it('reads the public GRE captures: TEB (heplify erspan file) and PPTP-style GRE with PPP (nDPI)', () => {
    const erspan = decodeFile('heplify/erspan_sip_ipv4_udp.pcapng');
    expect(erspan.warnings).toEqual([]);
    expect(erspan.ips).toHaveLength(140);
    expect(erspan.ips.every((p) => p.tunnels.join() === 'gre' && p.protocol === 17)).toBe(true);
    // tshark: frame 1 is 192.168.8.68 → 101.231.48.19 inside, UDP length 683
    expect(erspan.ips[0]).toMatchObject({ src: '180.173.83.248', dst: '101.231.48.19' });
    expect((erspan.ips[0]!.payload[4]! << 8) | erspan.ips[0]!.payload[5]!).toBe(683);
    const gre = decodeFile('ndpi/gre.pcapng');
    expect(gre.ips).toHaveLength(1);
    expect(gre.ips[0]).toMatchObject({ src: '192.168.10.210', dst: '192.168.103.40', protocol: 17, tunnels: ['gre'] });
    const ipip = decodeFile('sngrep/ipip.pcap');
    expect(ipip.ips.map((p) => [p.frame, p.src, p.dst, p.tunnels.join()])).toEqual([
      [1, '10.15.197.103', '10.15.193.31', ''],
      [2, '10.15.193.31', '10.15.197.103', 'ipip'],
      [3, '10.15.193.31', '10.15.197.103', 'ipip'],
      [4, '10.15.197.103', '10.15.193.31', ''],
    ]);
  });

  it('reads the IPv6 in the public SLL and Ethernet captures', () => {
    const { ips } = decodeFile('heplify/sip_ipv6_udp.pcap');
    expect(ips.length).toBe(6);
    expect(ips.every((p) => p.version === 6 && p.protocol === 17 && !p.src.includes('::0') && p.src === p.src.toLowerCase())).toBe(true);
  });
});
