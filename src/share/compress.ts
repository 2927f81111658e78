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

/**
 * Most bytes a share link's capture may inflate to. A link holds at most about 2 MB of text
 * (LINK_LIMITS.browserMax), which sipladder fills with well under 64 MiB of capture; a link that
 * inflates beyond this is hostile or broken (a "zip bomb": 1.4 MB of link → 1 GiB) and is
 * refused before the tab runs out of memory.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** Compressed bytes fed per step: DEFLATE expands at most ~1032:1, so one step yields ≤ ~4 MiB. */
const INFLATE_SLICE = 4096;

async function readAll(stream: ReadableStream<Uint8Array>, limit = Infinity): Promise<{ bytes: Uint8Array; error: string | null; tooLarge: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let error: string | null = null;
  let tooLarge = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      total += r.value.length;
      if (total > limit) {
        tooLarge = true;
        await reader.cancel().catch(() => undefined);
        return { bytes: new Uint8Array(0), error: null, tooLarge };
      }
      chunks.push(r.value);
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
  return { bytes: out, error, tooLarge };
}

function streamOf(bytes: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(bytes as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
}

/** The bytes in small slices, each handed over only when the reader asks (backpressure). */
function slicedStreamOf(bytes: Uint8Array, slice: number): ReadableStream<BufferSource> {
  let o = 0;
  return new ReadableStream<BufferSource>(
    {
      pull(controller) {
        if (o >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.subarray(o, Math.min(bytes.length, o + slice)) as Uint8Array<ArrayBuffer>);
        o += slice;
      },
    },
    { highWaterMark: 0 },
  );
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
  /** True when it was refused for inflating beyond the limit (then `bytes` is empty). */
  tooLarge?: boolean;
}

/**
 * Decompresses; never throws. A cut or corrupt stream gives what came out before the damage.
 * Output beyond `limit` bytes is refused (empty bytes, `tooLarge`): the input is fed in slices
 * and read as it comes, so the refusal comes before the memory is spent.
 */
export async function decompress(bytes: Uint8Array, format: CompressionFormat, limit = MAX_INFLATED_BYTES): Promise<Decompressed> {
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = slicedStreamOf(bytes, INFLATE_SLICE).pipeThrough(new DecompressionStream(format)) as ReadableStream<Uint8Array>;
  } catch (e) {
    return { bytes: new Uint8Array(0), problem: `this browser cannot decompress ${format}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const { bytes: out, error, tooLarge } = await readAll(stream, limit);
  if (tooLarge) {
    return {
      bytes: out,
      tooLarge: true,
      problem: `the capture in this link inflates to more than ${Math.round(limit / (1024 * 1024))} MiB, far more than a share link can carry (about 2 MB of text), so it was not opened: the link is broken or made to exhaust memory`,
    };
  }
  return { bytes: out, problem: error === null ? null : `the compressed capture is cut short or damaged (${error}); ${out.length} bytes were recovered` };
}
