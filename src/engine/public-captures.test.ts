/**
 * The engine against tshark on every public capture (test/captures/public/manifest.json):
 * the frames in which we find SIP, and the transport under it, must equal what tshark 4.0.17
 * dissected (src/engine/fixtures/tshark-sip.json, written by scripts/tshark-oracle.mjs). Where
 * we decode more (or less) than tshark, the file is named below with the reason, and what we do
 * find there is asserted instead.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from './analyze.ts';
import type { Report } from '../report/report.ts';

const ROOT = path.resolve(import.meta.dirname, '../../test/captures/public');
interface ManifestEntry { file: string; packets: number; sip_messages: number; transports: string[]; format: string }
interface OracleFrame { frame: number; transport: string; methods: string[]; statuses: number[]; callIds: string[] }
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8')) as ManifestEntry[];
const oracle = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/tshark-sip.json'), 'utf8')) as { files: Record<string, { frames: OracleFrame[] }> };

async function analyse(file: string): Promise<Report> {
  const bytes = new Uint8Array(readFileSync(path.join(ROOT, file)));
  return (await analyzeBytes(bytes)).report;
}

/** Frames → transports we found (one entry per frame, like tshark's -Y sip rows). */
function ourFrames(r: Report): Map<number, string> {
  const m = new Map<number, string>();
  for (const msg of r.messages) if (!m.has(msg.frame)) m.set(msg.frame, msg.transport);
  return m;
}

/** Files where we deliberately differ from tshark, with why and what we assert instead. */
const DIFFERENCES: Record<string, { why: string; check: (r: Report) => void }> = {
  'hep-wireshark/hep.pcap': {
    why: 'tshark 4.0.17 has no HEP dissector (0 SIP); we decode the 6 SIP messages inside HEP3 with the addresses HEP carries',
    check: (r) => {
      expect(r.messages).toHaveLength(6);
      expect(r.messages.every((m) => m.encapsulation?.includes('hep'))).toBe(true);
      expect(r.messages.map((m) => m.method ?? m.status).sort()).toEqual([100, 200, 407, 'INVITE', 'OPTIONS', 'PUBLISH'].sort());
    },
  },
  'hep-wireshark/hep3_compressed.pcap.pcapng': {
    why: 'tshark has no HEP dissector; the HEP3 payloads are gzip-compressed SIP, which we inflate',
    check: (r) => {
      expect(r.messages.length).toBeGreaterThan(0);
      expect(r.messages.every((m) => m.encapsulation?.includes('hep') && !m.malformed)).toBe(true);
    },
  },
  'ndpi/fuzz-2006-06-26-2594.pcap': {
    why: 'frames 108 and 348 are fuzzed SIP responses with NUL bytes in the status line and Via ("401 Unauthori%s\\0"); tshark shows them as data, we report them as malformed SIP (a malformed-sip finding each); every other frame matches tshark',
    check: (r) => {
      const extra = new Set([108, 348]);
      for (const f of extra) expect(r.messages.find((m) => m.frame === f)?.malformed, `frame ${f} is malformed SIP`).toBe(true);
      for (const f of extra) expect(r.findings.some((x) => x.kind === 'malformed-sip' && x.frames.includes(f))).toBe(true);
      const theirs = oracle.files['ndpi/fuzz-2006-06-26-2594.pcap']!.frames.map((f) => f.frame);
      const ours = [...ourFrames(r).keys()].filter((f) => !extra.has(f)).sort((a, b) => a - b);
      expect(ours).toEqual(theirs);
    },
  },
  'wireshark-wiki/sip-tls-1.3-and-rtcp/sip.pcap': {
    why: 'no SIP is readable (TLS 1.3, no keys), like tshark; we also report the second TLS connection, opened later by the server toward the client on port 15081 (not a SIP port), because the two hosts already talk SIP over TLS',
    check: (r) => {
      expect(r.messages).toHaveLength(0);
      expect(r.connections.map((c) => [c.transport, c.server, c.openedFrame, c.tls?.version, c.tls?.sni])).toEqual([
        ['tls', '217.12.244.34:5061', 1, 'TLS 1.3 (draft 21)', null],
        ['tls', '217.12.247.98:15081', 4542, 'TLS 1.3 (draft 21)', null],
      ]);
    },
  },
  'sngrep/aaa.pcap': {
    why: 'matches tshark frame for frame; also asserted: the 5-space keep-alives X-Lite sends on port 5060 are not reported as junk',
    check: (r) => {
      const theirs = oracle.files['sngrep/aaa.pcap']!.frames.map((f) => f.frame);
      expect([...ourFrames(r).keys()].sort((a, b) => a - b)).toEqual(theirs);
      expect(r.warnings.filter((w) => /not SIP/.test(w.message))).toEqual([]);
    },
  },
  'ndpi/http_on_sip_port.pcap': {
    why: 'tshark counts 2 "SIP" frames that are HTTP (GET / 403) on TCP 5060 — a false positive; we find no SIP there',
    check: (r) => expect(r.messages).toHaveLength(0),
  },
};

describe('engine vs tshark on the public captures', () => {
  it('covers every manifest entry with an oracle', () => {
    for (const m of manifest) expect(oracle.files[m.file], m.file).toBeDefined();
  });

  for (const entry of manifest) {
    if (entry.format === 'netmon2') {
      it(`${entry.file}: Microsoft Network Monitor format is refused with one clear line`, async () => {
        // We read pcap and pcapng (what tcpdump, Wireshark and sngrep write); tshark also reads
        // NetMon 2.x. The error says what the file is and how to convert it.
        await expect(analyse(entry.file)).rejects.toThrow(/Network Monitor.*pcapng/);
      });
      continue;
    }
    it(`${entry.file}`, async () => {
      const r = await analyse(entry.file);
      expect(r.capture.packets).toBe(entry.packets);
      expect(r.capture.format).toBe(entry.format === 'pcapng' ? 'pcapng' : 'pcap');
      const diff = DIFFERENCES[entry.file];
      if (diff) {
        diff.check(r);
        return;
      }
      const theirs = new Map(oracle.files[entry.file]!.frames.map((f) => [f.frame, f.transport]));
      const ours = ourFrames(r);
      expect([...ours.keys()].sort((a, b) => a - b), 'frames with SIP').toEqual([...theirs.keys()].sort((a, b) => a - b));
      for (const [frame, t] of theirs) expect(`${frame}:${ours.get(frame)}`).toBe(`${frame}:${t}`);
      if (entry.transports.includes('tls')) {
        expect(r.connections.some((c) => c.transport === 'tls'), 'a TLS connection is reported').toBe(true);
      }
    });
  }
});
