/**
 * `npm run demo` is read by people deciding whether to use the library: every figure it prints carries a
 * label and a unit. The check is mechanical: no line ends with a bare number, and no `= <number>` stands
 * without a unit after it.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

it('labels every figure the demo prints with what it counts and its unit', async () => {
  // The demo imports the package by name; ensure-build makes dist current first, as `npm run demo` does.
  await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'demo/index.ts'], { cwd: root });
  const lines = stdout.split('\n');
  expect(lines.length).toBeGreaterThan(20);
  const bare = lines.filter(
    (line) => /(^|[\s=(])\d[\d.,]*\s*$/.test(line) || /=\s*\d[\d.,]*(\s*$|\s*[;,)])/.test(line),
  );
  expect(bare).toEqual([]);
}, 120_000);
