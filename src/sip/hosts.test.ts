/**
 * Host merging never erases a hop (src/sip/hosts.ts), on the public corpus: the IPv6 capture whose
 * proxy double-record-routes itself must keep the proxy and its callee as two columns, while the
 * merges whose addresses never talk to each other stay proposed, each with its reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { createColumns, proposedHosts } from '../view/hosts.ts';
import { buildHosts } from './hosts.ts';
import { flow, request } from './testing/flows.ts';
import type { CapturedMessage } from './types.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const load = async (f: string) => (await analyzeBytes(new Uint8Array(fs.readFileSync(path.join(PUBLIC, f))))).report;

describe('host merge proposals', () => {
  it('sngrep/ipv6frag.pcap: the proxy and its callee exchange SIP, so the double Record-Route guess is refused and both stay columns', async () => {
    const r = await load('sngrep/ipv6frag.pcap');
    const proxy = 'fd17:625c:f037:2:a00:27ff:feb9:3519';
    const callee = 'fd17:625c:f037:2:a00:27ff:feb9:4222';
    // They really talk to each other in this capture.
    expect(r.messages.some((m) => m.src.startsWith(`[${proxy}]`) && m.dst.startsWith(`[${callee}]`))).toBe(true);
    expect(r.hosts.some((h) => h.ips.includes(proxy) && h.ips.includes(callee))).toBe(false);
    expect(r.hostsRefused).toHaveLength(1);
    expect(r.hostsRefused?.[0]?.ips).toEqual([proxy, callee]);
    expect(r.hostsRefused?.[0]?.reason).toMatch(/double Record-Route.*Not merged: .* exchange SIP with each other \(frame \d+\), so they are two hops\./);
    // The ladder columns: caller, proxy, callee — three, none holding two addresses.
    const cols = createColumns({ groups: [], names: {}, order: [], splitPorts: [], detached: [] }, proposedHosts(r));
    for (const m of r.messages) {
      cols.columnOf(m.src);
      cols.columnOf(m.dst);
    }
    expect(cols.columns).toHaveLength(3);
    expect(cols.columns.every((c) => c.keys.length === 1)).toBe(true);
  });

  it('merges of addresses that never exchange SIP stay proposed with their reasons (FAX-Call, Eyebeam)', async () => {
    for (const f of ['ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap', 'snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap']) {
      const r = await load(f);
      expect(r.hosts.length).toBeGreaterThan(0);
      for (const h of r.hosts) {
        expect(h.reasons.length).toBeGreaterThan(0);
        const [a, b] = h.ips;
        const talk = r.messages.some((m) => (m.src.startsWith(`${a}:`) && m.dst.startsWith(`${b}:`)) || (m.src.startsWith(`${b}:`) && m.dst.startsWith(`${a}:`)));
        expect(talk).toBe(false);
      }
      // The merged column carries the model's reason (shown in the host header, undone by "Split merged host").
      const cols = createColumns({ groups: [], names: {}, order: [], splitPorts: [], detached: [] }, proposedHosts(r));
      for (const m of r.messages) cols.columnOf(m.src);
      const merged = cols.columns.filter((c) => c.keys.length > 1);
      expect(merged.length).toBeGreaterThan(0);
      expect(merged.every((c) => (c.mergeReasons?.length ?? 0) > 0)).toBe(true);
    }
  });
});

describe('host merging through a third address', () => {
  it('refuses a merge that would put two talking addresses in one column through a chain of merges (built flow)', () => {
    const P = '198.51.100.1:5060'; // proxy, record-routes itself twice (as .1 and .2)
    const X = '198.51.100.2:5060'; // the proxy's other address
    const Y = '192.0.2.50:5060'; // a UA that registers with P directly
    const Q = '203.0.113.50:5060';
    const B = '203.0.113.9:5060';
    const f = flow()
      .send(Y, P, 'udp', 0, request({ method: 'REGISTER', uri: 'sip:example.com', via: 'SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-r1', from: '<sip:y@example.com>;tag=y1', to: '<sip:y@example.com>', callId: 'reg-y', cseq: 1, contact: '<sip:y@192.0.2.50:5060>' }))
      .send(P, B, 'udp', 1, request({ method: 'INVITE', uri: 'sip:b@203.0.113.9', via: ['SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-p1', 'SIP/2.0/UDP 203.0.113.77:5060;branch=z9hG4bK-u1'], recordRoute: ['<sip:198.51.100.1;lr>', '<sip:198.51.100.2;lr>'], from: '<sip:u@example.com>;tag=u1', to: '<sip:b@example.com>', callId: 'inv-1', cseq: 1, contact: '<sip:u@203.0.113.77:5060>' }))
      // X sends a UA-style request advertising Y's address in its only Via: evidence "X and Y are one host".
      .send(X, Q, 'udp', 2, request({ method: 'OPTIONS', uri: 'sip:q@203.0.113.50', via: 'SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-o1', from: '<sip:x@example.com>;tag=x1', to: '<sip:q@example.com>', callId: 'opt-1', cseq: 1, contact: '<sip:x@192.0.2.50:5060>' }));
    const hosts = buildHosts(f.messages());
    // P and X never talk: merged (double Record-Route). X and Y would join Y to P's column, but Y talks to P.
    expect(hosts.proposals.map((p) => [...p.ips].sort())).toEqual([['198.51.100.1', '198.51.100.2']]);
    expect(hosts.refused).toHaveLength(1);
    expect(hosts.refused?.[0]?.ips).toEqual(['198.51.100.2', '192.0.2.50']);
    expect(hosts.refused?.[0]?.reason).toMatch(/Not merged: (198\.51\.100\.1 and 192\.0\.2\.50|192\.0\.2\.50 and 198\.51\.100\.1) exchange SIP with each other \(frame 1\)/);
  });
});

describe('a pair of addresses seen in every request', () => {
  it('a UA behind a NAT sending 400 requests: one proposal, its first 6 reasons and first 50 messages, as from every request', () => {
    const UA = '203.0.113.7:40000'; // the NAT's public side
    const S = '198.51.100.5:5060';
    // The capture also saw the UA's LAN side once, so its private address is a host too.
    let f = flow().send('192.168.1.7:5060', '192.168.1.1:5060', 'udp', 0, request({ method: 'OPTIONS', uri: 'sip:gw@192.168.1.1', via: 'SIP/2.0/UDP 192.168.1.7:5060;branch=z9hG4bK-lan', from: '<sip:u@example.com>;tag=u0', to: '<sip:gw@example.com>', callId: 'lan-0', cseq: 1 }));
    for (let k = 1; k <= 400; k++) {
      f = f.send(UA, S, 'udp', k * 2, request({ method: 'OPTIONS', uri: 'sip:s@198.51.100.5', via: `SIP/2.0/UDP 192.168.1.7:5060;branch=z9hG4bK-n${k}`, from: '<sip:u@example.com>;tag=u1', to: '<sip:s@example.com>', callId: `nat-${k}`, cseq: 1, contact: '<sip:u@192.168.1.7:5060>' }));
    }
    const all = f.messages();
    const hosts = buildHosts(all);
    const messages = all.slice(1);
    // The NATed UA's two addresses as one host: its public address and the private one it writes.
    expect(hosts.proposals).toHaveLength(1);
    const p = hosts.proposals[0]!;
    expect(p.kind).toBe('nat');
    expect([...p.ips].sort()).toEqual(['192.168.1.7', '203.0.113.7']);
    // What a proposal reads of its pairs: the first messages and sentences, in order.
    expect(p.evidence).toEqual(messages.slice(0, 50).map((m) => m.index));
    expect(p.reasons).toHaveLength(6);
    expect(p.reasons.map((r) => /\(frame (\d+)\)/.exec(r)?.[1])).toEqual(messages.slice(0, 6).map((m) => String(m.frame)));
    expect(p.reasons[0]).toBe(`A UA's OPTIONS came from 203.0.113.7 but its Via sent-by and Contact say 192.168.1.7 (frame ${messages[0]!.frame}): 192.168.1.7 is behind a NAT whose public address is 203.0.113.7.`);
  });
});

describe("a host's ports, agents and advertised addresses", () => {
  it('are each listed once, past the few a host usually has (ports sorted, agents and addresses in order of appearance)', () => {
    const S = '203.0.113.9:5060';
    let f = flow();
    // One client: 40 requests from 20 source ports (each twice), 20 User-Agents, 20 private Via sent-bys.
    for (let i = 0; i < 40; i++) {
      const k = i % 20;
      f = f.send(`192.0.2.7:${6000 + k}`, S, 'udp', i, request({ method: 'OPTIONS', uri: 'sip:203.0.113.9', via: `SIP/2.0/UDP 10.0.${k}.1:5060;branch=z9hG4bK-o${i}`, from: `<sip:c@example.com>;tag=t${i}`, to: '<sip:s@example.com>', callId: `o-${i}`, cseq: 1, headers: [`User-Agent: agent-${k}`] }));
    }
    const h = buildHosts(f.messages()).hosts.find((x) => x.ip === '192.0.2.7')!;
    expect(h.ports).toEqual(Array.from({ length: 20 }, (_, k) => 6000 + k));
    expect(h.agents).toEqual(Array.from({ length: 20 }, (_, k) => `agent-${k}`));
    expect(h.advertised.map((a) => `${a.where} ${a.address} ${a.firstIndex}`)).toEqual(Array.from({ length: 20 }, (_, k) => `via 10.0.${k}.1 ${k}`));
  });

  it('cost the same per message for 8× as many messages from one host, each from a new port (no scan of every port per message)', () => {
    const messages = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ index: i, frame: i + 1, timeUs: i, src: { ip: '192.0.2.1', port: 1024 + i }, dst: { ip: '192.0.2.2', port: 5060 }, sip: null }) as unknown as CapturedMessage);
    const time = (n: number): number => {
      const list = messages(n);
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const t0 = performance.now();
        const hosts = buildHosts(list).hosts;
        best = Math.min(best, performance.now() - t0);
        expect(hosts[0]?.ports).toHaveLength(n);
      }
      return best / n;
    };
    time(10_000); // warm-up: the first runs are not yet optimised
    const small = time(10_000);
    const big = time(80_000);
    // Scanning every port per message made this ~7× (40,000 messages: 0.6 s against 13 ms).
    expect(big / small).toBeLessThan(3);
  });
});
