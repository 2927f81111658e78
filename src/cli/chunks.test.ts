/**
 * The inputs that hand the engine their buffers again: the CLI's file reader (two buffers take
 * turns, overwritten in place) and a Blob read as a byte stream (two buffers take turns, each read
 * moving — detaching — the buffer it fills). Both rely on the engine being done with a chunk by
 * the time it asks for the next one but one: what outlives its record must be a copy. With chunks
 * of a few KB, every record that straddles chunks, every TCP segment held out of order, every IP
 * fragment and TLS record kept, would read other bytes (or none) if the engine kept a view: the
 * report would differ from the one read from one whole buffer.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBlob, analyzeBytes, analyzeChunks } from '../engine/analyze.ts';
import { fileChunks } from './main.ts';
import { ethTcp4, ethUdp4, pcapFile } from '../capture/testing/packets.ts';
import { corpusFiles, ROOT as root } from './testing/corpus.ts';

const corpus = corpusFiles();

/** The report as JSON, or what the engine refused the input with (the corpus has files that are not captures). */
async function outcome(analysis: Promise<{ report: unknown }>): Promise<string> {
  try {
    return JSON.stringify((await analysis).report);
  } catch (e) {
    return `refused: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** An odd size, so that chunk edges fall everywhere in records, headers and messages. */
const SMALL = 4093;

/**
 * SIP over TCP whose segments arrive out of order, each held segment several chunks before the one
 * that completes it (UDP filler between), as a capture file.
 */
function outOfOrderTcp(): Uint8Array<ArrayBuffer> {
  const A = { src: '10.0.0.1', sport: 40000 };
  const B = { dst: '10.0.0.2', dport: 5060 };
  const frames: Array<{ timeUs: number; data: Uint8Array }> = [];
  let t = 1_700_000_000_000_000;
  const add = (data: Uint8Array): void => {
    frames.push({ timeUs: (t += 1000), data });
  };
  const filler = (): void => {
    for (let k = 0; k < 12; k++) add(ethUdp4({ src: '10.0.0.9', dst: '10.0.0.8', sport: 7000, dport: 7002, payload: new Uint8Array(1200).fill(0x80 + k) }));
  };
  add(ethTcp4({ ...A, ...B, seq: 999, flags: { syn: true } }));
  add(ethTcp4({ src: B.dst, sport: B.dport, dst: A.src, dport: A.sport, seq: 4999, ack: 1000, flags: { syn: true, ack: true } }));
  let seq = 1000;
  for (let n = 1; n <= 6; n++) {
    const msg = new TextEncoder().encode(
      `OPTIONS sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK-${n}\r\nFrom: <sip:a@10.0.0.1>;tag=a${n}\r\n` +
        `To: <sip:b@10.0.0.2>\r\nCall-ID: ooo-${n}@10.0.0.1\r\nCSeq: ${n} OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    );
    const third = Math.floor(msg.length / 3);
    const parts = [msg.subarray(0, third), msg.subarray(third, 2 * third), msg.subarray(2 * third)];
    const at = [seq, seq + third, seq + 2 * third];
    // The last part first, then the middle, then the first, chunks apart.
    for (const k of [2, 1, 0]) {
      add(ethTcp4({ ...A, ...B, seq: at[k]!, ack: 5000, payload: parts[k]! }));
      filler();
    }
    seq += msg.length;
  }
  return pcapFile(1, frames).slice();
}

describe('inputs that reuse their buffers', () => {
  it('give SIP over TCP reassembled out of order across chunks the report read from one whole buffer', async () => {
    const bytes = outOfOrderTcp();
    const dir = mkdtempSync(path.join(tmpdir(), 'sipladder-chunks-'));
    try {
      const file = path.join(dir, 'ooo.pcap');
      writeFileSync(file, bytes);
      const whole = await analyzeBytes(bytes);
      expect(whole.report.messages.filter((m) => m.method === 'OPTIONS')).toHaveLength(6);
      const json = JSON.stringify(whole.report);
      expect(await outcome(analyzeChunks(fileChunks(file, SMALL), bytes.length)), "the CLI's reader").toBe(json);
      expect(await outcome(analyzeBlob(new Blob([bytes]), {}, SMALL)), 'a byte stream').toBe(json);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('give every capture of the corpus the report read from one whole buffer', async () => {
    let chunked = 0;
    for (const p of corpus) {
      const file = path.join(root, p);
      const bytes = new Uint8Array(readFileSync(file));
      const whole = await outcome(analyzeBytes(bytes));
      const fromFile = await outcome(analyzeChunks(fileChunks(file, SMALL), statSync(file).size));
      expect(fromFile, `${p}, the CLI's reader`).toBe(whole);
      const fromStream = await outcome(analyzeBlob(new Blob([bytes]), {}, SMALL));
      expect(fromStream, `${p}, a byte stream`).toBe(whole);
      if (bytes.length > 2 * SMALL && !whole.startsWith('refused')) chunked++;
    }
    // The corpus is what makes this test: most of it spans many chunks.
    expect(chunked).toBeGreaterThan(50);
  }, 120_000);
});
