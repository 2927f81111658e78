/**
 * A call exported from the page carries its media: the one-way-audio lab sample's call as pcapng
 * holds its 7 SIP messages, 315 RTP and 3 RTCP packets (not 7 of 333 frames), analyses again to
 * the same stream and the rtp-one-way finding, and has one comment per finding; with pcap too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import { dropCapture, ui } from './helpers.ts';

const FILE = path.resolve(import.meta.dirname, '../public/samples/08-one-way-audio/capture.pcap');

async function exportAs(page: Page, item: string, out: string): Promise<void> {
  await page.locator('.export-menu summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: item, exact: true }).click()]);
  await download.saveAs(out);
  // The menu closes by itself once an item is used.
  await expect(page.getByRole('menuitem', { name: item, exact: true })).toBeHidden();
}

test('the one-way-audio call exports with its RTP and RTCP, one comment per finding', async ({ page }, info) => {
  const report = await analyzeFile(FILE);
  const call = report.calls[0]!;
  await page.goto('/');
  await dropCapture(page, FILE);
  await page.locator(`tr[data-callid="${call.callId}"]`).click();
  await expect(ui.arrows(page).first()).toBeVisible();

  const ng = info.outputPath('call.pcapng');
  await exportAs(page, 'Selected calls as pcapng (findings as comments)', ng);
  const again = await analyzeFile(ng);
  expect(again.capture.packets).toBe(7 + 315 + 3);
  expect(again.rtpStreams.map((s) => [s.kind, s.packets, s.jitterMaxMs])).toEqual(report.rtpStreams.map((s) => [s.kind, s.packets, s.jitterMaxMs]));
  expect(again.findings.map((f) => f.kind)).toContain('rtp-one-way');
  const text = fs.readFileSync(ng).toString('utf8');
  for (const f of report.findings.filter((x) => x.callId === call.callId)) {
    expect(text.split(`sipladder ${f.severity}: ${f.title}`).length - 1, f.title).toBe(1);
  }

  const pcap = info.outputPath('call.pcap');
  await exportAs(page, 'Selected calls as pcap', pcap);
  expect((await analyzeFile(pcap)).capture.packets).toBe(7 + 315 + 3);
});
