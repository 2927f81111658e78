/**
 * How a parsed SIP message is stored: the structured headers the model reads on every message
 * (Via, From, To, Contact, routes, Call-ID, CSeq, SDP summary) as fields, and every header line
 * only *located*: its canonical name, and where its value lies in the message text, in a shared
 * typed-array arena (three integers per line, 16-bit for a message under 64 KB). `headers`
 * builds the `SipHeader` objects when something asks (the detail view, a rare header a detector
 * wants) and keeps nothing.
 *
 * Why: a header object with its value string is ~90 bytes; a signalling capture has a dozen per
 * message and the model never looks at most of them (measured on the bench's sip-dense file:
 * 126 MB of 536 MB after the pass, one INVITE 1,045 of 4,641 bytes). Located lines cost ~20 bytes.
 *
 * The arena positions and names are private (#) fields, so a message still structured-clones
 * and JSON-serialises as plain data: `toJSON()` and `plainSip()` add `headers` back.
 */
import { own } from './intern.ts';
import type { CSeq, NameAddr, SdpSummary, SipHeader, SipMessage, SipRequest, SipResponse, SipUri, Via } from './types.ts';

/**
 * Integers per header line in the arena: value start + 1 (0: the line was folded, and the next
 * integer is its folded value's number), value end, byte offset.
 */
const PER_LINE = 3;
const ARENA_INTS = 1 << 15;
/**
 * Two arenas: 16-bit positions for a message under 64 KB (nearly all: 6 bytes a line instead of
 * 12, ~70 bytes per message of a signalling capture), 32-bit for a longer one.
 */
type Chunk = Uint16Array | Int32Array;
/** Messages of fewer bytes than this have their lines in the 16-bit arena. */
const NARROW_BELOW = 0xffff;
/** An arena: the chunk lines are written to now, and how much of it is used. */
interface Arena {
  chunk: Chunk;
  used: number;
}
const NARROW: Arena = { chunk: new Uint16Array(ARENA_INTS), used: 0 };
const WIDE: Arena = { chunk: new Int32Array(ARENA_INTS), used: 0 };

/**
 * The names of the message being parsed, one list used again for each message: a list grown by
 * push for every message was ~250 bytes of garbage each (a message keeps a shared copy,
 * `sharedNames`).
 */
const scratchNames: string[] = [];

/**
 * The header lines of the message being parsed, as the parser finds them. Valid until the next
 * one is made: its `names` list is used again (the parse keeps `sharedNames`' copy).
 */
export class HeaderLines {
  private readonly arena: Arena;
  chunk: Chunk;
  start: number;
  count = 0;
  readonly names: string[] = scratchNames;
  rawNames: string[] | null = null;
  folded: string[] | null = null;

  /** `bytes`: the message's length in bytes (what its positions and offsets stay below). */
  constructor(bytes: number) {
    scratchNames.length = 0;
    this.arena = bytes < NARROW_BELOW ? NARROW : WIDE;
    this.chunk = this.arena.chunk;
    this.start = this.arena.used;
  }

  /** One header line; returns its number. Value positions index the message text. */
  add(name: string, rawName: string, valueStart: number, valueEnd: number, offset: number): number {
    const a = this.arena;
    if (this.chunk !== a.chunk || a.used + PER_LINE > a.chunk.length) this.move();
    const chunk = this.chunk;
    const at = a.used;
    chunk[at] = valueStart + 1;
    chunk[at + 1] = valueEnd;
    chunk[at + 2] = offset;
    a.used = at + PER_LINE;
    if (this.rawNames === null && rawName !== name) this.rawNames = this.names.slice();
    this.names.push(name);
    this.rawNames?.push(rawName);
    return this.count++;
  }

  /** A continuation line (RFC 3261 §7.3.1) appended to line k's value with one space. */
  fold(k: number, text: string, continuation: string): void {
    const current = this.value(k, text);
    // A copy of its own: kept with the message, a concatenation of slices keeps the whole text.
    const next = own(current ? `${current} ${continuation}` : continuation);
    const at = this.start + k * PER_LINE;
    const folded = (this.folded ??= []);
    if (this.chunk[at] === 0) folded[this.chunk[at + 1]!] = next;
    else {
      this.chunk[at] = 0;
      this.chunk[at + 1] = folded.length;
      folded.push(next);
    }
  }

  value(k: number, text: string): string {
    return lineValue(this.chunk, this.start + k * PER_LINE, this.folded, text);
  }

  /** This message's lines continue in a fresh chunk (the arena is full, or another message used it since). */
  private move(): void {
    const ints = this.count * PER_LINE;
    const size = Math.max(ARENA_INTS, (ints + PER_LINE) * 2);
    const fresh = this.arena === NARROW ? new Uint16Array(size) : new Int32Array(size);
    fresh.set(this.chunk.subarray(this.start, this.start + ints));
    this.arena.chunk = fresh;
    this.arena.used = ints;
    this.chunk = fresh;
    this.start = 0;
  }
}

/**
 * The list of header names, shared by every message that has the same names in the same order:
 * a sender writes its headers in one order, so a capture has a few dozen such lists, and a list of
 * a dozen names is ~200 bytes per message otherwise. Found through a tree keyed by name (the
 * names are interned constants, so each step is one lookup of an already hashed string); the tree
 * is dropped and begun again past NAMES_NODES nodes, so odd header orders cannot grow it without
 * bound. Shared lists are frozen copies (the parser uses its list again for the next message).
 */
interface NamesNode {
  next: Map<string, NamesNode> | null;
  list: readonly string[] | null;
}
const NAMES_NODES = 1 << 14;
let namesRoot: NamesNode = { next: null, list: null };
let namesNodes = 0;

