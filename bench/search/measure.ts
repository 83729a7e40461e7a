/**
 * Interleaved latency sampling: every task runs `warmup` times untimed, then `samples` rounds run each
 * task once, the order reversed every other round (ABC CBA ABC ...), so load drifting during the run falls
 * on all of them alike. A task resolves to the ids it read, checked against the ids it read first: a task
 * that starts answering differently (an empty page, say) fails the run instead of looking fast.
 */
import { percentile } from '../support/results.js';

/** One measured operation: resolves to the ids of the rows it read. */
export interface Task {
  readonly name: string;
  readonly run: () => Promise<readonly (string | number)[]>;
}

/** Latencies of one task, ms, in sample order. */
export interface Samples {
  readonly name: string;
  readonly ms: readonly number[];
  /** Rows the task reads each time. */
  readonly rows: number;
}

/** p50 and p95 of a sample set, ms. */
export function summary(ms: readonly number[]): { p50: number; p95: number } {
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

const same = (a: readonly (string | number)[], b: readonly (string | number)[]) =>
  a.length === b.length && a.every((v, i) => String(v) === String(b[i]));

/** Runs the rounds; `log` gets one line per round. */
export async function sampleInterleaved(
  tasks: readonly Task[],
  options: { readonly samples: number; readonly warmup: number },
  log: (line: string) => void = () => {},
): Promise<Samples[]> {
  const expected = new Map<string, readonly (string | number)[]>();
  const check = (task: Task, ids: readonly (string | number)[]) => {
    const first = expected.get(task.name);
    if (first === undefined) expected.set(task.name, ids);
    else if (!same(first, ids)) throw new Error(`${task.name}: read other rows than its first run`);
  };
  for (const task of tasks) for (let i = 0; i < options.warmup; i++) check(task, await task.run());
  const ms = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (let round = 0; round < options.samples; round++) {
    const started = performance.now();
    const order = round % 2 === 0 ? tasks : [...tasks].reverse();
    for (const task of order) {
      const begin = performance.now();
      const ids = await task.run();
      ms.get(task.name)?.push(performance.now() - begin);
      check(task, ids);
    }
    log(`  round ${round + 1}/${options.samples}: ${(performance.now() - started).toFixed(0)} ms`);
  }
  return tasks.map((t) => ({
    name: t.name,
    ms: ms.get(t.name) ?? [],
    rows: expected.get(t.name)?.length ?? 0,
  }));
}
