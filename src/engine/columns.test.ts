/**
 * The report's message columns as the engine writes them (engine/analyze.ts `messageColumns`:
 * one row object filled again for each message): each message keeps its own frames and its own
 * optional fields, whatever the message before it had.
 */
import { describe, expect, it } from 'vitest';
import { ethTcp4, ethUdp4, pcapFile } from '../capture/testing/packets.ts';
import { analyzeBytes } from './analyze.ts';

const C = '10.0.0.1';
const S = '10.0.0.2';
const T0 = Date.UTC(2024, 0, 1) * 1000;

function msg(start: string, cseq: string, extra = ''): string {
  return `${start}\r\nVia: SIP/2.0/TCP ${C}:5060;branch=z9hG4bK-1\r\nFrom: <sip:a@${C}>;tag=f1\r\nTo: <sip:b@${S}>${extra}\r\nCall-ID: rows-1\r\nCSeq: ${cseq}\r\nContent-Length: 0\r\n\r\n`;
}

describe('message columns', () => {
  it('a message over two segments, then one in one segment, then a malformed one: each row its own frames and fields', async () => {
    const invite = msg('INVITE sip:b@10.0.0.2 SIP/2.0', '1 INVITE');
    const ok = msg('SIP/2.0 200 OK', '1 INVITE', ';tag=t1');
    const cut = 40;
    const tcp = (seq: number, payload: string, flags?: { syn?: boolean; ack?: boolean; psh?: boolean }, back = false) =>
      back
        ? ethTcp4({ src: S, dst: C, sport: 5060, dport: 40000, seq, ack: 0, payload, ...(flags ? { flags } : {}) })
        : ethTcp4({ src: C, dst: S, sport: 40000, dport: 5060, seq, ack: 0, payload, ...(flags ? { flags } : {}) });
    const frames = [
      tcp(100, '', { syn: true }),
      tcp(500, '', { syn: true, ack: true }, true),
      tcp(101, '', { ack: true }),
      tcp(101, invite.slice(0, cut)),
      tcp(101 + cut, invite.slice(cut)),
      tcp(501, ok, undefined, true),
      // Not SIP enough to parse, but sent to 5060 and starting like SIP: malformed.
      ethUdp4({ src: C, dst: S, sport: 5060, dport: 5060, payload: 'OPTIONS sip:b@10.0.0.2 SIP/2.0\r\nVia: \u0000\u0001\u0002\r\n\r\n' }),
      // A parsed request after the malformed one: nothing of the rows before may stay on it.
      ethUdp4({ src: C, dst: S, sport: 5060, dport: 5060, payload: msg('BYE sip:b@10.0.0.2 SIP/2.0', '2 BYE', ';tag=t1') }),
    ].map((data, i) => ({ timeUs: T0 + i * 1000, data }));
    const { report } = await analyzeBytes(pcapFile(1, frames));
    const rows = report.messages.map((m) => JSON.parse(JSON.stringify(m)) as Record<string, unknown>);
    expect(rows.map((m) => m['frames'])).toEqual([[4, 5], [6], [7], [8]]);
    expect(rows.map((m) => [m['frame'], m['firstFrame']])).toEqual([
      [5, 4],
      [6, 6],
      [7, 7],
      [8, 8],
    ]);
    expect(rows[0]).toMatchObject({ method: 'INVITE', transport: 'tcp', cseq: '1 INVITE', callId: 'rows-1', src: `${C}:40000`, dst: `${S}:5060` });
    expect(rows[0]).not.toHaveProperty('status');
    expect(rows[0]).not.toHaveProperty('malformed');
    expect(rows[1]).toMatchObject({ status: 200, reason: 'OK', transport: 'tcp', src: `${S}:5060` });
    expect(rows[1]).not.toHaveProperty('method');
    expect(rows[2]).toMatchObject({ transport: 'udp', startLine: 'OPTIONS sip:b@10.0.0.2 SIP/2.0' });
    // A NUL among its headers: not parsed, so malformed, with none of a parsed message's fields.
    expect(rows[2]).toMatchObject({ malformed: true, callId: null, cseq: null, hasSdp: false });
    expect(rows[2]).not.toHaveProperty('method');
    expect(rows[2]).not.toHaveProperty('status');
    expect(rows[2]).not.toHaveProperty('reason');
    expect(rows[3]).toMatchObject({ method: 'BYE', cseq: '2 BYE', callId: 'rows-1', transport: 'udp' });
    for (const k of ['malformed', 'status', 'reason']) expect(rows[3]).not.toHaveProperty(k);
  });
});
