/**
 * The Redis backend's idle wait: one duplicate connection per queue blocks in BLPOP on the queue's wake
 * list, shared by every waiter of that queue in this process (one marker wakes them all). Waits are also
 * bounded by the clock, so a lost connection never parks a worker for longer than it asked.
 */
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import type { WaitForWorkRequest } from './types.js';

/** The connection used for the blocking wait; `client.duplicate()` must return one. */
export interface RedisBlockingClient {
  /** Sends one command (BLPOP). */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Closes the connection. */
  disconnect(): void;
  /** Subscribes to connection errors. */
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');

/** Pause after a failed blocking wait before the worker claims again. */
const BLOCK_RETRY_MS = 100;

/** Blocking waits of one backend. */
export interface RedisWaits {
  /** See `JobBackend.waitForWork`; `wakeKey` is the queue's wake list. */
  wait(wakeKey: string, request: WaitForWorkRequest): Promise<void>;
  /** Disconnects every blocking connection; later waits reject. */
  close(): void;
}

/** Creates the blocking waits of one backend over `duplicate` connections. */
export function createRedisWaits(
  duplicate: () => RedisBlockingClient,
  clock: Clock,
  maxBlockMs: number,
): RedisWaits {
  const blocking = new Map<string, { conn: RedisBlockingClient; pending?: Promise<unknown> }>();
  let closed = false;

  const blockOnce = (wakeKey: string, waitMs: number): Promise<unknown> => {
    let entry = blocking.get(wakeKey);
    if (!entry) {
      const conn = duplicate();
      // This connection is ours: its errors (Redis restarting) must not surface as unhandled 'error'
      // events. Nothing is lost: a failed wait is bounded by its timer, and the next claim reports.
      conn.on('error', () => {});
      entry = { conn };
      blocking.set(wakeKey, entry);
    }
    const current = entry;
    current.pending ??= current.conn
      .call('BLPOP', wakeKey, Math.max(0.01, Math.min(waitMs, maxBlockMs) / 1000))
      .finally(() => {
        current.pending = undefined;
      });
    return current.pending;
  };

  const wait = (wakeKey: string, { maxWaitMs, signal }: WaitForWorkRequest) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      if (closed) return reject(new StoreError('the Redis job backend is closed'));
      const sleeper = new AbortController();
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        sleeper.abort(CANCELLED);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => settle(() => reject(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      // A failed BLPOP (connection lost, or a lazy client not connected yet) ends the wait after a short
      // real-time pause: the worker then claims, which reports a dead Redis and backs off.
      blockOnce(wakeKey, maxWaitMs).then(
        () => settle(resolve),
        () => {
          const retry = setTimeout(() => settle(resolve), BLOCK_RETRY_MS);
          sleeper.signal.addEventListener('abort', () => clearTimeout(retry), { once: true });
        },
      );
      clock.sleep(maxWaitMs, sleeper.signal).then(
        () => settle(resolve),
        () => {},
      );
    });

  return {
    wait,
    close() {
      closed = true;
      for (const entry of blocking.values()) entry.conn.disconnect();
      blocking.clear();
    },
  };
}
