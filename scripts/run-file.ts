/**
 * Shared by `npm run example -- <name>` and `npm run bench -- <name>`: runs `<dir>/<name><suffix>` with tsx,
 * passing the remaining arguments through, and lists what exists when the name is wrong.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function runNamedFile(dir: string, suffix: string, usage: string): never {
  const root = resolve(import.meta.dirname, '..');
  const [name, ...rest] = process.argv.slice(2);
  const available = readdirSync(join(root, dir))
    .filter((f) => f.endsWith(suffix))
    .map((f) => f.slice(0, -suffix.length));
  if (!name || !available.includes(name) || !existsSync(join(root, dir, `${name}${suffix}`))) {
    console.error(`usage: ${usage} <name>\navailable: ${available.join(', ') || '(none yet)'}`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${name}${suffix}`), ...rest], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
