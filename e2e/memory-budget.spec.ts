/**
 * A signalling capture too big for the tab's heap: the worker keeps SIP messages up to its memory
 * budget (sized from the page's heap limit, which Chromium reports), says in the warning line
 * where it stopped, and shows the calls it kept, instead of dying out of memory.
 */
import { test, expect } from '@playwright/test';
import config from '../playwright.config.ts';
import { generatedSipCapture } from './helpers.ts';

const base = config.use?.launchOptions ?? {};
// A 256 MB old generation: the ~100,000 messages of the file below would need ~800 MB.
test.use({ launchOptions: { ...base, args: [...(base.args ?? []), '--js-flags=--max-old-space-size=256'] } });

test('a SIP capture bigger than the heap shows its first part and says where keeping stopped', async ({ page }, info) => {
  test.setTimeout(120_000);
  const { file, messages } = await generatedSipCapture(info, 'huge-sip.pcap', 40_000_000);
  await page.goto('/');
  const heapLimit = await page.evaluate(() => (performance as unknown as { memory?: { jsHeapSizeLimit: number } }).memory?.jsHeapSizeLimit ?? 0);
  expect(heapLimit).toBeGreaterThan(0);
  expect(heapLimit).toBeLessThan(600_000_000);
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 90_000 });
  const kept = Number(await page.getByTestId('sip-count').textContent());
  expect(kept).toBeGreaterThan(5_000);
  expect(kept).toBeLessThan(messages);
  await expect(page.getByTestId('warning-line')).toContainText(`memory budget reached after ${kept} SIP messages`);
  await expect(page.getByTestId('warning-line')).toContainText(`${messages - kept} later SIP messages`);
  // The kept calls are there to look at.
  await expect(page.getByTestId('call-row').first()).toBeVisible();
  await page.screenshot({ path: info.outputPath('memory-budget.png') });
});
