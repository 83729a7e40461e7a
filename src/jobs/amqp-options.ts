/**
 * Options of `createAmqpJobBackend`, parsed at construction (`InvalidOptionError`).
 */
import type { ChannelModel } from 'amqplib';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, opt, optionError } from '../core/options.js';

/** Options of `createAmqpJobBackend`. Give `url` or `connect`, not both. */
export interface AmqpJobBackendOptions {
  /** `amqp://` or `amqps://` URL of the broker (credentials in it are never echoed in errors). */
  readonly url?: string;
  /** Opens a connection (your TLS, credentials, heartbeat); called again for each reconnection. */
  readonly connect?: () => Promise<ChannelModel>;
  /** Prefix of every queue and exchange name: 1..64 of [A-Za-z0-9._-]. Default `bp`. */
  readonly prefix?: string;
  /**
   * `x-delivery-limit` of each work queue: deliveries without a result (crashes, dropped connections,
   * releases) before the broker dead-letters a job. 1..1000, default 20. A broker setting of the queue.
   */
  readonly deliveryLimit?: number;
  /**
   * The delay ladder: one TTL queue per step, ascending, 1 ms..24 h. Default 1 s, 10 s, 1 min, 10 min,
   * 1 h. A delay goes through the largest steps that fit and is rounded up to the smallest step.
   */
  readonly delayStepsMs?: readonly number[];
  /**
   * Depth limit of the work queue (`x-max-length` with `reject-publish`): one value for every queue or
   * one per queue name. A broker setting fixed when the queue is first declared; give the job queue
   * the same `maxDepth`. Default none.
   */
  readonly maxDepth?: number | Readonly<Record<string, number>>;
  /** The broker's `consumer_timeout` (must match it). Jobs may run for 90 % of it. Default 1,800,000. */
  readonly consumerTimeoutMs?: number;
  /** How long an add waits for a connection and then for its confirm. Default 10000. */
  readonly publishTimeoutMs?: number;
  /** Backoff between reconnection attempts (doubling, jittered). Default 100 ms up to 30 s. */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Time of `createdAtMs`, `readyAtMs` and timers. Delays themselves run on the broker's clock. */
  readonly clock?: Clock;
  /** Where `jobs.amqp.*` metrics go. */
  readonly metrics?: Metrics;
}

const OWNER = 'createAmqpJobBackend';
/** Longest ladder step: a day. */
const MAX_STEP_MS = 86_400_000;
const DEFAULT_STEPS_MS: readonly number[] = Object.freeze([1000, 10_000, 60_000, 600_000, 3_600_000]);

function parseUrl(value: unknown, path: string, owner: string): string {
  const expected = 'an amqp:// or amqps:// URL';
  if (typeof value !== 'string' || value.length > 2048) throw optionError(owner, path, expected);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw optionError(owner, path, expected);
  }
  if ((url.protocol !== 'amqp:' && url.protocol !== 'amqps:') || url.hostname === '')
    throw optionError(owner, path, expected);
  return value;
}

const stepSpec = opt.duration({ max: MAX_STEP_MS, required: true });

function parseSteps(value: unknown, path: string, owner: string): readonly number[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 20)
    throw optionError(owner, path, 'an array of 1..20 delays in ms', value);
  const steps = value.map((v, i) => stepSpec.parse(v, `${path}[${i}]`, owner));
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) throw optionError(owner, path, 'strictly ascending');
  }
  return Object.freeze(steps);
}

const depthSpec = opt.integer({ max: 1_000_000_000, required: true });

function parseDepth(value: unknown, path: string, owner: string): (queue: string) => number | undefined {
  if (typeof value === 'number') {
    const depth = depthSpec.parse(value, path, owner);
    return () => depth;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw optionError(owner, path, 'an integer or an object of queue name to integer', value);
  const byQueue = new Map<string, number>();
  for (const [queue, depth] of Object.entries(value))
    byQueue.set(queue, depthSpec.parse(depth, `${path}.${queue}`, owner));
  return (queue) => byQueue.get(queue);
}

const parse = defineOptions(OWNER, {
  url: opt.custom(parseUrl),
  connect: opt.fn<() => Promise<ChannelModel>>(),
  prefix: opt.name({ default: 'bp', maxLength: 64 }),
  deliveryLimit: opt.integer({ default: 20, max: 1000 }),
  delayStepsMs: opt.custom(parseSteps, { default: DEFAULT_STEPS_MS }),
  maxDepth: opt.custom(parseDepth),
  consumerTimeoutMs: opt.duration({ default: 1_800_000, min: 1000, max: 2 ** 31 - 1 }),
  publishTimeoutMs: opt.duration({ default: 10_000, max: 2 ** 31 - 1 }),
  reconnect: opt.shape(
    {
      initialDelayMs: opt.duration({ default: 100, max: 600_000 }),
      maxDelayMs: opt.duration({ default: 30_000, max: 3_600_000 }),
    },
    { default: { initialDelayMs: 100, maxDelayMs: 30_000 } },
  ),
  clock: opt.clock(),
  metrics: opt.metrics(),
});

/** Parsed options. */
export type ResolvedAmqpOptions = Omit<ReturnType<typeof parse>, 'url' | 'maxDepth'> & {
  readonly url: string | undefined;
  readonly maxDepth: (queue: string) => number | undefined;
  /** True when any queue has a depth limit. */
  readonly hasDepth: boolean;
};

/** Parses and cross-checks the options. */
export function parseAmqpOptions(options: AmqpJobBackendOptions): ResolvedAmqpOptions {
  const o = parse(options);
  if ((o.url === undefined) === (o.connect === undefined))
    throw optionError(OWNER, 'url', 'given, or `connect` given instead (exactly one of them)');
  if (o.reconnect.initialDelayMs > o.reconnect.maxDelayMs)
    throw optionError(OWNER, 'reconnect.initialDelayMs', 'at most `reconnect.maxDelayMs`');
  const maxDepth = o.maxDepth ?? (() => undefined);
  return { ...o, maxDepth, hasDepth: o.maxDepth !== undefined };
}
