// The Platform API v3 client: headers, JSON bodies, Next-Range pagination, and errors a user can act on.

import { hostLabel } from './config.ts';
import { ApiError, CliError } from './errors.ts';

export const ACCEPT = 'application/vnd.heroku+json; version=3';
/** One API call may take this long before it is abandoned (the heroku CLI's figure). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Pagination stops here even if the server keeps sending Next-Range: a misbehaving server must not loop us. */
const MAX_PAGES = 100;

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Take the first page only (no Next-Range following), as for `Range: ...; max=N` calls. */
  partial?: boolean;
  /** Use this key instead of the configured one (`login` verifying a new key). */
  key?: string;
  /** HTTP Basic email and password instead of a key (`login` trading a password for a token). */
  basic?: { email: string; password: string };
}

export interface ApiClientOptions {
  base: URL;
  key: string | undefined;
  /** Where the key came from, to say which one to fix on a 401. */
  keySource?: 'env' | 'netrc';
  userAgent: string;
  /** Called with request/response summary lines when SLIPWAY_DEBUG is set. */
  debug?: (line: string) => void;
}

/** Turns fetch's network failures into a message naming the host and how to start the platform. */
export function explainNetworkError(err: unknown, base: URL): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new CliError(`The Slipway platform at ${hostLabel(base)} did not answer in time.`);
  }
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  if (code === 'ECONNREFUSED') {
    return new CliError(
      `The Slipway platform is not reachable at ${hostLabel(base)} (connection refused).\n` +
        'Start it with `slipway server`, or set SLIPWAY_HOST to where it runs.',
    );
  }
  if (code) return new CliError(`Cannot reach the Slipway platform at ${hostLabel(base)}: ${code}.`);
  return err;
}

export class ApiClient {
  readonly base: URL;
  private readonly opts: ApiClientOptions;

  constructor(opts: ApiClientOptions) {
    this.opts = opts;
    this.base = opts.base;
  }

  get hasKey(): boolean {
    return this.opts.key !== undefined;
  }

  url(path: string): string {
    return hostLabel(this.base) + path;
  }

  get<T>(path: string, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, o).then((r) => r.body);
  }
  post<T>(path: string, body?: unknown, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...o, body }).then((r) => r.body);
  }
  patch<T>(path: string, body: unknown, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...o, body }).then((r) => r.body);
  }
  put<T>(path: string, body: unknown, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...o, body }).then((r) => r.body);
  }
  delete<T>(path: string, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, o).then((r) => r.body);
  }

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<{ status: number; headers: Headers; body: T }> {
    const first = await this.once(method, path, o, o.headers ?? {});
    if (method !== 'GET' || o.partial || !Array.isArray(first.body)) return first as { status: number; headers: Headers; body: T };
    const all: unknown[] = [...first.body];
    let next = first.headers.get('next-range');
    for (let page = 1; next && page < MAX_PAGES; page++) {
      const r = await this.once(method, path, o, { ...(o.headers ?? {}), Range: next });
      if (!Array.isArray(r.body)) break;
      all.push(...r.body);
      next = r.headers.get('next-range');
    }
    return { status: first.status, headers: first.headers, body: all as T };
  }

  private async once(method: string, path: string, o: RequestOptions, extra: Record<string, string>) {
    // Without a key the request still goes out: an unreachable platform is the better thing to report.
    const key = o.key ?? this.opts.key;
    const headers: Record<string, string> = { Accept: ACCEPT, 'User-Agent': this.opts.userAgent, ...extra };
    if (o.basic) headers.Authorization = `Basic ${Buffer.from(`${o.basic.email}:${o.basic.password}`).toString('base64')}`;
    else if (key !== undefined) headers.Authorization = `Bearer ${key}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(o.body);
    }
    const url = this.url(path);
    this.opts.debug?.(`--> ${method} ${url}${o.body !== undefined ? ` ${init.body as string}` : ''}`);
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      throw explainNetworkError(err, this.base);
    }
    const text = await res.text();
    this.opts.debug?.(`<-- ${res.status} ${method} ${url} ${text.length > 500 ? `${text.slice(0, 500)}…` : text}`);
    const type = res.headers.get('content-type') ?? '';
    let body: unknown = text;
    if (/json/.test(type) && text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok && res.status === 401 && o.basic) throw new CliError(`Invalid email or password for ${hostLabel(this.base)}.`);
    if (!res.ok) throw this.error(res.status, method, url, body, o.key !== undefined);
    return { status: res.status, headers: res.headers, body };
  }

  private error(status: number, method: string, url: string, body: unknown, explicitKey: boolean): Error {
    const b = (body && typeof body === 'object' ? body : {}) as { id?: unknown; message?: unknown };
    const id = typeof b.id === 'string' ? b.id : undefined;
    const message = typeof b.message === 'string' ? b.message : undefined;
    if (status === 401 && !explicitKey && this.opts.key === undefined) {
      return new CliError(`Not logged in to ${hostLabel(this.base)}.\nRun \`slipway login\`, or set SLIPWAY_API_KEY.`);
    }
    if (status === 401) {
      const which = explicitKey
        ? 'That API key'
        : this.opts.keySource === 'env'
          ? 'The key in SLIPWAY_API_KEY'
          : `The key saved for ${this.base.host} in ~/.netrc`;
      return new CliError(
        `${which} is not valid for ${hostLabel(this.base)}${message ? `: ${message}` : '.'}\n` +
          'Run `slipway login`, or set SLIPWAY_API_KEY.',
      );
    }
    if (message) return new ApiError({ status, id, message, body, method, url });
    const detail = typeof body === 'string' ? body : JSON.stringify(body);
    return new ApiError({ status, id, message: `HTTP Error ${status} for ${method} ${url}${detail ? `\n${detail}` : ''}`, body, method, url });
  }
}
