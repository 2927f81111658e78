/**
 * What an SDP body (RFC 4566 / RFC 8866, offer/answer RFC 3264) says about media: origin,
 * session and per-media connection address (media-level c= overrides session-level, RFC 4566
 * §5.7), direction (media attribute, else session attribute, else sendrecv — RFC 3264 §5.1),
 * rtpmap codecs and the a=rtcp port (RFC 3605). Parsing is left to `sdp-transform`; this module
 * only summarises, and never throws on garbage.
 */

import { parse } from 'sdp-transform';
import type { SdpMedia, SdpSummary } from './types.ts';

type Direction = SdpMedia['direction'];

function asDirection(d: unknown): Direction | null {
  return d === 'sendrecv' || d === 'sendonly' || d === 'recvonly' || d === 'inactive' ? d : null;
}

/** "224.2.1.1/127" → "224.2.1.1" (multicast TTL/count suffix). */
function address(ip: unknown): string | null {
  if (typeof ip !== 'string' || !ip) return null;
  const slash = ip.indexOf('/');
  return slash >= 0 ? ip.slice(0, slash) : ip;
}

/** Summary of an SDP body, or null when it holds no SDP at all (no v=/o=/c=/m= line understood). */
export function summariseSdp(body: string): SdpSummary | null {
  if (!body || body.indexOf('=') < 0) return null;
  try {
    const s = parse(body);
    const o = s.origin;
    const origin = o && typeof o === 'object'
      ? {
        username: String(o.username ?? ''),
        sessionId: String(o.sessionId ?? ''),
        sessionVersion: Number(o.sessionVersion) || 0,
        address: String(o.address ?? ''),
      }
      : null;
    const connection = address(s.connection?.ip);
    const sessionDirection = asDirection(s.direction);
    const media: SdpMedia[] = [];
    for (const m of Array.isArray(s.media) ? s.media : []) {
      if (!m.type) continue; // an "m=" line sdp-transform could not read
      const payloads: number[] = [];
      for (const p of String(m.payloads ?? '').split(' ')) {
        if (p !== '' && /^\d{1,3}$/.test(p)) payloads.push(Number(p));
      }
      const codecs: SdpMedia['codecs'] = [];
      for (const r of Array.isArray(m.rtp) ? m.rtp : []) {
        if (typeof r.payload !== 'number' || !Number.isFinite(r.payload)) continue;
        let codec = `${r.codec}`;
        if (r.rate !== undefined) codec += `/${r.rate}`;
        if (r.encoding !== undefined && r.encoding !== null && String(r.encoding) !== '') codec += `/${r.encoding}`;
        codecs.push({ payload: r.payload, codec });
      }
      const rtcpPort = m.rtcp && typeof m.rtcp.port === 'number' && Number.isFinite(m.rtcp.port) ? m.rtcp.port : null;
      media.push({
        type: String(m.type ?? ''),
        port: Number.isFinite(m.port) ? m.port : 0,
        protocol: String(m.protocol ?? ''),
        connection: address(m.connection?.ip) ?? connection,
        payloads,
        codecs,
        direction: asDirection(m.direction) ?? sessionDirection ?? 'sendrecv',
        rtcpPort,
      });
    }
    if (!origin && connection === null && media.length === 0) return null;
    return { origin, connection, media };
  } catch {
    return null;
  }
}

/** The rtpmap name of a payload type ("PCMU/8000"), or null when the SDP maps none. */
export function codecName(media: SdpMedia, payload: number): string | null {
  for (const c of media.codecs) if (c.payload === payload) return c.codec;
  return null;
}
