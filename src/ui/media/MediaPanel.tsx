/**
 * The media tab: per RTP stream of the selected calls, its quality figures (from the report's
 * rtpStreams[]; fields the engine does not fill are shown as "–"), a per-second loss/jitter
 * strip, and a player: the worker re-reads that stream's packets from the file and answers with
 * PCM (src/media/extract.ts); the page plays it through an AudioContext, draws its waveform with
 * a playhead driven by AudioContext.currentTime, and exports it as WAV. Capture text is rendered
 * as text only.
 */
import { useEffect, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectReport, selectSelectedCalls } from '../../state/selectors.ts';
import type { ReportRtpStream } from '../../engine/report.ts';
import { codecLabel, audioCodecOf } from '../../media/extract.ts';
import { selectorOf, ssrcHex } from '../../media/select.ts';
import { writeWav } from '../../media/wav.ts';
import { clockUs } from '../format.ts';
import { isoToUs } from '../ladder/layout.ts';
import { playheadStore } from './playhead.ts';

/** The per-stream statistics the engine adds (docs/REPORT.md); optional until it does. */
interface MediaFields {
  codec?: string | null;
  expected?: number;
  jitterMeanMs?: number;
  jitterMaxMs?: number;
  maxDeltaMs?: number;
  mos?: number | null;
  rFactor?: number;
  duplicates?: number;
  outOfOrder?: number;
  seqJumps?: number;
  markers?: number;
  driftMs?: number;
  dtmf?: Array<{ digit: string; frame: number; time: string; durationMs: number }>;
  rtcp?: { fractionLost: number; jitterMs: number; rttMs: number | null } | null;
  perSecond?: { startUs: number; packets: number[]; lost: number[]; jitterMs: number[] };
}
type Stream = ReportRtpStream & MediaFields;

const num = (v: number | null | undefined, digits = 0): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

export function MediaPanel() {
  const report = useAppStore(selectReport);
  const calls = useAppStore(selectSelectedCalls);
  if (!report) return null;
  const set = new Set(calls);
  const streams = report.rtpStreams.map((s, i) => [s as Stream, i] as const).filter(([s]) => s.kind === 'rtp' && s.callId !== null && set.has(s.callId));
  if (streams.length === 0) return <p className="media-empty">{calls.length === 0 ? 'Select a call to see its media.' : 'No RTP stream belongs to the selected call.'}</p>;
  return (
    <div className="media-panel" data-testid="media-panel">
      {streams.map(([s, i]) => (
        <StreamCard key={i} stream={s} />
      ))}
    </div>
  );
}

function StreamCard({ stream: s }: { stream: Stream }) {
  const codec = audioCodecOf(s.payloadType, s.codec);
  const rows: Array<[string, string]> = [
    ['Codec', s.codec ?? codecLabel(codec, s.payloadType)],
    ['Packets', s.packets.toLocaleString('en-US')],
    ['Expected', num(s.expected)],
    ['Lost', `${s.lost.toLocaleString('en-US')}${s.expected ? ` (${((s.lost / s.expected) * 100).toFixed(1)} %)` : ''}`],
    ['Jitter mean / max', `${num(s.jitterMeanMs, 1)} / ${num(s.jitterMaxMs, 1)} ms`],
    ['Max delta', `${num(s.maxDeltaMs, 1)} ms`],
    ['MOS (R)', s.mos === undefined ? '–' : `${num(s.mos, 2)}${s.rFactor !== undefined ? ` (R ${num(s.rFactor, 0)})` : ''}`],
    ['DTMF', s.dtmf === undefined ? '–' : s.dtmf.length === 0 ? 'none' : s.dtmf.map((d) => d.digit).join('')],
    ['RTCP', s.rtcp === undefined ? '–' : s.rtcp === null ? 'none' : `lost ${(s.rtcp.fractionLost * 100).toFixed(1)} %, jitter ${num(s.rtcp.jitterMs, 1)} ms, RTT ${num(s.rtcp.rttMs, 1)} ms`],
    ['Source changes', String(s.sourceChanges.length)],
  ];
  return (
    <section className="media-stream" data-testid="media-stream" aria-label={`RTP ${ssrcHex(s.ssrc)}`}>
      <h3>
        {s.src} → {s.dst} <span className="ssrc">SSRC {ssrcHex(s.ssrc)}</span>
      </h3>
      <table className="media-figures">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.perSecond && <PerSecond data={s.perSecond} />}
      <Player stream={s} />
    </section>
  );
}

/** Per-second packets lost (bars) and jitter (line), one column per second. */
function PerSecond({ data }: { data: NonNullable<MediaFields['perSecond']> }) {
  const n = data.packets.length;
  const w = 300;
  const h = 48;
  const bw = w / Math.max(1, n);
  const maxLost = Math.max(1, ...data.lost);
  const maxJ = Math.max(1, ...data.jitterMs);
  const line = data.jitterMs.map((j, i) => `${i === 0 ? 'M' : 'L'}${(i + 0.5) * bw},${h - (j / maxJ) * (h - 4)}`).join('');
  return (
    <svg className="media-persecond" width={w} height={h} role="img" aria-label={`per second: ${data.lost.reduce((a, b) => a + b, 0)} lost over ${n} s, jitter up to ${maxJ.toFixed(1)} ms`}>
      {data.lost.map((l, i) => (l > 0 ? <rect key={i} className="lost" x={i * bw} y={h - (l / maxLost) * h} width={Math.max(1, bw - 1)} height={(l / maxLost) * h} /> : null))}
      <path className="jitter" d={line} />
    </svg>
  );
}

