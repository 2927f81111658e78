/**
 * Share links end to end: select a call, add a note, open Share, copy the link, open it in a
 * fresh browser context with no file — the same call, selection, note and findings come back;
 * a link cut short says so and shows what survived. Expectations come from the engine run under
 * Node on the same capture, never hard-coded.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import { dropCapture, PUBLIC_CAPTURES, ui, waitIdle } from './helpers.ts';

const FILE = 'sngrep/aaa.pcap';
const FINDING_NOTE = 'Fix the Contact on the ingress proxy';
const NOTE = 'The 200 OK never comes back: look at the Contact.';

async function arrowsOf(page: Page): Promise<string[]> {
  return ui.arrows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-label') ?? ''));
}

test('a share link carries the call, the selection, the note and the findings to a fresh browser', async ({ page, browser, context }) => {
  const report = await analyzeFile(path.join(PUBLIC_CAPTURES, FILE));
  // A call with findings, so "same findings" means something: the INVITE that timed out (its
  // findings rest on its own messages; a registration left at a challenge is judged on how long
  // the whole capture went on after it, which a link carrying one call cannot show).
  const finding = report.findings.find((f) => f.kind === 'invite-timeout' && f.callId !== null)!;
  expect(finding).toBeTruthy();
  const callId = finding.callId!;
  const msgs = report.messages.filter((m) => m.callId === callId && !m.retransmission);
  const target = msgs[Math.min(1, msgs.length - 1)]!;

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, FILE));
  await page.locator(`tr[data-callid="${callId}"]`).click();
  await expect(page.locator(`tr[data-callid="${callId}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.locator(`.ladder g.arrow[data-frame="${target.frame}"]`).click();
  await page.getByRole('tab', { name: 'Message' }).click();
  await page.getByLabel('Note (exported as a packet comment)').fill(NOTE);
  const labels = await arrowsOf(page);
  const selectedLabel = await page.locator('.ladder g.arrow.selected').getAttribute('data-label');
  await page.getByRole('tab', { name: 'Findings' }).click();
  const findingsHere = await page.getByTestId('findings-panel').getByTestId('finding').count();
  expect(findingsHere).toBeGreaterThan(0);
  // A note on the first finding of the call travels too.
  const findingNote = page.getByTestId('findings-panel').getByTestId('finding').first().getByRole('textbox');
  await findingNote.fill(FINDING_NOTE);

  // Share: anonymised by default; the link sits in "Share link" with a copy button beside it.
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel('Anonymise before sharing', { exact: false })).toBeChecked();
  const field = dialog.getByLabel('Share link');
  await expect(field).toHaveValue(/#sl=1&/, { timeout: 30_000 });
  await expect(dialog.getByTestId('share-size')).toContainText('characters');
  await dialog.getByRole('button', { name: 'Copy' }).click();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toBe(await field.inputValue());
  // Anonymised: none of the capture's addresses appear in the link (10.33.6.100/101 here).
  for (const ip of new Set(msgs.flatMap((m) => [m.src, m.dst]).map((e) => e.split(':')[0]!))) expect(link).not.toContain(ip);
  console.log(`share link for one call of ${FILE}: ${link.length} characters`);

  // A fresh browser: no file, just the link.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(link);
  await expect(other.getByRole('status', { name: 'Shared link' })).toContainText('Opened a shared link', { timeout: 30_000 });
  await waitIdle(other);
  await expect(other.getByRole('region', { name: 'Capture summary' })).toBeVisible();
  const selectedRow = other.locator('tr[data-callid][aria-selected="true"]');
  await expect(selectedRow).toHaveCount(1);
  await expect.poll(() => arrowsOf(other)).toEqual(labels);
  await expect(other.locator('.ladder g.arrow.selected')).toHaveAttribute('data-label', selectedLabel!);
  await other.getByRole('tab', { name: 'Message' }).click();
  await expect(other.getByLabel('Note (exported as a packet comment)')).toHaveValue(NOTE);
  await other.getByRole('tab', { name: 'Findings' }).click();
  await expect(other.getByTestId('findings-panel').getByTestId('finding')).toHaveCount(findingsHere);
  await expect(other.getByTestId('findings-panel').getByTestId('finding').first().getByRole('textbox')).toHaveValue(FINDING_NOTE);
  await fresh.close();
});

test('a link cut short says what is wrong and shows what survived', async ({ page, browser }) => {
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, FILE));
  const report = await analyzeFile(path.join(PUBLIC_CAPTURES, FILE));
  const big = [...report.calls].sort((a, b) => b.messageCount - a.messageCount)[0]!;
  await page.locator(`tr[data-callid="${big.callId}"]`).click();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const field = page.getByRole('dialog').getByLabel('Share link');
  await expect(field).toHaveValue(/#sl=1&/, { timeout: 30_000 });
  const link = await field.inputValue();
  const cap = link.indexOf('&cap=');
  const cut = link.slice(0, cap + Math.floor((link.length - cap) * 0.6));

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(cut);
  const alert = other.getByRole('alert').filter({ hasText: 'damaged' });
  await expect(alert).toContainText('cut short', { timeout: 30_000 });
  await expect(alert).toContainText(/characters of the capture arrived/);
  await waitIdle(other);
  // What survived: the first messages of the call.
  await expect(ui.arrows(other).first()).toBeVisible();
  expect(await ui.arrows(other).count()).toBeLessThan(big.messageCount);
  await fresh.close();

  // Not a capture at all after the cut (only view state): still a clear message, no crash.
  const bare = await browser.newContext();
  const p3 = await bare.newPage();
  await p3.goto(link.slice(0, cap + 30));
  await expect(p3.getByRole('alert').filter({ hasText: 'damaged' })).toBeVisible({ timeout: 30_000 });
  await bare.close();
});
