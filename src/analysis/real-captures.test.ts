/**
 * Finding kinds proven on real captures beyond what the lab manifests list: public captures made
 * by others, and findings a lab sample shows that its manifest does not name. Each row was read
 * against tshark (`-T fields -e frame.number -e ip.src -e sip.Method -e sip.Contact …`) once.
 */
import fs, { readFileSync } from 'node:fs';
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
    callId: '1-30378@203.0.113.20',
    frames: [14, 22],
    why: 'the BYE after the UDP binding expired never reaches the UA',
  },
  {
    file: path.join(SAMPLES, '07-udp-binding-expired/capture-lan.pcap'),
    kind: 'nat-binding-expired',
    severity: 'warning',
    callId: '1-30378@203.0.113.20',
    frames: [7, 19],
    why: 'seen from inside the NAT: the ACK (7) is the last packet on the phone\'s SIP flow, its RTCP runs on for 60 s (19) with no keep-alive and no BYE',
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
    frames: [223, 225, 227, 228, 252],
    why: 'INVITE retransmitted at Timer A intervals, a 100 Trying 2.2 s later, CANCEL, then 408',
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

describe('explanations agree with the capture', () => {
  it('aaa.pcap: the invite-timeout says a 100 Trying came back, when it did', async () => {
    const { report } = await analyzeBytes(new Uint8Array(readFileSync(path.join(PUBLIC, 'sngrep/aaa.pcap'))));
    const f = report.findings.find((x) => x.kind === 'invite-timeout')!;
    expect(f.title).toBe('INVITE to 200.68.120.81:5060 retransmitted 2 times without a final answer, then 408');
    expect(f.explanation).toContain('only a 100 Trying came back (frame 228, 2.2 s after the INVITE)');
    expect(f.explanation).toContain('The caller gave up and sent CANCEL (frame 247, 34 s after the INVITE)');
    expect(f.explanation).not.toMatch(/no provisional|no response at all/);
  });

  it('sip_tcp_websocket.pcap: a WebSocket client\'s standard Contact (….invalid;transport=ws;ob, frame 11) is not told to add a port or ;ob', async () => {
    const { report } = await analyzeBytes(new Uint8Array(readFileSync(path.join(PUBLIC, 'heplify/sip_tcp_websocket.pcap'))));
    const invite = report.messages.find((m) => m.frame === 11);
    expect(invite, 'the INVITE over WebSocket is read').toBeDefined();
    expect(report.findings.filter((f) => f.kind === 'contact-missing-port').map((f) => f.title)).toEqual([]);
  });

  /** Every SIP, ICMP, TCP/TLS or RTP frame a report knows of. */
  function knownFrames(r: Awaited<ReturnType<typeof analyzeBytes>>['report']): Set<number> {
    const s = new Set<number>();
    for (const m of r.messages) for (const f of [m.frame, ...((m as { frames?: number[] }).frames ?? [])]) s.add(f);
    for (const i of r.icmp ?? []) s.add(i.frame);
    for (const c of r.connections) {
      for (const f of [c.openedFrame, c.closedFrame, ...((c.closeEvents as Array<{ frame: number }> | undefined) ?? []).map((e) => e.frame)]) if (typeof f === 'number') s.add(f);
      const t = c.tls as Record<string, unknown> | null;
      for (const k of ['clientHelloFrame', 'serverHelloFrame', 'alertFrame']) if (typeof t?.[k] === 'number') s.add(t[k] as number);
    }
    for (const st of r.rtpStreams) { s.add(st.firstFrame); s.add(st.lastFrame); }
    return s;
  }

  it('every frame a finding cites, in its frames or its words, is in the capture', async () => {
    const files = [
      ...fs.readdirSync(SAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => ['capture.pcap', 'capture-lan.pcap'].map((f) => path.join(SAMPLES, d.name, f))),
      ...['sngrep/aaa.pcap', 'snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap', 'snort3-demo/digium.pcap', 'wireshark-wiki/MSCML.pcap', 'heplify/erspan_sip_ipv4_udp.pcapng'].map((f) => path.join(PUBLIC, f)),
    ].filter((f) => fs.existsSync(f));
    let checked = 0;
    for (const file of files) {
      const { report } = await analyzeBytes(new Uint8Array(readFileSync(file)));
      const known = knownFrames(report);
      for (const f of report.findings) {
        for (const fr of f.frames) expect(fr, `${file}: ${f.kind} cites frame ${fr}`).toBeLessThanOrEqual(report.capture.packets);
        // "frame 12", "frames 3, 5 and 7", "frames 12–15": every number after the word frame(s),
        // but not a duration that follows a comma ("frame 65, 32 s after …").
        for (const m of f.explanation.matchAll(/frames? ((?:\d+(?![\d.]* ?(?:ms|s|min)\b)(?:, | and |–|-)?)+)/g)) {
          for (const n of m[1]!.match(/\d+/g) ?? []) {
            const fr = Number(n);
            expect(fr >= 1 && fr <= report.capture.packets, `${file}: ${f.kind} says frame ${fr} of ${report.capture.packets}: ${f.explanation}`).toBe(true);
            expect(known.has(fr) || f.frames.includes(fr), `${file}: ${f.kind} says frame ${fr}, which holds nothing it could mean: ${f.explanation}`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
