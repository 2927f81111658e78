/**
 * TLS decryption after the pass, with the secrets of a key log (keylog.ts) and WebCrypto
 * (`crypto.subtle`, the same in a Web Worker and in Node).
 *
 * TLS 1.3 (RFC 8446):
 *  - §7.1 HKDF-Expand-Label (HKDF-Expand of RFC 5869 §2.3 over HMAC), §7.3 traffic keys
 *    (key = Expand-Label(secret, "key"), iv = Expand-Label(secret, "iv"));
 *  - §5.3 per-record nonce = iv XOR the 64-bit record sequence number (left-padded);
 *  - §5.2 AEAD with the 5-byte record header as additional data; the inner plaintext ends with
 *    its real content type followed by zero padding;
 *  - each direction starts with its handshake traffic secret and moves to application traffic
 *    secret 0 after its Finished; §7.2 KeyUpdate ("traffic upd") gives the next secret.
 *    Rather than following the handshake messages, a record that does not authenticate under
 *    the current key is tried under the next one (handshake → application 0 → 1 …, sequence
 *    reset to 0): AEAD authentication makes a wrong guess impossible, and it also copes with a
 *    key log that only has the application secrets. A record that authenticates under none is
 *    skipped (early data the server rejected, or damage) and reported.
 *  - Suites TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384. TLS_CHACHA20_POLY1305_SHA256
 *    and the CCM suites are not in WebCrypto: reported, not decrypted.
 *
 * TLS 1.2 (RFC 5246) with the master secret of a `CLIENT_RANDOM` line:
 *  - §5 PRF P_SHA256 (P_SHA384 for *_SHA384 suites), §6.3 key block
 *    = PRF(master, "key expansion", server_random + client_random): MAC keys (none for AEAD),
 *    client/server write keys, client/server 4-byte implicit IVs;
 *  - RFC 5288 §3 AES-GCM: nonce = implicit IV ‖ 8-byte explicit nonce (first bytes of the
 *    record body); additional data = seq_num ‖ type ‖ version ‖ plaintext length (§6.2.3.3);
 *  - AES-CBC suites with HMAC-SHA1/256/384 (§6.2.3.2: explicit IV, MAC-then-encrypt, TLS
 *    padding; or RFC 7366 encrypt_then_mac when the ServerHello agreed to it); the MAC is checked;
 *  - the sequence number of a direction starts at 0 with its first record after ChangeCipherSpec.
 *  ChaCha20 suites are reported, not decrypted. TLS 1.0/1.1 are not decrypted (their PRF needs
 *  MD5, which WebCrypto lacks).
 *
 * Output: per direction, the application_data plaintext of each record with the frame that
 * completed the record and the frames that carried it.
 */

import { concatBytes } from './bytes.ts';import type { AppPayload, CaptureWarning, Endpoint, FramedMessage, StreamFramerFactory } from './types.ts';
import type { KeyLog, KeyLogLabel } from './keylog.ts';
import type { TlsRecord, TlsSession } from './tls.ts';
import { tlsVersionName } from './tls.ts';

/** Application data of one decrypted record. */
export interface PlainChunk {
  bytes: Uint8Array;
  /** Frame that completed the record. */
  frame: number;
  /** Frames that carried the record, ascending. */
  frames: number[];
  timeUs: number;
  /** Records before this one (since the previous chunk) could not be decrypted: a hole. */
  gapBefore?: boolean;
}

export interface DecryptedSession {
  session: TlsSession;
  /** Plaintext application data: [client → server, server → client]. */
  plaintext: [PlainChunk[], PlainChunk[]];
}

type Hash = 'SHA-256' | 'SHA-384';

interface SuiteInfo {
  name: string;
  /** AES key length in bytes, or 0 when WebCrypto cannot decrypt it. */
  keyLen: number;
  hash: Hash;
  tls13: boolean;
  /** TLS 1.2 CBC suites: the record MAC's hash (HMAC) and length; absent for AEAD. */
  mac?: { hash: 'SHA-1' | Hash; len: number };
}

