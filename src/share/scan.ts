/**
 * Reads a capture once more and hands every packet record to a visitor (records are only valid
 * during the call, as everywhere in the engine). The bundle builder uses it to pick the frames a
 * share carries. Accepts pcap, pcapng and gzip-compressed either (same readers as the engine).
 */
import { openContainer, sniffContainer } from '../capture/sniff.ts';
import { gunzipChunks } from '../capture/source.ts';
import type { ContainerReader, PacketRecord } from '../capture/types.ts';

export type Visit = (rec: PacketRecord) => void;
export type Scan = (visit: Visit) => Promise<void>;

export async function scanChunks(chunks: AsyncIterable<Uint8Array>, visit: Visit): Promise<void> {
  const it = chunks[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first.value as Uint8Array;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  const stream = sniffContainer(first.value).kind === 'gzip' ? gunzipChunks(all()) : all();
  let reader: ContainerReader | null = null;
  const sink = { packet: visit, warning() {} };
  for await (const chunk of stream) {
    if (reader === null) {
      const opened = openContainer(chunk, sink);
      if ('error' in opened) throw new Error(opened.error);
      reader = opened;
    }
    reader.push(chunk);
  }
  reader?.end();
}

/** A scanner over bytes in memory. */
export function scanBytes(bytes: Uint8Array): Scan {
  return (visit) =>
    scanChunks(
      (async function* () {
        yield bytes;
      })(),
      visit,
    );
}

/** A scanner over a Blob/File, read in slices. */
export function scanBlob(blob: Blob, chunkSize = 4 << 20): Scan {
  return (visit) =>
    scanChunks(
      (async function* () {
        for (let off = 0; off < blob.size; off += chunkSize) yield new Uint8Array(await blob.slice(off, off + chunkSize).arrayBuffer());
      })(),
      visit,
    );
}
