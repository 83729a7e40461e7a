/**
 * Account mail goes through the JobQueue: a request only records the request and adds a job (the same
 * two writes whether the address is known or not); the worker looks the user up, mints the token (so a
 * slow queue never eats into a link's lifetime, and no raw token is ever stored, not even in a job
 * payload) and sends through the Notifier. The outcome is kept as a {@link MailRecord} for
 * `deliveryStatus`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Job } from '../jobs/index.js';
import type { ChannelResult } from '../notify/index.js';
import { DeliveryFailedError } from '../notify/index.js';
import type { FlowContext } from './context.js';
import { linkWithToken, mintToken } from './tokens.js';
import type {
  AccountMailKind,
  AccountMailStatus,
  AccountTokenKind,
  AccountUser,
  MailRecord,
} from './types.js';

/** The job type of every account mail (route on it when the queue is shared with other handlers). */
export const ACCOUNTS_JOB_TYPE = 'accounts.mail';

/** What a mail job carries: never a token, never a password or its hash. */
export type MailJob =
  | { readonly kind: 'reset'; readonly requestId: string; readonly email: string }
  | { readonly kind: 'verify'; readonly requestId: string; readonly email: string }
  | { readonly kind: 'signup-existing'; readonly requestId: string; readonly userId: string }
  | { readonly kind: 'reset-completed'; readonly requestId: string; readonly userId: string };

/** A new request id: 128 random bits, base64url. */
export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/** Records the request as queued and adds its job. Both writes happen for known and unknown addresses alike. */
export async function enqueueMail(ctx: FlowContext, job: MailJob): Promise<void> {
  const kind: AccountMailKind = job.kind;
  await ctx.store.putMail({
    record: { requestId: job.requestId, kind, status: 'queued' },
    ttlMs: ctx.mailRecordTtlMs,
  });
  await ctx.queue.add(ACCOUNTS_JOB_TYPE, job, { attempts: 5, idempotencyKey: job.requestId });
}

interface Delivery {
  readonly job: Job<MailJob>;
  readonly kind: AccountMailKind;
  readonly user: Pick<AccountUser, 'id' | 'email'>;
  readonly template: string;
  readonly data: Readonly<Record<string, string>>;
}

const minutes = (ms: number) => String(Math.round(ms / 60_000));

async function record(
  ctx: FlowContext,
  job: Job<MailJob>,
  fields: Omit<MailRecord, 'requestId' | 'updatedAtMs'>,
) {
  ctx.instruments.mail.add(1, { kind: fields.kind, status: fields.status });
  await ctx.store.putMail({
    record: { requestId: job.payload.requestId, ...fields },
    ttlMs: ctx.mailRecordTtlMs,
  });
}

function report(ctx: FlowContext, d: Delivery, status: 'suppressed' | 'failed', reason: string) {
  ctx.onUndeliverable?.({
    requestId: d.job.payload.requestId,
    kind: d.kind,
    userId: d.user.id,
    email: d.user.email,
    status,
    reason,
  });
}

function statusOf(result: ChannelResult | undefined): {
  status: AccountMailStatus;
  reason?: string;
  messageId?: string;
} {
  if (result === undefined) return { status: 'skipped', reason: 'no-email-channel' };
  switch (result.status) {
    case 'sent':
      return { status: 'sent', messageId: result.messageId };
    case 'queued':
      return { status: 'queued', reason: result.reason };
    case 'suppressed':
      return { status: 'suppressed', reason: result.reason };
    case 'skipped':
      return { status: 'skipped', reason: result.reason };
    case 'failed':
      return { status: 'failed', reason: result.failure, messageId: result.messageId };
  }
}

/** Sends one mail through the notifier; a failure retries the job until its last attempt. */
async function deliver(ctx: FlowContext, d: Delivery): Promise<void> {
  const { job } = d;
  let result: ChannelResult | undefined;
  try {
    const sent = await ctx.notifier.send({
      to: { userId: d.user.id, email: d.user.email },
      template: d.template,
      data: { ...ctx.mailData, ...d.data },
      category: 'transactional',
      priority: 'high',
      channels: ['email'],
      idempotencyKey: `${job.payload.requestId}:${job.attemptsMade}`,
    });
    result = sent.channels.find((c) => c.channel === 'email');
  } catch (error) {
    if (!(error instanceof DeliveryFailedError)) throw error;
    // A permanent refusal (an unknown mailbox) will not change on retry; anything else retries the job.
    if (error.failure !== 'permanent' && job.attemptsMade < job.attempts) throw error;
    await record(ctx, job, { kind: d.kind, status: 'failed', userId: d.user.id, reason: error.failure });
    if (d.kind === 'reset') ctx.instruments.resetFailed.add(1, { reason: 'undelivered' });
    report(ctx, d, 'failed', error.failure);
    return;
  }
  const outcome = statusOf(result);
  await record(ctx, job, { kind: d.kind, userId: d.user.id, ...outcome });
  if (outcome.status === 'suppressed') report(ctx, d, 'suppressed', outcome.reason ?? 'suppressed');
}

