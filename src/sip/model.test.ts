/**
 * The SIP model on hand-built flows: forking, CANCEL/200 race, target refresh, retransmission
 * chains, B2BUA legs, response routing, in-dialog routing, hosts, media.
 */
import { describe, expect, it } from 'vitest';
import { flow, reply, request, sdp } from './testing/flows.ts';
import type { RequestSpec } from './testing/flows.ts';
import { reportCalls } from './model.ts';
import { expectedHop } from './routing.ts';
import { ACKS, REQUESTS, RESPONSES } from './transactions.ts';
import type { TxList } from './transactions.ts';

const A = '192.0.2.10:5060'; // caller
const P = '198.51.100.1:5060'; // proxy
const B = '203.0.113.20:5060'; // callee

const ALICE = '<sip:alice@example.com>;tag=a1';
const BOB = '<sip:bob@example.com>';

function inviteSpec(o: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: 'INVITE',
    uri: 'sip:bob@example.com',
    via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1;rport',
    from: ALICE,
    to: BOB,
    callId: 'call-1@192.0.2.10',
    cseq: 1,
    contact: '<sip:alice@192.0.2.10:5060>',
    ...o,
  };
}

/** In-dialog request from the caller (tags a1 → b1 by default). */
function fromCaller(method: string, uri: string, cseq: number, branch: string, o: Partial<RequestSpec> = {}): string {
  return request({
    method,
    uri,
    via: `SIP/2.0/UDP 192.0.2.10:5060;branch=${branch};rport`,
    from: ALICE,
    to: `${BOB};tag=b1`,
    callId: 'call-1@192.0.2.10',
    cseq: method === 'ACK' ? `${cseq} ACK` : cseq,
    ...o,
  });
}

