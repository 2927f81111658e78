/**
 * `node --import tsx bench/browser.ts FILE [FILE …]` (after `npx vite build`): opens each capture in
 * the production build in Debian's Chromium, the way a user drops it, and prints the time from
 * choosing the file to the first call-list row (for a large capture, the calls read in the first
 * 1.5 s, shown while the rest is read), to all its calls on screen (as read, before the model),
 * to the diagnosis done (the summary's SIP count), the page's JS heap (performance.memory), the
 * renderer process's RSS (page and worker share it) at its peak, 6 s after the diagnosis and once
 * the tab is idle, and the page's longest long task (the UI frozen, from the file chosen to 6 s
 * after the diagnosis). `npm run bench -- --browser` runs it on
 * the bench files. Not a timed test. BENCH_JS_FLAGS passes V8 flags to Chromium: with
 * `BENCH_JS_FLAGS=--trace-gc DEBUG=pw:browser` the page's and the worker's collections show
 * (one isolate address each) with their heap before and after.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '..');
const PORT = 4199;

/**
 * Peak RSS of the Chromium renderer processes (KiB): the kernel's high-water mark (VmHWM in
 * /proc/PID/status), read once when the call list is done, with no polling (`ps` every 100 ms
 * took CPU from the analysis it watched on a 2-vCPU machine). The browser is launched per file,
 * yet it runs three renderer processes: the page's, with its worker in it, and two idle ones
 * (~80 and ~160 MB, most of it pages shared with the others; measured 2026-12-05). `page` is the
 * page's own — the largest by far, the only one that grows with the capture — and is what "page +
 * worker" means; `all` adds the idle ones, what the bench printed as "page + worker" until then.
 */
function rendererPeakRssKiB(): RendererRss {
  return rendererRssKiB('VmHWM');
}

interface RendererRss {
  /** The page's renderer process (page and worker): the largest. */
  page: number;
  /** Every renderer process of the browser, summed. */
  all: number;
}

/** The renderer processes' `VmHWM` (peak) or `VmRSS` (now), KiB, from /proc/PID/status. */
function rendererRssKiB(field: 'VmHWM' | 'VmRSS'): RendererRss {
  let all = 0;
  let page = 0;
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    if (!line.includes('--type=renderer') || !line.includes('chrom')) continue;
    const pid = line.trim().split(/\s+/)[0];
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      const kib = Number(m?.[1] ?? 0);
      all += kib;
      page = Math.max(page, kib);
    } catch {
      // The process ended in between.
    }
  }
  return { page, all };
}

/**
 * How long after the diagnosis the renderer's RSS is read again ("settled"): what the tab holds
 * while the user works. The worker nudges a collection 1 s after posting its result
 * (worker/engine.worker.ts `nudgeAfterResult`), which takes ~2 s on the 200 MB capture.
 */
const SETTLE_MS = 6000;
/**
 * After that, the renderer's RSS once the tab is idle: V8's memory reducer compacts both heaps
 * some 15–30 s after the last burst of allocation (measured 2026-12-06 on the 200 MB capture: the
 * worker's heap from 482 MB committed, 167 used, to 154 committed, 119 used; the renderer from
 * ~1,180 to ~570 MB). The lowest RSS read once a second up to IDLE_MS after the diagnosis, and
 * when it was first reached (within 1%).
 */
const IDLE_MS = 40_000;

/** The page's renderer RSS (KiB) at its lowest until `since` + IDLE_MS, and how long after `since` it got there. */
async function idleRss(since: number): Promise<{ kib: number; afterS: number }> {
  let low = rendererRssKiB('VmRSS').page;
  let lowAt = Date.now();
  while (Date.now() - since < IDLE_MS) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = rendererRssKiB('VmRSS').page;
    if (now < low * 0.99) lowAt = Date.now();
    low = Math.min(low, now);
  }
  return { kib: low, afterS: (lowAt - since) / 1000 };
}

export const BROWSER_HEADER = '| capture | MB | SIP msgs kept | first row (s) | all calls (s) | diagnosis done (s) | worker analysis | page heap (MB) | peak RSS, page + worker renderer (MB) | peak RSS, all renderers (MB) | page + worker renderer RSS 6 s later (MB) | … once idle (MB, s after the diagnosis) | longest page freeze (ms) | warning |';
export const BROWSER_RULE = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';

/** The page's long tasks (its main thread busy > 50 ms: the UI frozen), recorded from the start. */
function watchLongTasks(): void {
  const w = window as unknown as { __longTasks: number[] };
  w.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
}

export async function browserRows(files: string[]): Promise<string[]> {
  const server = spawn(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { cwd: root, stdio: 'ignore' });
  const rows: string[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`http://127.0.0.1:${PORT}/`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const file of files) {
      // A browser per file: its renderer processes are then this page's alone (the peak below).
      const browser = await chromium.launch({
        executablePath: process.env.SIPLADDER_CHROMIUM ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-precise-memory-info', ...(process.env.BENCH_JS_FLAGS ? [`--js-flags=${process.env.BENCH_JS_FLAGS}`] : [])],
      });
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${PORT}/`);
      await page.evaluate(watchLongTasks);
      const t0 = Date.now();
      await page.getByTestId('file-input').setInputFiles(file);
      await page.getByTestId('call-row').first().waitFor({ timeout: 300_000 });
      const firstRow = (Date.now() - t0) / 1000;
      // All the calls on screen: read (before the model), listed (before the diagnosis) or done,
      // whichever the page shows first once the first rows (a large capture's, while read) are up.
      await page.waitForFunction(() => document.querySelector('[data-testid=reading-line]') === null && document.querySelector('[data-testid=call-row]') !== null, null, { timeout: 300_000, polling: 100 });
      const allCalls = (Date.now() - t0) / 1000;
      await page.getByTestId('sip-count').waitFor({ timeout: 300_000 });
      const done = (Date.now() - t0) / 1000;
      const peakRss = rendererPeakRssKiB();
      const sip = (await page.getByTestId('sip-count').textContent())?.trim() ?? '?';
      const warning = (await page.getByTestId('warning-line').count()) > 0 ? ((await page.getByTestId('warning-line').textContent()) ?? '').slice(0, 60) : '';
      const readIn = (await page.locator('.summary dt:text("Read in") + dd').textContent())?.trim() ?? '?';
      const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
      const mb = readFileSync(file).length / 1e6;
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const settledRss = rendererRssKiB('VmRSS');
      const longest = await page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks));
      const idle = await idleRss(t0 + done * 1000);
      rows.push(`| ${path.basename(file)} | ${mb.toFixed(0)} | ${sip} | ${firstRow.toFixed(1)} | ${allCalls.toFixed(1)} | ${done.toFixed(1)} | ${readIn} | ${(heap / 1e6).toFixed(0)} | ${(peakRss.page / 1024).toFixed(0)} | ${(peakRss.all / 1024).toFixed(0)} | ${(settledRss.page / 1024).toFixed(0)} | ${(idle.kib / 1024).toFixed(0)} (${idle.afterS.toFixed(0)} s) | ${longest.toFixed(0)} | ${warning || '—'} |`);
      await browser.close();
    }
  } finally {
    server.kill();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/browser.ts')) {
  const files = process.argv.slice(2);
  const rows = await browserRows(files);
  process.stdout.write([BROWSER_HEADER, BROWSER_RULE, ...rows].join('\n') + '\n');
}
