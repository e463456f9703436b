import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobStore, formatSize, hasAppRoot, listSlug, normalizeSlug, packSlug, SlugTooLargeError, slugignorePatterns, unpackSlug } from './index.ts';

test('slugignore lines become tar exclusions', () => {
  assert.deepEqual(slugignorePatterns('# docs\n\n*.psd\n/spec\nlog/\ndoc/big\n'), ['*.psd', './spec', 'log', './doc/big']);
});

test('sizes print as the slug compiler prints them', () => {
  assert.equal(formatSize(12.3 * 1024 * 1024), '12.3M');
  assert.equal(formatSize(0), '0.0M');
});

test('a slug honours .slugignore, is stored by content and unpacks whole', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'slug-test-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const app = join(root, 'app');
  await mkdir(join(app, 'spec'), { recursive: true });
  await writeFile(join(app, 'index.js'), 'console.log(1)');
  await writeFile(join(app, 'art.psd'), 'big');
  await writeFile(join(app, 'spec', 'a_spec.rb'), 'x');
  await writeFile(join(app, '.slugignore'), '*.psd\n/spec\n');
  const out = join(root, 'slug.tgz');
  const size = await packSlug(app, out);
  assert.ok(size > 0);
  const store = new BlobStore({ dir: join(root, 'blobs') });
  const { sha256 } = await store.put(out);
  assert.match(sha256, /^[0-9a-f]{64}$/);
  assert.ok(store.has(sha256));
  const dest = join(root, 'release');
  await unpackSlug(store.path(sha256), dest);
  const files = (await readdir(dest)).sort();
  assert.deepEqual(files, ['.slugignore', 'index.js']);
});

test('a slug over the limit is refused with the sizes named, and no file is left', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'slug-test-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const app = join(root, 'app');
  await mkdir(app);
  const { randomBytes } = await import('node:crypto');
  await writeFile(join(app, 'noise.bin'), randomBytes(3 * 1024 * 1024));
  const out = join(root, 'slug.tgz');
  await assert.rejects(packSlug(app, out, 1024 * 1024), (e: Error) => e instanceof SlugTooLargeError && /Compiled slug size: 3\.0M is too large \(max is 1M\)\./.test(e.message));
  assert.deepEqual((await readdir(root)).sort(), ['app']);
});

test('a Heroku-layout slug (./app/...) is recognised and repacked with the app at its root', async (t) => {
  assert.equal(hasAppRoot(['./', './app/', './app/Procfile']), true);
  assert.equal(hasAppRoot(['app/', 'app/web.py']), true);
  assert.equal(hasAppRoot(['./', './Procfile', './app/x']), false);
  assert.equal(hasAppRoot(['./application.py']), false);
  assert.equal(hasAppRoot(['./']), false);
  const root = await mkdtemp(join(tmpdir(), 'slug-test-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'src', 'app', 'lib'), { recursive: true });
  await writeFile(join(root, 'src', 'app', 'Procfile'), 'web: ./web\n');
  await writeFile(join(root, 'src', 'app', 'lib', 'x.txt'), 'x');
  const { execFileSync } = await import('node:child_process');
  const tgz = join(root, 'heroku.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', join(root, 'src'), './app']);
  const entries = await listSlug(tgz);
  const out = await normalizeSlug(tgz, entries);
  assert.notEqual(out, tgz);
  await unpackSlug(out, join(root, 'unpacked'));
  assert.deepEqual((await readdir(join(root, 'unpacked'))).sort(), ['Procfile', 'lib']);
  const ours = join(root, 'ours.tgz');
  await packSlug(join(root, 'unpacked'), ours);
  assert.equal(await normalizeSlug(ours, await listSlug(ours)), ours, 'a slug of ours is left as it is');
});
