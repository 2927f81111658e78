import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { latin1, parseSip, parseSipText } from './parser.ts';
import { looksLikeSipStart } from './detect.ts';
import { codecName } from './sdp.ts';
import type { SipMessage, SipRequest, SipResponse } from './types.ts';

const CAPTURES = path.resolve(import.meta.dirname, '../../test/captures/public');

function ok(text: string): SipMessage {
  const r = parseSipText(text);
  if (!r.ok) throw new Error(`expected a parse, got: ${r.reason}`);
  return r.message;
}
function req(text: string): SipRequest {
  const m = ok(text);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}
function res(text: string): SipResponse {
  const m = ok(text);
  if (m.kind !== 'response') throw new Error('expected a response');
  return m;
}
function reason(input: string | Uint8Array): string {
  const r = typeof input === 'string' ? parseSipText(input) : parseSip(input);
  if (r.ok) throw new Error('expected a failure');
  return r.reason;
}

/** A complete INVITE with SDP; lines joined with CRLF. */
const SDP = [
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=rtcp:49180',
  'a=sendrecv',
  '',
].join('\r\n');
const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@10.0.0.5:5060;transport=udp>',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
].join('\r\n');

describe('start line', () => {
  it('parses a request line and a complete INVITE', () => {
    const m = req(INVITE);
    expect(m.method).toBe('INVITE');
    expect(m.requestUriRaw).toBe('sip:bob@biloxi.example.com');
    expect(m.requestUri?.user).toBe('bob');
    expect(m.requestUri?.host).toBe('biloxi.example.com');
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.from?.displayName).toBe('Alice');
    expect(m.from?.params.tag).toBe('1928301774');
    expect(m.to?.params.tag).toBeUndefined();
    expect(m.contact[0]?.uri?.port).toBe(5060);
    expect(m.contact[0]?.uri?.params.transport).toBe('udp');
    expect(m.via[0]?.rport).toBeNull();
    expect(m.contentLength).toBe(SDP.length);
    expect(m.body).toBe(SDP);
    expect(m.notes).toEqual([]);
    expect(m.headerLength).toBe(INVITE.length - SDP.length);
    expect(m.raw).toBe(INVITE);
    expect(m.sdp?.media[0]?.port).toBe(49170);
    expect(m.sdp?.media[0]?.rtcpPort).toBe(49180);
    expect(m.headers.find((h) => h.name === 'CSeq')?.offset).toBe(INVITE.indexOf('CSeq:'));
  });

  it('parses a status line with a multi-word reason', () => {
    const m = res('SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/TCP h:5060;branch=z9hG4bK1\r\nTo: <sip:b@h>;tag=x\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c1\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n');
    expect(m.status).toBe(486);
    expect(m.reason).toBe('Busy Here');
    expect(m.notes).toEqual([]);
  });

  it('refuses what is not SIP, with the reason', () => {
    expect(reason('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe("no SIP start line: first line is 'GET / HTTP/1.1'");
    expect(reason('SIP/2.0 2OO OK\r\n\r\n')).toBe("status line 'SIP/2.0 2OO OK' has a non-numeric code");
    expect(reason('SIP/2.0 20 OK\r\n\r\n')).toContain('not three digits');
    expect(reason(new Uint8Array([0x80, 0x08, 0x12, 0x34, 0x00, 0x01, 0x02]))).toBe('binary data (NUL byte at offset 4)');
    expect(reason('')).toBe('empty message');
    expect(reason('\r\n\r\n')).toMatch(/keep-alive/);
    expect(reason('INV"ITE sip:a@b SIP/2.0\r\n\r\n')).toContain('invalid method');
    expect(reason('IN VITE sip:a@b SIP/2.0\r\n\r\n')).toContain('more than three space-separated parts');
  });

  it('reads headers that end without a blank line, with a note (Zoiper sends such datagrams)', () => {
    const text = 'ACK sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: z\nContent-Length: 0';
    const m = req(text);
    expect(m.callId).toBe('z');
    expect(m.contentLength).toBe(0);
    expect(m.body).toBe('');
    expect(m.notes[0]).toBe(`headers end without a blank line after ${text.length} bytes (message cut short, or the sender left it out); no body`);
  });

  it('takes bare LF line endings and skips leading line breaks', () => {
    const m = req('\r\nOPTIONS sip:h SIP/2.0\nVia: SIP/2.0/UDP 1.2.3.4\nTo: <sip:h>\nFrom: <sip:a@h>;tag=1\nCall-ID: x\nCSeq: 1 OPTIONS\nMax-Forwards: 70\n\n');
    expect(m.method).toBe('OPTIONS');
    expect(m.via[0]?.host).toBe('1.2.3.4');
    expect(m.notes).toEqual(['2 line-break bytes before the start line ignored']);
  });
});

describe('where the headers end, in ASCII and in other text', () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const parsed = (bytes: Uint8Array): SipMessage => {
    const r = parseSip(bytes);
    if (!r.ok) throw new Error(`expected a parse, got: ${r.reason}`);
    return r.message;
  };
  const head = ['OPTIONS sip:h SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKend', 'To: <sip:h>', 'From: <sip:a@h>;tag=1', 'Call-ID: end-1', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70'];

  it('finds the blank line the same way whether the message is all ASCII or not', () => {
    for (const subject of ['plain', 'caf\u00e9']) {
      for (const [eol, blank] of [['\r\n', '\r\n'], ['\n', '\n'], ['\n', '\r\n']] as const) {
        const lines = [...head, `Subject: ${subject}`, 'Content-Type: text/plain', 'Content-Length: 5'];
        const text = `${lines.join(eol)}${eol}${blank}hello`;
        const m = parsed(utf8(text));
        expect(m.body).toBe('hello');
        expect(m.headerLength).toBe(utf8(text).length - 5);
        expect(m.headers.find((h) => h.name === 'Subject')?.value).toBe(subject);
        expect(m.notes).toEqual([]);
      }
    }
    // A line of spaces is not the blank line: it continues the header before it.
    const m = parsed(utf8(`${head.join('\r\n')}\r\n  more\r\n\r\n`));
    expect(m.headers.find((h) => h.name === 'Max-Forwards')?.value).toBe('70 more');
  });

  it('refuses a NUL byte among the headers, not one in the body', () => {
    const body = 'a\u0000b';
    const fine = `${[...head, 'Content-Type: application/octet-stream', `Content-Length: ${body.length}`].join('\r\n')}\r\n\r\n${body}`;
    expect(parsed(utf8(fine)).body).toBe(body);
    expect(parsed(utf8(fine.replace('OPTIONS sip:h', 'OPTIONS sip:h\u00e9'))).body).toBe(body);
    const bad = fine.replace('Call-ID: end-1', 'Call-ID: end\u00001');
    const at = bad.indexOf('\u0000');
    expect(reason(utf8(bad))).toBe(`binary data (NUL byte at offset ${at})`);
    // With a non-ASCII byte before it, the offset still counts bytes.
    const wide = bad.replace('To: <sip:h>', 'To: "\u00e9" <sip:h>');
    expect(reason(utf8(wide))).toBe(`binary data (NUL byte at offset ${utf8(wide).indexOf(0)})`);
    // No blank line at all: a NUL anywhere is among the headers.
    const cut = `${head.join('\r\n')}\r\nX: a\u0000`;
    expect(reason(utf8(cut))).toBe(`binary data (NUL byte at offset ${cut.length - 1})`);
    // A body with a NUL and a blank line of its own, after CRLF and after LF-only headers.
    for (const eol of ['\r\n', '\n']) {
      const nulBody = 'a\u0000\n\nb\n\r\nc';
      const text = `${[...head, 'Content-Type: application/octet-stream', `Content-Length: ${nulBody.length}`].join(eol)}${eol}${eol}${nulBody}`;
      expect(parsed(utf8(text)).body).toBe(nulBody);
    }
    // Line breaks skipped before the start line count in the offset.
    expect(reason(utf8(`\r\n\r\n${bad}`))).toBe(`binary data (NUL byte at offset ${at + 4})`);
  });

  it('does not take a last line of a lone CR for the blank line (a message cut after it)', () => {
    for (const text of [`${head.join('\r\n')}\r\nContent-Length: 0\r\n\r`, `${head.join('\r\n').replace('tag=1', 'tag=\u00e9')}\r\nContent-Length: 0\r\n\r`, 'OPTIONS sip:h SIP/2.0\n\r']) {
      const bytes = utf8(text);
      const m = parsed(bytes);
      expect(m.headerLength).toBe(bytes.length);
      expect(m.body).toBe('');
      expect(m.notes).toContain(`headers end without a blank line after ${bytes.length} bytes (message cut short, or the sender left it out); no body`);
      expect(m.notes.filter((n) => n.startsWith('Content-Length'))).toEqual([]);
    }
  });

  it('says the blank line is missing before what the header lines noted, as it reads them', () => {
    const text = ['OPTIONS sip:h SIP/3.0', ...head.slice(1), 'no colon here', 'Content-Length: 0'].join('\r\n');
    for (const variant of [text, text.replace('tag=1', 'tag=\u00e91')]) {
      const bytes = utf8(variant);
      expect(parsed(bytes).notes).toEqual([
        "SIP version 'SIP/3.0' (expected SIP/2.0)",
        `headers end without a blank line after ${bytes.length} bytes (message cut short, or the sender left it out); no body`,
        // Offsets count bytes: é is two.
        `line at offset ${utf8(variant.slice(0, variant.indexOf('no colon'))).length} has no colon, ignored: 'no colon here'`,
      ]);
    }
  });

  it('takes SIP/2.0 in any case on the start line', () => {
    const m = parsed(utf8(['sip/2.0 200 OK', ...head.slice(1), '', ''].join('\r\n')));
    expect(m.kind).toBe('response');
    expect(parsed(utf8(['OPTIONS sip:h Sip/2.0', ...head.slice(1), '', ''].join('\r\n'))).kind).toBe('request');
    expect(reason(utf8(['OPTIONS sip:h HTTP/2.0', ...head.slice(1), '', ''].join('\r\n')))).toMatch(/^no SIP start line/);
    // Beyond ASCII, what upper-casing says: ſ is S and ı is I to toUpperCase.
    expect(parsed(utf8(['\u017fIP/2.0 200 OK', ...head.slice(1), '', ''].join('\r\n'))).kind).toBe('response');
    expect(parsed(utf8(['s\u0131p/2.0 200 OK', ...head.slice(1), '', ''].join('\r\n'))).kind).toBe('response');
    expect(reason(utf8(['s\u00edp/2.0 200 OK', ...head.slice(1), '', ''].join('\r\n')))).toMatch(/^no SIP start line/);
  });
});

describe('headers', () => {
  it('expands compact forms and gives canonical casing', () => {
    const m = req([
      'MESSAGE sip:b@h SIP/2.0',
      'v: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKa',
      'f: <sip:a@h>;tag=1', 't: <sip:b@h>', 'i: abc', 'CSEQ: 7 MESSAGE', 'max-forwards: 70',
      'm: <sip:a@1.2.3.4>', 'c: text/plain', 'l: 2', 'k: 100rel', 's: hi', 'e: gzip',
      'o: presence', 'u: dialog', 'r: <sip:c@h>', 'b: <sip:d@h>', 'x: 1800', 'y: abc', 'j: *;+sip.x', 'WWW-AUTHENTICATE: Digest',
      '', 'ok',
    ].join('\r\n'));
    const names = m.headers.map((h) => h.name);
    expect(names).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Contact', 'Content-Type',
      'Content-Length', 'Supported', 'Subject', 'Content-Encoding', 'Event', 'Allow-Events', 'Refer-To',
      'Referred-By', 'Session-Expires', 'Identity', 'Reject-Contact', 'WWW-Authenticate']);
    expect(m.headers[0]?.rawName).toBe('v');
    expect(m.callId).toBe('abc');
    expect(m.contentType).toBe('text/plain');
    expect(m.body).toBe('ok');
    expect(m.notes).toEqual([]);
  });

  it('undoes header folding', () => {
    const m = req('INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1,\r\n  SIP/2.0/UDP 5.6.7.8:5070;branch=z9hG4bK2\r\nSubject: I know you\'re there,\r\n\tpick up the phone\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: f\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
    expect(m.headers.find((h) => h.name === 'Subject')?.value).toBe("I know you're there, pick up the phone");
    expect(m.via.map((v) => `${v.host}:${v.port}`)).toEqual(['1.2.3.4:null', '5.6.7.8:5070']);
  });

  it('splits multi-value Via and Contact lines and keeps several lines in order', () => {
    const m = res([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1;received=203.0.113.9, SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bKc1;rport=40312;received=198.51.100.4',
      'Via: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKv6',
      'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
      'Contact: "Smith, John" <sip:john@10.0.0.7>;expires=60, <sip:john@[2001:db8::7]:5080;transport=tcp>;q=0.5',
      'To: <sip:b@h>;tag=2', 'From: <sip:a@h>;tag=1', 'Call-ID: x', 'CSeq: 1 REGISTER', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    expect(m.via).toHaveLength(3);
    expect(m.via[0]).toMatchObject({ transport: 'UDP', host: 'proxy.example.com', port: null, received: '203.0.113.9', branch: 'z9hG4bKp1' });
    expect(m.via[0]?.rport).toBeUndefined();
    expect(m.via[1]).toMatchObject({ transport: 'TCP', host: '10.0.0.5', port: 5060, rport: 40312, received: '198.51.100.4' });
    expect(m.via[2]).toMatchObject({ host: '2001:db8::1', port: 5062 });
    expect(m.recordRoute.map((r) => r.uri?.host)).toEqual(['p1.example.com', 'p2.example.com']);
    expect(m.recordRoute[0]?.uri?.params).toEqual({ lr: null });
    expect(m.contact).toHaveLength(2);
    expect(m.contact[0]?.displayName).toBe('Smith, John');
    expect(m.contact[0]?.params.expires).toBe('60');
    expect(m.contact[1]?.uri).toMatchObject({ host: '2001:db8::7', port: 5080, params: { transport: 'tcp' } });
    expect(m.contact[1]?.params.q).toBe('0.5');
  });

  it('reads addr-spec params as header params and Contact: *', () => {
    const m = req('REGISTER sip:reg.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKr\r\nTo: sip:alice@example.com\r\nFrom: sip:alice@example.com;tag=abc\r\nContact: *\r\nExpires: 0\r\nCall-ID: r1\r\nCSeq: 9 REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
    expect(m.from?.uri?.raw).toBe('sip:alice@example.com');
    expect(m.from?.uri?.params).toEqual({});
    expect(m.from?.params.tag).toBe('abc');
    expect(m.contactStar).toBe(true);
    expect(m.contact).toEqual([]);
  });

  it('reads UTF-8 display names in the header part', () => {
    const text = 'MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: "Jürgen Groß" <sip:j@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: u\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 1\r\nContent-Length: 0\r\n\r\n';
    const m = req(text); // parseSipText UTF-8-encodes text with chars above U+00FF? No: ü/ß are ≤ 0xFF, so encode explicitly
    expect(m.kind).toBe('request');
    const r = parseSip(new TextEncoder().encode(text));
    expect(r.ok && r.message.from?.displayName).toBe('Jürgen Groß');
    // offsets stay byte offsets: "To:" comes 2 bytes later than its char index (ü and ß take 2 bytes each)
    expect(r.ok && r.message.headers.find((h) => h.name === 'To')?.offset).toBe(text.indexOf('To:') + 2);
  });
});

describe('notes on oddities', () => {
  const base = (extra: string, body = ''): string =>
    `INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n${extra}\r\n${body}`;

  it('cuts the body to Content-Length and notes extra bytes', () => {
    const m = ok(base('Content-Length: 4\r\n', 'abcdEXTRA'));
    expect(m.body).toBe('abcd');
    expect(m.notes).toEqual(['Content-Length 4 but 9 bytes follow the headers (5 extra bytes ignored)']);
  });
  it('notes a body shorter than Content-Length', () => {
    const m = ok(base('Content-Length: 300\r\n', 'x'.repeat(120)));
    expect(m.body).toHaveLength(120);
    expect(m.notes).toEqual(['Content-Length 300 but the body has only 120 bytes (message cut short?)']);
  });
  it('takes the rest as body without Content-Length (UDP rule)', () => {
    const m = ok(base('', 'hello'));
    expect(m.body).toBe('hello');
    expect(m.contentLength).toBeNull();
    expect(m.notes).toEqual([]);
  });
  it('notes duplicate Call-ID, CSeq method mismatch, missing mandatory headers', () => {
    const m = ok('BYE sip:b@h SIP/2.0\r\nCall-ID: one\r\ni: two\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n');
    expect(m.callId).toBe('one');
    expect(m.notes).toEqual([
      "duplicate Call-ID header with a different value 'two' (the first is used)",
      'missing mandatory header To', 'missing mandatory header From', 'missing mandatory header Max-Forwards',
      'missing mandatory header Via', 'CSeq method INVITE differs from the request method BYE',
    ]);
  });
  it('keeps a binary body byte for byte (latin1)', () => {
    const head = new TextEncoder().encode(base('Content-Type: application/isup\r\nContent-Length: 4\r\n'));
    const bytes = new Uint8Array([...head, 0x00, 0xff, 0x80, 0x0a]);
    const r = parseSip(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Array.from(r.message.body, (c) => c.charCodeAt(0))).toEqual([0x00, 0xff, 0x80, 0x0a]);
  });
  it('shares a repeated Via, Contact or route line between messages, with each message noting its own unreadable values', () => {
    const invite = ['INVITE sip:bob@192.0.2.20 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKshare1, SIP/2.0/UDP proxy.example.com;branch=z9hG4bKshare0', 'Via: SIP/2.0/TCP 198.51.100.1;branch=z9hG4bKshareX', 'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>', 'Call-ID: share-1', 'CSeq: 1 INVITE', 'Max-Forwards: 70', 'Contact: <sip:alice@192.0.2.10:5060>, not a uri', 'Record-Route: <sip:proxy.example.com;lr>', 'Content-Length: 0', '', ''].join('\r\n');
    const ringing = ['SIP/2.0 180 Ringing', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKshare1, SIP/2.0/UDP proxy.example.com;branch=z9hG4bKshare0', 'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>;tag=b1', 'Call-ID: share-1', 'CSeq: 1 INVITE', 'Contact: <sip:alice@192.0.2.10:5060>, not a uri', 'Record-Route: <sip:proxy.example.com;lr>', 'Content-Length: 0', '', ''].join('\r\n');
    const a = req(invite);
    const b = res(ringing);
    // Two Via lines: one list of three, in order; the response's one line gives the first two.
    expect(a.via.map((v) => v.branch)).toEqual(['z9hG4bKshare1', 'z9hG4bKshare0', 'z9hG4bKshareX']);
    expect(b.via.map((v) => v.branch)).toEqual(['z9hG4bKshare1', 'z9hG4bKshare0']);
    expect(b.via[0]).toBe(a.via[0]);
    // One line each: the same list, not a copy.
    expect(b.contact).toBe(a.contact);
    expect(b.recordRoute).toBe(a.recordRoute);
    expect(a.contact.map((c) => c.uri?.host)).toEqual(['192.0.2.10']);
    // The second message read the line from the cache and still says what it could not read.
    for (const m of [a, b]) expect(m.notes).toContain("Contact value 'not a uri' has no readable URI");
    // A message with nothing to note shares one frozen empty list.
    const clean = res(ringing.replace(', not a uri', ''));
    expect(clean.notes).toEqual([]);
    expect(Object.isFrozen(clean.notes)).toBe(true);
    expect(() => (clean.notes as string[]).push('x')).toThrow();
  });

  it('finds SDP inside multipart/mixed', () => {
    const body = `--b1\r\nContent-Type: application/sdp\r\n\r\n${SDP}\r\n--b1\r\nContent-Type: application/isup\r\n\r\nxx\r\n--b1--\r\n`;
    const m = ok(base(`Content-Type: multipart/mixed;boundary=b1\r\nContent-Length: ${body.length}\r\n`, body));
    expect(codecName(m.sdp!.media[0]!, 8)).toBe('PCMA/8000');
  });
});

/** Classic pcap, Ethernet/IPv4/UDP only: UDP payloads in order. Enough for the test captures. */
function udpPayloads(file: string): Array<{ frame: number; payload: Uint8Array }> {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
  const out: Array<{ frame: number; payload: Uint8Array }> = [];
  let off = 24; // global header
  for (let frame = 1; off + 16 <= buf.length; frame++) {
    const incl = dv.getUint32(off + 8, le); // incl_len
    const data = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    let p = 12; // Ethernet: dst(6) src(6)
    let etherType = data.readUInt16BE(p);
    while (etherType === 0x8100) { p += 4; etherType = data.readUInt16BE(p); } // 802.1Q tags
    p += 2;
    if (etherType !== 0x0800) continue; // IPv4 only
    const ihl = (data[p]! & 0x0f) * 4; // version/IHL
    if (data[p + 9] !== 17) continue; // protocol UDP
    const ipLen = data.readUInt16BE(p + 2);
    const udp = p + ihl;
    const udpLen = data.readUInt16BE(udp + 4);
    const end = Math.min(udp + udpLen, p + ipLen, data.length);
    out.push({ frame, payload: new Uint8Array(data.subarray(udp + 8, end)) });
  }
  return out;
}

/** "methods INVITE:37, ACK:37; responses 100:36" from the manifest notes (counted there with tshark). */
function manifestCounts(file: string): Record<string, number> {
  const manifest = JSON.parse(readFileSync(path.join(CAPTURES, 'manifest.json'), 'utf8')) as Array<{ file: string; notes: string }>;
  const notes = manifest.find((e) => e.file === file)!.notes;
  const counts: Record<string, number> = {};
  for (const m of notes.matchAll(/(?:methods|responses) ([^;|]+)/g)) {
    for (const pair of m[1]!.split(',')) {
      const [k, v] = pair.trim().split(':');
      if (k && v && /^\d+$/.test(v)) counts[k] = Number(v);
    }
  }
  return counts;
}

describe('real captures', () => {
  it('parses the compact-form INVITE (suricata-verify)', () => {
    const packets = udpPayloads(path.join(CAPTURES, 'suricata-verify/sip-compact-form/sip_compact_form.pcap'));
    expect(packets).toHaveLength(1);
    const r = parseSip(packets[0]!.payload);
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.kind !== 'request') return;
    const m = r.message;
    expect(m.method).toBe('INVITE');
    expect(m.via[0]).toMatchObject({ transport: 'UDP', host: '192.168.1.2', port: 5060, rport: null });
    expect(m.from?.uri?.user).toBe('816666');
    expect(m.from?.params.tag).toBe('6433ef9');
    expect(m.to?.uri?.host).toBe('voip.brujula.net');
    expect(m.contact[0]?.uri?.host).toBe('192.168.1.2');
    expect(m.contentType).toBe('application/sdp');
    // The capture's Content-Length is wrong: 372 bytes of SDP follow. RFC 3261 §18.3: the body
    // is cut to Content-Length, so the m= line (beyond byte 272) is not part of the body.
    expect(m.contentLength).toBe(272);
    expect(m.body).toHaveLength(272);
    expect(m.notes).toEqual(['Content-Length 272 but 372 bytes follow the headers (100 extra bytes ignored)']);
    expect(m.headers.find((h) => h.rawName === 'l')?.name).toBe('Content-Length');
    expect(m.sdp?.origin).toMatchObject({ username: 'SIPPS', sessionId: '105015165', sessionVersion: 105015162 });
    expect(m.sdp?.connection).toBe('192.168.1.2');
    expect(m.sdp?.media).toEqual([]);
  });

  it('parses every SIP datagram of sngrep/aaa.pcap, counts agreeing with tshark', () => {
    const packets = udpPayloads(path.join(CAPTURES, 'sngrep/aaa.pcap'));
    const sip = packets.filter((p) => looksLikeSipStart(p.payload));
    const counts: Record<string, number> = {};
    let natResponses = 0;
    for (const p of sip) {
      const r = parseSip(p.payload);
      expect(r.ok, `frame ${p.frame}: ${r.ok ? '' : r.reason}`).toBe(true);
      if (!r.ok) continue;
      const m = r.message;
      const key = m.kind === 'request' ? m.method : String(m.status);
      counts[key] = (counts[key] ?? 0) + 1;
      expect(m.callId).not.toBeNull();
      expect(m.cseq).not.toBeNull();
      expect(m.via.length).toBeGreaterThan(0);
      if (m.kind === 'response' && m.via[0]?.received && m.via[0].received !== m.via[0].host) natResponses++;
    }
    expect(counts).toEqual(manifestCounts('sngrep/aaa.pcap'));
    expect(natResponses).toBe(34); // manifest: "34 responses with private Via sent-by + public received="
  });
});

describe('robustness', () => {
  const inviteBytes = new TextEncoder().encode(INVITE);

  it('never throws on every prefix of a real message', () => {
    for (let k = 0; k <= inviteBytes.length; k++) {
      const r = parseSip(inviteBytes.subarray(0, k));
      expect(typeof r.ok).toBe('boolean');
      if (k < INVITE.indexOf(' SIP/2.0') + 5) expect(r.ok).toBe(false); // no "SIP/" yet
      else if (k < INVITE.indexOf('\r\n\r\n') + 3) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.message.notes).toContainEqual(expect.stringMatching(/^headers end without a blank line/));
      }
    }
  });

  it('never throws on random bytes and bit flips, in bounded time', () => {
    let seed = 12345;
    const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 0x100000000; };
    const t0 = performance.now();
    let parsed = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const len = Math.floor(rand() * 600);
      const junk = new Uint8Array(len);
      for (let i = 0; i < len; i++) junk[i] = Math.floor(rand() * 256);
      expect(() => parseSip(junk)).not.toThrow();
      const flipped = inviteBytes.slice();
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * flipped.length);
        flipped[at]! ^= 1 << Math.floor(rand() * 8);
      }
      const r = parseSip(flipped);
      if (r.ok) parsed++;
      // structural tokens sprinkled in: quotes, brackets, commas, semicolons
      const tokens = ['"', '<', '>', ',', ';', '[', ']', ':', '\\', '=', '?', '@', '\r\n ', '\n'];
      const mangled = INVITE.split('').map((c) => (rand() < 0.02 ? tokens[Math.floor(rand() * tokens.length)]! : c)).join('');
      expect(() => parseSipText(mangled)).not.toThrow();
    }
    expect(parsed).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('handles pathological long lines in linear time', () => {
    const long = `INVITE sip:b@h SIP/2.0\r\nVia: ${'SIP/2.0/UDP h;branch=z9hG4bK,'.repeat(20000)}\r\nSubject: ${'"'.repeat(100000)}\r\n\r\n`;
    const t0 = performance.now();
    const m = ok(long);
    expect(m.via).toHaveLength(20000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('latin1 round-trips every byte value', () => {
    const all = new Uint8Array(20000).map((_, i) => i & 0xff);
    const s = latin1(all);
    expect(s.length).toBe(20000);
    expect(s.charCodeAt(255)).toBe(255);
    expect(s.charCodeAt(19999)).toBe(19999 & 0xff);
  });

  it('latin1 gives one character per byte where the bytes would read as UTF-8 (BOM, multi-byte, U+FFFD) and for plain ASCII', () => {
    const ascii = 'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n';
    const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
    const byByte = (b: Uint8Array): string => Array.from(b, (x) => String.fromCharCode(x)).join('');
    // A UTF-8 BOM first (a decoder drops it), a two-byte sequence (é), an encoded U+FFFD, a lone 0xff.
    for (const inject of [[0xef, 0xbb, 0xbf], [0xc3, 0xa9], [0xef, 0xbf, 0xbd], [0xff]]) {
      for (const at of [0, 40, ascii.length]) {
        const b = new Uint8Array(ascii.length + inject.length);
        b.set(bytes(ascii.slice(0, at)), 0);
        b.set(inject, at);
        b.set(bytes(ascii.slice(at)), at + inject.length);
        expect(latin1(b), `${inject.join(',')} at ${at}`).toBe(byByte(b));
        expect(latin1(b, 1, b.length - 1), `${inject.join(',')} at ${at}, inner range`).toBe(byByte(b.subarray(1, b.length - 1)));
      }
    }
    expect(latin1(bytes(ascii))).toBe(ascii);
    expect(latin1(bytes(ascii), 5, 70)).toBe(ascii.slice(5, 70));
  });

  it('parses a typical INVITE fast (prints messages/s)', () => {
    const n = 20000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseSip(inviteBytes);
    const perSecond = Math.round(n / ((performance.now() - t0) / 1000));
    console.log(`parseSip: ${perSecond} INVITEs/s (${inviteBytes.length} bytes each, with SDP)`);
    expect(perSecond).toBeGreaterThan(1000); // a sanity bound: shared CI machines are slow
  });
});

describe('cost per header line stays flat', () => {
  /**
   * One INVITE with `n` Via lines and `n` Record-Route lines, each its own line; `tag` keeps the
   * values of two storms apart (a value seen before is not parsed again: the parser shares it).
   */
  function storm(n: number, tag: string): string {
    const lines = ['INVITE sip:bob@198.51.100.2 SIP/2.0'];
    for (let k = 0; k < n; k++) lines.push(`Via: SIP/2.0/TCP 10.0.${(k >> 8) & 255}.${k & 255}:5060;branch=z9hG4bK-${tag}-${k}`);
    for (let k = 0; k < n; k++) lines.push(`Record-Route: <sip:${tag}@10.1.${(k >> 8) & 255}.${k & 255};lr>`);
    lines.push('From: <sip:alice@192.0.2.1>;tag=a1', 'To: <sip:bob@198.51.100.2>', 'Call-ID: storm@test', 'CSeq: 1 INVITE', 'Content-Length: 0', '', '');
    return lines.join('\r\n');
  }
  /** Best of three storms of `n` lines each, all values new (a loaded machine slows single runs). */
  function ms(n: number, tag: string): number {
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const text = storm(n, `${tag}${r}`);
      const t0 = performance.now();
      const p = parseSipText(text);
      best = Math.min(best, performance.now() - t0);
      expect(p.ok).toBe(true);
    }
    return best;
  }
  it('8× as many Via and Record-Route lines in one message cost < 3× as much per line (they were concatenated line by line: n²)', () => {
    const p = parseSipText(storm(32_000, 'check'));
    expect(p.ok && p.message.via.length).toBe(32_000);
    expect(p.ok && p.message.recordRoute.length).toBe(32_000);
    expect(p.ok && p.message.via[31_999]!.branch).toBe('z9hG4bK-check-31999');
    const small = ms(4_000, 'small');
    const ratio = ms(32_000, 'big') / 32_000 / (small / 4_000);
    expect(ratio).toBeLessThan(3);
  });
});
