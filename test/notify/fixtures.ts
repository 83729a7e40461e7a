/**
 * Test providers for the notifier: real NotifyProvider implementations whose answers follow a script
 * (succeed, throw a ProviderError of each kind, or hang past the deadline), recording every call.
 */
import { randomBytes } from 'node:crypto';
import type { ManualClock } from '../../src/core/manual-clock.js';
import {
  type ChannelKind,
  type NotifyProvider,
  ProviderError,
  type ProviderFailure,
  type ProviderMessage,
} from '../../src/notify/index.js';
import { createManualClock } from '../../src/testing/index.js';

/** One scripted answer: `ok`, a failure class, or `hang` (never settles; only the signal ends it). */
export type Step = 'ok' | ProviderFailure | 'hang';

/** A provider whose calls follow `script` (the last step repeats). */
export interface ScriptedProvider extends NotifyProvider {
  readonly calls: { message: ProviderMessage; idempotencyKey: string; aborted: () => boolean }[];
  script: Step[];
}

export function scripted(
  name: string,
  channel: ChannelKind,
  script: Step[],
  options: { idempotent?: boolean; retryAfterMs?: number } = {},
): ScriptedProvider {
  const provider: ScriptedProvider = {
    name,
    channel,
    idempotent: options.idempotent ?? false,
    calls: [],
    script,
    async send(message, context) {
      const step = provider.script[Math.min(provider.calls.length, provider.script.length - 1)] ?? 'ok';
      provider.calls.push({
        message,
        idempotencyKey: context.idempotencyKey,
        aborted: () => context.signal.aborted,
      });
      if (step === 'ok') return { providerMessageId: `${name}-${randomBytes(4).toString('hex')}` };
      if (step === 'hang') return new Promise<never>(() => {});
      throw new ProviderError(name, step, `${name}: scripted ${step}`, {
        ...(options.retryAfterMs ? { retryAfterMs: options.retryAfterMs } : {}),
      });
    },
  };
  return provider;
}

/** Lets pending promise callbacks run (several turns of the microtask queue and one macrotask). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Awaits `promise` while moving `clock` forward by `stepMs` whenever the work is waiting on it, so
 * retries, backoffs and deadlines on the manual clock pass without real waiting.
 */
export async function drive<T>(
  clock: ManualClock,
  promise: Promise<T>,
  stepMs = 1000,
  maxSteps = 1000,
): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => {});
  for (let i = 0; i < maxSteps && !done; i++) {
    await settle();
    if (!done) clock.advance(stepMs);
  }
  return tracked;
}

/** The rejection of `run`, for asserting on typed errors. */
export async function rejection(run: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await run();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

export const START_MS = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday, noon UTC
export const newClock = (startMs = START_MS) => createManualClock(startMs);

export const UNSUBSCRIBE_KEY = { id: 'k1', secret: new Uint8Array(32).fill(7) };
export const FROM = { address: 'app@example.com', name: 'Example App' };