describe('forking', () => {
  it('two 180s with different To tags make two early dialogs; the 200 confirms one', () => {
    const inv = request(inviteSpec());
    const f = flow()
      .send(A, P, 'udp', 0, inv)
      .send(P, A, 'udp', 0.01, reply(inv, 100, 'Trying'))
      .send(P, A, 'udp', 0.5, reply(inv, 180, 'Ringing', { toTag: 'b1', contact: '<sip:bob@203.0.113.21>' }))
      .send(P, A, 'udp', 0.6, reply(inv, 180, 'Ringing', { toTag: 'b2', contact: '<sip:bob@203.0.113.22>' }))
      .send(P, A, 'udp', 3.0, reply(inv, 200, 'OK', { toTag: 'b2', contact: '<sip:bob@203.0.113.22>' }))
      .send(A, '203.0.113.22:5060', 'udp', 3.05, request({ method: 'ACK', uri: 'sip:bob@203.0.113.22', via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-ack1;rport', from: ALICE, to: `${BOB};tag=b2`, callId: 'call-1@192.0.2.10', cseq: '1 ACK' }));
    const model = f.model(10);
    expect(model.dialogs).toHaveLength(2);
    const [d1, d2] = model.dialogs;
    expect(d1?.calleeTag).toBe('b1');
    expect(d1?.state).toBe('terminated');
    expect(d1?.terminationReason).toBe('other-branch-answered');
    expect(d2?.calleeTag).toBe('b2');
    expect(d2?.state).toBe('confirmed');
    expect(d2?.caller.remoteTarget).toBe('sip:bob@203.0.113.22');
    // One INVITE transaction on this hop; the early 180 of b1 is in dialog 0, the INVITE joins the confirmed one.
    expect(new Set(model.annotations.toArray().slice(0, 5).map((a) => a.transaction))).toEqual(new Set([0]));
    expect(model.annotations.at(0)?.dialog).toBe(1);
    expect(model.annotations.at(2)?.dialog).toBe(0);
    const [call] = reportCalls(model);
    expect(call?.state).toBe('answered');
    expect(call?.dialogs).toEqual([
      expect.objectContaining({ fromTag: 'a1', toTag: 'b1', state: 'terminated' }),
      expect.objectContaining({ fromTag: 'a1', toTag: 'b2', state: 'confirmed' }),
    ]);
    expect(call?.pddMs).toBe(500);
    expect(call?.setupMs).toBe(3000);
    expect(call?.durationMs).toBeCloseTo(6950, 3);
    expect(call?.durationOpen).toBe(true);
    // The ACK went straight to the Contact of the 200 (no route set): matches.
    expect(expectedHop(model, 5)?.matches).toBe(true);
  });
});

describe('CANCEL crossing a 200', () => {
  it('the 200 wins; ACK and BYE follow; the call completes, ended by the caller', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const cancel = request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20' }), method: 'CANCEL', cseq: 1, contact: undefined });
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 0.2, reply(inv, 180, 'Ringing', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' }))
      .send(A, B, 'udp', 5.0, cancel)
      .send(B, A, 'udp', 5.001, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' }))
      .send(B, A, 'udp', 5.01, reply(cancel, 200, 'OK', { toTag: 'b1' }))
      .send(A, B, 'udp', 5.05, fromCaller('ACK', 'sip:bob@203.0.113.20', 1, 'z9hG4bK-ack1'))
      .send(A, B, 'udp', 5.1, fromCaller('BYE', 'sip:bob@203.0.113.20', 2, 'z9hG4bK-bye1'));
    const bye = f.messages()[6]?.raw ?? '';
    f.send(B, A, 'udp', 5.12, reply(bye, 200, 'OK'));
    const model = f.model();
    const [tInv, tCancel] = model.transactions.toArray();
    expect(tInv?.method).toBe('INVITE');
    expect(tCancel?.method).toBe('CANCEL');
    expect(tCancel?.cancels).toBe(tInv?.id);
    expect(tInv?.cancelledBy).toBe(tCancel?.id);
    expect(tInv?.finalStatus).toBe(200);
    // The ACK of a 2xx is its own transaction (RFC 3261 §17.1.1.3).
    expect(model.annotations.at(5)?.transaction).not.toBe(tInv?.id);
    expect(model.annotations.at(5)?.ackForNon2xx).toBe(false);
    // CANCEL goes where the INVITE went.
    expect(model.hops.at(2)).toMatchObject({ kind: 'cancel', matches: true });
    const call = model.calls[0];
    expect(call?.state).toBe('completed');
    expect(call?.endedBy).toBe('caller');
    expect(call?.cancelIndex).toBe(2);
    expect(call?.byeStatus).toBe(200);
    expect(model.dialogs[0]?.state).toBe('terminated');
    expect(model.dialogs[0]?.terminationReason).toBe('bye');
    expect(call?.durationMs).toBeCloseTo(50, 3);
    expect(reportCalls(model)[0]).toMatchObject({ byeFrame: 7, cancelFrame: 3, endFrame: 8, messageCount: 8 });
  });

  it('CANCEL answered by 487: cancelled, the ACK of the 487 stays in the INVITE transaction', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const cancel = request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20' }), method: 'CANCEL', cseq: 1, contact: undefined });
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 0.2, reply(inv, 180, 'Ringing', { toTag: 'b1' }))
      .send(A, B, 'udp', 2, cancel)
      .send(B, A, 'udp', 2.01, reply(cancel, 200, 'OK', { toTag: 'b1' }))
      .send(B, A, 'udp', 2.02, reply(inv, 487, 'Request Terminated', { toTag: 'b1' }))
      .send(A, B, 'udp', 2.03, request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20' }), method: 'ACK', to: `${BOB};tag=b1`, cseq: '1 ACK', contact: undefined }));
    const model = f.model();
    expect(model.annotations.at(5)).toMatchObject({ transaction: 0, ackForNon2xx: true });
    expect(model.transactions.at(0)?.acks).toEqual([5]);
    expect(model.hops.at(5)).toMatchObject({ kind: 'ack-non2xx', matches: true });
    expect(model.calls[0]?.state).toBe('cancelled');
    expect(model.calls[0]?.finalStatus).toBe(487);
    expect(model.dialogs[0]).toMatchObject({ state: 'terminated', terminationReason: 'cancelled' });
  });
});

describe('target refresh', () => {
  function base() {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20:5060>' }))
      .send(A, B, 'udp', 1.01, fromCaller('ACK', 'sip:bob@203.0.113.20:5060', 1, 'z9hG4bK-ack1'));
    // The callee moves: re-INVITE with a new Contact (port 5070).
    const reinv = request({
      method: 'INVITE',
      uri: 'sip:alice@192.0.2.10:5060',
      via: 'SIP/2.0/UDP 203.0.113.20:5070;branch=z9hG4bK-re1',
      from: `${BOB};tag=b1`,
      to: ALICE,
      callId: 'call-1@192.0.2.10',
      cseq: 7,
      contact: '<sip:bob@203.0.113.20:5070>',
    });
    f.send('203.0.113.20:5070', A, 'udp', 10, reinv)
      .send(A, '203.0.113.20:5070', 'udp', 10.01, reply(reinv, 200, 'OK', { contact: '<sip:alice@192.0.2.10:5060>' }))
      .send('203.0.113.20:5070', A, 'udp', 10.02, request({ method: 'ACK', uri: 'sip:alice@192.0.2.10:5060', via: 'SIP/2.0/UDP 203.0.113.20:5070;branch=z9hG4bK-re1ack', from: `${BOB};tag=b1`, to: ALICE, callId: 'call-1@192.0.2.10', cseq: '7 ACK' }));
    return f;
  }

  it('a re-INVITE with a new Contact updates the remote target; the BYE to it matches', () => {
    const f = base().send(A, '203.0.113.20:5070', 'udp', 20, fromCaller('BYE', 'sip:bob@203.0.113.20:5070', 2, 'z9hG4bK-bye1'));
    const model = f.model();
    const d = model.dialogs[0];
    expect(d?.caller.remoteTarget).toBe('sip:bob@203.0.113.20:5070');
    expect(d?.targetChanges.map((t) => [t.side, t.to])).toEqual([
      ['callee', 'sip:alice@192.0.2.10:5060'],
      ['caller', 'sip:bob@203.0.113.20:5060'],
      ['caller', 'sip:bob@203.0.113.20:5070'],
    ]);
    const byeIdx = f.find('BYE');
    const hop = expectedHop(model, byeIdx);
    expect(hop?.expected).toEqual({ ip: '203.0.113.20', port: 5070 });
    expect(hop?.matches).toBe(true);
    expect(hop?.check.requestUriMatches).toBe(true);
    // The first ACK went to the then-current Contact (5060): also right at its time.
    expect(expectedHop(model, 2)?.matches).toBe(true);
  });

  it('a BYE still sent to the old Contact is a mismatch', () => {
    const f = base().send(A, B, 'udp', 20, fromCaller('BYE', 'sip:bob@203.0.113.20:5060', 2, 'z9hG4bK-bye1'));
    const model = f.model();
    const hop = expectedHop(model, f.find('BYE'));
    expect(hop?.matches).toBe(false);
    expect(hop?.expected).toEqual({ ip: '203.0.113.20', port: 5070 });
    expect(hop?.actual).toEqual({ ip: '203.0.113.20', port: 5060 });
    expect(hop?.check.requestUriMatches).toBe(false);
    expect(hop?.rule).toContain('sip:bob@203.0.113.20:5070');
  });
});

describe('retransmission chains', () => {
  it('INVITE retransmitted at 0.5, 1, 2, 4 s (Timer A) then 408: timed-out', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const f = flow();
    for (const t of [0, 0.5, 1.5, 3.5, 7.5]) f.send(A, B, 'udp', t, inv);
    f.send(B, A, 'udp', 32, reply(inv, 408, 'Request Timeout', { toTag: 'b1' }));
    const model = f.model();
    expect(model.chains).toHaveLength(1);
    const ch = model.chains[0];
    expect(ch).toMatchObject({ kind: 'request', method: 'INVITE', first: 0, count: 4, timer: 'Timer A (INVITE request)', backoff: true, unusualOverReliable: false });
    expect(ch?.intervalsMs).toEqual([500, 1000, 2000, 4000]);
    expect(model.annotations.toArray().slice(0, 5)).toMatchObject([
      { transaction: 0, dialog: null, retransmission: false, retransmissionOf: null },
      { transaction: 0, dialog: null, retransmission: true, retransmissionOf: 0 },
      { transaction: 0, dialog: null, retransmission: true, retransmissionOf: 0 },
      { transaction: 0, dialog: null, retransmission: true, retransmissionOf: 0 },
      { transaction: 0, dialog: null, retransmission: true, retransmissionOf: 0 },
    ]);
    expect(model.calls[0]).toMatchObject({ state: 'timed-out', finalStatus: 408 });
  });

  it('silence for 32 s is Timer B; silence for 10 s is in-progress', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const f = flow();
    for (const t of [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]) f.send(A, B, 'udp', t, inv);
    const timedOut = f.model(40);
    expect(timedOut.calls[0]?.state).toBe('timed-out');
    expect(timedOut.calls[0]?.timeout).toContain('Timer B');
    expect(timedOut.chains[0]?.reachedTimeout).toBe(true);
    const g = flow().send(A, B, 'udp', 0, inv).send(A, B, 'udp', 0.5, inv);
    expect(g.model(10).calls[0]?.state).toBe('in-progress');
  });

  it('a 2xx retransmitted with no ACK forms a chain capped at T2, then the callee hangs up', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const ok = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@10.0.0.5:5060>' });
    const f = flow().send(A, B, 'udp', 0, inv);
    const times = [1, 1.5, 2.5, 4.5, 8.5, 12.5, 16.5];
    for (const t of times) f.send(B, A, 'udp', t, ok);
    f.send(B, A, 'udp', 33, request({ method: 'BYE', uri: 'sip:alice@192.0.2.10:5060', via: 'SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-bye9', from: `${BOB};tag=b1`, to: ALICE, callId: 'call-1@192.0.2.10', cseq: 1 }));
    const model = f.model();
    const ch = model.chains[0];
    expect(ch).toMatchObject({ kind: 'response', status: 200, count: 6, timer: 'UAS core 2xx retransmission (RFC 3261 §13.3.1.4)', backoff: true });
    expect(ch?.intervalsMs).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    const call = model.calls[0];
    expect(call).toMatchObject({ state: 'completed', endedBy: 'callee', ackIndex: null });
    // The BYE goes to the caller's Contact: right.
    expect(model.hops.at(8)).toMatchObject({ kind: 'in-dialog', matches: true });
  });

  it('a request repeated over TCP is flagged as unusual, a 2xx repeated over TCP is not', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20;transport=tcp', via: 'SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t1' }));
    const ok = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20;transport=tcp>' });
    const f = flow().send('192.0.2.10:40001', B, 'tcp', 0, inv).send('192.0.2.10:40001', B, 'tcp', 0.5, inv).send(B, '192.0.2.10:40001', 'tcp', 1, ok).send(B, '192.0.2.10:40001', 'tcp', 1.5, ok);
    const model = f.model();
    expect(model.chains.map((c) => [c.kind, c.reliableTransport, c.unusualOverReliable])).toEqual([
      ['request', true, true],
      ['response', true, false],
    ]);
    expect(model.notes.join(' ')).toContain('reliable transport');
    // Responses on the same connection: match.
    expect(model.hops.at(2)).toMatchObject({ kind: 'response', matches: true, expectedConnection: 0 });
  });

  it('the same INVITE forwarded by a proxy is two transactions, not a retransmission', () => {
    const inv = request(inviteSpec());
    const fwd = request(inviteSpec({ via: ['SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1;rport;received=192.0.2.10'], uri: 'sip:bob@203.0.113.20' }));
    const model = flow().send(A, P, 'udp', 0, inv).send(P, B, 'udp', 0.01, fwd).model();
    expect(model.annotations.toArray().map((a) => [a.transaction, a.retransmission])).toEqual([
      [0, false],
      [1, false],
    ]);
  });

  it('one fixed branch sent by several agents: a transaction each (RFC 3261 §17.2.3 adds sent-by), each answer in its own', () => {
    // Some firmware sends one constant branch; the responses come after all the requests, so
    // each lookup goes through the branch's shared entry, built before the answer arrives.
    const agents = ['192.0.2.31:5060', '192.0.2.32:5060', '192.0.2.33:5060'];
    const regs = agents.map((ua, i) =>
      request({ method: 'REGISTER', uri: 'sip:example.com', via: `SIP/2.0/UDP ${ua};branch=z9hG4bKfixed`, from: `<sip:u${i}@example.com>;tag=r${i}`, to: `<sip:u${i}@example.com>`, callId: `reg-${i}`, cseq: 1, contact: `<sip:u${i}@${ua}>` }),
    );
    const f = flow();
    regs.forEach((r, i) => f.send(agents[i]!, P, 'udp', i * 0.01, r));
    regs.forEach((_, i) => f.send(P, agents[2 - i]!, 'udp', 0.1 + i * 0.01, reply(regs[2 - i]!, 200, 'OK', { toTag: `s${i}` })));
    // The same agent's REGISTER again, same branch: a retransmission in its own transaction.
    f.send(agents[1]!, P, 'udp', 0.5, regs[1]!);
    const model = f.model();
    expect(model.transactions.toArray().map((t) => [t.sentBy, t.requests, t.responses])).toEqual([
      ['192.0.2.31:5060', [0], [5]],
      ['192.0.2.32:5060', [1, 6], [4]],
      ['192.0.2.33:5060', [2], [3]],
    ]);
    expect(model.annotations.toArray()[6]).toMatchObject({ transaction: 1, retransmission: true, retransmissionOf: 1 });
  });

  it('RFC 2543 branch: Call-ID, CSeq, From tag and top Via key the transaction', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20', via: 'SIP/2.0/UDP 192.0.2.10:5060' }));
    const f = flow().send(A, B, 'udp', 0, inv).send(A, B, 'udp', 0.5, inv).send(B, A, 'udp', 0.6, reply(inv, 486, 'Busy Here', { toTag: 'b1' }));
    f.send(A, B, 'udp', 0.7, request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20', via: 'SIP/2.0/UDP 192.0.2.10:5060' }), method: 'ACK', to: `${BOB};tag=b1`, cseq: '1 ACK', contact: undefined }));
    const model = f.model();
    expect(model.transactions).toHaveLength(1);
    expect(model.transactions.at(0)).toMatchObject({ rfc2543: true, requests: [0, 1], responses: [2], acks: [3] });
    expect(model.calls[0]).toMatchObject({ state: 'busy', finalStatus: 486 });
  });
});

