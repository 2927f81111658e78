/**
 * Opus (RFC 7587) through the platform: WebCodecs' AudioDecoder, which Chromium has in pages and
 * workers and Node does not. The payloads of the one stream asked for are kept (compressed, a few
 * KB a second) with their timeline positions during the scan, then decoded in order, each output
 * placed where its packet's RTP timestamp puts it; gaps stay silence. RTP carries Opus with a
 * 48 kHz clock whatever the encoder's internal rate, and the decoder is asked for mono (a stereo
 * stream is down-mixed by the decoder).
 */
import type { MediaWarning, PcmTimeline } from './extract.ts';

interface DecoderLike {
  configure(c: { codec: string; sampleRate: number; numberOfChannels: number }): void;
  decode(chunk: unknown): void;
  flush(): Promise<void>;
  close(): void;
  readonly state: string;
}
interface AudioDataLike {
  timestamp: number;
  numberOfFrames: number;
  numberOfChannels: number;
  copyTo(dest: Float32Array, opts: { planeIndex: number; format: 'f32-planar' }): void;
  close(): void;
}
interface WebCodecs {
  AudioDecoder: { new (init: { output: (d: AudioDataLike) => void; error: (e: unknown) => void }): DecoderLike; isConfigSupported(c: object): Promise<{ supported?: boolean }> };
  EncodedAudioChunk: new (init: { type: 'key' | 'delta'; timestamp: number; data: Uint8Array }) => unknown;
}

function webCodecs(): WebCodecs | null {
  const g = globalThis as unknown as Partial<WebCodecs>;
  return typeof g.AudioDecoder === 'function' && typeof g.EncodedAudioChunk === 'function' ? (g as WebCodecs) : null;
}

/** True where this runtime has a WebCodecs AudioDecoder (it may still not support Opus: decode() says). */
export function opusDecoderAvailable(): boolean {
  return webCodecs() !== null;
}

/** Opus payloads of one stream, collected during the scan and decoded at the end. */
export class OpusPackets {
  private packets: Array<{ position: number; payload: Uint8Array }> = [];

  add(position: number, payload: Uint8Array): void {
    this.packets.push({ position, payload: payload.slice() });
  }

  /** Decode into `timeline` (48 kHz positions). */
  async decode(timeline: PcmTimeline, sampleRate: number): Promise<{ warnings: MediaWarning[]; cut: boolean }> {
    const warnings: MediaWarning[] = [];
    const wc = webCodecs();
    if (!wc || this.packets.length === 0) return { warnings, cut: false };
    const config = { codec: 'opus', sampleRate, numberOfChannels: 1 };
    const support = await wc.AudioDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
    if (!support.supported) {
      warnings.push({ message: "this browser's WebCodecs cannot decode Opus" });
      return { warnings, cut: false };
    }
    let cut = false;
    let failed: string | null = null;
    const plane = new Float32Array(5760); // 120 ms at 48 kHz: the longest Opus frame
    let buf = plane;
    const decoder = new wc.AudioDecoder({
      output: (d) => {
        try {
          const pos = Math.round((d.timestamp * sampleRate) / 1e6);
          const n = d.numberOfFrames;
          if (buf.length < n) buf = new Float32Array(n);
          d.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
          if (!timeline.reserve(pos, n)) {
            cut = true;
            return;
          }
          const out = timeline.samples;
          for (let i = 0; i < n; i++) {
            const v = buf[i]!;
            out[pos + i] = v >= 1 ? 32767 : v <= -1 ? -32768 : Math.round(v * 32767);
          }
        } finally {
          d.close();
        }
      },
      error: (e) => {
        failed = e instanceof Error ? e.message : String(e);
      },
    });
    decoder.configure(config);
    for (const p of this.packets) {
      if (failed) break;
      if (p.payload.length === 0) continue; // DTX / an empty packet: silence
      decoder.decode(new wc.EncodedAudioChunk({ type: 'key', timestamp: Math.round((p.position * 1e6) / sampleRate), data: p.payload }));
    }
    try {
      await decoder.flush();
    } catch (e) {
      failed ??= e instanceof Error ? e.message : String(e);
    }
    if (decoder.state !== 'closed') decoder.close();
    if (failed) warnings.push({ message: `Opus decoding stopped: ${failed}` });
    this.packets = [];
    return { warnings, cut };
  }
}
