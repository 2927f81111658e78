/**
 * The report's `messages` as columns, for the worker → page crossing (docs/REPORT.md, "Worker to
 * page"). A signalling capture has hundreds of thousands of messages; posted as objects, each is
 * structured-cloned field by field (seconds, and the page then holds a second copy of every one).
 * As columns they are a few typed arrays, moved (transferred) rather than copied, and one string
 * table in which every distinct address, Call-ID, CSeq and start line appears once.
 *
 * The page reads them through `messageList`: an array that builds a message object when one is
 * read (the ladder reads a call's few dozen; the call list's pass over all of them keeps none), so
 * the code that took `report.messages` as an array reads it unchanged. Plain data and pure
 * functions: no DOM, usable by the worker, the page and Node.
 */
import type { ReportMessage } from './report.ts';
import { isoMicros } from './report.ts';

export interface MessageColumns {
  count: number;
  /** Every distinct string of the columns below, once. */
  strings: string[];
  frame: Int32Array;
  firstFrame: Int32Array;
  /** `frames` of message i: framesValues[framesStart[i] … framesStart[i + 1]). */
  framesStart: Int32Array;
  framesValues: Int32Array;
  timeUs: Float64Array;
  /** String ids (into `strings`); −1 for null, −2 where the field is absent (optional fields). */
  src: Int32Array;
  dst: Int32Array;
  transport: Int32Array;
  callId: Int32Array;
  cseq: Int32Array;
  startLine: Int32Array;
  encapsulation: Int32Array;
  method: Int32Array;
  reason: Int32Array;
  /** Numbers: −1 for null, −2 where the field is absent. */
  status: Int32Array;
  connection: Int32Array;
  transaction: Int32Array;
  dialog: Int32Array;
  retransmissionOf: Int32Array;
  capture: Int32Array;
  /** Bit 0 retransmission, bit 1 hasSdp, bit 2 `malformed` present, bit 3 its value. */
  flags: Uint8Array;
}

const NULL = -1;
const ABSENT = -2;

/** A number column's value: −1 for null, −2 for absent. */
function numberId(v: number | null | undefined): number {
  return v === undefined ? ABSENT : v === null ? NULL : v;
}

/**
 * Columns filled one message at a time: the engine writes each message here as it makes it and
 * keeps no object per message (a message is built again when read).
 */
export class ColumnsBuilder {
  private n = 0;
  private f = 0;
  private readonly ids = new Map<string, number>();
  private readonly c: MessageColumns;

  /** `capacity` messages; the frames column starts at one frame each and grows when needed. */
  constructor(capacity: number, frameCapacity = capacity) {
    const n = Math.max(0, capacity);
    this.c = {
      count: 0,
      strings: [],
      frame: new Int32Array(n),
      firstFrame: new Int32Array(n),
      framesStart: new Int32Array(n + 1),
      framesValues: new Int32Array(Math.max(0, frameCapacity)),
      timeUs: new Float64Array(n),
      src: new Int32Array(n),
      dst: new Int32Array(n),
      transport: new Int32Array(n),
      callId: new Int32Array(n),
      cseq: new Int32Array(n),
      startLine: new Int32Array(n),
      encapsulation: new Int32Array(n),
      method: new Int32Array(n),
      reason: new Int32Array(n),
      status: new Int32Array(n),
      connection: new Int32Array(n),
      transaction: new Int32Array(n),
      dialog: new Int32Array(n),
      retransmissionOf: new Int32Array(n),
      capture: new Int32Array(n),
      flags: new Uint8Array(n),
    };
  }

  private id(s: string | null | undefined): number {
    if (s === undefined) return ABSENT;
    if (s === null) return NULL;
    let k = this.ids.get(s);
    if (k === undefined) {
      k = this.c.strings.length;
      this.c.strings.push(s);
      this.ids.set(s, k);
    }
    return k;
  }

