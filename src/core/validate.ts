/**
 * Call-time argument validators shared by every module (factory options go through `defineOptions` in
 * options.ts), so messages read the same everywhere: they name the argument in backticks and say what
 * was expected, never echoing secrets.
 */
import { InvalidArgumentError } from './errors.js';

type ErrorFactory = (message: string) => Error;

const argumentError: ErrorFactory = (m) => new InvalidArgumentError(m);

const describe = (value: unknown) =>
  typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;

function integerIn(name: string, value: unknown, min: number, max: number, fail: ErrorFactory): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw fail(`\`${name}\` must be an integer in ${min}..${max}, got ${describe(value)}`);
  }
  return value;
}

function numberIn(name: string, value: unknown, min: number, max: number, fail: ErrorFactory): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw fail(`\`${name}\` must be a finite number in ${min}..${max}, got ${describe(value)}`);
  }
  return value;
}

/** Validators that throw `InvalidArgumentError` (use at call time). */
export const argument = {
  integer: (name: string, value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER) =>
    integerIn(name, value, min, max, argumentError),
  number: (name: string, value: unknown, min = 0, max = Number.MAX_VALUE) =>
    numberIn(name, value, min, max, argumentError),
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw argumentError(`\`${name}\` must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
    }
    return value as T;
  },
  /** A non-empty string of at most `maxLength` UTF-16 units. */
  key(name: string, value: unknown, maxLength: number): string {
    if (typeof value !== 'string' || value.length === 0) {
      throw argumentError(`\`${name}\` must be a non-empty string`);
    }
    if (value.length > maxLength) throw argumentError(`\`${name}\` is longer than ${maxLength} characters`);
    return value;
  },
} as const;
