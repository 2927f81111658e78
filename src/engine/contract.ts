/**
 * The report's promises as checks (docs/REPORT.md), for the regression tests and the fuzzer
 * (scripts/fuzz): every frame a report names is a frame of the capture (1 … capture.packets),
 * `messages` is in capture order (by completion frame, each listing no frame after it), every
 * time is RFC 3339 with a four-digit year and microseconds and agrees with its µs twin, every
 * number is finite. Returns the violations in words (empty: the report keeps its promises).
 */
import type { Report } from '../report/report.ts';
import { isoMicros } from '../report/report.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_LISTED = 20;

export function checkReport(r: Report): string[] {
  const out: string[] = [];
  const bad = (s: string): void => {
    if (out.length < MAX_LISTED) out.push(s);
  };
  const packets = r.capture.packets;
  if (!Number.isInteger(packets) || packets < 0) bad(`capture.packets is ${packets}`);
  const frame = (where: string, f: unknown, nullable = false): void => {
    if (f === null && nullable) return;
    if (typeof f !== 'number' || !Number.isInteger(f) || f < 1 || f > packets) bad(`${where}: frame ${String(f)} is not a frame of the capture (1…${packets})`);
  };
  const time = (where: string, t: unknown, us?: number | null): void => {
    if (typeof t !== 'string' || !ISO.test(t) || Number.isNaN(Date.parse(t))) {
      bad(`${where}: time ${JSON.stringify(t)} is not RFC 3339 with a 4-digit year and µs`);
      return;
    }
    if (typeof us === 'number' && isoMicros(us) !== t) bad(`${where}: time ${t} does not match its µs value ${us}`);
  };

  if (r.capture.firstTime !== null) time('capture.firstTime', r.capture.firstTime, r.capture.firstTimeUs);
  if (r.capture.lastTime !== null) time('capture.lastTime', r.capture.lastTime, r.capture.lastTimeUs);
  let prev = 0;
  r.messages.forEach((m, i) => {
    const w = `messages[${i}]`;
    if (m.index !== i) bad(`${w}.index is ${m.index}`);
    frame(w, m.frame);
    frame(`${w}.firstFrame`, m.firstFrame);
    if (m.frame < prev) bad(`${w}: frame ${m.frame} comes after frame ${prev}: messages are not in capture order`);
    prev = Math.max(prev, m.frame);
    if (m.firstFrame > m.frame) bad(`${w}: firstFrame ${m.firstFrame} is after its frame ${m.frame}`);
    for (let k = 0; k < m.frames.length; k++) {
      const f = m.frames[k]!;
      frame(`${w}.frames`, f);
      if (f > m.frame) bad(`${w}: lists frame ${f}, after frame ${m.frame} where it completes`);
      if (k > 0 && f <= m.frames[k - 1]!) bad(`${w}.frames are not increasing`);
    }
    time(`${w}.time`, m.time, m.timeUs);
    if (m.retransmissionOf != null && (m.retransmissionOf < 0 || m.retransmissionOf >= i)) bad(`${w}.retransmissionOf ${m.retransmissionOf} is not an earlier message`);
  });
  r.calls.forEach((c, i) => {
    frame(`calls[${i}].startFrame`, c.startFrame);
    frame(`calls[${i}].endFrame`, c.endFrame);
    if (c.startFrame > c.endFrame) bad(`calls[${i}]: starts at frame ${c.startFrame}, after its end ${c.endFrame}`);
    for (const k of ['byeFrame', 'cancelFrame']) if (k in c) frame(`calls[${i}].${k}`, c[k], true);
    const g = c['legGroup'];
    if (typeof g === 'number' && !r.legGroups?.some((x) => x.id === g)) bad(`calls[${i}].legGroup ${g} is not in legGroups`);
  });
  r.connections.forEach((c, i) => {
    const w = `connections[${i}]`;
    frame(`${w}.openedFrame`, c.openedFrame);
    frame(`${w}.closedFrame`, c.closedFrame, true);
    frame(`${w}.lastFrame`, c.lastFrame);
    for (const f of c.messageFrames) frame(`${w}.messageFrames`, f);
    for (const e of c.closeEvents) frame(`${w}.closeEvents`, e.frame);
    for (const g of c.gaps) frame(`${w}.gaps`, g.frame);
    time(`${w}.openedTime`, c.openedTime);
    if (c.closedTime !== null) time(`${w}.closedTime`, c.closedTime);
    if (c.tls) for (const k of ['clientHelloFrame', 'serverHelloFrame', 'alertFrame'] as const) frame(`${w}.tls.${k}`, c.tls[k], true);
  });
  r.rtpStreams.forEach((s, i) => {
    const w = `rtpStreams[${i}]`;
    frame(`${w}.firstFrame`, s.firstFrame);
    frame(`${w}.lastFrame`, s.lastFrame);
    for (const c of s.sourceChanges) frame(`${w}.sourceChanges`, c.frame);
    time(`${w}.firstTime`, s.firstTime);
    time(`${w}.lastTime`, s.lastTime);
  });
  r.findings.forEach((f, i) => {
    for (const x of f.frames) frame(`findings[${i}] (${f.kind}).frames`, x);
    if (f.expected) frame(`findings[${i}].expected.messageFrame`, f.expected.messageFrame);
    if (typeof f.title !== 'string' || f.title.length === 0) bad(`findings[${i}] has no title`);
  });
  r.warnings.forEach((w, i) => {
    if (w.frame !== undefined) frame(`warnings[${i}]`, w.frame);
    if (typeof w.message !== 'string' || w.message.length === 0) bad(`warnings[${i}] has no message`);
  });
  r.icmp.forEach((x, i) => {
    frame(`icmp[${i}]`, x.frame);
    time(`icmp[${i}].time`, x.time);
  });
  r.hosts.forEach((h, i) => h.frames.forEach((f) => frame(`hosts[${i}].frames`, f)));
  finite(r, 'report', bad, 0);
  return out;
}

/** Every number in the report is finite (JSON would silently turn NaN and ±Infinity into null). */
function finite(v: unknown, where: string, bad: (s: string) => void, depth: number): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(`${where} is ${v}`);
    return;
  }
  if (v === null || typeof v !== 'object' || depth > 12) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) finite(v[i], `${where}[${i}]`, bad, depth + 1);
    return;
  }
  for (const [k, x] of Object.entries(v)) finite(x, `${where}.${k}`, bad, depth + 1);
}
