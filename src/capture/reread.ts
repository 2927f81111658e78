/**
 * Reading the input again: the bytes of an uncompressed capture, by offset, after the one pass.
 *
 * Why: on a signalling capture the SIP messages' text is the largest thing an analysis holds
 * (sip-dense: ~480 bytes of every message's ~2.3 KB at the heap's peak), yet after the parse
 * almost nothing reads it: the detail view, a search, a shared call, a message parsed again for a
 * finding's sentence. A message that lies whole in one packet record of the file is therefore not
 * kept: its offset and length are, and its text is read again from the file when asked (the CLI
 * reads the file, the worker the dropped File with FileReaderSync). Reassembled, decrypted,
 * unmasked or decompressed messages are not in the file as they were parsed: they keep their text.
 *
 * A read that follows the one before it in the file goes through a window starting at the offset
 * asked for, so the messages that follow come out of memory: a search walks the messages in capture
 * order, which is file order, and reads the file about once. A jump reads just the message. The
 * window is WINDOW_BYTES after a jump and twice as long at each window read that goes on in file
 * order, up to MAX_WINDOW_BYTES: a long walk reads the file in a few large reads, a detector's
 * short walk through one call's messages reads no more than before.
 */

/** Reads `length` bytes at `offset` of the input (fewer at its end); may throw when the input can no longer be read. */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/** The window after a jump. */
const WINDOW_BYTES = 256 << 10;
/**
 * The longest window. In Chromium each read of the dropped file (FileReaderSync over a slice of
 * it) costs about 1 ms whatever its size, below a few MB: a search of the bench's 200 MB capture
 * spent 0.9 s reading it in 256 KB windows, 0.6 s in 2 MB ones, 0.3 s in 8 MB ones; with windows
 * growing to 4 MB the whole search takes 1.2–1.6 s instead of 2.0–2.3 s. Not every window that long: a
 * detector reading one call's messages after another's, each a forward walk after a jump back,
 * would read 4 MB per call (the trace of interleaved authentications below). A window is one
 * buffer, replaced by the next.
 */
const MAX_WINDOW_BYTES = 4 << 20;
const EMPTY = new Uint8Array(0);

export class Reread {
  private window: Uint8Array = EMPTY;
  private windowAt = 0;
  /** Where the bytes asked for last ended (0 before the first). */
  private lastEnd = 0;
  /** The next window's length. */
  private size: number;
  /** The last read from the file was a window read ahead (the walk in file order goes on). */
  private walking = false;
  /** Reads that failed or came back short (the file changed or went away since the pass). */
  failures = 0;
  /** Why the first failed read failed. */
  firstFailure: string | null = null;

  constructor(
    private readonly readAt: ReadAt,
    private readonly windowBytes = WINDOW_BYTES,
    private readonly maxWindowBytes = MAX_WINDOW_BYTES,
  ) {
    this.size = windowBytes;
  }

  /** The `length` bytes at `offset`, or null when the input no longer gives them (counted in `failures`). */
  bytes(offset: number, length: number): Uint8Array | null {
    const w = this.window;
    const from = offset - this.windowAt;
    if (from >= 0 && from + length <= w.length) {
      this.lastEnd = offset + length;
      return w.subarray(from, from + length);
    }
    // A walk in file order (what was asked last ended just before this) reads a window ahead; a
    // jump (a detector going call by call, the detail view) reads just the message: a window per
    // jump read the file many times over (a 105 MB trace of interleaved authentications: 29 GiB).
    const ahead = offset >= this.lastEnd && offset - this.lastEnd < this.size;
    this.lastEnd = offset + length;
    // The walk goes on past the last window: a longer one; a jump: the shortest again.
    if (!ahead) this.size = this.windowBytes;
    else if (this.walking) this.size = Math.min(this.size * 2, Math.max(this.windowBytes, this.maxWindowBytes));
    this.walking = ahead;
    let got: Uint8Array;
    try {
      got = this.readAt(offset, ahead ? Math.max(length, this.size) : length);
    } catch (e) {
      return this.failed(e instanceof Error ? e.message : String(e));
    }
    if (got.length < length) return this.failed(`${length} bytes at offset ${offset} asked, ${got.length} read: the file is shorter than it was`);
    if (ahead) {
      this.window = got;
      this.windowAt = offset;
    }
    return got.subarray(0, length);
  }

  /** What was read at `offset` is not what was there during the pass (the caller checked). */
  mismatch(offset: number): void {
    this.failed(`the bytes at offset ${offset} are not the message read there before`);
  }

  private failed(why: string): null {
    this.failures++;
    this.firstFailure ??= why;
    return null;
  }
}