  /** The next message (its `index` must be the next row; `time` is not needed: it is `timeUs` written out). */
  push(m: Omit<ReportMessage, 'time'>): void {
    const c = this.c;
    const i = this.n;
    if (m.index !== i) throw new Error(`message ${i} has index ${m.index}: columns need messages in index order`);
    if (i >= c.frame.length) throw new Error(`more messages than the ${c.frame.length} the columns were made for`);
    if (this.f + m.frames.length > c.framesValues.length) {
      const grown = new Int32Array(Math.max(c.framesValues.length * 2, this.f + m.frames.length));
      grown.set(c.framesValues.subarray(0, this.f));
      c.framesValues = grown;
    }
    c.frame[i] = m.frame;
    c.firstFrame[i] = m.firstFrame;
    c.framesStart[i] = this.f;
    const frames = m.frames;
    for (let k = 0; k < frames.length; k++) c.framesValues[this.f++] = frames[k]!;
    c.timeUs[i] = m.timeUs;
    c.src[i] = this.id(m.src);
    c.dst[i] = this.id(m.dst);
    c.transport[i] = this.id(m.transport);
    c.callId[i] = this.id(m.callId);
    c.cseq[i] = this.id(m.cseq);
    c.startLine[i] = this.id(m.startLine);
    c.encapsulation[i] = this.id(m.encapsulation);
    c.method[i] = this.id(m.method);
    c.reason[i] = this.id(m.reason);
    c.status[i] = numberId(m.status);
    c.connection[i] = numberId(m.connection);
    c.transaction[i] = numberId(m.transaction);
    c.dialog[i] = numberId(m.dialog);
    c.retransmissionOf[i] = numberId(m.retransmissionOf);
    c.capture[i] = numberId(m.capture);
    c.flags[i] = (m.retransmission ? 1 : 0) | (m.hasSdp ? 2 : 0) | (m.malformed !== undefined ? 4 : 0) | (m.malformed ? 8 : 0);
    this.n++;
  }

  done(): MessageColumns {
    const c = this.c;
    c.count = this.n;
    c.framesStart[this.n] = this.f;
    if (this.n < c.frame.length) {
      // Fewer rows than made for: cut every column to the rows written.
      for (const k of Object.keys(c) as Array<keyof MessageColumns>) {
        const v = c[k];
        if (ArrayBuffer.isView(v) && k !== 'framesValues') (c as unknown as Record<string, unknown>)[k] = v.slice(0, k === 'framesStart' ? this.n + 1 : this.n);
      }
    }
    if (c.framesValues.length !== this.f) c.framesValues = c.framesValues.slice(0, this.f);
    return c;
  }
}

/**
 * Message i's transaction, dialog and retransmission marks (the model's), written into columns
 * made before the model: the same values `push` writes from a message that carries them.
 */
export function annotate(c: MessageColumns, i: number, a: { transaction: number | null; dialog: number | null; retransmission: boolean; retransmissionOf: number | null } | undefined): void {
  c.transaction[i] = a?.transaction ?? NULL;
  c.dialog[i] = a?.dialog ?? NULL;
  c.retransmissionOf[i] = a?.retransmissionOf ?? NULL;
  c.flags[i] = (c.flags[i]! & ~1) | (a?.retransmission ? 1 : 0);
}

/**
 * The columns the model's marks change (`annotate`): all that differs between the columns of a
 * report as read and the same report once the model is built, so all that crosses to the page
 * again then (the other columns, ~20 of them, stay the page's own).
 */
export type MarkColumns = Pick<MessageColumns, 'transaction' | 'dialog' | 'retransmissionOf' | 'flags'>;

/** A copy of the mark columns (to transfer while the columns stay in use). */
export function markColumns(c: MessageColumns): MarkColumns {
  return { transaction: c.transaction.slice(), dialog: c.dialog.slice(), retransmissionOf: c.retransmissionOf.slice(), flags: c.flags.slice() };
}

/** The columns as read with the model's marks put in: the rest is shared, not copied. */
export function withMarks(c: MessageColumns, marks: MarkColumns): MessageColumns {
  if (marks.transaction.length !== c.count) throw new Error(`marks for ${marks.transaction.length} messages, columns of ${c.count}`);
  return { ...c, transaction: marks.transaction, dialog: marks.dialog, retransmissionOf: marks.retransmissionOf, flags: marks.flags };
}

/** Messages → columns. */
export function toColumns(messages: readonly ReportMessage[]): MessageColumns {
  const behind = columnsOf(messages);
  if (behind) return copyColumns(behind);
  const b = new ColumnsBuilder(messages.length);
  for (const m of messages) b.push(m);
  return b.done();
}

/** A copy with buffers of its own (to transfer while the original stays in use). */
export function copyColumns(c: MessageColumns): MessageColumns {
  const out = { ...c, strings: c.strings.slice() } as MessageColumns;
  for (const k of Object.keys(c) as Array<keyof MessageColumns>) {
    const v = c[k];
    if (ArrayBuffer.isView(v)) (out as unknown as Record<string, unknown>)[k] = v.slice();
  }
  return out;
}

/** The buffers to transfer with a postMessage (they move; the sender's columns become empty). */
export function columnBuffers(c: MessageColumns): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(c)) if (ArrayBuffer.isView(v)) out.push(v.buffer as ArrayBuffer);
  return out;
}

function str(c: MessageColumns, k: number): string | null {
  return k < 0 ? null : c.strings[k]!;
}

