import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { generatedSipCapture, openCapture, PUBLIC_CAPTURES } from './helpers.ts';

test('opening a real capture shows its packet and SIP message counts', async ({ page }) => {
  await page.goto('/');
  await openCapture(page, path.join(PUBLIC_CAPTURES, 'sngrep/aaa.pcap'));
  await expect(page.getByTestId('packet-count')).toHaveText('691');
  const sip = Number(await page.getByTestId('sip-count').textContent());
  expect(sip).toBeGreaterThanOrEqual(81);
});

test('a file that is not a capture gives one clear error line', async ({ page }, info) => {
  const junk = info.outputPath('notes.pcap');
  fs.writeFileSync(junk, 'PK\u0003\u0004 this is a zip, not a capture');
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(junk);
  await expect(page.getByRole('alert')).toContainText('notes.pcap');
  await expect(page.getByRole('alert')).toContainText(/not a capture/i);
});

test('a second file replaces the first', async ({ page }) => {
  await page.goto('/');
  await openCapture(page, path.join(PUBLIC_CAPTURES, 'sngrep/aaa.pcap'));
  await openCapture(page, path.join(PUBLIC_CAPTURES, 'heplify/sip_ipv6_udp.pcap'));
  await expect(page.getByRole('heading', { name: 'sip_ipv6_udp.pcap' })).toBeVisible();
  await expect(page.getByTestId('packet-count')).toHaveText('6');
});

test('a large capture shows progress by bytes and stage, its first calls while it is read, and Cancel stops it', async ({ page }, info) => {
  // ~80 MB of SIP over UDP written by the benchmark's generator: long enough to cancel mid-read,
  // after the first calls are shown (READING_SNAPSHOT_MS into the reading).
  const { file } = await generatedSipCapture(info, 'big-sip.pcap', 80_000_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  const progress = page.getByRole('progressbar', { name: 'Reading progress' });
  await expect(progress).toBeVisible();
  await expect(page.getByText(/decoding, [\d.]+ MiB of 76\.\d MiB/)).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('reading-line')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('call-row').first()).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Reading big-sip.pcap was cancelled.')).toBeVisible();
  await expect(progress).toBeHidden();
  // Nothing of it stays on screen: the first calls shown while reading go with it.
  await expect(page.getByTestId('call-row')).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Drop a capture' })).toBeVisible();
  // The engine is free again: the next file opens normally.
  await openCapture(page, path.join(PUBLIC_CAPTURES, 'heplify/sip_ipv6_udp.pcap'));
  await expect(page.getByTestId('packet-count')).toHaveText('6');
});

test('a large capture shows its first calls while it is read, all of them once read, keeps them while the model and the diagnosis run, then adds outcomes, findings and verdicts', async ({ page }, info) => {
  test.setTimeout(180_000);
  // ~196,000 SIP messages: past the engine's thresholds (LISTED_EARLY_MESSAGES; the snapshot at
  // READING_SNAPSHOT_MS comes well before the end of reading), and the model and the detectors
  // take long enough in Chromium for each early state to last several frames.
  const { file, calls } = await generatedSipCapture(info, 'listed-early.pcap', 80_000_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  /** The page at the first frame where `when` holds (polled every frame, so a state lasting a few frames is seen). */
  const snapshot = async (when: string) =>
    (
      await page.waitForFunction(
        (sel) => {
          if (!document.querySelector(sel)) return null;
          return {
            rows: document.querySelectorAll('[data-testid=call-row]').length,
            reading: document.querySelector('[data-testid=reading-line]')?.textContent ?? null,
            progress: document.querySelector('[aria-label="Reading progress"]') !== null,
            read: document.querySelector('[data-testid=modelling-line]')?.textContent ?? null,
            diagnosing: document.querySelector('[data-testid=diagnosing-line]')?.textContent ?? null,
            pending: document.querySelector('[data-testid=findings-pending]') !== null,
            noFindings: /No findings/.test(document.querySelector('[data-testid=findings-panel]')?.textContent ?? ''),
            summary: document.querySelector('[aria-label="Capture summary"]') !== null,
            state: document.querySelector('[data-testid=call-row] td.c-state')?.textContent ?? null,
          };
        },
        when,
        { timeout: 90_000, polling: 'raf' },
      )
    ).jsonValue();

  // While reading: the first calls, with the progress bar and Cancel still there; no message text yet.
  const reading = (await snapshot('[data-testid=call-row]'))!;
  expect(reading.reading).toMatch(/^Below: the [\d,]+ calls read in the first \d+\.\d s; all of them once the capture is read\.$/);
  expect(reading.progress).toBe(true);
  const firstCalls = Number(/the ([\d,]+) calls/.exec(reading.reading!)![1]!.replace(/,/g, ''));
  expect(firstCalls).toBeGreaterThan(0);
  expect(firstCalls).toBeLessThan(calls);
  expect(reading.pending).toBe(true);
  await page.locator('.ladder g.arrow').first().click();
  await page.getByRole('tab', { name: 'Message' }).click();
  const detailWhileReading = await page.evaluate(() => ({ pending: !!document.querySelector('[data-testid=detail-pending]'), reading: !!document.querySelector('[data-testid=reading-line]') }));
  if (detailWhileReading.reading) expect(detailWhileReading.pending).toBe(true);
  await page.getByRole('tab', { name: 'Findings' }).click();

  // Read: the calls as read, before the model (no outcome words yet), and the panel says the findings follow.
  const read = (await snapshot('[data-testid=modelling-line]'))!;
  expect(read.read).toContain(`${calls.toLocaleString('en-US')} calls listed as read after`);
  expect(read.rows).toBeGreaterThan(0);
  expect(read.pending).toBe(true);
  expect(read.noFindings).toBe(false);
  expect(read.summary).toBe(false);
  expect(read.state).not.toContain('answered');
  // The Media tab does not say "no RTP" while the streams are not matched to calls yet.
  await page.getByRole('tab', { name: 'Media' }).click();
  const media = await page.evaluate(() => ({ pending: !!document.querySelector('[data-testid=media-pending]'), read: !!document.querySelector('[data-testid=modelling-line]') }));
  if (media.read) expect(media.pending).toBe(true);
  await page.getByRole('tab', { name: 'Findings' }).click();

  // Listed: the model's outcomes are in, the detectors still run.
  const listed = (await snapshot('[data-testid=diagnosing-line]'))!;
  expect(listed.diagnosing).toContain(`${calls.toLocaleString('en-US')} calls listed after`);
  expect(listed.pending).toBe(true);
  expect(listed.noFindings).toBe(false);

  // Asked while the detectors may still run: the worker answers once they are done.
  await page.getByTestId('call-row').nth(1).click();
  await page.locator('.ladder g.arrow').first().click();
  await page.getByRole('tab', { name: 'Message' }).click();
  await expect(page.getByTestId('raw-message')).toContainText('INVITE sip:', { timeout: 60_000 });
  // Diagnosed: the summary says when the calls were listed; the findings are in the list and the panel.
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('diagnosing-line')).toBeHidden();
  await expect(page.getByTestId('read-in')).toContainText('(calls listed after');
  expect(Number(await page.getByTestId('finding-count').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('call-row').first().locator('td.c-state')).toContainText('answered');
  // Its tooltip, made from the diagnosed call as the cell is drawn: the outcome with its code and the teardown.
  await expect(page.getByTestId('call-row').first().locator('td.c-state')).toHaveAttribute('title', /^Outcome: answered \(200\)\. Teardown: /);
  // The call clicked while diagnosing is still the one selected, now with its findings.
  await expect(page.getByTestId('call-row').nth(1)).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'Findings' }).click();
  await expect(page.getByTestId('findings-panel').getByTestId('finding').first()).toBeVisible();
  // The message's transaction is the model's mark, which crossed at `listed` into the columns
  // `read` gave the page: the INVITE opened, first of its transaction's several messages.
  await page.getByRole('tab', { name: 'Message' }).click();
  await expect(page.getByRole('group', { name: 'Same transaction' })).toContainText(/\D1 of ([2-9]|\d{2,}) \(/);
});

