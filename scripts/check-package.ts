/**
 * Package lint, run by `npm run check` after the build: publint (strict) and Are the Types Wrong on the packed
 * package. Each prints one line when clean and only its problems otherwise: attw's own report lists every
 * entry point under every resolution, including the node10 column the node16 profile deliberately ignores,
 * which reads like failures.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = resolve(import.meta.dirname, '..');
/** node16: the package supports Node's own resolution and bundlers; node10 (no `exports`) is out of scope. */
const PROFILE = 'node16';
const IGNORED_RESOLUTIONS = new Set(['node10']);
let failed = false;

const lint = await publint({ pkgDir: root, strict: true, pack: 'npm' });
if (lint.messages.length === 0) console.log('publint: no problems (strict)');
else {
  failed = true;
  console.error(`publint: ${lint.messages.length} problem(s)`);
  for (const m of lint.messages)
    console.error(`  ${m.type}: ${formatMessage(m, lint.pkg, { color: false })}`);
}

interface AttwProblem {
  readonly kind: string;
  readonly entrypoint?: string;
  readonly resolutionKind?: string;
}
const attw = spawnSync('npx', ['attw', '--pack', '.', '--profile', PROFILE, '--format', 'json'], {
  cwd: root,
  encoding: 'utf8',
});
let report: { analysis?: { entrypoints?: object; problems?: AttwProblem[] } } = {};
try {
  report = JSON.parse(attw.stdout) as typeof report;
} catch {
  // Not JSON: attw itself failed (e.g. the pack step); its stderr says why.
}
const problems = (report.analysis?.problems ?? []).filter(
  (p) => !p.resolutionKind || !IGNORED_RESOLUTIONS.has(p.resolutionKind),
);
const count = Object.keys(report.analysis?.entrypoints ?? {}).length;
if (attw.status === 0 && problems.length === 0 && count > 0) {
  console.log(`attw: ${count} entry points resolve with types (${PROFILE} profile)`);
} else {
  failed = true;
  console.error(`attw: ${problems.length} problem(s) (exit ${attw.status})`);
  for (const p of problems) {
    console.error(
      `  ${p.kind} at ${p.entrypoint ?? '(package)'} under ${p.resolutionKind ?? 'any resolution'}`,
    );
  }
  if (!report.analysis) console.error(attw.stderr.trim());
}
if (failed) process.exitCode = 1;
