/**
 * The call verdict at the top of the findings panel: for the lab sample where the far end's BYE
 * goes out on a new TCP connection and is reset, the panel first says what happened to the call
 * (its outcome and teardown) and then the chain, root cause last, exactly as the engine's report has it.
 * The ranked findings follow in the verdict's order.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import type { Verdict } from '../src/analysis/verdict.ts';
import { dropCapture, ui } from './helpers.ts';

const FILE = path.resolve(import.meta.dirname, '../public/samples/05b-bye-new-tcp-connection/capture.pcap');
const CALL = '1-6376@127.0.0.1';

test('the findings panel opens with the call verdict: outcome, root cause first, symptoms linked', async ({ page }) => {
  const report = await analyzeFile(FILE);
  const call = report.calls.find((c) => c.callId === CALL)!;
  const v = call.verdict as Verdict;
  expect(v.text).toContain('←');

  await page.goto('/');
  await dropCapture(page, FILE);
  await ui.filter(page).fill(`callid:${CALL}`);
  await page.locator(`tr[data-callid="${CALL}"]`).click();
  await expect(ui.arrows(page).first()).toBeVisible();

  const panel = page.getByTestId('findings-panel');
  const box = panel.getByTestId('call-verdict');
  await expect(box).toBeVisible();
  await expect(box.getByTestId('verdict-text')).toHaveText(v.text);
  await expect(box.locator('.verdict-outcome')).toContainText(String(call.outcome));
  await expect(box).toContainText(report.findings[v.rootCause]!.title);
  // The verdict sits above the findings, and the findings follow its ranking.
  const kinds = await panel.getByTestId('finding').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  expect(kinds.slice(0, 1 + v.symptoms.length)).toEqual([v.rootCause, ...v.symptoms].map((i) => report.findings[i]!.kind));
  // Clicking the root cause selects its evidence.
  await box.getByRole('button', { name: report.findings[v.rootCause]!.title }).click();
  await expect(panel.locator('.finding.active')).toHaveAttribute('data-kind', report.findings[v.rootCause]!.kind);
  await page.screenshot({ path: '/tmp/diag-calls-verdict.png' });
});
