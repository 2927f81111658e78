/**
 * Test builder for detector unit tests: SIP messages written as text, parsed by the real parser,
 * placed on the wire with a source, destination and time, then run through the real SIP model
 * and a detector. Only for tests.
 */
import type { ConnectionInfo, Endpoint, IcmpUnreachable, RtpStreamStats, Transport } from '../../capture/types.ts';
import type { Finding } from '../../report/report.ts';
import { buildModel } from '../../sip/model.ts';
import { parseSipText } from '../../sip/parser.ts';
import type { CapturedMessage } from '../../sip/types.ts';
import type { Detector } from '../detector.ts';
import type { FlowBuilder as SipFlowBuilder } from '../../sip/testing/flows.ts';

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

/**
 * Runs a detector over a flow built with the SIP layer's flow builder (`sip/testing/flows.ts`):
 * the real parser, the real model, the flow's connections and RTP stats. `captureEndAt` (seconds
 * after the flow's t0) says when the capture ended; by default at its last message.
 */
export function runFlow(f: SipFlowBuilder, detector: Detector, captureEndAt?: number): Finding[] {
  const input = f.input(captureEndAt);
  const model = buildModel(input);
  return detector.detect({
    messages: input.messages,
    model,
    connections: input.connections,
    rtpStreams: input.rtpStreams,
    icmp: input.icmp,
    captureEndUs: model.captureEndUs,
  });
}

/**
 * A request from a phone behind a NAT (private sent-by 192.168.1.20:5060, no rport), one Call-ID
 * and From tag per `callId`: the start line and headers for `FlowBuilder.add`.
 */
export function natRequest(callId: string, branch: string, cseq: number, method = 'OPTIONS'): string[] {
  return [
    `${method} sip:x@example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.20:5060;branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:a@example.com>;tag=f${callId}`,
    'To: <sip:b@example.com>',
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
  ];
}

/** The 200 OK to `natRequest` with the same arguments (its Via with received, a To tag). */
export function natRequestOk(callId: string, branch: string, cseq: number, method = 'OPTIONS'): string[] {
  return [
    'SIP/2.0 200 OK',
    `Via: SIP/2.0/UDP 192.168.1.20:5060;branch=${branch};received=203.0.113.1`,
    `From: <sip:a@example.com>;tag=f${callId}`,
    `To: <sip:b@example.com>;tag=t${callId}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
  ];
}
