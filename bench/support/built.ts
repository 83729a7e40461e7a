/**
 * Benchmarks measure what users run: the built package in dist/ (npm run bench builds it first), not the
 * TypeScript sources through a dev-time transform. Types still come from the sources.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Imports `dist/<file>` (e.g. `ratelimit/index.js`); fails with a hint when the package is not built. */
export async function importBuilt<T>(file: string): Promise<T> {
  const path = join(resolve(import.meta.dirname, '../..'), 'dist', file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (npm run bench does it)`);
  return (await import(pathToFileURL(path).href)) as T;
}
