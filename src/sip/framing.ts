/**
 * Content-Length framing of a SIP byte stream (TCP, TLS after decryption, one WebSocket payload
 * sequence), RFC 3261 §18.3: a message is its header section up to the blank line plus exactly
 * Content-Length body bytes (mandatory on streams; when missing we take 0 and say so).
 *
 * - CRLF keep-alives between messages (RFC 5626 §3.5.1: "\r\n\r\n" ping, "\r\n" pong) are skipped.
 * - After `gap()` (lost segment) or bytes that are not a SIP start line (capture started in the
 *   middle of a connection, garbage), it resynchronises on the next line that is a SIP start line.
 * - A header section longer than 64 KiB without a blank line is given up (handed out as
 *   incomplete) and the framer resynchronises.
 * - Each message knows the frames that carried it: `firstFrame` (first byte), `frame` (last
 *   byte, Wireshark's convention), `frames` (all of them, ascending).
 *
 * Bytes are copied into one growable buffer (amortised linear: it doubles, and compacts only
 * when the live part is at most half of it); each scan resumes where the previous one stopped,
 * so feeding a message byte by byte costs no more than feeding it whole.
 */

import type { FramedMessage, StreamFramer } from '../capture/types.ts';
import { SIP_METHODS, sipStartAt } from './detect.ts';

/** Longest header section we wait for without a blank line. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest Content-Length we believe on a stream (a bigger one is garbage or a desync). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Chunk {
  /** Absolute stream positions [start, end). */
  start: number;
  end: number;
  frame: number;
  timeUs: number;
  /** Where these bytes are in the input, or -1. */
  at: number;
}

const LF = 10, CR = 13;

/** "INVITE ", …, "SIP/2.0 " as bytes: what a start line glued to other bytes can begin with. */
const START_TOKENS: readonly number[][] = [...SIP_METHODS.map((m) => `${m} `), 'SIP/2.0 ']
  .map((t) => Array.from(t, (c) => c.charCodeAt(0)));

/** "content-length" as lower-case bytes. */
const CONTENT_LENGTH = Array.from('content-length', (c) => c.charCodeAt(0));

/**
 * Content-Length from the header section bytes[start, end) (first line skipped): the value, or
 * -1 when there is none, -2 when it is not a number.
 */
function readContentLength(bytes: Uint8Array, start: number, end: number): number {
  let s = start;
  // skip the start line
  while (s < end && bytes[s] !== LF) s++;
  s++;
  while (s < end) {
    // name
    let j = s;
    while (j < end) {
      const b = bytes[j]!;
      if (b === 0x3a || b === 0x20 || b === 0x09 || b === LF || b === CR) break;
      j++;
    }
    const nameLen = j - s;
    let match = false;
    if (nameLen === 1) match = (bytes[s]! | 0x20) === 0x6c; // "l"
    else if (nameLen === CONTENT_LENGTH.length) {
      match = true;
      for (let k = 0; k < nameLen; k++) {
        if ((bytes[s + k]! | 0x20) !== CONTENT_LENGTH[k]) { match = false; break; }
      }
    }
    if (match) {
      while (j < end && (bytes[j] === 0x20 || bytes[j] === 0x09)) j++;
      if (bytes[j] === 0x3a) {
        j++;
        while (j < end && (bytes[j] === 0x20 || bytes[j] === 0x09)) j++;
        let v = 0;
        let digits = 0;
        while (j < end) {
          const b = bytes[j]!;
          if (b < 0x30 || b > 0x39) break;
          v = v * 10 + (b - 0x30);
          digits++;
          j++;
        }
        while (j < end && (bytes[j] === 0x20 || bytes[j] === 0x09 || bytes[j] === CR)) j++;
        if (digits === 0 || digits > 10 || (j < end && bytes[j] !== LF)) return -2;
        return v;
      }
    }
    // next line
    while (j < end && bytes[j] !== LF) j++;
    s = j + 1;
  }
  return -1;
}

class SipStreamFramer implements StreamFramer {
  private buf = new Uint8Array(4096);
  /** Absolute stream position of buf[0]. */
  private base = 0;
  private rp = 0;
  private wp = 0;
  private chunks: Chunk[] = [];
  private chunkHead = 0;
  private mode: 'msg' | 'resync' = 'msg';
  /** Where scanning resumes, relative to rp. */
  private scanRel = 0;
  /** First line of the current message checked as a SIP start line. */
  private lineOk = false;
  /** Header section length of the current message, or -1 while unknown. */
  private headerLen = -1;
  /** Full length of the current message, or -1 while unknown. */
  private total = -1;
  private notes: string[] = [];
  /** Non-SIP bytes dropped while resynchronising (said in the next message's notes). */
  private skipped = 0;
  private pending: FramedMessage[] = [];

  push(bytes: Uint8Array, frame: number, timeUs: number, at = -1): FramedMessage[] {
    if (bytes.length > 0) this.append(bytes, frame, timeUs, at);
    const out = this.pending;
    this.pending = [];
    this.process(out);
    this.prune();
    return out;
  }

