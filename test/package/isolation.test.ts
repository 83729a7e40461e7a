import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { entries } from '../../scripts/entries.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function importUnderGuard(source: string) {
  const code = `await import(${JSON.stringify(resolve(root, source))}); console.log('ok');`;
  return run(
    process.execPath,
    ['--import', 'tsx', '--import', './test/support/peer-guard.mjs', '--input-type=module', '-e', code],
    { cwd: root },
  );
}

describe('optional peers', () => {
  for (const entry of entries.filter((e) => !e.adapter)) {
    it(`importing ${entry.subpath} loads no optional peer`, async () => {
      const { stdout } = await importUnderGuard(entry.source);
      expect(stdout.trim()).toBe('ok');
    });
  }

  it('the guard does catch an adapter that loads a peer', async () => {
    // prom-client is imported for its values (the OTel adapter needs only types, erased at build).
    await expect(importUnderGuard('src/metrics/prometheus.ts')).rejects.toThrow(
      /OPTIONAL_PEER_LOADED prom-client/,
    );
  });
});
