import { describe, expect, it } from 'vitest';
import { shortUri } from './format.ts';

/** The reference: what shortUri did with a regular expression. */
function byRegex(uri: string | null | undefined): string {
  if (!uri) return '';
  let u = uri.trim();
  const lt = u.indexOf('<');
  if (lt >= 0) {
    const gt = u.indexOf('>', lt);
    u = u.slice(lt + 1, gt > lt ? gt : undefined);
  }
  u = u.replace(/^(sips?|tel):/i, '');
  const semi = u.indexOf(';');
  if (semi >= 0) u = u.slice(0, semi);
  return u;
}

describe('shortUri', () => {
  it('keeps the part an engineer scans for', () => {
    expect(shortUri('"Alice" <sip:alice@example.com;transport=tcp>;tag=1')).toBe('alice@example.com');
    expect(shortUri('SIPS:bob@example.org;user=phone')).toBe('bob@example.org');
    expect(shortUri('tel:+4930123;phone-context=x')).toBe('+4930123');
    expect(shortUri('sipx:odd@example.org')).toBe('sipx:odd@example.org');
    expect(shortUri(null)).toBe('');
  });

  it('gives what the regular expression gave, on odd inputs and random ones', () => {
    const odd = ['', ' ', 'sip:', 'sips:', 'tel:', 'SiP:x', 'sIpS:y;z', 'sis:a', 'si', 's', '<>', '<sip:a', 'x<tel:1>y', ';', 'sip:;', 'sip\u001a', 'sips\u001ax', 'TEL:', 'tel', '\u00a0sip:a\u00a0', 'sip:a;b;c'];
    for (const u of odd) expect(shortUri(u), JSON.stringify(u)).toBe(byRegex(u));
    // Random strings over the characters that matter, with a fixed seed.
    const alphabet = 'sSiIpPtTeElL:;<> \u001a\u00a0x@';
    let seed = 20261205;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 20_000; k++) {
      let u = '';
      const len = rand(9);
      for (let j = 0; j < len; j++) u += alphabet[rand(alphabet.length)];
      expect(shortUri(u), JSON.stringify(u)).toBe(byRegex(u));
    }
  });
});
