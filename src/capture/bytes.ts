/**
 * Byte helpers for the capture layer: hex rendering for messages, and `RecordStream`, the
 * push-based walker that container readers (pcap, pcapng) build on.
 *
 * `RecordStream` keeps a small pending-tail buffer: a chunk is walked in place (records are
 * handed out as views into the chunk), and only the partial record left at the end of a chunk
 * is copied. The next push completes that record by appending exactly the bytes it still
 * needs, so nothing is ever copied twice and no buffer larger than one record (which the
 * reader has checked for sanity) is ever allocated.
 */

import type { PacketRecord } from './types.ts';
/** "50 4b 03 04" — the first `n` bytes in lower-case hex, space separated. */
export function hexBytes(bytes: Uint8Array, n = bytes.length): string {
  const parts: string[] = [];
  const end = Math.min(n, bytes.length);
  for (let i = 0; i < end; i++) parts.push((bytes[i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** 2^32, to combine two 32-bit halves into one number. */
export const TWO_POW_32 = 4294967296;

/**
 * Base of the streaming container readers. A subclass says how many bytes the next unit
 * (file header, record, block) needs (`need`) and consumes complete units (`walk`).
 */
/**
 * The record a reader fills in place for every packet. It points into the reader's buffer
 * (`buf`, `start`, `end`) and makes the `data` view only when someone asks for it: one
 * allocation less per packet on the hot path.
 */
export class ReusedRecord implements PacketRecord {
  frame = 0;
  timeUs = 0;
  linkType = 0;
  origLen = 0;
  fileOffset = 0;
  dataOffset = 0;
  interfaceId = 0;
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  get data(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
  set data(bytes: Uint8Array) {
    this.buf = bytes;
    this.start = 0;
    this.end = bytes.length;
  }
}

/** A blank packet record, for readers that fill one in place for every packet. */
export function emptyPacketRecord(): ReusedRecord {
  return new ReusedRecord();
}

export abstract class RecordStream {
  /** Pending partial unit carried over from the previous chunk. */
  private pend: Uint8Array = new Uint8Array(0);
  private pendLen = 0;
  /** File offset of the first byte not yet consumed (start of `pend` when pendLen > 0). */
  protected consumed = 0;
  /** Set by a subclass when the rest of the input cannot be read reliably. */
  protected stopped = false;
  private ended = false;

  /**
   * Bytes the unit starting at `buf[start]` needs in total, given `avail` bytes are there.
   * Returns a number > avail when more bytes are needed, ≤ avail when the unit is complete.
   * Returns 0 after setting `stopped` (with a warning) when the unit is invalid.
   */
  protected abstract need(buf: Uint8Array, view: DataView, start: number, avail: number): number;

  /**
   * Consumes complete units from buf[start..end) and returns the position after the last one
   * consumed. `fileOffset` is the file offset of buf[start].
   */
  protected abstract walk(buf: Uint8Array, view: DataView, start: number, end: number, fileOffset: number): number;

  /** Called by end() when bytes of an incomplete unit remain. */
  protected abstract incomplete(have: number, needed: number, fileOffset: number): void;

  push(chunk: Uint8Array): void {
    if (this.stopped || this.ended || chunk.length === 0) return;
    let pos = 0;
    // 1. Complete the pending unit with just the bytes it still needs.
    while (this.pendLen > 0) {
      const view = new DataView(this.pend.buffer, this.pend.byteOffset, this.pend.byteLength);
      const n = this.need(this.pend, view, 0, this.pendLen);
      if (this.stopped) return;
      if (n > this.pendLen) {
        const take = Math.min(n - this.pendLen, chunk.length - pos);
        if (take === 0) return;
        this.append(chunk, pos, take, n);
        pos += take;
        continue;
      }
      const v2 = new DataView(this.pend.buffer, this.pend.byteOffset, this.pend.byteLength);
      const used = this.walk(this.pend, v2, 0, this.pendLen, this.consumed);
      if (this.stopped) return;
      if (used <= 0) return; // defensive: a unit that says it is complete must be consumed
      this.consumed += used;
      if (used < this.pendLen) {
        this.pend.copyWithin(0, used, this.pendLen);
        this.pendLen -= used;
      } else {
        this.pendLen = 0;
      }
    }
    if (pos >= chunk.length) return;
    // 2. Walk the rest of the chunk in place.
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = this.walk(chunk, view, pos, chunk.length, this.consumed);
    if (this.stopped) return;
    this.consumed += end - pos;
    // 3. Keep the partial tail.
    if (end < chunk.length) this.append(chunk, end, chunk.length - end, chunk.length - end);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.stopped || this.pendLen === 0) return;
    const view = new DataView(this.pend.buffer, this.pend.byteOffset, this.pend.byteLength);
    const n = this.need(this.pend, view, 0, this.pendLen);
    if (this.stopped) return;
    this.incomplete(this.pendLen, n, this.consumed);
  }

  private append(src: Uint8Array, at: number, len: number, hint: number): void {
    const want = this.pendLen + len;
    if (want > this.pend.length) {
      const grown = new Uint8Array(Math.max(want, hint, Math.min(this.pend.length * 2, 1 << 20), 64));
      grown.set(this.pend.subarray(0, this.pendLen));
      this.pend = grown;
    }
    this.pend.set(src.subarray(at, at + len), this.pendLen);
    this.pendLen = want;
  }
}
