import { describe, expect, it } from 'vitest';
import { ETH_IPV4, ETH_IPV6, LINK_NOT_IP, LINK_OK, LINK_UNSUPPORTED, decodeLink } from './link.ts';
import type { LinkResult } from './link.ts';
import { concat, ethernet, hex, ip4Udp, ip6Udp, nullLoopback, sll, sll2, u16, u32 } from './testing/packets.ts';

const V4 = ip4Udp({ src: '10.1.1.1', dst: '10.1.1.2', sport: 5060, dport: 5060, payload: 'x' });
const V6 = ip6Udp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 5060, dport: 5060, payload: 'x' });

function link(lt: number, frame: Uint8Array): [number, number, number] {
  const r: LinkResult = { etherType: 0, offset: 0 };
  const st = decodeLink(lt, frame, r);
  return st === LINK_OK ? [st, r.etherType, r.offset] : [st, 0, 0];
}

const MACS = hex('020000000002 020000000001'); // destination, source

describe('decodeLink', () => {
  it('Ethernet II, 802.1Q, QinQ (0x88a8 and 0x9100)', () => {
    expect(link(1, ethernet({ type: 0x0800, payload: V4 }))).toEqual([LINK_OK, ETH_IPV4, 14]);
    expect(link(1, ethernet({ type: 0x86dd, vlan: [24], payload: V6 }))).toEqual([LINK_OK, ETH_IPV6, 18]);
    const qinq = concat(MACS, hex('88a8 0064'), hex('8100 0018'), u16(0x0800), V4); // S-tag 100, C-tag 24
    expect(link(1, qinq)).toEqual([LINK_OK, ETH_IPV4, 22]);
    const old = concat(MACS, hex('9100 0064'), hex('8100 0018'), u16(0x86dd), V6);
    expect(link(1, old)).toEqual([LINK_OK, ETH_IPV6, 22]);
  });

  it('PPPoE session with PPP IPv4/IPv6, MPLS label stacks, 802.3 SNAP', () => {
    const pppoe = concat(MACS, u16(0x8864), hex('11 00 1234'), u16(V4.length + 2), u16(0x0021), V4); // ver/type, code, session, length, PPP proto
    expect(link(1, pppoe)).toEqual([LINK_OK, ETH_IPV4, 22]);
    const pppoe6 = concat(MACS, u16(0x8864), hex('11 00 1234'), u16(V6.length + 2), u16(0x0057), V6);
    expect(link(1, pppoe6)).toEqual([LINK_OK, ETH_IPV6, 22]);
    const mpls = concat(MACS, u16(0x8847), hex('00010040'), hex('00020140'), V4); // label 16 (not bottom), label 32 (bottom of stack)
    expect(link(1, mpls)).toEqual([LINK_OK, ETH_IPV4, 22]);
    const snap = concat(MACS, u16(V4.length + 8), hex('aaaa03 000000'), u16(0x0800), V4); // 802.3 length, LLC SNAP, EtherType
    expect(link(1, snap)).toEqual([LINK_OK, ETH_IPV4, 22]);
  });

  it('ignores frames that carry no IP', () => {
    expect(link(1, ethernet({ type: 0x0806, payload: new Uint8Array(28) }))).toEqual([LINK_NOT_IP, 0, 0]);
    expect(link(1, concat(MACS, u16(38), hex('424203'), new Uint8Array(35)))).toEqual([LINK_NOT_IP, 0, 0]); // STP over LLC
    expect(link(1, hex('0102'))).toEqual([LINK_NOT_IP, 0, 0]);
  });

  it('Linux SLL and SLL2', () => {
    expect(link(113, sll({ protocol: 0x0800, payload: V4 }))).toEqual([LINK_OK, ETH_IPV4, 16]);
    expect(link(113, sll({ protocol: 0x86dd, pkttype: 4, payload: V6 }))).toEqual([LINK_OK, ETH_IPV6, 16]);
    expect(link(276, sll2({ protocol: 0x0800, payload: V4 }))).toEqual([LINK_OK, ETH_IPV4, 20]);
    expect(link(276, sll2({ protocol: 0x8100, payload: concat(hex('0018'), u16(0x86dd), V6) }))).toEqual([LINK_OK, ETH_IPV6, 24]);
  });

  it('BSD null loopback in both byte orders, and LOOP', () => {
    expect(link(0, nullLoopback({ family: 2, payload: V4 }))).toEqual([LINK_OK, ETH_IPV4, 4]);
    expect(link(0, nullLoopback({ family: 2, bigEndian: true, payload: V4 }))).toEqual([LINK_OK, ETH_IPV4, 4]);
    for (const af of [24, 28, 30, 10]) expect(link(0, nullLoopback({ family: af, payload: V6 }))).toEqual([LINK_OK, ETH_IPV6, 4]);
    expect(link(0, nullLoopback({ family: 30, bigEndian: true, payload: V6 }))).toEqual([LINK_OK, ETH_IPV6, 4]);
    expect(link(108, concat(u32(2), V4))).toEqual([LINK_OK, ETH_IPV4, 4]);
    expect(link(0, nullLoopback({ family: 7, payload: V4 }))).toEqual([LINK_NOT_IP, 0, 0]);
  });

  it('raw IP (101, 228, 229, 12, 14) and PPP (9)', () => {
    expect(link(101, V6)).toEqual([LINK_OK, ETH_IPV6, 0]);
    expect(link(101, V4)).toEqual([LINK_OK, ETH_IPV4, 0]);
    expect(link(228, V4)).toEqual([LINK_OK, ETH_IPV4, 0]);
    expect(link(229, V6)).toEqual([LINK_OK, ETH_IPV6, 0]);
    expect(link(12, V4)).toEqual([LINK_OK, ETH_IPV4, 0]);
    expect(link(14, V6)).toEqual([LINK_OK, ETH_IPV6, 0]);
    expect(link(9, concat(hex('ff03 0021'), V4))).toEqual([LINK_OK, ETH_IPV4, 4]); // HDLC address/control, protocol
    expect(link(9, concat(hex('0057'), V6))).toEqual([LINK_OK, ETH_IPV6, 2]); // address/control omitted
    expect(link(9, concat(hex('21'), V4))).toEqual([LINK_OK, ETH_IPV4, 1]); // compressed protocol field
    expect(link(9, concat(hex('ff03 c021'), new Uint8Array(8)))).toEqual([LINK_NOT_IP, 0, 0]); // LCP
  });

  it('says when a link type is unknown', () => {
    expect(link(105, V4)).toEqual([LINK_UNSUPPORTED, 0, 0]);
    expect(link(127, V4)).toEqual([LINK_UNSUPPORTED, 0, 0]);
  });
});
