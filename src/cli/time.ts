// Times as the heroku CLI prints them: `2026/01/31 12:15:35 +0000 (~ 3m ago)`.

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `YYYY/MM/DD HH:MM:SS ±HHMM` at a UTC offset in minutes (east positive); the local zone by default.
 */
export function formatDate(d: Date, offsetMinutes = -d.getTimezoneOffset()): string {
  const t = new Date(d.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())} ` +
    `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** `(~ 42s ago)`, `(~ 3m ago)`, `(~ 5h ago)` up to 25 hours, then `(~ 2d ago)`; a future time reads as 0s. */
export function ago(d: Date, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - d.getTime()) / 1000));
  if (s < 60) return `(~ ${s}s ago)`;
  if (s < 3600) return `(~ ${Math.floor(s / 60)}m ago)`;
  if (s < 25 * 3600) return `(~ ${Math.floor(s / 3600)}h ago)`;
  return `(~ ${Math.floor(s / 86400)}d ago)`;
}

export interface TimeOptions {
  now: Date;
  /** UTC offset in minutes for the printed date; the local zone when absent. */
  offsetMinutes?: number;
}

/** `2026/01/31 12:15:35 +0000 (~ 3m ago)`; an unparseable time is printed as given. */
export function when(iso: string | undefined, o: TimeOptions): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${formatDate(d, o.offsetMinutes ?? -d.getTimezoneOffset())} ${ago(d, o.now)}`;
}
