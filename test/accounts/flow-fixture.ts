/**
 * A reset flow wired the way an app wires it: the memory user directory, the argon2 hasher at OWASP's
 * floor, a notifier on the outbox provider with the default account templates, the real TokenService
 * and SessionManager of backend-patterns/auth (so "sessions revoked" is checked on real ones), and a
 * clock that can jump forward while still sleeping for real (the queue's worker and the response floor
 * run on real timers).
 */

import { createArgon2Hasher } from '../../src/accounts/argon2.js';
import {
  type AccountsStore,
  accountTemplates,
  createMemoryAccountsStore,
  createMemoryUserDirectory,
  createResetFlow,
  type ResetFlowOptions,
  type UndeliverableMail,
} from '../../src/accounts/index.js';
import { createKeyRing, createSessionManager, createTokenService } from '../../src/auth/index.js';
import type { Clock } from '../../src/index.js';
import { createNotifier, createOutbox, type Outbox } from '../../src/notify/index.js';
import { createMemoryMetrics } from '../../src/testing/index.js';

/** A clock on real time that can be moved forward (for lifetimes) without stalling real sleeps. */
export interface JumpClock extends Clock {
  jump(ms: number): void;
}

export function jumpClock(): JumpClock {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Math.max(0, ms));
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      }),
    jump(ms) {
      offsetMs += ms;
    },
  };
}

export const LINKS = {
  resetUrl: 'https://app.example.test/reset',
  verifyUrl: 'https://app.example.test/verify',
  loginUrl: 'https://app.example.test/login',
} as const;

export const IP = '203.0.113.7';
export const PASSWORD = 'correct horse battery staple';

export type FlowFixture = Awaited<ReturnType<typeof flowFixture>>;

/** Builds a flow; `overrides` replace options (a store, limits, a floor). */
export async function flowFixture(
  overrides: Partial<ResetFlowOptions> & { readonly store?: AccountsStore } = {},
) {
  const clock = (overrides.clock as JumpClock | undefined) ?? jumpClock();
  const metrics = createMemoryMetrics();
  const outbox: Outbox = createOutbox();
  const notifier = createNotifier({
    channels: { email: { providers: [outbox.email], from: { address: 'accounts@example.test' } } },
    templates: accountTemplates(),
    clock,
  });
  const users = createMemoryUserDirectory({ clock });
  const keys = await createKeyRing({ clock });
  const tokens = createTokenService({ issuer: 'https://auth.example.test', audience: 'app', keys, clock });
  const sessions = createSessionManager({ clock });
  const undeliverable: UndeliverableMail[] = [];
  const hasher = createArgon2Hasher({
    concurrency: { maxConcurrent: 4, maxQueued: 1000, maxWaitMs: 60_000 },
  });
  const flow = createResetFlow({
    users,
    hasher,
    notifier,
    links: LINKS,
    tokens,
    sessions,
    clock,
    metrics,
    responseFloorMs: 0,
    store: createMemoryAccountsStore({ clock }),
    onUndeliverable: (mail) => undeliverable.push(mail),
    ...overrides,
  });
  return { clock, metrics, outbox, notifier, users, tokens, sessions, hasher, flow, undeliverable };
}

/** Waits (real time) until `check` holds, failing after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until every mail job added so far has completed (before a clock jump, so no lease is lost). */
export async function mailSettled(fx: FlowFixture): Promise<void> {
  await until(
    () =>
      fx.metrics.counterValue('jobs.processed', { outcome: 'completed' }) >=
      fx.metrics.counterValue('jobs.added', { outcome: 'added' }),
  );
}

/** Moves the clock forward once the mail queue is idle (a jump under a running job would lose its lease). */
export async function later(fx: FlowFixture, ms: number): Promise<void> {
  await mailSettled(fx);
  fx.clock.jump(ms);
}

/** The token of the last link mailed to `email` (waits for the mail to arrive). */
export async function lastLink(fx: FlowFixture, email: string, count = 1): Promise<string> {
  await until(() => fx.outbox.to(email).length >= count);
  const entry = fx.outbox.to(email)[count - 1];
  if (entry === undefined || entry.message.channel !== 'email') throw new Error('no mail');
  const match = /token=([A-Za-z0-9_-]{43})/.exec(entry.message.text);
  if (match?.[1] === undefined) throw new Error(`no link in the mail: ${entry.message.subject}`);
  return match[1];
}

/** Signs up and verifies `email`; returns the user id. */
export async function verifiedUser(fx: FlowFixture, email: string, password = PASSWORD): Promise<string> {
  await fx.flow.signup({ email, password, ip: IP });
  const token = await lastLink(fx, email);
  const { userId } = await fx.flow.verifyEmail({ token, ip: IP });
  return userId;
}