  gap(frame: number, missingBytes: number): void {
    if (this.mode === 'msg') {
      this.skipLineBreaks();
      if (this.rp < this.wp && (this.lineOk || sipStartAt(this.buf, this.rp, this.wp))) {
        this.pending.push(this.emit(this.wp - this.rp,
          `a gap of ${missingBytes} bytes (lost segment before frame ${frame}) cut this message`));
      }
    }
    this.rp = this.wp;
    this.resetMessage();
    this.mode = 'resync';
    this.notes.push(`resynchronised after a gap of ${missingBytes} bytes before frame ${frame}`);
    this.prune();
  }

  end(): FramedMessage[] {
    const out = this.pending;
    this.pending = [];
    if (this.mode === 'msg') this.skipLineBreaks();
    const live = this.wp - this.rp;
    if (live > 0 && (this.lineOk || sipStartAt(this.buf, this.rp, this.wp))) {
      const why = this.headerLen < 0
        ? `stream ended inside the header section (${live} bytes, no blank line)`
        : `stream ended ${live} bytes into a ${this.total}-byte message`;
      out.push(this.emit(live, why));
    }
    this.rp = this.wp;
    this.resetMessage();
    this.mode = 'msg';
    this.prune();
    return out;
  }

  private append(bytes: Uint8Array, frame: number, timeUs: number, at: number): void {
    const len = bytes.length;
    if (this.wp + len > this.buf.length) {
      const live = this.wp - this.rp;
      if (live + len <= this.buf.length >>> 1) {
        this.buf.copyWithin(0, this.rp, this.wp);
      } else {
        let cap = this.buf.length * 2;
        while (cap < live + len) cap *= 2;
        const nb = new Uint8Array(cap);
        nb.set(this.buf.subarray(this.rp, this.wp));
        this.buf = nb;
      }
      this.base += this.rp;
      this.wp = live;
      this.rp = 0;
    }
    this.buf.set(bytes, this.wp);
    this.chunks.push({ start: this.base + this.wp, end: this.base + this.wp + len, frame, timeUs, at });
    this.wp += len;
  }

  /** Drops chunk records wholly before rp; resets the buffer when empty. */
  private prune(): void {
    const consumed = this.base + this.rp;
    while (this.chunkHead < this.chunks.length && this.chunks[this.chunkHead]!.end <= consumed) this.chunkHead++;
    if (this.chunkHead > 64 && this.chunkHead * 2 > this.chunks.length) {
      this.chunks.splice(0, this.chunkHead);
      this.chunkHead = 0;
    }
    if (this.rp === this.wp) {
      this.base += this.rp;
      this.rp = 0;
      this.wp = 0;
    }
  }

  private resetMessage(): void {
    this.scanRel = 0;
    this.lineOk = false;
    this.headerLen = -1;
    this.total = -1;
  }

  private skipLineBreaks(): void {
    if (this.lineOk) return;
    const buf = this.buf;
    while (this.rp < this.wp && (buf[this.rp] === CR || buf[this.rp] === LF)) this.rp++;
  }

  /** Index of the next LF in [from, wp), or -1. */
  private findLf(from: number): number {
    const buf = this.buf;
    for (let i = from; i < this.wp; i++) if (buf[i] === LF) return i;
    return -1;
  }

  private emit(length: number, incomplete?: string): FramedMessage {
    const startAbs = this.base + this.rp;
    const endAbs = startAbs + length;
    const frames: number[] = [];
    let firstFrame = -1;
    let frame = -1;
    let timeUs = 0;
    // Where the message is in the input: when it lies whole in one chunk that came with its place.
    let at = -1;
    for (let k = this.chunkHead; k < this.chunks.length; k++) {
      const c = this.chunks[k]!;
      if (c.start >= endAbs) break;
      if (c.end <= startAbs || c.end === c.start) continue;
      at = firstFrame < 0 && c.at >= 0 && c.start <= startAbs && endAbs <= c.end ? c.at + (startAbs - c.start) : -1;
      if (firstFrame < 0) firstFrame = c.frame;
      if (frames.length === 0 || frames[frames.length - 1] !== c.frame) frames.push(c.frame);
      frame = c.frame;
      timeUs = c.timeUs;
    }
    frames.sort((a, b) => a - b);
    const msg: FramedMessage = {
      bytes: this.buf.slice(this.rp, this.rp + length),
      frame,
      firstFrame,
      timeUs,
      frames: frames.filter((f, i) => i === 0 || f !== frames[i - 1]),
    };
    if (incomplete) msg.incomplete = incomplete;
    if (at >= 0) msg.at = at;
    if (this.skipped > 0) {
      this.notes.push(`${this.skipped} bytes that were not SIP skipped before this message`);
      this.skipped = 0;
    }
    if (this.notes.length > 0) {
      msg.notes = this.notes;
      this.notes = [];
    }
    return msg;
  }

