/**
 * The call list before the diagnosis (AnalyzeOptions.onListed): a large capture's report is
 * handed over once the model is built, with every field written but the findings and the
 * verdicts, and the final report is the same as without the early hand-over.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TransactionBuilder } from '../sip/transactions.ts';
import { DialogBuilder } from '../sip/dialogs.ts';
import { analyzeBytes, analyzeChunks, LISTED_EARLY_MESSAGES } from './analyze.ts';
import type { InputChunk, Progress } from './analyze.ts';
import type { Report } from '../report/report.ts';
import { checkReport } from './contract.ts';
import { detectors } from '../analysis/registry.ts';
import type { Detector } from '../analysis/detector.ts';
import { columnsOf, markColumns, messageList, toColumns, withMarks } from '../report/message-table.ts';
import type { MessageColumns } from '../report/message-table.ts';

const bytes = new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../public/samples/01-missing-ack/capture.pcap')));

/** The report as plain JSON (messages included), to compare two runs or two moments of one run. */
function plain(r: Report): unknown {
  return JSON.parse(JSON.stringify(r));
}

describe('onListed: the call list before the diagnosis', () => {
  it('hands over the report once, after the model and before the detectors, without findings or verdicts', async () => {
    const events: string[] = [];
    let early: unknown = null;
    let listed = 0;
    const analysis = await analyzeBytes(bytes, {
      listedFrom: 1,
      onProgress: (p: Progress) => {
        if (events.at(-1) !== p.stage) events.push(p.stage);
      },
      onListed: (report) => {
        listed++;
        events.push('listed');
        early = plain(report);
      },
    });
    expect(listed).toBe(1);
    expect(events.slice(events.indexOf('model'))).toEqual(['model', 'listed', 'diagnosis', 'done']);

    const final = plain(analysis.report) as Report;
    const first = early as Report;
    // The sample's lost ACK is found: the final report has findings and a verdict the early one has not.
    expect(final.findings.map((f) => f.kind)).toContain('ack-missing');
    expect(final.calls.some((c) => c.verdict !== null)).toBe(true);
    expect(first.findings).toEqual([]);
    expect(first.calls.every((c) => c.verdict === null)).toBe(true);
    // Everything else was already written: messages, calls (outcome, teardown), connections, hosts.
    expect(first.messages).toEqual(final.messages);
    expect(first.calls.map((c) => ({ ...c, verdict: null }))).toEqual(final.calls.map((c) => ({ ...c, verdict: null })));
    expect(first.calls.map((c) => c.outcome)).toEqual(final.calls.map((c) => c.outcome));
    expect({ ...first, findings: null, calls: null, warnings: null }).toEqual({ ...final, findings: null, calls: null, warnings: null });
  });

  it('gives the same final report as an analysis without it', async () => {
    const without = await analyzeBytes(bytes);
    const withEarly = await analyzeBytes(bytes, { listedFrom: 1, onRead: () => {}, onListed: () => {} });
    expect(JSON.stringify(withEarly.report)).toBe(JSON.stringify(without.report));
  });

  it.each([
    ['public/samples/01-missing-ack/capture.pcap'],
    // Several calls, registrations and retransmissions (sngrep's own sample).
    ['test/captures/public/sngrep/aaa.pcap'],
  ])("onRead on %s: the calls as read, before the model, with the model's Call-IDs, order, From and To", async (file) => {
    const events: string[] = [];
    let read: Report | null = null;
    const analysis = await analyzeBytes(new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../..', file))), {
      listedFrom: 1,
      onProgress: (p: Progress) => {
        if (events.at(-1) !== p.stage) events.push(p.stage);
      },
      onRead: (report) => {
        events.push('read');
        read = plain(report) as Report;
      },
      onListed: () => events.push('listed'),
    });
    expect(events.slice(events.indexOf('decoding') + 1)).toEqual(['read', 'model', 'listed', 'diagnosis', 'done']);
    const first = read! as Report;
    const final = plain(analysis.report) as Report;
    expect(first.calls.length).toBeGreaterThan(0);
    const summary = (r: Report) => r.calls.map((c) => ({ callId: c.callId, from: c.from, to: c.to, startFrame: c.startFrame, endFrame: c.endFrame, messageCount: c.messageCount }));
    expect(summary(first)).toEqual(summary(final));
    expect(first.calls.every((c) => c.state === '' && c.verdict === null && c.outcome === undefined)).toBe(true);
    // The messages as read: everything but the model's marks (transaction, dialog, retransmission).
    const unmarked = (r: Report) => r.messages.map((m) => ({ ...m, transaction: null, dialog: null, retransmission: false, retransmissionOf: null }));
    expect(unmarked(first)).toEqual(unmarked(final));
    expect(first.messages.every((m) => m.transaction === null && m.dialog === null && m.retransmissionOf === null)).toBe(true);
    expect(final.messages.some((m) => m.transaction !== null)).toBe(true);
    expect(first.connections).toEqual(final.connections);
    expect(first.capture).toEqual(final.capture);
    expect([first.findings, first.rtpStreams, first.hosts]).toEqual([[], [], []]);
  });

  it('is not called for a capture below the threshold', async () => {
    let listed = 0;
    const analysis = await analyzeBytes(bytes, { onListed: () => listed++ });
    expect(analysis.report.messages.length).toBeLessThan(LISTED_EARLY_MESSAGES);
    expect(listed).toBe(0);
  });
});

