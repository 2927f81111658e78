/**
 * Several captures of one problem, taken at different points (the phone's LAN and the NAT's WAN
 * side, an SBC's inner and outer leg), lined up: the same SIP message found at each point, each
 * capture's clock offset estimated from those pairs, and what changed between the points — the
 * NAT mappings, the headers rewritten (by an ALG, a proxy), the messages that left one point and
 * never reached the next.
 *
 * A message is known at every point by its Call-ID, CSeq, start line (method or status), From and
 * To tags and the branch of its bottom Via (the originating UA's: proxies push their Vias on top,
 * NATs leave it alone). Copies with that key close in time form one group when each could be the
 * next hop of the one before it (the same packet, a NAT translation of it, or forwarded by the host
 * it reached); a second copy between the same two endpoints in one capture is a retransmission and
 * starts a new group.
 *
 * Pure functions over parsed messages: no capture reading here (engine/analyze-many.ts does that).
 */
import type { Endpoint, Transport } from '../capture/types.ts';
import { endpointKey } from '../capture/types.ts';
import { isPrivateLike, normalizeHost } from '../sip/addresses.ts';
import type { SipMessage } from '../sip/types.ts';
import { headerValues } from '../sip/modelutil.ts';
import type { ReportNatMapping, ReportRewrite } from '../report/report.ts';

/** One message on the common timeline (times already corrected by its capture's offset). */
export interface AlignMessage {
  capture: number;
  frame: number;
  timeUs: number;
  src: Endpoint;
  dst: Endpoint;
  transport: Transport;
  sip: SipMessage | null;
}

export type NatMapping = ReportNatMapping;
export type Rewrite = ReportRewrite;

export interface Alignment {
  /** Copies of one message, in time order (indices into the merged list); only groups of 2+. */
  groups: number[][];
  /** Consecutive copies of a group: one message seen at two points. */
  matched: Array<[number, number]>;
  /** Messages whose every copy is in one capture (seen at one point only). */
  onlyIn: number[];
  /** Of `onlyIn`: messages another capture should have seen (it saw SIP between those hosts, it was recording then) and did not. */
  lost: Array<{ message: number; missingFrom: number; mapping: number | null }>;
  natMappings: NatMapping[];
  rewrites: Rewrite[];
  /** Per capture: the host pairs ("a b", canonical, sorted) it saw exchange SIP. */
  hostPairs: Array<Set<string>>;
}

/** The key that names one message at every capture point, or null (unparsed, no Call-ID or CSeq). */
export function messageKey(sip: SipMessage | null): string | null {
  if (!sip || !sip.callId || !sip.cseq) return null;
  const start = sip.kind === 'request' ? sip.method.toUpperCase() : String(sip.status);
  const bottom = sip.via.length > 0 ? (sip.via[sip.via.length - 1]!.branch ?? '') : '';
  return `${sip.callId}\u0000${sip.cseq.seq} ${sip.cseq.method.toUpperCase()}\u0000${start}\u0000${tag(sip.from?.params)}\u0000${tag(sip.to?.params)}\u0000${bottom}`;
}

function tag(params: Record<string, string | null> | undefined): string {
  return params?.tag ?? '';
}

/**
 * How far `other`'s clock is ahead of `ref`'s (µs), from the messages both saw: for every key in
 * both, the first copy's time difference; the median of those, and their median absolute
 * deviation as the spread. Transit time between the points is in each difference, in both
 * directions, so the median sits between them. `pairs` 0: nothing in common, offset 0.
 */
