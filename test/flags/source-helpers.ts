/**
 * Helpers for the flag source tests: sample configs, a recorder of watch updates, a wait for a condition
 * (with an optional step per try, e.g. advancing a manual clock) and a check of a rejection's code.
 */
import { expect } from 'vitest';
import type { FlagConfig, FlagSource, FlagSourceUpdate } from '../../src/flags/index.js';

/** A valid one-flag config whose flag serves `value`. */
export function sampleConfig(value: boolean, version?: string): FlagConfig {
  return {
    ...(version === undefined ? {} : { version }),
    flags: {
      checkout: {
        type: 'boolean',
        variations: { on: true, off: false },
        enabled: true,
        offVariation: 'off',
        fallthrough: { variation: value ? 'on' : 'off' },
      },
    },
  };
}

/** The updates a listener heard, in order. */
export interface Recorder {
  readonly updates: FlagSourceUpdate[];
  readonly configs: () => FlagConfig[];
  readonly errors: () => Error[];
  stop(): void;
}

/** Watches `source` and records every update. */
export function record(source: FlagSource): Recorder {
  const updates: FlagSourceUpdate[] = [];
  const stop = source.watch?.((u) => updates.push(u)) ?? (() => {});
  return {
    updates,
    configs: () => updates.flatMap((u) => ('config' in u ? [u.config] : [])),
    errors: () => updates.flatMap((u) => ('error' in u ? [u.error] : [])),
    stop,
  };
}

/** The fallthrough variation of the sample flag in `config`. */
export const served = (config: FlagConfig | undefined) => {
  const serve = config?.flags.checkout?.fallthrough;
  return serve && 'variation' in serve ? serve.variation : undefined;
};

/**
 * Resolves once `condition()` is true, yielding to real I/O between tries and calling `step` before each
 * (advance a manual clock, say). Fails after `tries` (a hang guard, not a timing assertion).
 */
export async function eventually(
  condition: () => boolean,
  options: { readonly step?: () => void; readonly tries?: number; readonly what?: string } = {},
): Promise<void> {
  const tries = options.tries ?? 1000;
  for (let i = 0; i < tries; i++) {
    if (condition()) return;
    options.step?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`condition not met: ${options.what ?? condition.toString()}`);
}

/** Expects `promise` to reject with a library error of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  expect((error as { code?: string }).code).toBe(code);
  if (message) expect((error as Error).message).toMatch(message);
  return error as Error;
}

/** Lets pending microtasks and I/O callbacks run. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
