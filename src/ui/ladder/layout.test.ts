/**
 * Ladder layout without a DOM: columns from hosts (per IP, merges, splits, renames, order), rows in
 * capture order, folding of retransmission chains, time modes, findings/ghost/lanes placement.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, ReportConnection, ReportMessage, ReportRtpStream } from '../../report/report.ts';
import { isoMicros } from '../../report/report.ts';
import { defaultViewState } from '../../state/view-state.ts';
import type { HostLayout } from '../../state/view-state.ts';
import { frameToY, isoToUs, layoutLadder, rowAtY, visibleRows } from './layout.ts';
import type { LayoutInput, MessageRow } from './layout.ts';
import { mergeHosts, moveHost, proposedHosts, renameHost, splitHost } from '../../view/hosts.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0) * 1000;
let nextIndex = 0;

function msg(p: Partial<ReportMessage> & { src: string; dst: string }): ReportMessage {
  const index = p.index ?? nextIndex++;
  const frame = p.frame ?? index + 1;
  const timeUs = p.timeUs ?? T0 + index * 1000;
  return {
    index,
    frame,
    firstFrame: frame,
    frames: [frame],
    time: isoMicros(timeUs),
    timeUs,
    transport: 'udp',
    connection: null,
    callId: 'call-1',
    cseq: '1 INVITE',
    retransmission: false,
    encapsulation: null,
    startLine: '',
    hasSdp: false,
    ...p,
  };
}

const A = '203.0.113.5:5060';
const A2 = '203.0.113.5:41000';
const B = '198.51.100.7:5060';
const C = '192.0.2.9:5060';
const V6 = '[2001:db8:0:0:0:0:0:1]:5060';

function basic(): ReportMessage[] {
  nextIndex = 0;
  return [
    msg({ src: A, dst: B, method: 'INVITE', hasSdp: true }),
    msg({ src: B, dst: A, status: 100, reason: 'Trying' }),
    msg({ src: B, dst: C, method: 'INVITE' }),
    msg({ src: C, dst: B, status: 200, reason: 'OK', hasSdp: true }),
    msg({ src: B, dst: A, status: 200, reason: 'OK' }),
    msg({ src: A2, dst: B, method: 'ACK', cseq: '1 ACK' }),
  ];
}

function input(messages: ReportMessage[], over: Partial<LayoutInput> = {}): LayoutInput {
  const v = defaultViewState();
  return { messages, callIds: ['call-1'], hosts: v.hosts, unfolded: [], timeMode: 'call', selectedMessage: null, ...over };
}

const hosts = (h: Partial<HostLayout>): HostLayout => ({ ...defaultViewState().hosts, ...h });

describe('columns from hosts', () => {
  it('makes one column per IP in order of first appearance, ports of one IP share a column', () => {
    const l = layoutLadder(input(basic()));
    expect(l.columns.map((c) => c.id)).toEqual(['203.0.113.5', '198.51.100.7', '192.0.2.9']);
    expect(l.columns[0]!.endpoints).toEqual([A, A2]);
    const xs = l.columns.map((c) => c.x);
    expect(xs[1]! - xs[0]!).toBe(l.metrics.colWidth);
    expect(xs[0]).toBe(l.metrics.timeWidth + l.metrics.colWidth / 2);
    const ack = l.rows.at(-1) as MessageRow;
    expect([ack.label, ack.from, ack.to]).toEqual(['ACK', 0, 1]);
  });

  it('splits an IP per port, merges two hosts, renames and reorders', () => {
    const base = layoutLadder(input(basic()));
    const split = layoutLadder(input(basic(), { hosts: splitHost(hosts({}), base.columns[0]!) }));
    expect(split.columns.map((c) => c.id)).toEqual([A, '198.51.100.7', '192.0.2.9', A2]);
    // split again on a port column joins the ports back
    const joined = splitHost(hosts({ splitPorts: ['203.0.113.5'] }), split.columns[0]!);
    expect(joined.splitPorts).toEqual([]);

    const merged = mergeHosts(hosts({}), base.columns[1]!, base.columns[2]!);
    const lm = layoutLadder(input(basic(), { hosts: renameHost(merged, '198.51.100.7', 'SBC') }));
    expect(lm.columns.map((c) => c.label)).toEqual(['203.0.113.5', 'SBC']);
    const inner = lm.rows[2] as MessageRow; // B → C inside the merged host: a self-arrow
    expect([inner.from, inner.to]).toEqual([1, 1]);
    // splitting the merged column undoes the merge
    const un = splitHost(merged, lm.columns[1]!);
    expect(layoutLadder(input(basic(), { hosts: un })).columns).toHaveLength(3);

    const moved = moveHost(hosts({}), base.columns.map((c) => c.id), '192.0.2.9', 0);
    const lo = layoutLadder(input(basic(), { hosts: moved }));
    expect(lo.columns.map((c) => c.id)).toEqual(['192.0.2.9', '203.0.113.5', '198.51.100.7']);
    const invite = lo.rows[0] as MessageRow;
    expect([invite.from, invite.to]).toEqual([1, 2]);
  });

  it('applies model proposals unless the user detached their addresses', () => {
    const props = proposedHosts({ calls: [], hosts: [{ name: 'proxy', addresses: ['198.51.100.7', '192.0.2.9'] }] });
    expect(props).toEqual([{ name: 'proxy', addresses: ['198.51.100.7', '192.0.2.9'] }]);
    const l = layoutLadder(input(basic(), { proposals: props }));
    expect(l.columns.map((c) => c.label)).toEqual(['203.0.113.5', 'proxy']);
    const detached = splitHost(hosts({}), l.columns[1]!);
    expect(layoutLadder(input(basic(), { proposals: props, hosts: detached })).columns).toHaveLength(3);
    expect(proposedHosts({ calls: [], hosts: 'nonsense' })).toEqual([]);
    // NAT proposals are not applied by default: a message to the private address must stay visible.
    expect(proposedHosts({ calls: [], hosts: [{ ips: ['192.168.1.10', '203.0.113.1'], kind: 'nat', reasons: [] }] })).toEqual([]);
    expect(proposedHosts({ calls: [], hosts: [{ ips: ['198.51.100.7', '10.0.0.7'], kind: 'multihomed-proxy', reasons: [] }] })).toHaveLength(1);
  });

  it('labels IPv6 hosts in their compressed form', () => {
    nextIndex = 0;
    const l = layoutLadder(input([msg({ src: V6, dst: B, method: 'OPTIONS' })]));
    expect(l.columns[0]!.label).toBe('2001:db8::1');
  });
});

describe('rows', () => {
  it('keeps capture order and labels methods and statuses', () => {
    const l = layoutLadder(input(basic()));
    expect(l.rows.map((r) => (r as MessageRow).label)).toEqual(['INVITE', '100 Trying', 'INVITE', '200 OK', '200 OK', 'ACK']);
    expect(l.rows.map((r) => r.y)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * l.metrics.rowHeight));
    expect(l.height).toBe(6 * l.metrics.rowHeight);
  });

  it('folds a retransmission chain into one row ×N and unfolds it on request', () => {
    nextIndex = 0;
    const ms = [
      msg({ src: A, dst: B, method: 'INVITE' }),
      msg({ src: A, dst: B, method: 'INVITE', retransmission: true, retransmissionOf: 0 }),
      msg({ src: A, dst: B, method: 'INVITE', retransmission: true, retransmissionOf: 0 }),
      msg({ src: B, dst: A, status: 408, reason: 'Request Timeout' }),
    ];
    const folded = layoutLadder(input(ms));
    expect(folded.rows).toHaveLength(2);
    const head = folded.rows[0] as MessageRow;
    expect([head.count, head.folded, head.hasChain]).toEqual([3, [1, 2], true]);
    expect(folded.rowOfMessage.get(2)).toBe(0);

    const open = layoutLadder(input(ms, { unfolded: [0] }));
    expect(open.rows).toHaveLength(4);
    expect(open.rows.map((r) => (r as MessageRow).isRetransmission)).toEqual([false, true, true, false]);
    expect((open.rows[0] as MessageRow).count).toBe(1);
  });

  it('finds the chain head from the contract flag alone when the model gives no retransmissionOf', () => {
    nextIndex = 0;
    const ms = [
      msg({ src: B, dst: A, status: 200, reason: 'OK' }),
      msg({ src: A, dst: B, method: 'ACK', cseq: '1 ACK' }),
      msg({ src: B, dst: A, status: 200, reason: 'OK', retransmission: true }),
    ];
    const l = layoutLadder(input(ms));
    expect(l.rows).toHaveLength(2);
    expect((l.rows[0] as MessageRow).count).toBe(2);
  });
});

describe('time modes', () => {
  nextIndex = 0;
  const ms = [
    msg({ src: A, dst: B, method: 'INVITE', timeUs: T0 }),
    msg({ src: B, dst: A, status: 180, reason: 'Ringing', timeUs: T0 + 250_000 }),
    msg({ src: B, dst: A, status: 200, reason: 'OK', timeUs: T0 + 2_250_001 }),
  ];
  it('absolute shows UTC time of day with µs', () => {
    expect(layoutLadder(input(ms, { timeMode: 'absolute' })).rows.map((r) => r.time)).toEqual(['12:00:00.000000', '12:00:00.250000', '12:00:02.250001']);
  });
  it('from call start, delta from previous, delta from selected', () => {
    expect(layoutLadder(input(ms, { timeMode: 'call' })).rows.map((r) => r.time)).toEqual(['+0.000000', '+0.250000', '+2.250001']);
    expect(layoutLadder(input(ms, { timeMode: 'delta' })).rows.map((r) => r.time)).toEqual(['+0.000000', '+0.250000', '+2.000001']);
    expect(layoutLadder(input(ms, { timeMode: 'selected', selectedMessage: ms[1]!.index })).rows.map((r) => r.time)).toEqual(['-0.250000', '+0.000000', '+2.000001']);
  });
  it('several calls share one time axis from the first message, not +0 per call', () => {
    nextIndex = 10;
    const two = [
      msg({ src: A, dst: B, method: 'INVITE', timeUs: T0 }),
      msg({ src: B, dst: A, status: 200, reason: 'OK', timeUs: T0 + 100_000 }),
      msg({ src: A, dst: C, method: 'INVITE', callId: 'call-2', timeUs: T0 + 1_500_000 }),
      msg({ src: C, dst: A, status: 200, reason: 'OK', callId: 'call-2', timeUs: T0 + 1_700_000 }),
    ];
    const l = layoutLadder(input(two, { callIds: ['call-1', 'call-2'], timeMode: 'call' }));
    expect(l.rows.map((r) => r.time)).toEqual(['+0.000000', '+0.100000', '+1.500000', '+1.700000']);
  });
  it('sizes columns to the longest label within bounds', () => {
    const short = layoutLadder(input(ms, { measure: (s) => s.length * 3 }));
    expect(short.metrics.colWidth).toBe(150);
    nextIndex = 20;
    const long = layoutLadder(input([msg({ src: A, dst: B, status: 503, reason: 'Service Unavailable because the upstream trunk said no' })], { measure: (s) => s.length * 7 }));
    expect(long.metrics.colWidth).toBe(250);
    expect((long.rows[0] as MessageRow).shown).toMatch(/^503 Service Unavailable.*…$/);
    // Narrower when the viewport is: two hosts share 500 px, the long label is cut shorter.
    const narrow = layoutLadder(input([long.rows[0]!.kind === 'message' ? (long.rows[0] as MessageRow).message : ms[0]!], { measure: (s) => s.length * 7, availableWidth: 500 }));
    expect(narrow.metrics.colWidth).toBe(Math.floor((500 - narrow.metrics.timeWidth - narrow.metrics.rightPad) / 2));
    const shown = (narrow.rows[0] as MessageRow).shown;
    expect(shown.endsWith('…')).toBe(true);
    expect(shown.length * 7).toBeLessThanOrEqual(narrow.metrics.colWidth - 80);
    expect((narrow.rows[0] as MessageRow).label).toBe('503 Service Unavailable because the upstream trunk said no');
  });
  it('parses ISO times with µs', () => {
    expect(isoToUs(isoMicros(T0 + 123_456))).toBe(T0 + 123_456);
  });
});

describe('overlays', () => {
  const finding = (p: Partial<Finding>): Finding => ({ kind: 'in-dialog-request-misrouted', severity: 'error', callId: 'call-1', frames: [], title: 't', explanation: 'e', references: [], fix: 'f', ...p });

  it('puts finding badges on the rows of their evidence frames and a ghost arrow, adding its host', () => {
    const ms = basic();
    const f = finding({ frames: [6], expected: { messageFrame: 6, from: A2, to: '192.0.2.9:5060', reason: 'Contact of the 200 OK' } });
    const other = finding({ callId: 'another-call', frames: [1] });
    const l = layoutLadder(input(ms, { findings: [f, other] }));
    const ack = l.rows[5] as MessageRow;
    expect(ack.findings).toEqual([0]);
    expect((l.rows[0] as MessageRow).findings).toEqual([]);
    expect(ack.ghost).toMatchObject({ from: 0, to: 2, label: 'should have gone to 192.0.2.9:5060' });
    expect(ack.height).toBe(l.metrics.rowHeight + l.metrics.ghostHeight);
    const off = layoutLadder(input(ms, { findings: [f], overlays: { findings: false, ghosts: false, connections: true, rtp: true } }));
    expect((off.rows[5] as MessageRow).ghost).toBeNull();
    expect((off.rows[5] as MessageRow).findings).toEqual([]);
    // Expected at another port of the very host the ACK went to: the ghost names the port.
    const samePort = finding({ frames: [6], expected: { messageFrame: 6, from: A2, to: '198.51.100.7:5080', reason: 'Contact' } });
    const same = layoutLadder(input(ms, { findings: [samePort] })).rows[5] as MessageRow;
    expect(same.ghost).toMatchObject({ to: same.to, label: 'should have gone to port 5080 (198.51.100.7:5080), not 5060' });
  });

  it('draws connection lanes right of the hosts with open/TLS/close events and problems', () => {
    nextIndex = 0;
    const ms = [msg({ src: A, dst: B, method: 'INVITE', transport: 'tls', connection: 7, frame: 10 }), msg({ src: B, dst: A, status: 200, reason: 'OK', transport: 'tls', connection: 7, frame: 20 })];
    const conn: ReportConnection = {
      id: 7, transport: 'tls', client: A, server: B, openedFrame: 5, closedFrame: 30, closedBy: 'rst',
      tls: { sni: null, version: 'TLS 1.2', handshake: 'complete', alert: null, offeredVersions: [], clientHelloFrame: 7, serverHelloFrame: 8, alertFrame: null },
      messageFrames: [10, 20], sawSyn: true, closedBySide: 'server', openedTime: ms[0]!.time, closedTime: ms[1]!.time,
      closeEvents: [{ frame: 30, flag: 'rst', side: 'server' }], gaps: [], lastFrame: 30,
    };
    const f = finding({ kind: 'connection-closed-mid-dialog', frames: [30], connections: [7] });
    const l = layoutLadder(input(ms, { connections: [conn], findings: [f] }));
    expect(l.lanes).toHaveLength(1);
    const lane = l.lanes[0]!;
    expect(lane.x).toBeGreaterThan(l.columns.at(-1)!.x);
    expect(lane.problems).toEqual(['closed under a live dialog']);
    expect(lane.events.map((e) => e.kind)).toEqual(['open', 'tls', 'message', 'message', 'close']);
    expect(lane.events.find((e) => e.kind === 'tls')!.label).toContain('no SNI');
    expect(lane.events.at(-1)!.bad).toBe(true);
    // frames before the first/after the last message sit half a row out
    expect(lane.y0).toBe(l.rows[0]!.y + l.metrics.rowHeight / 2 - l.metrics.rowHeight / 2);
    expect(l.width).toBeGreaterThan(lane.x);

    // "new connection mid-dialog" names the new and the old connection: only the new one is marked.
    const old: ReportConnection = { ...conn, id: 6, openedFrame: 1, closedFrame: null, closedBy: null, closeEvents: [], tls: null, messageFrames: [] };
    const mid = finding({ kind: 'new-connection-mid-dialog', severity: 'info', frames: [5, 10], connections: [6, 7] });
    const l2 = layoutLadder(input(ms, { connections: [old, conn], findings: [mid] }));
    expect(l2.lanes.map((x) => [x.id, x.problems])).toEqual([[6, []], [7, ['opened mid-dialog']]]);
  });

  it('adds RTP bands of the selected calls by time, with loss', () => {
    const ms = basic();
    const s: ReportRtpStream = {
      ssrc: 1, src: '203.0.113.5:4000', dst: '192.0.2.9:5004', payloadType: 0, packets: 1500, firstFrame: 7, lastFrame: 1600, lost: 3, callId: 'call-1',
      sourceChanges: [], kind: 'rtp', bytes: 1, firstTime: isoMicros(ms[4]!.timeUs + 10), lastTime: isoMicros(ms[5]!.timeUs + 5_000_000), sequenceGaps: 1, recognisedBy: 'sdp',
    };
    const l = layoutLadder(input(ms, { rtpStreams: [s, { ...s, callId: 'other' }] }));
    const rtp = l.rows.filter((r) => r.kind === 'rtp');
    expect(rtp).toHaveLength(1);
    expect(l.rows.indexOf(rtp[0]!)).toBe(5);
    expect(rtp[0]!.label).toBe('RTP PT 0 · 1,500 pkts · 3 lost');
    expect(rtp[0]!.kind === 'rtp' && rtp[0]!.bad).toBe(true);
  });
});

describe('geometry helpers', () => {
  it('maps frames to y by interpolation and y to rows by binary search', () => {
    const anchors: Array<[number, number]> = [[10, 17], [20, 51], [40, 85]];
    expect(frameToY(anchors, 10, 34)).toBe(17);
    expect(frameToY(anchors, 15, 34)).toBe(34);
    expect(frameToY(anchors, 30, 34)).toBe(68);
    expect(frameToY(anchors, 1, 34)).toBe(0);
    expect(frameToY(anchors, 99, 34)).toBe(102);
    const l = layoutLadder(input(basic()));
    expect(rowAtY(l.rows, 0)).toBe(0);
    expect(rowAtY(l.rows, 35)).toBe(1);
    expect(rowAtY(l.rows, 1e9)).toBe(5);
    expect(visibleRows(l.rows, 35, 70, 1)).toEqual([0, 4]);
  });
});

describe('several captures', () => {
  const LAN = '192.168.1.10:5060';
  const NAT = '203.0.113.1:4000';
  const finding = (p: Partial<Finding>): Finding => ({ kind: 'sip-alg-suspected', severity: 'warning', callId: 'call-1', frames: [], title: 't', explanation: '', references: [], fix: '', ...p });
  function twoPoints(): ReportMessage[] {
    nextIndex = 0;
    return [
      msg({ src: LAN, dst: B, method: 'INVITE', capture: 1, frame: 3 }),
      msg({ src: NAT, dst: B, method: 'INVITE', capture: 0, frame: 3 }),
      msg({ src: B, dst: C, method: 'INVITE', capture: 0, frame: 4 }),
    ];
  }
  const proposals = proposedHosts({ calls: [], hosts: [{ ips: ['192.168.1.10', '203.0.113.1'], kind: 'nat-aligned', reasons: ['both sides'], frames: [] }] } as never);

  it('a copy on the same columns (NAT inside and outside in one column) is one arrow with its crossings; a forwarded copy is its own', () => {
    const l = layoutLadder(input(twoPoints(), { proposals, copies: [[0, 1, 2]] }));
    const rows = l.rows.filter((r): r is MessageRow => r.kind === 'message');
    expect(rows.map((r) => r.index)).toEqual([0, 2]);
    expect(rows[0]!.crossings.map((c) => `${c.capture}:${c.frame}`)).toEqual(['1:3', '0:3']);
    expect(rows[1]!.crossings).toEqual([]);
    expect(l.rowOfMessage.get(1)).toBe(l.rows.indexOf(rows[0]!));
  });

  it('copies of a forwarded message fold into the first copy on their own columns, not into the original', () => {
    nextIndex = 0;
    const msgs = [
      msg({ src: C, dst: B, method: 'INVITE', capture: 0, frame: 7 }),
      msg({ src: B, dst: NAT, method: 'INVITE', capture: 0, frame: 9 }),
      msg({ src: B, dst: LAN, method: 'INVITE', capture: 1, frame: 3 }),
    ];
    const l = layoutLadder(input(msgs, { proposals, copies: [[0, 1, 2]] }));
    const rows = l.rows.filter((r): r is MessageRow => r.kind === 'message');
    expect(rows.map((r) => r.index)).toEqual([0, 1]);
    expect(rows[1]!.crossings.map((c) => c.index)).toEqual([1, 2]);
  });

  it('without the NAT column merged, both copies are drawn', () => {
    const l = layoutLadder(input(twoPoints(), { copies: [[0, 1, 2]] }));
    expect(l.rows.filter((r) => r.kind === 'message')).toHaveLength(3);
  });

  it("a finding's frames mark messages of its own capture only", () => {
    const l = layoutLadder(input(twoPoints(), { findings: [finding({ frames: [4], capture: 0 }), finding({ frames: [3], capture: 1 })] }));
    const byIndex = new Map(l.rows.filter((r): r is MessageRow => r.kind === 'message').map((r) => [r.index, r.findings]));
    expect(byIndex.get(0)).toEqual([1]); // capture 1 frame 3
    expect(byIndex.get(1)).toEqual([]); // capture 0 frame 3: no finding names it
    expect(byIndex.get(2)).toEqual([0]);
  });
});
