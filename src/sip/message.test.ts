import { describe, expect, it } from 'vitest';
import { forgetRecentValues, parseSip, parseSipText } from './parser.ts';
import { headerNamesOf, headerValueAt, plainSip } from './message.ts';
import { headerValue, headerValues } from './modelutil.ts';
import type { SipMessage } from './types.ts';

function parse(text: string): SipMessage {
  const r = parseSipText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

const OPTIONS = (n: number, extra = ''): string =>
  `OPTIONS sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-${n}\r\nf: <sip:a@example.net>;tag=${n}\r\nTo: <sip:b@example.net>\r\nCall-ID: c${n}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n${extra}Content-Length: 0\r\n\r\n`;

describe('header lines are located, and built only when asked', () => {
  it('gives every line back with its name as written, folded value and byte offset', () => {
    const text = OPTIONS(1, 'Subject: one\r\n  two\r\n\tthree\r\nX-Empty:\r\n');
    const m = parse(text);
    expect(m.headers.map((h) => [h.name, h.rawName, h.value, h.offset])).toEqual([
      ['Via', 'Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1', text.indexOf('Via:')],
      ['From', 'f', '<sip:a@example.net>;tag=1', text.indexOf('f:')],
      ['To', 'To', '<sip:b@example.net>', text.indexOf('To:')],
      ['Call-ID', 'Call-ID', 'c1', text.indexOf('Call-ID:')],
      ['CSeq', 'CSeq', '1 OPTIONS', text.indexOf('CSeq:')],
      ['Max-Forwards', 'Max-Forwards', '70', text.indexOf('Max-Forwards:')],
      ['Subject', 'Subject', 'one two three', text.indexOf('Subject:')],
      ['X-Empty', 'X-Empty', '', text.indexOf('X-Empty:')],
      ['Content-Length', 'Content-Length', '0', text.indexOf('Content-Length:')],
    ]);
    expect(headerValue(m, 'subject')).toBe('one two three');
    expect(headerValues(m, 'v')).toEqual(['SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1']);
    expect(headerNamesOf(m)[1]).toBe('From');
    expect(headerValueAt(m, 3)).toBe('c1');
  });

  it('keeps each message its own lines while thousands of messages fill and roll over the shared arena', () => {
    const msgs = Array.from({ length: 30_000 }, (_, n) => parse(OPTIONS(n)));
    for (const n of [0, 10_922, 10_923, 29_999]) {
      expect(headerValue(msgs[n]!, 'Call-ID')).toBe(`c${n}`);
      expect(msgs[n]!.headers[0]!.value).toBe(`SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-${n}`);
    }
  });

  it('reads a message with more header lines than an arena chunk holds', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `X-H: ${i}\r\n`).join('');
    const m = parse(OPTIONS(7, many));
    expect(headerValues(m, 'X-H')).toHaveLength(20_000);
    expect(headerValues(m, 'X-H')[19_999]).toBe('19999');
    expect(headerValue(m, 'Content-Length')).toBe('0');
  });

  it('keeps each message its lengths, body and unusual fields, in the arena and the shared ones, across thousands of messages', () => {
    // Bodies of varied length, some with a Content-Length that is not the body's, Contact: *,
    // compact names, folded lines: what the parse keeps apart from its fields must stay its own.
    const make = (n: number): string => {
      const body = 'x'.repeat(n % 37);
      const declared = n % 5 === 0 ? body.length + 3 : n % 7 === 0 ? null : body.length;
      const star = n % 11 === 0 ? 'Contact: *\r\n' : '';
      const folded = n % 13 === 0 ? `Subject: s${n}\r\n more\r\n` : '';
      const type = n % 3 === 0 ? 'Content-Type: text/plain\r\n' : n % 3 === 1 ? 'c: application/x-test\r\n' : '';
      const head = OPTIONS(n, `${star}${folded}${type}`).replace('Content-Length: 0\r\n\r\n', declared === null ? '\r\n' : `Content-Length: ${declared}\r\n\r\n`);
      return head + body;
    };
    const texts = Array.from({ length: 12_000 }, (_, n) => make(n));
    const msgs = texts.map(parse);
    for (let n = 0; n < msgs.length; n += 97) {
      const m = msgs[n]!;
      const again = parse(texts[n]!);
      expect(plainSip(m)).toEqual(plainSip(again));
      expect(m.body).toBe('x'.repeat(n % 37));
      expect(m.headerLength).toBe(texts[n]!.indexOf('\r\n\r\n') + 4);
      expect(m.contentLength).toBe(n % 5 === 0 ? (n % 37) + 3 : n % 7 === 0 ? null : n % 37);
      expect(m.contactStar).toBe(n % 11 === 0);
      expect(m.contentType).toBe(n % 3 === 0 ? 'text/plain' : n % 3 === 1 ? 'application/x-test' : null);
      if (n % 13 === 0) expect(headerValue(m, 'Subject')).toBe(`s${n} more`);
      expect(m.headers.some((h) => h.rawName === 'c')).toBe(n % 3 === 1);
      expect(m.notes.some((x) => x.startsWith('Content-Length'))).toBe(n % 5 === 0);
    }
    // Notes added later (the capture layer's) are this message's alone, not its shared fields'.
    const [a, b] = [parse(OPTIONS(1)), parse(OPTIONS(2))];
    a.notes = [...a.notes, 'reassembled from 2 segments'];
    expect(a.notes).toEqual(['reassembled from 2 segments']);
    expect(b.notes).toEqual([]);
    expect(b.contentType).toBe(null);
  });

  it('locates the lines again in the text of a parse that keeps no positions, and keeps a copy for the others', () => {
    // Kept apart: a header part that is not ASCII (offsets in bytes), line breaks before the start
    // line (offsets count them), a header part of 32 KB or more, a body of 64 KB or more. The rest
    // keep no positions: their lines are found again in their text when asked.
    const plain = OPTIONS(1, 'Subject: one\r\n two\r\nX-A: a\r\n');
    const accented = OPTIONS(2, 'Subject: caf\u00e9\r\nX-A: a\r\n');
    const leading = '\r\n\r\n' + OPTIONS(3, 'X-A: a\r\n');
    const longHead = OPTIONS(4, `X-Long: ${'h'.repeat(40_000)}\r\nX-A: a\r\n`);
    const longBody = OPTIONS(5, 'X-A: a\r\n').replace('Content-Length: 0', 'Content-Length: 70000') + 'b'.repeat(70_000);
    const texts = [plain, accented, leading, longHead, longBody];
    // As they come off the wire: UTF-8 bytes (é is two).
    const msgs = texts.map((t) => {
      const r = parseSip(new TextEncoder().encode(t));
      if (!r.ok) throw new Error(r.reason);
      return r.message;
    });
    // Thousands of other messages written over the arena since.
    for (let n = 0; n < 3_000; n++) parse(OPTIONS(100 + n, `X-A: z${n}\r\n`));
    for (const [i, m] of msgs.entries()) {
      const text = texts[i]!;
      expect(headerValue(m, 'X-A')).toBe('a');
      expect(headerValue(m, 'Call-ID')).toBe(`c${i + 1}`);
      const via = m.headers[0]!;
      expect(via.value).toBe(`SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-${i + 1}`);
      const xa = m.headers.find((h) => h.name === 'X-A')!;
      // The byte offset of the line in the bytes the message came in.
      expect(xa.offset).toBe(new TextEncoder().encode(text.slice(0, text.indexOf('X-A:'))).length);
    }
    expect(headerValue(msgs[0]!, 'Subject')).toBe('one two');
    expect(headerValue(msgs[1]!, 'Subject')).toBe('caf\u00e9');
    expect(msgs[3]!.headerLength).toBe(longHead.indexOf('\r\n\r\n') + 4);
    expect(msgs[4]!.body).toBe('b'.repeat(70_000));
    expect(msgs[4]!.contentLength).toBe(70_000);
  });

  it('reads a text read again that is not the one parsed (a file changed in place) without throwing', () => {
    const text = OPTIONS(8, 'X-A: a\r\n');
    const m = parse(text) as SipMessage & { textFrom(h: { raw: string }): void };
    // The same start line, but a continuation line the parse did not have: its lines are read
    // with the folds found in that text.
    m.textFrom({ raw: text.replace('X-A: a\r\n', 'X-A: a\r\n b\r\n') });
    expect(() => m.headers).not.toThrow();
    expect(headerValue(m, 'X-A')).toBe('a b');
    // One line fewer as well: what it reads is not this message's any more, but text, not a throw.
    m.textFrom({ raw: text.replace('X-A: a\r\n', 'X-A: a\r\n b\r\n').replace('Max-Forwards: 70\r\n', '') });
    expect(() => m.headers).not.toThrow();
    for (const h of m.headers) expect(typeof h.value).toBe('string');
    // Unreadable: every value empty.
    m.textFrom({ raw: '' });
    expect(m.headers.every((h) => h.value === '')).toBe(true);
  });

  it('locates a message\'s lines once for all its values, and again after another message', () => {
    const a = parse(OPTIONS(9, Array.from({ length: 50 }, (_, i) => `X-CID: a${i}\r\n`).join('')));
    expect(headerValues(a, 'X-CID')).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    const b = parse(OPTIONS(10, 'X-CID: b0\r\n'));
    expect(headerValues(b, 'X-CID')).toEqual(['b0']);
    expect(headerValues(a, 'X-CID')[49]).toBe('a49');
    expect(headerValue(b, 'Call-ID')).toBe('c10');
    expect(headerValue(a, 'Call-ID')).toBe('c9');
  });

  it('writes a plain message with its kind and every field, in the parse order', () => {
    const req = plainSip(parse(OPTIONS(5)));
    expect(Object.keys(req)).toEqual([
      'via', 'from', 'to', 'contact', 'contactStar', 'recordRoute', 'route', 'callId', 'cseq', 'contentLength', 'contentType', 'sdp', 'notes', 'headerLength', 'agent',
      'method', 'requestUri', 'requestUriRaw', 'kind', 'raw', 'body', 'headers',
    ]);
    expect(req.kind).toBe('request');
    const res = plainSip(parse(OPTIONS(5).replace('OPTIONS sip:b@example.net SIP/2.0', 'SIP/2.0 404 Not Found')));
    expect(res.kind).toBe('response');
    expect(res.kind === 'response' && [res.status, res.reason]).toEqual([404, 'Not Found']);
  });

  it('crosses to the page and to JSON as plain data with its headers', () => {
    const m = parse(OPTIONS(3, 'User-Agent: ua/1\r\n'));
    const plain = structuredClone(plainSip(m));
    expect(plain.headers.find((h) => h.name === 'User-Agent')?.value).toBe('ua/1');
    expect(plain.callId).toBe('c3');
    const json = JSON.parse(JSON.stringify(m)) as SipMessage;
    expect(json.headers).toEqual(m.headers);
    expect(Object.keys(json)).not.toContain('chunk');
  });
});

