/**
 * The captures this repository carries (public captures, the training samples, the fuzzing
 * reproducers), for the tests that run over every one of them. Paths relative to the repository's
 * root (`ROOT`), in directory order. Only for tests.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : /\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

/** Every capture file of the corpus, `.gz` included unless `gzipped` is false. */
export function corpusFiles(gzipped = true): string[] {
  const all = [...files('test/captures'), ...files('public/samples'), ...files('test/repro')];
  return gzipped ? all : all.filter((p) => !p.endsWith('.gz'));
}
