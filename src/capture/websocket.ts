/**
 * WebSocket over a reassembled TCP stream (RFC 6455): the HTTP/1.1 opening handshake (§4.1
 * GET with `Upgrade: websocket`, §4.2.2 the `101 Switching Protocols` answer; RFC 7118 §4 adds
 * `Sec-WebSocket-Protocol: sip`), then base framing (§5.2): FIN/opcode, masked client frames
 * (§5.3), 7/16/64-bit payload lengths, fragmented messages with continuation frames (§5.4) and
 * control frames (ping/pong/close, §5.5) interleaved between fragments.
 *
 * Each complete text or binary message is handed over with the TCP frames whose bytes made it;
 * RFC 7118 §5 puts exactly one SIP message in one WebSocket message.
 */

/** Largest frame or message accepted (a larger length means garbage or lost sync). */
const MAX_MESSAGE = 16 * 1024 * 1024;
/** Largest HTTP header block looked at. */
const MAX_HTTP_HEADER = 16 * 1024;

const GET = [0x47, 0x45, 0x54, 0x20]; // "GET "

/** True when the bytes start an HTTP GET asking for a WebSocket upgrade. */
export function looksLikeWebSocketUpgrade(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  for (let i = 0; i < 4; i++) if (b[i] !== GET[i]) return false;
  const head = latin1(b.subarray(0, Math.min(b.length, 4096))).toLowerCase();
  return /\r?\nupgrade:[ \t]*websocket/.test(head);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 4096)));
  return s;
}

/** Bytes of one direction waiting to be parsed, each byte remembering the frame that brought it. */
class FrameQueue {
  buf = new Uint8Array(4096);
  start = 0;
  end = 0;
  /** Absolute offset of buf[start]. */
  base = 0;
  /** (absolute end offset, frame) per appended chunk, oldest first. */
  marks: Array<{ end: number; frame: number }> = [];

  get length(): number {
    return this.end - this.start;
  }

  append(b: Uint8Array, frame: number): void {
    if (this.end + b.length > this.buf.length) {
      const len = this.length;
      const need = len + b.length;
      if (need <= this.buf.length) this.buf.copyWithin(0, this.start, this.end);
      else {
        const nb = new Uint8Array(Math.max(need * 2, 4096));
        nb.set(this.buf.subarray(this.start, this.end));
        this.buf = nb;
      }
      this.start = 0;
      this.end = len;
    }
    this.buf.set(b, this.end);
    this.end += b.length;
    this.marks.push({ end: this.base + this.length, frame });
  }

  at(i: number): number {
    return this.buf[this.start + i]!;
  }

  view(from: number, to: number): Uint8Array {
    return this.buf.subarray(this.start + from, this.start + to);
  }

  /** Drop n bytes; returns the frames that had bytes among them. */
  consume(n: number, frames: number[] | null): void {
    const from = this.base;
    const to = this.base + n;
    if (frames !== null) {
      let prevEnd = this.marksStart;
      for (const m of this.marks) {
        if (m.end > from && prevEnd < to) frames.push(m.frame);
        prevEnd = m.end;
        if (prevEnd >= to) break;
      }
    }
    this.start += n;
    this.base = to;
    while (this.marks.length > 0 && this.marks[0]!.end <= this.base) this.marksStart = this.marks.shift()!.end;
  }
  private marksStart = 0;

  clear(): void {
    this.base += this.length;
    this.start = this.end = 0;
    this.marks = [];
    this.marksStart = this.base;
  }
}

export interface WebSocketSink {
  /** One complete data message from `side` (0/1 as the TCP tracker numbers them). */
  message(side: 0 | 1, bytes: Uint8Array, frames: number[], firstFrame: number): void;
  warning(message: string, frame: number): void;
}

class WsDirection {
  q = new FrameQueue();
  /** Still reading the HTTP header block. */
  http = true;
  dead = false;
  parts: Uint8Array[] = [];
  partsLen = 0;
  frames: number[] = [];
  inMessage = false;
}

/** Decodes both directions of one WebSocket connection. */
export class WebSocketTracker {
  private readonly dirs: [WsDirection, WsDirection] = [new WsDirection(), new WsDirection()];
  /** Frames of the HTTP upgrade response that switched protocols (0 until seen). */
  upgraded = false;

  constructor(
    private readonly clientSide: 0 | 1,
    private readonly sink: WebSocketSink,
  ) {}

  data(side: 0 | 1, bytes: Uint8Array, frame: number): void {
    const d = this.dirs[side];
    if (d.dead) return;
    d.q.append(bytes, frame);
    if (d.http && !this.readHttp(side, d, frame)) return;
    this.readFrames(side, d, frame);
  }

