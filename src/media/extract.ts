/**
 * One RTP stream's audio, re-read from the capture on demand: the container readers and the
 * link/IP/UDP decoders of src/capture re-scan the file, keep only the UDP datagrams of the asked
 * stream (destination ip:port + SSRC, from its known sources), and place each payload on a
 * timeline by its RTP timestamp (RFC 3550 §5.1). Nothing but this one stream's samples is held,
 * so memory stays flat however large the capture.
 *
 * The timeline rule (what a simple jitter buffer with an unbounded delay would play):
 *   - sample position = (extended RTP timestamp − the first packet's) × samples per clock tick;
 *     the 32-bit timestamp is unwrapped against the previous packet's;
 *   - a time with no payload is silence (lost packets, silence suppression, comfort noise);
 *   - a reordered packet still lands in its own slot; a duplicate rewrites the same samples;
 *     a packet before position 0 (it would precede the first one heard) is dropped;
 *   - when the timestamp step and the arrival step disagree by more than a second (the sender
 *     restarted its clock, or a new source took over the SSRC), the timeline re-anchors: the new
 *     packet goes where its arrival time puts it, measured from the previous packet;
 *   - only the stream's audio payload type is decoded; comfort noise (PT 13, RFC 3389) and
 *     telephone-events (RFC 4733) are left as silence.
 * G.711 (PCMU/PCMA, RFC 3551 §4.5.14) and G.722 (RFC 3551 §4.5.2) are decoded here; Opus
 * (RFC 7587) by the platform's WebCodecs AudioDecoder where the runtime has one (media/opus.ts).
 */
import type { CaptureWarning, ContainerReader, ContainerSink, PacketRecord } from '../capture/types.ts';
import { decodePacket } from '../capture/decode.ts';
import { openContainer, sniffContainer } from '../capture/sniff.ts';
import { gunzipChunks } from '../capture/source.ts';
import { ALAW_TABLE, decodeG711, ULAW_TABLE } from './g711.ts';
import { G722Decoder } from './g722.ts';
import { OpusPackets, opusDecoderAvailable } from './opus.ts';

export type AudioCodec = 'pcmu' | 'pcma' | 'g722' | 'opus' | 'other';

/** Which stream: as the report names it (endpoints are "ip:port", IPv6 "[addr]:port"). */
export interface StreamSelector {
  ssrc: number;
  src: string;
  dst: string;
  payloadType: number;
  /** Other sources the stream came from (the report's sourceChanges[].to). */
  otherSources?: readonly string[];
  /** The scan skips frames before and stops after these (the report's firstFrame/lastFrame). */
  firstFrame?: number;
  lastFrame?: number;
  /** The codec name from SDP where known ("PCMU", "opus/48000/2" …); else the static PT decides. */
  codec?: string | null;
}

export interface MediaWarning {
  frame?: number;
  message: string;
}

/** Codec of a stream: the SDP name when given, else the RFC 3551 static payload type. */
export function audioCodecOf(payloadType: number, name?: string | null): AudioCodec {
  const n = (name ?? '').toLowerCase();
  if (n) {
    if (/pcmu|u-?law|µ-?law|g\.?711u/.test(n)) return 'pcmu';
    if (/pcma|a-?law|g\.?711a/.test(n)) return 'pcma';
    if (/g\.?722(?!\.)/.test(n)) return 'g722';
    if (/opus/.test(n)) return 'opus';
  }
  if (payloadType === 0) return 'pcmu';
  if (payloadType === 8) return 'pcma';
  if (payloadType === 9) return 'g722';
  return 'other';
}

/** RTP clock rate and the audio sample rate it decodes to (G.722: 8000 Hz clock, 16 kHz audio, RFC 3551 §4.5.2). */
export function ratesOf(codec: AudioCodec): { clockRate: number; sampleRate: number } {
  switch (codec) {
    case 'g722':
      return { clockRate: 8000, sampleRate: 16000 };
    case 'opus':
      return { clockRate: 48000, sampleRate: 48000 };
    default:
      return { clockRate: 8000, sampleRate: 8000 };
  }
}

/** One RTP packet of the stream; `payload` is a view valid only during the callback. */
export interface RtpPayload {
  frame: number;
  timeUs: number;
  seq: number;
  /** Position of the payload's first sample on the timeline (in output samples). */
  position: number;
  marker: boolean;
  payload: Uint8Array;
}

export interface ScanResult {
  /** Packets of the stream seen (any payload type). */
  packets: number;
  /** Packets placed on the timeline (the audio payload type). */
  placed: number;
  /** Capture time of timeline position 0 (µs since the epoch); null when nothing was placed. */
  startUs: number | null;
  sampleRate: number;
  warnings: MediaWarning[];
}

const SECOND_US = 1_000_000;

/**
 * Re-scans the capture (any chunking; gzip is undone) for one stream and calls `onPayload` for
 * each packet of its audio payload type, in capture order, with its timeline position.
 */
