// Heroku's router log line, built from the facts of one request: fields in Heroku's order
// (`sock= at= code= desc= method= path= host= request_id= fwd= dyno= connect= service= status=
// bytes= protocol=`), fields that do not apply kept with nothing after `=`. Pure.
import { hcode, type HCode } from './hcodes.ts';

export interface RouterLogFields {
  code?: HCode;
  method: string;
  /** Path plus query string, as sent. */
  path: string;
  /** The request's hostname (lower-cased, port stripped). */
  host: string;
  requestId: string;
  /** The X-Forwarded-For chain sent to the dyno, one entry per address. */
  fwd: readonly string[];
  /** Dyno the request went to; omitted when none was chosen. */
  dyno?: string;
  connectMs?: number;
  serviceMs?: number;
  /** Status the client got; defaults to the code's status. */
  status?: number;
  bytes?: number;
  protocol: 'http' | 'https';
}

const NEEDS_QUOTING = /["\x00-\x1f\x7f]/;
const NEEDS_ESCAPE = /[\s"]/;

/** A value inside double quotes: `"` becomes `%22` (still a valid path), control bytes are escaped. */
function quoted(value: string): string {
  if (!NEEDS_QUOTING.test(value)) return `"${value}"`;
  return `"${value.replace(/"/g, '%22').replace(/[\x00-\x1f\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)}"`;
}

/** A bare token: whitespace would split the field, so it is percent-escaped like in a URL. */
function bare(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\s"]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

const ms = (n: number | undefined): string => (n === undefined ? '' : `${Math.max(0, Math.round(n))}ms`);

export function formatRouterLine(f: RouterLogFields): string {
  const info = f.code ? hcode(f.code) : undefined;
  const status = f.status ?? info?.status;
  const parts: string[] = [];
  if (info?.sock) parts.push(`sock=${info.sock}`);
  parts.push(`at=${info?.at ?? 'info'}`);
  if (f.code && info) parts.push(`code=${f.code}`, `desc="${info.desc}"`);
  parts.push(
    `method=${bare(f.method)}`,
    `path=${quoted(f.path)}`,
    `host=${bare(f.host)}`,
    `request_id=${f.requestId}`,
    `fwd=${quoted(f.fwd.join(','))}`,
    `dyno=${f.dyno ?? ''}`,
    `connect=${ms(f.connectMs)}`,
    `service=${ms(f.serviceMs)}`,
    `status=${status ?? ''}`,
    `bytes=${f.bytes ?? ''}`,
    `protocol=${f.protocol}`,
  );
  return parts.join(' ');
}
