/**
 * RTP/SDP detectors on captures built from bytes (Ethernet/IPv4/UDP, RTP fixed header, ICMP)
 * and run through the whole engine: sdp-private-address, rtp-one-way, rtp-to-unlatched-address,
 * rtp-source-changed, rtp-icmp-unreachable. Each has a failing call and its healthy twin.
 *
 * The call: a phone behind NAT (LAN 192.168.1.10, NAT 203.0.113.1) calls a media-capable peer
 * 203.0.113.20 through the proxy 203.0.113.10; the phone's SDP says c=192.168.1.10 m=audio 40082.
 */
import { describe, expect, it } from 'vitest';
import { Capture, alarms, sdpBody, sipMsg } from '../testing/capture.ts';

const PHONE_NAT = '203.0.113.1:5060';
const PROXY = '203.0.113.10:5060';
const PEER = '203.0.113.20:5060';
const CALL = 'media-1@192.168.1.10';

const hdr = (cseq: string, toTag: boolean) => [
  'From: <sip:alice@example.com>;tag=a1',
  `To: <sip:bob@example.com>${toTag ? ';tag=b1' : ''}`,
  `Call-ID: ${CALL}`,
  `CSeq: ${cseq}`,
];
const V_PHONE = 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKi1;rport=5060;received=203.0.113.1';
const V_PROXY = 'Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKp1';

const OFFER = sdpBody('192.168.1.10', 40082);
const ANSWER = sdpBody('203.0.113.20', 40080);

/** INVITE phone → proxy → peer. Returns the frame of the phone's INVITE. */
function invite(c: Capture): number {
  const f = c.udp(0, PHONE_NAT, PROXY, sipMsg(['INVITE sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKi1;rport', 'Max-Forwards: 70', ...hdr('1 INVITE', false), 'Contact: <sip:alice@203.0.113.1:5060>'], OFFER));
  c.udp(0.01, PROXY, PEER, sipMsg(['INVITE sip:bob@203.0.113.20:5060 SIP/2.0', V_PROXY, V_PHONE, 'Record-Route: <sip:203.0.113.10;lr>', 'Max-Forwards: 69', ...hdr('1 INVITE', false), 'Contact: <sip:alice@203.0.113.1:5060>'], OFFER));
  return f;
}

/** A response of the peer relayed to the phone (with the answer SDP); returns the peer's frame. */
function answer(c: Capture, at: number, status: string): number {
  const f = c.udp(at, PEER, PROXY, sipMsg([`SIP/2.0 ${status}`, V_PROXY, V_PHONE, 'Record-Route: <sip:203.0.113.10;lr>', ...hdr('1 INVITE', true), 'Contact: <sip:bob@203.0.113.20:5060>'], ANSWER));
  c.udp(at + 0.01, PROXY, PHONE_NAT, sipMsg([`SIP/2.0 ${status}`, V_PHONE, 'Record-Route: <sip:203.0.113.10;lr>', ...hdr('1 INVITE', true), 'Contact: <sip:bob@203.0.113.20:5060>'], ANSWER));
  return f;
}

