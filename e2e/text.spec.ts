/**
 * A message's text is kept one character per byte and parsed again from it when the detail view
 * (or a detector) asks: bytes 0x80–0x9F must come back as the same bytes. A browser's
 * TextDecoder('latin1') is windows-1252 (0x80 → "€"), so a UTF-8 "€" (e2 82 ac) decoded with it
 * parsed again into mojibake; Node's kept the bytes, so only the browser shows it.
 */
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { ethUdp4, pcapFile } from '../src/capture/testing/packets.ts';

test('a UTF-8 display name with bytes 0x80–0x9F is shown as written in the message detail', async ({ page }, info) => {
  const name = 'Renée € Čapek';
  const sip = [
    'INVITE sip:bob@198.51.100.7 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-utf8-1;rport',
    `From: "${name}" <sip:renee@192.0.2.10>;tag=a1`,
    'To: <sip:bob@198.51.100.7>',
    'Call-ID: utf8-display-name@192.0.2.10',
    'CSeq: 1 INVITE',
    'Contact: <sip:renee@192.0.2.10:5060>',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const bytes = new TextEncoder().encode(sip);
  expect(bytes.some((b) => b >= 0x80 && b <= 0x9f)).toBe(true);
  const file = info.outputPath('utf8-name.pcap');
  fs.writeFileSync(file, pcapFile(1, [{ timeUs: 1_700_000_000_000_000, data: ethUdp4({ src: '192.0.2.10', dst: '198.51.100.7', sport: 5060, dport: 5060, payload: bytes }) }]));
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('call-row').first().click();
  await page.locator('.ladder g.arrow').first().click();
  await page.getByRole('tab', { name: 'Message' }).click();
  const detail = page.getByTestId('message-detail');
  await expect(detail).toContainText('frame 1');
  await expect(detail.locator('dl.parsed')).toContainText(`"${name}" <sip:renee@192.0.2.10>`);
});

test('a capture changed on disk after it was opened: the detail says its text cannot be read, never shows other bytes', async ({ page }, info) => {
  // The worker keeps no copy of a message's text that lies whole in one packet record: it reads
  // it again from the dropped file (FileReaderSync, through a window from the offset asked, of
  // 256 KiB and up to 4 MiB while the reads go on in file order), which Chromium refuses once the
  // file changed. Two calls ~5 MB apart: the second is outside any window the first one's text
  // was read through.
  const invite = (call: string, from: string) => new TextEncoder().encode([
    `INVITE sip:bob@198.51.100.7 SIP/2.0`,
    `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK-${call};rport`,
    `From: <sip:alice@${from}>;tag=${call}`,
    'To: <sip:bob@198.51.100.7>',
    `Call-ID: ${call}@${from}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@${from}:5060>`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
  const t0 = 1_700_000_000_000_000;
  const filler = Array.from({ length: 5_000 }, (_, k) => ({ timeUs: t0 + 1_000 + k, data: ethUdp4({ src: '192.0.2.50', dst: '192.0.2.60', sport: 40000, dport: 40002, payload: new Uint8Array(1000) }) }));
  const bytes = pcapFile(1, [
    { timeUs: t0, data: ethUdp4({ src: '192.0.2.10', dst: '198.51.100.7', sport: 5060, dport: 5060, payload: invite('first-call', '192.0.2.10') }) },
    ...filler,
    { timeUs: t0 + 10_000, data: ethUdp4({ src: '192.0.2.11', dst: '198.51.100.7', sport: 5060, dport: 5060, payload: invite('second-call', '192.0.2.11') }) },
  ]);
  expect(bytes.length).toBeGreaterThan(5_000_000);
  const file = info.outputPath('changing.pcap');
  fs.writeFileSync(file, bytes);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  const detail = page.getByTestId('message-detail');
  const open = async (callId: string) => {
    await page.locator(`tr[data-callid="${callId}"]`).click();
    await page.locator('.ladder g.arrow').first().click();
    await page.getByRole('tab', { name: 'Message' }).click();
  };
  await open('first-call@192.0.2.10');
  await expect(page.getByTestId('raw-message')).toContainText('Call-ID: first-call@192.0.2.10');
  await expect(page.getByTestId('text-unreadable')).toHaveCount(0);

  // Overwritten in place: the same size, other bytes.
  fs.writeFileSync(file, Buffer.alloc(bytes.length, 0x41));
  await open('second-call@192.0.2.11');
  await expect(detail).toContainText('frame 5002');
  await expect(page.getByTestId('text-unreadable')).toContainText('could not be read again');
  await expect(detail).toContainText('Open it again');
  await expect(page.getByTestId('raw-message')).not.toContainText('AAAA');
  await expect(page.getByTestId('raw-message')).not.toContainText('Call-ID');
  await page.screenshot({ path: info.outputPath('text-unreadable.png') });
});
