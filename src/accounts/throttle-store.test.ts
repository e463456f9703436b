// The brakes kept across a restart, on a real store file closed and opened again as a restarted platform
// does: a refused email stays refused, a spent bucket stays spent; what has lapsed is not brought back.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../store/index.ts';
import { Throttles } from './throttle-store.ts';

test('failed logins and spent API calls survive a restart; lapsed entries are dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-throttles-'));
  let t = Date.now();
  const o = { login: { slowAfter: 1, lockAfter: 3, lockMs: 60_000, clock: () => t }, rate: { capacity: 10, perMinute: 0.001, clock: () => t }, saveEveryMs: 60_000 };
  try {
    let store = openStore(join(dir, 'slipway.db'));
    let th = await Throttles.open({ db: store.db, ...o });
    for (let i = 0; i < 3; i++) th.login.failed('login:bob@example.com');
    th.login.failed('login:carol@example.com');
    th.login.failed('login:dave@example.com');
    th.login.succeeded('login:dave@example.com');
    for (let i = 0; i < 4; i++) assert.ok(th.rate!.take('acct-1'));
    assert.ok('refusedForMs' in th.login.before('login:bob@example.com'));
    await th.stop();
    await store.close();

    // Restarted: the same answers as before.
    store = openStore(join(dir, 'slipway.db'));
    th = await Throttles.open({ db: store.db, ...o });
    assert.ok('refusedForMs' in th.login.before('login:bob@example.com'), 'bob stays refused');
    assert.deepEqual(th.login.before('login:carol@example.com'), { waitMs: 1000 }, "carol's one failure still counts");
    assert.deepEqual(th.login.before('login:dave@example.com'), { waitMs: 0 }, 'a success cleared dave');
    assert.equal(th.rate!.remaining('acct-1'), 6, 'the spent calls stay spent');
    assert.equal(th.rate!.remaining('acct-2'), 10);
    // Saved by the timer too, not only at stop: a crash (no stop) keeps what was saved.
    th.rate!.take('acct-1');
    await th.save();
    await store.close();

    // Much later: the refusal is over and the bucket refilled; neither comes back, nor stays in the store.
    t += 3_600_000;
    const fast = { ...o, rate: { ...o.rate, perMinute: 60 } };
    store = openStore(join(dir, 'slipway.db'));
    th = await Throttles.open({ db: store.db, ...fast });
    assert.deepEqual(th.login.before('login:bob@example.com'), { waitMs: 0 });
    assert.equal(th.rate!.remaining('acct-1'), 10);
    assert.deepEqual(await store.db.selectFrom('throttles').selectAll().execute(), []);
    await th.stop();
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
