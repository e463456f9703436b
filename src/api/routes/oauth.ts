// Accounts and logging in: the operator's `/accounts` (our addition: Heroku signs people up on its web
// site), `GET/PATCH /account`, `/account/rate-limits`, and Heroku's `/oauth/authorizations`, where
// `heroku login -i` and `slipway login` trade an email and password (HTTP Basic) for a token.
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from 'typebox';
import type { Account, AccountRow } from '../../accounts/index.ts';
import type { AuthorizationRow } from '../../accounts/authorizations.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound, PlatformError } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, IdParams, Maybe, said } from '../schemas.ts';

export type OauthRouteDeps = Pick<ApiDeps, 'accounts' | 'authorizations' | 'loginThrottle' | 'rateLimiter'>;

export function accountView(a: AccountRow) {
  return {
    id: a.id, email: a.email, name: a.name ?? a.email.split('@')[0], verified: true, two_factor_authentication: false,
    allow_tracking: false, beta: false, federated: false, suspended_at: null, delinquent_at: null, default_team: null, default_organization: null,
    sms_number: null, last_login: null, disabled: a.disabled_at !== null, disabled_at: a.disabled_at === null ? null : iso(a.disabled_at),
    created_at: iso(a.created_at), updated_at: iso(a.updated_at),
  };
}

function authorizationView(r: AuthorizationRow, user: { id: string; email: string }, token?: string) {
  const expiresIn = r.expires_at === null ? null : Math.max(0, Math.round((Date.parse(r.expires_at) - Date.now()) / 1000));
  return {
    id: r.id, description: r.description, scope: ['global'], created_at: iso(r.created_at), updated_at: iso(r.updated_at),
    // The token is shown only when made: the platform keeps its hash alone (left out otherwise: Heroku types it a string).
    access_token: { id: r.id, ...(token ? { token } : {}), expires_in: expiresIn },
    refresh_token: null, grant: null, client: null, session: null, user: { id: user.id, email: user.email, full_name: null },
  };
}

const CreateAccountBody = Type.Object({
  email: Type.String(said('email and password are required: {"email": "dev@example.com", "password": "..."}.')),
  password: Type.String(said('email and password are required: {"email": "dev@example.com", "password": "..."}.')),
}, said('email and password are required: {"email": "dev@example.com", "password": "..."}.'));
const UpdateAccountBody = Type.Object({ disabled: Type.Boolean(said('disabled must be true or false.')) }, said('Expected {"disabled": true} or {"disabled": false}.'));
const PatchAccountBody = Type.Object({
  name: Maybe(Type.String(), 'name must be a string.'),
  password: Maybe(Type.String(), 'password (the current one) must be a string.'),
  new_password: Maybe(Type.String(), 'new_password must be a string.'),
}, { description: 'Other keys Heroku takes (allow_tracking, beta) are ignored.' });
const CreateAuthBody = Type.Object({
  description: Maybe(Type.String(), 'description must be a string.'),
  expires_in: Maybe(Type.Integer(), 'expires_in must be a whole number of seconds.'),
}, { description: 'scope and client are accepted and ignored: every token has the global scope.' });
const DescribeBody = Type.Object({ description: Type.String(said('description must be a string.')) }, said('Expected {"description": "..."}.'));
const AccountParams = Type.Object({ account: Type.String({ description: 'account id or email' }) });

/** The email and password of an HTTP Basic header, or undefined. */
function basicCredentials(header: string | undefined): { email: string; password: string } | undefined {
  const m = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i > 0 ? { email: decoded.slice(0, i).trim().toLowerCase(), password: decoded.slice(i + 1) } : undefined;
}

