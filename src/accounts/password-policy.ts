/**
 * The password policy (NIST SP 800-63B, OWASP): a minimum length (15 code points without MFA, 8 with),
 * a maximum of at least 64, a byte cap checked on the raw input before any other work, NFKC
 * normalisation, every character allowed (NUL and emoji included, nothing stripped), no composition
 * rules, and an optional breached-password check that fails open.
 */

import { InvalidArgumentError } from '../core/errors.js';
import type { Counter, Metrics } from '../core/metrics.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { PasswordPolicyError, type PasswordPolicyReason } from './errors.js';
import type { BreachChecker, BreachCheckResult } from './types.js';

/** Options of {@link createPasswordPolicy}. */
export interface PasswordPolicyOptions {
  /** Minimum length in code points (after NFKC) for an account without MFA. Default 15; at least `minLengthWithMfa`. */
  readonly minLength?: number;
  /** Minimum length in code points (after NFKC) when the account has a second factor. Default 8; at least 8. */
  readonly minLengthWithMfa?: number;
  /** Maximum length in code points (after NFKC). Default 128; at least 64 and at least `minLength`. */
  readonly maxLength?: number;
  /**
   * Cap on the UTF-8 size, checked on the raw input first (so a 1 MB password costs nothing) and again
   * after NFKC (which can expand a character up to 18-fold). Default 1024; at least 4 × `maxLength`, so
   * the cap never refuses a password the length rule accepts, whatever its script.
   */
  readonly maxBytes?: number;
  /** A breached-password check for {@link PasswordPolicy.checkBreached}; none by default. */
  readonly breachChecker?: BreachChecker;
  /** Refuse a breached password (`true`, the default) or only report it (`false`). */
  readonly rejectBreached?: boolean;
  /** Receives `accounts.password_policy.rejections{reason}` and `accounts.password_policy.breach_checks{status}`. */
  readonly metrics?: Metrics;
}

/** The resolved policy, frozen: what the flows apply and what a signup page or the docs can show. */
export interface PasswordPolicySettings {
  /** Minimum code points without MFA. */
  readonly minLength: number;
  /** Minimum code points with MFA. */
  readonly minLengthWithMfa: number;
  /** Maximum code points. */
  readonly maxLength: number;
  /** Maximum UTF-8 bytes, raw and after NFKC. */
  readonly maxBytes: number;
  /** Always `'NFKC'`: the password is normalised before it is measured, checked and hashed. */
  readonly normalization: 'NFKC';
  /** Always `'code points'`: an emoji counts as one, not as two UTF-16 units. */
  readonly lengthUnit: 'code points';
  /** Always `false`: no "one digit, one symbol" rules (NIST SP 800-63B forbids them). */
  readonly compositionRules: false;
  /** The breach checker's `kind`, or `null` when none is configured. */
  readonly breachChecker: string | null;
  /** Whether a breached password is refused (`true`) or only reported. */
  readonly rejectBreached: boolean;
}

/** Context of {@link PasswordPolicy.check}. */
export interface PasswordCheckContext {
  /** Whether the account has a second factor: the minimum is then `minLengthWithMfa`. Default `false`. */
  readonly mfa?: boolean;
}

/**
 * What {@link PasswordPolicy.checkBreached} found: the checker's answer, or `skipped` when no checker is
 * configured (never reported as `clean`, which would claim a check that did not happen).
 */
export type PasswordBreachOutcome = BreachCheckResult | { readonly status: 'skipped' };

