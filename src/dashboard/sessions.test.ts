// Dashboard sessions and sign-in against a real (in-memory) store: what the API accepts as the session
// credential, and each way a forged or stale request is refused.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { Accounts } from '../accounts/index.ts';
import { openStore } from '../store/index.ts';
import { COOKIE, DashboardSessions, SESSION_TTL_MS } from './sessions.ts';
import { signIn } from './sign-in.ts';

const req = (headers: Record<string, string>) => ({ headers: { host: 'localhost:5000', ...headers } }) as unknown as IncomingMessage;

async function setup() {
  const { db, close } = openStore(':memory:');
  await new Accounts({ db }).ensureOperator('op@example.com', 'the-operator-key', () => 'x');
  let now = Date.parse('2026-12-07T12:00:00Z');
  const sessions = new DashboardSessions({ db, now: () => now });
  return { db, close, sessions, advance: (ms: number) => (now += ms) };
}

test('signIn takes the account\'s email with its key as the password, and nothing less', async () => {
  const { db, close } = await setup();
  assert.equal((await signIn(db, 'op@example.com', 'the-operator-key'))?.email, 'op@example.com');
  assert.equal((await signIn(db, ' OP@example.com', 'the-operator-key'))?.email, 'op@example.com', 'email case and spaces do not matter');
  assert.equal(await signIn(db, 'op@example.com', 'wrong'), undefined);
  assert.equal(await signIn(db, 'someone@example.com', 'the-operator-key'), undefined, 'the key must be that email\'s');
  assert.equal(await signIn(db, '', 'the-operator-key'), undefined);
  assert.equal(await signIn(db, 'op@example.com', 'x'.repeat(5000)), undefined);
  await close();
});

test('signIn takes an account\'s email and password (the same scrypt check as the API\'s login), and refuses a disabled one', async () => {
  const { db, close } = await setup();
  const accounts = new Accounts({ db });
  const bob = await accounts.create('bob@example.com', 'correct horse battery staple');
  assert.equal((await signIn(db, 'bob@example.com', 'correct horse battery staple'))?.id, bob.id);
  assert.equal(await signIn(db, 'bob@example.com', 'correct horse battery stable'), undefined, 'a wrong password');
  assert.equal(await signIn(db, 'op@example.com', 'correct horse battery staple'), undefined, 'another account\'s password');
  await db.updateTable('accounts').set({ disabled_at: new Date().toISOString() }).where('id', '=', bob.id).execute();
  assert.equal(await signIn(db, 'bob@example.com', 'correct horse battery staple'), undefined, 'a disabled account');
  await close();
});

test('a session is the account only with its cookie, its CSRF token and from its own origin, until it expires', async () => {
  const { db, close, sessions, advance } = await setup();
  const account = (await signIn(db, 'op@example.com', 'the-operator-key'))!;
  const { id, csrf } = await sessions.create(account.id);
  const stored = await db.selectFrom('dashboard_sessions').selectAll().execute();
  assert.equal(stored.length, 1);
  assert.notEqual(stored[0]!.id_hash, id, 'the cookie value is stored only hashed');
  const cookie = `other=1; ${COOKIE}=${id}`;
  assert.equal((await sessions.authenticate(req({ cookie, 'x-csrf-token': csrf })))?.id, account.id);
  assert.equal((await sessions.authenticate(req({ cookie, 'x-csrf-token': csrf, origin: 'http://localhost:5000', 'sec-fetch-site': 'same-origin' })))?.id, account.id);
  // Each part missing or forged:
  assert.equal(await sessions.authenticate(req({ cookie })), undefined, 'no CSRF token');
  assert.equal(await sessions.authenticate(req({ cookie, 'x-csrf-token': `${csrf.slice(1)}x` })), undefined, 'a wrong token');
  assert.equal(await sessions.authenticate(req({ 'x-csrf-token': csrf })), undefined, 'no cookie');
  assert.equal(await sessions.authenticate(req({ cookie: `${COOKIE}=${'A'.repeat(43)}`, 'x-csrf-token': csrf })), undefined, 'another id');
  assert.equal(await sessions.authenticate(req({ cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' })), undefined, 'another origin');
  assert.equal(await sessions.authenticate(req({ cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })), undefined, 'a cross-site fetch');
  assert.equal(await sessions.authenticate(req({ cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'same-site' })), undefined, 'a sibling site');
  // Expired: refused, and swept when the next session is made.
  advance(SESSION_TTL_MS + 1);
  assert.equal(await sessions.authenticate(req({ cookie, 'x-csrf-token': csrf })), undefined, 'expired');
  await sessions.create(account.id);
  assert.equal((await db.selectFrom('dashboard_sessions').selectAll().execute()).length, 1);
  await close();
});

test('signing out ends the session', async () => {
  const { db, close, sessions } = await setup();
  const account = (await signIn(db, 'op@example.com', 'the-operator-key'))!;
  const { id, csrf } = await sessions.create(account.id);
  const s = (await sessions.find(req({ cookie: `${COOKIE}=${id}` })))!;
  await sessions.destroy(s.idHash);
  assert.equal(await sessions.authenticate(req({ cookie: `${COOKIE}=${id}`, 'x-csrf-token': csrf })), undefined);
  await close();
});
