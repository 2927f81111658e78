/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) header decoding, and address text.
 *
 * IPv4: header length, total length, fragment fields (RFC 791 §3.1). A total length of 0
 * (segmentation offload captures) means "as captured". IPv6: the fixed header, then the
 * extension headers are skipped (hop-by-hop 0, routing 43, destination options 60, fragment 44,
 * AH 51 (RFC 4302 length in 4-octet units), mobility 135, HIP 139, shim6 140); ESP (50) and
 * "no next header" (59) stop the walk. IPv6 text follows RFC 5952 (§4: lower case, no leading
 * zeros, the longest run of two or more zero groups compressed, leftmost on a tie; §5:
 * IPv4-mapped addresses as ::ffff:a.b.c.d).
 *
 * The parsers fill a reusable `IpHeader` instead of allocating per packet; address strings
 * are cached (IPv4 by 32-bit value, IPv6 in a small direct-mapped table).
 */

/** Decoded header fields; one instance is reused per decoder. */
export interface IpHeader {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Upper-layer protocol (after IPv6 extension headers). */
  protocol: number;
  /** Payload bounds in the buffer that was parsed. */
  payloadStart: number;
  payloadEnd: number;
  /** Captured fewer bytes than the header says. */
  truncated: boolean;
  /** Fragment fields: `fragment` true when this is part of a fragmented datagram. */
  fragment: boolean;
  fragId: number;
  /** Fragment offset in bytes. */
  fragOffset: number;
  fragMore: boolean;
}

export function newIpHeader(): IpHeader {
  return {
    version: 4,
    src: '',
    dst: '',
    protocol: 0,
    payloadStart: 0,
    payloadEnd: 0,
    truncated: false,
    fragment: false,
    fragId: 0,
    fragOffset: 0,
    fragMore: false,
  };
}

const v4Cache = new Map<number, string>();
const V4_CACHE_MAX = 1 << 16;

/** Forget the addresses' strings (the engine, once the capture is read; the strings handed out stay). */
export function forgetAddressStrings(): void {
  v4Cache.clear();
}

// In front of the map, a direct-mapped table: an RTP-heavy capture asks for the same few
// addresses millions of times, and a typed-array probe is cheaper than a Map lookup.
const FRONT_BITS = 10;
const frontKeys = new Int32Array(1 << FRONT_BITS);
const frontValues: Array<string | undefined> = new Array<string | undefined>(1 << FRONT_BITS).fill(undefined);

/** Dotted quad of a 32-bit value (cached). */
export function ipv4String(v: number): string {
  // Keyed by the signed 32-bit value: a small integer to V8, so the lookup does not hash a heap
  // number (addresses above 127.255.255.255 as unsigned would be).
  const key = v | 0;
  const slot = (key ^ (key >>> FRONT_BITS) ^ (key >>> 20)) & ((1 << FRONT_BITS) - 1);
  const front = frontValues[slot];
  if (front !== undefined && frontKeys[slot] === key) return front;
  let s = v4Cache.get(key);
  if (s === undefined) {
    s = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    if (v4Cache.size >= V4_CACHE_MAX) v4Cache.clear();
    v4Cache.set(key, s);
  }
  frontKeys[slot] = key;
  frontValues[slot] = s;
  return s;
}

/** Reads a big-endian u32 at b[o] (caller checked bounds). */
function u32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}

function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

/** RFC 5952 text of 16 address bytes at b[o], uncached. */
export function formatIpv6(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(u16(b, o + 2 * i));
  // §5: IPv4-mapped.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

const V6_SLOTS = 1024;
const v6Words = new Uint32Array(V6_SLOTS * 4);
const v6Strings: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS);

/** RFC 5952 text of the IPv6 address at b[o], through a direct-mapped cache. */
export function ipv6String(b: Uint8Array, o: number): string {
  const a = u32(b, o);
  const c = u32(b, o + 4);
  const d = u32(b, o + 8);
  const e = u32(b, o + 12);
  const slot = ((a ^ (c * 31) ^ (d * 17) ^ (e * 131)) >>> 0) & (V6_SLOTS - 1);
  const k = slot * 4;
  const hit = v6Strings[slot];
  if (hit !== undefined && v6Words[k] === a && v6Words[k + 1] === c && v6Words[k + 2] === d && v6Words[k + 3] === e) return hit;
  const s = formatIpv6(b, o);
  v6Words[k] = a;
  v6Words[k + 1] = c;
  v6Words[k + 2] = d;
  v6Words[k + 3] = e;
  v6Strings[slot] = s;
  return s;
}

