/**
 * The ladder's columns: one per IP address that sent or received SIP (its ports merged), and
 * proposals to merge several addresses that are one node, with the reason in words. The evidence
 * is what a hop advertises about itself (RFC 3261 §18.2.1 Via sent-by, §16.6 Record-Route,
 * §8.1.1.8 Contact; RFC 5658 double Record-Route) against the addresses its packets really use:
 *
 * - forwarding: a request arrives at address A and leaves from address B with a new Via pushed on
 *   top of the one it arrived with (same branch) → A and B are two interfaces of one proxy;
 * - double Record-Route: a request from A carries adjacent Record-Route entries A and B;
 * - NAT: a UA's request (one Via) from public A whose Via sent-by and Contact say private B → B sits
 *   behind a NAT whose public side is A (merged only when B is itself a column, e.g. captured on both
 *   sides); when A is private too, one host with two addresses is the likelier reading.
 *
 * A merge never erases a hop: two addresses that exchange SIP with each other are two hops, so no
 * proposal joins them, directly or through a third address (a proxy and its callee once became one
 * column of self-loops because of a double Record-Route guess). Refused merges are kept, with the
 * reason, in `refused`. The model keeps the proposals, each with its reasons; the viewer lets the
 * user apply and undo them.
 */

import type { CapturedMessage, NameAddr } from './types.ts';
import { classifyAddress, isIpLiteral, isPrivateLike, normalizeHost, sameHost } from './addresses.ts';
import type { AddressClass } from './addresses.ts';
import { headerValue, sentByKey } from './modelutil.ts';
import { fit } from '../lib/lists.ts';

export interface Host {
  id: number;
  /** IP address (canonical text). */
  ip: string;
  ports: number[];
  addressClass: AddressClass;
  firstIndex: number;
  messageCount: number;
  /** User-Agent / Server values seen in messages it sent. */
  agents: string[];
  /** Other addresses this host advertised for itself (Via sent-by, Contact, Record-Route). */
  advertised: Array<{ address: string; where: 'via' | 'contact' | 'record-route'; firstIndex: number }>;
}

export interface MergeProposal {
  id: number;
  /** The IPs proposed as one node (each is a host column). */
  ips: string[];
  /** 'nat-aligned': inside and outside address of one NAT mapping, proven by two captures (applied by default). */
  kind: 'multihomed-proxy' | 'multihomed-host' | 'nat' | 'mixed' | 'nat-aligned';
  reasons: string[];
  /** Message indexes that show it. */
  evidence: number[];
}

export interface RefusedMerge {
  ips: string[];
  /** The evidence that suggested the merge, and why it was refused, in words. */
  reason: string;
}

export interface HostsModel {
  hosts: Host[];
  proposals: MergeProposal[];
  /** Merges the evidence suggested but the addresses exchange SIP with each other (two hops). */
  refused?: RefusedMerge[];
}

/** The last of these requests whose top Via has this sent-by. */
function lastWithSentBy(list: CapturedMessage | CapturedMessage[] | undefined, sentBy: string): CapturedMessage | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) {
    const v = list.sip?.via[0];
    return v && sentByKey(v) === sentBy ? list : undefined;
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const v = list[i]!.sip?.via[0];
    if (v && sentByKey(v) === sentBy) return list[i];
  }
  return undefined;
}

/** A Record-Route entry's host (its maddr where it has one), '' when its URI could not be read. */
function recordRouteHost(r: NameAddr): string {
  return r.uri ? normalizeHost(r.uri.params['maddr'] ?? r.uri.host) : '';
}

/** Past this many ports (or agents, or advertised addresses) a host's values are looked up in a Set. */
const FEW_VALUES = 16;
/**
 * How many times one pair of addresses (and kind of evidence) is kept. A proposal takes the first
 * 6 reasons and the first 50 messages of its pairs, in message order, and a message makes at most
 * three pairs, so the first 150 times of each pair are all any proposal can read: the later ones
 * (a UA behind a NAT says so in every request) were an array and two sentences per request, ~20 MB
 * made on the bench's sip-dense file and kept until the hosts were built. Union-find gives the same
 * groups without them: a pair seen again joins what it joined (or is refused) the first time.
 */
const PAIR_REPEATS = 150;

