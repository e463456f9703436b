// Timestamps as Heroku's Platform API writes them: ISO 8601 in UTC to the second (`2026-11-24T15:19:10Z`).
// Stored rows keep milliseconds (store/index.ts `now()`); every answer, log session and dyno variable
// that shows a time goes through this one function.

export function apiTime(t: string | number | Date): string;
export function apiTime(t: string | number | Date | null): string | null;
export function apiTime(t: string | number | Date | null): string | null {
  return t === null ? null : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
