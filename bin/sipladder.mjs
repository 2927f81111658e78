#!/usr/bin/env node
// Command-line entry. The CLI is the engine's TypeScript under Node, with no build step to
// remember: the first run after a source change bundles src/cli/main.ts with esbuild into
// node_modules/.cache/sipladder/ (about 0.3 s), later runs start from that bundle (about 0.1 s
// instead of the 0.5 s tsx needs to load the sources one by one). Without esbuild, or if bundling
// fails, it falls back to running the sources through tsx's loader.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `sipladder analyze … | head`: a closed pipe ends the output quietly, not with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'src/cli/main.ts');

/** Newest modification time of the sources the CLI is built from (tests excluded). */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|tsx|json)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

async function bundled() {
  if (process.env.SIPLADDER_NO_BUNDLE) return null;
  const cacheDir = path.join(root, 'node_modules/.cache/sipladder');
  const out = path.join(cacheDir, 'cli.mjs');
  try {
    const built = statSync(out, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    const sources = Math.max(newestSource(path.join(root, 'src')), statSync(path.join(root, 'package.json')).mtimeMs);
    if (built <= sources) {
      const { buildSync } = await import('esbuild');
      mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed: CLIs started at once (tests run them in parallel) never read half a file.
      const tmp = `${out}.${process.pid}.tmp.mjs`;
      buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: tmp, logLevel: 'silent', absWorkingDir: root });
      renameSync(tmp, out);
    }
    return await import(pathToFileURL(out).href);
  } catch {
    return null;
  }
}

let cli = await bundled();
if (cli === null) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(entry).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
