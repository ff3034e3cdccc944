/**
 * Times on the wire: the details endpoint's `timeStamp` is ISO-8601 with a numeric offset
 * (psp-facts.md §2.9, e.g. `2018-06-13T18:34:25-07:00`). We give Norwegian local time
 * (Europe/Oslo), as the platform is Norwegian.
 */
const OSLO = 'Europe/Oslo';

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: OSLO,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** Offset of Europe/Oslo from UTC at `ms`, in minutes (60 or 120). */
export function osloOffsetMinutes(ms: number): number {
  const p = Object.fromEntries(parts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/** `2026-11-21T02:47:28.123Z` → `2026-11-21T03:47:28+01:00`. */
export function toOsloIso(isoUtc: string): string {
  const ms = Date.parse(isoUtc);
  const offset = osloOffsetMinutes(ms);
  const local = new Date(ms + offset * 60000).toISOString().slice(0, 19);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The calendar date (YYYY-MM-DD) in Oslo at `ms`. */
export function osloDate(ms: number): string {
  return new Date(ms + osloOffsetMinutes(ms) * 60000).toISOString().slice(0, 10);
}
