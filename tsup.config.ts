import { defineConfig } from 'tsup';
import { entries } from './scripts/entries.js';

export default defineConfig({
  entry: Object.fromEntries(entries.map((e) => [e.out, e.source])),
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // Shared core code goes into chunks, so error classes and key naming exist once per format.
  splitting: true,
  // No source maps: they would point at src/, which the package does not ship.
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  treeshake: true,
});