describe('B2BUA legs', () => {
  function leg(callId: string, from: string, to: string, src: string, dst: string, at: number, extra: string[] = []): string {
    void src;
    void dst;
    void at;
    return request({
      method: 'INVITE',
      uri: `sip:${to}@example.net`,
      via: `SIP/2.0/UDP ${src};branch=z9hG4bK-${callId}`,
      from: `<sip:${from}@example.net>;tag=t-${callId}`,
      to: `<sip:${to}@example.net>`,
      callId,
      cseq: 1,
      contact: `<sip:${from}@${src}>`,
      headers: extra,
    });
  }

  it('joins legs by X-Call-ID', () => {
    const f = flow()
      .send(A, P, 'udp', 0, leg('leg-a', 'alice', 'bob', A, P, 0))
      .send('198.51.100.2:5060', B, 'udp', 0.1, leg('leg-b', 'alice', 'bob', '198.51.100.2:5060', B, 0.1, ['X-Call-ID: leg-a']))
      .send(A, P, 'udp', 0.2, leg('other', 'carol', 'dave', A, P, 0.2));
    const calls = reportCalls(f.model());
    expect(calls.map((c) => [c.callId, c['legs'], c['joinedBy']])).toEqual([
      ['leg-a', ['leg-a', 'leg-b'], 'X-Call-ID'],
      ['leg-b', ['leg-a', 'leg-b'], 'X-Call-ID'],
      ['other', ['other'], null],
    ]);
  });

  it('joins legs by guess: same numbers, INVITEs within 2 s, different Call-IDs', () => {
    const f = flow()
      .send(A, P, 'udp', 0, leg('in-1', '+14155550100', '0049301234567', A, P, 0))
      .send('198.51.100.2:5060', B, 'udp', 0.8, leg('out-1', '4155550100', '49301234567', '198.51.100.2:5060', B, 0.8))
      // Same numbers but 5 s later: a new call, not a leg.
      .send(A, P, 'udp', 5.8, leg('in-2', '+14155550100', '0049301234567', A, P, 5.8));
    const calls = reportCalls(f.model());
    expect(calls.map((c) => [c.callId, c['legs'], c['joinedBy']])).toEqual([
      ['in-1', ['in-1', 'out-1'], 'guess'],
      ['out-1', ['in-1', 'out-1'], 'guess'],
      ['in-2', ['in-2'], null],
    ]);
  });
});

describe('response routing (RFC 3261 §18.2.2, RFC 3581)', () => {
  const NAT = '203.0.113.50:40000';
  const reg = (rport: boolean): string =>
    request({
      method: 'REGISTER',
      uri: 'sip:example.com',
      via: `SIP/2.0/UDP 192.168.1.15:5060;branch=z9hG4bK-r1${rport ? ';rport' : ''}`,
      from: '<sip:alice@example.com>;tag=r1',
      to: '<sip:alice@example.com>',
      callId: 'reg-1',
      cseq: 1,
      contact: '<sip:alice@192.168.1.15:5060>',
      headers: ['Expires: 3600'],
    });

  it('with rport: received + the source port', () => {
    const r = reg(true);
    const ok = reply(r, 200, 'OK', { toTag: 's1', via: ['SIP/2.0/UDP 192.168.1.15:5060;branch=z9hG4bK-r1;rport=40000;received=203.0.113.50'] });
    const model = flow().send(NAT, P, 'udp', 0, r).send(P, NAT, 'udp', 0.05, ok).model();
    const hop = expectedHop(model, 1);
    expect(hop).toMatchObject({ expected: { ip: '203.0.113.50', port: 40000 }, matches: true });
    expect(hop?.rule).toContain('rport');
    expect(model.hops.at(0)?.via).toMatchObject({ hostMatches: false, portMatches: false, rport: 'empty', sentByPrivate: true, sourcePrivate: false });
    expect(model.calls[0]).toMatchObject({ kind: 'registration', state: 'registered' });
  });

  it('without rport: received + the sent-by port, so a reply to the NAT port breaks the rule', () => {
    const r = reg(false);
    const model = flow()
      .send(NAT, P, 'udp', 0, r)
      .send(P, '203.0.113.50:5060', 'udp', 0.05, reply(r, 401, 'Unauthorized', { toTag: 's1' }))
      .send(P, NAT, 'udp', 0.06, reply(r, 401, 'Unauthorized', { toTag: 's1' }))
      .model();
    expect(expectedHop(model, 1)).toMatchObject({ expected: { ip: '203.0.113.50', port: 5060 }, matches: true });
    expect(expectedHop(model, 2)).toMatchObject({ expected: { ip: '203.0.113.50', port: 5060 }, matches: false });
    expect(model.hops.at(0)?.via?.rport).toBe('absent');
    expect(model.calls[0]?.state).toBe('auth-challenged');
  });

  it('a TCP response on another connection breaks connection reuse', () => {
    const inv = request(inviteSpec({ via: 'SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-c1' }));
    const f = flow().send('192.0.2.10:40002', P, 'tcp', 0, inv);
    f.send(P, '192.0.2.10:5060', 'tcp', 0.1, reply(inv, 180, 'Ringing', { toTag: 'b1' }));
    const model = f.model();
    expect(model.hops.at(1)).toMatchObject({ kind: 'response', matches: false, expectedConnection: 0 });
    expect(model.hops.at(1)?.rule).toContain('connection 0');
  });
});

