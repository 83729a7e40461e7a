/**
 * `npm run demo` — a scripted, non-interactive tour of every landed module: what it was asked, what the
 * pattern did, which metric it emitted. In memory by default; `npm run demo -- --redis` uses Redis
 * (REDIS_URL or redis://127.0.0.1:6379); `--amqp` adds the JobQueue on RabbitMQ (AMQP_URL or
 * amqp://guest:guest@127.0.0.1:5672).
 */
import { randomBytes } from 'node:crypto';
import { createMemoryMetrics } from 'backend-patterns/testing';
import { Redis } from 'ioredis';
import { withUnits } from './metrics-report.js';
import { sections } from './sections/index.js';

const useRedis = process.argv.includes('--redis');
const amqpUrl = process.argv.includes('--amqp')
  ? (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
  : undefined;
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

async function connect(): Promise<Redis | undefined> {
  if (!useRedis) return undefined;
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  try {
    await client.connect();
    return client;
  } catch (error) {
    console.error(
      `--redis: cannot reach ${url} (${(error as Error).message}); start redis-server or set REDIS_URL`,
    );
    process.exit(1);
  }
}

async function main() {
  const redis = await connect();
  const prefix = `bp-demo-${randomBytes(3).toString('hex')}`;
  console.log(bold(`backend-patterns demo (${redis ? 'Redis' : 'in-memory'} backends)`));
  for (const section of sections) {
    const { metrics, report } = withUnits(createMemoryMetrics());
    console.log(`\n${bold(`== ${section.title}`)}\n   problem: ${section.problem}`);
    await section.run({
      redis,
      amqpUrl,
      metrics,
      prefix,
      step: (asked, did) => console.log(`   - ${asked}\n       → ${did}`),
    });
    const recorded = report();
    if (recorded.length) {
      console.log('   metrics emitted:');
      for (const line of recorded) console.log(`     ${line}`);
    }
  }
  if (redis) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  console.log('\ndemo finished');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
