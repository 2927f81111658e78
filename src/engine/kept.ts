/**
 * What an analysis keeps of its messages once the detectors' index is built (engine/analyze.ts
 * `judge`; the worker holds them for as long as a capture is open): where and when each message
 * travelled and its text, not its parse. The parsed structures — Vias, name-addrs, SDP summaries,
 * the located header lines — were for the model and the detectors' index; a detector wanting more
 * of a message, the detail view, the alignment of several captures get it parsed again from its
 * text: the same parse (the parser is deterministic and the text is the message's bytes, one
 * character per byte) with the capture's own notes added back.
 *
 * Measured on the signalling-dense bench file (heap and array buffers after a full collection):
 * 374.7 → 327.7 MB where the detectors end, 266.1 → 176.6 MB after the analysis.
 */
import type { CapturedMessage } from '../sip/types.ts';

/**
 * Drops each message's parse in place (`sip: null`; `parseError` still says which never parsed)
 * and returns the same list. In place, not copied: a copy of every message would be made while
 * the parses were still alive (480,000 objects on the 200 MB bench capture).
 */
export function dropParse(messages: CapturedMessage[]): CapturedMessage[] {
  for (let mAt = 0; mAt < messages.length; mAt++) {
    const m = messages[mAt]!;
    m.sip = null;
  }
  return messages;
}

export { parsedAgain } from '../sip/parser.ts';
