/**
 * SIP over TLS 1.3 decrypted end to end on the lab samples (real kamailio/openssl/sipp traffic,
 * TLS_AES_256_GCM_SHA384): capture + keylog.txt → the SIP messages at the frames tshark shows
 * with the same key log (`tshark -r capture.pcap -o tls.keylog_file:keylog.txt -Y sip`, tshark
 * 4.0.17). The key log reaches the engine both ways it can: `AnalyzeOptions.keyLog`, and a pcapng
 * Decryption Secrets Block written by `editcap --inject-secrets tls,keylog.txt`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from './analyze.ts';
import type { Report } from '../report/report.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');
const dir = (name: string): string => path.join(SAMPLES, name);
const capture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir(name), 'capture.pcap')));
const keyLog = (name: string): string => readFileSync(path.join(dir(name), 'keylog.txt'), 'utf8');

/** "frame what" per SIP message, e.g. "8 INVITE", "11 180". */
function rows(r: Report): string[] {
  return r.messages.map((m) => `${m.frame} ${m.method ?? m.status ?? '?'}`);
}

/** What tshark shows with the key log (frame numbers and method/status), when tshark is here. */
function tsharkRows(name: string): string[] | null {
  const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const out = execFileSync(
    'tshark',
    ['-r', path.join(dir(name), 'capture.pcap'), '-o', `tls.keylog_file:${path.join(dir(name), 'keylog.txt')}`, '-Y', 'sip', '-T', 'fields', '-e', 'frame.number', '-e', 'sip.Method', '-e', 'sip.Status-Code'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [frame, method, status] = l.split('\t');
      return `${frame} ${method || status}`;
    });
}

const hasEditcap = spawnSync('editcap', ['--version'], { encoding: 'utf8' }).status === 0;

