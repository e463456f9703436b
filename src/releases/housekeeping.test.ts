// Housekeeping's sweep of output streams, on a real store: the text and the key row of a build that is
// gone both go once past the grace period; a young stream (its build row not written yet) and a live
// build's stream stay.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobStore } from '../slugs/index.ts';
import { openStore } from '../store/index.ts';
import { Housekeeping } from './housekeeping.ts';

test('the output stream rows and texts of destroyed apps\' builds are removed; young and live ones stay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-housekeeping-'));
  const store = openStore(join(root, 'db.sqlite'));
  try {
    const t = new Date().toISOString();
    const app = '00000000-0000-4000-8000-000000000001';
    await store.db.insertInto('accounts').values({ id: 'acct', email: 'o@example.com', api_key_hash: 'h', created_at: t, updated_at: t }).execute();
    await store.db.insertInto('apps').values({ id: app, name: 'kept', owner_id: 'acct', stack: 'slipway-12', maintenance: 0, created_at: t, updated_at: t }).execute();
    await store.db.insertInto('builds').values({ id: 'live', app_id: app, user_id: 'acct', status: 'succeeded', stack: 'slipway-12', created_at: t, updated_at: t }).execute();
    const dir = join(root, 'output', 'builds');
    await mkdir(dir, { recursive: true });
    const old = new Date(Date.now() - 3_600_000);
    for (const id of ['live', 'gone', 'young']) {
      await writeFile(join(dir, `${id}.log`), `output of ${id}\n`);
      if (id !== 'young') await utimes(join(dir, `${id}.log`), old, old);
    }
    for (const id of ['live', 'gone', 'young', 'ended-orphan']) {
      await store.db.insertInto('output_streams').values({ id, secret: `s-${id}`, ended_at: id === 'young' ? null : t }).execute();
    }
    const housekeeping = new Housekeeping({ db: store.db, blobs: new BlobStore({ dir: join(root, 'blobs') }), dataDir: root, keep: 1, graceMs: 60_000, inUse: () => [] });
    await housekeeping.collectSlugs();
    const rows = (await store.db.selectFrom('output_streams').select('id').orderBy('id').execute()).map((r) => r.id);
    assert.deepEqual(rows, ['live', 'young']);
    assert.equal(existsSync(join(dir, 'gone.log')), false);
    assert.equal(existsSync(join(dir, 'live.log')), true);
    assert.equal(existsSync(join(dir, 'young.log')), true);
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
});