describe('what crosses to the page at `listed`: only the model\'s marks', () => {
  it.each(['test/captures/public/sngrep/aaa.pcap', 'public/samples/01-missing-ack/capture.pcap', 'test/captures/public/sngrep/ipv6frag.pcap'])(
    '%s: the columns as read, with the mark columns of the listed report put in, are the listed messages',
    async (file) => {
      const data = new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../..', file)));
      let read: MessageColumns | null = null;
      let listed: ReturnType<typeof markColumns> | null = null;
      let listedMessages: unknown = null;
      await analyzeBytes(data, {
        listedFrom: 1,
        // What the worker posts: a copy of all the columns at `read`, of the mark columns at `listed`.
        onRead: (r) => (read = toColumns(r.messages)),
        onListed: (r) => {
          listed = markColumns(columnsOf(r.messages)!);
          listedMessages = plain({ messages: r.messages } as Report);
        },
      });
      const merged = messageList(withMarks(read!, listed!));
      expect(plain({ messages: merged } as Report)).toEqual(listedMessages);
      // The marks did change something since `read` (else the test would prove nothing).
      const before = plain({ messages: messageList(read!) } as Report);
      expect(before).not.toEqual(listedMessages);
    },
  );
});

describe('onReading: the calls read so far, while reading', () => {
  it('is called once, mid-read, with the calls of the part read; the calls as read and the final report follow unchanged', async () => {
    const file = new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../test/captures/public/sngrep/aaa.pcap')));
    // The file in 4 KB chunks, as a stream hands it over.
    async function* chunks(): AsyncGenerator<InputChunk> {
      for (let at = 0; at < file.length; at += 4096) yield { bytes: file.subarray(at, Math.min(at + 4096, file.length)), end: Math.min(at + 4096, file.length) };
    }
    const seen: Array<[string, Report]> = [];
    const analysis = await analyzeChunks(chunks(), file.length, {
      listedFrom: 1,
      readingSnapshotAt: { ms: 0, messages: 3 },
      onReading: (r) => seen.push(['reading', plain(r) as Report]),
      onRead: (r) => seen.push(['read', plain(r) as Report]),
    });
    expect(seen.map(([k]) => k)).toEqual(['reading', 'read']);
    const [reading, read] = [seen[0]![1], seen[1]![1]];
    const final = plain(analysis.report) as Report;
    // A part: fewer messages and packets than the whole, at least the 3 asked for.
    expect(reading.messages.length).toBeGreaterThanOrEqual(3);
    expect(reading.messages.length).toBeLessThan(final.messages.length);
    expect(reading.capture.packets).toBeLessThan(final.capture.packets);
    // Its calls are the first ones read, each with the messages read so far (never more than in the end).
    const whole = new Map(read.calls.map((c) => [c.callId, c]));
    expect(reading.calls.length).toBeGreaterThan(0);
    for (const c of reading.calls) {
      const later = whole.get(c.callId)!;
      expect(later).toBeDefined();
      expect(c.messageCount).toBeLessThanOrEqual(later.messageCount);
      expect(c.startFrame).toBe(later.startFrame);
    }
    expect(reading.connections).toEqual([]);
    expect(JSON.stringify(analysis.report)).toBe(JSON.stringify((await analyzeBytes(file)).report));
  });
});

