/**
 * Golden: the set of Call-IDs and each call's final state for every public capture, as checked by
 * hand against tshark (see src/sip/golden/calls.json, `_notes` explains every difference).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import golden from './golden/calls.json' with { type: 'json' };

const root = path.resolve(import.meta.dirname, '../../test/captures/public');
const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as Array<{ file: string }>;
const expected = golden as unknown as Record<string, Record<string, string> | null>;

describe('golden calls of the public captures', () => {
  it('covers every capture of the manifest', () => {
    const files = Object.keys(expected).filter((k) => !k.startsWith('_'));
    expect(files.sort()).toEqual(manifest.map((m) => m.file).sort());
  });

  for (const { file } of manifest) {
    it(file, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(root, file)));
      const want = expected[file];
      if (want === null) {
        await expect(analyzeBytes(bytes)).rejects.toThrow(/not a capture/i);
        return;
      }
      const { report } = await analyzeBytes(bytes);
      const got = Object.fromEntries(report.calls.map((c) => [c.callId, c.state]));
      expect(got).toEqual(want);
      // One report call per Call-ID, and every message with a Call-ID is counted in its call.
      const withCallId = report.messages.filter((m) => m.callId !== null).length;
      expect(report.calls.reduce((n, c) => n + c.messageCount, 0)).toBe(withCallId);
    });
  }
});