describe('repeated values are parsed once and shared, read-only', () => {
  it('gives a request and its response one Via and one From object, frozen under test', () => {
    const req = parse(OPTIONS(42));
    const res = parse(OPTIONS(42).replace('OPTIONS sip:b@example.net SIP/2.0', 'SIP/2.0 200 OK'));
    expect(res.via[0]).toBe(req.via[0]);
    expect(res.from).toBe(req.from);
    expect(Object.isFrozen(req.via[0]!.params)).toBe(true);
    expect(() => {
      (req.via[0]!.params as Record<string, string>)['branch'] = 'x';
    }).toThrow(TypeError);
  });

  it('still parses a value right after many others pushed it out of the recent ones', () => {
    const first = parse(OPTIONS(1_000_001));
    for (let n = 0; n < 20_000; n++) parse(OPTIONS(n));
    const again = parse(OPTIONS(1_000_001));
    expect(again.via[0]).not.toBe(first.via[0]);
    expect(again.via[0]).toEqual(first.via[0]);
    expect(again.from?.params['tag']).toBe('1000001');
  });

  it('forgets the recent values when told (the engine, once every message is parsed), and parses the same again', () => {
    const first = parse(OPTIONS(77, 'Content-Type: text/plain\r\n'));
    expect(parse(OPTIONS(77, 'Content-Type: text/plain\r\n')).via).toBe(first.via);
    forgetRecentValues();
    const again = parse(OPTIONS(77, 'Content-Type: text/plain\r\n'));
    expect(again.via).not.toBe(first.via);
    expect(again.from).not.toBe(first.from);
    expect(plainSip(again)).toEqual(plainSip(first));
    expect(first.via[0]!.branch).toBe('z9hG4bK-77');
  });
});
