/** Options of `createNotifier`: the one `defineOptions` table, and the checks that span options. */
import { randomInt } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, type OptionSpec, opt, optionError } from '../core/options.js';
import type { JobQueue } from '../jobs/index.js';
import type { RateLimiter } from '../ratelimit/index.js';
import { checkDisplayName, checkPhone, normalizeEmail } from './checks.js';
import type { EmailAddress, EmailMessage, NotifyProvider, SmsMessage, WebhookMessage } from './provider.js';
import type { TemplateHelper } from './templates.js';
import type { CategoryKind, NotifyStore, QuietHours, TemplateDefinition } from './types.js';
import type { UnsubscribeKey } from './unsubscribe.js';

/** The email channel. */
export interface EmailChannelOptions {
  /** In failover order. */
  readonly providers: readonly NotifyProvider<EmailMessage>[];
  readonly from: EmailAddress;
  readonly replyTo?: EmailAddress;
}

/** The SMS channel. */
export interface SmsChannelOptions {
  readonly providers: readonly NotifyProvider<SmsMessage>[];
  /** E.164 number or alphanumeric sender id, when the provider needs one. */
  readonly from?: string;
}

/** The webhook channel. */
export interface WebhookChannelOptions {
  readonly providers: readonly NotifyProvider<WebhookMessage>[];
  /** Allow `http://` URLs to loopback hosts (tests, local receivers). Default false: https only. */
  readonly allowLoopbackHttp?: boolean;
}

/** The channels a notifier sends on, each with its providers. */
export interface ChannelsOptions {
  readonly email?: EmailChannelOptions;
  readonly sms?: SmsChannelOptions;
  readonly webhook?: WebhookChannelOptions;
}

/** Unsubscribe links and headers (required when a promotional category may go by email). */
export interface UnsubscribeOptions {
  /** The first key signs; all verify (rotation). */
  readonly keys: readonly UnsubscribeKey[];
  /** https endpoint that receives the RFC 8058 one-click POST (and the link click); `?token=` is appended. */
  readonly url?: string;
  /** Address for `mailto:` unsubscribes; the token goes in the subject. */
  readonly mailto?: string;
  /** How long a token is valid. Default 60 days. */
  readonly tokenTtlMs?: number;
}

/** Options of `createNotifier`. */
export interface NotifierOptions {
  readonly channels: ChannelsOptions;
  readonly templates: Readonly<Record<string, TemplateDefinition>>;
  /** Layout sources; a layout renders the body with `{{{body}}}`. */
  readonly layouts?: Readonly<Record<string, string>>;
  /** Partial sources, registered on the notifier's own handlebars instance. */
  readonly partials?: Readonly<Record<string, string>>;
  /** Helpers, registered on the notifier's own handlebars instance. */
  readonly helpers?: Readonly<Record<string, TemplateHelper>>;
  /** A variable missing from the data is a `TemplateDataError`. Default true. */
  readonly strict?: boolean;
  /** Category name → kind. Default `{ transactional: 'transactional', promotional: 'promotional' }`. */
  readonly categories?: Readonly<Record<string, CategoryKind>>;
  /** Default: a memory store on `clock`. */
  readonly store?: NotifyStore;
  /** Needed for digests, quiet hours and deferring rate-limited sends. */
  readonly queue?: JobQueue;
  /** Provider name → a RateLimiter checked (key: the provider name) before every call to it. */
  readonly limits?: Readonly<Record<string, RateLimiter>>;
  readonly unsubscribe?: UnsubscribeOptions;
  /** Default quiet hours in each recipient's zone (needs `queue`). Default none. */
  readonly quietHours?: QuietHours;
  /** Default 3 rounds, 500 ms doubling to at most 10 s (jittered). */
  readonly retry?: { readonly attempts?: number; readonly minDelayMs?: number; readonly maxDelayMs?: number };
  /** Deadline of one provider call; past it the call counts as `ambiguous`. Default 15 000. */
  readonly attemptTimeoutMs?: number;
  /** Longest wait, in all, for our own rate limits in one send (when not deferred to the queue). Default 5000. */
  readonly rateLimitWaitMs?: number;
  /** Per-provider breaker. Default 5 consecutive failures open it for 30 s. */
  readonly circuit?: { readonly failuresToOpen?: number; readonly openMs?: number };
  /** Default: claims hold 5 min, outcomes are kept 24 h. */
  readonly idempotency?: { readonly inProgressTtlMs?: number; readonly resultTtlMs?: number };
  /** How long delivery records are kept for events. Default 30 days. */
  readonly deliveryRecordTtlMs?: number;
  /** The promotional pause. Default: window 24 h, threshold 0.003 (0.3 %), at least 100 sends. */
  readonly reputation?: {
    readonly windowMs?: number;
    readonly complaintRateThreshold?: number;
    readonly minSends?: number;
  };
  /** Largest data object, about its JSON size in bytes. Default 256 KiB. */
  readonly maxDataBytes?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** 0 <= x < 1, for retry jitter. Default: crypto. */
  readonly random?: () => number;
}

const providerList = <M extends EmailMessage | SmsMessage | WebhookMessage>() =>
  opt.list(opt.port<NotifyProvider<M>>(['send'], 'required'), { minItems: 1, maxItems: 16, required: true });

