/**
 * What every flow shares once `createResetFlow` has built it: the parsed options with their defaults
 * resolved (store, queue, policy, limiters), the instruments, and the dummy hash that unknown logins
 * verify against. Flows are plain functions of this context.
 */

import type { LoginGuard } from '../auth/index.js';
import type { Clock } from '../core/clock.js';
import type { JobQueue } from '../jobs/index.js';
import type { Notifier } from '../notify/index.js';
import type { NormalizeEmailOptions } from './email.js';
import type { AccountsInstruments } from './instruments.js';
import type { AccountLinks, AccountsLimiter, SessionRevoker, UndeliverableMail } from './options.js';
import type { PasswordPolicy } from './password-policy.js';
import type { AccountsStore, PasswordHasher, UserDirectory } from './types.js';

/** Resolved template names. */
export interface TemplateNames {
  readonly verify: string;
  readonly reset: string;
  readonly resetCompleted: string;
  readonly signupExisting: string;
  readonly resetUnknown: string | undefined;
}

/** Resolved limiters. */
export interface FlowLimiters {
  readonly resetPerAccount: AccountsLimiter;
  readonly resetPerIp: AccountsLimiter;
  readonly signupPerIp: AccountsLimiter;
  readonly tokenPerIp: AccountsLimiter;
  readonly mailPerAddress: AccountsLimiter;
}

/** The flows' shared context. */
export interface FlowContext {
  readonly users: UserDirectory;
  readonly hasher: PasswordHasher;
  readonly notifier: Notifier;
  readonly store: AccountsStore;
  readonly queue: JobQueue;
  readonly policy: PasswordPolicy;
  readonly emailOptions: NormalizeEmailOptions;
  readonly links: AccountLinks;
  readonly templates: TemplateNames;
  readonly limiters: FlowLimiters;
  readonly tokens: SessionRevoker | undefined;
  readonly sessions: SessionRevoker | undefined;
  readonly loginGuard: LoginGuard | undefined;
  readonly resetTokenTtlMs: number;
  readonly verifyTokenTtlMs: number;
  readonly unverifiedAccountTtlMs: number;
  readonly resendCooldownMs: number;
  readonly responseFloorMs: number;
  readonly mailRecordTtlMs: number;
  readonly requireVerifiedLogin: boolean;
  readonly onUndeliverable: ((mail: UndeliverableMail) => void) | undefined;
  readonly mailData: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly instruments: AccountsInstruments;
  /** A hash of a random password with the current parameters: unknown logins verify against it. */
  dummyHash(): Promise<string>;
}
