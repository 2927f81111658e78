/**
 * Re-reads a capture and returns the chosen frames as a new pcap or pcapng file (the original
 * bytes, the original timestamps). Used for "export the selected calls as pcap" and for the
 * packets a share link carries. Frames keep their bytes; their numbers change, as in Wireshark's
 * "Export Specified Packets".
 */
import { openContainer, sniffContainer } from '../capture/sniff.ts';
import { gunzipChunks } from '../capture/source.ts';
import type { ContainerReader, PacketRecord } from '../capture/types.ts';
import { writePcap, writePcapng } from '../capture/write.ts';
import type { WritablePacket } from '../capture/write.ts';

/** Frames picked by what they are rather than by number (e.g. every frame of a TLS connection). */
export interface FrameMatcher {
  matches(rec: PacketRecord): boolean;
  /** No frame after this one matches. */
  lastFrame: number;
}

export async function collectFrames(
  chunks: AsyncIterable<Uint8Array>,
  frames: ReadonlySet<number>,
  also?: FrameMatcher,
): Promise<Array<WritablePacket & { frame: number }>> {
  const picked: Array<WritablePacket & { frame: number }> = [];
  const max = Math.max(0, also?.lastFrame ?? 0, ...frames);
  const sink = {
    packet(rec: PacketRecord) {
      if (frames.has(rec.frame) || (also !== undefined && also.matches(rec))) {
        picked.push({ frame: rec.frame, timeUs: rec.timeUs, linkType: rec.linkType, data: rec.data.slice(), origLen: rec.origLen });
      }
    },
    warning() {},
  };
  // Peek the first chunk to sniff gzip, then read everything (through the decompressor if needed).
  const it = chunks[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return picked;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first.value as Uint8Array;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  const stream = sniffContainer(first.value).kind === 'gzip' ? gunzipChunks(all()) : all();
  let reader: ContainerReader | null = null;
  for await (const chunk of stream) {
    if (reader === null) {
      const opened = openContainer(chunk, sink);
      if ('error' in opened) throw new Error(opened.error);
      reader = opened;
    }
    reader.push(chunk);
    if (picked.length > 0 && picked[picked.length - 1]!.frame >= max) break;
  }
  reader?.end();
  return picked;
}

/** How a pcapng export makes SIP over TLS readable: which frames to add, and the key log for them. */
export interface TlsKeys {
  frames: FrameMatcher;
  /** The key-log lines for the exported connections, from the frames picked (null: none). */
  keyLogFor(picked: ReadonlyArray<WritablePacket & { frame: number }>): string | null;
}

/** Either matcher (e.g. the TLS connections and the media of one export). */
export function eitherMatcher(a: FrameMatcher | null | undefined, b: FrameMatcher | null | undefined): FrameMatcher | undefined {
  if (!a) return b ?? undefined;
  if (!b) return a;
  return { lastFrame: Math.max(a.lastFrame, b.lastFrame), matches: (rec) => a.matches(rec) || b.matches(rec) };
}

/**
 * `media`: frames picked by what they are (the calls' RTP/RTCP, see call-export.ts), written in
 * both formats.
 */
export async function extractFrames(
  file: Blob,
  frames: ReadonlySet<number>,
  format: 'pcap' | 'pcapng',
  comments: Record<number, string> = {},
  tls?: TlsKeys,
  media?: FrameMatcher | null,
): Promise<Uint8Array> {
  async function* slices(): AsyncGenerator<Uint8Array> {
    const size = 16 << 20;
    for (let off = 0; off < file.size; off += size) yield new Uint8Array(await file.slice(off, off + size).arrayBuffer());
  }
  const withTls = format === 'pcapng' ? tls : undefined;
  const picked = await collectFrames(slices(), frames, eitherMatcher(withTls?.frames, media));
  const linkTypes = new Set(picked.map((p) => p.linkType));
  if (format === 'pcap' && linkTypes.size <= 1) return writePcap(picked);
  const keyLog = withTls?.keyLogFor(picked) ?? null;
  return writePcapng(picked.map((p) => ({ ...p, comment: comments[p.frame] })), undefined, keyLog === null ? [] : [keyLog]);
}
