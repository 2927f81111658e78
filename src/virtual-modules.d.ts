/** Built by vite.config.ts from public/samples/<id>/manifest.json (see sampleManifests there). */
declare module 'virtual:sample-manifests' {
  /** Each manifest's parsed JSON (null when it is not valid JSON), keyed by its path. */
  export const manifests: Record<string, unknown>;
  /** Ids of the samples that ship a TLS key log (public/samples/<id>/keylog.txt). */
  export const keyLogSamples: string[];
}
