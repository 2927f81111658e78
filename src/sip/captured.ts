/**
 * The captured messages the engine keeps: one object per SIP message, its text either kept (a
 * string) or left in the file and read again when asked (capture/reread.ts says why and when).
 */
import type { Reread } from '../capture/reread.ts';
import type { Endpoint, Transport } from '../capture/types.ts';
import { latin1 } from './parser.ts';
import type { CapturedMessage, SipMessage } from './types.ts';

/** What the report writes as a message's start line: its first line, CR dropped, at most this long. */
export const START_LINE_MAX = 300;

/** The start line as the report writes it, from the message text. */
export function startLineOf(raw: string): string {
  let lineEnd = raw.indexOf('\n');
  if (lineEnd < 0) lineEnd = raw.length;
  if (lineEnd > 0 && raw.charCodeAt(lineEnd - 1) === 13) lineEnd--;
  return raw.slice(0, Math.min(lineEnd, START_LINE_MAX));
}

/**
 * The same start line from the message's bytes (decoded one character per byte, like the text), as
 * a string of its own: a slice of the text would keep all of it alive.
 */
export function startLineOfBytes(bytes: Uint8Array): string {
  let lineEnd = bytes.indexOf(10);
  if (lineEnd < 0) lineEnd = bytes.length;
  if (lineEnd > 0 && bytes[lineEnd - 1] === 13) lineEnd--;
  return latin1(bytes, 0, Math.min(lineEnd, START_LINE_MAX));
}

/** What most messages do not have (one frame, no tunnel, parsed, no capture notes): one object for the few that do. */
interface Rare {
  firstFrame: number;
  frames: number[] | undefined;
  encapsulation: string | null;
  parseError: string | null;
  captureNotes: string[] | undefined;
}

/**
 * One captured SIP message (CapturedMessage). `raw` is the kept text, or, for a message that lies
 * whole in one record of an uncompressed file, read again from the file (`Reread`) each time it
 * is asked: "" if the file can no longer be read (the Reread counts it, the engine warns).
 *
 * A signalling capture has hundreds of thousands of these, alive from the reading to the end, so
 * the fields most messages leave empty share one `Rare` object, absent for most (~40 bytes less
 * per message), and the text or its place is one field.
 */
export class Captured implements CapturedMessage {
  /** The text, or where it starts in the input (read again from `#source`). */
  #where: string | number;
  readonly #source: Reread | null;
  readonly #length: number;
  readonly #rare: Rare | null;

  constructor(
    public index: number,
    public frame: number,
    firstFrame: number,
    frames: number[] | undefined,
    public timeUs: number,
    public src: Endpoint,
    public dst: Endpoint,
    public transport: Transport,
    public connection: number | null,
    encapsulation: string | null,
    public sip: SipMessage | null,
    parseError: string | null,
    captureNotes: string[] | undefined,
    public startLine: string,
    text: string | null,
    source: Reread | null,
    at: number,
    length: number,
  ) {
    this.#where = text ?? at;
    this.#source = text === null ? source : null;
    this.#length = length;
    this.#rare = firstFrame !== frame || frames !== undefined || encapsulation !== null || parseError !== null || captureNotes !== undefined
      ? { firstFrame, frames, encapsulation, parseError, captureNotes }
      : null;
  }

  get firstFrame(): number {
    return this.#rare?.firstFrame ?? this.frame;
  }
  get frames(): number[] | undefined {
    return this.#rare?.frames;
  }
  get encapsulation(): string | null {
    return this.#rare?.encapsulation ?? null;
  }
  get parseError(): string | null {
    return this.#rare?.parseError ?? null;
  }
  get captureNotes(): string[] | undefined {
    return this.#rare?.captureNotes;
  }

  get raw(): string {
    const where = this.#where;
    if (typeof where === 'string') return where;
    const source = this.#source!;
    const b = source.bytes(where, this.#length);
    if (b === null) return '';
    const text = latin1(b);
    // The file changed under us (overwritten, rotated in place): not this message's text.
    if (!text.startsWith(this.startLine)) {
      source.mismatch(where);
      return '';
    }
    return text;
  }

  set raw(text: string) {
    this.#where = text;
  }

  /** True when the text is kept in memory rather than read again from the file. */
  get textKept(): boolean {
    return typeof this.#where === 'string';
  }

  /** Its length in bytes (= characters of `raw`), without reading it. */
  get rawLength(): number {
    return typeof this.#where === 'string' ? this.#where.length : this.#length;
  }

  /** Plain data, the text included (getters are not own properties: JSON and spreads would lose them). */
  toJSON(): CapturedMessage {
    const { index, frame, firstFrame, frames, timeUs, src, dst, transport, connection, encapsulation, sip, parseError, captureNotes, startLine } = this;
    return { index, frame, firstFrame, ...(frames !== undefined ? { frames } : {}), timeUs, src, dst, transport, connection, encapsulation, sip, parseError, raw: this.raw, ...(captureNotes !== undefined ? { captureNotes } : {}), startLine };
  }
}
