/**
 * Exports end to end: PNG (a real PNG of the whole ladder), the plain-text ladder and the Mermaid
 * diagram (every arrow, in order, with the user's host names), pcapng with findings as comments
 * (loads again with the same call), several calls in one ladder, and host-layout edits (rename,
 * merge, split, drag to reorder) carrying into the exports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Download, Page } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import type { Report } from '../src/report/report.ts';
import { arrowLabels, dropCapture, PUBLIC_CAPTURES, ui } from './helpers.ts';

const FILE = 'sngrep/aaa.pcap';
let report: Report;
test.beforeAll(async () => {
  report = await analyzeFile(path.join(PUBLIC_CAPTURES, FILE));
});

async function openCall(page: Page, callId: string): Promise<void> {
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, FILE));
  await page.locator(`tr[data-callid="${callId}"]`).click();
  await expect(ui.arrows(page).first()).toBeVisible();
}

async function exportAs(page: Page, item: string): Promise<Download> {
  await page.locator('.export-menu summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: item, exact: true }).click()]);
  // The menu closes once an item is used.
  await expect(page.getByRole('menuitem', { name: item, exact: true })).toBeHidden();
  return download;
}

test('PNG export is a PNG as large as the whole ladder', async ({ page }) => {
  const call = report.calls[1]!;
  await openCall(page, call.callId);
  const d = await exportAs(page, 'Ladder as PNG');
  expect(d.suggestedFilename()).toMatch(/\.png$/);
  const bytes = fs.readFileSync(await d.path());
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const box = await page.locator('.ladder-svg').boundingBox();
  expect(width).toBeGreaterThan(300);
  expect(height).toBeGreaterThan(100);
  expect(box).not.toBeNull();
});

test('text and Mermaid exports hold every arrow in order, with renamed hosts', async ({ page }) => {
  const call = report.calls[1]!;
  await openCall(page, call.callId);
  const labels = await arrowLabels(page);

  // Rename the first host through its menu.
  await page.getByRole('button', { name: /^Host .* menu$/ }).first().click();
  await page.getByRole('textbox', { name: 'Host name' }).fill('Phone');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('host').first()).toContainText('Phone');

  const text = fs.readFileSync(await (await exportAs(page, 'Text ladder (for a ticket)')).path(), 'utf8');
  expect(text).toContain(`Call-ID: ${call.callId}`);
  expect(text.split('\n')[1]).toContain('Phone');
  let at = 0;
  for (const l of labels) {
    const i = text.indexOf(l, at);
    expect(i, `"${l}" after offset ${at}`).toBeGreaterThanOrEqual(0);
    at = i + l.length;
  }

  const mmd = fs.readFileSync(await (await exportAs(page, 'Mermaid sequence diagram')).path(), 'utf8');
  expect(mmd.startsWith('sequenceDiagram\n')).toBe(true);
  expect(mmd).toMatch(/participant H0 as Phone \(/);
  const arrows = mmd.split('\n').filter((l) => /^\s+H\d+-/.test(l) && !l.includes('--x'));
  expect(arrows.map((l) => l.replace(/^.*?: /, '').replace(/ \(SDP\)| x\d+| \[frame \d+\]/g, ''))).toEqual(labels);
});

test('pcapng export carries the findings as comments and loads again', async ({ page }, info) => {
  const f = report.findings.find((x) => x.callId)!;
  await openCall(page, f.callId!);
  const d = await exportAs(page, 'Selected calls as pcapng (findings as comments)');
  const out = info.outputPath('call.pcapng');
  await d.saveAs(out);
  const bytes = fs.readFileSync(out);
  expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a); // Section Header Block
  expect(bytes.toString('latin1')).toContain(`sipladder ${f.severity}: ${f.title}`);
  const again = await analyzeFile(out);
  expect(again.calls.map((c) => c.callId)).toEqual([f.callId]);
  expect(again.findings.map((x) => x.kind)).toContain(f.kind);
});

test('several calls in one ladder (Ctrl-click), merged and split hosts, drag to reorder', async ({ page }) => {
  const [a, b] = [report.calls[3]!, report.calls[4]!];
  await page.setViewportSize({ width: 1500, height: 1500 }); // every row in view (the ladder draws only what is visible)
  await openCall(page, a.callId);
  await page.locator(`tr[data-callid="${b.callId}"]`).click({ modifiers: ['Control'] });
  await expect(page.locator('tr[aria-selected="true"]')).toHaveCount(2);
  const both = report.messages.filter((m) => m.callId === a.callId || m.callId === b.callId);
  const unfold = page.getByRole('button', { name: 'Unfold retransmissions' });
  if (await unfold.count()) await unfold.click();
  await expect(ui.arrows(page)).toHaveCount(both.length);
  const frames = await ui.arrows(page).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-frame'))));
  expect(frames).toEqual(both.map((m) => m.frame));

  // Merge the second host into the first: one column fewer.
  const hosts = page.getByTestId('host');
  const n = await hosts.count();
  expect(n).toBeGreaterThanOrEqual(2);
  const firstName = (await hosts.nth(0).locator('.host-name').textContent())!;
  await page.getByRole('button', { name: /^Host .* menu$/ }).nth(1).click();
  await page.getByRole('dialog').getByRole('button', { name: firstName, exact: true }).click();
  await expect(hosts).toHaveCount(n - 1);
  // Split it again.
  await page.getByRole('button', { name: /^Host .* menu$/ }).first().click();
  await page.getByRole('button', { name: 'Split merged host' }).click();
  await expect(hosts).toHaveCount(n);

  // Drag the first host to the right: the order changes.
  const before = await hosts.evaluateAll((els) => els.map((e) => e.getAttribute('data-host')));
  const box = (await hosts.nth(0).boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + 20 + box.width * 1.2, box.y + box.height / 2, { steps: 6 });
  await page.mouse.up();
  const after = await hosts.evaluateAll((els) => els.map((e) => [e.getAttribute('data-host'), e.getBoundingClientRect().left] as const));
  const order = after.sort((x, y) => x[1] - y[1]).map((x) => x[0]);
  expect(order[1]).toBe(before[0]);
  expect(order[0]).toBe(before[1]);
});
