import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { Analysis } from '../engine/analyze.ts';
import { buildBundle, SECTION_COMMENT_PREFIX } from './bundle.ts';
import type { BundleOptions, ViewInput } from './bundle.ts';
import { parseIpv4, ipv4Class } from './addresses.ts';
import { decodeShareFragment, encodeShareFragment } from './fragment.ts';
import { scanBytes } from './scan.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const KEY = new Uint8Array(32).fill(3);

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function load(rel: string): Promise<{ bytes: Uint8Array; a: Analysis }> {
  const bytes = new Uint8Array(fs.readFileSync(path.join(PUBLIC, rel)));
  return { bytes, a: await analyzeBytes(bytes) };
}

function viewOf(a: Analysis, calls = a.report.calls.map((c) => c.callId)): ViewInput {
  const first = a.report.messages.find((m) => m.callId === calls[0])!;
  return {
    selectedCalls: calls,
    selectedMessage: first.index,
    hosts: { names: {}, groups: [], splitPorts: [], order: [] },
    timeMode: 'call',
    overlays: { findings: true, ghosts: true, connections: true, rtp: true },
    unfolded: [],
    annotations: { [first.index]: `first message of ${calls[0]}` },
  };
}

const kinds = (a: Analysis): string[] => [...new Set(a.report.findings.map((f) => f.kind))].sort();

// Captures with different transports and findings: UDP, TCP, WebSocket, HEP, ERSPAN, IPv6
// fragments, RTP one-way audio, malformed SIP, private-address findings.
const CAPTURES = [
  'sngrep/aaa.pcap',
  'heplify/sip_ipv4_tcp.pcap',
  'heplify/sip_ipv4_tcp_fragmented.pcap',
  'heplify/sip_tcp_websocket.pcap',
  'heplify/erspan_sip_ipv4_udp.pcapng',
  'hep-wireshark/hep.pcap',
  'sngrep/ipv6frag.pcap',
  'wireshark-wiki/sip-rtp-g711.pcap',
  'ndpi/fuzz-2006-06-26-2594.pcap',
  'snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap',
];

describe('bundle re-analysed', () => {
  for (const rel of CAPTURES) {
    for (const options of [
      { anonymise: false, callIds: false, rtpPackets: false },
      { anonymise: true, callIds: false, rtpPackets: false },
      { anonymise: true, callIds: true, rtpPackets: false },
    ] satisfies BundleOptions[]) {
      it(`${rel} ${options.anonymise ? `anonymised${options.callIds ? ' + Call-IDs' : ''}` : 'as is'}: same calls, same finding kinds`, async () => {
        const { bytes, a } = await load(rel);
        expect(a.report.calls.length).toBeGreaterThan(0);
        const b = await buildBundle({ report: a.report, messages: a.messages, scan: scanBytes(bytes) }, viewOf(a), { ...options, key: KEY });
        const again = await analyzeBytes(b.capture);
        expect(again.report.calls.length).toBe(a.report.calls.length);
        expect(kinds(again)).toEqual(kinds(a));
        expect([...new Set(b.view.findings.map((f) => f.kind))].sort()).toEqual(kinds(a));
        // The selected message and the note point at the same message in the new capture.
        const sel = again.report.messages.find((m) => m.frame === b.view.message);
        const orig = a.report.messages.find((m) => m.index === viewOf(a).selectedMessage)!;
        expect(sel?.startLine.split(' ')[0]).toBe(orig.startLine.split(' ')[0]);
        expect(b.view.notes[0]?.frame).toBe(b.view.message);
        expect(again.report.calls.map((c) => c.callId).sort()).toEqual([...b.view.calls].sort());
      }, 60_000);
    }
  }

  it('a single selected call carries only that call', async () => {
    const { bytes, a } = await load('sngrep/aaa.pcap');
    const call = a.report.calls.find((c) => c.messageCount > 3)!;
    const b = await buildBundle({ report: a.report, messages: a.messages, scan: scanBytes(bytes) }, viewOf(a, [call.callId]), { anonymise: false, callIds: false, rtpPackets: false });
    const again = await analyzeBytes(b.capture);
    expect(again.report.calls.map((c) => c.callId)).toEqual([call.callId]);
    expect(again.report.messages.length).toBe(call.messageCount);
  });
});

