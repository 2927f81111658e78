/**
 * Host merging never erases a hop: in the IPv6 capture whose proxy double-record-routes itself,
 * the proxy and its callee stay two columns (the model refuses the merge because they exchange
 * SIP); where the model does merge two addresses, the merged column says why and can be split.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import { dropCapture, PUBLIC_CAPTURES, ui } from './helpers.ts';

test('IPv6 proxy and callee stay two columns; a merged column shows the reason and splits back', async ({ page }) => {
  const v6 = path.resolve(PUBLIC_CAPTURES, 'sngrep/ipv6frag.pcap');
  const report = await analyzeFile(v6);
  expect(report.hostsRefused?.length).toBe(1);
  await page.goto('/');
  await dropCapture(page, v6);
  await page.locator('tr[data-callid]').first().click();
  await expect(ui.arrows(page).first()).toBeVisible();
  await expect(page.getByTestId('host')).toHaveCount(3);
  await page.screenshot({ path: '/tmp/diag-calls-ipv6.png' });

  const fax = path.resolve(PUBLIC_CAPTURES, 'snort3-demo/SIP_Eyebeam2Eyebeam_Video_Audio.pcap');
  const r2 = await analyzeFile(fax);
  const merged = r2.hosts[0]!;
  const callId = r2.messages.find((m) => merged.ips.some((ip) => m.src.startsWith(`${ip}:`)) && m.callId)!.callId!;
  await page.goto('/');
  await dropCapture(page, fax);
  await ui.filter(page).fill(`callid:${callId}`);
  await page.locator(`tr[data-callid="${callId}"]`).click();
  await expect(ui.arrows(page).first()).toBeVisible();
  const host = page.getByTestId('host').filter({ hasText: '2 addresses' });
  await expect(host).toHaveCount(1);
  await expect(host).toHaveAttribute('title', new RegExp(`Merged by the model: ${merged.reasons[0]!.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await host.getByRole('button', { name: /menu/ }).click();
  await expect(page.getByTestId('merge-reason')).toContainText(merged.reasons[0]!);
  await page.screenshot({ path: '/tmp/diag-calls-merge.png' });
  const before = await page.getByTestId('host').count();
  await page.getByRole('button', { name: 'Split merged host' }).click();
  await expect(page.getByTestId('host')).toHaveCount(before + 1);
});
