/**
 * The anonymiser of a share: one keyed, consistent rewrite of everything that identifies people
 * and networks — IP addresses (class kept: private stays private, CGNAT stays CGNAT, public
 * stays public, loopback kept; see addresses.ts), phone numbers and user parts (digits stay
 * digits, same length, '+' kept), host names, display names, digest secrets, and optionally
 * Call-IDs and tags. Ports are never changed.
 *
 * Every replacement comes from HMAC-SHA-256 (WebCrypto, FIPS 198-1) of the value under a random
 * per-share key, so within one share the same input always gives the same output and different
 * inputs never collide, while two shares cannot be linked. Work happens in three steps: `observe`
 * every message and address (collects values), `prepare` (computes the HMACs and settles
 * collisions in sorted order, so the result does not depend on message order), then rewrite.
 */
import {
  candidateIpv4,
  candidateIpv6,
  formatIpv4,
  formatIpv6,
  ipv4Class,
  ipv6Class,
  parseIpv4,
  parseIpv6,
  SeededBytes,
} from './addresses.ts';
import { dictionaryRegex, rewriteFreeText, rewriteSipText } from './siptext.ts';
import type { ScanOptions, SpanKind } from './siptext.ts';

export interface AnonymiseOptions {
  /** Also rewrite Call-IDs and tags (default false: they are random already in most stacks). */
  callIds: boolean;
}

type MapKind = Exclude<SpanKind, 'dict'>;

export interface Replacement {
  kind: MapKind;
  from: string;
  to: string;
}

/** Users and display names that identify no one and carry meaning (RFC 3323 anonymous…). */
const KEEP_NAMES = new Set(['anonymous', 'unknown', 'restricted', 'unavailable', 'private', 's', 'invalid']);
const KEEP_HOSTS = new Set(['localhost', 'anonymous.invalid']);
const B32 = 'abcdefghijkmnpqrstuvwxyz23456789';

function canonicalIp(text: string): string | null {
  if (parseIpv4(text) !== null) return formatIpv4(parseIpv4(text)!);
  const b = parseIpv6(text);
  return b ? formatIpv6(b) : null;
}

/**
 * Messages are rewritten as latin1 text while the parser reads Call-IDs as UTF-8 (invalid bytes
 * become U+FFFD), so a Call-ID with non-ASCII bytes is keyed with every non-ASCII run as one U+FFFD.
 */
function sameCallId(id: string): string {
  return id.replace(/[\u0080-\uffff]+/g, '\ufffd');
}

export class Anonymiser {
  private readonly seen = new Map<MapKind, Set<string>>();
  private readonly maps = new Map<MapKind, Map<string, string>>();
  private dictFrom = new Map<string, string>();
  private scan: ScanOptions;
  private prepared = false;

  private constructor(
    private readonly key: CryptoKey,
    readonly options: AnonymiseOptions,
  ) {
    this.scan = { callIds: options.callIds, dictionary: null };
  }

  /** A new anonymiser with a fresh random key (or a given raw key, for tests). */
  static async create(options: AnonymiseOptions, rawKey?: Uint8Array): Promise<Anonymiser> {
    const raw = rawKey ?? crypto.getRandomValues(new Uint8Array(32));
    const key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Anonymiser(key, options);
  }

  private note(kind: MapKind, value: string): void {
    if (kind === 'callid') value = sameCallId(value);
    if (kind === 'ip') {
      const c = canonicalIp(value);
      if (c === null) return;
      value = c;
    }
    let set = this.seen.get(kind);
    if (!set) this.seen.set(kind, (set = new Set()));
    set.add(value);
  }

  private collector = (kind: SpanKind, value: string): string => {
    if (kind !== 'dict') this.note(kind, value);
    return value;
  };

  /** Step 1: collect the values of one SIP message. */
  observeMessage(text: string): void {
    rewriteSipText(text, this.scan, this.collector);
  }

  /** Step 1: collect an address from a packet header ("1.2.3.4", "2001:db8::1"). */
  observeAddress(ip: string): void {
    this.note('ip', ip);
  }

  /** Step 1: collect values from free text (notes, column names). */
  observeFree(text: string): void {
    rewriteFreeText(text, this.scan, this.collector);
  }

  /** Step 2: compute every replacement. */
  async prepare(): Promise<void> {
    const used = new Set<string>();
    for (const set of this.seen.values()) for (const v of set) used.add(v);
    const kinds: MapKind[] = ['ip', 'user', 'host', 'display', 'callid', 'tag', 'secret'];
    for (const kind of kinds) {
      const values = [...(this.seen.get(kind) ?? [])].sort();
      const digests = await Promise.all(values.map((v) => this.hmac(kind, v)));
      const map = new Map<string, string>();
      values.forEach((v, i) => map.set(v, this.choose(kind, v, new SeededBytes(digests[i]!), used, map)));
      this.maps.set(kind, map);
    }
    // Display names that are numbers follow the number's own replacement.
    for (const [from] of this.maps.get('display') ?? []) {
      const asUser = this.maps.get('user')?.get(from);
      if (asUser !== undefined) this.maps.get('display')!.set(from, asUser);
    }
    this.dictFrom = new Map();
    for (const kind of ['user', 'host', 'display'] as const) {
      for (const [from, to] of this.maps.get(kind) ?? []) if (from !== to && !this.dictFrom.has(from)) this.dictFrom.set(from, to);
    }
    // "+14155550123" is also written "14155550123" in free text.
    for (const [from, to] of this.maps.get('user') ?? []) {
      if (/^\+\d+$/.test(from) && to.startsWith('+') && !this.dictFrom.has(from.slice(1))) this.dictFrom.set(from.slice(1), to.slice(1));
    }
    this.scan = { callIds: this.options.callIds, dictionary: dictionaryRegex(this.dictFrom.keys()) };
    this.prepared = true;
  }

