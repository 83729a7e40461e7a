/**
 * The limiter's guard against a broken clock. A `now()` of NaN, Infinity or a non-number poisons every
 * comparison the algorithms make (`NaN < limit` is false both ways), which reads as "allowed": so such a
 * reading is a typed error, at construction and at every decision, never a silent allow. A clock that
 * steps backwards is tolerated (NTP does that): the algorithms read the new time as it is, so at worst a
 * fresh window or bucket starts, never more than one extra quota.
 */
import { InvalidOptionError } from '../core/errors.js';

/** Latest time a JS `Date` can hold (ms since the epoch); anything later is not a wall clock. */
const MAX_TIME_MS = 8.64e15;

/** True when `ms` is a usable wall-clock reading: a finite number in 0..8.64e15. */
export const isClockReading = (ms: unknown): ms is number =>
  typeof ms === 'number' && ms >= 0 && ms <= MAX_TIME_MS;

/** The error for a bad reading: the `clock` option is broken, whenever it is noticed. */
export function clockError(owner: string, reading: unknown): InvalidOptionError {
  const got = typeof reading === 'number' ? String(reading) : typeof reading;
  return new InvalidOptionError(
    `${owner}: \`clock.now()\` must return milliseconds since the epoch (a finite number >= 0), got ${got}`,
  );
}

/** Reads `clock` once at construction, so a clock that is broken from the start fails there. */
export function checkClockAtConstruction(owner: string, clock: { now(): number }): void {
  let reading: unknown;
  try {
    reading = clock.now();
  } catch (error) {
    throw new InvalidOptionError(`${owner}: \`clock.now()\` threw`, { cause: error });
  }
  if (!isClockReading(reading)) throw clockError(owner, reading);
}
