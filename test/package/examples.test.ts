/**
 * Examples and the demo are code to paste into an app: they import the package by its name
 * (`backend-patterns/...`, resolved through the package's own `exports`), never its sources by path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { entries } from '../../scripts/entries.js';

const root = resolve(import.meta.dirname, '../..');
const files = ['examples', 'demo'].flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f)),
);
const subpaths = new Set(
  entries.map((e) => (e.subpath === '.' ? 'backend-patterns' : `backend-patterns/${e.subpath.slice(2)}`)),
);

it.each(files)('%s imports the package by name, and only its public entries', (file) => {
  const source = readFileSync(join(root, file), 'utf8');
  const specifiers = [...source.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1] as string);
  expect(specifiers.filter((s) => s.includes('/src/') || s.startsWith('../src'))).toEqual([]);
  for (const s of specifiers.filter((s) => s.startsWith('backend-patterns'))) expect(subpaths).toContain(s);
});

it('covers every example', () => {
  expect(files.filter((f) => f.startsWith('examples')).length).toBeGreaterThanOrEqual(3);
});
