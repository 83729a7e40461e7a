/**
 * Clause validation: the operator, the attribute path, the values (typed per operator and pre-parsed:
 * patterns compiled after the safety check, semver versions and ISO instants parsed), and the segments an
 * `inSegment` clause names. The parsed values are kept beside the clause for the compiler, so nothing is
 * parsed twice.
 */
import { parseIsoInstant } from './dates.js';
import { FLAG_CONFIG_LIMITS } from './limits.js';
import { compilePattern } from './regex-safety.js';
import { parseSemver, type Semver } from './semver.js';
import type { Clause, ClauseOperator } from './types.js';
import { type Checker, describe, optional, quote } from './validate-kit.js';

/** What the validator parsed out of a clause's values. */
export type PreparedValues =
  | { readonly kind: 'plain' }
  | { readonly kind: 'regex'; readonly regexes: readonly RegExp[] }
  | { readonly kind: 'semver'; readonly versions: readonly Semver[] }
  | { readonly kind: 'instant'; readonly instants: readonly number[] };

/** What clause validation needs from the rest of the config, and where it leaves parsed values. */
export interface ClauseEnv {
  readonly segmentKeys: ReadonlySet<string>;
  readonly prepared: Map<Clause, PreparedValues>;
}

type ValueKind = 'primitive' | 'string' | 'pattern' | 'number' | 'semver' | 'instant' | 'segment' | 'none';

const VALUE_KINDS: Readonly<Record<ClauseOperator, ValueKind>> = {
  eq: 'primitive',
  in: 'primitive',
  contains: 'string',
  startsWith: 'string',
  endsWith: 'string',
  matches: 'pattern',
  lt: 'number',
  lte: 'number',
  gt: 'number',
  gte: 'number',
  semverEq: 'semver',
  semverLt: 'semver',
  semverLte: 'semver',
  semverGt: 'semver',
  semverGte: 'semver',
  before: 'instant',
  after: 'instant',
  exists: 'none',
  inSegment: 'segment',
};

/** Every clause operator. */
export const CLAUSE_OPERATORS = Object.keys(VALUE_KINDS) as readonly ClauseOperator[];

/** Operators that compare strings and so accept `caseInsensitive`. */
const STRING_OPERATORS: ReadonlySet<ClauseOperator> = new Set([
  'eq',
  'in',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
]);

type Value = string | number | boolean;

interface ValueReader {
  readonly c: Checker;
  readonly env: ClauseEnv;
  readonly caseInsensitive: boolean;
  readonly parsed: unknown[];
}

function stringValue(r: ValueReader, value: unknown, path: string): string {
  return r.c.string(value, path, FLAG_CONFIG_LIMITS.maxValueLength);
}

function finite(r: ValueReader, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    r.c.fail(path, `must be a finite number, got ${describe(value)}`);
  }
  return value;
}

const READERS: Readonly<
  Record<Exclude<ValueKind, 'none'>, (r: ValueReader, v: unknown, p: string) => Value>
> = {
  primitive(r, value, path) {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return finite(r, value, path);
    if (typeof value === 'string') return stringValue(r, value, path);
    return r.c.fail(path, `must be a string, a finite number or a boolean, got ${describe(value)}`);
  },
  string: stringValue,
  pattern(r, value, path) {
    const pattern = r.c.string(value, path, FLAG_CONFIG_LIMITS.maxPatternLength);
    const regex = compilePattern(pattern, r.caseInsensitive);
    if (typeof regex === 'string') r.c.fail(path, regex);
    r.parsed.push(regex);
    return pattern;
  },
  number: finite,
  semver(r, value, path) {
    const text = r.c.string(value, path, FLAG_CONFIG_LIMITS.maxSemverLength);
    const version = parseSemver(text);
    if (version === undefined)
      r.c.fail(path, `${quote(text)} is not a semver 2.0 version (MAJOR.MINOR.PATCH)`);
    r.parsed.push(version);
    return text;
  },
  instant(r, value, path) {
    const ms =
      typeof value === 'number' ? finite(r, value, path) : parseIsoInstant(stringValue(r, value, path));
    if (ms === undefined) r.c.fail(path, `${describe(value)} is not an ISO 8601 date or zoned date-time`);
    r.parsed.push(ms);
    return value as string | number;
  },
  segment(r, value, path) {
    const key = r.c.string(value, path, FLAG_CONFIG_LIMITS.maxKeyLength, 1);
    if (!r.env.segmentKeys.has(key)) r.c.fail(path, `no segment ${quote(key)}`);
    return key;
  },
};

function prepare(kind: ValueKind, parsed: unknown[]): PreparedValues {
  if (kind === 'pattern') return { kind: 'regex', regexes: Object.freeze(parsed as RegExp[]) };
  if (kind === 'semver') return { kind: 'semver', versions: Object.freeze(parsed as Semver[]) };
  if (kind === 'instant') return { kind: 'instant', instants: Object.freeze(parsed as number[]) };
  return { kind: 'plain' };
}

function checkValues(
  c: Checker,
  op: ClauseOperator,
  raw: readonly unknown[],
  path: string,
  reader: ValueReader,
): readonly Value[] {
  const kind = VALUE_KINDS[op];
  if (kind === 'none') {
    if (raw.length !== 0) c.fail(path, `must be empty for ${op}`);
    return Object.freeze([]);
  }
  if (raw.length === 0) c.fail(path, 'needs at least one value');
  const read = READERS[kind];
  const values: Value[] = [];
  for (let i = 0; i < raw.length; i++) values.push(read(reader, raw[i], `${path}[${i}]`));
  return Object.freeze(values);
}

/** Validates one clause, records its parsed values in `env.prepared` and returns a frozen copy. */
export function validateClause(c: Checker, value: unknown, path: string, env: ClauseEnv): Clause {
  const r = c.fields(
    value,
    path,
    ['attribute', 'op', 'values', 'negate', 'caseInsensitive'],
    ['attribute', 'op', 'values'],
  );
  const op = c.oneOf(r.op, `${path}.op`, CLAUSE_OPERATORS);
  const attribute =
    op === 'inSegment'
      ? c.string(r.attribute, `${path}.attribute`, FLAG_CONFIG_LIMITS.maxAttributeLength)
      : c.attribute(r.attribute, `${path}.attribute`);
  const negate = optional(r, 'negate');
  if (negate !== undefined) c.boolean(negate, `${path}.negate`);
  const caseInsensitive = optional(r, 'caseInsensitive');
  if (caseInsensitive !== undefined) c.boolean(caseInsensitive, `${path}.caseInsensitive`);
  if (caseInsensitive === true && !STRING_OPERATORS.has(op)) {
    c.fail(`${path}.caseInsensitive`, `applies to string operators only, not ${op}`);
  }
  const raw = c.array(r.values, `${path}.values`, FLAG_CONFIG_LIMITS.maxValuesPerClause);
  c.spend(raw.length, `${path}.values`);
  const reader: ValueReader = { c, env, caseInsensitive: caseInsensitive === true, parsed: [] };
  const values = checkValues(c, op, raw, `${path}.values`, reader);
  const clause: Clause = Object.freeze({
    attribute,
    op,
    values,
    ...(negate === undefined ? {} : { negate: negate as boolean }),
    ...(caseInsensitive === undefined ? {} : { caseInsensitive: caseInsensitive as boolean }),
  });
  env.prepared.set(clause, prepare(VALUE_KINDS[op], reader.parsed));
  return clause;
}
