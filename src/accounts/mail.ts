/**
 * Account jobs on the JobQueue: a request only records the request and adds a job (the same two writes
 * whether the address is known or not); the worker looks the user up, mints the token (so a slow queue
 * never eats into a link's lifetime, and no raw token is ever stored, not even in a job payload) and
 * sends through the Notifier (mail-delivery.ts). A completed reset's revocations that failed inline are
 * retried here too.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Job } from '../jobs/index.js';
import type { FlowContext } from './context.js';
import { deliver, record } from './mail-delivery.js';
import { linkWithToken, mintToken } from './tokens.js';
import type { AccountMailKind, AccountTokenKind, AccountUser } from './types.js';

/** The job type of every account mail (route on it when the queue is shared with other handlers). */
export const ACCOUNTS_JOB_TYPE = 'accounts.mail';

/**
 * What an account job carries: never a token or a password. A signup carries the password's argon2 hash
 * (what your user table would hold), because no user row exists until the address is verified.
 */
export type MailJob =
  | { readonly kind: 'reset'; readonly requestId: string; readonly email: string }
  | {
      readonly kind: 'signup';
      readonly requestId: string;
      readonly email: string;
      readonly passwordHash: string;
    }
  | { readonly kind: 'verify'; readonly requestId: string; readonly email: string }
  | { readonly kind: 'reset-completed'; readonly requestId: string; readonly userId: string }
  | { readonly kind: 'revoke'; readonly requestId: string; readonly userId: string };

/** The user id of a signup that waits for its link: no row exists; ids with this prefix are reserved. */
export const PENDING_USER_PREFIX = '~pending:';

/** A new request id: 128 random bits, base64url. */
export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/** Records the request as queued and adds its job. Both writes happen for known and unknown addresses alike. */
export async function enqueueMail(ctx: FlowContext, job: MailJob): Promise<void> {
  if (job.kind !== 'revoke') {
    // A signup is recorded as `verify` until the worker knows whether the address is taken.
    const kind: AccountMailKind = job.kind === 'signup' ? 'verify' : job.kind;
    await ctx.store.putMail({
      record: { requestId: job.requestId, kind, status: 'queued' },
      ttlMs: ctx.mailRecordTtlMs,
    });
  }
  await ctx.queue.add(ACCOUNTS_JOB_TYPE, job, { attempts: 5, idempotencyKey: job.requestId });
}

const minutes = (ms: number) => String(Math.round(ms / 60_000));

/** Mints a token of `kind` bound to the user's current email and credentials, and returns its link. */
async function issueLink(
  ctx: FlowContext,
  kind: AccountTokenKind,
  user: Pick<AccountUser, 'id' | 'email' | 'credentialsVersion'>,
  payload?: string,
): Promise<string> {
  const { token, tokenHash } = mintToken();
  const ttlMs = kind === 'reset' ? ctx.resetTokenTtlMs : ctx.verifyTokenTtlMs;
  await ctx.store.issueToken({
    kind,
    tokenHash,
    ttlMs,
    binding: { userId: user.id, email: user.email, credentialsVersion: user.credentialsVersion },
    ...(payload === undefined ? {} : { payload }),
  });
  return linkWithToken(kind === 'reset' ? ctx.links.resetUrl : ctx.links.verifyUrl, token);
}

/** A stable pseudonymous recipient id for an address with no account (the notifier keys by user id). */
const unknownUserId = (email: string) =>
  `unknown:${createHash('sha256').update(email).digest('base64url').slice(0, 22)}`;

type JobOf<K extends MailJob['kind']> = Job<Extract<MailJob, { kind: K }>>;

async function resetMail(ctx: FlowContext, job: JobOf<'reset'>) {
  const user = await ctx.users.findByEmail(job.payload.email);
  if (job.attemptsMade <= 1) ctx.instruments.resetRequested.add(1, { account: user ? 'known' : 'unknown' });
  if (user === undefined) {
    const template = ctx.templates.resetUnknown;
    if (template === undefined) {
      return record(ctx, job, { kind: 'reset-unknown', status: 'skipped', reason: 'no-account' });
    }
    const anon = { id: unknownUserId(job.payload.email), email: job.payload.email };
    return deliver(ctx, {
      job,
      kind: 'reset-unknown',
      user: anon,
      template,
      data: { loginUrl: ctx.links.loginUrl },
    });
  }
  const link = await issueLink(ctx, 'reset', user);
  const data = { link, expiresInMinutes: minutes(ctx.resetTokenTtlMs) };
  await deliver(ctx, { job, kind: 'reset', user, template: ctx.templates.reset, data });
}

