/**
 * Signalling detectors on hand-built flows (real parser, real SIP model, sip/testing/flows.ts):
 * via-private-address, contact-missing-port, in-dialog-request-misrouted, excessive-nat-fixup,
 * invite-timeout, bye-not-delivered, dialog-not-terminated, malformed-sip, nat-binding-expired,
 * sip-alg-suspected, and ack-missing / contact-private-address variants not in nat.test.ts.
 * Every failing flow has a healthy twin that must raise no error or warning.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../report/report.ts';
import { flow, reply, request, sdp } from '../../sip/testing/flows.ts';
import type { FlowBuilder } from '../../sip/testing/flows.ts';
import { runFlow } from '../lib/testing.ts';
import { detectAckMissing } from './ack-missing.ts';
import { detectByeNotDelivered } from './bye-not-delivered.ts';
import { detectContactMissingPort } from './contact-missing-port.ts';
import { detectContactPrivateAddress } from './contact-private-address.ts';
import { detectDialogNotTerminated } from './dialog-not-terminated.ts';
import { detectExcessiveNatFixup } from './excessive-nat-fixup.ts';
import { detectInDialogRequestMisrouted } from './in-dialog-request-misrouted.ts';
import { detectInviteTimeout } from './invite-timeout.ts';
import { detectMalformedSip } from './malformed-sip.ts';
import { detectNatBindingExpired } from './nat-binding-expired.ts';
import { detectSipAlgSuspected } from './sip-alg-suspected.ts';
import { detectViaPrivateAddress } from './via-private-address.ts';

const alarms = (f: Finding[]) => f.filter((x) => x.severity !== 'info');

const CALLER = '198.51.100.7:5060';
const CALLEE = '203.0.113.20:5070';
const PROXY = '203.0.113.10:5060';
const NAT = '203.0.113.1:40112';
const ALICE = '<sip:alice@example.com>;tag=a1';
const BOB = '<sip:bob@example.com>';

// ---------------------------------------------------------------------------------------------
// A direct call caller → callee (no proxy): INVITE, 200 OK, ACK. Frames 1–3.

function directCall(calleeContact: string, callId = 'd1@198.51.100.7'): { f: FlowBuilder; bye: (uri: string) => string } {
  const inv = request({ method: 'INVITE', uri: 'sip:bob@203.0.113.20:5070', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1;rport', from: ALICE, to: BOB, callId, cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
  const f = flow()
    .send(CALLER, CALLEE, 'udp', 0, inv)
    .send(CALLEE, CALLER, 'udp', 0.5, reply(inv, 200, 'OK', { toTag: 'b1', contact: calleeContact }))
    .send(CALLER, CALLEE, 'udp', 0.51, request({ method: 'ACK', uri: calleeContact.slice(1, -1), via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa1;rport', from: ALICE, to: `${BOB};tag=b1`, callId, cseq: '1 ACK' }));
  const bye = (uri: string) =>
    request({ method: 'BYE', uri, via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKb1;rport', from: ALICE, to: `${BOB};tag=b1`, callId, cseq: 2 });
  return { f, bye };
}

describe('in-dialog-request-misrouted', () => {
  it('is an error when the BYE goes to the default port instead of the Contact\'s port and is never answered', () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20:5070>');
    const b = bye('sip:bob@203.0.113.20:5070');
    for (const t of [10, 10.5, 11.5, 13.5]) f.send(CALLER, '203.0.113.20:5060', 'udp', t, b); // frames 4–7
    const out = runFlow(f, detectInDialogRequestMisrouted, 20);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'd1@198.51.100.7' });
    expect(out[0]!.frames).toEqual(expect.arrayContaining([4, 5, 6, 7]));
    expect(out[0]!.expected).toMatchObject({ messageFrame: 4, from: CALLER, to: '203.0.113.20:5070' });
    expect(out[0]!.explanation).toContain('198.51.100.7:5060 → 203.0.113.20:5060');
    expect(out[0]!.explanation).toContain('203.0.113.20:5070');
  });

  it('stays silent when the BYE goes to the Contact and is answered', () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20:5070>');
    const b = bye('sip:bob@203.0.113.20:5070');
    f.send(CALLER, CALLEE, 'udp', 10, b).send(CALLEE, CALLER, 'udp', 10.01, reply(b, 200, 'OK'));
    expect(runFlow(f, detectInDialogRequestMisrouted, 20)).toEqual([]);
  });
});

describe('in-dialog-request-misrouted after a refused INVITE', () => {
  // INVITE refused 403 (with a To tag, ACKed), then the caller sends a BYE with that tag anyway, to
  // another port: no dialog ever existed (RFC 3261 §12.1), so there is no remote target to miss.
  const refused = (status: number) => {
    const callId = 'r1@198.51.100.7';
    const inv = request({ method: 'INVITE', uri: 'sip:bob@203.0.113.20:5070', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1;rport', from: ALICE, to: BOB, callId, cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const f = flow()
      .send(CALLER, CALLEE, 'udp', 0, inv)
      .send(CALLEE, CALLER, 'udp', 0.5, reply(inv, status, status === 403 ? 'Forbidden' : 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20:5070>' }))
      .send(CALLER, CALLEE, 'udp', 0.51, request({ method: 'ACK', uri: status === 403 ? 'sip:bob@203.0.113.20:5070' : 'sip:bob@203.0.113.20:5070', via: `SIP/2.0/UDP 198.51.100.7:5060;branch=${status === 403 ? 'z9hG4bKi1' : 'z9hG4bKa1'};rport`, from: ALICE, to: `${BOB};tag=b1`, callId, cseq: '1 ACK' }));
    const bye = request({ method: 'BYE', uri: 'sip:bob@203.0.113.20:5070', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKb1;rport', from: ALICE, to: `${BOB};tag=b1`, callId, cseq: 2 });
    for (const t of [1, 1.5, 2.5]) f.send(CALLER, '203.0.113.20:5060', 'udp', t, bye); // frames 4–6
    return f;
  };

  it('says nothing about a BYE sent after a 403 (no dialog existed)', () => {
    expect(runFlow(refused(403), detectInDialogRequestMisrouted, 10)).toEqual([]);
  });

  it('still reports the same BYE after a 200 OK (the dialog existed)', () => {
    const out = runFlow(refused(200), detectInDialogRequestMisrouted, 10);
    expect(out).toHaveLength(1);
    expect(out[0]!.frames).toEqual(expect.arrayContaining([4, 5, 6]));
  });
});

describe('contact-private-address on an INVITE from a carrier SBC', () => {
  // The SBC (public 192.0.2.50) originates the INVITE (one Via) with its inside address in Contact.
  const sbcInvite = (recordRoute: boolean) => {
    const inv = request({ method: 'INVITE', uri: 'sip:bob@203.0.113.20:5070', via: 'SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKs1;rport', from: ALICE, to: BOB, callId: 's1@192.0.2.50', cseq: 1, contact: '<sip:carrier@10.20.0.5:5060>' });
    const withRr = recordRoute ? inv.replace('\r\nContact:', '\r\nRecord-Route: <sip:192.0.2.50;lr>\r\nContact:') : inv;
    return flow().send('192.0.2.50:5060', CALLEE, 'udp', 0, withRr);
  };

  it('is info when the SBC Record-Routes (in-dialog requests go to it, it reaches its own inside)', () => {
    const out = runFlow(sbcInvite(true), detectContactPrivateAddress, 5);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'info', frames: [1] });
    expect(out[0]!.explanation).toContain('go through 192.0.2.50 first');
  });

  it('stays a warning without a Record-Route', () => {
    expect(runFlow(sbcInvite(false), detectContactPrivateAddress, 5).map((f) => f.severity)).toEqual(['warning']);
  });
});

describe('contact-missing-port', () => {
  it('is an error when a Contact without port from port 5070 makes the BYE go to 5060, unanswered', () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20>');
    const b = bye('sip:bob@203.0.113.20');
    for (const t of [10, 10.5, 11.5]) f.send(CALLER, '203.0.113.20:5060', 'udp', t, b); // frames 4–6
    const out = runFlow(f, detectContactMissingPort, 20);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'd1@198.51.100.7' });
    expect(out[0]!.frames).toEqual(expect.arrayContaining([2, 4]));
    expect(out[0]!.explanation).toContain('<sip:bob@203.0.113.20>');
    expect(out[0]!.explanation).toContain('default port 5060');
    expect(out[0]!.explanation).toContain('port 5070');
  });

  it('stays silent when the Contact carries the port', () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20:5070>');
    const b = bye('sip:bob@203.0.113.20:5070');
    f.send(CALLER, CALLEE, 'udp', 10, b).send(CALLEE, CALLER, 'udp', 10.01, reply(b, 200, 'OK'));
    expect(runFlow(f, detectContactMissingPort, 20)).toEqual([]);
  });
});

describe('bye-not-delivered and dialog-not-terminated', () => {
  const unanswered = () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20:5070>');
    const b = bye('sip:bob@203.0.113.20:5070');
    // Timer E schedule: 0.5, 1, 2, 4, 4 … up to 32 s (frames 4–14)
    for (const t of [10, 10.5, 11.5, 13.5, 17.5, 21.5, 25.5, 29.5, 33.5, 37.5, 41.5]) f.send(CALLER, CALLEE, 'udp', t, b);
    return f;
  };

  it('bye-not-delivered: a BYE retransmitted for 32 s with no answer is an error', () => {
    const out = runFlow(unanswered(), detectByeNotDelivered, 45);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'd1@198.51.100.7' });
    expect(out[0]!.frames).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(out[0]!.explanation).toContain('198.51.100.7:5060 sent the BYE to 203.0.113.20:5070 (frame 4)');
    expect(out[0]!.explanation).toContain('retransmitted it 10 times');
  });

  it('bye-not-delivered: a 408 from the proxy is a timeout, not a delivery', () => {
    const inv = request({ method: 'INVITE', uri: 'sip:bob@example.com', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1;rport', from: ALICE, to: BOB, callId: 'p1', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const ok = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.1:40112>', recordRoute: ['<sip:203.0.113.10;lr>'] });
    const bye = request({ method: 'BYE', uri: 'sip:bob@203.0.113.1:40112', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKb1;rport', route: ['<sip:203.0.113.10;lr>'], from: ALICE, to: `${BOB};tag=b1`, callId: 'p1', cseq: 2 });
    const f = flow()
      .send(CALLER, PROXY, 'udp', 0, inv)
      .send(PROXY, CALLER, 'udp', 0.5, ok)
      .send(CALLER, PROXY, 'udp', 0.51, request({ method: 'ACK', uri: 'sip:bob@203.0.113.1:40112', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa1;rport', route: ['<sip:203.0.113.10;lr>'], from: ALICE, to: `${BOB};tag=b1`, callId: 'p1', cseq: '1 ACK' }))
      .send(CALLER, PROXY, 'udp', 10, bye) // frame 4
      .send(PROXY, CALLER, 'udp', 42, reply(bye, 408, 'Request Timeout')); // frame 5
    const out = runFlow(f, detectByeNotDelivered, 43);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'p1' });
    expect(out[0]!.frames).toEqual([4, 5]);
    expect(out[0]!.title).toContain('408');
    expect(out[0]!.explanation).toContain('408 Request Timeout');
    const open = runFlow(f, detectDialogNotTerminated, 43);
    expect(open.map((x) => x.severity)).toEqual(['error']);
  });

  // The same call through the proxy, its BYE answered at once with a failure, or challenged.
  const byeAnswered = (status: number, reason: string, retry = false) => {
    const inv = request({ method: 'INVITE', uri: 'sip:bob@example.com', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1;rport', from: ALICE, to: BOB, callId: 'p2', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const ok = reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.1:40112>', recordRoute: ['<sip:203.0.113.10;lr>'] });
    const bye = (cseq: number, branch: string) => request({ method: 'BYE', uri: 'sip:bob@203.0.113.1:40112', via: `SIP/2.0/UDP 198.51.100.7:5060;branch=${branch};rport`, route: ['<sip:203.0.113.10;lr>'], from: ALICE, to: `${BOB};tag=b1`, callId: 'p2', cseq });
    const b1 = bye(2, 'z9hG4bKb1');
    const f = flow()
      .send(CALLER, PROXY, 'udp', 0, inv)
      .send(PROXY, CALLER, 'udp', 0.5, ok)
      .send(CALLER, PROXY, 'udp', 0.51, request({ method: 'ACK', uri: 'sip:bob@203.0.113.1:40112', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa1;rport', route: ['<sip:203.0.113.10;lr>'], from: ALICE, to: `${BOB};tag=b1`, callId: 'p2', cseq: '1 ACK' }))
      .send(CALLER, PROXY, 'udp', 10, b1) // frame 4
      .send(PROXY, CALLER, 'udp', 10.02, reply(b1, status, reason)); // frame 5
    if (retry) {
      const b2 = bye(3, 'z9hG4bKb2');
      f.send(CALLER, PROXY, 'udp', 10.05, b2).send(PROXY, CALLER, 'udp', 10.1, reply(b2, 200, 'OK')); // frames 6, 7
    }
    return f;
  };

  for (const [status, reason, words] of [[481, 'Call/Transaction Does Not Exist', /holds no such dialog/], [477, 'Send Failed', /could not send the request on/], [503, 'Service Unavailable', /failed to pass it on/]] as const) {
    it(`bye-not-delivered: a BYE answered ${status} did not end the dialog at the far end`, () => {
      const out = runFlow(byeAnswered(status, reason), detectByeNotDelivered, 43);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ severity: 'error', callId: 'p2', frames: [4, 5] });
      expect(out[0]!.title).toBe(`BYE 198.51.100.7:5060 → 203.0.113.10:5060 answered ${status}, not delivered`);
      expect(out[0]!.explanation).toContain(`answered ${status} ${reason} to 198.51.100.7:5060 (frame 5)`);
      expect(out[0]!.explanation).toMatch(words);
    });
  }

  it('bye-not-delivered: a BYE challenged with 407 and sent again with credentials is delivered', () => {
    expect(runFlow(byeAnswered(407, 'Proxy Authentication Required', true), detectByeNotDelivered, 43)).toEqual([]);
  });

  it('dialog-not-terminated: the callee keeps a leg whose BYE never arrived', () => {
    const out = runFlow(unanswered(), detectDialogNotTerminated, 45);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'd1@198.51.100.7' });
    expect(out[0]!.frames).toEqual(expect.arrayContaining([2, 3, 4]));
    expect(out[0]!.explanation).toContain('dialog a1 / b1');
  });

  it('both stay silent for an answered BYE, and for a call still up a few seconds when the capture ends', () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20:5070>');
    const b = bye('sip:bob@203.0.113.20:5070');
    f.send(CALLER, CALLEE, 'udp', 10, b).send(CALLEE, CALLER, 'udp', 10.01, reply(b, 200, 'OK'));
    expect(runFlow(f, detectByeNotDelivered, 45)).toEqual([]);
    expect(runFlow(f, detectDialogNotTerminated, 45)).toEqual([]);
    const short = directCall('<sip:bob@203.0.113.20:5070>').f;
    expect(runFlow(short, detectDialogNotTerminated, 10)).toEqual([]);
    expect(runFlow(short, detectByeNotDelivered, 10)).toEqual([]);
  });
});

describe('invite-timeout', () => {
  const options = (f: FlowBuilder) => {
    const o = request({ method: 'OPTIONS', uri: 'sip:203.0.113.10', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKo1;rport', from: ALICE, to: '<sip:203.0.113.10>', callId: 'opt1', cseq: 1 });
    f.send(CALLER, PROXY, 'udp', 0, o).send(PROXY, CALLER, 'udp', 0.01, reply(o, 200, 'OK', { toTag: 'x' }));
  };
  const inv = request({ method: 'INVITE', uri: 'sip:bob@example.com', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi9;rport', from: ALICE, to: BOB, callId: 't1', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });

  it('is an error when the INVITE is retransmitted until Timer B with no response', () => {
    const f = flow();
    options(f); // frames 1–2: the two hosts do talk both ways
    for (const t of [1, 1.5, 2.5, 4.5, 8.5, 16.5]) f.send(CALLER, PROXY, 'udp', t, inv); // frames 3–8
    const out = runFlow(f, detectInviteTimeout, 40);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 't1' });
    expect(out[0]!.frames).toEqual([3, 4, 5, 6, 7, 8]);
    expect(out[0]!.explanation).toContain('198.51.100.7:5060 to 203.0.113.10:5060 (frame 3) was retransmitted 5 times');
    expect(out[0]!.explanation).toContain('Timer B');
  });

  it('stays silent for an INVITE that is answered', () => {
    const f = flow();
    options(f);
    f.send(CALLER, PROXY, 'udp', 1, inv)
      .send(CALLER, PROXY, 'udp', 1.5, inv)
      .send(PROXY, CALLER, 'udp', 1.6, reply(inv, 100, 'Trying'))
      .send(PROXY, CALLER, 'udp', 3, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20:5070>' }));
    expect(runFlow(f, detectInviteTimeout, 40)).toEqual([]);
  });
});

describe('excessive-nat-fixup and ack-missing through a relaying proxy', () => {
  // Caller → proxy A (203.0.113.10) → proxy B (203.0.113.30) → callee behind NAT. B already
  // fixed the callee's Contact to its NAT address; A rewrites it again to B's address.
  const B = '203.0.113.30:5060';
  const viaC = 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKc1;rport=5060;received=198.51.100.7';
  const viaA = 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKa1';
  const build = (rewrite: boolean) => {
    const inv = request({ method: 'INVITE', uri: 'sip:bob@example.com', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKc1;rport', from: ALICE, to: BOB, callId: 'x1', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const invA = request({ method: 'INVITE', uri: 'sip:bob@203.0.113.30', via: [viaA, viaC], recordRoute: ['<sip:203.0.113.10;lr>'], from: ALICE, to: BOB, callId: 'x1', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const okIn = reply(invA, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.1:50469>' });
    const target = rewrite ? 'sip:bob@203.0.113.30:5060' : 'sip:bob@203.0.113.1:50469';
    const okOut = reply(inv, 200, 'OK', { toTag: 'b1', contact: `<${target}>`, via: [viaC], recordRoute: ['<sip:203.0.113.10;lr>'] });
    const ack = (n: number) => request({ method: 'ACK', uri: target, via: `SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKk${n};rport`, route: ['<sip:203.0.113.10;lr>'], from: ALICE, to: `${BOB};tag=b1`, callId: 'x1', cseq: '1 ACK' });
    const ackA = (n: number) => request({ method: 'ACK', uri: target, via: [`SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKak${n}`, `SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKk${n};rport=5060;received=198.51.100.7`], from: ALICE, to: `${BOB};tag=b1`, callId: 'x1', cseq: '1 ACK' });
    const f = flow().send(CALLER, PROXY, 'udp', 0, inv).send(PROXY, B, 'udp', 0.01, invA); // frames 1, 2
    // B keeps retransmitting when its ACKs go nowhere (rewritten); otherwise once.
    const times = rewrite ? [0.5, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32] : [0.5];
    times.forEach((t, n) => {
      f.send(B, PROXY, 'udp', t, okIn).send(PROXY, CALLER, 'udp', t + 0.001, okOut).send(CALLER, PROXY, 'udp', t + 0.002, ack(n));
      f.send(PROXY, rewrite ? B : '203.0.113.1:50469', 'udp', t + 0.003, ackA(n));
    });
    return f;
  };

  it('excessive-nat-fixup names the Contact before and after the rewrite', () => {
    const out = runFlow(build(true), detectExcessiveNatFixup, 35);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'x1' });
    expect(out[0]!.frames).toEqual(expect.arrayContaining([3, 4]));
    expect(out[0]!.explanation).toContain('<sip:bob@203.0.113.1:50469>');
    expect(out[0]!.explanation).toContain('<sip:bob@203.0.113.30:5060>');
  });

  it('ack-missing: ACKs reach proxy B but it keeps relaying the 2xx retransmissions', () => {
    const out = runFlow(build(true), detectAckMissing, 35);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'x1' });
    expect(out[0]!.frames).toEqual(expect.arrayContaining([3, 7, 11, 43]));
    expect(out[0]!.explanation).toContain('ACKs did reach 203.0.113.30:5060');
    expect(out[0]!.explanation).toContain('<sip:bob@203.0.113.30:5060>');
  });

  it('both stay silent when proxy A keeps the Contact it received', () => {
    const f = build(false);
    expect(runFlow(f, detectExcessiveNatFixup, 35)).toEqual([]);
    expect(runFlow(f, detectAckMissing, 35)).toEqual([]);
  });
});

describe('via-private-address', () => {
  const reg = (answerTo: string) => {
    const r = request({ method: 'REGISTER', uri: 'sip:example.com', via: 'SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr1;rport', from: '<sip:bob@example.com>;tag=r1', to: '<sip:bob@example.com>', callId: 'r1', cseq: 1, contact: '<sip:bob@203.0.113.1:40112>' });
    return flow()
      .send(NAT, PROXY, 'udp', 0, r)
      .send(PROXY, answerTo, 'udp', 0.01, reply(r, 200, 'OK', { toTag: 'x', via: ['SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr1;rport=40112;received=203.0.113.1'] }));
  };

  it('is a warning when the response is sent to the private sent-by', () => {
    const out = runFlow(reg('192.168.1.10:5060'), detectViaPrivateAddress);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'warning', callId: 'r1', frames: [1, 2] });
    expect(out[0]!.explanation).toContain('SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr1;rport');
    expect(out[0]!.explanation).toContain('received=203.0.113.1');
    expect(out[0]!.expected).toMatchObject({ messageFrame: 2, to: NAT });
  });

  it('is only information when the response follows the NAT mapping (rport)', () => {
    const out = runFlow(reg(NAT), detectViaPrivateAddress);
    expect(out.map((x) => x.severity)).toEqual(['info']);
  });
});

describe('contact-private-address (registration)', () => {
  const reg = (contact: string, via: string) => {
    const r = request({ method: 'REGISTER', uri: 'sip:example.com', via, from: '<sip:bob@example.com>;tag=r1', to: '<sip:bob@example.com>', callId: 'r2', cseq: 1, contact });
    const inv = request({ method: 'INVITE', uri: `sip:bob@${contact.includes('192.168') ? '192.168.1.10:5060' : '203.0.113.1:40112'}`, via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKi1', from: ALICE, to: BOB, callId: 'c2', cseq: 1, contact: '<sip:alice@198.51.100.7>' });
    return flow()
      .send(NAT, PROXY, 'udp', 0, r)
      .send(PROXY, NAT, 'udp', 0.01, reply(r, 200, 'OK', { toTag: 'x' }))
      .send(PROXY, contact.includes('192.168') ? '192.168.1.10:5060' : NAT, 'udp', 5, inv);
  };

  it('is an error when the registrar then sends a new INVITE to the private Contact', () => {
    const out = runFlow(reg('<sip:bob@192.168.1.10:5060>', 'SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr1;rport'), detectContactPrivateAddress);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', frames: [1, 3] });
    expect(out[0]!.explanation).toContain('<sip:bob@192.168.1.10:5060>');
    expect(out[0]!.explanation).toContain('203.0.113.1:40112');
    expect(out[0]!.expected).toMatchObject({ messageFrame: 3, to: NAT });
  });

  it('stays silent when the phone registers its public mapping', () => {
    expect(runFlow(reg('<sip:bob@203.0.113.1:40112>', 'SIP/2.0/UDP 203.0.113.1:40112;branch=z9hG4bKr1;rport'), detectContactPrivateAddress)).toEqual([]);
  });
});

describe('nat-binding-expired', () => {
  // A phone behind NAT registered (private Via/Contact) and took a call; the proxy relays the
  // caller's BYE to the phone's NAT mapping after a silence. Frames: 1–2 REGISTER, 3–5 call.
  const build = (keepAlive: boolean, answered: boolean) => {
    const r = request({ method: 'REGISTER', uri: 'sip:example.com', via: 'SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr1;rport', from: '<sip:bob@example.com>;tag=r1', to: '<sip:bob@example.com>', callId: 'reg', cseq: 1, contact: '<sip:bob@192.168.1.10:5060>' });
    const inv = request({ method: 'INVITE', uri: 'sip:bob@192.168.1.10:5060', via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKi1', from: ALICE, to: BOB, callId: 'n1', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const f = flow()
      .send(NAT, PROXY, 'udp', 0, r)
      .send(PROXY, NAT, 'udp', 0.01, reply(r, 200, 'OK', { toTag: 'x' }))
      .send(PROXY, NAT, 'udp', 1, inv)
      .send(NAT, PROXY, 'udp', 1.5, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@192.168.1.10:5060>' }))
      .send(PROXY, NAT, 'udp', 1.51, request({ method: 'ACK', uri: 'sip:bob@192.168.1.10:5060', via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKa1', from: ALICE, to: `${BOB};tag=b1`, callId: 'n1', cseq: '1 ACK' }));
    if (keepAlive) for (let t = 16; t < 45; t += 15) f.send(NAT, PROXY, 'udp', t, '\r\n\r\n', { raw: true });
    const bye = request({ method: 'BYE', uri: 'sip:bob@192.168.1.10:5060', via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKb1', from: ALICE, to: `${BOB};tag=b1`, callId: 'n1', cseq: 2 });
    const first = f.messages().length + 1;
    if (answered) f.send(PROXY, NAT, 'udp', 45, bye).send(NAT, PROXY, 'udp', 45.01, reply(bye, 200, 'OK'));
    else for (const t of [45, 45.5, 46.5, 48.5]) f.send(PROXY, NAT, 'udp', t, bye);
    return { f, first };
  };

  it('is an error when the BYE after 43 s of silence toward the NAT mapping is never answered', () => {
    const { f, first } = build(false, false);
    const out = runFlow(f, detectNatBindingExpired, 60);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'n1' });
    expect(out[0]!.frames).toEqual([5, first, first + 1, first + 2, first + 3]);
    expect(out[0]!.explanation).toContain('203.0.113.10:5060 ↔ 203.0.113.1:40112 for 43 s');
    // What the mapping sent before the gap (REGISTER, the 200 OK) and that nothing came since.
    expect(out[0]!.explanation).toContain("the phone's side sent 2 packets on that flow, the last in frame 4;");
    expect(out[0]!.explanation).toContain('Not one packet came from that mapping after the request');
  });

  it('counts the keep-alives before the gap, up to the last one, when they stopped 14 s before the lost BYE', () => {
    const { f, first } = build(true, false);
    const out = runFlow(f, detectNatBindingExpired, 60);
    expect(out).toHaveLength(1);
    // REGISTER, the 200 OK and two CRLF keep-alives (frames 6 and 7) came from the mapping.
    expect(out[0]!.frames).toEqual([7, first, first + 1, first + 2, first + 3]);
    expect(out[0]!.explanation).toContain('for 14 s');
    expect(out[0]!.explanation).toContain("the phone's side sent 4 packets on that flow, the last in frame 7;");
  });

  it('stays silent when keep-alives hold the binding open and the BYE is answered', () => {
    expect(runFlow(build(true, true).f, detectNatBindingExpired, 60)).toEqual([]);
  });
});

describe('nat-binding-expired on a short idle gap, by evidence', () => {
  // The same phone and call; the BYE comes only 12 s after the ACK — within the 5–60 s real NATs
  // use, so it needs the capture's own evidence (retransmitted, nothing from the mapping since).
  const build = (phoneSpeaksAfter: boolean) => {
    const r = request({ method: 'REGISTER', uri: 'sip:example.com', via: 'SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr1;rport', from: '<sip:bob@example.com>;tag=r1', to: '<sip:bob@example.com>', callId: 'reg', cseq: 1, contact: '<sip:bob@192.168.1.10:5060>' });
    const inv = request({ method: 'INVITE', uri: 'sip:bob@192.168.1.10:5060', via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKi1', from: ALICE, to: BOB, callId: 'n2', cseq: 1, contact: '<sip:alice@198.51.100.7:5060>' });
    const f = flow()
      .send(NAT, PROXY, 'udp', 0, r)
      .send(PROXY, NAT, 'udp', 0.01, reply(r, 200, 'OK', { toTag: 'x' }))
      .send(PROXY, NAT, 'udp', 1, inv)
      .send(NAT, PROXY, 'udp', 1.5, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@192.168.1.10:5060>' }))
      .send(PROXY, NAT, 'udp', 1.51, request({ method: 'ACK', uri: 'sip:bob@192.168.1.10:5060', via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKa1', from: ALICE, to: `${BOB};tag=b1`, callId: 'n2', cseq: '1 ACK' }));
    const bye = request({ method: 'BYE', uri: 'sip:bob@192.168.1.10:5060', via: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKb1', from: ALICE, to: `${BOB};tag=b1`, callId: 'n2', cseq: 2 });
    for (const t of [13.5, 14, 15, 17]) f.send(PROXY, NAT, 'udp', t, bye);
    if (phoneSpeaksAfter) f.send(NAT, PROXY, 'udp', 18, '\r\n\r\n', { raw: true });
    return f;
  };

  it('is an error after 12 s idle when the BYE is retransmitted and nothing comes from the mapping since', () => {
    const out = runFlow(build(false), detectNatBindingExpired, 40);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'error', callId: 'n2' });
    expect(out[0]!.frames).toEqual([5, 6, 7, 8, 9]);
    expect(out[0]!.explanation).toContain('for 12 s');
    expect(out[0]!.explanation).toContain('Not one packet came from that mapping after the request');
  });

  it('stays silent after 12 s idle when the mapping is heard from again (the binding was alive)', () => {
    expect(runFlow(build(true), detectNatBindingExpired, 40)).toEqual([]);
  });
});

describe('malformed-sip', () => {
  it('reports an unparseable message with the parser\'s reason', () => {
    const f = flow().send(CALLER, PROXY, 'udp', 0, 'INVITE sip:bob@example.com SIP/2.0 extra\r\nVia: SIP/2.0/UDP 198.51.100.7\r\n\r\n', { raw: true });
    const out = runFlow(f, detectMalformedSip);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'warning', frames: [1] });
    expect(out[0]!.explanation).toContain('"INVITE sip:bob@example.com SIP/2.0 extra"');
    expect(out[0]!.explanation).toContain('could not be parsed as SIP: no SIP start line');
  });

  it('ignores CRLF keep-alives and well-formed messages', () => {
    const o = request({ method: 'OPTIONS', uri: 'sip:203.0.113.10', via: 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKo1;rport', from: ALICE, to: '<sip:203.0.113.10>', callId: 'o1', cseq: 1 });
    const f = flow().send(CALLER, PROXY, 'udp', 0, '\r\n\r\n', { raw: true }).send(CALLER, PROXY, 'udp', 1, o);
    expect(runFlow(f, detectMalformedSip)).toEqual([]);
  });
});

describe('sip-alg-suspected', () => {
  // The same INVITE captured on the LAN side and on the WAN side of the phone's router.
  const lan = request({ method: 'INVITE', uri: 'sip:bob@example.com', via: 'SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKalg;rport', from: ALICE, to: BOB, callId: 'alg1', cseq: 1, contact: '<sip:alice@192.168.1.10:5060>', body: sdp('192.168.1.10', 40082) });

  it('is a warning when the WAN copy has Via, Contact and SDP rewritten without a new Via', () => {
    const wan = lan.replaceAll('192.168.1.10', '203.0.113.1'); // same length: Content-Length stays right
    const f = flow().send('192.168.1.10:5060', PROXY, 'udp', 0, lan).send('203.0.113.1:5060', PROXY, 'udp', 0.0005, wan);
    const out = runFlow(f, detectSipAlgSuspected);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'warning', callId: 'alg1', frames: [1, 2] });
    expect(out[0]!.explanation).toContain('Via sent-by 192.168.1.10:5060 → 203.0.113.1:5060');
    expect(out[0]!.explanation).toContain('Contact sip:alice@192.168.1.10:5060 → sip:alice@203.0.113.1:5060');
    expect(out[0]!.explanation).toContain('SDP c=192.168.1.10 → c=203.0.113.1');
  });

  it('is a warning when a NATed UDP message\'s Content-Length is off by a few bytes', () => {
    const body = 'v=0\r\no=- 1 1 IN IP4 203.0.113.1\r\ns=-\r\nc=IN IP4 203.0.113.1\r\nt=0 0\r\nm=audio 40082 RTP/AVP 0\r\n';
    const text = (len: number) =>
      `INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKcl;rport\r\nMax-Forwards: 70\r\nFrom: ${ALICE}\r\nTo: ${BOB}\r\nCall-ID: alg2\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@203.0.113.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: ${len}\r\n\r\n${body}`;
    const bad = runFlow(flow().send('203.0.113.1:5060', PROXY, 'udp', 0, text(body.length - 3), { raw: true }), detectSipAlgSuspected);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ severity: 'warning', callId: 'alg2', frames: [1] });
    expect(bad[0]!.explanation).toContain(`Content-Length ${body.length - 3}`);
    expect(runFlow(flow().send('203.0.113.1:5060', PROXY, 'udp', 0, text(body.length), { raw: true }), detectSipAlgSuspected)).toEqual([]);
  });

  it('reads the SDP o= line too: media on a relay\'s public address, the private origin rewritten short', () => {
    // c= names a relay (neither the source nor private); only o= says 192.168.1.10, which an ALG rewrote.
    const body = 'v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 198.51.100.50\r\nt=0 0\r\nm=audio 40082 RTP/AVP 0\r\n';
    const text = `INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKo;rport\r\nMax-Forwards: 70\r\nFrom: ${ALICE}\r\nTo: ${BOB}\r\nCall-ID: alg3\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@203.0.113.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: ${body.length - 3}\r\n\r\n${body}`;
    const out = runFlow(flow().send('203.0.113.1:5060', PROXY, 'udp', 0, text, { raw: true }), detectSipAlgSuspected);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ callId: 'alg3', frames: [1] });
  });

  it('stays silent when the router only translates the packet (no ALG): the copies are identical', () => {
    const f = flow().send('192.168.1.10:5060', PROXY, 'udp', 0, lan).send('203.0.113.1:5060', PROXY, 'udp', 0.0005, lan);
    expect(runFlow(f, detectSipAlgSuspected)).toEqual([]);
  });
});

describe('healthy flows raise no alarm in any of these detectors', () => {
  it('a direct call with a ported Contact, answered BYE', () => {
    const { f, bye } = directCall('<sip:bob@203.0.113.20:5070>');
    const b = bye('sip:bob@203.0.113.20:5070');
    f.send(CALLER, CALLEE, 'udp', 10, b).send(CALLEE, CALLER, 'udp', 10.01, reply(b, 200, 'OK'));
    for (const d of [detectAckMissing, detectByeNotDelivered, detectContactMissingPort, detectContactPrivateAddress, detectDialogNotTerminated, detectExcessiveNatFixup, detectInDialogRequestMisrouted, detectInviteTimeout, detectMalformedSip, detectNatBindingExpired, detectSipAlgSuspected, detectViaPrivateAddress]) {
      expect(alarms(runFlow(f, d, 120)), d.kind).toEqual([]);
    }
  });
});
