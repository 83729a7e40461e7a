import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileSnapshotStore,
  createFlagEvaluator,
  createMemoryFlagSource,
  type FlagConfig,
} from 'backend-patterns/flags';
import { createRedisFlagSource, publishFlagConfig } from 'backend-patterns/flags/redis';
import type { DemoSection } from '../types.js';

const config = (onWeight: number): FlagConfig => ({
  version: `rollout-${onWeight}`,
  flags: {
    'new-search': {
      type: 'boolean',
      variations: { on: true, off: false },
      enabled: true,
      offVariation: 'off',
      rules: [
        {
          id: 'staff',
          clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'on', weight: onWeight },
            { variation: 'off', weight: 100_000 - onWeight },
          ],
        },
      },
    },
  },
});

const users = Array.from({ length: 20_000 }, (_, i) => ({ targetingKey: `user-${i}` }));

export const flagsSection: DemoSection = {
  title: 'FlagEvaluator (feature flags)',
  problem: 'roll a feature out by percentage, stay sticky, and keep answering when the flag service is down',
  async run({ redis, metrics, prefix, step }) {
    const key = `${prefix}:flags`;
    const channel = `${key}:changed`;
    const subscriber = redis?.duplicate();
    const memory = createMemoryFlagSource(config(10_000));
    if (redis) await publishFlagConfig({ client: redis, key, channel }, config(10_000));
    const source =
      redis && subscriber ? createRedisFlagSource({ client: redis, subscriber, key, channel }) : memory;
    const snapshotDir = mkdtempSync(join(tmpdir(), 'bp-demo-flags-'));
    const snapshot = createFileSnapshotStore({ path: join(snapshotDir, 'flags.snapshot') });
    const flags = createFlagEvaluator({ source, snapshot, metrics });
    await flags.ready();
    const onAt10 = users.filter((u) => flags.boolean('new-search', u, false));
    step(
      'roll new-search out to 10 % of 20,000 users',
      `${onAt10.length} on (${((onAt10.length / users.length) * 100).toFixed(1)} %)`,
    );

    if (redis) await publishFlagConfig({ client: redis, key, channel }, config(30_000));
    else memory.set(config(30_000));
    for (let i = 0; i < 200 && flags.status().version !== 'rollout-30000'; i++)
      await new Promise((r) => setTimeout(r, 10));
    const onAt30 = users.filter((u) => flags.boolean('new-search', u, false));
    const kept = onAt10.filter((u) => flags.boolean('new-search', u, false)).length;
    step(
      'raise it to 30 %',
      `${onAt30.length} on; ${kept} of the ${onAt10.length} already in stayed in (sticky)`,
    );

    if (redis) await redis.set(key, '{ not json');
    else memory.fail('flag service unreachable');
    if (redis) await redis.publish(channel, 'broken');
    for (let i = 0; i < 200 && flags.status().layer === 'live'; i++)
      await new Promise((r) => setTimeout(r, 10));
    const status = flags.status();
    step(
      'the flag source breaks',
      `layer: ${status.layer} (stale: ${status.stale}); staff still get it: ${flags.boolean('new-search', { targetingKey: 'x', email: 'ada@example.com' }, false)}`,
    );
    await flags.close();
    await source.close?.();
    subscriber?.disconnect();
    // The snapshot file is the demo's own: leave no temp directory behind.
    rmSync(snapshotDir, { recursive: true, force: true });
  },
};