  private async hmac(kind: string, value: string): Promise<Uint8Array> {
    const data = new TextEncoder().encode(`${kind}\u0000${value}`);
    return new Uint8Array(await crypto.subtle.sign('HMAC', this.key, data));
  }

  private choose(kind: MapKind, value: string, rnd: SeededBytes, used: Set<string>, mine: Map<string, string>): string {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const c = this.candidate(kind, value, rnd, attempt);
      if (c === value) return c; // kept as is (loopback, "anonymous"…)
      if (!used.has(c)) {
        used.add(c);
        return c;
      }
    }
    // Practically unreachable; still never return an original value.
    const fallback = `${kind}-${mine.size + 1}`;
    used.add(fallback);
    return fallback;
  }

  private candidate(kind: MapKind, value: string, rnd: SeededBytes, attempt: number): string {
    const word = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += B32[rnd.below(B32.length)];
      return s;
    };
    switch (kind) {
      case 'ip': {
        const v4 = parseIpv4(value);
        if (v4 !== null) {
          const c = ipv4Class(v4);
          if (c === 'loopback' || c === 'special') return value;
          return formatIpv4(candidateIpv4(c, rnd, attempt));
        }
        const b = parseIpv6(value)!;
        const c = ipv6Class(b);
        if (c === 'loopback' || c === 'special') return value;
        if (c === 'v4-mapped') {
          const inner = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
          const ic = ipv4Class(inner);
          if (ic === 'loopback' || ic === 'special') return value;
          return `::ffff:${formatIpv4(candidateIpv4(ic, rnd, attempt))}`;
        }
        return formatIpv6(candidateIpv6(c, rnd));
      }
      case 'user':
      case 'display': {
        if (KEEP_NAMES.has(value.toLowerCase())) return value;
        const digits = value.replace(/[^0-9]/g, '').length;
        if (/^\+?[0-9\-.() *#]+$/.test(value) && digits > 0) {
          // A number: every digit replaced, punctuation and length kept.
          return value.replace(/[0-9]/g, () => String(rnd.below(10)));
        }
        return kind === 'user' ? `user-${word(6)}` : `Name ${word(4).toUpperCase()}`;
      }
      case 'host': {
        if (KEEP_HOSTS.has(value.toLowerCase())) return value;
        const suffix = /\.(invalid|local)$/i.exec(value)?.[0] ?? (value.includes('.') ? '.example.net' : '');
        return `h-${word(6)}${suffix.toLowerCase()}`;
      }
      case 'callid':
        return `cid-${word(20)}`;
      case 'tag':
        return word(Math.max(8, Math.min(value.length, 16)));
      case 'secret': {
        const hex = /^[0-9a-f]+$/i.test(value);
        let s = '';
        for (let i = 0; i < value.length; i++) s += value[i] === '-' ? '-' : hex ? '0123456789abcdef'[rnd.below(16)] : B32[rnd.below(B32.length)];
        return s;
      }
    }
  }

  /** The replacement for a collected value (values never observed are redacted, not leaked). */
  private lookup = (kind: SpanKind, value: string): string => {
    if (!this.prepared) throw new Error('Anonymiser.prepare() must run before rewriting');
    if (kind === 'dict') return this.dictFrom.get(value) ?? value;
    const key = kind === 'ip' ? canonicalIp(value) : kind === 'callid' ? sameCallId(value) : value;
    if (key === null) return value;
    const hit = this.maps.get(kind)?.get(key);
    if (hit !== undefined) return hit;
    return kind === 'ip' ? value : `redacted-${kind}`;
  };

  /** Step 3: the anonymised text of one SIP message (Content-Length kept consistent). */
  message(text: string): string {
    return rewriteSipText(text, this.scan, this.lookup);
  }

  /** The replacement of an address (packet headers, host-layout keys); unknown ones map too. */
  address(ip: string): string {
    const key = canonicalIp(ip);
    if (key === null) return ip;
    return this.maps.get('ip')?.get(key) ?? ip;
  }

  /** "ip:port" / "[v6]:port" / plain ip → the same with the address replaced. */
  endpoint(key: string): string {
    const m = /^\[([^\]]+)\](:\d+)?$/.exec(key);
    if (m) return `[${this.address(m[1]!)}]${m[2] ?? ''}`;
    const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(:\d+)?$/.exec(key);
    if (v4) return `${this.address(v4[1]!)}${v4[2] ?? ''}`;
    return this.address(key);
  }

  /** A Call-ID as the messages now carry it. */
  callId(id: string): string {
    const line = rewriteSipText(`OPTIONS sip:x SIP/2.0\r\nCall-ID: ${id}\r\n\r\n`, this.scan, this.lookup);
    return /\r\nCall-ID: (.*)\r\n/.exec(line)?.[1] ?? id;
  }

  /** Free text (a note, a column name) with the same replacements. */
  free(text: string): string {
    return rewriteFreeText(text, this.scan, this.lookup);
  }

  /** What was replaced (for the preview), by kind then original value. */
  replacements(): Replacement[] {
    const out: Replacement[] = [];
    for (const [kind, map] of this.maps) for (const [from, to] of map) if (from !== to) out.push({ kind, from, to });
    return out;
  }
}
