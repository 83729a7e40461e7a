/**
 * Exports check, run by `npm run check` after the build:
 *  1. every `exports` entry of package.json points at built files, and matches scripts/entries.ts;
 *  2. every module (src/<module>/index.ts) and every backend adapter file has an entry;
 *  3. no non-adapter entry's bundle (ESM or CJS, following its chunks) imports an optional peer;
 *  4. docs and README name only subpaths that exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { entries, isOptionalPeer } from './entries.js';

const root = resolve(import.meta.dirname, '..');
const problems: string[] = [];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};

const BACKEND_FILES =
  /^(redis|postgres|s3|clamav|smtp|argon2|openfeature|amqp|rabbitmq|otel|prometheus|express|fastify|hono)\.ts$/;

// 1. exports ↔ entries ↔ dist
for (const entry of entries) {
  const expected = {
    import: { types: `./dist/${entry.out}.d.ts`, default: `./dist/${entry.out}.js` },
    require: { types: `./dist/${entry.out}.d.cts`, default: `./dist/${entry.out}.cjs` },
  };
  const actual = pkg.exports[entry.subpath];
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    problems.push(`exports["${entry.subpath}"] should be ${JSON.stringify(expected)}`);
  }
  for (const file of [...Object.values(expected.import), ...Object.values(expected.require)]) {
    if (!existsSync(join(root, file))) problems.push(`exports["${entry.subpath}"] → ${file} is not built`);
  }
  if (!existsSync(join(root, entry.source))) problems.push(`entry ${entry.subpath}: ${entry.source} missing`);
}
for (const subpath of Object.keys(pkg.exports)) {
  if (subpath !== './package.json' && !entries.some((e) => e.subpath === subpath)) {
    problems.push(`exports["${subpath}"] is not in scripts/entries.ts`);
  }
}

// 2. every module and adapter has an entry
const sources = new Set(entries.map((e) => e.source));
for (const dir of readdirSync(join(root, 'src'), { withFileTypes: true })) {
  if (!dir.isDirectory() || dir.name === 'core') continue;
  const files = readdirSync(join(root, 'src', dir.name));
  if (files.includes('index.ts') && !sources.has(`src/${dir.name}/index.ts`)) {
    problems.push(`module src/${dir.name}/index.ts has no exports entry`);
  }
  for (const file of files.filter((f) => BACKEND_FILES.test(f))) {
    if (!sources.has(`src/${dir.name}/${file}`))
      problems.push(`adapter src/${dir.name}/${file} has no entry`);
  }
}

// 3. optional peers stay out of non-adapter bundles
const IMPORT_PATTERNS = [
  /\bimport\s+(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  /\bexport\s+[^'"]*?\sfrom\s+["']([^"']+)["']/g,
];
function peersReachedFrom(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[1] ?? '';
      if (specifier.startsWith('.')) found.push(...peersReachedFrom(resolve(dirname(file), specifier), seen));
      else if (isOptionalPeer(specifier)) found.push(specifier);
    }
  }
  return found;
}
for (const entry of entries.filter((e) => !e.adapter)) {
  for (const ext of ['js', 'cjs']) {
    const file = join(root, 'dist', `${entry.out}.${ext}`);
    if (!existsSync(file)) continue;
    const peers = peersReachedFrom(file);
    if (peers.length) problems.push(`${entry.subpath} (${ext}) imports optional peers: ${peers.join(', ')}`);
  }
}

// 4. docs name only real subpaths
const docs = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);
for (const doc of docs) {
  const text = readFileSync(join(root, doc), 'utf8');
  for (const match of text.matchAll(/\bbackend-patterns\/([a-z][a-z0-9/-]*[a-z0-9])/g)) {
    const subpath = `./${match[1]}`;
    if (!(subpath in pkg.exports))
      problems.push(`${doc} names ${pkg.name}/${match[1]}, which is not exported`);
  }
}

if (problems.length) {
  console.error(`exports check failed:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(`exports check: ${entries.length} entries built, adapters isolated, docs consistent`);
