// The dashboard's face on the platform: the HTTP it answers itself (the page at `/` for browsers, its
// built assets, sign-in and sign-out), and `authenticate`, the session credential the API accepts
// beside the API key. Everything the dashboard shows or changes goes through the Platform API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Account } from '../accounts/index.ts';
import type { LoginThrottle } from '../accounts/throttle.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import type { Db } from '../store/index.ts';
import { type Asset, assetUrl, loadAssets } from './assets.ts';
import { SignInLimiter } from './limiter.ts';
import { shellPage, signInPage } from './pages.ts';
import { COOKIE, DashboardSessions, SESSION_TTL_MS, sameOrigin, sameToken } from './sessions.ts';
import { MAX_FIELD, signIn } from './sign-in.ts';

export { signIn } from './sign-in.ts';

export interface DashboardOptions {
  db: Db;
  /** Where `npm run build:dashboard` put app.js and app.css. */
  assetsDir: string;
  /** Whether the dashboard is reached over HTTPS (its cookie is then `Secure`). */
  secure: boolean;
  /**
   * Failed password logins per account: the one `POST /oauth/authorizations` uses (the composition root
   * hands both the same), so tries for one email count together whichever door and address they come from.
   */
  loginThrottle: LoginThrottle;
  logger?: Logger;
}

/** The throttle's key for an email: the one `POST /oauth/authorizations` counts under. */
export const loginKey = (email: string) => `login:${email.trim().toLowerCase()}`;

/** A browser asking for a page, not an API client (which asks for JSON). */
const wantsPage = (req: IncomingMessage) => !/json/i.test(req.headers.accept ?? '');

const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'Cache-Control': 'no-store',
};

export class Dashboard {
  readonly sessions: DashboardSessions;
  private assets?: Map<string, Asset>;
  private readonly limiter = new SignInLimiter();
  private readonly logger: Logger;

  constructor(private readonly o: DashboardOptions) {
    this.sessions = new DashboardSessions({ db: o.db });
    this.logger = componentLogger(o.logger, 'dashboard');
  }

  /** The session credential: the account of a dashboard request to the API (see sessions.ts). */
  authenticate(req: IncomingMessage): Promise<Account | undefined> {
    return this.sessions.authenticate(req);
  }

  /** Answers the request if it is the dashboard's; false leaves it to the API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    let work: Promise<void>;
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD') && wantsPage(req)) work = this.page(req, res);
    else if (path.startsWith('/dashboard/assets/') && (req.method === 'GET' || req.method === 'HEAD')) work = Promise.resolve(this.asset(req, res, path.slice(18)));
    else if (path === '/dashboard/sign-in' && req.method === 'POST') work = this.signIn(req, res);
    else if (path === '/dashboard/sign-out' && req.method === 'POST') work = this.signOut(req, res);
    else return false;
    work.catch((err) => {
      this.logger.error({ err, path }, 'dashboard request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Platform error; the platform log has the details.\n');
      else res.destroy();
    });
    return true;
  }

  private html(res: ServerResponse, status: number, body: string, extra: Record<string, string | string[]> = {}): void {
    res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', ...extra }).end(body);
  }

  private async page(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = await this.sessions.find(req);
    if (!s) return this.html(res, 200, signInPage({}));
    this.assets ??= loadAssets(this.o.assetsDir);
    const js = this.assets.get('app.js');
    const css = this.assets.get('app.css');
    this.html(res, 200, shellPage({ csrf: s.csrf, email: s.account.email, js: js && assetUrl('app.js', js), css: css && assetUrl('app.css', css) }));
  }

  private asset(req: IncomingMessage, res: ServerResponse, name: string): void {
    this.assets ??= loadAssets(this.o.assetsDir);
    const a = this.assets.get(name);
    if (!a) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No such asset.\n');
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? a.gzip : a.body;
    res.writeHead(200, {
      'Content-Type': a.type, 'Content-Length': body.length, 'X-Content-Type-Options': 'nosniff', Vary: 'Accept-Encoding',
      // A chunk's name is its content's hash; app.js and app.css are asked for with theirs as `v`.
      'Cache-Control': name.startsWith('chunk-') || new URL(req.url ?? '/', 'http://x').searchParams.get('v') === a.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private cookie(value: string, maxAgeS: number): string {
    return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${this.o.secure ? '; Secure' : ''}`;
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    if (!sameOrigin(req)) return this.html(res, 403, signInPage({ error: 'Sign in from this platform\'s own sign-in page.' }));
    if (!form) return this.html(res, 400, signInPage({ error: 'The sign-in form could not be read; try again.' }));
    const email = form.get('email') ?? '';
    const shownEmail = email.slice(0, MAX_FIELD);
    const address = req.socket.remoteAddress ?? '';
    const wait = this.limiter.retryAfterMs(address);
    if (wait > 0) {
      return this.html(res, 429, signInPage({ error: `Too many failed sign-ins from here: try again in ${Math.ceil(wait / 60_000)} minute(s).`, email: shownEmail }),
        { 'Retry-After': String(Math.ceil(wait / 1000)) });
    }
    // Per account, from any address: slowed after a few failures, then refused for a while.
    const key = loginKey(email.slice(0, MAX_FIELD));
    const gate = this.o.loginThrottle.before(key);
    if ('refusedForMs' in gate) {
      this.logger.warn({ email: email.slice(0, 200), address }, 'dashboard sign-in refused: too many failures for this account');
      return this.html(res, 429, signInPage({ error: `Too many failed sign-ins for this account: try again in ${Math.ceil(gate.refusedForMs / 60_000)} minute(s).`, email: shownEmail }),
        { 'Retry-After': String(Math.ceil(gate.refusedForMs / 1000)) });
    }
    // Counted before the check, so tries sent side by side are slowed and refused too.
    const failures = this.o.loginThrottle.failed(key);
    if (gate.waitMs) await sleep(gate.waitMs);
    const account = await signIn(this.o.db, email, form.get('password') ?? '');
    if (!account) {
      this.limiter.failed(address);
      this.logger.warn({ email: email.slice(0, 200), address, failures }, 'dashboard sign-in refused');
      return this.html(res, 401, signInPage({ error: 'Wrong email or password.', email: shownEmail }));
    }
    this.o.loginThrottle.succeeded(key);
    const { id } = await this.sessions.create(account.id);
    res.writeHead(303, { ...HEADERS, Location: '/', 'Set-Cookie': this.cookie(id, SESSION_TTL_MS / 1000) }).end();
  }

  private async signOut(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const s = await this.sessions.find(req);
    // Signing out is a change too: it needs the session's CSRF token, from this origin.
    if (!s || !form || !sameOrigin(req) || !sameToken(s.csrf, form.get('csrf') ?? '')) {
      return this.html(res, 403, signInPage({ error: 'Sign-out refused: it must come from the dashboard page.' }));
    }
    await this.sessions.destroy(s.idHash);
    res.writeHead(303, { ...HEADERS, Location: '/', 'Set-Cookie': this.cookie('', 0) }).end();
  }
}

/** A form body (urlencoded, 16 KB at most), or undefined when it is not one or too long. */
function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 16 * 1024) resolve(undefined); // the rest is read and dropped
      else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', () => resolve(undefined));
  });
}
