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

/** The messages without their parse (`sip: null`; `parseError` still says which never parsed). */
export function withoutParse(messages: readonly CapturedMessage[]): CapturedMessage[] {
  return messages.map((m) => ({ ...m, sip: null }));
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
