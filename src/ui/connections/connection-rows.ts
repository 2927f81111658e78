/**
 * The connections view's data: one row per TCP/TLS/WebSocket connection of the report
 * (REPORT.md `connections`), in words — who opened it (the side that sent the SYN, RFC 9293
 * §3.5), the TLS handshake metadata read from the clear-text records (SNI and offered versions
 * from the ClientHello, the version chosen by the ServerHello, alerts; RFC 8446 §4.1, §6), how it
 * ended (FIN or RST, by which side), and what it carried (SIP messages, or encrypted bytes when no
 * key log opened it). Pure functions, no DOM: a capture without SIP calls still has a page.
 */
import type { Finding, Report, ReportConnection } from '../../report/report.ts';
import { formatBytes } from '../../view/format.ts';

export interface ConnectionRow {
  id: number;
  transport: ReportConnection['transport'];
  /** "10.0.0.1:5071 → 10.0.0.2:5061": the opener (client) first. */
  endpoints: string;
  client: string;
  server: string;
  /** "SYN by client, frame 3" or "open before the capture (first seen frame 1)". */
  opened: string;
  openedFrame: number;
  /** "TLS 1.3 · SNI sip.example.com", "handshake failed (offered TLS 1.3, TLS 1.2)", "—" for plain TCP. */
  tls: string;
  /** The TLS handshake result, or null for plain TCP/WS. */
  handshake: 'complete' | 'failed' | 'partial' | 'none' | null;
  /** "RST by server, frame 730", "FIN by client, frame 90", "open at the end of the capture". */
  closed: string;
  /** "4 SIP messages (client 1.2 KiB · server 900 B)", "encrypted: client 2.2 KiB · server 3.6 KiB", "no payload". */
  carried: string;
  sipMessages: number;
  /** Error and warning findings that name this connection (or its frames). */
  findings: number[];
  /** True when something went wrong on it: a failed handshake, an alert, a reset, a finding. */
  bad: boolean;
  /** Frames to jump to in Wireshark: opening, handshake, alert, close. */
  frames: number[];
}

function findingsOf(c: ReportConnection, findings: readonly Finding[]): number[] {
  const out: number[] = [];
  const own = new Set<number>([c.openedFrame, ...(c.tls ? [c.tls.clientHelloFrame, c.tls.serverHelloFrame, c.tls.alertFrame] : []), ...c.closeEvents.map((e) => e.frame)].filter((f): f is number => typeof f === 'number'));
  findings.forEach((f, i) => {
    if (f.severity === 'info') return;
    if (f.connections?.includes(c.id) || (f.callId === null && f.frames.some((fr) => own.has(fr)))) out.push(i);
  });
  return out;
}

function tlsWords(c: ReportConnection): string {
  const t = c.tls;
  if (!t) return c.transport === 'tls' || c.transport === 'wss' ? 'no handshake seen' : '—';
  const parts: string[] = [];
  const offered = t.offeredVersions.length ? `offered ${t.offeredVersions.join(', ')}` : '';
  switch (t.handshake) {
    case 'complete':
      parts.push(t.version ?? 'handshake complete');
      break;
    case 'failed':
      parts.push(`handshake failed${offered ? ` (${offered})` : ''}`);
      break;
    case 'partial':
      parts.push(`handshake incomplete${t.version ? ` (${t.version})` : offered ? ` (${offered})` : ''}`);
      break;
    case 'none':
      parts.push('no handshake in the capture (it started mid-connection)');
      break;
  }
  if (t.sni) parts.push(`SNI ${t.sni}`);
  if (t.alert) parts.push(`alert: ${t.alert}${t.alertFrame !== null ? ` (frame ${t.alertFrame})` : ''}`);
  return parts.join(' · ');
}

function closedWords(c: ReportConnection): string {
  const first = c.closeEvents[0];
  if (!first) return c.closedFrame === null ? 'open at the end of the capture' : `closed, frame ${c.closedFrame}`;
  const words = `${first.flag.toUpperCase()} by ${first.side}, frame ${first.frame}`;
  const other = c.closeEvents.find((e) => e.side !== first.side);
  return other ? `${words}; ${other.flag.toUpperCase()} by ${other.side}, frame ${other.frame}` : words;
}

function carriedWords(c: ReportConnection, encryptedUnread: boolean): string {
  const n = c.messageFrames.length;
  const cb = c.clientBytes ?? 0;
  const sb = c.serverBytes ?? 0;
  const bytes = `client ${formatBytes(cb)} · server ${formatBytes(sb)}`;
  if (n > 0) return `${n} SIP message${n === 1 ? '' : 's'} (${bytes})`;
  if (cb + sb === 0) return c.packets === undefined ? 'no SIP messages' : 'no payload';
  return encryptedUnread ? `encrypted: ${bytes}` : `${bytes}, no SIP read`;
}

/** The connections of a report as rows, in the order they opened. */
export function connectionRows(report: Pick<Report, 'connections' | 'findings'>): ConnectionRow[] {
  return report.connections
    .map((c): ConnectionRow => {
      const findings = findingsOf(c, report.findings);
      const encrypted = c.transport === 'tls' || c.transport === 'wss';
      const handshake = c.tls ? c.tls.handshake : null;
      const rst = c.closeEvents.some((e) => e.flag === 'rst') || c.closedBy === 'rst';
      const frames = [c.openedFrame, c.tls?.clientHelloFrame, c.tls?.serverHelloFrame, c.tls?.alertFrame, ...c.closeEvents.map((e) => e.frame)].filter((f): f is number => typeof f === 'number');
      return {
        id: c.id,
        transport: c.transport,
        endpoints: `${c.client} → ${c.server}`,
        client: c.client,
        server: c.server,
        opened: c.sawSyn ? `SYN by client, frame ${c.openedFrame}` : `open before the capture (first seen frame ${c.openedFrame})`,
        openedFrame: c.openedFrame,
        tls: tlsWords(c),
        handshake,
        closed: closedWords(c),
        carried: carriedWords(c, encrypted && c.messageFrames.length === 0),
        sipMessages: c.messageFrames.length,
        findings,
        bad: findings.length > 0 || handshake === 'failed' || !!c.tls?.alert || rst,
        frames: [...new Set(frames)].sort((a, b) => a - b),
      };
    })
    .sort((a, b) => a.openedFrame - b.openedFrame || a.id - b.id);
}
