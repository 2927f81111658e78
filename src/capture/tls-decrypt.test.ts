/**
 * TLS decryption: the key-schedule primitives against published vectors (RFC 5869 A.1,
 * RFC 8448 §3, the TLS 1.2 PRF vector also produced by `openssl kdf TLS1-PRF`), then real
 * OpenSSL 3.0 sessions (fixtures/tls, made by fixtures/tls/make.sh: s_client ↔ s_server on
 * loopback port 5061 carrying SIP) through the whole engine, compared with what tshark 4.0.17
 * shows with the same key logs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { Report } from '../report/report.ts';
import { KeyLog, bytesToHex, hexToBytes } from './keylog.ts';
import { cipherSuiteName, decryptTlsSessions, hkdfExpand, hkdfExpandLabel, tls12Prf } from './tls-decrypt.ts';
import type { TlsSession } from './tls.ts';

const hex = (s: string): Uint8Array => hexToBytes(s.replace(/[\s:]/g, ''))!;
const FIX = path.join(import.meta.dirname, 'fixtures/tls');
const pcap = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIX, `${name}.pcap`)));
const keyLog = (name: string): string => readFileSync(path.join(FIX, `${name}.keylog`), 'utf8');
const rows = (r: Report): string[] => r.messages.map((m) => `${m.frame} ${m.method ?? m.status ?? '?'}`);

describe('key schedule primitives', () => {
  it('HKDF-Expand: RFC 5869 A.1 (SHA-256, 42 bytes)', async () => {
    const okm = await hkdfExpand('SHA-256', hex('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(bytesToHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('HKDF-Expand-Label: RFC 8448 §3 server handshake write key and iv', async () => {
    const secret = hex('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
    expect(bytesToHex(await hkdfExpandLabel('SHA-256', secret, 'key', new Uint8Array(0), 16))).toBe('3fce516009c21727d0f2e4e86ee403bc');
    expect(bytesToHex(await hkdfExpandLabel('SHA-256', secret, 'iv', new Uint8Array(0), 12))).toBe('5d313eb2671276ee13000b30');
  });

  it('TLS 1.2 PRF with SHA-256: the "test label" vector (100 bytes)', async () => {
    const out = await tls12Prf('SHA-256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(bytesToHex(out)).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
        '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('names cipher suites', () => {
    expect(cipherSuiteName(0x1303)).toBe('TLS_CHACHA20_POLY1305_SHA256 (0x1303)');
    expect(cipherSuiteName(0xabcd)).toBe('0xabcd');
  });
});

describe('OpenSSL sessions carrying SIP, decrypted', () => {
  // tshark -o tls.keylog_file:… -Y sip on each fixture: 13 OPTIONS, 15 200, 17 OPTIONS (TLS 1.2).
  it('TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256: an OPTIONS written in two records, its 200, a second OPTIONS', async () => {
    const name = 'tls12-aes128gcm';
    const { report } = await analyzeBytes(pcap(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(['13 OPTIONS', '15 200', '17 OPTIONS']);
    const first = report.messages[0]!;
    expect(first.frames).toEqual([11, 13]); // first half in the record of frame 11
    expect(first.firstFrame).toBe(11);
    expect(first.hasSdp).toBe(true);
    expect(report.messages.every((m) => m.transport === 'tls' && m.callId === `tls-fixture-${name}`)).toBe(true);
    expect(report.connections[0]!.tls?.version).toBe('TLS 1.2');
    expect(report.warnings).toEqual([]);
  });

  it('TLS 1.2 AES256-GCM-SHA384 (RSA key exchange, SHA-384 PRF)', async () => {
    const name = 'tls12-aes256gcm';
    const { report } = await analyzeBytes(pcap(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(['13 OPTIONS', '15 200', '17 OPTIONS']);
    expect(report.warnings).toEqual([]);
  });

  it('TLS 1.2 AES128-SHA (CBC) with encrypt_then_mac (RFC 7366), as OpenSSL negotiates by default', async () => {
    const name = 'tls12-aes128cbc-etm';
    const { report } = await analyzeBytes(pcap(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(['13 OPTIONS', '15 200', '17 OPTIONS']);
    expect(report.messages[0]!.hasSdp).toBe(true);
    expect(report.warnings).toEqual([]);
  });

  it('TLS 1.2 ECDHE-RSA-AES256-SHA384 (CBC, MAC-then-encrypt, SHA-384 PRF and HMAC)', async () => {
    const name = 'tls12-aes256cbc-sha384-mte';
    const { report } = await analyzeBytes(pcap(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(['13 OPTIONS', '15 200', '17 OPTIONS']);
    expect(report.warnings).toEqual([]);
  });

  it('TLS 1.2 CBC with the wrong master secret: the MAC check refuses every record', async () => {
    const name = 'tls12-aes256cbc-sha384-mte';
    const wrong = keyLog(name).replace(/^(CLIENT_RANDOM \S+ )(\S)/m, (_, p: string, c: string) => p + (c === '0' ? '1' : '0'));
    expect(wrong).not.toBe(keyLog(name));
    const { report } = await analyzeBytes(pcap(name), { keyLog: wrong });
    expect(report.messages).toEqual([]);
    expect(report.warnings.map((w) => w.message.replace(/^.*: (\d+ record)/, '$1'))).toEqual([
      // Client: Finished (8), the OPTIONS in two records (11, 13), the second OPTIONS (17). Server: Finished (9), 200 (15).
      "4 record(s) from the client did not decrypt with the key log's master secret (first at frame 8); what they carried is missing",
      "2 record(s) from the server did not decrypt with the key log's master secret (first at frame 9); what they carried is missing",
    ]);
  });

  it('TLS 1.3 TLS_AES_128_GCM_SHA256 across a client KeyUpdate (frame 18): the OPTIONS after it reads too', async () => {
    const name = 'tls13-aes128gcm-keyupdate';
    const { report } = await analyzeBytes(pcap(name), { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(['14 OPTIONS', '16 200', '20 OPTIONS']);
    expect(report.messages[0]!.frames).toEqual([12, 14]);
    expect(report.warnings).toEqual([]);
  });

  it('TLS 1.3 with only the application traffic secrets in the key log still reads the SIP', async () => {
    const name = 'tls13-aes128gcm-keyupdate';
    const only = keyLog(name)
      .split('\n')
      .filter((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0') || l.startsWith('SERVER_TRAFFIC_SECRET_0'))
      .join('\n');
    expect(only.split('\n')).toHaveLength(2);
    const { report } = await analyzeBytes(pcap(name), { keyLog: only });
    expect(rows(report)).toEqual(['14 OPTIONS', '16 200', '20 OPTIONS']);
    // The encrypted handshake records cannot be read: said so, per direction.
    expect(report.warnings.map((w) => w.message)).toEqual([
      'TLS connection #1 (127.0.0.1:37522 → 127.0.0.1:5061): 1 record(s) from the client did not decrypt with the key log\'s secrets (first at frame 8); what they carried is missing',
      // EncryptedExtensions, Certificate, CertificateVerify, Finished: one record each (frame 6).
      'TLS connection #1 (127.0.0.1:37522 → 127.0.0.1:5061): 4 record(s) from the server did not decrypt with the key log\'s secrets (first at frame 6); what they carried is missing',
    ].map((s) => s.replace('37522', String(report.connections[0]!.client.split(':')[1]))));
  });

  it('TLS 1.3 ChaCha20-Poly1305 (not in WebCrypto): no SIP, and a warning naming the suite', async () => {
    const name = 'tls13-chacha20';
    const { report } = await analyzeBytes(pcap(name), { keyLog: keyLog(name) });
    expect(report.messages).toEqual([]);
    const client = report.connections[0]!.client;
    expect(report.warnings.map((w) => w.message)).toEqual([
      `TLS connection #1 (${client} → 127.0.0.1:5061): cannot decrypt cipher suite TLS_CHACHA20_POLY1305_SHA256 (0x1303); its SIP cannot be read`,
    ]);
  });

  it('a damaged record (tag byte flipped in frame 15, the 200) is reported; the other messages still read', async () => {
    const name = 'tls12-aes128gcm';
    const bytes = pcap(name).slice();
    // Classic pcap: 24-byte file header, then per record a 16-byte header (incl_len at +8).
    let off = 24;
    const dv = new DataView(bytes.buffer);
    for (let frame = 1; frame < 15; frame++) off += 16 + dv.getUint32(off + 8, true);
    const incl = dv.getUint32(off + 8, true);
    bytes[off + 16 + incl - 1]! ^= 0x01; // last byte of the frame = last byte of the GCM tag
    const { report } = await analyzeBytes(bytes, { keyLog: keyLog(name) });
    expect(rows(report)).toEqual(['13 OPTIONS', '17 OPTIONS']);
    expect(report.warnings.map((w) => w.message)).toEqual([
      `TLS connection #1 (${report.connections[0]!.client} → 127.0.0.1:5061): 1 record(s) from the server did not decrypt with the key log's master secret (first at frame 15); what they carried is missing`,
    ]);
  });
});

describe('decryptTlsSessions warnings', () => {
  /** A connection with one protected record from the client (its bytes are never opened here). */
  const session = (id: number): TlsSession => ({
    connection: id,
    client: { ip: '192.0.2.1', port: 40000 + id },
    server: { ip: '192.0.2.2', port: 5061 },
    encapsulation: null,
    capture: {
      clientRandom: new Uint8Array(32).fill(id),
      serverRandom: new Uint8Array(32),
      cipherSuite: 0x1301,
      versionNumber: 0x0304,
      encryptThenMac: false,
      records: [[{ type: 23, header: Uint8Array.of(23, 3, 3, 0, 17), body: new Uint8Array(17), frame: 10 * id, frames: [10 * id], timeUs: 0 }], []],
      truncated: false,
      lostSync: [false, false],
    },
  });

  it('names the first five connections per reason, then counts the rest', async () => {
    const warnings: string[] = [];
    const out = await decryptTlsSessions([1, 2, 3, 4, 5, 6, 7].map(session), null, (w) => warnings.push(`${w.frame ?? '-'} ${w.message}`));
    expect(out).toEqual([]);
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toBe(
      '10 TLS connection #1 (192.0.2.1:40001 → 192.0.2.2:5061) is encrypted and no TLS key log was given (a pcapng with decryption secrets, or a key log file), so its SIP cannot be read',
    );
    expect(warnings[5]).toBe('- 2 more TLS connections cannot be read (no key log was given)');
  });

  it('a connection without protected records (handshake refused) is not mentioned', async () => {
    const s = session(1);
    s.capture.records = [[], []];
    const warnings: string[] = [];
    expect(await decryptTlsSessions([s], null, (w) => warnings.push(w.message))).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('a connection whose handshake was not captured says so', async () => {
    const s = session(3);
    s.capture.clientRandom = null;
    const k = new KeyLog();
    k.addText(`CLIENT_TRAFFIC_SECRET_0 ${'01'.repeat(32)} ${'00'.repeat(32)}`);
    const warnings: string[] = [];
    expect(await decryptTlsSessions([s], k, (w) => warnings.push(w.message))).toEqual([]);
    expect(warnings).toEqual([
      'TLS connection #3 (192.0.2.1:40003 → 192.0.2.2:5061): its handshake was not captured, so its key cannot be found in the key log; its SIP cannot be read',
    ]);
  });
});
