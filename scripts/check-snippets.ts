/**
 * Snippet check, run by `npm run check` after the build: every ```ts snippet in README.md, docs/*.md and the
 * TSDoc `@example`s of src/ compiles under strict TypeScript against the built package, imported by its name
 * (`backend-patterns/...`) through the package's self-reference, as an app would. Conventions are in
 * scripts/lib/snippets.ts (hidden `<!-- prelude: -->` comments, ```ts nocheck for deliberate sketches).
 *
 * The snippets are written as modules into `.snippets/` at the repository root (inside the package, so the
 * self-reference resolves to dist through `exports`) and type-checked in one compiler run. A fixture that does
 * not compile is part of that run and must be reported, so a check that cannot fail fails.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { entries } from './entries.js';
import { CONTEXT_SOURCE } from './lib/snippet-context.js';
import {
  declarationExports,
  markdownSnippets,
  type Scope,
  type Snippet,
  scopeImports,
  tsdocSnippets,
} from './lib/snippets.js';

const root = resolve(import.meta.dirname, '..');
const out = join(root, '.snippets');
const FIXTURE = 'test/fixtures/snippets/does-not-compile.md';
const name = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f))
    .sort();
}

function collect(): Snippet[] {
  const pages = ['README.md', ...filesUnder('docs', '.md'), FIXTURE];
  const read = (file: string) => readFileSync(join(root, file), 'utf8');
  return [
    ...pages.flatMap((file) => markdownSnippets(file, read(file))),
    ...filesUnder('src', '.ts').flatMap((file) => tsdocSnippets(file, read(file))),
  ];
}

/** Public names of every entry (from dist), the entry's own module first, then the context's. */
async function scopeFor(): Promise<Map<string, { from: string; value: boolean }>> {
  const scope = new Map<string, { from: string; value: boolean }>();
  for (const entry of entries) {
    const specifier = entry.subpath === '.' ? name : `${name}/${entry.subpath.slice(2)}`;
    const runtime = (await import(pathToFileURL(join(root, 'dist', `${entry.out}.js`)).href)) as object;
    const dts = readFileSync(join(root, 'dist', `${entry.out}.d.ts`), 'utf8');
    for (const exported of declarationExports(dts)) {
      if (!scope.has(exported)) scope.set(exported, { from: specifier, value: exported in runtime });
    }
  }
  // The Redis client the examples construct comes from the peer the adapters take.
  if (!scope.has('Redis')) scope.set('Redis', { from: 'ioredis', value: true });
  for (const m of CONTEXT_SOURCE.matchAll(
    /^export\s+(?:declare\s+)?(const|function|interface|type)\s+(\w+)/gm,
  )) {
    const exported = m[2] as string;
    const value = m[1] === 'const' || m[1] === 'function';
    if (!scope.has(exported)) scope.set(exported, { from: './context.js', value });
  }
  return scope;
}

/** A snippet as a module: its imports first, the rest as the body of an async function (a handler). */
function moduleFor(snippet: Snippet, scope: Scope): { text: string; offset: number } {
  const isImport = (l: string) => /^import\s/.test(l);
  const prelude = snippet.prelude.split('\n');
  const code = snippet.code.split('\n');
  const head = [
    ...(snippet.kind === 'tsdoc' ? scopeImports(snippet.code, scope) : []),
    ...prelude.filter(isImport),
    ...prelude.filter((l) => !isImport(l)),
    ...code.filter(isImport),
    'export async function snippet() {',
  ];
  // Imports are hoisted out of the body; blank lines keep every other line where the reader sees it.
  const body = code.map((l) => (isImport(l) ? '' : l));
  return { text: `${head.join('\n')}\n${body.join('\n')}\n}\n`, offset: head.length };
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  skipLibCheck: true,
  noEmit: true,
};

const dist = join(root, 'dist');
if (!existsSync(dist)) {
  console.error('snippets: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const snippets = collect();
const scope = await scopeFor();
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
writeFileSync(join(out, 'context.ts'), CONTEXT_SOURCE);
const where = new Map<string, { snippet: Snippet; offset: number }>();
snippets.forEach((snippet, i) => {
  const file = join(out, `s${i}.ts`);
  const { text, offset } = moduleFor(snippet, scope);
  writeFileSync(file, text);
  where.set(file, { snippet, offset });
});

try {
  const program = ts.createProgram([...where.keys(), join(out, 'context.ts')], options);
  const problems: string[] = [];
  let fixtureCaught = false;
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
    const origin = d.file ? where.get(resolve(d.file.fileName)) : undefined;
    if (!d.file || !origin) {
      problems.push(`${d.file ? relative(root, d.file.fileName) : 'tsc'}: TS${d.code} ${message}`);
      continue;
    }
    const line = d.file.getLineAndCharacterOfPosition(d.start ?? 0).line - origin.offset;
    if (origin.snippet.file === FIXTURE) fixtureCaught = true;
    else problems.push(`${origin.snippet.file}:${origin.snippet.line + line}: TS${d.code} ${message}`);
  }
  if (!fixtureCaught) problems.push(`${FIXTURE}: compiled; the snippet check cannot fail`);
  if (problems.length) {
    console.error(`snippets: ${problems.length} problem(s)\n${problems.join('\n')}`);
    process.exitCode = 1;
  } else {
    const pages = new Set(snippets.map((s) => s.file)).size - 1;
    console.log(`snippets: ${snippets.length - 1} snippets from ${pages} files compile`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
