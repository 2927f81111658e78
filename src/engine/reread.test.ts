import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from './analyze.ts';
import type { Analysis } from './analyze.ts';
import { Reread } from '../capture/reread.ts';
import type { ReadAt } from '../capture/reread.ts';
import { Captured } from '../sip/captured.ts';
import { plainSip } from '../sip/message.ts';
import { parsedAgain } from './kept.ts';
import { searchMessages } from './search.ts';
import { ethUdp4, pcapFile } from '../capture/testing/packets.ts';
import { corpusFiles, ROOT as root } from '../cli/testing/corpus.ts';

const corpus = corpusFiles(false);

/** The file's bytes read again by offset, from a copy of its own (as the CLI reads the file), counting the reads. */
function reader(bytes: Uint8Array): { readAt: ReadAt; reads: number } {
  const file = bytes.slice();
  const r = {
    reads: 0,
    readAt: (offset: number, length: number) => {
      r.reads++;
      return file.slice(offset, offset + length);
    },
  };
  return r;
}

const notKept = (a: Analysis): number => a.messages.filter((m) => m instanceof Captured && !m.textKept).length;

describe('a message that lies whole in one record is read again from the file, not kept', () => {
  it('gives every capture of the corpus the same report, the same texts and the same parses', async () => {
    let readAgain = 0;
    let kept = 0;
    for (const p of corpus) {
      const bytes = new Uint8Array(readFileSync(path.join(root, p)));
      const before = await analyzeBytes(bytes, { keepParse: true }).catch((e: unknown) => e);
      const src = reader(bytes);
      const after = await analyzeBytes(bytes, { keepParse: true, readAt: src.readAt }).catch((e: unknown) => e);
      if (before instanceof Error) {
        expect(after, p).toBeInstanceOf(Error);
        continue;
      }
      const a = before as Analysis;
      const b = after as Analysis;
      expect(JSON.stringify(b.report), p).toBe(JSON.stringify(a.report));
      expect(b.messages.length, p).toBe(a.messages.length);
      for (let i = 0; i < a.messages.length; i++) {
        const x = a.messages[i]!;
        const y = b.messages[i]!;
        expect(y.raw, `${p} message ${i}`).toBe(x.raw);
        // The parse's text, body and header values come from the file too.
        expect(y.sip && plainSip(y.sip), `${p} message ${i}`).toEqual(x.sip && plainSip(x.sip));
      }
      // Without the parses kept, the detectors have messages parsed again from the file's text.
      const dropped = await analyzeBytes(bytes, { readAt: reader(bytes).readAt });
      expect(JSON.stringify(dropped.report), p).toBe(JSON.stringify(a.report));
      readAgain += notKept(b);
      kept += b.messages.length - notKept(b);
    }
    expect(corpus.length).toBeGreaterThan(90);
    // Most messages are single datagrams or segments; reassembled, decrypted and cut ones keep their text.
    expect(readAgain).toBeGreaterThan(1_000);
    expect(kept).toBeGreaterThan(50);
    console.log(`corpus: ${readAgain} messages read again from the file, ${kept} kept`);
  });

  it('keeps the text of a reassembled or compressed message, which is not in the file as parsed', async () => {
    const frag = new Uint8Array(readFileSync(path.join(root, 'test/captures/public/sngrep/ipv6frag.pcap')));
    const a = await analyzeBytes(frag, { readAt: reader(frag).readAt });
    const fragmented = a.messages.filter((m) => m.frames !== undefined && m.frames.length > 1);
    expect(fragmented.length).toBeGreaterThan(0);
    for (const m of fragmented) expect((m as Captured).textKept).toBe(true);

    const bytes = new Uint8Array(readFileSync(path.join(root, 'public/samples/01-missing-ack/capture.pcap')));
    const gz = await analyzeBytes(new Uint8Array(gzipSync(bytes)), { readAt: reader(bytes).readAt });
    expect(gz.messages.length).toBeGreaterThan(0);
    expect(notKept(gz)).toBe(0);
    const plain = await analyzeBytes(bytes, { readAt: reader(bytes).readAt });
    expect(notKept(plain)).toBe(plain.messages.length);
  });

  it('reads a search through the messages in a few windows, not once per message', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(root, 'public/samples/01-missing-ack/capture.pcap')));
    const src = reader(bytes);
    const a = await analyzeBytes(bytes, { readAt: src.readAt });
    const before = src.reads;
    const hits = searchMessages(a.messages, 'INVITE', 1000);
    expect(hits.matches.length).toBeGreaterThan(0);
    expect(a.messages.length).toBeGreaterThan(5);
    expect(src.reads - before).toBeLessThanOrEqual(2);
  });
});

