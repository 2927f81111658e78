/**
 * Container records → IP packets: link layer (link.ts), IPv4/IPv6 (ip.ts), fragment
 * reassembly (fragments.ts), and tunnels, which are opened and recorded in
 * `IpPacket.tunnels` (outermost first):
 *   - GRE (RFC 2784 with RFC 2890 key/sequence, RFC 1701 checksum/routing, and the enhanced
 *     GRE of PPTP, RFC 2637 §4.1) carrying IPv4, IPv6, PPP (0x880b), transparent Ethernet
 *     bridging (0x6558) or VLAN-tagged frames → "gre";
 *   - ERSPAN over GRE: type I (0x88be without sequence number), type II (0x88be, 8-byte
 *     header), type III (0x22eb, 12-byte header + optional 8-byte platform sub-header)
 *     → "erspan";
 *   - IP-in-IP (protocol 4, RFC 2003) → "ipip"; IPv6 in IP (protocol 41, RFC 4213) → "6in4";
 *   - tunnels over UDP, recognised by their registered port and header shape:
 *     GTP-U (3GPP TS 29.281, port 2152: G-PDU messages, with the optional sequence / N-PDU /
 *     extension headers) carrying IPv4 or IPv6 → "gtp-u", as a mobile core or an IMS trace
 *     shows a phone's SIP; VXLAN (RFC 7348, port 4789) carrying Ethernet → "vxlan"; GENEVE
 *     (RFC 8926, port 6081, with its options) carrying Ethernet or IP → "geneve".
 * The tunnel packet itself is not delivered when its inner packet could be decoded; a tunnel
 * header that says more than the packet holds is reported once per tunnel kind.
 * Unknown link types are reported once each.
 */
import type { CaptureWarning, IpPacket, PacketRecord } from './types.ts';
import type { LinkResult } from './link.ts';
import { ETH_IPV4, ETH_IPV6, LINK_OK, LINK_UNSUPPORTED, decodeEthernet, decodeLink, decodePpp, followEtherType, linkTypeName } from './link.ts';
import type { IpHeader } from './ip.ts';
import { newIpHeader, parseIpv4, parseIpv6, skipIpv6Extensions } from './ip.ts';
import type { ReassemblyLimits } from './fragments.ts';
import { FragmentReassembler } from './fragments.ts';

export interface NetworkSink {
  ip(p: IpPacket): void;
  warning(w: CaptureWarning): void;
}

const NO_TUNNELS: readonly string[] = Object.freeze([]);
/** Nested tunnels deeper than this are not opened (guards against crafted loops). */
const MAX_DEPTH = 4;
/** Registered UDP ports of the tunnels opened here. */
export const GTPU_PORT = 2152;
export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;

function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

/** The packet handed to the sink, filled in place; `payload` is made only when asked for. */
class ReusedIpPacket implements IpPacket {
  frame = 0;
  timeUs = 0;
  version: 4 | 6 = 4;
  src = '';
  dst = '';
  protocol = 0;
  truncated = false;
  firstFrame = 0;
  tunnels: readonly string[] = NO_TUNNELS;
  fileOffset = 0;
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  get payload(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
  set payload(bytes: Uint8Array) {
    this.buf = bytes;
    this.start = 0;
    this.end = bytes.length;
  }
}

export class NetworkDecoder {
  private readonly link: LinkResult = { etherType: 0, offset: 0 };
  private readonly inner: LinkResult = { etherType: 0, offset: 0 };
  private readonly h: IpHeader = newIpHeader();
  private readonly frags: FragmentReassembler;
  private readonly warnedLinkTypes = new Set<number>();
  private readonly warnedTunnels = new Set<string>();
  private readonly tunnelCache = new Map<readonly string[], Map<string, readonly string[]>>();
  private readonly pkt = new ReusedIpPacket();
  private rec: PacketRecord | null = null;

  constructor(
    private readonly sink: NetworkSink,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    this.frags = new FragmentReassembler((w) => sink.warning(w), limits);
  }

  packet(rec: PacketRecord): void {
    this.frags.tick(rec.timeUs);
    // Hot path: untagged Ethernet carrying IPv4, read in place in the reader's buffer.
    const buf = rec.buf;
    if (buf !== undefined && rec.linkType === 1) {
      const s = rec.start!;
      const e = rec.end!;
      if (e - s >= 34 && buf[s + 12] === 0x08 && buf[s + 13] === 0x00) {
        this.rec = rec;
        this.ipLayer(buf, s + 14, e, ETH_IPV4, NO_TUNNELS, 0);
        this.rec = null;
        return;
      }
    }
    const data = rec.data;
    const st = decodeLink(rec.linkType, data, this.link);
    if (st !== LINK_OK) {
      if (st === LINK_UNSUPPORTED && !this.warnedLinkTypes.has(rec.linkType)) {
        this.warnedLinkTypes.add(rec.linkType);
        this.sink.warning({
          frame: rec.frame,
          message: `frames with link type ${linkTypeName(rec.linkType)} (first at frame ${rec.frame}) cannot be decoded and are skipped`,
        });
      }
      return;
    }
    this.rec = rec;
    this.ipLayer(data, this.link.offset, data.length, this.link.etherType, NO_TUNNELS, 0);
    this.rec = null;
  }

