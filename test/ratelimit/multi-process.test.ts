import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTracked } from '../support/processes.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix, redisUrl } from '../support/redis.js';

const worker = resolve(import.meta.dirname, 'fixtures/limit-worker.ts');

function runWorker(args: string[]): Promise<{ allowed: number; errors: number }> {
  return new Promise((done, fail) => {
    const child = spawnTracked(process.execPath, ['--import', 'tsx', worker, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) =>
      code === 0 ? done(JSON.parse(out)) : fail(new Error(`worker exited ${code}: ${err}`)),
    );
  });
}

describe.skipIf(noRedis)('4 processes × 200 concurrent calls on one key, limit 100, over Redis', () => {
  const prefix = randomPrefix('rl-mp');
  afterAll(async () => {
    const client = connectRedis();
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });

  for (const kind of [
    'fixed-window',
    'sliding-window-log',
    'sliding-window-counter',
    'token-bucket',
    'gcra',
  ]) {
    it(`${kind}: exactly 100 allowed`, async () => {
      const startAt = Date.now() + 1500; // all four fire together, after their imports and connects
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          runWorker([redisUrl()!, `${prefix}-${kind}`, kind, '200', String(startAt)]),
        ),
      );
      expect(results.reduce((a, r) => a + r.errors, 0)).toBe(0);
      expect(results.reduce((a, r) => a + r.allowed, 0)).toBe(100);
    });
  }
});
