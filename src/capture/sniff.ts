/**
 * Recognises a capture container by its first bytes (magic numbers only) and opens the
 * matching streaming reader. Formats: classic pcap (a1b2c3d4 µs, a1b23c4d ns, either byte
 * order; a1b2cd34 "modified" pcap), pcapng (Section Header Block type 0a0d0d0a), and gzip
 * (1f 8b, RFC 1952), which the caller decompresses first (see source.ts `gunzipChunks`).
 * Well-known non-capture formats are named in the error so the user knows what they gave us.
 */
import type { ContainerReader, ContainerSink } from './types.ts';
import { hexBytes } from './bytes.ts';
import { PcapReader } from './pcap.ts';
import { PcapngReader } from './pcapng.ts';

export type SniffResult = { kind: 'pcap' | 'pcapng' | 'gzip' } | { kind: 'unknown'; reason: string };

interface Detector {
  name: 'pcap' | 'pcapng' | 'gzip';
  /** Bytes of head needed to decide. */
  bytes: number;
  sniff(head: Uint8Array): boolean;
}

function startsWith(head: Uint8Array, sig: readonly number[]): boolean {
  if (head.length < sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (head[i] !== sig[i]) return false;
  return true;
}

const PCAP_MAGICS: readonly (readonly number[])[] = [
  [0xa1, 0xb2, 0xc3, 0xd4], // µs, big-endian
  [0xd4, 0xc3, 0xb2, 0xa1], // µs, little-endian
  [0xa1, 0xb2, 0x3c, 0x4d], // ns, big-endian
  [0x4d, 0x3c, 0xb2, 0xa1], // ns, little-endian
  [0xa1, 0xb2, 0xcd, 0x34], // Kuznetzov modified pcap, big-endian
  [0x34, 0xcd, 0xb2, 0xa1], // Kuznetzov modified pcap, little-endian
];

/** The container registry: first match wins. */
export const DETECTORS: readonly Detector[] = [
  { name: 'pcap', bytes: 4, sniff: (h) => PCAP_MAGICS.some((m) => startsWith(h, m)) },
  { name: 'pcapng', bytes: 4, sniff: (h) => startsWith(h, [0x0a, 0x0d, 0x0d, 0x0a]) },
  { name: 'gzip', bytes: 2, sniff: (h) => startsWith(h, [0x1f, 0x8b]) },
];

/** Other formats people drop on us by mistake, named in the error text. */
const KNOWN_OTHERS: ReadonlyArray<{ sig: readonly number[]; what: string }> = [
  { sig: [0x47, 0x4d, 0x42, 0x55], what: 'a Microsoft Network Monitor capture, which is not supported; save it as pcapng' },
  { sig: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive?' },
  { sig: [0x42, 0x5a, 0x68], what: 'a bzip2 file?' },
  { sig: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'an xz file?' },
  { sig: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd file?' },
  { sig: [0x37, 0x7a, 0xbc, 0xaf], what: 'a 7-Zip archive?' },
  { sig: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document?' },
  { sig: [0x52, 0x61, 0x72, 0x21], what: 'a RAR archive?' },
  { sig: [0x58, 0x43, 0x50, 0x00], what: 'a NetXray/Sniffer capture, which is not supported' },
  { sig: [0x72, 0x74, 0x70, 0x70, 0x6c, 0x61, 0x79], what: 'an rtpdump file, which is not supported' },
  { sig: [0x7b], what: 'JSON text?' },
  { sig: [0x3c], what: 'XML or HTML text?' },
];

export function sniffContainer(head: Uint8Array): SniffResult {
  if (head.length === 0) return { kind: 'unknown', reason: 'empty file' };
  for (const d of DETECTORS) if (d.sniff(head)) return { kind: d.name };
  const hex = hexBytes(head, 4);
  const other = KNOWN_OTHERS.find((o) => startsWith(head, o.sig));
  if (other) return { kind: 'unknown', reason: `not a capture file: starts with ${hex} (${other.what})` };
  if (head.length < 4) return { kind: 'unknown', reason: `not a capture file: only ${head.length} byte${head.length === 1 ? '' : 's'} long (${hex})` };
  if (looksLikeText(head)) return { kind: 'unknown', reason: `not a capture file: starts with ${hex} (text: "${textPreview(head)}")` };
  return { kind: 'unknown', reason: `not a capture file: starts with ${hex}, which is neither pcap, pcapng nor gzip` };
}

/** Opens a streaming reader for the container whose first bytes are `head`. */
export function openContainer(head: Uint8Array, sink: ContainerSink): ContainerReader | { error: string } {
  const s = sniffContainer(head);
  switch (s.kind) {
    case 'pcap':
      return new PcapReader(sink);
    case 'pcapng':
      return new PcapngReader(sink);
    case 'gzip':
      return { error: 'gzip-compressed data: decompress it first' };
    default:
      return { error: s.reason };
  }
}

function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 16);
  for (let i = 0; i < n; i++) {
    const c = head[i] ?? 0;
    if (!(c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f))) return false;
  }
  return true;
}

function textPreview(head: Uint8Array): string {
  let s = '';
  const n = Math.min(head.length, 16);
  for (let i = 0; i < n; i++) {
    const c = head[i] ?? 0x20;
    s += c >= 0x20 && c < 0x7f && c !== 0x22 ? String.fromCharCode(c) : ' ';
  }
  return s.trim();
}
