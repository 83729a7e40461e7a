/**
 * Builders for flag configs in tests: a boolean flag with one rule, a config around flags and segments,
 * and `refusal`, which runs a validation expected to fail and returns its FlagConfigError.
 */
import { expect } from 'vitest';
import {
  type Clause,
  type CompiledConfig,
  compileConfig,
  type EvaluationContext,
  type FlagConfig,
  FlagConfigError,
  type FlagDefinition,
  type Segment,
  validateConfig,
} from '../../src/flags/index.js';

/** A boolean flag: `on` when any rule matches, `off` otherwise. */
export function boolFlag(
  overrides: Partial<Record<keyof FlagDefinition, unknown>> = {},
): Record<string, unknown> {
  return {
    type: 'boolean',
    variations: { on: true, off: false },
    enabled: true,
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    ...overrides,
  };
}

/** A config of these flags and segments. */
export function configOf(
  flags: Record<string, unknown>,
  segments?: Record<string, Segment | unknown>,
): Record<string, unknown> {
  return segments === undefined ? { flags } : { flags, segments };
}

/** A compiled config whose flag `f` is `on` exactly when `clause` holds. */
export function clauseFlag(
  clause: Clause | Record<string, unknown>,
  segments?: Record<string, Segment>,
): CompiledConfig {
  return compileConfig(
    configOf(
      { f: boolFlag({ rules: [{ id: 'r', clauses: [clause as Clause], serve: { variation: 'on' } }] }) },
      segments,
    ),
  );
}

/** Whether `clause` holds for `context` (through a whole flag evaluation). */
export function holds(clause: Clause | Record<string, unknown>, context: Record<string, unknown>): boolean {
  const result = clauseFlag(clause).evaluate('f', context as EvaluationContext, 0);
  if (!('variant' in result)) throw new Error(`unexpected error result ${result.errorCode}`);
  return result.variant === 'on';
}

/** Runs `validateConfig(input)`, expects a FlagConfigError and returns it. */
export function refusal(input: unknown): FlagConfigError {
  try {
    validateConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(FlagConfigError);
    const e = error as FlagConfigError;
    expect(e.code).toBe('ERR_FLAGS_INVALID_CONFIG');
    expect(e.message.startsWith(`${e.path}: `)).toBe(true);
    expect(e.message.length).toBeLessThan(400); // never echoes a large value
    return e;
  }
  throw new Error('expected validateConfig to refuse the config');
}

/** Validates and returns the config (for tests of what validation returns). */
export const valid = (input: unknown): FlagConfig => validateConfig(input);
