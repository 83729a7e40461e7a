/**
 * Login guard: throttles login attempts per IP and per account on the RateLimiter, with growing lockouts
 * (a short tier and a long tier), and reports `auth.login.failures{reason}`, the card's metric. Each
 * attempt is counted *before* the password check, so a burst of parallel guesses cannot all slip past a
 * "peek" before the first failure is recorded; a success clears the account's counter.
 */
import type { Clock } from '../core/clock.js';
import { type Metrics, noopMetrics } from '../core/metrics.js';
import { defineOptions, opt } from '../core/options.js';
import { argument } from '../core/validate.js';
// Only through the RateLimiter's public entry point: modules never reach into each other's internals.
import {
  type ClientKeyFunction,
  clientKey,
  createClientKey,
  createRateLimiter,
  fixedWindow,
  type RateLimitStore,
  type StoreErrorPolicy,
  slidingWindowCounter,
  slidingWindowLog,
} from '../ratelimit/index.js';
import { normalizeAccountId } from './account-id.js';
import { userTag } from './secrets.js';

/** A limiter decision, as the guard needs it. The RateLimiter's result satisfies it. */
export interface LoginLimitDecision {
  readonly allowed: boolean;
  readonly retryAfterMs: number;
}

/**
 * The slice of a rate limiter the guard uses. `createRateLimiter` from `backend-patterns/ratelimit`
 * satisfies it; so can anything else with these two methods.
 */
export interface LoginLimiter {
  /** Counts one attempt against `key` and says whether it may proceed. */
  limit(key: string): Promise<LoginLimitDecision>;
  /** Forgets `key` (after a successful login). */
  reset(key: string): Promise<unknown>;
}

/** Why an attempt failed: the `reason` label of `auth.login.failures`. */
export type LoginFailureReason = 'invalid-credentials' | 'locked-account' | 'throttled-ip';

/** Outcome of {@link LoginGuard.attempt}. */
export type LoginAttempt =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: LoginFailureReason; readonly retryAfterMs: number };

/** Options of {@link createLoginGuard}. */
export interface LoginGuardOptions {
  /** Prefix of the two limiters' names (`<name>-account`, `<name>-ip`). Default `login`. */
  readonly name?: string;
  /**
   * Limiter for per-account keys. Default: a RateLimiter with two tiers, 5 attempts per 15 min (then
   * locked 15 min) and 20 per 24 h (then locked 24 h).
   */
  readonly accountLimiter?: LoginLimiter;
  /** Limiter for per-IP keys. Default: a RateLimiter allowing 100 attempts per 15 min (then locked 15 min). */
  readonly ipLimiter?: LoginLimiter;
  /** Store of the default limiters (e.g. `createRedisRateLimitStore` from `backend-patterns/ratelimit/redis`). Default memory. */
  readonly store?: RateLimitStore;
  /**
   * What the default limiters do when their store fails. Default `'insurance'`: each process keeps
   * throttling with its share of the limits (logins keep working, guessing stays bounded).
   */
  readonly onStoreError?: StoreErrorPolicy;
  /**
   * IPv6 prefix length of one IP bucket. Default 64. An attacker holding a /48 or /56 can rotate through
   * many /64s, each with a fresh allowance; 56 or 48 buckets them together (and more neighbours with
   * them). 1..128. Keys come from `createClientKey` of `backend-patterns/ratelimit`.
   */
  readonly ipv6PrefixLength?: number;
  /** Key NAT64 addresses (`64:ff9b::/96`) as the IPv4 address they embed. Default false. */
  readonly nat64?: boolean;
  readonly clock?: Clock;
  /** Receives `auth.login.failures{reason}` (and the default limiters' `ratelimit.*`). */
  readonly metrics?: Metrics;
}

const MIN = 60_000;

const parseOptions = defineOptions('createLoginGuard', {
  name: opt.name({ default: 'login', maxLength: 48 }),
  accountLimiter: opt.port<LoginLimiter>(['limit', 'reset']),
  ipLimiter: opt.port<LoginLimiter>(['limit', 'reset']),
  // Checked by the RateLimiter that receives them, which knows their shape.
  store: opt.custom<RateLimitStore>((value) => value as RateLimitStore),
  onStoreError: opt.custom<StoreErrorPolicy>((value) => value as StoreErrorPolicy),
  // The ranges of createClientKey, checked here so a bad value names createLoginGuard.
  ipv6PrefixLength: opt.integer({ default: 64, min: 1, max: 128 }),
  nat64: opt.boolean({ default: false }),
  clock: opt.port<Clock>(['now', 'sleep']),
  metrics: opt.port<Metrics>(['counter', 'histogram', 'gauge']),
});