export async function scanStream(chunks: AsyncIterable<Uint8Array>, sel: StreamSelector, onPayload: (p: RtpPayload) => void): Promise<ScanResult> {
  const codec = audioCodecOf(sel.payloadType, sel.codec);
  const { clockRate, sampleRate } = ratesOf(codec);
  const perTick = sampleRate / clockRate;
  const sources = new Set([sel.src, ...(sel.otherSources ?? [])]);
  const first = sel.firstFrame ?? 0;
  const last = sel.lastFrame ?? Infinity;
  const warnings: MediaWarning[] = [];
  const out: ScanResult = { packets: 0, placed: 0, startUs: null, sampleRate, warnings };
  let stop = false;
  // Timeline state.
  let prevTs = 0;
  let prevExt = 0;
  let prevUs = 0;
  let prevPos = 0;
  let anchorExt = 0;
  let anchorPos = 0;
  let tooEarly = 0;
  const view: RtpPayload = { frame: 0, timeUs: 0, seq: 0, position: 0, marker: false, payload: new Uint8Array(0) };

  const sink: ContainerSink = {
    packet(rec: PacketRecord) {
      if (rec.frame < first) return;
      if (rec.frame > last) {
        stop = true;
        return;
      }
      const p = decodePacket(rec.linkType, rec.data);
      if (p === null || p.protocol !== 17) return;
      const d = p.payload;
      if (d.length < 12 || (d[0]! & 0xc0) !== 0x80) return;
      const ssrc = ((d[8]! << 24) | (d[9]! << 16) | (d[10]! << 8) | d[11]!) >>> 0;
      if (ssrc !== sel.ssrc) return;
      if (!sameEndpoint(p.dst, p.dport, sel.dst) || !anyEndpoint(p.src, p.sport, sources)) return;
      const pt = d[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return; // RTCP sharing the port (RFC 5761)
      out.packets++;
      if (pt !== sel.payloadType) return;
      // Header: 12 bytes + CSRCs, then an optional extension, payload, optional padding.
      let off = 12 + (d[0]! & 0x0f) * 4;
      let end = d.length;
      if (d[0]! & 0x10) {
        if (off + 4 > end) return bad(rec.frame, 'RTP header extension runs past the packet');
        off += 4 + ((d[off + 2]! << 8) | d[off + 3]!) * 4;
      }
      if (d[0]! & 0x20) end -= d[end - 1]!;
      if (off > end) return bad(rec.frame, 'RTP header or padding longer than the packet');
      const ts = ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
      let position: number;
      if (out.startUs === null) {
        out.startUs = rec.timeUs;
        prevExt = anchorExt = ts;
        anchorPos = position = 0;
      } else {
        const ext = prevExt + ((ts - prevTs) | 0); // signed 32-bit step: unwraps the timestamp
        const tsStep = (ext - prevExt) / clockRate;
        const arrivalStep = (rec.timeUs - prevUs) / SECOND_US;
        if (Math.abs(tsStep - arrivalStep) > 1) {
          // Discontinuity: re-anchor where the arrival time puts this packet.
          anchorExt = ext;
          anchorPos = Math.max(0, Math.round(prevPos + arrivalStep * sampleRate));
          warnings.push({ frame: rec.frame, message: `RTP timestamp jumped by ${tsStep.toFixed(3)} s while ${arrivalStep.toFixed(3)} s passed: the audio continues from the arrival time` });
        }
        position = anchorPos + Math.round((ext - anchorExt) * perTick);
        prevExt = ext;
      }
      prevTs = ts;
      prevUs = rec.timeUs;
      prevPos = position;
      if (position < 0) {
        tooEarly++;
        return;
      }
      out.placed++;
      view.frame = rec.frame;
      view.timeUs = rec.timeUs;
      view.seq = (d[2]! << 8) | d[3]!;
      view.position = position;
      view.marker = (d[1]! & 0x80) !== 0;
      view.payload = d.subarray(off, end);
      onPayload(view);
    },
    warning(w: CaptureWarning) {
      if (warnings.length < 50) warnings.push({ ...(w.frame !== undefined ? { frame: w.frame } : {}), message: w.message });
    },
  };
  function bad(frame: number, message: string): void {
    if (warnings.length < 50) warnings.push({ frame, message });
  }

  const it = chunks[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) return out;
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield head.value as Uint8Array;
    while (!stop) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
    await it.return?.();
  }
  const gz = sniffContainer(head.value).kind === 'gzip';
  let reader: ContainerReader | null = null;
  try {
    for await (const chunk of gz ? gunzipChunks(rest()) : rest()) {
      if (reader === null) {
        const opened = openContainer(chunk, sink);
        if ('error' in opened) {
          warnings.push({ message: opened.error });
          return out;
        }
        reader = opened;
      }
      reader.push(chunk);
      if (stop) break;
    }
    if (!stop) reader?.end();
  } catch (e) {
    // A gzip stream cut short by our own early stop is expected; anything else is reported.
    if (!stop) warnings.push({ message: `the capture could not be read to its end: ${e instanceof Error ? e.message : String(e)}` });
  }
  if (tooEarly > 0) warnings.push({ message: `${tooEarly} packet${tooEarly === 1 ? '' : 's'} older than the first one heard were left out` });
  return out;
}

