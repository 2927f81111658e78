/**
 * media-stopped (field notes 003, 004): in an answered call whose media flowed both ways, one
 * direction stops while the other goes on — "the caller went silent after a few seconds". Seen
 * when a NAT binding for the RTP expires, a re-INVITE moves one side's media elsewhere, a
 * firewall's UDP timeout cuts one direction, or a phone stops sending. Directions are grouped by
 * source and destination address (all streams and SSRCs between them); a direction counts as
 * stopped when its last packet comes at least 5 s before the other direction's last packet and
 * before the call's BYE, and the other direction really went on (at least 25 packets after it,
 * by the streams' per-second counts: a few stray packets after a re-INVITE are not a call going
 * on).
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { RtpStreamStats } from '../../capture/types.ts';
import { normalizeHost } from '../lib/addr.ts';
import { getFlow } from '../lib/flow.ts';
import { callMedia, streamText } from '../lib/media.ts';
import { duration, uniqFrames } from '../lib/text.ts';

/** Silence in one direction while the other goes on, before it is named. */
const MIN_GAP_US = 5_000_000;

interface Direction { key: string; from: string; to: string; streams: RtpStreamStats[]; first: number; last: number; lastFrame: number; packets: number }

/** Packets the streams sent from `t` on (µs), by their per-second counts (whole seconds after t). */
function packetsAfter(streams: RtpStreamStats[], t: number): number {
  let n = 0;
  for (const s of streams) {
    const ps = s.quality?.perSecond;
    if (!ps) {
      if (s.firstTimeUs >= t) n += s.packets;
      continue;
    }
    const from = Math.ceil((t - ps.startUs) / 1_000_000);
    for (let i = Math.max(0, from); i < ps.packets.length; i++) n += ps.packets[i] ?? 0;
  }
  return n;
}

export const detectMediaStopped: Detector = {
  kind: 'media-stopped',
  title: 'Media in one direction stopped mid-call',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (const [callId, cm] of callMedia(ctx)) {
      if (cm.streams.length < 2) continue;
      const dialog = (flow.dialogsByCall.get(callId) ?? []).find((d) => d.oks.length > 0);
      if (!dialog) continue;
      const dirs = new Map<string, Direction>();
      for (const { s } of cm.streams) {
        const from = normalizeHost(s.src.ip);
        const to = normalizeHost(s.dst.ip);
        const key = `${from}>${to}`;
        let d = dirs.get(key);
        if (!d) dirs.set(key, (d = { key, from, to, streams: [], first: s.firstTimeUs, last: s.lastTimeUs, lastFrame: s.lastFrame, packets: 0 }));
        d.streams.push(s);
        d.first = Math.min(d.first, s.firstTimeUs);
        if (s.lastTimeUs > d.last) {
          d.last = s.lastTimeUs;
          d.lastFrame = s.lastFrame;
        }
        d.packets += s.packets;
      }
      for (const d of dirs.values()) {
        // Its reverse: media between the same two addresses the other way.
        const r = dirs.get(`${d.to}>${d.from}`);
        if (!r || r.packets < 50 || d.packets < 2) continue;
        const bye = dialog.byes[0];
        const end = Math.min(r.last, bye ? bye.t : Infinity);
        const gap = end - d.last;
        if (gap < MIN_GAP_US) continue;
        if (packetsAfter(r.streams, d.last + 1_000_000) < 25) continue;
        const ran = d.last - d.first;
        const severity: Finding['severity'] = gap >= 10_000_000 ? 'error' : 'warning';
        out.push({
          kind: 'media-stopped',
          severity,
          callId,
          frames: uniqFrames([d.lastFrame, r.lastFrame, ...(bye ? [bye.frame] : [])]),
          title: `Media ${d.from} → ${d.to} stopped ${duration(gap)} before the other direction`,
          explanation:
            `RTP from ${d.from} to ${d.to} ran for ${duration(ran)} and stopped (last packet frame ${d.lastFrame}), ` +
            `while ${r.from} went on sending to ${r.from === d.to ? d.from : r.to} for ${duration(gap)} more (last packet frame ${r.lastFrame})` +
            `${bye ? `; the call was ended by a BYE (frame ${bye.frame})` : ''}. For those ${duration(gap)} one party heard nothing. ` +
            `Streams: ${[...d.streams, ...r.streams].map(streamText).join('; ')}. ` +
            'Typical causes: a NAT or firewall UDP timeout closing the path of one direction, a re-INVITE or UPDATE that moved one side\'s media to an address the other cannot reach, or a phone that stopped sending (hold without a re-INVITE, a crash).',
          references: ['RFC 3550 §6.3.5', 'RFC 3264 §8', 'RFC 4787 §4.3'],
          fix: 'Look at what happened in the signalling when the direction stopped (a re-INVITE, a new SDP address, a NAT timeout); keep NAT bindings for RTP alive (RTP or RTCP keeps flowing, comfort noise instead of silence suppression) or relay the media.',
        });
      }
    }
    return out;
  },
};
