/**
 * Where each layer of a captured packet sits, so the fuzzer can aim its mutations: link header,
 * IPv4/IPv6 header (and whether it is a fragment), transport header, payload and what the payload
 * looks like (SIP, SDP, TLS, WebSocket, HEP, RTP). A light dissector of its own (Ethernet + VLAN,
 * Linux SLL/SLL2, BSD loopback, raw IP; RFC 791, RFC 8200, RFC 768, RFC 9293, RFC 9260), not the
 * engine's: the fuzzer must not share the bugs it hunts.
 */
export interface Pkt {
  timeUs: number;
  linkType: number;
  data: Uint8Array;
}

export type App = 'sip' | 'sdp' | 'tls' | 'ws' | 'hep' | 'rtp' | 'other' | 'none';

export interface Layers {
  l3: number;
  ipVersion: 0 | 4 | 6;
  l4: number;
  proto: number;
  payload: number;
  end: number;
  fragment: boolean;
  app: App;
}

const ascii = (d: Uint8Array, o: number, n: number): string => String.fromCharCode(...d.subarray(o, Math.min(d.length, o + n)));

export function dissect(p: Pkt): Layers {
  const d = p.data;
  const none: Layers = { l3: -1, ipVersion: 0, l4: -1, proto: -1, payload: -1, end: d.length, fragment: false, app: 'none' };
  let l3: number;
  let type: number;
  switch (p.linkType) {
    case 1: {
      if (d.length < 14) return none;
      let o = 12;
      type = (d[o]! << 8) | d[o + 1]!;
      while ((type === 0x8100 || type === 0x88a8) && o + 6 <= d.length) {
        o += 4;
        type = (d[o]! << 8) | d[o + 1]!;
      }
      l3 = o + 2;
      break;
    }
    case 113:
      if (d.length < 16) return none;
      type = (d[14]! << 8) | d[15]!;
      l3 = 16;
      break;
    case 276:
      if (d.length < 20) return none;
      type = (d[0]! << 8) | d[1]!;
      l3 = 20;
      break;
    case 0:
    case 108:
      l3 = 4;
      type = -2;
      break;
    case 101:
    case 228:
    case 229:
    case 12:
    case 14:
      l3 = 0;
      type = -2;
      break;
    default:
      return none;
  }
  if (l3 >= d.length) return none;
  const v = d[l3]! >> 4;
  if (type === 0x0800 || (type === -2 && v === 4)) return ip4(d, l3);
  if (type === 0x86dd || (type === -2 && v === 6)) return ip6(d, l3);
  return { ...none, l3 };
}

function ip4(d: Uint8Array, o: number): Layers {
  const ihl = (d[o]! & 15) * 4;
  const total = ((d[o + 2]! << 8) | d[o + 3]!) || d.length - o;
  const proto = d[o + 9] ?? -1;
  const frag = (((d[o + 6]! & 0x3f) << 8) | d[o + 7]!) !== 0;
  const end = Math.min(d.length, o + total);
  return transport(d, o, 4, o + ihl, proto, end, frag);
}

function ip6(d: Uint8Array, o: number): Layers {
  let proto = d[o + 6] ?? -1;
  let l4 = o + 40;
  let frag = false;
  const end = Math.min(d.length, o + 40 + (((d[o + 4]! << 8) | d[o + 5]!) || d.length));
  for (let k = 0; k < 4 && l4 + 8 <= end; k++) {
    if (proto === 44) {
      frag = true;
      proto = d[l4]!;
      l4 += 8;
    } else if (proto === 0 || proto === 43 || proto === 60) {
      const next = d[l4]!;
      l4 += (d[l4 + 1]! + 1) * 8;
      proto = next;
    } else break;
  }
  return transport(d, o, 6, l4, proto, end, frag);
}

function transport(d: Uint8Array, l3: number, ipVersion: 4 | 6, l4: number, proto: number, end: number, fragment: boolean): Layers {
  let payload = -1;
  if (l4 <= end) {
    if (proto === 17 && l4 + 8 <= end) payload = l4 + 8;
    else if (proto === 6 && l4 + 20 <= end) payload = Math.min(end, l4 + (d[l4 + 12]! >> 4) * 4);
    else if (proto === 132 && l4 + 12 <= end) payload = l4 + 12;
    else if ((proto === 1 || proto === 58) && l4 + 8 <= end) payload = l4 + 8;
  }
  const out: Layers = { l3, ipVersion, l4, proto, payload, end, fragment, app: 'none' };
  if (payload < 0 || payload >= end || fragment) return out;
  const head = ascii(d, payload, 8);
  if (head.startsWith('HEP3') || (proto === 17 && (d[payload] === 1 || d[payload] === 2) && d[payload + 1] === 16)) out.app = 'hep';
  else if (d[payload] === 0x16 && d[payload + 1] === 3) out.app = 'tls';
  else if (head.startsWith('GET ') || head.startsWith('HTTP/1.1') || (proto === 6 && (d[payload]! & 0x70) === 0 && [0x81, 0x82, 0x01, 0x88, 0x89, 0x8a].includes(d[payload]!))) out.app = 'ws';
  else if (/^[A-Z]{3,9} |^SIP\/2\.0/.test(head)) out.app = ascii(d, payload, end - payload).includes('\nv=0') ? 'sdp' : 'sip';
  else if (proto === 17 && d[payload]! >> 6 === 2) out.app = 'rtp';
  else out.app = 'other';
  return out;
}

/** After the bytes between `payload` and the end changed size: IPv4 total length, IPv6 payload length, UDP length. */
export function fixLengths(p: Pkt, l: Layers): void {
  const d = p.data;
  if (l.ipVersion === 4 && l.l3 + 4 <= d.length) {
    const total = d.length - l.l3;
    d[l.l3 + 2] = (total >> 8) & 0xff;
    d[l.l3 + 3] = total & 0xff;
  } else if (l.ipVersion === 6 && l.l3 + 6 <= d.length) {
    const plen = d.length - l.l3 - 40;
    d[l.l3 + 4] = (plen >> 8) & 0xff;
    d[l.l3 + 5] = plen & 0xff;
  }
  if (l.proto === 17 && l.l4 + 6 <= d.length) {
    const ulen = d.length - l.l4;
    d[l.l4 + 4] = (ulen >> 8) & 0xff;
    d[l.l4 + 5] = ulen & 0xff;
  }
}
