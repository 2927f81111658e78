#!/usr/bin/env node
// Command-line entry: runs the TypeScript engine directly through tsx's loader, so there is no
// build step to remember (`npx sipladder analyze FILE --json` works right after `npm install`).
import { register } from 'tsx/esm/api';

register();
// `sipladder analyze … | head`: a closed pipe ends the output quietly, not with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