/** A password policy. Every method either returns or throws {@link PasswordPolicyError}; nothing is kept. */
export interface PasswordPolicy {
  /** The resolved, frozen settings. */
  readonly settings: PasswordPolicySettings;
  /**
   * The checks every password gets, the login one included (where the length rules must not apply, as a
   * password set under an older policy must still work): not a string or a lone surrogate is
   * `malformed`, over `maxBytes` before or after NFKC is `too-many-bytes`. Returns the NFKC form, the
   * one to hash or verify.
   */
  normalize(password: unknown): string;
  /**
   * {@link PasswordPolicy.normalize}, then the length rules for a new password (signup, reset, change):
   * `too-short` under the minimum for `context.mfa`, `too-long` over `maxLength` (code points after
   * NFKC). Returns the NFKC form. Synchronous and cheap; the breach check is the separate, async step.
   */
  check(password: unknown, context?: PasswordCheckContext): string;
  /**
   * The breached-password step, after {@link PasswordPolicy.check} (it takes the normalised password; a
   * raw one is normalised again, NFKC being idempotent). Throws `PasswordPolicyError('breached')` with the
   * breach count in the message when the checker finds it and `rejectBreached` is on; otherwise resolves
   * with what was found. Fails open: a checker that is down, times out, throws or answers nonsense gives
   * `{ status: 'unavailable' }`, counted in `accounts.password_policy.breach_checks{status}`.
   */
  checkBreached(password: string): Promise<PasswordBreachOutcome>;
}

/** The NIST SP 800-63B floor: neither minimum may be set below 8 code points. */
const NIST_MIN_LENGTH = 8;
/** The largest UTF-8 size of one code point. */
const MAX_BYTES_PER_CODE_POINT = 4;
/** A lone surrogate: with the `u` flag a pair is one code point, so only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

const parseOptions = defineOptions('createPasswordPolicy', {
  minLength: opt.integer({ default: 15, min: NIST_MIN_LENGTH, max: 4096 }),
  minLengthWithMfa: opt.integer({ default: 8, min: NIST_MIN_LENGTH, max: 4096 }),
  maxLength: opt.integer({ default: 128, min: 64, max: 4096 }),
  maxBytes: opt.integer({ default: 1024, min: 256, max: 65_536 }),
  breachChecker: opt.port<BreachChecker>(['check']),
  rejectBreached: opt.boolean({ default: true }),
  metrics: opt.metrics(),
});

type ParsedOptions = ReturnType<typeof parseOptions>;

const OWNER = 'createPasswordPolicy';

function crossCheck(o: ParsedOptions): void {
  if (o.minLengthWithMfa > o.minLength) {
    throw optionError(OWNER, 'minLengthWithMfa', 'at most `minLength`', o.minLengthWithMfa);
  }
  if (o.minLength > o.maxLength) throw optionError(OWNER, 'minLength', 'at most `maxLength`', o.minLength);
  if (o.maxBytes < o.maxLength * MAX_BYTES_PER_CODE_POINT) {
    throw optionError(OWNER, 'maxBytes', `at least 4 × \`maxLength\` (${o.maxLength * 4})`, o.maxBytes);
  }
}

/** Code points of `value`, counted up to `stopAfter` + 1 at most. */
function codePoints(value: string, stopAfter: number): number {
  let n = 0;
  for (const _ of value) {
    n += 1;
    if (n > stopAfter) break;
  }
  return n;
}

function contextMfa(context: unknown): boolean {
  if (context === undefined) return false;
  if (typeof context !== 'object' || context === null) {
    throw new InvalidArgumentError('`context` must be an object such as { mfa: true }');
  }
  const mfa = (context as { mfa?: unknown }).mfa;
  if (mfa !== undefined && typeof mfa !== 'boolean') {
    throw new InvalidArgumentError('`context.mfa` must be a boolean');
  }
  return mfa === true;
}

const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/** A checker's answer if it has the port's shape, else `undefined` (the policy then fails open). */
function validResult(value: unknown): BreachCheckResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as { status?: unknown; count?: unknown; reason?: unknown };
  if (r.status === 'clean') return { status: 'clean' };
  if (r.status === 'breached' && isCount(r.count)) return { status: 'breached', count: r.count as number };
  if (r.status === 'unavailable') {
    return { status: 'unavailable', reason: typeof r.reason === 'string' ? r.reason : 'unknown' };
  }
  return undefined;
}

