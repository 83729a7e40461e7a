/**
 * The notify bench's settings, from the environment: BENCH_NOTIFY_MESSAGES (2000 per round and side),
 * BENCH_NOTIFY_WARMUP (1000 per side), BENCH_NOTIFY_ROUNDS (5 per side), BENCH_NOTIFY_CONCURRENCY (16 in
 * flight), BENCH_NOTIFY_EVENTS (2000) and BENCH_NOTIFY_RECIPIENTS (100).
 */
import { setting } from '../support/settings.js';
import type { DigestSettings } from './digest.js';
import type { RenderSettings } from './render.js';

/** The run's settings. */
export interface NotifyBenchSettings {
  readonly render: RenderSettings;
  readonly digest: DigestSettings;
}

/** Reads the settings; a value that is not an integer in range throws, naming its variable. */
export function notifyBenchSettings(): NotifyBenchSettings {
  const rounds = setting('BENCH_NOTIFY_ROUNDS', 5, 1);
  const concurrency = setting('BENCH_NOTIFY_CONCURRENCY', 16, 1);
  return {
    render: {
      messages: setting('BENCH_NOTIFY_MESSAGES', 2000, 1),
      warmup: setting('BENCH_NOTIFY_WARMUP', 1000, 1),
      rounds,
      concurrency,
    },
    digest: {
      events: setting('BENCH_NOTIFY_EVENTS', 2000, 1),
      recipients: setting('BENCH_NOTIFY_RECIPIENTS', 100, 1),
      rounds,
      concurrency,
    },
  };
}
