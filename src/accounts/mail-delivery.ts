/**
 * One account mail through the Notifier, and its bookkeeping: the outcome becomes the request's
 * {@link MailRecord}; a suppressed address, or a send that failed for good, is reported to the app
 * (`onUndeliverable`); anything else that failed throws, so the job retries with its backoff.
 */
import type { Job } from '../jobs/index.js';
import { type ChannelResult, DeliveryFailedError } from '../notify/index.js';
import type { FlowContext } from './context.js';
import type { MailJob } from './mail.js';
import type { AccountMailKind, AccountMailStatus, AccountUser, MailRecord } from './types.js';

/** One mail to send. */
export interface Delivery {
  readonly job: Job<MailJob>;
  readonly kind: AccountMailKind;
  readonly user: Pick<AccountUser, 'id' | 'email'>;
  readonly template: string;
  readonly data: Readonly<Record<string, string>>;
}

export async function record(
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
export async function deliver(ctx: FlowContext, d: Delivery): Promise<void> {
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
