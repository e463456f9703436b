// The platform's own log, the operator's (apart from the apps' Logplex stream): one pino logger,
// created by the composition root (platform/server.ts) and handed to each component, which takes a
// child carrying its name (`component`) and, per line or per child, the app, dyno, release or request
// the line concerns (`app`, `dyno`, `release`, `request_id`).
//
// Two formats. `text` (the default) is for people: the platform's announcements (`Slipway is
// running ...`, the operator key) exactly as written, a component's lines as `<component>: <message>`,
// levels other than info named in front (`ERROR router: ...`), the fields after as `key=value`, an
// error's stack below it, and a fatal error as the CLI's ` ▸    <message>`; colours only on a terminal.
// `json` (SLIPWAY_LOG_FORMAT=json) is pino's own line per entry, for a log shipper. Lines are written
// synchronously, so the last ones before an exit are not lost; the platform logs little (no line per
// request below `debug`), so a blocked pipe costs nothing in the usual case.
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger };
export type LogFormat = 'text' | 'json';
export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface LoggerOptions {
  /** Least severe level written (default `info`); `silent` writes nothing. */
  level?: Level | 'silent';
  /** Default `text`. */
  format?: LogFormat;
  /** File descriptor written to (default 1, the platform's stdout). */
  fd?: number;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const fd = o.fd ?? 1;
  const dest = pino.destination({ fd, sync: true });
  const stream: DestinationStream = o.format === 'json' ? dest : { write: (line) => dest.write(formatText(line, isTerminal(fd))) };
  return pino({ level: o.level ?? 'info', base: undefined }, stream);
}

/**
 * The logger of a component built without one (tests, tools): text on stderr at SLIPWAY_LOG_LEVEL
 * (info when unset or not a level), so a component's lines are never lost for want of wiring.
 */
export function componentLogger(log: Logger | undefined, component: string): Logger {
  return (log ?? createLogger({ fd: 2, level: parseLevel(process.env.SLIPWAY_LOG_LEVEL) ?? 'info' })).child({ component });
}

/** A level name as SLIPWAY_LOG_LEVEL spells it; undefined when it is not one. */
export function parseLevel(value: string | undefined): Level | 'silent' | undefined {
  const v = value?.trim().toLowerCase();
  return v === 'silent' || LOG_LEVELS.includes(v as Level) ? (v as Level | 'silent') : undefined;
}

function isTerminal(fd: number): boolean {
  return (fd === 1 ? process.stdout : fd === 2 ? process.stderr : undefined)?.isTTY === true;
}

const LABELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 40: '33', 50: '31', 60: '31' };
/** Fields pino writes that the text line shows otherwise, or not at all. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'component', 'err', 'pid', 'hostname']);

/** One pino JSON line as the text format shows it (with the newline); a line that is not JSON passes as is. */
export function formatText(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const paint = (text: string): string => (colour && COLOURS[level] ? `\x1b[${COLOURS[level]}m${text}\x1b[0m` : text);
  let msg = typeof entry.msg === 'string' ? entry.msg : '';
  // An error: its first line ends the message, its stack frames follow the line.
  let frames = '';
  const err = entry.err as { message?: string; stack?: string } | undefined;
  if (err && typeof err === 'object') {
    const [first = '', ...rest] = (err.stack ?? err.message ?? '').split('\n');
    msg = msg ? `${msg}: ${first}` : first;
    frames = rest.map((l) => `\n${l}`).join('');
  }
  if (level >= 60) return `${paint(' ▸    ')}${msg}${frames}\n`;
  let text = typeof entry.component === 'string' ? `${entry.component}: ${msg}` : msg;
  const fields = Object.entries(entry).filter(([k, v]) => !SHOWN_ELSEWHERE.has(k) && v !== undefined);
  if (fields.length) text += ` ${fields.map(([k, v]) => `${k}=${fieldValue(v)}`).join(' ')}`;
  if (level !== 30) text = `${paint(LABELS[level] ?? String(level))} ${text}`;
  return `${text}${frames}\n`;
}

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