export function oauthRoutes(api: Api, d: OauthRouteDeps): void {
  const operatorOnly = async (account: Account) => {
    if (!(await d.accounts.isOperator(account.id))) throw new PlatformError(403, 'forbidden', 'Only the operator can manage accounts.');
  };

  api.post('/accounts', { schema: { summary: 'Create an account (operator only)', body: CreateAccountBody } }, async (req, reply) => {
    await operatorOnly(req.account);
    const row = await d.accounts.create(req.body.email, req.body.password);
    req.log.info({ account: row.email, by: req.account.email }, 'account created');
    reply.status(201);
    return accountView(row);
  });
  api.get('/accounts', { schema: { summary: 'List every account (operator only)' } }, async (req) => {
    await operatorOnly(req.account);
    return (await d.accounts.list()).map(accountView);
  });
  api.patch('/accounts/:account', { schema: { summary: 'Disable or enable an account (operator only)', params: AccountParams, body: UpdateAccountBody } }, async (req) => {
    await operatorOnly(req.account);
    const row = await d.accounts.setDisabled(await d.accounts.find(req.params.account), req.body.disabled);
    req.log.info({ account: row.email, by: req.account.email }, req.body.disabled ? 'account disabled' : 'account enabled');
    return accountView(row);
  });

  api.get('/account', { schema: { summary: 'The calling account' } }, async (req) => accountView(await d.accounts.find(req.account.id)));
  api.get('/users/~', { schema: { summary: 'The calling account' } }, async (req) => accountView(await d.accounts.find(req.account.id)));
  api.patch('/account', { schema: { summary: "Change the caller's name or password", body: PatchAccountBody } }, async (req) => {
    const b = req.body;
    return accountView(await d.accounts.update(await d.accounts.find(req.account.id), { name: b.name ?? undefined, password: b.password ?? undefined, new_password: b.new_password ?? undefined }));
  });
  api.get('/account/rate-limits', { schema: { summary: 'API calls left (asking spends none)' } }, async (req) => ({ remaining: d.rateLimiter ? d.rateLimiter.remaining(req.account.id) : null }));

  // Logging in: HTTP Basic email:password (or an existing key) makes a new authorization.
  api.post('/oauth/authorizations', { schema: { summary: 'Create an authorization (log in with Basic email:password, or with a key)', body: CreateAuthBody } }, async (req, reply) => {
    let account: Account | undefined = req.account;
    if (!account) {
      const creds = basicCredentials(req.headers.authorization);
      if (!creds) throw new PlatformError(401, 'unauthorized', 'Invalid credentials provided: log in with your email and password (HTTP Basic).');
      const key = `login:${creds.email}`;
      const gate = d.loginThrottle.before(key);
      if ('refusedForMs' in gate) {
        req.log.warn({ email: creds.email, ip: req.ip }, 'password login refused: too many failures');
        throw new PlatformError(429, 'rate_limit', `Too many failed logins for ${creds.email}; password logins are refused for ${Math.ceil(gate.refusedForMs / 60_000)} more minute(s).`);
      }
      // Counted before the check, so tries sent side by side are slowed and refused too.
      const failures = d.loginThrottle.failed(key);
      if (gate.waitMs) await sleep(gate.waitMs);
      account = await d.accounts.login(creds.email, creds.password);
      if (!account) {
        req.log.warn({ email: creds.email, ip: req.ip, failures }, 'password login failed');
        throw new PlatformError(401, 'unauthorized', 'Invalid credentials provided.');
      }
      d.loginThrottle.succeeded(key);
      req.log.info({ account: account.email, ip: req.ip }, 'logged in with a password');
    }
    const { row, token } = await d.authorizations.create(account.id, req.body);
    reply.status(201);
    return authorizationView(row, account, token);
  });
  const current = (req: { authorizationId?: string }, id: string) => {
    if (id !== '~') return id;
    if (!req.authorizationId) throw notFound('authorization', 'This key is the account\'s own key, not an authorization.');
    return req.authorizationId;
  };
  api.get('/oauth/authorizations', { schema: { summary: "The caller's authorizations" } }, async (req) => (await d.authorizations.list(req.account.id)).map((r) => authorizationView(r, req.account)));
  api.get('/oauth/authorizations/:id', { schema: { params: IdParams } }, async (req) => authorizationView(await d.authorizations.get(req.account.id, current(req, req.params.id)), req.account));
  api.patch('/oauth/authorizations/:id', { schema: { params: IdParams, body: DescribeBody } }, async (req) =>
    authorizationView(await d.authorizations.describe(req.account.id, current(req, req.params.id), req.body.description), req.account));
  api.delete('/oauth/authorizations/:id', { schema: { summary: 'Revoke an authorization (its token stops working)', params: IdParams, body: AnyBody } }, async (req) =>
    authorizationView(await d.authorizations.revoke(req.account.id, current(req, req.params.id)), req.account));
  api.post('/oauth/authorizations/:id/actions/regenerate-tokens', { schema: { summary: 'A new token for an authorization (the old one stops working)', params: IdParams, body: AnyBody } }, async (req) => {
    const { row, token } = await d.authorizations.regenerate(req.account.id, current(req, req.params.id));
    return authorizationView(row, req.account, token);
  });
  // `heroku logout` ends the session its token belongs to (`DELETE /oauth/sessions/~`, with that token).
  // Tokens are kept hashed, so the CLI's other way (finding its token in the authorizations list) cannot
  // match: here the session of a token is the authorization it was made by, and logging out revokes it.
  // An account's own key is no session (the CLI tolerates this 404, as Heroku's answer for its API key).
  api.delete('/oauth/sessions/:id', { schema: { summary: 'Log out: revoke the authorization of the token presented (`~`)', params: IdParams, body: AnyBody } }, async (req) => {
    if (req.params.id !== '~' || !req.authorizationId) throw notFound('session', 'There is no such session: only `~`, the session of the token presented, and only for a token made by logging in or authorizations:create.');
    const row = await d.authorizations.revoke(req.account.id, req.authorizationId);
    req.log.info({ account: req.account.email, authorization: row.id }, 'logged out: authorization revoked');
    return authorizationView(row, req.account);
  });
}
