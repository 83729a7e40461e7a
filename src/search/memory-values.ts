/**
 * Values as the memory source holds them, and the one ordering both sources share: strings by Unicode
 * code point (what PostgreSQL's `COLLATE "C"` gives for UTF-8), numbers numerically, false before true,
 * and timestamps as canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` strings. The canonical string keeps
 * microseconds and, being fixed-width ASCII, sorts like the instant it names; an integer count of
 * microseconds would not stay exact past the year 2255 (2^53 µs), a JS `Date` drops microseconds.
 */

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

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The canonical form of epoch ms plus 0..999 µs, or undefined outside years 0001..9999. */
function canonical(epochMs: number, extraMicros: number): string | undefined {
  const date = new Date(epochMs);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 1 || year > 9999) return undefined;
  return `${date.toISOString().slice(0, 23)}${pad(extraMicros, 3)}Z`;
}

function fromIsoString(text: string): string | undefined {
  const m = ISO_INSTANT.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = Number(m[6] ?? '0');
  const micros = Number((m[7] ?? '').padEnd(6, '0'));
  const offsetMinutes =
    m[8] === undefined ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? '0')) : 0;
  if (hour > 23 || minute > 59 || second > 59 || offsetMinutes > 18 * 60 || offsetMinutes < -18 * 60) {
    return undefined;
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  date.setUTCHours(hour, minute, second, 0);
  const epochMs = date.getTime() - offsetMinutes * 60_000 + Math.floor(micros / 1000);
  return canonical(epochMs, micros % 1000);
}

/**
 * Parses a timestamp as rows may hold it: a valid `Date`, an ISO 8601 instant with `Z` or an offset
 * (up to 6 fraction digits, kept), or epoch ms (a fraction of a ms is kept to the µs). Returns the
 * canonical string, or undefined when the value is none of these or lies outside years 0001..9999.
 */
export function parseTimestamp(value: unknown): string | undefined {
  if (value instanceof Date) return canonical(value.getTime(), 0);
  if (typeof value === 'string') return fromIsoString(value);
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
