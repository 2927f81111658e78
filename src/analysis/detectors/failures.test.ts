/**
 * The failure kinds added for calls that never get going: registration-failed, auth-failed,
 * cancel-unanswered and request-loop — on a real capture (sngrep's aaa.pcap: a softphone behind
 * a home router against a Danish provider, read against tshark once), on hand-built flows where
 * no public capture shows the pattern, and silent on every healthy lab sample.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../../engine/analyze.ts';
import type { Finding } from '../../report/report.ts';
import { FlowBuilder } from '../lib/testing.ts';
import { detectors } from '../registry.ts';
import { detectRequestLoop } from './request-loop.ts';
import { detectCancelUnanswered } from './cancel-unanswered.ts';
import { detectAuthFailed } from './auth-failed.ts';
import { detectRegistrationFailed } from './registration-failed.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const report = async (p: string) => (await analyzeBytes(new Uint8Array(readFileSync(path.join(ROOT, p))))).report;
const of = (fs: Finding[], kind: string, callId: string) => fs.filter((f) => f.kind === kind && f.callId === callId);
const NEW = ['registration-failed', 'auth-failed', 'cancel-unanswered', 'request-loop'];

describe('on sngrep/aaa.pcap', () => {
  it('names the wrong password, the registration left at a challenge and the CANCEL nobody answered', async () => {
    const r = await report('test/captures/public/sngrep/aaa.pcap');
    // INVITE → 407 → INVITE with Proxy-Authorization (frame 346) → 403 Wrong password or domain (348).
    expect(of(r.findings, 'auth-failed', '85216695-42dcdb1d@192.168.1.2')).toMatchObject([{ severity: 'error', frames: [346, 348], title: 'INVITE credentials of voi18062 refused (403 Wrong password or domain)' }]);
    // REGISTER with credentials (frame 30) → 403 Wrong password (32), and again four times; the last attempt fails too.
    const reg = of(r.findings, 'auth-failed', '578222729-4665d775@578222732-4665d772');
    expect(reg).toHaveLength(1);
    expect(reg[0]).toMatchObject({ severity: 'error' });
    expect(reg[0]!.explanation).toContain('refused it with 403 Wrong password (frame 32)');
    expect(reg[0]!.explanation).toContain('It failed 5 times in all (frames 32, 122, 155, 432 and 454)');
    // The same registration ends at a 401 the phone never answers: the user cannot be reached.
    expect(of(r.findings, 'registration-failed', '578222729-4665d775@578222732-4665d772')).toMatchObject([{ severity: 'error', title: 'Registration of sip:35104723@sip.cybercity.dk left at a 401 challenge' }]);
    // The other registration recovers after a stale nonce ("401 nonce has changed"): info at most.
    expect(r.findings.filter((f) => f.callId === '29858147-465b0752@29858051-465b07b2' && f.severity !== 'info')).toEqual([]);
    // CANCEL sent 11 times over 32 s (frames 247 … 272), never answered 200.
    const cancel = of(r.findings, 'cancel-unanswered', '105090259-446faf7a@192.168.1.2');
    expect(cancel).toHaveLength(1);
    expect(cancel[0]).toMatchObject({ severity: 'error', title: 'CANCEL 192.168.1.2:5060 → 200.68.120.81:5060 retransmitted 10 times, never answered' });
    expect(cancel[0]!.frames.slice(0, 4)).toEqual([247, 249, 251, 252]);
    // No loop anywhere.
    expect(r.findings.filter((f) => f.kind === 'request-loop')).toEqual([]);
  });

  it('the verdict puts the refused credentials before the failed registration', async () => {
    const r = await report('test/captures/public/sngrep/aaa.pcap');
    const c = r.calls.find((x) => x.callId === '578222729-4665d775@578222732-4665d772')!;
    const v = c.verdict as { rootCause: number; text: string };
    expect(r.findings[v.rootCause]!.kind).toBe('auth-failed');
    expect(v.text).toMatch(/^Registration of .* left at a 401 challenge ← REGISTER credentials of voi18063 refused/);
  });
});

describe('on other public captures', () => {
  it('pcapplusplus/sip_resp.pcap: REGISTER answered 504 and 503 without the request captured is a refused registration', async () => {
    const r = await report('test/captures/public/pcapplusplus/sip_resp.pcap');
    expect(r.findings.filter((f) => f.kind === 'registration-failed').map((f) => [f.severity, f.title, f.frames])).toEqual([
      ['error', 'Registration refused (504 Server Timeout)', [6]],
      ['error', 'Registration refused (503 Service Unavailable)', [7]],
    ]);
  });

  it('rtcagent/dump.pcap: REGISTER → 401 → REGISTER with credentials of "wq" → 403 Forbidden', async () => {
    const r = await report('test/captures/public/rtcagent/dump.pcap');
    expect(r.findings.filter((f) => f.kind === 'auth-failed').map((f) => [f.severity, f.frames, f.title])).toEqual([['error', [3, 4], 'REGISTER credentials of wq refused (403 Forbidden)']]);
  });

  it('a REGISTER sent once over UDP and never answered is too little to judge (info)', async () => {
    const r = await report('test/captures/public/ndpi/fuzz-2006-06-26-2594.pcap');
    const regs = r.findings.filter((f) => f.kind === 'registration-failed');
    expect(regs.length).toBeGreaterThan(0);
    expect(regs.every((f) => f.severity === 'info')).toBe(true);
  });
});

describe('on hand-built flows', () => {
  const invite = (branch: string, maxForwards: number) => [
    'INVITE sip:bob@example.net SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}`,
    `Max-Forwards: ${maxForwards}`,
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.net>',
    'Call-ID: loop-1',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.50:5060>',
  ];

  it('request-loop: the INVITE bounces between two proxies with Max-Forwards counting down, then 483', () => {
    const f = new FlowBuilder();
    let mf = 70;
    for (let i = 0; i < 4; i++) {
      f.add(i * 0.01, '192.0.2.1:5060', '192.0.2.2:5060', invite(`z9hG4bKa${i}`, mf--));
      f.add(i * 0.01 + 0.005, '192.0.2.2:5060', '192.0.2.1:5060', invite(`z9hG4bKb${i}`, mf--));
    }
    f.add(0.1, '192.0.2.1:5060', '192.0.2.2:5060', ['SIP/2.0 483 Too Many Hops', 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa3', 'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.net>;tag=x', 'Call-ID: loop-1', 'CSeq: 1 INVITE']);
    const out = f.run(detectRequestLoop);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'request-loop', severity: 'error', callId: 'loop-1', title: 'INVITE loops between 192.0.2.1 and 192.0.2.2 (483)' });
    expect(out[0]!.frames).toEqual([1, 3, 5, 7, 9]);
    expect(out[0]!.explanation).toContain('Max-Forwards went from 70 down to 63');
  });

  it('request-loop: an INVITE that crosses three proxies once each is no loop', () => {
    const f = new FlowBuilder();
    f.add(0, '192.0.2.1:5060', '192.0.2.2:5060', invite('z9hG4bK1', 70));
    f.add(0.01, '192.0.2.2:5060', '192.0.2.3:5060', invite('z9hG4bK2', 69));
    f.add(0.02, '192.0.2.3:5060', '192.0.2.4:5060', invite('z9hG4bK3', 68));
    expect(f.run(detectRequestLoop)).toEqual([]);
  });

  it('cancel-unanswered: a CANCEL answered 200 at once is fine', () => {
    const f = new FlowBuilder();
    const cancel = ['CANCEL sip:bob@example.net SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKc', 'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.net>', 'Call-ID: c-1', 'CSeq: 1 CANCEL'];
    f.add(0, '192.0.2.1:5060', '192.0.2.2:5060', invite('z9hG4bKc', 70).map((l) => l.replace('loop-1', 'c-1')));
    f.add(2, '192.0.2.1:5060', '192.0.2.2:5060', cancel);
    f.add(2.5, '192.0.2.1:5060', '192.0.2.2:5060', cancel);
    f.add(2.6, '192.0.2.2:5060', '192.0.2.1:5060', ['SIP/2.0 200 OK', ...cancel.slice(1)]);
    expect(f.run(detectCancelUnanswered)).toEqual([]);
  });
});

describe('healthy calls stay quiet', () => {
  for (const s of ['04-rport-good', '10-good-tcp']) {
    for (const side of ['capture.pcap', 'capture-lan.pcap'].filter((f) => existsSync(path.join(ROOT, 'public/samples', s, f)))) {
      it(`${s}/${side}`, async () => {
        const r = await report(`public/samples/${s}/${side}`);
        expect(r.findings.filter((f) => NEW.includes(f.kind))).toEqual([]);
      });
    }
  }
  it('the detectors are registered', () => {
    expect([detectRegistrationFailed, detectAuthFailed, detectCancelUnanswered, detectRequestLoop].map((d) => d.kind)).toEqual(NEW);
    for (const d of [detectRegistrationFailed, detectAuthFailed, detectCancelUnanswered, detectRequestLoop]) expect(detectors).toContain(d);
  });
});
