/**
 * Values of the search module's field types: the timestamp form (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC,
 * six fraction digits), string hygiene, and the type check a cursor value must pass. Shared by filter
 * parsing and the cursor codec so both accept exactly the same values.
 */
import type { FieldType, FieldValue } from './types.js';

/** The one timestamp form values travel in: UTC, exactly six fraction digits. */
export const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** ISO 8601 instants accepted as input: an offset or `Z` is required (a local time is ambiguous). */
// Seconds, the offset's minutes and a space for the `T` are optional, as PostgreSQL and the rows an
// app holds write them; the offset itself is not (a local time is no instant).
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** True when `value` holds a C0 control or DEL: no filter value or search text may (PostgreSQL refuses NUL). */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
/** A UTF-16 surrogate not part of a pair: cannot be encoded as UTF-8, so no engine stores it. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** True when `value` has no lone surrogate (well-formed UTF-16). */
export const isWellFormed = (value: string): boolean => !LONE_SURROGATE.test(value);

/** Why a string is refused, or undefined when it is fine. */
export function stringProblem(value: string, maxLength: number): string | undefined {
  if (value.length > maxLength) return `must be at most ${maxLength} characters`;
  if (!isWellFormed(value)) return 'must be well-formed Unicode (a lone surrogate was found)';
  if (hasControlCharacter(value)) return 'must not contain control characters';
  return undefined;
}

const daysInMonth = (year: number, month: number): number => {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
};

/** Earliest and latest instants served: years 0001..9999 in UTC (four-digit years, both engines). */
const MIN_MS = new Date(0).setUTCFullYear(1, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function fieldsInRange(parts: readonly number[]): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/**
 * Normalises an ISO 8601 instant (`2026-03-01T10:00:00+02:00`, `...Z`, up to six fraction digits) to
 * the µs form in UTC, or returns undefined when it is not one (bad field ranges, leap seconds, no
 * offset, out of years 1..9999).
 */
export function normaliseTimestamp(value: string): string | undefined {
  if (value.length > 40) return undefined;
  const match = ISO_INSTANT.exec(value);
  if (match === null) return undefined;
  const parts = match.slice(1, 7).map((part) => Number(part ?? '0'));
  if (!fieldsInRange(parts)) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  let offsetMinutes = 0;
  if (match[8] === undefined) {
    const offsetHours = Number(match[10]);
    const offsetMins = Number(match[11] ?? '0');
    if (offsetHours > 18 || offsetMins > 59 || offsetHours * 60 + offsetMins > 18 * 60) return undefined;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (match[9] === '-' ? -1 : 1);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const ms = date.getTime() - offsetMinutes * 60_000;
  if (!(ms >= MIN_MS && ms <= MAX_MS)) return undefined;
  const fraction = (match[7] ?? '').padEnd(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** A `Date` in the µs form (its milliseconds, then `000`), or undefined for an invalid or out-of-range date. */
export function dateToTimestamp(date: Date): string | undefined {
  const ms = date.getTime();
  if (!(ms >= MIN_MS && ms <= MAX_MS)) return undefined;
  return `${date.toISOString().slice(0, 23)}000Z`;
}

/** True when `value` is a timestamp in the exact travel form (what a source returns as a key). */
export const isCanonicalTimestamp = (value: string): boolean =>
  TIMESTAMP_PATTERN.test(value) && normaliseTimestamp(value) === value;

/**
 * Whether `value` is a valid non-null value of `type` as sources return keys: safe integers, finite
 * numbers, booleans, strings, canonical timestamps. Used to check cursor values before any use.
 */
export function isValueOfType(value: FieldValue, type: FieldType | 'relevance'): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string' && isWellFormed(value);
    case 'number':
    case 'relevance':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'timestamp':
      return typeof value === 'string' && isCanonicalTimestamp(value);
  }
}