describe('a file that changed since it was read', () => {
  it('gives no text rather than another message’s, and the analysis says so in a warning', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(root, 'public/samples/01-missing-ack/capture.pcap')));
    const src = reader(bytes);
    const a = await analyzeBytes(bytes, { readAt: src.readAt });
    const kept = await analyzeBytes(bytes);
    expect(a.messages[0]!.raw).toBe(kept.messages[0]!.raw);
    expect(a.messages[0]!.raw).toMatch(/^[A-Z]+ sip:/);
    // Overwritten in place: the bytes at the message's offset are not the message any more.
    const shifted: ReadAt = (offset, length) => bytes.slice(offset + 40, offset + 40 + length);
    const b = await analyzeBytes(bytes, { readAt: shifted });
    expect(b.messages[0]!.raw).toBe('');
    expect(parsedAgain(b.messages[0]!)).toBeNull();
  });

  it('warns once the detectors could not read a text they asked for', async () => {
    // A capture with messages that are not SIP: the malformed-sip detector reads their text.
    const bytes = new Uint8Array(readFileSync(path.join(root, 'test/captures/public/ndpi/fuzz-2006-06-26-2594.pcap')));
    const good = await analyzeBytes(bytes, { readAt: reader(bytes).readAt });
    expect(good.messages.some((m) => m.parseError !== null && !(m as Captured).textKept)).toBe(true);
    expect(good.report.warnings.some((w) => /could not be read again/.test(w.message))).toBe(false);
    const gone: ReadAt = () => {
      throw new Error('NotReadableError: the file was changed');
    };
    const bad = await analyzeBytes(bytes, { readAt: gone });
    const w = bad.report.warnings.find((x) => /could not be read again/.test(x.message));
    expect(w?.message).toMatch(/NotReadableError: the file was changed/);
  });
});

describe('detectors over texts the file no longer gives', () => {
  it('judge every capture of the corpus without failing: what the flow holds stands in for the text', async () => {
    let asked = 0;
    for (const p of corpus) {
      const bytes = new Uint8Array(readFileSync(path.join(root, p)));
      const r = await analyzeBytes(bytes, {
        readAt: () => {
          throw new Error('EIO');
        },
      }).catch(() => null);
      if (r === null) continue;
      expect(r.report.warnings.filter((w) => /^detector .* failed/.test(w.message)), p).toEqual([]);
      if (r.report.warnings.some((w) => /could not be read again/.test(w.message))) asked++;
    }
    // Captures where a detector asked for a text (before: 11 of them lost a detector's findings).
    expect(asked).toBeGreaterThan(10);
  });
});

