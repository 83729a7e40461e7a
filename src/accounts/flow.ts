/**
 * `createResetFlow`: resolves the defaults (memory store, a memory mail queue with its own worker, the
 * default policy and limiters), builds the shared context and exposes the flows. The flows themselves
 * live in signup.ts, reset.ts, login.ts and status.ts.
 */
import { randomBytes } from 'node:crypto';
import { createLoginGuard } from '../auth/index.js';
import type { Clock } from '../core/clock.js';
import {
  createJobQueue,
  createWorker,
  type Job,
  type JobQueue,
  type Worker,
  type WorkerOptions,
} from '../jobs/index.js';
import {
  createRateLimiter,
  type RateLimitStore,
  slidingWindowCounter,
  slidingWindowLog,
} from '../ratelimit/index.js';
import type { FlowContext, FlowLimiters } from './context.js';
import { accountsInstruments } from './instruments.js';
import { type LoginRequest, type LoginResult, login } from './login.js';
import { createMailHandler } from './mail.js';
import { createMemoryAccountsStore } from './memory-store.js';
import {
  type AccountsLimitsOptions,
  type ParsedResetFlowOptions,
  parseResetFlowOptions,
  type ResetFlowOptions,
} from './options.js';
import { createPasswordPolicy } from './password-policy.js';
import {
  type ConfirmResetRequest,
  type ConfirmResetResult,
  confirmReset,
  inspectResetToken,
  type ResetRequest,
  type ResetTokenState,
  requestReset,
} from './reset.js';
import {
  type AcceptedResponse,
  type ResendRequest,
  resendVerification,
  type SignupRequest,
  signup,
  verifyEmail,
} from './signup.js';
import { deliveryStatus } from './status.js';
import type { MailRecord } from './types.js';

/** Signup, verification, reset and login on your user table. */
export interface ResetFlow {
  /** Creates an unverified account and mails a link, or mails the owner of a taken address. Uniform answer. */
  signup(request: SignupRequest): Promise<AcceptedResponse>;
  /** Mails a new verification link to an unverified address (once per cooldown). Uniform answer. */
  resendVerification(request: ResendRequest): Promise<AcceptedResponse>;
  /** Uses a verification token; throws `AccountTokenInvalidError` / `AccountTokenExpiredError`. */
  verifyEmail(request: { readonly token: string; readonly ip: string }): Promise<{ readonly userId: string }>;
  /** Mails a reset link if the address has an account (once per cooldown, within the limits). Uniform answer. */
  requestReset(request: ResetRequest): Promise<AcceptedResponse>;
  /** Reads a reset token without using it, for the page that shows the form. */
  inspectResetToken(request: { readonly token: string; readonly ip: string }): Promise<ResetTokenState>;
  /** Sets the new password with a reset token; revokes sessions, refresh families and other tokens. */
  confirmReset(request: ConfirmResetRequest): Promise<ConfirmResetResult>;
  /** Checks a password login (rehashing when the parameters changed). */
  login(request: LoginRequest): Promise<LoginResult>;
  /** What became of a request's mail (for logs and support tools, not for the anonymous caller). */
  deliveryStatus(requestId: string): Promise<MailRecord | undefined>;
  /** Deletes unverified accounts older than `unverifiedAccountTtlMs`; returns how many. */
  purgeUnverified(): Promise<number>;
  /** The handler of the mail jobs, for your own worker on `queue`. */
  readonly jobHandler: (job: Job) => Promise<void>;
  /** Starts a worker on the flow's queue (not needed with the default queue, which has one). */
  startWorker(options?: WorkerOptions): Worker;
  /** Stops what the flow made (its queue and worker, when it made them); never your clients. */
  close(): Promise<void>;
}

const MIN = 60_000;

function defaultLimiters(
  limits: AccountsLimitsOptions | undefined,
  clock: Clock,
  o: ParsedResetFlowOptions,
): FlowLimiters {
  const store: RateLimitStore | undefined = limits?.store;
  const make = (name: string, limit: number, windowMs: number, counter: boolean) =>
    createRateLimiter({
      name,
      algorithm: counter ? slidingWindowCounter({ limit, windowMs }) : slidingWindowLog({ limit, windowMs }),
      clock,
      metrics: o.metrics,
      ...(store ? { store } : {}),
    });
  return {
    resetPerAccount: limits?.resetPerAccount ?? make('accounts-reset-account', 3, 15 * MIN, false),
    resetPerIp: limits?.resetPerIp ?? make('accounts-reset-ip', 20, 15 * MIN, true),
    signupPerIp: limits?.signupPerIp ?? make('accounts-signup-ip', 10, 60 * MIN, true),
    tokenPerIp: limits?.tokenPerIp ?? make('accounts-token-ip', 30, 15 * MIN, true),
    mailPerAddress: limits?.mailPerAddress ?? make('accounts-mail-address', 5, 60 * MIN, false),
  };
}

