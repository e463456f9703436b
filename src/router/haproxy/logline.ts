// HAProxy's per-request log line (the format in config.ts) → the facts of Heroku's router line, pure.
// HAProxy's termination state says how a request ended; these are the H-codes it maps to:
//   sH  no response byte within the server timeout .................. H12 Request timeout
//   SH  the dyno closed or reset before answering ................... H13 Connection closed without response
//   sC  connect timed out (after retries) ........................... H19 Backend connection timeout
//   SC  connect refused (after retries) ............................. H21 Backend connection refused
//   sD  the dyno went silent mid-response ........................... H15 Idle connection
//   sQ  every dyno had its backlog in flight; the queue wait ran out .. H11 Backlog too deep
//   SD  the dyno's connection died mid-response ..................... H18 Server Request Interrupted
//   cD, cH, cR (client silent mid-request or mid-response) ........... H28 Client Connection Idle
//   C*  the client closed before the response was complete .......... H27 Client Request Interrupted
//   K*  the connection was killed (a reload's hard stop) ............ H24 Forced close
//   PH  the dyno's response could not be parsed ..................... H17 Poorly formatted HTTP response
//   s*/S* on the Node router behind HAProxy (it cannot be reached) .. H99 Platform error
// A `cR` before any request head arrived never reaches a log (HAProxy answers 408 and Heroku logs
// nothing for it either).
import { hcode, type HCode } from '../hcodes.ts';
import { formatRouterLine, type RouterLogFields } from '../logline.ts';

export interface HaproxyLogLine {
  backend: string;
  server: string;
  termination: string;
  status: number;
  bytes: number;
  activeMs: number;
  handshakeMs: number;
  queueMs: number;
  connectMs: number;
  tls: boolean;
  fwd: string;
  method: string;
  uri: string;
  host: string;
  requestId: string;
}

const FIELD_COUNT = 15;
/** What HAProxy writes before each of the last four fields (config.ts LOG_FORMAT_FIELDS). */
const PREFIXES = ['method=', ' path="', ' host=', ' request_id='] as const;

/** Splits on unescaped `]`, undoing HAProxy's `+E` backslash escapes; undefined if the line is not ours. */
export function splitFields(line: string): string[] | undefined {
  // Almost every line has nothing escaped: one split, no per-character work.
  if (line.indexOf('\\') < 0 && line.indexOf('\n') < 0) {
    const parts = line.split(']');
    if (parts.length !== FIELD_COUNT + 1 || parts[FIELD_COUNT] !== '') return undefined;
    parts.length = FIELD_COUNT;
    return parts;
  }
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ']') {
      fields.push(cur);
      cur = '';
    } else if (c !== '\n') {
      cur += c;
    }
  }
  return fields.length === FIELD_COUNT ? fields : undefined;
}

const num = (s: string) => (s === '' || s === '-' ? -1 : Number(s));

/** The fields of a split line, each named; undefined when the last four lack what HAProxy writes before them. */
function named(f: string[]): HaproxyLogLine | undefined {
  for (let i = 0; i < PREFIXES.length; i++) if (!f[11 + i]!.startsWith(PREFIXES[i]!)) return undefined;
  const path = f[12]!;
  if (!path.endsWith('"')) return undefined;
  return {
    backend: f[0]!, server: f[1]!, termination: f[2]!, status: num(f[3]!), bytes: num(f[4]!), activeMs: num(f[5]!),
    handshakeMs: num(f[6]!), queueMs: num(f[7]!), connectMs: num(f[8]!), tls: f[9] === '1', fwd: f[10]!,
    method: f[11]!.slice(PREFIXES[0].length), uri: path.slice(PREFIXES[1].length, -1),
    host: f[13]!.slice(PREFIXES[2].length), requestId: f[14]!.slice(PREFIXES[3].length),
  };
}

export function parseLogLine(line: string): HaproxyLogLine | undefined {
  const f = splitFields(line);
  return f && named(f);
}