/**
 * Parses an IPv4 header at b[off..end). Returns null on success, else what is wrong
 * (in words, for a warning).
 */
export function parseIpv4(b: Uint8Array, off: number, end: number, h: IpHeader): string | null {
  if (end - off < 20) return `IPv4 header cut short (${Math.max(0, end - off)} of 20 bytes captured)`;
  const vihl = b[off] as number;
  const ihl = (vihl & 15) * 4;
  if (vihl >> 4 !== 4) return `IP version ${vihl >> 4} where IPv4 was expected`;
  if (ihl < 20) return `IPv4 header length ${ihl} is below the minimum of 20`;
  if (end - off < ihl) return `IPv4 header cut short (${end - off} of ${ihl} bytes captured)`;
  let total = u16(b, off + 2);
  if (total === 0) total = end - off; // TSO: length left to the NIC
  if (total < ihl) return `IPv4 total length ${total} is smaller than its header (${ihl})`;
  h.version = 4;
  h.src = ipv4String(u32(b, off + 12));
  h.dst = ipv4String(u32(b, off + 16));
  h.protocol = b[off + 9] as number;
  h.payloadStart = off + ihl;
  h.truncated = end - off < total;
  h.payloadEnd = h.truncated ? end : off + total;
  const ff = u16(b, off + 6);
  h.fragOffset = (ff & 0x1fff) * 8;
  h.fragMore = (ff & 0x2000) !== 0;
  h.fragment = h.fragMore || h.fragOffset !== 0;
  h.fragId = u16(b, off + 4);
  return null;
}

/** Protocol numbers of IPv6 extension headers with the generic (len+1)*8 layout. */
function isGenericExt(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140;
}

/**
 * Skips IPv6 extension headers starting with next-header `nh` at b[off..end); stops at the
 * first upper-layer header, at ESP, or at a fragment header (which it decodes into `h`).
 * Sets h.protocol and h.payloadStart. Returns null or an error in words.
 */
export function skipIpv6Extensions(b: Uint8Array, off: number, end: number, nh: number, h: IpHeader, stopAtFragment: boolean): string | null {
  let p = off;
  for (let guard = 0; guard < 32; guard++) {
    if (isGenericExt(nh) || nh === 51) {
      if (end - p < 8) return `IPv6 extension header ${nh} cut short`;
      const len = nh === 51 ? ((b[p + 1] as number) + 2) * 4 : ((b[p + 1] as number) + 1) * 8;
      if (end - p < len) return `IPv6 extension header ${nh} cut short (${end - p} of ${len} bytes captured)`;
      nh = b[p] as number;
      p += len;
      continue;
    }
    if (nh === 44) {
      if (end - p < 8) return 'IPv6 fragment header cut short';
      const ff = u16(b, p + 2);
      const next = b[p] as number;
      if (stopAtFragment) {
        h.fragment = true;
        h.fragOffset = ff & 0xfff8;
        h.fragMore = (ff & 1) !== 0;
        h.fragId = u32(b, p + 4);
        // An atomic fragment (offset 0, no more) is just the packet (RFC 6946).
        if (h.fragOffset === 0 && !h.fragMore) h.fragment = false;
        h.protocol = next;
        h.payloadStart = p + 8;
        if (h.fragment) return null;
        nh = next;
        p += 8;
        continue;
      }
      nh = next;
      p += 8;
      continue;
    }
    break;
  }
  h.protocol = nh;
  h.payloadStart = p;
  return null;
}

/** Parses an IPv6 header at b[off..end) and skips its extension headers. */
export function parseIpv6(b: Uint8Array, off: number, end: number, h: IpHeader): string | null {
  if (end - off < 40) return `IPv6 header cut short (${Math.max(0, end - off)} of 40 bytes captured)`;
  if ((b[off] as number) >> 4 !== 6) return `IP version ${(b[off] as number) >> 4} where IPv6 was expected`;
  let plen = u16(b, off + 4);
  if (plen === 0) plen = end - off - 40; // jumbogram or offload: as captured
  h.version = 6;
  h.src = ipv6String(b, off + 8);
  h.dst = ipv6String(b, off + 24);
  h.truncated = end - off - 40 < plen;
  h.payloadEnd = h.truncated ? end : off + 40 + plen;
  h.fragment = false;
  h.fragOffset = 0;
  h.fragMore = false;
  h.fragId = 0;
  const err = skipIpv6Extensions(b, off + 40, h.payloadEnd, b[off + 6] as number, h, true);
  if (err !== null) return err;
  if (h.payloadStart > h.payloadEnd) h.payloadStart = h.payloadEnd;
  return null;
}
