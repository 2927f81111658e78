import { describe, expect, it } from 'vitest';
import { ethernet, hex, internetChecksum, ipv4, ipv6, ipv6Bytes, nullLoopback, sll, sll2, tcp, text, udp } from './packets.ts';
import { formatIpv6 } from '../hep.ts';

describe('packet builders', () => {
  it('computes the IPv4 header checksum (RFC 1071 worked example header)', () => {
    // 45 00 0073 0000 4000 40 11 [b861] c0a80001 c0a800c7 — the classic example, checksum b861
    const h = ipv4({ src: '192.168.0.1', dst: '192.168.0.199', protocol: 17, id: 0, flags: 2, ttl: 64, payload: new Uint8Array(0x73 - 20) });
    expect(Array.from(h.subarray(0, 20))).toEqual(Array.from(hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7')));
    expect(internetChecksum(h.subarray(0, 20))).toBe(0);
  });

  it('writes Ethernet with VLAN tags, UDP and TCP headers field by field', () => {
    const e = ethernet({ type: 0x0800, vlan: [24, 100], payload: new Uint8Array([0xaa]) });
    expect(Array.from(e.subarray(12, 23))).toEqual([0x81, 0x00, 0x00, 24, 0x81, 0x00, 0x00, 100, 0x08, 0x00, 0xaa]);
    expect(Array.from(udp({ sport: 5060, dport: 5061, payload: text('x') }))).toEqual([0x13, 0xc4, 0x13, 0xc5, 0, 9, 0, 0, 0x78]);
    const t = tcp({ sport: 1, dport: 2, seq: 0xfffffffe, ack: 7, flags: { syn: true, ack: true }, payload: text('ab') });
    expect(Array.from(t.subarray(4, 14))).toEqual([0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 7, 0x50, 0x12]);
    expect(t.length).toBe(22);
  });

  it('writes IPv6 with a fragment extension header and parses IPv6 text forms', () => {
    const p = ipv6({ src: '2001:db8::1', dst: '::ffff:10.0.0.1', nextHeader: 17, payload: new Uint8Array(8), ext: [{ type: 44, body: hex('0001 00000005') }] });
    expect(p[6]).toBe(44); // next header: fragment
    expect(p[40]).toBe(17); // fragment header's next header: UDP
    expect((p[4]! << 8) | p[5]!).toBe(16); // payload length: 8 (ext) + 8
    expect(formatIpv6(ipv6Bytes('2001:0db8:0:0:1:0:0:1'), 0)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(ipv6Bytes('fe80::'), 0)).toBe('fe80::');
    expect(formatIpv6(ipv6Bytes('::ffff:1.2.3.4'), 0)).toBe('::ffff:1.2.3.4');
    expect(formatIpv6(ipv6Bytes('1:2:3:4:5:6:7:8'), 0)).toBe('1:2:3:4:5:6:7:8');
  });

  it('writes cooked-capture and loopback headers', () => {
    expect(sll({ protocol: 0x0800, payload: new Uint8Array([1]) }).length).toBe(17);
    expect(Array.from(sll2({ protocol: 0x86dd, payload: new Uint8Array(0) }).subarray(0, 2))).toEqual([0x86, 0xdd]);
    expect(Array.from(nullLoopback({ family: 2, payload: new Uint8Array(0) }))).toEqual([2, 0, 0, 0]);
  });
});
