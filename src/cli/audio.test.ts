/**
 * `sipladder audio FILE --ssrc … -o out.wav` in a child process: the WAV's samples equal the
 * independent tshark + sox decode (src/media/fixtures/make.sh).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/sipladder.mjs');
const FILE = path.join(ROOT, 'test/captures/public/wireshark-wiki/sip-rtp-g711.pcap');
const tmp = mkdtempSync(path.join(tmpdir(), 'sipladder-audio-'));

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('sipladder audio', () => {
  it('writes the A-law direction as a WAV whose samples equal tshark + sox', () => {
    const out = path.join(tmp, 'a.wav');
    const r = run('audio', FILE, '--ssrc', '0x343FFA34', '-o', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/G\.711 A-law \(PCMA\), 414 packets, 8\.28 s at 8000 Hz/);
    const wav = readFileSync(out);
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    const [hash, bytes] = readFileSync(path.join(ROOT, 'src/media/fixtures/sip-rtp-g711.0x343FFA34.sha256'), 'utf8').trim().split(' ');
    expect(wav.length - 44).toBe(Number(bytes));
    expect(createHash('sha256').update(wav.subarray(44)).digest('hex')).toBe(hash);
  });

  it('exits 2 with the known streams when the SSRC is not in the capture', () => {
    const r = run('audio', FILE, '--ssrc', '0x12345678', '-o', path.join(tmp, 'x.wav'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no RTP stream with SSRC 0x12345678; streams: .*0x343DA99B 10\.0\.2\.15:27942 → 10\.0\.2\.20:6000/);
  });

  it('exits 2 with the usage when --ssrc is missing', () => {
    const r = run('audio', FILE, '-o', path.join(tmp, 'x.wav'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: sipladder audio/);
  });
});
