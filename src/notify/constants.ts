/**
 * Constants the memory and Redis stores share (the Redis scripts get them through `constants`), so the
 * status machine and the limits are written once.
 */
import type { DeliveryStatus } from './types.js';

/** Which status a delivery record may move to from which (provider events arrive out of order). */
export const DELIVERY_TRANSITIONS: Readonly<Record<DeliveryStatus, readonly DeliveryStatus[]>> = {
  sent: ['delivered', 'deferred', 'bounced', 'complained', 'failed'],
  deferred: ['delivered', 'deferred', 'bounced', 'complained', 'failed'],
  // A complaint comes after delivery; nothing else can follow it.
  delivered: ['complained'],
  bounced: [],
  complained: [],
  failed: [],
};

/** The transitions as one string ` from:to ` per move, which Lua searches with a plain `string.find`. */
export const TRANSITIONS_TEXT = ` ${Object.entries(DELIVERY_TRANSITIONS)
  .flatMap(([from, tos]) => tos.map((to) => `${from}:${to}`))
  .join(' ')} `;

/** True when a record at `from` may move to `to`. */
export const canMove = (from: DeliveryStatus, to: DeliveryStatus): boolean =>
  DELIVERY_TRANSITIONS[from].includes(to);

/** Extra time a key lives past the instant stored in it, so garbage collection never races the check. */
export const GC_GRACE_MS = 60_000;

/**
 * How long a digest buffer outlives its window: its flush job may run late (a worker outage, a
 * backlog), and the buffer must still be there; it only ends on its own when the flush job was lost.
 */
export const DIGEST_GRACE_MS = 7 * 86_400_000;
