// Dashboard sessions: a random id in an HttpOnly, SameSite=Strict cookie, stored only as its sha256
// with its account, its CSRF token and when it expires (SESSION_TTL_MS after sign-in, whatever the
// activity). A request with the cookie is the account's only when it also carries the session's CSRF
// token in `X-CSRF-Token` and comes from the dashboard's own origin; expired rows are deleted as new
// sessions are made.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Account } from '../accounts/index.ts';
import type { Db } from '../store/index.ts';

export const COOKIE = 'slipway_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_MS = 12 * 3600_000;

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

export interface Session { account: Account; csrf: string; idHash: string }

/** The value of the session cookie the request carries, if any (bounded: a longer one is no session). */
export function sessionCookie(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) {
      const v = part.slice(i + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

/**
 * Whether the request comes from a page of this origin, by what browsers send: `Origin` (on every
 * fetch but a same-origin GET) must be this host's, and `Sec-Fetch-Site`, when sent, `same-origin`.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DashboardSessions {
  constructor(private readonly o: { db: Db; now?: () => number }) {}

  private now(): number { return (this.o.now ?? Date.now)(); }

  /** A new session for the account: the cookie value (shown to the browser only) and its CSRF token. */
  async create(accountId: string): Promise<{ id: string; csrf: string }> {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const t = this.now();
    await this.o.db.deleteFrom('dashboard_sessions').where('expires_at', '<', new Date(t).toISOString()).execute();
    await this.o.db.insertInto('dashboard_sessions').values({
      id_hash: hash(id), account_id: accountId, csrf_token: csrf,
      created_at: new Date(t).toISOString(), expires_at: new Date(t + SESSION_TTL_MS).toISOString(),
    }).execute();
    return { id, csrf };
  }

  /** The live session of the request's cookie (CSRF token not checked: for serving pages). */
  async find(req: IncomingMessage): Promise<Session | undefined> {
    const id = sessionCookie(req);
    if (!id) return undefined;
    const row = await this.o.db.selectFrom('dashboard_sessions')
      .innerJoin('accounts', 'accounts.id', 'dashboard_sessions.account_id')
      .select(['accounts.id as id', 'accounts.email as email', 'dashboard_sessions.csrf_token as csrf', 'dashboard_sessions.id_hash as idHash'])
      .where('dashboard_sessions.id_hash', '=', hash(id))
      .where('dashboard_sessions.expires_at', '>', new Date(this.now()).toISOString())
      .executeTakeFirst();
    return row ? { account: { id: row.id, email: row.email }, csrf: row.csrf, idHash: row.idHash } : undefined;
  }

  /**
   * The account an API request made by the dashboard acts as: the cookie's live session, its CSRF token
   * in the header, and the request from this origin; anything less is no account (the API answers 401).
   */
  async authenticate(req: IncomingMessage): Promise<Account | undefined> {
    const token = req.headers[CSRF_HEADER];
    if (typeof token !== 'string' || !token || !sameOrigin(req)) return undefined;
    const s = await this.find(req);
    return s && sameToken(s.csrf, token) ? s.account : undefined;
  }

  async destroy(idHash: string): Promise<void> {
    await this.o.db.deleteFrom('dashboard_sessions').where('id_hash', '=', idHash).execute();
  }
}
