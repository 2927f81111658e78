/**
 * TLS metadata from the record layer, without decryption: RFC 8446 §5.1 (record layer),
 * §4.1.2/§4.1.3 (ClientHello/ServerHello), §4.2.7 supported_versions, RFC 6066 §3 server_name,
 * RFC 5246 §7.1 ChangeCipherSpec, §7.2 alerts (RFC 8446 §6 descriptions).
 *
 * Fed the in-order bytes of each direction of a TCP connection; records may span segments and
 * handshake messages may span records. Only the Hello messages are buffered (bounded); all
 * other record bodies are skipped by counting. The handshake verdict:
 *  - complete: both sides sent ChangeCipherSpec, or application data flowed both ways;
 *  - failed: an alert before completion, or FIN/RST before completion;
 *  - partial: the capture ended mid-handshake;
 *  - none: no Hello was seen (captured mid-session).
 *
 * For decryption after the pass (tls-decrypt.ts) it also keeps what the key schedule needs:
 * the ClientHello and ServerHello randoms, the chosen cipher suite and version, and a copy of
 * every protected record (TLS 1.3: application_data records, RFC 8446 §5.2; TLS 1.2: every
 * record after the side's ChangeCipherSpec, RFC 5246 §6.2.3) with the frames that carried it,
 * within a byte budget shared by all connections of the capture.
 */
import type { Endpoint, TlsInfo } from './types.ts';

const ALERTS: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  111: 'certificate_unobtainable',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

/** "TLS 1.2" etc. for a protocol version number. */
export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0300:
      return 'SSL 3.0';
    case 0x0301:
      return 'TLS 1.0';
    case 0x0302:
      return 'TLS 1.1';
    case 0x0303:
      return 'TLS 1.2';
    case 0x0304:
      return 'TLS 1.3';
    default:
      // Pre-standard TLS 1.3 drafts were numbered 0x7fNN (draft-ietf-tls-tls13-NN).
      if (v >> 8 === 0x7f) return `TLS 1.3 (draft ${v & 0xff})`;
      return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

/** RFC 8701 GREASE values (0x?a?a). */
function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

/** Alert in words, e.g. "fatal handshake_failure (40)". */
export function alertText(level: number, desc: number): string {
  const lv = level === 1 ? 'warning' : level === 2 ? 'fatal' : `level ${level}`;
  return `${lv} ${ALERTS[desc] ?? 'unknown alert'} (${desc})`;
}

/**
 * 0 when the bytes do not start with a TLS record; 1 for a handshake record (0x16 0x03 0x00–04,
 * i.e. the start of a handshake); 2 for another record type (ChangeCipherSpec, alert,
 * application data, heartbeat) — a connection captured mid-session.
 */
export function looksLikeTlsRecord(b: Uint8Array): 0 | 1 | 2 {
  if (b.length < 3) return 0;
  const t = b[0]!;
  if (b[1] !== 3 || b[2]! > 4) return 0;
  if (t === 22) return 1;
  if (t >= 20 && t <= 24) return 2;
  return 0;
}

/** Up to this many bytes of handshake messages are buffered per direction (Hellos are small). */
const MAX_HS_BUFFER = 256 * 1024;

/** Protected records kept per connection for decryption (SIP over TLS is small). */
export const MAX_TLS_RECORD_BYTES_PER_CONNECTION = 16 * 1024 * 1024;
/** …and for the whole capture. */
export const MAX_TLS_RECORD_BYTES_TOTAL = 256 * 1024 * 1024;

/** Byte budget for kept records, shared by every TlsTracker of one capture. */
export interface TlsRecordBudget {
  remaining: number;
}

/** One protected record as captured, kept for decryption after the pass. */
export interface TlsRecord {
  /** Outer content type (23 application_data; 21/22 for TLS 1.2 after ChangeCipherSpec). */
  type: number;
  /** The 5-byte record header (type, legacy version, length): TLS 1.3's AAD. */
  header: Uint8Array;
  /** Record body (ciphertext with its tag; TLS 1.2 GCM: explicit nonce first). */
  body: Uint8Array;
  /** Frame whose bytes completed the record. */
  frame: number;
  /** Every frame that carried bytes of the record (header included), ascending. */
  frames: number[];
  timeUs: number;
}