/** One request as the controller passes it on: the app, Heroku's router line, and what the metrics count. */
export interface RoutedRequest {
  appId: string;
  line: string;
  /** The status the client got (Heroku's for an H-code). */
  status: number | undefined;
  ms: number | undefined;
  bytes: number | undefined;
  /** The H-code the router ended it with, if any (only the long way has one). */
  code?: string;
}

/** What must be true of the copied fields for the copy to be what formatRouterLine would print. */
const PLAIN_TOKEN = /[\s"]/;
const PLAIN_QUOTED = /["\x00-\x1f\x7f]/;
const PLAIN_FWD = /[\s,"\x00-\x1f\x7f]/;

/**
 * HAProxy's log line → Heroku's router line and the request's metrics; undefined for a line that is
 * not one (the Node router's own requests, a Host no app has). A request a dyno answered, in a line
 * with nothing escaped, takes the short way: the middle of the line is HAProxy's text, copied
 * (the checks above hold, so it is byte for byte what `formatRouterLine` prints); any other line is
 * parsed into fields and formatted (`routerFields`, `formatRouterLine`).
 */
export function routerLine(line: string, dynoOf: (backend: string, slot: string) => string | undefined,
  appForHost: (host: string) => string | undefined = () => undefined): RoutedRequest | undefined {
  if (line.indexOf('\\') < 0 && line.indexOf('\n') < 0) {
    const f = line.split(']');
    const quick = f.length === FIELD_COUNT + 1 && quickLine(f, dynoOf);
    if (quick) return quick;
  }
  const parsed = parseLogLine(line);
  const fields = parsed && routerFields(parsed, appForHost);
  if (!fields) return undefined;
  const { appId, ...rest } = fields;
  if (rest.dyno) rest.dyno = dynoOf(parsed.backend, rest.dyno) ?? rest.dyno;
  const status = rest.status ?? (rest.code ? hcode(rest.code).status : undefined);
  return { appId, line: formatRouterLine(rest), status, ms: parsed.activeMs >= 0 ? parsed.activeMs : undefined, bytes: rest.bytes, ...(rest.code ? { code: rest.code } : {}) };
}

/** The short way (see routerLine), or undefined when the line needs the long one. */
function quickLine(f: string[], dynoOf: (backend: string, slot: string) => string | undefined): RoutedRequest | undefined {
  const [backend, server, termination] = f as [string, string, string];
  if (!backend.startsWith('app-') || server === 'node' || server === '' || server === '<NOSRV>' || hcodeFor(termination) !== undefined) return undefined;
  const method = f[11]!;
  const path = f[12]!;
  const host = f[13]!;
  if (!method.startsWith(PREFIXES[0]) || !path.startsWith(PREFIXES[1]) || !path.endsWith('"') || !host.startsWith(PREFIXES[2]) || !f[14]!.startsWith(PREFIXES[3])) return undefined;
  if (PLAIN_TOKEN.test(method.slice(PREFIXES[0].length)) || PLAIN_QUOTED.test(path.slice(PREFIXES[1].length, -1)) || PLAIN_TOKEN.test(host.slice(PREFIXES[2].length))) return undefined;
  let fwd = f[10]!;
  if (PLAIN_FWD.test(fwd)) {
    fwd = fwd.split(',').map((s) => s.trim()).filter(Boolean).join(',');
    if (PLAIN_QUOTED.test(fwd)) return undefined;
  }
  const status = num(f[3]!);
  const bytes = num(f[4]!);
  const active = num(f[5]!);
  const connect = num(f[8]!);
  const service = active >= 0 ? Math.max(0, active - Math.max(0, num(f[6]!)) - Math.max(0, num(f[7]!)) - Math.max(0, connect)) : -1;
  const appId = backend.slice(4);
  const line = `at=info ${method}${path}${host}${f[14]} fwd="${fwd}" dyno=${dynoOf(backend, server) ?? server} connect=${connect >= 0 ? `${connect}ms` : ''} service=${service >= 0 ? `${service}ms` : ''} status=${status >= 0 ? status : ''} bytes=${bytes >= 0 ? bytes : ''} protocol=${f[9] === '1' ? 'https' : 'http'}`;
  return { appId, line, status: status >= 0 ? status : undefined, ms: active >= 0 ? active : undefined, bytes: bytes >= 0 ? bytes : undefined };
}

/** Codes whose client got the router's error page, not the dyno's bytes. */
const ROUTER_ANSWERED = new Set<HCode>(['H11', 'H12', 'H13', 'H17', 'H19', 'H21', 'H99']);

/** The H-code for HAProxy's termination state (its first two characters), if any. */
export function hcodeFor(termination: string): HCode | undefined {
  const cause = termination[0];
  const phase = termination[1];
  if (cause === 's') return phase === 'H' ? 'H12' : phase === 'C' ? 'H19' : phase === 'D' ? 'H15' : phase === 'Q' ? 'H11' : undefined;
  if (cause === 'S') return phase === 'H' ? 'H13' : phase === 'C' ? 'H21' : phase === 'D' ? 'H18' : undefined;
  if (cause === 'c') return phase === 'D' || phase === 'H' || phase === 'R' ? 'H28' : undefined;
  if (cause === 'C') return 'H27';
  if (cause === 'K') return 'H24';
  if (cause === 'P' && phase === 'H') return 'H17';
  return undefined;
}

/**
 * Our router line's facts for a request HAProxy answered; undefined for the Node router's own. A
 * request that ended before an app's backend was chosen (a client stalling its request: H28) is
 * given to the app its Host names, through `appForHost`.
 */
export function routerFields(l: HaproxyLogLine, appForHost: (host: string) => string | undefined = () => undefined): (RouterLogFields & { appId: string }) | undefined {
  // The Node router logs what it answers; HAProxy's line for it counts only when the Node router could
  // not be reached or did not answer: a fault of the platform, not of the app (H99).
  const platformFault = l.server === 'node' && /^[sS]/.test(l.termination);
  if (l.server === 'node' && !platformFault) return undefined;
  const appId = l.backend.startsWith('app-') ? l.backend.slice(4) : /^[cC]/.test(l.termination) || platformFault ? appForHost(l.host) : undefined;
  if (!appId) return undefined;
  const code = platformFault ? 'H99' : hcodeFor(l.termination);
  const chose = l.server !== '' && l.server !== '<NOSRV>' && !platformFault;
  const connect = l.connectMs >= 0 ? l.connectMs : undefined;
  // Service: what the request spent with the dyno and the client after the connection was open.
  const service = l.activeMs >= 0 ? Math.max(0, l.activeMs - Math.max(0, l.handshakeMs) - Math.max(0, l.queueMs) - Math.max(0, l.connectMs)) : undefined;
  return {
    appId,
    code,
    method: l.method,
    path: l.uri,
    host: l.host,
    requestId: l.requestId,
    fwd: l.fwd.split(',').map((s) => s.trim()).filter(Boolean),
    dyno: chose ? l.server : undefined,
    connectMs: chose ? connect : undefined,
    serviceMs: chose && code !== 'H19' && code !== 'H21' ? service : undefined,
    // The client got Heroku's status for the code (the error file says 503), not HAProxy's 502/504.
    status: code ? undefined : l.status >= 0 ? l.status : undefined,
    // Bytes passed from the dyno: none when the router answered with its error page instead (HAProxy
    // counts the page), and the field is empty when no dyno was chosen at all.
    bytes: code && ROUTER_ANSWERED.has(code) ? (chose ? 0 : undefined) : l.bytes >= 0 ? l.bytes : undefined,
    protocol: l.tls ? 'https' : 'http',
  };
}
