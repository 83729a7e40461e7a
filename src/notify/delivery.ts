/**
 * Hands one rendered message to the providers of its channel: per provider a circuit breaker (the one of
 * src/core/circuit.ts), an optional rate limiter (the RateLimiter's public API), a per-attempt deadline,
 * and the failure rules of the provider port:
 * - `unavailable` (or an open circuit, or our own rate limit): fail over to the next provider at once;
 *   when every provider is unavailable, retry the chain after a backoff;
 * - `retryable`: retry the same provider after a backoff, never fail over;
 * - `permanent`: stop;
 * - `ambiguous` (a timeout after the request went out): stop, unless the provider is `idempotent`, in
 *   which case the same provider is retried with the same idempotency key; never fail over.
 */
import type { CircuitBreaker, CircuitOutcome } from '../core/circuit.js';
import type { Clock } from '../core/clock.js';
import type { RateLimiter } from '../ratelimit/index.js';
import type { NotifyInstruments } from './instruments.js';
import {
  type NotifyProvider,
  ProviderError,
  type ProviderFailure,
  type ProviderMessage,
} from './provider.js';

/** One provider with its guards. */
export interface ProviderSlot {
  readonly provider: NotifyProvider;
  readonly circuit: CircuitBreaker;
  readonly limiter?: RateLimiter;
}

/** How retries go. */
export interface RetryPolicy {
  /** Rounds over the chain, the first included. */
  readonly attempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** What a delivery needs besides the message. */
export interface DeliveryContext {
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly attemptTimeoutMs: number;
  /** How long to wait, in all, for our own rate limits before giving up (or deferring). */
  readonly rateLimitWaitMs: number;
  /** 0 <= x < 1, for jitter. */
  readonly random: () => number;
  readonly instruments: NotifyInstruments;
}

/** How a delivery ended. */
export type DeliveryOutcome =
  | {
      readonly ok: true;
      readonly provider: string;
      readonly providerMessageId: string;
      readonly attempts: number;
    }
  | {
      readonly ok: false;
      readonly failure: ProviderFailure;
      readonly error: ProviderError | undefined;
      readonly attempts: number;
      /** Set when only our own rate limits stood in the way: how long until one provider has room. */
      readonly rateLimitedForMs?: number;
    };

/** How the breaker counts each failure class: only what says the provider is unwell opens it. */
const CIRCUIT_OUTCOME: Readonly<Record<ProviderFailure, CircuitOutcome>> = {
  unavailable: 'failure',
  ambiguous: 'failure',
  retryable: 'neutral',
  permanent: 'neutral',
};

const ignore = () => {};

/**
 * The reason the attempt timer is stopped with once the provider answered. A preallocated value: a bare
 * `abort()` builds a DOMException with its stack on every message (5% of the notifier's CPU, profiled).
 */
const TIMER_STOPPED = Object.freeze({ stopped: true });

/** One provider call under the attempt deadline. A non-ProviderError rejection counts as ambiguous. */
async function callProvider(
  slot: ProviderSlot,
  message: ProviderMessage,
  idempotencyKey: string,
  context: DeliveryContext,
): Promise<string> {
  const name = slot.provider.name;
  const abort = new AbortController();
  const stopTimer = new AbortController();
  const timedOut = context.clock.sleep(context.attemptTimeoutMs, stopTimer.signal).then(() => {
    const error = new ProviderError(name, 'ambiguous', `provider \`${name}\` did not answer in time`);
    abort.abort(error);
    throw error;
  });
  timedOut.catch(ignore);
  const sending = Promise.resolve().then(() =>
    (slot.provider as NotifyProvider<ProviderMessage>).send(message, {
      idempotencyKey,
      signal: abort.signal,
    }),
  );
  sending.catch(ignore); // a hung call that settles after its deadline must not surface unhandled
  try {
    const receipt = await Promise.race([sending, timedOut]);
    if (typeof receipt?.providerMessageId !== 'string' || receipt.providerMessageId === '') {
      throw new ProviderError(name, 'ambiguous', `provider \`${name}\` accepted without a message id`);
    }
    return receipt.providerMessageId;
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError(name, 'ambiguous', `provider \`${name}\` failed outside its contract`, {
      cause: error,
    });
  } finally {
    stopTimer.abort(TIMER_STOPPED);
  }
}

type RoundStep =
  | { readonly kind: 'sent'; readonly provider: string; readonly providerMessageId: string }
  | { readonly kind: 'stop'; readonly error: ProviderError }
  | { readonly kind: 'stay'; readonly slot: number; readonly error: ProviderError }
  | { readonly kind: 'next'; readonly error?: ProviderError; readonly limitedForMs?: number };

/** One delivery: the state of the retry loop. */
class Delivery {
  attempts = 0;
  constructor(
    private readonly slots: readonly ProviderSlot[],
    private readonly message: ProviderMessage,
    private readonly key: string,
    private readonly context: DeliveryContext,
  ) {}

