// The one walk of tenant-written trees, attacked as a build would: a build cache holding links to `/`,
// to a big host directory and to a directory of the test's own. Sizing and purging it must stay inside
// it (the links are entries, never followed) and leave every target as it was.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sealRuntimeCache, verifyRuntimeCache } from '../build/runtime-cache.ts';
import { Housekeeping } from '../releases/housekeeping.ts';
import { layerCacheDir } from './index.ts';
import { treeBytes, walkTree } from './tree.ts';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

/** A tree a build wrote: two files (150 bytes) and links out to `/`, `/usr` and `target` (a directory holding 1000 bytes). */
async function hostileTree(dir: string, target: string): Promise<void> {
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'a'), 'a'.repeat(100));
  await writeFile(join(dir, 'sub', 'b'), 'b'.repeat(50));
  await symlink('/', join(dir, 'x'));
  await symlink('/usr', join(dir, 'sub', 'big'));
  await symlink(target, join(dir, 'mine'));
}

async function scratch(): Promise<{ root: string; target: string }> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-tree-'));
  dirs.push(root);
  const target = join(root, 'host-dir');
  await mkdir(target);
  await writeFile(join(target, 'keep'), 'k'.repeat(1000));
  return { root, target };
}

test('a tree with links to /, /usr and another directory is walked without leaving it', async () => {
  const { root, target } = await scratch();
  const tree = join(root, 'tree');
  await hostileTree(tree, target);
  const { entries, complete } = await walkTree(tree, { sort: true });
  assert.equal(complete, true);
  assert.deepEqual(entries.map(([p]) => p), ['a', 'mine', 'sub', 'sub/b', 'sub/big', 'x']);
  assert.ok(entries.filter(([p]) => ['mine', 'sub/big', 'x'].includes(p)).every(([, st]) => st.isSymbolicLink()));
  assert.equal(await treeBytes(tree), 150);
  assert.equal(await treeBytes(join(root, 'missing')), 0);
  assert.equal(await treeBytes(join(tree, 'x')), 0, 'a link given as the tree itself is not walked');
});

test('the walk is bounded: it stops at maxEntries and says so', async () => {
  const { root } = await scratch();
  const tree = join(root, 'many');
  await mkdir(tree);
  for (let i = 0; i < 10; i++) await writeFile(join(tree, `f${i}`), '');
  const { entries, complete } = await walkTree(tree, { maxEntries: 4 });
  assert.equal(complete, false);
  assert.equal(entries.length, 4);
});

test('purging a build cache holding links to / and a host directory sizes and removes only the cache', async () => {
  const { root, target } = await scratch();
  const appId = 'app-with-links';
  await hostileTree(join(root, 'cache', appId), target);
  await hostileTree(layerCacheDir(root, appId), target);
  // purgeCache reads no database row: the cache dirs and the image beside them are all it touches.
  const housekeeping = new Housekeeping({ db: undefined as never, blobs: undefined as never, dataDir: root, keep: 1, graceMs: 0, inUse: () => [] });
  assert.equal(await housekeeping.purgeCache(appId), 300);
  assert.equal(existsSync(join(root, 'cache', appId)), false);
  assert.equal(existsSync(layerCacheDir(root, appId)), false);
  assert.equal(await readFile(join(target, 'keep'), 'utf8'), 'k'.repeat(1000), 'the linked directory is untouched');
  assert.ok(existsSync('/usr/bin'), 'the host is untouched');
});

test('a runtime cache entry holding links to / and a host directory is recorded and checked without following them', async () => {
  const { root, target } = await scratch();
  const cache = join(root, 'runtimes');
  const entry = join(cache, 'node-linux-x64-20.0.0-abc');
  await hostileTree(entry, target);
  await writeFile(join(entry, '.slipway-runtime.json'), '{}');
  await sealRuntimeCache(cache);
  const record = JSON.parse(await readFile(join(cache, '.slipway-sums', 'node-linux-x64-20.0.0-abc.json'), 'utf8'));
  assert.equal(record.bytes, 150, 'only the entry\'s own files are counted');
  assert.deepEqual(await verifyRuntimeCache(cache, () => undefined), []);
  // A file changed behind a link is outside the entry: the entry is unchanged.
  await writeFile(join(target, 'keep'), 'changed');
  assert.deepEqual(await verifyRuntimeCache(cache, () => undefined), []);
  assert.equal(existsSync(entry), true);
});