type ParsedLoginGuardOptions = ReturnType<typeof parseOptions>;

/** The default limiters: growing lockouts per account, a looser limit per IP. */
function defaultLimiters(options: ParsedLoginGuardOptions) {
  const name = options.name;
  const shared = {
    ...(options.store ? { store: options.store } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    onStoreError: options.onStoreError ?? 'insurance',
  };
  const accountLimiter: LoginLimiter =
    options.accountLimiter ??
    createRateLimiter({
      ...shared,
      name: `${name}-account`,
      policies: [
        {
          name: 'account-15m',
          algorithm: slidingWindowLog({ limit: 5, windowMs: 15 * MIN }),
          blockDurationMs: 15 * MIN,
        },
        {
          name: 'account-24h',
          algorithm: fixedWindow({ limit: 20, windowMs: 24 * 60 * MIN }),
          blockDurationMs: 24 * 60 * MIN,
        },
      ],
    });
  const ipLimiter: LoginLimiter =
    options.ipLimiter ??
    createRateLimiter({
      ...shared,
      name: `${name}-ip`,
      policies: [
        {
          name: 'ip-15m',
          algorithm: slidingWindowCounter({ limit: 100, windowMs: 15 * MIN }),
          blockDurationMs: 15 * MIN,
        },
      ],
    });
  return { accountLimiter, ipLimiter };
}

/** Guards a login endpoint. */
export interface LoginGuard {
  /**
   * Counts the attempt for `ip` and `account`; when neither is locked, runs `verify` (your password
   * check) and reports the outcome. `verify` is not called while locked, so a locked account costs no
   * password hashing.
   */
  attempt(
    input: { readonly account: string; readonly ip: string },
    verify: () => boolean | Promise<boolean>,
  ): Promise<LoginAttempt>;
  /**
   * Clears the lockout and the failure counts (both tiers) of `account`, normalised as in `attempt`
   * (so any spelling unlocks it). Call it after a successful password reset, or from a support tool.
   * The IP tier is left alone: it protects against a sprayer, not one account.
   */
  unlock(account: string): Promise<void>;
}

/**
 * The limiter key of an IP with the default options: `clientKey` of `backend-patterns/ratelimit` (IPv4,
 * and IPv4 carried in IPv6, by address; IPv6 by /64). Throws `InvalidArgumentError` for anything that
 * is not an IP address.
 */
export const ipKey: ClientKeyFunction = clientKey;

/**
 * Creates a login guard.
 *
 * @example
 * ```ts
 * const guard = createLoginGuard({ store: createRedisRateLimitStore({ client }), metrics });
 * const outcome = await guard.attempt({ account: email, ip: req.socket.remoteAddress ?? '' }, () =>
 *   user ? verifyPassword(user.hash, password) : verifyPassword(DUMMY_HASH, password).then(() => false),
 * );
 * if (!outcome.ok) return res.status(outcome.reason === 'invalid-credentials' ? 401 : 429).end();
 * ```
 */
export function createLoginGuard(options: LoginGuardOptions = {}): LoginGuard {
  const o = parseOptions(options);
  const { accountLimiter, ipLimiter } = defaultLimiters(o);
  const keyOfIp = createClientKey({ ipv6PrefixLength: o.ipv6PrefixLength, nat64: o.nat64 });
  // Account names (emails) never reach the limiter's keys or Redis; every spelling gets one key.
  const keyOfAccount = (account: unknown) => `acct:${userTag(normalizeAccountId(account as string))}`;
  const failures = (o.metrics ?? noopMetrics).counter('auth.login.failures', {
    description: 'failed login attempts, by reason',
    unit: '{attempt}',
    labelNames: ['reason'],
  });
  const fail = (reason: LoginFailureReason, retryAfterMs: number): LoginAttempt => {
    failures.add(1, { reason });
    return { ok: false, reason, retryAfterMs };
  };

  return {
    async attempt(input, verify) {
      // Both keys first: a bad input is refused before anything is counted.
      const accountKey = keyOfAccount(input?.account);
      const byIp = await ipLimiter.limit(keyOfIp(argument.key('ip', input?.ip, 128)));
      if (!byIp.allowed) return fail('throttled-ip', byIp.retryAfterMs);
      const byAccount = await accountLimiter.limit(accountKey);
      if (!byAccount.allowed) return fail('locked-account', byAccount.retryAfterMs);
      if ((await verify()) !== true) return fail('invalid-credentials', 0);
      await accountLimiter.reset(accountKey);
      return { ok: true };
    },
    async unlock(account) {
      await accountLimiter.reset(keyOfAccount(account));
    },
  };
}
