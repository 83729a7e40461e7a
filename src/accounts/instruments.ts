/** The flows' instruments; every one declares its unit. The card's metric is the reset success rate. */
import type { Counter, Metrics } from '../core/metrics.js';

/** Why a reset did not complete, as `accounts.reset.failed{reason}` counts it. */
export type ResetFailureReason =
  | 'throttled'
  | 'malformed'
  | 'invalid'
  | 'expired'
  | 'stale'
  | 'policy'
  | 'breached'
  | 'raced'
  | 'undelivered';

/** Instruments of one flow. */
export interface AccountsInstruments {
  /** `accounts.reset.requested{account}`: reset requests that reached the worker; `known` got a link. */
  readonly resetRequested: Counter;
  /** `accounts.reset.completed`: passwords changed through a reset link. */
  readonly resetCompleted: Counter;
  /** `accounts.reset.failed{reason}`: requests and confirms that ended without a reset. */
  readonly resetFailed: Counter;
  /** `accounts.signup.requested{account}`: signups; `existing` for an address that had an account. */
  readonly signupRequested: Counter;
  /** `accounts.signup.verified`: email verifications completed. */
  readonly signupVerified: Counter;
  /** `accounts.mail{kind, status}`: account mails by the status they reached. */
  readonly mail: Counter;
  /** `accounts.login{outcome}`: logins by outcome (`ok`, `invalid`, `unverified`, `rehashed`). */
  readonly login: Counter;
  /** `accounts.reset.revocations_deferred`: completed resets whose session revocation was queued for retry. */
  readonly revocationsDeferred: Counter;
}

/** Creates the instruments on `metrics`. */
export function accountsInstruments(metrics: Metrics): AccountsInstruments {
  const counter = (name: string, description: string, unit: string, labelNames: string[] = []) =>
    metrics.counter(name, { description, unit, labelNames });
  return {
    resetRequested: counter(
      'accounts.reset.requested',
      'Reset requests handled, by whether the account exists',
      '{request}',
      ['account'],
    ),
    resetCompleted: counter('accounts.reset.completed', 'Passwords changed through a reset link', '{reset}'),
    resetFailed: counter(
      'accounts.reset.failed',
      'Reset requests and confirms that ended without a reset',
      '{failure}',
      ['reason'],
    ),
    signupRequested: counter(
      'accounts.signup.requested',
      'Signups, by whether the address had an account',
      '{signup}',
      ['account'],
    ),
    signupVerified: counter('accounts.signup.verified', 'Email verifications completed', '{verification}'),
    mail: counter('accounts.mail', 'Account mails by kind and the status they reached', '{message}', [
      'kind',
      'status',
    ]),
    login: counter('accounts.login', 'Logins by outcome', '{login}', ['outcome']),
    revocationsDeferred: counter(
      'accounts.reset.revocations_deferred',
      'Completed resets whose session and refresh revocation failed inline and was queued for retry',
      '{reset}',
    ),
  };
}
