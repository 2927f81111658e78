import { describe, expect, it } from 'vitest';
import { formatIpv6, ipv4String, ipv6String, newIpHeader, parseIpv4, parseIpv6 } from './ip.ts';
import { concat, hex, ipv4, ipv6, ipv6Bytes, udp } from './testing/packets.ts';

function v6(text: string): string {
  return formatIpv6(ipv6Bytes(text), 0);
}

describe('IPv6 text (RFC 5952)', () => {
  it('follows the recommendations of §4 and §5', () => {
    expect(v6('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1'); // §4.1 no leading zeros, §4.2.1 longest run
    expect(v6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // §4.2.2 a single 0 group is not compressed
    expect(v6('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1'); // §4.2.3 longest run wins
    expect(v6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // §4.2.3 tie → the first
    expect(v6('2001:DB8:ABCD::EF')).toBe('2001:db8:abcd::ef'); // §4.3 lower case
    expect(v6('::')).toBe('::');
    expect(v6('::1')).toBe('::1');
    expect(v6('fe80::')).toBe('fe80::');
    expect(v6('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1'); // §5 IPv4-mapped
  });

  it('agrees with the WHATWG URL serializer on random addresses, through the cache', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(16);
      for (let j = 0; j < 16; j += 2) {
        // zero groups often, so that runs of zeros appear
        const z = rnd() % 3 === 0;
        b[j] = z ? 0 : rnd() & 255;
        b[j + 1] = z ? 0 : rnd() & 255;
      }
      if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) continue;
      const groups = Array.from({ length: 8 }, (_, k) => ((b[2 * k]! << 8) | b[2 * k + 1]!).toString(16)).join(':');
      const expected = new URL(`http://[${groups}]/`).hostname.slice(1, -1);
      expect(ipv6String(b, 0)).toBe(expected);
      expect(ipv6String(b, 0)).toBe(expected); // cached
    }
  });

  it('formats IPv4 from a 32-bit value', () => {
    expect(ipv4String(0xc0a80101)).toBe('192.168.1.1');
    expect(ipv4String(0xffffffff)).toBe('255.255.255.255');
    expect(ipv4String(0)).toBe('0.0.0.0');
  });
});

describe('parseIpv4', () => {
  const payload = udp({ sport: 5060, dport: 5060, payload: hex('01020304') });

  it('reads addresses, protocol and the payload bounds (ignoring Ethernet padding)', () => {
    const pkt = concat(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload }), new Uint8Array(6)); // 6 bytes of padding
    const h = newIpHeader();
    expect(parseIpv4(pkt, 0, pkt.length, h)).toBeNull();
    expect(h).toMatchObject({ version: 4, src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payloadStart: 20, payloadEnd: 32, truncated: false, fragment: false });
  });

  it('skips options and marks truncation', () => {
    const pkt = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 6, payload: new Uint8Array(40), options: hex('01010100') }); // NOP NOP NOP EOL
    const h = newIpHeader();
    expect(parseIpv4(pkt, 0, pkt.length - 10, h)).toBeNull();
    expect(h).toMatchObject({ payloadStart: 24, payloadEnd: pkt.length - 10, truncated: true });
  });

  it('reads fragment fields', () => {
    const pkt = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 17, payload: new Uint8Array(16), id: 0x1234, flags: 1, fragOffset: 185 });
    const h = newIpHeader();
    expect(parseIpv4(pkt, 0, pkt.length, h)).toBeNull();
    expect(h).toMatchObject({ fragment: true, fragId: 0x1234, fragOffset: 1480, fragMore: true });
  });

  it('treats total length 0 (segmentation offload) as the captured length', () => {
    const pkt = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 6, payload: new Uint8Array(100), totalLength: 0 });
    const h = newIpHeader();
    expect(parseIpv4(pkt, 0, pkt.length, h)).toBeNull();
    expect(h).toMatchObject({ payloadEnd: 120, truncated: false });
  });

  it('says what is wrong with a bad header', () => {
    const h = newIpHeader();
    expect(parseIpv4(hex('4500'), 0, 2, h)).toBe('IPv4 header cut short (2 of 20 bytes captured)');
    const bad = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 6, payload: new Uint8Array(0) });
    bad[0] = 0x43;
    expect(parseIpv4(bad, 0, bad.length, h)).toBe('IPv4 header length 12 is below the minimum of 20');
  });
});

describe('parseIpv6', () => {
  const payload = udp({ sport: 5060, dport: 5062, payload: hex('aabbcc') });

  it('skips hop-by-hop, routing, destination options and AH', () => {
    const pkt = ipv6({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      nextHeader: 51,
      payload: concat(
        hex('11 01 0000 00000000 00000000 00000000'), // AH: next header UDP, length 1 → (1+2)*4 = 12 bytes
        payload,
      ),
      ext: [
        { type: 0, body: hex('010400000000') }, // hop-by-hop: PadN
        { type: 43, body: hex('000000000000') }, // routing: type 0, segments left 0
        { type: 60, body: hex('010400000000') }, // destination options: PadN
      ],
    });
    const h = newIpHeader();
    expect(parseIpv6(pkt, 0, pkt.length, h)).toBeNull();
    expect(h).toMatchObject({ version: 6, src: '2001:db8::1', dst: '2001:db8::2', protocol: 17, payloadStart: 40 + 24 + 12, payloadEnd: pkt.length, fragment: false });
  });

  it('stops at ESP', () => {
    const pkt = ipv6({ src: '::1', dst: '::1', nextHeader: 50, payload: hex('00000001 00000001 deadbeef') });
    const h = newIpHeader();
    expect(parseIpv6(pkt, 0, pkt.length, h)).toBeNull();
    expect(h).toMatchObject({ protocol: 50, payloadStart: 40 });
  });

  it('reports a cut extension header', () => {
    const pkt = ipv6({ src: '::1', dst: '::1', nextHeader: 17, payload, ext: [{ type: 60, body: hex('010400000000') }] });
    const h = newIpHeader();
    expect(parseIpv6(pkt, 0, 44, h)).toBe('IPv6 extension header 60 cut short');
  });
});
