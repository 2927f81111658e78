/**
 * Per-stream RTP quality counters, updated once per packet without allocation (numbers on one
 * object per stream, a 128-bit window in a Uint32Array for duplicates):
 * - RFC 3550 A.1/A.3: expected, lost (expected − received, duplicates count as received),
 *   duplicates (a sequence number seen again inside the last 128), out of order (older than the
 *   highest, not a duplicate), sequence jumps (forward gaps and sender restarts);
 * - RFC 3550 A.8 interarrival jitter, in milliseconds, computed exactly as Wireshark's RTP
 *   stream analysis does (ui/tap-rtp-analysis.c), so numbers compare with `tshark -z rtp,streams`:
 *   D = arrival − (arrival of the last in-time-sequence packet + RTP timestamp difference /
 *   (clock rate / 1000, integer division)), J = (15·J + |D|)/16; max and mean jitter and the max
 *   delta between packets are taken over "regular" packets only (not the first, no marker bit,
 *   not comfort noise PT 13/19 or the packet after it, timestamp not going backwards); the mean is
 *   Wireshark's running mean. Packets whose payload type has no known clock rate (dynamic PT
 *   without an rtpmap, RFC 4733 telephone-event) update the delta but not the jitter;
 * - RTP clock vs arrival drift: arrival time elapsed minus RTP-clock time elapsed, first to last
 *   in-time-sequence packet (positive: packets arrive later than their timestamps say);
 * - marker bits; RFC 4733 telephone-event (DTMF) events: digit, first frame, duration;
 * - a per-second series (packets, lost, max jitter) for charts, grown by one slot per second.
 */
import type { RtpDtmfEvent } from './types.ts';

/** RFC 3551 §6 static payload types: encoding name/clock rate[/channels]. */
export const STATIC_PT: ReadonlyArray<string | undefined> = (() => {
  const t: Array<string | undefined> = [];
  t[0] = 'PCMU/8000';
  t[3] = 'GSM/8000';
  t[4] = 'G723/8000';
  t[5] = 'DVI4/8000';
  t[6] = 'DVI4/16000';
  t[7] = 'LPC/8000';
  t[8] = 'PCMA/8000';
  t[9] = 'G722/8000';
  t[10] = 'L16/44100/2';
  t[11] = 'L16/44100';
  t[12] = 'QCELP/8000';
  t[13] = 'CN/8000';
  t[14] = 'MPA/90000';
  t[15] = 'G728/8000';
  t[16] = 'DVI4/11025';
  t[17] = 'DVI4/22050';
  t[18] = 'G729/8000';
  t[19] = 'CN/8000'; // reserved in RFC 3551; the old comfort-noise PT (Wireshark names it so)
  t[25] = 'CelB/90000';
  t[26] = 'JPEG/90000';
  t[28] = 'nv/90000';
  t[31] = 'H261/90000';
  t[32] = 'MPV/90000';
  t[33] = 'MP2T/90000';
  t[34] = 'H263/90000';
  return t;
})();

/** Clock rate of "NAME/RATE[/…]" (0 when none). */
export function rateOf(codec: string | null | undefined): number {
  if (!codec) return 0;
  const i = codec.indexOf('/');
  if (i < 0) return 0;
  const r = parseInt(codec.slice(i + 1), 10);
  return Number.isFinite(r) && r > 0 ? r : 0;
}

/** RFC 4733 §3.2 event codes 0–16 as text. */
export function dtmfDigit(event: number): string {
  if (event <= 9) return String(event);
  if (event === 10) return '*';
  if (event === 11) return '#';
  if (event <= 15) return 'ABCD'[event - 12]!;
  if (event === 16) return 'flash';
  return `event ${event}`;
}

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MAX_DTMF = 1000;
/** The per-second series stops after this many seconds (6 h) — broken clocks jump by years. */
export const MAX_SECONDS = 6 * 3600;

/**
 * Payload-type knowledge shared by all streams of a capture: clock rate per PT (static table,
 * dynamic PTs from SDP rtpmap as they are announced) and which PTs are telephone-event.
 */
