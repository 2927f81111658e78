/** Shared e2e helpers: open captures through the hidden file input, wait for the analysis. */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect } from '@playwright/test';

export const PUBLIC_CAPTURES = path.resolve(import.meta.dirname, '../test/captures/public');

export interface ManifestEntry {
  file: string;
  sip_messages: number;
  packets: number;
}

export function manifest(): ManifestEntry[] {
  return JSON.parse(fs.readFileSync(path.join(PUBLIC_CAPTURES, 'manifest.json'), 'utf8')) as ManifestEntry[];
}

export async function openCapture(page: Page, file: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 30_000 });
}

/**
 * Wait until no analysis is running (the app's test hook), by polling `__sipladderBusy` rather than
 * awaiting the page's own promise (`__sipladderIdle`): on Chromium 150, `page.evaluate` of that
 * promise, or of one made from it, failed now and then with "Resulting promise was garbage
 * collected" (8 of 18 training runs on this build and the one before).
 */
export async function waitIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof window.__sipladderBusy === 'function');
  // Let a just-dispatched open (input change, drop) reach the store first.
  await page.waitForTimeout(20);
  await page.waitForFunction(() => !window.__sipladderBusy!(), null, { polling: 50 });
}

/** Open a capture through the file input and wait for the analysis to finish. */
export async function dropCapture(page: Page, file: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(file);
  await waitIdle(page);
}

/** Domain locators. */
export const ui = {
  callRows: (page: Page): Locator => page.getByTestId('call-row'),
  callCount: (page: Page): Locator => page.getByTestId('call-count-visible'),
  filter: (page: Page): Locator => page.getByRole('searchbox', { name: 'Filter calls' }),
  arrows: (page: Page): Locator => page.locator('.ladder g.arrow'),
  ladder: (page: Page): Locator => page.getByRole('region', { name: 'Ladder' }),
};

/** The labels of the ladder's arrows in DOM (= time) order. */
export async function arrowLabels(page: Page): Promise<string[]> {
  return ui.arrows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-label') ?? ''));
}

/** A SIP-over-UDP capture of about `bytes`, written by the benchmark's generator into the test's output folder. */
export async function generatedSipCapture(info: TestInfo, name: string, bytes: number): Promise<{ file: string; calls: number; messages: number }> {
  const { writeSipUdpCapture } = await import('../bench/generate.ts');
  const file = info.outputPath(name);
  return { file, ...(await writeSipUdpCapture(file, bytes)) };
}
