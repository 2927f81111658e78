/**
 * Test builder for detector unit tests: SIP messages written as text, parsed by the real parser,
 * placed on the wire with a source, destination and time, then run through the real SIP model
 * and a detector. Only for tests.
 */
import type { ConnectionInfo, Endpoint, IcmpUnreachable, RtpStreamStats, Transport } from '../../capture/types.ts';
import type { Finding } from '../../engine/report.ts';
import { buildModel } from '../../sip/model.ts';
import { parseSipText } from '../../sip/parser.ts';
import type { CapturedMessage } from '../../sip/types.ts';
import type { Detector } from '../detector.ts';

export function ep(s: string): Endpoint {
  const i = s.lastIndexOf(':');
  return { ip: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

export class FlowBuilder {
  readonly messages: CapturedMessage[] = [];
  connections: ConnectionInfo[] = [];
  rtpStreams: RtpStreamStats[] = [];
  icmp: IcmpUnreachable[] = [];
  private frame = 0;

  /** Adds one message: `lines` are the start line and headers (CRLF added), `body` optional. */
  add(timeS: number, src: string, dst: string, lines: string[], body = '', transport: Transport = 'udp'): CapturedMessage {
    const text = `${lines.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const parsed = parseSipText(text);
    this.frame += 1;
    const m: CapturedMessage = {
      index: this.messages.length,
      frame: this.frame,
      firstFrame: this.frame,
      frames: [this.frame],
      timeUs: Math.round(timeS * 1e6),
      src: ep(src),
      dst: ep(dst),
      transport,
      connection: null,
      encapsulation: null,
      sip: parsed.ok ? parsed.message : null,
      parseError: parsed.ok ? null : parsed.reason,
      raw: text,
    };
    this.messages.push(m);
    return m;
  }

  run(detector: Detector): Finding[] {
    const end = Math.max(0, ...this.messages.map((m) => m.timeUs));
    const model = buildModel({ messages: this.messages, connections: this.connections, rtpStreams: this.rtpStreams, icmp: this.icmp, captureEndUs: end });
    return detector.detect({ messages: this.messages, model, connections: this.connections, rtpStreams: this.rtpStreams, icmp: this.icmp, captureEndUs: end });
  }
}
