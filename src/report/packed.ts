/**
 * JSON-like values (a report's calls, its findings) packed for the worker → page crossing: one
 * integer stream and one number stream, whose buffers are moved rather than cloned, beside one
 * list of the distinct strings and one of the distinct key lists (object shapes).
 *
 * Why: a structured clone writes every string field of every call out again (the same state
 * words, hosts, transports, Call-IDs in each finding), the page reads back a new string for each,
 * and then has to hash them all to share one copy (shared-strings.ts). On the bench's 200 MB
 * capture (68,582 calls) the `listed` event froze the page for ~1.3 s: ~0.3 s reading the clone,
 * ~0.35 s sharing its strings, ~0.5 s collecting the copies. Packed, each distinct string crosses
 * once and every field that holds it gets that one copy, by index, with nothing to hash.
 *
 * One open's events (the calls as read, as listed, then the findings) share one string table on
 * each side (`Strings`): an event sends only the strings the page does not have yet, the page
 * appends them to its table, and a string seen again (a call's Call-ID in its findings, its From
 * and To from one event to the next) is the same copy on the page, and a lookup of a string the
 * worker has hashed before.
 *
 * Exact for what JSON and a structured clone of such data keep: objects (own enumerable string
 * keys, in order; `undefined` values too, as a clone keeps them), arrays (dense), strings, numbers
 * (every double: NaN, ±Infinity, -0), booleans, null. Anything else (a Map, a Date, a typed array, a
 * class instance's prototype) is refused with an error rather than changed quietly.
 */

const NULL = 0;
const UNDEFINED = 1;
const FALSE = 2;
const TRUE = 3;
/** An integer that fits 31 bits; the next int is its value. */
const INT = 4;
/** Any other number: the next double of `nums`. */
const NUM = 5;
/** A string: the next int is its index in `strings`. */
const STR = 6;
/** An array: the next int is its length, its items follow. */
const ARR = 7;
/** An object: the next int is its shape (key list) in `shapes`, its values follow in that order. */
const OBJ = 8;

export interface Packed {
  /** How many values were packed (a list of values packs each of them in turn). */
  count: number;
  ops: Int32Array;
  nums: Float64Array;
  /** The strings the receiving table does not have yet, in id order from `stringsFrom`. */
  strings: string[];
  /** The id of `strings[0]`: how many strings the receiving table had when this was packed. */
  stringsFrom: number;
  shapes: string[][];
}

/**
 * A string table kept across several packed values, on each side of the crossing: the sender's
 * gives each distinct string an id, the receiver's holds them by id. Values must be unpacked in
 * the order they were packed (as one worker's messages arrive), each exactly once.
 */
export class Strings {
  /** Sender: each string's id. */
  readonly ids = new Map<string, number>();
  /** Both: the strings by id (the sender's are all it gave ids to; the receiver's all it was sent). */
  readonly list: string[] = [];
}

/** The buffers to transfer with a packed value (postMessage's transfer list). */
export function packedBuffers(p: Packed): ArrayBuffer[] {
  return [p.ops.buffer as ArrayBuffer, p.nums.buffer as ArrayBuffer];
}

/**
 * A growable stream of ints or doubles, written in chunks and joined once at the end into one
 * array of its exact length. Grown by doubling and then trimmed, each stream was allocated ~3×
 * over (every doubling, then the trimmed copy): on the bench's 200 MB capture ~40 MB per event of
 * ArrayBuffers that were garbage at once, two events of them just before the worker's model.
 * Chunks grow from a small first one (most packs are small) up to CHUNK_MAX entries.
 */
class Chunked<T extends Int32Array | Float64Array> {
  private readonly full: T[] = [];
  private fullLength = 0;
  private used = 0;

  constructor(
    private last: T,
    private readonly make: (length: number) => T,
  ) {}

  push(v: number): void {
    if (this.used === this.last.length) {
      this.full.push(this.last);
      this.fullLength += this.used;
      this.last = this.make(Math.min(this.last.length * 2, CHUNK_MAX));
      this.used = 0;
    }
    this.last[this.used++] = v;
  }

  /** Everything written, in one array of its exact length. */
  done(): T {
    const into = this.make(this.fullLength + this.used);
    let at = 0;
    for (const c of this.full) {
      into.set(c, at);
      at += c.length;
    }
    into.set(this.last.subarray(0, this.used), at);
    return into;
  }
}

/** Entries of the largest chunk (1 MB of ints). */
const CHUNK_MAX = 1 << 18;

/** The int stream (tags, lengths, ids, small integers) and the double stream of a packed value. */
class Streams {
  private readonly ops = new Chunked(new Int32Array(1 << 12), (n) => new Int32Array(n));
  private readonly nums = new Chunked(new Float64Array(1 << 8), (n) => new Float64Array(n));

  op(v: number): void {
    this.ops.push(v);
  }

  num(v: number): void {
    this.nums.push(v);
  }

  /** The streams written, each one array of its exact length. */
  done(): { ops: Int32Array; nums: Float64Array } {
    return { ops: this.ops.done(), nums: this.nums.done() };
  }
}

/** Object shapes found by their keys one at a time (the keys are property names, hashed once). */
interface ShapeNode {
  next: Map<string, ShapeNode> | null;
  id: number;
}

