/**
 * Link layers down to the network-layer header. Each decoder finds where the IPv4/IPv6 header
 * starts and which EtherType it has, writing into a reusable `LinkResult`.
 *
 * Link types (tcpdump.org LINKTYPE_* values): NULL 0 (BSD loopback, 4-byte address family in
 * the capturing host's byte order), ETHERNET 1 (Ethernet II, IEEE 802.3 + LLC/SNAP), PPP 9 and
 * PPP_HDLC 50 (RFC 1661/1662), RAW 101 (and 12/14, which mean raw IP on some systems),
 * C_HDLC 104, LOOP 108 (like NULL, always big-endian), LINUX_SLL 113, IPV4 228, IPV6 229,
 * LINUX_SLL2 276. EtherType chains: 802.1Q 0x8100, 802.1ad 0x88a8, legacy QinQ 0x9100/0x9200,
 * PPPoE session 0x8864 (RFC 2516) + PPP, MPLS 0x8847/0x8848 (RFC 3032 label stack; the payload
 * is guessed from its first nibble, as Wireshark does without a pseudowire hint).
 */

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;

/** Where the network layer starts. */
export interface LinkResult {
  /** EtherType of the network layer: ETH_IPV4 or ETH_IPV6 when `ok`. */
  etherType: number;
  offset: number;
}

export const LINK_OK = 0;
/** A frame that does not carry IP (ARP, LLDP, STP…): ignore silently. */
export const LINK_NOT_IP = 1;
/** A link type this decoder does not know. */
export const LINK_UNSUPPORTED = 2;
export type LinkStatus = 0 | 1 | 2;

/** Names of a few link types, for the "unsupported" warning. */
export function linkTypeName(lt: number): string {
  switch (lt) {
    case 0: return 'NULL (BSD loopback)';
    case 1: return 'Ethernet';
    case 9: return 'PPP';
    case 101: return 'raw IP';
    case 105: return 'IEEE 802.11';
    case 113: return 'Linux cooked (SLL)';
    case 127: return 'IEEE 802.11 radiotap';
    case 147: case 148: case 149: case 150: case 151: case 152: case 153: case 154: case 155: case 156: case 157: case 158: case 159: case 160: case 161: case 162:
      return `user-defined (${lt})`;
    case 187: return 'Bluetooth HCI H4';
    case 220: return 'USB Linux mmapped';
    case 276: return 'Linux cooked v2 (SLL2)';
    default: return `LINKTYPE ${lt}`;
  }
}

function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

/** PPP protocol field → EtherType (0 when not IP). */
export function pppToEtherType(proto: number): number {
  if (proto === 0x0021) return ETH_IPV4;
  if (proto === 0x0057) return ETH_IPV6;
  return 0;
}

/** Raw IP: the version nibble decides. */
function rawIp(b: Uint8Array, off: number, r: LinkResult): LinkStatus {
  if (b.length <= off) return LINK_NOT_IP;
  const v = (b[off] as number) >> 4;
  r.offset = off;
  if (v === 4) r.etherType = ETH_IPV4;
  else if (v === 6) r.etherType = ETH_IPV6;
  else return LINK_NOT_IP;
  return LINK_OK;
}