/** Message i as the report writes it (same fields, same values; absent optional fields stay absent). */
export function messageAt(c: MessageColumns, i: number): ReportMessage {
  const m: ReportMessage = {
    index: i,
    frame: c.frame[i]!,
    firstFrame: c.firstFrame[i]!,
    frames: Array.from(c.framesValues.subarray(c.framesStart[i]!, c.framesStart[i + 1]!)),
    time: isoMicros(c.timeUs[i]!),
    timeUs: c.timeUs[i]!,
    src: c.strings[c.src[i]!]!,
    dst: c.strings[c.dst[i]!]!,
    transport: c.strings[c.transport[i]!] as ReportMessage['transport'],
    connection: c.connection[i]! === NULL ? null : c.connection[i]!,
    callId: str(c, c.callId[i]!),
    cseq: str(c, c.cseq[i]!),
    retransmission: (c.flags[i]! & 1) !== 0,
    encapsulation: str(c, c.encapsulation[i]!),
    startLine: c.strings[c.startLine[i]!]!,
    hasSdp: (c.flags[i]! & 2) !== 0,
  };
  // Keys in the order the engine writes them (engine/analyze.ts), so JSON text is the same too.
  for (const key of ['transaction', 'dialog', 'retransmissionOf'] as const) {
    const v = c[key][i]!;
    if (v !== ABSENT) m[key] = v === NULL ? null : v;
  }
  if (c.method[i]! !== ABSENT) m.method = str(c, c.method[i]!) ?? undefined;
  if (c.status[i]! !== ABSENT) m.status = c.status[i]!;
  if (c.reason[i]! !== ABSENT) m.reason = str(c, c.reason[i]!) ?? undefined;
  if ((c.flags[i]! & 4) !== 0) m.malformed = (c.flags[i]! & 8) !== 0;
  if (c.capture[i]! !== ABSENT) m.capture = c.capture[i]!;
  return m;
}

/** Each string of the columns as JSON text (quoted and escaped), made when first written. */
const quotedStrings = new WeakMap<MessageColumns, Array<string | undefined>>();

/**
 * Message i as JSON text, exactly `JSON.stringify(messageAt(c, i))` (keys in the same order,
 * absent fields left out), without building the object: each distinct string of the columns is
 * escaped once, not once per message that names it. The CLI writes a capture's messages this way.
 */
export function messageJson(c: MessageColumns, i: number): string {
  let quoted = quotedStrings.get(c);
  if (quoted === undefined) quotedStrings.set(c, (quoted = new Array<string | undefined>(c.strings.length)));
  const q = (k: number): string => (k < 0 ? 'null' : (quoted[k] ??= JSON.stringify(c.strings[k]!)));
  const flags = c.flags[i]!;
  const fs = c.framesStart[i]!;
  const fe = c.framesStart[i + 1]!;
  let frames = '[';
  for (let k = fs; k < fe; k++) frames += k === fs ? `${c.framesValues[k]!}` : `,${c.framesValues[k]!}`;
  frames += ']';
  const conn = c.connection[i]!;
  // src, dst, transport and startLine are always strings; were one missing, messageAt leaves it out.
  const text = (name: string, k: number): string => (k < 0 ? '' : `,"${name}":${q(k)}`);
  let s = `{"index":${i},"frame":${c.frame[i]!},"firstFrame":${c.firstFrame[i]!},"frames":${frames},"time":"${isoMicros(c.timeUs[i]!)}","timeUs":${num(c.timeUs[i]!)}${text('src', c.src[i]!)}${text('dst', c.dst[i]!)}${text('transport', c.transport[i]!)},"connection":${conn === NULL ? 'null' : conn},"callId":${q(c.callId[i]!)},"cseq":${q(c.cseq[i]!)},"retransmission":${(flags & 1) !== 0},"encapsulation":${q(c.encapsulation[i]!)}${text('startLine', c.startLine[i]!)},"hasSdp":${(flags & 2) !== 0}`;
  const tx = c.transaction[i]!;
  if (tx !== ABSENT) s += `,"transaction":${tx === NULL ? 'null' : tx}`;
  const dialog = c.dialog[i]!;
  if (dialog !== ABSENT) s += `,"dialog":${dialog === NULL ? 'null' : dialog}`;
  const rt = c.retransmissionOf[i]!;
  if (rt !== ABSENT) s += `,"retransmissionOf":${rt === NULL ? 'null' : rt}`;
  // A null method or reason is left out, as messageAt sets it undefined.
  const method = c.method[i]!;
  if (method >= 0) s += `,"method":${q(method)}`;
  const status = c.status[i]!;
  if (status !== ABSENT) s += `,"status":${status}`;
  const reason = c.reason[i]!;
  if (reason >= 0) s += `,"reason":${q(reason)}`;
  if ((flags & 4) !== 0) s += `,"malformed":${(flags & 8) !== 0}`;
  const capture = c.capture[i]!;
  if (capture !== ABSENT) s += `,"capture":${capture}`;
  return s + '}';
}