function buildContext(o: ParsedResetFlowOptions, queue: JobQueue): FlowContext {
  const hasher = o.hasher;
  let dummy: Promise<string> | undefined;
  const t = o.templates;
  return {
    users: o.users,
    hasher,
    notifier: o.notifier,
    store: o.store ?? createMemoryAccountsStore({ clock: o.clock }),
    queue,
    policy: o.policy ?? createPasswordPolicy(),
    emailOptions: o.email ?? {},
    links: o.links,
    templates: {
      verify: t?.verify ?? 'account-verify',
      reset: t?.reset ?? 'account-reset',
      resetCompleted: t?.resetCompleted ?? 'account-reset-completed',
      signupExisting: t?.signupExisting ?? 'account-signup-existing',
      resetUnknown: t?.resetUnknown,
    },
    limiters: defaultLimiters(o.limits, o.clock, o),
    tokens: o.tokens,
    sessions: o.sessions,
    loginGuard:
      o.loginGuard === false
        ? undefined
        : (o.loginGuard ??
          createLoginGuard({
            name: 'accounts-login',
            clock: o.clock,
            metrics: o.metrics,
            onStoreError: 'insurance',
            ...(o.limits?.store ? { store: o.limits.store } : {}),
          })),
    resetTokenTtlMs: o.resetTokenTtlMs,
    verifyTokenTtlMs: o.verifyTokenTtlMs,
    unverifiedAccountTtlMs: o.unverifiedAccountTtlMs,
    resendCooldownMs: o.resendCooldownMs,
    responseFloorMs: o.responseFloorMs,
    mailRecordTtlMs: o.mailRecordTtlMs,
    requireVerifiedLogin: o.requireVerifiedLogin,
    onUndeliverable: o.onUndeliverable,
    mailData: { appName: 'the app', ...o.mailData },
    clock: o.clock,
    instruments: accountsInstruments(o.metrics),
    dummyHash() {
      // Made once with the current parameters (createResetFlow starts it, so the first unknown login
      // does not pay an extra hash); a failed attempt is retried on the next call.
      dummy ??= hasher.hash(randomBytes(24).toString('base64url')).catch((error: unknown) => {
        dummy = undefined;
        throw error;
      });
      return dummy;
    },
  };
}

/**
 * Creates the signup, verification, reset and login flows.
 *
 * @example
 * ```ts
 * import { createMemoryUserDirectory, createResetFlow, accountTemplates } from 'backend-patterns/accounts';
 * import { createArgon2Hasher } from 'backend-patterns/accounts/argon2';
 * import { createNotifier, createOutbox } from 'backend-patterns/notify';
 * const outbox = createOutbox();
 * const notifier = createNotifier({
 *   channels: { email: { providers: [outbox.email], from: { address: 'accounts@example.com' } } },
 *   templates: accountTemplates(),
 * });
 * const flow = createResetFlow({
 *   users: createMemoryUserDirectory(),
 *   hasher: createArgon2Hasher(),
 *   notifier,
 *   links: { resetUrl: 'https://app.example.com/reset', verifyUrl: 'https://app.example.com/verify', loginUrl: 'https://app.example.com/login' },
 * });
 * await flow.requestReset({ email: 'ada@example.com', ip: '203.0.113.7' }); // { status: 'accepted', requestId }
 * ```
 */
export function createResetFlow(options: ResetFlowOptions): ResetFlow {
  const o = parseResetFlowOptions(options);
  const ownsQueue = o.queue === undefined;
  const queue = o.queue ?? createJobQueue({ name: 'accounts-mail', clock: o.clock, metrics: o.metrics });
  const ctx = buildContext(o, queue);
  ctx.dummyHash().catch(() => undefined); // warmed now; a failure is retried at the first use
  const jobHandler = createMailHandler(ctx);
  const workers: Worker[] = [];
  const startWorker = (workerOptions?: WorkerOptions) => {
    const worker = createWorker(queue, jobHandler, workerOptions);
    workers.push(worker);
    return worker;
  };
  if (ownsQueue) startWorker({ concurrency: 4 });
  return {
    signup: (request) => signup(ctx, request),
    resendVerification: (request) => resendVerification(ctx, request),
    verifyEmail: (request) => verifyEmail(ctx, request),
    requestReset: (request) => requestReset(ctx, request),
    inspectResetToken: (request) => inspectResetToken(ctx, request),
    confirmReset: (request) => confirmReset(ctx, request),
    login: (request) => login(ctx, request),
    deliveryStatus: (requestId) => deliveryStatus(ctx, requestId),
    purgeUnverified: () =>
      ctx.users.deleteUnverified({ createdBeforeMs: ctx.clock.now() - ctx.unverifiedAccountTtlMs }),
    jobHandler,
    startWorker,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      if (ownsQueue) await queue.close();
    },
  };
}

/**
 * Headers for the page that shows a reset form (the token is in its URL): no `Referer` to third parties
 * (OWASP Forgot Password), no caching, no framing.
 */
export function resetPageHeaders(): Readonly<Record<string, string>> {
  return {
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "frame-ancestors 'none'",
  };
}
