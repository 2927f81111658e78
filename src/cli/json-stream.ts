/**
 * Streams a value as JSON, byte for byte the UTF-8 of what `JSON.stringify(value, null, indent)`
 * gives, without ever building that one string: the top-level object and the objects and arrays
 * in it are written member by member, each leaf member through `JSON.stringify`, and the text
 * goes out as UTF-8 in chunks of about `CHUNK_BYTES` with the writer's backpressure respected. A
 * 2 GB report (ECMAScript strings stop near 512 MB: "Invalid string length") prints like a small one.
 *
 * Each piece is encoded straight into the chunk (`TextEncoder.encodeInto`). Joining the pieces
 * into a string first and encoding that (a concatenated string of thousands of pieces, flattened,
 * then encoded) took ~0.5 s of the CLI's 7.6 s on the bench's sip-dense file (103 MB of JSON);
 * encoding each piece into place takes a tenth of that.
 */

/** Where the bytes go: resolves when the writer can take more. The chunk is the sink's to keep. */
export type ByteSink = (bytes: Uint8Array) => Promise<void> | void;

const CHUNK_BYTES = 1 << 20;
/** UTF-8 bytes per UTF-16 code unit at most: a piece this much shorter than the room left fits. */
const MAX_BYTES_PER_UNIT = 3;
const encoder = new TextEncoder();
/** Objects and arrays this deep are written member by member; deeper ones as one string. */
const STREAM_DEPTH = 2;

/**
 * For an array whose elements can write themselves: element i as JSON text, exactly what
 * `JSON.stringify(array[i])` gives (used without indentation only). Null: the array is written as
 * any other.
 */
export type ItemJson = (array: readonly unknown[]) => ((i: number) => string) | null;

export async function writeJson(value: unknown, sink: ByteSink, indent?: number, itemJson?: ItemJson): Promise<void> {
  const gap = indent !== undefined && indent > 0 ? ' '.repeat(Math.min(10, Math.floor(indent))) : '';
  // A fresh chunk each time: the sink may hold on to the last one (a stream's queue).
  let chunk = new Uint8Array(CHUNK_BYTES);
  let used = 0;
  /** The bytes so far to the sink (then wait for the sink). */
  const flush = (): Promise<void> | void => {
    if (used === 0) return;
    const out = chunk.subarray(0, used);
    chunk = new Uint8Array(CHUNK_BYTES);
    used = 0;
    return sink(out);
  };
  /** Encodes a piece into the chunk; hands the chunk over when it is full (wait for that, if anything). */
  const add = (s: string): Promise<void> | void => {
    if (s.length * MAX_BYTES_PER_UNIT > CHUNK_BYTES - used) {
      // Possibly no room: what there is goes first, and a piece longer than a chunk goes alone.
      if (used > 0 || s.length * MAX_BYTES_PER_UNIT > CHUNK_BYTES) return addAfter(flush(), s);
    }
    used += encoder.encodeInto(s, chunk.subarray(used)).written;
    if (used >= CHUNK_BYTES - (CHUNK_BYTES >> 4)) return flush();
  };
  const addAfter = async (wait: Promise<void> | void, s: string): Promise<void> => {
    await wait;
    if (s.length * MAX_BYTES_PER_UNIT > CHUNK_BYTES) await sink(encoder.encode(s));
    else await add(s);
  };
  const put = async (s: string): Promise<void> => {
    await add(s);
  };
  /** Writes an array's elements by `item` (`itemJson`): no await between elements until a chunk is full. */
  const putItems = async (length: number, item: (i: number) => string): Promise<void> => {
    for (let i = 0; i < length; i++) {
      if (i > 0) {
        const comma = add(',');
        if (comma) await comma;
      }
      const wait = add(item(i));
      if (wait) await wait;
    }
  };

  /** `JSON.stringify` of a member, indented to `depth` (the same text the whole call would give). */
  const leaf = (v: unknown, depth: number): string | undefined => {
    const s = JSON.stringify(v, null, gap || undefined) as string | undefined;
    if (s === undefined || gap === '' || depth === 0) return s;
    return s.includes('\n') ? s.replaceAll('\n', `\n${gap.repeat(depth)}`) : s;
  };

  const emit = async (v: unknown, depth: number): Promise<void> => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: () => unknown }).toJSON();
    if (depth >= STREAM_DEPTH || v === null || typeof v !== 'object') {
      await put(leaf(v, depth) ?? 'null');
      return;
    }
    const inner = gap ? `\n${gap.repeat(depth + 1)}` : '';
    const close = gap ? `\n${gap.repeat(depth)}` : '';
    if (Array.isArray(v)) {
      if (v.length === 0) {
        await put('[]');
        return;
      }
      await put('[');
      const item = gap === '' && depth + 1 >= STREAM_DEPTH ? (itemJson?.(v) ?? null) : null;
      if (item !== null) {
        await putItems(v.length, item);
        await put(']');
        return;
      }
      for (let i = 0; i < v.length; i++) {
        await put(i === 0 ? inner : `,${inner}`);
        const el: unknown = v[i];
        await emit(el === undefined || typeof el === 'function' || typeof el === 'symbol' ? null : el, depth + 1);
      }
      await put(`${close}]`);
      return;
    }
    let first = true;
    for (const key of Object.keys(v)) {
      const member: unknown = (v as Record<string, unknown>)[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      await put(`${first ? '{' : ','}${inner}${JSON.stringify(key)}:${gap ? ' ' : ''}`);
      first = false;
      await emit(member, depth + 1);
    }
    await put(first ? '{}' : `${close}}`);
  };

  await emit(value, 0);
  await flush();
}
