import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_NAME, reviewAppName } from './index.ts';

test("review app names follow Heroku's app-name rule, hashed when long", () => {
  assert.equal(reviewAppName('shop', 'feature/login'), 'shop-feature-login');
  assert.equal(reviewAppName('shop', 'Fix_Bug#12'), 'shop-fix-bug-12');
  const long = reviewAppName('my-long-pipeline-name', 'feature/a-really-long-branch-name');
  assert.match(long, APP_NAME);
  assert.ok(long.length <= 30);
  assert.match(long, /-[0-9a-f]{6}$/);
  assert.notEqual(reviewAppName('my-long-pipeline-name', 'feature/a-really-long-branch-name-2'), long, 'different branches, different names');
  assert.equal(reviewAppName('my-long-pipeline-name', 'feature/a-really-long-branch-name'), long, 'stable');
  for (const b of ['-', '___', '9lives', 'x']) assert.match(reviewAppName('p1x', b), APP_NAME, b);
});

// The stale sweep on a real store. The app's destruction and the pr-predestroy one-off are stand-ins
// here (they are the apps/ and dynos/ components'); the push-driven life is in test/lifecycle.test.ts.
test('a review app without a push for the stale period is destroyed after pr-predestroy; a fresh one stays', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { now, openStore } = await import('../store/index.ts');
  const { ReviewApps } = await import('./index.ts');
  const dir = await mkdtemp(join(tmpdir(), 'slipway-reviewapps-'));
  const store = openStore(join(dir, 'db'));
  try {
    const t = now();
    const old = new Date(Date.now() - 3600_000).toISOString();
    await store.db.insertInto('accounts').values({ id: 'u1', email: 'u@example.com', api_key_hash: 'x', created_at: t, updated_at: t } as never).execute();
    await store.db.insertInto('pipelines').values({ id: 'p1', name: 'shop', owner_id: 'u1', review_apps: '{}', created_at: t, updated_at: t }).execute();
    for (const [id, name, pushed] of [['a1', 'shop-stale', old], ['a2', 'shop-fresh', t]] as const) {
      await store.db.insertInto('apps').values({ id, name, owner_id: 'u1', stack: 'slipway-12', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
      await store.db.insertInto('review_apps').values({ id: `r-${id}`, pipeline_id: 'p1', app_id: id, branch: name, status: 'created', last_push_at: pushed, predestroy: JSON.stringify({ command: 'bin/teardown' }), created_at: t, updated_at: t }).execute();
    }
    const scripts: string[] = [];
    const byId = (id: string) => store.db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
    const reviewApps = new ReviewApps({
      db: store.db, dataDir: dir, staleMs: 4000, webUrl: (n) => `http://${n}/`,
      pipelines: {} as never, deploy: async () => ({ ok: true }),
      appSetups: { provision: async () => ({}), runScript: async (app, _u, command) => { scripts.push(`${app.name}: ${command}`); return { output: '', exit_code: 0 }; } },
      apps: { create: async () => { throw new Error('unused'); }, byId, destroy: async (a) => void (await store.db.deleteFrom('apps').where('id', '=', a.id).execute()) },
    });
    reviewApps.start(async () => ({ id: 'u1', email: 'u@example.com' }));
    for (let i = 0; i < 100 && (await byId('a1')); i++) await new Promise((r) => setTimeout(r, 100));
    reviewApps.stop();
    assert.deepEqual(scripts, ['shop-stale: bin/teardown']);
    assert.equal(await byId('a1'), undefined, 'the stale review app is gone (its row with it)');
    assert.ok(await byId('a2'), 'the fresh one stays');
    assert.deepEqual((await reviewApps.list('p1')).map((r) => r.branch), ['shop-fresh']);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
