/**
 * Options of `createResetFlow`, parsed once by one `defineOptions` table. Token lifetimes carry the card's
 * constraint (15-60 min for reset links) as a validated range, with an explicit override for the
 * exceptions; every duration is named with its unit.
 */
import type { LoginGuard } from '../auth/index.js';
import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { parseHttpsUrl } from '../core/url.js';
import type { JobQueue } from '../jobs/index.js';
import type { Notifier } from '../notify/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { NormalizeEmailOptions } from './email.js';
import type { PasswordPolicy } from './password-policy.js';
import type { AccountsStore, PasswordHasher, UserDirectory } from './types.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The card's window for reset links, enforced unless `allowResetTtlOutsideRange` is set. */
export const RESET_TTL_RANGE_MS = { min: 15 * MIN, max: 60 * MIN } as const;

/**
 * The slice of a rate limiter the flows use: `createRateLimiter` from `backend-patterns/ratelimit`
 * satisfies it.
 */
export interface AccountsLimiter {
  limit(key: string): Promise<{ readonly allowed: boolean; readonly retryAfterMs: number }>;
}

/** What revokes a user's access after a reset: `TokenService` and `SessionManager` of `backend-patterns/auth` fit. */
export interface SessionRevoker {
  revokeAllForUser(userId: string): Promise<unknown>;
}

/** Where the links in the mails point. Built from configuration only, never from a request's Host header. */
export interface AccountLinks {
  /** The page that asks for the new password; the token is appended as `?token=` (or `&token=`). https, or http on loopback. */
  readonly resetUrl: string;
  /** The page (or endpoint) that verifies an email; the token is appended the same way. */
  readonly verifyUrl: string;
  /** The sign-in page, linked from the "someone signed up with your address" mail. */
  readonly loginUrl: string;
}

/** Names of the notifier templates the flows send (defaults: `accountTemplates()`'s names). */
export interface AccountTemplateNames {
  readonly verify?: string;
  readonly reset?: string;
  readonly resetCompleted?: string;
  readonly signupExisting?: string;
  /** Sent when a reset is asked for an address with no account. Default none (nothing is sent). */
  readonly resetUnknown?: string;
}

/** An account mail that will not arrive: a suppressed or bounced address, or a send that failed for good. */
export interface UndeliverableMail {
  readonly requestId: string;
  readonly kind: string;
  readonly userId: string;
  readonly email: string;
  readonly status: 'suppressed' | 'bounced' | 'complained' | 'failed';
  readonly reason?: string;
}

/** Rate limits of the flows. Each is a limiter you built, or a default built on `store`. */
export interface AccountsLimitsOptions {
  /** Where the default limiters count. Default memory (one process). */
  readonly store?: RateLimitStore;
  /** Reset requests per normalised email. Default 3 per 15 min. */
  readonly resetPerAccount?: AccountsLimiter;
  /** Reset requests per IP. Default 20 per 15 min. */
  readonly resetPerIp?: AccountsLimiter;
  /** Signups and verification resends per IP. Default 10 per hour. */
  readonly signupPerIp?: AccountsLimiter;
  /** Token submissions (verify, confirm) per IP. Default 30 per 15 min. */
  readonly tokenPerIp?: AccountsLimiter;
  /** Account mails (of every kind) per normalised address, against mail bombing. Default 5 per hour. */
  readonly mailPerAddress?: AccountsLimiter;
}

