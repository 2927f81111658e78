/**
 * Text search over the SIP messages of a capture: headers and bodies (SDP and any other body),
 * start lines included. It runs where the message text lives — the worker (the page holds only
 * the report, not the text) — and returns, per matching message, where the first match is (start
 * line, which header, or the body, and the line number) with a short snippet, so the page can
 * list the matches and walk them with n / N.
 *
 * Query: plain text, case-insensitive unless it has a capital letter (vim's smartcase); `/re/` or
 * `/re/i` is a JavaScript regular expression. No DOM, no Node built-ins.
 */

/** What the search reads of a message (a CapturedMessage is one: no copy is made). */
export interface SearchableMessage {
  index: number;
  raw: string;
  /** The parsed message, for the length of its header part (start line, headers, blank line). */
  sip?: { headerLength: number } | null;
}

export interface SearchMatch {
  /** Message index (report.messages[index]). */
  index: number;
  /** Where the first match is: the start line, a header (its name), or the body. */
  where: 'start-line' | 'header' | 'body';
  header: string | null;
  /** 1-based line of the first match inside the message. */
  line: number;
  /** The matched line around the first match (at most ~160 characters), and the match in it. */
  before: string;
  match: string;
  after: string;
  /** Matches in this message. */
  count: number;
}

export interface SearchResult {
  query: string;
  matches: SearchMatch[];
  /** Messages that matched (may exceed matches.length when the list was cut at `limit`). */
  messages: number;
  /** Total occurrences in the messages listed. */
  occurrences: number;
  truncated: boolean;
  /** Why the query could not run (a bad regular expression), else null. */
  error: string | null;
  /**
   * Messages not searched because their text, left in the file, could not be read again (the file
   * changed, moved or went away since it was opened: sip/captured.ts gives "" then).
   */
  unreadable: number;
}

const SNIPPET = 160;

/** The query as a global regular expression, or an error message. */
export function searchPattern(query: string): RegExp | string {
  const re = /^\/(.+)\/([a-z]*)$/s.exec(query);
  if (re) {
    try {
      const flags = re[2]!.replace(/[gy]/g, '');
      return new RegExp(re[1]!, `${flags}g`);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }
  const escaped = query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped, /[A-Z]/.test(query) ? 'g' : 'gi');
}

function lineBounds(raw: string, at: number): { start: number; end: number; line: number } {
  const nl = raw.lastIndexOf('\n', at - 1);
  const start = nl + 1;
  let end = raw.indexOf('\n', at);
  if (end < 0) end = raw.length;
  if (end > start && raw.charCodeAt(end - 1) === 13) end--;
  let line = 1;
  for (let i = raw.indexOf('\n'); i >= 0 && i < start; i = raw.indexOf('\n', i + 1)) line++;
  return { start, end, line };
}

/** Search the messages (in the order given); at most `limit` matching messages are listed. */
export function searchMessages(messages: readonly SearchableMessage[], query: string, limit = 5000): SearchResult {
  const result: SearchResult = { query, matches: [], messages: 0, occurrences: 0, truncated: false, error: null, unreadable: 0 };
  if (query.trim() === '') return result;
  const pattern = searchPattern(query);
  if (typeof pattern === 'string') {
    result.error = pattern;
    return result;
  }
  for (const m of messages) {
    // Read once: a text left in the file is read again (and decoded) each time it is asked for.
    const raw = m.raw;
    if (raw.length === 0) {
      result.unreadable++;
      continue;
    }
    pattern.lastIndex = 0;
    const first = pattern.exec(raw);
    if (!first) continue;
    result.messages++;
    if (result.matches.length >= limit) {
      result.truncated = true;
      continue;
    }
    // A regular expression that matches the empty string would loop: step past such matches.
    let count = 1;
    if (first[0].length === 0) pattern.lastIndex = first.index + 1;
    for (let x = pattern.exec(raw); x; x = pattern.exec(raw)) {
      count++;
      if (x[0].length === 0) pattern.lastIndex = x.index + 1;
    }
    const at = first.index;
    const { start, end, line } = lineBounds(raw, at);
    const headerEnd = m.sip ? m.sip.headerLength : headerLengthOf(raw);
    let where: SearchMatch['where'];
    let header: string | null = null;
    if (line === 1) where = 'start-line';
    else if (at < headerEnd) {
      where = 'header';
      const text = raw.slice(start, end);
      const colon = text.indexOf(':');
      // A folded continuation line (starts with white space) belongs to the header above it.
      header = colon > 0 && !/^[ \t]/.test(text) ? text.slice(0, colon).trim() : null;
    } else where = 'body';
    const len = first[0].length;
    const room = Math.max(0, SNIPPET - len);
    const from = Math.max(start, at - Math.floor(room / 3));
    const to = Math.min(end, at + len + (room - (at - from)));
    result.matches.push({
      index: m.index,
      where,
      header,
      line,
      before: (from > start ? '…' : '') + raw.slice(from, at),
      match: raw.slice(at, at + len),
      after: raw.slice(at + len, Math.max(at + len, to)) + (to < end ? '…' : ''),
      count,
    });
    result.occurrences += count;
  }
  return result;
}

/** Where the headers end in a message that did not parse: after the first blank line. */
function headerLengthOf(raw: string): number {
  const crlf = raw.indexOf('\r\n\r\n');
  if (crlf >= 0) return crlf + 4;
  const lf = raw.indexOf('\n\n');
  return lf >= 0 ? lf + 2 : raw.length;
}