  /** End of input: reports fragment sets that never completed. */
  end(): void {
    this.frags.end();
  }

  private warn(message: string): void {
    const rec = this.rec;
    this.sink.warning(rec ? { frame: rec.frame, offset: rec.fileOffset, message: `${message}` } : { message });
  }

  private ipLayer(b: Uint8Array, off: number, end: number, etherType: number, tunnels: readonly string[], depth: number): void {
    const h = this.h;
    const err = etherType === ETH_IPV4 ? parseIpv4(b, off, end, h) : parseIpv6(b, off, end, h);
    if (err !== null) {
      this.warn(err);
      return;
    }
    const rec = this.rec as PacketRecord;
    const version = h.version;
    const src = h.src;
    const dst = h.dst;
    const protocol = h.protocol;
    if (!h.fragment) {
      this.upper(version, src, dst, protocol, b, h.payloadStart, h.payloadEnd, h.truncated, rec.frame, tunnels, depth);
      return;
    }
    const done = this.frags.add(version, src, dst, protocol, h.fragId, h.fragOffset, h.fragMore, b.subarray(h.payloadStart, h.payloadEnd), rec.frame, rec.timeUs);
    if (done === null) return;
    let payload = done.payload;
    let proto = protocol;
    if (version === 6) {
      // Extension headers of the fragmentable part (e.g. destination options) follow.
      const e = skipIpv6Extensions(payload, 0, payload.length, protocol, h, false);
      if (e !== null) {
        this.warn(`reassembled IPv6 datagram: ${e}`);
        return;
      }
      proto = h.protocol;
      payload = payload.subarray(h.payloadStart);
    }
    this.upper(version, src, dst, proto, payload, 0, payload.length, false, done.firstFrame, tunnels, depth);
  }

  private upper(
    version: 4 | 6,
    src: string,
    dst: string,
    protocol: number,
    buf: Uint8Array,
    start: number,
    end: number,
    truncated: boolean,
    firstFrame: number,
    tunnels: readonly string[],
    depth: number,
  ): void {
    if (depth < MAX_DEPTH && (protocol === 4 || protocol === 41 || protocol === 47)) {
      const payload = buf.subarray(start, end);
      if (protocol === 4 || protocol === 41) {
        this.ipLayer(payload, 0, payload.length, protocol === 4 ? ETH_IPV4 : ETH_IPV6, this.tunnel(tunnels, protocol === 4 ? 'ipip' : '6in4'), depth + 1);
        return;
      }
      if (protocol === 47 && this.gre(payload, tunnels, depth)) return;
    }
    // UDP tunnels: two port reads per UDP datagram, nothing more unless a tunnel port matches.
    if (protocol === 17 && depth < MAX_DEPTH && end - start >= 16) {
      const sp = u16(buf, start);
      const dp = u16(buf, start + 2);
      if ((dp === GTPU_PORT || sp === GTPU_PORT || dp === VXLAN_PORT || dp === GENEVE_PORT) && this.udpTunnel(buf, start + 8, end, dp === GTPU_PORT || sp === GTPU_PORT ? GTPU_PORT : dp, tunnels, depth)) return;
    }
    const rec = this.rec as PacketRecord;
    const p = this.pkt;
    p.frame = rec.frame;
    p.timeUs = rec.timeUs;
    p.version = version;
    p.src = src;
    p.dst = dst;
    p.protocol = protocol;
    p.buf = buf;
    p.start = start;
    p.end = end;
    p.truncated = truncated;
    p.firstFrame = firstFrame;
    p.tunnels = tunnels;
    p.fileOffset = rec.fileOffset;
    this.sink.ip(p);
  }

  /** Opens a GRE packet. Returns false when it is not something we decapsulate (deliver as is). */
  private gre(b: Uint8Array, tunnels: readonly string[], depth: number): boolean {
    if (b.length < 4) return false;
    const flags = u16(b, 0);
    const ver = flags & 7;
    const proto = u16(b, 2);
    let p = 4;
    if (ver === 0) {
      if (flags & 0xc000) p += 4; // checksum (+ offset) present when C or R is set
      if (flags & 0x2000) p += 4; // key
      if (flags & 0x1000) p += 4; // sequence number
      if (flags & 0x4000) {
        // RFC 1701 source routing entries, up to the NULL SRE.
        for (;;) {
          if (b.length - p < 4) return false;
          const af = u16(b, p);
          const len = b[p + 3] as number;
          p += 4 + len;
          if (af === 0 && len === 0) break;
        }
      }
    } else if (ver === 1) {
      p += 4; // payload length + call id (key, always present)
      if (flags & 0x1000) p += 4;
      if (flags & 0x0080) p += 4; // acknowledgment number
    } else {
      return false;
    }
    if (p > b.length) return false;
    const r = this.inner;
    let name = 'gre';
    let st: number;
    switch (proto) {
      case 0x6558:
        st = decodeEthernet(b, p, r);
        break;
      case 0x880b:
        st = decodePpp(b, p, r);
        break;
      case 0x88be: // ERSPAN type II, or type I when GRE has no sequence number
        name = 'erspan';
        st = decodeEthernet(b, flags & 0x1000 ? p + 8 : p, r);
        break;
      case 0x22eb: {
        // ERSPAN type III
        name = 'erspan';
        if (b.length - p < 12) return false;
        const ft = ((b[p + 10] as number) >> 2) & 0x1f;
        const q = p + 12 + (((b[p + 11] as number) & 1) === 1 ? 8 : 0);
        if (ft === 2) {
          const v = q < b.length ? (b[q] as number) >> 4 : 0;
          r.offset = q;
          r.etherType = v === 4 ? ETH_IPV4 : ETH_IPV6;
          st = v === 4 || v === 6 ? LINK_OK : 1;
        } else {
          st = decodeEthernet(b, q, r);
        }
        break;
      }
      default:
        st = followEtherType(b, p, proto, r);
        if (st !== LINK_OK && proto !== 0x8100 && proto !== 0x88a8) return false;
    }
    if (st === LINK_OK) this.ipLayer(b, r.offset, b.length, r.etherType, this.tunnel(tunnels, name), depth + 1);
    return true;
  }