/** Mints a token of `kind` bound to the user's current email and credentials, and returns its link. */
async function issueLink(ctx: FlowContext, kind: AccountTokenKind, user: AccountUser): Promise<string> {
  const { token, tokenHash } = mintToken();
  const ttlMs = kind === 'reset' ? ctx.resetTokenTtlMs : ctx.verifyTokenTtlMs;
  await ctx.store.issueToken({
    kind,
    tokenHash,
    ttlMs,
    binding: { userId: user.id, email: user.email, credentialsVersion: user.credentialsVersion },
  });
  return linkWithToken(kind === 'reset' ? ctx.links.resetUrl : ctx.links.verifyUrl, token);
}

/** A stable pseudonymous recipient id for an address with no account (the notifier keys by user id). */
const unknownUserId = (email: string) =>
  `unknown:${createHash('sha256').update(email).digest('base64url').slice(0, 22)}`;

async function resetMail(ctx: FlowContext, job: Job<MailJob & { kind: 'reset' }>) {
  const user = await ctx.users.findByEmail(job.payload.email);
  if (job.attemptsMade <= 1) ctx.instruments.resetRequested.add(1, { account: user ? 'known' : 'unknown' });
  if (user === undefined) {
    const template = ctx.templates.resetUnknown;
    if (template === undefined)
      return record(ctx, job, { kind: 'reset-unknown', status: 'skipped', reason: 'no-account' });
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
  await deliver(ctx, {
    job,
    kind: 'reset',
    user,
    template: ctx.templates.reset,
    data: { link, expiresInMinutes: minutes(ctx.resetTokenTtlMs) },
  });
}

async function verifyMail(ctx: FlowContext, job: Job<MailJob & { kind: 'verify' }>) {
  const user = await ctx.users.findByEmail(job.payload.email);
  if (user === undefined || user.verified) {
    return record(ctx, job, {
      kind: 'verify',
      status: 'skipped',
      reason: user ? 'already-verified' : 'no-account',
    });
  }
  const link = await issueLink(ctx, 'verify', user);
  await deliver(ctx, {
    job,
    kind: 'verify',
    user,
    template: ctx.templates.verify,
    data: { link, expiresInMinutes: minutes(ctx.verifyTokenTtlMs) },
  });
}

async function userMail(
  ctx: FlowContext,
  job: Job<MailJob & { kind: 'signup-existing' | 'reset-completed' }>,
) {
  const user = await ctx.users.findById(job.payload.userId);
  const kind = job.payload.kind;
  if (user === undefined) return record(ctx, job, { kind, status: 'skipped', reason: 'no-account' });
  const template = kind === 'signup-existing' ? ctx.templates.signupExisting : ctx.templates.resetCompleted;
  const data = { loginUrl: ctx.links.loginUrl, resetUrl: ctx.links.resetUrl };
  await deliver(ctx, { job, kind, user, template, data });
}

/** The handler of {@link ACCOUNTS_JOB_TYPE} jobs. */
export function createMailHandler(ctx: FlowContext): (job: Job) => Promise<void> {
  return async (job) => {
    if (job.type !== ACCOUNTS_JOB_TYPE) throw new TypeError(`not an account mail job: ${job.type}`);
    const mail = job as Job<MailJob>;
    switch (mail.payload.kind) {
      case 'reset':
        return resetMail(ctx, mail as Job<MailJob & { kind: 'reset' }>);
      case 'verify':
        return verifyMail(ctx, mail as Job<MailJob & { kind: 'verify' }>);
      case 'signup-existing':
      case 'reset-completed':
        return userMail(ctx, mail as Job<MailJob & { kind: 'signup-existing' | 'reset-completed' }>);
    }
  };
}
