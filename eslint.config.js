// Lint rules. The import boundaries keep the engine (capture → sip → analysis → engine) free of
// React, zustand, the DOM and the UI, so the same code runs in the worker and under Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const engineFolders = ['src/lib/**', 'src/capture/**', 'src/sip/**', 'src/analysis/**', 'src/engine/**', 'src/media/**'];

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
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'The engine has no React.' },
          { group: ['zustand', 'zustand/*'], message: 'The engine has no store.' },
          { group: ['d3-*', 'd3'], message: 'The engine draws nothing.' },
          { group: ['**/ui/**', '**/state/**', '**/worker/**', '**/share/**'], message: 'The engine does not depend on the app.' },
          { group: ['node:*', 'fs', 'path', 'os', 'zlib', 'stream'], message: 'The engine runs in the browser too: no Node built-ins (they belong in src/cli/).' },
        ],
      }],
      'no-restricted-globals': ['error', 'document', 'window', 'localStorage', 'navigator', 'HTMLElement'],
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
