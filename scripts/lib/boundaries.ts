/**
 * The module boundary rule: a file of src/<module>/ imports its own module's files, the private kit in
 * src/core/, and other modules only through their public entries (the files listed in scripts/entries.ts).
 * src/core/ imports nothing outside core; src/testing/ counts as a module like any other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One import that breaks the rule. */
export interface BoundaryViolation {
  readonly file: string;
  readonly specifier: string;
  readonly reason: string;
}

const IMPORT_PATTERN =
  /(?:^|\s)(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `src/jobs/worker.ts` → `jobs`; `src/index.ts` → `.` (the root entry). */
function moduleOf(srcRelative: string): string {
  const parts = srcRelative.split(sep);
  return parts.length === 1 ? '.' : (parts[0] as string);
}

function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT_PATTERN)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier) found.push(specifier);
  }
  return found;
}

function judge(fromModule: string, toModule: string, target: string, publicEntries: ReadonlySet<string>) {
  if (fromModule === toModule) return undefined;
  if (toModule === 'core') return undefined;
  if (fromModule === 'core') return 'src/core is the private kit: it imports no module';
  if (publicEntries.has(target)) return undefined;
  return `reaches into ${toModule}'s internals; import its public entry (src/${toModule}/index.ts) instead`;
}

/**
 * Checks every .ts file under `<root>/src`. `publicEntries` are paths relative to `root`
 * (`src/jobs/index.ts`).
 */
export function checkBoundaries(root: string, publicEntries: readonly string[]): BoundaryViolation[] {
  const srcDir = join(root, 'src');
  const entrySet = new Set(publicEntries.map((p) => resolve(root, p)));
  const violations: BoundaryViolation[] = [];
  for (const file of listSources(srcDir)) {
    const fromModule = moduleOf(relative(srcDir, file));
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const targetRelative = relative(srcDir, target);
      if (targetRelative.startsWith('..')) {
        violations.push({ file: relative(root, file), specifier, reason: 'imports from outside src/' });
        continue;
      }
      const reason = judge(fromModule, moduleOf(targetRelative), target, entrySet);
      if (reason) violations.push({ file: relative(root, file), specifier, reason });
    }
  }
  return violations;
}