/** A number as JSON writes it (non-finite ones as null). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** What the call list reads of each message (view/call-rows.ts). */
export type RowFields = Pick<ReportMessage, 'index' | 'method' | 'status' | 'src' | 'dst' | 'transport' | 'cseq' | 'timeUs'>;

/**
 * Message i's `RowFields` straight from the columns: the call list reads every message once, and
 * a whole message (its ISO time, its frames list) for each of hundreds of thousands cost seconds.
 */
export function rowFieldsAt(c: MessageColumns, i: number): RowFields {
  const f = rowFieldsInto(c, i, { index: i, timeUs: 0, src: '', dst: '', transport: 'udp', cseq: null });
  // A message without a method or status has no such field (as the report's own message).
  if (f.method === undefined) delete f.method;
  if (f.status === undefined) delete f.status;
  return f;
}

/**
 * Message i's `RowFields` written into `into` (returned; `method` and `status` are undefined
 * where absent): a loop over every message reads them into one object instead of making one per
 * message (~480,000 on the 200 MB bench capture).
 */
export function rowFieldsInto(c: MessageColumns, i: number, into: RowFields): RowFields {
  into.index = i;
  into.timeUs = c.timeUs[i]!;
  into.src = c.strings[c.src[i]!]!;
  into.dst = c.strings[c.dst[i]!]!;
  into.transport = c.strings[c.transport[i]!] as ReportMessage['transport'];
  into.cseq = str(c, c.cseq[i]!);
  into.method = c.method[i]! !== ABSENT ? (str(c, c.method[i]!) ?? undefined) : undefined;
  into.status = c.status[i]! !== ABSENT ? c.status[i]! : undefined;
  return into;
}

const COLUMNS = Symbol('message columns');

/** The columns behind a `messageList`, or null for a plain array (hot loops read them directly). */
export function columnsOf(list: readonly ReportMessage[]): MessageColumns | null {
  return (list as unknown as { [COLUMNS]?: MessageColumns })[COLUMNS] ?? null;
}

/** Messages a page holds at most as built objects; older ones are built again when read. */
const KEEP = 4096;

/**
 * The columns as a read-only array of messages: `list[i]`, `length`, iteration and every array
 * method work as on the report's array, but a message object is built when it is read. The last
 * few thousand read are kept, so the ladder's messages stay the same objects between renders.
 */
export function messageList(c: MessageColumns): ReportMessage[] {
  let recent = new Map<number, ReportMessage>();
  let older = new Map<number, ReportMessage>();
  const at = (i: number): ReportMessage => {
    let m = recent.get(i);
    if (m !== undefined) return m;
    m = older.get(i) ?? messageAt(c, i);
    if (recent.size >= KEEP) {
      older = recent;
      recent = new Map();
    }
    recent.set(i, m);
    return m;
  };
  const target: ReportMessage[] = new Array<ReportMessage>(c.count);
  return new Proxy(target, {
    get(t, key, receiver) {
      if (key === COLUMNS) return c;
      if (typeof key === 'string') {
        const code = key.charCodeAt(0);
        if (code >= 48 && code <= 57) {
          const i = Number(key);
          if (Number.isInteger(i) && i >= 0 && i < c.count) return at(i);
        }
      }
      return Reflect.get(t, key, receiver) as unknown;
    },
    has(t, key) {
      if (typeof key === 'string') {
        const i = Number(key);
        if (Number.isInteger(i) && i >= 0 && i < c.count) return true;
      }
      return Reflect.has(t, key);
    },
    // Own keys and descriptors as an array's, so equality checks and Object.keys see the messages.
    ownKeys(t) {
      const keys: Array<string | symbol> = [];
      for (let i = 0; i < c.count; i++) keys.push(String(i));
      return keys.concat(Reflect.ownKeys(t));
    },
    getOwnPropertyDescriptor(t, key) {
      if (typeof key === 'string') {
        const i = Number(key);
        if (Number.isInteger(i) && i >= 0 && i < c.count && String(i) === key) return { value: at(i), writable: false, enumerable: true, configurable: true };
      }
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    set() {
      throw new TypeError('the message list is read-only');
    },
    deleteProperty() {
      throw new TypeError('the message list is read-only');
    },
  });
}
