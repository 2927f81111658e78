import { describe, expect, it } from 'vitest';
import { parseSipText } from '../sip/parser.ts';
import { Anonymiser } from './anonymise.ts';
import { formatIpv6, ipv4Class, ipv6Class, parseIpv4, parseIpv6 } from './addresses.ts';

const KEY = new Uint8Array(32).fill(7);

// An INVITE with a bit of everything: E.164 numbers, names, a public proxy, a private phone,
// a CGNAT received=, digest credentials, an SDP offer with a private c= and o=.
const SDP = ['v=0', 'o=alice 2890844526 2890844526 IN IP4 192.168.1.20', 's=-', 'c=IN IP4 192.168.1.20', 't=0 0', 'm=audio 49170 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtcp:49171 IN IP4 192.168.1.20', ''].join('\r\n');
const INVITE = [
  'INVITE sip:+14155550123@sip.carrier.example.com;user=phone SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK776asdhds;rport=61000;received=100.72.9.4',
  'Via: SIP/2.0/UDP [2a00:1450:4001:81c::200e]:5060;branch=z9hG4bKabc',
  'Max-Forwards: 70',
  'To: "Bob Smith" <sip:+14155550123@sip.carrier.example.com>',
  'From: Alice <sip:alice@pbx.acme.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pbx.acme.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@192.168.1.20:5060;transport=udp>',
  'Record-Route: <sip:81.2.69.160;lr>',
  'P-Asserted-Identity: "4420 7123 4567" <tel:+442071234567>',
  'Proxy-Authorization: Digest username="alice", realm="pbx.acme.com", nonce="84a4cc6f3082121f32b42a2187831a9e", uri="sip:+14155550123@sip.carrier.example.com", response="7587245234b3434cc3412213e5f113a5"',
  'Subject: callback 14155550123 please',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
].join('\r\n');

async function anonymised(text: string, key = KEY, callIds = false): Promise<{ a: Anonymiser; out: string }> {
  const a = await Anonymiser.create({ callIds }, key);
  a.observeMessage(text);
  await a.prepare();
  return { a, out: a.message(text) };
}

