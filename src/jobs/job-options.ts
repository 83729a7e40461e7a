/**
 * Validation of `add` arguments. Everything is checked before the backend is called, so a bad job
 * never leaves anything half-written. These are call-time arguments: errors are `InvalidArgumentError`.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { storeBackoff } from './backoff.js';
import type { BackoffOption, Delivery, JobOptions, StoredBackoff } from './types.js';

const JOB_OPTION_KEYS: readonly string[] = [
  'delayMs',
  'runAtMs',
  'priority',
  'attempts',
  'backoff',
  'timeoutMs',
  'idempotencyKey',
  'delivery',
];

/** Longest delay accepted: about 34 years, far below the score encoding's limit. */
const MAX_DELAY_MS = 2 ** 40;
/** Longest timeout: what a timer can hold. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const DELIVERIES: readonly Delivery[] = ['at-least-once', 'at-most-once'];

/** A job's validated options. */
export interface ResolvedJobOptions {
  readonly delayMs: number;
  readonly priority: number;
  readonly attempts: number;
  readonly backoff: StoredBackoff;
  readonly timeoutMs: number;
  readonly idempotencyKey?: string;
  readonly delivery: Delivery;
}

function onlyKeys(b: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(b)) {
    if (!allowed.includes(key)) throw new InvalidArgumentError(`unknown \`backoff.${key}\``);
  }
}

function checkExponential(b: Record<string, unknown>): void {
  onlyKeys(b, ['type', 'delayMs', 'maxDelayMs', 'jitter']);
  if (b.delayMs !== undefined) argument.integer('backoff.delayMs', b.delayMs, 0, MAX_DELAY_MS);
  if (b.maxDelayMs !== undefined) argument.integer('backoff.maxDelayMs', b.maxDelayMs, 0, MAX_DELAY_MS);
  if (b.jitter !== undefined) argument.number('backoff.jitter', b.jitter, 0, 1);
}

/**
 * A backoff descriptor. A function is refused, not dropped: it would exist only in this process, and a
 * worker elsewhere could not run it (port rule 4, "no silent fallbacks").
 */
function checkBackoff(backoff: unknown): BackoffOption {
  if (typeof backoff === 'function') {
    throw new InvalidArgumentError(
      "`backoff` must be a descriptor, not a function: use { type: 'custom' } and give every worker the same `backoff` option",
    );
  }
  if (typeof backoff !== 'object' || backoff === null)
    throw new InvalidArgumentError('`backoff` must be an object');
  const b = backoff as Record<string, unknown>;
  if (b.type === 'fixed') {
    onlyKeys(b, ['type', 'delayMs']);
    argument.integer('backoff.delayMs', b.delayMs, 0, MAX_DELAY_MS);
  } else if (b.type === 'exponential') {
    checkExponential(b);
  } else if (b.type === 'custom') {
    onlyKeys(b, ['type']);
  } else {
    throw new InvalidArgumentError("`backoff.type` must be 'exponential', 'fixed' or 'custom'");
  }
  return b as BackoffOption;
}

function checkShape(options: unknown): JobOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('job `options` must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!JOB_OPTION_KEYS.includes(key)) throw new InvalidArgumentError(`unknown job option \`${key}\``);
  }
  return options as JobOptions;
}

/** `delayMs`, or `runAtMs` turned into a delay on `clock`. */
function resolveDelayMs(options: JobOptions, clock: Clock): number {
  if (options.delayMs !== undefined && options.runAtMs !== undefined) {
    throw new InvalidArgumentError('give `delayMs` or `runAtMs`, not both');
  }
  if (options.delayMs !== undefined)
    return Math.ceil(argument.number('delayMs', options.delayMs, 0, MAX_DELAY_MS));
  if (options.runAtMs === undefined) return 0;
  const runAtMs = argument.number('runAtMs', options.runAtMs, 0, Number.MAX_SAFE_INTEGER);
  return Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil(runAtMs - clock.now())));
}

function resolveDelivery(options: JobOptions): { delivery: Delivery; attempts: number } {
  const delivery = options.delivery ?? 'at-least-once';
  if (!DELIVERIES.includes(delivery)) {
    throw new InvalidArgumentError("`delivery` must be 'at-least-once' or 'at-most-once'");
  }
  const atMostOnce = delivery === 'at-most-once';
  if (options.attempts === undefined) return { delivery, attempts: atMostOnce ? 1 : 3 };
  const attempts = argument.integer('attempts', options.attempts, 1, 1000);
  if (atMostOnce && attempts !== 1) {
    throw new InvalidArgumentError('at-most-once jobs are never retried: `attempts` must be 1');
  }
  return { delivery, attempts };
}

/** Validates `options` of one job; throws `InvalidArgumentError` naming the bad option. */
export function resolveJobOptions(input: JobOptions | undefined, clock: Clock): ResolvedJobOptions {
  const options = checkShape(input);
  const delayMs = resolveDelayMs(options, clock);
  const { delivery, attempts } = resolveDelivery(options);
  const backoff = options.backoff === undefined ? undefined : checkBackoff(options.backoff);
  const { priority, timeoutMs, idempotencyKey } = options;
  return {
    delayMs,
    priority: priority === undefined ? 0 : argument.integer('priority', priority, 0, 1000),
    attempts,
    backoff: storeBackoff(backoff),
    timeoutMs: timeoutMs === undefined ? 0 : argument.integer('timeoutMs', timeoutMs, 1, MAX_TIMEOUT_MS),
    idempotencyKey:
      idempotencyKey === undefined ? undefined : argument.key('idempotencyKey', idempotencyKey, 512),
    delivery,
  };
}