export function estimateOffset(ref: ReadonlyArray<{ timeUs: number; sip: SipMessage | null }>, other: ReadonlyArray<{ timeUs: number; sip: SipMessage | null }>): { offsetUs: number; spreadUs: number | null; pairs: number } {
  const firstRef = new Map<string, number>();
  for (const m of ref) {
    const k = messageKey(m.sip);
    if (k !== null && !firstRef.has(k)) firstRef.set(k, m.timeUs);
  }
  const seen = new Set<string>();
  const diffs: number[] = [];
  for (const m of other) {
    const k = messageKey(m.sip);
    if (k === null || seen.has(k)) continue;
    seen.add(k);
    const t = firstRef.get(k);
    if (t !== undefined) diffs.push(m.timeUs - t);
  }
  if (diffs.length === 0) return { offsetUs: 0, spreadUs: null, pairs: 0 };
  const offsetUs = median(diffs);
  const spreadUs = median(diffs.map((d) => Math.abs(d - offsetUs)));
  return { offsetUs: Math.round(offsetUs), spreadUs: Math.round(spreadUs), pairs: diffs.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Copies further apart than this are not one message (SIP retransmits after T1 = 500 ms at the earliest). */
export const COPY_WINDOW_US = 200_000;
/** No real path has this many hops: a storm of copies starts new groups instead of one ever-growing one. */
const MAX_COPIES = 32;

const sameEp = (a: Endpoint, b: Endpoint): boolean => a.port === b.port && normalizeHost(a.ip) === normalizeHost(b.ip);
const sameIp = (a: Endpoint, b: Endpoint): boolean => normalizeHost(a.ip) === normalizeHost(b.ip);

/** Could `y` be the same message as `x` one point further on? */
function nextHop(x: AlignMessage, y: AlignMessage): boolean {
  const s = sameEp(x.src, y.src);
  const d = sameEp(x.dst, y.dst);
  if (s && d) return x.capture !== y.capture; // the same packet at two points (in one capture: a retransmission)
  if (s || d) return true; // one side translated: a NAT between the points
  return sameIp(x.dst, y.src); // forwarded by the host it reached
}

/** No SIP element between the copies: the same Vias (count and top branch). */
function noSipHop(x: SipMessage, y: SipMessage): boolean {
  return x.via.length === y.via.length && (x.via[0]?.branch ?? null) === (y.via[0]?.branch ?? null);
}

/** Header values compared between copies, in report order. */
function comparable(m: SipMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (m.kind === 'request') out.push(['Request-URI', m.requestUriRaw]);
  const values = (name: string): string =>
    headerValues(m, name)
      .map((v) => v.trim())
      .join(', ');
  for (const name of ['Via', 'Contact', 'Record-Route', 'Route', 'Content-Length']) out.push([name, values(name)]);
  const sdpLines = (prefix: string): string =>
    m.body
      .split(/\r?\n/)
      .filter((l) => l.startsWith(prefix))
      .map((l) => l.trim())
      .join(' | ');
  if (m.sdp || /^v=0/m.test(m.body)) for (const p of ['o=', 'c=', 'm=']) out.push([`SDP ${p}`, sdpLines(p)]);
  return out;
}

/**
 * Align messages already merged on one timeline (by corrected time, each capture in its own order). `ranges[c]` is
 * capture c's first and last packet time on that timeline.
 */
export function alignMessages(msgs: readonly AlignMessage[], ranges: ReadonlyArray<{ firstUs: number; lastUs: number }>): Alignment {
  // 1. Groups of copies.
  const groupOf = new Int32Array(msgs.length).fill(-1);
  const groups: number[][] = [];
  const open = new Map<string, number[]>(); // key → group ids, newest last
  msgs.forEach((m, i) => {
    const k = messageKey(m.sip);
    if (k === null) return;
    const candidates = open.get(k) ?? [];
    let joined = -1;
    for (let c = candidates.length - 1; c >= 0; c--) {
      const g = groups[candidates[c]!]!;
      const first = msgs[g[0]!]!;
      if (m.timeUs - first.timeUs > COPY_WINDOW_US) break;
      if (g.length >= MAX_COPIES) continue;
      const last = msgs[g[g.length - 1]!]!;
      const repeats = g.some((j) => msgs[j]!.capture === m.capture && sameEp(msgs[j]!.src, m.src) && sameEp(msgs[j]!.dst, m.dst));
      if (!repeats && nextHop(last, m)) {
        joined = candidates[c]!;
        break;
      }
    }
    if (joined < 0) {
      joined = groups.length;
      groups.push([]);
      candidates.push(joined);
      // Keep the candidate list short: groups older than the window can take nothing more.
      while (candidates.length > 8 && m.timeUs - msgs[groups[candidates[0]!]![0]!]!.timeUs > COPY_WINDOW_US) candidates.shift();
      open.set(k, candidates);
    }
    groups[joined]!.push(i);
    groupOf[i] = joined;
  });

  // 2. Pairs, NAT translations and rewrites between consecutive copies.
  const matched: Array<[number, number]> = [];
  const rewrites: Rewrite[] = [];
  type Internal = NatMapping & { uses: number[]; insideIp: string; outsideIp: string };
  const mappings = new Map<string, Internal>();
  const note = (inside: Endpoint, outside: Endpoint, transport: Transport, outsideCopy: number): void => {
    const key = `${transport} ${endpointKey(inside)} ${endpointKey(outside)}`;
    const o = msgs[outsideCopy]!;
    let mp = mappings.get(key);
    if (!mp) {
      mp = { inside: endpointKey(inside), outside: endpointKey(outside), transport, firstFrame: o.frame, lastFrame: o.frame, capture: o.capture, firstTimeUs: o.timeUs, lastTimeUs: o.timeUs, messages: 0, longestIdleUs: 0, droppedAfterIdleUs: null, droppedMessage: null, uses: [], insideIp: normalizeHost(inside.ip), outsideIp: normalizeHost(outside.ip) };
      mappings.set(key, mp);
    }
    if (mp.uses.length > 0) mp.longestIdleUs = Math.max(mp.longestIdleUs, o.timeUs - mp.lastTimeUs);
    mp.messages++;
    mp.uses.push(outsideCopy);
    if (o.capture === mp.capture) mp.lastFrame = o.frame;
    mp.lastTimeUs = o.timeUs;
  };
  for (const g of groups) {
    if (g.length < 2) continue;
    for (let k = 1; k < g.length; k++) {
      const xi = g[k - 1]!;
      const yi = g[k]!;
      matched.push([xi, yi]);
      const x = msgs[xi]!;
      const y = msgs[yi]!;
      const s = sameEp(x.src, y.src);
      const d = sameEp(x.dst, y.dst);
      if (s !== d) {
        // One side translated: the private address is inside; else the copy seen first is the
        // packet before the NAT (outbound: its source is inside; inbound: its destination is outside).
        const [a, b] = s ? [x.dst, y.dst] : [x.src, y.src];
        const aPriv = isPrivateLike(a.ip);
        const bPriv = isPrivateLike(b.ip);
        let inside: Endpoint;
        let outside: Endpoint;
        if (aPriv !== bPriv) [inside, outside] = aPriv ? [a, b] : [b, a];
        else if (!s) [inside, outside] = [a, b];
        else [inside, outside] = [b, a];
        note(inside, outside, x.transport, endpointKey(outside) === endpointKey(a) ? xi : yi);
      }
      if (x.sip && y.sip) {
        const hopless = noSipHop(x.sip, y.sip);
        const before = comparable(x.sip);
        const after = new Map(comparable(y.sip));
        for (const [header, value] of before) {
          const v = after.get(header);
          if (v !== undefined && v !== value) rewrites.push({ message: yi, header, before: value, after: v, from: xi, noSipHop: hopless });
        }
      }
    }
  }

  // 3. Seen at one point only, and of those, what another capture should have seen.
  const captures = ranges.length;
  const onlyIn: number[] = [];
  const lost: Alignment['lost'] = [];
  // The host pairs each capture point saw exchange SIP: a point sees the paths through it, not
  // every pair of the hosts it knows.
  const pair = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);
  const pairsOf: Array<Set<string>> = Array.from({ length: captures }, () => new Set());
  for (const m of msgs) pairsOf[m.capture]!.add(pair(normalizeHost(m.src.ip), normalizeHost(m.dst.ip)));
  const byOutside = new Map<string, Internal>();
  const byInside = new Map<string, Internal>();
  for (const mp of mappings.values()) {
    byOutside.set(mp.outside, mp);
    byInside.set(mp.inside, mp);
  }
  const mappingList = [...mappings.values()];
  const mappingIndex = new Map(mappingList.map((mp, i) => [mp, i]));
  const firstCapture = (g: number[]): number => msgs[g[0]!]!.capture;
  for (let i = 0; i < msgs.length; i++) {
    const gi = groupOf[i]!;
    const g = gi >= 0 ? groups[gi]! : [i];
    const c = firstCapture(g);
    if (captures < 2 || g.some((j) => msgs[j]!.capture !== c)) continue;
    onlyIn.push(i);
    if (g[0] !== i) continue; // judge a group once: the first of its copies another capture should have seen
    let found = false;
    for (const j of g) {
      const m = msgs[j]!;
      if (!m.sip) continue;
      // Where would it have shown up elsewhere? Its endpoints, or their other side of a NAT mapping.
      const dstMap = byOutside.get(endpointKey(m.dst)) ?? byInside.get(endpointKey(m.dst)) ?? null;
      const srcMap = byInside.get(endpointKey(m.src)) ?? byOutside.get(endpointKey(m.src)) ?? null;
      const names = (e: Endpoint, mp: Internal | null): string[] => (mp ? [normalizeHost(e.ip), mp.insideIp, mp.outsideIp] : [normalizeHost(e.ip)]);
      for (let d = 0; d < captures && !found; d++) {
        if (d === c) continue;
        const r = ranges[d]!;
        if (m.timeUs < r.firstUs || m.timeUs > r.lastUs) continue; // that capture was not recording
        const pairs = pairsOf[d]!;
        const dstNames = names(m.dst, dstMap);
        if (!names(m.src, srcMap).some((a) => dstNames.some((b) => pairs.has(pair(a, b))))) continue;
        const mp = dstMap ?? srcMap;
        lost.push({ message: j, missingFrom: d, mapping: mp ? (mappingIndex.get(mp) ?? null) : null });
        if (dstMap && endpointKey(m.dst) === dstMap.outside && dstMap.droppedMessage === null && m.timeUs > dstMap.lastTimeUs) {
          dstMap.droppedMessage = j;
          dstMap.droppedAfterIdleUs = m.timeUs - dstMap.lastTimeUs;
        }
        found = true;
      }
      if (found) break;
    }
  }

  const natMappings: NatMapping[] = mappingList.map(({ uses: _u, insideIp: _i, outsideIp: _o, ...mp }) => mp);
  return { groups: groups.filter((g) => g.length > 1), matched, onlyIn, lost, natMappings, rewrites, hostPairs: pairsOf };
}

/** One RTP/RTCP stream of one capture, on the common timeline. */
export interface AlignStream {
  capture: number;
  ssrc: number;
  payloadType: number;
  kind: 'rtp' | 'rtcp';
  src: Endpoint;
  dst: Endpoint;
  packets: number;
  firstFrame: number;
  lastFrame: number;
  firstTimeUs: number;
  lastTimeUs: number;
}

export interface MediaAlignment {
  /** NAT mappings the media shows (a stream whose source or destination changed between the points). */
  mappings: Array<NatMapping & { carries: 'rtp' | 'rtcp' }>;
  /** Streams (indices into the input) another capture should have seen — it saw SIP or media between the same hosts while recording — and did not. */
  lost: Array<{ stream: number; missingFrom: number }>;
}

/**
 * The media side of the alignment: a stream is the same at two points when its SSRC, payload type
 * and kind agree and exactly one of its endpoints differs (a NAT between) or none does. `pairs`
 * are the host pairs each capture saw talking (SIP or media), with NAT-mapped addresses counted as
 * the same host, as in alignMessages.
 */
export function alignStreams(streams: readonly AlignStream[], ranges: ReadonlyArray<{ firstUs: number; lastUs: number }>, sipPairs: ReadonlyArray<ReadonlySet<string>>, sipMappings: readonly NatMapping[]): MediaAlignment {
  const key = (s: AlignStream): string => `${s.ssrc} ${s.payloadType} ${s.kind}`;
  const byKey = new Map<string, number[]>();
  streams.forEach((s, i) => byKey.set(key(s), [...(byKey.get(key(s)) ?? []), i]));
  const mappings = new Map<string, NatMapping & { carries: 'rtp' | 'rtcp' }>();
  const seenElsewhere = new Set<number>();
  // Candidate pairs (the same stream at two points), best first: a stream pairs once per other
  // capture, with the copy that carried most of its packets (a relay's first packet to a port it
  // soon abandons is not the stream the other side saw).
  const candidates: Array<{ a: number; b: number; score: number }> = [];
  for (const list of byKey.values()) {
    if (list.length > 64) continue; // one SSRC on that many flows is not one stream seen twice: no pairing (and no quadratic cost)
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const x = streams[list[a]!]!;
        const y = streams[list[b]!]!;
        if (x.capture === y.capture || (!sameEp(x.src, y.src) && !sameEp(x.dst, y.dst))) continue;
        candidates.push({ a: list[a]!, b: list[b]!, score: Math.min(x.packets, y.packets) });
      }
    }
  }
  candidates.sort((p, q) => q.score - p.score);
  // A stream may pair with several of the other capture's streams only one after another in time
  // (a NAT re-mapping the flow mid-call gives one inside stream several outside ones).
  const partners = new Map<string, AlignStream[]>(); // "stream capture" → partners there
  const overlaps = (u: AlignStream, list: readonly AlignStream[]): boolean => list.some((v) => u.firstTimeUs <= v.lastTimeUs && v.firstTimeUs <= u.lastTimeUs);
  for (const { a, b, score } of candidates) {
    const x = streams[a]!;
    const y = streams[b]!;
    const px = partners.get(`${a} ${y.capture}`) ?? [];
    const py = partners.get(`${b} ${x.capture}`) ?? [];
    if (overlaps(y, px) || overlaps(x, py)) continue;
    // A second partner must be a stream, not a stray packet or two (a relay's probe before it latched).
    if ((px.length > 0 || py.length > 0) && score < 3) continue;
    partners.set(`${a} ${y.capture}`, [...px, y]);
    partners.set(`${b} ${x.capture}`, [...py, x]);
    seenElsewhere.add(a).add(b);
    const s = sameEp(x.src, y.src);
    const d = sameEp(x.dst, y.dst);
    if (s && d) continue;
    const [p, q] = s ? [x.dst, y.dst] : [x.src, y.src];
    const pPriv = isPrivateLike(p.ip);
    if (pPriv === isPrivateLike(q.ip)) continue; // two public addresses: a relay, not a NAT we can name
    const [inside, outside] = pPriv ? [p, q] : [q, p];
    const o = endpointKey(outside) === endpointKey(p) ? x : y;
    const k = `${x.kind} ${endpointKey(inside)} ${endpointKey(outside)}`;
    const prev = mappings.get(k);
    if (prev) {
      prev.messages += o.packets;
      prev.firstTimeUs = Math.min(prev.firstTimeUs, o.firstTimeUs);
      prev.lastTimeUs = Math.max(prev.lastTimeUs, o.lastTimeUs);
      continue;
    }
    mappings.set(k, {
      inside: endpointKey(inside),
      outside: endpointKey(outside),
      transport: 'udp',
      firstFrame: o.firstFrame,
      lastFrame: o.lastFrame,
      capture: o.capture,
      firstTimeUs: o.firstTimeUs,
      lastTimeUs: o.lastTimeUs,
      messages: o.packets,
      longestIdleUs: 0,
      droppedAfterIdleUs: null,
      droppedMessage: null,
      carries: x.kind,
    });
  }
  // Host names a capture point knows for an address: itself and its other side of any mapping.
  const hostOf = (ep: string): string => normalizeHost(ep.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'));
  const other = new Map<string, Set<string>>(); // endpoint key → both hosts of its mappings
  for (const m of [...sipMappings, ...mappings.values()]) {
    for (const k of [m.inside, m.outside]) {
      const set = other.get(k) ?? new Set<string>();
      set.add(hostOf(m.inside)).add(hostOf(m.outside));
      other.set(k, set);
    }
  }
  const names = (e: Endpoint): string[] => [normalizeHost(e.ip), ...(other.get(endpointKey(e)) ?? [])];
  const pair = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);
  const lost: MediaAlignment['lost'] = [];
  streams.forEach((s, i) => {
    if (seenElsewhere.has(i) || s.kind !== 'rtp' || s.packets < 5) return;
    for (let d = 0; d < ranges.length; d++) {
      if (d === s.capture) continue;
      const r = ranges[d]!;
      if (s.firstTimeUs > r.lastUs || s.lastTimeUs < r.firstUs) continue;
      const srcNames = names(s.src);
      const dstNames = names(s.dst);
      if (srcNames.some((a) => dstNames.some((b) => sipPairs[d]?.has(pair(a, b))))) {
        lost.push({ stream: i, missingFrom: d });
        break;
      }
    }
  });
  return { mappings: [...mappings.values()], lost };
}