describe('anonymised bundle', () => {
  // Captures whose SIP carries phone numbers and public addresses.
  for (const rel of ['wireshark-wiki/filenameGRE199---fax-iz-InLife-G711---OK!!!.cap', 'wireshark-wiki/wireuploaded.pcap', 'heplify/erspan_sip_ipv4_udp.pcapng', 'wireshark-wiki/MagicJack-_short_call.pcap', 'wireshark-wiki/DTMFsipinfo.pcap']) {
    it(`${rel}: holds none of the original numbers or public addresses`, async () => {
      const { bytes, a } = await load(rel);
      const b = await buildBundle({ report: a.report, messages: a.messages, scan: scanBytes(bytes) }, viewOf(a), { anonymise: true, callIds: false, rtpPackets: false, key: KEY });
      const text = Buffer.from(b.capture).toString('latin1');
      const numbers = new Set<string>();
      const publics = new Set<string>();
      for (const m of a.messages) {
        // User-Agent/Server are kept on purpose (product versions look like addresses).
        const raw = m.raw.replace(/^(User-Agent|Server):.*$/gim, '');
        for (const u of raw.matchAll(/(?:sips?|tel):\+?(\d{4,})[@;>]/g)) numbers.add(u[1]!);
        for (const ip of [m.src.ip, m.dst.ip, ...[...raw.matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g)].map((x) => x[0])]) {
          const v = parseIpv4(ip);
          if (v !== null && ipv4Class(v) === 'public') publics.add(ip);
        }
      }
      expect(numbers.size + publics.size).toBeGreaterThan(0);
      for (const n of numbers) expect(text, `number ${n}`).not.toContain(n);
      for (const ip of publics) {
        expect(text, `address ${ip}`).not.toMatch(new RegExp(`(?<![\\d.])${ip.replace(/\./g, '\\.')}(?![\\d])`));
        // …nor in binary, as an IP header field.
        const bin = Buffer.from(ip.split('.').map(Number));
        expect(Buffer.from(b.capture).includes(bin), `binary ${ip}`).toBe(false);
      }
      // Private hosts stay private: every address in the new capture has the class of its original.
      const again = await analyzeBytes(b.capture);
      const classes = (an: Analysis) => an.report.messages.map((m) => { const v = parseIpv4(m.src.split(':')[0]!); return v === null ? 'v6' : ipv4Class(v); });
      expect(classes(again)).toEqual(classes(a));
    }, 60_000);
  }
});

describe('exported pcapng', () => {
  const tshark = hasTshark();
  it.skipIf(!tshark)('opens in tshark with the notes as frame.comment (skipped only when tshark is not on PATH)', async () => {
    const { bytes, a } = await load('heplify/sip_ipv4_tcp.pcap');
    const view = viewOf(a);
    const second = a.report.messages[1]!;
    view.annotations[second.index] = 'Note two, with "quotes" & ünïcode';
    const b = await buildBundle({ report: a.report, messages: a.messages, scan: scanBytes(bytes) }, view, { anonymise: true, callIds: false, rtpPackets: false, key: KEY });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sipladder-share-')), 'shared.pcapng');
    fs.writeFileSync(file, b.capture);
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.comment', '-Y', 'frame.comment'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toEqual(b.view.notes.map((n) => [String(n.frame), n.text]));
    expect(rows.map((r) => r[1])).toContain('Note two, with "quotes" & ünïcode');
    const sip = execFileSync('tshark', ['-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(sip.trim().split('\n').length).toBe(a.report.messages.length);
  }, 60_000);

  it('carries the view state in the section comment, readable as a share fragment', async () => {
    const { bytes, a } = await load('sngrep/aaa.pcap');
    const b = await buildBundle({ report: a.report, messages: a.messages, scan: scanBytes(bytes) }, viewOf(a), { anonymise: false, callIds: false, rtpPackets: false });
    // Section Header Block: type, length, magic, version, section length (24 bytes), then the
    // first option: code 1 (opt_comment), its length, its text.
    const dv = new DataView(b.capture.buffer, b.capture.byteOffset);
    expect(dv.getUint32(0, true)).toBe(0x0a0d0d0a);
    expect(dv.getUint16(24, true)).toBe(1);
    const comment = Buffer.from(b.capture.subarray(28, 28 + dv.getUint16(26, true))).toString('utf8');
    expect(comment.startsWith(SECTION_COMMENT_PREFIX)).toBe(true);
    const frag = comment.slice(SECTION_COMMENT_PREFIX.length);
    const r = await decodeShareFragment(frag);
    expect(r.ok && r.value.view).toEqual(b.view);
  });

  it('round-trips through a link: the capture and view come back whole', async () => {
    const { bytes, a } = await load('sngrep/aaa.pcap');
    const call = a.report.calls.find((c) => c.messageCount > 3)!;
    const b = await buildBundle({ report: a.report, messages: a.messages, scan: scanBytes(bytes) }, viewOf(a, [call.callId]), { anonymise: true, callIds: false, rtpPackets: false, key: KEY });
    const frag = await encodeShareFragment(b.view, b.capture);
    const r = await decodeShareFragment(`#${frag}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.capture?.complete).toBe(true);
    expect(Buffer.from(r.value.capture!.bytes).equals(Buffer.from(b.capture))).toBe(true);
    expect(r.value.view).toEqual(b.view);
    // A typical call: the link stays under the 8,000 characters most chat tools keep.
    expect(frag.length).toBeLessThan(8000);
    // Cut in half: what survives still analyses, with fewer messages.
    const cut = await decodeShareFragment(`#${frag.slice(0, Math.floor(frag.length * 0.7))}`);
    expect(cut.ok && cut.value.capture?.complete).toBe(false);
    if (!cut.ok) return;
    const partial = await analyzeBytes(cut.value.capture!.bytes);
    expect(partial.report.messages.length).toBeGreaterThan(0);
    expect(partial.report.messages.length).toBeLessThan(call.messageCount);
    expect(partial.report.warnings.length).toBeGreaterThan(0);
  });
});
