// How one log line leaves logplex for a drain, as Heroku's logplex writes it. Pure.
//
// Syslog drains: `<PRI>1 <time> <drain token> <source> <dyno> - - <message>\n`, RFC 5424 with the
// drain token as HOSTNAME, framed with RFC 6587 octet counting: `<byte length> <message>`.
// HTTPS drains: `<PRI>1 <time> host <source> <dyno> - <message>\n` (the literal `host` and no
// STRUCTURED-DATA field: what Heroku sends, and what drain receivers parse), framed the same way and
// concatenated into one application/logplex-1 body.
// PRI (facility*8 + severity), as seen in Heroku's drain traffic: app output local7.info (190), router
// local3.info (158), the API and dyno manager syslog.notice (45), logplex's own notices such as L10
// local5.warning (172).
import { formatWholeSeconds, lineTimestamp } from '../format.ts';
import type { LogLine } from '../types.ts';

export function priority(line: Pick<LogLine, 'source' | 'dyno'>): number {
  if (line.source === 'heroku') {
    if (line.dyno === 'router') return 158;
    if (line.dyno === 'logplex') return 172;
    return 45;
  }
  return line.dyno === 'api' ? 45 : 190;
}

/**
 * `<byte count> <head><message>\n`. The head holds only ASCII apart from the dyno, so for a line known
 * to be ASCII the count is a sum of lengths (no pass over the text, which is not flat yet).
 */
function framed(head: string, line: LogLine): string {
  const nl = line.message.endsWith('\n') ? '' : '\n';
  const bytes = line.ascii ? head.length + line.message.length : Buffer.byteLength(head, 'utf8') + Buffer.byteLength(line.message, 'utf8');
  return `${bytes + nl.length} ${head}${line.message}${nl}`;
}

export function syslogFrame(line: LogLine, token: string): string {
  return framed(`<${priority(line)}>1 ${lineTimestamp(line)} ${token} ${line.source} ${line.dyno} - - `, line);
}

export function httpFrame(line: LogLine): string {
  return framed(`<${priority(line)}>1 ${lineTimestamp(line)} host ${line.source} ${line.dyno} - `, line);
}

/** Heroku's L10 text, as logplex writes it. */
export function drainOverflowMessage(dropped: number, since: Date): string {
  return `Error L10 (output buffer overflow): ${dropped} messages dropped since ${formatWholeSeconds(since)}.`;
}

/** The L10 notice as a line of its own (source `heroku`, dyno `logplex`), stamped `now`. */
export function overflowLine(dropped: number, since: Date, now: Date): LogLine {
  return { time: now, micros: 0, source: 'heroku', dyno: 'logplex', message: drainOverflowMessage(dropped, since), ascii: true };
}
