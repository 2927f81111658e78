import { describe, expect, it } from 'vitest';
import { canonicalIPv4, classifyAddress, defaultPort, isIpLiteral, isPrivateLike, normalizeHost, sameEndpoint } from './addresses.ts';
import * as lib from '../analysis/lib/addr.ts';

describe('classifyAddress', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.15', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['169.254.10.10', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.1.75', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.5', 'documentation'],
    ['8.8.8.8', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00:1::5', 'private'],
    ['fc00::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2a00:1450:4001::200e', 'public'],
    ['::ffff:192.168.0.1', 'private'],
    ['[fe80::1]', 'link-local'],
    ['sip.example.com', 'hostname'],
    ['256.1.1.1', 'invalid'],
    ['', 'invalid'],
    // Not as the capture layer writes them: the general parser's path, same classes.
    ['010.1.2.3', 'private'],
    [' 192.168.1.15 ', 'private'],
    ['240.0.0.1', 'reserved'],
    ['239.255.255.255', 'multicast'],
    ['198.19.0.1', 'reserved'],
  ])('%s → %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
    // The detectors' helpers (a one-scan path for canonical dotted quads, a cache for the rest) agree.
    expect(lib.classifyAddress(ip)).toBe(cls);
    expect(lib.isPrivateLike(ip)).toBe(isPrivateLike(ip));
    expect(lib.isIpLiteral(ip)).toBe(isIpLiteral(ip));
  });

  it("canonicalIPv4: the 32-bit value of the capture layer's dotted quads, −1 for other text", () => {
    expect(canonicalIPv4('1.2.3.4')).toBe(0x01020304);
    expect(canonicalIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(canonicalIPv4('0.0.0.0')).toBe(0);
    expect(canonicalIPv4('192.168.1.15')).toBe(0xc0a8010f);
    for (const other of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '1.2.3.256', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1..2.3', '::1', '']) expect(canonicalIPv4(other)).toBe(-1);
  });

  it('private-like covers what betrays a NAT, not documentation nets', () => {
    expect(isPrivateLike('192.168.1.15')).toBe(true);
    expect(isPrivateLike('100.70.1.1')).toBe(true);
    expect(isPrivateLike('fd12::1')).toBe(true);
    expect(isPrivateLike('203.0.113.5')).toBe(false);
    expect(isPrivateLike('pbx.example.com')).toBe(false);
  });
});

describe('normalizeHost', () => {
  it('compresses IPv6 per RFC 5952 and strips brackets', () => {
    expect(normalizeHost('[2001:0DB8:0000:0000:0000:0000:0000:0001]')).toBe('2001:db8::1');
    expect(normalizeHost('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeHost('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normalizeHost('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(normalizeHost('Proxy.Example.COM')).toBe('proxy.example.com');
    expect(normalizeHost('010.001.002.003')).toBe('10.1.2.3');
  });
  it('rejects broken literals', () => {
    expect(isIpLiteral('1::2::3')).toBe(false);
    expect(isIpLiteral('1.2.3')).toBe(false);
    expect(isIpLiteral('[::1]')).toBe(true);
  });
  it('compares endpoints in any notation', () => {
    expect(sameEndpoint({ ip: '2001:db8::1', port: 5060 }, { ip: '[2001:DB8:0::1]', port: 5060 })).toBe(true);
    expect(sameEndpoint({ ip: '2001:db8::1', port: 5060 }, { ip: '2001:db8::1', port: 5061 })).toBe(false);
  });
});

describe('defaultPort', () => {
  it('is 5061 for TLS/WSS/sips and 5060 otherwise (RFC 3261 §19.1.2, RFC 3263)', () => {
    expect(defaultPort('UDP')).toBe(5060);
    expect(defaultPort('tcp')).toBe(5060);
    expect(defaultPort('TLS')).toBe(5061);
    expect(defaultPort('sips')).toBe(5061);
    expect(defaultPort('wss')).toBe(5061);
    expect(defaultPort('sip')).toBe(5060);
  });
});
