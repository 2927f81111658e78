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