  /**
   * Opens GTP-U, VXLAN or GENEVE at b[p..end) (after the UDP header). Returns false when the
   * bytes do not have the tunnel's shape (the datagram is then delivered as plain UDP).
   */
  private udpTunnel(b: Uint8Array, p: number, end: number, port: number, tunnels: readonly string[], depth: number): boolean {
    const r = this.inner;
    if (port === GTPU_PORT) {
      // Flags: version (3 bits) = 1, protocol type = 1 (GTP), then E, S, PN; type 255 = G-PDU.
      const flags = b[p] as number;
      if (flags >> 5 !== 1 || (flags & 0x10) === 0 || b[p + 1] !== 0xff) return false;
      const length = u16(b, p + 2); // bytes after the 8-byte mandatory header
      let q = p + 8;
      if (q + length > end) this.warnTunnel('gtp-u', `GTP-U header says ${length} bytes follow but only ${end - q} are present`);
      const stop = Math.min(end, q + length);
      if (flags & 0x07) {
        // Sequence number (2), N-PDU number (1) and next extension header type (1) are all
        // present when any of E, S or PN is set.
        if (q + 4 > stop) return false;
        let next = b[q + 3] as number;
        q += 4;
        // Extension headers: a length in 4-byte units, content, and the next type in the last byte.
        while (next !== 0) {
          const units = q < stop ? (b[q] as number) : 0;
          if (units === 0 || q + units * 4 > stop) {
            this.warnTunnel('gtp-u', 'a GTP-U extension header runs past the packet');
            return true;
          }
          next = b[q + units * 4 - 1] as number;
          q += units * 4;
        }
      }
      if (q >= stop) return false; // an echo or error indication carries no user packet
      const v = (b[q] as number) >> 4;
      if (v !== 4 && v !== 6) return false;
      this.ipLayer(b, q, stop, v === 4 ? ETH_IPV4 : ETH_IPV6, this.tunnel(tunnels, 'gtp-u'), depth + 1);
      return true;
    }
    if (port === VXLAN_PORT) {
      // Flags with the I bit (valid VNI) set, 3 reserved bytes, VNI (3 bytes), 1 reserved byte.
      if (((b[p] as number) & 0x08) === 0 || end - p < 8 + 14) return false;
      if (decodeEthernet(b, p + 8, r) !== LINK_OK) return false;
      this.ipLayer(b, r.offset, end, r.etherType, this.tunnel(tunnels, 'vxlan'), depth + 1);
      return true;
    }
    // GENEVE: version (2 bits) = 0, options length (6 bits, in 4-byte units), flags, protocol type.
    const first = b[p] as number;
    if (first >> 6 !== 0) return false;
    const q = p + 8 + (first & 0x3f) * 4;
    if (q > end) {
      this.warnTunnel('geneve', `GENEVE options run past the packet (${(first & 0x3f) * 4} bytes said)`);
      return true;
    }
    const proto = u16(b, p + 2);
    const st = proto === 0x6558 ? decodeEthernet(b, q, r) : followEtherType(b, q, proto, r);
    if (st !== LINK_OK) return false;
    this.ipLayer(b, r.offset, end, r.etherType, this.tunnel(tunnels, 'geneve'), depth + 1);
    return true;
  }

  private warnTunnel(kind: string, message: string): void {
    if (this.warnedTunnels.has(kind)) return;
    this.warnedTunnels.add(kind);
    this.warn(`${message}; later ${kind} packets like it are not reported again`);
  }

  private tunnel(outer: readonly string[], name: string): readonly string[] {
    let m = this.tunnelCache.get(outer);
    if (m === undefined) {
      m = new Map();
      this.tunnelCache.set(outer, m);
    }
    let t = m.get(name);
    if (t === undefined) {
      t = Object.freeze([...outer, name]);
      m.set(name, t);
    }
    return t;
  }
}
