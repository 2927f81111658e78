/**
 * The findings' explanations as the worker keeps them once a capture's result is posted: a few
 * hundred words each, one finding per call on a signalling capture (~40 MB of strings in the
 * worker on the bench's 200 MB capture), read only when the page asks for the ones it shows
 * (`explain`). Deflated in blocks of BLOCK explanations: a block is inflated when one of its
 * explanations is asked for, and the last one inflated is kept (the findings panel asks for a
 * call's few findings, which lie close together).
 *
 * A block: the explanations' UTF-8 byte lengths (u32 each, little-endian), then their bytes,
 * deflated (level 1: the words repeat from one finding of a kind to the next, so even the fastest
 * level takes them to a tenth or less). A text UTF-8 cannot carry as it is (a lone surrogate) is
 * kept as a string beside the blocks, so every text comes back exactly.
 */
import { deflateSync, inflateSync } from 'fflate';

/** Explanations per deflated block. */
const BLOCK = 256;
/** A UTF-16 surrogate without its pair (TextEncoder would write U+FFFD for it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export class PackedExplanations {
  readonly length: number;
  readonly #blocks: Uint8Array[] = [];
  /** Texts kept as they are (see above), by index. */
  readonly #kept = new Map<number, string>();
  #last: { block: number; texts: string[] } | null = null;

  constructor(texts: readonly string[]) {
    this.length = texts.length;
    const encoder = new TextEncoder();
    // One work buffer for every block, the texts encoded straight into it: a buffer per text and
    // per block, thrown away at once, were tens of MB of ArrayBuffers on a large capture, alive
    // until the worker's next collection.
    let work = new Uint8Array(0);
    for (let start = 0; start < texts.length; start += BLOCK) {
      const n = Math.min(BLOCK, texts.length - start);
      // At most three UTF-8 bytes per UTF-16 unit.
      let most = 4 * n;
      for (let k = 0; k < n; k++) most += 3 * texts[start + k]!.length;
      if (work.length < most) work = new Uint8Array(Math.max(most, 2 * work.length));
      const view = new DataView(work.buffer);
      let at = 4 * n;
      for (let k = 0; k < n; k++) {
        const t = texts[start + k]!;
        let written = 0;
        if (LONE_SURROGATE.test(t)) this.#kept.set(start + k, t);
        else written = encoder.encodeInto(t, work.subarray(at)).written;
        view.setUint32(4 * k, written, true);
        at += written;
      }
      this.#blocks.push(deflateSync(work.subarray(0, at), { level: 1 }));
    }
  }

  /** Bytes the deflated blocks hold. */
  get packedBytes(): number {
    return this.#blocks.reduce((n, b) => n + b.length, 0);
  }

  /** Explanation i ('' for an index it does not have). */
  at(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return '';
    const kept = this.#kept.get(i);
    if (kept !== undefined) return kept;
    const block = Math.floor(i / BLOCK);
    if (this.#last?.block !== block) this.#last = { block, texts: this.#unpack(block) };
    return this.#last.texts[i - block * BLOCK]!;
  }

  #unpack(block: number): string[] {
    const raw = inflateSync(this.#blocks[block]!);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const n = Math.min(BLOCK, this.length - block * BLOCK);
    // ignoreBOM: a text that starts with U+FEFF keeps it (the decoder drops it by default).
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const texts: string[] = [];
    let at = 4 * n;
    for (let k = 0; k < n; k++) {
      const len = view.getUint32(4 * k, true);
      texts.push(decoder.decode(raw.subarray(at, at + len)));
      at += len;
    }
    return texts;
  }
}
