import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runNamedFile } from './run-file.js';

// Benchmarks import the built package (bench/support/built.ts): build it first, so figures are of dist/.
const root = resolve(import.meta.dirname, '..');
const build = spawnSync(
  process.execPath,
  [resolve(root, 'node_modules/tsup/dist/cli-default.js'), '--silent'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (build.status !== 0) {
  console.error('npm run bench: the build failed');
  process.exit(build.status ?? 1);
}
runNamedFile('bench', '.bench.ts', 'npm run bench --');
