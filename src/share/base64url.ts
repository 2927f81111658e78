/**
 * base64url (RFC 4648 §5: '-' and '_' instead of '+' and '/', no '=' padding), the alphabet that
 * survives a URL fragment and chat tools unescaped. The decoder is tolerant: it stops at the
 * first character outside the alphabet and says where, and a dangling final character (a link
 * cut mid-quantum) is dropped with a note, so a truncated link still yields every whole byte.
 */
import type { Result } from './result.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64url(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + ALPHABET[v & 63]!;
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    chunk += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]!;
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]!;
  }
  parts.push(chunk);
  return parts.join('');
}

export interface Base64Decoded {
  bytes: Uint8Array;
  /** Set when not every character could be used (bad character, dangling last character). */
  problem: string | null;
}

/** Decodes base64url (also accepts '+', '/' and trailing '='); never throws. */
export function decodeBase64url(text: string): Result<Base64Decoded> {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--; // '=' padding
  let problem: string | null = null;
  let valid = end;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const ok = c < 128 && (LOOKUP[c]! >= 0 || c === 43 || c === 47);
    if (!ok) {
      valid = i;
      problem = `character ${JSON.stringify(text[i])} at position ${i} is not base64url; the data stops there`;
      break;
    }
  }
  const val = (i: number): number => {
    const c = text.charCodeAt(i);
    if (c === 43) return 62;
    if (c === 47) return 63;
    return LOOKUP[c]!;
  };
  const rem = valid % 4;
  if (rem === 1) {
    problem ??= `the encoded data ends mid-byte after ${valid} characters (cut short?)`;
    valid -= 1;
  }
  const outLen = Math.floor((valid * 3) / 4);
  if (outLen === 0 && problem !== null) return { ok: false, error: problem };
  const out = new Uint8Array(outLen);
  let o = 0;
  let i = 0;
  for (; i + 3 < valid; i += 4) {
    const v = (val(i) << 18) | (val(i + 1) << 12) | (val(i + 2) << 6) | val(i + 3);
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (valid - i === 2) {
    const v = (val(i) << 18) | (val(i + 1) << 12);
    out[o] = v >>> 16;
  } else if (valid - i === 3) {
    const v = (val(i) << 18) | (val(i + 1) << 12) | (val(i + 2) << 6);
    out[o] = v >>> 16;
    out[o + 1] = (v >>> 8) & 255;
  }
  return { ok: true, value: { bytes: out, problem } };
}