  /** A gap: partial frame state is dropped; the direction stops (frame boundaries are lost). */
  gap(side: 0 | 1): void {
    const d = this.dirs[side];
    d.dead = true;
    d.q.clear();
    d.parts = [];
  }

  /** Reads the HTTP header block; true when done and frames may follow. */
  private readHttp(side: 0 | 1, d: WsDirection, frame: number): boolean {
    const n = d.q.length;
    let endAt = -1;
    for (let i = 3; i < n; i++) {
      if (d.q.at(i) === 0x0a && d.q.at(i - 1) === 0x0d && d.q.at(i - 2) === 0x0a && d.q.at(i - 3) === 0x0d) {
        endAt = i + 1;
        break;
      }
    }
    if (endAt < 0) {
      if (n > MAX_HTTP_HEADER) {
        d.dead = true;
        this.sink.warning(`HTTP header of the WebSocket upgrade is longer than ${MAX_HTTP_HEADER} bytes; not decoded`, frame);
      }
      return false;
    }
    const head = latin1(d.q.view(0, endAt));
    d.q.consume(endAt, null);
    d.http = false;
    if (side !== this.clientSide) {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (status === null || status[1] !== '101') {
        d.dead = true;
        this.dirs[this.clientSide].dead = true;
        this.sink.warning(`WebSocket upgrade refused: server answered "${head.split('\r\n')[0] ?? ''}"`, frame);
        return false;
      }
      this.upgraded = true;
    }
    return true;
  }

  private readFrames(side: 0 | 1, d: WsDirection, frame: number): void {
    const q = d.q;
    for (;;) {
      const n = q.length;
      if (n < 2) return;
      const b0 = q.at(0);
      const b1 = q.at(1);
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (n < 4) return;
        len = (q.at(2) << 8) | q.at(3);
        hdr = 4;
      } else if (len === 127) {
        if (n < 10) return;
        let v = 0;
        for (let i = 2; i < 10; i++) v = v * 256 + q.at(i);
        len = v;
        hdr = 10;
      }
      if (masked) hdr += 4;
      const known = opcode <= 2 || (opcode >= 8 && opcode <= 10);
      if (!known || len > MAX_MESSAGE || (b0 & 0x70) !== 0) {
        d.dead = true;
        this.sink.warning(`WebSocket frame with ${known ? 'reserved bits set or a ' + len + '-byte length' : 'unknown opcode ' + opcode}: stream not decoded further`, frame);
        return;
      }
      if (n < hdr + len) return; // wait for more bytes
      const payload = q.view(hdr, hdr + len).slice();
      if (masked) {
        const k0 = q.at(hdr - 4);
        const k1 = q.at(hdr - 3);
        const k2 = q.at(hdr - 2);
        const k3 = q.at(hdr - 1);
        for (let i = 0; i < payload.length; i++) {
          const k = (i & 3) === 0 ? k0 : (i & 3) === 1 ? k1 : (i & 3) === 2 ? k2 : k3;
          payload[i] = payload[i]! ^ k;
        }
      }
      if (opcode >= 8) {
        q.consume(hdr + len, null); // control frame (close/ping/pong): not part of a message
        continue;
      }
      if (opcode === 0 && !d.inMessage) {
        q.consume(hdr + len, null);
        this.sink.warning('WebSocket continuation frame without a message start; ignored', frame);
        continue;
      }
      if (opcode !== 0) {
        if (d.inMessage) this.sink.warning('WebSocket message started before the previous one finished; previous fragments dropped', frame);
        d.parts = [];
        d.partsLen = 0;
        d.frames = [];
        d.inMessage = true;
      }
      q.consume(hdr + len, d.frames);
      d.parts.push(payload);
      d.partsLen += payload.length;
      if (d.partsLen > MAX_MESSAGE) {
        d.dead = true;
        this.sink.warning(`WebSocket message longer than ${MAX_MESSAGE} bytes: stream not decoded further`, frame);
        return;
      }
      if (fin) {
        let msg: Uint8Array;
        if (d.parts.length === 1) msg = d.parts[0]!;
        else {
          msg = new Uint8Array(d.partsLen);
          let o = 0;
          for (const p of d.parts) {
            msg.set(p, o);
            o += p.length;
          }
        }
        const frames = d.frames;
        d.parts = [];
        d.partsLen = 0;
        d.frames = [];
        d.inMessage = false;
        this.sink.message(side, msg, frames, frames[0] ?? frame);
      }
    }
  }
}
