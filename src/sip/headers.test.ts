import { describe, expect, it } from 'vitest';
import { COMPACT_FORMS, canonicalHeaderName, parseCSeq, parseVia } from './headers.ts';

describe('canonicalHeaderName', () => {
  it('expands every compact form of the brief, in either case', () => {
    const expected: Record<string, string> = {
      i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type', f: 'From',
      s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', u: 'Allow-Events', r: 'Refer-To',
      b: 'Referred-By', x: 'Session-Expires', y: 'Identity', j: 'Reject-Contact',
    };
    for (const [short, long] of Object.entries(expected)) {
      expect(canonicalHeaderName(short)).toBe(long);
      expect(canonicalHeaderName(short.toUpperCase())).toBe(long);
      expect(COMPACT_FORMS[short]).toBe(long);
    }
  });
  it('gives conventional casing', () => {
    expect(canonicalHeaderName('call-id')).toBe('Call-ID');
    expect(canonicalHeaderName('CSEQ')).toBe('CSeq');
    expect(canonicalHeaderName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalHeaderName('record-ROUTE')).toBe('Record-Route');
    expect(canonicalHeaderName('x-my-header')).toBe('X-My-Header');
  });
  it('stays correct after many distinct names (cache reset)', () => {
    for (let i = 0; i < 6000; i++) canonicalHeaderName(`x-n${i}`);
    expect(canonicalHeaderName('v')).toBe('Via');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
  });
});

describe('parseVia', () => {
  it('reads protocol, transport, sent-by and the parameters', () => {
    const v = parseVia('SIP/2.0/udp 192.0.2.1:5060;branch=z9hG4bK74bf9;received=203.0.113.7;rport=61234;maddr=224.0.1.75;ttl=16;alias');
    expect(v).toMatchObject({
      protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.1', port: 5060, branch: 'z9hG4bK74bf9',
      received: '203.0.113.7', rport: 61234, alias: true,
    });
    expect(v?.params.maddr).toBe('224.0.1.75');
    expect(v?.params.ttl).toBe('16');
  });
  it('distinguishes rport flag, rport value and no rport', () => {
    expect(parseVia('SIP/2.0/UDP h;rport;branch=z9hG4bK1')?.rport).toBeNull();
    expect(parseVia('SIP/2.0/UDP h;rport=5062')?.rport).toBe(5062);
    const none = parseVia('SIP/2.0/UDP h;branch=z9hG4bK1');
    expect(none && 'rport' in none).toBe(false);
    expect(none?.alias).toBe(false);
  });
  it('reads IPv6 sent-by, LWS around slashes and colon, and a comment', () => {
    expect(parseVia('SIP / 2.0 / TLS [2001:db8::9]:5061;branch=z9hG4bKx')).toMatchObject({ transport: 'TLS', host: '2001:db8::9', port: 5061 });
    expect(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks')).toMatchObject({ transport: 'WSS', host: 'df7jal23ls0d.invalid', port: null });
    expect(parseVia('SIP/2.0/TCP host : 5070 ;branch=z9hG4bKc (a comment)')).toMatchObject({ host: 'host', port: 5070, branch: 'z9hG4bKc' });
  });
  it('tolerates an IPv6 sent-by without brackets', () => {
    expect(parseVia('SIP/2.0/UDP fe80:0:0:0:21a:a0ff:fe07:32e0:5060;branch=z9hG4bKkdjuw8376')).toMatchObject({ host: 'fe80:0:0:0:21a:a0ff:fe07:32e0', port: 5060 });
  });
  it('refuses broken values', () => {
    expect(parseVia('')).toBeNull();
    expect(parseVia('SIP/2.0 192.0.2.1')).toBeNull();
    expect(parseVia('SIP/2.0/UDP')).toBeNull();
    expect(parseVia('SIP/2.0/UDP [::1;branch=x')).toBeNull();
    expect(parseVia('SIP/2.0/UDP h:port;branch=x')).toBeNull();
  });
});

describe('parseCSeq', () => {
  it('reads number and method', () => {
    expect(parseCSeq('4711 INVITE')).toEqual({ seq: 4711, method: 'INVITE' });
    expect(parseCSeq(' 1\tACK ')).toEqual({ seq: 1, method: 'ACK' });
    expect(parseCSeq('4294967295 BYE')).toEqual({ seq: 4294967295, method: 'BYE' });
  });
  it('refuses missing or bad parts', () => {
    expect(parseCSeq('INVITE')).toBeNull();
    expect(parseCSeq('12')).toBeNull();
    expect(parseCSeq('12INVITE')).toBeNull();
    expect(parseCSeq('99999999999 INVITE')).toBeNull();
    expect(parseCSeq('1 INVITE extra')).toBeNull();
  });
});
