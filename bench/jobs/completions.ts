/** Completion counting for the jobs bench, through the Metrics port. */
import type { Counter, Metrics } from '../../src/core/metrics.js';

/** Counts recorded completions through the Metrics port, so we time what was applied, not handler calls. */
export function completionCounter(): {
  readonly metrics: Metrics;
  /** Resolves once `count` more completions were recorded. */
  until(count: number): Promise<void>;
} {
  let completed = 0;
  let waiter: { target: number; resolve: () => void } | undefined;
  const noop = { add() {}, record() {}, set() {} };
  const counter: Counter = {
    add(value = 1, labels) {
      if (labels?.outcome !== 'completed') return;
      completed += value;
      if (waiter && completed >= waiter.target) waiter.resolve();
    },
  };
  const metrics: Metrics = {
    counter: (name) => (name === 'jobs.processed' ? counter : noop),
    histogram: () => noop,
    gauge: () => noop,
  };
  return {
    metrics,
    until: (count: number) =>
      new Promise<void>((r) => {
        const target = completed + count;
        if (completed >= target) r();
        else waiter = { target, resolve: r };
      }),
  };
}
