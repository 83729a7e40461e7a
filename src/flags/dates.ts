/**
 * ISO 8601 parsing for flag configs and clause attributes, strict and host-independent: a date
 * (`2025-03-01`, midnight UTC) or a date-time with seconds optional, fraction optional and a zone
 * required (`2025-03-01T09:30:00Z`, `2025-03-01T09:30+01:00`). A local time without a zone is refused,
 * because its instant would depend on the server's time zone. Impossible dates (`2025-02-30`) are refused.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** Longest accepted text (`YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM`), checked before the regex runs. */
const MAX_LENGTH = 35;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function offsetMinutes(zone: string): number | undefined {
  if (zone === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Epoch milliseconds of an ISO 8601 date or zoned date-time, or undefined when `text` is not one. */
export function parseIsoInstant(text: string): number | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const offset = offsetMinutes(m[8] ?? 'Z');
  if (offset === undefined) return undefined;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0..99 to 1900..1999
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offset * 60_000;
}
