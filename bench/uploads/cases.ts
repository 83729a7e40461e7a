/**
 * The three cases of the uploads bench (issue 13, item 7), each returning its rows:
 * 1. `bigCase`: one big proxied upload (`policy.proxy`) and one through the plain pipe, each on a fresh
 *    server warmed by one small upload: server RSS growth (goal: ours < 64 MiB), throughput, CPU.
 * 2. `roundsCase`: alternating rounds on one server, ours, plain, then ours with clamd (when there is one),
 *    in reverse order every other round:
 *    throughput (overhead of ours = 1 − ours/plain, goal ≤ 15 %; ratios are the median of the per-round
 *    ratios) and server CPU per MiB.
 * 3. `directCase`: direct (presign, the client's PUT straight to S3, finalize) and proxied uploads in
 *    turn, on the same server: server CPU per MiB of each.
 */
import { type BenchRow, compare, compareRounds, percentile } from '../support/results.js';
import { describe, type Measured, measureUpload, type Side } from './measure.js';
import { type BenchServer, startBenchServer } from './server-process.js';
import type { BenchServices } from './services.js';
import type { UploadsBenchSettings } from './settings.js';

const MiB = 1024 * 1024;
/** The goals of the issue. */
export const RSS_GOAL_BYTES = 64 * MiB;
export const OVERHEAD_GOAL = 0.15;

type Log = (line: string) => void;
const mib = (bytes: number) => `${(bytes / MiB).toLocaleString('en', { maximumFractionDigits: 1 })} MiB`;

async function withServer<T>(
  services: BenchServices,
  settings: UploadsBenchSettings,
  run: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await startBenchServer(services.serverConfig(settings.partBytes));
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

/** One untimed upload per side: modules loaded, code warm, the S3 connections open. */
async function warmUp(services: BenchServices, server: BenchServer, sides: readonly Side[], bytes: number) {
  for (const side of sides) await measureUpload(services, server, side, bytes);
}

/** Case 1: the big upload, each side on its own fresh server. */
export async function bigCase(services: BenchServices, settings: UploadsBenchSettings, log: Log) {
  const runs = new Map<Side, Measured>();
  for (const side of ['ours', 'plain'] as const) {
    const measured = await withServer(services, settings, async (server) => {
      await warmUp(services, server, [side], settings.warmupBytes);
      return measureUpload(services, server, side, settings.bigBytes);
    });
    log(`big, fresh server: ${describe(measured)}`);
    runs.set(side, measured);
  }
  const ours = runs.get('ours') as Measured;
  const plain = runs.get('plain') as Measured;
  const size = mib(settings.bigBytes);
  return {
    ours,
    rows: [
      compare(
        `${size} proxied upload: server RSS growth, peak - before (goal: ours < 64 MiB)`,
        'MiB',
        'lower-is-better',
        ours.rssGrowthBytes / MiB,
        plain.rssGrowthBytes / MiB,
        'plain UploadPart pipe',
      ),
      compare(
        `${size} proxied upload: throughput (one run each)`,
        'MiB/s',
        'higher-is-better',
        ours.mibPerS,
        plain.mibPerS,
        'plain UploadPart pipe',
      ),
      compare(
        `${size} proxied upload: server CPU per MiB (one run each)`,
        'ms/MiB',
        'lower-is-better',
        ours.cpuMsPerMiB,
        plain.cpuMsPerMiB,
        'plain UploadPart pipe',
      ),
    ] satisfies BenchRow[],
  };
}

/** Case 2: alternating rounds on one server. */
export async function roundsCase(services: BenchServices, settings: UploadsBenchSettings, log: Log) {
  const sides: Side[] = services.clamd === undefined ? ['ours', 'plain'] : ['ours', 'plain', 'ours+clamd'];
  const runs = new Map<Side, Measured[]>(sides.map((side) => [side, []]));
  await withServer(services, settings, async (server) => {
    await warmUp(services, server, sides, settings.warmupBytes);
    for (let round = 1; round <= settings.rounds; round++) {
      // ABC, CBA, ...: no side always runs first after the previous round's deletes (radosgw's GC).
      for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
        const measured = await measureUpload(services, server, side, settings.roundBytes);
        log(`round ${round}/${settings.rounds}: ${describe(measured)}`);
        runs.get(side)?.push(measured);
      }
    }
  });
  const of = (side: Side, pick: (m: Measured) => number) => (runs.get(side) ?? []).map(pick);
  const size = mib(settings.roundBytes);
  const rounds = `${settings.rounds} alternating rounds`;
  const rows: BenchRow[] = [
    compareRounds(
      `${size} proxied upload, no clamd: throughput, ${rounds} (goal: overhead 1 - ratio <= 15%)`,
      'MiB/s',
      'higher-is-better',
      of('ours', (m) => m.mibPerS),
      of('plain', (m) => m.mibPerS),
      'plain UploadPart pipe',
    ),
    compareRounds(
      `${size} proxied upload, no clamd: server CPU per MiB, ${rounds}`,
      'ms/MiB',
      'lower-is-better',
      of('ours', (m) => m.cpuMsPerMiB),
      of('plain', (m) => m.cpuMsPerMiB),
      'plain UploadPart pipe',
    ),
    // No RSS row here: after the first round a server's heap has room, so growth says little; the
    // fresh-server big case measures it.
  ];
  if (runs.has('ours+clamd')) {
    rows.push(
      compareRounds(
        `${size} proxied upload scanned by clamd (tee): throughput, ${rounds}`,
        'MiB/s',
        'higher-is-better',
        of('ours+clamd', (m) => m.mibPerS),
        of('plain', (m) => m.mibPerS),
        'plain UploadPart pipe (no scan)',
      ),
      compareRounds(
        `${size} proxied upload scanned by clamd (tee): server CPU per MiB (clamd's own CPU not counted), ${rounds}`,
        'ms/MiB',
        'lower-is-better',
        of('ours+clamd', (m) => m.cpuMsPerMiB),
        of('plain', (m) => m.cpuMsPerMiB),
        'plain UploadPart pipe (no scan)',
      ),
    );
  }
  return { runs, rows };
}

