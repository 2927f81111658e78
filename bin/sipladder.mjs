#!/usr/bin/env node
// Command-line entry: runs the TypeScript engine directly through tsx's loader, so there is no
// build step to remember (`npx sipladder analyze FILE --json` works right after `npm install`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