async function askChecker(checker: BreachChecker, password: string): Promise<BreachCheckResult> {
  try {
    return validResult(await checker.check(password)) ?? { status: 'unavailable', reason: 'bad-reply' };
  } catch {
    return { status: 'unavailable', reason: 'checker-threw' };
  }
}

interface PolicyInstruments {
  readonly rejections: Counter;
  readonly breachChecks: Counter;
}

function policyInstruments(metrics: Metrics): PolicyInstruments {
  return {
    rejections: metrics.counter('accounts.password_policy.rejections', {
      description: 'Passwords the policy refused, by reason',
      unit: '{password}',
      labelNames: ['reason'],
    }),
    breachChecks: metrics.counter('accounts.password_policy.breach_checks', {
      description: 'Breached-password checks by outcome (unavailable: failed open)',
      unit: '{check}',
      labelNames: ['status'],
    }),
  };
}

function freezeSettings(o: ParsedOptions): PasswordPolicySettings {
  return Object.freeze({
    minLength: o.minLength,
    minLengthWithMfa: o.minLengthWithMfa,
    maxLength: o.maxLength,
    maxBytes: o.maxBytes,
    normalization: 'NFKC',
    lengthUnit: 'code points',
    compositionRules: false,
    breachChecker: o.breachChecker?.kind ?? null,
    rejectBreached: o.rejectBreached,
  });
}

/**
 * Creates a password policy. Options are checked at construction (`InvalidOptionError`); a password that
 * breaks the policy is a `PasswordPolicyError` (`ERR_ACCOUNTS_PASSWORD_POLICY`) with a `reason` and,
 * for the length and size rules, the `limit` crossed.
 *
 * @example
 * ```ts
 * const policy = createPasswordPolicy({ breachChecker: createRangeBreachChecker() });
 * const normalised = policy.check(password, { mfa: false }); // the NFKC form, or throws
 * await policy.checkBreached(normalised); // throws reason 'breached'; fails open when the API is down
 * ```
 */
export function createPasswordPolicy(options?: PasswordPolicyOptions): PasswordPolicy {
  const o = parseOptions(options);
  crossCheck(o);
  const { maxBytes, maxLength, breachChecker, rejectBreached } = o;
  const instruments = policyInstruments(o.metrics);
  const refuse = (reason: PasswordPolicyReason, message: string, limit?: number): never => {
    instruments.rejections.add(1, { reason });
    throw new PasswordPolicyError(reason, message, limit);
  };
  const capBytes = (value: string, stage: string) => {
    // UTF-8 takes at least one byte per UTF-16 unit: a string longer than the cap is refused unread.
    if (value.length > maxBytes || Buffer.byteLength(value, 'utf8') > maxBytes) {
      refuse('too-many-bytes', `the password is longer than ${maxBytes} bytes${stage}`, maxBytes);
    }
  };

  const normalize = (password: unknown): string => {
    if (typeof password !== 'string') return refuse('malformed', 'the password must be a string');
    capBytes(password, '');
    if (LONE_SURROGATE.test(password)) return refuse('malformed', 'the password is not well-formed text');
    const normalised = password.normalize('NFKC');
    capBytes(normalised, ' once normalised (NFKC)');
    return normalised;
  };

  return {
    settings: freezeSettings(o),
    normalize,
    check(password, context) {
      const minLength = contextMfa(context) ? o.minLengthWithMfa : o.minLength;
      const normalised = normalize(password);
      const length = codePoints(normalised, maxLength);
      if (length > maxLength)
        refuse('too-long', `the password is longer than ${maxLength} characters`, maxLength);
      if (length < minLength)
        refuse('too-short', `the password needs at least ${minLength} characters`, minLength);
      return normalised;
    },
    async checkBreached(password) {
      const normalised = normalize(password);
      if (breachChecker === undefined) return { status: 'skipped' };
      const result = await askChecker(breachChecker, normalised);
      instruments.breachChecks.add(1, { status: result.status });
      if (result.status === 'breached' && rejectBreached) {
        refuse('breached', `the password appears in ${result.count} known breaches; choose another`);
      }
      return result;
    },
  };
}
