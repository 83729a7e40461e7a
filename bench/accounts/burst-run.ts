/**
 * One burst of logins, measured in the process that runs it (burst-process.ts runs each in a fresh one,
 * so RSS and the event loop start clean): every login is `flow.login` of a ResetFlow built from the
 * package as an app wires it (the memory user directory seeded with verified users whose hashes come from
 * the flow's own hasher, a notifier on the outbox with `accountTemplates()`), all started at once. The mix
 * (see {@link loginKind}): 90 % the right password, 5 % a wrong one, 5 % an unknown address (verified
 * against the flow's dummy hash, so it costs the same). Every answer is checked. Measured meanwhile: each
 * login's latency, the event loop's delay (`monitorEventLoopDelay`, 1 ms resolution), the latency of an
 * `fs.stat` issued every 10 ms (it needs a libuv pool thread, as argon2 does: this is what the rest of the
 * app waits), and RSS every 5 ms.
 */
import { stat } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoundedHasherLimits, LoginResult, ResetFlow } from '../../src/accounts/index.js';
import { percentile } from '../support/results.js';
import { type Built, PARAMS } from './built.js';

/** How the hasher is bounded: the defaults, none, or given limits. */
export type BurstMode = 'bounded' | 'unbounded' | 'bounded-deep';

/** The limits of each bounded mode: the defaults, and a queue deep enough that nothing is refused. */
export const MODE_LIMITS: Readonly<Record<BurstMode, BoundedHasherLimits | false>> = {
  bounded: {},
  unbounded: false,
  'bounded-deep': { maxQueued: 10_000, maxWaitMs: 3_600_000 },
};

/** What one burst measured. Latencies in ms, memory in MiB. */
export interface BurstFigures {
  readonly mode: BurstMode;
  readonly logins: number;
  /** Logins the hasher answered: `succeeded` + `invalid`. */
  readonly accepted: number;
  /** Logins refused with `HashOverloadedError` (ERR_ACCOUNTS_HASH_OVERLOADED). */
  readonly rejected: number;
  /** Accepted logins that logged in (the right password). */
  readonly succeeded: number;
  /** Accepted logins answered `invalid-credentials` (a wrong password or an unknown address). */
  readonly invalid: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Accepted logins per second of the burst's wall time. */
  readonly loginsPerSec: number;
  readonly eventLoopP99Ms: number;
  readonly eventLoopMaxMs: number;
  /** p99 latency of the fs.stat probe: how long other users of the libuv pool waited. */
  readonly poolProbeP99Ms: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
}

const PASSWORD = 'correct horse battery staple';
const MIB = 1024 * 1024;
const LINKS = {
  resetUrl: 'https://app.example.test/reset',
  verifyUrl: 'https://app.example.test/verify',
  loginUrl: 'https://app.example.test/login',
} as const;

/** What a login tries. */
export type LoginKind = 'correct' | 'wrong-password' | 'unknown-email';

/** The kind of login `i` of a burst: in every 20, 18 right passwords, one wrong, one unknown address. */
export function loginKind(i: number): LoginKind {
  const slot = i % 20;
  return slot === 18 ? 'wrong-password' : slot === 19 ? 'unknown-email' : 'correct';
}

/**
 * A ResetFlow on `size` verified users (`user<i>@example.com`, the bench's password) with the hasher of
 * `limits`. One stored hash serves every user: a verify costs the same whatever the salt.
 */
