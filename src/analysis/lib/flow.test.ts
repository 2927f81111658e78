/**
 * The detectors' flow messages keep some fields packed (flow.ts FlowMsg: flags, status and Via
 * count in one integer; Route, Record-Route and notes in one object only when there are any):
 * each reads back what the parse said, at the edges of what the packing holds.
 */
import { describe, expect, it } from 'vitest';
import { FlowBuilder, natRequest, natRequestOk } from './testing.ts';
import { getFlow, pairTraffic } from './flow.ts';

function invite(vias: number, extra: string[] = []): string[] {
  const lines = ['INVITE sip:bob@198.51.100.2 SIP/2.0'];
  for (let k = 0; k < vias; k++) lines.push(`Via: SIP/2.0/UDP 10.0.${(k >> 8) & 255}.${k & 255}:5060;branch=z9hG4bK${k === 0 ? 'top' : `h${k}`}`);
  lines.push('From: <sip:alice@192.0.2.1>;tag=a1', 'To: <sip:bob@198.51.100.2>', 'Call-ID: packed@test', 'CSeq: 1 INVITE', ...extra);
  return lines;
}

describe('flow messages read back their packed fields', () => {
  it('keeps every Via count, small or past what the packed bits hold', () => {
    for (const n of [1, 2, 4095, 4096, 262_143, 262_144]) {
      const b = new FlowBuilder();
      b.add(0, '192.0.2.1:5060', '198.51.100.2:5060', invite(n), '', 'tcp');
      const x = getFlow(b.messages).msgs[0]!;
      expect(x.viaCount, `${n} Vias`).toBe(n);
      expect(x.isReq).toBe(true);
      expect(x.status).toBe(0);
      expect(x.route).toEqual([]);
    }
  }, 60_000);

  it('keeps each status, the flags, and the lists when there are some', () => {
    const b = new FlowBuilder();
    b.add(0, '192.0.2.1:5060', '198.51.100.2:5060', invite(1, ['Route: <sip:p1@203.0.113.1;lr>', 'Record-Route: <sip:p2@203.0.113.2;lr>', 'Authorization: Digest username="a"']));
    for (const [k, status] of [100, 183, 699, 999].entries()) {
      b.add(0.1 + k / 10, '198.51.100.2:5060', '192.0.2.1:5060', [`SIP/2.0 ${status} Something`, 'Via: SIP/2.0/UDP 10.0.0.0:5060;branch=z9hG4bKtop', 'From: <sip:alice@192.0.2.1>;tag=a1', 'To: <sip:bob@198.51.100.2>;tag=b1', 'Call-ID: packed@test', 'CSeq: 1 INVITE']);
    }
    // The same request again 1 s later: a retransmission.
    b.add(1, '192.0.2.1:5060', '198.51.100.2:5060', invite(1));
    const msgs = getFlow(b.messages).msgs;
    const [req, ...rest] = msgs;
    expect(req!.hasCredentials).toBe(true);
    expect(req!.route.map((r) => r.uri?.host)).toEqual(['203.0.113.1']);
    expect(req!.recordRoute.map((r) => r.uri?.host)).toEqual(['203.0.113.2']);
    expect(rest.slice(0, 4).map((x) => [x.isReq, x.status, x.hasCredentials, x.viaCount])).toEqual([
      [false, 100, false, 1],
      [false, 183, false, 1],
      [false, 699, false, 1],
      [false, 999, false, 1],
    ]);
    const again = rest[4]!;
    expect([again.retransmission, again.duplicate, again.firstCopy === req]).toEqual([true, false, true]);
    expect([req!.retransmission, req!.duplicate]).toEqual([false, false]);
  });
});

const PROXY = '203.0.113.10:5060';

describe('flow transactions and pair traffic', () => {
  it('keeps transactions apart for calls with more than a scan of them, interleaved', () => {
    const f = new FlowBuilder();
    let t = 0;
    for (let k = 0; k < 12; k++) for (const cid of ['x', 'y']) {
      f.add((t += 1), '203.0.113.5:40000', PROXY, natRequest(cid, `z9hG4bK${cid}${k}`, k + 1, 'REGISTER'));
      f.add((t += 1), PROXY, '203.0.113.5:40000', natRequestOk(cid, `z9hG4bK${cid}${k}`, k + 1, 'REGISTER'));
    }
    // A call after those, found by a scan again: its response joins its request.
    f.add((t += 1), '203.0.113.5:40000', PROXY, natRequest('z', 'z9hG4bKz', 1));
    f.add(t + 1, PROXY, '203.0.113.5:40000', natRequestOk('z', 'z9hG4bKz', 1));
    const flow = getFlow(f.messages);
    expect(flow.msgs.at(-1)!.tx).toEqual([flow.msgs.at(-2), flow.msgs.at(-1)]);
    for (const x of flow.msgs) for (const y of x.tx) expect([y.callId, y.branch, y.cseq]).toEqual([x.callId, x.branch, x.cseq]);
    // A REGISTER and an OPTIONS on one branch are two transactions.
    expect(flow.txs).toHaveLength(25);
    expect(flow.callLists.map((l) => l[0]!.callId)).toEqual([...flow.calls.keys()]);
  });
  it("gives each message its place in its pair's list", () => {
    const f = new FlowBuilder();
    for (let k = 0; k < 6; k++) f.add(k, k % 2 ? PROXY : `203.0.113.${1 + (k % 3)}:40000`, k % 2 ? '203.0.113.1:40000' : PROXY, natRequest('p', `z9hG4bKp${k}`, k + 1));
    const pt = pairTraffic(getFlow(f.messages));
    for (const m of f.messages) {
      const list = [...pt.byPair.values()].find((l) => l.includes(m))!;
      expect(list[pt.pos[m.index]!]).toBe(m);
    }
  });
});
