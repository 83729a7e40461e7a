/**
 * The options of `createTokenService`: one `defineOptions` table (defaults, ranges, unknown keys), plus
 * the checks that relate two options, kept apart so tokens.ts reads as behaviour.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import type { KeyRing } from './key-ring.js';
import { createMemoryRefreshStore, createMemoryRevocationStore } from './memory.js';
import type { ClaimsSource } from './refresher.js';
import type { RefreshStore, RevocationStore, TokenKind } from './types.js';

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  /** `iss` of every token, e.g. `https://api.example.com`. */
  readonly issuer: string;
  /** `aud` of every token; verify accepts a token naming any of them. */
  readonly audience: string | readonly string[];
  /** Signing and verification keys. */
  readonly keys: KeyRing;
  /** Access-token lifetime. Default 10 min; 30 s .. 1 h. */
  readonly accessTtlMs?: number;
  /** Reset-token lifetime. Default 30 min; 1 min .. 24 h. */
  readonly resetTtlMs?: number;
  /** Verify-email-token lifetime. Default 60 min; 1 min .. 7 d. */
  readonly verifyEmailTtlMs?: number;
  /**
   * Skew allowed on `exp`, `nbf` and `iat`. Default 5 s; 0 .. 60 s. Denylist entries and user versions
   * are kept this much longer too, since a token verifies until `exp` plus this tolerance.
   */
  readonly clockToleranceMs?: number;
  /** Tokens longer than this are rejected before parsing. Default 8 192; 512 .. 65 536. */
  readonly maxTokenBytes?: number;
  /**
   * The longest lifetime (`exp - iat`) verify accepts, per kind (`ERR_TOKEN_INVALID`, reason `lifetime`).
   * Default each kind's TTL (rounded up to a whole second, as `exp` and `iat` are); a value below it is
   * an option error, since it would reject the service's own tokens. Raise one for a while after lowering
   * a TTL, or for another issuer's longer tokens. Each 1 s .. 30 d.
   */
  readonly maxLifetimeMs?: Partial<Readonly<Record<TokenKind, number>>>;
  /** Refresh families. Default: a memory store on this service's clock. */
  readonly refreshStore?: RefreshStore;
  /** Lifetime of a refresh family (absolute). Default 7 d; 1 min .. 90 d. */
  readonly refreshTtlMs?: number;
  /** Window after a rotation in which the previous refresh token works once (0 = none). Default 10 s; 0 .. 60 s. */
  readonly refreshGraceMs?: number;
  /**
   * The claims of an access token renewed by `refresh` when the call passes none: a function of the
   * family's subject (re-read roles from your user store), may be async. Without it, `refresh` needs
   * `claims` on every call (`ERR_INVALID_ARGUMENT` otherwise), so roles are never dropped silently;
   * `() => ({})` if your tokens carry no custom claims.
   */
  readonly refreshClaims?: ClaimsSource;
  /**
   * On refresh-token reuse, also revoke the user's access tokens (bump the user version, as
   * `revokeAllForUser` does, but without touching the user's other refresh families). Default false.
   */
  readonly revokeAccessOnRefreshReuse?: boolean;
  /** Denylist and user versions. Default: a memory store on this service's clock. */
  readonly revocationStore?: RevocationStore;
  /** Check the denylist and user version on every verify. Default true. */
  readonly checkRevocation?: boolean;
  /**
   * Require our `ver` claim (the user version) in every token. Default true. Set false to verify tokens
   * of another issuer (which has no `ver`): a token without one counts as version 0, so the denylist and
   * `revokeAllForUser` still apply to it; a `ver` that is present but not a non-negative integer is
   * still rejected.
   */
  readonly requireVersionClaim?: boolean;
  /**
   * Time of token `iat`/`exp` and of the default stores. Default the key ring's clock (the system clock
   * unless the ring was given one); a clock other than the ring's is an option error (one time line).
   */
  readonly clock?: Clock;
  /** Receives `auth.tokens.rejected{reason,kind}` and `auth.refresh.reuse_detected`. */
  readonly metrics?: Metrics;
}

/** Options after validation and defaults. */
export interface ResolvedTokenOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: KeyRing;
  readonly ttlMs: Readonly<Record<TokenKind, number>>;
  readonly maxLifetimeMs: Readonly<Record<TokenKind, number>>;
  readonly clockToleranceMs: number;
  readonly maxTokenBytes: number;
  readonly refreshStore: RefreshStore;
  readonly refreshTtlMs: number;
  readonly refreshGraceMs: number;
  readonly refreshClaims: ClaimsSource | undefined;
  readonly revokeAccessOnRefreshReuse: boolean;
  /** How long a user version must be kept: the longest token lifetime plus the tolerance. */
  readonly versionKeepMs: number;
  readonly revocationStore: RevocationStore;
  readonly checkRevocation: boolean;
  readonly requireVersionClaim: boolean;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const audienceSpec = opt.custom(
  (value, path, owner): readonly string[] => {
    const list: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    const ok = (a: unknown) => typeof a === 'string' && a.length > 0 && a.length <= 512;
    if (list.length === 0 || !list.every(ok)) {
      throw optionError(
        owner,
        path,
        'a non-empty string (at most 512 characters) or a non-empty list of them',
      );
    }
    return Object.freeze([...list] as string[]);
  },
  { required: true },
);