function sharedNames(names: string[]): string[] {
  let node = namesRoot;
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    let next = node.next?.get(name);
    if (next === undefined) {
      if (namesNodes >= NAMES_NODES) {
        namesRoot = { next: null, list: null };
        namesNodes = 0;
        return Object.freeze(names.slice()) as string[];
      }
      next = { next: null, list: null };
      (node.next ??= new Map()).set(name, next);
      namesNodes++;
    }
    node = next;
  }
  return (node.list ??= Object.freeze(names.slice())) as string[];
}

function lineValue(chunk: Chunk, at: number, folded: string[] | null, text: string): string {
  const v = chunk[at]!;
  return v === 0 ? folded![chunk[at + 1]!]! : text.slice(v - 1, chunk[at + 1]);
}

/** Where a parsed message's text is, once the parse no longer keeps it (`ParsedBase.textFrom`). */
export interface TextHolder {
  readonly raw: string;
}

abstract class ParsedBase {
  readonly #chunk: Chunk;
  readonly #start: number;
  readonly #names: string[];
  readonly #rawNames: string[] | null;
  readonly #folded: string[] | null;
  #raw: string | null;
  #holder: TextHolder | null = null;
  readonly #bodyStart: number;
  readonly #bodyLength: number;

  constructor(
    public via: readonly Via[],
    public from: NameAddr | null,
    public to: NameAddr | null,
    public contact: readonly NameAddr[],
    public contactStar: boolean,
    public recordRoute: readonly NameAddr[],
    public route: readonly NameAddr[],
    public callId: string | null,
    public cseq: CSeq | null,
    public contentLength: number | null,
    public contentType: string | null,
    /** Where the body is in `raw`: it is read from there when asked. */
    bodyStart: number,
    bodyLength: number,
    public sdp: SdpSummary | null,
    public notes: readonly string[],
    raw: string,
    public headerLength: number,
    lines: HeaderLines,
    /** The User-Agent (a request) or Server (a response; else its User-Agent) value, or null: the hosts' agents. */
    public agent: string | null,
  ) {
    this.#raw = raw;
    this.#bodyStart = bodyStart;
    this.#bodyLength = bodyLength;
    this.#chunk = lines.chunk;
    this.#start = lines.start;
    this.#names = sharedNames(lines.names);
    this.#rawNames = lines.rawNames;
    this.#folded = lines.folded;
  }

  /** The full message text: kept, or asked of the holder `textFrom` gave (which may read it again from the file). */
  get raw(): string {
    return this.#raw ?? this.#holder!.raw;
  }

  set raw(text: string) {
    this.#raw = text;
    this.#holder = null;
  }

  /** The body as text ("" when none), from `raw`. */
  get body(): string {
    return this.#bodyLength === 0 ? '' : this.raw.slice(this.#bodyStart, this.#bodyStart + this.#bodyLength);
  }

  /**
   * The text is not kept here any more: `holder.raw` gives the same text when asked (the captured
   * message, whose text can be read again from the file). What the parse holds besides (its shared
   * values, copied out of the text when first parsed) then keeps no message text alive.
   */
  textFrom(holder: TextHolder): void {
    this.#holder = holder;
    this.#raw = null;
  }

  /** Every header line in order, built on each call (nothing is kept). */
  get headers(): SipHeader[] {
    const names = this.#names;
    const out: SipHeader[] = new Array<SipHeader>(names.length);
    for (let k = 0; k < names.length; k++) {
      const at = this.#start + k * PER_LINE;
      out[k] = { name: names[k]!, rawName: this.#rawNames?.[k] ?? names[k]!, value: lineValue(this.#chunk, at, this.#folded, this.raw), offset: this.#chunk[at + 2]! };
    }
    return out;
  }

  /** Canonical names of the header lines, in order (no copy: do not change it). */
  headerNames(): readonly string[] {
    return this.#names;
  }

  /** The value of header line k (folding undone, trimmed). */
  headerValueAt(k: number): string {
    return lineValue(this.#chunk, this.#start + k * PER_LINE, this.#folded, this.raw);
  }

  toJSON(): SipMessage {
    return plainSip(this as unknown as SipMessage);
  }
}

export class ParsedRequest extends ParsedBase implements SipRequest {
  readonly kind = 'request' as const;
  constructor(
    public method: string,
    public requestUri: SipUri | null,
    public requestUriRaw: string,
    ...rest: ConstructorParameters<typeof ParsedBase>
  ) {
    super(...rest);
  }
}

export class ParsedResponse extends ParsedBase implements SipResponse {
  readonly kind = 'response' as const;
  constructor(
    public status: number,
    public reason: string,
    ...rest: ConstructorParameters<typeof ParsedBase>
  ) {
    super(...rest);
  }
}

/** The message as plain data with its `headers` (to post to the page, or to print). */
export function plainSip(m: SipMessage): SipMessage {
  if (!(m instanceof ParsedBase)) return m;
  // raw and body are getters (not own properties): written out like headers.
  return { ...m, raw: m.raw, body: m.body, headers: m.headers } as SipMessage;
}

/** Canonical names of a message's header lines (parsed: no copy). */
export function headerNamesOf(m: SipMessage): readonly string[] {
  return m instanceof ParsedBase ? m.headerNames() : m.headers.map((h) => h.name);
}

/** The value of a message's header line k. */
export function headerValueAt(m: SipMessage, k: number): string {
  return m instanceof ParsedBase ? m.headerValueAt(k) : m.headers[k]!.value;
}