function ack(c: Capture, at: number): void {
  c.udp(at, PHONE_NAT, PROXY, sipMsg(['ACK sip:bob@203.0.113.20:5060 SIP/2.0', 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKa1;rport', 'Route: <sip:203.0.113.10;lr>', 'Max-Forwards: 70', ...hdr('1 ACK', true)]));
  c.udp(at + 0.01, PROXY, PEER, sipMsg(['ACK sip:bob@203.0.113.20:5060 SIP/2.0', 'Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpa1', 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKa1;rport=5060;received=203.0.113.1', 'Max-Forwards: 69', ...hdr('1 ACK', true)]));
}

/** INVITE, 200 OK (at 0.5 s), ACK. */
function setup(c: Capture): { invite: number; ok: number } {
  const i = invite(c);
  const ok = answer(c, 0.5, '200 OK');
  ack(c, 0.52);
  return { invite: i, ok };
}

function bye(c: Capture, at: number): number {
  const f = c.udp(at, PHONE_NAT, PROXY, sipMsg(['BYE sip:bob@203.0.113.20:5060 SIP/2.0', 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKb1;rport', 'Route: <sip:203.0.113.10;lr>', 'Max-Forwards: 70', ...hdr('2 BYE', true)]));
  c.udp(at + 0.01, PROXY, PHONE_NAT, sipMsg(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKb1;rport=5060;received=203.0.113.1', ...hdr('2 BYE', true)]));
  return f;
}

describe('sdp-private-address and rtp-one-way', () => {
  it('flag the private c= and the media that never comes back (peer does not latch)', async () => {
    const c = new Capture();
    const { invite } = setup(c);
    const rtp = c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 300); // 6 s phone → peer, nothing back
    bye(c, 7.2);
    const a = await c.analyze();
    const sdp = a.report.findings.filter((f) => f.kind === 'sdp-private-address');
    expect(sdp).toHaveLength(1);
    expect(sdp[0]).toMatchObject({ severity: 'warning', callId: CALL });
    expect(sdp[0]!.frames).toContain(invite);
    expect(sdp[0]!.explanation).toContain('c=192.168.1.10');
    expect(sdp[0]!.explanation).toContain('192.168.1.10:40082');
    expect(sdp[0]!.explanation).toContain('203.0.113.1:5060');
    const oneWay = a.report.findings.filter((f) => f.kind === 'rtp-one-way');
    expect(oneWay).toHaveLength(1);
    expect(oneWay[0]).toMatchObject({ severity: 'error', callId: CALL });
    expect(oneWay[0]!.frames).toContain(rtp);
    expect(oneWay[0]!.explanation).toContain('203.0.113.1:40082 → 203.0.113.20:40080');
    expect(oneWay[0]!.explanation).toContain('300 packets');
  });

  it('stay quiet (info at most) when the peer latches onto the NAT address', async () => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 300);
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 300);
    bye(c, 7.2);
    const a = await c.analyze();
    expect(alarms(a.report.findings)).toEqual([]);
    const sdp = a.report.findings.filter((f) => f.kind === 'sdp-private-address');
    expect(sdp.map((f) => f.severity)).toEqual(['info']);
    expect(a.report.findings.filter((f) => f.kind === 'rtp-one-way')).toEqual([]);
  });
});

describe('sdp-private-address with media relayed or latched elsewhere', () => {
  it('is info when RTP flows both ways between public addresses (latched on the NAT\'s media address, not its signalling one)', async () => {
    const c = new Capture();
    setup(c);
    // The NAT maps the phone's media to a second public address (not its signalling one, 203.0.113.1);
    // the peer latches onto it, so RTP flows both ways between public addresses.
    c.rtp(1, '203.0.113.2:50000', '203.0.113.20:40080', 0x1111, 300);
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.2:50000', 0x2222, 300);
    bye(c, 7.2);
    const a = await c.analyze();
    expect(alarms(a.report.findings)).toEqual([]);
    const sdp = a.report.findings.filter((f) => f.kind === 'sdp-private-address');
    expect(sdp.map((f) => f.severity)).toEqual(['info']);
    expect(sdp[0]!.explanation).toContain('both ways between public addresses');
  });

  it('stays a warning when media goes one way only', async () => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.20:40080', '203.0.113.2:50000', 0x2222, 300);
    bye(c, 7.2);
    const a = await c.analyze();
    expect(a.report.findings.filter((f) => f.kind === 'sdp-private-address').map((f) => f.severity)).toEqual(['warning']);
  });
});

describe('rtp-to-unlatched-address', () => {
  it('is an error when the peer sends to the private SDP address while the phone\'s media comes from the NAT', async () => {
    const c = new Capture();
    const { invite } = setup(c);
    const fromPhone = c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 100);
    const toPrivate = c.rtp(1.01, '203.0.113.20:40080', '192.168.1.10:40082', 0x2222, 100);
    bye(c, 3.2);
    const f = await c.findings('rtp-to-unlatched-address');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', callId: CALL });
    expect(f[0]!.frames).toEqual(expect.arrayContaining([invite, fromPhone, toPrivate]));
    expect(f[0]!.explanation).toContain('192.168.1.10:40082');
    expect(f[0]!.explanation).toContain('203.0.113.1:40082');
  });

  it('stays silent when the peer sends back to where the media comes from', async () => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 100);
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 100);
    bye(c, 3.2);
    expect(await c.findings('rtp-to-unlatched-address')).toEqual([]);
  });
});

describe('rtp-source-changed', () => {
  it('reports the new NAT source port of the same SSRC', async () => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 3, 1);
    const change = c.rtp(1.06, '203.0.113.1:1024', '203.0.113.20:40080', 0x1111, 100, 4);
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 100);
    bye(c, 3.2);
    const f = await c.findings('rtp-source-changed');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', callId: CALL });
    expect(f[0]!.frames).toContain(change);
    expect(f[0]!.explanation).toContain('203.0.113.1:40082 → 203.0.113.1:1024');
  });

  it('stays silent for a stable source', async () => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 103);
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 100);
    bye(c, 3.2);
    expect(await c.findings('rtp-source-changed')).toEqual([]);
  });
});

