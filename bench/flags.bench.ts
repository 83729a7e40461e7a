/**
 * npm run bench -- flags
 *
 * Evaluations per second on one rule set expressed three ways with the same semantics
 * (bench/flags/rules.ts, configs.ts: 50 boolean flags, each with two rules: `plan in [pro, enterprise]`
 * and `country in [...]`, then `email endsWith "@domain"`; every other flag then a 25 % rollout sticky
 * on `userId`), in one process and one run:
 *
 * - ours: `createFlagEvaluator({ source: createMemoryFlagSource(config) })`, `flags.boolean(flag, ctx,
 *   false)` (synchronous); ours through our OpenFeature provider and the SDK client (awaited); our
 *   provider's `resolveBooleanEvaluation` bare (awaited);
 * - `unleash-client`'s local evaluation, offline from bootstrap data: `unleash.isEnabled(name, context)`;
 * - the OpenFeature SDK's in-memory provider, whose `contextEvaluator`s implement the rules:
 *   `client.getBooleanValue(flag, false, context)` awaited, and the provider called bare.
 *
 * First an equivalence pass (bench/flags/equivalence.ts): every side answers every flag for every user;
 * rule-decided answers must equal the rules', rollout-decided ones ours exactly where the bucketing is the
 * same, and in share (±1 pp) for Unleash. Then the rounds (bench/flags/measure.ts): pre-generated users,
 * each side warmed up and calibrated to rounds of about the same length, rounds interleaved (ABC CBA ...),
 * every batch's answers checked; evaluations/s as the median of rounds, ratios as the median of per-round
 * ratios, p50/p99 ns per evaluation from timed batches. Any socket opened during the run fails it (Unleash
 * must not reach the network). Goal: ours at least 2x the faster peer.
 *
 * Sizes: BENCH_FLAGS_* (bench/flags/settings.ts). Results: bench/results/flags.json.
 */
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { agreement, collectAnswers, describeAgreement } from './flags/equivalence.js';
import { measureRounds, type RoundFigures } from './flags/measure.js';
import { loadBuilt, ourSides } from './flags/ours.js';
import { inMemorySides, unleashSide } from './flags/peers.js';
import { flagsBenchSettings } from './flags/settings.js';
import { fixture, SIDE_NAMES, type Side, type SideName } from './flags/side.js';
import { type BenchRow, compareRounds, percentile, report } from './support/results.js';

