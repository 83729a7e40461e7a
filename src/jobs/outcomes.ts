/**
 * Recording an attempt's outcome: a completion (batched, fenced by the claim token), or a failure with
 * its retry delay. The delay comes from the job's stored backoff, or for `{ type: 'custom' }` from the
 * worker's `backoff` option; a worker without one dead-letters the job with a typed error rather than
 * retrying after a delay it made up.
 */
import { isBackendPatternsError } from '../core/errors.js';
import { backoffDelayMs, clampDelayMs } from './backoff.js';
import { BackoffUnresolvedError } from './errors.js';
import type { Running } from './handler-context.js';
import { encodeResult } from './payload.js';
import { toJobError } from './records.js';
import type { CompleteInput, JobError } from './types.js';
import type { WorkerCore } from './worker-core.js';

/** What a handler call came to. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What to store for a failed attempt. */
interface Failure {
  readonly error: JobError;
  readonly retryDelayMs: number | null;
}

const isRetryable = (error: unknown) =>
  !isBackendPatternsError(error, 'ERR_JOB_NON_RETRYABLE') &&
  (error as { retryable?: unknown } | null)?.retryable !== false;

/** The stored error and retry delay (null: dead-letter now) of a failed attempt. */
function failureOf(core: WorkerCore, r: Running, error: unknown): Failure {
  const { job } = r;
  const attempt = job.attemptsMade + r.charged;
  if (!isRetryable(error) || attempt >= job.attempts) return { error: toJobError(error), retryDelayMs: null };
  if (job.backoff.type !== 'custom') {
    return { error: toJobError(error), retryDelayMs: backoffDelayMs(job.backoff, attempt) };
  }
  const own = core.options.backoff;
  if (own) return { error: toJobError(error), retryDelayMs: clampDelayMs(own(attempt, error, r.view)) };
  const cause = error instanceof Error ? error.message : String(error);
  const unresolved = new BackoffUnresolvedError(
    `job ${job.id} has backoff { type: 'custom' } but this worker has no \`backoff\` option, so it was ` +
      `dead-lettered instead of retried; the attempt failed with: ${cause}`,
    job.id,
    { cause: error },
  );
  core.report(unresolved, r.view);
  return { error: toJobError(unresolved), retryDelayMs: null };
}

/** Records outcomes; `complete` is the batcher's, `leaseLost` is called when a result was fenced off. */
export function createOutcomeRecorder(
  core: WorkerCore,
  complete: (input: CompleteInput) => Promise<boolean>,
  leaseLost: (r: Running) => void,
) {
  const { processed } = core.instruments;
  const { labels } = core;

  const succeed = async (r: Running, value: unknown) => {
    r.finishing = true;
    core.slots.finishing++;
    const { job } = r;
    const applied = await complete({
      id: job.id,
      token: job.token,
      resultJson: encodeResult(value),
      chargedAttempts: r.charged,
      keepCompletedMs: core.keepCompletedMs,
    });
    if (applied) processed.add(1, { ...labels, outcome: 'completed' });
    else leaseLost(r);
  };

  const failed = async (r: Running, error: unknown) => {
    const { job } = r;
    const failure = failureOf(core, r, error);
    const result = await core.backend.fail(core.name, {
      id: job.id,
      token: job.token,
      error: failure.error,
      retryDelayMs: failure.retryDelayMs,
      chargedAttempts: r.charged,
    });
    if (result === 'lost') return leaseLost(r);
    processed.add(1, { ...labels, outcome: 'failed' });
    processed.add(1, { ...labels, outcome: result });
  };

  return async (r: Running, outcome: Outcome): Promise<void> => {
    if (r.job.token === '') {
      // at-most-once: the job is already gone from the backend; only the metric remains.
      processed.add(1, { ...labels, outcome: outcome.ok ? 'completed' : 'failed' });
      return;
    }
    await (outcome.ok ? succeed(r, outcome.value) : failed(r, outcome.error));
  };
}
