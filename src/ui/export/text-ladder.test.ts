/** The plain-text and Mermaid exports of a ladder layout. */
import { describe, expect, it } from 'vitest';
import type { Finding, ReportMessage } from '../../report/report.ts';
import { isoMicros } from '../../report/report.ts';
import { defaultViewState } from '../../state/view-state.ts';
import { layoutLadder } from '../ladder/layout.ts';
import { mermaidLadder, textLadder } from './text-ladder.ts';

const T0 = Date.UTC(2024, 4, 1, 12) * 1000;
const ms: ReportMessage[] = [];
const add = (src: string, dst: string, p: Partial<ReportMessage>): void => {
  const index = ms.length;
  ms.push({ index, frame: index + 1, firstFrame: index + 1, frames: [index + 1], time: isoMicros(T0 + index * 1000), timeUs: T0 + index * 1000, src, dst, transport: 'udp', connection: null, callId: 'c1', cseq: '1 INVITE', retransmission: false, encapsulation: null, startLine: '', hasSdp: false, ...p });
};
add('10.0.0.1:5060', '10.0.0.2:5060', { method: 'INVITE', hasSdp: true });
add('10.0.0.1:5060', '10.0.0.2:5060', { method: 'INVITE', hasSdp: true, retransmission: true, retransmissionOf: 0 });
add('10.0.0.2:5060', '10.0.0.1:5060', { status: 200, reason: 'OK' });
add('10.0.0.1:5060', '10.0.0.3:5060', { method: 'ACK', cseq: '1 ACK' });
const finding: Finding = { kind: 'in-dialog-request-misrouted', severity: 'error', callId: 'c1', frames: [4], title: 'ACK sent to the wrong host', explanation: '', references: [], fix: '', expected: { messageFrame: 4, from: '10.0.0.1:5060', to: '10.0.0.2:5060', reason: 'Contact' } };
const v = defaultViewState();
const layout = layoutLadder({ messages: ms, callIds: ['c1'], hosts: { ...v.hosts, names: { '10.0.0.2': 'proxy' } }, unfolded: [], timeMode: 'call', selectedMessage: null, findings: [finding] });

describe('textLadder', () => {
  const text = textLadder(layout, { findings: [finding], callIds: ['c1'] });
  const lines = text.split('\n');
  it('draws hosts as columns and each arrow in order, pointing the right way', () => {
    expect(lines[0]).toBe('Call-ID: c1');
    expect(lines[1]).toMatch(/time\s+frame\s+10\.0\.0\.1\s+proxy\s+10\.0\.0\.3/);
    const invite = lines.find((l) => l.includes('INVITE'))!;
    expect(invite).toMatch(/^\+0\.000000\s+#1\s+\|-+ INVITE \(SDP\) x2 -+>\|/);
    const ok = lines.find((l) => l.includes('200 OK'))!;
    expect(ok).toMatch(/\|<-+ 200 OK -+\|/);
    const ack = lines.find((l) => l.includes('ACK'))!;
    expect(ack.indexOf('ACK')).toBeGreaterThan(ok.indexOf('200'));
    expect(lines.indexOf(invite)).toBeLessThan(lines.indexOf(ok));
  });
  it('annotates findings and ghost arrows', () => {
    expect(text).toContain('[ERROR] ACK sent to the wrong host');
    expect(text).toMatch(/ghost.*should have gone to 10\.0\.0\.2:5060.*>\|/);
  });
});

describe('mermaidLadder', () => {
  it('writes participants, solid requests, dashed responses, notes and the ghost', () => {
    const m = mermaidLadder(layout, { findings: [finding] });
    expect(m.split('\n').slice(0, 4)).toEqual(['sequenceDiagram', '  participant H0 as 10.0.0.1:5060', '  participant H1 as proxy (10.0.0.2:5060)', '  participant H2 as 10.0.0.3:5060']);
    expect(m).toContain('  H0->>H1: INVITE (SDP) x2 [frame 1]');
    expect(m).toContain('  H1-->>H0: 200 OK [frame 3]');
    expect(m).toContain('  Note over H0,H2: ERROR: ACK sent to the wrong host');
    expect(m).toContain('  H0--xH1: should have gone to 10.0.0.2:5060');
    expect(m).not.toMatch(/[;#]/);
  });
});

describe('mermaidLadder with hostile capture text', () => {
  it('writes markup, entity and comment characters from the capture as Mermaid entity codes', () => {
    const hostile: ReportMessage[] = [];
    const reason = 'OK <img src=x onerror=alert(1)> & "q" #59; %%{init}%% `x`\r\nparticipant Evil';
    hostile.push({ index: 0, frame: 1, firstFrame: 1, frames: [1], time: isoMicros(T0), timeUs: T0, src: '10.0.0.1:5060', dst: '10.0.0.2:5060', transport: 'udp', connection: null, callId: 'c9', cseq: '1 INVITE', retransmission: false, encapsulation: null, startLine: '', hasSdp: false, status: 200, reason });
    const bad: Finding = { ...finding, callId: 'c9', frames: [1], title: 'Title with <b>bold</b>; and #hash', expected: null };
    const l = layoutLadder({ messages: hostile, callIds: ['c9'], hosts: { ...v.hosts, names: { '10.0.0.2': '<script>x</script>' } }, unfolded: [], timeMode: 'call', selectedMessage: null, findings: [bad] });
    const m = mermaidLadder(l, { findings: [bad] });
    const lines = m.trimEnd().split('\n');
    // Every line is one statement: the CR/LF in the reason did not start a new one.
    expect(lines.filter((x) => x.startsWith('  participant'))).toHaveLength(2);
    expect(lines).toHaveLength(5); // header, 2 participants, the 200 OK, the note
    for (const line of lines.slice(1)) {
      const text = line.slice(line.indexOf(line.includes(' as ') ? ' as ' : ':') + 1);
      expect(text).not.toMatch(/[<>&"`%{}]/);
    }
    expect(m).toContain('#60;img src=x onerror=alert(1)#62;');
    expect(m).toContain('#60;script#62;x#60;/script#62;');
    expect(m).toContain('#35;59#59;');
    expect(m).toContain('Title with #60;b#62;bold#60;/b#62;#59; and #35;hash');
  });
});
