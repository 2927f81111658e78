/**
 * `sipladder audio FILE --ssrc 0x… [--keylog FILE] [--dst ip:port] -o out.wav`: one direction of a
 * call as a WAV file. The capture is analysed first (to know the stream's endpoints, payload type
 * and, where SDP says so, codec; --keylog lets SDP inside SIP over TLS count), then re-read for
 * that stream's packets only (src/media/extract.ts), decoded (G.711, G.722) and written as 16-bit PCM.
 * Exit 0 with a one-line summary on stderr; exit 2 with one line for bad input.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import { analyzeChunks, memoryBudgetFor } from '../engine/analyze.ts';
import { codecLabel, decodeStream } from '../media/extract.ts';
import { parseSsrc, selectorOf, ssrcHex } from '../media/select.ts';
import { writeWav } from '../media/wav.ts';
import { fileChunks } from './main.ts';

export const AUDIO_USAGE = `usage: sipladder audio <capture-file> --ssrc 0xSSRC [--dst IP:PORT] [--keylog FILE] -o OUT.wav
  Writes one RTP stream (one direction of a call) as a 16-bit PCM WAV file.
  --ssrc SSRC     the stream's SSRC (hex 0x… or decimal), as the analysis lists it
  --dst IP:PORT   the stream's destination, when the SSRC alone names more than one stream
  --keylog FILE   TLS key log, so SDP carried over TLS names the codec
  -o OUT.wav      where to write (- for stdout)`;

/** The file's bytes in slices; each a copy, since fileChunks reuses its buffers and gunzip reads later. */
async function* fileBytes(path: string): AsyncGenerator<Uint8Array> {
  for await (const c of fileChunks(path)) yield c.bytes.slice();
}

function fail(line: string): number {
  process.stderr.write(`sipladder: ${line}\n`);
  return 2;
}

export async function audioMain(args: string[]): Promise<number> {
  const opts: Record<string, string> = {};
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (name === '--ssrc' || name === '--dst' || name === '--keylog' || name === '-o' || name === '--output') {
      opts[name === '--output' ? '-o' : name] = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : (args[++i] ?? '');
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(AUDIO_USAGE + '\n');
      return 0;
    } else files.push(a);
  }
  const ssrc = parseSsrc(opts['--ssrc'] ?? '');
  if (files.length !== 1 || ssrc === null || !opts['-o']) {
    process.stderr.write(AUDIO_USAGE + '\n');
    return 2;
  }
  const path = files[0]!;
  let keyLog: string | undefined;
  if (opts['--keylog']) {
    try {
      keyLog = await readFile(opts['--keylog'], 'utf8');
    } catch (e) {
      return fail(`${opts['--keylog']}: key log could not be read: ${(e as NodeJS.ErrnoException)?.code ?? String(e)}`);
    }
  }
  try {
    const info = await stat(path);
    if (!info.isFile()) return fail(`${path}: not a regular file`);
    const { report } = await analyzeChunks(fileChunks(path), info.size, {
      memoryBudgetBytes: memoryBudgetFor(getHeapStatistics().heap_size_limit),
      ...(keyLog !== undefined ? { keyLog } : {}),
    });
    const matches = report.rtpStreams.filter((s) => s.kind === 'rtp' && s.ssrc === ssrc && (!opts['--dst'] || s.dst === opts['--dst']));
    if (matches.length === 0) {
      const known = report.rtpStreams.filter((s) => s.kind === 'rtp').map((s) => `${ssrcHex(s.ssrc)} ${s.src} → ${s.dst}`);
      return fail(`${path}: no RTP stream with SSRC ${ssrcHex(ssrc)}${opts['--dst'] ? ` to ${opts['--dst']}` : ''}${known.length ? `; streams: ${known.join(', ')}` : '; the capture has no RTP streams'}`);
    }
    if (matches.length > 1) return fail(`${path}: SSRC ${ssrcHex(ssrc)} names ${matches.length} streams (to ${matches.map((s) => s.dst).join(', ')}): add --dst`);
    const stream = matches[0]!;
    // Re-read with a fresh reader: only this stream's packets are decoded and kept.
    const audio = await decodeStream(fileBytes(path), selectorOf(stream));
    if (audio.codec !== 'pcmu' && audio.codec !== 'pcma' && audio.codec !== 'g722') {
      const why = audio.codec === 'opus' ? 'Opus is decoded by the browser (WebCodecs): open the capture in sipladder and use Download WAV in the Media tab' : 'the CLI decodes G.711 (PCMU/PCMA) and G.722';
      return fail(`${path}: stream ${ssrcHex(ssrc)} is ${codecLabel(audio.codec, stream.payloadType)}; ${why}`);
    }
    const wav = writeWav(audio.pcm, audio.sampleRate);
    if (opts['-o'] === '-') await new Promise<void>((resolve) => process.stdout.write(wav, () => resolve()));
    else await writeFile(opts['-o'], wav);
    const seconds = audio.pcm.length / audio.sampleRate;
    process.stderr.write(
      `${ssrcHex(ssrc)} ${stream.src} → ${stream.dst}: ${codecLabel(audio.codec, stream.payloadType)}, ${audio.placed} packets, ${seconds.toFixed(2)} s at ${audio.sampleRate} Hz → ${opts['-o']}\n`,
    );
    for (const w of audio.warnings.slice(0, 10)) process.stderr.write(`  ${w.frame !== undefined ? `frame ${w.frame}: ` : ''}${w.message}\n`);
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ENOENT') return fail(`${path}: no such file`);
    return fail(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
