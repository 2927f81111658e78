#!/usr/bin/env node
// Writes src/engine/fixtures/tshark-sip.json: for every capture in test/captures/public
// (manifest.json), the frames tshark dissects as SIP, with the transport under SIP and the
// method/status of each message in the frame. Run once by hand where tshark is installed
// (TShark 4.0.17 here); the engine test compares our frames and transports against it, so the
// test itself needs no tshark.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../test/captures/public');
const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8'));
const out = { _generator: execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0], files: {} };
for (const m of manifest) {
  const opts = m.tshark_opts ? m.tshark_opts.split(' ') : [];
  const tsv = execFileSync('tshark', ['-r', path.join(root, m.file), ...opts, '-Y', 'sip', '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=|',
    '-e', 'frame.number', '-e', 'frame.protocols', '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.Call-ID'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  const frames = [];
  for (const line of tsv.split('\n')) {
    if (!line.trim()) continue;
    const [frame, protocols, method, status, callId] = line.split('\t');
    const layers = protocols.split(':');
    const i = layers.indexOf('sip');
    const under = layers[i - 1] ?? '';
    const transport = under === 'websocket' ? 'ws' : under;
    frames.push({ frame: Number(frame), transport, methods: method ? method.split('|') : [], statuses: status ? status.split('|').map(Number) : [], callIds: callId ? [...new Set(callId.split('|'))] : [] });
  }
  out.files[m.file] = { tsharkOpts: m.tshark_opts ?? '', frames };
}
writeFileSync(path.resolve(import.meta.dirname, '../src/engine/fixtures/tshark-sip.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${Object.keys(out.files).length} files`);
