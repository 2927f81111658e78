/**
 * Compression with the platform's CompressionStream (WHATWG Compression Standard): raw DEFLATE
 * (RFC 1951) where the platform has it, else gzip (RFC 1952). Decompression keeps whatever came
 * out before an error, so a link cut short in a chat still gives the packets it carried whole.
 */

export type CompressionFormat = 'deflate-raw' | 'gzip';

function supported(format: CompressionFormat): boolean {
  try {
    new CompressionStream(format);
    return true;
  } catch {
    return false;
  }
}

/** The format this platform compresses with: deflate-raw (smaller), else gzip. */
export function pickFormat(): CompressionFormat {
  return supported('deflate-raw') ? 'deflate-raw' : 'gzip';
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; error: string | null }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let error: string | null = null;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      chunks.push(r.value);
      total += r.value.length;
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { bytes: out, error };
}

function streamOf(bytes: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(bytes as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
}

export async function compress(bytes: Uint8Array, format: CompressionFormat = pickFormat()): Promise<Uint8Array> {
  const { bytes: out, error } = await readAll(streamOf(bytes).pipeThrough(new CompressionStream(format)) as ReadableStream<Uint8Array>);
  if (error !== null) throw new Error(`compression failed: ${error}`);
  return out;
}

export interface Decompressed {
  bytes: Uint8Array;
  /** Why decompression stopped early (truncated or corrupt input), or null when it completed. */
  problem: string | null;
}

/** Decompresses; never throws. A cut or corrupt stream gives what came out before the damage. */
export async function decompress(bytes: Uint8Array, format: CompressionFormat): Promise<Decompressed> {
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = streamOf(bytes).pipeThrough(new DecompressionStream(format)) as ReadableStream<Uint8Array>;
  } catch (e) {
    return { bytes: new Uint8Array(0), problem: `this browser cannot decompress ${format}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const { bytes: out, error } = await readAll(stream);
  return { bytes: out, problem: error === null ? null : `the compressed capture is cut short or damaged (${error}); ${out.length} bytes were recovered` };
}