describe('in-dialog routing (RFC 3261 §12.2.1.1, §16.12)', () => {
  const RR = '<sip:198.51.100.1;lr>';
  function throughProxy() {
    const inv = request(inviteSpec());
    const fwd = request(
      inviteSpec({
        uri: 'sip:bob@203.0.113.20',
        via: ['SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1;rport=5060;received=192.0.2.10'],
        recordRoute: [RR],
      }),
    );
    const ok2 = reply(fwd, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20:5060>' });
    const ok1 = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20:5060>', recordRoute: [RR] });
    return flow().send(A, P, 'udp', 0, inv).send(P, B, 'udp', 0.01, fwd).send(B, P, 'udp', 1, ok2).send(P, A, 'udp', 1.01, ok1);
  }
  const bye = (via: string[], route: string[]): string =>
    request({ method: 'BYE', uri: 'sip:bob@203.0.113.20:5060', via, from: ALICE, to: `${BOB};tag=b1`, callId: 'call-1@192.0.2.10', cseq: 2, route });

  it('loose routing via a Record-Route proxy: each hop matches', () => {
    const f = throughProxy()
      .send(A, P, 'udp', 10, bye(['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-b1;rport'], [RR]))
      .send(P, B, 'udp', 10.01, bye(['SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-pb1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-b1;rport=5060'], []));
    const model = f.model();
    const d = model.dialogs[0];
    expect(d?.caller.routeSet).toEqual(['sip:198.51.100.1;lr']);
    expect(d?.callee.routeSet).toEqual(['sip:198.51.100.1;lr']);
    expect(d?.callee.remoteTarget).toBe('sip:alice@192.0.2.10:5060');
    const h1 = expectedHop(model, 4);
    expect(h1).toMatchObject({ expected: { ip: '198.51.100.1', port: 5060 }, matches: true });
    expect(h1?.check.requestUriMatches).toBe(true);
    const h2 = expectedHop(model, 5);
    expect(h2).toMatchObject({ expected: { ip: '203.0.113.20', port: 5060 }, matches: true });
    expect(h2?.rule).toContain('last entry of the route set');
    // Responses went back the way the Via said.
    expect(model.hops.at(2)?.matches).toBe(true);
    expect(model.hops.at(3)?.matches).toBe(true);
    // The INVITE on two hops: two transactions, one call, one dialog.
    expect(model.transactions.toArray().filter((t) => t.method === 'INVITE')).toHaveLength(2);
    expect(model.dialogs).toHaveLength(1);
    expect(model.dialogs[0]?.initialTransactions).toEqual([0, 1]);
  });

  it('a BYE that skips the record-routing proxy and goes straight to the Contact is misrouted', () => {
    const model = throughProxy()
      .send(A, B, 'udp', 10, bye(['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-b1;rport'], []))
      .model();
    const h = expectedHop(model, 4);
    expect(h).toMatchObject({ expected: { ip: '198.51.100.1', port: 5060 }, actual: { ip: '203.0.113.20', port: 5060 }, matches: false });
  });

  it('a BYE sent to an address other than the Contact (no route set) is a mismatch', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const model = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20:5062;transport=udp>' }))
      .send(A, B, 'udp', 5, fromCaller('BYE', 'sip:bob@203.0.113.20:5062;transport=udp', 2, 'z9hG4bK-b1'))
      .model();
    expect(expectedHop(model, 2)).toMatchObject({ expected: { ip: '203.0.113.20', port: 5062 }, actual: { ip: '203.0.113.20', port: 5060 }, matches: false });
  });

  it('a private Contact reached at the public address its messages came from is NAT traversal, not a misroute', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const model = flow()
      .send(A, P, 'udp', 0, inv)
      .send('203.0.113.60:31000', P, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@10.0.0.5:5060>' }))
      .send(P, '203.0.113.60:31000', 'udp', 5, fromCaller('BYE', 'sip:bob@10.0.0.5:5060', 2, 'z9hG4bK-b1'))
      .model();
    expect(expectedHop(model, 2)).toMatchObject({ expected: { ip: '10.0.0.5', port: 5060 }, matches: true });
    expect(model.hops.at(2)?.viaNat).toBe(true);
  });

  it('TLS default port 5061 and sips: apply to the remote target', () => {
    const inv = request(inviteSpec({ via: 'SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-s1', uri: 'sips:bob@203.0.113.20' }));
    const f = flow()
      .send('192.0.2.10:5061', '203.0.113.20:5061', 'tls', 0, inv)
      .send('203.0.113.20:5061', '192.0.2.10:5061', 'tls', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sips:bob@203.0.113.20>' }))
      // The far side's BYE on a new connection to the caller's Contact without port: 5060 assumed for sip:, i.e. 5061 expected only for sips.
      .send('192.0.2.10:5061', '203.0.113.20:5061', 'tls', 5, fromCaller('BYE', 'sips:bob@203.0.113.20', 2, 'z9hG4bK-b1', { via: 'SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-b1' }));
    const model = f.model();
    expect(expectedHop(model, 2)).toMatchObject({ expected: { ip: '203.0.113.20', port: 5061 }, matches: true });
  });
});

describe('routing: route set order, strict routing, connection reuse', () => {
  const P1 = '198.51.100.1:5060';
  const P2 = '198.51.100.2:5060';
  function twoProxies() {
    // A → P1 → P2 → B, both record-route; captured on the first and the last hop.
    const inv = request(inviteSpec());
    const last = request(
      inviteSpec({
        uri: 'sip:bob@203.0.113.20',
        via: ['SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-p2', 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1;rport=5060'],
        recordRoute: ['<sip:198.51.100.2;lr>', '<sip:198.51.100.1;lr>'],
      }),
    );
    const okB = reply(last, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' });
    const okA = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', recordRoute: ['<sip:198.51.100.2;lr>', '<sip:198.51.100.1;lr>'] });
    return flow().send(A, P1, 'udp', 0, inv).send(P2, B, 'udp', 0.02, last).send(B, P2, 'udp', 1, okB).send(P1, A, 'udp', 1.02, okA);
  }

  it('the caller uses the Record-Route reversed, the callee as-is (RFC 3261 §12.1.1/§12.1.2)', () => {
    const calleeBye = request({
      method: 'BYE',
      uri: 'sip:alice@192.0.2.10:5060',
      via: 'SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-cb',
      from: `${BOB};tag=b1`,
      to: ALICE,
      callId: 'call-1@192.0.2.10',
      cseq: 1,
      route: ['<sip:198.51.100.2;lr>', '<sip:198.51.100.1;lr>'],
    });
    const f = twoProxies().send(B, P2, 'udp', 5, calleeBye).send(B, P1, 'udp', 5.5, calleeBye);
    const model = f.model();
    const d = model.dialogs[0];
    expect(d?.caller.routeSet).toEqual(['sip:198.51.100.1;lr', 'sip:198.51.100.2;lr']);
    expect(d?.callee.routeSet).toEqual(['sip:198.51.100.2;lr', 'sip:198.51.100.1;lr']);
    expect(d?.callee.remoteTarget).toBe('sip:alice@192.0.2.10:5060');
    expect(expectedHop(model, 4)).toMatchObject({ expected: { ip: '198.51.100.2', port: 5060 }, matches: true, check: { matchedBy: 'rule' } });
    // Skipping the first proxy of the callee's route set is a misroute.
    expect(expectedHop(model, 5)).toMatchObject({ expected: { ip: '198.51.100.2', port: 5060 }, matches: false });
  });

  it('strict routing: the next hop is the first route, which becomes the Request-URI', () => {
    const inv = request(inviteSpec());
    const ok = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', recordRoute: ['<sip:198.51.100.1>'] });
    const bye = fromCaller('BYE', 'sip:198.51.100.1', 2, 'z9hG4bK-sb', { route: ['<sip:bob@203.0.113.20>'] });
    const model = flow().send(A, P, 'udp', 0, inv).send(P, A, 'udp', 1, ok).send(A, P, 'udp', 5, bye).model();
    const h = expectedHop(model, 2);
    expect(h).toMatchObject({ expected: { ip: '198.51.100.1', port: 5060 }, matches: true });
    expect(h?.rule).toContain('strict-routing');
    expect(h?.check.expectedRequestUri).toBe('sip:198.51.100.1');
    expect(h?.check.requestUriMatches).toBe(true);
  });

  it('over TCP, a BYE on the connection the INVITE came in on is connection reuse, a new connection is not', () => {
    const inv = request(inviteSpec({ via: 'SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t1', contact: '<sip:alice@192.0.2.10:5060;transport=tcp>' }));
    const calleeBye = request({ method: 'BYE', uri: 'sip:alice@192.0.2.10:5060;transport=tcp', via: 'SIP/2.0/TCP 203.0.113.20:5060;branch=z9hG4bK-tb', from: `${BOB};tag=b1`, to: ALICE, callId: 'call-1@192.0.2.10', cseq: 1 });
    const f = flow()
      .send('192.0.2.10:40100', B, 'tcp', 0, inv)
      .send(B, '192.0.2.10:40100', 'tcp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20;transport=tcp>' }))
      .send(B, '192.0.2.10:40100', 'tcp', 5, calleeBye);
    const reuse = f.model();
    expect(reuse.hops.at(2)).toMatchObject({ kind: 'in-dialog', matches: true, matchedBy: 'connection-reuse', expected: { ip: '192.0.2.10', port: 5060 } });
    // The same BYE on a new connection to an ephemeral port other than the Contact's.
    const g = flow()
      .send('192.0.2.10:40100', B, 'tcp', 0, inv)
      .send(B, '192.0.2.10:40100', 'tcp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20;transport=tcp>' }))
      .send('203.0.113.20:50000', '192.0.2.10:5070', 'tcp', 5, calleeBye);
    expect(g.model().hops.at(2)).toMatchObject({ matches: false, matchedBy: null });
  });

  it('connection reuse is judged by the connections as they were at the request, past the short list', () => {
    // Ten re-INVITEs from the caller, each on a new connection, each refreshing the callee's
    // remote target: the callee's side lists eleven connections (one id lookup, not a scan).
    const inv = request(inviteSpec({ via: 'SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t1', contact: '<sip:alice@192.0.2.10:5060;transport=tcp>' }));
    const reinvite = (cseq: number) => fromCaller('INVITE', 'sip:bob@203.0.113.20;transport=tcp', cseq, `z9hG4bK-re${cseq}`, { via: `SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-re${cseq}`, contact: '<sip:alice@192.0.2.10:5060;transport=tcp>' });
    const fromCallee = (method: string, cseq: number) => request({ method, uri: 'sip:alice@192.0.2.10:5060;transport=tcp', via: `SIP/2.0/TCP 203.0.113.20:5060;branch=z9hG4bK-c${cseq}`, from: `${BOB};tag=b1`, to: ALICE, callId: 'call-1@192.0.2.10', cseq });
    const f = flow().send('192.0.2.10:40100', B, 'tcp', 0, inv).send(B, '192.0.2.10:40100', 'tcp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20;transport=tcp>' }));
    for (let i = 1; i <= 10; i++) f.send(`192.0.2.10:${40100 + i}`, B, 'tcp', 1 + i, reinvite(1 + i));
    f.send(B, '192.0.2.10:40110', 'tcp', 20, fromCallee('INFO', 1)); // 12: on the tenth re-INVITE's connection
    f.send(B, '192.0.2.10:40200', 'tcp', 21, fromCallee('INFO', 2)); // 13: a new connection, toward an ephemeral port
    f.send('192.0.2.10:40200', B, 'tcp', 22, reinvite(20)); // 14: the caller then uses that connection for a re-INVITE
    f.send(B, '192.0.2.10:40200', 'tcp', 23, fromCallee('BYE', 3)); // 15: and the callee's BYE on it is reuse
    const model = f.model();
    expect(model.hops.at(12)).toMatchObject({ matches: true, matchedBy: 'connection-reuse' });
    expect(model.hops.at(13)).toMatchObject({ matches: false, matchedBy: null });
    expect(model.hops.at(15)).toMatchObject({ matches: true, matchedBy: 'connection-reuse' });
  });

  it('a request sent to another interface of the same proxy counts as reaching it', () => {
    const inv = request(inviteSpec());
    const fwd = request(inviteSpec({ uri: 'sip:bob@10.0.0.20', via: ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1;rport=5060'], recordRoute: ['<sip:10.0.0.1;lr>'] }));
    const okA = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@10.0.0.20>', recordRoute: ['<sip:10.0.0.1;lr>'] });
    const model = flow()
      .send(A, P, 'udp', 0, inv)
      .send('10.0.0.1:5060', '10.0.0.20:5060', 'udp', 0.01, fwd)
      .send(P, A, 'udp', 1, okA)
      .send(A, P, 'udp', 5, fromCaller('BYE', 'sip:bob@10.0.0.20', 2, 'z9hG4bK-b', { route: ['<sip:10.0.0.1;lr>'] }))
      .model();
    expect(model.hops.at(3)).toMatchObject({ expected: { ip: '10.0.0.1', port: 5060 }, actual: { ip: '198.51.100.1', port: 5060 }, matches: true, matchedBy: 'same-node' });
  });
});

describe('hosts', () => {
  it('one column per IP; a proxy receiving on one interface and forwarding from another is proposed as one node', () => {
    const inv = request(inviteSpec());
    const fwd = request(inviteSpec({ uri: 'sip:bob@10.0.0.20', via: ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1;rport=5060'] }));
    const model = flow().send(A, P, 'udp', 0, inv).send('10.0.0.1:5060', '10.0.0.20:5060', 'udp', 0.01, fwd).send(P, A, 'udp', 0.02, reply(inv, 100, 'Trying')).model();
    expect(model.hosts.hosts.map((h) => [h.ip, h.ports, h.addressClass])).toEqual([
      ['192.0.2.10', [5060], 'documentation'],
      ['198.51.100.1', [5060], 'documentation'],
      ['10.0.0.1', [5060], 'private'],
      ['10.0.0.20', [5060], 'private'],
    ]);
    expect(model.hosts.proposals).toHaveLength(1);
    expect(model.hosts.proposals[0]).toMatchObject({ ips: ['198.51.100.1', '10.0.0.1'], kind: 'multihomed-proxy', evidence: [1] });
    expect(model.hosts.proposals[0]?.reasons[0]).toContain('forwarded it from 10.0.0.1');
  });

  it('double Record-Route names two interfaces of one proxy; two proxies in a row do not', () => {
    const dbl = request(inviteSpec({ uri: 'sip:bob@10.0.0.20', via: ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1'], recordRoute: ['<sip:10.0.0.1;lr>', '<sip:198.51.100.1;lr>'] }));
    const one = flow().send(A, P, 'udp', 0, request(inviteSpec())).send('10.0.0.1:5060', '10.0.0.20:5060', 'udp', 0.01, dbl).model();
    expect(one.hosts.proposals.map((p) => [p.ips, p.kind])).toEqual([[['198.51.100.1', '10.0.0.1'], 'multihomed-proxy']]);
    expect(one.hosts.proposals[0]?.reasons.some((r) => r.includes('double Record-Route'))).toBe(true);
    const chain = request(inviteSpec({ uri: 'sip:bob@10.0.0.20', via: ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-p2', 'SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1'], recordRoute: ['<sip:10.0.0.1;lr>', '<sip:198.51.100.9;lr>'] }));
    const two = flow().send('198.51.100.9:5060', '10.0.0.1:5060', 'udp', 0, request(inviteSpec())).send('10.0.0.1:5060', '10.0.0.20:5060', 'udp', 0.01, chain).model();
    expect(two.hosts.proposals).toEqual([]);
  });

  it('a NATed UA captured on both sides of the NAT is proposed as one node; a private Via alone is kept as advertised', () => {
    const r = request({ method: 'REGISTER', uri: 'sip:example.com', via: 'SIP/2.0/UDP 192.168.1.15:5060;branch=z9hG4bK-r1;rport', from: '<sip:alice@example.com>;tag=r1', to: '<sip:alice@example.com>', callId: 'reg-1', cseq: 1, contact: '<sip:alice@192.168.1.15:5060>' });
    const both = flow().send('192.168.1.15:5060', '192.168.1.1:5060', 'udp', 0, r).send('203.0.113.50:40000', P, 'udp', 0.001, r).model();
    const nat = both.hosts.proposals.find((p) => p.kind === 'nat');
    expect(nat?.ips).toEqual(['192.168.1.15', '203.0.113.50']);
    // Both addresses private: more likely one host with two addresses.
    const lan = flow().send('192.168.1.15:5060', '192.168.1.1:5060', 'udp', 0, r).send('192.168.2.9:5060', '192.168.1.1:5060', 'udp', 1, r).model();
    expect(lan.hosts.proposals.map((p) => [p.ips, p.kind])).toEqual([[['192.168.1.15', '192.168.2.9'], 'multihomed-host']]);
    const one = flow().send('203.0.113.50:40000', P, 'udp', 0, r).model();
    expect(one.hosts.proposals).toEqual([]);
    expect(one.hosts.hosts[0]?.advertised).toEqual([
      { address: '192.168.1.15', where: 'via', firstIndex: 0 },
      { address: '192.168.1.15', where: 'contact', firstIndex: 0 },
    ]);
  });
});

describe('media', () => {
  it('ties RTP to the call by SDP, and the NATed peer reverse stream by what flowed; RTCP follows', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20', body: sdp('192.168.1.15', 4000) }));
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20000) }))
      // Caller behind NAT: media from its public address toward the callee's SDP address…
      .rtp('203.0.113.50:61000', '203.0.113.20:20000', { ssrc: 1, from: 1.1, to: 10 })
      // …and the callee latched back to that public address (not in any SDP).
      .rtp('203.0.113.20:20000', '203.0.113.50:61000', { ssrc: 2, from: 1.2, to: 10 })
      .rtp('203.0.113.50:61001', '203.0.113.20:20001', { ssrc: 1, kind: 'rtcp', from: 5, to: 10, packets: 2 })
      .rtp('203.0.113.20:20001', '203.0.113.50:61001', { ssrc: 2, kind: 'rtcp', from: 5, to: 10, packets: 2 })
      // A stray stream between strangers.
      .rtp('198.51.100.77:7000', '198.51.100.78:7002', { ssrc: 3, from: 2, to: 3 });
    const model = f.model();
    expect(model.media.streamCallIds).toEqual(['call-1@192.0.2.10', 'call-1@192.0.2.10', 'call-1@192.0.2.10', 'call-1@192.0.2.10', null]);
    expect(model.media.links.map((l) => [l.stream, l.basis])).toEqual([
      [0, 'sdp-destination'],
      [1, 'sdp-source'],
      [2, 'sdp-destination'],
      [3, 'sdp-source'],
    ]);
    expect(model.media.sdp.map((s) => [s.kind, s.address, s.port, s.privateAddress])).toEqual([
      ['offer', '192.168.1.15', 4000, true],
      ['answer', '203.0.113.20', 20000, false],
    ]);
    expect(model.calls[0]?.mediaStreams).toEqual([0, 1, 2, 3]);
  });

  it('tells offers from answers per transaction (CSeq), also when an UPDATE interleaves with the INVITE and a re-INVITE follows', () => {
    const inv = request(inviteSpec({ body: sdp('192.0.2.10', 4000) }));
    const upd = request({ method: 'UPDATE', uri: 'sip:bob@203.0.113.20', via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-upd', from: ALICE, to: `${BOB};tag=b1`, callId: 'call-1@192.0.2.10', cseq: 2, body: sdp('192.0.2.10', 4002) });
    const reinv = request(inviteSpec({ via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-re', to: `${BOB};tag=b1`, cseq: 3, body: sdp('192.0.2.10', 4004) }));
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 0.1, reply(inv, 183, 'Session Progress', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20000) }))
      .send(A, B, 'udp', 0.2, upd)
      .send(B, A, 'udp', 0.3, reply(upd, 200, 'OK', { contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20002) }))
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20000) }))
      .send(A, B, 'udp', 5, reinv)
      .send(B, A, 'udp', 5.1, reply(reinv, 200, 'OK', { contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20004) }));
    expect(f.model().media.sdp.map((s) => [s.kind, s.port, s.inRequest])).toEqual([
      ['offer', 4000, true],
      ['answer', 20000, false],
      ['offer', 4002, true],
      ['answer', 20002, false],
      ['answer', 20000, false],
      ['offer', 4004, true],
      ['answer', 20004, false],
    ]);
  });

  it('tells offers from answers through a long call\'s re-INVITEs (past the few it compares one by one)', () => {
    const f = flow();
    for (let n = 1; n <= 12; n++) {
      const re = request(inviteSpec({ via: `SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-re${n}`, to: n === 1 ? BOB : `${BOB};tag=b1`, cseq: n, body: sdp('192.0.2.10', 4000 + 2 * n) }));
      f.send(A, B, 'udp', n, re).send(B, A, 'udp', n + 0.1, reply(re, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20000 + 2 * n) }));
    }
    // The 7th 2xx again (a retransmission): an answer still, its CSeq offered long before.
    const seventh = request(inviteSpec({ via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-re7', to: `${BOB};tag=b1`, cseq: 7, body: sdp('192.0.2.10', 4014) }));
    f.send(B, A, 'udp', 13, reply(seventh, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20014) }));
    const kinds = f.model().media.sdp.map((s) => s.kind);
    expect(kinds).toEqual([...Array.from({ length: 12 }, () => ['offer', 'answer']).flat(), 'answer']);
  });

  it('one-way media toward the NATed side is still tied by the reverse rule', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20', body: sdp('192.168.1.15', 4000) }));
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('10.9.9.9', 20000) }))
      .rtp('203.0.113.50:61000', '203.0.113.20:30000', { ssrc: 1, from: 1.1, to: 10 })
      .rtp('203.0.113.20:30000', '203.0.113.50:61000', { ssrc: 2, from: 1.2, to: 10 });
    // Neither side matches any SDP (both NAT-rewritten): nothing ties them.
    expect(f.model().media.streamCallIds).toEqual([null, null]);
    const g = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>', body: sdp('203.0.113.20', 20000) }))
      .rtp('203.0.113.20:20000', '203.0.113.50:61000', { ssrc: 2, from: 1.2, to: 10 });
    expect(g.model().media.links.map((l) => l.basis)).toEqual(['sdp-source']);
  });
});

