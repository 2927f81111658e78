// Writes test/captures/tunnels/*.pcap: the lab's 04-rport-good capture (real kamailio, SIPp and
// baresip through a NAT) with every IP packet carried inside a UDP tunnel, as a mobile core
// (GTP-U, 3GPP TS 29.281), a VXLAN overlay (RFC 7348) or a GENEVE overlay (RFC 8926) shows it.
// tshark dissects all three, so the SIP frames it finds are the oracle for
// src/capture/tunnels.test.ts. Run: node scripts/make-tunnel-captures.mjs
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const input = fs.readFileSync(path.join(root, 'public/samples/04-rport-good/capture.pcap'));
const out = path.join(root, 'test/captures/tunnels');
fs.mkdirSync(out, { recursive: true });

const le = input.readUInt32LE(0) === 0xa1b2c3d4;
const rd32 = (o) => (le ? input.readUInt32LE(o) : input.readUInt32BE(o));
if (rd32(20) !== 1) throw new Error('expected an Ethernet capture');

function records() {
  const recs = [];
  for (let o = 24; o + 16 <= input.length; ) {
    const sec = rd32(o), usec = rd32(o + 4), incl = rd32(o + 8);
    recs.push({ sec, usec, frame: input.subarray(o + 16, o + 16 + incl) });
    o += 16 + incl;
  }
  return recs;
}

const u16 = (v) => Buffer.from([v >> 8, v & 255]);
function checksum(b) {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}
function ipv4(src, dst, protocol, payload) {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h.writeUInt16BE(0x4000, 6); h[8] = 64; h[9] = protocol;
  Buffer.from(src.split('.').map(Number)).copy(h, 12); Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}
const udp = (sport, dport, payload) => Buffer.concat([u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload]);
const eth = (type, payload) => Buffer.concat([Buffer.from('020000000001020000000002', 'hex'), u16(type), payload]);

// The outer network: an eNodeB/SGW pair for GTP-U, two VTEPs for VXLAN and GENEVE (documentation addresses).
const wrap = {
  // G-PDU with the S flag (sequence number) set, and a PDU Session Container extension header
  // (type 0x85, as a 5G core sends), so the optional fields and the extension chain are crossed.
  gtpu(ipPacket, i) {
    const ext = Buffer.from([0x01, 0x00, 0x01, 0x00]); // 1 × 4 bytes: PDU type/QFI, next type 0
    const opt = Buffer.concat([u16(i & 0xffff), Buffer.from([0x00, 0x85])]);
    const body = Buffer.concat([opt, ext, ipPacket]);
    const gtp = Buffer.concat([Buffer.from([0x36, 0xff]), u16(body.length), Buffer.from([0x00, 0x00, 0x1f, 0x40]), body]);
    return eth(0x0800, ipv4('198.51.100.1', '198.51.100.2', 17, udp(2152, 2152, gtp)));
  },
  vxlan(ethFrame) {
    const hdr = Buffer.from([0x08, 0, 0, 0, 0x00, 0x12, 0x34, 0]);
    return eth(0x0800, ipv4('203.0.113.10', '203.0.113.20', 17, udp(49152, 4789, Buffer.concat([hdr, ethFrame]))));
  },
  geneve(ethFrame) {
    // One 8-byte option (class 0x0103, type 0x80, length 1 word) before the inner Ethernet frame.
    const opt = Buffer.from([0x01, 0x03, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef]);
    const hdr = Buffer.concat([Buffer.from([0x02, 0x00]), u16(0x6558), Buffer.from([0x00, 0x56, 0x78, 0x00]), opt]);
    return eth(0x0800, ipv4('203.0.113.10', '203.0.113.30', 17, udp(49153, 6081, Buffer.concat([hdr, ethFrame]))));
  },
};

function write(name, frames) {
  const parts = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0); gh.writeUInt16LE(2, 4); gh.writeUInt16LE(4, 6); gh.writeUInt32LE(262144, 16); gh.writeUInt32LE(1, 20);
  parts.push(gh);
  for (const f of frames) {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(f.sec, 0); rh.writeUInt32LE(f.usec, 4); rh.writeUInt32LE(f.data.length, 8); rh.writeUInt32LE(f.data.length, 12);
    parts.push(rh, f.data);
  }
  fs.writeFileSync(path.join(out, name), Buffer.concat(parts));
  console.log(`${name}: ${frames.length} frames`);
}

const recs = records();
write('gtpu-sip.pcap', recs.map((r, i) => ({ ...r, data: r.frame.readUInt16BE(12) === 0x0800 ? wrap.gtpu(r.frame.subarray(14), i) : r.frame })));
write('vxlan-sip.pcap', recs.map((r) => ({ ...r, data: wrap.vxlan(r.frame) })));
write('geneve-sip.pcap', recs.map((r) => ({ ...r, data: wrap.geneve(r.frame) })));
