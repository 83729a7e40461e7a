/**
 * What `npm pack` puts in the tarball: a user installing the package gets the license, the metadata that
 * links back to the repository, every document the README links to, and no source maps (they would point
 * at sources the package does not ship).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as Record<string, unknown>;
let packed: string[] = [];

beforeAll(async () => {
  // --ignore-scripts: list what would ship without building; dist is whatever the last build left.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  const [report] = JSON.parse(stdout) as { files: { path: string }[] }[];
  packed = (report?.files ?? []).map((f) => f.path);
}, 60_000);

describe('the packed package', () => {
  it('carries an MIT LICENSE matching package.json', () => {
    expect(packed).toContain('LICENSE');
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(resolve(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('names its repository, homepage and issue tracker', () => {
    const repo = 'https://github.com/backend-patterns/backend-patterns';
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${repo}.git` });
    expect(manifest.homepage).toBe(`${repo}#readme`);
    expect(manifest.bugs).toEqual({ url: `${repo}/issues` });
  });

  it('ships every local file the README links to', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(0);
    for (const target of links) expect(packed, `README links to ${target}`).toContain(target);
  });

  it('ships no source maps (they would map to sources the package does not carry)', () => {
    expect(packed.filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});
