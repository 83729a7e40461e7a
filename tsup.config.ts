import { defineConfig } from 'tsup';
import { entries } from './scripts/entries.js';

export default defineConfig({
  entry: Object.fromEntries(entries.map((e) => [e.out, e.source])),
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // Shared core code goes into chunks, so error classes and key naming exist once per format.
  splitting: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  treeshake: true,
});
