/**
 * One verdict per call: of the call's error/warning findings, the root cause first and the
 * symptoms it explains linked to it, in words ("BYE never delivered ← new connection mid-dialog ←
 * Contact without port").
 *
 * The links are the causal chains of the field notes (000–004): a Contact without port sends
 * in-dialog requests to a default port on a new connection (RFC 3261 §12.2.1.1, §18.2.2) whose TLS
 * handshake is reset, so the BYE is never delivered and the dialog never ends; a private Contact
 * or an over-eager NAT fix-up misroutes the ACK (§13.2.2.4) so the 2xx is retransmitted without
 * ACK; a Via without rport sends responses to the wrong port (RFC 3581) so the INVITE times out;
 * a private SDP address or an ALG rewrite leads to one-way audio. A finding with no callId (a TLS
 * handshake) joins the call whose findings name the same connection.
 *
 * Root cause: the finding that explains most of the others and is explained by none; ties go to
 * errors before warnings, then to the earliest evidence. Findings not linked to it are listed as
 * unrelated, never hidden.
 */

import type { Finding, ReportCall, ReportVerdict } from '../engine/report.ts';

/** cause kind → the kinds it can produce (field notes 000–004, RFC references above). */
const CAUSES: Record<string, readonly string[]> = {
  'contact-missing-port': ['new-connection-mid-dialog', 'in-dialog-request-misrouted', 'tls-handshake-failed'],
  'contact-private-address': ['ack-missing', 'in-dialog-request-misrouted', 'bye-not-delivered', 'new-connection-mid-dialog'],
  'excessive-nat-fixup': ['ack-missing', 'in-dialog-request-misrouted'],
  'in-dialog-request-misrouted': ['ack-missing', 'bye-not-delivered', 'new-connection-mid-dialog'],
  'new-connection-mid-dialog': ['tls-handshake-failed', 'bye-not-delivered'],
  'tls-handshake-failed': ['bye-not-delivered', 'registration-failed'],
  'connection-closed-mid-dialog': ['bye-not-delivered', 'new-connection-mid-dialog'],
  'bye-not-delivered': ['dialog-not-terminated'],
  'ack-missing': ['dialog-not-terminated'],
  'via-private-address': ['response-to-wrong-port', 'invite-timeout', 'registration-failed'],
  'via-missing-rport': ['response-to-wrong-port', 'invite-timeout', 'registration-failed'],
  'response-to-wrong-port': ['invite-timeout', 'registration-failed', 'cancel-unanswered'],
  'nat-binding-expired': ['bye-not-delivered', 'invite-timeout', 'registration-failed', 'in-dialog-request-misrouted'],
  'sip-alg-suspected': ['contact-private-address', 'sdp-private-address', 'rtp-one-way', 'rtp-to-unlatched-address', 'via-private-address'],
  'sdp-private-address': ['rtp-one-way', 'rtp-to-unlatched-address', 'media-stopped'],
  'rtp-to-unlatched-address': ['rtp-one-way', 'media-stopped'],
  'rtp-icmp-unreachable': ['rtp-source-changed', 'rtp-one-way'],
  'rtp-source-changed': ['rtp-one-way', 'media-stopped', 'rtp-to-unlatched-address'],
  'auth-failed': ['registration-failed'],
  'request-loop': ['invite-timeout', 'registration-failed'],
  'invite-timeout': ['cancel-unanswered'],
};

/** Short words per kind for the verdict line. */
const LABEL: Record<string, string> = {
  'via-private-address': 'private address in Via',
  'via-missing-rport': 'Via without rport',
  'response-to-wrong-port': 'responses sent to the wrong port',
  'contact-private-address': 'private address in Contact',
  'contact-missing-port': 'Contact without port',
  'in-dialog-request-misrouted': 'in-dialog request sent to the wrong place',
  'ack-missing': 'ACK never reached the callee',
  'excessive-nat-fixup': 'Contact rewritten to a proxy',
  'invite-timeout': 'INVITE timed out',
  'new-connection-mid-dialog': 'new connection opened mid-dialog',
  'tls-handshake-failed': 'TLS handshake failed',
  'connection-closed-mid-dialog': 'connection closed mid-dialog',
  'bye-not-delivered': 'BYE never delivered',
  'dialog-not-terminated': 'call never ended',
  'nat-binding-expired': 'NAT binding expired',
  'sip-alg-suspected': 'SIP ALG rewriting headers',
  'sdp-private-address': 'private address in SDP',
  'rtp-one-way': 'one-way audio',
  'rtp-source-changed': 'RTP source changed mid-call',
  'rtp-icmp-unreachable': 'ICMP port unreachable for RTP',
  'rtp-to-unlatched-address': 'RTP sent to the SDP address, not the latched one',
  'malformed-sip': 'malformed SIP',
  'registration-failed': 'registration failed',
  'request-loop': 'request loop',
  'auth-failed': 'authentication failed',
  'cancel-unanswered': 'CANCEL never answered',
  'media-stopped': 'media stopped mid-call',
  'lost-between-captures': 'message lost between capture points',
};

