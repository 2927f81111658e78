/**
 * Listening to G.722 and Opus in the page (issue 14): real RTP from ffmpeg's packetiser
 * (src/media/fixtures, lab/codecs/record.sh) carrying a 1 kHz tone. G.722 is decoded by
 * sipladder's own decoder, Opus by the browser's WebCodecs AudioDecoder in the worker; both play
 * with a moving playhead, and the WAV the page saves holds the tone back at its rate.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { dropCapture, ui } from './helpers.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../src/media/fixtures');

/** The share of the signal's power at `hz` (Goertzel), over 16-bit mono PCM after a WAV header. */
function toneShare(wav: Buffer, rate: number, hz: number): number {
  const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of pcm.subarray(rate / 10)) {
    const s0 = x + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  return (2 * (s1 * s1 + s2 * s2 - c * s1 * s2)) / ((pcm.length - rate / 10) * energy);
}

for (const [file, codec, rate] of [
  ['g722-call.pcap', /G722|G\.722/, 16000],
  ['opus-call.pcap', /opus/i, 48000],
] as const) {
  test(`${file}: play the ${rate / 1000} kHz stream with a moving playhead; its WAV holds the 1 kHz tone`, async ({ page }) => {
    await page.goto('/');
    await dropCapture(page, path.join(FIXTURES, file));
    await ui.callRows(page).first().click();
    await page.getByRole('tab', { name: 'Media' }).click();
    const stream = page.getByTestId('media-stream').filter({ has: page.getByRole('heading', { name: /192\.0\.2\.10:41000 → 192\.0\.2\.20:40000/ }) });
    await expect(stream).toHaveCount(1);
    await expect(stream.getByRole('row', { name: /Codec/ })).toContainText(codec);
    await stream.getByRole('button', { name: 'Play' }).click();
    await expect(stream.getByRole('button', { name: 'Pause' })).toBeVisible();
    await expect(stream.getByLabel('waveform')).toBeVisible();
    const time = page.getByTestId('media-time');
    await expect.poll(async () => Number(await time.getAttribute('data-pos')), { timeout: 10_000 }).toBeGreaterThan(0.3);
    await expect(time).toContainText(/\/ 2\.0\d s/);
    await page.screenshot({ path: test.info().outputPath('playing.png') });
    await stream.getByRole('button', { name: 'Pause' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), stream.getByRole('button', { name: 'Download WAV' }).click()]);
    const wav = fs.readFileSync(await download.path());
    expect(wav.readUInt32LE(24)).toBe(rate);
    expect(toneShare(wav, rate, 1000)).toBeGreaterThan(0.9);
    expect(toneShare(wav, rate, 2500)).toBeLessThan(0.02);
  });
}
