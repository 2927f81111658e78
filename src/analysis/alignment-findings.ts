/**
 * Findings only two capture points can prove (issue 17):
 * - `lost-between-captures`: a message one capture saw leave toward the other point, while the
 *   other capture was recording and saw those hosts, never arrived there; with the NAT mapping's
 *   measured lifetime when the mapping had gone quiet.
 * - `sip-alg-suspected`, proven: the same message, with no SIP hop between the copies (the same
 *   Vias), has its Contact, Via, SDP or Content-Length rewritten between the points.
 */
import type { AlignMessage, AlignStream, Alignment, MediaAlignment } from './alignment.ts';
import { isPrivateLike } from '../sip/addresses.ts';
import { endpointKey } from '../capture/types.ts';
import type { Finding, ReportMessage, ReportRtpStream } from '../report/report.ts';

export interface AlignmentFindingInput {
  names: readonly string[];
  messages: readonly AlignMessage[];
  report: readonly ReportMessage[];
  alignment: Alignment;
}

const seconds = (us: number): string => `${(us / 1e6).toFixed(us < 10e6 ? 2 : 1)} s`;

function label(m: ReportMessage): string {
  return m.method ?? (m.status !== undefined ? `${m.status}${m.reason ? ` ${m.reason}` : ''}${m.cseq ? ` (${m.cseq.split(' ')[1] ?? ''})` : ''}` : 'message');
}

export function alignmentFindings(input: AlignmentFindingInput): Finding[] {
  return [...lostBetween(input), ...algProven(input)];
}

function lostBetween({ names, messages, report, alignment }: AlignmentFindingInput): Finding[] {
  const groups = new Map<string, Alignment['lost']>();
  for (const l of alignment.lost) {
    const m = report[l.message]!;
    const key = `${m.callId ?? ''}\u0000${messages[l.message]!.capture}\u0000${l.missingFrom}`;
    const g = groups.get(key) ?? [];
    g.push(l);
    groups.set(key, g);
  }
  const out: Finding[] = [];
  for (const list of groups.values()) {
    const first = report[list[0]!.message]!;
    const from = messages[list[0]!.message]!.capture;
    const to = list[0]!.missingFrom;
    const t0 = report[0]?.timeUs ?? first.timeUs;
    const labels = list.map((l) => label(report[l.message]!));
    const counted = [...new Set(labels)].map((x) => {
      const n = labels.filter((y) => y === x).length;
      return n > 1 ? `${x} ×${n}` : x;
    });
    const lines = list.slice(0, 6).map((l) => {
      const m = report[l.message]!;
      return `${label(m)} (frame ${m.frame} of ${names[from]}, ${m.src} → ${m.dst}, at +${seconds(m.timeUs - t0)})`;
    });
    if (list.length > 6) lines.push(`and ${list.length - 6} more`);
    const reasons: string[] = [];
    const refs = ['RFC 3261 §18'];
    let fix = 'Follow the path between the two capture points (NAT, firewall, routing) for these packets: something between them dropped them.';
    const dst = messages[list[0]!.message]!.dst;
    const src = messages[list[0]!.message]!.src;
    const mp = list.map((l) => (l.mapping === null ? null : alignment.natMappings[l.mapping]!)).find((x) => x && x.droppedMessage !== null) ?? null;
    if (isPrivateLike(dst.ip) && !isPrivateLike(src.ip)) {
      reasons.push(`It was addressed to ${endpointKey(dst)}, a private address, from the public side: nothing between the points routes it there; the host behind the NAT is reached only through its NAT's public address.`);
      refs.push('RFC 1918', 'RFC 3261 §12.2');
      fix = "Send it where the UA's requests come from (the NAT's public address and port): fix the Contact at the proxy (fix_nated_contact / NAT handling on the 2xx and in-dialog requests), or have the UA fill in its public address.";
    } else if (mp && mp.droppedAfterIdleUs !== null) {
      reasons.push(
        `It went to ${mp.outside}, the public side of the NAT mapping ${mp.inside} ↔ ${mp.outside}, which had carried its last message ${seconds(mp.droppedAfterIdleUs)} earlier (frame ${mp.lastFrame} of ${names[mp.capture]}). ` +
          `The mapping had survived idle gaps of up to ${seconds(mp.longestIdleUs)}; after ${seconds(mp.droppedAfterIdleUs)} of silence the NAT no longer forwarded to it, so its UDP timeout lies between those two figures.`,
      );
      refs.push('RFC 4787 §4.3', 'RFC 5626 §4.4.1');
      fix = `Keep the NAT mapping alive: the NAT forgot it somewhere between ${seconds(mp.longestIdleUs)} and ${seconds(mp.droppedAfterIdleUs)} of silence, so send keep-alives (CRLF per RFC 5626, or OPTIONS) or re-REGISTER well inside that (every 15–20 s is common practice), or raise the NAT's UDP timeout above the longest silence in a call.`;
    }
    out.push({
      kind: 'lost-between-captures',
      severity: 'error',
      callId: first.callId,
      frames: list.map((l) => report[l.message]!.frame),
      capture: from,
      title: `${counted.join(', ')} seen in ${names[from]} never reached ${names[to]}`,
      explanation:
        `${lines.join('; ')}: captured in ${names[from]}, but ${names[to]} — recording at that time and seeing these hosts — never saw ${list.length > 1 ? 'them' : 'it'}. ` +
        (reasons.length ? reasons.join(' ') : 'The packet was lost between the two capture points (a NAT without a mapping for it, a firewall, or the network).'),
      references: refs,
      fix,
    });
  }
  return out;
}

