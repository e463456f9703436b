// Pure logplex text rules: line format and timestamps, Heroku's source/dyno filters, and how one
// emitted message becomes lines (split at newlines, long lines cut into 10000-byte pieces).
import type { LogFilter, LogLine } from './types.ts';

/** `2026-11-24T15:19:10.123456+00:00`: UTC, 6-digit microseconds, numeric offset (RFC 5424 style). */
export function formatTimestamp(time: Date, micros: number): string {
  return `${time.toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}+00:00`;
}

/** True when every character of `text` is ASCII (its UTF-8 byte count equals its length). */
export function isAscii(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === text.length;
}

/** UTF-8 bytes of `text`, free when it is known to be ASCII. */
export function utf8Bytes(text: string, ascii: boolean | undefined): number {
  return ascii ? text.length : Buffer.byteLength(text, 'utf8');
}

/** Whole seconds, as logplex writes times inside its own notices (`since 2013-04-17T19:04:46+00:00`). */
export function formatWholeSeconds(time: Date): string {
  return `${time.toISOString().slice(0, 19)}+00:00`;
}

/** The line's timestamp, made once per line and kept on it. */
export function lineTimestamp(line: LogLine): string {
  return (line.stampText ??= formatTimestamp(line.time, line.micros));
}

/** `2026-11-24T15:19:10.123456+00:00 app[web.1]: message`, as `heroku logs` prints it. */
export function formatLine(line: LogLine): string {
  return `${lineTimestamp(line)} ${line.source}[${line.dyno}]: ${line.message}`;
}

/**
 * Heroku's filters: `source` must match exactly; `dyno` matches the exact name, or, when it has no
 * `.`, any dyno of that process type (`web` matches `web.1`, not `webhook.1`, and `router` matches
 * `router`).
 */
export function matchesFilter(line: Pick<LogLine, 'source' | 'dyno'>, filter: LogFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.source !== undefined && filter.source !== line.source) return false;
  const want = filter.dyno;
  if (want !== undefined && want !== '') {
    if (line.dyno === want) return true;
    if (want.includes('.')) return false;
    return line.dyno.startsWith(`${want}.`);
  }
  return true;
}

/**
 * One emitted message → the lines logplex stores. Splits at `\n` (a `\r` right before it goes too);
 * a trailing newline does not make an empty line, but an empty message is one empty line. Each line
 * longer than `maxBytes` UTF-8 bytes is cut into pieces of at most `maxBytes` bytes, each its own line.
 * Cuts fall on character boundaries, so a piece can be up to 3 bytes short of `maxBytes` rather than
 * carry half a character.
 */
export function splitMessage(message: string, maxBytes: number): string[] {
  const parts = message.split('\n');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const out: string[] = [];
  for (let part of parts) {
    if (part.endsWith('\r')) part = part.slice(0, -1);
    cutInto(part, maxBytes, out);
  }
  return out;
}

function cutInto(line: string, maxBytes: number, out: string[]): void {
  // Fast path: every UTF-16 unit is at most 3 UTF-8 bytes.
  if (line.length * 3 <= maxBytes || Buffer.byteLength(line, 'utf8') <= maxBytes) {
    out.push(line);
    return;
  }
  const bytes = Buffer.from(line, 'utf8');
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + maxBytes, bytes.length);
    // Step back off UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end--;
    if (end === start) end = Math.min(start + maxBytes, bytes.length); // maxBytes < one character
    out.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
}
