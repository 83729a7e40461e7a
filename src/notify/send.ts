/**
 * The second half of a send: per channel, the idempotency claim, then the gates in order (preferences
 * and the promotional pause for non-transactional categories, the suppression list for every category,
 * then digest, quiet hours), then delivery, then the outcome stored under the claim. A claim is given
 * back only when nothing can have gone out, so a retry or a failover never sends twice.
 */
import { randomUUID } from 'node:crypto';
import { addressOf, type NormalizedRequest, type PreparedChannel } from './compose.js';
import { DIGEST_GRACE_MS } from './constants.js';
import { DIGEST_JOB, JOB_PRIORITY, type NotifierCore, SEND_JOB } from './core.js';
import { deliver } from './delivery.js';
import { IdempotencyMismatchError, SendInProgressError } from './errors.js';
import type { ChannelKind, ProviderError, ProviderMessage } from './provider.js';
import { parseQuietHours, quietUntil } from './schedule.js';
import type { ChannelResult, Preference } from './types.js';

/** A claimed channel, or its stored outcome. */
type Claimed = { readonly token: string } | { readonly replay: ChannelResult };

const newToken = () => randomUUID();

/** Claims the idempotency key of every channel; on a conflict, gives back what it claimed and throws. */
export async function claimAll(
  core: NotifierCore,
  req: NormalizedRequest,
  prepared: readonly PreparedChannel[],
  suffix = '',
): Promise<Claimed[]> {
  const claims: Claimed[] = [];
  try {
    for (const p of prepared) {
      const key = `${req.idempotencyKey}:${p.channel}${suffix}`;
      const token = newToken();
      const ttlMs = core.o.idempotency.inProgressTtlMs;
      const reply = await core.store.claimIdempotency({ key, fingerprint: p.fingerprint, token, ttlMs });
      if (reply.status === 'mismatch') throw new IdempotencyMismatchError(req.idempotencyKey);
      if (reply.status === 'in-progress')
        throw new SendInProgressError(req.idempotencyKey, reply.expiresAtMs);
      claims.push(
        reply.status === 'claimed'
          ? { token }
          : { replay: { ...(JSON.parse(reply.resultJson) as ChannelResult), replayed: true } },
      );
    }
  } catch (error) {
    await releaseAll(core, req, prepared, claims, suffix);
    throw error;
  }
  return claims;
}

/** Gives back every claim still held (best effort: a failed release lapses at its TTL). */
export async function releaseAll(
  core: NotifierCore,
  req: NormalizedRequest,
  prepared: readonly PreparedChannel[],
  claims: readonly Claimed[],
  suffix = '',
): Promise<void> {
  await Promise.all(
    claims.map((c, i) =>
      'token' in c
        ? core.store
            .releaseIdempotency({
              key: `${req.idempotencyKey}:${prepared[i]!.channel}${suffix}`,
              token: c.token,
            })
            .catch(() => false)
        : undefined,
    ),
  );
}

/** Stores a channel's outcome under its claim, or gives the claim back when nothing can have gone out. */
export async function settleClaim(
  core: NotifierCore,
  key: string,
  token: string,
  result: ChannelResult,
): Promise<void> {
  if (result.status === 'failed' && result.failure !== 'ambiguous') {
    await core.store.releaseIdempotency({ key, token });
    return;
  }
  const resultJson = JSON.stringify(result);
  await core.store.completeIdempotency({ key, token, resultJson, ttlMs: core.o.idempotency.resultTtlMs });
}

/** The most specific preference wins: channel+category, channel+*, *+category, *+*. */
export function isOptedOut(prefs: readonly Preference[], channel: ChannelKind, category: string): boolean {
  const find = (c: string, k: string) => prefs.find((p) => p.channel === c && p.category === k);
  const hit = find(channel, category) ?? find(channel, '*') ?? find('*', category) ?? find('*', '*');
  return hit?.optedOut ?? false;
}

/** True when promotional email is paused: complaints over the window above the threshold. */
async function promotionalPaused(core: NotifierCore): Promise<boolean> {
  const { windowMs, complaintRateThreshold, minSends } = core.o.reputation;
  const { sent, complained } = await core.store.reputation(windowMs);
  const rate = sent === 0 ? 0 : complained / sent;
  core.instruments.complaintRate.set(rate);
  return sent >= Math.max(1, minSends) && rate > complaintRateThreshold;
}

const base = (channel: ChannelKind) => ({ channel, replayed: false }) as const;

/** Preferences, the promotional pause and suppression; undefined when the message may go. */
export async function checkGates(
  core: NotifierCore,
  req: NormalizedRequest,
  channel: ChannelKind,
): Promise<ChannelResult | undefined> {
  const address = addressOf(req.to, channel);
  if (address === undefined) return { ...base(channel), status: 'skipped', reason: 'no-address' };
  if (req.kind !== 'transactional') {
    if (isOptedOut(await core.store.getPreferences(req.to.userId), channel, req.category)) {
      return { ...base(channel), status: 'skipped', reason: 'opted-out' };
    }
    if (channel === 'email' && req.kind === 'promotional' && (await promotionalPaused(core))) {
      return { ...base(channel), status: 'skipped', reason: 'promotional-paused' };
    }
  }
  const suppression = await core.store.getSuppression(channel, address);
  if (suppression === undefined) return undefined;
  const labels = { channel, provider: 'none' };
  core.instruments.deliveries.add(1, { ...labels, status: 'attempted' });
  core.instruments.deliveries.add(1, { ...labels, status: 'suppressed' });
  return { ...base(channel), status: 'suppressed', reason: suppression.reason };
}