class Packer {
  readonly s = new Streams();
  readonly shapes: string[][] = [];
  private readonly root: ShapeNode = { next: null, id: -1 };

  constructor(readonly table: Strings) {}

  value(v: unknown, depth: number): void {
    const s = this.s;
    switch (typeof v) {
      case 'string': {
        const t = this.table;
        let id = t.ids.get(v);
        if (id === undefined) {
          id = t.list.length;
          t.list.push(v);
          t.ids.set(v, id);
        }
        s.op(STR);
        s.op(id);
        return;
      }
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          s.op(INT);
          s.op(v);
        } else {
          s.op(NUM);
          s.num(v);
        }
        return;
      case 'boolean':
        s.op(v ? TRUE : FALSE);
        return;
      case 'undefined':
        s.op(UNDEFINED);
        return;
      case 'object': {
        if (v === null) {
          s.op(NULL);
          return;
        }
        if (depth > MAX_DEPTH) throw new Error(`packed value nested deeper than ${MAX_DEPTH} levels`);
        if (Array.isArray(v)) {
          s.op(ARR);
          s.op(v.length);
          for (let k = 0; k < v.length; k++) this.value(v[k], depth + 1);
          return;
        }
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto === Object.prototype || proto === null) {
          // for…in over a plain object reads each value by the key it gives, which V8 turns into
          // a load by position (no lookup by name); own keys only, as the prototype has none.
          const o = v as Record<string, unknown>;
          let node = this.root;
          for (const key in o) node = this.child(node, key);
          s.op(OBJ);
          s.op(node.id >= 0 ? node.id : this.newShape(node, o));
          for (const key in o) this.value(o[key], depth + 1);
          return;
        }
        throw new Error(`cannot pack a ${(v as object).constructor?.name ?? 'non-plain object'}`);
      }
      default:
        throw new Error(`cannot pack a ${typeof v}`);
    }
  }

  private child(node: ShapeNode, key: string): ShapeNode {
    let next = node.next?.get(key);
    if (next === undefined) {
      next = { next: null, id: -1 };
      (node.next ??= new Map()).set(key, next);
    }
    return next;
  }

  private newShape(node: ShapeNode, o: object): number {
    node.id = this.shapes.length;
    this.shapes.push(Object.keys(o));
    return node.id;
  }
}

/** Deeper than this is not a report (and would overflow the stack on the way back). */
const MAX_DEPTH = 64;

/** Each of `values`, packed into one stream; the strings `table` has given ids before are not sent again. */
export function packAll(values: readonly unknown[], table = new Strings()): Packed {
  const stringsFrom = table.list.length;
  const p = new Packer(table);
  for (let k = 0; k < values.length; k++) p.value(values[k], 0);
  const { ops, nums } = p.s.done();
  return { count: values.length, ops, nums, strings: table.list.slice(stringsFrom), stringsFrom, shapes: p.shapes };
}

/**
 * The values `packAll` packed, in order: new objects and arrays, each distinct string once.
 * `table`: the receiving side of the sender's table (its earlier values unpacked into it first).
 */
export function unpackAll<T>(p: Packed, table = new Strings()): T[] {
  const strings = table.list;
  if (p.stringsFrom !== strings.length) throw new Error(`packed value: its strings start at ${p.stringsFrom}, the table has ${strings.length}`);
  for (let k = 0; k < p.strings.length; k++) strings.push(p.strings[k]!);
  const { ops, nums, shapes } = p;
  // One object per shape with its keys in order, made by JSON.parse (which lays its properties
  // out inside the object, at their exact number) and copied for each object of that shape: the
  // values are then written over existing properties. Objects grown key by key from {} keep
  // theirs in a separate, over-allocated store: ~0.7 KB more per call in Chromium (sip-dense).
  const templates = shapes.map((keys) => JSON.parse(`{${keys.map((k) => `${JSON.stringify(k)}:null`).join(',')}}`) as Record<string, unknown>);
  let at = 0;
  let numAt = 0;
  const read = (): unknown => {
    const op = ops[at++];
    switch (op) {
      case NULL:
        return null;
      case UNDEFINED:
        return undefined;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT:
        return ops[at++];
      case NUM:
        return nums[numAt++];
      case STR:
        return strings[ops[at++]!];
      case ARR: {
        const n = ops[at++]!;
        const list = new Array<unknown>(n);
        for (let k = 0; k < n; k++) list[k] = read();
        return list;
      }
      case OBJ: {
        const shape = ops[at++]!;
        const keys = shapes[shape]!;
        const o: Record<string, unknown> = { ...templates[shape] };
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k]!;
          // An own "__proto__" key (a name read from a capture) stays a key, as in a clone
          // (JSON.parse and the spread make it one; a plain assignment would set the prototype).
          if (key === '__proto__') Object.defineProperty(o, key, { value: read(), enumerable: true, writable: true, configurable: true });
          else o[key] = read();
        }
        return o;
      }
      default:
        throw new Error(`packed value: unknown op ${op} at ${at - 1}`);
    }
  };
  const out = new Array<T>(p.count);
  for (let k = 0; k < p.count; k++) out[k] = read() as T;
  if (at !== ops.length || numAt !== nums.length) throw new Error('packed value: streams not read to their end');
  return out;
}
