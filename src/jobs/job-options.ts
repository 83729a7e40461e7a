/**
 * Validation of `add` arguments. Everything is checked before the backend is called, so a bad job
 * never leaves anything half-written.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { storeBackoff } from './backoff.js';
import type { BackoffOption, Delivery, JobOptions, StoredBackoff } from './types.js';

const JOB_OPTION_KEYS = [
  'delayMs',
  'runAt',
  'priority',
  'attempts',
  'backoff',
  'timeoutMs',
  'idempotencyKey',
  'delivery',
] as const;

/** Longest delay accepted: about 34 years, far below the score encoding's limit. */
const MAX_DELAY_MS = 2 ** 40;
/** Longest timeout: what a timer can hold. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A job's validated options. */
export interface ResolvedJobOptions {
  readonly delayMs: number;
  readonly priority: number;
  readonly attempts: number;
  readonly backoff: StoredBackoff;
  readonly backoffFunction?: (attempt: number, error: unknown) => number;
  readonly timeoutMs: number;
  readonly idempotencyKey?: string;
  readonly delivery: Delivery;
}

function checkBackoff(backoff: unknown): BackoffOption {
  if (typeof backoff === 'function') return backoff as BackoffOption;
  if (typeof backoff !== 'object' || backoff === null) {
    throw new InvalidArgumentError('`backoff` must be an object or a function');
  }
  const b = backoff as Record<string, unknown>;
  if (b.type === 'fixed') {
    for (const key of Object.keys(b)) {
      if (key !== 'type' && key !== 'delayMs') throw new InvalidArgumentError(`unknown \`backoff.${key}\``);
    }
    argument.integer('backoff.delayMs', b.delayMs, 0, MAX_DELAY_MS);
    return b as BackoffOption;
  }
  if (b.type === 'exponential') {
    for (const key of Object.keys(b)) {
      if (!['type', 'delayMs', 'maxDelayMs', 'jitter'].includes(key)) {
        throw new InvalidArgumentError(`unknown \`backoff.${key}\``);
      }
    }
    if (b.delayMs !== undefined) argument.integer('backoff.delayMs', b.delayMs, 0, MAX_DELAY_MS);
    if (b.maxDelayMs !== undefined) argument.integer('backoff.maxDelayMs', b.maxDelayMs, 0, MAX_DELAY_MS);
    if (b.jitter !== undefined) argument.number('backoff.jitter', b.jitter, 0, 1);
    return b as BackoffOption;
  }
  throw new InvalidArgumentError("`backoff.type` must be 'exponential' or 'fixed'");
}

/** Validates `options` of one job; throws `InvalidArgumentError` naming the bad option. */
export function resolveJobOptions(options: JobOptions | undefined, clock: Clock): ResolvedJobOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('job `options` must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!(JOB_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`unknown job option \`${key}\``);
    }
  }
  if (options.delayMs !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError('give `delayMs` or `runAt`, not both');
  }
  let delayMs = 0;
  if (options.delayMs !== undefined)
    delayMs = Math.ceil(argument.number('delayMs', options.delayMs, 0, MAX_DELAY_MS));
  if (options.runAt !== undefined) {
    const runAt = argument.number('runAt', options.runAt, 0, Number.MAX_SAFE_INTEGER);
    delayMs = Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil(runAt - clock.now())));
  }
  const delivery =
    options.delivery === undefined
      ? 'at-least-once'
      : options.delivery === 'at-least-once' || options.delivery === 'at-most-once'
        ? options.delivery
        : (() => {
            throw new InvalidArgumentError("`delivery` must be 'at-least-once' or 'at-most-once'");
          })();
  const attempts =
    options.attempts === undefined
      ? delivery === 'at-most-once'
        ? 1
        : 3
      : argument.integer('attempts', options.attempts, 1, 1000);
  if (delivery === 'at-most-once' && attempts !== 1) {
    throw new InvalidArgumentError('at-most-once jobs are never retried: `attempts` must be 1');
  }
  const backoff = options.backoff === undefined ? undefined : checkBackoff(options.backoff);
  return {
    delayMs,
    priority: options.priority === undefined ? 0 : argument.integer('priority', options.priority, 0, 1000),
    attempts,
    backoff: storeBackoff(backoff),
    backoffFunction: typeof backoff === 'function' ? backoff : undefined,
    timeoutMs:
      options.timeoutMs === undefined
        ? 0
        : argument.integer('timeoutMs', options.timeoutMs, 1, MAX_TIMEOUT_MS),
    idempotencyKey:
      options.idempotencyKey === undefined
        ? undefined
        : argument.key('idempotencyKey', options.idempotencyKey, 512),
    delivery,
  };
}
