/**
 * The sngrep workflow end to end: the keyboard works from a fresh load without a click (list →
 * ladder, Tab onto an arrow makes it current), Space marks calls and Enter opens them together,
 * the capture text is searched and walked with n / N, a TLS capture without its key log opens on
 * its connections, and the small traps (a non-capture replacing the open one, `?url=` to a missing
 * file, the quiz's title, the Share dialog's width). Expectations come from the engine run under
 * Node (`analyzeFile`) or from the capture's bytes, never hard-coded where they can be derived.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import type { Report } from '../src/report/report.ts';
import { dropCapture, PUBLIC_CAPTURES, ui, waitIdle } from './helpers.ts';

const AAA = path.join(PUBLIC_CAPTURES, 'sngrep/aaa.pcap');
const SAMPLE05 = path.resolve(import.meta.dirname, '../public/samples/05-bye-new-tls-connection');
let aaa: Report;
test.beforeAll(async () => {
  aaa = await analyzeFile(AAA);
});

const byStart = (r: Report) => [...r.calls].sort((a, b) => a.startFrame - b.startFrame);
const firstFrames = (r: Report, callId: string) => r.messages.filter((m) => m.callId === callId && !m.retransmission).map((m) => m.frame);
const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-frame') ?? document.activeElement?.getAttribute('data-callid') ?? document.activeElement?.tagName ?? null);

test('keyboard from a fresh load, no click: ↓ moves, Enter opens the ladder, Tab onto an arrow makes it current', async ({ page }) => {
  const calls = byStart(aaa);
  await page.goto('/');
  await dropCapture(page, AAA);
  // The list has the keyboard as soon as the capture is read.
  await expect.poll(() => focused(page)).toBe(calls[0]!.callId);
  await page.keyboard.press('j');
  await expect(page.locator(`tr[data-callid="${calls[1]!.callId}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(page.locator(`tr[data-callid="${calls[2]!.callId}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('k');
  const c = calls[1]!;
  const frames = firstFrames(aaa, c.callId);
  await page.keyboard.press('Enter');
  await expect.poll(() => focused(page)).toBe(String(frames[0]));
  // Tab onto the next arrows: the focused one becomes the current message, and ↓ goes on from it.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect.poll(() => focused(page)).toBe(String(frames[2]));
  await expect(page.locator('.ladder g.arrow.selected')).toHaveAttribute('data-frame', String(frames[2]));
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => focused(page)).toBe(String(frames[3]));

  // Focus lost (a click on the page background): the keys still reach the pane that had them.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => focused(page)).toBe(String(frames[4]));
});

test('Space marks calls as in sngrep and Enter opens the marked calls together in one ladder', async ({ page }) => {
  const calls = byStart(aaa);
  const [a, , c] = [calls[0]!, calls[1]!, calls[2]!];
  await page.goto('/');
  await dropCapture(page, AAA);
  await expect.poll(() => focused(page)).toBe(a.callId);
  await page.keyboard.press(' ');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  // The cursor moved; the mark stayed on the first call and the ladder shows only it.
  await expect(page.locator(`tr[data-callid="${a.callId}"]`)).toHaveAttribute('data-marked', 'true');
  await expect(page.locator(`tr[data-callid="${c.callId}"]`)).toHaveAttribute('aria-selected', 'false');
  await page.keyboard.press(' ');
  await expect(page.locator('tr[data-marked="true"]')).toHaveCount(2);
  await page.keyboard.press('Enter');
  await expect(ui.ladder(page).locator('svg[aria-label^="Ladder of 2 calls"]')).toBeVisible();
  // The merged ladder holds both calls' messages: its first arrows are the first call's, and End
  // reaches the last message of the two.
  const both = [...firstFrames(aaa, a.callId), ...firstFrames(aaa, c.callId)].sort((x, y) => x - y);
  await expect.poll(() => focused(page)).toBe(String(both[0]));
  await page.keyboard.press('End');
  await expect.poll(() => focused(page)).toBe(String(both.at(-1)));
  // Escape back to the list; Space on a marked call unmarks it.
  await page.keyboard.press('Escape');
  await expect.poll(() => focused(page)).toBe(c.callId);
  await page.keyboard.press(' ');
  await expect(page.locator('tr[data-marked="true"]')).toHaveCount(1);
  await expect(ui.ladder(page).locator(`svg[aria-label^="Ladder of call ${a.callId}"]`)).toBeVisible();
});

test('search the capture text: the matches listed, n / N walk them through the ladder and the detail', async ({ page }) => {
  // The messages whose text holds the words, from the engine's own message list.
  const raw = fs.readFileSync(AAA).toString('latin1');
  expect(raw.includes('nonce has changed')).toBe(true);
  const expected = aaa.messages.filter((m) => /nonce has changed/i.test(m.startLine)).map((m) => m.frame);
  expect(expected.length).toBeGreaterThan(2);
  await page.goto('/');
  await dropCapture(page, AAA);
  await page.keyboard.press('f');
  await expect(page.getByRole('searchbox', { name: 'Search the capture text' })).toBeFocused();
  await page.keyboard.type('nonce has changed');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('search-status')).toHaveText(`1 / ${expected.length} messages`);
  await expect(page.getByTestId('search-match')).toHaveCount(expected.length);
  expect(await page.getByTestId('search-match').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-frame'))))).toEqual(expected);
  await expect(page.getByTestId('search-match').first().locator('mark')).toHaveText('nonce has changed');
  // The first match is the current message: focused in the ladder, its detail open.
  await expect.poll(() => focused(page)).toBe(String(expected[0]));
  await expect(page.getByTestId('message-detail')).toContainText(`frame ${expected[0]}`);
  await page.keyboard.press('n');
  await expect.poll(() => focused(page)).toBe(String(expected[1]));
  await expect(page.getByTestId('search-status')).toHaveText(`2 / ${expected.length} messages`);
  await page.keyboard.press('N');
  await page.keyboard.press('N');
  // N before the first wraps to the last match, in another call.
  await expect.poll(() => focused(page)).toBe(String(expected.at(-1)));
  await expect(page.getByTestId('message-detail')).toContainText(`frame ${expected.at(-1)}`);
  const lastCall = aaa.messages.find((m) => m.frame === expected.at(-1))!.callId!;
  await expect(page.locator(`tr[data-callid="${lastCall}"]`)).toHaveCount(0); // the list shows the matches…
  await page.getByRole('tab', { name: /^Calls/ }).click();
  await expect(page.locator(`tr[data-callid="${lastCall}"]`)).toHaveAttribute('aria-selected', 'true'); // …and the call is the selected one

  // A header value in the matches says which header it is in.
  await page.getByRole('searchbox', { name: 'Search the capture text' }).fill('Nero SIPPS');
  await page.getByRole('searchbox', { name: 'Search the capture text' }).press('Enter');
  await expect(page.getByTestId('search-match').first()).toContainText('User-Agent');
  // The detail marks the line of the match.
  await page.keyboard.press('n');
  await expect(page.getByTestId('raw-message').locator('.search-hit')).toContainText('User-Agent: Nero SIPPS');
});

test('a TLS capture without its key log opens on its connections: opener, handshake, RST, encrypted bytes', async ({ page }) => {
  const report = await analyzeFile(path.join(SAMPLE05, 'capture.pcap'));
  expect(report.calls).toHaveLength(0);
  await page.goto('/');
  await dropCapture(page, path.join(SAMPLE05, 'capture.pcap'));
  await expect(page.getByRole('tab', { name: /^Connections/ })).toHaveAttribute('aria-selected', 'true');
  const rows = page.getByTestId('connection-row');
  await expect(rows).toHaveCount(report.connections.length);
  await expect(page.getByText(/No SIP could be read: 2 of 2 TLS connections carried encrypted data/)).toBeVisible();
  const c2 = report.connections.find((c) => c.closedBy === 'rst')!;
  const row = page.locator(`tr[data-conn="${c2.id}"]`);
  await expect(row).toContainText(`${c2.client} → ${c2.server}`);
  await expect(row).toContainText(`SYN by client, frame ${c2.openedFrame}`);
  await expect(row).toContainText('handshake failed');
  await expect(row).toContainText(`RST by server, frame ${c2.closedFrame}`);
  await expect(row).toContainText(`encrypted: client ${c2.clientBytes} B`);
  await expect(row.locator('.count-badge')).toHaveText(String(report.findings.filter((f) => f.connections?.includes(c2.id)).length));
  // The keyboard is on the first connection; ↓ reaches the second.
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-conn'))).toBe(String(report.connections[0]!.id));
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-conn'))).toBe(String(report.connections[1]!.id));

  // With the key log the same connection carries the call: Enter on it shows the call's ladder.
  await page.getByTestId('file-input').setInputFiles([path.join(SAMPLE05, 'keylog.txt'), path.join(SAMPLE05, 'capture.pcap')]);
  await waitIdle(page);
  await expect(page.getByTestId('sip-count')).not.toHaveText('0');
  await page.getByRole('tab', { name: /^Connections/ }).click();
  const carrying = page.locator(`tr[data-conn="${report.connections[0]!.id}"]`);
  await expect(carrying).toContainText(/\d+ SIP messages? \(client/);
  await carrying.click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tab', { name: /^Calls/ })).toHaveAttribute('aria-selected', 'true');
  await expect(ui.callRows(page).first()).toHaveAttribute('aria-selected', 'true');
  await expect.poll(() => page.evaluate(() => document.activeElement?.closest('.ladder') !== null)).toBe(true);

  // sngrep's tlssaved.pcap: connections captured mid-stream.
  await dropCapture(page, path.join(PUBLIC_CAPTURES, 'sngrep/tlssaved.pcap'));
  await expect(page.getByTestId('connection-row')).toHaveCount(2);
  await expect(page.getByTestId('connection-row').first()).toContainText('open before the capture');
  await expect(page.getByTestId('connection-row').first()).toContainText('no handshake in the capture');
});

test('a file that is not a capture leaves the open capture open, with a notice', async ({ page }, info) => {
  await page.goto('/');
  await dropCapture(page, AAA);
  const junk = info.outputPath('notes.pcap');
  fs.writeFileSync(junk, 'PK\u0003\u0004 this is a zip, not a capture');
  await page.getByTestId('file-input').setInputFiles(junk);
  await expect(page.getByRole('alert')).toContainText('notes.pcap: not a capture file');
  await expect(page.getByRole('alert')).toContainText('The capture that was open stays open');
  await expect(page.getByRole('heading', { name: 'aaa.pcap' })).toBeVisible();
  await expect(ui.callRows(page)).toHaveCount(aaa.calls.length);
});

test('?url= to a missing file says not found', async ({ page }) => {
  await page.goto('/?url=/captures/no-such-file.pcap');
  await expect(page.getByRole('alert')).toContainText('not found: /captures/no-such-file.pcap');
  await expect(page.getByRole('alert')).not.toContainText('XML or HTML');
});

test('the quiz does not show its answer in the bar above the question', async ({ page }) => {
  const m = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../public/samples/01-missing-ack/manifest.json'), 'utf8')) as { title: string; symptom: string };
  await page.goto('/#/training');
  await page.locator('[data-testid="training-sample"][data-sample="01-missing-ack"]').getByRole('button', { name: 'Take the quiz' }).click();
  await expect(page.getByTestId('quiz')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('training-title')).toHaveText(`Symptom: ${m.symptom}`);
  await expect(page.getByTestId('training-bar')).not.toContainText(m.title);
});

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
]) {
  test(`at ${viewport.width}×${viewport.height} the Share dialog's text, the filter hint and the file name fit`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await page.goto('/');
    await dropCapture(page, AAA);
    const name = page.getByRole('heading', { name: 'aaa.pcap' });
    expect(await name.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    const filter = ui.filter(page);
    const hint = await filter.evaluate((e: HTMLInputElement) => {
      const c = document.createElement('canvas').getContext('2d')!;
      const s = getComputedStyle(e);
      c.font = `${s.fontSize} ${s.fontFamily}`;
      return { text: c.measureText(e.placeholder).width, box: e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) };
    });
    expect(hint.text).toBeLessThanOrEqual(hint.box);
    await page.getByRole('button', { name: 'Share' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    expect(await dialog.evaluate((d) => d.scrollWidth <= d.clientWidth + 1)).toBe(true);
    await page.screenshot({ path: test.info().outputPath(`share-${viewport.width}.png`) });
  });
}