export class PayloadTable {
  readonly rate = new Int32Array(128);
  /** Wireshark's integer clock_rate / 1000 (0: no jitter for this PT). */
  readonly perMs = new Int32Array(128);
  readonly event = new Uint8Array(128);
  readonly eventRate = new Int32Array(128);
  constructor() {
    for (let pt = 0; pt < 96; pt++) {
      // Wireshark's static clock table divides by 1000 later; rates are kept whole here.
      this.rate[pt] = rateOf(STATIC_PT[pt]);
      this.perMs[pt] = Math.floor(this.rate[pt]! / 1000);
    }
  }
  /** An `a=rtpmap` seen in SDP: "PT NAME/RATE". Dynamic PTs only; static ones keep RFC 3551. */
  map(pt: number, codec: string): void {
    if (pt < 96 || pt > 127) return;
    const rate = rateOf(codec);
    if (/^telephone-event\//i.test(codec)) {
      this.event[pt] = 1;
      this.eventRate[pt] = rate || 8000;
      this.rate[pt] = 0; // RFC 4733 §2.2.1: timestamps do not advance within an event
    } else {
      this.event[pt] = 0;
      this.rate[pt] = rate;
    }
    this.perMs[pt] = Math.floor(this.rate[pt]! / 1000);
  }
}

/** Slots of RtpQuality.f: the stream's floating-point state in one typed array (no boxed fields). */
const F_FIRST_US = 0;
const F_LAST_MS = 1;
const F_DELTA = 2;
const F_LAST_NOMINAL = 3;
const F_NOMINAL_ARRIVAL_MS = 4;
const F_JITTER = 5;
const F_JITTER_MAX = 6;
const F_MEAN_TIMES_N = 7;
const F_MAX_DELTA = 8;
const F_CUR_JITTER = 9;
const F_BUCKET_END_US = 10;

export class RtpQuality {
  /** Doubles (µs, ms): see the F_* slots. */
  private readonly f = new Float64Array(11);
  // sequence (RFC 3550 A.1, extended numbers as plain numbers)
  baseExt = 0;
  maxExt = 0;
  expectedBefore = 0;
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  seqJumps = 0;
  /** Bit i set: sequence number (maxExt − distance) with (seq & 127) = i was received. */
  private readonly window = new Int32Array(4);
  markers = 0;
  // timing (Wireshark's rtppacket_analyse, times in ms since the stream's first packet)
  private tsFirst = 0;
  /** RTP-clock time (ms since the first packet) of the last packet with a clock rate, and its arrival. */
  private prevPt = -1;
  totalNr = 0;
  /** Wireshark's running mean over regular packets times meanN (see `jitterMean`). */
  private meanN = 0;
  /** A packet with a usable clock rate was seen (jitter is meaningful). */
  jitterKnown = false;
  /** Clock rate of the stream's first payload type (0: unknown). */
  clockRate = 0;
  /** Sequence discontinuities: forward gaps, late packets, restarts (duplicates of the highest excluded). */
  sequenceGaps = 0;
  // per-second series: the current second in scalars, earlier ones in the arrays
  secStartUs = 0;
  private bucket = -1;
  private lostAtBucket = 0;
  private curPackets = 0;
  readonly secPackets: number[] = [];
  readonly secLost: number[] = [];
  readonly secJitter: number[] = [];
  // RFC 4733
  readonly dtmf: RtpDtmfEvent[] = [];
  private evTs = -1;
  private evRate = 8000;

  reset(seq: number, timeUs: number, clockRate: number): void {
    this.baseExt = seq;
    this.maxExt = seq;
    this.expectedBefore = 0;
    this.received = 0;
    this.duplicates = 0;
    this.outOfOrder = 0;
    this.seqJumps = 0;
    this.window.fill(0);
    this.markers = 0;
    this.f[F_FIRST_US] = timeUs;
    this.totalNr = 0;
    this.f[F_DELTA] = 0;
    this.f[F_LAST_NOMINAL] = 0;
    this.f[F_JITTER] = 0;
    this.f[F_JITTER_MAX] = 0;
    this.f[F_MEAN_TIMES_N] = 0;
    this.meanN = 0;
    this.f[F_MAX_DELTA] = 0;
    this.jitterKnown = false;
    this.clockRate = clockRate;
    this.sequenceGaps = 0;
    this.secStartUs = Math.floor(timeUs / 1e6) * 1e6;
    this.bucket = -1;
    this.f[F_BUCKET_END_US] = -1;
    this.lostAtBucket = 0;
    this.curPackets = 0;
    this.f[F_CUR_JITTER] = 0;
    this.secPackets.length = 0;
    this.secLost.length = 0;
    this.secJitter.length = 0;
    this.dtmf.length = 0;
    this.evTs = -1;
  }

  expected(): number {
    return this.expectedBefore + (this.maxExt - this.baseExt + 1);
  }

  /** RFC 3550 A.3: expected − received (negative with duplicates; callers clamp for display). */
  lostRaw(): number {
    return this.expected() - this.received;
  }