describe('05-bye-new-tls-connection (TLS 1.3)', () => {
  const name = '05-bye-new-tls-connection';
  const expected = ['8 INVITE', '11 180', '13 200', '15 ACK', '732 BYE', '734 481'];

  it('with its keylog.txt: the SIP tshark shows, on connection 1, as TLS', async () => {
    const { report } = await analyzeBytes(capture(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(expected);
    expect(report.messages.every((m) => m.transport === 'tls' && m.connection === 1)).toBe(true);
    expect(report.messages.map((m) => m.src)).toEqual([
      '203.0.113.20:54564', '203.0.113.1:5061', '203.0.113.1:5061', '203.0.113.20:54564', '203.0.113.20:54564', '203.0.113.1:5061',
    ]);
    expect(report.messages.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // The 200's record started in frame 11 and ended in frame 13 (tshark: "#11(639), #13(220)").
    expect(report.messages[2]!.frames).toEqual([11, 13]);
    expect(report.messages[2]!.firstFrame).toBe(11);
    const conn = report.connections.find((c) => c.id === 1)!;
    expect(conn.transport).toBe('tls');
    expect(conn.messageFrames).toEqual([8, 11, 13, 15, 732, 734]);
    // The BYE is answered 481 inside one call: the model groups them.
    const callIds = new Set(report.messages.map((m) => m.callId));
    expect(callIds.size).toBe(1);
    expect(report.calls).toHaveLength(1);
    // Connection 2 (ClientHello answered by RST) has no protected record: nothing to warn about.
    expect(report.warnings.filter((w) => w.message.includes('TLS connection'))).toEqual([]);
  });

  it('agrees with tshark run on the same files', async (ctx) => {
    const t = tsharkRows(name);
    if (t === null) return ctx.skip('tshark is not installed');
    const { report } = await analyzeBytes(capture(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(t);
  });

  it('without a key log: no SIP, and a warning that says why', async () => {
    const { report } = await analyzeBytes(capture(name));
    expect(report.messages).toEqual([]);
    const w = report.warnings.filter((x) => x.message.startsWith('TLS connection #1 (203.0.113.20:54564 → 203.0.113.1:5061)'));
    expect(w.map((x) => x.message)).toEqual([
      'TLS connection #1 (203.0.113.20:54564 → 203.0.113.1:5061) is encrypted and no TLS key log was given (a pcapng with decryption secrets, or a key log file), so its SIP cannot be read',
    ]);
  });

  it("with another capture's key log: no SIP, and 'no key for its client random'", async () => {
    const { report } = await analyzeBytes(capture(name), { keyLog: keyLog('11-good-tls') });
    expect(report.messages).toEqual([]);
    expect(report.warnings.map((w) => w.message)).toContain(
      'TLS connection #1 (203.0.113.20:54564 → 203.0.113.1:5061): no key in the key log for its client random, its SIP cannot be read',
    );
  });

  it.skipIf(!hasEditcap)('from a pcapng whose Decryption Secrets Block carries the key log (editcap --inject-secrets), with no other input', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'sipladder-dsb-'));
    try {
      const out = path.join(tmp, 'capture.pcapng');
      execFileSync('editcap', ['--inject-secrets', `tls,${path.join(dir(name), 'keylog.txt')}`, path.join(dir(name), 'capture.pcap'), out], { stdio: 'ignore' });
      const { report } = await analyzeBytes(new Uint8Array(readFileSync(out)));
      expect(report.capture.format).toBe('pcapng');
      expect(report.capture.decryptionSecrets).toBe(1);
      expect(rows(report)).toEqual(expected);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('11-good-tls (TLS 1.3, two connections through a proxy)', () => {
  const name = '11-good-tls';
  // tshark -Y sip with keylog.txt: frames 12 … 39.
  const expected = [
    '12 INVITE', '13 100', '21 INVITE', '24 180', '26 200', '27 180', '29 200',
    '30 ACK', '31 ACK', '34 BYE', '36 BYE', '38 200', '39 200',
  ];

  it('with its keylog.txt: both legs, each on its own connection', async () => {
    const { report } = await analyzeBytes(capture(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(expected);
    const byConn = new Map(report.connections.map((c) => [c.id, c.messageFrames]));
    expect(byConn.get(1)).toEqual([12, 13, 27, 29, 30, 34, 39]);
    expect(byConn.get(2)).toEqual([21, 24, 26, 31, 36, 38]);
    expect(report.messages[4]!.frames).toEqual([24, 26]); // tshark: "#24(505), #26(545)"
    expect(report.warnings.filter((w) => w.message.includes('TLS connection'))).toEqual([]);
  });

  it('agrees with tshark run on the same files', async (ctx) => {
    const t = tsharkRows(name);
    if (t === null) return ctx.skip('tshark is not installed');
    const { report } = await analyzeBytes(capture(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(t);
  });
});

describe('sipladder analyze --keylog FILE (the CLI as a user runs it)', () => {
  const BIN = path.resolve(import.meta.dirname, '../../bin/sipladder.mjs');
  const name = '05-bye-new-tls-connection';

  it('decrypts with the key log given on the command line', () => {
    const out = execFileSync(process.execPath, [BIN, 'analyze', path.join(dir(name), 'capture.pcap'), '--keylog', path.join(dir(name), 'keylog.txt'), '--json'], { encoding: 'utf8' });
    const r = JSON.parse(out) as Report;
    expect(rows(r)).toEqual(['8 INVITE', '11 180', '13 200', '15 ACK', '732 BYE', '734 481']);
  });

  it('exits 2 with one line when the key log cannot be read', () => {
    const r = spawnSync(process.execPath, [BIN, 'analyze', path.join(dir(name), 'capture.pcap'), '--keylog=/nonexistent/keylog.txt'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('sipladder: /nonexistent/keylog.txt: key log could not be read: ENOENT');
  });

  it('labels RTP by the SDP that was inside TLS once it is decrypted (heuristic without the key log)', async () => {
    const name = '05-bye-new-tls-connection';
    const audio = (r: Report) => r.rtpStreams.filter((s) => s.kind === 'rtp').map((s) => `${s.src}>${s.dst} ${s.recognisedBy}`);
    const without = (await analyzeBytes(capture(name))).report;
    const withKeys = (await analyzeBytes(capture(name), { keyLog: keyLog(name) })).report;
    expect(audio(without).length).toBe(2);
    expect(audio(without).every((a) => a.endsWith(' heuristic'))).toBe(true);
    // Same streams, now known from the decrypted offer/answer.
    expect(audio(withKeys)).toEqual(audio(without).map((a) => a.replace(/ heuristic$/, ' sdp')));
  });
});

