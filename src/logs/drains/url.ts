// Which drain URLs logplex accepts, and what each means. Pure: no I/O.
//
// syslog://host:port         RFC 5424 over TCP, octet-counted frames (RFC 6587)
// syslog+tls://host:port     the same over TLS, the server's certificate checked against the system CAs
//                            (plus NODE_EXTRA_CA_CERTS); `#insecure` skips the check, as logplex allows
// syslog+tcp://, tcpsyslog:// spellings of syslog:// that logplex also takes
// https://[user:pass@]host[:port]/path, http://...
//                            batched POSTs of application/logplex-1; user:pass becomes Basic auth
// UDP syslog (syslog+udp://, udpsyslog://) is refused: it cannot say a line was lost.

export interface SyslogTarget {
  kind: 'syslog';
  tls: boolean;
  /** Skip certificate checks (`#insecure`). */
  insecure: boolean;
  host: string;
  port: number;
}

export interface HttpTarget {
  kind: 'http';
  tls: boolean;
  insecure: boolean;
  /** The URL without userinfo or fragment. */
  url: URL;
  /** `Basic <base64>` from the URL's userinfo, if any. */
  authorization?: string;
}

export type DrainTarget = SyslogTarget | HttpTarget;

export class DrainUrlError extends Error {}

const EXAMPLES = 'syslog+tls://logs.example.com:6514, syslog://logs.example.com:514 or https://user:pass@logs.example.com/drain';

export function parseDrainUrl(raw: unknown): DrainTarget {
  if (typeof raw !== 'string' || raw.trim() === '') throw new DrainUrlError(`A drain needs a url, such as ${EXAMPLES}.`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DrainUrlError(`${raw} is not a URL. Use one such as ${EXAMPLES}.`);
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const insecure = url.hash === '#insecure';
  if (url.hash && !insecure) throw new DrainUrlError(`Drain URL fragment ${url.hash} is not understood (only #insecure, to skip TLS certificate checks).`);
  if (scheme === 'syslog+udp' || scheme === 'udpsyslog') {
    throw new DrainUrlError('UDP syslog drains are not supported (UDP loses lines without telling anyone): use syslog:// (TCP) or syslog+tls://.');
  }
  if (scheme === 'syslog' || scheme === 'syslog+tcp' || scheme === 'tcpsyslog' || scheme === 'syslog+tls') {
    if (!url.hostname) throw new DrainUrlError(`${raw} has no host.`);
    if (!url.port) throw new DrainUrlError(`${raw} has no port: syslog drains need one, e.g. ${scheme}://${url.hostname}:6514.`);
    if (url.pathname && url.pathname !== '/' && url.pathname !== '') throw new DrainUrlError(`${raw}: syslog drains take no path, only host:port.`);
    return { kind: 'syslog', tls: scheme === 'syslog+tls', insecure, host: stripBrackets(url.hostname), port: Number(url.port) };
  }
  if (scheme === 'https' || scheme === 'http') {
    if (!url.hostname) throw new DrainUrlError(`${raw} has no host.`);
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const clean = new URL(url.href);
    clean.username = '';
    clean.password = '';
    clean.hash = '';
    return {
      kind: 'http', tls: scheme === 'https', insecure, url: clean,
      ...(user || pass ? { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` } : {}),
    };
  }
  throw new DrainUrlError(`Drain URL scheme ${scheme}:// is not supported. Use ${EXAMPLES}.`);
}

/** The URL with any password replaced, for messages that may reach logs. */
export function redactDrainUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = 'REDACTED';
    return url.href;
  } catch {
    return raw;
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
