/**
 * Call outcome and teardown (outcome.ts) on real captures: the lab samples (kamailio, SIPp,
 * baresip through a real NAT) and public captures, and the verdict (analysis/verdict.ts) and
 * honest truncation (analysis/truncation.ts) that the engine writes beside them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes, budgetForFirst } from '../engine/analyze.ts';
import type { Report, ReportCall } from '../report/report.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => new Uint8Array(readFileSync(path.join(ROOT, p)));
const analyse = async (p: string, budget?: number): Promise<Report> => (await analyzeBytes(read(p), budget ? { memoryBudgetBytes: budget } : {})).report;
const words = (c: ReportCall | undefined) => c && [c.kind, c.outcome, c.outcomeCode, c.teardown, c.teardownCode, c.endedBy];
const call = (r: Report, id: string) => r.calls.find((c) => c.callId === id);

describe('call outcome and teardown', () => {
  it('sngrep/aaa.pcap: a 403 after a 407 challenge is "rejected 403", a REGISTER left at 401 is rejected, an INVITE ended by 408 timed out', async () => {
    const r = await analyse('test/captures/public/sngrep/aaa.pcap');
    // INVITE → 407 → ACK → INVITE (with credentials) → 100 → 403 → ACK: the challenge is not the outcome.
    expect(words(call(r, '24487391-449bf2a0@192.168.1.2'))).toEqual(['call', 'rejected', 403, null, null, null]);
    expect(words(call(r, '85216695-42dcdb1d@192.168.1.2'))).toEqual(['call', 'rejected', 403, null, null, null]);
    // 407, then 183 and 480 Temporarily Unavailable.
    expect(words(call(r, '11894297-4432a9f8@192.168.1.2'))).toEqual(['call', 'rejected', 480, null, null, null]);
    // INVITE retransmitted, 100, CANCELs unanswered, then 408.
    expect(words(call(r, '105090259-446faf7a@192.168.1.2'))).toEqual(['call', 'timed-out', 408, null, null, null]);
    // REGISTER challenged again and again and never accepted; another accepted with 200.
    expect(words(call(r, '578222729-4665d775@578222732-4665d772'))).toEqual(['registration', 'rejected', 401, null, null, null]);
    expect(words(call(r, '29858147-465b0752@29858051-465b07b2'))).toEqual(['registration', 'answered', 200, null, null, null]);
  });

  it('lab samples: a BYE answered 408 by the proxy is a failed teardown, not "completed 200"', async () => {
    for (const s of ['06-tcp-closed-mid-call', '07-udp-binding-expired']) {
      const r = await analyse(`public/samples/${s}/capture.pcap`);
      const c = r.calls.find((x) => x.kind === 'call')!;
      expect(c.state, s).toBe('completed');
      expect(words(c), s).toEqual(['call', 'answered', 200, 'failed', 408, 'caller']);
    }
    const good = (await analyse('public/samples/04-rport-good/capture.pcap')).calls.find((x) => x.kind === 'call');
    expect(words(good)).toEqual(['call', 'answered', 200, 'normal', null, 'caller']);
    // 05b: the callee's BYE went out on a new TCP connection that was reset and never got an
    // answer; the caller's own BYE ended the call 23 s later. The teardown failed all the same.
    const b = (await analyse('public/samples/05b-bye-new-tcp-connection/capture.pcap')).calls.find((x) => x.kind === 'call');
    expect(words(b)).toEqual(['call', 'answered', 200, 'failed', null, 'callee']);
    // Seen from the LAN, the 06 call's BYE never left: still up at capture end.
    const lan = (await analyse('public/samples/06-tcp-closed-mid-call/capture-lan.pcap')).calls.find((x) => x.kind === 'call');
    expect(words(lan)).toEqual(['call', 'answered', 200, 'still-up', null, null]);
  });

  it('OPTIONS pings are keep-alives and REGISTER a registration, not calls', async () => {
    const r = await analyse('test/captures/public/snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap');
    const kinds = new Map<string, number>();
    for (const c of r.calls) kinds.set(c.kind as string, (kinds.get(c.kind as string) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).toEqual({ call: 1, registration: 1, keepalive: 13 });
  });
});

describe('one verdict per call', () => {
  it('follows the worst symptom back to its root cause, signalling and media apart', async () => {
    const r = await analyse('public/samples/06-tcp-closed-mid-call/capture.pcap');
    const c = r.calls.find((x) => x.kind === 'call')!;
    const v = c.verdict as { text: string; rootCause: number; symptoms: number[] };
    // The TCP connection closing is the root; the BYE that timed out and the call left up follow
    // from it; the private SDP address (a media matter) is listed after the chain, not in it.
    expect(r.findings[v.rootCause]!.kind).toBe('connection-closed-mid-dialog');
    expect(new Set(v.symptoms.map((i) => r.findings[i]!.kind))).toEqual(new Set(['bye-not-delivered', 'dialog-not-terminated', 'sdp-private-address']));
    expect(v.text).toMatch(/^BYE .* ← .* ← TCP connection #\d+ closed while the call was up$/);
    expect(r.findings[v.symptoms[v.symptoms.length - 1]!]!.kind).toBe('sdp-private-address');

    const oneWay = (await analyse('public/samples/08-one-way-audio/capture.pcap')).calls.find((x) => x.kind === 'call')!;
    expect((oneWay.verdict as { text: string }).text).toMatch(/^One-way audio: .* ← SDP c=192\.168\.1\.10 is private/);
    // A healthy call has no verdict.
    expect((await analyse('public/samples/04-rport-good/capture.pcap')).calls.every((x) => x.verdict === null)).toBe(true);
  });
});

describe('truncation is honest', () => {
  it('a call whose end lies past the memory budget is "not analysed to the end", and no finding rests on the missing part', async () => {
    const file = 'public/samples/04-rport-good/capture.pcap';
    const full = await analyse(file);
    expect(full.messages).toHaveLength(7);
    // A budget for six messages (engine/analyze.ts budgetForFirst): INVITE … ACK and the BYE are
    // read; the BYE's 200 OK is past the cut.
    const all = (await analyzeBytes(read(file))).messages;
    const cut = await analyse(file, budgetForFirst(all, 6));
    expect(cut.messages.map((m) => m.method ?? m.status)).toEqual(['INVITE', 100, 180, 200, 'ACK', 'BYE']);
    expect(cut.capture.messagesNotKept).toBe(1);
    const c = cut.calls.find((x) => x.kind === 'call')!;
    expect([c.outcome, c.teardown, c.notAnalysedToEnd]).toEqual(['answered', 'not-analysed', true]);
    // Without the honesty rule the BYE would read as never answered (bye-not-delivered).
    const absence = ['ack-missing', 'invite-timeout', 'bye-not-delivered', 'dialog-not-terminated', 'connection-closed-mid-dialog'];
    expect(cut.findings.filter((f) => absence.includes(f.kind))).toEqual([]);
    // Cut before the answer: the call is in progress, not analysed to the end.
    const early = (await analyse(file, budgetForFirst(all, 3))).calls.find((x) => x.kind === 'call')!;
    expect([early.outcome, early.teardown]).toEqual(['in-progress', 'not-analysed']);
    expect(cut.warnings[0]!.message).toMatch(/memory budget reached/);
  });
});
