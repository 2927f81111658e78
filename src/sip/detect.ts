/**
 * Cheap recognition of a SIP start line (RFC 3261 §7.1 Request-Line, §7.2 Status-Line) on raw
 * bytes. It runs on every UDP payload of a capture (mostly RTP), so it looks at bytes only and
 * allocates nothing: a request is `token SP anything SP "SIP/2.0"` at the end of the first line,
 * a response starts with `"SIP/2.0" SP 3DIGIT`.
 */

/** Methods of RFC 3261 and its common extensions (RFC 3262, 3265, 3311, 3428, 3515, 3903, 6086). */
export const SIP_METHODS: readonly string[] = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
];

/** Longest first line we are prepared to look at (long Request-URIs exist, 8 KiB is plenty). */
const MAX_START_LINE = 8192;

// "SIP/2.0" as bytes.
const S = 0x53, I = 0x49, P = 0x50, SLASH = 0x2f, TWO = 0x32, DOT = 0x2e, ZERO = 0x30, SP = 0x20;

/** RFC 3261 token characters: alphanum and - . ! % * _ + ` ' ~ */
export function isTokenByte(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) ||
    b === 0x2d || b === 0x2e || b === 0x21 || b === 0x25 || b === 0x2a || b === 0x5f ||
    b === 0x2b || b === 0x60 || b === 0x27 || b === 0x7e;
}

function isSipVersionAt(bytes: Uint8Array, i: number): boolean {
  return bytes[i] === S && bytes[i + 1] === I && bytes[i + 2] === P && bytes[i + 3] === SLASH &&
    bytes[i + 4] === TWO && bytes[i + 5] === DOT && bytes[i + 6] === ZERO;
}

/**
 * True when the bytes from `offset` start with a SIP request or status line. `end` bounds the
 * look (the framer's buffer holds stale bytes past its write position).
 */
export function sipStartAt(bytes: Uint8Array, offset: number, end: number): boolean {
  if (end > bytes.length) end = bytes.length;
  if (offset < 0 || end - offset < 12) return false; // shortest: "SIP/2.0 200 " / "A x SIP/2.0"
  const b0 = bytes[offset]!;
  if (b0 < 0x41 || b0 > 0x5a) return false; // RTP, TLS, NUL…: first byte is not 'A'–'Z'
  // Status-Line: SIP/2.0 SP 3DIGIT
  if (isSipVersionAt(bytes, offset) && bytes[offset + 7] === SP) {
    for (let k = 8; k < 11; k++) {
      const d = bytes[offset + k]!;
      if (d < 0x30 || d > 0x39) return false;
    }
    const after = bytes[offset + 11];
    return after === SP || after === 0x0d || after === 0x0a || offset + 11 === end;
  }
  // Request-Line: Method SP Request-URI SP SIP-Version CRLF
  let i = offset;
  while (i < end && isTokenByte(bytes[i]!)) i++;
  if (i === offset || i >= end || bytes[i] !== SP) return false;
  const limit = Math.min(end, offset + MAX_START_LINE);
  let j = i + 1;
  while (j < limit) {
    const b = bytes[j]!;
    if (b === 0x0a || b === 0x0d) break;
    if (b < 0x20 && b !== 0x09) return false; // control byte inside the start line
    j++;
  }
  if (j === limit && j !== end) return false; // first line longer than we accept
  // j is the end of the line: trim trailing spaces, then expect " SIP/2.0".
  let e = j;
  while (e > i && (bytes[e - 1] === SP || bytes[e - 1] === 0x09)) e--;
  if (e - 8 <= i) return false; // needs a Request-URI between the two spaces
  return bytes[e - 8] === SP && isSipVersionAt(bytes, e - 7);
}

/** True when `bytes` at `offset` begin with a SIP start line (request or response). */
export function looksLikeSipStart(bytes: Uint8Array, offset = 0): boolean {
  return sipStartAt(bytes, offset, bytes.length);
}