/** One TLS connection handed to the decryption step. */
export interface TlsSession {
  connection: number;
  client: Endpoint;
  server: Endpoint;
  encapsulation: string | null;
  capture: TlsCapture;
}

/** What the decryption step needs from one connection's handshake and records. */
export interface TlsCapture {
  clientRandom: Uint8Array | null;
  serverRandom: Uint8Array | null;
  /** Cipher suite chosen in the ServerHello, or null. */
  cipherSuite: number | null;
  /** Version number chosen (0x0303, 0x0304…), or null. */
  versionNumber: number | null;
  /** Protected records, in stream order: [from client, from server]. */
  records: [TlsRecord[], TlsRecord[]];
  /** The ServerHello agreed to encrypt_then_mac (RFC 7366; matters for TLS 1.2 CBC suites). */
  encryptThenMac: boolean;
  /** Records were dropped because the byte budget ran out. */
  truncated: boolean;
  /** A direction lost sync (gap or garbage): later records of it are missing. */
  lostSync: [boolean, boolean];
}

class Direction {
  /** Partial record header (up to 5 bytes). */
  hdr = new Uint8Array(5);
  hdrLen = 0;
  /** Body bytes of the current record still to come. */
  remaining = 0;
  recType = 0;
  /** Collected body of the current record (handshake/alert records only; else null = skip). */
  body: Uint8Array | null = null;
  bodyLen = 0;
  /** Handshake-protocol bytes carried across records. */
  hs: Uint8Array = new Uint8Array(0);
  ccs = false;
  appData = false;
  /** Parsing stopped (garbage or gap). */
  dead = false;
  /** Hello of this side parsed: later handshake records are skipped. */
  doneHello = false;
  /** The current record is kept for decryption: its copy, and the frames that carried it. */
  keep: Uint8Array | null = null;
  keepHeader: Uint8Array | null = null;
  keepFrames: number[] = [];
  /** Frame where the current record header began. */
  hdrFrame = 0;
}

export class TlsTracker {
  readonly info: TlsInfo = {
    sni: null,
    offeredVersions: [],
    version: null,
    clientHelloFrame: null,
    serverHelloFrame: null,
    handshake: 'none',
    alert: null,
    alertFrame: null,
  };
  private readonly client = new Direction();
  private readonly server = new Direction();
  private sawHello = false;
  private finalised = false;
  /** Frame of the bytes being parsed. */
  private frame = 0;
  private timeUs = 0;
  /** Handshake values and protected records, for decryption after the pass. */
  readonly capture: TlsCapture = {
    clientRandom: null,
    serverRandom: null,
    cipherSuite: null,
    versionNumber: null,
    encryptThenMac: false,
    records: [[], []],
    truncated: false,
    lostSync: [false, false],
  };
  private keptBytes = 0;

  /** `budget`: shared byte budget for kept records (null: keep none). */
  constructor(private readonly budget: TlsRecordBudget | null = null) {}

  /** In-order bytes of one direction. */
  data(fromClient: boolean, bytes: Uint8Array, frame: number, timeUs: number): void {
    const d = fromClient ? this.client : this.server;
    if (d.dead) return;
    this.frame = frame;
    this.timeUs = timeUs;
    if (d.keep !== null && d.keepFrames[d.keepFrames.length - 1] !== frame) d.keepFrames.push(frame);
    let o = 0;
    const n = bytes.length;
    while (o < n && !d.dead) {
      if (d.remaining === 0 && d.hdrLen < 5) {
        if (d.hdrLen === 0) d.hdrFrame = frame;
        const take = Math.min(5 - d.hdrLen, n - o);
        d.hdr.set(bytes.subarray(o, o + take), d.hdrLen);
        d.hdrLen += take;
        o += take;
        if (d.hdrLen < 5) break;
        const type = d.hdr[0]!;
        const len = (d.hdr[3]! << 8) | d.hdr[4]!;
        if (type < 20 || type > 24 || d.hdr[1] !== 3 || len > 18432) {
          d.dead = true; // not a TLS record: lost sync
          this.capture.lostSync[fromClient ? 0 : 1] = true;
          d.keep = null;
          break;
        }
        d.recType = type;
        d.remaining = len;
        d.bodyLen = 0;
        const wantBody = type === 21 || (type === 22 && !d.ccs && !d.doneHello);
        d.body = wantBody ? new Uint8Array(len) : null;
        // Protected records: application_data always; alert/handshake after this side's CCS.
        if (this.budget !== null && len > 0 && (type === 23 || (d.ccs && (type === 21 || type === 22)))) this.startKeep(d, len);
        if (type === 20) d.ccs = true;
        if (type === 23) d.appData = true;
        if (len === 0) this.recordDone(fromClient, d);
        continue;
      }
      const take = Math.min(d.remaining, n - o);
      if (d.body !== null) d.body.set(bytes.subarray(o, o + take), d.bodyLen);
      if (d.keep !== null) d.keep.set(bytes.subarray(o, o + take), d.bodyLen);
      d.bodyLen += take;
      d.remaining -= take;
      o += take;
      if (d.remaining === 0) this.recordDone(fromClient, d);
    }
    this.updateState();
  }

