/**
 * TLS key log files (the NSS key log format, as written by OpenSSL's SSLKEYLOGFILE callback,
 * browsers, curl, sipp, kamailio…; also what a pcapng Decryption Secrets Block of type
 * 0x544c534b "TLSK" carries, pcapng spec §4.7).
 *
 * One secret per line: `<LABEL> <client random, 64 hex> <secret, hex>`; `#` starts a comment.
 * Labels used here:
 *  - `CLIENT_RANDOM` — TLS 1.2 and older: the 48-byte master secret (RFC 5246 §8.1);
 *  - `CLIENT_EARLY_TRAFFIC_SECRET`, `CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
 *    `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`,
 *    `EXPORTER_SECRET` — TLS 1.3 secrets of the key schedule (RFC 8446 §7.1).
 * Secrets are keyed by the ClientHello random (RFC 8446 §4.1.2), the one value both the log
 * and the capture know. `RSA` lines (pre-master secret by encrypted-key prefix) are counted
 * but not used. Malformed lines are skipped and counted, never thrown on.
 */

export type KeyLogLabel =
  | 'CLIENT_RANDOM'
  | 'CLIENT_EARLY_TRAFFIC_SECRET'
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0'
  | 'EXPORTER_SECRET';

const LABELS: ReadonlySet<string> = new Set<KeyLogLabel>([
  'CLIENT_RANDOM',
  'CLIENT_EARLY_TRAFFIC_SECRET',
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  'CLIENT_TRAFFIC_SECRET_0',
  'SERVER_TRAFFIC_SECRET_0',
  'EXPORTER_SECRET',
]);

/** Secrets by client random (lower-case hex), then by label. */
export class KeyLog {
  private readonly byRandom = new Map<string, Map<KeyLogLabel, Uint8Array>>();
  /** Lines that were neither blank, a comment, nor a usable secret. */
  badLines = 0;
  /** Lines with a label we do not use (e.g. `RSA`). */
  otherLines = 0;

  /** Add the lines of a key log text (may be called once per source). */
  addText(text: string): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      this.addLine(text.slice(start, end));
      start = end + 1;
    }
  }

  private addLine(raw: string): void {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) {
      this.badLines++;
      return;
    }
    const [label, random, secret] = parts as [string, string, string];
    if (!LABELS.has(label)) {
      this.otherLines++;
      return;
    }
    const r = random.toLowerCase();
    const s = hexToBytes(secret);
    if (r.length !== 64 || hexToBytes(r) === null || s === null || s.length === 0) {
      this.badLines++;
      return;
    }
    let m = this.byRandom.get(r);
    if (!m) this.byRandom.set(r, (m = new Map()));
    m.set(label as KeyLogLabel, s);
  }

  /** The secret logged under `label` for this client random, or null. */
  get(clientRandom: Uint8Array, label: KeyLogLabel): Uint8Array | null {
    return this.byRandom.get(bytesToHex(clientRandom))?.get(label) ?? null;
  }

  /** Whether anything at all was logged for this client random. */
  has(clientRandom: Uint8Array): boolean {
    return this.byRandom.has(bytesToHex(clientRandom));
  }

  /** Number of distinct client randoms with at least one secret. */
  get size(): number {
    return this.byRandom.size;
  }
}

/** Bytes of an even-length hex string, or null when it is not one. */
export function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(hex.charCodeAt(2 * i));
    const lo = hexDigit(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** pcapng Decryption Secrets Block type for a TLS key log ("TLSK"). */
export const DSB_TLS_KEY_LOG = 0x544c534b;
