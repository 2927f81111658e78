/**
 * Diagnosis overlays end to end on public captures: finding badges on the evidence arrows, the
 * findings panel selecting evidence in the ladder, ghost arrows ("should have gone to …"),
 * connection lanes (a connection opened mid-dialog stands out), the finding-kind filter. Also
 * takes the README's screenshot of a real call's ladder with a finding overlay. Expectations come
 * from the engine run under Node on the same files.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import type { Finding, Report } from '../src/report/report.ts';
import { dropCapture, generatedSipCapture, PUBLIC_CAPTURES, ui } from './helpers.ts';

const SAMPLE_01 = path.resolve(import.meta.dirname, '../public/samples/01-missing-ack/capture.pcap');
const cache = new Map<string, Promise<Report>>();
const reportOf = (file: string): Promise<Report> => {
  let p = cache.get(file);
  if (!p) cache.set(file, (p = analyzeFile(path.resolve(PUBLIC_CAPTURES, file))));
  return p;
};

async function open(page: Page, file: string, callId: string): Promise<void> {
  await page.goto('/');
  await dropCapture(page, path.resolve(PUBLIC_CAPTURES, file));
  await ui.filter(page).fill(`callid:${callId}`);
  await page.locator(`tr[data-callid="${callId}"]`).click();
  await expect(ui.arrows(page).first()).toBeVisible();
}

test('a finding puts a badge on its evidence arrow; clicking it in the panel selects the evidence', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const report = await reportOf(file);
  // The INVITE that timed out: its evidence (INVITE ×3, 100 Trying, 408) fits one screen of rows.
  const f = report.findings.find((x) => x.kind === 'invite-timeout' && x.severity === 'error') as Finding;
  expect(f).toBeTruthy();
  await open(page, file, f.callId!);

  const firstEvidence = report.messages.find((m) => m.callId === f.callId && f.frames.includes(m.frame))!;
  const arrow = page.locator(`.ladder g.arrow[data-frame="${firstEvidence.frame}"]`);
  await expect(arrow.getByTestId('finding-badge')).toBeVisible();
  await expect(arrow).toHaveAttribute('aria-label', new RegExp(`error: ${f.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  // The call list counts it and the kind filter finds it.
  await ui.filter(page).fill('');
  const alarms = report.findings.filter((x) => x.callId === f.callId && x.severity !== 'info').length;
  await expect(page.locator(`tr[data-callid="${f.callId}"] .count-badge`)).toHaveText(String(alarms));
  const withKind = new Set(report.findings.filter((x) => x.kind === f.kind && x.callId).map((x) => x.callId));
  await page.getByRole('combobox', { name: 'Finding kind' }).selectOption(f.kind);
  await expect(ui.callCount(page)).toHaveText(`${withKind.size} of ${report.calls.length} calls`);

  // Findings panel: the finding, its explanation and fix; a click marks every evidence arrow.
  await page.getByRole('tab', { name: 'Findings' }).click();
  const item = page.getByTestId('findings-panel').getByTestId('finding').filter({ hasText: f.title });
  await expect(item).toContainText(f.explanation.slice(0, 40));
  await item.getByRole('button').click();
  await expect(page.locator('.ladder g.arrow.selected')).toHaveAttribute('data-frame', String(firstEvidence.frame));
  const evidenceFrames = new Set(report.messages.filter((m) => m.callId === f.callId && f.frames.includes(m.frame) && !m.retransmission).map((m) => String(m.frame)));
  const marked = await page.locator('.ladder g.arrow.evidence').evaluateAll((els) => els.map((e) => e.getAttribute('data-frame')));
  for (const fr of evidenceFrames) expect(marked).toContain(fr);
});

test('ghost arrows show where a message should have gone', async ({ page }) => {
  // The lab's missing-ACK sample: the ACKs went to the private Contact; the ghost arrow points at
  // the NAT's public address, where the 2xx came from.
  const file = SAMPLE_01;
  const f = (await reportOf(file)).findings.find((x) => x.kind === 'ack-missing' && x.expected && x.callId);
  expect(f, 'ack-missing carries the hop the ACK should have taken').toBeTruthy();
  if (!f) return;
  await open(page, file, f.callId!);
  await page.getByRole('tab', { name: 'Findings' }).click();
  await page.getByTestId('findings-panel').getByTestId('finding').filter({ hasText: f.title }).getByRole('button').click();
  const ghost = page.getByTestId('ghost-arrow');
  await expect(ghost).toHaveCount(1);
  await expect(ghost).toContainText(`should have gone to ${f.expected!.to}`);
  // It sits beside the real arrow of the message it corrects.
  const owner = page.locator(`.ladder g.arrow[data-frame="${f.expected!.messageFrame}"]`);
  await expect(owner.getByTestId('ghost-arrow')).toHaveCount(1);
  // Switching ghost arrows off removes it.
  await page.getByRole('checkbox', { name: 'Ghost arrows' }).uncheck();
  await expect(ghost).toHaveCount(0);
});

test('connection lanes: the connection opened mid-dialog stands out', async ({ page }) => {
  // The lab's BYE-on-a-new-TCP-connection sample (field note 000 over plain TCP).
  const file = path.resolve(import.meta.dirname, '../public/samples/05b-bye-new-tcp-connection/capture.pcap');
  const report = await reportOf(file);
  const f = report.findings.find((x) => x.kind === 'new-connection-mid-dialog');
  expect(f, 'the sample shows new-connection-mid-dialog').toBeTruthy();
  if (!f) return;
  await open(page, file, f!.callId!);
  const carried = new Set(report.messages.filter((m) => m.callId === f!.callId && m.connection !== null).map((m) => m.connection));
  const lanes = page.getByTestId('connection-lane');
  const ids = (await lanes.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-connection'))))).sort();
  for (const c of carried) expect(ids).toContain(c);
  const fresh = report.connections.find((c) => f!.connections?.includes(c.id) && f!.frames.includes(c.openedFrame))!;
  await expect(page.locator(`[data-testid="connection-lane"][data-connection="${fresh.id}"]`)).toHaveClass(/\bbad\b/);
  await expect(page.locator(`[data-testid="connection-lane"][data-connection="${fresh.id}"]`)).toHaveAttribute('aria-label', /opened mid-dialog/);
  for (const other of ids.filter((x) => x !== fresh.id)) {
    await expect(page.locator(`[data-testid="connection-lane"][data-connection="${other}"]`)).not.toHaveClass(/\bbad\b/);
  }
  // Arrows carry their connection's tag.
  const m = report.messages.find((x) => x.callId === f!.callId && x.connection === fresh.id)!;
  await page.locator('.ladder').getByRole('button', { name: new RegExp(`^frame ${m.frame},`) }).first().waitFor({ state: 'attached' }).catch(() => undefined);
  await expect(page.locator('.ladder .conn-tag').first()).toHaveText(/^#\d+$/);
});

test('screenshot of a real call ladder with a finding overlay (for the README)', async ({ page }) => {
  // The lab's missing-ACK sample: real kamailio, baresip and SIPp through a real NAT. The call
  // whose ACK went to the callee's private Contact, with the ack-missing finding selected.
  const file = path.resolve(import.meta.dirname, '../public/samples/01-missing-ack/capture.pcap');
  const r = await analyzeFile(file);
  const f = r.findings.find((x) => x.kind === 'ack-missing')!;
  expect(f, 'the sample shows ack-missing').toBeTruthy();
  await page.setViewportSize({ width: 1600, height: 960 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await dropCapture(page, file);
  await page.locator(`tr[data-callid="${f.callId}"]`).click();
  await page.getByRole('button', { name: 'Fit' }).click();
  await page.getByRole('tab', { name: 'Findings' }).click();
  await page.getByTestId('findings-panel').getByTestId('finding').filter({ hasText: f.title }).getByRole('button').first().click();
  await expect(page.locator('.ladder g.arrow.selected')).toHaveCount(1);
  await expect(page.getByTestId('ghost-arrow').first()).toBeVisible();
  await page.mouse.move(0, 0);
  await page.locator('body').evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  // A whole call: every host header and every row of the ladder in view, none under the panel.
  const whole = await page.evaluate(() => {
    const body = document.querySelector('[data-testid="ladder-body"]')!.getBoundingClientRect();
    const hosts = [...document.querySelectorAll('[data-testid="host"]')].map((h) => h.getBoundingClientRect());
    const arrows = [...document.querySelectorAll('.ladder g.arrow')].map((a) => a.getBoundingClientRect());
    return { hostsIn: hosts.every((h) => h.left >= body.left && h.right <= body.right), hosts: hosts.length, lastArrowBottom: Math.max(...arrows.map((a) => a.bottom)), bodyBottom: body.bottom };
  });
  expect(whole.hosts).toBeGreaterThanOrEqual(4);
  expect(whole.hostsIn, 'every host header is in view').toBe(true);
  expect(whole.lastArrowBottom, 'the last arrow is in view').toBeLessThanOrEqual(whole.bodyBottom);
  // The README's picture is refreshed only when asked (`npm run screenshot`); a plain test run
  // writes its copy under test-results/ so the work tree stays as it was.
  const target = process.env.SIPLADDER_README_SCREENSHOT === '1'
    ? path.resolve(import.meta.dirname, '../docs/screenshot-ladder.png')
    : test.info().outputPath('screenshot-ladder.png');
  await page.screenshot({ path: target });
});

test('a capture with thousands of findings explains each one after the worker has packed the explanations', async ({ page }, info) => {
  test.setTimeout(120_000);
  // The benchmark's generator: its calls cross a NAT without rport, a finding each.
  const { file } = await generatedSipCapture(info, 'many-findings.pcap', 10_000_000);
  const report = await analyzeFile(file);
  // Past the count from which the worker packs them (engine.worker.ts, PACK_FROM_FINDINGS).
  expect(report.findings.length).toBeGreaterThan(1_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('diagnosing-line')).toBeHidden({ timeout: 90_000 });
  // The worker nudges a collection 1 s after its result and packs the explanations 1 s later:
  // asked after that, each comes back from the packed blocks.
  await page.waitForTimeout(3_000);
  for (const f of [report.findings[0]!, report.findings[report.findings.length - 1]!]) {
    await ui.filter(page).fill(`callid:${f.callId!}`);
    await page.locator(`tr[data-callid="${f.callId!}"]`).click();
    await page.getByRole('tab', { name: 'Findings' }).click();
    await expect(page.getByTestId('findings-panel').getByTestId('finding').filter({ hasText: f.title })).toContainText(f.explanation);
  }
});
