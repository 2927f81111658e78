/**
 * Media facts for the RTP detectors: the RTP streams of each call (as the SIP model tied them,
 * RFC 3264 offer/answer addresses plus the reverse of latched flows), the SDP endpoints of the
 * call, and small helpers to compare endpoints. RTCP streams are left out of direction checks.
 */
import type { Endpoint, RtpStreamStats } from '../../capture/types.ts';
import { endpointKey } from '../../capture/types.ts';
import { fit } from '../../lib/lists.ts';
import { normalizeHost } from './addr.ts';
import type { SdpEndpoint } from '../../sip/media.ts';
import type { DetectorContext } from '../detector.ts';

export interface CallMedia {
  callId: string;
  streams: Array<{ s: RtpStreamStats; i: number }>;
  sdp: SdpEndpoint[];
}

const cache = new WeakMap<object, Map<string, CallMedia>>();

/** Forget the per-call media built for this model (see releaseFlow). */
export function releaseCallMedia(model: object): void {
  cache.delete(model);
}

/** The media of each call (cached per model: three detectors ask). */
export function callMedia(ctx: DetectorContext): Map<string, CallMedia> {
  const hit = cache.get(ctx.model);
  if (hit) return hit;
  const out = new Map<string, CallMedia>();
  const get = (callId: string): CallMedia => {
    let c = out.get(callId);
    if (!c) out.set(callId, (c = { callId, streams: [], sdp: [] }));
    return c;
  };
  const ids = ctx.model.media?.streamCallIds ?? [];
  ctx.rtpStreams.forEach((s, i) => {
    const cid = ids[i];
    if (cid && s.kind === 'rtp') get(cid).streams.push({ s, i });
  });
  for (const e of ctx.model.media?.sdp ?? []) get(e.callId).sdp.push(e);
  // At their length (lib/lists.ts): one pair of lists per call while the detectors run.
  for (const c of out.values()) {
    c.streams = fit(c.streams);
    c.sdp = fit(c.sdp);
  }
  cache.set(ctx.model, out);
  return out;
}

export function epEq(a: Endpoint, ip: string, port: number): boolean {
  return a.port === port && normalizeHost(a.ip) === normalizeHost(ip);
}

export function streamText(s: RtpStreamStats): string {
  return `${endpointKey(s.src)} → ${endpointKey(s.dst)} (SSRC 0x${s.ssrc.toString(16).padStart(8, '0')}, ${s.packets} packets)`;
}
