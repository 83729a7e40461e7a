/**
 * The dead-letter queue of a job queue: list, get, paced redrive and purge, over the backend port.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { unsupported } from './capabilities.js';
import { toJob } from './records.js';
import type { Job, JobBackend, JobBackendCapabilities } from './types.js';

/** The dead-letter queue of a job queue. */
export interface DeadLetterQueue {
  /**
   * Dead jobs, oldest death first. Defaults: offset 0, limit 100 (max 1000). `UnsupportedError`
   * (`capability: 'listDead'`) on a backend that cannot page its dead-letter queue.
   */
  list(options?: { offset?: number; limit?: number }): Promise<Job[]>;
  /** One job by id (any state), or undefined. `UnsupportedError` (`capability: 'lookup'`) without lookup. */
  get(id: string): Promise<Job | undefined>;
  /**
   * Moves dead jobs back to the queue with a fresh budget. `ratePerSec` paces the moves so a redrive
   * does not flood workers or the dependency that failed. Returns how many moved. `'all'` pages the
   * dead-letter queue, so it needs `listDead` (`UnsupportedError` otherwise); ids work everywhere.
   */
  redrive(ids: readonly string[] | 'all', options?: { ratePerSec?: number }): Promise<number>;
  /** Deletes every dead job; returns how many. */
  purge(): Promise<number>;
}

/** Jobs moved per redrive call (and the most a paced redrive moves per step). */
const REDRIVE_BATCH = 100;
/** Jobs deleted per purge call. */
const PURGE_BATCH = 500;

/** What the dead-letter queue needs from its queue. */
export interface DeadLetterDeps {
  readonly name: string;
  readonly backend: JobBackend;
  readonly caps: JobBackendCapabilities;
  readonly clock: Clock;
  /** Throws when the queue is closed. */
  open(): void;
  /** The queue's lookup; `what` names the caller in an `UnsupportedError`. */
  getJob(id: string, what: string): Promise<Job | undefined>;
}

function checkIds(ids: unknown): readonly string[] | 'all' {
  if (ids === 'all') return ids;
  if (!Array.isArray(ids)) throw new InvalidArgumentError("`ids` must be an array of job ids or 'all'");
  for (const id of ids) argument.key('id', id, 256);
  return ids;
}

/** Moves `ids` (or every job dead when the call started) in batches, sleeping between them when paced. */
async function redriveBatches(
  d: DeadLetterDeps,
  ids: readonly string[] | 'all',
  ratePerSec: number | undefined,
): Promise<number> {
  const batchSize =
    ratePerSec === undefined ? REDRIVE_BATCH : Math.max(1, Math.min(REDRIVE_BATCH, Math.floor(ratePerSec)));
  // 'all' means the jobs dead when the call started: later deaths are not chased forever.
  let budget = ids === 'all' ? (await d.backend.counts(d.name)).dead : ids.length;
  let offset = 0;
  let moved = 0;
  while (budget > 0) {
    const batch =
      ids === 'all'
        ? (await d.backend.listDead(d.name, { offset: 0, limit: Math.min(batchSize, budget) })).map(
            (r) => r.id,
          )
        : ids.slice(offset, offset + batchSize);
    if (batch.length === 0) break;
    offset += batch.length;
    budget -= batch.length;
    const count = await d.backend.redrive(d.name, batch);
    moved += count;
    if (ids === 'all' && count === 0) break;
    if (ratePerSec !== undefined && budget > 0) await d.clock.sleep((batch.length / ratePerSec) * 1000);
  }
  return moved;
}

/** Creates the dead-letter queue of one queue. */
export function createDeadLetterQueue(d: DeadLetterDeps): DeadLetterQueue {
  return {
    async list(listOptions = {}) {
      d.open();
      if (!d.caps.listDead) throw unsupported('listDead', d.backend.kind, '`deadLetters.list`');
      const offset = listOptions.offset === undefined ? 0 : argument.integer('offset', listOptions.offset, 0);
      const limit =
        listOptions.limit === undefined ? 100 : argument.integer('limit', listOptions.limit, 1, 1000);
      return (await d.backend.listDead(d.name, { offset, limit })).map((r) => toJob(r));
    },
    get: (id) => d.getJob(id, '`deadLetters.get`'),
    async redrive(ids, redriveOptions = {}) {
      d.open();
      const { ratePerSec } = redriveOptions;
      if (ratePerSec !== undefined) argument.number('ratePerSec', ratePerSec, Number.MIN_VALUE);
      const checked = checkIds(ids);
      if (checked === 'all' && !d.caps.listDead)
        throw unsupported('listDead', d.backend.kind, "`deadLetters.redrive('all')`");
      return redriveBatches(d, checked, ratePerSec);
    },
    async purge() {
      d.open();
      let total = 0;
      for (;;) {
        const n = await d.backend.purgeDead(d.name, PURGE_BATCH);
        total += n;
        if (n < PURGE_BATCH) return total;
      }
    },
  };
}
