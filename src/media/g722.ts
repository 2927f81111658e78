/**
 * ITU-T G.722 (09/2012) decoder, 64 kbit/s (mode 1): each octet carries a 6-bit lower sub-band
 * ADPCM code and a 2-bit higher sub-band code; the two sub-band signals are recombined by the
 * receive QMF into two 16 kHz samples. RTP carries G.722 with an 8000 Hz clock although the audio
 * is sampled at 16 kHz (RFC 3551 §4.5.2).
 *
 * The arithmetic follows the Recommendation's fixed-point block diagrams (blocks 1L–6L, 1H–4H and
 * the shared predictor block 4), so the output is the reference decoder's sample for sample.
 * WebCodecs has no G.722 decoder, hence this one; the state lives across packets, as in any
 * real receiver (a lost packet is simply not fed, the predictor carries on).
 */

/** 6-bit lower sub-band inverse quantiser output levels (Table 16). */
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704,
  14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
/** 4-bit lower sub-band inverse quantiser used for adaptation (Table 14). */
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];
/** Lower sub-band logarithmic scale factor multipliers, by quantiser interval (Table 17). */
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/** Inverse logarithm table for the scale factors (Table 18). */
const ILB = [2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008];
/** Higher sub-band: 2-bit inverse quantiser and scale factor multipliers (Tables 19–21). */
const QM2 = [-7408, -1616, 7408, 1616];
const WH = [0, -214, 798];
const RH2 = [2, 1, 2, 1];
/** Receive QMF coefficients (Table 13), h0…h11; the filter is symmetric. */
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

const sat = (x: number): number => (x > 32767 ? 32767 : x < -32768 ? -32768 : x);

/** One sub-band's adaptive predictor (block 4): two poles, six zeros. */
class Band {
  s = 0;
  sp = 0;
  sz = 0;
  r = [0, 0, 0];
  a = [0, 0, 0];
  ap = [0, 0, 0];
  p = [0, 0, 0];
  d = [0, 0, 0, 0, 0, 0, 0];
  b = [0, 0, 0, 0, 0, 0, 0];
  bp = [0, 0, 0, 0, 0, 0, 0];
  sg = [0, 0, 0, 0, 0, 0, 0];
  nb = 0;
  constructor(public det: number) {}

  /** Block 4 with the quantised difference `dq`: updates the predictor and its estimate `s`. */
  adapt(dq: number): void {
    const { r, a, ap, p, d, b, bp, sg } = this;
    d[0] = dq;
    r[0] = sat(this.s + dq);
    p[0] = sat(this.sz + dq);
    // UPPOL2: second pole.
    for (let i = 0; i < 3; i++) sg[i] = p[i]! >> 15;
    const wd1 = sat(a[1]! << 2);
    let wd2 = sg[0] === sg[1] ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (sg[0] === sg[2] ? 128 : -128) + (wd2 >> 7) + ((a[2]! * 32512) >> 15);
    wd3 = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    ap[2] = wd3;
    // UPPOL1: first pole, limited by the second.
    sg[0] = p[0]! >> 15;
    sg[1] = p[1]! >> 15;
    ap[1] = sat((sg[0] === sg[1] ? 192 : -192) + ((a[1]! * 32640) >> 15));
    const lim = sat(15360 - ap[2]!);
    if (ap[1]! > lim) ap[1] = lim;
    else if (ap[1]! < -lim) ap[1] = -lim;
    // UPZERO: six zeros.
    const step = dq === 0 ? 0 : 128;
    sg[0] = dq >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = d[i]! >> 15;
      bp[i] = sat((sg[i] === sg[0] ? step : -step) + ((b[i]! * 32640) >> 15));
    }
    // DELAYA.
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1]!;
      b[i] = bp[i]!;
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1]!;
      p[i] = p[i - 1]!;
      a[i] = ap[i]!;
    }
    // FILTEP, FILTEZ, PREDIC.
    this.sp = sat(((a[1]! * sat(r[1]! + r[1]!)) >> 15) + ((a[2]! * sat(r[2]! + r[2]!)) >> 15));
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i]! * sat(d[i]! + d[i]!)) >> 15;
    this.sz = sat(sz);
    this.s = sat(this.sp + this.sz);
  }
}

/** A G.722 64 kbit/s decoder; keep one per stream and feed its payloads in order. */
export class G722Decoder {
  private low = new Band(32);
  private high = new Band(8);
  /** Receive QMF delay line. */
  private x = new Array<number>(24).fill(0);

  /** Decode `code` octets into `out` from `pos` (two 16 kHz samples per octet). */
  decode(code: Uint8Array, out: Int16Array, pos: number): void {
    const lo = this.low;
    const hi = this.high;
    const x = this.x;
    let o = pos;
    for (let k = 0; k < code.length; k++) {
      const c = code[k]!;
      // Lower sub-band (blocks 5L, 6L, 2L, 3L): 6-bit code reconstructed, 4-bit code adapts.
      const ilr = c & 0x3f;
      let rlow = lo.s + ((lo.det * QM6[ilr]!) >> 15);
      rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow;
      const il4 = ilr >> 2;
      const dlow = (lo.det * QM4[il4]!) >> 15;
      let nb = ((lo.nb * 127) >> 7) + WL[RL42[il4]!]!;
      lo.nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
      lo.det = scale(lo.nb, 8);
      lo.adapt(dlow);
      // Higher sub-band (blocks 2H, 3H): 2-bit code.
      const ih = (c >> 6) & 0x03;
      const dhigh = (hi.det * QM2[ih]!) >> 15;
      let rhigh = dhigh + hi.s;
      rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
      nb = ((hi.nb * 127) >> 7) + WH[RH2[ih]!]!;
      hi.nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
      hi.det = scale(hi.nb, 10);
      hi.adapt(dhigh);
      // Receive QMF: two output samples from the sum and difference of the sub-bands.
      for (let i = 0; i < 22; i++) x[i] = x[i + 2]!;
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let even = 0;
      let odd = 0;
      for (let i = 0; i < 12; i++) {
        even += x[2 * i]! * QMF[i]!;
        odd += x[2 * i + 1]! * QMF[11 - i]!;
      }
      if (o < out.length) out[o] = sat(Math.floor(odd / 2048));
      if (o + 1 < out.length) out[o + 1] = sat(Math.floor(even / 2048));
      o += 2;
    }
  }
}

/** Scale factor from the logarithmic one (blocks 3L/3H SCALE): ILB interpolated by `shift`. */
function scale(nb: number, shift: number): number {
  const i = (nb >> 6) & 31;
  const s = shift - (nb >> 11);
  return (s < 0 ? ILB[i]! << -s : ILB[i]! >> s) << 2;
}
