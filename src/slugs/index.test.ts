import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, mkdir, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobStore, formatSize, hashFile, hasAppRoot, listSlug, normalizeSlug, packSlug, SlugTooLargeError, slugignorePatterns, unpackLayer, unpackSlug } from './index.ts';

/**
 * A build dir is owned by the dyno user (uid 1000), never root, and an unpack refuses root-owned
 * entries: trees made here by a root test process are handed to that user first, as the builder does.
 */
function ownAsBuild(dir: string): void {
  if (process.getuid?.() === 0) execFileSync('chown', ['-hR', '1000:1000', dir]);
}

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
  ownAsBuild(app);
  const { size, reused } = await packSlug(app, out);
  assert.ok(size > 0);
  assert.deepEqual(reused, []);
  const store = new BlobStore({ dir: join(root, 'blobs') });
  const { sha256 } = await store.put(out);
  assert.match(sha256, /^[0-9a-f]{64}$/);
  assert.ok(store.has(sha256));
  const dest = join(root, 'release');
  await unpackSlug(store.path(sha256), dest);
  const files = (await readdir(dest)).sort();
  assert.deepEqual(files, ['.slugignore', 'index.js']);
});

test('a slug over the limit is refused with the limit named as soon as it passes it, and no file is left', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'slug-test-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const app = join(root, 'app');
  await mkdir(app);
  await writeFile(join(app, 'noise.bin'), randomBytes(3 * 1024 * 1024));
  ownAsBuild(app);
  const out = join(root, 'slug.tgz');
  await assert.rejects(packSlug(app, out, { maxBytes: 1024 * 1024 }), (e: Error) => e instanceof SlugTooLargeError && /Compiled slug size: over 1\.0M is too large \(max is 1M\)\./.test(e.message));
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
  const tgz = join(root, 'heroku.tgz');
  ownAsBuild(join(root, 'src'));
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

/** Every entry under `dir`: type, mode, and content or link target, by path. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    const path = join(dir, rel);
    const st = await lstat(path);
    const mode = (st.mode & 0o7777).toString(8);
    out[rel] = st.isSymbolicLink() ? `link ${await readlink(path)}` : st.isDirectory() ? `dir ${mode}` : `file ${mode} ${(await readFile(path)).toString('base64')}`;
  }
  return out;
}

test('a slug\'s layer is stored apart once for every app that has it, its tarball assembles whole, and a changed layer is a layer of its own', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'slug-test-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const app = join(root, 'app');
  await mkdir(join(app, '.jdk', 'bin'), { recursive: true });
  await mkdir(join(app, '.jdk', 'lib'), { recursive: true });
  await mkdir(join(app, '.git'), { recursive: true });
  await writeFile(join(app, '.jdk', 'bin', 'java'), randomBytes(256 * 1024));
  await chmod(join(app, '.jdk', 'bin', 'java'), 0o755);
  await writeFile(join(app, '.jdk', 'lib', 'modules'), Buffer.alloc(300 * 1024, 'jdk '));
  await writeFile(join(app, '.jdk', 'lib', 'cover.psd'), 'ignored');
  await symlink('../lib/modules', join(app, '.jdk', 'bin', 'modules'));
  await writeFile(join(app, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(app, 'Procfile'), 'web: java -jar app.jar\n');
  await writeFile(join(app, 'app.jar'), randomBytes(1024));
  await writeFile(join(app, '.slugignore'), '*.psd\n');
  ownAsBuild(app);
  const store = new BlobStore({ dir: join(root, 'blobs') });
  const pack = async (name: string, from = app, layerStore = store) => {
    const out = join(root, `${name}.tgz`);
    const packed = await packSlug(from, out, { layers: ['.jdk', 'no-such-dir'], layerStore });
    // What a download sends: the layers' members, then the app part.
    const whole = join(root, `${name}-whole.tgz`);
    await writeFile(whole, Buffer.concat([...packed.layers.map((l) => readFileSync(layerStore.path(l.blob))), readFileSync(out)]));
    const dest = join(root, `${name}-unpacked`);
    await mkdir(dest);
    execFileSync('tar', ['-xzf', whole, '-C', dest]);
    return { out, whole, packed, dest };
  };
  const expected = async () => {
    const all = await tree(app);
    return Object.fromEntries(Object.entries(all).filter(([p]) => !p.startsWith('.git') && !p.endsWith('.psd')));
  };
  const stored = async () => (await readdir(store.filesDir)).sort();

  const first = await pack('first');
  assert.deepEqual(first.packed.reused, []);
  assert.equal(first.packed.layers.length, 1);
  const layer = first.packed.layers[0]!;
  assert.equal(layer.path, '.jdk');
  assert.equal(first.packed.size, (await stat(first.out)).size + layer.size, 'the size is the whole slug\'s');
  assert.equal(first.packed.checksum, await hashFile(first.whole), 'the checksum is the whole tarball\'s');
  assert.deepEqual(await tree(first.dest), await expected(), 'plain tar -xzf of the assembled tarball gives back the app, .slugignore and .git left out');
  const listed = execFileSync('tar', ['-tzf', first.whole]).toString().trim().split('\n');
  assert.equal(new Set(listed).size, listed.length, 'no entry twice');
  assert.ok(listed.includes('./.jdk/bin/java') && listed.includes('./Procfile'));
  assert.doesNotMatch(execFileSync('tar', ['-tzf', first.out]).toString(), /\.jdk/, 'the app part leaves the layer out');

  // Another build: the app changed, the JDK did not; another app (another uid) with the same JDK.
  await writeFile(join(app, 'app.jar'), randomBytes(1024));
  const second = await pack('second');
  assert.deepEqual(second.packed.reused, [{ path: '.jdk', bytes: layer.size }]);
  assert.deepEqual(second.packed.layers, [layer]);
  assert.equal(second.packed.checksum, await hashFile(second.whole), 'from the kept state after the layer too');
  assert.deepEqual(await tree(second.dest), await expected());
  const other = join(root, 'other');
  execFileSync('cp', ['-a', app, other]);
  if (process.getuid?.() === 0) execFileSync('chown', ['-hR', '1001:1001', other]);
  const third = await pack('third', other);
  assert.deepEqual(third.packed.layers, [layer], 'another app\'s same JDK is the same layer');
  assert.equal((await stored()).length, 1, 'the blob store holds the layer once');
  const fresh = await pack('fresh', app, new BlobStore({ dir: join(root, 'blobs-2') }));
  assert.deepEqual(fresh.packed.reused, []);
  assert.ok((await readFile(second.whole)).equals(await readFile(fresh.whole)), 'a reused layer gives the very bytes a fresh one does');

  // Dynos: the layer unpacked once, the app part beside it; together, the app.
  await unpackLayer(store.path(layer.blob), join(root, 'layer'));
  await unpackSlug(second.out, join(root, 'release'));
  const layerTree = await tree(join(root, 'layer'));
  assert.equal(layerTree['.jdk/bin/java']?.startsWith('file 755 '), true);
  if (process.getuid?.() === 0) assert.equal((await stat(join(root, 'layer', '.jdk', 'bin', 'java'))).uid, 0, 'the platform\'s files, no app\'s');
  assert.deepEqual({ ...layerTree, ...(await tree(join(root, 'release'))) }, { ...(await expected()), '.jdk': layerTree['.jdk'] }, 'what dynos run from');

  // A file of the JDK changed in place, its size and mtime as before: the content hash sees it, and the
  // change is a layer of its own; the first is left as it was.
  const java = join(app, '.jdk', 'bin', 'java');
  const { mtime } = await stat(java);
  await writeFile(java, randomBytes(256 * 1024));
  await utimes(java, mtime, mtime);
  const changed = await pack('changed');
  assert.deepEqual(changed.packed.reused, []);
  assert.notEqual(changed.packed.layers[0]!.blob, layer.blob);
  assert.deepEqual(await tree(changed.dest), await expected());
  assert.equal(await hashFile(store.path(layer.blob)), layer.blob, 'the first layer\'s blob is untouched');

  // A layer reached through a symlink is packed as the link it is, never followed out of the app.
  await mkdir(join(root, 'outside', 'lib'), { recursive: true });
  await writeFile(join(root, 'outside', 'lib', 'secret'), 'not for the slug');
  await symlink(join(root, 'outside'), join(app, 'vendor'));
  ownAsBuild(app);
  const out = join(root, 'linked.tgz');
  const linked = await packSlug(app, out, { layers: ['vendor/lib'], layerStore: store });
  assert.deepEqual(linked.layers, []);
  const entries = execFileSync('tar', ['-tzf', out]).toString();
  assert.match(entries, /^\.\/vendor$/m);
  assert.doesNotMatch(entries, /secret/);
  await rm(join(app, 'vendor'));

  // A layer the .slugignore covers whole is not in the slug at all.
  await writeFile(join(app, '.slugignore'), '*.psd\n.jdk\n');
  const fifth = await pack('fifth');
  assert.deepEqual(fifth.packed.layers, []);
  assert.deepEqual(Object.keys(await tree(fifth.dest)).sort(), ['.slugignore', 'Procfile', 'app.jar']);
});

test('a blob store on another filesystem (a shared SLIPWAY_BLOB_DIR) takes files from the local one whole', async (t) => {
  const local = await mkdtemp(join(tmpdir(), 'slug-test-'));
  // /dev/shm is a tmpfs: another filesystem than the temp dir's, so a rename across them fails (EXDEV).
  const shared = await mkdtemp(join('/dev/shm', 'slug-blobs-')).catch(() => undefined);
  t.after(async () => { await rm(local, { recursive: true, force: true }); if (shared) await rm(shared, { recursive: true, force: true }); });
  if (!shared || (await stat(shared)).dev === (await stat(local)).dev) return t.skip('no second filesystem here (/dev/shm)');
  const file = join(local, 'slug.tgz');
  const bytes = randomBytes(256 * 1024);
  await writeFile(file, bytes);
  const store = new BlobStore({ dir: shared });
  const { sha256, size } = await store.put(file);
  assert.equal(size, bytes.length);
  assert.deepEqual(await readFile(store.path(sha256)), bytes);
  assert.deepEqual(await readdir(store.filesDir), [sha256], 'no partial copy is left beside it');
  await assert.rejects(stat(file), /ENOENT/, 'the local file is moved, not copied');
});
