// Logging in over the API as `heroku login -i` does, on a real store: HTTP Basic email:password gives
// `access_token.token`, a wrong password 401 and, past the limit, 429 even with the right one; the token
// then lists, rotates and revokes its authorization. And the per-account rate limit on every answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authorizations } from '../../accounts/authorizations.ts';
import { Accounts } from '../../accounts/index.ts';
import { LoginThrottle, RateLimiter } from '../../accounts/throttle.ts';
import { openStore } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { createHttpApi } from '../http.ts';
import { oauthRoutes } from './oauth.ts';

async function setup(rateLimiter = new RateLimiter()) {
  const store = openStore(':memory:');
  const accounts = new Accounts({ db: store.db });
  await accounts.ensureOperator('op@example.com', 'op-key', () => 'unused');
  const api = await createHttpApi({ authenticate: (req) => accounts.authenticate(req), onInternalError: (e) => { throw e; }, rateLimiter });
  const d = { accounts, authorizations: new Authorizations({ db: store.db }), loginThrottle: new LoginThrottle({ slowAfter: 2, lockAfter: 3, stepMs: 10 }), rateLimiter } as unknown as ApiDeps;
  oauthRoutes(api, d);
  await api.ready();
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, auth: string, body?: unknown) => {
    const res = await api.inject({ method, url, headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body ?? {}) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
  };
  return { store, api, call };
}
const basic = (email: string, password: string) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

test('the operator makes an account; its password logs in once given right, and is refused for a while after repeated failures', async () => {
  const { store, call } = await setup();
  const made = await call('POST', '/accounts', 'Bearer op-key', { email: 'bob@example.com', password: 'correct horse battery' });
  assert.equal(made.status, 201);
  assert.equal(made.body.email, 'bob@example.com');
  const login = await call('POST', '/oauth/authorizations', basic('bob@example.com', 'correct horse battery'), { description: 'cli', expires_in: 2592000, scope: ['global'] });
  assert.equal(login.status, 201);
  const token = login.body.access_token.token as string;
  assert.match(token, /^HRKU-/);
  assert.equal(login.body.user.email, 'bob@example.com');
  assert.ok(login.body.access_token.expires_in > 2591000);
  // Bob's token: not the operator; cannot make accounts.
  assert.equal((await call('GET', '/account', `Bearer ${token}`)).body.email, 'bob@example.com');
  const refused = await call('POST', '/accounts', `Bearer ${token}`, { email: 'eve@example.com', password: 'correct horse battery' });
  assert.deepEqual([refused.status, refused.body.id], [403, 'forbidden']);
  assert.equal((await call('GET', '/accounts', `Bearer ${token}`)).status, 403);
  // Authorizations: listed without the token, rotated (old one stops), revoked via `~` (the current one).
  const list = await call('GET', '/oauth/authorizations', `Bearer ${token}`);
  assert.equal(list.body.length, 1);
  assert.equal(list.body[0].access_token.token, undefined, 'a listed authorization shows no token');
  const rotated = await call('POST', `/oauth/authorizations/${login.body.id}/actions/regenerate-tokens`, `Bearer ${token}`);
  assert.equal((await call('GET', '/account', `Bearer ${token}`)).status, 401);
  const t2 = rotated.body.access_token.token as string;
  assert.equal((await call('DELETE', '/oauth/authorizations/~', `Bearer ${t2}`)).status, 200);
  assert.equal((await call('GET', '/account', `Bearer ${t2}`)).status, 401);
  // Failures: 401 each time, then refused (429) even with the right password; other emails unaffected.
  for (let i = 0; i < 3; i++) {
    const bad = await call('POST', '/oauth/authorizations', basic('bob@example.com', 'wrong'));
    assert.deepEqual([bad.status, bad.body.id], [401, 'unauthorized']);
  }
  const locked = await call('POST', '/oauth/authorizations', basic('bob@example.com', 'correct horse battery'));
  assert.deepEqual([locked.status, locked.body.id], [429, 'rate_limit']);
  assert.equal((await call('POST', '/oauth/authorizations', basic('nobody@example.com', 'correct horse battery'))).status, 401);
  // The operator has no password until it sets one with its key; then changing it needs the current one.
  assert.equal((await call('PATCH', '/account', 'Bearer op-key', { new_password: 'operator password 1' })).status, 200);
  assert.equal((await call('POST', '/oauth/authorizations', basic('op@example.com', 'operator password 1'))).status, 201);
  const unproven = await call('PATCH', '/account', 'Bearer op-key', { new_password: 'operator password 2' });
  assert.deepEqual([unproven.status, unproven.body.id], [403, 'forbidden']);
  // Disabled by the operator: its password no longer logs in.
  await call('POST', '/accounts', 'Bearer op-key', { email: 'carol@example.com', password: 'correct horse battery' });
  assert.equal((await call('PATCH', '/accounts/carol@example.com', 'Bearer op-key', { disabled: true })).body.disabled, true);
  assert.equal((await call('POST', '/oauth/authorizations', basic('carol@example.com', 'correct horse battery'))).status, 401);
  await store.close();
});

test('every answer says RateLimit-Remaining; past the limit 429; asking what is left spends nothing', async () => {
  const { store, call } = await setup(new RateLimiter({ capacity: 3, perMinute: 0.001 }));
  const first = await call('GET', '/account', 'Bearer op-key');
  assert.equal(first.headers['ratelimit-remaining'], '2');
  assert.equal((await call('GET', '/account/rate-limits', 'Bearer op-key')).body.remaining, 2);
  await call('GET', '/account', 'Bearer op-key');
  await call('GET', '/account', 'Bearer op-key');
  const over = await call('GET', '/account', 'Bearer op-key');
  assert.deepEqual([over.status, over.body.id, over.headers['ratelimit-remaining']], [429, 'rate_limit', '0']);
  assert.equal((await call('GET', '/account/rate-limits', 'Bearer op-key')).status, 200);
  await store.close();
});

test('logging out as heroku logout does (DELETE /oauth/sessions/~) revokes the token presented, and only that one', async () => {
  const { store, call } = await setup();
  await call('POST', '/accounts', 'Bearer op-key', { email: 'bob@example.com', password: 'correct horse battery' });
  const login = async () => (await call('POST', '/oauth/authorizations', basic('bob@example.com', 'correct horse battery'))).body.access_token.token as string;
  const [laptop, ci] = [await login(), await login()];
  const out = await call('DELETE', '/oauth/sessions/~', `Bearer ${laptop}`);
  assert.equal(out.status, 200);
  assert.equal((await call('GET', '/account', `Bearer ${laptop}`)).status, 401, 'the token logged out with stops');
  assert.equal((await call('GET', '/account', `Bearer ${ci}`)).body.email, 'bob@example.com', 'another login of the account keeps working');
  assert.equal((await call('GET', '/oauth/authorizations', `Bearer ${ci}`)).body.length, 1);
  // Again with the dead token: 401, which the CLI tolerates.
  assert.equal((await call('DELETE', '/oauth/sessions/~', `Bearer ${laptop}`)).status, 401);
  // Bob cannot end a session by naming it; an account's own key is no session (the 404 the CLI tolerates) and keeps working.
  const named = await call('DELETE', `/oauth/sessions/${out.body.id}`, `Bearer ${ci}`);
  assert.deepEqual([named.status, named.body.resource], [404, 'session']);
  const own = await call('DELETE', '/oauth/sessions/~', 'Bearer op-key');
  assert.deepEqual([own.status, own.body.id, own.body.resource], [404, 'not_found', 'session']);
  assert.equal((await call('GET', '/account', 'Bearer op-key')).status, 200);
  await store.close();
});