const ALG_HEADERS = new Set(['Via', 'Contact', 'Record-Route', 'Route', 'Content-Length', 'Request-URI', 'SDP o=', 'SDP c=', 'SDP m=']);

function algProven({ names, messages, report, alignment }: AlignmentFindingInput): Finding[] {
  const byCall = new Map<string, Alignment['rewrites']>();
  for (const r of alignment.rewrites) {
    if (!r.noSipHop || !ALG_HEADERS.has(r.header)) continue;
    const k = report[r.message]!.callId ?? '';
    const l = byCall.get(k) ?? [];
    l.push(r);
    byCall.set(k, l);
  }
  const out: Finding[] = [];
  for (const [callId, list] of byCall) {
    const headers = [...new Set(list.map((r) => r.header))];
    const shown = new Map<string, string>();
    for (const r of list) {
      const k = `${r.header}\u0000${r.before}\u0000${r.after}`;
      if (shown.has(k) || shown.size >= 8) continue;
      const m = report[r.message]!;
      const b = report[r.from]!;
      shown.set(k, `${r.header} of the ${label(m)}: "${r.before}" (frame ${b.frame} of ${names[messages[r.from]!.capture]}) became "${r.after}" (frame ${m.frame} of ${names[messages[r.message]!.capture]})`);
    }
    const after = [...new Set(list.map((r) => r.message))];
    const before = [...new Set(list.map((r) => r.from))];
    const capture = messages[after[0]!]!.capture;
    out.push({
      kind: 'sip-alg-suspected',
      severity: 'warning',
      callId: callId === '' ? null : callId,
      frames: after.filter((i) => messages[i]!.capture === capture).map((i) => report[i]!.frame),
      capture,
      alsoFrames: [...before, ...after.filter((i) => messages[i]!.capture !== capture)].map((i) => ({ capture: messages[i]!.capture, frame: report[i]!.frame })),
      title: `SIP rewritten between the capture points with no SIP hop between them (${headers.join(', ')}): an ALG, proven by both copies`,
      explanation:
        `${[...shown.values()].join('; ')}. Both copies carry the same Vias (same count, same top branch), so no proxy handled the message between the points: a device on the path (a router's SIP ALG, a firewall's SIP inspection) rewrote the SIP text. ` +
        'ALGs rewrite some headers and not others, and often leave the Via, the SDP or Content-Length inconsistent, which breaks NAT traversal the endpoints and the proxy already do.',
      references: ['RFC 3261 §18.2.1', 'RFC 5853 §3.3', 'RFC 6314 §3'],
      fix: 'Turn the SIP ALG off on the router or firewall (e.g. nf_conntrack_sip / "SIP ALG" / "SIP transformations") and let the proxy or SBC handle NAT (rport, Contact fix-up, media relay).',
    });
  }
  return out;
}

/**
 * Media lost between the points: an RTP stream one capture saw heading for the other point (that
 * capture saw SIP or media between the same hosts while it recorded) and the other never saw — the
 * one-way audio of a NAT proven from both sides. One finding per call and direction.
 */
export function mediaLostFindings(names: readonly string[], streams: readonly AlignStream[], report: readonly ReportRtpStream[], lost: MediaAlignment['lost']): Finding[] {
  const groups = new Map<string, MediaAlignment['lost']>();
  for (const l of lost) {
    const k = `${report[l.stream]?.callId ?? ''}\u0000${streams[l.stream]!.capture}\u0000${l.missingFrom}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  const out: Finding[] = [];
  for (const list of groups.values()) {
    const from = streams[list[0]!.stream]!.capture;
    const to = list[0]!.missingFrom;
    const described = list.map((l) => {
      const s = report[l.stream]!;
      return `RTP SSRC 0x${s.ssrc.toString(16).toUpperCase().padStart(8, '0')} ${s.src} → ${s.dst}, ${s.packets} packets (frames ${s.firstFrame}–${s.lastFrame} of ${names[from]})`;
    });
    const toPrivate = list.map((l) => streams[l.stream]!).filter((s) => isPrivateLike(s.dst.ip) && !isPrivateLike(s.src.ip));
    out.push({
      kind: 'lost-between-captures',
      severity: 'error',
      callId: report[list[0]!.stream]?.callId ?? null,
      frames: list.flatMap((l) => [report[l.stream]!.firstFrame, report[l.stream]!.lastFrame]).filter((f, i, a) => a.indexOf(f) === i),
      capture: from,
      title: `Media seen in ${names[from]} never reached ${names[to]}: ${list.length === 1 ? described[0]!.split(',')[0] : `${list.length} RTP streams`}`,
      explanation:
        `${described.join('; ')}: captured in ${names[from]}, but ${names[to]} — recording then, and seeing these hosts talk — has none of ${list.length === 1 ? 'it' : 'them'}: the audio in that direction was lost between the two points. ` +
        (toPrivate.length > 0
          ? `${toPrivate.length === list.length ? 'It was' : 'Some of it was'} sent to a private address (${toPrivate.map((s) => endpointKey(s.dst)).join(', ')}) from the public side: no NAT forwards that; the sender took the address from the SDP and did not latch onto where the other side's RTP came from.`
          : 'A NAT without a mapping for it, or a firewall, dropped it.'),
      references: ['RFC 3550 §8', 'RFC 4787 §4', 'RFC 7362 §3'],
      fix: 'Send media where the other side\'s RTP really comes from (symmetric RTP / latching, RFC 4961 and RFC 7362), relay it (rtpengine, an SBC), or fix the SDP address at the proxy; do not rely on a private SDP c= from behind a NAT.',
    });
  }
  return out;
}
