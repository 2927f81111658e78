#!/usr/bin/env node
// src/media/fixtures/g722-random.{g722,ffmpeg.s16}: 4000 pseudo-random G.722 octets (xorshift32,
// fixed seed, so every one of the 256 codes appears many times and the decoder is driven into its
// scale-factor limits and output saturation, which a quiet tone never reaches) and ffmpeg's own
// G.722 decode of them (signed 16-bit little-endian, 16 kHz). g722.test.ts compares ours with it.
// Needs ffmpeg on PATH. Run from the repository root: node scripts/make-g722-random.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const out = 'src/media/fixtures/g722-random';
const code = new Uint8Array(4000);
let x = 0x9e3779b9;
for (let i = 0; i < code.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  code[i] = x >>> 24;
}
writeFileSync(`${out}.g722`, code);
execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'g722', '-i', `${out}.g722`, '-f', 's16le', '-ar', '16000', '-ac', '1', `${out}.ffmpeg.s16`]);
