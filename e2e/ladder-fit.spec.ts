/**
 * The ladder fits the screen (issue 13): at 1440×900 and 1280×720, on lab samples and public
 * captures with three to five hosts, every host header is in view or reachable by a visible
 * scrollbar; selecting an arrow (walking them with ↓) puts the headers of both its ends in view,
 * left of the side panel; Tab through every host's "⋯" button keeps header and lifelines aligned.
 * Screenshots of a three-host and a five-host call at both sizes go to the test's output folder.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { dropCapture, PUBLIC_CAPTURES, ui } from './helpers.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../public/samples');
const CASES = [
  { name: '01-missing-ack (4 hosts)', file: path.join(SAMPLES, '01-missing-ack/capture.pcap'), callId: '1-980@203.0.113.20' },
  { name: '06-tcp-closed-mid-call (3 hosts)', file: path.join(SAMPLES, '06-tcp-closed-mid-call/capture.pcap'), callId: '1-7830@203.0.113.20' },
  { name: 'heplify erspan (5 hosts)', file: path.join(PUBLIC_CAPTURES, 'heplify/erspan_sip_ipv4_udp.pcapng'), callId: 'bfd6f0-0-16e4-5af571ec-4a76665a-5af571ec@101.231.48.19' },
  { name: 'sngrep ipv6frag (3 IPv6 hosts)', file: path.join(PUBLIC_CAPTURES, 'sngrep/ipv6frag.pcap'), callId: '71846-1647924829-397430@fd17:625c:f037:2:a00:27ff:feb9:1521' },
];
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];

async function open(page: Page, file: string, callId: string): Promise<void> {
  await page.goto('/');
  await dropCapture(page, file);
  await ui.filter(page).fill(`callid:${callId}`);
  await page.locator(`tr[data-callid="${callId}"]`).click();
  await expect(ui.arrows(page).first()).toBeVisible();
}

interface Box {
  left: number;
  right: number;
}

/** The ladder body's visible x-range (right of the time gutter) and each host box's x-range. */
async function geometry(page: Page): Promise<{ view: Box; hosts: Record<string, Box>; panelLeft: number }> {
  return page.evaluate(() => {
    const body = document.querySelector('[data-testid="ladder-body"]')!.getBoundingClientRect();
    const gutter = document.querySelector('.host-header .gutter-head')!.getBoundingClientRect();
    const panel = document.querySelector('.side-panel');
    const hosts: Record<string, { left: number; right: number }> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid="host"]')) {
      const r = el.getBoundingClientRect();
      hosts[el.dataset.host!] = { left: r.left, right: r.right };
    }
    return { view: { left: gutter.right, right: body.right }, hosts, panelLeft: panel ? panel.getBoundingClientRect().left : Infinity };
  });
}

const inView = (b: Box, v: Box): boolean => b.left >= v.left - 1 && b.right <= v.right + 1;

for (const size of SIZES) {
  for (const c of CASES) {
    test(`${size.width}×${size.height} ${c.name}: hosts reachable, selected arrow's hosts in view`, async ({ page }, info) => {
      test.setTimeout(90_000);
      await page.setViewportSize(size);
      await open(page, c.file, c.callId);
      const g = await geometry(page);
      expect(g.view.right, 'the ladder ends left of the side panel').toBeLessThanOrEqual(g.panelLeft + 1);
      const hidden = Object.entries(g.hosts).filter(([, b]) => !inView(b, g.view));
      if (hidden.length > 0) await expect(page.getByTestId('ladder-scroll-x'), `hosts ${hidden.map(([h]) => h).join(', ')} are off-screen: a scrollbar reaches them`).toBeVisible();

      // Address names are shortened once, to fit their box: never cut again by the box's ellipsis.
      const overflowing = await page.locator('[data-testid="host"] .host-name').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      expect(overflowing).toEqual([]);
      await page.screenshot({ path: info.outputPath(`ladder-${size.width}x${size.height}.png`) });

      // Walk the arrows with ↓: both ends of the selected arrow are in view.
      await ui.arrows(page).first().click();
      await page.getByTestId('ladder-body').locator('g.arrow.selected').first().focus();
      const n = Math.min(await ui.arrows(page).count(), 40);
      for (let i = 0; i < n; i++) {
        const sel = page.locator('.ladder g.arrow.selected').first();
        const ends = await sel.evaluate((el) => [el.getAttribute('data-from')!, el.getAttribute('data-to')!, el.getAttribute('data-label')!]);
        const now = await geometry(page);
        for (const h of ends.slice(0, 2)) expect(inView(now.hosts[h!]!, now.view), `arrow ${i} (${ends[2]}): host ${h} in view`).toBe(true);
        await page.keyboard.press('ArrowDown');
      }
    });
  }

  test(`${size.width}×${size.height}: Tab through every host menu keeps header and lifelines aligned`, async ({ page }) => {
    await page.setViewportSize(size);
    const c = CASES[2]!;
    await open(page, c.file, c.callId);
    // Zoomed in, the right-hand hosts are off-screen: focusing their buttons used to scroll the
    // header alone.
    for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
    const buttons = page.locator('.host-menu-btn');
    const count = await buttons.count();
    await buttons.first().focus();
    const aligned = async (): Promise<void> => {
      const d = await page.evaluate(() => {
        const header = document.querySelector<HTMLElement>('.host-header')!;
        const lines = [...document.querySelectorAll('.ladder-svg .lifelines line')].map((l) => l.getBoundingClientRect().left);
        const boxes = [...document.querySelectorAll('[data-testid="host"]')].map((b) => {
          const r = b.getBoundingClientRect();
          return (r.left + r.right) / 2;
        });
        return { scroll: header.scrollLeft, lines, boxes };
      });
      expect(d.scroll).toBe(0);
      expect(d.lines.length).toBe(d.boxes.length);
      d.boxes.forEach((x, i) => expect(Math.abs(x - d.lines[i]!)).toBeLessThan(2));
    };
    for (let i = 0; i < count; i++) {
      await buttons.nth(i).focus();
      await aligned();
    }
    // Open the right-most host's menu, then walk on with Tab.
    await buttons.nth(count - 1).click();
    await aligned();
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      await aligned();
    }
  });
}