/** Case 3: direct and proxied uploads in turn on one server; CPU per MiB pooled over the files. */
export async function directCase(services: BenchServices, settings: UploadsBenchSettings, log: Log) {
  const runs = new Map<Side, Measured[]>([
    ['direct', []],
    ['ours', []],
  ]);
  await withServer(services, settings, async (server) => {
    await warmUp(services, server, ['direct', 'ours'], settings.warmupBytes);
    for (let file = 1; file <= settings.files; file++) {
      for (const side of ['direct', 'ours'] as const) {
        const measured = await measureUpload(services, server, side, settings.fileBytes);
        log(`file ${file}/${settings.files}: ${describe(measured)}`);
        runs.get(side)?.push(measured);
      }
    }
  });
  const pooled = (side: Side) => {
    const all = runs.get(side) ?? [];
    const cpuMs = all.reduce((sum, m) => sum + m.cpuMs, 0);
    const bytes = all.reduce((sum, m) => sum + m.sizeBytes, 0);
    return {
      cpuMsPerMiB: cpuMs / (bytes / MiB),
      mibPerS: percentile(
        all.map((m) => m.mibPerS),
        50,
      ),
    };
  };
  const direct = pooled('direct');
  const proxied = pooled('ours');
  const files = `${settings.files} files of ${mib(settings.fileBytes)} each`;
  return {
    runs,
    rows: [
      compare(
        `direct (presign + finalize: HEAD, ranged GET, copy) vs proxied: server CPU per MiB, ${files}`,
        'ms/MiB',
        'lower-is-better',
        direct.cpuMsPerMiB,
        proxied.cpuMsPerMiB,
        'proxied (policy.proxy)',
      ),
      compare(
        `direct vs proxied: end-to-end MiB/s (median), ${files}`,
        'MiB/s',
        'higher-is-better',
        direct.mibPerS,
        proxied.mibPerS,
        'proxied (policy.proxy)',
      ),
    ] satisfies BenchRow[],
  };
}
