/**
 * alignMessages on bytes built here, for the cases the lab pairs (engine/alignment.test.ts) do
 * not have: retransmissions stay apart from copies, a proxy hop is not a NAT, and the cost per
 * message stays flat (many calls in two captures; a storm of copies of one message).
 */
import { describe, expect, it } from 'vitest';
import { parseSipText } from '../sip/parser.ts';
import type { SipMessage } from '../sip/types.ts';
import type { AlignMessage } from './alignment.ts';
import { alignMessages, estimateOffset } from './alignment.ts';

function sip(text: string): SipMessage {
  const r = parseSipText(text.replace(/\n/g, '\r\n'));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

const ep = (s: string) => {
  const [ip, port] = s.split(':');
  return { ip: ip!, port: Number(port) };
};

function invite(call: string, via: string, branch = 'z9hG4bK-1'): SipMessage {
  return sip(`INVITE sip:bob@198.51.100.1 SIP/2.0
Via: SIP/2.0/UDP ${via};branch=${branch};rport
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>
Call-ID: ${call}
CSeq: 1 INVITE
Contact: <sip:alice@${via}>
Content-Length: 0

`);
}

const msg = (capture: number, frame: number, timeUs: number, src: string, dst: string, m: SipMessage): AlignMessage => ({ capture, frame, timeUs, src: ep(src), dst: ep(dst), transport: 'udp', sip: m });

describe('alignMessages', () => {
  it('pairs a NAT-translated copy, keeps a retransmission 500 ms later apart, and names the mapping', () => {
    const lan = invite('c1', '192.168.1.10:5060');
    const msgs = [
      msg(1, 1, 0, '192.168.1.10:5060', '198.51.100.1:5060', lan),
      msg(0, 1, 300, '203.0.113.1:4000', '198.51.100.1:5060', lan),
      msg(1, 2, 500_000, '192.168.1.10:5060', '198.51.100.1:5060', lan),
      msg(0, 2, 500_300, '203.0.113.1:4000', '198.51.100.1:5060', lan),
    ];
    const a = alignMessages(msgs, [
      { firstUs: 0, lastUs: 1e6 },
      { firstUs: 0, lastUs: 1e6 },
    ]);
    expect(a.groups).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(a.natMappings).toHaveLength(1);
    expect(a.natMappings[0]).toMatchObject({ inside: '192.168.1.10:5060', outside: '203.0.113.1:4000', messages: 2, longestIdleUs: 500_000 });
    expect(a.onlyIn).toEqual([]);
  });

  it('a proxy hop (new top Via, both addresses changed) is a matched hop, not a NAT mapping; a lost copy is named', () => {
    const first = invite('c2', '203.0.113.5:5060');
    const forwarded = sip(
      `INVITE sip:bob@192.0.2.9 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-proxy
Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-1;rport=5060;received=203.0.113.5
Record-Route: <sip:198.51.100.1;lr>
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>
Call-ID: c2
CSeq: 1 INVITE
Contact: <sip:alice@203.0.113.5:5060>
Content-Length: 0

`,
    );
    const msgs = [msg(0, 1, 0, '203.0.113.5:5060', '198.51.100.1:5060', first), msg(0, 2, 1000, '198.51.100.1:5060', '192.0.2.9:5060', forwarded), msg(1, 1, 2000, '192.0.2.9:5060', '198.51.100.1:5060', invite('other', '192.0.2.9:5060'))];
    const a = alignMessages(msgs, [
      { firstUs: 0, lastUs: 1e6 },
      { firstUs: 0, lastUs: 1e6 },
    ]);
    expect(a.groups).toEqual([[0, 1]]);
    expect(a.natMappings).toEqual([]);
    const headers = a.rewrites.map((r) => r.header);
    expect(headers).toEqual(expect.arrayContaining(['Request-URI', 'Via', 'Record-Route']));
    expect(a.rewrites.every((r) => !r.noSipHop)).toBe(true);
    // Each capture saw SIP between 192.0.2.9 and the proxy while the other's message passed: the
    // forwarded INVITE should be in capture 1, the other call's INVITE in capture 0.
    expect(a.lost).toEqual([
      { message: 1, missingFrom: 1, mapping: null },
      { message: 2, missingFrom: 0, mapping: null },
    ]);
  });

  it('estimates an offset from the first copies, robust to one outlier', () => {
    const ref = [0, 1, 2, 3, 4].map((i) => ({ timeUs: i * 1e6, sip: invite(`o${i}`, '192.0.2.1:5060') }));
    const other = ref.map((m, i) => ({ timeUs: m.timeUs + 3_700_000 + (i === 4 ? 900_000 : i * 100), sip: m.sip }));
    const o = estimateOffset(ref, other);
    expect(o.pairs).toBe(5);
    expect(Math.abs(o.offsetUs - 3_700_000)).toBeLessThan(1_000);
    expect(o.spreadUs).toBeLessThan(1_000);
  });

  describe('cost per message stays flat from 1× to 8×', () => {
    const calls = (n: number): AlignMessage[] => {
      const out: AlignMessage[] = [];
      for (let i = 0; i < n; i++) {
        const m = invite(`call-${i}`, '192.168.1.10:5060', `z9hG4bK-${i}`);
        out.push(msg(1, 2 * i + 1, i * 1000, '192.168.1.10:5060', '198.51.100.1:5060', m));
        out.push(msg(0, 2 * i + 1, i * 1000 + 200, `203.0.113.1:${1024 + (i % 60000)}`, '198.51.100.1:5060', m));
      }
      return out;
    };
    const storm = (n: number): AlignMessage[] => {
      const m = invite('storm', '192.168.1.10:5060');
      return Array.from({ length: n }, (_, i) => msg(i % 2, i + 1, i, `203.0.113.${1 + (i % 200)}:${1024 + i}`, '198.51.100.1:5060', m));
    };
    const time = (f: () => void): number => {
      let best = Infinity;
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        f();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    for (const [name, make, base] of [
      ['calls seen in both captures', calls, 4000],
      ['copies of one message within the copy window', storm, 4000],
    ] as const) {
      it(`${name}: 8× as many costs < 3× as much per message`, () => {
        const ranges = [
          { firstUs: 0, lastUs: 1e12 },
          { firstUs: 0, lastUs: 1e12 },
        ];
        const small = make(base);
        const big = make(8 * base);
        alignMessages(small, ranges); // warm up
        const ts = time(() => alignMessages(small, ranges));
        const tb = time(() => alignMessages(big, ranges));
        const ratio = tb / (8 * base) / (ts / base);
        console.log(`${name}: ${base} → ${ts.toFixed(1)} ms, ${8 * base} → ${tb.toFixed(1)} ms, per-message ratio ${ratio.toFixed(2)}`);
        expect(ratio).toBeLessThan(3);
      });
    }
  });
});
