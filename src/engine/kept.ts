/**
 * What an open capture keeps of its messages once the report is written (the worker holds it for
 * as long as the capture is open): where and when each message travelled and its text, not its
 * parse. The parsed structures — Vias, name-addrs, SDP summaries, the located header lines — were
 * for the model and the detectors; the detail view gets a message parsed again from its text,
 * the same parse (the parser is deterministic and the text is the message's bytes, one character
 * per byte) with the capture's own notes added back. On the signalling-dense bench file this is
 * about 200 MB of the worker's heap.
 */
import { parseSipText } from '../sip/parser.ts';
import type { CapturedMessage, SipMessage } from '../sip/types.ts';

/**
 * Drops each message's parse in place (`sip: null`; `parseError` still says which never parsed)
 * and returns the same list: for an analysis only its owner holds (the worker's, once its report
 * is posted). In place, not copied: a copy of every message was made while the parses were
 * still alive (480,000 objects on the 200 MB bench capture; the renderer's RSS when the
 * diagnosis is done was 30–90 MB lower without it in two runs each, the peak within noise).
 */
export function dropParse(messages: CapturedMessage[]): CapturedMessage[] {
  for (const m of messages) m.sip = null;
  return messages;
}

/** The message's parse: the one it has, or the same one again from its text. */
export function parsedAgain(m: CapturedMessage): SipMessage | null {
  if (m.sip !== null) return m.sip;
  if (m.parseError !== null) return null;
  const r = parseSipText(m.raw);
  if (!r.ok) return null;
  if (m.captureNotes) r.message.notes = [...r.message.notes, ...m.captureNotes];
  return r.message;
}