describe('rtp-icmp-unreachable', () => {
  it('ties ICMP port unreachable to early RTP sent before the 200 OK', async () => {
    const c = new Capture();
    invite(c);
    answer(c, 0.1, '183 Session Progress'); // early answer: the phone now knows where to send
    // Early media toward the peer, which has not opened its port yet and refuses it.
    const early = c.rtp(0.2, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 3);
    const icmp = c.icmpPortUnreachable(0.25, '203.0.113.20', '203.0.113.1:40082', '203.0.113.20:40080');
    const ok = answer(c, 2, '200 OK');
    ack(c, 2.02);
    c.rtp(2.1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 50, 4);
    c.rtp(2.11, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 50);
    bye(c, 3.5);
    const a = await c.analyze();
    expect(a.report.icmp).toHaveLength(1);
    const f = a.report.findings.filter((x) => x.kind === 'rtp-icmp-unreachable');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', callId: CALL });
    expect(f[0]!.frames).toEqual(expect.arrayContaining([early, icmp, ok]));
    expect(f[0]!.title).toContain('before the 200 OK');
    expect(f[0]!.explanation).toContain('203.0.113.1:40082 to 203.0.113.20:40080');
  });

  it('ignores ICMP for RTP that trails the BYE', async () => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 50);
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 50);
    bye(c, 2.1);
    c.rtp(2.2, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 2, 51);
    c.icmpPortUnreachable(2.25, '203.0.113.20', '203.0.113.1:40082', '203.0.113.20:40080');
    const a = await c.analyze();
    expect(a.report.icmp).toHaveLength(1);
    expect(a.report.findings.filter((x) => x.kind === 'rtp-icmp-unreachable')).toEqual([]);
  });
});

describe('rtp-icmp-unreachable and the hang-up race', () => {
  const call = (icmpAt: number) => {
    const c = new Capture();
    setup(c);
    c.rtp(1, '203.0.113.1:40082', '203.0.113.20:40080', 0x1111, 750); // 15 s of two-way audio
    c.rtp(1.01, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 750);
    const icmp = c.icmpPortUnreachable(icmpAt, '203.0.113.20', '203.0.113.1:40082', '203.0.113.20:40080');
    bye(c, 16.05);
    return { c, icmp };
  };

  it('ICMP 40 ms before the BYE after 15 s of two-way audio is info only (the peer closed its port as it hung up)', async () => {
    const { c } = call(16.01);
    const a = await c.analyze();
    expect(a.report.icmp).toHaveLength(1);
    // Named, as info only: it explains the ICMP in the ladder without raising an alarm.
    expect(a.report.findings.filter((x) => x.kind === 'rtp-icmp-unreachable').map((x) => x.severity)).toEqual(['info']);
  });

  it('still reports ICMP in the middle of the call', async () => {
    const { c, icmp } = call(8);
    const f = (await c.analyze()).report.findings.filter((x) => x.kind === 'rtp-icmp-unreachable');
    expect(f).toHaveLength(1);
    expect(f[0]!.frames).toContain(icmp);
  });
});

