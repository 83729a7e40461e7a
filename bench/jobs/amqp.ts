/**
 * The jobs bench's RabbitMQ section: add and drain at concurrency 1 and 50 for our RabbitMQ backend,
 * our Redis backend and plain amqplib (confirm channel + prefetch consumer), on the broker at
 * `AMQP_URL` (default the local one, guest/guest; random queue names, deleted afterwards). Rounds
 * rotate which side goes first; each ratio is the median of per-round ratios. Against amqplib the
 * ratio is the share of plain amqplib's throughput we keep (1 / ratio - 1 is our overhead).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect } from 'amqplib';
import { type BenchRow, compareRounds, percentile } from '../support/results.js';
import { amqplibSide, type BrokerSide, oursAmqpSide, oursRedisSide } from './amqp-sides.js';

/** What the section needs. */
export interface AmqpSectionSettings {
  readonly amqpUrl: string;
  readonly redisUrl: string;
  /** Jobs per add and per drain. */
  readonly jobs: number;
  readonly rounds: number;
}

const CASES = [
  { key: 'addC1', label: 'add, 1 in flight' },
  { key: 'drainC1', label: 'drain no-op, concurrency 1' },
  { key: 'addC50', label: 'add, 50 in flight' },
  { key: 'drainC50', label: 'drain no-op, concurrency 50' },
] as const;
type CaseKey = (typeof CASES)[number]['key'];
type Figures = Record<CaseKey, number>;

const perSecond = async (count: number, body: () => Promise<void>) => {
  const started = performance.now();
  await body();
  return count / ((performance.now() - started) / 1000);
};

async function oneRound(side: BrokerSide, jobs: number): Promise<Figures> {
  const addC1 = await perSecond(jobs, () => side.add(jobs, 1));
  const drainC1 = await perSecond(jobs, () => side.drain(jobs, 1));
  const addC50 = await perSecond(jobs, () => side.add(jobs, 50));
  const drainC50 = await perSecond(jobs, () => side.drain(jobs, 50));
  return { addC1, drainC1, addC50, drainC50 };
}

/** The broker's version, or undefined when nothing answers at `url` (the section is then skipped). */
export async function brokerVersion(url: string): Promise<string | undefined> {
  try {
    const model = await connect(url, { timeout: 2000 });
    const version = String(model.connection.serverProperties.version ?? '?');
    await model.close();
    return version;
  } catch {
    return undefined;
  }
}

/** Runs the section and returns its rows. */
export async function amqpSection(s: AmqpSectionSettings): Promise<BenchRow[]> {
  const amqplibVersion = JSON.parse(
    readFileSync(resolve(import.meta.dirname, '../../node_modules/amqplib/package.json'), 'utf8'),
  ).version;
  const sides = [oursAmqpSide(s.amqpUrl), oursRedisSide(s.redisUrl), await amqplibSide(s.amqpUrl)];
  const rounds = new Map<string, Figures[]>(sides.map((side) => [side.name, []]));
  try {
    for (const side of sides) {
      // Connections, topology, the JIT. Every drain takes all that is queued: a drain that stopped
      // short would leave its handlers' last completions to be counted by the next one.
      await side.add(250, 50);
      await side.drain(250, 1);
      await side.add(250, 50);
      await side.drain(250, 50);
    }
    for (let round = 0; round < s.rounds; round++) {
      // Rotate who goes first, so load drifting on a shared machine falls on every side.
      const order = sides.map((_, i) => sides[(i + round) % sides.length]);
      const current: Record<string, Figures> = {};
      for (const side of order) if (side) current[side.name] = await oneRound(side, s.jobs);
      for (const side of sides) rounds.get(side.name)?.push(current[side.name] as Figures);
      console.log(`rabbitmq round ${round + 1}/${s.rounds}: ${JSON.stringify(current)}`);
    }
  } finally {
    for (const side of sides) await side.close();
  }
  const series = (name: string, key: CaseKey) => (rounds.get(name) ?? []).map((f) => f[key]);
  const rows: BenchRow[] = [];
  for (const { key, label } of CASES) {
    rows.push(
      compareRounds(
        `RabbitMQ ${label} (${s.jobs} jobs)`,
        'jobs/s',
        'higher-is-better',
        series('ours-amqp', key),
        series('amqplib', key),
        `plain amqplib ${amqplibVersion}`,
      ),
    );
  }
  for (const { key, label } of CASES) {
    rows.push(
      compareRounds(
        `RabbitMQ vs our Redis backend: ${label} (${s.jobs} jobs)`,
        'jobs/s',
        'higher-is-better',
        series('ours-amqp', key),
        series('ours-redis', key),
        'ours on Redis (private, no persistence)',
      ),
    );
  }
  const overhead = CASES.map(({ key, label }) => {
    const ratios = series('ours-amqp', key).map(
      (ours, i) => ours / (series('amqplib', key)[i] ?? Number.NaN),
    );
    return `${label}: ${((1 / percentile(ratios, 50) - 1) * 100).toFixed(0)} %`;
  });
  console.log(`our overhead over plain amqplib (time per job, median of rounds): ${overhead.join('; ')}`);
  return rows;
}
