/**
 * One test per clause operator, compiled from the clause's pre-parsed values: `(attributeValue) =>
 * boolean`, true when any of the clause's values matches. A value of the wrong type for the operator
 * (a string for `lt`, a number for `startsWith`, an unparsable version or date) does not match; nothing
 * is coerced (`"42"` is not `42`).
 */
import { parseIsoInstant } from './dates.js';
import { FLAG_CONFIG_LIMITS } from './limits.js';
import { compareSemver, parseSemver, type Semver } from './semver.js';
import type { Clause, ClauseOperator } from './types.js';
import type { PreparedValues } from './validate-clause.js';

/** A compiled operator: does this (non-null, non-array) attribute value match? */
export type ValueTest = (value: unknown) => boolean;

/** Up to this many values are compared one by one; more go into a Set. */
const LINEAR_MAX = 8;

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

function equalsTest(values: readonly unknown[], caseInsensitive: boolean): ValueTest {
  const wanted = caseInsensitive ? values.map(lower) : values;
  if (wanted.length <= LINEAR_MAX) {
    return (value) => {
      const v = caseInsensitive ? lower(value) : value;
      for (let i = 0; i < wanted.length; i++) if (wanted[i] === v) return true;
      return false;
    };
  }
  const set = new Set(wanted);
  return (value) => set.has(caseInsensitive ? lower(value) : value);
}

type StringOp = 'contains' | 'startsWith' | 'endsWith';

function stringTest(op: StringOp, values: readonly string[], caseInsensitive: boolean): ValueTest {
  const wanted = caseInsensitive ? values.map((v) => v.toLowerCase()) : values;
  return (value) => {
    if (typeof value !== 'string') return false;
    const v = caseInsensitive ? value.toLowerCase() : value;
    for (let i = 0; i < wanted.length; i++) {
      const w = wanted[i]!;
      if (op === 'contains' ? v.includes(w) : op === 'startsWith' ? v.startsWith(w) : v.endsWith(w))
        return true;
    }
    return false;
  };
}

function regexTest(regexes: readonly RegExp[]): ValueTest {
  const maxLength = FLAG_CONFIG_LIMITS.maxMatchInputLength;
  return (value) => {
    if (typeof value !== 'string' || value.length > maxLength) return false;
    for (let i = 0; i < regexes.length; i++) if (regexes[i]!.test(value)) return true;
    return false;
  };
}

/**
 * `attr < v` for any `v` is `attr < max(values)`, and so on: each ordered comparison reduces to one
 * bound, picked once at compile time.
 */
function ordered<T>(
  values: readonly T[],
  compare: (a: T, b: T) => number,
  op: 'lt' | 'lte' | 'gt' | 'gte',
  parse: (value: unknown) => T | undefined,
): ValueTest {
  const upper = op === 'lt' || op === 'lte';
  const bound = values.reduce((a, b) => ((upper ? compare(b, a) > 0 : compare(b, a) < 0) ? b : a));
  return (value) => {
    const v = parse(value);
    if (v === undefined) return false;
    const c = compare(v, bound);
    return op === 'lt' ? c < 0 : op === 'lte' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0;
  };
}

const asNumber = (value: unknown) => (typeof value === 'number' && !Number.isNaN(value) ? value : undefined);
const asSemver = (value: unknown) => (typeof value === 'string' ? parseSemver(value) : undefined);
const asInstant = (value: unknown) =>
  typeof value === 'number'
    ? Number.isFinite(value)
      ? value
      : undefined
    : typeof value === 'string'
      ? parseIsoInstant(value)
      : undefined;
const byNumber = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

const SEMVER_OPS: Readonly<Partial<Record<ClauseOperator, 'lt' | 'lte' | 'gt' | 'gte'>>> = {
  semverLt: 'lt',
  semverLte: 'lte',
  semverGt: 'gt',
  semverGte: 'gte',
};

function semverTest(op: ClauseOperator, versions: readonly Semver[]): ValueTest {
  const relation = SEMVER_OPS[op];
  if (relation !== undefined) return ordered(versions, compareSemver, relation, asSemver);
  return (value) => {
    const v = asSemver(value);
    return v !== undefined && versions.some((w) => compareSemver(v, w) === 0);
  };
}

/** The value test of a clause; `exists` and `inSegment` are matched without one. */
export function compileValueTest(clause: Clause, prepared: PreparedValues): ValueTest {
  const ci = clause.caseInsensitive === true;
  const { op } = clause;
  if (prepared.kind === 'regex') return regexTest(prepared.regexes);
  if (prepared.kind === 'semver') return semverTest(op, prepared.versions);
  if (prepared.kind === 'instant')
    return ordered(prepared.instants, byNumber, op === 'before' ? 'lt' : 'gt', asInstant);
  if (op === 'eq' || op === 'in') return equalsTest(clause.values, ci);
  if (op === 'contains' || op === 'startsWith' || op === 'endsWith') {
    return stringTest(op, clause.values as readonly string[], ci);
  }
  if (op === 'lt' || op === 'lte' || op === 'gt' || op === 'gte') {
    return ordered(clause.values as readonly number[], byNumber, op, asNumber);
  }
  return () => false; // exists and inSegment look at no value (compile-clause.ts)
}