async function burstFlow(built: Built, limits: BoundedHasherLimits | false, size: number) {
  const hasher = built.argon2.createArgon2Hasher({ ...PARAMS, concurrency: limits });
  const passwordHash = await hasher.hash(PASSWORD);
  const users = built.accounts.createMemoryUserDirectory({
    users: Array.from({ length: size }, (_, i) => ({
      id: `u${i}`,
      email: `user${i}@example.com`,
      passwordHash,
      verified: true,
    })),
  });
  const outbox = built.notify.createOutbox();
  const notifier = built.notify.createNotifier({
    channels: { email: { providers: [outbox.email], from: { address: 'accounts@example.test' } } },
    templates: built.accounts.accountTemplates(),
  });
  // The login guard would lock these accounts within the burst (5 per 15 min): the bench measures the
  // hashing bound, which the guard sits in front of, so it is off here.
  const flow = built.accounts.createResetFlow({
    users,
    hasher,
    notifier,
    links: LINKS,
    responseFloorMs: 0,
    loginGuard: false,
  });
  return {
    flow,
    async close() {
      await flow.close();
      await hasher.close?.();
    },
  };
}

/** Login `i` of the burst through the flow; throws when its answer is not the one its kind expects. */
async function login(flow: ResetFlow, i: number, kind: LoginKind = loginKind(i)): Promise<LoginResult> {
  const email = kind === 'unknown-email' ? `nobody${i}@example.com` : `user${i}@example.com`;
  const password = kind === 'wrong-password' ? `${PASSWORD}!` : PASSWORD;
  const result = await flow.login({ email, password, ip: '203.0.113.7' });
  const expected = kind === 'correct';
  if (result.ok !== expected || (!result.ok && result.reason !== 'invalid-credentials')) {
    throw new Error(`login ${i} (${kind}) answered ${JSON.stringify(result)}`);
  }
  if (result.ok && result.rehashed) throw new Error(`login ${i} rehashed: the seeded hash is not current`);
  return result;
}

/** Samples RSS and probes the pool until stopped. */
function watchers() {
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 5);
  const probes: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const started = performance.now();
      await stat(import.meta.filename);
      probes.push(performance.now() - started);
      await sleep(10);
    }
  })();
  return {
    async stop() {
      clearInterval(sampler);
      probing = false;
      await probe;
      return { rssPeakMiB: rssPeak / MIB, poolProbeP99Ms: percentile(probes, 99) };
    },
  };
}

/**
 * Runs one burst of `size` logins with the hasher of `mode` (or the given limits), after a warm-up of a
 * few logins of each kind: it makes the flow's dummy hash (an unknown address's first login hashes it)
 * and gives the bound its duration estimate.
 */
export async function runBurst(
  built: Built,
  mode: BurstMode,
  size: number,
  limits: BoundedHasherLimits | false = MODE_LIMITS[mode],
): Promise<BurstFigures> {
  const { flow, close } = await burstFlow(built, limits, size);
  for (const kind of ['correct', 'correct', 'wrong-password', 'unknown-email'] as const) {
    await login(flow, 0, kind);
  }

  const rssBefore = process.memoryUsage.rss();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const watch = watchers();
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      const t0 = performance.now();
      try {
        const result = await login(flow, i);
        return { answered: true, ok: result.ok, ms: performance.now() - t0 };
      } catch (error) {
        if (error instanceof built.accounts.HashOverloadedError) {
          return { answered: false, ok: false, ms: performance.now() - t0 };
        }
        throw error;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  delay.disable();
  const watched = await watch.stop();
  await close();
  const answered = outcomes.filter((o) => o.answered);
  const accepted = answered.map((o) => o.ms);
  const succeeded = answered.filter((o) => o.ok).length;
  return {
    mode,
    logins: size,
    accepted: accepted.length,
    rejected: size - accepted.length,
    succeeded,
    invalid: accepted.length - succeeded,
    p50Ms: percentile(accepted, 50),
    p99Ms: percentile(accepted, 99),
    loginsPerSec: accepted.length / (elapsedMs / 1000),
    eventLoopP99Ms: delay.percentile(99) / 1e6,
    eventLoopMaxMs: delay.max / 1e6,
    poolProbeP99Ms: watched.poolProbeP99Ms,
    rssBeforeMiB: rssBefore / MIB,
    rssPeakMiB: watched.rssPeakMiB,
  };
}