const parse = defineOptions('createTokenService', {
  issuer: opt.string({ maxLength: 512, required: true }),
  audience: audienceSpec,
  keys: opt.port<KeyRing>(['active', 'find'], 'required'),
  accessTtlMs: opt.duration({ default: 10 * MIN, min: 30_000, max: HOUR }),
  resetTtlMs: opt.duration({ default: 30 * MIN, min: MIN, max: DAY }),
  verifyEmailTtlMs: opt.duration({ default: HOUR, min: MIN, max: 7 * DAY }),
  clockToleranceMs: opt.integer({ default: 5_000, min: 0, max: MIN }),
  maxTokenBytes: opt.integer({ default: 8_192, min: 512, max: 65_536 }),
  maxLifetimeMs: opt.shape({
    access: opt.duration({ min: 1_000, max: 30 * DAY }),
    reset: opt.duration({ min: 1_000, max: 30 * DAY }),
    'verify-email': opt.duration({ min: 1_000, max: 30 * DAY }),
  }),
  refreshStore: opt.port<RefreshStore>(['createFamily', 'rotate', 'revokeFamily', 'revokeUser']),
  refreshTtlMs: opt.duration({ default: 7 * DAY, min: MIN, max: 90 * DAY }),
  refreshGraceMs: opt.integer({ default: 10_000, min: 0, max: MIN }),
  refreshClaims: opt.fn<ClaimsSource>(),
  revokeAccessOnRefreshReuse: opt.boolean({ default: false }),
  revocationStore: opt.port<RevocationStore>(['revokeJti', 'bumpUserVersion', 'userVersion', 'check']),
  checkRevocation: opt.boolean({ default: true }),
  requireVersionClaim: opt.boolean({ default: true }),
  clock: opt.clock(),
  metrics: opt.metrics(),
});

/**
 * One clock for the service and its key ring: the service's own `clock`, else the ring's. Two different
 * clocks are refused, since retirement (ring) and `iat`/`exp` (service) would then disagree.
 */
function serviceClock(options: TokenServiceOptions, keys: KeyRing, parsed: Clock): Clock {
  if (options.clock === undefined) return keys.clock ?? parsed;
  if (keys.clock !== undefined && keys.clock !== options.clock) {
    throw optionError(
      'createTokenService',
      'clock',
      'the clock of its key ring (pass the same `clock` to createKeyRing)',
    );
  }
  return parsed;
}

/** Each kind's longest accepted lifetime: the given one, or its TTL in whole seconds; never below that. */
function resolveMaxLifetimes(
  ttlMs: Readonly<Record<TokenKind, number>>,
  given: Partial<Readonly<Record<TokenKind, number | undefined>>>,
): Record<TokenKind, number> {
  const out = {} as Record<TokenKind, number>;
  for (const kind of Object.keys(ttlMs) as TokenKind[]) {
    // `exp - iat` of an issued token is at most the TTL rounded up to a second (both are whole seconds).
    const issuedMs = Math.ceil(ttlMs[kind] / 1000) * 1000;
    const value = given[kind] ?? issuedMs;
    if (value < issuedMs) {
      throw optionError(
        'createTokenService',
        `maxLifetimeMs.${kind}`,
        `at least the ${kind} token lifetime (${issuedMs} ms), or the service would reject its own tokens`,
      );
    }
    out[kind] = value;
  }
  return out;
}

/** Validates options and applies defaults; the default stores run on the service's clock. */
export function resolveTokenOptions(options: TokenServiceOptions): ResolvedTokenOptions {
  const o = parse(options);
  const clock = serviceClock(options, o.keys, o.clock);
  const ttlMs = { access: o.accessTtlMs, reset: o.resetTtlMs, 'verify-email': o.verifyEmailTtlMs };
  const longestMs = Math.max(...Object.values(ttlMs)) + o.clockToleranceMs;
  // A retired key must outlive every token it signed, or rotation would log everyone out.
  if (o.keys.graceMs < longestMs) {
    throw optionError(
      'createTokenService',
      'keys',
      `a key ring whose \`graceMs\` (${o.keys.graceMs}) is >= the longest token lifetime + tolerance (${longestMs})`,
    );
  }
  return {
    issuer: o.issuer,
    audiences: o.audience,
    keys: o.keys,
    ttlMs,
    maxLifetimeMs: resolveMaxLifetimes(ttlMs, o.maxLifetimeMs ?? {}),
    clockToleranceMs: o.clockToleranceMs,
    maxTokenBytes: o.maxTokenBytes,
    refreshStore: o.refreshStore ?? createMemoryRefreshStore({ clock }),
    refreshTtlMs: o.refreshTtlMs,
    refreshGraceMs: o.refreshGraceMs,
    refreshClaims: o.refreshClaims,
    revokeAccessOnRefreshReuse: o.revokeAccessOnRefreshReuse,
    // A user version must outlive every token issued before the bump, tolerance included.
    versionKeepMs: longestMs,
    revocationStore: o.revocationStore ?? createMemoryRevocationStore({ clock }),
    checkRevocation: o.checkRevocation,
    requireVersionClaim: o.requireVersionClaim,
    clock,
    metrics: o.metrics,
  };
}
