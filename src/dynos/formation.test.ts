// The formation's one writer on a real (in-memory) store: a release going live with app.json's
// formation stored on it, later releases keeping what was scaled, and scaling checked whole before
// anything is written.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';
import type { OpenedStore } from '../store/index.ts';
import { TestStores } from '../store/test-helpers.ts';
import { Formation, FormationError } from './formation.ts';

// Each test on both dialects: SQLite, and a real PostgreSQL (one throwaway cluster for the file).
const stores = new TestStores();
after(() => stores.close());

for (const dialect of stores.dialects) {
  describe(dialect, { skip: stores.skip(dialect) }, () => {
    let store: OpenedStore;
    let formation: Formation;
    const t = '2026-12-01T00:00:00.000Z';

    beforeEach(async () => {
      store = await stores.open(dialect);
      formation = new Formation(store.db);
      await store.db.insertInto('accounts').values({ id: 'acc', email: 'op@example.com', api_key_hash: 'h', created_at: t, updated_at: t }).execute();
      await store.db.insertInto('apps').values({ id: 'a1', name: 'demo', owner_id: 'acc', stack: 'slipway-12', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
    });

    async function release(version: number, processTypes: Record<string, string>, appJson: Record<string, { quantity: number; size?: string }> | null) {
      const slugId = `slug${version}`;
      await store.db.insertInto('slugs').values({ id: slugId, app_id: 'a1', blob: 'b', size: 1, process_types: JSON.stringify(processTypes), commit: null, commit_description: null, stack: 'slipway-12', buildpack_provided_description: null, created_at: t }).execute();
      const row = { id: `r${version}`, app_id: 'a1', version, slug_id: slugId, config: '{}', description: 'Deploy', status: 'succeeded' as const, user_id: 'acc', formation: appJson ? JSON.stringify(appJson) : null, created_at: t, updated_at: t };
      await store.db.insertInto('releases').values(row).execute();
      return row;
    }

    async function goLive(r: Awaited<ReturnType<typeof release>>) {
      const slug = await formation.ofRelease(r);
      assert.ok(slug);
      await formation.follow('a1', slug.processTypes, slug.initial);
      return Object.fromEntries((await formation.list('a1')).map((f) => [f.type, `${f.quantity}:${f.size}`]));
    }

    test('the first release to go live takes app.json\'s formation from the store; types it does not name get web=1 / 0', async () => {
      const v1 = await release(1, { web: 'node web.js', worker: 'node w.js', clock: 'node c.js' }, { worker: { quantity: 2, size: 'standard-2x' }, web: { quantity: 3 } });
      assert.deepEqual(await goLive(v1), { clock: '0:standard-1x', web: '3:standard-1x', worker: '2:standard-2x' });
    });

    test('without app.json: web=1, others 0; later releases keep what was scaled, add new types at 0, drop gone ones', async () => {
      assert.deepEqual(await goLive(await release(1, { web: 'a', worker: 'b' }, null)), { web: '1:standard-1x', worker: '0:standard-1x' });
      await formation.scale('a1', 'demo', [{ type: 'worker', quantity: '+2', size: 'performance-m' }]);
      // A later deploy's app.json does not override the formation the app has.
      const v2 = await release(2, { web: 'a', worker: 'b', release: 'm' }, { web: { quantity: 5 } });
      assert.deepEqual(await goLive(v2), { release: '0:standard-1x', web: '1:standard-1x', worker: '2:performance-m' });
      assert.deepEqual(await goLive(await release(3, { web: 'a' }, null)), { web: '1:standard-1x' });
    });

    test('scaling is checked whole: one bad update writes nothing, and says what is wrong', async () => {
      await goLive(await release(1, { web: 'a', worker: 'b', release: 'm' }, null));
      const refused = async (updates: object[], id: string, message: RegExp) => {
        await assert.rejects(formation.scale('a1', 'demo', updates), (err: Error) => {
          assert.ok(err instanceof FormationError);
          assert.equal(err.id, id);
          assert.match(err.message, message);
          return true;
        });
      };
      await refused([{ type: 'web', quantity: 2 }, { type: 'nope', quantity: 1 }], 'not_found', /Couldn't find that process type \(nope\)\. Process types of demo: /);
      await refused([{ type: 'web', quantity: 2 }, { type: 'worker', quantity: 'lots' }], 'invalid_params', /updates\[1\]\.quantity must be a number/);
      await refused([{ type: 'web', quantity: 101 }], 'invalid_params', /at most 100 dynos/);
      await refused([{ type: 'web', size: 'huge' }], 'invalid_params', /Unknown dyno size huge/);
      await refused([{ type: 'release', quantity: 1 }], 'invalid_params', /cannot be scaled/);
      assert.equal((await formation.list('a1')).find((f) => f.type === 'web')?.quantity, 1, 'nothing was written');
      const changed = await formation.scale('a1', 'demo', [{ type: 'web', quantity: '-5' }, { type: 'release', dyno_size: { name: 'Performance-L' } }]);
      assert.deepEqual(changed.map((c) => `${c.type}=${c.quantity}:${c.size}`), ['web=0:standard-1x', 'release=0:performance-l']);
      assert.equal(await formation.size('a1', 'release'), 'performance-l');
    });
  });
}
