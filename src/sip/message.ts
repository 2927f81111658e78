/**
 * How a parsed SIP message is stored: the structured headers the model reads on every message
 * (Via, From, To, Contact, routes, Call-ID, CSeq, SDP summary) as fields, and every header line
 * only *located*: its canonical name, and where its value lies in the message text. The parser
 * locates the lines in a typed-array arena (three integers per line, 16-bit for a message under
 * 64 KB) that the next message writes over; the parse keeps the names (a list shared by messages
 * with the same ones) and, for nearly every message, no positions at all: when something asks for
 * a header value, the lines are located again in its text (the parser's same code, 1–2 µs for a
 * message of a dozen lines). Only a message whose text does not give the same positions again (a
 * header part that is not ASCII, line breaks before its start line) or whose lengths are unusually
 * large keeps a copy of its own.
 * `headers` builds the `SipHeader` objects when something asks (the detail view, a rare header a
 * detector wants) and keeps nothing.
 *
 * Why: a header object with its value string is ~90 bytes; a signalling capture has a dozen per
 * message and the model never looks at most of them (measured on the bench's sip-dense file:
 * 126 MB of 536 MB after the pass, one INVITE 1,045 of 4,641 bytes). Located lines kept cost ~80
 * bytes per message (~10 MB of sip-dense's 140,000 messages, ~37 MB of the 200 MB capture's,
 * outside the JS heap); located again when asked, nothing. The model asks for a few header
 * values (Expires of a REGISTER, Subscription-State of a NOTIFY, correlation headers); the
 * detectors read their rare headers from messages parsed again once the parses are let go.
 *
 * The arena positions and names are private (#) fields, so a message still structured-clones
 * and JSON-serialises as plain data: `toJSON()` and `plainSip()` add `headers` back.
 */