export function buildHosts(messages: CapturedMessage[]): HostsModel {
  const hosts: Host[] = [];
  const byIp = new Map<string, Host>();
  // A host's ports, agents and advertised addresses, each once: a scan of the list while it is
  // short (nearly always), a Set of keys per host once it is longer — a client whose every TCP
  // connection or request has a new source port has thousands, and scanning them per message
  // was quadratic (40,000 messages from one host: 0.6 s here, 80,000: ~2.4 s).
  const valueKeys = new Map<Host, Set<string | number>>();
  const firstTime = (h: Host, list: readonly unknown[], key: string | number, inList: () => boolean): boolean => {
    const keys = valueKeys.get(h);
    if (keys !== undefined) {
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    }
    if (list.length >= FEW_VALUES) {
      if (inList()) return false;
      valueKeys.set(h, new Set([...h.ports, ...h.agents.map((a) => `agent ${a}`), ...h.advertised.map((x) => `${x.where} ${x.address}`), key]));
      return true;
    }
    return !inList();
  };
  const hostFor = (ipRaw: string, port: number, index: number): Host => {
    const ip = normalizeHost(ipRaw);
    let h = byIp.get(ip);
    if (!h) {
      h = { id: hosts.length, ip, ports: [], addressClass: classifyAddress(ip), firstIndex: index, messageCount: 0, agents: [], advertised: [] };
      hosts.push(h);
      byIp.set(ip, h);
    }
    const ports = h.ports;
    if (firstTime(h, ports, port, () => ports.includes(port))) ports.push(port);
    return h;
  };
  const advertise = (h: Host, addr: string, where: 'via' | 'contact' | 'record-route', index: number): void => {
    const a = normalizeHost(addr);
    if (!isIpLiteral(a) || sameHost(a, h.ip)) return;
    const list = h.advertised;
    if (firstTime(h, list, `${where} ${a}`, () => list.some((x) => x.address === a && x.where === where))) list.push({ address: a, where, firstIndex: index });
  };
  // Evidence pairs: [ipA, ipB, kind, reason, index].
  const pairs: Array<[string, string, 'multihomed-proxy' | 'multihomed-host' | 'nat', string, number]> = [];
  // Request top Via branch → the message that carried it on top, or the messages when several did
  // (retransmissions, the same request seen on two hops); the sent-by is compared on lookup:
  // keying by the branch alone saves building a key string per message. Only the branches some
  // request carries as its second Via are ever looked up: only those are kept (a capture taken
  // between user agents has none, and kept a map entry per request for nothing).
  const forwarded = new Set<string>();
  for (let k = 0; k < messages.length; k++) {
    const m = messages[k]!.sip;
    const b = m?.kind === 'request' ? m.via[1]?.branch : undefined;
    if (b) forwarded.add(b);
  }
  // How many times each pair (its two addresses and kind) has been noted: past PAIR_REPEATS the
  // rest are not made (below).
  const pairRepeats = new Map<string, number>();
  const notePair = (a: string, b: string, kind: 'multihomed-proxy' | 'multihomed-host' | 'nat'): boolean => {
    const key = `${a} ${b} ${kind}`;
    const n = pairRepeats.get(key) ?? 0;
    if (n >= PAIR_REPEATS) return false;
    pairRepeats.set(key, n + 1);
    return true;
  };
  const topVia = new Map<string, CapturedMessage | CapturedMessage[]>();
  // Which host pairs exchange SIP directly (host ids, low·high), with the first frame that shows it.
  const talks = new Map<number, number>();
  // Indexed: this runs once, mostly unoptimised, where `for…of` allocates per step (model.ts).
  for (let k = 0; k < messages.length; k++) {
    const c = messages[k]!;
    const s = hostFor(c.src.ip, c.src.port, c.index);
    s.messageCount++;
    const d = hostFor(c.dst.ip, c.dst.port, c.index);
    d.messageCount++;
    if (s !== d) {
      const key = s.id < d.id ? s.id * 0x100000 + d.id : d.id * 0x100000 + s.id;
      if (!talks.has(key)) talks.set(key, c.frame);
    }
    const m = c.sip;
    if (!m) continue;
    const agent = m.agent !== undefined ? m.agent : (headerValue(m, m.kind === 'request' ? 'User-Agent' : 'Server') ?? headerValue(m, 'User-Agent'));
    if (agent && firstTime(s, s.agents, `agent ${agent}`, () => s.agents.includes(agent))) s.agents.push(agent);
    if (m.kind !== 'request') continue;
    const v0 = m.via[0];
    if (v0) {
      advertise(s, v0.host, 'via', c.index);
      if (v0.branch && forwarded.has(v0.branch)) {
        const seen = topVia.get(v0.branch);
        if (seen === undefined) topVia.set(v0.branch, c);
        else if (Array.isArray(seen)) seen.push(c);
        else topVia.set(v0.branch, [seen, c]);
      }
    }
    if (m.via.length === 1) for (const ct of m.contact) if (ct.uri) advertise(s, ct.uri.host, 'contact', c.index);
    // The sender's address as the pairs write it (its host's: normalised once).
    const srcHost = s.ip;
    // Forwarding: our second Via was the top Via of a request that arrived somewhere else.
    const v1 = m.via[1];
    if (v1?.branch) {
      const prev = lastWithSentBy(topVia.get(v1.branch), sentByKey(v1));
      const prevHost = prev ? normalizeHost(prev.dst.ip) : '';
      if (prev && !sameHost(prev.dst.ip, c.src.ip) && c.timeUs - prev.timeUs < 10_000_000 && notePair(prevHost, srcHost, 'multihomed-proxy')) {
        pairs.push([
          prevHost,
          srcHost,
          'multihomed-proxy',
          `${prev.dst.ip} received ${m.method} (frame ${prev.frame}) and forwarded it from ${c.src.ip} (frame ${c.frame}), pushing its own Via over the one it received: one proxy with two interfaces.`,
          c.index,
        ]);
      }
    }
    // Double Record-Route (RFC 5658): the sender's own entry on top and, right below it, an
    // address that is no other hop's Via sent-by (else it is the previous proxy's entry).
    const top = m.recordRoute.length > 0 ? recordRouteHost(m.recordRoute[0]!) : '';
    const below = m.recordRoute.length > 1 ? recordRouteHost(m.recordRoute[1]!) : '';
    if (top !== '' && sameHost(top, c.src.ip) && below && isIpLiteral(below) && !sameHost(below, c.src.ip) && !m.via.some((v) => sameHost(v.host, below))) {
      advertise(s, below, 'record-route', c.index);
      if (notePair(srcHost, below, 'multihomed-proxy')) pairs.push([srcHost, below, 'multihomed-proxy', `${c.src.ip} record-routes itself twice, as ${top} and ${below} (double Record-Route, RFC 5658, frame ${c.frame}): one proxy bridging two interfaces.`, c.index]);
    }
    // NAT: a UA's own request from A says B in Via sent-by (and Contact). When A is itself a
    // private address it is more likely one host with two addresses than a NAT.
    const viaHost = v0 && m.via.length === 1 && isIpLiteral(v0.host) && !sameHost(v0.host, c.src.ip) ? normalizeHost(v0.host) : null;
    const natLike = viaHost !== null && isPrivateLike(viaHost) && !isPrivateLike(c.src.ip);
    if (v0 && viaHost !== null && notePair(srcHost, viaHost, natLike ? 'nat' : 'multihomed-host')) {
      const ctHosts = m.contact.map((x) => x.uri?.host ?? '');
      const confirms = ctHosts.some((h) => sameHost(h, viaHost));
      const said = `A UA's ${m.method} came from ${c.src.ip} but its Via sent-by${confirms ? ' and Contact say' : ' says'} ${v0.host} (frame ${c.frame})`;
      pairs.push([
        srcHost,
        viaHost,
        natLike ? 'nat' : 'multihomed-host',
        natLike
          ? `${said}: ${v0.host} is behind a NAT whose public address is ${c.src.ip}.`
          : `${said}: one host with two addresses (it sends from one and advertises the other), or a NAT between them.`,
        c.index,
      ]);
    }
  }
  // Union the pairs whose both ends are columns; one proposal per group.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r) as string;
    // Path compression: later finds on this chain take one step.
    for (let y = x; y !== r; ) {
      const next = parent.get(y) as string;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  const usable = pairs.filter(([a, b]) => byIp.has(a) && byIp.has(b) && a !== b);
  // Who talks to whom (by IP, with the first frame), to refuse merging two hops: for the addresses
  // some pair would merge only (a map per address of an SBC's trace, 20,000 customers, was ~5 MB of
  // garbage on the bench's sip-dense file, which has no pair at all).
  const inPairs = new Set<string>();
  for (const [a, b] of usable) inPairs.add(a).add(b);
  const ipOf: string[] = hosts.map((h) => h.ip);
  const adjacency = new Map<string, Map<string, number>>();
  if (inPairs.size > 0) {
    for (const [key, frame] of talks) {
      const x = ipOf[Math.floor(key / 0x100000)] as string;
      const y = ipOf[key % 0x100000] as string;
      for (const [p, q] of [[x, y], [y, x]] as const) {
        if (!inPairs.has(p)) continue;
        let m = adjacency.get(p);
        if (!m) adjacency.set(p, (m = new Map()));
        if (!m.has(q)) m.set(q, frame);
      }
    }
  }
  // Per group root: its members, and every address a member talks to (→ that member, frame).
  // Groups merge smaller into larger, so each check and merge costs the smaller group's size.
  const members = new Map<string, string[]>();
  const partners = new Map<string, Map<string, [string, number]>>();
  const init = (ip: string): void => {
    if (parent.has(ip)) return;
    parent.set(ip, ip);
    members.set(ip, [ip]);
    const p = new Map<string, [string, number]>();
    for (const [q, f] of adjacency.get(ip) ?? []) p.set(q, [ip, f]);
    partners.set(ip, p);
  };
  const refused: RefusedMerge[] = [];
  const merged: typeof usable = [];
  for (const pair of usable) {
    const [a, b, , reason] = pair;
    init(a);
    init(b);
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) {
      merged.push(pair);
      continue;
    }
    // Never one column for two addresses that send SIP to each other (checked across both groups:
    // the smaller group's members against the other group's partners; talking is symmetric).
    const ma = members.get(ra) as string[];
    const mb = members.get(rb) as string[];
    const pa = partners.get(ra) as Map<string, [string, number]>;
    const pb = partners.get(rb) as Map<string, [string, number]>;
    const [few, theirs] = ma.length <= mb.length ? [ma, pb] : [mb, pa];
    let hop: [string, string, number] | null = null;
    for (const x of few) {
      const hit = theirs.get(x);
      if (hit) {
        hop = [hit[0], x, hit[1]];
        break;
      }
    }
    if (hop) {
      if (refused.length < 20 && !refused.some((r) => r.ips.includes(a) && r.ips.includes(b))) {
        refused.push({ ips: [a, b], reason: `${reason} Not merged: ${hop[0]} and ${hop[1]} exchange SIP with each other (frame ${hop[2]}), so they are two hops.` });
      }
      continue;
    }
    // Small into large, members and partners each: the root keeps the larger partner map.
    const [root, other] = pa.size >= pb.size ? [ra, rb] : [rb, ra];
    const keep = partners.get(root) as Map<string, [string, number]>;
    for (const [q, v] of partners.get(other) ?? []) if (!keep.has(q)) keep.set(q, v);
    const [longer, shorter] = ma.length >= mb.length ? [ma, mb] : [mb, ma];
    for (const x of shorter) longer.push(x);
    parent.set(other, root);
    members.set(root, longer);
    members.delete(other);
    partners.delete(other);
    merged.push(pair);
  }
  const groups = new Map<string, MergeProposal>();
  for (const [a, b, kind, reason, index] of merged) {
    const root = find(a);
    let p = groups.get(root);
    if (!p) {
      p = { id: 0, ips: [], kind, reasons: [], evidence: [] };
      groups.set(root, p);
    }
    for (const ip of [a, b]) if (!p.ips.includes(ip)) p.ips.push(ip);
    if (p.kind !== kind) p.kind = 'mixed';
    if (p.reasons.length < 6 && !p.reasons.includes(reason)) p.reasons.push(reason);
    if (!p.evidence.includes(index) && p.evidence.length < 50) p.evidence.push(index);
  }
  const proposals = [...groups.values()].map((p, i) => {
    p.id = i;
    p.ips.sort((x, y) => (byIp.get(x)?.id ?? 0) - (byIp.get(y)?.id ?? 0));
    return p;
  });
  for (const h of hosts) {
    // At their length (lib/lists.ts): an SBC's trace has a host per customer address.
    h.ports = fit(h.ports.sort((a, b) => a - b));
    h.agents = fit(h.agents);
    h.advertised = fit(h.advertised);
  }
  return { hosts, proposals, refused };
}
