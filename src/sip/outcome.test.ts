/**
 * Call outcome and teardown (src/sip/outcome.ts) on real captures — the lab samples (WAN and LAN
 * side of the NAT) and the public corpus — and on a BYE answered 481 built message by message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { Report, ReportCall } from '../engine/report.ts';
import { flow, reply, request } from './testing/flows.ts';
import { reportCalls } from './model.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');

const cache = new Map<string, Promise<Report>>();
function analyse(file: string): Promise<Report> {
  let r = cache.get(file);
  if (!r) {
    r = analyzeBytes(new Uint8Array(fs.readFileSync(file))).then((a) => a.report);
    cache.set(file, r);
  }
  return r;
}
async function call(file: string, callId: string): Promise<ReportCall> {
  const c = (await analyse(file)).calls.find((x) => x.callId === callId);
  if (!c) throw new Error(`no call ${callId} in ${file}`);
  return c;
}
const sample = (id: string, side: 'capture.pcap' | 'capture-lan.pcap' = 'capture.pcap'): string => path.join(SAMPLES, id, side);
const pub = (f: string): string => path.join(PUBLIC, f);

describe('outcome', () => {
  it('answered, ended normally by the caller (sample 04, good path)', async () => {
    const r = await analyse(sample('04-rport-good'));
    const c = r.calls.find((x) => x.kind === 'call');
    expect(c).toMatchObject({ outcome: 'answered', outcomeCode: 200, teardown: 'normal', endedBy: 'caller', outcomeSummary: 'answered · ended by caller' });
  });

  it('403 after a 407 challenge is "rejected 403" (sngrep/aaa.pcap, two calls)', async () => {
    for (const id of ['85216695-42dcdb1d@192.168.1.2', '24487391-449bf2a0@192.168.1.2']) {
      expect(await call(pub('sngrep/aaa.pcap'), id)).toMatchObject({ kind: 'call', outcome: 'rejected', outcomeCode: 403, teardown: null, outcomeSummary: 'rejected 403' });
    }
  });

  it('408 after retransmitted INVITE and CANCEL is "timed-out 408" (sngrep/aaa.pcap)', async () => {
    expect(await call(pub('sngrep/aaa.pcap'), '105090259-446faf7a@192.168.1.2')).toMatchObject({ outcome: 'timed-out', outcomeCode: 408, teardown: null });
  });

  it('busy 486, cancelled, and no response at all (heplify/sip_ipv4_tcp_fragmented.pcap)', async () => {
    const f = pub('heplify/sip_ipv4_tcp_fragmented.pcap');
    expect(await call(f, '044e6256592e8113b15b37b77600')).toMatchObject({ outcome: 'busy', outcomeCode: 486 });
    expect(await call(f, '0ea83236592e81fcb05b37b77600')).toMatchObject({ outcome: 'cancelled', teardown: null });
    expect(await call(f, '85b939c9-8f01-4f54-8042-a2338185f4cb')).toMatchObject({ outcome: 'no-response', outcomeCode: null });
  });

  it('a declined call is "rejected 603" (wireshark-wiki/SIP_DTMF2.cap)', async () => {
    const r = await analyse(pub('wireshark-wiki/SIP_DTMF2.cap'));
    expect(r.calls.filter((c) => c.kind === 'call').map((c) => c.outcomeSummary)).toContain('rejected 603');
  });
});

describe('kinds: REGISTER, OPTIONS and SUBSCRIBE are not calls', () => {
  it('registrations refused 403, subscriptions, calls (wireshark-wiki/wireuploaded.pcap)', async () => {
    const r = await analyse(pub('wireshark-wiki/wireuploaded.pcap'));
    const refused = r.calls.filter((c) => c.kind === 'registration' && c.outcome === 'rejected');
    expect(refused.map((c) => c.outcomeCode)).toEqual([403, 403, 403, 403]);
    expect(r.calls.filter((c) => c.kind === 'subscription').length).toBe(50);
    expect(r.calls.every((c) => c.kind !== 'call' || c.teardown !== null)).toBe(true);
  });

  it('OPTIONS is a keep-alive (wireshark-wiki/Asterisk_ZFONE_XLITE.pcap)', async () => {
    const r = await analyse(pub('wireshark-wiki/Asterisk_ZFONE_XLITE.pcap'));
    expect(new Set(r.calls.map((c) => c.kind))).toEqual(new Set(['registration', 'keepalive', 'subscription', 'call']));
    expect(r.calls.filter((c) => c.kind !== 'call').every((c) => c.teardown === null)).toBe(true);
  });
});

describe('teardown', () => {
  it('a BYE answered 408 is teardown "failed", not "completed 200" (sample 06 WAN); the LAN side never saw a BYE: still up', async () => {
    const wan = await call(sample('06-tcp-closed-mid-call'), '1-7830@203.0.113.20');
    expect(wan).toMatchObject({ state: 'completed', outcome: 'answered', outcomeCode: 200, teardown: 'failed', endedBy: 'caller' });
    expect(wan.outcomeSummary).toBe("answered · teardown failed (caller's BYE answered 408)");
    const lan = await call(sample('06-tcp-closed-mid-call', 'capture-lan.pcap'), '1-7830@203.0.113.20');
    expect(lan).toMatchObject({ outcome: 'answered', teardown: 'still-up' });
  });

  it("the callee's BYE reset on a new connection is not delivered; the caller's later BYE ends the call (sample 05b)", async () => {
    for (const side of ['capture.pcap', 'capture-lan.pcap'] as const) {
      const c = await call(sample('05b-bye-new-tcp-connection', side), '1-6376@127.0.0.1');
      expect(c).toMatchObject({ teardown: 'failed', endedBy: 'callee' });
      expect(c.outcomeSummary).toBe("answered · teardown failed (callee's BYE not answered; caller's BYE ended it)");
    }
  });

  it('a BYE answered 481 is teardown "failed" (built message by message)', () => {
    const A = '192.0.2.10:5060';
    const B = '203.0.113.20:5060';
    const inv = request({ method: 'INVITE', uri: 'sip:bob@203.0.113.20', via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-i1;rport', from: '<sip:alice@example.com>;tag=a1', to: '<sip:bob@example.com>', callId: 'c481', cseq: 1, contact: '<sip:alice@192.0.2.10:5060>' });
    const inDialog = (method: string, cseq: number | string, branch: string): string =>
      request({ method, uri: 'sip:bob@203.0.113.20', via: `SIP/2.0/UDP 192.0.2.10:5060;branch=${branch};rport`, from: '<sip:alice@example.com>;tag=a1', to: '<sip:bob@example.com>;tag=b1', callId: 'c481', cseq });
    const bye = inDialog('BYE', 2, 'z9hG4bK-b1');
    const f = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' }))
      .send(A, B, 'udp', 1.01, inDialog('ACK', '1 ACK', 'z9hG4bK-a1'))
      .send(A, B, 'udp', 10, bye)
      .send(B, A, 'udp', 10.01, reply(bye, 481, 'Call/Transaction Does Not Exist'));
    const [c] = reportCalls(f.model(20), { messages: f.messages() });
    expect(c).toMatchObject({ outcome: 'answered', teardown: 'failed', endedBy: 'caller', outcomeSummary: "answered · teardown failed (caller's BYE answered 481)" });
    // The same call with the BYE answered 200 ends normally: the 481 is what makes it fail.
    const g = flow()
      .send(A, B, 'udp', 0, inv)
      .send(B, A, 'udp', 1, reply(inv, 200, 'OK', { toTag: 'b1', contact: '<sip:bob@203.0.113.20>' }))
      .send(A, B, 'udp', 1.01, inDialog('ACK', '1 ACK', 'z9hG4bK-a1'))
      .send(A, B, 'udp', 10, bye)
      .send(B, A, 'udp', 10.01, reply(bye, 200, 'OK'));
    expect(reportCalls(g.model(20), { messages: g.messages() })[0]).toMatchObject({ teardown: 'normal', endedBy: 'caller' });
  });
});