test('a TLS capture dropped with its key log shows the SIP inside', async ({ page }) => {
  const dir = path.resolve(import.meta.dirname, '../public/samples/05-bye-new-tls-connection');
  await page.goto('/');
  // Both files at once, as a user drags them from a folder.
  await page.getByTestId('file-input').setInputFiles([path.join(dir, 'keylog.txt'), path.join(dir, 'capture.pcap')]);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('sip-count')).toHaveText('6');
  await page.getByTestId('call-row').first().click();
  const labels = await page.locator('.ladder g.arrow').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
  expect(labels.join(' ')).toMatch(/INVITE.*180.*200.*ACK.*BYE.*481/);
});

test('a TLS call exported as pcapng opens decrypted on its own (the keys travel in the file)', async ({ page }, info) => {
  const dir = path.resolve(import.meta.dirname, '../public/samples/05-bye-new-tls-connection');
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles([path.join(dir, 'keylog.txt'), path.join(dir, 'capture.pcap')]);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('call-row').first().click();
  const labels = await page.locator('.ladder g.arrow').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
  await page.locator('.export-menu summary').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: /^Selected calls as pcapng/ }).click(),
  ]);
  const out = info.outputPath('tls-call.pcapng');
  await download.saveAs(out);

  // The exported file alone, no key log beside it.
  await page.getByTestId('file-input').setInputFiles(out);
  await expect(page.getByRole('heading', { name: 'tls-call.pcapng' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('sip-count')).toHaveText('6');
  await page.getByTestId('call-row').first().click();
  await expect(page.locator('.ladder g.arrow').first()).toBeVisible();
  expect(await page.locator('.ladder g.arrow').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')))).toEqual(labels);
});

test('a list of 14,000 calls scrolls to its last call with End and back with Home', async ({ page }, info) => {
  test.setTimeout(120_000);
  // The benchmark's generator: ~98,000 SIP messages, 14,000 calls, each call's Call-ID numbered.
  const { file, calls } = await generatedSipCapture(info, 'many-calls.pcap', 40_000_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('call-count-visible')).toHaveText(`${calls.toLocaleString('en')} of ${calls.toLocaleString('en')} calls`);
  // Only a screenful of rows is in the page, whatever the length of the list.
  const rows = page.getByTestId('call-row');
  expect(await rows.count()).toBeLessThan(200);
  await rows.first().click();
  await page.keyboard.press('End');
  const last = page.locator(`tr[data-callid^="bench-${calls - 1}-"]`);
  await expect(last).toBeVisible();
  await expect(last).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Home');
  await expect(page.locator('tr[data-callid^="bench-0-"]')).toBeVisible();
  await expect(page.locator('tr[data-callid^="bench-0-"]')).toHaveAttribute('aria-selected', 'true');
});