/** Options of `createResetFlow`. */
export interface ResetFlowOptions {
  /** Your user table. */
  readonly users: UserDirectory;
  /** `createArgon2Hasher()` of `backend-patterns/accounts/argon2`, or your own. */
  readonly hasher: PasswordHasher;
  /** The notifier the mails go through (its templates must include the names in `templates`). */
  readonly notifier: Notifier;
  readonly links: AccountLinks;
  /** Tokens, cooldowns, mail records. Default memory (one process). */
  readonly store?: AccountsStore;
  /**
   * The queue the mails go through, so a response never waits on (or reveals) a send. Default a memory
   * queue with a worker started by the flow; with your own queue, run `startWorker()` or `jobHandler`.
   */
  readonly queue?: JobQueue;
  readonly policy?: PasswordPolicy;
  readonly email?: NormalizeEmailOptions;
  readonly templates?: AccountTemplateNames;
  readonly limits?: AccountsLimitsOptions;
  /** Revoked on a completed reset (refresh families and the access-token version): the `TokenService`. */
  readonly tokens?: SessionRevoker;
  /** Revoked on a completed reset: the `SessionManager`. */
  readonly sessions?: SessionRevoker;
  /**
   * Counts login attempts before any hash, and locks out guessing; unlocked after a reset. Default a
   * `createLoginGuard()` of `backend-patterns/auth` on `limits.store`; `false` for none (then throttle
   * logins yourself: each costs a hash).
   */
  readonly loginGuard?: LoginGuard | false;
  /** Reset link lifetime. Default 30 min; 15-60 min unless `allowResetTtlOutsideRange`. */
  readonly resetTokenTtlMs?: number;
  /** Allows a reset lifetime outside 15-60 min (1 min-24 h). The trade-off is in docs/accounts.md. */
  readonly allowResetTtlOutsideRange?: boolean;
  /** Verification link lifetime. Default 24 h (1 min-7 d). */
  readonly verifyTokenTtlMs?: number;
  /** `purgeUnverified()` deletes unverified users (made by your app; signups make none) older than this. Default 7 d. */
  readonly unverifiedAccountTtlMs?: number;
  /** No second mail of the same kind to one address within this. Default 60 s. */
  readonly resendCooldownMs?: number;
  /**
   * Every signup, reset request and resend takes at least this long (a timebox), whether the address
   * is known or not. Default 250 ms; must exceed the slowest of either path (the hash included).
   */
  readonly responseFloorMs?: number;
  /** How long mail records are kept for `deliveryStatus`. Default 7 d. */
  readonly mailRecordTtlMs?: number;
  /** Whether `login` refuses unverified accounts. Default true. */
  readonly requireVerifiedLogin?: boolean;
  /** Called once per account mail that will not arrive (a suppressed, bounced or failed address). */
  readonly onUndeliverable?: (mail: UndeliverableMail) => void;
  /** Extra template data for every mail (an app name, a support address). */
  readonly mailData?: Readonly<Record<string, string>>;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

/** A link base: https (http on loopback), no credentials or fragment; a query is kept. */
const linkUrl = (v: unknown, p: string, o: string) => parseHttpsUrl(v, p, o, { query: true }).toString();

const templateName = () => opt.name({ maxLength: 64 });

const parse = defineOptions('createResetFlow', {
  users: opt.port<UserDirectory>(
    ['findByEmail', 'findById', 'create', 'updatePasswordHash', 'markVerified', 'bumpCredentialsVersion'],
    'required',
  ),
  hasher: opt.port<PasswordHasher>(['hash', 'verify', 'needsRehash'], 'required'),
  notifier: opt.port<Notifier>(['send', 'getDelivery'], 'required'),
  links: opt.shape(
    {
      resetUrl: opt.custom(linkUrl, { required: true }),
      verifyUrl: opt.custom(linkUrl, { required: true }),
      loginUrl: opt.custom(linkUrl, { required: true }),
    },
    { required: true },
  ),
  store: opt.port<AccountsStore>(['issueToken', 'consumeToken', 'acquireCooldown', 'putMail']),
  queue: opt.port<JobQueue>(['add', 'getJob']),
  policy: opt.port<PasswordPolicy>(['check']),
  email: opt.custom((v, p, o) => {
    if (typeof v !== 'object' || v === null) throw optionError(o, p, 'an object');
    return v as NormalizeEmailOptions;
  }),
  templates: opt.shape({
    verify: templateName(),
    reset: templateName(),
    resetCompleted: templateName(),
    signupExisting: templateName(),
    resetUnknown: templateName(),
  }),
  limits: opt.shape({
    store: opt.port<RateLimitStore>(['decide']),
    resetPerAccount: opt.port<AccountsLimiter>(['limit']),
    resetPerIp: opt.port<AccountsLimiter>(['limit']),
    signupPerIp: opt.port<AccountsLimiter>(['limit']),
    tokenPerIp: opt.port<AccountsLimiter>(['limit']),
    mailPerAddress: opt.port<AccountsLimiter>(['limit']),
  }),
  tokens: opt.port<SessionRevoker>(['revokeAllForUser']),
  sessions: opt.port<SessionRevoker>(['revokeAllForUser']),
  loginGuard: opt.custom((v, p, o) => {
    if (v === false) return false as const;
    if (typeof v !== 'object' || v === null || typeof (v as LoginGuard).attempt !== 'function')
      throw optionError(o, p, 'a LoginGuard or false');
    return v as LoginGuard;
  }),
  resetTokenTtlMs: opt.duration({ min: MIN, max: DAY, default: 30 * MIN }),
  allowResetTtlOutsideRange: opt.boolean({ default: false }),
  verifyTokenTtlMs: opt.duration({ min: MIN, max: 7 * DAY, default: DAY }),
  unverifiedAccountTtlMs: opt.duration({ min: HOUR, max: 365 * DAY, default: 7 * DAY }),
  resendCooldownMs: opt.duration({ min: 1000, max: DAY, default: MIN }),
  responseFloorMs: opt.integer({ min: 0, max: 10_000, default: 250 }),
  mailRecordTtlMs: opt.duration({ min: MIN, max: 90 * DAY, default: 7 * DAY }),
  requireVerifiedLogin: opt.boolean({ default: true }),
  onUndeliverable: opt.fn<(mail: UndeliverableMail) => void>(),
  mailData: opt.custom((v, p, o) => {
    if (typeof v !== 'object' || v === null || Object.values(v).some((x) => typeof x !== 'string'))
      throw optionError(o, p, 'an object of strings');
    return Object.freeze({ ...(v as Record<string, string>) });
  }),
  clock: opt.clock(),
  metrics: opt.metrics(),
});

/** The parsed options. */
export type ParsedResetFlowOptions = ReturnType<typeof parse>;

/** Parses and cross-checks the options of `createResetFlow`. */
export function parseResetFlowOptions(input: unknown): ParsedResetFlowOptions {
  const o = parse(input);
  const ttl = o.resetTokenTtlMs;
  if (!o.allowResetTtlOutsideRange && (ttl < RESET_TTL_RANGE_MS.min || ttl > RESET_TTL_RANGE_MS.max)) {
    throw new InvalidOptionError(
      'createResetFlow: `resetTokenTtlMs` must be in 15..60 min (900000..3600000); set `allowResetTtlOutsideRange: true` to go outside it',
    );
  }
  return o;
}