function sameEndpoint(ip: string, port: number, key: string): boolean {
  // "ip:port" or "[v6]:port"
  const colon = key.lastIndexOf(':');
  if (colon < 0 || Number(key.slice(colon + 1)) !== port) return false;
  const host = key.slice(0, colon);
  return host === ip || host === `[${ip}]`;
}

function anyEndpoint(ip: string, port: number, keys: ReadonlySet<string>): boolean {
  for (const k of keys) if (sameEndpoint(ip, port, k)) return true;
  return false;
}

export interface DecodedAudio {
  codec: AudioCodec;
  sampleRate: number;
  /** Mono 16-bit PCM; silence where nothing arrived. */
  pcm: Int16Array;
  startUs: number | null;
  packets: number;
  placed: number;
  warnings: MediaWarning[];
}

/** Longest audio one request decodes (the rest is cut with a warning): 4 hours. */
export const MAX_AUDIO_SECONDS = 4 * 3600;

/** A growable PCM buffer: payloads write at their position, unwritten samples stay 0 (silence). */
export class PcmTimeline {
  private buf = new Int16Array(8000 * 10);
  length = 0;
  constructor(readonly maxSamples: number) {}

  /** Room for `n` samples at `pos`; false when that passes the cap. */
  reserve(pos: number, n: number): boolean {
    const need = pos + n;
    if (need > this.maxSamples) return false;
    if (need > this.buf.length) {
      let size = this.buf.length;
      while (size < need) size *= 2;
      const next = new Int16Array(Math.min(size, this.maxSamples));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    if (need > this.length) this.length = need;
    return true;
  }

  get samples(): Int16Array {
    return this.buf;
  }

  /** The PCM, trimmed to its length (a copy only when the buffer is larger). */
  result(): Int16Array {
    return this.buf.length === this.length ? this.buf : this.buf.slice(0, this.length);
  }
}

/**
 * The stream's audio decoded to PCM: G.711 and G.722 here (any runtime); Opus through the
 * platform's WebCodecs AudioDecoder where there is one (the page's worker), else an empty result
 * and a message; other codecs likewise.
 */
export async function decodeStream(chunks: AsyncIterable<Uint8Array>, sel: StreamSelector, maxSeconds = MAX_AUDIO_SECONDS): Promise<DecodedAudio> {
  const codec = audioCodecOf(sel.payloadType, sel.codec);
  const { sampleRate } = ratesOf(codec);
  const timeline = new PcmTimeline(Math.round(maxSeconds * sampleRate));
  const table = codec === 'pcmu' ? ULAW_TABLE : codec === 'pcma' ? ALAW_TABLE : null;
  const g722 = codec === 'g722' ? new G722Decoder() : null;
  const opus = codec === 'opus' && opusDecoderAvailable() ? new OpusPackets() : null;
  let cut = false;
  const decodable = table !== null || g722 !== null || opus !== null;
  const scan = await scanStream(decodable ? chunks : emptyChunks(), sel, (p) => {
    const n = g722 ? 2 * p.payload.length : table ? p.payload.length : 0;
    if (!timeline.reserve(p.position, n)) {
      cut = true;
      return;
    }
    if (table) decodeG711(table, p.payload, timeline.samples, p.position);
    else if (g722) g722.decode(p.payload, timeline.samples, p.position);
    else if (opus) opus.add(p.position, p.payload);
  });
  const warnings = scan.warnings;
  if (opus) {
    const r = await opus.decode(timeline, sampleRate);
    for (const w of r.warnings) warnings.push(w);
    if (r.cut) cut = true;
  }
  if (!decodable) {
    warnings.push({
      message:
        codec === 'opus'
          ? 'Opus is decoded by the browser (WebCodecs); this runtime has no AudioDecoder — open the capture in sipladder in the browser to listen'
          : `${codecLabel(codec, sel.payloadType)} is not decoded by sipladder itself`,
    });
  }
  if (cut) warnings.push({ message: `the audio was cut at ${Math.round(maxSeconds / 60)} minutes` });
  return { codec, sampleRate, pcm: timeline.result(), startUs: scan.startUs, packets: scan.packets, placed: scan.placed, warnings };
}

async function* emptyChunks(): AsyncGenerator<Uint8Array> {}

export function codecLabel(codec: AudioCodec, payloadType: number): string {
  switch (codec) {
    case 'pcmu':
      return 'G.711 µ-law (PCMU)';
    case 'pcma':
      return 'G.711 A-law (PCMA)';
    case 'g722':
      return 'G.722';
    case 'opus':
      return 'Opus';
    default:
      return `payload type ${payloadType}`;
  }
}
