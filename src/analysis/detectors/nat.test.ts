import { describe, expect, it } from 'vitest';
import { FlowBuilder, natRequest, natRequestOk } from '../lib/testing.ts';
import { detectAckMissing } from './ack-missing.ts';
import { detectResponseToWrongPort } from './response-to-wrong-port.ts';
import { detectViaMissingRport } from './via-missing-rport.ts';
import { detectContactPrivateAddress } from './contact-private-address.ts';

const CALLER = '198.51.100.7:5060';
const PROXY = '203.0.113.10:5060';
const NAT = '203.0.113.1:40112';

/** A call from a public caller through a record-routing proxy to a callee behind NAT. */
function call(fixedContact: boolean): FlowBuilder {
  const f = new FlowBuilder();
  const contact = fixedContact ? 'sip:bob@203.0.113.1:40112' : 'sip:bob@192.168.1.20:5060';
  const inv = (via: string[]) => [
    'INVITE sip:bob@203.0.113.1:40112 SIP/2.0', ...via.map((v) => `Via: ${v}`), 'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>', 'Call-ID: c1', 'CSeq: 1 INVITE', 'Contact: <sip:alice@198.51.100.7:5060>',
  ];
  f.add(0, CALLER, PROXY, inv(['SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKc1;rport']));
  f.add(0.01, PROXY, NAT, ['Record-Route: <sip:203.0.113.10;lr>', ...inv(['SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKp1', 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKc1;rport=5060;received=198.51.100.7'])]);
  const ok = (t: number, src: string, dst: string, vias: string[], c: string) =>
    f.add(t, src, dst, ['SIP/2.0 200 OK', ...vias.map((v) => `Via: ${v}`), 'Record-Route: <sip:203.0.113.10;lr>', 'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>;tag=b1', 'Call-ID: c1', 'CSeq: 1 INVITE', `Contact: <${c}>`]);
  const ack = (t: number, src: string, dst: string, vias: string[], route: boolean, ruri: string) =>
    f.add(t, src, dst, [`ACK ${ruri} SIP/2.0`, ...vias.map((v) => `Via: ${v}`), ...(route ? ['Route: <sip:203.0.113.10;lr>'] : []), 'Max-Forwards: 70', 'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>;tag=b1', 'Call-ID: c1', 'CSeq: 1 ACK']);
  const times = fixedContact ? [1] : [1, 1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5];
  for (const t of times) {
    ok(t, NAT, PROXY, ['SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKp1', 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKc1;rport=5060;received=198.51.100.7'], 'sip:bob@192.168.1.20:5060');
    ok(t + 0.01, PROXY, CALLER, ['SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKc1;rport=5060;received=198.51.100.7'], contact);
    ack(t + 0.02, CALLER, PROXY, ['SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa' + t], true, contact);
    const next = fixedContact ? NAT : '192.168.1.20:5060';
    ack(t + 0.03, PROXY, next, ['SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpa' + t, 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa' + t], false, contact);
  }
  return f;
}

describe('ack-missing', () => {
  it('reports the 2xx retransmissions when the proxy sends the ACK to the private Contact', () => {
    const f = call(false).run(detectAckMissing);
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.callId).toBe('c1');
    expect(f[0]!.explanation).toContain('192.168.1.20:5060');
    expect(f[0]!.expected).toMatchObject({ from: PROXY, to: NAT });
    expect(f[0]!.frames.length).toBeGreaterThanOrEqual(22);
  });
  it('stays silent when the Contact was fixed and the ACK reached the NAT address', () => {
    expect(call(true).run(detectAckMissing)).toEqual([]);
  });
});

describe('contact-private-address', () => {
  it('is an error when requests went to the private Contact', () => {
    const f = call(false).run(detectContactPrivateAddress);
    expect(f.map((x) => x.severity)).toEqual(['error']);
    expect(f[0]!.callId).toBe('c1');
    // The callee's 200 OK (frame 3) and the ACK the proxy sent to the private address (frame 6).
    expect(f[0]!.frames).toEqual(expect.arrayContaining([3, 6]));
    expect(f[0]!.explanation).toContain('<sip:bob@192.168.1.20:5060>');
    expect(f[0]!.explanation).toContain(NAT);
  });
  it('is at most information when the proxy fixed the Contact it forwarded', () => {
    const f = call(true).run(detectContactPrivateAddress);
    expect(f.filter((x) => x.severity !== 'info')).toEqual([]);
  });
});

describe('contact-private-address: phones behind different NATs with the same private address', () => {
  // Alice behind 203.0.113.1 and Bob behind 203.0.113.2 both registered sip:…@192.168.1.20; the
  // registrar then sent an INVITE for Bob to the private address as is (lost).
  const build = () => {
    const f = new FlowBuilder();
    for (const [user, nat, cid] of [['alice', '203.0.113.1:40112', 'ra'], ['bob', '203.0.113.2:40200', 'rb']] as const) {
      const via = `SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK${cid};rport`;
      const hdrs = [`From: <sip:${user}@example.com>;tag=${cid}`, `To: <sip:${user}@example.com>`, `Call-ID: ${cid}`, 'CSeq: 1 REGISTER'];
      f.add(0, nat, PROXY, ['REGISTER sip:example.com SIP/2.0', `Via: ${via}`, 'Max-Forwards: 70', ...hdrs, `Contact: <sip:${user}@192.168.1.20:5060>`]);
      f.add(0.01, PROXY, nat, ['SIP/2.0 200 OK', `Via: ${via};received=${nat.split(':')[0]};rport=${nat.split(':')[1]}`, ...hdrs.map((h) => (h.startsWith('To') ? `${h};tag=x` : h)), `Contact: <sip:${user}@192.168.1.20:5060>;expires=3600`]);
    }
    f.add(5, PROXY, '192.168.1.20:5060', ['INVITE sip:bob@192.168.1.20:5060 SIP/2.0', 'Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKinv', 'Max-Forwards: 70', 'From: <sip:carol@example.com>;tag=c1', 'To: <sip:bob@example.com>', 'Call-ID: inv1', 'CSeq: 1 INVITE', 'Contact: <sip:carol@198.51.100.7:5060>']);
    return f;
  };

  it('blames the INVITE on the registration it was meant for, not on every phone with that address', () => {
    const out = build().run(detectContactPrivateAddress);
    const bob = out.find((x) => x.callId === 'rb')!;
    const alice = out.find((x) => x.callId === 'ra')!;
    expect(bob.severity).toBe('error');
    expect(bob.frames).toContain(5);
    expect(alice.severity).not.toBe('error');
    expect(alice.frames).not.toContain(5);
  });
});

function register(rport: boolean, answerTo: string): FlowBuilder {
  const f = new FlowBuilder();
  const via = `SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKr1${rport ? ';rport' : ''}`;
  const hdrs = ['From: <sip:bob@example.com>;tag=r1', 'To: <sip:bob@example.com>', 'Call-ID: r1', 'CSeq: 1 REGISTER'];
  f.add(0, NAT, PROXY, ['REGISTER sip:example.com SIP/2.0', `Via: ${via}`, 'Max-Forwards: 70', ...hdrs, 'Contact: <sip:bob@192.168.1.20:5060>']);
  f.add(0.01, PROXY, answerTo, ['SIP/2.0 200 OK', `Via: ${via};received=203.0.113.1${rport ? ';rport=40112' : ''}`, ...hdrs.map((h) => (h.startsWith('To') ? `${h};tag=x` : h))]);
  f.add(0.5, NAT, PROXY, ['REGISTER sip:example.com SIP/2.0', `Via: ${via}`, 'Max-Forwards: 70', ...hdrs, 'Contact: <sip:bob@192.168.1.20:5060>']);
  return f;
}

describe('via-missing-rport and response-to-wrong-port', () => {
  it('flag a response sent to the sent-by port when the request crossed a NAT without rport', () => {
    const f = register(false, '203.0.113.1:5060');
    const wrong = f.run(detectResponseToWrongPort);
    expect(wrong).toHaveLength(1);
    expect(wrong[0]!.severity).toBe('error');
    expect(wrong[0]!.expected).toMatchObject({ from: PROXY, to: NAT });
    expect(wrong[0]).toMatchObject({ callId: 'r1', frames: [1, 2, 3] });
    expect(wrong[0]!.explanation).toContain('SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKr1');
    expect(wrong[0]!.explanation).toContain('203.0.113.1:5060');
    const rport = f.run(detectViaMissingRport);
    expect(rport.map((x) => x.severity)).toEqual(['warning']);
    expect(rport[0]).toMatchObject({ callId: 'r1' });
    expect(rport[0]!.frames).toEqual(expect.arrayContaining([1, 3]));
    expect(rport[0]!.explanation).toContain('top Via SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKr1');
    expect(rport[0]!.explanation).toContain('port 40112');
  });
  it('stay silent (at most info) when rport was honoured', () => {
    const f = register(true, NAT);
    expect(f.run(detectResponseToWrongPort)).toEqual([]);
    expect(f.run(detectViaMissingRport)).toEqual([]);
  });
  it('does not call Via-based routing wrong when there is no NAT', () => {
    const f = new FlowBuilder();
    const hdrs = ['From: <sip:a@x>;tag=1', 'To: <sip:b@x>', 'Call-ID: o1', 'CSeq: 1 OPTIONS'];
    f.add(0, '198.51.100.7:1912', PROXY, ['OPTIONS sip:x SIP/2.0', 'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKo', 'Max-Forwards: 70', ...hdrs]);
    f.add(0.01, PROXY, '198.51.100.7:5060', ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKo', ...hdrs]);
    expect(f.run(detectResponseToWrongPort)).toEqual([]);
  });
});

describe('via-missing-rport seen inside the NAT (LAN capture)', () => {
  const PHONE = '192.168.1.10:5060';
  const req = (branch: string) => [
    'REGISTER sip:203.0.113.10 SIP/2.0', `Via: SIP/2.0/UDP 192.168.1.10:5060;branch=${branch}`, 'Max-Forwards: 70',
    'From: <sip:bob@example.com>;tag=r1', 'To: <sip:bob@example.com>', 'Call-ID: lan1', 'CSeq: 1 REGISTER', 'Contact: <sip:bob@192.168.1.10:5060>',
  ];
  it('warns when the request was retransmitted and the public server never answered this side', () => {
    const f = new FlowBuilder();
    for (const t of [0, 0.5, 1.5, 3.5]) f.add(t, PHONE, PROXY, req('z9hG4bKl1'));
    const found = f.run(detectViaMissingRport);
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('warning');
    expect(found[0]!.callId).toBe('lan1');
    expect(found[0]!.frames).toEqual([1, 2, 3, 4]);
    expect(found[0]!.explanation).toContain('Not one response from 203.0.113.10:5060');
  });
  it('stays info when the server answered (the NAT kept the port or the server forced rport)', () => {
    const f = new FlowBuilder();
    f.add(0, PHONE, PROXY, req('z9hG4bKl2'));
    f.add(0.01, PROXY, PHONE, ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKl2;received=203.0.113.1', 'From: <sip:bob@example.com>;tag=r1', 'To: <sip:bob@example.com>;tag=s1', 'Call-ID: lan1', 'CSeq: 1 REGISTER']);
    const found = f.run(detectViaMissingRport);
    expect(found.map((x) => x.severity)).toEqual(['info']);
  });
  it('says nothing about a request between two private hosts (no NAT on the way)', () => {
    const f = new FlowBuilder();
    for (const t of [0, 0.5, 1.5]) f.add(t, PHONE, '192.168.1.1:5060', req('z9hG4bKl3'));
    expect(f.run(detectViaMissingRport)).toEqual([]);
  });
});

// Grouping and transaction scans at the edges of what they hold.
const byFirstFrame = <T extends { frames: number[] }>(l: T[]) => [...l].sort((a, b) => a.frames[0]! - b.frames[0]!);

describe('via-missing-rport groups by call and source', () => {
  it('keeps interleaved calls and a returning source apart and together as they should be', () => {
    const f = new FlowBuilder();
    f.add(0, '203.0.113.1:40001', PROXY, natRequest('A', 'z9hG4bK1', 1)); // 1
    f.add(1, '203.0.113.2:40002', PROXY, natRequest('B', 'z9hG4bK2', 1)); // 2
    f.add(2, '203.0.113.1:40001', PROXY, natRequest('A', 'z9hG4bK3', 2)); // 3
    f.add(3, '203.0.113.3:40003', PROXY, natRequest('A', 'z9hG4bK4', 3)); // 4
    const out = byFirstFrame(f.run(detectViaMissingRport));
    expect(out.map((x) => [x.callId, x.frames])).toEqual([['A', [1, 3]], ['B', [2]], ['A', [4]]]);
  });
  it('one Call-ID from more sources than a scan covers, each source twice: one finding per source', () => {
    const f = new FlowBuilder();
    let cseq = 0;
    for (let round = 0; round < 2; round++) for (let s = 0; s < 12; s++) f.add(round * 10 + s * 0.1, `203.0.113.${s + 1}:${40000 + s}`, PROXY, natRequest('many', `z9hG4bK${round}-${s}`, ++cseq));
    const out = byFirstFrame(f.run(detectViaMissingRport));
    expect(out).toHaveLength(12);
    expect(out.map((x) => x.frames)).toEqual(Array.from({ length: 12 }, (_, s) => [s + 1, s + 13]));
  });
});

describe('response-to-wrong-port scans a short transaction whole', () => {
  it('does not take a response of the transaction for its request (responses relayed, requests not captured)', () => {
    const f = new FlowBuilder();
    f.add(0, '203.0.113.50:5060', '10.9.9.9:5060', natRequestOk('rel', 'z9hG4bKr', 1));
    f.add(0.01, '10.9.9.9:5060', '203.0.113.60:5060', natRequestOk('rel', 'z9hG4bKr', 1));
    expect(f.run(detectResponseToWrongPort)).toEqual([]);
  });
});
