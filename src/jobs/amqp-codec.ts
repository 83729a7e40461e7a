/**
 * Job records as RabbitMQ message bodies (JSON, versioned) and back. Anything in a queue that is not
 * such a body (another producer's message, a truncated one) decodes to a reason, never a throw: the
 * consumer dead-letters it with that reason and goes on.
 */
import { HISTORY_LIMIT } from './constants.js';
import type { AttemptRecord, Delivery, JobError, JobRecord, StoredBackoff } from './types.js';

/** Version tag of the body format. */
const VERSION = 1;

/** A job as carried in a message: the record without the fields that live only in a claim. */
export type WireJob = Omit<JobRecord, 'progressJson' | 'resultJson' | 'idempotencyKey'>;

/** The message body of `job`. */
export function encodeJob(job: WireJob): Buffer {
  return Buffer.from(JSON.stringify({ v: VERSION, ...job }), 'utf8');
}

/** A decoded body, or why it is not one of ours. */
export type Decoded =
  | { readonly ok: true; readonly job: WireJob }
  | { readonly ok: false; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
/** Longest timer Node runs (a larger one fires after 1 ms): a bigger `timeoutMs` is not one of ours. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Latest `readyAtMs` we accept: year 2286. A job "ready" later would circle the ladder for ever. */
const MAX_EPOCH_MS = 10 ** 13;
const isTimeout = (v: unknown): v is number => isCount(v) && v <= MAX_TIMEOUT_MS;
const isInstant = (v: unknown): v is number => isTime(v) && v <= MAX_EPOCH_MS;

function isJobError(v: unknown): v is JobError {
  return isObject(v) && typeof v.message === 'string';
}

function isBackoff(v: unknown): v is StoredBackoff {
  if (!isObject(v)) return false;
  if (v.type === 'custom') return true;
  if (v.type === 'fixed') return isCount(v.delayMs);
  return v.type === 'exponential' && isCount(v.delayMs) && isCount(v.maxDelayMs) && isTime(v.jitter);
}

function isHistory(v: unknown): v is AttemptRecord[] {
  return (
    Array.isArray(v) &&
    v.length <= HISTORY_LIMIT &&
    v.every(
      (h) =>
        isObject(h) &&
        isCount(h.attempt) &&
        isTime(h.startedAtMs) &&
        isTime(h.endedAtMs) &&
        isJobError(h.error),
    )
  );
}

/** The first field of `b` that is not as encodeJob writes it, or undefined when all are. */
function badField(b: Record<string, unknown>): string | undefined {
  if (b.v !== VERSION) return 'v';
  if (typeof b.id !== 'string' || b.id.length === 0 || b.id.length > 256) return 'id';
  if (typeof b.type !== 'string' || b.type.length === 0 || b.type.length > 128) return 'type';
  if (typeof b.payloadJson !== 'string') return 'payloadJson';
  if (!Number.isSafeInteger(b.attempts) || (b.attempts as number) < 1) return 'attempts';
  if (!isCount(b.attemptsMade)) return 'attemptsMade';
  if (b.delivery !== 'at-least-once' && b.delivery !== 'at-most-once') return 'delivery';
  if (!isTimeout(b.timeoutMs)) return 'timeoutMs';
  if (!isBackoff(b.backoff)) return 'backoff';
  if (!isInstant(b.createdAtMs)) return 'createdAtMs';
  if (!isInstant(b.readyAtMs)) return 'readyAtMs';
  if (!isHistory(b.history)) return 'history';
  if (b.error !== undefined && !isJobError(b.error)) return 'error';
  if (b.finishedAtMs !== undefined && !isTime(b.finishedAtMs)) return 'finishedAtMs';
  return undefined;
}

/** Decodes a message body written by {@link encodeJob}. */
export function decodeJob(content: Buffer): Decoded {
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (!isObject(body)) return { ok: false, reason: 'the body is not a JSON object' };
  const bad = badField(body);
  if (bad !== undefined) return { ok: false, reason: `the body's \`${bad}\` is missing or invalid` };
  try {
    JSON.parse(body.payloadJson as string);
  } catch {
    return { ok: false, reason: "the body's `payloadJson` is not JSON" };
  }
  const job: WireJob = {
    id: body.id as string,
    type: body.type as string,
    payloadJson: body.payloadJson as string,
    state: body.state === 'dead' ? 'dead' : 'ready',
    priority: 0,
    attempts: body.attempts as number,
    attemptsMade: body.attemptsMade as number,
    delivery: body.delivery as Delivery,
    timeoutMs: body.timeoutMs as number,
    backoff: body.backoff as StoredBackoff,
    createdAtMs: body.createdAtMs as number,
    readyAtMs: body.readyAtMs as number,
    history: body.history as AttemptRecord[],
    ...(body.error === undefined ? {} : { error: body.error as JobError }),
    ...(body.finishedAtMs === undefined ? {} : { finishedAtMs: body.finishedAtMs as number }),
  };
  return { ok: true, job };
}

/** Longest part of a foreign body kept as the payload of its dead-letter record. */
const FOREIGN_KEEP_BYTES = 64 * 1024;

/**
 * The dead-letter record of a message that is not a job: its body (as text, cut at 64 KiB) becomes
 * the payload, the reason its error, so it can be listed, inspected and purged like any dead job.
 */
export function foreignRecord(id: string, content: Buffer, reason: string, nowMs: number): WireJob {
  const error: JobError = {
    name: 'AmqpDecodeError',
    code: 'ERR_STORE',
    message: `a message in the queue is not a job of this library: ${reason}`,
  };
  return {
    id,
    type: 'unreadable',
    payloadJson: JSON.stringify(content.subarray(0, FOREIGN_KEEP_BYTES).toString('utf8')),
    state: 'dead',
    priority: 0,
    attempts: 1,
    attemptsMade: 1,
    delivery: 'at-least-once',
    timeoutMs: 0,
    backoff: { type: 'custom' },
    createdAtMs: nowMs,
    readyAtMs: nowMs,
    history: [{ attempt: 1, startedAtMs: nowMs, endedAtMs: nowMs, error }],
    error,
    finishedAtMs: nowMs,
  };
}

/** `history` with `entry` appended, keeping the last {@link HISTORY_LIMIT}. */
export function appendHistory(history: readonly AttemptRecord[], entry: AttemptRecord): AttemptRecord[] {
  const next = [...history, entry];
  return next.length > HISTORY_LIMIT ? next.slice(next.length - HISTORY_LIMIT) : next;
}