const version = (name: string): string =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../node_modules/${name}/package.json`), 'utf8'))
    .version;
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

const PEERS = ['unleash', 'openfeature-memory'] as const;

function peerNames(): Record<SideName, string> {
  const unleash = `unleash-client ${version('unleash-client')}`;
  const sdk = `@openfeature/server-sdk ${version('@openfeature/server-sdk')}`;
  return {
    ours: 'ours, flags.boolean',
    'ours-openfeature': `${sdk} + our provider`,
    'ours-provider': 'our provider, bare',
    unleash: `${unleash} isEnabled (sync)`,
    'openfeature-memory': `${sdk} + InMemoryProvider, getBooleanValue awaited`,
    'memory-provider': `${sdk} InMemoryProvider.resolveBooleanEvaluation bare, awaited`,
  };
}

function rows(runs: ReadonlyMap<SideName, readonly RoundFigures[]>, shape: string): BenchRow[] {
  const side = (name: SideName, key: keyof RoundFigures) => (runs.get(name) ?? []).map((r) => r[key]);
  const names = peerNames();
  const pairs: [SideName, SideName, string][] = [
    ['ours', 'unleash', 'flags.boolean (sync)'],
    ['ours', 'openfeature-memory', 'flags.boolean (sync)'],
    ['ours-openfeature', 'openfeature-memory', 'through the OpenFeature SDK client (our provider), awaited'],
    ['ours-provider', 'memory-provider', 'provider called bare (our provider), awaited'],
  ];
  return pairs.flatMap(([ours, peer, label]) => [
    compareRounds(
      `${shape}: ${label}`,
      'evaluations/s',
      'higher-is-better',
      side(ours, 'perSec'),
      side(peer, 'perSec'),
      names[peer],
    ),
    compareRounds(
      `${shape}: ${label}, p50 per evaluation`,
      'ns',
      'lower-is-better',
      side(ours, 'nsP50'),
      side(peer, 'nsP50'),
      names[peer],
    ),
    compareRounds(
      `${shape}: ${label}, p99 per evaluation`,
      'ns',
      'lower-is-better',
      side(ours, 'nsP99'),
      side(peer, 'nsP99'),
      names[peer],
    ),
  ]);
}

function summary(sides: readonly Side[], runs: ReadonlyMap<SideName, readonly RoundFigures[]>): void {
  console.table(
    sides.map((s) => {
      const of = (key: keyof RoundFigures) => (runs.get(s.name) ?? []).map((r) => r[key]);
      const perSec = of('perSec');
      return {
        side: s.name,
        call: s.label,
        'evaluations/s (median)': Math.round(percentile(perSec, 50)),
        'min/s': Math.round(Math.min(...perSec)),
        'max/s': Math.round(Math.max(...perSec)),
        'ns p50': Math.round(percentile(of('nsP50'), 50)),
        'ns p99': Math.round(percentile(of('nsP99'), 50)),
        'evaluations/round': of('evaluations')[0],
      };
    }),
  );
}

/** The goal: ours at least 2x the faster peer, by the median of the per-round ratios against it. */
function target(runs: ReadonlyMap<SideName, readonly RoundFigures[]>): string {
  const perSec = (name: SideName) => (runs.get(name) ?? []).map((r) => r.perSec);
  const median = (name: SideName) => Math.round(percentile(perSec(name), 50)).toLocaleString('en-US');
  const faster = PEERS.reduce((a, b) => (percentile(perSec(b), 50) > percentile(perSec(a), 50) ? b : a));
  const { ratio } = compareRounds(
    'target',
    'evaluations/s',
    'higher-is-better',
    perSec('ours'),
    perSec(faster),
    faster,
  );
  const met = ratio !== null && ratio >= 2;
  return (
    `target: ours >= 2x the faster peer (${faster}, ${median(faster)} evaluations/s): ${met ? 'met' : 'NOT met'} ` +
    `(${ratio}x, median of per-round ratios; ours ${median('ours')} evaluations/s)`
  );
}

async function makeSides(fx: ReturnType<typeof fixture>) {
  const built = await loadBuilt();
  const unleash = await unleashSide(fx);
  const all: Side[] = [...(await ourSides(built, fx)), unleash, ...(await inMemorySides(fx))];
  const sides = SIDE_NAMES.map((name) => all.find((s) => s.name === name)!);
  return { sides, unleash };
}

async function main() {
  const { flags, contexts, measure } = flagsBenchSettings();
  console.log(
    `flags bench: Node ${process.version}, unleash-client ${version('unleash-client')}, ` +
      `@openfeature/server-sdk ${version('@openfeature/server-sdk')}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n` +
      `${flags} flags (half with a 25% rollout) × ${contexts} users; ${measure.rounds} rounds per side of ~${measure.roundMs} ms ` +
      `(ABC CBA ...) after ${measure.warmupMs} ms of warm-up each, batches of ${measure.batch} timed\nload at start: ${load()}`,
  );
  let sockets = 0;
  const onSocket = () => {
    sockets++;
  };
  subscribe('net.client.socket', onSocket);
  const fx = fixture(flags, contexts);
  const { sides, unleash } = await makeSides(fx);
  try {
    console.log('equivalence:');
    const answers = new Map<SideName, Uint8Array>();
    for (const side of sides) answers.set(side.name, await collectAnswers(side, fx));
    const agreed = agreement(fx, answers);
    for (const line of describeAgreement(agreed)) console.log(line);
    if (agreed.failures.length > 0) throw new Error(`the sides disagree:\n${agreed.failures.join('\n')}`);
    console.log('rounds:');
    const runs = await measureRounds(sides, answers, measure, console.log);
    if (sockets > 0)
      throw new Error(`${sockets} sockets were opened during the run: the figures include network calls`);
    summary(sides, runs);
    report('flags', rows(runs, `${flags} flags × ${contexts} users`));
    console.log(target(runs));
    console.log(
      `sockets opened during the run: ${sockets}; unleash warnings/errors: ${unleash.complaints.length}` +
        (unleash.complaints.length ? ` (${unleash.complaints.slice(0, 3).join('; ')})` : ''),
    );
    console.log(`load at end: ${load()}`);
  } finally {
    unsubscribe('net.client.socket', onSocket);
    for (const side of sides) await side.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
