/**
 * sip-alg-suspected (field note 003): signs that a router's SIP ALG rewrote headers. (1) The same
 * message — same top-Via branch, same number of Vias, so no proxy in between — captured on both
 * sides of a NAT with its Via sent-by, Contact or SDP address changed: something that is not a
 * SIP hop rewrote it. (2) A UDP message whose Content-Length does not match its body, which an
 * ALG that resizes addresses without fixing the length produces. One finding per call.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { isPrivateLike } from '../lib/addr.ts';
import { contactUri, getFlow } from '../lib/flow.ts';
import { framesText, uniqFrames } from '../lib/text.ts';

/** Distinct looks of one request compared per transaction and side of the NAT (see below). */
const MAX_VARIANTS = 32;

/** What the comparison reads of a copy: two copies with the same key give the same evidence. */
function variantKey(x: Msg): string {
  const c = contactUri(x);
  return `${x.method}\u0000${x.viaCount}\u0000${x.srcIp}\u0000${x.dstIp}\u0000${x.topVia?.host ?? ''}:${x.topVia?.port ?? ''}\u0000${c ? `${c.host}:${c.port ?? ''}` : ''}\u0000${x.sdp?.media ?? ''}`;
}

export const detectSipAlgSuspected: Detector = {
  kind: 'sip-alg-suspected',
  title: 'Signs of header rewriting by a SIP ALG',
  severity: 'warning',
  detect({ messages }) {
    const flow = getFlow(messages);
    const byCall = new Map<string, { frames: number[]; notes: string[] }>();
    const add = (callId: string, frames: number[], note: string) => {
      let e = byCall.get(callId);
      if (!e) byCall.set(callId, (e = { frames: [], notes: [] }));
      for (const f of frames) e.frames.push(f);
      if (!e.notes.includes(note)) e.notes.push(note);
    };
    for (let listAt = 0; listAt < flow.txs.length; listAt++) {
      const list = flow.txs[listAt]!;
      // Copies on both sides of a NAT, or nothing to compare: asked first without building
      // anything, as most transactions are seen on one side only.
      let lanSide = false;
      let wanSide = false;
      for (let xAt = 0; xAt < list.length; xAt++) {
        const x = list[xAt]!;
        if (!x.isReq || x.duplicate) continue;
        if (!isPrivateLike(x.srcIp)) wanSide = true;
        else if (!x.retransmission) lanSide = true;
      }
      if (!lanSide || !wanSide) continue;
      // Candidates: LAN-side copies (a: private source) and later WAN-side copies (b: public
      // source). Copies that look alike (duplicates of one packet, a load test's repeats) are the
      // same evidence: one per distinct look, at most MAX_VARIANTS each, so a transaction with
      // thousands of copies costs a pass over its list, not a comparison of every pair.
      const lan: Array<{ x: Msg; pos: number }> = [];
      const wan: Array<{ x: Msg; pos: number }> = [];
      const seen = new Set<string>();
      for (let i = 0; i < list.length; i++) {
        const x = list[i]!;
        if (!x.isReq || x.duplicate) continue;
        const priv = isPrivateLike(x.srcIp);
        if (priv && x.retransmission) continue;
        const side = priv ? lan : wan;
        if (side.length >= MAX_VARIANTS) continue;
        const key = `${priv ? 'a' : 'b'}\u0000${variantKey(x)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        side.push({ x, pos: i });
      }
      for (const { x: a, pos: i } of lan) {
        for (const { x: b, pos: j } of wan) {
          if (j <= i) continue;
          if (b.method !== a.method || b.viaCount !== a.viaCount || b.srcIp === a.srcIp || b.t - a.t > 1_000_000) continue;
          if (b.dstIp !== a.dstIp) continue; // same request on its way to the same server, seen twice
          const changed: string[] = [];
          if (a.topVia && b.topVia && (a.topVia.host !== b.topVia.host || a.topVia.port !== b.topVia.port)) changed.push(`Via sent-by ${a.topVia.host}:${a.topVia.port ?? ''} → ${b.topVia.host}:${b.topVia.port ?? ''}`);
          const ca = contactUri(a);
          const cb = contactUri(b);
          if (ca && cb && (ca.host !== cb.host || ca.port !== cb.port)) changed.push(`Contact ${ca.raw} → ${cb.raw}`);
          const sa = a.sdp?.media;
          const sb = b.sdp?.media;
          if (sa && sb && sa !== sb) changed.push(`SDP c=${sa} → c=${sb}`);
          if (changed.length === 0) continue;
          add(a.callId, [a.frame, b.frame], `The ${a.method} of frame ${a.frame} (from ${a.src}) reappears in frame ${b.frame} (from ${b.src}) with the same Via branch and no added Via — no SIP proxy handled it — yet ${changed.join(', ')}: a device in between rewrote SIP headers.`);
        }
      }
    }
    for (let xAt = 0; xAt < flow.msgs.length; xAt++) {
      const x = flow.msgs[xAt]!;
      if (x.transport !== 'udp' || x.duplicate) continue;
      const n = x.notes.find((t) => /^Content-Length \d+ but/.test(t));
      if (!n) continue;
      // Only an SDP body an ALG would touch: sent through a NAT (public source) with the source's
      // address or a private one in c=/o= — an address rewrite is what changes the length. (Asked
      // first: the lengths below mean parsing the message again.)
      const sdp = x.sdp;
      const addrs = [sdp?.origin, sdp?.media].filter((a): a is string => typeof a === 'string');
      if (!sdp || isPrivateLike(x.srcIp) || !addrs.some((a) => a === x.srcIp || isPrivateLike(a))) continue;
      // An ALG resizing an address changes the length by a few bytes; a snaplen cut or padding does not look like that.
      const cl = x.sip.contentLength ?? 0;
      const avail = x.m.raw.length - x.sip.headerLength;
      const diff = Math.abs(avail - cl);
      if (diff === 0 || diff > 20) continue;
      if (avail > cl && /^[\s\0]*$/.test(x.m.raw.slice(x.sip.headerLength + cl))) continue;
      add(x.callId, [x.frame], `Frame ${x.frame} (${x.isReq ? x.method : x.status}, from ${x.src}): ${n} — over UDP this happens when something rewrote addresses in the body or headers without fixing Content-Length.`);
    }
    const out: Finding[] = [];
    for (const [callId, e] of byCall) {
      out.push({
        kind: 'sip-alg-suspected',
        severity: 'warning',
        callId,
        frames: uniqFrames(e.frames),
        title: 'SIP headers rewritten in transit (SIP ALG suspected)',
        explanation: `${e.notes.join(' ')} Evidence: ${framesText(e.frames)}. A SIP ALG on a consumer router rewrites Via/Contact/SDP inconsistently and breaks authentication, routing and media.`,
        references: ['RFC 3261 §20.14', 'RFC 6314 §3', 'RFC 4787'],
        fix: 'Disable the SIP ALG / SIP helper on the router (Linux: unload nf_conntrack_sip / nf_nat_sip) and handle NAT on the SIP side instead (rport, Contact fixing on the proxy, media relay).',
      });
    }
    return out;
  },
};
