import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from './analyze.ts';
import { dropParse, parsedAgain } from './kept.ts';
import { plainSip } from '../sip/message.ts';
import { searchMessages } from './search.ts';
import { corpusFiles } from '../cli/testing/corpus.ts';

const root = path.resolve(import.meta.dirname, '../..');
const samples = readdirSync(path.join(root, 'public/samples'))
  .filter((d) => existsSync(path.join(root, 'public/samples', d, 'capture.pcap')))
  .flatMap((d) => ['capture.pcap', 'capture-lan.pcap'].map((f) => `public/samples/${d}/${f}`))
  .filter((p) => existsSync(path.join(root, p)));
// Snaplen-cut, resynchronised after a TCP gap, cut by a gap: the capture's own notes.
const odd = ['test/captures/public/ndpi/fuzz-2006-06-26-2594.pcap', 'test/repro/messages-not-in-capture-order.pcap', 'test/repro/frames-after-completion.pcap', 'test/captures/public/sngrep/ipv6frag.pcap'];

describe('an open capture keeps its messages without their parse', () => {
  it('gives the detail view the same parse again, the capture notes included', async () => {
    let parsed = 0;
    let withNotes = 0;
    let unparsed = 0;
    for (const p of [...samples, ...odd]) {
      const { messages } = await analyzeBytes(new Uint8Array(readFileSync(path.join(root, p))), { keepParse: true });
      const parses = messages.map((m) => m.sip);
      const kept = dropParse(messages);
      expect(kept).toBe(messages);
      for (let i = 0; i < messages.length; i++) {
        // Named, not spread: a captured message's rarer fields are getters (sip/captured.ts).
        const before = { parseError: messages[i]!.parseError, captureNotes: messages[i]!.captureNotes, sip: parses[i]! };
        expect(kept[i]!.sip).toBeNull();
        const again = parsedAgain(kept[i]!);
        if (before.sip === null) {
          unparsed++;
          expect(again, `${p} #${i}`).toBeNull();
          expect(kept[i]!.parseError).toBe(before.parseError);
          continue;
        }
        parsed++;
        if (before.captureNotes) withNotes++;
        expect(again && plainSip(again), `${p} #${i}`).toEqual(plainSip(before.sip));
      }
    }
    expect(parsed).toBeGreaterThan(300);
    expect(withNotes).toBeGreaterThan(0);
    expect(unparsed).toBeGreaterThan(0);
  });

  it('is searched as before (the header/body split comes from the text)', async () => {
    const { messages } = await analyzeBytes(new Uint8Array(readFileSync(path.join(root, 'public/samples/01-missing-ack/capture.pcap'))), { keepParse: true });
    const queries = ['192.168.1.10', 'Contact', 'm=audio', 'BYE'];
    const parsed = queries.map((q) => searchMessages(messages, q));
    dropParse(messages);
    expect(messages.every((m) => m.sip === null)).toBe(true);
    queries.forEach((q, i) => expect(searchMessages(messages, q)).toEqual(parsed[i]));
  });
});

describe('the engine lets the parses go before the detectors run', () => {
  const all = corpusFiles();

  it('and judges every capture as with them kept: the same findings, verdicts and warnings', async () => {
    let findings = 0;
    for (const p of all) {
      const bytes = new Uint8Array(readFileSync(path.join(root, p)));
      const kept = await analyzeBytes(bytes, { keepParse: true }).catch((e: unknown) => e);
      const dropped = await analyzeBytes(bytes).catch((e: unknown) => e);
      if (kept instanceof Error) {
        expect(dropped, p).toBeInstanceOf(Error);
        continue;
      }
      if (dropped instanceof Error) throw new Error(`${p}: ${dropped.message}`);
      const a = kept as Awaited<ReturnType<typeof analyzeBytes>>;
      const b = dropped as Awaited<ReturnType<typeof analyzeBytes>>;
      expect(b.report.findings, p).toEqual(a.report.findings);
      expect(b.report.calls.map((c) => c.verdict), p).toEqual(a.report.calls.map((c) => c.verdict));
      expect(b.report.warnings, p).toEqual(a.report.warnings);
      expect(b.messages.every((m) => m.sip === null), p).toBe(true);
      expect(a.messages.some((m) => m.sip !== null) || a.messages.length === 0, p).toBe(true);
      findings += a.report.findings.length;
    }
    expect(all.length).toBeGreaterThan(90);
    expect(findings).toBeGreaterThan(200);
  });
});