/** Mails a verification link for `user` (a row of yours, or a pending signup carrying its hash). */
async function sendVerify(
  ctx: FlowContext,
  job: Job<MailJob>,
  user: Pick<AccountUser, 'id' | 'email' | 'credentialsVersion'>,
  payload?: string,
) {
  const link = await issueLink(ctx, 'verify', user, payload);
  const data = { link, expiresInMinutes: minutes(ctx.verifyTokenTtlMs) };
  await deliver(ctx, { job, kind: 'verify', user, template: ctx.templates.verify, data });
}

/** A resend: a new link for an unverified row of yours (a pending signup is resent by signing up again). */
async function verifyMail(ctx: FlowContext, job: JobOf<'verify'>) {
  const user = await ctx.users.findByEmail(job.payload.email);
  if (user === undefined || user.verified) {
    const reason = user ? 'already-verified' : 'no-account';
    return record(ctx, job, { kind: 'verify', status: 'skipped', reason });
  }
  await sendVerify(ctx, job, user);
}

/**
 * A signup. A free address gets a link carrying the password's hash; the user row is made when the link
 * is used, so an unverified signup has no usable password: it cannot be taken over by a later signup nor
 * probed through login. A verified address's owner is told; an unverified row of yours gets a link (its
 * password unchanged).
 */
async function signupMail(ctx: FlowContext, job: JobOf<'signup'>) {
  const { email, passwordHash, requestId } = job.payload;
  const user = await ctx.users.findByEmail(email);
  if (job.attemptsMade <= 1) ctx.instruments.signupRequested.add(1, { account: user ? 'existing' : 'new' });
  if (user === undefined) {
    const pending = { id: `${PENDING_USER_PREFIX}${requestId}`, email, credentialsVersion: 0 };
    return sendVerify(ctx, job, pending, passwordHash);
  }
  if (!user.verified) return sendVerify(ctx, job, user);
  const data = { loginUrl: ctx.links.loginUrl, resetUrl: ctx.links.resetUrl };
  await deliver(ctx, { job, kind: 'signup-existing', user, template: ctx.templates.signupExisting, data });
}

async function completedMail(ctx: FlowContext, job: JobOf<'reset-completed'>) {
  const user = await ctx.users.findById(job.payload.userId);
  const kind = 'reset-completed';
  if (user === undefined) return record(ctx, job, { kind, status: 'skipped', reason: 'no-account' });
  const data = { loginUrl: ctx.links.loginUrl, resetUrl: ctx.links.resetUrl };
  await deliver(ctx, { job, kind, user, template: ctx.templates.resetCompleted, data });
}

/** Revocations a completed reset could not finish inline; a failure retries with the job's backoff. */
async function revokeJob(ctx: FlowContext, job: JobOf<'revoke'>) {
  await ctx.tokens?.revokeAllForUser(job.payload.userId);
  await ctx.sessions?.revokeAllForUser(job.payload.userId);
}

/** The handler of {@link ACCOUNTS_JOB_TYPE} jobs. */
export function createMailHandler(ctx: FlowContext): (job: Job) => Promise<void> {
  return async (job) => {
    if (job.type !== ACCOUNTS_JOB_TYPE) throw new TypeError(`not an account job: ${job.type}`);
    const payload = (job as Job<MailJob>).payload;
    switch (payload.kind) {
      case 'reset':
        return resetMail(ctx, job as JobOf<'reset'>);
      case 'signup':
        return signupMail(ctx, job as JobOf<'signup'>);
      case 'verify':
        return verifyMail(ctx, job as JobOf<'verify'>);
      case 'reset-completed':
        return completedMail(ctx, job as JobOf<'reset-completed'>);
      case 'revoke':
        return revokeJob(ctx, job as JobOf<'revoke'>);
    }
  };
}
