/**
 * IP fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815 hole tracking) and IPv6
 * (RFC 8200 §4.5). Fragments are keyed by (source, destination, protocol, identification) for
 * IPv4 and (source, destination, identification) for IPv6. They may come out of order,
 * duplicated or overlapping; where fragments overlap, the bytes seen first win (and a
 * differing overlap is reported). The datagram is delivered at the frame of the fragment that
 * completes it, with the frame of the first fragment seen.
 *
 * Memory is bounded: at most `maxDatagrams` datagrams and `maxBytes` bytes are held; the
 * oldest is dropped (with a warning) to make room. A datagram not completed within
 * `timeoutUs` of capture time after its first fragment, or still open at end(), is reported
 * with the frames it had and the byte ranges it lacked.
 */
import type { CaptureWarning } from './types.ts';

export interface ReassemblyLimits {
  maxDatagrams: number;
  maxBytes: number;
  /** Capture time after the first fragment after which an incomplete datagram is given up. */
  timeoutUs: number;
}

export const DEFAULT_LIMITS: ReassemblyLimits = { maxDatagrams: 1024, maxBytes: 64 << 20, timeoutUs: 30e6 };

/** Largest datagram payload accepted (IPv4 total length is 16 bits). */
const MAX_DATAGRAM = 65535;

interface Piece {
  start: number;
  end: number;
  bytes: Uint8Array;
}

interface Datagram {
  version: 4 | 6;
  src: string;
  dst: string;
  id: number;
  pieces: Piece[];
  /** Total payload length, known once the last fragment (more=false) arrived; else -1. */
  total: number;
  frames: number[];
  firstTimeUs: number;
  bytes: number;
  warnedOverlap: boolean;
}

/** What `add` returns when a datagram completes. Valid until the next call. */
export interface Completed {
  payload: Uint8Array;
  firstFrame: number;
  frames: readonly number[];
}

export class FragmentReassembler {
  private readonly open = new Map<string, Datagram>();
  private heldBytes = 0;
  private lastSweepUs = -Infinity;
  private readonly limits: ReassemblyLimits;

