/**
 * A listening-quality estimate by the ITU-T G.107 E-model, simplified:
 *   R = 93.2 − Id − Ie,eff            (Ro − Is = 93.2 with all G.107 default values, A = 0)
 *   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)     (G.107 §3.6, BurstR = 1: random loss)
 *   Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)            (the usual linearisation of G.107's
 *        Idd/Idte/Idle for default echo values, Cole & Rosenbluth 2001), d = one-way delay in ms
 *   MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R)           (G.107 Annex B), 1 below R 0, 4.5 above 100
 * Ie and Bpl per codec from ITU-T G.113 Appendix I (G.711 with packet-loss concealment: 0 / 25.1;
 * G.729(A): 11 / 19.0; G.723.1 6.3 kbit/s: 15 / 16.1; GSM-FR: 20 / 10; iLBC: 11 / 32; G.722,
 * Opus and the wideband codecs are scored as G.711 on the narrowband scale, which understates
 * them). Unknown codecs get no score.
 * One-way delay d: half the RTCP round-trip time when RTCP reports gave one, else 100 ms assumed
 * for the network; plus a jitter buffer of twice the mean jitter; plus 20 ms packetisation.
 * Loss Ppl = lost / expected (%), duplicates ignored.
 */

interface CodecImpairment {
  ie: number;
  bpl: number;
}

const CODECS: Array<[RegExp, CodecImpairment]> = [
  [/^(PCMU|PCMA|G711)/i, { ie: 0, bpl: 25.1 }],
  [/^G729/i, { ie: 11, bpl: 19.0 }],
  [/^G723/i, { ie: 15, bpl: 16.1 }],
  [/^GSM/i, { ie: 20, bpl: 10 }],
  [/^iLBC/i, { ie: 11, bpl: 32 }],
  [/^(G722|opus|SILK|AMR-WB|speex)/i, { ie: 0, bpl: 25.1 }],
  [/^AMR/i, { ie: 5, bpl: 10 }],
];

/** Network one-way delay assumed when no RTCP round trip was measured (ms). */
export const DEFAULT_NETWORK_DELAY_MS = 100;
const PACKETISATION_MS = 20;

export function codecImpairment(codec: string | null): CodecImpairment | null {
  if (!codec) return null;
  for (const [re, v] of CODECS) if (re.test(codec)) return v;
  return null;
}

export interface EModelInput {
  codec: string | null;
  /** Loss in percent (0–100). */
  lossPercent: number;
  jitterMeanMs: number | null;
  rttMs: number | null;
}

/** R-factor (0–100) by the simplified E-model above, or null when the codec is unknown. */
export function rFactor(input: EModelInput): number | null {
  const imp = codecImpairment(input.codec);
  if (imp === null) return null;
  const ppl = Math.min(100, Math.max(0, input.lossPercent));
  const ieEff = imp.ie + ((95 - imp.ie) * ppl) / (ppl + imp.bpl);
  const network = input.rttMs !== null ? input.rttMs / 2 : DEFAULT_NETWORK_DELAY_MS;
  const d = network + 2 * (input.jitterMeanMs ?? 0) + PACKETISATION_MS;
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  return Math.max(0, Math.min(100, 93.2 - id - ieEff));
}

/** G.107 Annex B: R → MOS (CQE). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}
