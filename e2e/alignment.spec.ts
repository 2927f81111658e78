/**
 * Issue 17 end to end: the two sides of a NAT dropped together (the SIP-ALG lab sample: the
 * router's own capture, both sides, and the phone's LAN) give one ladder where a message that
 * crossed the NAT is one arrow with a marker per capture point, the NAT mapping table, and a
 * side-by-side diff of two copies with the ALG's rewrites highlighted. Then the missing-ACK pair:
 * the ACK that never reached the LAN is named in the findings.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { ui, waitIdle } from './helpers.ts';
import { analyzeFiles } from '../src/cli/main.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../public/samples');

test('two captures of one NAT: one ladder with crossing markers, the NAT table and a copy diff', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles([path.join(SAMPLES, '12-sip-alg/capture.pcap'), path.join(SAMPLES, '12-sip-alg/capture-lan.pcap')]);
  await waitIdle(page);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toContainText('capture.pcap + capture-lan.pcap');
  await expect(page.getByTestId('alignment-line')).toContainText('2 captures aligned');
  await page.getByTestId('alignment-line').click();
  const nat = page.getByTestId('nat-mappings');
  await expect(nat).toContainText('192.168.1.10:5060');
  await expect(nat).toContainText('203.0.113.1:');

  await expect(ui.arrows(page).first()).toBeVisible();
  // The INVITE left the phone (LAN), crossed the router (seen inside and, rewritten, outside): one
  // arrow, three markers — the NAT's inside and outside address share the phone's column.
  const invite = ui.arrows(page).filter({ has: page.locator('[data-testid="crossing"]') }).first();
  await expect(invite).toHaveAttribute('data-label', 'INVITE');
  await expect(invite.getByTestId('crossing')).toHaveCount(3);
  const captures = await invite.getByTestId('crossing').evaluateAll((els) => els.map((e) => e.getAttribute('data-capture')));
  expect(new Set(captures)).toEqual(new Set(['0', '1']));
  // Only one INVITE arrow is drawn for the three copies.
  await expect(ui.arrows(page).filter({ has: page.locator('text=INVITE') })).toHaveCount(1);

  await invite.click();
  await page.keyboard.press('Enter');
  const detail = page.getByTestId('message-detail');
  await expect(detail).toBeVisible();
  const copies = detail.getByTestId('copies');
  await expect(copies).toContainText('compare');
  // Compare with the copy after the ALG (outside the NAT: from 203.0.113.1).
  await copies.getByRole('button', { name: /203\.0\.113\.1:\d+ → / }).click();
  const diff = detail.getByTestId('copy-diff');
  await expect(diff).toContainText('Changed on the way: Via, Contact, Content-Length, SDP o=, SDP c=');
  await expect(diff).toContainText('No SIP hop lies between them');
  const changed = await diff.locator('[data-changed="true"]').allTextContents();
  expect(changed.some((l) => l.startsWith('c=IN IP4 192.168.1.10'))).toBe(true);
  expect(changed.some((l) => l.startsWith('c=IN IP4 203.0.113.1'))).toBe(true);
  expect(changed.some((l) => l.startsWith('Contact:') && l.includes('203.0.113.1'))).toBe(true);
  // Lines a NAT leaves alone are not highlighted.
  expect(changed.some((l) => l.startsWith('Call-ID:'))).toBe(false);
  await page.screenshot({ path: test.info().outputPath('alignment.png') });
});

test('the missing-ACK pair: the ACK that left the proxy and never reached the LAN is a finding', async ({ page }) => {
  const files = [path.join(SAMPLES, '01-missing-ack/capture.pcap'), path.join(SAMPLES, '01-missing-ack/capture-lan.pcap')];
  const report = await analyzeFiles(files);
  const callId = report.findings.find((f) => f.kind === 'lost-between-captures')!.callId!;
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(files);
  await waitIdle(page);
  await ui.filter(page).fill(`callid:${callId}`);
  await page.locator(`tr[data-callid="${callId}"]`).click();
  const lost = page.locator('[data-testid="finding"][data-kind="lost-between-captures"]');
  await expect(lost).toHaveCount(1);
  await expect(lost).toContainText('ACK ×');
  await expect(lost).toContainText('never reached capture-lan.pcap');
  await expect(lost).toContainText('capture.pcap frames 18');
  // On the ladder the lost ACKs carry a ✕ that names the capture that never saw them.
  const marked = ui.arrows(page).filter({ has: page.getByTestId('lost-marker') });
  await expect(marked.first()).toHaveAttribute('data-label', 'ACK');
  await expect(marked.first().getByTestId('lost-marker').locator('title')).toHaveText(/Never seen in capture-lan\.pcap/);
  // `npm run screenshot` also refreshes the README's picture of two captures lined up.
  const target = process.env.SIPLADDER_README_SCREENSHOT === '1' ? path.resolve(import.meta.dirname, '../docs/screenshot-alignment.png') : test.info().outputPath('lost.png');
  await page.screenshot({ path: target });
});
