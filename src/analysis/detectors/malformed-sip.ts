/**
 * malformed-sip: a message that looked like SIP (it had a SIP start line, or arrived on a SIP
 * stream) but could not be parsed. The reason comes from the parser, in its words. CRLF
 * keep-alives are not messages and are not reported.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';

export const detectMalformedSip: Detector = {
  kind: 'malformed-sip',
  title: 'A SIP message could not be parsed',
  severity: 'warning',
  detect({ messages }) {
    const findings: Finding[] = [];
    for (let mAt = 0; mAt < messages.length; mAt++) {
      const m = messages[mAt]!;
      if (m.parseError === null) continue;
      // A CRLF keep-alive (RFC 5626 §4.4.1) on UDP is traffic, not a broken message.
      if (/^[\r\n\s]*$/.test(m.raw)) continue;
      const firstLine = m.raw.split(/\r?\n/, 1)[0] ?? '';
      findings.push({
        kind: 'malformed-sip',
        severity: 'warning',
        callId: null,
        frames: [m.frame],
        title: `Frame ${m.frame}: SIP message could not be parsed`,
        explanation:
          `The ${m.transport.toUpperCase()} payload in frame ${m.frame} (${m.raw.length} bytes, first line ` +
          `"${firstLine.slice(0, 80)}") could not be parsed as SIP: ${m.parseError ?? 'unknown reason'}. ` +
          'It is left out of the call model, so a call it belonged to may look incomplete.',
        references: ['RFC 3261 §7', 'RFC 3261 §25'],
        fix: 'Check the sender of this message (or a SIP ALG on the path) for broken SIP; if the capture cut the packet (snaplen), capture again with -s 0.',
      });
    }
    return findings;
  },
};