interface Loaded {
  pcm: Int16Array;
  sampleRate: number;
  startUs: number | null;
  message: string | null;
}

function Player({ stream }: { stream: Stream }) {
  const api = useAppStoreApi();
  const [audio, setAudio] = useState<Loaded | null>(null);
  const [state, setState] = useState<'idle' | 'loading' | 'playing' | 'paused' | 'error'>('idle');
  const [error, setError] = useState<string | null>(null);
  const [pos, setPos] = useState(0); // seconds
  const ctx = useRef<{ ac: AudioContext; src: AudioBufferSourceNode; startedAt: number; offset: number } | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const raf = useRef(0);

  const load = async (): Promise<Loaded | null> => {
    if (audio) return audio;
    setState('loading');
    try {
      const a = await api.getState().client().audio(selectorOf(stream));
      const loaded: Loaded = { pcm: a.pcm, sampleRate: a.sampleRate, startUs: a.startUs, message: a.pcm.length === 0 ? (a.warnings.at(-1)?.message ?? 'no audio') : null };
      setAudio(loaded);
      setState('idle');
      return loaded;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setState('error');
      return null;
    }
  };

  const stop = () => {
    cancelAnimationFrame(raf.current);
    const c = ctx.current;
    if (c) {
      try {
        c.src.stop();
      } catch {
        // already ended
      }
      void c.ac.close();
      ctx.current = null;
    }
  };
  useEffect(() => stop, []);

  const play = async () => {
    const a = await load();
    if (!a || a.pcm.length === 0) return;
    stop();
    const ac = new AudioContext({ sampleRate: a.sampleRate });
    const buf = ac.createBuffer(1, a.pcm.length, a.sampleRate);
    const ch = buf.getChannelData(0);
    for (let i = 0; i < a.pcm.length; i++) ch[i] = a.pcm[i]! / 32768;
    const src = ac.createBufferSource();
    src.buffer = buf;
    src.connect(ac.destination);
    const offset = pos >= buf.duration ? 0 : pos;
    src.start(0, offset);
    ctx.current = { ac, src, startedAt: ac.currentTime, offset };
    setState('playing');
    src.onended = () => {
      if (ctx.current?.src === src) {
        stop();
        setState('paused');
      }
    };
    const tick = () => {
      const c = ctx.current;
      if (!c) return;
      const p = Math.min(buf.duration, c.offset + c.ac.currentTime - c.startedAt);
      setPos(p);
      if (a.startUs !== null) playheadStore.setState({ us: a.startUs + p * 1e6 });
      raf.current = requestAnimationFrame(tick);
    };
    raf.current = requestAnimationFrame(tick);
  };

  const pause = () => {
    stop();
    setState('paused');
  };

  const download = async () => {
    const a = await load();
    if (!a || a.pcm.length === 0) return;
    const wav = writeWav(a.pcm, a.sampleRate);
    const url = URL.createObjectURL(new Blob([wav.buffer as ArrayBuffer], { type: 'audio/wav' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `rtp-${ssrcHex(stream.ssrc)}-${stream.src.replace(/[^0-9a-z.]+/gi, '_')}.wav`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  // Waveform: min/max per pixel column, drawn once per loaded audio.
  useEffect(() => {
    const cv = canvas.current;
    if (!cv || !audio || audio.pcm.length === 0) return;
    const g = cv.getContext('2d');
    if (!g) return;
    const { width: w, height: h } = cv;
    g.clearRect(0, 0, w, h);
    g.fillStyle = getComputedStyle(cv).color || '#4a7';
    const per = audio.pcm.length / w;
    for (let x = 0; x < w; x++) {
      let lo = 0;
      let hi = 0;
      const end = Math.min(audio.pcm.length, Math.floor((x + 1) * per));
      for (let i = Math.floor(x * per); i < end; i++) {
        const v = audio.pcm[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const y0 = h / 2 - (hi / 32768) * (h / 2);
      const y1 = h / 2 - (lo / 32768) * (h / 2);
      g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
  }, [audio]);

  const duration = audio ? audio.pcm.length / audio.sampleRate : 0;
  const at = audio?.startUs != null ? clockUs(audio.startUs + pos * 1e6) : clockUs(isoToUs(stream.firstTime));
  return (
    <div className="media-player">
      <div className="media-controls">
        {state === 'playing' ? (
          <button type="button" onClick={pause}>
            Pause
          </button>
        ) : (
          <button type="button" onClick={() => void play()} disabled={state === 'loading' || audio?.message != null}>
            {state === 'loading' ? 'Loading…' : 'Play'}
          </button>
        )}
        <button type="button" onClick={() => void download()} disabled={state === 'loading' || audio?.message != null}>
          Download WAV
        </button>
        <span className="media-time" data-testid="media-time" data-pos={pos.toFixed(3)}>
          {pos.toFixed(2)} s{duration ? ` / ${duration.toFixed(2)} s` : ''} · {at}
        </span>
      </div>
      {audio?.message && <p className="media-message">This stream cannot be played here: {audio.message}.</p>}
      {error && <p className="media-message">{error}</p>}
      {audio && audio.pcm.length > 0 && (
        <div
          className="media-wave"
          onClick={(e) => {
            const r = e.currentTarget.getBoundingClientRect();
            setPos(((e.clientX - r.left) / r.width) * duration);
          }}
        >
          <canvas ref={canvas} width={300} height={48} aria-label="waveform" />
          <div className="media-playhead" data-testid="media-playhead" style={{ left: `${duration ? (pos / duration) * 100 : 0}%` }} />
        </div>
      )}
    </div>
  );
}
