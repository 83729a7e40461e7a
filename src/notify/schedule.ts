/**
 * Quiet hours in the recipient's time zone, DST-correct: the wall clock is read with `Intl`, and the
 * end of a quiet window is turned back into an instant by trying the zone's offsets on both sides of
 * it, so a window ending on a day the clocks change ends at the right local time.
 */
import { InvalidOptionError } from '../core/errors.js';
import { InvalidRecipientError } from './errors.js';
import type { QuietHours } from './types.js';

/** Quiet hours as minutes of the day. */
export interface QuietWindow {
  readonly startMinute: number;
  readonly endMinute: number;
}

const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** Parses `{ start: '22:00', end: '07:00' }`; `where` names it for errors. */
export function parseQuietHours(where: string, value: QuietHours, asOption: boolean): QuietWindow {
  const fail = (message: string) =>
    asOption
      ? new InvalidOptionError(`createNotifier: ${message}`)
      : new InvalidRecipientError(where, message);
  const start = typeof value?.start === 'string' ? HH_MM.exec(value.start) : null;
  const end = typeof value?.end === 'string' ? HH_MM.exec(value.end) : null;
  if (!start || !end) throw fail(`\`${where}\` needs \`start\` and \`end\` as HH:MM`);
  const startMinute = Number(start[1]) * 60 + Number(start[2]);
  const endMinute = Number(end[1]) * 60 + Number(end[2]);
  if (startMinute === endMinute) throw fail(`\`${where}\` must not start and end at the same minute`);
  return { startMinute, endMinute };
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
    } catch {
      throw new InvalidRecipientError('to.timeZone', '`to.timeZone` is not an IANA time zone');
    }
    if (formatters.size > 1000) formatters.clear(); // zones are few; this only bounds hostile input
    formatters.set(timeZone, f);
  }
  return f;
}

/** Checks a time zone name (throws `InvalidRecipientError`). */
export function checkTimeZone(timeZone: string): string {
  formatter(timeZone);
  return timeZone;
}

function wallClock(instantMs: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instantMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    minute: (parts.hour ?? 0) * 60 + (parts.minute ?? 0),
  };
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(instantMs: number, timeZone: string): number {
  const w = wallClock(instantMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, 0, w.minute);
  return asUtc - Math.floor(instantMs / 60_000) * 60_000;
}

const HALF_DAY_MS = 43_200_000;

/**
 * The instant the zone's wall clock reads `date` at `minute`. Of two (the hour repeated when clocks go
 * back) the first; of none (the hour skipped when they go forward) the first instant after the gap.
 */
export function zonedInstant(date: Omit<WallClock, 'minute'>, minute: number, timeZone: string): number {
  const asUtc = Date.UTC(date.year, date.month - 1, date.day, 0, minute);
  const candidates = [
    asUtc - offsetAt(asUtc - HALF_DAY_MS, timeZone),
    asUtc - offsetAt(asUtc + HALF_DAY_MS, timeZone),
  ];
  const exact = candidates.filter((t) => {
    const w = wallClock(t, timeZone);
    return w.year === date.year && w.month === date.month && w.day === date.day && w.minute === minute;
  });
  return exact.length > 0 ? Math.min(...exact) : Math.max(...candidates);
}

/** When the quiet window containing `nowMs` ends, or undefined when `nowMs` is outside quiet hours. */
export function quietUntil(nowMs: number, timeZone: string, window: QuietWindow): number | undefined {
  const w = wallClock(nowMs, timeZone);
  const { startMinute: s, endMinute: e } = window;
  const quiet = s < e ? w.minute >= s && w.minute < e : w.minute >= s || w.minute < e;
  if (!quiet) return undefined;
  // The end is today when it is still ahead on today's clock, else tomorrow.
  let date: Omit<WallClock, 'minute'> = w;
  if (w.minute >= e) {
    const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
    date = { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
  }
  return Math.max(zonedInstant(date, e, timeZone), nowMs + 1);
}
