// Lint rules. The import boundaries keep the engine (report ← capture → sip → analysis → engine)
// free of React, zustand, the DOM and the UI, so the same code runs in the worker and under Node;
// below the pipeline (engine/) nothing imports it (the report's types live in report/); and the
// app's state and view-model (state/, view/) never import the React UI (ui/).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const engineFolders = ['src/lib/**', 'src/report/**', 'src/capture/**', 'src/sip/**', 'src/analysis/**', 'src/engine/**', 'src/media/**'];
/** The layers below the pipeline: they may not import engine/ (its report types live in report/). */
const belowPipeline = ['src/lib/**', 'src/report/**', 'src/capture/**', 'src/sip/**', 'src/analysis/**'];
const enginePatterns = [
  { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'The engine has no React.' },
  { group: ['zustand', 'zustand/*'], message: 'The engine has no store.' },
  { group: ['d3-*', 'd3'], message: 'The engine draws nothing.' },
  { group: ['**/ui/**', '**/state/**', '**/worker/**', '**/share/**', '**/view/**'], message: 'The engine does not depend on the app.' },
  { group: ['node:*', 'fs', 'path', 'os', 'zlib', 'stream'], message: 'The engine runs in the browser too: no Node built-ins (they belong in src/cli/).' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/out/**', 'bench/scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/ui/**/*.tsx', 'src/ui/**/*.ts', 'src/state/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // The engine: no React, no zustand, no UI, no DOM globals.
    files: engineFolders,
    ignores: ['**/*.test.ts'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': ['error', { patterns: enginePatterns }],
      'no-restricted-globals': ['error', 'document', 'window', 'localStorage', 'navigator', 'HTMLElement'],
    },
  },
  {
    // Below the pipeline: the report's types come from report/, never from engine/ (test
    // builders, which run the whole pipeline, excepted).
    files: belowPipeline,
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...enginePatterns, { group: ['**/engine/*', '../engine/*'], message: 'Below the pipeline: take the report types from src/report/, not from engine/.' }],
      }],
    },
  },
  {
    // The store and the view-model are the UI's inputs; they never import the React UI.
    files: ['src/state/**', 'src/view/**'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/ui/**', '../ui/*'], message: 'state/ and view/ are below ui/: move what they need out of ui/ (into view/).' }],
      }],
    },
  },
  {
    // The UI reaches the engine only through the worker client and the store.
    files: ['src/ui/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/capture/*', '**/sip/parser*', '**/sip/framing*'], message: 'The UI goes through the worker client and the store, not the parsers.' },
        ],
      }],
    },
  },
);
