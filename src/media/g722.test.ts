/**
 * G.722 against an independent decoder on real packets: fixtures/g722-call.pcap carries ffmpeg's
 * RTP packetiser sending a 1 kHz tone as G.722 between two network namespaces
 * (lab/codecs/record.sh); fixtures/g722-call.ffmpeg.s16 is ffmpeg's own G.722 decoder on the
 * payloads tshark exports. Ours must equal it sample for sample, and the tone must come back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBlob } from '../engine/analyze.ts';
import { chunkBytes, readChunks } from '../capture/source.ts';
import { decodeStream } from './extract.ts';
import { G722Decoder } from './g722.ts';
import { selectorOf } from './select.ts';
import { main } from '../cli/main.ts';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

async function g722Stream() {
  const blob = new Blob([readFileSync(path.join(FIXTURES, 'g722-call.pcap'))]);
  const { report } = await analyzeBlob(blob);
  const stream = report.rtpStreams.find((s) => s.kind === 'rtp' && s.payloadType === 9);
  expect(stream).toBeDefined();
  return { stream: stream!, chunks: () => chunkBytes(readChunks(blob, 5003)) };
}

/** Power of one frequency (Goertzel) relative to the signal's power, and the RMS level in dBFS. */
function tone(pcm: Int16Array, rate: number, hz: number): { share: number; rmsDbfs: number } {
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of pcm) {
    const s0 = x + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return { share: (2 * power) / (pcm.length * energy), rmsDbfs: 20 * Math.log10(Math.sqrt(energy / pcm.length) / 32768) };
}

describe('G.722 (ITU-T G.722, 64 kbit/s)', () => {
  it("decodes a real stream exactly as ffmpeg's decoder does, sample for sample", async () => {
    const { stream, chunks } = await g722Stream();
    const audio = await decodeStream(chunks(), selectorOf(stream));
    expect(audio.codec).toBe('g722');
    expect(audio.sampleRate).toBe(16000);
    expect(audio.placed).toBe(stream.packets);
    const raw = readFileSync(path.join(FIXTURES, 'g722-call.ffmpeg.s16'));
    const want = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    // 100 packets of 20 ms (160 octets, 320 samples at 16 kHz), none lost.
    expect(audio.pcm.length).toBe(want.length);
    let differ = 0;
    for (let i = 0; i < want.length; i++) if (audio.pcm[i] !== want[i]) differ++;
    expect(differ).toBe(0);
  });

  it('gives back the 1 kHz tone at the level it was sent (peak −25 dBFS, RMS −28 dBFS)', async () => {
    const { stream, chunks } = await g722Stream();
    const audio = await decodeStream(chunks(), selectorOf(stream));
    const steady = audio.pcm.subarray(1600); // past the ADPCM's first 100 ms of adaptation
    const at1k = tone(steady, 16000, 1000);
    expect(at1k.share).toBeGreaterThan(0.95);
    expect(tone(steady, 16000, 3000).share).toBeLessThan(0.01);
    expect(Math.abs(at1k.rmsDbfs - -28.1)).toBeLessThan(1);
  });

  it("equals ffmpeg's decoder on every code, into the scale-factor limits and saturation (4000 random octets)", () => {
    // scripts/make-g722-random.mjs: pseudo-random octets and ffmpeg's decode of them.
    const code = new Uint8Array(readFileSync(path.join(FIXTURES, 'g722-random.g722')));
    const raw = readFileSync(path.join(FIXTURES, 'g722-random.ffmpeg.s16'));
    const want = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(new Set(code).size).toBe(256);
    expect(want.filter((v) => v === 32767 || v === -32768).length).toBeGreaterThan(0); // the output did saturate
    const got = new Int16Array(code.length * 2);
    new G722Decoder().decode(code, got, 0);
    expect(want.length).toBe(got.length);
    let differ = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differ++;
    expect(differ).toBe(0);
  });

  it('keeps its state across calls: one octet at a time equals all at once', () => {
    const code = new Uint8Array(400).map((_, i) => (i * 37 + 11) & 0xff);
    const all = new Int16Array(800);
    new G722Decoder().decode(code, all, 0);
    const one = new Int16Array(800);
    const d = new G722Decoder();
    for (let i = 0; i < code.length; i++) d.decode(code.subarray(i, i + 1), one, 2 * i);
    expect([...one]).toEqual([...all]);
  });

  it('CLI: sipladder audio writes the G.722 stream as a 16 kHz WAV', async () => {
    const { stream } = await g722Stream();
    const out = path.join(process.env.TMPDIR ?? '/tmp', `g722-${process.pid}.wav`);
    const err = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['audio', path.join(FIXTURES, 'g722-call.pcap'), '--ssrc', `0x${stream.ssrc.toString(16)}`, '-o', out]);
    } finally {
      process.stderr.write = err;
    }
    expect(code).toBe(0);
    const wav = readFileSync(out);
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.length - 44).toBe(64000);
  });

  it('CLI: an Opus stream is refused in one line that says where it can be heard', async () => {
    const lines: string[] = [];
    const err = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => {
      lines.push(s);
      return true;
    }) as typeof process.stderr.write;
    let code: number;
    try {
      const blob = new Blob([readFileSync(path.join(FIXTURES, 'opus-call.pcap'))]);
      const opus = (await analyzeBlob(blob)).report.rtpStreams.find((s) => s.kind === 'rtp')!;
      code = await main(['audio', path.join(FIXTURES, 'opus-call.pcap'), '--ssrc', `0x${opus.ssrc.toString(16)}`, '-o', '/dev/null']);
    } finally {
      process.stderr.write = err;
    }
    expect(code).toBe(2);
    expect(lines.join('')).toMatch(/is Opus; Opus is decoded by the browser \(WebCodecs\)/);
  });
});
