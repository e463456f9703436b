// Accounts that log in, on a real store: passwords kept as scrypt (never the text), logins that fail on
// a wrong password or a disabled account, tokens that stop on revoke, rotate and expiry; and the two
// brakes (failed logins, API calls) on a clock the test moves.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { openStore } from '../store/index.ts';
import { Authorizations } from './authorizations.ts';
import { Accounts } from './index.ts';
import { LoginThrottle, RateLimiter } from './throttle.ts';

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } }) as IncomingMessage;

test('a password is stored as scrypt and checked; tokens work until revoked, rotated, expired or the account is disabled', async () => {
  const store = openStore(':memory:');
  const accounts = new Accounts({ db: store.db });
  const auths = new Authorizations({ db: store.db });
  await accounts.ensureOperator('op@example.com', 'op-key', () => 'unused');
  const bob = await accounts.create('Bob@Example.com', 'correct horse battery');
  assert.equal(bob.email, 'bob@example.com');
  const stored = (await store.db.selectFrom('accounts').select('password_hash').where('id', '=', bob.id).executeTakeFirstOrThrow()).password_hash!;
  assert.match(stored, /^scrypt\$\d+\$8\$1\$/);
  assert.ok(!stored.includes('correct horse'));
  await assert.rejects(accounts.create('bob@example.com', 'another password'), /already exists/);
  await assert.rejects(accounts.create('not-an-email', 'long enough pw'), /email/);
  await assert.rejects(accounts.create('c@example.com', 'short'), /at least 10/);

  assert.equal((await accounts.login('bob@example.com', 'correct horse battery'))?.id, bob.id);
  assert.equal(await accounts.login('bob@example.com', 'correct horse batterY'), undefined);
  assert.equal(await accounts.login('nobody@example.com', 'correct horse battery'), undefined);
  // The operator has no password: a password login never reaches it.
  assert.equal(await accounts.login('op@example.com', ''), undefined);

  const { row, token } = await auths.create(bob.id, { description: 'laptop' });
  const tokenHash = (await store.db.selectFrom('authorizations').select('token_hash').where('id', '=', row.id).executeTakeFirstOrThrow()).token_hash;
  assert.ok(!tokenHash.includes(token) && tokenHash.length === 64, 'only the sha256 of a token is stored');
  assert.deepEqual(await accounts.authenticate(bearer(token)), { id: bob.id, email: bob.email, authorizationId: row.id });
  const rotated = await auths.regenerate(bob.id, row.id);
  assert.equal(await accounts.authenticate(bearer(token)), undefined, 'the old token stops at a rotation');
  assert.equal((await accounts.authenticate(bearer(rotated.token)))?.id, bob.id);
  await assert.rejects(auths.revoke('someone-else', row.id), /Couldn't find that authorization/);
  await auths.revoke(bob.id, row.id);
  assert.equal(await accounts.authenticate(bearer(rotated.token)), undefined, 'a revoked token stops');

  const short = await auths.create(bob.id, { expires_in: 60 });
  assert.equal((await accounts.authenticate(bearer(short.token)))?.id, bob.id);
  await store.db.updateTable('authorizations').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', short.row.id).execute();
  assert.equal(await accounts.authenticate(bearer(short.token)), undefined, 'an expired token stops');
  await assert.rejects(auths.create(bob.id, { expires_in: -5 }), /expires_in/);

  const live = await auths.create(bob.id, {});
  await accounts.setDisabled(await accounts.find('bob@example.com'), true);
  assert.equal(await accounts.authenticate(bearer(live.token)), undefined, "a disabled account's tokens stop");
  assert.equal(await accounts.login('bob@example.com', 'correct horse battery'), undefined, 'and its password');
  await accounts.setDisabled(await accounts.find(bob.id), false);
  assert.equal((await accounts.authenticate(bearer(live.token)))?.id, bob.id);
  await assert.rejects(accounts.setDisabled(await accounts.find('op@example.com'), true), /operator's account cannot be disabled/);
  assert.equal((await accounts.authenticate(bearer('op-key')))?.email, 'op@example.com');
  await store.close();
});

test('failed logins are slowed, then refused for a while; a success clears them', () => {
  let t = 0;
  const th = new LoginThrottle({ slowAfter: 2, lockAfter: 4, lockMs: 60_000, stepMs: 1000, clock: () => t });
  assert.deepEqual(th.before('bob'), { waitMs: 0 });
  th.failed('bob');
  th.failed('bob');
  assert.deepEqual(th.before('bob'), { waitMs: 1000 });
  th.failed('bob');
  assert.deepEqual(th.before('bob'), { waitMs: 2000 });
  assert.deepEqual(th.before('alice'), { waitMs: 0 }, 'another email is not slowed');
  th.failed('bob');
  t += 10_000;
  assert.deepEqual(th.before('bob'), { refusedForMs: 50_000 });
  t += 50_000;
  assert.deepEqual(th.before('bob'), { waitMs: 0 }, 'the refusal ends');
  th.failed('alice');
  th.succeeded('alice');
  assert.deepEqual(th.before('alice'), { waitMs: 0 });
});

test('the API rate limit spends one call per request and refills over time', () => {
  let t = 0;
  const rl = new RateLimiter({ capacity: 3, perMinute: 60, clock: () => t });
  assert.equal(rl.remaining('a'), 3);
  assert.ok(rl.take('a') && rl.take('a') && rl.take('a'));
  assert.equal(rl.take('a'), false);
  assert.equal(rl.remaining('b'), 3, 'each account has its own bucket');
  t += 2000;
  assert.equal(rl.remaining('a'), 2);
  assert.ok(rl.take('a'));
});
