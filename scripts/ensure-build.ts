/**
 * Builds dist when it is missing or older than its inputs. Examples and the demo import the package by its
 * name (`backend-patterns/...`), which resolves through the package's own `exports` to dist, exactly as in
 * an app; so `npm run example`, `npm run demo` and `npm run typecheck` call this first and work from a clean
 * clone. Run directly (`tsx scripts/ensure-build.ts`) or import `ensureBuild`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
/** What the build reads: a change to any of these makes dist stale. */
const INPUTS = ['src', 'package.json', 'tsup.config.ts', 'scripts/entries.ts'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((f) => statSync(join(path, f)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), stat.mtimeMs);
}

/** Why dist needs a build, or undefined when it is current. */
export function staleReason(): string | undefined {
  // tsup cleans and rewrites dist, so one output's mtime is the build's.
  const stamp = join(root, 'dist', 'index.js');
  if (!existsSync(stamp)) return 'dist is missing';
  const built = statSync(stamp).mtimeMs;
  const changed = INPUTS.find((input) => newestMtime(join(root, input)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

/** Runs the build when dist is stale; exits the process if the build fails. */
export function ensureBuild(): void {
  const reason = staleReason();
  if (!reason) return;
  console.error(`building dist first (${reason})`);
  const result = spawnSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureBuild();
