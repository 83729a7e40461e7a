/**
 * Feature flags end to end, with no network: a JSON file source watched for edits, targeting rules and
 * a segment, a 25 % sticky rollout, a type mismatch answered with the default, the file going bad (the
 * last good config keeps answering), usage counts, and the stale-flag report. Pass `--redis` to use the
 * Redis source with pub/sub instead of the file (REDIS_URL, default redis://127.0.0.1:6379).
 *
 *   npm run example -- flags [--redis]
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileFlagSource,
  createFlagEvaluator,
  type FlagConfig,
  type FlagSource,
  staleFlagReport,
} from 'backend-patterns/flags';
import { createRedisFlagSource, publishFlagConfig } from 'backend-patterns/flags/redis';
import { Redis } from 'ioredis';

const config: FlagConfig = {
  flags: {
    'new-checkout': {
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
        {
          id: 'beta',
          clauses: [{ attribute: 'beta', op: 'inSegment', values: ['beta-testers'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'on', weight: 25_000 },
            { variation: 'off', weight: 75_000 },
          ],
        },
      },
      kind: 'release',
    },
    'search-page-size': {
      type: 'number',
      variations: { small: 20, large: 50 },
      enabled: true,
      offVariation: 'small',
      rules: [
        {
          id: 'pro',
          clauses: [{ attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] }],
          serve: { variation: 'large' },
        },
      ],
      fallthrough: { variation: 'small' },
      kind: 'operational',
    },
  },
  segments: { 'beta-testers': { included: ['user-7', 'user-8'] } },
};

const redis = process.argv.includes('--redis')
  ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  : undefined;
const subscriber = redis?.duplicate();
const dir = mkdtempSync(join(tmpdir(), 'flags-example-'));
const path = join(dir, 'flags.json');
/** Writes the file the way the docs say: a temp file, then a rename (the watcher never sees half a file). */
const writeAtomically = (text: string) => {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
};
const key = `example:${process.pid}:flags`;
let source: FlagSource;
if (redis && subscriber) {
  await publishFlagConfig({ client: redis, key, channel: `${key}:changed` }, config);
  source = createRedisFlagSource({ client: redis, subscriber, key, channel: `${key}:changed` });
} else {
  writeAtomically(JSON.stringify(config));
  source = createFileFlagSource({ path, pollIntervalMs: 200 });
}

const flags = createFlagEvaluator({ source, initTimeoutMs: 2000 });
const status = await flags.ready();
console.log('ready →', status.layer, `(version ${status.version ?? 'none'})`);

console.log(
  'staff →',
  flags.booleanDetails('new-checkout', { targetingKey: 'user-1', email: 'ada@example.com' }, false),
);
console.log('beta segment →', flags.boolean('new-checkout', { targetingKey: 'user-7' }, false));
let on = 0;
for (let i = 0; i < 10_000; i++)
  if (flags.boolean('new-checkout', { targetingKey: `user-${1000 + i}` }, false)) on++;
console.log('rollout 25 % over 10,000 users →', `${(on / 100).toFixed(1)} %`);
console.log('pro plan page size →', flags.number('search-page-size', { targetingKey: 'u', plan: 'pro' }, 20));
console.log('type mismatch →', flags.stringDetails('search-page-size', { targetingKey: 'u' }, 'x'));
console.log('unknown flag →', flags.booleanDetails('no-such-flag', { targetingKey: 'u' }, false));

if (!redis) {
  writeAtomically('{ "flags": { "new-checkout": '); // a broken edit
  await new Promise((r) => setTimeout(r, 600));
  console.log(
    'after a broken edit →',
    flags.status().layer,
    flags.status().lastError?.message ?? '',
    '; still answers:',
    flags.boolean('new-checkout', { targetingKey: 'user-7' }, false),
  );
}
console.log(
  'usage →',
  JSON.stringify(flags.usage().flags['new-checkout']?.evaluations),
  'evaluations of new-checkout',
);
// Cleanup debt: in 60 days, with the same usage, what would the report say? (the CLI is scripts/flags-stale.ts)
const report = await staleFlagReport({
  config,
  usage: flags.usage(),
  nowMs: Date.now() + 60 * 86_400_000,
  unusedDays: 30,
});
for (const entry of report.entries) console.log('stale →', entry.flag, entry.reasons.join(', '));
await flags.close();
await source.close?.();
subscriber?.disconnect();
redis?.disconnect();
