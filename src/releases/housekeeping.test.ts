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

test('past the high-water mark: blobs no row names go oldest first, until the disk is below it; named, young and stored-again ones stay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-housekeeping-'));
  const store = openStore(join(root, 'db.sqlite'));
  try {
    const t = new Date().toISOString();
    const app = '00000000-0000-4000-8000-000000000002';
    await store.db.insertInto('accounts').values({ id: 'acct', email: 'o@example.com', api_key_hash: 'h', created_at: t, updated_at: t }).execute();
    await store.db.insertInto('apps').values({ id: app, name: 'live', owner_id: 'acct', stack: 'slipway-12', maintenance: 0, created_at: t, updated_at: t }).execute();
    const blobs = new BlobStore({ dir: join(root, 'blobs') });
    const store1 = async (content: string, minutesOld: number) => {
      const tmp = join(root, 'upload');
      await writeFile(tmp, content);
      const { sha256 } = await blobs.put(tmp);
      const at = new Date(Date.now() - minutesOld * 60_000);
      await utimes(blobs.path(sha256), at, at);
      await mkdir(join(root, 'slugs', sha256), { recursive: true });
      return sha256;
    };
    // Destroyed apps' slugs (no row names them any more), by age; one stored a minute ago; one a live
    // app's slug row names; one a Postgres backup row names.
    const older = await store1('destroyed app, 50 minutes old', 50);
    const newer = await store1('destroyed app, 30 minutes old', 30);
    const recent = await store1('stored a minute ago', 1);
    const live = await store1('the live app\'s slug', 90);
    const dump = await store1('a backup dump', 90);
    await store.db.insertInto('slugs').values({ id: 's1', app_id: app, blob: live, size: 1, process_types: '{}', commit: null, commit_description: null, stack: 'slipway-12', buildpack_provided_description: null, created_at: t }).execute();
    await store.db.insertInto('addon_backups').values({ id: 'b1', app_id: app, addon_id: 'a', addon_name: 'pg', kind: 'b', num: 1, status: 'succeeded', blob: dump, size: 1, error: null, source: null, created_at: t, finished_at: t }).execute();
    // A stored-again blob (the same content pushed anew) is fresh again: the grace protects it.
    const again = await store1('pushed again', 40);
    await writeFile(join(root, 'upload'), 'pushed again');
    await blobs.put(join(root, 'upload'));

    const housekeeping = new Housekeeping({ db: store.db, blobs, dataDir: root, keep: 1, graceMs: 3_600_000, inUse: () => [] });
    const stored = () => [older, newer, recent, live, dump, again].filter((b) => blobs.has(b));
    // One removal brings the disk below the mark: the oldest goes, with its unpacked copy.
    let removed = await housekeeping.makeRoom(async () => blobs.has(older));
    assert.equal(removed.removed, 1);
    assert.deepEqual(stored(), [newer, recent, live, dump, again]);
    assert.equal(existsSync(join(root, 'slugs', older)), false);
    // Still full whatever goes: every orphan past the short grace, and nothing more.
    removed = await housekeeping.makeRoom(async () => true);
    assert.deepEqual(stored(), [recent, live, dump, again]);
    assert.equal(removed.removed, 1);
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('a slug layer goes with the last slug kept that lists it: one a kept slug shares stays, with its index entry', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-housekeeping-'));
  const store = openStore(join(root, 'db.sqlite'));
  try {
    const t = new Date().toISOString();
    const app = '00000000-0000-4000-8000-000000000003';
    await store.db.insertInto('accounts').values({ id: 'acct', email: 'o@example.com', api_key_hash: 'h', created_at: t, updated_at: t }).execute();
    await store.db.insertInto('apps').values({ id: app, name: 'layered', owner_id: 'acct', stack: 'slipway-12', maintenance: 0, created_at: t, updated_at: t }).execute();
    const blobs = new BlobStore({ dir: join(root, 'blobs') });
    const old = new Date(Date.now() - 2 * 3_600_000);
    const put = async (content: string) => {
      await writeFile(join(root, 'upload'), content);
      const { sha256 } = await blobs.put(join(root, 'upload'));
      await utimes(blobs.path(sha256), old, old);
      await mkdir(join(root, 'slugs', sha256), { recursive: true }); // its unpacked copy
      await mkdir(join(root, 'build-layers', sha256), { recursive: true }); // builds' copy (build/runtime-layer.ts)
      return sha256;
    };
    const [node18, node20, v1, v2] = [await put('node 18 layer'), await put('node 20 layer'), await put('app part v1'), await put('app part v2')];
    // The layer index names both members (tar stream hash → member).
    await mkdir(blobs.layerIndexDir, { recursive: true });
    for (const [tar, member] of [['a'.repeat(64), node18], ['b'.repeat(64), node20]] as const) {
      await writeFile(join(blobs.layerIndexDir, tar), `${member} 13\n`);
      await utimes(join(blobs.layerIndexDir, tar), old, old);
    }
    const slug = (id: string, blob: string, layer: string) => ({
      id, app_id: app, blob, size: 1, layers: JSON.stringify([{ path: '.heroku/node', blob: layer, size: 13 }]), process_types: '{}',
      commit: null, commit_description: null, stack: 'slipway-12', buildpack_provided_description: null, created_at: old.toISOString(),
    });
    // v1 ran on node 18; v2 on node 20 (v1's app part and layer are needed by no release kept).
    await store.db.insertInto('slugs').values([slug('s1', v1, node18), slug('s2', v2, node20)]).execute();
    await store.db.insertInto('releases').values([1, 2].map((version) => ({
      id: `r${version}`, app_id: app, version, slug_id: `s${version}`, config: '{}', description: 'd', status: 'succeeded' as const, user_id: 'acct', formation: null, created_at: t, updated_at: t,
    }))).execute();
    const housekeeping = new Housekeeping({ db: store.db, blobs, dataDir: root, keep: 1, graceMs: 3_600_000, inUse: () => [] });
    const { removed } = await housekeeping.collectSlugs();
    assert.equal(removed, 2);
    assert.deepEqual([node18, node20, v1, v2].map((b) => blobs.has(b)), [false, true, false, true], 'v1 and its layer collected; v2 and its layer kept');
    assert.equal(existsSync(join(root, 'slugs', node18)), false, 'the layer\'s unpacked copy goes with it');
    assert.equal(existsSync(join(root, 'slugs', node20)), true);
    assert.deepEqual([node18, node20].map((b) => existsSync(join(root, 'build-layers', b))), [false, true], 'the builds\' copy too');
    assert.equal(existsSync(join(blobs.layerIndexDir, 'a'.repeat(64))), false, 'an index entry of a collected member goes');
    assert.equal(existsSync(join(blobs.layerIndexDir, 'b'.repeat(64))), true);
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
});
