/**
 * scripts/flags-stale.ts, run as CI runs it (a child process): a table and exit 1 when stale flags exist,
 * exit 0 when none, exit 2 for a config that does not validate.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { booleanFlag } from './evaluator-helpers.js';

const root = resolve(import.meta.dirname, '../..');
let dir: string;

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/flags-stale.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flags-cli-'));
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src/app.ts'), "flags.boolean('checkout', ctx, false);\n");
  const split = {
    rollout: {
      variations: [
        { variation: 'on', weight: 50_000 },
        { variation: 'off', weight: 50_000 },
      ],
    },
  };
  await writeFile(
    join(dir, 'stale.json'),
    JSON.stringify({
      flags: {
        checkout: booleanFlag(true, { updatedAt: '2026-01-01' }),
        orphan: booleanFlag(true, { fallthrough: split }),
      },
    }),
  );
  await writeFile(
    join(dir, 'clean.json'),
    JSON.stringify({ flags: { checkout: booleanFlag(true, { fallthrough: split }) } }),
  );
  await writeFile(join(dir, 'broken.json'), JSON.stringify({ flags: { checkout: { type: 'boolean' } } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flags-stale', () => {
  it('prints the stale flags and exits 1', () => {
    const run = cli(
      '--config',
      join(dir, 'stale.json'),
      '--src',
      join(dir, 'src'),
      '--days',
      '30',
      '--now',
      '2026-06-01',
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/checkout\s+fully-on\s+serves on; changed 2026-01-01/);
    expect(run.stdout).toMatch(/orphan\s+unreferenced/);
    expect(run.stdout).toMatch(/2 stale of 2 flags, 1 files scanned/);
  });

  it('exits 0 when nothing is stale (JSON output)', () => {
    const run = cli('--config', join(dir, 'clean.json'), '--src', join(dir, 'src'), '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ entries: [], flags: 1 });
  });

  it('exits 2 for a config that does not validate, naming the path', () => {
    const run = cli('--config', join(dir, 'broken.json'));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ERR_FLAGS_INVALID_CONFIG: flags\.checkout/);
  });
});
