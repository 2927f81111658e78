/**
 * Test helpers: build link-layer, IP and transport headers byte by byte so tests can describe
 * real packets with a comment per field. Every builder returns a fresh Uint8Array.
 *
 * Follows: Ethernet II + IEEE 802.1Q, RFC 791 (IPv4, header checksum RFC 1071), RFC 8200 (IPv6
 * and extension headers), RFC 768 (UDP), RFC 9293 (TCP), Linux cooked capture v1/v2
 * (LINKTYPE_LINUX_SLL 113, LINKTYPE_LINUX_SLL2 276), BSD loopback (LINKTYPE_NULL 0).
 *
 * Only for tests and tools: the engine never imports this file.
 */

import { concatBytes } from '../bytes.ts';
/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** Concatenate a (possibly very long) list of byte arrays (the capture layer's own helper). */
export const concatAll = concatBytes;

/** UTF-8 / ASCII text as bytes. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Bytes from a hex string; spaces, newlines and ':' are ignored ("de ad be ef"). */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`hex: odd length in ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Big-endian 16-bit value. */
export function u16(v: number): Uint8Array {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

/** Big-endian 32-bit value. */
export function u32(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** Little-endian 32-bit value. */
export function u32le(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/** "a.b.c.d" → 4 bytes. */
export function ipv4Bytes(addr: string): Uint8Array {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${addr}`);
  return new Uint8Array(parts);
}