import { own } from './intern.ts';
import { EMPTY } from '../lib/lists.ts';
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
  /** Where this message's ints begin: its lengths (one line's worth, `setLengths`), then its header lines. */
  start: number;
  count = 0;
  readonly names: string[] = scratchNames;
  rawNames: string[] | null = null;
  folded: string[] | null = null;
  /**
   * The message's text gives these lines again (its header part is ASCII and starts the text): the
   * parse then keeps no copy of the positions (`setHeaderLocator`).
   */
  relocatable = false;

  /** `bytes`: the message's length in bytes (what its positions and offsets stay below). */
  constructor(bytes: number) {
    // The arena is written over from here: the last lines located again are no longer there.
    lastLocated = null;
    scratchNames.length = 0;
    const a = (this.arena = bytes < NARROW_BELOW ? NARROW : WIDE);
    // No parse keeps its positions in the arena (a parse that needs them keeps a copy), so each
    // message's lines are written from its start again.
    this.chunk = a.chunk;
    this.start = 0;
    a.used = PER_LINE;
  }

  /** Room for one more line at the arena's end, moving this message's lines to a fresh chunk if needed. */
  private reserve(): number {
    const a = this.arena;
    if (this.chunk !== a.chunk || a.used + PER_LINE > a.chunk.length) this.move();
    const at = a.used;
    a.used = at + PER_LINE;
    return at;
  }

  /**
   * The message's header length, where its body starts in its text and the body's length: kept
   * in the arena with the lines (each below the message's length, so 16-bit for most), not as
   * three fields of every parse.
   */
  setLengths(headerLength: number, bodyStart: number, bodyLength: number): void {
    const at = this.start;
    this.chunk[at] = headerLength;
    this.chunk[at + 1] = bodyStart;
    this.chunk[at + 2] = bodyLength;
  }

  /** One header line; returns its number. Value positions index the message text. */
  add(name: string, rawName: string, valueStart: number, valueEnd: number, offset: number): number {
    const at = this.reserve();
    const chunk = this.chunk;
    chunk[at] = valueStart + 1;
    chunk[at + 1] = valueEnd;
    chunk[at + 2] = offset;
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
    const at = this.start + (k + 1) * PER_LINE;
    const folded = (this.folded ??= []);
    if (this.chunk[at] === 0) folded[this.chunk[at + 1]!] = next;
    else {
      this.chunk[at] = 0;
      this.chunk[at + 1] = folded.length;
      folded.push(next);
    }
  }

  value(k: number, text: string): string {
    return lineValue(this.chunk, this.start + (k + 1) * PER_LINE, this.folded, text);
  }

  /** This message's lengths and lines as a typed array of their own (the arena is written over by the next message). */
  copy(): Chunk {
    return this.chunk.slice(this.start, this.start + (this.count + 1) * PER_LINE);
  }

  /** This message's lines continue in a fresh chunk (the arena is full, or another message used it since). */
  private move(): void {
    const ints = (this.count + 1) * PER_LINE;
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

/** `#lengths` packs a header length below 2¹⁵ and a body length below 2¹⁶ in one small integer. */
const PACKED_HEADER = 1 << 15;
const PACKED_BODY = 1 << 16;

/**
 * Locates a message's header lines again in its text, as the parser did (parser.ts
 * `locateLines`, given here by the parser: it imports this module). Valid until the next
 * message's lines are located.
 */
let locator: ((raw: string) => HeaderLines) | null = null;
export function setHeaderLocator(f: (raw: string) => HeaderLines): void {
  locator = f;
}
/** Where a message's lines are: their positions, how many, its folded values, and the text they index. */
interface Located {
  chunk: Chunk;
  start: number;
  count: number;
  folded: string[] | null;
  text: string;
}
/**
 * The last message whose lines were located again, while the arena still holds them (a new
 * HeaderLines clears it): reading each of its lines of one name (every correlation header, every
 * Via) locates them, and reads a text kept in the file, once, not once per line (quadratic in the
 * lines: 3,500 short lines took 1.4 s).
 */
let lastLocated: { of: object; at: Located } | null = null;

function lineValue(chunk: Chunk, at: number, folded: string[] | null, text: string): string {
  const v = chunk[at]!;
  return v === 0 ? folded![chunk[at + 1]!]! : text.slice(v - 1, chunk[at + 1]);
}

/** Where a parsed message's text is, once the parse no longer keeps it (`ParsedBase.textFrom`). */
export interface TextHolder {
  readonly raw: string;
}

/**
 * What a parse holds that most messages have nothing unusual in: `Contact: *`, the
 * Content-Type, the notes, header names written other than canonically, folded lines, and a
 * Content-Length that is not the body's length. One shared frozen object per Content-Type for
 * the messages with nothing else (`rareShared`), a fresh one for the others: five fields of
 * every parse (40 bytes) became one.
 */
interface Rare {
  readonly contactStar: boolean;
  readonly contentType: string | null;
  readonly notes: readonly string[];
  readonly rawNames: string[] | null;
  readonly folded: string[] | null;
  /** The Content-Length header's value (null: none) where it is not the body's length; undefined where it is. */
  readonly contentLength: number | null | undefined;
}
/** The shared Rare per Content-Type (a few in a capture; begun again past RARE_SHARED_MAX). */
const rareShared = new Map<string | null, Rare>();
const RARE_SHARED_MAX = 256;

function rareOf(contactStar: boolean, contentType: string | null, notes: readonly string[], rawNames: string[] | null, folded: string[] | null, contentLength: number | null | undefined): Rare {
  if (!contactStar && notes.length === 0 && rawNames === null && folded === null && contentLength === undefined) {
    let r = rareShared.get(contentType);
    if (r === undefined) {
      if (rareShared.size >= RARE_SHARED_MAX) rareShared.clear();
      r = Object.freeze({ contactStar, contentType, notes: EMPTY, rawNames, folded, contentLength });
      rareShared.set(contentType, r);
    }
    return r;
  }
  return { contactStar, contentType, notes, rawNames, folded, contentLength };
}

/**
 * The fields every message has are fields; the message's lengths are in the header arena
 * (`HeaderLines.setLengths`), the rarely unusual ones in one `Rare`, and `kind` on the prototype:
 * a parse was 27 fields (240 bytes) and is 17 (160 bytes) — it lives through the reading and the
 * model build, one per message.
 */
abstract class ParsedBase {
  /**
   * The header lines' positions (its lengths first: `HeaderLines.setLengths`), a copy of its own,
   * for a message whose text does not give them again (`HeaderLines.relocatable`) or whose lengths
   * do not fit `#lengths`; null for the others (nearly all), whose lines are located again in the
   * text when a value is asked (~80 bytes less per message than keeping them).
   */
  readonly #lines: Chunk | null;
  /** Header length + body length × 2¹⁵ when `#lines` is null (the body starts where the headers end). */
  readonly #lengths: number;
  readonly #names: string[];
  #rare: Rare;
  /** The full text, or where to ask for it once it is not kept here (`textFrom`). */
  #text: string | TextHolder;

  constructor(
    public via: readonly Via[],
    public from: NameAddr | null,
    public to: NameAddr | null,
    public contact: readonly NameAddr[],
    contactStar: boolean,
    public recordRoute: readonly NameAddr[],
    public route: readonly NameAddr[],
    public callId: string | null,
    public cseq: CSeq | null,
    contentLength: number | null,
    contentType: string | null,
    /** Where the body is in `raw`: it is read from there when asked. */
    bodyStart: number,
    bodyLength: number,
    public sdp: SdpSummary | null,
    notes: readonly string[],
    raw: string,
    headerLength: number,
    lines: HeaderLines,
    /** The User-Agent (a request) or Server (a response; else its User-Agent) value, or null: the hosts' agents. */
    public agent: string | null,
  ) {
    this.#text = raw;
    if (lines.relocatable && bodyStart === headerLength && headerLength < PACKED_HEADER && bodyLength < PACKED_BODY) {
      this.#lines = null;
      this.#lengths = headerLength + bodyLength * PACKED_HEADER;
    } else {
      lines.setLengths(headerLength, bodyStart, bodyLength);
      this.#lines = lines.copy();
      this.#lengths = -1;
    }
    this.#names = sharedNames(lines.names);
    this.#rare = rareOf(contactStar, contentType, notes, lines.rawNames, lines.folded, contentLength === bodyLength ? undefined : contentLength);
  }

  abstract get kind(): 'request' | 'response';

  /** True for `Contact: *`. */
  get contactStar(): boolean {
    return this.#rare.contactStar;
  }

  get contentType(): string | null {
    return this.#rare.contentType;
  }

  /** The Content-Length header's value, or null when the message has none. */
  get contentLength(): number | null {
    const c = this.#rare.contentLength;
    return c === undefined ? this.#bodyLength() : c;
  }

  #bodyLength(): number {
    const lines = this.#lines;
    return lines !== null ? lines[2]! : Math.floor(this.#lengths / PACKED_HEADER);
  }

  /** Tolerated oddities, in plain words. */
  get notes(): readonly string[] {
    return this.#rare.notes;
  }

  set notes(notes: readonly string[]) {
    const r = this.#rare;
    this.#rare = rareOf(r.contactStar, r.contentType, notes, r.rawNames, r.folded, r.contentLength);
  }

  /** Byte length of the header part (up to and including the blank line). */
  get headerLength(): number {
    const lines = this.#lines;
    return lines !== null ? lines[0]! : this.#lengths % PACKED_HEADER;
  }

  /** The full message text: kept, or asked of the holder `textFrom` gave (which may read it again from the file). */
  get raw(): string {
    const t = this.#text;
    return typeof t === 'string' ? t : t.raw;
  }

  set raw(text: string) {
    this.#text = text;
    if (lastLocated?.of === this) lastLocated = null;
  }

  /** The body as text ("" when none), from `raw`. */
  get body(): string {
    const length = this.#bodyLength();
    if (length === 0) return '';
    const start = this.#lines !== null ? this.#lines[1]! : this.headerLength;
    return this.raw.slice(start, start + length);
  }

  /**
   * The text is not kept here any more: `holder.raw` gives the same text when asked (the captured
   * message, whose text can be read again from the file). What the parse holds besides (its shared
   * values, copied out of the text when first parsed) then keeps no message text alive.
   */
  textFrom(holder: TextHolder): void {
    this.#text = holder;
    if (lastLocated?.of === this) lastLocated = null;
  }

  /** Every header line in order, built on each call (nothing is kept). */
  get headers(): SipHeader[] {
    const names = this.#names;
    const rawNames = this.#rare.rawNames;
    const { chunk, start, count, folded, text } = this.#located();
    const out: SipHeader[] = new Array<SipHeader>(names.length);
    for (let k = 0; k < names.length; k++) {
      const at = start + (k + 1) * PER_LINE;
      // Past `count` only when the text read again is not the one parsed (the file changed).
      const found = k < count;
      out[k] = { name: names[k]!, rawName: rawNames?.[k] ?? names[k]!, value: found ? lineValue(chunk, at, folded, text) : '', offset: found ? chunk[at + 2]! : 0 };
    }
    return out;
  }

  /**
   * Where the header lines are: the parse's copy, or located again in the text (the last message
   * located is remembered). A text read again may not be the one parsed (a file changed in place):
   * the lines found in it then come with its own folded values, and past their count values are "".
   */
  #located(): Located {
    const lines = this.#lines;
    if (lines !== null) return { chunk: lines, start: 0, count: this.#names.length, folded: this.#rare.folded, text: this.raw };
    const last = lastLocated;
    if (last !== null && last.of === this) return last.at;
    const text = this.raw;
    const found = locator!(text);
    const at: Located = { chunk: found.chunk, start: found.start, count: found.count, folded: found.folded, text };
    lastLocated = { of: this, at };
    return at;
  }

  /** Canonical names of the header lines, in order (no copy: do not change it). */
  headerNames(): readonly string[] {
    return this.#names;
  }

  /** The value of header line k (folding undone, trimmed). */
  headerValueAt(k: number): string {
    const { chunk, start, count, folded, text } = this.#located();
    return k < count ? lineValue(chunk, start + (k + 1) * PER_LINE, folded, text) : '';
  }

  toJSON(): SipMessage {
    return plainSip(this as unknown as SipMessage);
  }
}

export class ParsedRequest extends ParsedBase implements SipRequest {
  constructor(
    public method: string,
    public requestUri: SipUri | null,
    public requestUriRaw: string,
    ...rest: ConstructorParameters<typeof ParsedBase>
  ) {
    super(...rest);
  }
  get kind(): 'request' {
    return 'request';
  }
}

export class ParsedResponse extends ParsedBase implements SipResponse {
  constructor(
    public status: number,
    public reason: string,
    ...rest: ConstructorParameters<typeof ParsedBase>
  ) {
    super(...rest);
  }
  get kind(): 'response' {
    return 'response';
  }
}

/** The message as plain data with its `headers` (to post to the page, or to print). */
export function plainSip(m: SipMessage): SipMessage {
  if (!(m instanceof ParsedBase)) return m;
  // The getters (not own properties) written out like headers, in the order a plain message has them.
  const p = m as ParsedBase & SipMessage;
  const base = {
    via: p.via, from: p.from, to: p.to, contact: p.contact, contactStar: p.contactStar, recordRoute: p.recordRoute, route: p.route, callId: p.callId, cseq: p.cseq,
    contentLength: p.contentLength, contentType: p.contentType, sdp: p.sdp, notes: p.notes, headerLength: p.headerLength, agent: p.agent,
  };
  return p.kind === 'request'
    ? { ...base, method: p.method, requestUri: p.requestUri, requestUriRaw: p.requestUriRaw, kind: 'request', raw: p.raw, body: p.body, headers: p.headers }
    : { ...base, status: p.status, reason: p.reason, kind: 'response', raw: p.raw, body: p.body, headers: p.headers };
}

/** Canonical names of a message's header lines (parsed: no copy). */
export function headerNamesOf(m: SipMessage): readonly string[] {
  return m instanceof ParsedBase ? m.headerNames() : m.headers.map((h) => h.name);
}

/** The value of a message's header line k. */
export function headerValueAt(m: SipMessage, k: number): string {
  return m instanceof ParsedBase ? m.headerValueAt(k) : m.headers[k]!.value;
}
