import { describe, expect, it } from 'vitest';
import { SIP_METHODS, looksLikeSipStart, sipStartAt } from './detect.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('looksLikeSipStart', () => {
  it('accepts request lines of every method and status lines', () => {
    for (const m of SIP_METHODS) expect(looksLikeSipStart(enc(`${m} sip:x@example.com SIP/2.0\r\n`))).toBe(true);
    expect(looksLikeSipStart(enc('SIP/2.0 200 OK\r\n'))).toBe(true);
    expect(looksLikeSipStart(enc('SIP/2.0 100 Trying\n'))).toBe(true);
    expect(looksLikeSipStart(enc('FOO-BAR tel:+123 SIP/2.0\r\n'))).toBe(true); // extension method
    expect(looksLikeSipStart(enc('INVITE sip:a@b SIP/2.0  \r\n'))).toBe(true); // trailing spaces
  });
  it('honours the offset', () => {
    const b = enc('\r\n\r\nOPTIONS sip:h SIP/2.0\r\n');
    expect(looksLikeSipStart(b)).toBe(false);
    expect(looksLikeSipStart(b, 4)).toBe(true);
  });
  it('refuses other protocols, RTP and near misses', () => {
    expect(looksLikeSipStart(enc('GET / HTTP/1.1\r\n'))).toBe(false);
    expect(looksLikeSipStart(enc('HTTP/1.1 200 OK\r\n'))).toBe(false);
    expect(looksLikeSipStart(enc('SIP/2.0 2OO OK\r\n'))).toBe(false);
    expect(looksLikeSipStart(enc('SIP/2.0 20 OK\r\n'))).toBe(false);
    expect(looksLikeSipStart(enc('INVITE sip:a@b SIP/3.0\r\n'))).toBe(false);
    expect(looksLikeSipStart(enc('INVITE SIP/2.0\r\n'))).toBe(false);
    expect(looksLikeSipStart(enc('invite sip:a@b SIP/2.0\r\n'))).toBe(false); // methods are upper case
    expect(looksLikeSipStart(new Uint8Array([0x80, 0x00, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false); // RTP
    expect(looksLikeSipStart(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false); // TLS
    expect(looksLikeSipStart(enc('INVITE sip:a\u0001b SIP/2.0\r\n'))).toBe(false);
    expect(looksLikeSipStart(new Uint8Array(0))).toBe(false);
  });
  it('accepts a start line that ends at the end of the bytes, bounded by sipStartAt', () => {
    expect(looksLikeSipStart(enc('BYE sip:a@b SIP/2.0'))).toBe(true);
    const b = enc('BYE sip:a@b SIP/2.0\r\n');
    expect(sipStartAt(b, 0, 10)).toBe(false);
  });
  it('is quick on RTP-like payloads', () => {
    const rtp = new Uint8Array(172).map((_, i) => (i === 0 ? 0x80 : (i * 31) & 0xff));
    const t0 = performance.now();
    let hits = 0;
    for (let i = 0; i < 1_000_000; i++) if (looksLikeSipStart(rtp)) hits++;
    expect(hits).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
