import { defineConfig } from '@playwright/test';

// End-to-end tests drive Debian's Chromium (test tools cannot download a browser here) against
// the production build served by `vite preview`.
const CI = !!process.env.CI;
// SIPLADDER_E2E_PORT lets several checkouts run their e2e suites side by side.
const PORT = Number(process.env.SIPLADDER_E2E_PORT ?? 4173);
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: CI,
  retries: CI ? 1 : 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'on-first-retry',
    launchOptions: {
      executablePath: process.env.SIPLADDER_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !CI,
    timeout: 60_000,
  },
});