  /** In resync mode: advance rp to the next line that is a SIP start line. False when more bytes are needed. */
  private resync(): boolean {
    const buf = this.buf;
    for (;;) {
      while (this.rp < this.wp && (buf[this.rp] === CR || buf[this.rp] === LF)) { this.rp++; this.skipped++; this.scanRel = 0; }
      if (this.rp >= this.wp) return false;
      const b0 = buf[this.rp]!;
      const candidate = b0 >= 0x41 && b0 <= 0x5a;
      const nl = this.findLf(this.rp + this.scanRel);
      if (nl < 0) {
        if (!candidate || this.wp - this.rp > MAX_HEADER_BYTES) {
          // Not a start line (or far too long): drop it; the next candidate follows a line break.
          this.skipped += this.wp - this.rp;
          this.rp = this.wp;
          this.scanRel = 0;
        } else {
          this.scanRel = this.wp - this.rp;
        }
        return false;
      }
      if (candidate && sipStartAt(buf, this.rp, nl + 1)) {
        this.mode = 'msg';
        this.lineOk = true;
        this.headerLen = -1;
        this.total = -1;
        this.scanRel = nl - this.rp;
        return true;
      }
      // A message glued to the end of the previous body (no line break between them): look for
      // a known method or "SIP/2.0 " inside the line.
      const inner = this.findStartInLine(this.rp + 1, nl + 1);
      if (inner >= 0) {
        this.skipped += inner - this.rp;
        this.rp = inner;
        this.scanRel = 0;
        continue;
      }
      this.skipped += nl + 1 - this.rp;
      this.rp = nl + 1;
      this.scanRel = 0;
    }
  }

  /** First position in [from, lineEnd) where a SIP start line begins, or -1. */
  private findStartInLine(from: number, lineEnd: number): number {
    const buf = this.buf;
    for (let p = from; p < lineEnd; p++) {
      const b = buf[p]!;
      if (b < 0x41 || b > 0x5a) continue;
      let hit = false;
      for (const m of START_TOKENS) {
        if (m[0] !== b || p + m.length > lineEnd) continue;
        let k = 1;
        while (k < m.length && buf[p + k] === m[k]) k++;
        if (k === m.length) { hit = true; break; }
      }
      if (hit && sipStartAt(buf, p, lineEnd)) return p;
    }
    return -1;
  }

  private process(out: FramedMessage[]): void {
    for (;;) {
      if (this.mode === 'resync') {
        if (!this.resync()) return;
        continue;
      }
      if (!this.lineOk) {
        this.skipLineBreaks();
        if (this.rp >= this.wp) return;
        const b0 = this.buf[this.rp]!;
        if (b0 < 0x41 || b0 > 0x5a) { this.mode = 'resync'; this.scanRel = 0; continue; }
        const nl = this.findLf(this.rp + this.scanRel);
        if (nl < 0) {
          this.scanRel = this.wp - this.rp;
          if (this.scanRel > MAX_HEADER_BYTES) { this.mode = 'resync'; }
          return;
        }
        if (!sipStartAt(this.buf, this.rp, nl + 1)) {
          this.mode = 'resync';
          this.scanRel = 0;
          continue;
        }
        this.lineOk = true;
        this.scanRel = nl - this.rp;
      }
      if (this.headerLen < 0) {
        const b = this.buf;
        let i = this.rp + this.scanRel;
        let found = -1;
        let wait = false;
        for (; i < this.wp; i++) {
          if (b[i] !== LF) continue;
          if (i + 1 >= this.wp) { wait = true; break; }
          const nx = b[i + 1];
          if (nx === LF) { found = i + 2; break; }
          if (nx === CR) {
            if (i + 2 >= this.wp) { wait = true; break; }
            if (b[i + 2] === LF) { found = i + 3; break; }
          }
        }
        if (found < 0) {
          this.scanRel = (wait ? i : this.wp) - this.rp;
          if (this.wp - this.rp > MAX_HEADER_BYTES) {
            out.push(this.emit(this.wp - this.rp,
              `header section longer than ${MAX_HEADER_BYTES} bytes without a blank line: given up`));
            this.rp = this.wp;
            this.resetMessage();
            this.mode = 'resync';
          }
          return;
        }
        this.headerLen = found - this.rp;
        let cl = readContentLength(b, this.rp, found);
        if (cl === -1) {
          this.notes.push('no Content-Length on a stream (RFC 3261 §18.3 requires it): body taken as empty');
          cl = 0;
        } else if (cl === -2) {
          this.notes.push('Content-Length is not a number: body taken as empty');
          cl = 0;
        } else if (cl > MAX_BODY_BYTES) {
          this.notes.push(`Content-Length ${cl} is not believable on a stream: body taken as empty`);
          cl = 0;
        }
        this.total = this.headerLen + cl;
      }
      if (this.wp - this.rp < this.total) return;
      out.push(this.emit(this.total));
      this.rp += this.total;
      this.resetMessage();
    }
  }
}

/** A new framer for one direction of one stream. */
export function createSipFramer(): StreamFramer {
  return new SipStreamFramer();
}
