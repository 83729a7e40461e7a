/**
 * Client filters (`{ status: 'open', price: { gte: 10, lt: 100 }, tag: { in: ['a'] }, deletedAt: null }`)
 * to normalised {@link FilterCondition}s, against the field allowlist. Every refusal is an
 * `InvalidQueryError` naming the parameter (`filter.price.gte`). Strings are accepted for number,
 * integer, boolean and timestamp fields and parsed strictly, so query strings and JSON bodies share one
 * path. Output is canonical (sorted by field and operator, in-lists deduplicated and sorted), which makes
 * the cursor's query hash independent of how the client spelled the filter.
 */
import { InvalidQueryError } from './errors.js';
import { dateToTimestamp, normaliseTimestamp, stringProblem } from './field-values.js';
import type { ResolvedField } from './paginator-options.js';
import type { FieldValue, FilterCondition, FilterOperatorName } from './types.js';

/** Longest string value of a filter, in UTF-16 units. */
export const MAX_FILTER_STRING_LENGTH = 1024;
/** Most values of one `in` list. */
export const MAX_IN_VALUES = 100;

type Op = FilterCondition['op'];
const OPERATORS: readonly Op[] = ['eq', 'in', 'gt', 'gte', 'lt', 'lte', 'prefix'];
const PERMISSION: Readonly<Record<Op, FilterOperatorName>> = {
  eq: 'eq',
  in: 'in',
  gt: 'range',
  gte: 'range',
  lt: 'range',
  lte: 'range',
  prefix: 'prefix',
};
const SAFE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d{1,16}$/;

/** A name as it may appear in a parameter: anything odd is left out rather than echoed. */
const nameOf = (name: string) => (SAFE_NAME.test(name) ? name : '?');

/** Plain objects only (JSON objects, literals, null-prototype); Dates, Maps and class instances are not. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isOp = (name: string): name is Op => (OPERATORS as readonly string[]).includes(name);

type Parsed =
  | { readonly ok: true; readonly value: FieldValue }
  | { readonly ok: false; readonly message: string };
const ok = (value: FieldValue): Parsed => ({ ok: true, value });
const fail = (message: string): Parsed => ({ ok: false, message });

function parseNumber(value: unknown, integer: boolean): Parsed {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.length <= 64 && (integer ? INTEGER : DECIMAL).test(value))
    n = Number(value);
  else return fail(integer ? 'must be an integer' : 'must be a number');
  if (!Number.isFinite(n)) return fail('must be a finite number');
  if (integer && !Number.isSafeInteger(n)) return fail('must be an integer within ±(2^53 - 1)');
  return ok(n === 0 ? 0 : n); // -0 and 0 are the same value to every engine
}

function parseTimestamp(value: unknown): Parsed {
  const ts =
    value instanceof Date
      ? dateToTimestamp(value)
      : typeof value === 'string'
        ? normaliseTimestamp(value)
        : undefined;
  return ts === undefined
    ? fail('must be an ISO 8601 instant with an offset or Z (years 1..9999, up to 6 fraction digits)')
    : ok(ts);
}

function parseTyped(value: unknown, field: ResolvedField): Parsed {
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') return fail('must be a string');
      const problem = stringProblem(value, MAX_FILTER_STRING_LENGTH);
      return problem === undefined ? ok(value) : fail(problem);
    }
    case 'number':
    case 'integer':
      return parseNumber(value, field.type === 'integer');
    case 'boolean':
      if (typeof value === 'boolean') return ok(value);
      if (value === 'true' || value === 'false') return ok(value === 'true');
      return fail('must be a boolean');
    case 'timestamp':
      return parseTimestamp(value);
  }
}

/** One value for `op` on `field`; null only for eq/in on nullable fields. */
function parseValue(value: unknown, field: ResolvedField, op: Op, parameter: string): FieldValue {
  if (value === null || value === undefined) {
    if (value === null && (op === 'eq' || op === 'in') && field.nullable) return null;
    throw new InvalidQueryError(
      parameter,
      field.nullable ? 'null only goes with eq or in' : 'must not be null',
    );
  }
  const parsed = parseTyped(value, field);
  if (!parsed.ok) throw new InvalidQueryError(parameter, parsed.message);
  return parsed.value;
}

