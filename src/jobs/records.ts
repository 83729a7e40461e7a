/**
 * Conversions between stored records (JSON strings) and the jobs handed to callers, and job ids.
 */
import { randomBytes } from 'node:crypto';
import type { Job, JobError, JobRecord } from './types.js';

const parse = (json: string | undefined): unknown => {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
};

/** The caller's view of a stored job. Hot path (once per claimed job): no spreads. */
export function toJob<P>(record: JobRecord): Job<P> {
  const job: { -readonly [K in keyof Job<P>]: Job<P>[K] } = {
    id: record.id,
    type: record.type,
    payload: parse(record.payloadJson) as P,
    state: record.state,
    priority: record.priority,
    attempts: record.attempts,
    attemptsMade: record.attemptsMade,
    delivery: record.delivery,
    createdAtMs: record.createdAtMs,
    readyAtMs: record.readyAtMs,
    history: record.history,
  };
  if (record.timeoutMs > 0) job.timeoutMs = record.timeoutMs;
  if (record.idempotencyKey) job.idempotencyKey = record.idempotencyKey;
  if (record.progressJson !== undefined) job.progress = parse(record.progressJson);
  if (record.resultJson !== undefined) job.result = parse(record.resultJson);
  if (record.error) job.error = record.error;
  if (record.finishedAtMs !== undefined) job.finishedAtMs = record.finishedAtMs;
  return job;
}

let sequence = 0;
const processTag = randomBytes(3).toString('hex');

/**
 * A new job id: time (base 36, fixed width) then a per-process sequence, so ids sort in creation order
 * within a process (ready jobs with equal scores run in id order), then a random process tag.
 */
export function newJobId(nowMs: number): string {
  sequence = (sequence + 1) % 36 ** 5;
  return `${Math.floor(nowMs).toString(36).padStart(9, '0')}${sequence.toString(36).padStart(5, '0')}${processTag}`;
}

/** Plain-data form of a thrown value, for the job's error and history. */
export function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message,
      name: error.name,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack ? { stack: error.stack.slice(0, 4000) } : {}),
    };
  }
  return { message: typeof error === 'string' ? error : 'non-Error value thrown', name: 'NonError' };
}
