/**
 * One verdict per call (src/analysis/verdict.ts) and honest truncation (src/analysis/truncation.ts)
 * on the lab samples: the root cause first with its symptoms linked, and, when the memory budget
 * cuts the analysis, no finding drawn from messages that were not analysed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { AnalyzeOptions } from '../engine/analyze.ts';
import type { Report } from '../engine/report.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');
const load = async (id: string, file = 'capture.pcap', o: AnalyzeOptions = {}): Promise<Report> =>
  (await analyzeBytes(new Uint8Array(fs.readFileSync(path.join(SAMPLES, id, file))), o)).report;

describe('verdict', () => {
  it('05b: BYE never delivered ← new connection mid-dialog ← Contact without port, with the finding indices', async () => {
    const r = await load('05b-bye-new-tcp-connection');
    const c = r.calls.find((x) => x.callId === '1-6376@127.0.0.1');
    const v = c?.verdict;
    expect(v?.text).toBe('BYE never delivered ← new connection opened mid-dialog ← Contact without port');
    expect(r.findings[v!.rootCause]?.kind).toBe('contact-missing-port');
    expect(v!.symptoms.map((i) => r.findings[i]?.kind)).toEqual(['new-connection-mid-dialog', 'bye-not-delivered']);
    for (const i of [v!.rootCause, ...v!.symptoms, ...v!.unrelated]) expect(r.findings[i]?.callId).toBe('1-6376@127.0.0.1');
  });

  it('05 with its keylog: the TLS handshake reset joins the chain between the new connection and the lost BYE', async () => {
    const keyLog = fs.readFileSync(path.join(SAMPLES, '05-bye-new-tls-connection/keylog.txt'), 'utf8');
    const r = await load('05-bye-new-tls-connection', 'capture.pcap', { keyLog });
    const v = r.calls.find((c) => c.kind === 'call')?.verdict;
    expect(r.findings[v!.rootCause]?.kind).toBe('contact-missing-port');
    expect(v!.text).toMatch(/TLS handshake failed ← new connection opened mid-dialog ← Contact without port/);
  });

  it('03: the INVITE timed out because responses went to the wrong port, because the Via had no rport', async () => {
    const r = await load('03-408-behind-nat');
    const v = r.calls[0]?.verdict;
    expect(r.findings[v!.rootCause]?.kind).toBe('via-missing-rport');
    expect(v!.text.startsWith('INVITE timed out ← responses sent to the wrong port ← Via without rport')).toBe(true);
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
    const cut = await load('07-udp-binding-expired', 'capture.pcap', { memoryBudgetBytes: 100_000 });
    const id = '1-9721@203.0.113.20';
    expect(full.calls.find((c) => c.callId === id)).toMatchObject({ teardown: 'failed' });
    expect(cut.capture.messagesNotKept).toBeGreaterThan(0);
    expect(cut.calls.find((c) => c.callId === id)).toMatchObject({ outcome: 'answered', teardown: 'not-analysed', outcomeSummary: 'answered · not analysed to the end' });
    const kinds = (r: Report) => r.findings.filter((f) => f.callId === id).map((f) => f.kind);
    expect(kinds(full)).toEqual(expect.arrayContaining(['bye-not-delivered', 'dialog-not-terminated', 'nat-binding-expired']));
    for (const k of ['bye-not-delivered', 'dialog-not-terminated', 'nat-binding-expired']) expect(kinds(cut)).not.toContain(k);
    // What the analysed messages do show stays.
    expect(kinds(cut)).toContain('sdp-private-address');
    expect(cut.warnings[0]?.message).toMatch(/1 call\(s\) still open there are not analysed to the end and \d+ findings that would rest on their missing messages were withdrawn/);
  });

  it('06: the TCP connection closed after the cut is not blamed on a dialog whose end was not analysed; the connection itself is reported as it was', async () => {
    const full = await load('06-tcp-closed-mid-call');
    const cut = await load('06-tcp-closed-mid-call', 'capture.pcap', { memoryBudgetBytes: 120_000 });
    expect(full.findings.map((f) => f.kind)).toContain('connection-closed-mid-dialog');
    expect(cut.findings.map((f) => f.kind)).not.toContain('connection-closed-mid-dialog');
    expect(cut.calls.find((c) => c.kind === 'call')?.teardown).toBe('not-analysed');
    // Every packet is still read: the connections (opened, closed, by whom) are the same facts.
    const conn = (r: Report) => r.connections.map((c) => ({ id: c.id, openedFrame: c.openedFrame, closedFrame: c.closedFrame, closedBy: c.closedBy }));
    expect(conn(cut)).toEqual(conn(full));
  });
});
