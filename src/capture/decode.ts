/**
 * One frame decoded down to UDP/TCP with the engine's own link and IP decoders, outside the
 * streaming pipeline: for picking frames to export or share (which connection a frame belongs
 * to, what its TCP payload starts with).
 */
import { decodeLink, ETH_IPV4, LINK_OK } from './link.ts';
import type { LinkResult } from './link.ts';
import { newIpHeader, parseIpv4 as parseIpv4Header, parseIpv6 as parseIpv6Header } from './ip.ts';

export interface DecodedPacket {
  version: 4 | 6;
  src: string;
  dst: string;
  protocol: number;
  sport: number;
  dport: number;
  /** TCP flags byte (0 for UDP). */
  flags: number;
  /** Transport payload (a view into the record's data). */
  payload: Uint8Array;
}

const linkResult: LinkResult = { etherType: 0, offset: 0 };
const ipHeader = newIpHeader();

/** Decodes a frame to UDP/TCP; null for anything else (tunnels, fragments, non-IP). */
export function decodePacket(linkType: number, data: Uint8Array): DecodedPacket | null {
  if (decodeLink(linkType, data, linkResult) !== LINK_OK) return null;
  const err = linkResult.etherType === ETH_IPV4 ? parseIpv4Header(data, linkResult.offset, data.length, ipHeader) : parseIpv6Header(data, linkResult.offset, data.length, ipHeader);
  if (err !== null || ipHeader.fragment) return null;
  const p = ipHeader.payloadStart;
  const end = ipHeader.payloadEnd;
  if (ipHeader.protocol === 17 && end - p >= 8) {
    return { version: ipHeader.version, src: ipHeader.src, dst: ipHeader.dst, protocol: 17, sport: (data[p]! << 8) | data[p + 1]!, dport: (data[p + 2]! << 8) | data[p + 3]!, flags: 0, payload: data.subarray(p + 8, end) };
  }
  if (ipHeader.protocol === 6 && end - p >= 20) {
    const hl = (data[p + 12]! >> 4) * 4;
    return { version: ipHeader.version, src: ipHeader.src, dst: ipHeader.dst, protocol: 6, sport: (data[p]! << 8) | data[p + 1]!, dport: (data[p + 2]! << 8) | data[p + 3]!, flags: data[p + 13]!, payload: data.subarray(Math.min(end, p + hl), end) };
  }
  return null;
}
