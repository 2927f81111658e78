/// <reference types="vitest/config" />
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The training library's sample manifests, read from `public/samples/<id>/manifest.json` when the
 * app is built or served. The captures and key logs stay in public/ and are fetched by URL; only
 * the small manifests are compiled in. (Importing files from public/ through `import.meta.glob`
 * makes Vite warn once per file, because public/ is meant for files served as they are.)
 */
function sampleManifests(): Plugin {
  const id = 'virtual:sample-manifests';
  const resolved = `\0${id}`;
  const dir = path.resolve(import.meta.dirname, 'public/samples');
  return {
    name: 'sipladder-sample-manifests',
    resolveId: (source) => (source === id ? resolved : undefined),
    load(source) {
      if (source !== resolved) return undefined;
      const manifests: Record<string, unknown> = {};
      const keyLogs: string[] = [];
      for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        if (!entry.isDirectory()) continue;
        const file = path.join(dir, entry.name, 'manifest.json');
        if (fs.existsSync(file)) {
          this.addWatchFile(file);
          let json: unknown;
          try { json = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { json = null; }
          manifests[`/public/samples/${entry.name}/manifest.json`] = json;
        }
        if (fs.existsSync(path.join(dir, entry.name, 'keylog.txt'))) keyLogs.push(entry.name);
      }
      return `export const manifests = ${JSON.stringify(manifests)};\nexport const keyLogSamples = ${JSON.stringify(keyLogs)};\n`;
    },
  };
}

// The engine runs in a module worker; the same sources run under Node for the CLI.
export default defineConfig({
  plugins: [react(), sampleManifests()],
  worker: { format: 'es' },
  // One bundle on purpose: the app is opened once and works offline from then on.
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 2048 },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    // Parsed values the parser shares between messages are read-only: frozen here, so a write fails a test.
    setupFiles: ['src/sip/testing/freeze-shared.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'threads',
  },
});
