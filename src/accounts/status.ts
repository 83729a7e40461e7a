/**
 * The card's failure mode, "email not delivered or caught in spam filters", made visible: a request's
 * mail record follows the notifier's delivery record (sent, delivered, deferred, bounced, complained),
 * and the first time a bounce or complaint shows up the app hears of it through `onUndeliverable`.
 */
import type { FlowContext } from './context.js';
import type { AccountMailStatus, MailRecord } from './types.js';

const UNDELIVERABLE = new Set<AccountMailStatus>(['bounced', 'complained']);

/** `deliveryStatus`: the request's mail record, brought up to date from the notifier. */
export async function deliveryStatus(ctx: FlowContext, requestId: string): Promise<MailRecord | undefined> {
  if (typeof requestId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(requestId)) return undefined;
  const mail = await ctx.store.getMail(requestId);
  if (mail?.messageId === undefined) return mail;
  const delivery = await ctx.notifier.getDelivery({ messageId: mail.messageId });
  if (delivery === undefined || delivery.status === mail.status) return mail;
  const status: AccountMailStatus = delivery.status;
  const { updatedAtMs: _, ...fields } = mail;
  const updated = { ...fields, status, ...(delivery.reason ? { reason: delivery.reason } : {}) };
  await ctx.store.putMail({ record: updated, ttlMs: ctx.mailRecordTtlMs });
  ctx.instruments.mail.add(1, { kind: mail.kind, status });
  if (UNDELIVERABLE.has(status) && mail.userId !== undefined) {
    ctx.onUndeliverable?.({
      requestId,
      kind: mail.kind,
      userId: mail.userId,
      email: delivery.recipient,
      status: status as 'bounced' | 'complained',
      ...(delivery.reason ? { reason: delivery.reason } : {}),
    });
  }
  return (await ctx.store.getMail(requestId)) ?? { ...updated, updatedAtMs: ctx.clock.now() };
}
