/**
 * Where capture bytes come from: a Blob/File read in slices (works in the browser, a Web Worker
 * and Node ≥ 20), optional gzip decompression through the platform `DecompressionStream`
 * (RFC 1952), and `readContainer`, which sniffs the container, decompresses gzip transparently
 * and pushes everything through the matching reader. No Node built-ins here.
 */
import type { ContainerFormat, ContainerSink } from './types.ts';
import { concatBytes } from './bytes.ts';
import { openContainer, sniffContainer } from './sniff.ts';

export interface Chunk {
  bytes: Uint8Array;
  /** Offset of `bytes[0]` in the blob. */
  offset: number;
  /** Blob size. */
  total: number;
}

/** Reads a Blob/File in slices of `chunkSize` bytes. Stops with an AbortError when `signal` fires. */
export async function* readChunks(blob: Blob, chunkSize = 16 << 20, signal?: AbortSignal): AsyncGenerator<Chunk> {
  const total = blob.size;
  const size = Math.max(1, Math.floor(chunkSize));
  for (let offset = 0; offset < total; offset += size) {
    signal?.throwIfAborted();
    const buf = await blob.slice(offset, Math.min(total, offset + size)).arrayBuffer();
    signal?.throwIfAborted();
    yield { bytes: new Uint8Array(buf), offset, total };
  }
}

/**
 * Compressed bytes handed to the decompressor at a time. DEFLATE expands at most about 1032:1 and
 * the decompressor turns each piece it is given into output at once, so this bounds the output
 * waiting to be read to ~16 MiB: a gzip bomb streams through instead of piling up in memory.
 */
const GUNZIP_SLICE = 16 * 1024;

/** Decompresses a gzip byte stream (all members) with the platform DecompressionStream. */
export async function* gunzipChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  let rest: Uint8Array | null = null;
  const input = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (rest === null || rest.length === 0) {
        const r = await it.next();
        if (r.done) {
          controller.close();
          return;
        }
        rest = r.value;
      }
      controller.enqueue(rest.subarray(0, GUNZIP_SLICE));
      rest = rest.subarray(Math.min(GUNZIP_SLICE, rest.length));
    },
    async cancel() {
      await it.return?.();
    },
  });
  const reader = input.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>).getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}

export type ReadResult =
  | { format: ContainerFormat; gzip: boolean; linkTypes: number[]; bytes: number }
  | { error: string };

/**
 * Sniffs, (gunzips,) and reads a whole capture from a stream of chunks, calling `sink` as it
 * goes. Returns the container format or a one-line error when it is not a capture file.
 */
export async function readContainer(chunks: AsyncIterable<Uint8Array>, sink: ContainerSink, gzipped = false): Promise<ReadResult> {
  const it = chunks[Symbol.asyncIterator]();
  const headParts: Uint8Array[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 8) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    headParts.push(r.value);
    headLen += r.value.length;
  }
  const head = headParts.length === 1 ? (headParts[0] as Uint8Array) : concatBytes(headParts);
  if (!gzipped && sniffContainer(head).kind === 'gzip') {
    const rest = async function* (): AsyncGenerator<Uint8Array> {
      yield head;
      if (!done) {
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield r.value;
        }
      }
    };
    try {
      return await readContainer(gunzipChunks(rest()), sink, true);
    } catch (e) {
      return { error: `gzip data could not be decompressed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const reader = openContainer(head, sink);
  if ('error' in reader) {
    await it.return?.();
    return { error: gzipped ? `inside the gzip file: ${reader.error}` : reader.error };
  }
  let bytes = head.length;
  reader.push(head);
  if (!done) {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      bytes += r.value.length;
      reader.push(r.value);
    }
  }
  reader.end();
  return { format: reader.format, gzip: gzipped, linkTypes: reader.linkTypes(), bytes };
}

/** The `bytes` of `readChunks`, for `readContainer`. */
export async function* chunkBytes(chunks: AsyncIterable<Chunk>): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) yield c.bytes;
}