  /** A gap in one direction: the record layer cannot be followed any more there. */
  gap(fromClient: boolean): void {
    const d = fromClient ? this.client : this.server;
    d.dead = true;
    d.keep = null;
    this.capture.lostSync[fromClient ? 0 : 1] = true;
  }

  private startKeep(d: Direction, len: number): void {
    const b = this.budget!;
    if (this.capture.truncated || this.keptBytes + len + 5 > MAX_TLS_RECORD_BYTES_PER_CONNECTION || b.remaining < len + 5) {
      this.capture.truncated = true;
      return;
    }
    this.keptBytes += len + 5;
    b.remaining -= len + 5;
    d.keep = new Uint8Array(len);
    d.keepHeader = d.hdr.slice();
    // The header's bytes may have come in an earlier frame than the current one.
    d.keepFrames = d.hdrFrame !== this.frame && d.hdrFrame > 0 ? [d.hdrFrame, this.frame] : [this.frame];
  }

  /** FIN or RST from one side. */
  closed(_fromClient: boolean, _flag: 'fin' | 'rst', _frame: number): void {
    if (this.info.handshake === 'complete' || this.info.handshake === 'failed') return;
    if (this.sawHello) this.info.handshake = 'failed';
  }

  /** Capture ended. */
  end(): void {
    if (this.finalised) return;
    this.finalised = true;
    if (this.info.handshake === 'none' && this.sawHello) this.info.handshake = 'partial';
  }

  private recordDone(fromClient: boolean, d: Direction): void {
    const body = d.body;
    d.hdrLen = 0;
    d.body = null;
    if (d.keep !== null) {
      this.capture.records[fromClient ? 0 : 1].push({
        type: d.recType,
        header: d.keepHeader!,
        body: d.keep,
        frame: this.frame,
        frames: d.keepFrames,
        timeUs: this.timeUs,
      });
      d.keep = null;
      d.keepHeader = null;
      d.keepFrames = [];
    }
    if (d.recType === 21) {
      if (this.info.alert !== null) return;
      const side = fromClient ? 'client' : 'server';
      // Alerts after this side's ChangeCipherSpec are encrypted; a plaintext alert is 2 bytes.
      if (body !== null && body.length === 2 && !d.ccs) this.info.alert = `${alertText(body[0]!, body[1]!)} from ${side}`;
      else this.info.alert = `encrypted alert from ${side}`;
      this.info.alertFrame = this.frame;
      if (this.info.handshake !== 'complete') this.info.handshake = 'failed';
      return;
    }
    if (d.recType === 22 && body !== null) {
      if (d.hs.length + body.length > MAX_HS_BUFFER) {
        d.doneHello = true;
        d.hs = new Uint8Array(0);
        return;
      }
      const hs = new Uint8Array(d.hs.length + body.length);
      hs.set(d.hs);
      hs.set(body, d.hs.length);
      d.hs = hs;
      this.handshakeMessages(fromClient, d);
    }
  }

  private handshakeMessages(fromClient: boolean, d: Direction): void {
    let o = 0;
    const hs = d.hs;
    while (o + 4 <= hs.length && !d.doneHello) {
      const type = hs[o]!;
      const len = (hs[o + 1]! << 16) | (hs[o + 2]! << 8) | hs[o + 3]!;
      if (o + 4 + len > hs.length) break;
      const msg = hs.subarray(o + 4, o + 4 + len);
      if (type === 1 && fromClient) {
        this.clientHello(msg);
        d.doneHello = true;
      } else if (type === 2 && !fromClient) {
        this.serverHello(msg);
        d.doneHello = true;
      }
      o += 4 + len;
    }
    d.hs = d.doneHello ? new Uint8Array(0) : hs.slice(o);
  }

