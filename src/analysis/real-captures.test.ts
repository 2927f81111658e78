/**
 * Finding kinds proven on real captures beyond what the lab manifests list: public captures made
 * by others, and findings a lab sample shows that its manifest does not name. Each row was read
 * against tshark (`-T fields -e frame.number -e ip.src -e sip.Method -e sip.Contact …`) once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');

const CASES: Array<{ file: string; kind: string; severity: string; callId: string | null; frames: number[]; why: string }> = [
  {
    file: path.join(PUBLIC, 'wireshark-wiki/MSCML.pcap'),
    kind: 'in-dialog-request-misrouted',
    severity: 'info',
    callId: '1-6717@15.128.169.229',
    frames: [10, 11],
    why: 'SIPp on loopback: the 200 OK (frame 9) has Contact <sip:15.128.169.229:5061;transport=UDP> but the ACK (10) and BYE (11) go to 127.0.0.1:5061; delivered (the same host), so info',
  },
  {
    file: path.join(SAMPLES, '06-tcp-closed-mid-call/capture.pcap'),
    kind: 'dialog-not-terminated',
    severity: 'error',
    callId: '1-7830@203.0.113.20',
    frames: [20, 31, 47],
    why: 'the BYE toward the NATed UA (31…47) never gets through after the TCP connection closed, so its leg stays up',
  },
  {
    file: path.join(SAMPLES, '07-udp-binding-expired/capture.pcap'),
    kind: 'dialog-not-terminated',
    severity: 'error',
    callId: '1-9721@203.0.113.20',
    frames: [13, 22],
    why: 'the BYE after the UDP binding expired never reaches the UA',
  },
  {
    file: path.join(PUBLIC, 'snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap'),
    kind: 'ack-missing',
    severity: 'error',
    callId: 'N2EwNWNiYmM5NDJkMzIwNmYzNzBlNjA5Mzk1ZWNhODk.',
    frames: [10, 73, 193, 443, 938, 1438, 1979, 2530, 3049, 3303, 3588],
    why: 'eyeBeam: the 200 OK carries a loopback Contact and is retransmitted for 32 s with no ACK, then BYE',
  },
  {
    file: path.join(PUBLIC, 'sngrep/aaa.pcap'),
    kind: 'invite-timeout',
    severity: 'error',
    callId: '105090259-446faf7a@192.168.1.2',
    frames: [223, 225, 227, 252],
    why: 'INVITE retransmitted at Timer A intervals, then 408',
  },
  {
    file: path.join(PUBLIC, 'ndpi/fuzz-2006-06-26-2594.pcap'),
    kind: 'malformed-sip',
    severity: 'warning',
    callId: null,
    frames: [108],
    why: 'a fuzzed 401 with NUL bytes in its status line',
  },
];

describe('finding kinds on real captures', () => {
  for (const c of CASES) {
    it(`${c.kind} in ${path.basename(path.dirname(c.file))}/${path.basename(c.file)}: ${c.why}`, async () => {
      const { report } = await analyzeBytes(new Uint8Array(readFileSync(c.file)));
      const hit = report.findings.find((f) => f.kind === c.kind && f.callId === c.callId && c.frames.every((fr) => f.frames.includes(fr)));
      const seen = report.findings.map((f) => `${f.severity} ${f.kind} ${f.callId} [${f.frames.slice(0, 15).join(',')}]`);
      expect(hit, `not found; the report has:\n${seen.join('\n')}`).toBeDefined();
      expect(hit!.severity).toBe(c.severity);
    });
  }
});
