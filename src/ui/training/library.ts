/**
 * The training library's sample index, built at build time from the lab samples'
 * `public/samples/<id>/manifest.json` (compiled in by vite.config.ts's `virtual:sample-manifests`; the captures themselves
 * stay in public/ and are fetched from `/samples/<id>/capture.pcap` when a sample is opened).
 *
 * Each manifest is checked field by field: a sample whose manifest is incomplete (the lab may
 * still be writing it) is left out of the list with a plain-words problem, never a crash. The
 * samples are grouped by pattern (the finding kind each one teaches), groups in order of their
 * first sample's id.
 */
import { z } from 'zod';
import { manifests } from 'virtual:sample-manifests';
import { kindWords } from './kinds.ts';

const frames = z.array(z.number().int().nonnegative());

const manifestSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'an id of letters, digits, dot, dash or underscore'),
  title: z.string().min(1),
  pattern: z.string().min(1),
  symptom: z.string().min(1),
  suspectFirst: z.string().min(1),
  proves: z.string().min(1),
  rootCause: z.string().min(1),
  fix: z.string().min(1),
  /** A healthy twin of a broken sample ("how it should look"). */
  goodPath: z.boolean().optional(),
  software: z.string().optional(),
  topology: z.string().optional(),
  expectedFindings: z.array(z.object({ kind: z.string().min(1), callId: z.string().optional(), frames })),
  walkthrough: z.array(z.object({ title: z.string().min(1), text: z.string().min(1), frames })).min(1),
  quiz: z.object({ question: z.string().min(1), answer: z.string().min(1), distractors: z.array(z.string().min(1)).min(1) }),
});

export type SampleManifest = z.infer<typeof manifestSchema>;

export interface SampleEntry extends SampleManifest {
  /** Where the capture is served from (relative to the app's base URL). */
  captureUrl: string;
}

export interface PatternGroup {
  pattern: string;
  /** The pattern in plain words. */
  label: string;
  samples: SampleEntry[];
}

export interface LibraryProblem {
  path: string;
  message: string;
}

export interface Library {
  samples: SampleEntry[];
  groups: PatternGroup[];
  problems: LibraryProblem[];
}

/** The sample folder a manifest path names ("/public/samples/01-x/manifest.json" → "01-x"). */
export function folderOf(path: string): string | null {
  const m = /(?:^|\/)samples\/([^/]+)\/manifest\.json$/.exec(path);
  return m ? m[1]! : null;
}

/**
 * Builds the index from manifest modules keyed by path (what `virtual:sample-manifests` gives; a
 * module may be the JSON itself or `{ default: json }`).
 */
export function buildLibrary(modules: Readonly<Record<string, unknown>>, base = '/'): Library {
  const samples: SampleEntry[] = [];
  const problems: LibraryProblem[] = [];
  const seen = new Set<string>();
  for (const path of Object.keys(modules).sort()) {
    const mod = modules[path];
    const json = mod !== null && typeof mod === 'object' && 'default' in mod ? (mod as { default: unknown }).default : mod;
    const folder = folderOf(path);
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : 'manifest'}: ${i.message}`);
      problems.push({ path, message: `left out: ${first.join('; ')}${parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : ''}` });
      continue;
    }
    const m = parsed.data;
    if (folder !== null && folder !== m.id) {
      problems.push({ path, message: `left out: its id "${m.id}" is not its folder's name "${folder}", so its capture cannot be found` });
      continue;
    }
    if (seen.has(m.id)) {
      problems.push({ path, message: `left out: a second sample with the id "${m.id}"` });
      continue;
    }
    seen.add(m.id);
    samples.push({ ...m, captureUrl: `${base.endsWith('/') ? base : base + '/'}samples/${encodeURIComponent(m.id)}/capture.pcap` });
  }
  samples.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  const byPattern = new Map<string, PatternGroup>();
  for (const s of samples) {
    let g = byPattern.get(s.pattern);
    if (!g) byPattern.set(s.pattern, (g = { pattern: s.pattern, label: kindWords(s.pattern), samples: [] }));
    g.samples.push(s);
  }
  return { samples, groups: [...byPattern.values()], problems };
}

/** The library of this build. */
export const LIBRARY: Library = buildLibrary(manifests, import.meta.env.BASE_URL);

export function findSample(id: string, library: Library = LIBRARY): SampleEntry | undefined {
  return library.samples.find((s) => s.id === id);
}
