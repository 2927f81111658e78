/**
 * Writers for classic pcap (little-endian, microsecond) and pcapng (one section, one interface
 * per link type, EPBs with optional opt_comment). Used to export the selected calls' original
 * frames and to re-encode the packets a share link carries; Wireshark and tshark read both.
 * Format references: pcap (draft-ietf-opsawg-pcap), pcapng (draft-ietf-opsawg-pcapng §4.1 SHB,
 * §4.2 IDB, §4.3 EPB, §3.5 options).
 */

import { DSB_TLS_KEY_LOG } from './keylog.ts';

export interface WritablePacket {
  timeUs: number;
  linkType: number;
  data: Uint8Array;
  origLen?: number;
  /** pcapng only: shown by Wireshark as frame.comment. */
  comment?: string;
}

const utf8 = new TextEncoder();

export function writePcap(packets: readonly WritablePacket[], linkType = packets[0]?.linkType ?? 1): Uint8Array {
  let size = 24;
  for (const p of packets) size += 16 + p.data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true); // magic, microsecond resolution
  v.setUint16(4, 2, true); // version major
  v.setUint16(6, 4, true); // version minor
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, 262144, true); // snaplen
  v.setUint32(20, linkType, true); // network (LINKTYPE_*)
  let o = 24;
  for (const p of packets) {
    const sec = Math.floor(p.timeUs / 1e6);
    v.setUint32(o, sec, true); // ts_sec
    v.setUint32(o + 4, Math.round(p.timeUs - sec * 1e6), true); // ts_usec
    v.setUint32(o + 8, p.data.length, true); // incl_len
    v.setUint32(o + 12, p.origLen ?? p.data.length, true); // orig_len
    out.set(p.data, o + 16);
    o += 16 + p.data.length;
  }
  return out;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * `keyLogs`: TLS key logs (NSS key log text) written as Decryption Secrets Blocks (pcapng §4.7,
 * secrets type TLSK) before the packets, as `editcap --inject-secrets tls,…` does; Wireshark and
 * this engine decrypt the TLS in the file with them.
 */
export function writePcapng(packets: readonly WritablePacket[], appName = 'sipladder', keyLogs: readonly string[] = []): Uint8Array {
  const chunks: Uint8Array[] = [];
  // Section Header Block with shb_userappl (code 4).
  const app = utf8.encode(appName);
  const shbLen = 28 + 4 + pad4(app.length) + 4 + 4;
  const shb = new Uint8Array(shbLen);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x0a0d0d0a, true); // block type
  sv.setUint32(4, shbLen, true); // block total length
  sv.setUint32(8, 0x1a2b3c4d, true); // byte-order magic
  sv.setUint16(12, 1, true); // major
  sv.setUint16(14, 0, true); // minor
  sv.setInt32(16, -1, true); // section length unknown (-1, 64-bit)
  sv.setInt32(20, -1, true);
  sv.setUint16(24, 4, true); // option shb_userappl
  sv.setUint16(26, app.length, true);
  shb.set(app, 28);
  // opt_endofopt (4 zero bytes) already zero; trailing length:
  sv.setUint32(shbLen - 4, shbLen, true);
  chunks.push(shb);

  const ifaceOf = new Map<number, number>();
  for (const p of packets) {
    if (ifaceOf.has(p.linkType)) continue;
    ifaceOf.set(p.linkType, ifaceOf.size);
    // Interface Description Block with if_tsresol = 6 (microseconds).
    const len = 20 + 8 + 4 + 4;
    const idb = new Uint8Array(len);
    const iv = new DataView(idb.buffer);
    iv.setUint32(0, 0x00000001, true); // block type IDB
    iv.setUint32(4, len, true);
    iv.setUint16(8, p.linkType, true); // link type
    iv.setUint16(10, 0, true); // reserved
    iv.setUint32(12, 262144, true); // snaplen
    iv.setUint16(16, 9, true); // if_tsresol
    iv.setUint16(18, 1, true); // option length
    idb[20] = 6; // 10^-6
    // 3 bytes padding, then opt_endofopt (4 bytes), then trailing length
    iv.setUint32(len - 4, len, true);
    chunks.push(idb);
  }
  for (const text of keyLogs) {
    const secrets = utf8.encode(text);
    const len = 16 + pad4(secrets.length) + 4;
    const dsb = new Uint8Array(len);
    const dv = new DataView(dsb.buffer);
    dv.setUint32(0, 0x0000000a, true); // block type DSB
    dv.setUint32(4, len, true);
    dv.setUint32(8, DSB_TLS_KEY_LOG, true); // secrets type: TLS key log
    dv.setUint32(12, secrets.length, true); // secrets length
    dsb.set(secrets, 16);
    dv.setUint32(len - 4, len, true);
    chunks.push(dsb);
  }
  for (const p of packets) {
    const comment = p.comment ? utf8.encode(p.comment) : null;
    const optLen = comment ? 4 + pad4(comment.length) + 4 : 0;
    const len = 28 + pad4(p.data.length) + optLen + 4;
    const epb = new Uint8Array(len);
    const ev = new DataView(epb.buffer);
    ev.setUint32(0, 0x00000006, true); // block type EPB
    ev.setUint32(4, len, true);
    ev.setUint32(8, ifaceOf.get(p.linkType) ?? 0, true); // interface id
    const ts = BigInt(Math.round(p.timeUs));
    ev.setUint32(12, Number(ts >> 32n), true); // timestamp high
    ev.setUint32(16, Number(ts & 0xffffffffn), true); // timestamp low
    ev.setUint32(20, p.data.length, true); // captured length
    ev.setUint32(24, p.origLen ?? p.data.length, true); // original length
    epb.set(p.data, 28);
    if (comment) {
      const o = 28 + pad4(p.data.length);
      ev.setUint16(o, 1, true); // opt_comment
      ev.setUint16(o + 2, comment.length, true);
      epb.set(comment, o + 4);
      // opt_endofopt follows (zeros)
    }
    ev.setUint32(len - 4, len, true);
    chunks.push(epb);
  }
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
