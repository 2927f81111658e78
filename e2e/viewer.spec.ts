/**
 * The viewer end to end, on the public captures: every capture shows as many calls as the CLI
 * engine finds distinct Call-IDs; a call's arrows appear in capture order with accessible names;
 * keyboard navigation (sngrep-like); the filter; `?url=`; SVG and pcap exports (the exported pcap
 * loads again and shows the same call). Expectations come from the same engine run under Node
 * (`analyzeFile`), never hard-coded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { analyzeFile } from '../src/cli/main.ts';
import type { Report, ReportMessage } from '../src/report/report.ts';
import { arrowLabels, dropCapture, manifest, PUBLIC_CAPTURES, ui, waitIdle } from './helpers.ts';

const reports = new Map<string, Promise<Report | Error>>();
function reportOf(file: string): Promise<Report | Error> {
  let p = reports.get(file);
  if (!p) reports.set(file, (p = analyzeFile(path.join(PUBLIC_CAPTURES, file)).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
  return p;
}
const label = (m: ReportMessage): string => m.method ?? (m.status !== undefined ? `${m.status}${m.reason ? ` ${m.reason}` : ''}` : 'malformed');
const fmt = (n: number): string => n.toLocaleString('en-US');

async function openCall(page: Page, callId: string): Promise<void> {
  await page.locator(`tr[data-callid="${callId}"]`).click();
  await expect(page.locator(`tr[data-callid="${callId}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(ui.arrows(page).first()).toBeVisible();
}

test.describe('every public capture shows one row per Call-ID', () => {
  for (const entry of manifest()) {
    test(entry.file, async ({ page }) => {
      const report = await reportOf(entry.file);
      await page.goto('/');
      await dropCapture(page, path.join(PUBLIC_CAPTURES, entry.file));
      if (report instanceof Error) {
        // Not a capture: one clear line, no viewer.
        await expect(page.getByRole('alert')).toContainText(path.basename(entry.file));
        return;
      }
      const ids = new Set(report.calls.map((c) => c.callId)).size;
      if (ids === 0 && report.connections.length > 0) {
        // No call could be read (TLS without its key log): the page opens on the connections.
        await expect(page.getByTestId('connection-row')).toHaveCount(report.connections.length);
        await page.getByRole('tab', { name: /^Calls/ }).click();
      }
      await expect(ui.callCount(page)).toHaveText(`${fmt(ids)} of ${fmt(ids)} calls`);
      await expect(page.getByRole('grid', { name: 'Calls' })).toHaveAttribute('aria-rowcount', String(ids + 1));
      if (ids > 0) await expect(ui.callRows(page).first()).toBeVisible();
    });
  }
});

test('a call opens with its arrows in capture order, retransmissions folded then unfolded', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const report = (await reportOf(file)) as Report;
  // The call with the most retransmissions shows folding best.
  const call = [...report.calls].sort((a, b) => report.messages.filter((m) => m.callId === b.callId && m.retransmission).length - report.messages.filter((m) => m.callId === a.callId && m.retransmission).length)[0]!;
  const msgs = report.messages.filter((m) => m.callId === call.callId);
  const rtx = msgs.filter((m) => m.retransmission).length;
  expect(rtx).toBeGreaterThan(0);

  await page.setViewportSize({ width: 1500, height: 1400 });
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));
  await openCall(page, call.callId);
  await expect(ui.arrows(page)).toHaveCount(msgs.length - rtx);
  const folded = await arrowLabels(page);
  expect(folded).toEqual(msgs.filter((m) => !m.retransmission).map(label));
  await expect(page.locator('.ladder .badge.count').first()).toContainText('×');

  await page.getByRole('button', { name: 'Unfold retransmissions' }).click();
  await expect(ui.arrows(page)).toHaveCount(msgs.length);
  expect(await arrowLabels(page)).toEqual(msgs.map(label));
  const first = msgs[0]!;
  await expect(ui.arrows(page).first()).toHaveAttribute('aria-label', new RegExp(`^frame ${first.frame}, ${label(first)}, ${first.src.replace(/[.[\]]/g, '\\$&')} to ${first.dst.replace(/[.[\]]/g, '\\$&')}`));
  await expect(ui.arrows(page).first()).toHaveAttribute('tabindex', '0');
  await expect(ui.arrows(page).first()).toHaveAttribute('role', 'button');
});

test('keyboard: move through messages and calls, open and close the detail, back to the list', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const report = (await reportOf(file)) as Report;
  const calls = [...report.calls].sort((a, b) => a.startFrame - b.startFrame);
  const c0 = calls[0]!;
  const msgs = report.messages.filter((m) => m.callId === c0.callId && !m.retransmission);
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));

  // The list has the keyboard: ↓ moves to the next call, ↑ back, Enter opens the ladder.
  await page.locator(`tr[data-callid="${c0.callId}"]`).click();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator(`tr[data-callid="${calls[1]!.callId}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('k');
  await expect(page.locator(`tr[data-callid="${c0.callId}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-frame'));
  await expect.poll(focused).toBe(String(msgs[0]!.frame));
  await page.keyboard.press('ArrowDown');
  await expect.poll(focused).toBe(String(msgs[1]!.frame));
  await page.keyboard.press('j');
  await expect.poll(focused).toBe(String(msgs[2]!.frame));
  await page.keyboard.press('k');
  await expect.poll(focused).toBe(String(msgs[1]!.frame));
  await expect(page.locator('.ladder g.arrow.selected')).toHaveAttribute('data-frame', String(msgs[1]!.frame));

  // Enter opens the detail of the selected message; Esc closes it; Esc again goes to the list.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('message-detail')).toContainText(`frame ${msgs[1]!.frame}`);
  await expect(page.getByTestId('raw-message')).toContainText(c0.callId);
  await expect(page.getByTestId('wireshark-filter')).toHaveText(`sip.Call-ID == "${c0.callId}"`);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('message-detail')).toHaveCount(0);

  // →: next call in the list, in the ladder.
  await ui.arrows(page).first().focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.locator(`tr[data-callid="${calls[1]!.callId}"]`)).toHaveAttribute('aria-selected', 'true');
  const c1first = report.messages.find((m) => m.callId === calls[1]!.callId)!;
  await expect.poll(focused).toBe(String(c1first.frame));
  await page.keyboard.press('ArrowLeft');
  await expect(page.locator(`tr[data-callid="${c0.callId}"]`)).toHaveAttribute('aria-selected', 'true');

  await page.keyboard.press('Escape');
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-callid'))).toBe(c0.callId);

  // "/" focuses the filter.
  await page.keyboard.press('/');
  await expect(ui.filter(page)).toBeFocused();
});

test('keyboard: the host menu and the export menu are walked with the arrow keys, Escape gives focus back', async ({ page }) => {
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, 'sngrep/aaa.pcap'));
  await page.locator('tr[data-callid]').first().click();
  await expect(ui.arrows(page).first()).toBeVisible();

  // Host menu: opened from its button with Enter, focus starts in the name field.
  const menuButton = page.getByRole('button', { name: /^Host .* menu$/ }).first();
  await menuButton.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: /^Edit host / });
  await expect(dialog.getByRole('textbox', { name: 'Host name' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(dialog.getByRole('button', { name: 'Rename' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(dialog.getByRole('button', { name: 'Move right ▶' })).toBeFocused();
  await page.keyboard.press('ArrowDown'); // wraps to the top
  await expect(dialog.getByRole('textbox', { name: 'Host name' })).toBeFocused();
  await page.keyboard.press('ArrowUp'); // and back to the bottom
  await expect(dialog.getByRole('button', { name: 'Move right ▶' })).toBeFocused();
  // The ladder's own arrow-key navigation stayed out of it: no message got selected.
  await expect(page.locator('.ladder g.arrow.selected')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(menuButton).toBeFocused();

  // Export menu: Enter opens it, ↓ reaches the first item, End the last, Escape closes it.
  const summary = page.locator('.export-menu summary');
  await summary.focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Ladder as SVG' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.getByRole('menuitem', { name: 'Mermaid sequence diagram' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menuitem', { name: 'Ladder as SVG' })).toBeHidden();
  await expect(summary).toBeFocused();
});

test('the filter box narrows the list by Call-ID, IP and status', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const report = (await reportOf(file)) as Report;
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));
  const total = report.calls.length;

  const one = report.calls[2]!;
  await ui.filter(page).fill(one.callId.slice(0, 12));
  await expect(ui.callCount(page)).toHaveText(`1 of ${total} calls`);
  await expect(ui.callRows(page)).toHaveCount(1);
  await expect(ui.callRows(page).first()).toHaveAttribute('data-callid', one.callId);

  // An IP: the calls with a message from or to it.
  const ip = report.messages.find((m) => m.callId === one.callId)!.dst.split(':')[0]!;
  const withIp = new Set(report.messages.filter((m) => m.callId !== null && (m.src.startsWith(`${ip}:`) || m.dst.startsWith(`${ip}:`))).map((m) => m.callId));
  await ui.filter(page).fill(`ip:${ip}`);
  await expect(ui.callCount(page)).toHaveText(`${withIp.size} of ${total} calls`);

  // A status code.
  const withStatus = new Set(report.messages.filter((m) => m.status === 407).map((m) => m.callId));
  await ui.filter(page).fill('status:407');
  await expect(ui.callCount(page)).toHaveText(`${withStatus.size} of ${total} calls`);

  // Quick filter "With findings".
  await ui.filter(page).fill('');
  const withFindings = new Set(report.findings.filter((f) => f.callId && f.severity !== 'info').map((f) => f.callId));
  await page.getByRole('button', { name: 'With findings' }).click();
  await expect(ui.callCount(page)).toHaveText(`${withFindings.size} of ${total} calls`);
});

test('sorting by a column reorders the rows', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const report = (await reportOf(file)) as Report;
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));
  await page.getByRole('button', { name: /^Msgs/ }).click();
  await page.getByRole('button', { name: /^Msgs/ }).click(); // descending
  await expect(page.getByRole('columnheader', { name: /Msgs/ })).toHaveAttribute('aria-sort', 'descending');
  const most = [...report.calls].sort((a, b) => b.messageCount - a.messageCount)[0]!;
  await expect(ui.callRows(page).first()).toHaveAttribute('data-callid', most.callId);
});

test('?url= opens a capture served from the same origin', async ({ page }) => {
  const file = 'heplify/sip_ipv6_udp.pcap';
  const report = (await reportOf(file)) as Report;
  await page.route((url) => url.pathname === '/captures/sample.pcap', (route) => route.fulfill({ status: 200, body: fs.readFileSync(path.join(PUBLIC_CAPTURES, file)), contentType: 'application/vnd.tcpdump.pcap' }));
  await page.goto('/?url=/captures/sample.pcap');
  await waitIdle(page);
  await expect(page.getByRole('heading', { name: 'sample.pcap' })).toBeVisible();
  await expect(ui.callCount(page)).toHaveText(`${report.calls.length} of ${report.calls.length} calls`);
  // IPv6 hosts are shown shortened, with the full address on hover.
  const host = page.getByTestId('host').first();
  await expect(host).toHaveAttribute('title', /:/);

  await page.goto('/?url=https://example.com/x.pcap');
  await expect(page.getByRole('alert')).toContainText('only captures served from');
});

test('export: the ladder as SVG parses and holds every arrow label', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const report = (await reportOf(file)) as Report;
  const call = report.calls[1]!;
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));
  await openCall(page, call.callId);
  const labels = await arrowLabels(page);
  await page.locator('.export-menu summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'Ladder as SVG' }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.svg$/);
  const svg = fs.readFileSync(await download.path(), 'utf8');
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      texts: [...doc.querySelectorAll('g[data-label]')].map((g) => g.getAttribute('data-label')),
      allText: doc.documentElement.textContent ?? '',
      styled: doc.querySelectorAll('[style*="stroke"]').length,
    };
  }, svg);
  expect(parsed.error).toBeNull();
  expect(parsed.root).toBe('svg');
  expect(parsed.texts).toEqual(labels);
  for (const l of labels) expect(parsed.allText).toContain(l);
  expect(parsed.styled).toBeGreaterThan(0); // styles are inline: the file stands alone
});

test('export: the selected call as pcap loads again and shows the same call', async ({ page }, info) => {
  const file = 'sngrep/aaa.pcap';
  const report = (await reportOf(file)) as Report;
  const call = report.calls[1]!;
  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));
  await openCall(page, call.callId);
  const labels = await arrowLabels(page);
  await page.locator('.export-menu summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'Selected calls as pcap', exact: true }).click()]);
  const out = info.outputPath('call.pcap');
  await download.saveAs(out);

  const again = await analyzeFile(out);
  expect(again.calls.map((c) => c.callId)).toEqual([call.callId]);

  await dropCapture(page, out);
  await expect(ui.callCount(page)).toHaveText('1 of 1 calls');
  await expect(ui.callRows(page).first()).toHaveAttribute('data-callid', call.callId);
  await expect(ui.arrows(page).first()).toBeVisible();
  expect(await arrowLabels(page)).toEqual(labels);
});

test('a SIP header becomes a call-list column, filled lazily from the first INVITE', async ({ page }) => {
  const file = 'sngrep/aaa.pcap';
  const { analyzeBlob } = await import('../src/engine/analyze.ts');
  const analysis = await analyzeBlob(await fs.openAsBlob(path.join(PUBLIC_CAPTURES, file)), { keepParse: true });
  const report = analysis.report;
  const first = [...report.calls].sort((a, b) => a.startFrame - b.startFrame)[0]!;
  const invite = analysis.messages.find((m) => m.sip?.callId === first.callId && m.sip.kind === 'request' && m.sip.method === 'INVITE') ?? analysis.messages.find((m) => m.sip?.callId === first.callId)!;
  const ua = invite.sip!.headers.filter((h) => h.name.toLowerCase() === 'user-agent').map((h) => h.value).join(', ') || '—';

  await page.goto('/');
  await dropCapture(page, path.join(PUBLIC_CAPTURES, file));
  const add = page.getByRole('combobox', { name: 'Add a SIP header as a column' });
  await add.fill('User-Agent');
  await add.press('Enter');
  await expect(page.getByRole('columnheader', { name: /User-Agent/ })).toBeVisible();
  await expect(page.locator(`tr[data-callid="${first.callId}"] td.c-hdr`)).toHaveText(ua);
  await page.getByRole('button', { name: 'Remove column User-Agent' }).click();
  await expect(page.getByRole('columnheader', { name: /User-Agent/ })).toHaveCount(0);
});