  /**
   * One RTP packet (the caller checked version 2 and a 12-byte header): arrival time, sequence
   * number, RTP timestamp, payload type, marker bit, and the clock rate in units per ms of this
   * payload type (Wireshark's integer `clock_rate / 1000`; 0 when unknown). The common case
   * (next sequence number, same second) runs straight through; the rest is in small methods.
   * RFC 4733 events are handed to `telephoneEvent` by the caller.
   */
  packet(timeUs: number, seq: number, ts: number, pt: number, marker: boolean, perMs: number): void {
    // per-second series: a new second closes the previous one (losses revealed by this packet,
    // a gap before it, count in its own second)
    // (a packet stamped before the current second — the clock stepped back — counts in it)
    if (timeUs >= this.f[F_BUCKET_END_US]!) this.newSecond(timeUs);
    this.curPackets++;
    if (marker) this.markers++;
    // sequence numbers (RFC 3550 A.1): the next one, or the rare cases
    if (this.received !== 0 && ((seq - this.maxExt) & 0xffff) === 1) {
      this.maxExt++;
      this.window[(seq & 127) >>> 5]! |= 1 << (seq & 31);
    } else this.sequence(seq);
    this.received++;

    // timing (Wireshark 4.0's rtppacket_analyse)
    const nowMs = (timeUs - this.f[F_FIRST_US]!) / 1000;
    if (this.totalNr === 0) {
      this.tsFirst = ts;
      this.f[F_LAST_MS] = nowMs;
      this.f[F_NOMINAL_ARRIVAL_MS] = nowMs;
      this.prevPt = pt;
      this.totalNr = 1;
      return;
    }
    // In time sequence: the timestamp is ahead of the first packet's (modulo 2^32, half range).
    const sinceFirst = (ts - this.tsFirst) >>> 0;
    const inTimeSeq = sinceFirst < 0x80000000;
    const prevPt = this.prevPt;
    this.prevPt = pt;
    let cur = 0;
    if (inTimeSeq) {
      this.f[F_DELTA] = nowMs - this.f[F_LAST_MS]!;
      if (perMs !== 0) {
        const nominal = sinceFirst / perMs;
        const diff = Math.abs(nowMs - (this.f[F_LAST_MS]! + (nominal - this.f[F_LAST_NOMINAL]!)));
        cur = (15 * this.f[F_JITTER]! + diff) / 16;
        this.f[F_JITTER] = cur;
        this.f[F_LAST_NOMINAL] = nominal;
        this.f[F_NOMINAL_ARRIVAL_MS] = nowMs;
        if (cur > this.f[F_CUR_JITTER]!) this.f[F_CUR_JITTER] = cur;
      }
      this.f[F_LAST_MS] = nowMs;
      // A regular packet: no marker, not comfort noise (PT 13/19) nor right after it.
      if (!marker && pt !== 13 && pt !== 19 && prevPt !== 13 && prevPt !== 19) {
        if (this.f[F_DELTA]! > this.f[F_MAX_DELTA]!) this.f[F_MAX_DELTA] = this.f[F_DELTA]!;
        if (perMs !== 0) {
          this.jitterKnown = true;
          if (cur > this.f[F_JITTER_MAX]!) this.f[F_JITTER_MAX] = cur;
          // Wireshark's running mean m = (m·(N−1) + J)/N (N: packets before this one), kept as
          // the product m·N so the usual case (the previous packet was regular too) needs no division.
          const n = this.totalNr;
          this.f[F_MEAN_TIMES_N] = (this.meanN === n - 1 ? this.f[F_MEAN_TIMES_N]! : this.meanN === 0 ? 0 : (this.f[F_MEAN_TIMES_N]! * (n - 1)) / this.meanN) + cur;
          this.meanN = n;
        }
      }
    }
    this.totalNr++;
  }

  /** Everything but the next sequence number (called with `received` not yet counting this packet). */
  private sequence(seq: number): void {
    if (this.received === 0) {
      this.baseExt = seq;
      this.maxExt = seq;
      this.window[(seq & 127) >>> 5]! |= 1 << (seq & 31);
      return;
    }
    const delta = (seq - this.maxExt) & 0xffff;
    if (delta === 0) this.duplicates++;
    else if (delta < MAX_DROPOUT) {
      this.seqJumps++;
      this.sequenceGaps++;
      this.advance(delta);
      this.maxExt += delta;
      this.window[(seq & 127) >>> 5]! |= 1 << (seq & 31);
    } else if (delta > 0x10000 - MAX_MISORDER) {
      this.sequenceGaps++;
      const back = 0x10000 - delta;
      const w = (seq & 127) >>> 5;
      const bit = 1 << (seq & 31);
      if (back < 128 && (this.window[w]! & bit) !== 0) this.duplicates++;
      else {
        this.outOfOrder++;
        if (back < 128) this.window[w]! |= bit;
      }
    } else {
      // The sender restarted its sequence: close this run, start another (RFC 3550 A.1).
      this.seqJumps++;
      this.sequenceGaps++;
      this.expectedBefore += this.maxExt - this.baseExt + 1;
      this.baseExt = seq;
      this.maxExt = seq;
      this.window.fill(0);
      this.window[(seq & 127) >>> 5]! |= 1 << (seq & 31);
    }
  }