  private clientHello(m: Uint8Array): void {
    this.sawHello = true;
    this.info.clientHelloFrame = this.frame;
    if (m.length < 38) return;
    this.capture.clientRandom = m.slice(2, 34);
    const legacy = (m[0]! << 8) | m[1]!;
    let o = 34;
    o += 1 + m[o]!; // session id
    if (o + 2 > m.length) return this.setOffered([legacy]);
    o += 2 + ((m[o]! << 8) | m[o + 1]!); // cipher suites
    if (o + 1 > m.length) return this.setOffered([legacy]);
    o += 1 + m[o]!; // compression methods
    let supported: number[] | null = null;
    if (o + 2 <= m.length) {
      const extEnd = Math.min(m.length, o + 2 + ((m[o]! << 8) | m[o + 1]!));
      o += 2;
      while (o + 4 <= extEnd) {
        const type = (m[o]! << 8) | m[o + 1]!;
        const len = (m[o + 2]! << 8) | m[o + 3]!;
        const e = o + 4;
        if (e + len > extEnd) break;
        if (type === 0 && len >= 5) {
          // server_name: list length, then (name_type, length, name)*
          let p = e + 2;
          const listEnd = Math.min(e + len, e + 2 + ((m[e]! << 8) | m[e + 1]!));
          while (p + 3 <= listEnd) {
            const nt = m[p]!;
            const nl = (m[p + 1]! << 8) | m[p + 2]!;
            if (p + 3 + nl > listEnd) break;
            if (nt === 0) {
              this.info.sni = String.fromCharCode(...m.subarray(p + 3, p + 3 + nl));
              break;
            }
            p += 3 + nl;
          }
        } else if (type === 43 && len >= 1) {
          const vl = m[e]!;
          supported = [];
          for (let p = e + 1; p + 1 < e + 1 + vl && p + 1 < e + len; p += 2) supported.push((m[p]! << 8) | m[p + 1]!);
        }
        o = e + len;
      }
    }
    this.setOffered(supported !== null && supported.length > 0 ? supported : [legacy]);
  }

  private setOffered(vs: number[]): void {
    const out: string[] = [];
    for (const v of vs) {
      if (isGrease(v)) continue;
      const name = tlsVersionName(v);
      if (!out.includes(name)) out.push(name);
    }
    this.info.offeredVersions = out;
  }

  private serverHello(m: Uint8Array): void {
    this.sawHello = true;
    this.info.serverHelloFrame = this.frame;
    if (m.length < 38) return;
    let version = (m[0]! << 8) | m[1]!;
    this.capture.serverRandom = m.slice(2, 34);
    let o = 34;
    o += 1 + m[o]!; // session id
    if (o + 2 <= m.length) this.capture.cipherSuite = (m[o]! << 8) | m[o + 1]!;
    o += 2; // cipher suite
    o += 1; // compression method
    if (o + 2 <= m.length) {
      const extEnd = Math.min(m.length, o + 2 + ((m[o]! << 8) | m[o + 1]!));
      o += 2;
      while (o + 4 <= extEnd) {
        const type = (m[o]! << 8) | m[o + 1]!;
        const len = (m[o + 2]! << 8) | m[o + 3]!;
        if (o + 4 + len > extEnd) break;
        if (type === 43 && len === 2) version = (m[o + 4]! << 8) | m[o + 5]!;
        if (type === 22) this.capture.encryptThenMac = true;
        o += 4 + len;
      }
    }
    this.info.version = tlsVersionName(version);
    this.capture.versionNumber = version;
  }

  private updateState(): void {
    if (this.info.handshake === 'complete' || this.info.handshake === 'failed') return;
    const c = this.client;
    const s = this.server;
    if ((c.ccs && s.ccs) || (c.appData && s.appData)) {
      // Both sides switched to encrypted records: the handshake went through (or, with no
      // Hello captured, the session was already running: 'none').
      if (this.sawHello) this.info.handshake = 'complete';
    }
  }
}