describe('the early reports on every capture of the corpus', () => {
  const ROOT = path.resolve(import.meta.dirname, '../..');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap|gz)$/.test(e.name)) files.push(p);
    }
  };
  for (const d of ['test/captures', 'public/samples', 'test/repro']) walk(path.join(ROOT, d));

  it(`${files.length} captures (real, lab and fuzzing reproducers): every callback on, the final report unchanged, each early report serialisable and contract-shaped`, async () => {
    expect(files.length).toBeGreaterThan(90);
    let early = 0;
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const plainRun = await analyzeBytes(bytes).catch((e: unknown) => e);
      async function* chunks(): AsyncGenerator<InputChunk> {
        for (let at = 0; at < bytes.length; at += 16384) yield { bytes: bytes.subarray(at, Math.min(at + 16384, bytes.length)), end: Math.min(at + 16384, bytes.length) };
      }
      const seen: Report[] = [];
      const take = (r: Report) => seen.push(plain(r) as Report);
      const withEarly = await analyzeChunks(chunks(), bytes.length, { listedFrom: 1, readingSnapshotAt: { ms: 0, messages: 1 }, onReading: take, onRead: take, onListed: take }).catch((e: unknown) => e);
      if (plainRun instanceof Error) {
        // Not a capture: the same refusal either way, and nothing shown early.
        expect(withEarly, f).toBeInstanceOf(Error);
        expect((withEarly as Error).message, f).toBe(plainRun.message);
        continue;
      }
      expect(withEarly, f).not.toBeInstanceOf(Error);
      expect(JSON.stringify((withEarly as Awaited<ReturnType<typeof analyzeBytes>>).report), f).toBe(JSON.stringify((plainRun as Awaited<ReturnType<typeof analyzeBytes>>).report));
      for (const r of seen) {
        expect(checkReport(r), f).toEqual([]);
        expect(r.findings, f).toEqual([]);
      }
      early += seen.length;
    }
    expect(early).toBeGreaterThan(100);
  }, 120_000);
});

describe('collectGarbage: where the runtime may collect', () => {
  it('is called inside the model build (after the progress says "model", before "diagnosis") and once the parses are let go (before the detectors), for a large capture only', async () => {
    const events: string[] = [];
    // It comes once the transaction and dialog builders are done and have dropped their working
    // tables (what the collection is there to free).
    const tbFinish = TransactionBuilder.prototype.finish;
    const dbFinish = DialogBuilder.prototype.finish;
    const dropped = (b: object) => ((b as { messages: unknown[] }).messages.length === 0 ? 'dropped' : 'kept');
    vi.spyOn(TransactionBuilder.prototype, 'finish').mockImplementation(function (this: TransactionBuilder) {
      const chains = tbFinish.call(this);
      events.push(`transactions done, tables ${dropped(this)}`);
      return chains;
    });
    vi.spyOn(DialogBuilder.prototype, 'finish').mockImplementation(function (this: DialogBuilder, ...args: Parameters<DialogBuilder['finish']>) {
      dbFinish.apply(this, args);
      events.push(`dialogs done, tables ${dropped(this)}`);
    });
    // The first detector notes whether the parses were gone when it ran.
    const probe: Detector = {
      kind: 'malformed-sip',
      title: 'test probe',
      severity: 'info',
      detect: ({ messages }) => {
        events.push(messages.every((m) => m.sip === null) ? 'detectors, parses gone' : 'detectors, parses kept');
        return [];
      },
    };
    (detectors as Detector[]).unshift(probe);
    let withIt;
    try {
      withIt = await analyzeBytes(bytes, {
        listedFrom: 1,
        collectGarbage: () => events.push('collect'),
        onProgress: (p: Progress) => {
          if (events.at(-1) !== p.stage) events.push(p.stage);
        },
      });
    } finally {
      vi.restoreAllMocks();
      (detectors as Detector[]).shift();
    }
    expect(events.filter((e) => e === 'collect')).toHaveLength(2);
    const at = (e: string) => events.indexOf(e);
    // The transactions' lists are filled when their builder finishes, and the dialogs' finish reads them.
    expect(at('model')).toBeLessThan(at('transactions done, tables dropped'));
    expect(at('transactions done, tables dropped')).toBeLessThan(at('dialogs done, tables dropped'));
    expect(at('dialogs done, tables dropped')).toBeLessThan(at('collect'));
    expect(at('collect')).toBeLessThan(at('diagnosis'));
    expect(events.lastIndexOf('collect')).toBeGreaterThan(at('diagnosis'));
    expect(events.lastIndexOf('collect')).toBeLessThan(at('detectors, parses gone'));
    // The builders dropped their working tables there; the report is the same as without it.
    expect(JSON.stringify(withIt.report)).toBe(JSON.stringify((await analyzeBytes(bytes, { listedFrom: 1 })).report));

    let small = 0;
    await analyzeBytes(bytes, { collectGarbage: () => small++ });
    expect(small).toBe(0);
  });
});
