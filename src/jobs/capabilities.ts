/**
 * What a backend declares it can do, checked before anything is written: a request outside the
 * declaration is answered with a typed `UnsupportedError` (`ERR_UNSUPPORTED`, `capability` set to the
 * field of {@link JobBackendCapabilities} it needs), never silently dropped or approximated.
 */
import { UnsupportedError } from '../core/errors.js';
import { optionError } from '../core/options.js';
import type { ResolvedJobOptions } from './job-options.js';
import {
  FULL_JOB_CAPABILITIES,
  type JobBackend,
  type JobBackendCapabilities,
  type JobQueueOptions,
  type OverflowPolicy,
} from './types.js';

const OVERFLOWS: readonly OverflowPolicy[] = ['reject', 'drop-oldest', 'dead-letter'];
const FLAGS = ['lookup', 'idempotency', 'progress', 'listDead'] as const;
const CHOICES = {
  lag: ['exact', 'estimated'],
  leases: ['timed', 'connection'],
  time: ['injected', 'wall'],
  pause: ['global', 'local'],
} as const;

const isInteger = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/**
 * The capabilities of `backend` ({@link FULL_JOB_CAPABILITIES} when it declares none), checked for
 * shape: a malformed declaration is an `InvalidOptionError` of `owner` at construction, not a
 * surprise at the first call.
 */
export function capabilitiesOf(backend: JobBackend, owner: string): JobBackendCapabilities {
  const caps: unknown = backend.capabilities;
  if (caps === undefined) return FULL_JOB_CAPABILITIES;
  const path = 'backend.capabilities';
  if (typeof caps !== 'object' || caps === null) throw optionError(owner, path, 'an object', caps);
  const c = caps as Record<string, unknown>;
  for (const flag of FLAGS) {
    if (typeof c[flag] !== 'boolean') throw optionError(owner, `${path}.${flag}`, 'a boolean', c[flag]);
  }
  for (const [field, allowed] of Object.entries(CHOICES)) {
    if (!(allowed as readonly unknown[]).includes(c[field]))
      throw optionError(owner, `${path}.${field}`, allowed.map((a) => `'${a}'`).join(' or '), c[field]);
  }
  if (!isInteger(c.maxPriority, 0, 1000))
    throw optionError(owner, `${path}.maxPriority`, 'an integer 0..1000', c.maxPriority);
  const overflow = c.overflow;
  if (!Array.isArray(overflow) || !overflow.every((p) => OVERFLOWS.includes(p)))
    throw optionError(owner, `${path}.overflow`, 'an array of overflow policies', overflow);
  if (c.maxAttemptMs !== undefined && !isInteger(c.maxAttemptMs, 1, Number.MAX_SAFE_INTEGER))
    throw optionError(owner, `${path}.maxAttemptMs`, 'a positive integer', c.maxAttemptMs);
  return caps as JobBackendCapabilities;
}

/** The error for `what`, which needs `capability`, on a backend of `kind`. */
export function unsupported(capability: string, kind: string, what: string): UnsupportedError {
  return new UnsupportedError(
    capability,
    `${what} is not supported by the \`${kind}\` job backend (capability \`${capability}\`)`,
  );
}

/**
 * Queue options the backend cannot honour, from the options as given (not their defaults): a depth
 * limit whose overflow policy is not offered, an explicit overflow policy not offered, an explicit
 * `keepCompletedMs` > 0 without lookup (nothing could read the kept result), an explicit
 * `idempotencyWindowMs` without idempotency.
 */
export function checkQueueOptions(caps: JobBackendCapabilities, kind: string, given: JobQueueOptions): void {
  const overflow = given.overflow ?? 'reject';
  if ((given.maxDepth !== undefined || given.overflow !== undefined) && !caps.overflow.includes(overflow)) {
    const what =
      given.maxDepth === undefined
        ? `\`overflow: '${overflow}'\``
        : `\`maxDepth\` with overflow '${overflow}'`;
    throw unsupported('overflow', kind, what);
  }
  if (!caps.lookup && given.keepCompletedMs !== undefined && given.keepCompletedMs !== 0)
    throw unsupported('lookup', kind, '`keepCompletedMs` (completed jobs cannot be read back)');
  if (!caps.idempotency && given.idempotencyWindowMs !== undefined)
    throw unsupported('idempotency', kind, '`idempotencyWindowMs`');
}

/** A job's options the backend cannot honour: priority above `maxPriority`, an idempotency key, a timeout above `maxAttemptMs`. */
export function checkJobOptions(caps: JobBackendCapabilities, kind: string, job: ResolvedJobOptions): void {
  if (job.priority > caps.maxPriority) {
    const levels = caps.maxPriority === 0 ? 'only priority 0' : `priorities 0..${caps.maxPriority}`;
    throw unsupported('maxPriority', kind, `\`priority: ${job.priority}\` (it takes ${levels})`);
  }
  if (!caps.idempotency && job.idempotencyKey !== undefined)
    throw unsupported('idempotency', kind, '`idempotencyKey`');
  checkAttemptMs(caps, kind, job.timeoutMs, 'a job `timeoutMs`');
}

/** A per-attempt limit above what the backend can hold a job for (0: none set, nothing to check). */
export function checkAttemptMs(
  caps: JobBackendCapabilities,
  kind: string,
  timeoutMs: number,
  what: string,
): void {
  if (caps.maxAttemptMs === undefined || timeoutMs <= caps.maxAttemptMs) return;
  throw unsupported(
    'maxAttemptMs',
    kind,
    `${what} of ${timeoutMs} ms (above the backend's ${caps.maxAttemptMs} ms per attempt)`,
  );
}
