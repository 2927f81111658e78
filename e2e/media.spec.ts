/**
 * Media end to end on the lab's one-way-audio sample (a 440 Hz tone in G.711 µ-law): the Media
 * tab shows the stream's figures, Play decodes the stream in the worker and plays it through an
 * AudioContext with a moving playhead, Download WAV saves the direction as 16-bit PCM.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { dropCapture, ui } from './helpers.ts';

const SAMPLE_08 = path.resolve(import.meta.dirname, '../public/samples/08-one-way-audio/capture.pcap');
const CALL = 'abf0a4b944648284';

test('a call with RTP: figures, play with a moving playhead, WAV download', async ({ page }) => {
  await page.goto('/');
  await dropCapture(page, SAMPLE_08);
  await ui.filter(page).fill(`callid:${CALL}`);
  await page.locator(`tr[data-callid="${CALL}"]`).click();
  await page.getByRole('tab', { name: 'Media' }).click();
  const stream = page.getByTestId('media-stream');
  await expect(stream).toHaveCount(1);
  await expect(stream.getByRole('heading')).toContainText('203.0.113.1:48667 → 203.0.113.20:40020');
  await expect(stream.getByRole('row', { name: /Packets/ })).toContainText('315');
  await expect(stream.getByRole('row', { name: /Codec/ })).toContainText(/PCMU|µ-law/);
  await expect(stream.getByRole('row', { name: /Expected/ })).toContainText('315');
  await expect(stream.getByRole('row', { name: /Jitter/ })).toContainText(/\d+\.\d \/ \d+\.\d ms/);
  await expect(stream.locator('svg.media-persecond')).toBeVisible();
  // Beside the ladder's time axis: one strip with a cell per clock second the stream touches
  // (15:21:41.896 … 15:21:48.17: eight seconds).
  await expect(page.getByTestId('media-chart').locator('rect.media-chart-bg')).toHaveCount(8);

  await stream.getByRole('button', { name: 'Play' }).click();
  await expect(stream.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(stream.getByLabel('waveform')).toBeVisible();
  const time = page.getByTestId('media-time');
  await expect.poll(async () => Number(await time.getAttribute('data-pos')), { timeout: 10_000 }).toBeGreaterThan(0.3);
  await expect(time).toContainText('/ 6.30 s');
  const left = await page.getByTestId('media-playhead').evaluate((el) => parseFloat((el as HTMLElement).style.left));
  expect(left).toBeGreaterThan(0);
  // The playhead is drawn across the ladder too, at the played time.
  await expect(page.getByTestId('ladder-playhead')).toHaveCount(1);
  const y1 = Number(await page.getByTestId('ladder-playhead').getAttribute('y1'));
  await expect.poll(async () => Number(await page.getByTestId('ladder-playhead').getAttribute('y1'))).toBeGreaterThan(y1);
  await page.screenshot({ path: test.info().outputPath('media.png') });
  await stream.getByRole('button', { name: 'Pause' }).click();

  const [download] = await Promise.all([page.waitForEvent('download'), stream.getByRole('button', { name: 'Download WAV' }).click()]);
  const file = await download.path();
  const wav = fs.readFileSync(file);
  expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(wav.readUInt32LE(24)).toBe(8000);
  expect(wav.length).toBe(44 + 315 * 160 * 2);
  expect(download.suggestedFilename()).toMatch(/^rtp-0xC0A9BE23-.*\.wav$/);
});