describe('anonymiser', () => {
  it('rewrites numbers, names, hosts and addresses and leaves none of them behind', async () => {
    const { out } = await anonymised(INVITE);
    for (const original of ['14155550123', '442071234567', '4420 7123 4567', 'alice', 'Alice', 'Bob Smith', 'acme', 'carrier', '81.2.69.160', '2a00:1450', '192.168.1.20', '100.72.9.4', '7587245234b3434cc3412213e5f113a5', '84a4cc6f3082121f32b42a2187831a9e']) {
      expect(out, original).not.toContain(original);
    }
    // Kept: ports, methods, branch, CSeq, payload types, the product-neutral structure.
    for (const kept of ['INVITE sip:+', ':5060', 'rport=61000', 'branch=z9hG4bK776asdhds', 'CSeq: 314159 INVITE', 'm=audio 49170 RTP/AVP 0 101', 'a=rtcp:49171 IN IP4 ', 'tag=1928301774']) {
      expect(out, kept).toContain(kept);
    }
  });

  it('is deterministic within one share and different across shares', async () => {
    const one = await anonymised(INVITE);
    const again = await anonymised(INVITE);
    expect(again.out).toBe(one.out);
    // Same value in two messages → same replacement.
    const a = await Anonymiser.create({ callIds: false }, KEY);
    const bye = 'BYE sip:alice@192.168.1.20:5060 SIP/2.0\r\nFrom: <sip:+14155550123@sip.carrier.example.com>;tag=x\r\nCall-ID: a84b4c76e66710@pbx.acme.com\r\nContent-Length: 0\r\n\r\n';
    a.observeMessage(bye);
    a.observeMessage(INVITE);
    await a.prepare();
    expect(a.message(INVITE)).toBe(one.out);
    const byeOut = a.message(bye);
    expect(byeOut).toContain(`sip:${/sip:(user-[a-z0-9]+)@/.exec(one.out)![1]}@${a.address('192.168.1.20')}:5060`);
    const other = await anonymised(INVITE, new Uint8Array(32).fill(9));
    expect(other.out).not.toBe(one.out);
  });

  it('keeps numbers as numbers of the same length, + kept', async () => {
    const { a } = await anonymised(INVITE);
    const to = a.replacements().find((r) => r.from === '+14155550123')!;
    expect(to.to).toMatch(/^\+\d{11}$/);
    // The display name that is a number follows the number's digits rule too.
    expect(a.replacements().find((r) => r.from === '4420 7123 4567')!.to).toMatch(/^\d{4} \d{4} \d{4}$/);
  });

  it('keeps Content-Length and the SDP consistent', async () => {
    const { a, out } = await anonymised(INVITE);
    const parsed = parseSipText(out);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    expect(parsed.message.headers.find((h) => h.name === 'Content-Length')?.value).toBe(String(body.length));
    const phone = a.address('192.168.1.20');
    expect(ipv4Class(parseIpv4(phone)!)).toBe('rfc1918-192');
    expect(body).toContain(`c=IN IP4 ${phone}\r\n`);
    expect(body).toMatch(new RegExp(`^o=user-[a-z0-9]+ 2890844526 2890844526 IN IP4 ${phone.replace(/\./g, '\\.')}\\r$`, 'm'));
    expect(out).toContain(`Contact: <sip:user-`);
    expect(out).toContain(`@${phone}:5060;transport=udp>`);
    expect(parsed.message.sdp?.media[0]?.port).toBe(49170);
  });

  it('keeps a wrong Content-Length wrong by the same amount', async () => {
    const msg = 'MESSAGE sip:bob@10.1.2.3 SIP/2.0\r\nContent-Length: 50\r\n\r\nfrom sip:alice@10.1.2.3';
    const { out } = await anonymised(msg);
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    expect(Number(/Content-Length: (\d+)/.exec(out)![1]) - body.length).toBe(50 - 'from sip:alice@10.1.2.3'.length);
  });

  it('rewrites Call-IDs and tags only when asked', async () => {
    const plain = await anonymised(INVITE, KEY, false);
    expect(plain.out).toContain('Call-ID: a84b4c76e66710@h-');
    expect(plain.a.callId('a84b4c76e66710@pbx.acme.com')).toBe(/Call-ID: (.*)\r\n/.exec(plain.out)![1]);
    const full = await anonymised(INVITE, KEY, true);
    expect(full.out).not.toContain('a84b4c76e66710');
    expect(full.out).not.toContain('1928301774');
    expect(full.a.callId('a84b4c76e66710@pbx.acme.com')).toBe(/Call-ID: (.*)\r\n/.exec(full.out)![1]);
  });

  it('preserves the address class, never reuses an input, never collides', async () => {
    const inputs = [
      ...Array.from({ length: 300 }, (_, i) => `81.2.${i >> 8}.${i & 255}`), // public: more than the 762 doc addresses would hold? no — but forces probing
      '192.0.2.1', '198.51.100.7', '203.0.113.9', // already documentation space
      '10.0.0.1', '10.200.3.4', '172.16.0.1', '172.31.255.254', '192.168.0.1', '100.64.0.1', '100.127.255.1', '169.254.1.1', '127.0.0.1', '0.0.0.0', '224.0.0.1',
    ];
    const v6 = ['2001:4860:4860::8888', 'fe80::1', 'fd12:3456:789a::1', '::1', '::ffff:10.1.2.3', '::ffff:8.8.4.4', 'ff02::1'];
    const a = await Anonymiser.create({ callIds: false }, KEY);
    for (const ip of [...inputs, ...v6]) a.observeAddress(ip);
    await a.prepare();
    const outs = new Set<string>();
    for (const ip of inputs) {
      const o = a.address(ip);
      expect(ipv4Class(parseIpv4(o)!), `${ip} → ${o}`).toBe(ipv4Class(parseIpv4(ip)!));
      const kept = ['127.0.0.1', '0.0.0.0', '224.0.0.1'].includes(ip);
      if (kept) expect(o).toBe(ip);
      else {
        expect(inputs).not.toContain(o);
        expect(outs.has(o)).toBe(false);
      }
      outs.add(o);
    }
    expect(a.address('81.2.0.5')).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
    for (const ip of v6) {
      const o = a.address(ip);
      expect(ipv6Class(parseIpv6(o)!), `${ip} → ${o}`).toBe(ipv6Class(parseIpv6(ip)!));
      if (['::1', 'ff02::1'].includes(ip)) expect(o).toBe(ip);
      else expect(o).not.toBe(formatIpv6(parseIpv6(ip)!));
    }
    expect(a.address('2001:4860:4860::8888')).toMatch(/^2001:db8:/);
    expect(ipv4Class(parseIpv4(a.address('::ffff:10.1.2.3').slice(7))!)).toBe('rfc1918-10');
  });

  it('rewrites notes with the same map', async () => {
    const { a } = await anonymised(INVITE);
    const note = a.free('Phone 192.168.1.20 (alice) never gets the ACK from sip:+14155550123@sip.carrier.example.com');
    expect(note).toContain(a.address('192.168.1.20'));
    expect(note).not.toMatch(/alice|14155550123|carrier|192\.168\.1\.20/);
  });
});