  get jitter(): number {
    return this.f[F_JITTER]!;
  }
  get jitterMax(): number {
    return this.f[F_JITTER_MAX]!;
  }
  get maxDelta(): number {
    return this.f[F_MAX_DELTA]!;
  }

  /** Wireshark's mean jitter over regular packets: m = (m·(N−1) + J)/N, N = packets before this one. */
  get jitterMean(): number {
    return this.meanN === 0 ? 0 : this.f[F_MEAN_TIMES_N]! / this.meanN;
  }

  /** Closes the current second into the arrays and opens the one holding timeUs. */
  private newSecond(timeUs: number): void {
    const lostNow = this.received === 0 ? 0 : this.lostRaw();
    this.flushSecond(lostNow);
    const b = Math.floor((timeUs - this.secStartUs) / 1e6);
    this.lostAtBucket = lostNow;
    if (b < 0 || b >= MAX_SECONDS) {
      // Past the series' end (a clock that jumped, or a call of over 6 hours): no more seconds.
      this.bucket = -1;
      this.f[F_BUCKET_END_US] = Infinity;
      return;
    }
    this.bucket = b;
    this.f[F_BUCKET_END_US] = this.secStartUs + (b + 1) * 1e6;
  }

  private flushSecond(lostNow: number): void {
    const b = this.bucket;
    if (b >= 0) {
      while (this.secPackets.length <= b) {
        this.secPackets.push(0);
        this.secLost.push(0);
        this.secJitter.push(0);
      }
      this.secPackets[b]! += this.curPackets;
      this.secLost[b]! += lostNow - this.lostAtBucket;
      if (this.f[F_CUR_JITTER]! > this.secJitter[b]!) this.secJitter[b] = this.f[F_CUR_JITTER]!;
    }
    this.curPackets = 0;
    this.f[F_CUR_JITTER] = 0;
  }

  /** The per-second series including the current second (call once the packets are read). */
  perSecond(): { startUs: number; packets: number[]; lost: number[]; jitterMs: number[] } {
    const lostNow = this.received === 0 ? 0 : this.lostRaw();
    this.flushSecond(lostNow);
    this.lostAtBucket = lostNow;
    return { startUs: this.secStartUs, packets: this.secPackets.slice(), lost: this.secLost.map((n) => Math.max(0, n)), jitterMs: this.secJitter.slice() };
  }

  /** Clears window bits for the `delta` sequence numbers the maximum moves over. */
  private advance(delta: number): void {
    if (delta >= 128) {
      this.window.fill(0);
      return;
    }
    for (let k = 1; k <= delta; k++) {
      const s = (this.maxExt + k) & 127;
      this.window[s >>> 5]! &= ~(1 << (s & 31));
    }
  }

  /** RFC 4733 §2.3: event (1 byte), E|R|volume (1), duration (2), after the RTP header. */
  telephoneEvent(frame: number, timeUs: number, ts: number, rate: number, d: Uint8Array, off: number, end: number): void {
    const b0 = d[off]!;
    let p = off + 12 + (b0 & 0x0f) * 4;
    if (b0 & 0x10) {
      if (p + 4 > end) return;
      p += 4 + ((d[p + 2]! << 8) | d[p + 3]!) * 4;
    }
    if (p + 4 > end) return;
    const event = d[p]!;
    const duration = (d[p + 2]! << 8) | d[p + 3]!;
    if (ts !== this.evTs || this.dtmf.length === 0) {
      if (this.dtmf.length >= MAX_DTMF) return;
      this.evTs = ts;
      this.evRate = rate;
      this.dtmf.push({ digit: dtmfDigit(event), frame, timeUs, durationMs: (duration / rate) * 1000 });
      return;
    }
    const last = this.dtmf[this.dtmf.length - 1]!;
    const ms = (duration / this.evRate) * 1000;
    if (ms > last.durationMs) last.durationMs = ms;
  }

  /** RTP clock vs arrival (ms): arrival time elapsed − timestamp time elapsed; null without a clock rate. */
  driftMs(): number | null {
    if (this.clockRate <= 0 || this.totalNr < 2) return null;
    return this.f[F_NOMINAL_ARRIVAL_MS]! - this.f[F_LAST_NOMINAL]!;
  }
}
