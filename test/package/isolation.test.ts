import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { entries, optionalPeers } from '../../scripts/entries.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function importUnderGuard(source: string) {
  return runUnderGuard(`await import(${JSON.stringify(resolve(root, source))}); console.log('ok');`);
}

async function runUnderGuard(code: string) {
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

  it('the guard refuses every optional peer of scripts/entries.ts (frameworks included)', async () => {
    // One specifier per peer; a scope (`@aws-sdk/`) gets a package name inside it.
    const specifiers = optionalPeers.map((peer) => (peer.endsWith('/') ? `${peer}some-package` : peer));
    expect(specifiers).toEqual(expect.arrayContaining(['express', 'fastify', 'hono', '@hono/some-package']));
    const code = `for (const s of ${JSON.stringify(specifiers)}) {
      const outcome = await import(s).then(() => 'loaded', (e) => String(e.message).split(' ')[0]);
      console.log(s + ' ' + outcome);
    }`;
    const { stdout } = await runUnderGuard(code);
    expect(stdout.trim().split('\n')).toEqual(specifiers.map((s) => `${s} OPTIONAL_PEER_LOADED`));
  });

  it('the guard does catch an adapter that loads a peer', async () => {
    // prom-client is imported for its values (the OTel adapter needs only types, erased at build).
    await expect(importUnderGuard('src/metrics/prometheus.ts')).rejects.toThrow(
      /OPTIONAL_PEER_LOADED prom-client/,
    );
  });
});