export function kindLabel(kind: string): string {
  return LABEL[kind] ?? kind;
}

/** Kinds reachable from `kind` through CAUSES (memoised; the graph is small and acyclic enough). */
const reachCache = new Map<string, Set<string>>();
function reach(kind: string): Set<string> {
  const hit = reachCache.get(kind);
  if (hit) return hit;
  const out = new Set<string>();
  const stack = [...(CAUSES[kind] ?? [])];
  while (stack.length > 0) {
    const k = stack.pop() as string;
    if (out.has(k) || k === kind) continue;
    out.add(k);
    for (const n of CAUSES[k] ?? []) stack.push(n);
  }
  reachCache.set(kind, out);
  return out;
}

function explains(a: Finding, b: Finding): boolean {
  return a.kind !== b.kind && reach(a.kind).has(b.kind);
}

const firstFrame = (f: Finding): number => (f.frames.length > 0 ? Math.min(...f.frames) : Infinity);

/** The verdict of one call over the given finding indices (error/warning only), or null. */
export function verdictFor(findings: readonly Finding[], indices: readonly number[]): ReportVerdict | null {
  const idx = indices.filter((i) => {
    const f = findings[i];
    return f !== undefined && (f.severity === 'error' || f.severity === 'warning');
  });
  if (idx.length === 0) return null;
  const get = (i: number): Finding => findings[i] as Finding;
  const explained = (i: number): boolean => idx.some((j) => j !== i && explains(get(j), get(i)));
  const score = (i: number): number => idx.filter((j) => j !== i && explains(get(i), get(j))).length;
  const candidates = idx.filter((i) => !explained(i));
  const pool = candidates.length > 0 ? candidates : idx;
  const root = [...pool].sort(
    (a, b) =>
      score(b) - score(a) ||
      (get(a).severity === 'error' ? 0 : 1) - (get(b).severity === 'error' ? 0 : 1) ||
      firstFrame(get(a)) - firstFrame(get(b)) ||
      a - b,
  )[0] as number;
  const rootFinding = get(root);
  const symptoms = idx.filter((i) => i !== root && explains(rootFinding, get(i)));
  // Nearest the root first: a symptom explained by fewer of the other symptoms is closer.
  const depth = (i: number): number => symptoms.filter((j) => j !== i && explains(get(j), get(i))).length;
  symptoms.sort((a, b) => depth(a) - depth(b) || firstFrame(get(a)) - firstFrame(get(b)) || a - b);
  const unrelated = idx.filter((i) => i !== root && !symptoms.includes(i));
  // Words: the farthest symptom first, back to the root cause ("BYE never delivered ← … ← Contact without port").
  const words: string[] = [];
  for (const i of [...symptoms].reverse()) {
    const w = kindLabel(get(i).kind);
    if (!words.includes(w)) words.push(w);
  }
  const rootWord = kindLabel(rootFinding.kind);
  if (!words.includes(rootWord)) words.push(rootWord);
  let text = words.join(' ← ');
  if (unrelated.length > 0) {
    const also: string[] = [];
    for (const i of unrelated) {
      const w = kindLabel(get(i).kind);
      if (!also.includes(w) && !words.includes(w)) also.push(w);
    }
    if (also.length > 0) text += `; also: ${also.join(', ')}`;
  }
  return { text, rootCause: root, symptoms, unrelated };
}

/**
 * Sets `verdict` on every report call from the report's findings (in place). A finding without a
 * callId joins each call whose own findings name one of its connections.
 */
export function attachVerdicts(calls: ReportCall[], findings: readonly Finding[]): void {
  const byCall = new Map<string, number[]>();
  /** Connection id → findings of no call that name it. */
  const orphans = new Map<number, number[]>();
  findings.forEach((f, i) => {
    if (f.callId === null) {
      for (const id of f.connections ?? []) {
        const list = orphans.get(id);
        if (list) list.push(i);
        else orphans.set(id, [i]);
      }
      return;
    }
    const list = byCall.get(f.callId);
    if (list) list.push(i);
    else byCall.set(f.callId, [i]);
  });
  for (const c of calls) {
    const own = byCall.get(c.callId);
    if (!own) {
      c.verdict = null;
      continue;
    }
    const joined = new Set(own);
    for (const i of own) for (const id of findings[i]?.connections ?? []) for (const j of orphans.get(id) ?? []) joined.add(j);
    c.verdict = verdictFor(findings, [...joined]);
  }
}
