/**
 * Values as the memory source holds them, and the one ordering both sources share: strings by Unicode
 * code point (what PostgreSQL's `COLLATE "C"` gives for UTF-8), numbers numerically, false before true,
 * and timestamps as canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` strings. The canonical string keeps
 * microseconds and, being fixed-width ASCII, sorts like the instant it names; an integer count of
 * microseconds would not stay exact past the year 2255 (2^53 µs), a JS `Date` drops microseconds.
 */

import { dateToTimestamp, normaliseTimestamp } from './field-values.js';

/** A value as stored and compared: timestamps are canonical strings (see the file comment). */
export type StoredValue = string | number | boolean | null;

// A UTF-16 unit in the surrogate range belongs to a code point above U+FFFF, so it must sort after
// U+E000..U+FFFF: shift the two ranges past each other (the fix-up ICU uses for code point order).
const codePointRank = (unit: number): number =>
  unit < 0xd800 ? unit : unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;

/** Compares two strings by Unicode code point (not by UTF-16 unit, as `<` does). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Compares two non-null stored values of the same field type. */
export function compareStored(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  return (a === true ? 1 : 0) - (b === true ? 1 : 0);
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The canonical form of epoch ms plus 0..999 µs, or undefined outside years 0001..9999. */
function canonical(epochMs: number, extraMicros: number): string | undefined {
  const ms = dateToTimestamp(new Date(epochMs));
  return ms === undefined ? undefined : `${ms.slice(0, 23)}${pad(extraMicros, 3)}Z`;
}

/**
 * Parses a timestamp as rows may hold it: a valid `Date`, an ISO 8601 instant with `Z` or an offset
 * (up to 6 fraction digits, kept), or epoch ms (a fraction of a ms is kept to the µs). Returns the
 * canonical string, or undefined when the value is none of these or lies outside years 0001..9999.
 */
export function parseTimestamp(value: unknown): string | undefined {
  if (value instanceof Date) return dateToTimestamp(value);
  // The paginator's own parser: a row's timestamp and a filter's are read by the same rules.
  if (typeof value === 'string') return normaliseTimestamp(value);
  if (typeof value === 'number' && Number.isFinite(value)) {
    const micros = Math.round(value * 1000);
    const epochMs = Math.floor(micros / 1000);
    return canonical(epochMs, micros - epochMs * 1000);
  }
  return undefined;
}

/** Epoch ms (µs truncated) of a canonical timestamp string. */
export function timestampMs(canonicalText: string): number {
  return Date.parse(`${canonicalText.slice(0, 23)}Z`);
}
