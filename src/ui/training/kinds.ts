/**
 * Plain words for every finding kind, as a trainee would say what went wrong ("The ACK never
 * reached the callee") rather than the engine's identifier ('ack-missing'). Used for the quiz's
 * answer options and the library's pattern headings. The table is typed against the report's
 * `FindingKind` union, so a new kind in the engine fails the type-check until it has words here;
 * kinds a lab manifest names that the engine does not know fall back to their identifier.
 */
import type { FindingKind } from '../../report/report.ts';

export const KIND_WORDS: Readonly<Record<FindingKind, string>> = {
  'via-private-address': 'A Via header carries a private (RFC 1918) address',
  'via-missing-rport': 'The phone behind NAT did not ask for rport, so responses go to the wrong port',
  'response-to-wrong-port': 'Responses were sent to a port the NAT does not forward',
  'contact-private-address': 'A Contact header carries a private address the far end cannot reach',
  'contact-missing-port': 'A Contact header has no port, so the default port is used',
  'in-dialog-request-misrouted': 'A request inside the call was sent to the wrong place',
  'ack-missing': 'The ACK never reached the callee',
  'excessive-nat-fixup': 'The proxy rewrote addresses it should have left alone',
  'invite-timeout': 'The INVITE got no final answer and timed out',
  'new-connection-mid-dialog': 'A new TCP/TLS connection was opened in the middle of the call',
  'tls-handshake-failed': 'The TLS handshake failed',
  'connection-closed-mid-dialog': 'The TCP/TLS connection was closed while the call was up',
  'bye-not-delivered': 'The BYE never reached the other side',
  'dialog-not-terminated': 'The call was never properly ended',
  'nat-binding-expired': 'The NAT forgot the phone’s mapping (binding expired)',
  'sip-alg-suspected': 'A router’s SIP ALG rewrote the messages',
  'sdp-private-address': 'The SDP offers a private media address',
  'rtp-one-way': 'Audio flowed in one direction only',
  'rtp-source-changed': 'The RTP stream suddenly came from a different address',
  'rtp-icmp-unreachable': 'RTP was answered with ICMP “unreachable”',
  'rtp-to-unlatched-address': 'Media was sent to the signalled address instead of the real (latched) source',
  'malformed-sip': 'A SIP message was malformed',
  'registration-failed': 'The phone could not register, so it cannot receive calls',
  'request-loop': 'The request went round in a loop between proxies',
  'auth-failed': 'Authentication failed after the challenge',
  'cancel-unanswered': 'The CANCEL was never answered',
  'media-stopped': 'Audio in one direction stopped in the middle of the call',
  'lost-between-captures': 'A message left one capture point and never reached the next',
};

/** Plain words for a kind; an unknown kind reads as its identifier with spaces. */
export function kindWords(kind: string): string {
  return Object.hasOwn(KIND_WORDS, kind) ? KIND_WORDS[kind as FindingKind] : kind.replace(/-/g, ' ');
}
