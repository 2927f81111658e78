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

/**
 * One captured SIP message (CapturedMessage). `raw` is the kept text, or, for a message that lies
 * whole in one record of an uncompressed file, read again from the file (`Reread`) each time it
 * is asked: "" if the file can no longer be read (the Reread counts it, the engine warns).
 */
export class Captured implements CapturedMessage {
  #text: string | null;
  readonly #source: Reread | null;
  readonly #at: number;
  readonly #length: number;

  constructor(
    public index: number,
    public frame: number,
    public firstFrame: number,
    public frames: number[] | undefined,
    public timeUs: number,
    public src: Endpoint,
    public dst: Endpoint,
    public transport: Transport,
    public connection: number | null,
    public encapsulation: string | null,
    public sip: SipMessage | null,
    public parseError: string | null,
    public captureNotes: string[] | undefined,
    public startLine: string,
    text: string | null,
    source: Reread | null,
    at: number,
    length: number,
  ) {
    this.#text = text;
    this.#source = text === null ? source : null;
    this.#at = at;
    this.#length = length;
  }

  get raw(): string {
    if (this.#text !== null) return this.#text;
    const source = this.#source!;
    const b = source.bytes(this.#at, this.#length);
    if (b === null) return '';
    const text = latin1(b);
    // The file changed under us (overwritten, rotated in place): not this message's text.
    if (!text.startsWith(this.startLine)) {
      source.mismatch(this.#at);
      return '';
    }
    return text;
  }

  set raw(text: string) {
    this.#text = text;
  }

  /** True when the text is kept in memory rather than read again from the file. */
  get textKept(): boolean {
    return this.#text !== null;
  }

  /** Its length in bytes (= characters of `raw`), without reading it. */
  get rawLength(): number {
    return this.#text !== null ? this.#text.length : this.#length;
  }

  /** Plain data, the text included (a getter is not an own property: JSON and spreads would lose it). */
  toJSON(): CapturedMessage {
    return { ...this, raw: this.raw };
  }
}
