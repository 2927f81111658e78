/**
 * The share link's URL fragment (RFC 3986 §3.5: the part after '#', which browsers never send to
 * a server). Layout, `&`-separated `key=value` pairs, each value percent-encoded JSON:
 *
 *   #sl=1 & name=… & calls=… & msg=… & time=… & ov=… & meta=… & hosts=… & unf=… & notes=…
 *         & find=… & rtp=… & caplen=<characters of cap> & cap=<d|g>.<base64url of the capture>
 *
 * `cap` is a pcapng compressed with deflate-raw ("d") or gzip ("g") and comes last, so a link cut
 * short in a chat loses packets before it loses view state. Decoding never throws: every field is
 * read alone, a cut capture is decompressed as far as it goes, and each problem is reported.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { compress, decompress, pickFormat } from './compress.ts';
import type { CompressionFormat } from './compress.ts';
import type { Result } from './result.ts';
import type { FieldProblem, SharedView } from './view.ts';
import { readSharedView, SHARE_VERSION, writeSharedView } from './view.ts';

/** Chat tools and browsers: where links start to get cut. */
export const LINK_LIMITS = {
  /** Some chat tools and SMS gateways cut or refuse links longer than this. */
  someToolsCut: 2000,
  /** Most chat tools, e-mail clients and tickets cut beyond this. */
  mostToolsCut: 8000,
  /** Chromium keeps about 2 MB of URL; beyond it the link cannot be opened at all. */
  browserMax: 2 * 1024 * 1024,
} as const;

export type LinkSizeLevel = 'ok' | 'some-cut' | 'most-cut' | 'too-long';

export function linkSizeLevel(length: number): LinkSizeLevel {
  if (length > LINK_LIMITS.browserMax) return 'too-long';
  if (length > LINK_LIMITS.mostToolsCut) return 'most-cut';
  if (length > LINK_LIMITS.someToolsCut) return 'some-cut';
  return 'ok';
}

/** Builds the fragment (without '#') for a view and, optionally, a capture. */
export async function encodeShareFragment(view: SharedView, capture: Uint8Array | null, format: CompressionFormat = pickFormat()): Promise<string> {
  const parts = [`sl=${SHARE_VERSION}`];
  for (const [k, json] of writeSharedView(view)) parts.push(`${k}=${encodeURIComponent(json)}`);
  if (capture) {
    const b64 = encodeBase64url(await compress(capture, format));
    const cap = `${format === 'gzip' ? 'g' : 'd'}.${b64}`;
    parts.push(`caplen=${cap.length}`, `cap=${cap}`);
  }
  return parts.join('&');
}

export interface DecodedCapture {
  /** The decompressed capture bytes (possibly only a prefix, see `problem`). */
  bytes: Uint8Array;
  /** True when the capture arrived whole. */
  complete: boolean;
  /** What went wrong, in words, when it did not. */
  problem: string | null;
  /** True when the capture was refused for inflating beyond MAX_INFLATED_BYTES (not a cut link). */
  tooLarge?: boolean;
}

export interface DecodedShare {
  version: number;
  view: SharedView;
  /** Fields that could not be read (each fell back to its default). */
  problems: FieldProblem[];
  capture: DecodedCapture | null;
}

/** True when a location hash looks like a share link (cheap; no decoding). */
export function isShareFragment(hash: string): boolean {
  return /^#?sl=/.test(hash);
}

/** Decodes a fragment ("#sl=…" or "sl=…"). Errors only when it is not a share link at all. */
export async function decodeShareFragment(hash: string): Promise<Result<DecodedShare>> {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!isShareFragment(text)) return { ok: false, error: 'this address does not hold a sipladder share link (it should start with "#sl=")' };
  const raw = new Map<string, string>();
  const problems: FieldProblem[] = [];
  let capText: string | null = null;
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (key === 'cap') {
      capText = value;
      continue;
    }
    try {
      raw.set(key, decodeURIComponent(value));
    } catch {
      problems.push({ field: key, message: 'cut short in the middle of an escaped character' });
    }
  }
  const versionText = raw.get('sl') ?? '';
  const version = /^\d+$/.test(versionText) ? Number(versionText) : NaN;
  if (!Number.isFinite(version)) return { ok: false, error: `the share link's version (${JSON.stringify(versionText.slice(0, 20))}) is not readable` };
  if (version > SHARE_VERSION) problems.push({ field: 'version', message: `made by a newer sipladder (link version ${version}, this one reads ${SHARE_VERSION}); what could be read is shown` });
  const { view, problems: fieldProblems } = readSharedView(raw);
  problems.push(...fieldProblems);

  let capture: DecodedCapture | null = null;
  const expected = Number(raw.get('caplen'));
  if (capText !== null) {
    capture = await decodeCapture(capText, Number.isInteger(expected) && expected > 0 ? expected : null);
  } else if (raw.has('caplen')) {
    capture = { bytes: new Uint8Array(0), complete: false, problem: 'the link is cut short: the capture it carried is missing entirely' };
  }
  return { ok: true, value: { version, view, problems, capture } };
}

async function decodeCapture(capText: string, expectedChars: number | null): Promise<DecodedCapture> {
  const notes: string[] = [];
  if (expectedChars !== null && capText.length < expectedChars) {
    notes.push(`the link is cut short: ${capText.length.toLocaleString('en')} of ${expectedChars.toLocaleString('en')} characters of the capture arrived`);
  } else if (expectedChars !== null && capText.length > expectedChars) {
    notes.push(`the capture has ${capText.length - expectedChars} more characters than announced (edited?)`);
  }
  const dot = capText.indexOf('.');
  const tag = dot < 0 ? '' : capText.slice(0, dot);
  const format: CompressionFormat | null = tag === 'd' ? 'deflate-raw' : tag === 'g' ? 'gzip' : null;
  if (format === null) return { bytes: new Uint8Array(0), complete: false, problem: [...notes, 'the capture part of the link is not in a known format'].join('; ') };
  const b64 = decodeBase64url(capText.slice(dot + 1));
  if (!b64.ok) return { bytes: new Uint8Array(0), complete: false, problem: [...notes, b64.error].join('; ') };
  if (b64.value.problem) notes.push(b64.value.problem);
  const out = await decompress(b64.value.bytes, format);
  if (out.tooLarge) return { bytes: new Uint8Array(0), complete: false, problem: out.problem, tooLarge: true };
  if (out.problem) notes.push(out.problem);
  return { bytes: out.bytes, complete: notes.length === 0, problem: notes.length ? notes.join('; ') : null };
}
