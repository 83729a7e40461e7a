/**
 * The two deadlines of a proxied body, on the injected clock (so tests drive them with a manual clock):
 *
 * - idle: no chunk for `idleTimeoutMs` while the pipeline is waiting for one. The timer runs only during a
 *   read: time spent waiting for a slow store or scanner (our own backpressure) is not the client's
 *   idleness. This is what cuts a slowloris body that trickles one byte at a time.
 * - total: the whole body must have arrived `totalTimeoutMs` after the start, however steadily it trickles.
 *
 * One sleeper per deadline, not one per chunk: the idle watchdog wakes, compares the clock with the start of
 * the current read, and sleeps again for what is left. `stop()` cancels both sleepers.
 */
import type { Clock } from '../core/clock.js';
import { UploadRejectedError } from './errors.js';

/** Options of {@link startDeadlines}. */
export interface DeadlineOptions {
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  /** Called at most once, with an ERR_UPLOAD_TIMEOUT, when a deadline passes. */
  readonly onTimeout: (error: UploadRejectedError<'ERR_UPLOAD_TIMEOUT'>) => void;
}

/** Running deadlines of one body. */
export interface BodyDeadlines {
  /** A read starts: the idle timer runs from now, or keeps running when no byte came since the last start. */
  readStarted(): void;
  /** The read resolved (a chunk or the end): the idle timer pauses. */
  readEnded(): void;
  /** Cancels both timers (the body ended, or the upload failed). Idempotent. */
  stop(): void;
}

/** Starts the total timer now and an idle watchdog; see the module comment. */
export function startDeadlines(options: DeadlineOptions): BodyDeadlines {
  const { clock, idleTimeoutMs, totalTimeoutMs } = options;
  const control = new AbortController();
  let readSinceMs: number | undefined;
  let fired = false;

  const fire = (which: 'idle' | 'total', limitMs: number) => {
    if (fired || control.signal.aborted) return;
    fired = true;
    control.abort();
    const message =
      which === 'idle'
        ? `no body bytes for ${limitMs} ms (idle timeout)`
        : `the body did not arrive within ${limitMs} ms (total timeout)`;
    options.onTimeout(new UploadRejectedError('ERR_UPLOAD_TIMEOUT', message));
  };

  const watchIdle = async () => {
    for (;;) {
      const since = readSinceMs;
      const waitMs = since === undefined ? idleTimeoutMs : since + idleTimeoutMs - clock.now();
      if (since !== undefined && waitMs <= 0) return fire('idle', idleTimeoutMs);
      await clock.sleep(waitMs, control.signal);
    }
  };
  const watchTotal = async () => {
    await clock.sleep(totalTimeoutMs, control.signal);
    fire('total', totalTimeoutMs);
  };
  // A sleep rejected by stop() is the normal end of a watchdog.
  watchIdle().catch(() => {});
  watchTotal().catch(() => {});

  return {
    readStarted() {
      readSinceMs ??= clock.now();
    },
    readEnded() {
      readSinceMs = undefined;
    },
    stop() {
      control.abort();
    },
  };
}
