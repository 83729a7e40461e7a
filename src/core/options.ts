/**
 * The options helper every factory uses: one table of specs per factory gives the defaults, the ranges,
 * the rejection of unknown keys (a typo such as `windowMS` is an error, not a silent default) and one
 * message style (`createX: \`name\` must be ...`), all thrown as `InvalidOptionError` at construction.
 *
 * @example
 * ```ts nocheck
 * const parse = defineOptions('createThing', {
 *   prefix: opt.name({ default: 'bp' }),
 *   timeoutMs: opt.duration({ default: 50, min: 1 }),
 *   clock: opt.clock(),
 * });
 * const o = parse(options); // { prefix: string; timeoutMs: number; clock: Clock }
 * ```
 */
import { type Clock, systemClock } from './clock.js';
import { InvalidOptionError } from './errors.js';
import { type Metrics, noopMetrics } from './metrics.js';
import { KEY_PREFIX_PATTERN } from './redis/keys.js';

/** Parses one option; `path` is its name as the user wrote it (`policies[0].limit`). */
export interface OptionSpec<T> {
  readonly parse: (value: unknown, path: string, owner: string) => T;
}

type Parsed<S> = { readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

/** A parser for one factory's options: `(input) => resolved options with defaults applied`. */
export type OptionsParser<S> = (input: unknown) => Parsed<S>;

const describeValue = (value: unknown) =>
  typeof value === 'number'
    ? String(value)
    : value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : typeof value;

/**
 * Builds the error every spec throws. `value`, when given, is described by its type (numbers by value),
 * never echoed, so a secret passed in the wrong option does not reach a log.
 */
export function optionError(
  owner: string,
  path: string,
  expected: string,
  value?: unknown,
): InvalidOptionError {
  const got = value === undefined ? '' : `, got ${describeValue(value)}`;
  return new InvalidOptionError(`${owner}: \`${path}\` must be ${expected}${got}`);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseShape<S extends Record<string, OptionSpec<unknown>>>(
  specs: S,
  input: unknown,
  path: string,
  owner: string,
): Parsed<S> {
  const where = path === '' ? 'options' : `\`${path}\``;
  if (input === undefined) input = {};
  if (!isPlainObject(input)) throw new InvalidOptionError(`${owner}: ${where} must be an object`);
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(specs, key)) {
      throw new InvalidOptionError(`${owner}: unknown option \`${path === '' ? key : `${path}.${key}`}\``);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    out[key] = spec.parse(input[key], path === '' ? key : `${path}.${key}`, owner);
  }
  return out as Parsed<S>;
}

/** Defines the options of the factory `owner` (its name, for messages). */
export function defineOptions<S extends Record<string, OptionSpec<unknown>>>(
  owner: string,
  specs: S,
): OptionsParser<S> {
  return (input) => parseShape(specs, input, '', owner);
}

interface Range {
  readonly min?: number;
  readonly max?: number;
}

/** `{ default }` makes the option optional with that value; `{ required: true }` makes it mandatory. */
type Presence<T> = { readonly default: T } | { readonly required: true } | { readonly default?: undefined };
type Result<T, P> = P extends { default: T } ? T : P extends { required: true } ? T : T | undefined;

function withPresence<T>(check: (value: unknown, path: string, owner: string) => T, presence: Presence<T>) {
  return {
    parse(value: unknown, path: string, owner: string) {
      if (value === undefined) {
        if ('required' in presence && presence.required)
          throw new InvalidOptionError(`${owner}: \`${path}\` is required`);
        return 'default' in presence ? presence.default : undefined;
      }
      return check(value, path, owner);
    },
  };
}

function numberSpec(kind: 'integer' | 'number', range: Range) {
  const min = range.min ?? (kind === 'integer' ? 1 : 0);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  return (value: unknown, path: string, owner: string): number => {
    const okType = kind === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value);
    if (!okType || (value as number) < min || (value as number) > max) {
      throw optionError(
        owner,
        path,
        `${kind === 'integer' ? 'an integer' : 'a finite number'} in ${min}..${max}`,
        value,
      );
    }
    return value as number;
  };
}

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** How an option given by type may be present: optional (undefined), `'required'`, or with a default. */
type TypedPresence<T> = 'required' | { readonly default: T };

const typedPresence = <T>(presence: TypedPresence<T> | undefined): Presence<T> =>
  presence === 'required' ? { required: true } : (presence ?? {});

