/**
 * The notifier's jobs: a deferred send (quiet hours, our own rate limit) and a digest flush. Both run
 * at least once (the JobQueue's default), so each claims its own idempotency key before sending: a job
 * that runs twice sends once.
 *
 * A digest is taken out of its buffer before it is sent. When the delivery fails the items go back into
 * a new buffer (flushed one window later); a crash between the take and the send loses that digest.
 */
import { createHash } from 'node:crypto';
import { type Job, NonRetryableError } from '../jobs/index.js';
import { type NormalizedRequest, newMessageId, normalizeRequest, prepareOne } from './compose.js';
import { DIGEST_JOB, type NotifierCore, SEND_JOB } from './core.js';
import type { ChannelKind } from './provider.js';
import { appendToDigest, checkGates, claimAll, deliverNow, recordSent, settleClaim } from './send.js';
import type { ChannelResult, SendRequest } from './types.js';

interface SendJobPayload {
  readonly request: NormalizedRequest;
  readonly channel: ChannelKind;
  readonly messageId: string;
}

interface DigestJobPayload {
  readonly key: string;
  readonly request: NormalizedRequest;
  readonly channel: ChannelKind;
  readonly template: string;
}

/** A stored request back into a checked one (it is checked again: the payload crossed a process). */
function reload(
  core: NotifierCore,
  r: NormalizedRequest,
  channel: ChannelKind,
  idempotencyKey: string,
  data = r.data,
) {
  const request: SendRequest = {
    to: r.to,
    template: r.template,
    data,
    category: r.category,
    priority: r.priority,
    idempotencyKey,
    channels: [channel],
  };
  return normalizeRequest(core, request);
}

/** Claims, gates, delivers and settles one prepared channel of a job. */
async function runJobChannel(
  core: NotifierCore,
  req: NormalizedRequest,
  template: string,
  data: Readonly<Record<string, unknown>>,
  channel: ChannelKind,
  messageId: string,
  suffix: string,
): Promise<ChannelResult> {
  const prepared = prepareOne(core, req, channel, template, data, messageId);
  const [claim] = await claimAll(core, req, [prepared], suffix);
  if (claim === undefined || 'replay' in claim) return claim?.replay as ChannelResult;
  const key = `${req.idempotencyKey}:${channel}${suffix}`;
  let result: ChannelResult;
  try {
    result =
      (await checkGates(core, req, channel)) ?? (await deliverNow(core, req, prepared.message!, key, false));
  } catch (error) {
    await core.store.releaseIdempotency({ key, token: claim.token }).catch(() => false);
    throw error;
  }
  await settleClaim(core, key, claim.token, result);
  await recordSent(core, req, result);
  return result;
}

function failJob(result: ChannelResult): void {
  if (result.status !== 'failed' || result.failure === 'ambiguous') return; // ambiguous: stored, never retried
  const message = `notify delivery failed (${result.failure})`;
  throw result.failure === 'permanent' ? new NonRetryableError(message) : new Error(message);
}

async function runSendJob(core: NotifierCore, payload: SendJobPayload): Promise<ChannelResult> {
  const req = reload(core, payload.request, payload.channel, payload.request.idempotencyKey);
  const result = await runJobChannel(
    core,
    req,
    req.template,
    req.data,
    payload.channel,
    payload.messageId,
    ':deferred',
  );
  failJob(result);
  return result;
}

async function runDigestJob(
  core: NotifierCore,
  payload: DigestJobPayload,
  jobId: string,
): Promise<ChannelResult | 'empty'> {
  const taken = await core.store.takeDigest(payload.key);
  if (taken.count === 0) return 'empty';
  const items = taken.items.map((item) => JSON.parse(item) as unknown);
  const data = { items, count: taken.count, truncated: taken.count > items.length };
  const keyHash = createHash('sha256').update(payload.key).digest('base64url').slice(0, 22);
  const req = reload(core, payload.request, payload.channel, `digest:${keyHash}:${jobId}`, {});
  const result = await runJobChannel(core, req, payload.template, data, payload.channel, newMessageId(), '');
  if (result.status === 'failed' && result.failure !== 'ambiguous') {
    // Nothing went out: the items go back for the next window (which schedules its own flush).
    for (const itemJson of taken.items)
      await appendToDigest(core, payload.request, payload.channel, itemJson);
  }
  return result;
}

/** The handler of the notifier's jobs, for `createWorker(queue, handler)`. */
export function createJobHandler(core: NotifierCore) {
  return async (job: Job): Promise<unknown> => {
    if (job.type === SEND_JOB) return runSendJob(core, job.payload as SendJobPayload);
    if (job.type === DIGEST_JOB) return runDigestJob(core, job.payload as DigestJobPayload, job.id);
    throw new NonRetryableError(`not a notifier job: \`${job.type}\``);
  };
}
