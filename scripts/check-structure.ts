/**
 * Structure check, run by `npm run check`:
 *  1. module boundaries (scripts/lib/boundaries.ts): a module imports another only through its public entry;
 *  2. the docs template (scripts/lib/docs-template.ts): every module page has the sections in order and
 *     lists exactly its module's error codes.
 * Each check first runs on a fixture that breaks it and must report it, so a check that cannot fail fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { entries } from './entries.js';
import { checkBoundaries } from './lib/boundaries.js';
import { checkModulePage } from './lib/docs-template.js';

const root = resolve(import.meta.dirname, '..');
const problems: string[] = [];

// The fixtures: each must be caught, or the checks themselves are broken.
const fixtureViolations = checkBoundaries(join(root, 'test/fixtures/boundaries'), ['src/jobs/index.ts']);
if (fixtureViolations.length !== 3) {
  problems.push(`boundary check: expected 3 violations in its fixture, found ${fixtureViolations.length}`);
}
const fixturePage = readFileSync(join(root, 'test/fixtures/docs/bad-module.md'), 'utf8');
if (checkModulePage('fixture', fixturePage, ['ERR_FIXTURE_ONE', 'ERR_FIXTURE_TWO'], []).length === 0) {
  problems.push('docs check: its failing fixture passed');
}

for (const v of checkBoundaries(
  root,
  entries.map((e) => e.source),
)) {
  problems.push(`${v.file}: import '${v.specifier}' ${v.reason}`);
}

const core = (await import(pathToFileURL(join(root, 'src/core/errors.ts')).href)) as {
  CORE_ERROR_CODES: string[];
};
const modules = entries.filter((e) => /^src\/[a-z]+\/index\.ts$/.test(e.source) && e.subpath !== './testing');
for (const entry of modules) {
  const name = entry.source.split('/')[1] as string;
  const page = `docs/${name}.md`;
  if (!existsSync(join(root, page))) {
    problems.push(`${page}: missing (every module has a page)`);
    continue;
  }
  const exported = (await import(pathToFileURL(join(root, entry.source)).href)) as Record<string, unknown>;
  const lists = Object.entries(exported).filter(
    ([key, value]) => key.endsWith('_ERROR_CODES') && Array.isArray(value),
  );
  if (lists.length !== 1) {
    problems.push(
      `${entry.source}: must export exactly one <MODULE>_ERROR_CODES list, found ${lists.length}`,
    );
    continue;
  }
  const codes = (lists[0] as [string, string[]])[1];
  problems.push(
    ...checkModulePage(page, readFileSync(join(root, page), 'utf8'), codes, core.CORE_ERROR_CODES),
  );
}

if (problems.length > 0) {
  console.error(
    `structure check: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`structure check: boundaries and ${modules.length} module pages ok`);
