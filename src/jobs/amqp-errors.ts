/**
 * Errors of a bulk add that RabbitMQ accepted in part: it has no atomic multi-publish, so a batch whose
 * publishes were confirmed one by one can be refused after some were queued. The ids say which.
 */
import { StoreError } from '../core/errors.js';
import { QueueFullError } from './errors.js';

/** What a partly accepted batch carries. */
export interface PartialAdd {
  /** Jobs confirmed by the broker: they are queued and will run. */
  readonly addedIds: readonly string[];
  /** Jobs refused or unconfirmed: not queued (or, when unconfirmed, unknown). */
  readonly failedIds: readonly string[];
}

/** The work queue filled up during an `addBulk`: `addedIds` were queued, `failedIds` were not. */
export class AmqpPartialQueueFullError extends QueueFullError implements PartialAdd {
  readonly addedIds: readonly string[];
  readonly failedIds: readonly string[];
  constructor(message: string, maxDepth: number, partial: PartialAdd) {
    super(message, maxDepth);
    this.addedIds = partial.addedIds;
    this.failedIds = partial.failedIds;
  }
}

/** The connection failed during an `addBulk`: `addedIds` were confirmed, `failedIds` may or may not be queued. */
export class AmqpPartialAddError extends StoreError implements PartialAdd {
  readonly addedIds: readonly string[];
  readonly failedIds: readonly string[];
  constructor(message: string, partial: PartialAdd, options?: { cause?: unknown }) {
    super(message, options);
    this.addedIds = partial.addedIds;
    this.failedIds = partial.failedIds;
  }
}