describe('more dialog and call endings', () => {
  it('a BYE never answered for 32 s ends the dialog as bye-timeout; the call is completed with no BYE status', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const bye = fromCaller('BYE', 'sip:bob@203.0.113.20', 2, 'z9hG4bK-bt');
    const f = flow().send(A, B, 'udp', 0, inv).send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' })).send(A, B, 'udp', 1.1, fromCaller('ACK', 'sip:bob@203.0.113.20', 1, 'z9hG4bK-a'));
    for (const t of [10, 10.5, 11.5, 13.5, 17.5, 21.5, 25.5, 29.5, 33.5, 37.5, 41.5]) f.send(A, B, 'udp', t, bye);
    const model = f.model(45);
    expect(model.dialogs[0]).toMatchObject({ state: 'terminated', terminationReason: 'bye-timeout', terminatedBy: 'caller', byeStatus: null });
    expect(model.calls[0]).toMatchObject({ state: 'completed', endedBy: 'caller', byeStatus: null, durationMs: 8900 });
    const ch = model.chains[0];
    expect(ch).toMatchObject({ method: 'BYE', timer: 'Timer E (non-INVITE request)', backoff: true, count: 10, reachedTimeout: true });
    // Before 32 s have passed, the dialog is still confirmed (the BYE may yet be answered).
    expect(flow().send(A, B, 'udp', 0, inv).send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1' })).send(A, B, 'udp', 10, bye).model(20).dialogs[0]?.state).toBe('confirmed');
  });

  it('SUBSCRIBE/NOTIFY: a subscription dialog, ended by NOTIFY Subscription-State: terminated', () => {
    const sub = request({ method: 'SUBSCRIBE', uri: 'sip:bob@203.0.113.20', via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-s1', from: ALICE, to: BOB, callId: 'sub-1', cseq: 1, contact: '<sip:alice@192.0.2.10>', headers: ['Event: presence', 'Expires: 600'] });
    const notify = (n: number, state: string): string =>
      request({ method: 'NOTIFY', uri: 'sip:alice@192.0.2.10', via: `SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-n${n}`, from: `${BOB};tag=n1`, to: ALICE, callId: 'sub-1', cseq: n, contact: '<sip:bob@203.0.113.20>', headers: ['Event: presence', `Subscription-State: ${state}`] });
    const n1 = notify(1, 'active;expires=600');
    const n2 = notify(2, 'terminated;reason=timeout');
    const model = flow()
      .send(A, B, 'udp', 0, sub)
      .send(B, A, 'udp', 0.1, reply(sub, 200, 'OK', { toTag: 'n1', contact: '<sip:bob@203.0.113.20>' }))
      .send(B, A, 'udp', 0.2, n1)
      .send(A, B, 'udp', 0.3, reply(n1, 200, 'OK'))
      .send(B, A, 'udp', 5, n2)
      .send(A, B, 'udp', 5.1, reply(n2, 200, 'OK'))
      .model();
    expect(model.dialogs).toHaveLength(1);
    expect(model.dialogs[0]).toMatchObject({ method: 'SUBSCRIBE', callerTag: 'a1', calleeTag: 'n1', state: 'terminated', terminationReason: 'subscription-terminated' });
    expect(model.calls[0]).toMatchObject({ kind: 'subscription', state: 'terminated' });
    // The NOTIFY goes to the subscriber's Contact: matches.
    expect(model.hops.at(2)).toMatchObject({ kind: 'in-dialog', matches: true });
  });

  it('legs joined by RFC 7989 Session-ID', () => {
    const sid = 'ab30317f1a784dc48ff824d0d3715d86';
    const mk = (callId: string, src: string, extra: string[]): string =>
      request({ method: 'INVITE', uri: 'sip:bob@example.net', via: `SIP/2.0/UDP ${src};branch=z9hG4bK-${callId}`, from: `<sip:alice@example.net>;tag=${callId}`, to: '<sip:bob@example.net>', callId, cseq: 1, headers: extra });
    const model = flow()
      .send(A, P, 'udp', 0, mk('in-7', A, [`Session-ID: ${sid};remote=00000000000000000000000000000000`]))
      // 10 s later (too late for the guess): joined only by the Session-ID.
      .send('198.51.100.2:5060', B, 'udp', 10, mk('out-7', '198.51.100.2:5060', [`Session-ID: ${sid};remote=00000000000000000000000000000000`]))
      .send(A, P, 'udp', 30, mk('other', A, ['Session-ID: 00000000000000000000000000000000']))
      .model();
    expect(model.calls.map((c) => [c.callId, c.legs, c.joinedBy])).toEqual([
      ['in-7', ['in-7', 'out-7'], 'Session-ID'],
      ['out-7', ['in-7', 'out-7'], 'Session-ID'],
      ['other', ['other'], null],
    ]);
  });
});

describe('media: a=rtcp and port reuse across calls', () => {
  it('RTCP on the a=rtcp port, and a port reused by a later call goes to the later call', () => {
    const call = (id: string, port: number): string => request(inviteSpec({ callId: id, uri: 'sip:bob@203.0.113.20', body: sdp('192.0.2.10', port, ['a=rtcp:4999']) }));
    const i1 = call('m1', 4000);
    const i2 = call('m2', 4000);
    const f = flow()
      .send(A, B, 'udp', 0, i1)
      .rtp('203.0.113.20:30000', '192.0.2.10:4000', { ssrc: 1, from: 1, to: 5 })
      .rtp('203.0.113.20:30001', '192.0.2.10:4999', { ssrc: 1, kind: 'rtcp', from: 2, to: 5, packets: 2 })
      .send(A, B, 'udp', 20, i2)
      .rtp('203.0.113.20:30002', '192.0.2.10:4000', { ssrc: 7, from: 21, to: 25 });
    const model = f.model();
    expect(model.media.streamCallIds).toEqual(['m1', 'm1', 'm2']);
    expect(model.media.sdp[0]).toMatchObject({ port: 4000, rtcpPort: 4999 });
  });
});

describe('calls', () => {
  it('auth challenge then success: the last attempt decides, PDD from the first INVITE', () => {
    const inv1 = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const inv2 = request(inviteSpec({ uri: 'sip:bob@203.0.113.20', cseq: 2, via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv2;rport', headers: ['Proxy-Authorization: Digest username="alice"'] }));
    const f = flow()
      .send(A, B, 'udp', 0, inv1)
      .send(B, A, 'udp', 0.1, reply(inv1, 407, 'Proxy Authentication Required', { toTag: 'x1' }))
      .send(A, B, 'udp', 0.15, request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20' }), method: 'ACK', to: `${BOB};tag=x1`, cseq: '1 ACK', contact: undefined }))
      .send(A, B, 'udp', 0.2, inv2)
      .send(B, A, 'udp', 1.2, reply(inv2, 180, 'Ringing', { toTag: 'b1' }))
      .send(B, A, 'udp', 2.2, reply(inv2, 603, 'Decline', { toTag: 'b1' }));
    const model = f.model();
    expect(model.calls[0]).toMatchObject({ state: 'rejected', finalStatus: 603, attempts: [1, 2], pddMs: 1200 });
    expect(model.dialogs[0]).toMatchObject({ calleeTag: 'b1', state: 'terminated', terminationReason: 'rejected' });
  });

  it('an attempt seen on two hops is one attempt; the hop nearest the caller decides', () => {
    const viaP = 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-p';
    const inv1 = request(inviteSpec());
    const inv2 = request(inviteSpec({ cseq: 2, via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv2;rport' }));
    const inv2b = request(inviteSpec({ cseq: 2, via: `${viaP}2, SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv2;rport` }));
    const f = flow()
      .send(A, P, 'udp', 0, inv1)
      .send(P, A, 'udp', 0.1, reply(inv1, 407, 'Proxy Authentication Required', { toTag: 'x1' }))
      .send(A, P, 'udp', 0.2, inv2)
      .send(P, B, 'udp', 0.25, inv2b)
      .send(B, P, 'udp', 1.0, reply(inv2b, 486, 'Busy Here', { toTag: 'b1' }))
      .send(P, A, 'udp', 1.05, reply(inv2, 480, 'Temporarily Unavailable', { toTag: 'b1' }));
    const model = f.model();
    expect(model.calls[0]?.transactions.length).toBe(3);
    expect(model.calls[0]).toMatchObject({ attempts: [1, 2], inviteIndex: 0, state: 'rejected', finalStatus: 480, finalIndex: 5 });
  });

  it("the callee learns every source of the INVITE's copies once each, past a few of them: the one that reached the UAS first, then the others in order", () => {
    // The same INVITE captured from twelve sources (NAT rewrites between capture points), the
    // third and the fifth twice; then the answer. Past eight sources and copies, the builder
    // keeps them in sets: the result must not change.
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const sources = Array.from({ length: 12 }, (_, k) => `198.51.100.${k + 10}:${5060 + k}`);
    const order = [0, 1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 11];
    let f = flow();
    order.forEach((k, n) => (f = f.send(sources[k]!, B, 'udp', n * 0.01, inv)));
    f = f.send(B, sources[11]!, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' }));
    const d = f.model().dialogs[0]!;
    expect(d.callee.remoteTargetSources.map((e) => `${e.ip}:${e.port}`)).toEqual([sources[11], ...sources.slice(0, 11)]);
    expect(d.callee.remoteTarget).toBe('sip:alice@192.0.2.10:5060');
  });

  it('a forked INVITE with twelve early dialogs: the 2xx and the ACK find the dialog of their tags (past the few scanned, by tag pair)', () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    let f = flow().send(A, B, 'udp', 0, inv);
    for (let k = 0; k < 12; k++) f = f.send(B, A, 'udp', 0.1 + k * 0.01, reply(inv, 180, 'Ringing', { toTag: `fork${k}`, contact: `<sip:bob${k}@203.0.113.20>` }));
    f = f
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'fork5', contact: '<sip:bob5@203.0.113.20>' }))
      .send(A, B, 'udp', 1.05, request({ ...inviteSpec({ uri: 'sip:bob5@203.0.113.20' }), method: 'ACK', to: `${BOB};tag=fork5`, cseq: '1 ACK', via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-ack5', contact: undefined }));
    const model = f.model();
    expect(model.dialogs).toHaveLength(12);
    const five = model.dialogs.find((d) => d.calleeTag === 'fork5')!;
    expect(five).toMatchObject({ state: 'confirmed', confirmedIndex: 13 });
    expect(five.messages).toContain(14);
    expect(five.requests).toEqual([14]);
    expect(model.dialogs.filter((d) => d.state === 'terminated' && d.terminationReason === 'other-branch-answered')).toHaveLength(11);
  });

  it("the transaction table's field readers say what at() says, for every transaction", () => {
    const inv = request(inviteSpec({ uri: 'sip:bob@203.0.113.20' }));
    const cancel = request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20' }), method: 'CANCEL', cseq: 1, contact: undefined });
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(A, B, 'udp', 0.5, inv)
      .send(B, A, 'udp', 0.6, reply(inv, 180, 'Ringing', { toTag: 'b1' }))
      .send(A, B, 'udp', 2, cancel)
      .send(B, A, 'udp', 2.01, reply(cancel, 200, 'OK', { toTag: 'b1' }))
      .send(B, A, 'udp', 2.02, reply(inv, 487, 'Request Terminated', { toTag: 'b1' }))
      .send(A, B, 'udp', 2.03, request({ ...inviteSpec({ uri: 'sip:bob@203.0.113.20' }), method: 'ACK', to: `${BOB};tag=b1`, cseq: '1 ACK', contact: undefined }));
    const t = f.model().transactions;
    expect(t.length).toBe(2);
    for (let id = 0; id < t.length; id++) {
      const tx = t.at(id)!;
      const list = (l: TxList) => Array.from({ length: t.countOf(id, l) }, (_, k) => t.memberOf(id, l, k));
      expect({
        method: t.methodOf(id),
        callId: t.callIdOf(id),
        cseq: t.cseqOf(id),
        inDialog: t.inDialogOf(id),
        cancelledBy: t.cancelledByOf(id),
        finalIndex: t.finalIndexOf(id),
        finalStatus: t.finalStatusOf(id),
        firstTimeUs: t.firstTimeOf(id),
        lastTimeUs: t.lastTimeOf(id),
        requests: list(REQUESTS),
        responses: list(RESPONSES),
        acks: list(ACKS),
      }).toEqual({ method: tx.method, callId: tx.callId, cseq: tx.cseq, inDialog: tx.inDialog, cancelledBy: tx.cancelledBy, finalIndex: tx.finalIndex, finalStatus: tx.finalStatus, firstTimeUs: tx.firstTimeUs, lastTimeUs: tx.lastTimeUs, requests: tx.requests, responses: tx.responses, acks: tx.acks });
    }
    // The INVITE: two copies, a 180 and the 487, the ACK of the 487, cancelled by transaction 1.
    expect(t.countOf(0, REQUESTS)).toBe(2);
    expect(t.memberOf(0, RESPONSES, 1)).toBe(5);
    expect(t.memberOf(0, ACKS, 0)).toBe(6);
    expect(t.cancelledByOf(0)).toBe(1);
    expect(t.callIdOf(99)).toBeNull();
  });

  it('OPTIONS and a de-registration get their own kinds and states', () => {
    const opt = request({ method: 'OPTIONS', uri: 'sip:203.0.113.20', via: 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-o1', from: '<sip:ping@198.51.100.1>;tag=o1', to: '<sip:203.0.113.20>', callId: 'opt-1', cseq: 1 });
    const unreg = request({ method: 'REGISTER', uri: 'sip:example.com', via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-u1', from: '<sip:alice@example.com>;tag=u1', to: '<sip:alice@example.com>', callId: 'reg-9', cseq: 5, contact: '<sip:alice@192.0.2.10>;expires=0' });
    const model = flow().send(P, B, 'udp', 0, opt).send(B, P, 'udp', 0.01, reply(opt, 200, 'OK', { toTag: 'z' })).send(A, P, 'udp', 1, unreg).send(P, A, 'udp', 1.01, reply(unreg, 200, 'OK', { toTag: 'q' })).model();
    expect(model.calls.map((c) => [c.callId, c.kind, c.state])).toEqual([
      ['opt-1', 'options', 'ok'],
      ['reg-9', 'registration', 'unregistered'],
    ]);
  });

  it('an unparseable message is kept without transaction or call', () => {
    const f = flow().send(A, B, 'udp', 0, 'garbage that is not SIP\r\n\r\n', { raw: true });
    const model = f.model();
    expect(f.messages()[0]?.sip).toBeNull();
    expect(model.annotations.at(0)).toMatchObject({ transaction: null, dialog: null, call: null });
    expect(model.hops.at(0)).toBeNull();
    expect(model.calls).toEqual([]);
  });

  it('the model is plain JSON; its annotation columns and its routing checks, made when asked, serialise as one per message', () => {
    const inv = request(inviteSpec());
    const model = flow().send(A, P, 'udp', 0, inv).send(P, A, 'udp', 0.1, reply(inv, 180, 'Ringing', { toTag: 'b1' })).model();
    const { hops, annotations, transactions, ...plain } = model;
    expect(JSON.parse(JSON.stringify(plain))).toEqual(plain);
    const json = JSON.parse(JSON.stringify(model)) as { hops: unknown[]; annotations: unknown[]; transactions: unknown[] };
    expect(json.transactions).toEqual(transactions.toArray());
    expect(json.transactions[0]).toMatchObject({ method: 'INVITE', requests: [0], responses: [1] });
    expect(json.annotations).toEqual(annotations.toArray());
    expect(json.annotations[1]).toMatchObject({ transaction: 0, call: 0, retransmission: false });
    expect(json.hops).toHaveLength(2);
    expect(json.hops).toEqual([JSON.parse(JSON.stringify(hops.at(0))), JSON.parse(JSON.stringify(hops.at(1)))]);
    expect(json.hops[1]).toMatchObject({ kind: 'response', request: 0 });
  });
});
