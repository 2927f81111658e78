/**
 * One verdict per call (REPORT.md `calls[].verdict`): of the call's error and warning findings,
 * the root cause first and the symptoms it explains, e.g. "BYE never delivered ← new TLS
 * connection reset before ServerHello ← Contact without port".
 *
 * Findings are ranked by where their kind sits in the chain of cause and effect the field notes
 * describe: what a header says (a private or port-less Contact, a Via without rport, an
 * over-eager NAT fix-up or ALG) causes what the network does with it (a response or in-dialog
 * request sent elsewhere, a new connection, a reset, an expired binding), which causes what the
 * user sees (no ACK, no final response, a BYE that never arrives, one-way audio). Within a level,
 * errors come before warnings, then the earliest evidence. Info findings are not part of it.
 * Signalling and media are separate chains (a private SDP address does not explain a BYE that
 * timed out): the verdict follows the chain of the call's worst symptom, and lists the other
 * chain's findings after it.
 */
import type { Finding, FindingKind } from '../report/report.ts';

/** 0: in the headers (root causes); 1: what the network or a hop did; 2: what the user saw. */
const LEVEL: Partial<Record<FindingKind, number>> = {
  'contact-private-address': 0,
  'contact-missing-port': 0,
  'via-private-address': 0,
  'via-missing-rport': 0,
  'excessive-nat-fixup': 0,
  'sip-alg-suspected': 0,
  'sdp-private-address': 0,
  'malformed-sip': 0,
  'auth-failed': 0,
  'response-to-wrong-port': 1,
  'in-dialog-request-misrouted': 1,
  'new-connection-mid-dialog': 1,
  'tls-handshake-failed': 1,
  'connection-closed-mid-dialog': 1,
  'nat-binding-expired': 1,
  'rtp-to-unlatched-address': 1,
  'rtp-icmp-unreachable': 1,
  'rtp-source-changed': 1,
  'request-loop': 1,
  'lost-between-captures': 1,
};
const levelOf = (k: string): number => LEVEL[k as FindingKind] ?? 2;
const MEDIA: ReadonlySet<string> = new Set(['sdp-private-address', 'rtp-one-way', 'rtp-source-changed', 'rtp-icmp-unreachable', 'rtp-to-unlatched-address', 'media-stopped']);
const SEVERITY = { error: 0, warning: 1, info: 2 } as const;

export interface Verdict {
  /** Symptom first, then each cause back to the root: "A ← B ← C". */
  text: string;
  /** Index (in the report's findings) of the root cause. */
  rootCause: number;
  /** Indices of the other findings it explains, nearest the root first. */
  symptoms: number[];
}

/** The verdict of every call with error/warning findings, by Call-ID. */
export function verdicts(findings: readonly Finding[]): Map<string, Verdict> {
  const byCall = new Map<string, number[]>();
  findings.forEach((f, i) => {
    if (f.callId === null || f.severity === 'info') return;
    let list = byCall.get(f.callId);
    if (!list) byCall.set(f.callId, (list = []));
    list.push(i);
  });
  const out = new Map<string, Verdict>();
  for (const [callId, idx] of byCall) {
    const order = (a: number, b: number) => {
      const fa = findings[a]!;
      const fb = findings[b]!;
      return levelOf(fa.kind) - levelOf(fb.kind) || SEVERITY[fa.severity] - SEVERITY[fb.severity] || (fa.frames[0] ?? 0) - (fb.frames[0] ?? 0);
    };
    // The worst symptom (highest level, then severity) decides which chain the verdict follows.
    const worst = [...idx].sort((a, b) => levelOf(findings[b]!.kind) - levelOf(findings[a]!.kind) || SEVERITY[findings[a]!.severity] - SEVERITY[findings[b]!.severity] || a - b)[0]!;
    const mediaChain = MEDIA.has(findings[worst]!.kind);
    const chain = idx.filter((i) => MEDIA.has(findings[i]!.kind) === mediaChain).sort(order);
    const rest = idx.filter((i) => MEDIA.has(findings[i]!.kind) !== mediaChain).sort(order);
    // One title per kind in the chain (several findings of a kind are one link): the first of
    // each kind in chain order, so that the root's link is the root cause itself; written from
    // the worst symptom back to the root.
    const titles: string[] = [];
    const seen = new Set<string>();
    for (const i of chain) {
      const f = findings[i]!;
      if (seen.has(f.kind)) continue;
      seen.add(f.kind);
      titles.push(f.title);
    }
    out.set(callId, { text: titles.reverse().join(' ← '), rootCause: chain[0]!, symptoms: [...chain.slice(1), ...rest] });
  }
  return out;
}
