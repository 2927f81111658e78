/**
 * SCTP (RFC 9260): the common header (§3.1: ports, verification tag, checksum) and the chunk
 * list (§3.2: type, flags, length incl. the 4-byte chunk header, padded to 4 bytes). Only DATA
 * chunks (type 0, §3.3.1: TSN, stream id, stream sequence, PPID, user data) are used; each
 * complete user message (B and E flags, reassembled per stream when fragmented) is one
 * application message. Retransmitted DATA chunks (a TSN already delivered) are dropped.
 */

/** Receives each complete user message of an association direction. */
export type SctpMessageSink = (bytes: Uint8Array, firstFrame: number, frames: number[]) => void;

interface Partial {
  parts: Uint8Array[];
  len: number;
  frames: number[];
}

/** State of one direction of one association (keyed by the caller). */
export class SctpDirection {
  /** Highest TSN delivered (serial arithmetic), or -1. */
  private lastTsn = -1;
  private readonly partial = new Map<number, Partial>();

  /** Parse the chunks of one SCTP packet d[off..end) and deliver complete messages. */
  packet(d: Uint8Array, off: number, end: number, frame: number, sink: SctpMessageSink, problem: (m: string) => void): void {
    let o = off + 12;
    while (o + 4 <= end) {
      const type = d[o]!;
      const flags = d[o + 1]!;
      const len = (d[o + 2]! << 8) | d[o + 3]!;
      if (len < 4 || o + len > end) {
        problem(`SCTP chunk type ${type} at byte ${o - off} has length ${len} but ${end - o} bytes remain`);
        return;
      }
      if (type === 0 && len >= 16) {
        const tsn = ((d[o + 4]! << 24) | (d[o + 5]! << 16) | (d[o + 6]! << 8) | d[o + 7]!) >>> 0;
        const stream = (d[o + 8]! << 8) | d[o + 9]!;
        const data = d.subarray(o + 16, o + len);
        if (this.lastTsn >= 0 && ((tsn - this.lastTsn) | 0) <= 0) {
          // retransmission of a chunk already delivered
        } else {
          this.lastTsn = tsn;
          this.data(stream, flags, data, frame, sink);
        }
      }
      o += (len + 3) & ~3;
    }
  }

  private data(stream: number, flags: number, data: Uint8Array, frame: number, sink: SctpMessageSink): void {
    const begin = (flags & 0x02) !== 0;
    const endF = (flags & 0x01) !== 0;
    if (begin && endF) {
      sink(data.slice(), frame, [frame]);
      return;
    }
    let p = this.partial.get(stream);
    if (begin || p === undefined) {
      if (!begin) return; // middle/end without its beginning: cannot be used
      p = { parts: [], len: 0, frames: [] };
      this.partial.set(stream, p);
    }
    p.parts.push(data.slice());
    p.len += data.length;
    if (p.frames[p.frames.length - 1] !== frame) p.frames.push(frame);
    if (endF) {
      this.partial.delete(stream);
      const out = new Uint8Array(p.len);
      let o = 0;
      for (const part of p.parts) {
        out.set(part, o);
        o += part.length;
      }
      sink(out, p.frames[0] ?? frame, p.frames);
    }
  }
}
