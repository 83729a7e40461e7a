/**
 * The snippet extraction behind `scripts/check-snippets.ts` (the compile step itself runs in `npm run check`,
 * against the build, with a fixture that must fail): which fences are checked, where a hidden prelude comes
 * from, and which public names a TSDoc example gets imported for it.
 */
import { describe, expect, it } from 'vitest';
import {
  declarationExports,
  markdownSnippets,
  type Scope,
  scopeImports,
  tsdocSnippets,
  usedNames,
} from '../../scripts/lib/snippets.js';

describe('markdown snippets', () => {
  const page = [
    '# Page', // 1
    '', // 2
    '<!-- prelude:', // 3
    'declare const res: { end(): void };', // 4
    '-->', // 5
    '```ts', // 6
    'res.end();', // 7
    '```', // 8
    '', // 9
    '```ts nocheck', // 10
    'sketch(...);', // 11
    '```', // 12
    '```sh', // 13
    'npm test', // 14
    '```', // 15
    '<!-- an ordinary comment -->', // 16
    '```typescript', // 17
    "import { x } from 'y';", // 18
    '```', // 19
  ].join('\n');

  it('checks ts fences with their line, skips nocheck and other languages', () => {
    const found = markdownSnippets('p.md', page);
    expect(found.map((s) => [s.line, s.code])).toEqual([
      [7, 'res.end();'],
      [18, "import { x } from 'y';"],
    ]);
  });

  it('takes the prelude only from a prelude comment right above the fence', () => {
    const [first, second] = markdownSnippets('p.md', page);
    expect(first?.prelude).toBe('declare const res: { end(): void };');
    expect(second?.prelude).toBe('');
  });
});

describe('TSDoc snippets', () => {
  const source = [
    '/**', // 1
    ' * Does a thing.', // 2
    ' *', // 3
    ' * @example', // 4
    ' * ```ts', // 5
    ' * const a = thing();', // 6
    ' *   a.go();', // 7
    ' * ```', // 8
    ' */', // 9
    'export function thing() {}', // 10
    '/** @example', // 11
    ' * ```ts nocheck', // 12
    ' * internal();', // 13
    ' * ```', // 14
    ' */', // 15
  ].join('\n');

  it('extracts fenced @example code with its source line and indentation, skipping nocheck', () => {
    expect(tsdocSnippets('s.ts', source).map((s) => [s.line, s.code])).toEqual([
      [6, 'const a = thing();\n  a.go();'],
    ]);
  });
});

describe('scope imports for TSDoc examples', () => {
  const scope: Scope = new Map([
    ['createQueue', { from: 'pkg/jobs', value: true }],
    ['Queue', { from: 'pkg/jobs', value: false }],
    ['queue', { from: './context.js', value: true }],
    ['limit', { from: 'pkg/ratelimit', value: true }],
  ]);

  it('imports used names, types as types, and never what the example declares or only mentions', () => {
    const code = [
      "const queue: Queue = createQueue({ name: 'limit' }); // limit in a comment",
      'queue.limit();',
    ].join('\n');
    expect(scopeImports(code, scope)).toEqual(["import { type Queue, createQueue } from 'pkg/jobs';"]);
  });

  it('reads a // inside a string as string, not as a comment', () => {
    expect(usedNames("new Redis('redis://host', { a: 1 });\ncreateQueue();")).toContain('createQueue');
  });

  it('reads the exported names of a declaration file, aliases included', () => {
    expect(declarationExports("export { a as Alpha, type Beta, gamma } from './x.js';")).toEqual([
      'Alpha',
      'Beta',
      'gamma',
    ]);
  });
});