function compareValues(a: FieldValue, b: FieldValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseIn(value: unknown, field: ResolvedField, parameter: string): FilterCondition {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
    throw new InvalidQueryError(parameter, `must be a list of 1..${MAX_IN_VALUES} values`);
  }
  const seen = new Set<string>();
  const values: FieldValue[] = [];
  value.forEach((item, i) => {
    const parsed = parseValue(item, field, 'in', `${parameter}.${i}`);
    const id = JSON.stringify(parsed);
    if (!seen.has(id)) {
      seen.add(id);
      values.push(parsed);
    }
  });
  values.sort(compareValues);
  return { field: field.name, op: 'in', values: Object.freeze(values) };
}

function parseCondition(op: Op, value: unknown, field: ResolvedField, parameter: string): FilterCondition {
  if (!field.filter.has(PERMISSION[op])) {
    throw new InvalidQueryError(parameter, `operator \`${op}\` is not allowed on this field`);
  }
  if (op === 'in') return parseIn(value, field, parameter);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    throw new InvalidQueryError(parameter, 'must be a single value, not an object or list');
  }
  const parsed = parseValue(value, field, op, parameter);
  if (op === 'eq') return { field: field.name, op, value: parsed };
  if (op === 'prefix') {
    if (typeof parsed !== 'string' || parsed.length === 0) {
      throw new InvalidQueryError(parameter, 'must be a non-empty string');
    }
    return { field: field.name, op, value: parsed };
  }
  if (typeof parsed !== 'string' && typeof parsed !== 'number') {
    throw new InvalidQueryError(parameter, 'must be a number, a string or a timestamp');
  }
  return { field: field.name, op, value: parsed };
}

function conditionsOf(name: string, value: unknown, field: ResolvedField): FilterCondition[] {
  const base = `filter.${nameOf(name)}`;
  if (Array.isArray(value)) throw new InvalidQueryError(base, 'a list needs an operator: { in: [...] }');
  if (!isPlainRecord(value)) return [parseCondition('eq', value, field, base)];
  const ops = Object.keys(value);
  if (ops.length === 0) throw new InvalidQueryError(base, 'needs at least one operator');
  return ops.map((op) => {
    if (!isOp(op)) throw new InvalidQueryError(`${base}.${nameOf(op)}`, 'unknown operator');
    return parseCondition(op, value[op], field, `${base}.${op}`);
  });
}

/** Parses a client filter against `fields`; at most `maxFilters` conditions in all. */
export function parseFilters(
  input: unknown,
  fields: ReadonlyMap<string, ResolvedField>,
  maxFilters: number,
): readonly FilterCondition[] {
  if (input === undefined) return [];
  if (!isPlainRecord(input)) throw new InvalidQueryError('filter', 'must be an object of field to condition');
  const names = Object.keys(input);
  if (names.length > maxFilters) throw new InvalidQueryError('filter', `at most ${maxFilters} conditions`);
  const out: FilterCondition[] = [];
  for (const name of names) {
    const field = fields.get(name);
    if (field === undefined) throw new InvalidQueryError(`filter.${nameOf(name)}`, 'unknown field');
    if (field.filter.size === 0) throw new InvalidQueryError(`filter.${nameOf(name)}`, 'is not filterable');
    out.push(...conditionsOf(name, input[name], field));
    if (out.length > maxFilters) throw new InvalidQueryError('filter', `at most ${maxFilters} conditions`);
  }
  out.sort((a, b) =>
    a.field === b.field ? OPERATORS.indexOf(a.op) - OPERATORS.indexOf(b.op) : a.field < b.field ? -1 : 1,
  );
  return Object.freeze(out.map((c) => Object.freeze(c)));
}
