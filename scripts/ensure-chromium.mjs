#!/usr/bin/env node
// Makes sure Debian's Chromium is installed for the end-to-end tests (test tools cannot download
// their own browser here). Installs it with apt-get when missing; prints one clear line otherwise.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CHROMIUM = process.env.SIPLADDER_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const run = (cmd, args) => execFileSync(asRoot ? cmd : 'sudo', asRoot ? args : [cmd, ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
try {
  console.log(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium with apt-get…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
} catch (e) {
  console.error(`ensure-chromium: could not install chromium (${e.message}). Install it with: sudo apt-get install chromium`);
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`ensure-chromium: apt-get finished but ${CHROMIUM} is still missing`);
  process.exit(1);
}
