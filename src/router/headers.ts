// Heroku's header rules for the router, as pure functions: Host parsing, request ids, the
// X-Forwarded-* / X-Request-* / Via headers sent to the dyno, and which hop-by-hop headers are
// stripped each way. As Heroku documents them (HTTP routing article, "Heroku Headers").
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Connection-scoped headers never passed on (RFC 9110 §7.6.1, plus what vegur strips). */
const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization']);

/** The request's Host header → lower-cased hostname without port or trailing dot; undefined if unusable. */
export function parseHost(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    host = host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host === '' || /[\s/@]/.test(host) ? undefined : host;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: clients on an IPv4 address are logged as IPv4. */
export function clientAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}

/** The hostname of a request from its raw headers; undefined when Host is missing, repeated or unusable (→ 400). */
export function hostOf(rawHeaders: readonly string[]): string | undefined {
  let host: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'host') continue;
    if (host !== undefined) return undefined;
    host = rawHeaders[i + 1] ?? '';
  }
  return parseHost(host);
}

/** Heroku keeps a client's X-Request-Id only if it is 20-200 characters of `[A-Za-z0-9+/=-]`. */
export function isValidRequestId(id: string): boolean {
  return /^[A-Za-z0-9+/=-]{20,200}$/.test(id);
}

export function requestIdFor(incoming: string | string[] | undefined, generate: () => string): string {
  const id = Array.isArray(incoming) ? undefined : incoming;
  return id !== undefined && isValidRequestId(id) ? id : generate();
}

/** The X-Forwarded-For chain: the client's entries (kept, not trusted) then the client address. */
export function forwardedChain(incoming: string | string[] | undefined, client: string): string[] {
  const previous = (Array.isArray(incoming) ? incoming.join(',') : (incoming ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return client ? [...previous, client] : previous;
}

/** Names listed in a Connection header are hop-by-hop for this message too. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    joined
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

function appendValue(existing: string | string[] | number | undefined, value: string): string {
  if (existing === undefined || existing === '') return value;
  return `${Array.isArray(existing) ? existing.join(', ') : String(existing)}, ${value}`;
}

export interface UpstreamHeaderFacts {
  host: string;
  requestId: string;
  fwd: readonly string[];
  /** `http` until the router terminates TLS. */
  proto: 'http' | 'https';
  /** The port the client connected to. */
  port: number;
  /** Epoch milliseconds when the router accepted the request. */
  requestStart: number;
  /** Pass `Upgrade` on and ask the dyno to switch protocols. */
  upgrade: boolean;
  /** Append `1.1 vegur` to Via (false when a proxy in front already did). Default true. */
  via?: boolean;
}

/** Headers the dyno gets: the client's, minus hop-by-hop ones, plus Heroku's. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, facts: UpstreamHeaderFacts): OutgoingHttpHeaders {
  const drop = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = { host: facts.host };
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name === 'host' || HOP_BY_HOP.has(name) || drop.has(name)) continue;
    // Node answered `Expect: 100-continue` itself (as Heroku's router does by default).
    if (name === 'expect') continue;
    out[name] = value;
  }
  out['x-forwarded-for'] = facts.fwd.join(', ');
  out['x-forwarded-proto'] = facts.proto;
  out['x-forwarded-port'] = String(facts.port);
  out['x-request-start'] = String(facts.requestStart);
  out['x-request-id'] = facts.requestId;
  if (facts.via === false) { if (incoming.via !== undefined) out.via = incoming.via; } else out.via = appendValue(incoming.via, '1.1 vegur');
  if (facts.upgrade && incoming.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade;
  }
  return out;
}

/**
 * The dyno's response headers as a flat `[name, value, ...]` list (names as the dyno spelled them,
 * repeated headers such as Set-Cookie kept), minus hop-by-hop ones, with `1.1 vegur` added to Via.
 * `keepUpgrade` keeps `Upgrade` and `Connection` for a 101.
 */
export function clientResponseHeaders(rawHeaders: readonly string[], keepUpgrade = false): string[] {
  const drop = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') for (const t of connectionTokens(rawHeaders[i + 1])) drop.add(t);
  }
  const out: string[] = [];
  const via: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'via') {
      via.push(value);
      continue;
    }
    if (keepUpgrade && (lower === 'upgrade' || lower === 'connection')) {
      out.push(name, value);
      continue;
    }
    // Node re-frames the body for the client, so the dyno's Transfer-Encoding goes too.
    if (HOP_BY_HOP.has(lower) || lower === 'transfer-encoding' || (drop.has(lower) && lower !== 'upgrade')) continue;
    out.push(name, value);
  }
  via.push('1.1 vegur');
  out.push('Via', via.join(', '));
  return out;
}

/** Bytes of the response head as the dyno sent it (status line, headers, blank line). */
export function responseHeadBytes(statusCode: number, statusMessage: string, rawHeaders: readonly string[]): number {
  let bytes = Buffer.byteLength(`HTTP/1.1 ${statusCode} ${statusMessage}\r\n\r\n`);
  for (let i = 0; i < rawHeaders.length; i += 2) bytes += Buffer.byteLength(`${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`);
  return bytes;
}
