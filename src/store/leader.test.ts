// Leadership on a real PostgreSQL (a throwaway cluster): one process holds the advisory lock, the other
// waits; notices from the other reach the leader; when the leader's session ends (the server ends it, as
// when its machine is gone) it is told it lost, and the other takes over within seconds.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { lockLeadership, soleLeadership, type LeaderNotice, type Leadership } from './leader.ts';
import { TestStores } from './test-helpers.ts';

const stores = new TestStores();
after(() => stores.close());

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<number> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > ms) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

test('with SQLite the one process leads from the start', async () => {
  const l = soleLeadership();
  assert.equal(l.leading, true);
  await l.acquired;
});

describe('postgres', { skip: stores.skip('postgres') }, () => {
  test('one leads, notices reach it, and when its session ends the other takes over', async () => {
    const store = await stores.open('postgres');
    const url = (await stores.postgres()).url(await sql<{ d: string }>`SELECT current_database() AS d`.execute(store.db).then((r) => r.rows[0]!.d));
    const lost: Error[] = [];
    const heard: LeaderNotice[] = [];
    const open: Leadership[] = [];
    const leadership = async (name: string) => {
      const l = await lockLeadership({ url, db: store.db, retryMs: 200, onLost: (err) => lost.push(Object.assign(err, { who: name })) });
      open.push(l);
      l.onNotice((n) => heard.push({ ...n, to: name } as LeaderNotice));
      return l;
    };
    try {
      const a = await leadership('a');
      const b = await leadership('b');
      assert.equal(a.leading, true);
      assert.equal(b.leading, false, 'the lock is held: the second process waits');

      // A change made through the one that does not lead reaches the leader; junk on the channel is ignored.
      await sql`SELECT pg_notify('slipway_apps', 'not json')`.execute(store.db);
      await sql`SELECT pg_notify('slipway_apps', ${JSON.stringify({ app: 42 })})`.execute(store.db);
      await b.notify({ app: 'app-1', restart: 'web' });
      await until('the notice reaching the leader', () => heard.length > 0);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(heard, [{ app: 'app-1', restart: 'web', to: 'a' }]);

      // The leader's session ends (its machine gone: the server ends it); it is told, the other takes over.
      const holder = await sql<{ pid: number }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted`.execute(store.db);
      assert.equal(holder.rows.length, 1);
      await sql`SELECT pg_terminate_backend(${holder.rows[0]!.pid})`.execute(store.db);
      await until('the leader learning it lost the lock', () => lost.length === 1);
      assert.equal(a.leading, false);
      await until('the other process taking over', () => b.leading);
      await b.acquired;
      assert.equal(lost.length, 1, 'only the one that led is told it lost');

      // Giving it up (a clean stop) frees it for a third.
      const c = await leadership('c');
      assert.equal(c.leading, false);
      await b.close();
      await until('the third taking over after a clean stop', () => c.leading);
      assert.equal(lost.length, 1);
    } finally {
      await Promise.all(open.map((l) => l.close()));
    }
  });
});