describe('a search over texts the file no longer gives', () => {
  it('counts the messages it could not search instead of calling them no match', async () => {
    // Two INVITEs ~5 MB apart (RTP-like filler between): more than the longest read window (4 MB).
    const invite = (call: string) => new TextEncoder().encode(`INVITE sip:bob@198.51.100.7 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-${call}\r\nFrom: <sip:a@192.0.2.10>;tag=${call}\r\nTo: <sip:bob@198.51.100.7>\r\nCall-ID: ${call}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
    const t0 = 1_700_000_000_000_000;
    const sip = (k: number, call: string) => ({ timeUs: t0 + k, data: ethUdp4({ src: '192.0.2.10', dst: '198.51.100.7', sport: 5060, dport: 5060, payload: invite(call) }) });
    const filler = Array.from({ length: 5_000 }, (_, k) => ({ timeUs: t0 + 10 + k, data: ethUdp4({ src: '192.0.2.50', dst: '192.0.2.60', sport: 40000, dport: 40002, payload: new Uint8Array(1000) }) }));
    const bytes = pcapFile(1, [sip(0, 'one'), ...filler, sip(5_000, 'two')]);
    let gone = false;
    const a = await analyzeBytes(bytes, {
      readAt: (offset, length) => {
        if (gone) throw new Error('NotReadableError');
        return bytes.slice(offset, offset + length);
      },
    });
    expect(a.messages).toHaveLength(2);
    expect(searchMessages(a.messages, 'INVITE')).toMatchObject({ messages: 2, unreadable: 0 });
    gone = true;
    const r = searchMessages(a.messages, 'INVITE');
    // The window read for the first message still holds it; the second, ~5 MB on, was read
    // alone (a jump), so it is asked of the file again, which no longer answers.
    expect(r.unreadable).toBe(1);
    expect(r.messages).toBe(1);
    expect(r.matches.map((m) => m.index)).toEqual([0]);
  });
});

describe('Reread', () => {
  /** A Reread over a file of `size` bytes (byte i is i & 0xff) and the reads it asks of it. */
  const recorded = (size: number, window: number, maxWindow: number): { r: Reread; asked: Array<[number, number]> } => {
    const file = new Uint8Array(size).map((_, i) => i & 0xff);
    const asked: Array<[number, number]> = [];
    const r = new Reread(
      (o, l) => {
        asked.push([o, l]);
        return file.slice(o, o + l);
      },
      window,
      maxWindow,
    );
    return { r, asked };
  };

  it('serves what follows an offset from one window, and reads again outside it', () => {
    const { r, asked } = recorded(1000, 100, 100);
    expect([...r.bytes(10, 5)!]).toEqual([10, 11, 12, 13, 14]);
    expect([...r.bytes(50, 3)!]).toEqual([50, 51, 52]);
    expect(asked).toEqual([[10, 100]]);
    // Just past the window, in file order: the next window.
    expect([...r.bytes(105, 10)!]).toEqual([105, 106, 107, 108, 109, 110, 111, 112, 113, 114]);
    expect(asked).toEqual([[10, 100], [105, 100]]);
    // A jump back, or far ahead: just the bytes asked, the window kept.
    expect([...r.bytes(5, 2)!]).toEqual([5, 6]);
    expect([...r.bytes(900, 4)!]).toEqual([900, 901, 902, 903].map((x) => x & 0xff));
    expect(asked).toEqual([[10, 100], [105, 100], [5, 2], [900, 4]]);
    expect([...r.bytes(150, 1)!]).toEqual([150]);
    expect(asked).toHaveLength(4);
    // Far from the last bytes asked: just what is asked, however long.
    expect(r.bytes(904, 96)!.length).toBe(96);
    expect(r.bytes(0, 300)!.length).toBe(300);
    expect(asked.slice(-2)).toEqual([[904, 96], [0, 300]]);
  });

  it('reads longer windows while a walk in file order goes on, and the shortest again after a jump', () => {
    const { r, asked } = recorded(10_000, 100, 400);
    // A search: every 50 bytes, in file order. Windows of 100, 200, 400, then 400.
    for (let o = 0; o + 10 <= 1500; o += 50) expect(r.bytes(o, 10)![0]).toBe(o & 0xff);
    expect(asked).toEqual([[0, 100], [100, 200], [300, 400], [700, 400], [1100, 400]]);
    // A detector going call by call: back to an earlier message (just it), then on from there
    // (a window of 100 again), past it (200).
    asked.length = 0;
    expect(r.bytes(20, 10)![0]).toBe(20);
    expect(r.bytes(40, 10)![0]).toBe(40);
    expect(r.bytes(145, 10)![0]).toBe(145);
    expect(asked).toEqual([[20, 10], [40, 100], [145, 200]]);
  });

  it('counts a short read or a failing one, and says why', () => {
    const r = new Reread((o, l) => new Uint8Array(Math.max(0, Math.min(l, 50 - o))), 10);
    expect(r.bytes(45, 10)).toBeNull();
    expect(r.failures).toBe(1);
    expect(r.firstFailure).toMatch(/10 bytes at offset 45 asked, 5 read/);
    const t = new Reread(() => {
      throw new Error('gone');
    });
    expect(t.bytes(0, 1)).toBeNull();
    expect(t.firstFailure).toBe('gone');
  });
});