function portSpec<T>(methods: readonly string[], presence: TypedPresence<T>): OptionSpec<T>;
function portSpec<T>(methods: readonly string[]): OptionSpec<T | undefined>;
function portSpec<T>(methods: readonly string[], presence?: TypedPresence<T>): OptionSpec<T | undefined> {
  const check = (value: unknown, path: string, owner: string) => {
    if (!hasMethods(value, methods))
      throw optionError(owner, path, `an object with ${methods.join('(), ')}()`);
    return value as T;
  };
  return withPresence(check, typedPresence(presence));
}

function fnSpec<T extends (...args: never[]) => unknown>(presence: TypedPresence<T>): OptionSpec<T>;
function fnSpec<T extends (...args: never[]) => unknown>(): OptionSpec<T | undefined>;
function fnSpec<T extends (...args: never[]) => unknown>(
  presence?: TypedPresence<T>,
): OptionSpec<T | undefined> {
  const check = (value: unknown, path: string, owner: string) => {
    if (typeof value !== 'function') throw optionError(owner, path, 'a function', value);
    return value as T;
  };
  return withPresence(check, typedPresence(presence));
}

/** Spec builders. Each takes its presence (`default`, `required`) and, where it applies, a range. */
export const opt = {
  /** A safe integer, default range 1..MAX_SAFE_INTEGER. */
  integer<P extends Presence<number>>(spec: Range & P = {} as P): OptionSpec<Result<number, P>> {
    return withPresence(numberSpec('integer', spec), spec) as OptionSpec<Result<number, P>>;
  },
  /** A finite number, default range 0..MAX_SAFE_INTEGER. */
  number<P extends Presence<number>>(spec: Range & P = {} as P): OptionSpec<Result<number, P>> {
    return withPresence(numberSpec('number', spec), spec) as OptionSpec<Result<number, P>>;
  },
  /** A duration in milliseconds: an integer, default range 1..MAX_SAFE_INTEGER (name the option `...Ms`). */
  duration<P extends Presence<number>>(spec: Range & P = {} as P): OptionSpec<Result<number, P>> {
    return withPresence(numberSpec('integer', { min: 1, ...spec }), spec) as OptionSpec<Result<number, P>>;
  },
  boolean<P extends Presence<boolean>>(spec: P = {} as P): OptionSpec<Result<boolean, P>> {
    const check = (value: unknown, path: string, owner: string) => {
      if (typeof value !== 'boolean') throw optionError(owner, path, 'a boolean', value);
      return value;
    };
    return withPresence(check, spec) as OptionSpec<Result<boolean, P>>;
  },
  /** A non-empty string of at most `maxLength` characters (default 1024). */
  string<P extends Presence<string>>(
    spec: { readonly maxLength?: number } & P = {} as P,
  ): OptionSpec<Result<string, P>> {
    const maxLength = spec.maxLength ?? 1024;
    const check = (value: unknown, path: string, owner: string) => {
      if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
        throw optionError(owner, path, `a string of 1..${maxLength} characters`, value);
      }
      return value;
    };
    return withPresence(check, spec) as OptionSpec<Result<string, P>>;
  },
  /** An identifier: 1..`maxLength` (default 128) characters of [A-Za-z0-9._-]. */
  name<P extends Presence<string>>(
    spec: { readonly maxLength?: number } & P = {} as P,
  ): OptionSpec<Result<string, P>> {
    const maxLength = spec.maxLength ?? 128;
    const check = (value: unknown, path: string, owner: string) => {
      if (typeof value !== 'string' || !NAME_PATTERN.test(value) || value.length > maxLength) {
        throw optionError(owner, path, `1..${maxLength} characters of [A-Za-z0-9._-]`);
      }
      return value;
    };
    return withPresence(check, spec) as OptionSpec<Result<string, P>>;
  },
  /** A string matching `pattern`; `expected` says what that means, for the message (the value is not echoed). */
  matching<P extends Presence<string>>(
    pattern: RegExp,
    expected: string,
    spec: P = {} as P,
  ): OptionSpec<Result<string, P>> {
    const check = (value: unknown, path: string, owner: string) => {
      if (typeof value !== 'string' || !pattern.test(value)) throw optionError(owner, path, expected);
      return value;
    };
    return withPresence(check, spec) as OptionSpec<Result<string, P>>;
  },
  /** The `prefix` of a Redis adapter's keys: 1..64 of [A-Za-z0-9._:-] (no braces, which would break hash tags); default `bp`. */
  keyPrefix(): OptionSpec<string> {
    return opt.matching(KEY_PREFIX_PATTERN, '1..64 characters of [A-Za-z0-9._:-] (no braces)', {
      default: 'bp',
    });
  },
  /** Bytes (a `Uint8Array`, which includes `Buffer`), e.g. a secret; never echoed. */
  bytes<P extends Presence<Uint8Array>>(spec: P = {} as P): OptionSpec<Result<Uint8Array, P>> {
    const check = (value: unknown, path: string, owner: string) => {
      if (!(value instanceof Uint8Array)) throw optionError(owner, path, 'a Uint8Array');
      return value;
    };
    return withPresence(check, spec) as OptionSpec<Result<Uint8Array, P>>;
  },
  oneOf<const T extends string, P extends Presence<T>>(
    allowed: readonly T[],
    spec: P = {} as P,
  ): OptionSpec<Result<T, P>> {
    const check = (value: unknown, path: string, owner: string) => {
      if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
        throw optionError(owner, path, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
      }
      return value as T;
    };
    return withPresence(check, spec) as OptionSpec<Result<T, P>>;
  },
  /**
   * An object with the given methods (a port, a client). The object itself is returned, not a copy, so
   * adapters keep their identity. Give the type explicitly: `opt.port<JobBackend>(['claim'], 'required')`.
   */
  port: portSpec,
  /** A function: `opt.fn<(attempt: number) => number>()`, optionally `'required'` or `{ default }`. */
  fn: fnSpec,
  /** The `clock` option: a {@link Clock}, default the system clock. */
  clock(): OptionSpec<Clock> {
    return withPresence(
      (v, p, o) => {
        if (!hasMethods(v, ['now', 'sleep'])) throw optionError(o, p, 'a Clock (now(), sleep())');
        return v as Clock;
      },
      { default: systemClock },
    ) as OptionSpec<Clock>;
  },
  /**
   * An optional `clock` whose absence means something (Redis adapters: use Redis `TIME`). Undefined
   * stays undefined.
   */
  optionalClock(): OptionSpec<Clock | undefined> {
    return withPresence((v, p, o) => {
      if (!hasMethods(v, ['now', 'sleep'])) throw optionError(o, p, 'a Clock (now(), sleep())');
      return v as Clock;
    }, {});
  },
  /** The `metrics` option: a {@link Metrics}, default the no-op recorder. */
  metrics(): OptionSpec<Metrics> {
    return withPresence(
      (v, p, o) => {
        if (!hasMethods(v, ['counter', 'histogram', 'gauge']))
          throw optionError(o, p, 'a Metrics (counter, histogram, gauge)');
        return v as Metrics;
      },
      { default: noopMetrics },
    ) as OptionSpec<Metrics>;
  },
  /** A nested options object with its own specs (unknown keys rejected, path `outer.inner`). */
  shape<
    S extends Record<string, OptionSpec<unknown>>,
    P extends Presence<Parsed<S>> = { readonly default?: undefined },
  >(specs: S, spec: P = {} as P): OptionSpec<Result<Parsed<S>, P>> {
    return withPresence((v, p, o) => parseShape(specs, v, p, o), spec) as OptionSpec<Result<Parsed<S>, P>>;
  },
  /** A list whose items are each parsed by `item` (paths `name[i]`), with a length range. */
  list<T, P extends Presence<readonly T[]> = { readonly default?: undefined }>(
    item: OptionSpec<T>,
    spec: { readonly minItems?: number; readonly maxItems?: number } & P = {} as P,
  ): OptionSpec<Result<readonly T[], P>> {
    const min = spec.minItems ?? 0;
    const max = spec.maxItems ?? Number.MAX_SAFE_INTEGER;
    const check = (value: unknown, path: string, owner: string) => {
      if (!Array.isArray(value) || value.length < min || value.length > max) {
        throw optionError(owner, path, `an array of ${min}..${max} items`, value);
      }
      return Object.freeze(value.map((v, i) => item.parse(v, `${path}[${i}]`, owner)));
    };
    return withPresence(check, spec) as OptionSpec<Result<readonly T[], P>>;
  },
  /** Anything else: `check` returns the value or throws `optionError(owner, path, expected)`. */
  custom<T, P extends Presence<T> = { readonly default?: undefined }>(
    check: (value: unknown, path: string, owner: string) => T,
    spec: P = {} as P,
  ): OptionSpec<Result<T, P>> {
    return withPresence(check, spec) as OptionSpec<Result<T, P>>;
  },
} as const;
