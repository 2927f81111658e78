import { describe, expect, it } from 'vitest';
import { parseHostPort, parseNameAddr, parseParams, parseUri, readQuoted, splitHeaderValues } from './uri.ts';

describe('parseUri', () => {
  it('reads user, host, port, params; drops the password; keeps raw', () => {
    const u = parseUri('sip:alice:secret@Atlanta.Example.COM:5070;transport=TCP;lr;maddr=239.255.255.1?subject=hi');
    expect(u).toEqual({
      scheme: 'sip', user: 'alice', host: 'atlanta.example.com', port: 5070,
      params: { transport: 'TCP', lr: null, maddr: '239.255.255.1' },
      raw: 'sip:alice:secret@Atlanta.Example.COM:5070;transport=TCP;lr;maddr=239.255.255.1?subject=hi',
    });
  });
  it('reads IPv6 references with and without port', () => {
    expect(parseUri('sips:[2001:DB8::1]:5061;transport=tls')).toMatchObject({ scheme: 'sips', user: null, host: '2001:db8::1', port: 5061 });
    expect(parseUri('sip:bob@[2001:db8::2]')).toMatchObject({ user: 'bob', host: '2001:db8::2', port: null });
  });
  it('tolerates IPv6 without brackets (heplify/sip_ipv6_udp.pcap does this)', () => {
    expect(parseUri('sip:4321@fec0:0:0:0:216:d3ff:fe0d:22c:5060')).toMatchObject({ user: '4321', host: 'fec0:0:0:0:216:d3ff:fe0d:22c', port: 5060 });
    expect(parseUri('sip:9876@fe80:0:0:0:21a:a0ff:fe07:32e0')).toMatchObject({ host: 'fe80:0:0:0:21a:a0ff:fe07:32e0', port: null });
    expect(parseUri('sip:2001:db8::1')).toMatchObject({ host: '2001:db8::1', port: null });
    expect(parseUri('sip:a@1:2:3')).toBeNull();
  });
  it('keeps ; params inside a tel-like user part', () => {
    expect(parseUri('sip:+4930123;npdi;rn=+4930999@gw.example.com;user=phone')).toMatchObject({
      user: '+4930123;npdi;rn=+4930999', host: 'gw.example.com', params: { user: 'phone' },
    });
  });
  it('reads tel: and keeps other schemes', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '', params: { 'phone-context': 'example.com' } });
    expect(parseUri('urn:service:sos')).toMatchObject({ scheme: 'urn', host: '' });
  });
  it('refuses what is not a URI', () => {
    expect(parseUri('')).toBeNull();
    expect(parseUri('alice@example.com')).toBeNull();
    expect(parseUri('sip:')).toBeNull();
    expect(parseUri('sip:host:99999')).toBeNull();
    expect(parseUri('sip:[2001:db8::1')).toBeNull();
    expect(parseUri('1sip:host')).toBeNull();
  });
});

describe('parseNameAddr', () => {
  it('reads a quoted display name with escapes and commas', () => {
    const na = parseNameAddr('"Smith, \\"Bob\\"" <sip:bob@h>;tag=9;expires=30');
    expect(na).toMatchObject({ displayName: 'Smith, "Bob"', params: { tag: '9', expires: '30' } });
    expect(na?.uri?.user).toBe('bob');
  });
  it('reads an unquoted display name and no display name', () => {
    expect(parseNameAddr('Bob Smith <sip:bob@h>')?.displayName).toBe('Bob Smith');
    expect(parseNameAddr('<sip:bob@h>')?.displayName).toBeNull();
  });
  it('in addr-spec, params after the URI are header params (RFC 3261 §20.10)', () => {
    const na = parseNameAddr('sip:bob@h:5060;tag=abc;lr');
    expect(na?.uri).toMatchObject({ host: 'h', port: 5060, params: {} });
    expect(na?.params).toEqual({ tag: 'abc', lr: null });
  });
  it('in name-addr, params inside <> belong to the URI', () => {
    const na = parseNameAddr('<sip:p1.example.com;lr>;x=1');
    expect(na?.uri?.params).toEqual({ lr: null });
    expect(na?.params).toEqual({ x: '1' });
  });
  it('unquotes quoted header param values (+sip.instance)', () => {
    const na = parseNameAddr('<sip:a@10.0.0.1:5060;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1');
    expect(na?.params['+sip.instance']).toBe('<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>');
    expect(na?.params['reg-id']).toBe('1');
    expect(na?.uri?.params).toEqual({ ob: null });
  });
  it('tolerates an unterminated < and a quoted name without URI', () => {
    expect(parseNameAddr('<sip:a@h')?.uri?.host).toBe('h');
    expect(parseNameAddr('"Only a name"')).toMatchObject({ displayName: 'Only a name', uri: null });
    expect(parseNameAddr('   ')).toBeNull();
  });
});

describe('helpers', () => {
  it('splitHeaderValues ignores commas inside quotes and <>', () => {
    expect(splitHeaderValues('"a, b" <sip:x@h;p=1,2>, <sip:y@h> ,sip:z@h,,')).toEqual(['"a, b" <sip:x@h;p=1,2>', '<sip:y@h>', 'sip:z@h']);
    expect(splitHeaderValues('"esc \\" , still" <sip:a@h>')).toEqual(['"esc \\" , still" <sip:a@h>']);
  });
  it('readQuoted unescapes and stops at the closing quote', () => {
    expect(readQuoted('"a\\\\b\\"c" rest', 0)).toEqual({ text: 'a\\b"c', end: 9 });
    expect(readQuoted('"open', 0)).toEqual({ text: 'open', end: 5 });
  });
  it('parseParams reads flags, values, whitespace and quoted values with ;', () => {
    expect(parseParams(' ; A=1 ; flag;q="x;y";e= ', 0, 24)).toEqual({ a: '1', flag: null, q: 'x;y', e: '' });
  });
  it('parseHostPort refuses a non-numeric port', () => {
    expect(parseHostPort('h:50x', 0, 5)).toBeNull();
    expect(parseHostPort('[::1]:5060', 0, 10)).toEqual({ host: '::1', port: 5060 });
  });
});