const SHA1_MAC = { hash: 'SHA-1', len: 20 } as const;
const SHA256_MAC = { hash: 'SHA-256', len: 32 } as const;
const SHA384_MAC = { hash: 'SHA-384', len: 48 } as const;

const SUITES: Record<number, SuiteInfo> = {
  0x1301: { name: 'TLS_AES_128_GCM_SHA256', keyLen: 16, hash: 'SHA-256', tls13: true },
  0x1302: { name: 'TLS_AES_256_GCM_SHA384', keyLen: 32, hash: 'SHA-384', tls13: true },
  0x1303: { name: 'TLS_CHACHA20_POLY1305_SHA256', keyLen: 0, hash: 'SHA-256', tls13: true },
  0x1304: { name: 'TLS_AES_128_CCM_SHA256', keyLen: 0, hash: 'SHA-256', tls13: true },
  0x1305: { name: 'TLS_AES_128_CCM_8_SHA256', keyLen: 0, hash: 'SHA-256', tls13: true },
  0x009c: { name: 'TLS_RSA_WITH_AES_128_GCM_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false },
  0x009d: { name: 'TLS_RSA_WITH_AES_256_GCM_SHA384', keyLen: 32, hash: 'SHA-384', tls13: false },
  0x009e: { name: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false },
  0x009f: { name: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', keyLen: 32, hash: 'SHA-384', tls13: false },
  0xc02b: { name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false },
  0xc02c: { name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', keyLen: 32, hash: 'SHA-384', tls13: false },
  0xc02f: { name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false },
  0xc030: { name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', keyLen: 32, hash: 'SHA-384', tls13: false },
  0x002f: { name: 'TLS_RSA_WITH_AES_128_CBC_SHA', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0x0035: { name: 'TLS_RSA_WITH_AES_256_CBC_SHA', keyLen: 32, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0x003c: { name: 'TLS_RSA_WITH_AES_128_CBC_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA256_MAC },
  0x003d: { name: 'TLS_RSA_WITH_AES_256_CBC_SHA256', keyLen: 32, hash: 'SHA-256', tls13: false, mac: SHA256_MAC },
  0x0033: { name: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0x0039: { name: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', keyLen: 32, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0x0067: { name: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA256_MAC },
  0x006b: { name: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', keyLen: 32, hash: 'SHA-256', tls13: false, mac: SHA256_MAC },
  0xc009: { name: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0xc00a: { name: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', keyLen: 32, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0xc013: { name: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0xc014: { name: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', keyLen: 32, hash: 'SHA-256', tls13: false, mac: SHA1_MAC },
  0xc023: { name: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA256_MAC },
  0xc024: { name: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', keyLen: 32, hash: 'SHA-384', tls13: false, mac: SHA384_MAC },
  0xc027: { name: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', keyLen: 16, hash: 'SHA-256', tls13: false, mac: SHA256_MAC },
  0xc028: { name: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', keyLen: 32, hash: 'SHA-384', tls13: false, mac: SHA384_MAC },
  0xcca8: { name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', keyLen: 0, hash: 'SHA-256', tls13: false },
  0xcca9: { name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', keyLen: 0, hash: 'SHA-256', tls13: false },
};

/** Name of a cipher suite for messages, e.g. "TLS_AES_128_GCM_SHA256 (0x1301)". */
export function cipherSuiteName(suite: number): string {
  const hex = `0x${suite.toString(16).padStart(4, '0')}`;
  const s = SUITES[suite];
  return s ? `${s.name} (${hex})` : hex;
}

function subtle(): SubtleCrypto {
  const c = globalThis.crypto?.subtle;
  if (!c) throw new Error('WebCrypto (crypto.subtle) is not available');
  return c;
}

/** A view WebCrypto accepts (TypeScript wants an ArrayBuffer-backed view). */
function buf(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return buf(concatBytes(parts));
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** RFC 5869 §2.3 HKDF-Expand. */
export async function hkdfExpand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(prk), { name: 'HMAC', hash }, false, ['sign']);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  let o = 0;
  for (let i = 1; o < length; i++) {
    t = new Uint8Array(await subtle().sign('HMAC', k, concat(t, info, Uint8Array.of(i))));
    out.set(t.subarray(0, Math.min(t.length, length - o)), o);
    o += t.length;
  }
  return out;
}

/** RFC 8446 §7.1 HKDF-Expand-Label(secret, label, context, length). */
export async function hkdfExpandLabel(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const full = ascii(`tls13 ${label}`);
  const info = concat(Uint8Array.of(length >> 8, length & 0xff, full.length), full, Uint8Array.of(context.length), context);
  return hkdfExpand(hash, secret, info, length);
}

/** RFC 5246 §5 PRF(secret, label, seed) = P_hash(secret, label + seed). */
export async function tls12Prf(hash: Hash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(secret), { name: 'HMAC', hash }, false, ['sign']);
  const ls = concat(ascii(label), seed);
  const out = new Uint8Array(length);
  let a: Uint8Array = ls; // A(0)
  let o = 0;
  while (o < length) {
    a = new Uint8Array(await subtle().sign('HMAC', k, buf(a)));
    const p = new Uint8Array(await subtle().sign('HMAC', k, concat(a, ls)));
    out.set(p.subarray(0, Math.min(p.length, length - o)), o);
    o += p.length;
  }
  return out;
}

/** One key epoch of a direction: AES-GCM key and the IV the nonce is built from. */
interface Epoch {
  key: CryptoKey;
  iv: Uint8Array;
  /** TLS 1.3 traffic secret (for KeyUpdate), or null. */
  secret: Uint8Array | null;
}

async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['decrypt']);
}

async function tls13Epoch(suite: SuiteInfo, secret: Uint8Array): Promise<Epoch> {
  const key = await hkdfExpandLabel(suite.hash, secret, 'key', new Uint8Array(0), suite.keyLen);
  const iv = await hkdfExpandLabel(suite.hash, secret, 'iv', new Uint8Array(0), 12);
  return { key: await aesKey(key), iv, secret };
}

/** AES-GCM decrypt; null when the record does not authenticate. */
async function gcmOpen(key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<Uint8Array | null> {
  if (data.length < 16) return null;
  try {
    const pt = await subtle().decrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, key, buf(data));
    return new Uint8Array(pt);
  } catch {
    return null;
  }
}

/** Write the 64-bit sequence number big-endian into 8 bytes at `o` (XOR when `xor`). */
function putSeq(out: Uint8Array, o: number, seq: number, xor: boolean): void {
  const hi = Math.floor(seq / 0x100000000);
  const lo = seq >>> 0;
  const b = [hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
  for (let i = 0; i < 8; i++) out[o + i] = xor ? out[o + i]! ^ b[i]! : b[i]!;
}

function fmt(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Per-direction TLS 1.3 state: known epochs, current one, its sequence number. */
class Tls13Direction {
  epochs: Epoch[] = [];
  /** The last epoch is an application traffic secret (KeyUpdate can follow it). */
  updatable = false;
  cur = 0;
  seq = 0;
  failed = 0;
  firstFailedFrame = 0;
  constructor(private readonly suite: SuiteInfo) {}

  /** The epoch after the last known one (KeyUpdate: RFC 8446 §7.2), derived on demand. */
  private async more(): Promise<boolean> {
    const last = this.epochs[this.epochs.length - 1];
    if (!last?.secret || !this.updatable || this.epochs.length > 64) return false;
    const next = await hkdfExpandLabel(this.suite.hash, last.secret, 'traffic upd', new Uint8Array(0), last.secret.length);
    this.epochs.push(await tls13Epoch(this.suite, next));
    return true;
  }

  async open(r: TlsRecord): Promise<{ type: number; content: Uint8Array } | null> {
    // Try the current epoch at its sequence number, then the next two from sequence 0.
    for (let e = this.cur; e <= this.cur + 2; e++) {
      if (e >= this.epochs.length && !(await this.more())) break;
      const ep = this.epochs[e]!;
      const seq = e === this.cur ? this.seq : 0;
      const nonce = ep.iv.slice();
      putSeq(nonce, nonce.length - 8, seq, true);
      const pt = await gcmOpen(ep.key, nonce, r.header, r.body);
      if (pt === null) continue;
      this.cur = e;
      this.seq = seq + 1;
      let end = pt.length;
      while (end > 0 && pt[end - 1] === 0) end--;
      if (end === 0) return { type: 0, content: new Uint8Array(0) };
      return { type: pt[end - 1]!, content: pt.subarray(0, end - 1) };
    }
    if (this.failed++ === 0) this.firstFailedFrame = r.frame;
    return null;
  }
}

/** Decrypt the TLS sessions whose keys are in the key log. Never throws for bad input. */
export async function decryptTlsSessions(
  sessions: readonly TlsSession[],
  keyLog: KeyLog | null,
  warn: (w: CaptureWarning) => void,
): Promise<DecryptedSession[]> {
  const out: DecryptedSession[] = [];
  // A connection that cannot be read at all is named for the first few of each reason, then counted.
  const skipped = new Map<string, number>();
  const skip = (reason: string, frame: number | undefined, message: string): void => {
    const n = (skipped.get(reason) ?? 0) + 1;
    skipped.set(reason, n);
    if (n <= MAX_NAMED_PER_REASON) warn({ frame, message });
  };
  for (const s of sessions) {
    const c = s.capture;
    const protectedRecords = c.records[0].length + c.records[1].length;
    if (protectedRecords === 0) continue;
    const who = `TLS connection #${s.connection} (${fmt(s.client)} → ${fmt(s.server)})`;
    const frame = c.records[0][0]?.frame ?? c.records[1][0]?.frame;
    if (keyLog === null || keyLog.size === 0) {
      skip('no key log was given', frame, `${who} is encrypted and no TLS key log was given (a pcapng with decryption secrets, or a key log file), so its SIP cannot be read`);
      continue;
    }
    if (c.clientRandom === null) {
      skip('the handshake was not captured', frame, `${who}: its handshake was not captured, so its key cannot be found in the key log; its SIP cannot be read`);
      continue;
    }
    if (!keyLog.has(c.clientRandom)) {
      skip('no key in the key log', frame, `${who}: no key in the key log for its client random, its SIP cannot be read`);
      continue;
    }
    const suite = c.cipherSuite === null ? undefined : SUITES[c.cipherSuite];
    if (c.cipherSuite === null) {
      skip('the ServerHello was not captured', frame, `${who}: the ServerHello was not captured, so the cipher suite is unknown; its SIP cannot be read`);
      continue;
    }
    if (!suite || suite.keyLen === 0) {
      skip(`cipher suite ${cipherSuiteName(c.cipherSuite)} cannot be decrypted`, frame, `${who}: cannot decrypt cipher suite ${cipherSuiteName(c.cipherSuite)}; its SIP cannot be read`);
      continue;
    }
    try {
      const plaintext = suite.tls13 ? await decrypt13(s, suite, keyLog, who, warn) : await decrypt12(s, suite, keyLog, who, warn);
      if (plaintext === null) continue;
      if (c.truncated) {
        warn({ frame, message: `${who}: more than 16 MiB of encrypted records (or the capture's budget ran out); only the first ones were kept and decrypted` });
      }
      out.push({ session: s, plaintext });
    } catch (e) {
      warn({ frame, message: `${who}: decryption stopped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  for (const [reason, n] of skipped) {
    if (n > MAX_NAMED_PER_REASON) warn({ message: `${n - MAX_NAMED_PER_REASON} more TLS connections cannot be read (${reason})` });
  }
  return out;
}

/** Connections named one by one per reason they cannot be read; the rest are counted. */
const MAX_NAMED_PER_REASON = 5;

const SIDES = ['client', 'server'] as const;

async function decrypt13(
  s: TlsSession,
  suite: SuiteInfo,
  keyLog: KeyLog,
  who: string,
  warn: (w: CaptureWarning) => void,
): Promise<[PlainChunk[], PlainChunk[]] | null> {
  const cr = s.capture.clientRandom!;
  // Early data (0-RTT) comes first from the client; the server has no early secret.
  const labels: Array<[KeyLogLabel, KeyLogLabel | null]> = [
    ['CLIENT_EARLY_TRAFFIC_SECRET', null],
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET'],
    ['CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0'],
  ];
  const plaintext: [PlainChunk[], PlainChunk[]] = [[], []];
  let missingApp = false;
  for (const side of [0, 1] as const) {
    const dir = new Tls13Direction(suite);
    for (const pair of labels) {
      const label = pair[side];
      if (label === null) continue;
      const secret = keyLog.get(cr, label);
      const app = label.endsWith('_0');
      if (secret !== null) {
        dir.epochs.push(await tls13Epoch(suite, secret));
        dir.updatable = app;
      } else if (app) missingApp = true;
    }
    if (dir.epochs.length === 0) continue;
    let hole = false;
    for (const r of s.capture.records[side]) {
      if (r.type !== 23) continue; // TLS 1.3 protects everything as application_data
      const opened = await dir.open(r);
      // A record under no key before the first success is 0-RTT data the server refused: no hole.
      if (opened === null) hole ||= plaintext[side].length > 0;
      else if (opened.type === 23 && opened.content.length > 0) {
        plaintext[side].push({ bytes: opened.content, frame: r.frame, frames: r.frames, timeUs: r.timeUs, gapBefore: hole });
        hole = false;
      }
    }
    if (dir.failed > 0) {
      warn({
        frame: dir.firstFailedFrame,
        message: `${who}: ${dir.failed} record(s) from the ${SIDES[side]} did not decrypt with the key log's secrets (first at frame ${dir.firstFailedFrame}); what they carried is missing`,
      });
    }
  }
  if (missingApp) {
    warn({ message: `${who}: the key log has no application traffic secret for one direction (CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0); that direction's SIP cannot be read` });
  }
  return plaintext;
}

/**
 * Opens the records of both directions in order (a record's sequence number is its index) and
 * keeps the application data. `open` returns the plaintext, null when the record did not
 * decrypt (counted, and reported once per direction), or undefined to pass over it.
 */
async function openRecords(
  records: TlsSession['capture']['records'],
  who: string,
  warn: (w: CaptureWarning) => void,
  open: (side: 0 | 1, r: TlsSession['capture']['records'][0][number], seq: number) => Promise<Uint8Array | null | undefined>,
): Promise<[PlainChunk[], PlainChunk[]]> {
  const plaintext: [PlainChunk[], PlainChunk[]] = [[], []];
  for (const side of [0, 1] as const) {
    let seq = 0;
    let hole = false;
    let failed = 0;
    let firstFailed = 0;
    for (const r of records[side]) {
      const content = await open(side, r, seq++);
      if (content === undefined) continue;
      if (content === null) {
        if (failed++ === 0) firstFailed = r.frame;
        hole = true;
        continue;
      }
      if (r.type === 23 && content.length > 0) {
        plaintext[side].push({ bytes: content, frame: r.frame, frames: r.frames, timeUs: r.timeUs, gapBefore: hole });
        hole = false;
      }
    }
    if (failed > 0) {
      warn({
        frame: firstFailed,
        message: `${who}: ${failed} record(s) from the ${SIDES[side]} did not decrypt with the key log's master secret (first at frame ${firstFailed}); what they carried is missing`,
      });
    }
  }
  return plaintext;
}

async function decrypt12(
  s: TlsSession,
  suite: SuiteInfo,
  keyLog: KeyLog,
  who: string,
  warn: (w: CaptureWarning) => void,
): Promise<[PlainChunk[], PlainChunk[]] | null> {
  const c = s.capture;
  if (c.versionNumber !== 0x0303) {
    const v = c.versionNumber === null ? 'an unknown TLS version' : tlsVersionName(c.versionNumber);
    warn({ message: `${who}: ${v} is not decrypted (only TLS 1.2 and TLS 1.3), its SIP cannot be read` });
    return null;
  }
  const master = keyLog.get(c.clientRandom!, 'CLIENT_RANDOM');
  if (master === null) {
    warn({ message: `${who}: TLS 1.2 needs the master secret (a CLIENT_RANDOM line) and the key log has none for this connection; its SIP cannot be read` });
    return null;
  }
  if (c.serverRandom === null) return null;
  if (suite.mac) return decrypt12Cbc(s, suite, suite.mac, master, who, warn);
  // RFC 5246 §6.3: client_write_key, server_write_key, client_write_IV, server_write_IV (no MAC keys for AEAD).
  const kb = await tls12Prf(suite.hash, master, 'key expansion', concat(c.serverRandom, c.clientRandom!), 2 * suite.keyLen + 8);
  const keys = [await aesKey(kb.subarray(0, suite.keyLen)), await aesKey(kb.subarray(suite.keyLen, 2 * suite.keyLen))];
  const ivs = [kb.subarray(2 * suite.keyLen, 2 * suite.keyLen + 4), kb.subarray(2 * suite.keyLen + 4, 2 * suite.keyLen + 8)];
  return openRecords(c.records, who, warn, async (side, r, seq) => {
    const body = r.body;
    const n = body.length - 8 - 16;
    if (n < 0) return undefined;
    const nonce = concat(ivs[side]!, body.subarray(0, 8));
    const aad = new Uint8Array(13);
    putSeq(aad, 0, seq, false);
    aad[8] = r.type;
    aad[9] = r.header[1]!;
    aad[10] = r.header[2]!;
    aad[11] = n >> 8;
    aad[12] = n & 0xff;
    return gcmOpen(keys[side]!, nonce, aad, body.subarray(8));
  });
}

/**
 * Frame the decrypted application data of each direction with a fresh stream framer (the SIP
 * layer's, injected) and hand out one payload per message, as a TLS connection would have:
 * `frame` is the frame that completed the record carrying the message's last byte, `frames`
 * every frame that carried one of its records.
 */
export function decryptedPayloads(sessions: readonly DecryptedSession[], framer: StreamFramerFactory): AppPayload[] {
  const out: AppPayload[] = [];
  for (const d of sessions) {
    const s = d.session;
    for (const side of [0, 1] as const) {
      const chunks = d.plaintext[side];
      if (chunks.length === 0) continue;
      // Completing frame → all frames of the records it completed.
      const carried = new Map<number, number[]>();
      for (const ch of chunks) {
        const f = carried.get(ch.frame);
        if (f) f.push(...ch.frames);
        else carried.set(ch.frame, ch.frames.slice());
      }
      const src = side === 0 ? s.client : s.server;
      const dst = side === 0 ? s.server : s.client;
      const emit = (m: FramedMessage): void => {
        const all = new Set<number>();
        for (const f of m.frames) for (const g of carried.get(f) ?? [f]) all.add(g);
        const frames = [...all].sort((a, b) => a - b);
        const p: AppPayload = {
          frame: m.frame,
          firstFrame: Math.min(m.firstFrame, frames[0] ?? m.firstFrame),
          timeUs: m.timeUs,
          src,
          dst,
          transport: 'tls',
          connection: s.connection,
          encapsulation: s.encapsulation,
          bytes: m.bytes,
          frames,
        };
        if (m.incomplete !== undefined) p.incomplete = m.incomplete;
        if (m.notes !== undefined && m.notes.length > 0) p.notes = m.notes;
        out.push(p);
      };
      const f = framer();
      for (const ch of chunks) {
        if (ch.gapBefore) f.gap(ch.frame, 0);
        for (const m of f.push(ch.bytes, ch.frame, ch.timeUs)) emit(m);
      }
      for (const m of f.end()) emit(m);
    }
  }
  return out;
}

/**
 * AES-CBC without WebCrypto's PKCS#7 check: TLS padding (RFC 5246 §6.2.3.2) is not PKCS#7, so
 * one more block is appended that decrypts to a full PKCS#7 padding block — E_k(C_last XOR
 * 0x10…), which is what encrypting an empty input with IV = C_last yields — and WebCrypto's
 * unpadding then removes exactly that block. Returns the raw plaintext, or null.
 */
async function cbcDecryptRaw(key: CryptoKey, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array | null> {
  if (data.length === 0 || data.length % 16 !== 0) return null;
  try {
    const pad = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: buf(data.slice(data.length - 16)) }, key, new Uint8Array(0)));
    const pt = await subtle().decrypt({ name: 'AES-CBC', iv: buf(iv) }, key, concat(data, pad.subarray(0, 16)));
    return new Uint8Array(pt);
  } catch {
    return null;
  }
}

/** Constant-time-irrelevant equality (we are reading a capture, not defending a server). */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * TLS 1.2 AES-CBC suites (RFC 5246 §6.2.3.2): explicit per-record IV, then either
 * MAC-then-encrypt (content ‖ HMAC ‖ padding inside the ciphertext) or, when the ServerHello
 * agreed to RFC 7366 encrypt_then_mac, HMAC over IV ‖ ciphertext after it. The MAC is checked:
 * it is what tells a wrong key from a right one.
 */
async function decrypt12Cbc(
  s: TlsSession,
  suite: SuiteInfo,
  mac: { hash: 'SHA-1' | Hash; len: number },
  master: Uint8Array,
  who: string,
  warn: (w: CaptureWarning) => void,
): Promise<[PlainChunk[], PlainChunk[]]> {
  const c = s.capture;
  const m = mac.len;
  const k = suite.keyLen;
  // RFC 5246 §6.3: client MAC key, server MAC key, client key, server key (IVs unused in 1.2).
  const kb = await tls12Prf(suite.hash, master, 'key expansion', concat(c.serverRandom!, c.clientRandom!), 2 * m + 2 * k);
  const macKeys = await Promise.all(
    [kb.subarray(0, m), kb.subarray(m, 2 * m)].map((raw) => subtle().importKey('raw', buf(raw), { name: 'HMAC', hash: mac.hash }, false, ['sign'])),
  );
  const keys = await Promise.all(
    [kb.subarray(2 * m, 2 * m + k), kb.subarray(2 * m + k, 2 * m + 2 * k)].map((raw) =>
      subtle().importKey('raw', buf(raw), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
    ),
  );
  const etm = c.encryptThenMac;
  return openRecords(c.records, who, warn, async (side, r, seq) => {
    const macInput = (content: Uint8Array): Uint8Array<ArrayBuffer> => {
      const h = new Uint8Array(13);
      putSeq(h, 0, seq, false);
      h[8] = r.type;
      h[9] = r.header[1]!;
      h[10] = r.header[2]!;
      h[11] = content.length >> 8;
      h[12] = content.length & 0xff;
      return concat(h, content);
    };
    let content: Uint8Array | null = null;
    const body = r.body;
    if (etm) {
      const enc = body.subarray(0, Math.max(0, body.length - m));
      if (enc.length >= 32) {
        const want = new Uint8Array(await subtle().sign('HMAC', macKeys[side]!, macInput(enc)));
        if (equal(want, body.subarray(body.length - m))) {
          const p = await cbcDecryptRaw(keys[side]!, enc.subarray(0, 16), enc.subarray(16));
          const padLen = p === null || p.length === 0 ? -1 : p[p.length - 1]!;
          if (p !== null && padLen + 1 <= p.length) content = p.subarray(0, p.length - padLen - 1);
        }
      }
    } else if (body.length >= 32) {
      const p = await cbcDecryptRaw(keys[side]!, body.subarray(0, 16), body.subarray(16));
      if (p !== null && p.length > 0) {
        const padLen = p[p.length - 1]!;
        let ok = padLen + 1 + m <= p.length;
        for (let i = p.length - 1 - padLen; ok && i < p.length; i++) ok = p[i] === padLen;
        if (ok) {
          const end = p.length - padLen - 1 - m;
          const cand = p.subarray(0, end);
          const want = new Uint8Array(await subtle().sign('HMAC', macKeys[side]!, macInput(cand)));
          if (equal(want, p.subarray(end, end + m))) content = cand;
        }
      }
    }
    // A copy, so the plaintext does not keep the whole decrypted record alive.
    return content === null ? null : content.slice();
  });
}
