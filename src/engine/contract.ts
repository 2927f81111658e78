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
  // Several captures: frames are each file's own, so the bound is that capture's packet count.
  const caps = r.captures;
  const frame = (where: string, f: unknown, nullable = false, capture?: unknown): void => {
    if (f === null && nullable) return;
    const n = caps && typeof capture === 'number' ? (caps[capture]?.packets ?? -1) : packets;
    if (typeof f !== 'number' || !Number.isInteger(f) || f < 1 || f > n) bad(`${where}: frame ${String(f)} is not a frame of the capture (1…${n})`);
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
  // In capture order: by completion frame within each capture (several captures interleave by
  // their corrected times, each keeping its own order).
  const prevOf: number[] = [];
  r.messages.forEach((m, i) => {
    const w = `messages[${i}]`;
    const c = m.capture ?? 0;
    if (caps && (typeof m.capture !== 'number' || !caps[m.capture])) bad(`${w}.capture ${String(m.capture)} is not one of the ${caps.length} captures`);
    if (m.index !== i) bad(`${w}.index is ${m.index}`);
    frame(w, m.frame, false, c);
    frame(`${w}.firstFrame`, m.firstFrame, false, c);
    const prev = prevOf[c] ?? 0;
    if (m.frame < prev) bad(`${w}: frame ${m.frame} comes after frame ${prev}: messages are not in capture order`);
    prevOf[c] = Math.max(prev, m.frame);
    if (m.firstFrame > m.frame) bad(`${w}: firstFrame ${m.firstFrame} is after its frame ${m.frame}`);
    for (let k = 0; k < m.frames.length; k++) {
      const f = m.frames[k]!;
      frame(`${w}.frames`, f, false, c);
      if (f > m.frame) bad(`${w}: lists frame ${f}, after frame ${m.frame} where it completes`);
      if (k > 0 && f <= m.frames[k - 1]!) bad(`${w}.frames are not increasing`);
    }
    time(`${w}.time`, m.time, m.timeUs);
    if (m.retransmissionOf != null && (m.retransmissionOf < 0 || m.retransmissionOf >= i)) bad(`${w}.retransmissionOf ${m.retransmissionOf} is not an earlier message`);
  });
  r.calls.forEach((c, i) => {
    const cc = c['capture'] ?? 0;
    frame(`calls[${i}].startFrame`, c.startFrame, false, cc);
    frame(`calls[${i}].endFrame`, c.endFrame, false, cc);
    if (c.startFrame > c.endFrame) bad(`calls[${i}]: starts at frame ${c.startFrame}, after its end ${c.endFrame}`);
    for (const k of ['byeFrame', 'cancelFrame']) if (k in c) frame(`calls[${i}].${k}`, c[k], true, cc);
    const g = c['legGroup'];
    if (typeof g === 'number' && !r.legGroups?.some((x) => x.id === g)) bad(`calls[${i}].legGroup ${g} is not in legGroups`);
  });
  r.connections.forEach((c, i) => {
    const w = `connections[${i}]`;
    const cc = c.capture ?? 0;
    frame(`${w}.openedFrame`, c.openedFrame, false, cc);
    frame(`${w}.closedFrame`, c.closedFrame, true, cc);
    frame(`${w}.lastFrame`, c.lastFrame, false, cc);
    for (const f of c.messageFrames) frame(`${w}.messageFrames`, f, false, cc);
    for (const e of c.closeEvents) frame(`${w}.closeEvents`, e.frame, false, cc);
    for (const g of c.gaps) frame(`${w}.gaps`, g.frame, false, cc);
    time(`${w}.openedTime`, c.openedTime);
    if (c.closedTime !== null) time(`${w}.closedTime`, c.closedTime);
    if (c.tls) for (const k of ['clientHelloFrame', 'serverHelloFrame', 'alertFrame'] as const) frame(`${w}.tls.${k}`, c.tls[k], true, cc);
  });
  r.rtpStreams.forEach((s, i) => {
    const w = `rtpStreams[${i}]`;
    const cc = s.capture ?? 0;
    frame(`${w}.firstFrame`, s.firstFrame, false, cc);
    frame(`${w}.lastFrame`, s.lastFrame, false, cc);
    for (const c of s.sourceChanges) frame(`${w}.sourceChanges`, c.frame, false, cc);
    time(`${w}.firstTime`, s.firstTime);
    time(`${w}.lastTime`, s.lastTime);
  });
  r.findings.forEach((f, i) => {
    const cc = f.capture ?? 0;
    for (const x of f.frames) frame(`findings[${i}] (${f.kind}).frames`, x, false, cc);
    if (f.expected) frame(`findings[${i}].expected.messageFrame`, f.expected.messageFrame, false, cc);
    for (const x of f.alsoFrames ?? []) frame(`findings[${i}] (${f.kind}).alsoFrames`, x.frame, false, x.capture);
    if (typeof f.title !== 'string' || f.title.length === 0) bad(`findings[${i}] has no title`);
  });
  r.warnings.forEach((w, i) => {
    if (w.frame !== undefined) frame(`warnings[${i}]`, w.frame, false, w.capture ?? 0);
    if (typeof w.message !== 'string' || w.message.length === 0) bad(`warnings[${i}] has no message`);
  });
  r.icmp.forEach((x, i) => {
    frame(`icmp[${i}]`, x.frame, false, x.capture ?? 0);
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
