#!/usr/bin/env node
// Writes src/engine/fixtures/tshark-rtp.json: for every capture with RTP in test/captures/public
// (manifest.json: rtp_packets or rtp_packets_heur) and every lab sample capture
// (public/samples/*/capture*.pcap), the streams `tshark -q -z rtp,streams` lists, with heuristic
// RTP on (-o rtp.heuristic_rtp:TRUE: streams whose SDP tshark never saw still count, as they do
// in our engine), and the RFC 4733 telephone-events tshark decodes (-Y rtpevent). Run by hand where tshark is installed (TShark 4.0.17 here); the test
// src/engine/rtp-quality.test.ts compares our numbers with these, so it needs no tshark.
// Notes explaining known differences live in the fixture's "notes" (kept across runs).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '..');
const fixture = path.join(repo, 'src/engine/fixtures/tshark-rtp.json');
const pub = path.join(repo, 'test/captures/public');
const manifest = JSON.parse(readFileSync(path.join(pub, 'manifest.json'), 'utf8'));
const files = [];
for (const m of manifest) {
  if ((m.rtp_packets ?? 0) > 0 || (m.rtp_packets_heur ?? 0) > 0) files.push({ file: `test/captures/public/${m.file}`, opts: m.tshark_opts ? m.tshark_opts.split(' ') : [] });
}
const samples = path.join(repo, 'public/samples');
for (const d of readdirSync(samples).sort()) {
  for (const f of ['capture.pcap', 'capture-lan.pcap']) {
    if (existsSync(path.join(samples, d, f))) files.push({ file: `public/samples/${d}/${f}`, opts: [] });
  }
}

// "   0.172368      6.450212     203.0.113.1 48667    203.0.113.20 40020 0xC0A9BE23   g711U   315     0 (0.0%)   4.223 19.993 192.229   0.285 8.904 28.109 X"
const row = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+0x([0-9A-Fa-f]+)\s+(.+?)\s+(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*(X?)\s*$/;
const old = existsSync(fixture) ? JSON.parse(readFileSync(fixture, 'utf8')) : { notes: {} };
const out = {
  _generator: execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0],
  _command: 'tshark -r FILE -o rtp.heuristic_rtp:TRUE [manifest tshark_opts] -q -z rtp,streams',
  notes: old.notes ?? {},
  files: {},
};
for (const { file, opts } of files) {
  const text = execFileSync('tshark', ['-r', path.join(repo, file), '-o', 'rtp.heuristic_rtp:TRUE', ...opts, '-q', '-z', 'rtp,streams'], {
    encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const streams = [];
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (!m) continue;
    streams.push({
      src: m[3], srcPort: Number(m[4]), dst: m[5], dstPort: Number(m[6]), ssrc: parseInt(m[7], 16), payload: m[8].trim(),
      packets: Number(m[9]), lost: Number(m[10]),
      minDeltaMs: Number(m[12]), meanDeltaMs: Number(m[13]), maxDeltaMs: Number(m[14]),
      minJitterMs: Number(m[15]), meanJitterMs: Number(m[16]), maxJitterMs: Number(m[17]), problem: m[18] === 'X',
    });
  }
  // RFC 4733 events: one per (SSRC, destination, RTP timestamp), first frame, longest duration.
  const ev = execFileSync('tshark', ['-r', path.join(repo, file), '-o', 'rtp.heuristic_rtp:TRUE', ...opts, '-Y', 'rtpevent', '-T', 'fields',
    '-e', 'frame.number', '-e', 'rtp.ssrc', '-e', 'udp.dstport', '-e', 'rtp.timestamp', '-e', 'rtpevent.event_id', '-e', 'rtpevent.duration'], {
    encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const events = new Map();
  for (const line of ev.split('\n')) {
    if (!line.trim()) continue;
    const [frame, ssrc, dport, ts, id, duration] = line.split('\t');
    const k = `${ssrc}|${dport}|${ts}`;
    const e = events.get(k);
    if (e) e.duration = Math.max(e.duration, Number(duration));
    else events.set(k, { frame: Number(frame), ssrc: parseInt(ssrc, 16), event: Number(id), duration: Number(duration) });
  }
  out.files[file] = { tsharkOpts: opts.join(' '), streams, dtmf: [...events.values()] };
}
writeFileSync(fixture, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${Object.keys(out.files).length} files, ${Object.values(out.files).reduce((n, f) => n + f.streams.length, 0)} streams`);
