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
import type { HCode } from '../hcodes.ts';
import type { RouterLogFields } from '../logline.ts';

export interface HaproxyLogLine {
  backend: string;
  server: string;
  method: string;
  host: string;
  requestId: string;
  fwd: string;
  handshakeMs: number;
  queueMs: number;
  connectMs: number;
  responseMs: number;
  activeMs: number;
  status: number;
  bytes: number;
  termination: string;
  httpVersion: string;
  tls: boolean;
  tlsVersion: string;
  uri: string;
}

const FIELD_COUNT = 18;

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

export function parseLogLine(line: string): HaproxyLogLine | undefined {
  const f = splitFields(line);
  if (!f) return undefined;
  const n = (s: string) => (s === '' || s === '-' ? -1 : Number(s));
  return {
    backend: f[0]!, server: f[1]!, method: f[2]!, host: f[3]!, requestId: f[4]!, fwd: f[5]!,
    handshakeMs: n(f[6]!), queueMs: n(f[7]!), connectMs: n(f[8]!), responseMs: n(f[9]!), activeMs: n(f[10]!),
    status: n(f[11]!), bytes: n(f[12]!), termination: f[13]!, httpVersion: f[14]!, tls: f[15] === '1', tlsVersion: f[16]!,
    uri: f[17]!,
  };
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
