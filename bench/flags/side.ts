/**
 * A side of the flags bench: one way of evaluating the rule set. Every side walks the same grid of
 * (user, flag) pairs, flag by flag within a user, from its own cursor: `batch(size)` makes the next `size`
 * evaluations and returns how many answered `true` (the harness checks that count against the side's
 * answers from the equivalence pass, so a side that breaks cannot look fast).
 *
 * Each side writes its batch loop out itself rather than passing a callback to a shared loop: a shared
 * loop's call site would see every side's function and stop inlining any of them, which measures the
 * loop, not the libraries.
 */
import type { Context as UnleashContext } from 'unleash-client';
import { ourContext, type SharedContext, unleashContext } from './configs.js';
import { type BenchUser, type FlagSpec, ruleSet, users } from './rules.js';

/** The sides, in the order rounds run them (reversed every other round). */
export const SIDE_NAMES = [
  'ours',
  'ours-openfeature',
  'ours-provider',
  'unleash',
  'openfeature-memory',
  'memory-provider',
] as const;

/** One of {@link SIDE_NAMES}. */
export type SideName = (typeof SIDE_NAMES)[number];

interface SideCommon {
  readonly name: SideName;
  /** What the side calls, for the output. */
  readonly label: string;
  /** Flag `flag` for user `user` (indexes into the fixture), through the same call as the batch. */
  one(flag: number, user: number): boolean | Promise<boolean>;
  close(): Promise<void>;
}

/** A side whose API answers synchronously. */
export interface SyncSide extends SideCommon {
  readonly kind: 'sync';
  batch(size: number): number;
}

/** A side whose API returns a promise (awaited one by one, as a request handler does). */
export interface AsyncSide extends SideCommon {
  readonly kind: 'async';
  batch(size: number): Promise<number>;
}

/** A side. */
export type Side = SyncSide | AsyncSide;

/** The rule set, the users, and each side's contexts for them, made once before anything is measured. */
export interface Fixture {
  readonly specs: readonly FlagSpec[];
  readonly keys: readonly string[];
  readonly users: readonly BenchUser[];
  /** Ours and both OpenFeature paths (the SDK hands the context to the provider as is). */
  readonly contexts: readonly SharedContext[];
  readonly unleashContexts: readonly UnleashContext[];
}

/** `flags` flags and `contexts` users. */
export function fixture(flags: number, contexts: number): Fixture {
  const specs = ruleSet(flags);
  const drawn = users(contexts);
  return {
    specs,
    keys: specs.map((s) => s.key),
    users: drawn,
    contexts: drawn.map(ourContext),
    unleashContexts: drawn.map(unleashContext),
  };
}
