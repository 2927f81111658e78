/**
 * One verdict per call (src/analysis/verdict.ts) and honest truncation (src/analysis/truncation.ts)
 * end to end through the engine on the lab samples: the root cause first with its symptoms linked, and, when the memory budget
 * cuts the analysis, no finding drawn from messages that were not analysed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes, budgetForFirst } from '../engine/analyze.ts';
import type { AnalyzeOptions } from '../engine/analyze.ts';
import type { Report, ReportCall } from '../report/report.ts';
import type { Verdict } from './verdict.ts';
import { verdicts } from './verdict.ts';
import type { Finding } from '../report/report.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');
function verdictOf(c: ReportCall | undefined): Verdict {
  expect(c?.verdict).toBeTruthy();
  return c!.verdict as Verdict;
}
const load = async (id: string, file = 'capture.pcap', o: AnalyzeOptions = {}): Promise<Report> =>
  (await analyzeBytes(new Uint8Array(fs.readFileSync(path.join(SAMPLES, id, file))), o)).report;
/** The memory budget that keeps a sample's first `count` SIP messages and no more. */
const budgetKeeping = async (id: string, count: number): Promise<number> =>
  budgetForFirst((await analyzeBytes(new Uint8Array(fs.readFileSync(path.join(SAMPLES, id, 'capture.pcap'))))).messages, count);

describe('verdict', () => {
  it('05b: the BYE lost on a new connection is traced back to the Contact without port, with the finding indices', async () => {
    const r = await load('05b-bye-new-tcp-connection');
    const v = verdictOf(r.calls.find((x) => x.callId === '1-6376@127.0.0.1'));
    expect(r.findings[v.rootCause]?.kind).toBe('contact-missing-port');
    expect(v.symptoms.map((i) => r.findings[i]?.kind)).toEqual(['new-connection-mid-dialog', 'bye-not-delivered']);
    expect(v.text.split(' ← ')).toHaveLength(3);
    expect(v.text.endsWith(r.findings[v.rootCause]!.title)).toBe(true);
    for (const i of [v.rootCause, ...v.symptoms]) expect(r.findings[i]?.callId).toBe('1-6376@127.0.0.1');
  });

  it('05 with its keylog: the TLS handshake reset sits between the new connection and the lost BYE', async () => {
    const keyLog = fs.readFileSync(path.join(SAMPLES, '05-bye-new-tls-connection/keylog.txt'), 'utf8');
    const r = await load('05-bye-new-tls-connection', 'capture.pcap', { keyLog });
    const v = verdictOf(r.calls.find((c) => c.kind === 'call'));
    expect(r.findings[v.rootCause]?.kind).toBe('contact-missing-port');
    expect(v.symptoms.map((i) => r.findings[i]?.kind)).toEqual(['new-connection-mid-dialog', 'tls-handshake-failed', 'bye-not-delivered']);
  });

  it('03: the root cause of the timed-out INVITE is the Via without rport', async () => {
    const r = await load('03-408-behind-nat');
    const v = verdictOf(r.calls[0]);
    expect(r.findings[v.rootCause]?.kind).toBe('via-missing-rport');
    expect(v.symptoms.map((i) => r.findings[i]?.kind)).toEqual(expect.arrayContaining(['response-to-wrong-port', 'invite-timeout']));
  });

  it('several findings of one kind are one link, and the root link is the root cause itself', () => {
    const f = (kind: Finding['kind'], title: string, frame: number): Finding => ({ kind, severity: 'error', callId: 'c', frames: [frame], title, explanation: '', references: [], fix: '' });
    // A BYE tried on three new connections, each failing (the root kind, three times), then lost.
    const findings = [f('bye-not-delivered', 'BYE lost', 40), f('new-connection-mid-dialog', 'new connection #2', 10), f('new-connection-mid-dialog', 'new connection #3', 20), f('new-connection-mid-dialog', 'new connection #4', 30)];
    const v = verdicts(findings).get('c')!;
    expect(findings[v.rootCause]!.title).toBe('new connection #2');
    expect(v.text).toBe('BYE lost ← new connection #2');
    expect(v.symptoms).toEqual([2, 3, 0]);
  });

  it('healthy calls have no verdict (samples 04, 10)', async () => {
    for (const id of ['04-rport-good', '10-good-tcp']) {
      const r = await load(id);
      expect(r.calls.every((c) => c.verdict === null)).toBe(true);
    }
  });
});

describe('honest truncation (memory budget)', () => {
  it('07: a call cut before its BYE is "not analysed to the end", and the findings about its missing messages are withdrawn', async () => {
    const full = await load('07-udp-binding-expired');
    // The first 20 of its 32 messages: the cut falls among the BYE's retransmissions, before its 408.
    const cut = await load('07-udp-binding-expired', 'capture.pcap', { memoryBudgetBytes: await budgetKeeping('07-udp-binding-expired', 20) });
    const id = '1-30378@203.0.113.20';
    expect(full.calls.find((c) => c.callId === id)).toMatchObject({ teardown: 'failed' });
    expect(cut.capture.messagesNotKept).toBeGreaterThan(0);
    expect(cut.calls.find((c) => c.callId === id)).toMatchObject({ outcome: 'answered', teardown: 'not-analysed', notAnalysedToEnd: true });
    const kinds = (r: Report) => r.findings.filter((f) => f.callId === id).map((f) => f.kind);
    expect(kinds(full)).toEqual(expect.arrayContaining(['bye-not-delivered', 'dialog-not-terminated', 'nat-binding-expired']));
    for (const k of ['bye-not-delivered', 'dialog-not-terminated', 'nat-binding-expired']) expect(kinds(cut)).not.toContain(k);
    // What the analysed messages do show stays.
    expect(kinds(cut)).toContain('sdp-private-address');
    expect(cut.warnings[0]?.message).toMatch(/^memory budget reached after \d+ SIP messages/);
  });

  it('06: the TCP connection closed after the cut is not blamed on a dialog whose end was not analysed; the connection itself is reported as it was', async () => {
    const full = await load('06-tcp-closed-mid-call');
    // The first 19 of its 22 messages: the cut falls among the BYE's retransmissions, before its 408.
    const cut = await load('06-tcp-closed-mid-call', 'capture.pcap', { memoryBudgetBytes: await budgetKeeping('06-tcp-closed-mid-call', 19) });
    expect(full.findings.map((f) => f.kind)).toContain('connection-closed-mid-dialog');
    expect(cut.findings.map((f) => f.kind)).not.toContain('connection-closed-mid-dialog');
    expect(cut.calls.find((c) => c.kind === 'call')?.teardown).toBe('not-analysed');
    // Every packet is still read: the connections (opened, closed, by whom) are the same facts.
    const conn = (r: Report) => r.connections.map((c) => ({ id: c.id, openedFrame: c.openedFrame, closedFrame: c.closedFrame, closedBy: c.closedBy }));
    expect(conn(cut)).toEqual(conn(full));
  });
});
