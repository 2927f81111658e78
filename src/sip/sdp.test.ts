import { describe, expect, it } from 'vitest';
import { summariseSdp } from './sdp.ts';

const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

describe('summariseSdp', () => {
  it('summarises origin, connections, codecs, direction and a=rtcp', () => {
    const s = summariseSdp(crlf([
      'v=0',
      'o=- 3840000000 3840000002 IN IP4 198.51.100.1',
      's=call',
      'c=IN IP4 198.51.100.1',
      't=0 0',
      'a=sendonly',
      'm=audio 10000 RTP/AVP 0 18 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:18 G729/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=rtcp:10005 IN IP4 198.51.100.1',
      'm=video 10002 RTP/AVP 96',
      'c=IN IP4 203.0.113.50',
      'a=rtpmap:96 H264/90000',
      'a=inactive',
      'm=audio 10004 RTP/SAVP 111',
      'a=rtpmap:111 opus/48000/2',
    ]));
    expect(s?.origin).toEqual({ username: '-', sessionId: '3840000000', sessionVersion: 3840000002, address: '198.51.100.1' });
    expect(s?.connection).toBe('198.51.100.1');
    expect(s?.media).toEqual([
      { type: 'audio', port: 10000, protocol: 'RTP/AVP', connection: '198.51.100.1', payloads: [0, 18, 101],
        codecs: [{ payload: 0, codec: 'PCMU/8000' }, { payload: 18, codec: 'G729/8000' }, { payload: 101, codec: 'telephone-event/8000' }], direction: 'sendonly', rtcpPort: 10005 },
      { type: 'video', port: 10002, protocol: 'RTP/AVP', connection: '203.0.113.50', payloads: [96],
        codecs: [{ payload: 96, codec: 'H264/90000' }], direction: 'inactive', rtcpPort: null },
      { type: 'audio', port: 10004, protocol: 'RTP/SAVP', connection: '198.51.100.1', payloads: [111],
        codecs: [{ payload: 111, codec: 'opus/48000/2' }], direction: 'sendonly', rtcpPort: null },
    ]);
  });

  it('defaults to sendrecv, reads T.38 image media, strips a multicast TTL', () => {
    const s = summariseSdp(crlf([
      'v=0', 'o=fax 1 1 IN IP4 192.0.2.5', 's=-', 'c=IN IP4 224.2.1.1/127', 't=0 0',
      'm=image 4000 udptl t38', 'a=T38FaxVersion:0',
    ]));
    expect(s?.connection).toBe('224.2.1.1');
    expect(s?.media[0]).toMatchObject({ type: 'image', protocol: 'udptl', payloads: [], codecs: [], direction: 'sendrecv' });
  });

  it('accepts bare LF and a held call (c=0.0.0.0)', () => {
    const s = summariseSdp('v=0\no=a 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 5004 RTP/AVP 8\na=recvonly\n');
    expect(s?.media[0]).toMatchObject({ connection: '0.0.0.0', port: 5004, direction: 'recvonly' });
  });

  it('never throws on garbage and says null when there is no SDP', () => {
    expect(summariseSdp('')).toBeNull();
    expect(summariseSdp('hello world')).toBeNull();
    expect(summariseSdp('<xml>not sdp</xml>')).toBeNull();
    let seed = 7;
    const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 0x100000000; };
    const pieces = ['v=0', 'o=', 'c=IN IP4', 'm=audio', ' ', 'x', '99999999999999999999', 'a=rtpmap:', 'a=rtcp:', '\r\n', '\n', '=', '/', 'IN IP6 ::1'];
    for (let i = 0; i < 2000; i++) {
      let body = '';
      const n = Math.floor(rand() * 30);
      for (let k = 0; k < n; k++) body += pieces[Math.floor(rand() * pieces.length)];
      expect(() => summariseSdp(body)).not.toThrow();
    }
  });
});