  /** Tries one provider. */
  async step(index: number): Promise<RoundStep> {
    const slot = this.slots[index] as ProviderSlot;
    const ticket = slot.circuit.acquire();
    if (ticket === 'refused') return { kind: 'next' };
    if (slot.limiter) {
      const decision = await slot.limiter.limit(slot.provider.name);
      if (!decision.allowed) {
        slot.circuit.record(ticket, 'neutral');
        return { kind: 'next', limitedForMs: Math.max(1, decision.retryAfterMs) };
      }
    }
    this.attempts++;
    try {
      const providerMessageId = await callProvider(slot, this.message, this.key, this.context);
      slot.circuit.record(ticket, 'success');
      return { kind: 'sent', provider: slot.provider.name, providerMessageId };
    } catch (caught) {
      const error = caught as ProviderError;
      slot.circuit.record(ticket, CIRCUIT_OUTCOME[error.failure] ?? 'failure');
      this.context.instruments.providerErrors.add(1, {
        provider: slot.provider.name,
        failure: error.failure,
      });
      if (error.failure === 'unavailable') return { kind: 'next', error };
      if (error.failure === 'retryable' || (error.failure === 'ambiguous' && slot.provider.idempotent)) {
        return { kind: 'stay', slot: index, error };
      }
      return { kind: 'stop', error };
    }
  }

  delayFor(round: number, error: ProviderError | undefined): number {
    const { minDelayMs, maxDelayMs } = this.context.retry;
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** (round - 1));
    const jittered = Math.round(base * (0.5 + this.context.random() * 0.5));
    return Math.max(jittered, error?.retryAfterMs ?? 0);
  }
}

/** Runs one round over `indices`; returns the terminal step, or the last error and the shortest limit. */
async function runRound(delivery: Delivery, indices: readonly number[]) {
  let lastError: ProviderError | undefined;
  let limitedForMs: number | undefined;
  let stay: number | undefined;
  for (const index of indices) {
    const step = await delivery.step(index);
    if (step.kind === 'sent' || step.kind === 'stop') return { terminal: step } as const;
    if (step.kind === 'stay') return { stay: step.slot, lastError: step.error } as const;
    if (step.error) lastError = step.error;
    if (step.limitedForMs !== undefined) limitedForMs = Math.min(limitedForMs ?? Infinity, step.limitedForMs);
  }
  return { stay, lastError, limitedForMs } as const;
}

function terminalOutcome(
  t: Extract<RoundStep, { kind: 'sent' | 'stop' }>,
  attempts: number,
): DeliveryOutcome {
  if (t.kind === 'sent') {
    return { ok: true, provider: t.provider, providerMessageId: t.providerMessageId, attempts };
  }
  return { ok: false, failure: t.error.failure, error: t.error, attempts };
}

/**
 * Delivers `message` through `slots` in order. With `deferWhenLimited`, a round in which only our own
 * rate limits refused ends the delivery at once with `rateLimitedForMs` (the caller queues it);
 * otherwise the delivery waits for the limit, up to `rateLimitWaitMs` in all.
 */
export async function deliver(
  slots: readonly ProviderSlot[],
  message: ProviderMessage,
  idempotencyKey: string,
  context: DeliveryContext,
  deferWhenLimited: boolean,
): Promise<DeliveryOutcome> {
  const delivery = new Delivery(slots, message, idempotencyKey, context);
  let indices = slots.map((_, i) => i);
  let waitedMs = 0;
  let lastError: ProviderError | undefined;
  for (let round = 1; round <= context.retry.attempts; ) {
    const r = await runRound(delivery, indices);
    if ('terminal' in r && r.terminal) return terminalOutcome(r.terminal, delivery.attempts);
    lastError = r.lastError ?? lastError;
    if (r.stay !== undefined) indices = [r.stay];
    const limitedForMs = r.lastError === undefined ? r.limitedForMs : undefined;
    if (limitedForMs !== undefined) {
      // Only our own limits refused: that is waiting, not a failed round.
      if (deferWhenLimited || waitedMs + limitedForMs > context.rateLimitWaitMs) {
        const attempts = delivery.attempts;
        return {
          ok: false,
          failure: 'unavailable',
          error: undefined,
          attempts,
          rateLimitedForMs: limitedForMs,
        };
      }
      waitedMs += limitedForMs;
      await context.clock.sleep(limitedForMs);
      continue;
    }
    const delayMs = delivery.delayFor(round, r.lastError);
    // The last round, or the provider asked for longer than we wait inline: give up here.
    if (round === context.retry.attempts || delayMs > context.retry.maxDelayMs) break;
    await context.clock.sleep(delayMs);
    round++;
  }
  return {
    ok: false,
    failure: lastError?.failure ?? 'unavailable',
    error: lastError,
    attempts: delivery.attempts,
  };
}