describe('RTP seen on both sides of a NAT (capture on the router, as in the SIP ALG lab sample)', () => {
  /** Each phone packet twice: from the LAN address, then from the NAT's translated port. */
  const dual = (c: Capture, n: number): number => {
    let firstWan = 0;
    for (let i = 0; i < n; i++) {
      c.rtp(1 + i * 0.02, '192.168.1.10:40082', '203.0.113.20:40080', 0x1111, 1, i + 1);
      const f = c.rtp(1 + i * 0.02 + 0.0001, '203.0.113.1:29543', '203.0.113.20:40080', 0x1111, 1, i + 1);
      if (i === 0) firstWan = f;
    }
    return firstWan;
  };

  it('rtp-to-unlatched-address: the peer sends to the SDP port while the NAT uses another port', async () => {
    const c = new Capture();
    // The phone's SDP (as rewritten by an ALG) says 203.0.113.1:40082; the NAT sends from :29543.
    const offer = sdpBody('203.0.113.1', 40082);
    const inv = c.udp(0, PHONE_NAT, PROXY, sipMsg(['INVITE sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKd1;rport', 'Max-Forwards: 70', ...hdr('1 INVITE', false), 'Contact: <sip:alice@203.0.113.1:5060>'], offer));
    c.udp(0.5, PROXY, PHONE_NAT, sipMsg(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKd1;rport=5060;received=203.0.113.1', ...hdr('1 INVITE', true), 'Contact: <sip:bob@203.0.113.20:5060>'], sdpBody('203.0.113.20', 40080)));
    const toSdp = c.rtp(0.9, '203.0.113.20:40080', '203.0.113.1:40082', 0x2222, 60);
    const wan = dual(c, 60);
    const a = await c.analyze();
    const f = a.report.findings.filter((x) => x.kind === 'rtp-to-unlatched-address');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', callId: CALL });
    expect(f[0]!.frames).toEqual([inv, toSdp, wan]);
    expect(f[0]!.explanation).toContain('203.0.113.1:29543');
    expect(f[0]!.explanation).toContain('c=203.0.113.1, port 40082');
    // The flip-flop between the LAN and WAN copies is not a source change.
    expect(a.report.findings.filter((x) => x.kind === 'rtp-source-changed')).toEqual([]);
  });

  it('rtp-to-unlatched-address: media from another port of a public host without NAT is asymmetric RTP, not a fault', async () => {
    const c = new Capture();
    const offer = sdpBody('198.51.100.7', 40082);
    const inv = sipMsg(['INVITE sip:bob@203.0.113.20 SIP/2.0', 'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKe1;rport', 'Max-Forwards: 70', ...hdr('1 INVITE', false), 'Contact: <sip:alice@198.51.100.7:5060>'], offer);
    c.udp(0, '198.51.100.7:5060', PEER, inv);
    c.udp(0.5, PEER, '198.51.100.7:5060', sipMsg(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKe1;rport=5060', ...hdr('1 INVITE', true), 'Contact: <sip:bob@203.0.113.20:5060>'], sdpBody('203.0.113.20', 40080)));
    c.rtp(0.9, '203.0.113.20:40080', '198.51.100.7:40082', 0x2222, 60);
    c.rtp(0.91, '198.51.100.7:40090', '203.0.113.20:40080', 0x1111, 60);
    expect(await c.findings('rtp-to-unlatched-address')).toEqual([]);
  });
});