/** A PPP frame at b[off] (optional ff 03 address/control, 1- or 2-byte protocol). */
export function decodePpp(b: Uint8Array, off: number, r: LinkResult): LinkStatus {
  let p = off;
  if (b.length - p >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
  if (b.length - p < 1) return LINK_NOT_IP;
  let proto: number;
  if (((b[p] as number) & 1) === 1) {
    proto = b[p] as number; // compressed 1-byte protocol (RFC 1661 §6.5)
    p += 1;
  } else {
    if (b.length - p < 2) return LINK_NOT_IP;
    proto = u16(b, p);
    p += 2;
  }
  const et = pppToEtherType(proto);
  if (et === 0) return LINK_NOT_IP;
  r.etherType = et;
  r.offset = p;
  return LINK_OK;
}

/**
 * Follows an EtherType chain (VLAN tags, PPPoE, MPLS) from `type` whose payload starts at
 * b[off], until IPv4/IPv6 or something else.
 */
export function followEtherType(b: Uint8Array, off: number, type: number, r: LinkResult): LinkStatus {
  let p = off;
  let t = type;
  for (let guard = 0; guard < 16; guard++) {
    switch (t) {
      case ETH_IPV4:
      case ETH_IPV6:
        r.etherType = t;
        r.offset = p;
        return LINK_OK;
      case 0x8100: // 802.1Q
      case 0x88a8: // 802.1ad
      case 0x9100: // legacy QinQ
      case 0x9200:
        if (b.length - p < 4) return LINK_NOT_IP;
        t = u16(b, p + 2);
        p += 4;
        continue;
      case 0x8864: // PPPoE session: ver/type, code, session id, length, then PPP protocol
        if (b.length - p < 8) return LINK_NOT_IP;
        return decodePpp(b, p + 6, r);
      case 0x8847: // MPLS unicast
      case 0x8848: {
        // multicast
        for (;;) {
          if (b.length - p < 4) return LINK_NOT_IP;
          const bos = ((b[p + 2] as number) & 1) === 1;
          p += 4;
          if (bos) break;
        }
        return rawIp(b, p, r);
      }
      default:
        if (t <= 1500) {
          // IEEE 802.3 length: LLC; only SNAP (AA AA 03 + OUI + EtherType) carries an EtherType.
          if (b.length - p >= 8 && b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03) {
            t = u16(b, p + 6);
            p += 8;
            continue;
          }
        }
        return LINK_NOT_IP;
    }
  }
  return LINK_NOT_IP;
}

/** An Ethernet II / 802.3 frame at b[off]. */
export function decodeEthernet(b: Uint8Array, off: number, r: LinkResult): LinkStatus {
  if (b.length - off < 14) return LINK_NOT_IP;
  return followEtherType(b, off + 14, u16(b, off + 12), r);
}

/** Address family → IP version for NULL/LOOP (AF_INET 2; AF_INET6 10 Linux, 23/24/28/30 BSDs and others). */
function familyToEtherType(af: number): number {
  if (af === 2) return ETH_IPV4;
  if (af === 10 || af === 23 || af === 24 || af === 28 || af === 30) return ETH_IPV6;
  return 0;
}

/** Decodes a record of link type `lt` down to the network layer. */
export function decodeLink(lt: number, b: Uint8Array, r: LinkResult): LinkStatus {
  switch (lt) {
    case 1:
      return decodeEthernet(b, 0, r);
    case 113: // Linux SLL: type, ARPHRD, addr len, addr[8], protocol
      if (b.length < 16) return LINK_NOT_IP;
      return followEtherType(b, 16, u16(b, 14), r);
    case 276: // Linux SLL2: protocol, reserved, ifindex, ARPHRD, type, addr len, addr[8]
      if (b.length < 20) return LINK_NOT_IP;
      return followEtherType(b, 20, u16(b, 0), r);
    case 101:
    case 12:
    case 14:
      return rawIp(b, 0, r);
    case 228:
    case 229:
      return rawIp(b, 0, r);
    case 0:
    case 108: {
      if (b.length < 4) return LINK_NOT_IP;
      const be = (((b[0] as number) << 24) | ((b[1] as number) << 16) | u16(b, 2)) >>> 0;
      // NULL is in the capturing host's byte order: a small value read big-endian means BE.
      const af = lt === 108 || be <= 0xffff ? be : (((b[3] as number) << 24) | ((b[2] as number) << 16) | ((b[1] as number) << 8) | (b[0] as number)) >>> 0;
      const et = familyToEtherType(af);
      if (et === 0) return LINK_NOT_IP;
      r.etherType = et;
      r.offset = 4;
      return LINK_OK;
    }
    case 9:
    case 50:
      return decodePpp(b, 0, r);
    case 104: // Cisco HDLC: address, control, EtherType
      if (b.length < 4) return LINK_NOT_IP;
      return followEtherType(b, 4, u16(b, 2), r);
    default:
      return LINK_UNSUPPORTED;
  }
}
