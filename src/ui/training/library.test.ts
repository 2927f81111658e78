/**
 * The sample index: built from the real lab manifests in public/samples (read from disk here,
 * and through vite.config.ts's virtual:sample-manifests in LIBRARY — both must agree), grouped by pattern; bad
 * manifests are left out with a reason instead of breaking the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildLibrary, findSample, folderOf, LIBRARY } from './library.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../../public/samples');

function manifestsOnDisk(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of fs.readdirSync(SAMPLES)) {
    const p = path.join(SAMPLES, d, 'manifest.json');
    if (fs.existsSync(p)) out[`/public/samples/${d}/manifest.json`] = JSON.parse(fs.readFileSync(p, 'utf8'));
  }
  return out;
}

const first = (): Record<string, unknown> => {
  const [k, v] = Object.entries(manifestsOnDisk())[0]!;
  return { key: k, json: structuredClone(v) };
};

describe('buildLibrary on the lab manifests', () => {
  const disk = manifestsOnDisk();
  const lib = buildLibrary(disk, '/');

  test('every manifest on disk is listed (or says why not), each under its folder', () => {
    expect(Object.keys(disk).length).toBeGreaterThanOrEqual(5);
    expect(lib.samples.length + lib.problems.length).toBe(Object.keys(disk).length);
    for (const s of lib.samples) {
      expect(fs.existsSync(path.join(SAMPLES, s.id, 'capture.pcap'))).toBe(true);
      expect(s.captureUrl).toBe(`/samples/${s.id}/capture.pcap`);
    }
    expect(lib.samples.map((s) => s.id).includes('01-missing-ack')).toBe(true);
  });

  test('samples are in id order and each sits once in the group of its pattern', () => {
    const ids = lib.samples.map((s) => s.id);
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
    const grouped = lib.groups.flatMap((g) => g.samples.map((s) => [g.pattern, s.pattern, s.id]));
    expect(grouped.length).toBe(lib.samples.length);
    for (const [g, p] of grouped) expect(p).toBe(g);
    expect(new Set(grouped.map((x) => x[2])).size).toBe(lib.samples.length);
    // Groups come in order of their first sample.
    const firsts = lib.groups.map((g) => ids.indexOf(g.samples[0]!.id));
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(lib.groups.find((g) => g.pattern === 'ack-missing')?.label).toBe('The ACK never reached the callee');
  });

  test('LIBRARY (built by Vite from virtual:sample-manifests) lists the same samples', () => {
    expect(LIBRARY.samples.map((s) => s.id)).toEqual(lib.samples.map((s) => s.id));
    expect(findSample('01-missing-ack')?.quiz.answer).toBe('ack-missing');
    expect(findSample('no-such-sample')).toBeUndefined();
  });
});

describe('buildLibrary on broken input', () => {
  test('a manifest missing its walkthrough is left out, naming the field', () => {
    const { key, json } = first() as { key: string; json: Record<string, unknown> };
    delete json.walkthrough;
    const lib = buildLibrary({ [key]: json });
    expect(lib.samples).toEqual([]);
    expect(lib.problems).toHaveLength(1);
    expect(lib.problems[0]!.message).toMatch(/^left out: walkthrough: /);
  });

  test('wrong types deep inside are reported with their path', () => {
    const { key, json } = first() as { key: string; json: { walkthrough: Array<{ frames: unknown }> } };
    json.walkthrough[0]!.frames = ['twelve'];
    const lib = buildLibrary({ [key]: json });
    expect(lib.problems[0]!.message).toContain('walkthrough.0.frames.0');
  });

  test('an id that is not its folder name, and a repeated id, are refused', () => {
    const { key, json } = first() as { key: string; json: { id: string } };
    const other = key.replace(/samples\/[^/]+\//, 'samples/zz-other/');
    const lib = buildLibrary({ [key]: json, [other]: json, '/elsewhere/x.json': json });
    expect(lib.samples.map((s) => s.id)).toEqual([json.id]);
    const msgs = lib.problems.map((p) => p.message).join('\n');
    expect(msgs).toContain(`its id "${json.id}" is not its folder's name "zz-other"`);
    expect(msgs).toContain(`a second sample with the id "${json.id}"`);
  });

  test('a module object with a default export, and a base URL without trailing slash', () => {
    const { key, json } = first() as { key: string; json: { id: string } };
    const lib = buildLibrary({ [key]: { default: json } }, '/app');
    expect(lib.samples[0]!.captureUrl).toBe(`/app/samples/${json.id}/capture.pcap`);
  });

  test('non-objects do not throw', () => {
    const lib = buildLibrary({ '/public/samples/a/manifest.json': null, '/public/samples/b/manifest.json': 'text', '/public/samples/c/manifest.json': [] });
    expect(lib.samples).toEqual([]);
    expect(lib.problems).toHaveLength(3);
  });

  test('folderOf', () => {
    expect(folderOf('/public/samples/01-missing-ack/manifest.json')).toBe('01-missing-ack');
    expect(folderOf('../../public/samples/x_y/manifest.json')).toBe('x_y');
    expect(folderOf('/public/samples/manifest.json')).toBeNull();
  });
});
