/**
 * npm run bench -- accounts
 *
 * Two cases, on the built package, at OWASP's minimum (argon2id, m=19456 KiB, t=2, p=1):
 *
 * 1. Overhead: our argon2 hasher (default options: through the concurrency bound) vs `argon2.hash` and
 *    `argon2.verify` called directly, the same calls in flight; rounds alternate which side goes first,
 *    the ratio is the median of the per-round ratios; calls/s and process CPU per call (all threads, so
 *    argon2's own work too: the figure other processes' load disturbs least). Goal: overhead at most 5 %.
 * 2. Burst: N logins at once through the built package's `createResetFlow(...).login` (a memory user
 *    directory seeded with N verified users hashed by the flow's hasher, a notifier on the outbox; 90 %
 *    right passwords, 5 % wrong, 5 % unknown addresses, which verify against the dummy hash and so cost the
 *    same), each burst in a fresh process: bounded with the defaults (4 running, 64 waiting, 2 s), bounded
 *    with a queue deep enough to refuse nothing, and unbounded (`concurrency: false`, libuv queues
 *    everything). Login latency p50/p99 of the accepted logins (answered, whatever the answer), logins/s,
 *    event-loop delay p99, the p99 latency of an fs.stat issued every 10 ms meanwhile (other users of the
 *    libuv pool), refusals (`HashOverloadedError`, ERR_ACCOUNTS_HASH_OVERLOADED), peak RSS.
 *
 * Sizes: BENCH_ACCOUNTS_* (bench/accounts/settings.ts). Results: bench/results/accounts.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { loadBuilt, PARAMS } from './accounts/built.js';
import { burstRounds } from './accounts/burst.js';
import type { BurstFigures, BurstMode } from './accounts/burst-run.js';
import {
  hashSides,
  type OverheadRun,
  type OverheadRuns,
  overheadRounds,
  verifySides,
} from './accounts/overhead.js';
import { accountsBenchSettings } from './accounts/settings.js';
import { type BenchRow, compareRounds, type Direction, report } from './support/results.js';

const version = (name: string): string =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../node_modules/${name}/package.json`), 'utf8'))
    .version;
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const params = `m=${PARAMS.memoryKiB} t=${PARAMS.timeCost} p=${PARAMS.parallelism}`;

function overheadRows(op: 'hash' | 'verify', runs: OverheadRuns, concurrency: number): [BenchRow, BenchRow] {
  const side = (name: 'ours' | 'argon2', key: keyof OverheadRun) => (runs.get(name) ?? []).map((r) => r[key]);
  const name = `argon2id ${op}, ${params}, ${concurrency} in flight`;
  const peer = `argon2 ${version('argon2')} called directly`;
  return [
    compareRounds(
      name,
      `${op === 'hash' ? 'hashes' : 'verifies'}/s`,
      'higher-is-better',
      side('ours', 'perSec'),
      side('argon2', 'perSec'),
      peer,
    ),
    compareRounds(
      `${name}: process CPU per call (all threads)`,
      'ms/call',
      'lower-is-better',
      side('ours', 'cpuMsPerCall'),
      side('argon2', 'cpuMsPerCall'),
      peer,
    ),
  ];
}

const METRICS: readonly [string, string, keyof BurstFigures, Direction][] = [
  ['p50 login latency (accepted)', 'ms', 'p50Ms', 'lower-is-better'],
  ['p99 login latency (accepted)', 'ms', 'p99Ms', 'lower-is-better'],
  ['accepted logins/s', 'logins/s', 'loginsPerSec', 'higher-is-better'],
  ['logins refused (HashOverloadedError)', 'logins', 'rejected', 'lower-is-better'],
  ['event-loop delay p99', 'ms', 'eventLoopP99Ms', 'lower-is-better'],
  ['fs.stat latency p99 during the burst', 'ms', 'poolProbeP99Ms', 'lower-is-better'],
  ['peak RSS', 'MiB', 'rssPeakMiB', 'lower-is-better'],
];

function burstRows(runs: ReadonlyMap<BurstMode, readonly BurstFigures[]>, size: number): BenchRow[] {
  const side = (mode: BurstMode, key: keyof BurstFigures) =>
    (runs.get(mode) ?? []).map((f) => Number(f[key]));
  const labels: Record<Exclude<BurstMode, 'unbounded'>, string> = {
    bounded: 'bounded (defaults: 4 running, 64 waiting, 2 s)',
    'bounded-deep': 'bounded (4 running, queue deep enough to refuse nothing)',
  };
  return (['bounded', 'bounded-deep'] as const).flatMap((mode) =>
    METRICS.map(([label, unit, key, direction]) =>
      compareRounds(
        `burst of ${size} logins, ${labels[mode]}: ${label}`,
        unit,
        direction,
        side(mode, key),
        side('unbounded', key),
        'unbounded (concurrency: false)',
      ),
    ),
  );
}

async function main() {
  const { overhead, burst } = accountsBenchSettings();
  console.log(
    `accounts bench: Node ${process.version}, argon2 ${version('argon2')}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ` +
      `UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}\n` +
      `overhead: ${overhead.ops} calls × ${overhead.rounds} rounds per side (AB BA), ${overhead.concurrency} in flight; ` +
      `burst: ${burst.size} logins × ${burst.rounds} rounds per mode, each in a fresh process\nload at start: ${load()}`,
  );
  const built = await loadBuilt();
  console.log('hash:');
  const hashes = hashSides(built);
  const hashRuns = await overheadRounds(hashes, overhead, console.log);
  for (const side of hashes) await side.close();
  console.log('verify:');
  const verifies = await verifySides(built);
  const verifyRuns = await overheadRounds(verifies, overhead, console.log);
  for (const side of verifies) await side.close();
  console.log('burst:');
  const bursts = await burstRounds(['bounded', 'bounded-deep', 'unbounded'], burst, console.log);

  const [hashRow, hashCpuRow] = overheadRows('hash', hashRuns, overhead.concurrency);
  const [verifyRow, verifyCpuRow] = overheadRows('verify', verifyRuns, overhead.concurrency);
  report('accounts', [hashRow, hashCpuRow, verifyRow, verifyCpuRow, ...burstRows(bursts, burst.size)]);
  const pct = (row: BenchRow) => (row.ratio === null ? Number.NaN : (1 / row.ratio - 1) * 100);
  const worst = Math.max(pct(hashRow), pct(verifyRow));
  console.log(
    `target: overhead vs argon2 called directly <= 5%: ${worst <= 5 ? 'met' : 'NOT met'} ` +
      `(throughput: hash ${pct(hashRow).toFixed(1)}%, verify ${pct(verifyRow).toFixed(1)}%; ` +
      `CPU per call: hash ${pct(hashCpuRow).toFixed(1)}%, verify ${pct(verifyCpuRow).toFixed(1)}%; ` +
      'medians of per-round ratios; negative = ours cheaper)',
  );
  console.log(`load at end: ${load()}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
