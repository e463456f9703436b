// The release ledger on a real store tells of each release it makes and of a pending one settling (app
// webhooks' api:release create and update): a slug without a release command goes live at once; one with
// a release command is `pending`, then `succeeded` or `failed` as the command exits (the runner stands in
// for the one-off dyno, which the dyno manager's tests run for real).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BlobStore } from '../slugs/index.ts';
import { now, openStore } from '../store/index.ts';
import { ConfigCipher, Releases, type ReleaseRow } from './index.ts';
import { OutputStore } from './output.ts';

test('releases tell of each release made, and of a pending one settling with its new status', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-releases-'));
  const store = openStore(':memory:');
  try {
    const t = now();
    const user = { id: 'u1', email: 'u@example.com' };
    await store.db.insertInto('accounts').values({ id: user.id, email: user.email, api_key_hash: 'x', created_at: t, updated_at: t } as never).execute();
    await store.db.insertInto('apps').values({ id: 'a1', name: 'told', owner_id: user.id, stack: 'slipway-12', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t } as never).execute();
    const slug = (id: string, types: Record<string, string>) => ({
      id, app_id: 'a1', blob: 'b'.repeat(64), size: 1, process_types: JSON.stringify(types), commit: null, commit_description: null, stack: 'slipway-12', buildpack_provided_description: null, created_at: t,
    });
    await store.db.insertInto('slugs').values([slug('plain', { web: 'serve' }), slug('migrating', { web: 'serve', release: 'migrate' })]).execute();
    const told: [string, number, string, unknown][] = [];
    const exits = [0, 1];
    const releases = new Releases({
      db: store.db, logs: { emit: () => undefined }, cipher: ConfigCipher.fromKey(randomBytes(32)), blobs: {} as BlobStore,
      outputs: new OutputStore(join(dir, 'out'), { kind: 'releases', db: store.db }), releaseTimeoutMs: 60_000,
      runReleaseCommand: async () => exits.shift()!, onRelease: () => undefined,
      onChange: (action, r: ReleaseRow, previous) => told.push([action, r.version, r.status, previous]),
    });
    const v1 = await releases.create({ appId: 'a1', user, slugId: 'plain', description: 'Deploy plain' });
    assert.equal(v1.status, 'succeeded');
    const v2 = await releases.create({ appId: 'a1', user, slugId: 'migrating', description: 'Deploy migrating' });
    assert.equal(await releases.settled(v2), 'succeeded');
    const v3 = await releases.create({ appId: 'a1', user, slugId: 'migrating', description: 'Deploy again' });
    assert.equal(await releases.settled(v3), 'failed');
    assert.deepEqual(told, [
      ['create', 1, 'succeeded', undefined],
      ['create', 2, 'pending', undefined], ['update', 2, 'succeeded', { status: 'pending' }],
      ['create', 3, 'pending', undefined], ['update', 3, 'failed', { status: 'pending' }],
    ]);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
