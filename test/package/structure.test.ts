import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBoundaries } from '../../scripts/lib/boundaries.js';
import { checkModulePage, REQUIRED_SECTIONS } from '../../scripts/lib/docs-template.js';

const root = resolve(import.meta.dirname, '../..');

describe('module boundary check', () => {
  it('catches each kind of violation in its fixture and allows public entries', () => {
    const found = checkBoundaries(join(root, 'test/fixtures/boundaries'), ['src/jobs/index.ts']);
    expect(found.map((v) => `${v.file} ${v.specifier}`).sort()).toEqual([
      'src/auth/uses-jobs.ts ../jobs/internals.js',
      'src/core/kit.ts ../jobs/index.js',
      'src/testing/contract.ts ../jobs/internals.js',
    ]);
  });
});

describe('docs template check', () => {
  const good = `# M\n\n${REQUIRED_SECTIONS.map((s) => `## ${s}\n\ntext\n`).join('\n')}\n## Extra\n`
    .replace('## Error codes\n\ntext', '## Error codes\n\n`ERR_A` and `ERR_STORE`')
    .replace('## Adapters\n\ntext\n', '## Adapters\n\ntext\n\n### Wiring clients\n\ntext\n');

  it('accepts the sections in order, with extra sections after them', () => {
    expect(checkModulePage('m', good, ['ERR_A'], ['ERR_STORE'])).toEqual([]);
  });

  it('reports order, missing sections and codes that differ from the module list', () => {
    const bad = readFileSync(join(root, 'test/fixtures/docs/bad-module.md'), 'utf8');
    const problems = checkModulePage('bad', bad, ['ERR_FIXTURE_ONE', 'ERR_FIXTURE_TWO'], []);
    expect(problems).toContain('bad: section 1 must be "## The problem", found "## Quick start"');
    expect(problems).toContain('bad: "Error codes" does not list ERR_FIXTURE_TWO');
    expect(problems).toContain('bad: "Error codes" lists ERR_NOT_EXPORTED, which the module does not export');
  });

  it('requires a "Wiring clients" section, under Adapters or after the template', () => {
    const without = good.replace('### Wiring clients', '### Something else');
    expect(checkModulePage('m', without, ['ERR_A'], ['ERR_STORE'])).toEqual([
      'm: no "Wiring clients" section (a "### Wiring clients" under "## Adapters", or a "## Wiring clients" after the template)',
    ]);
    const after = `${without}\n## Wiring clients\n\ntext\n`;
    expect(checkModulePage('m', after, ['ERR_A'], ['ERR_STORE'])).toEqual([]);
  });

  it('ignores headings inside code fences', () => {
    const fenced = good.replace('## Quick start', '```md\n## Not a heading\n```\n\n## Quick start');
    expect(checkModulePage('m', fenced, ['ERR_A'], ['ERR_STORE'])).toEqual([]);
  });
});