  constructor(
    private readonly warn: (w: CaptureWarning) => void,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Datagrams currently being reassembled. */
  get pending(): number {
    return this.open.size;
  }

  /**
   * Adds one fragment's payload (`data`, bytes `offset`.. of the datagram's payload).
   * Returns the whole payload (a new array) when this fragment completes the datagram.
   */
  add(
    version: 4 | 6,
    src: string,
    dst: string,
    protocol: number,
    id: number,
    offset: number,
    more: boolean,
    data: Uint8Array,
    frame: number,
    timeUs: number,
  ): Completed | null {
    this.tick(timeUs);
    const end = offset + data.length;
    if (end > MAX_DATAGRAM) {
      this.warn({ frame, message: `IPv${version} fragment id 0x${id.toString(16)} from ${src} to ${dst} at frame ${frame} reaches byte ${end}, beyond the 65535-byte maximum; ignored` });
      return null;
    }
    const key = version === 4 ? `4 ${src} ${dst} ${protocol} ${id}` : `6 ${src} ${dst} ${id}`;
    let d = this.open.get(key);
    if (d === undefined) {
      d = { version, src, dst, id, pieces: [], total: -1, frames: [], firstTimeUs: timeUs, bytes: 0, warnedOverlap: false };
      this.makeRoom(data.length, frame);
      this.open.set(key, d);
    }
    if (!d.frames.includes(frame)) d.frames.push(frame);
    if (!more) {
      if (d.total >= 0 && d.total !== end) {
        this.warn({ frame, message: `IPv${version} datagram id 0x${id.toString(16)} from ${src} to ${dst}: frame ${frame} ends it at byte ${end}, an earlier fragment at byte ${d.total}; keeping the first` });
      } else {
        d.total = end;
      }
    }
    if (d.total >= 0 && end > d.total) {
      this.warn({ frame, message: `IPv${version} datagram id 0x${id.toString(16)} from ${src} to ${dst}: fragment at frame ${frame} reaches byte ${end}, past the datagram's end (${d.total}); ignored` });
    } else if (data.length > 0 && !this.covered(d, offset, end, data, frame)) {
      d.pieces.push({ start: offset, end, bytes: data.slice() });
      d.bytes += data.length;
      this.heldBytes += data.length;
    }
    if (d.total < 0 || !this.complete(d)) return null;
    this.open.delete(key);
    this.heldBytes -= d.bytes;
    const out = new Uint8Array(d.total);
    // Later pieces first, so that the bytes seen first win where pieces overlap.
    for (let i = d.pieces.length - 1; i >= 0; i--) {
      const p = d.pieces[i] as Piece;
      out.set(p.bytes, p.start);
    }
    return { payload: out, firstFrame: d.frames[0] ?? frame, frames: d.frames };
  }

  /** Gives up datagrams older than the timeout (checked at most once per second of capture time). */
  tick(timeUs: number): void {
    if (timeUs - this.lastSweepUs < 1e6) return;
    this.lastSweepUs = timeUs;
    for (const [key, d] of this.open) {
      if (timeUs - d.firstTimeUs > this.limits.timeoutUs) this.drop(key, d, `never completed within ${this.limits.timeoutUs / 1e6} s`);
    }
  }

  /** End of capture: reports every datagram still incomplete. */
  end(): void {
    for (const [key, d] of this.open) this.drop(key, d, 'never completed');
  }

  private makeRoom(incoming: number, frame: number): void {
    while (this.open.size > 0 && (this.open.size >= this.limits.maxDatagrams || this.heldBytes + incoming > this.limits.maxBytes)) {
      const first = this.open.entries().next().value;
      if (first === undefined) break;
      const why = this.open.size >= this.limits.maxDatagrams
        ? `dropped at frame ${frame} because ${this.limits.maxDatagrams} datagrams were being reassembled at once`
        : `dropped at frame ${frame} because fragments held more than ${this.limits.maxBytes} bytes`;
      this.drop(first[0], first[1], why);
    }
  }

  private drop(key: string, d: Datagram, why: string): void {
    this.open.delete(key);
    this.heldBytes -= d.bytes;
    const frames = d.frames.length <= 10 ? d.frames.join(', ') : `${d.frames.slice(0, 10).join(', ')}, …`;
    this.warn({
      frame: d.frames[0],
      message: `IPv${d.version} datagram id 0x${d.id.toString(16)} from ${d.src} to ${d.dst}: fragments at frame${d.frames.length === 1 ? '' : 's'} ${frames} ${why} (missing ${missing(d)})`,
    });
  }

  /** True (after maybe warning) when [start, end) is already fully held: a duplicate. */
  private covered(d: Datagram, start: number, end: number, data: Uint8Array, frame: number): boolean {
    let pos = start;
    let differs = false;
    const sorted = d.pieces.slice().sort((a, b) => a.start - b.start);
    for (const p of sorted) {
      const lo = Math.max(p.start, start);
      const hi = Math.min(p.end, end);
      if (lo < hi && !differs) {
        for (let i = lo; i < hi; i++) {
          if (p.bytes[i - p.start] !== data[i - start]) {
            differs = true;
            break;
          }
        }
      }
      if (p.start <= pos && p.end > pos) pos = p.end;
    }
    if (differs && !d.warnedOverlap) {
      d.warnedOverlap = true;
      this.warn({ frame, message: `IPv${d.version} datagram id 0x${d.id.toString(16)} from ${d.src} to ${d.dst}: fragment at frame ${frame} overlaps earlier fragments with different bytes; the earlier bytes are kept` });
    }
    return pos >= end;
  }

  private complete(d: Datagram): boolean {
    return holes(d).length === 0;
  }
}

/** Missing [start, end) ranges; end = -1 when the last fragment was never seen. */
function holes(d: Datagram): Array<[number, number]> {
  const sorted = d.pieces.slice().sort((a, b) => a.start - b.start);
  const out: Array<[number, number]> = [];
  let pos = 0;
  for (const p of sorted) {
    if (p.start > pos) out.push([pos, p.start]);
    if (p.end > pos) pos = p.end;
  }
  if (d.total < 0) out.push([pos, -1]);
  else if (pos < d.total) out.push([pos, d.total]);
  return out;
}

function missing(d: Datagram): string {
  const parts = holes(d).map(([a, b]) => (b < 0 ? `bytes from ${a} to the end (the last fragment was never seen)` : `bytes ${a}–${b - 1}`));
  return parts.join(', ');
}
