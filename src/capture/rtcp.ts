/**
 * RTCP sender and receiver reports (RFC 3550 §6.4.1 SR, §6.4.2 RR, report blocks): per reported
 * media source (SSRC), the last reported fraction lost, interarrival jitter (timestamp units) and
 * the round-trip time.
 *
 * Round-trip time: RFC 3550 §6.4.1 has the SR sender compute A − LSR − DLSR with its own clock.
 * A capture in the middle has neither clock, so the capture's own clock is used: the SR whose
 * NTP middle 32 bits equal the report block's LSR was seen at time t_SR; the RR carrying the block
 * was seen at t_RR; RTT = t_RR − t_SR − DLSR. That is the round trip between the capture point and
 * the reporting side (the full RTT when the capture was taken at the SR sender).
 *
 * Nothing here runs per RTP packet; SRs are remembered in a fixed ring of typed arrays.
 */

export interface RtcpReportState {
  /** Fraction lost of the last report block, 0–1. */
  fractionLost: number;
  /** Interarrival jitter of the last block, in RTP timestamp units. */
  jitterTs: number;
  /** Last computed round-trip time (ms), or null. */
  rttMs: number | null;
  reports: number;
}

const RING = 64;

export class RtcpReports {
  private readonly srSsrc = new Uint32Array(RING);
  private readonly srMid = new Uint32Array(RING);
  private readonly srTimeUs = new Float64Array(RING);
  private srNext = 0;
  private srCount = 0;
  /** Keyed by the SSRC the report blocks are about. */
  readonly bySource = new Map<number, RtcpReportState>();

  /** One RTCP compound packet d[off, end) seen at timeUs (already checked by validRtcp). */
  packet(timeUs: number, d: Uint8Array, off: number, end: number): void {
    let o = off;
    while (o + 8 <= end) {
      const b0 = d[o]!;
      const pt = d[o + 1]!;
      const len = (((d[o + 2]! << 8) | d[o + 3]!) + 1) * 4;
      const stop = Math.min(end, o + len);
      const rc = b0 & 0x1f;
      let blocks = -1;
      if (pt === 200 && o + 28 <= stop) {
        // SR: SSRC of sender (4), NTP timestamp msw (4) lsw (4), RTP ts, packet & octet counts
        const ssrc = u32(d, o + 4);
        const msw = u32(d, o + 8);
        const lsw = u32(d, o + 12);
        this.srSsrc[this.srNext] = ssrc;
        this.srMid[this.srNext] = (((msw & 0xffff) << 16) | (lsw >>> 16)) >>> 0;
        this.srTimeUs[this.srNext] = timeUs;
        this.srNext = (this.srNext + 1) % RING;
        if (this.srCount < RING) this.srCount++;
        blocks = o + 28;
      } else if (pt === 201 && o + 8 <= stop) {
        blocks = o + 8;
      }
      if (blocks >= 0) {
        for (let k = 0; k < rc && blocks + 24 <= stop; k++, blocks += 24) this.block(timeUs, d, blocks);
      }
      o += len;
    }
  }

  /** Report block: SSRC (4), fraction lost (1), cumulative lost (3), ext. highest seq (4), jitter (4), LSR (4), DLSR (4). */
  private block(timeUs: number, d: Uint8Array, p: number): void {
    const source = u32(d, p);
    const fraction = d[p + 4]!;
    const jitter = u32(d, p + 12);
    const lsr = u32(d, p + 16);
    const dlsr = u32(d, p + 20);
    let st = this.bySource.get(source);
    if (st === undefined) {
      st = { fractionLost: 0, jitterTs: 0, rttMs: null, reports: 0 };
      this.bySource.set(source, st);
    }
    st.fractionLost = fraction / 256;
    st.jitterTs = jitter;
    st.reports++;
    if (lsr !== 0) {
      for (let i = 0; i < this.srCount; i++) {
        if (this.srMid[i] === lsr && this.srSsrc[i] === source) {
          const rtt = (timeUs - this.srTimeUs[i]!) / 1000 - (dlsr / 65536) * 1000;
          if (rtt >= 0) st.rttMs = rtt;
          break;
        }
      }
    }
  }
}

function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}