/** The job that sends a deferred channel later (quiet hours, rate limit). */
async function deferSend(
  core: NotifierCore,
  req: NormalizedRequest,
  message: ProviderMessage,
  runAtMs: number,
  reason: 'quiet-hours' | 'rate-limited',
): Promise<ChannelResult> {
  const payload = { request: { ...req }, channel: message.channel, messageId: message.messageId };
  await core.queue!.add(SEND_JOB, payload, {
    runAtMs,
    priority: JOB_PRIORITY[req.priority],
    idempotencyKey: `notify:${req.idempotencyKey}:${message.channel}:${reason}`,
  });
  return { ...base(message.channel), status: 'queued', reason, runAtMs };
}

/** Appends one item to the recipient's digest; the item that opens a buffer schedules its flush job. */
export async function appendToDigest(
  core: NotifierCore,
  req: NormalizedRequest,
  channel: ChannelKind,
  itemJson: string,
): Promise<number> {
  const digest = core.engine.definition(req.template).digest!;
  const key = `${req.to.userId}\u0000${req.template}\u0000${channel}`;
  const ttlMs = digest.windowMs + DIGEST_GRACE_MS; // outlives a late flush job; a lost one ends here
  const appended = await core.store.appendDigest({ key, itemJson, maxItems: digest.maxItems ?? 100, ttlMs });
  const runAtMs = core.o.clock.now() + digest.windowMs;
  if (appended.first) {
    const payload = { key, request: { ...req, data: {} }, channel, template: digest.template };
    await core.queue!.add(DIGEST_JOB, payload, { runAtMs, priority: JOB_PRIORITY[req.priority] });
  }
  return runAtMs;
}

async function addToDigest(
  core: NotifierCore,
  req: NormalizedRequest,
  channel: ChannelKind,
): Promise<ChannelResult> {
  const runAtMs = await appendToDigest(core, req, channel, JSON.stringify(req.data));
  return { ...base(channel), status: 'queued', reason: 'digest', runAtMs };
}

/** The provider error behind a failed channel result, for `DeliveryFailedError.cause`. */
export const failureCauses = new WeakMap<ChannelResult, ProviderError>();

/** Hands the message to providers now; counts `attempted` and the outcome. */
export async function deliverNow(
  core: NotifierCore,
  req: NormalizedRequest,
  message: ProviderMessage,
  key: string,
  mayDefer: boolean,
): Promise<ChannelResult> {
  const channel = message.channel;
  const outcome = await deliver(core.slots[channel] ?? [], message, key, core.delivery, mayDefer);
  if (!outcome.ok && outcome.rateLimitedForMs !== undefined && mayDefer) {
    return deferSend(core, req, message, core.o.clock.now() + outcome.rateLimitedForMs, 'rate-limited');
  }
  const provider = outcome.ok ? outcome.provider : (outcome.error?.provider ?? 'none');
  core.instruments.deliveries.add(1, { channel, provider, status: 'attempted' });
  if (!outcome.ok) {
    core.instruments.deliveries.add(1, { channel, provider, status: 'failed' });
    const failed: ChannelResult = {
      ...base(channel),
      status: 'failed',
      messageId: message.messageId,
      failure: outcome.failure,
      attempts: outcome.attempts,
    };
    if (outcome.error) failureCauses.set(failed, outcome.error);
    return failed;
  }
  core.instruments.deliveries.add(1, { channel, provider, status: 'sent' });
  return {
    ...base(channel),
    status: 'sent',
    messageId: message.messageId,
    provider: outcome.provider,
    providerMessageId: outcome.providerMessageId,
    attempts: outcome.attempts,
  };
}

/** After a provider accepted: the record for events, and the reputation count. A failure here is not a failed send. */
export async function recordSent(
  core: NotifierCore,
  req: NormalizedRequest,
  result: ChannelResult,
): Promise<void> {
  if (result.status !== 'sent') return;
  const recipient = addressOf(req.to, result.channel) ?? '';
  await core.store.putDelivery({
    messageId: result.messageId,
    channel: result.channel,
    provider: result.provider,
    providerMessageId: result.providerMessageId,
    recipient,
    category: req.category,
    ttlMs: core.o.deliveryRecordTtlMs,
  });
  if (result.channel === 'email')
    await core.store.addReputation({ sent: 1, complained: 0, windowMs: core.o.reputation.windowMs });
}

function quietEnd(core: NotifierCore, req: NormalizedRequest): number | undefined {
  const own = req.to.quietHours;
  if (own === null || core.queue === undefined || req.priority === 'high') return undefined;
  const window = own === undefined ? core.quiet : parseQuietHours('to.quietHours', own, false);
  if (window === undefined) return undefined;
  return quietUntil(core.o.clock.now(), req.to.timeZone ?? 'UTC', window);
}

/** One channel of a fresh send, after its claim. */
export async function runChannel(
  core: NotifierCore,
  req: NormalizedRequest,
  p: PreparedChannel,
  key: string,
): Promise<ChannelResult> {
  const gated = await checkGates(core, req, p.channel);
  if (gated !== undefined || p.message === undefined)
    return gated ?? { ...base(p.channel), status: 'skipped', reason: 'no-address' };
  const digest = core.engine.definition(req.template).digest;
  if (digest !== undefined && req.priority !== 'high' && core.queue !== undefined)
    return addToDigest(core, req, p.channel);
  const until = quietEnd(core, req);
  if (until !== undefined) return deferSend(core, req, p.message, until, 'quiet-hours');
  return deliverNow(core, req, p.message, key, core.queue !== undefined && req.priority !== 'high');
}
