/**
 * Validation of `createTokenService` options, kept apart so tokens.ts reads as behaviour.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { type Metrics, noopMetrics } from '../core/metrics.js';
import { option } from '../core/validate.js';
import type { KeyRing } from './keys.js';
import { createMemoryRefreshStore, createMemoryRevocationStore } from './memory.js';
import type { RefreshStore, RevocationStore } from './types.js';

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
  /** Skew allowed on `exp`, `nbf` and `iat`. Default 5 s; 0 .. 60 s. */
  readonly clockToleranceMs?: number;
  /** Tokens longer than this are rejected before parsing. Default 8 192; 512 .. 65 536. */
  readonly maxTokenBytes?: number;
  /** Refresh families. Default: a memory store. */
  readonly refreshStore?: RefreshStore;
  /** Lifetime of a refresh family (absolute). Default 7 d; 1 min .. 90 d. */
  readonly refreshTtlMs?: number;
  /** Window after a rotation in which the previous refresh token works once (0 = none). Default 10 s; 0 .. 60 s. */
  readonly refreshGraceMs?: number;
  /** Denylist and user versions. Default: a memory store. */
  readonly revocationStore?: RevocationStore;
  /** Check the denylist and user version on every verify. Default true. */
  readonly checkRevocation?: boolean;
  readonly clock?: Clock;
  /** Receives `auth.tokens.rejected{reason,kind}` and `auth.refresh.reuse_detected`. */
  readonly metrics?: Metrics;
}

/** Options after validation and defaults. */
export interface ResolvedTokenOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: KeyRing;
  readonly ttlMs: { readonly access: number; readonly reset: number; readonly 'verify-email': number };
  readonly clockToleranceMs: number;
  readonly maxTokenBytes: number;
  readonly refreshStore: RefreshStore;
  readonly refreshTtlMs: number;
  readonly refreshGraceMs: number;
  readonly revocationStore: RevocationStore;
  readonly checkRevocation: boolean;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const nonEmpty = (name: string, value: unknown): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new InvalidOptionError(`\`${name}\` must be a non-empty string of at most 512 characters`);
  }
  return value;
};

/** Validates options and applies defaults. */
export function resolveTokenOptions(options: TokenServiceOptions): ResolvedTokenOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options are required');
  option.knownKeys('createTokenService', options, [
    'issuer',
    'audience',
    'keys',
    'accessTtlMs',
    'resetTtlMs',
    'verifyEmailTtlMs',
    'clockToleranceMs',
    'maxTokenBytes',
    'refreshStore',
    'refreshTtlMs',
    'refreshGraceMs',
    'revocationStore',
    'checkRevocation',
    'clock',
    'metrics',
  ]);
  const issuer = nonEmpty('issuer', options.issuer);
  const audiences = (
    typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])]
  ).map((a, i) => nonEmpty(`audience[${i}]`, a));
  if (audiences.length === 0) throw new InvalidOptionError('`audience` needs at least one value');
  const keys = options.keys;
  if (typeof keys?.active !== 'function' || typeof keys.find !== 'function') {
    throw new InvalidOptionError('`keys` must be a key ring from createKeyRing()');
  }
  const ttlMs = {
    access: option.integer('accessTtlMs', options.accessTtlMs ?? 10 * MIN, 30_000, HOUR),
    reset: option.integer('resetTtlMs', options.resetTtlMs ?? 30 * MIN, MIN, DAY),
    'verify-email': option.integer('verifyEmailTtlMs', options.verifyEmailTtlMs ?? HOUR, MIN, 7 * DAY),
  };
  const clockToleranceMs = option.integer('clockToleranceMs', options.clockToleranceMs ?? 5_000, 0, MIN);
  const longestMs = Math.max(...Object.values(ttlMs)) + clockToleranceMs;
  // A retired key must outlive every token it signed, or rotation would log everyone out.
  if (keys.graceMs < longestMs) {
    throw new InvalidOptionError(
      `the key ring's \`graceMs\` (${keys.graceMs}) must be >= the longest token lifetime + tolerance (${longestMs})`,
    );
  }
  return {
    issuer,
    audiences,
    keys,
    ttlMs,
    clockToleranceMs,
    maxTokenBytes: option.integer('maxTokenBytes', options.maxTokenBytes ?? 8_192, 512, 65_536),
    refreshStore: options.refreshStore ?? createMemoryRefreshStore(),
    refreshTtlMs: option.integer('refreshTtlMs', options.refreshTtlMs ?? 7 * DAY, MIN, 90 * DAY),
    refreshGraceMs: option.integer('refreshGraceMs', options.refreshGraceMs ?? 10_000, 0, MIN),
    revocationStore: options.revocationStore ?? createMemoryRevocationStore(),
    checkRevocation: options.checkRevocation ?? true,
    clock: options.clock ?? systemClock,
    metrics: options.metrics ?? noopMetrics,
  };
}
