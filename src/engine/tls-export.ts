/**
 * Exports of SIP over TLS that Wireshark (and sipladder) can decrypt on their own:
 * - every frame of the TLS connections that carried the chosen messages, from the handshake to
 *   the last frame (a TLS 1.3 record's nonce counts every record before it in its direction, so
 *   one record left out makes the rest unreadable);
 * - the key-log lines of exactly those connections, matched by the 32-byte random of their
 *   ClientHello (NSS key log format: `LABEL <client_random> <secret>`), for a pcapng Decryption
 *   Secrets Block, as `editcap --inject-secrets tls,keys.txt` writes it.
 * Lines for other connections of the capture stay out of the file. A connection that also
 * carried messages outside the export (other calls on a shared trunk connection) is left as it
 * was: making it readable would mean handing over those calls too.
 */
import { decodePacket } from '../capture/decode.ts';
import { pairKey } from '../analysis/lib/flow.ts';
import { endpointKey } from '../capture/types.ts';
import type { PacketRecord } from '../capture/types.ts';
import type { WritablePacket } from '../capture/write.ts';
import type { TlsKeys } from './extract.ts';
import type { Report, ReportConnection } from '../report/report.ts';

/** TLS connections whose SIP messages are all among these frames (none of another call). */
function tlsConnectionsFor(report: Report, frames: ReadonlySet<number>): ReportConnection[] {
  return report.connections.filter((c) => c.tls !== null && c.messageFrames.length > 0 && c.messageFrames.every((f) => frames.has(f)));
}

/** The connection (client ⇄ server, TCP) a decoded frame belongs to, as "client|server", or null. */
function connectionKey(linkType: number, data: Uint8Array): { key: string; payload: Uint8Array } | null {
  const d = decodePacket(linkType, data);
  if (d === null || d.protocol !== 6) return null;
  const a = endpointKey({ ip: d.src, port: d.sport });
  const b = endpointKey({ ip: d.dst, port: d.dport });
  return { key: pairKey(a, b), payload: d.payload };
}

/** The ClientHello random (64 hex digits) when a TCP payload starts with a TLS ClientHello record. */
export function clientHelloRandom(payload: Uint8Array): string | null {
  // TLSPlaintext: type 22 (handshake), version (2), length (2); Handshake: type 1 (ClientHello),
  // length (3), legacy_version (2), random (32) — RFC 8446 §5.1, §4.1.2.
  if (payload.length < 43 || payload[0] !== 22 || payload[5] !== 1) return null;
  let hex = '';
  for (let i = 11; i < 43; i++) hex += payload[i]!.toString(16).padStart(2, '0');
  return hex;
}

/** The key-log lines whose client random is one of these (comments and other lines dropped). */
function keyLogLinesFor(keyLog: string, randoms: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const raw of keyLog.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    if (parts.length === 3 && randoms.has(parts[1]!.toLowerCase())) out.push(line);
  }
  return out;
}

/**
 * What a pcapng export of these frames needs to stay decryptable, given the key log the capture
 * was opened with (and the one it carried); undefined when no TLS connection is involved or there
 * is no key log.
 */
export function tlsKeysFor(report: Report, frames: ReadonlySet<number>, keyLog: string): TlsKeys | undefined {
  if (!keyLog.trim()) return undefined;
  const conns = tlsConnectionsFor(report, frames);
  if (conns.length === 0) return undefined;
  const byPair = new Map<string, ReportConnection[]>();
  for (const c of conns) {
    const k = pairKey(c.client, c.server);
    const list = byPair.get(k);
    if (list) list.push(c);
    else byPair.set(k, [c]);
  }
  const helloFrames = new Set<number>();
  for (const c of conns) if (c.tls?.clientHelloFrame != null) helloFrames.add(c.tls.clientHelloFrame);
  const within = (c: ReportConnection, frame: number): boolean => frame >= c.openedFrame && frame <= c.lastFrame;
  return {
    frames: {
      lastFrame: conns.reduce((m, c) => Math.max(m, c.lastFrame), -Infinity),
      matches(rec: PacketRecord): boolean {
        const c = connectionKey(rec.linkType, rec.data);
        if (c === null) return false;
        const list = byPair.get(c.key);
        return list !== undefined && list.some((x) => within(x, rec.frame));
      },
    },
    keyLogFor(picked: ReadonlyArray<WritablePacket & { frame: number }>): string | null {
      const randoms = new Set<string>();
      for (const p of picked) {
        if (!helloFrames.has(p.frame)) continue;
        const c = connectionKey(p.linkType, p.data);
        const r = c === null ? null : clientHelloRandom(c.payload);
        if (r !== null) randoms.add(r);
      }
      const lines = keyLogLinesFor(keyLog, randoms);
      return lines.length === 0 ? null : `${lines.join('\n')}\n`;
    },
  };
}