function checkEmailAddress(value: unknown, path: string, owner: string): EmailAddress {
  if (typeof value !== 'object' || value === null)
    throw optionError(owner, path, 'an { address, name? } object');
  const v = value as { address?: unknown; name?: unknown };
  const address = normalizeEmail(`${path}.address`, v.address);
  return v.name === undefined ? { address } : { address, name: checkDisplayName(`${path}.name`, v.name) };
}

const recordCheck =
  <T>(what: string) =>
  (value: unknown, path: string, owner: string): Readonly<Record<string, T>> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw optionError(owner, path, what);
    return value as Readonly<Record<string, T>>;
  };
const record = <T>(what: string) => opt.custom(recordCheck<T>(what));

/** An SMS sender: an E.164 number, or an alphanumeric sender id of 1..11 characters. */
const smsSender = (value: unknown, path: string) =>
  typeof value === 'string' && /^[A-Za-z0-9 ]{1,11}$/.test(value) ? value : checkPhone(path, value);

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parses `createNotifier` options. */
export const parseNotifierOptions = defineOptions('createNotifier', {
  channels: opt.shape(
    {
      email: opt.shape({
        providers: providerList<EmailMessage>(),
        from: opt.custom(checkEmailAddress, { required: true }),
        replyTo: opt.custom(checkEmailAddress),
      }),
      sms: opt.shape({ providers: providerList<SmsMessage>(), from: opt.custom(smsSender) }),
      webhook: opt.shape({
        providers: providerList<WebhookMessage>(),
        allowLoopbackHttp: opt.boolean({ default: false }),
      }),
    },
    { required: true },
  ),
  templates: opt.custom(recordCheck<TemplateDefinition>('an object of templates'), { required: true }),
  layouts: record<string>('an object of layout sources'),
  partials: record<string>('an object of partial sources'),
  helpers: record<TemplateHelper>('an object of helper functions'),
  strict: opt.boolean({ default: true }),
  categories: record<CategoryKind>('an object of category kinds'),
  store: opt.port<NotifyStore>(['claimIdempotency', 'getPreferences', 'updateDelivery']),
  queue: opt.port<JobQueue>(['add']),
  limits: record<RateLimiter>('an object of RateLimiters'),
  unsubscribe: opt.shape({
    keys: opt.custom(
      (v, p, o) => {
        if (!Array.isArray(v)) throw optionError(o, p, 'an array of { id, secret }');
        return v as readonly UnsubscribeKey[];
      },
      { default: [] as readonly UnsubscribeKey[] },
    ),
    url: opt.string({ maxLength: 1024 }),
    mailto: opt.custom((v, p) => normalizeEmail(p, v)),
    tokenTtlMs: opt.duration({ default: 60 * 86_400_000, max: 2 ** 40 }),
  }),
  quietHours: opt.custom((v) => v as QuietHours),
  retry: opt.shape(
    {
      attempts: opt.integer({ default: 3, max: 20 }),
      minDelayMs: opt.duration({ default: 500, max: MAX_TIMER_MS }),
      maxDelayMs: opt.duration({ default: 10_000, max: MAX_TIMER_MS }),
    },
    { default: { attempts: 3, minDelayMs: 500, maxDelayMs: 10_000 } },
  ),
  attemptTimeoutMs: opt.duration({ default: 15_000, max: MAX_TIMER_MS }),
  rateLimitWaitMs: opt.duration({ default: 5000, min: 0, max: MAX_TIMER_MS }),
  circuit: opt.shape(
    {
      failuresToOpen: opt.integer({ default: 5, max: 1000 }),
      openMs: opt.duration({ default: 30_000, max: MAX_TIMER_MS }),
    },
    { default: { failuresToOpen: 5, openMs: 30_000 } },
  ),
  idempotency: opt.shape(
    {
      inProgressTtlMs: opt.duration({ default: 300_000, max: 2 ** 40 }),
      resultTtlMs: opt.duration({ default: 86_400_000, max: 2 ** 40 }),
    },
    { default: { inProgressTtlMs: 300_000, resultTtlMs: 86_400_000 } },
  ),
  deliveryRecordTtlMs: opt.duration({ default: 30 * 86_400_000, max: 2 ** 40 }),
  reputation: opt.shape(
    {
      windowMs: opt.duration({ default: 86_400_000, max: 2 ** 40 }),
      complaintRateThreshold: opt.number({ default: 0.003, max: 1 }),
      minSends: opt.integer({ default: 100, min: 0 }),
    },
    { default: { windowMs: 86_400_000, complaintRateThreshold: 0.003, minSends: 100 } },
  ),
  maxDataBytes: opt.integer({ default: 256 * 1024, max: 64 * 1024 * 1024 }),
  clock: opt.clock(),
  metrics: opt.metrics(),
  random: opt.fn<() => number>({ default: () => randomInt(0, 2 ** 47) / 2 ** 47 }),
} satisfies Record<string, OptionSpec<unknown>>);

/** Parsed options. */
export type ParsedNotifierOptions = ReturnType<typeof parseNotifierOptions>;
