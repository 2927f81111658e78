/**
 * Streams a value as JSON text, byte for byte what `JSON.stringify(value, null, indent)` gives,
 * without ever building that one string: the top-level object and the objects and arrays in it
 * are written member by member, each leaf member through `JSON.stringify`, and the text goes out
 * in pieces of about `CHUNK_CHARS` with the writer's backpressure respected. A 2 GB report
 * (ECMAScript strings stop near 512 MB: "Invalid string length") prints like a small one.
 */

/** Where the text goes: resolves when the writer can take more. */
export type TextSink = (text: string) => Promise<void> | void;

const CHUNK_CHARS = 1 << 20;
/** Objects and arrays this deep are written member by member; deeper ones as one string. */
const STREAM_DEPTH = 2;

/**
 * For an array whose elements can write themselves: element i as JSON text, exactly what
 * `JSON.stringify(array[i])` gives (used without indentation only). Null: the array is written as
 * any other.
 */
export type ItemJson = (array: readonly unknown[]) => ((i: number) => string) | null;

export async function writeJson(value: unknown, sink: TextSink, indent?: number, itemJson?: ItemJson): Promise<void> {
  const gap = indent !== undefined && indent > 0 ? ' '.repeat(Math.min(10, Math.floor(indent))) : '';
  let buf = '';
  /** Hands the text so far to the sink once it is a chunk's worth (then wait for the sink). */
  const flushWhenFull = (): Promise<void> | void => {
    if (buf.length < CHUNK_CHARS) return;
    const out = buf;
    buf = '';
    return sink(out);
  };
  const put = async (s: string): Promise<void> => {
    buf += s;
    await flushWhenFull();
  };
  /** Writes an array's elements by `item` (`itemJson`): no await between elements until a chunk is full. */
  const putItems = async (length: number, item: (i: number) => string): Promise<void> => {
    for (let i = 0; i < length; i++) {
      buf += i === 0 ? item(i) : `,${item(i)}`;
      const wait = flushWhenFull();
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
  if (buf.length > 0) await sink(buf);
}