/** IPv6 text (with optional "::" and embedded IPv4 tail) → 16 bytes. */
export function ipv6Bytes(addr: string): Uint8Array {
  let s = addr;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    // embedded IPv4 tail ("::ffff:1.2.3.4") → two hex groups
    const v4 = ipv4Bytes(s.slice(lastColon + 1));
    s = s.slice(0, lastColon + 1) + (((v4[0]! << 8) | v4[1]!).toString(16)) + ':' + (((v4[2]! << 8) | v4[3]!).toString(16));
  }
  const halves = s.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 ${addr}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`bad IPv6 ${addr}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >>> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** RFC 1071 one's-complement sum over `data` (plus an initial partial sum), folded, not inverted. */
function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1071 Internet checksum of `data`. */
export function internetChecksum(data: Uint8Array): number {
  return ~onesSum(data) & 0xffff;
}

/** EtherType values used in tests. */
export const ETHERTYPE = { IPV4: 0x0800, IPV6: 0x86dd, VLAN: 0x8100, ARP: 0x0806 } as const;

export interface EthernetOptions {
  /** Source MAC, "aa:bb:cc:dd:ee:ff" (default 02:00:00:00:00:01). */
  src?: string;
  /** Destination MAC (default 02:00:00:00:00:02). */
  dst?: string;
  /** EtherType of the payload, e.g. 0x0800 IPv4, 0x86dd IPv6. */
  type: number;
  /** 802.1Q VLAN ids, outermost first; each adds a 4-byte tag (TPID 0x8100 + TCI). */
  vlan?: number[];
  /** Payload bytes. */
  payload?: Uint8Array;
}

/** Ethernet II frame: dst MAC(6) src MAC(6) [802.1Q tags] EtherType(2) payload. */
export function ethernet(o: EthernetOptions): Uint8Array {
  const parts: Uint8Array[] = [
    hex(o.dst ?? '02:00:00:00:00:02'), // destination MAC
    hex(o.src ?? '02:00:00:00:00:01'), // source MAC
  ];
  for (const id of o.vlan ?? []) {
    parts.push(u16(ETHERTYPE.VLAN)); // TPID 0x8100
    parts.push(u16(id & 0x0fff)); // TCI: priority 0, DEI 0, VLAN id
  }
  parts.push(u16(o.type)); // EtherType of the payload
  if (o.payload) parts.push(o.payload);
  return concat(...parts);
}

export interface Ipv4Options {
  /** Source address, dotted quad. */
  src: string;
  /** Destination address, dotted quad. */
  dst: string;
  /** Upper-layer protocol: 1 ICMP, 6 TCP, 17 UDP, 47 GRE, 132 SCTP, 4 IP-in-IP. */
  protocol: number;
  /** Identification (default 1). */
  id?: number;
  /** Flags (3 bits): 2 = DF, 1 = MF (default 0). */
  flags?: number;
  /** Fragment offset in 8-byte units (default 0). */
  fragOffset?: number;
  /** Time to live (default 64). */
  ttl?: number;
  /** Upper-layer bytes. */
  payload: Uint8Array;
  /** Override the Total Length field (e.g. to claim more bytes than present). */
  totalLength?: number;
  /** IP options bytes (padded to 4-byte multiple by the caller). */
  options?: Uint8Array;
}

/** IPv4 header (RFC 791 §3.1) with a correct header checksum, followed by the payload. */
export function ipv4(o: Ipv4Options): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const ihl = 5 + opts.length / 4;
  const h = new Uint8Array(ihl * 4);
  h[0] = 0x40 | ihl; // version 4, IHL in 32-bit words
  h[1] = 0; // DSCP/ECN
  const total = o.totalLength ?? h.length + o.payload.length;
  h.set(u16(total), 2); // total length
  h.set(u16(o.id ?? 1), 4); // identification
  h.set(u16((((o.flags ?? 0) & 7) << 13) | ((o.fragOffset ?? 0) & 0x1fff)), 6); // flags + fragment offset
  h[8] = o.ttl ?? 64; // TTL
  h[9] = o.protocol; // protocol
  // h[10..11] checksum, computed below over the header with the field zeroed
  h.set(ipv4Bytes(o.src), 12); // source address
  h.set(ipv4Bytes(o.dst), 16); // destination address
  h.set(opts, 20); // options
  h.set(u16(internetChecksum(h)), 10); // header checksum
  return concat(h, o.payload);
}

export interface Ipv6ExtHeader {
  /** Extension header type as the previous Next Header value: 0 hop-by-hop, 43 routing, 44 fragment, 60 dest opts. */
  type: number;
  /** Body after the 2-byte (next header, length) prefix; for non-fragment headers padded to 8n-2 bytes. */
  body: Uint8Array;
}

export interface Ipv6Options {
  /** Source address, text form. */
  src: string;
  /** Destination address, text form. */
  dst: string;
  /** Upper-layer protocol after all extension headers. */
  nextHeader: number;
  /** Upper-layer bytes. */
  payload: Uint8Array;
  /** Extension headers in order. */
  ext?: Ipv6ExtHeader[];
  /** Hop limit (default 64). */
  hopLimit?: number;
}

/** IPv6 fixed header (RFC 8200 §3) + extension headers + payload. */
export function ipv6(o: Ipv6Options): Uint8Array {
  const ext = o.ext ?? [];
  const extBytes: Uint8Array[] = [];
  for (let i = 0; i < ext.length; i++) {
    const e = ext[i]!;
    const next = i + 1 < ext.length ? ext[i + 1]!.type : o.nextHeader;
    const total = 2 + e.body.length;
    const b = new Uint8Array(total);
    b[0] = next; // next header
    // header extension length: 8-octet units minus one (the fragment header has a reserved byte 0 there)
    b[1] = e.type === 44 ? 0 : Math.max(0, Math.ceil(total / 8) - 1);
    b.set(e.body, 2);
    extBytes.push(b);
  }
  const rest = concat(...extBytes, o.payload);
  const h = new Uint8Array(40);
  h[0] = 0x60; // version 6, traffic class 0
  h.set(u16(rest.length), 4); // payload length
  h[6] = ext.length > 0 ? ext[0]!.type : o.nextHeader; // next header
  h[7] = o.hopLimit ?? 64; // hop limit
  h.set(ipv6Bytes(o.src), 8); // source address
  h.set(ipv6Bytes(o.dst), 24); // destination address
  return concat(h, rest);
}

/** IPv6 fragment extension header (RFC 8200 §4.5): offset in 8-byte units, M flag, identification. */
export function ipv6FragmentExt(offset8: number, more: boolean, id: number): Ipv6ExtHeader {
  return {
    type: 44,
    body: concat(
      u16(((offset8 & 0x1fff) << 3) | (more ? 1 : 0)), // fragment offset + res + M flag
      u32(id), // identification
    ),
  };
}

export interface UdpOptions {
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
  /** Datagram payload. */
  payload: Uint8Array;
  /** Override the length field. */
  length?: number;
}

/** UDP header (RFC 768) with checksum 0 (not computed; decoders do not verify it). */
export function udp(o: UdpOptions): Uint8Array {
  return concat(
    u16(o.sport), // source port
    u16(o.dport), // destination port
    u16(o.length ?? 8 + o.payload.length), // length (header + data)
    u16(0), // checksum: 0 = not computed
    o.payload,
  );
}

export interface TcpFlags {
  syn?: boolean;
  ack?: boolean;
  fin?: boolean;
  rst?: boolean;
  psh?: boolean;
}

export interface TcpOptions {
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
  /** Sequence number (32-bit). */
  seq: number;
  /** Acknowledgment number (32-bit). */
  ack: number;
  /** Control bits. */
  flags: TcpFlags;
  /** Segment payload (default empty). */
  payload?: Uint8Array;
  /** Window (default 65535). */
  window?: number;
  /** TCP options (multiple of 4 bytes). */
  options?: Uint8Array;
}

/** TCP header (RFC 9293 §3.1), checksum 0 (decoders do not verify it). */
export function tcp(o: TcpOptions): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const hlen = 20 + opts.length;
  const f = o.flags;
  const bits = (f.fin ? 0x01 : 0) | (f.syn ? 0x02 : 0) | (f.rst ? 0x04 : 0) | (f.psh ? 0x08 : 0) | (f.ack ? 0x10 : 0);
  return concat(
    u16(o.sport), // source port
    u16(o.dport), // destination port
    u32(o.seq >>> 0), // sequence number
    u32(o.ack >>> 0), // acknowledgment number
    new Uint8Array([(hlen / 4) << 4, bits]), // data offset (words) + reserved, control bits
    u16(o.window ?? 65535), // window
    u16(0), // checksum (not computed)
    u16(0), // urgent pointer
    opts, // options
    o.payload ?? new Uint8Array(0),
  );
}

/** LINKTYPE_LINUX_SLL2 (276) header, 20 bytes, followed by the payload. */
export function sll2(o: {
  /** Protocol type (EtherType), e.g. 0x0800. */
  protocol: number;
  /** Interface index (default 1). */
  ifindex?: number;
  /** ARPHRD_ type (default 1 = Ethernet). */
  hatype?: number;
  /** Packet type: 0 to us, 4 outgoing (default 0). */
  pkttype?: number;
  /** Link-layer address (default 6-byte MAC 02:00:00:00:00:01). */
  addr?: Uint8Array;
  payload: Uint8Array;
}): Uint8Array {
  const addr = o.addr ?? hex('020000000001');
  const a = new Uint8Array(8);
  a.set(addr.subarray(0, 8));
  return concat(
    u16(o.protocol), // protocol type
    u16(0), // reserved (MBZ)
    u32(o.ifindex ?? 1), // interface index
    u16(o.hatype ?? 1), // ARPHRD_ type
    new Uint8Array([o.pkttype ?? 0, addr.length]), // packet type, link-layer address length
    a, // link-layer address, padded to 8
    o.payload,
  );
}

/** LINKTYPE_LINUX_SLL (113) header, 16 bytes, followed by the payload. */
export function sll(o: {
  /** Protocol type (EtherType), e.g. 0x0800. */
  protocol: number;
  /** Packet type: 0 to us, 4 outgoing (default 0). */
  pkttype?: number;
  /** ARPHRD_ type (default 1). */
  hatype?: number;
  /** Link-layer address (default 02:00:00:00:00:01). */
  addr?: Uint8Array;
  payload: Uint8Array;
}): Uint8Array {
  const addr = o.addr ?? hex('020000000001');
  const a = new Uint8Array(8);
  a.set(addr.subarray(0, 8));
  return concat(
    u16(o.pkttype ?? 0), // packet type
    u16(o.hatype ?? 1), // ARPHRD_ type
    u16(addr.length), // link-layer address length
    a, // link-layer address, padded to 8
    u16(o.protocol), // protocol type
    o.payload,
  );
}

/** LINKTYPE_NULL (0) BSD loopback: 4-byte address family in the capturing host's byte order. */
export function nullLoopback(o: {
  /** Address family: 2 = AF_INET; AF_INET6 is 24, 28 or 30 depending on the OS. */
  family: number;
  /** Write the family big-endian (default little-endian, as on x86 hosts). */
  bigEndian?: boolean;
  payload: Uint8Array;
}): Uint8Array {
  return concat(o.bigEndian ? u32(o.family) : u32le(o.family), o.payload); // family, then the IP packet
}

/** Options for the one-call IPv4/IPv6 packet builders. */
export interface QuickUdp {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array | string;
}
export interface QuickTcp {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags?: TcpFlags;
  payload?: Uint8Array | string;
}

function asBytes(p: Uint8Array | string | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === 'string' ? text(p) : p;
}

/** IPv4 + UDP bytes (no link layer). */
export function ip4Udp(o: QuickUdp): Uint8Array {
  return ipv4({ src: o.src, dst: o.dst, protocol: 17, payload: udp({ sport: o.sport, dport: o.dport, payload: asBytes(o.payload) }) });
}

/** IPv4 + TCP bytes (no link layer); flags default to ACK+PSH when there is a payload, ACK otherwise. */
export function ip4Tcp(o: QuickTcp): Uint8Array {
  const payload = asBytes(o.payload);
  const flags = o.flags ?? { ack: true, psh: payload.length > 0 };
  return ipv4({
    src: o.src,
    dst: o.dst,
    protocol: 6,
    payload: tcp({ sport: o.sport, dport: o.dport, seq: o.seq, ack: o.ack ?? 0, flags, payload }),
  });
}

/** IPv6 + UDP bytes (no link layer). */
export function ip6Udp(o: QuickUdp): Uint8Array {
  return ipv6({ src: o.src, dst: o.dst, nextHeader: 17, payload: udp({ sport: o.sport, dport: o.dport, payload: asBytes(o.payload) }) });
}

/** Ethernet + IPv4 (+ whatever `ipPayload` is), the usual LINKTYPE_ETHERNET frame. */
export function ip4Packet(o: { src: string; dst: string; protocol: number; payload: Uint8Array; vlan?: number[]; id?: number }): Uint8Array {
  return ethernet({
    type: ETHERTYPE.IPV4,
    vlan: o.vlan,
    payload: ipv4({ src: o.src, dst: o.dst, protocol: o.protocol, payload: o.payload, id: o.id }),
  });
}

/** Ethernet + IPv6 frame. */
export function ip6Packet(o: { src: string; dst: string; nextHeader: number; payload: Uint8Array; vlan?: number[] }): Uint8Array {
  return ethernet({
    type: ETHERTYPE.IPV6,
    vlan: o.vlan,
    payload: ipv6({ src: o.src, dst: o.dst, nextHeader: o.nextHeader, payload: o.payload }),
  });
}

/** Ethernet + IPv4 + UDP frame in one call. */
export function ethUdp4(o: QuickUdp & { vlan?: number[] }): Uint8Array {
  return ethernet({ type: ETHERTYPE.IPV4, vlan: o.vlan, payload: ip4Udp(o) });
}

/** Ethernet + IPv4 + TCP frame in one call. */
export function ethTcp4(o: QuickTcp & { vlan?: number[] }): Uint8Array {
  return ethernet({ type: ETHERTYPE.IPV4, vlan: o.vlan, payload: ip4Tcp(o) });
}

/** Classic pcap file (magic a1b2c3d4, microseconds, little-endian) from frames, for reader tests. */
export function pcapFile(linkType: number, frames: Array<{ timeUs: number; data: Uint8Array; origLen?: number }>, snaplen = 262144): Uint8Array {
  const parts: Uint8Array[] = [
    u32le(0xa1b2c3d4), // magic, written little-endian
    new Uint8Array([2, 0, 4, 0]), // version 2.4 (LE)
    u32le(0), // thiszone
    u32le(0), // sigfigs
    u32le(snaplen), // snaplen
    u32le(linkType), // network (LINKTYPE_*)
  ];
  for (const f of frames) {
    parts.push(u32le(Math.floor(f.timeUs / 1e6))); // ts_sec
    parts.push(u32le(f.timeUs % 1e6)); // ts_usec
    parts.push(u32le(f.data.length)); // incl_len
    parts.push(u32le(f.origLen ?? f.data.length)); // orig_len
    parts.push(f.data);
  }
  return concatAll(parts);
}
