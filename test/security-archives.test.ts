// Issue #9, point 2 (archives) and point 12 (one unpack per slug). Every archive the platform unpacks
// as root is checked first: each refused kind is made here for real with GNU tar (devices and FIFOs
// with mknod, as root), and refused naming the entry; then the attack of the issue against a running
// platform: a slug whose `app` is a link to the host's /etc, uploaded through its blob URL, is refused,
// the upload URL does not download, and the platform and its app still serve.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ArchiveRefused, checkArchive, listSlug, normalizeSlug, packSlug, unpackSlug } from '../src/slugs/index.ts';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';

const root = process.getuid?.() === 0;

/** A tar.gz of `dir` (entries `./...`), owned by uid 1000 unless `owner` says otherwise. */
function tgz(dir: string, out: string, extra: string[] = [], owner = '1000'): string {
  execFileSync('tar', ['-czf', out, '--format=gnu', `--owner=${owner}`, `--group=${owner}`, ...extra, '-C', dir, '.']);
  return out;
}

describe('archives the platform unpacks', () => {
  let work: string;
  before(async () => { work = await mkdtemp(join(tmpdir(), 'slipway-sec-archives-')); });
  after(() => rm(work, { recursive: true, force: true }));

  let n = 0;
  const tree = async (files: Record<string, string> = { 'index.js': 'ok' }) => {
    const dir = join(work, `t${++n}`);
    await mkdir(dir, { recursive: true });
    for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
    return dir;
  };
  const refused = async (file: string, pattern: RegExp, policy?: Parameters<typeof checkArchive>[1]) => {
    await assert.rejects(checkArchive(file, policy), (e: Error) => e instanceof ArchiveRefused && pattern.test(e.message), `refused with ${pattern}`);
  };

  test('a plain app tree, with links inside it, passes; its names come back', async () => {
    const dir = await tree();
    await mkdir(join(dir, 'lib', 'bin'), { recursive: true });
    await writeFile(join(dir, 'lib', 'main.js'), 'x');
    await symlink('../main.js', join(dir, 'lib', 'bin', 'main'));
    await symlink('lib', join(dir, 'vendor'));
    const names = await checkArchive(tgz(dir, join(work, 'plain.tgz')));
    assert.ok(names.includes('./lib/bin/main') && names.includes('./index.js'), names.join(','));
  });

  test('a symlink to the host (app -> /etc) is refused, and so is one that climbs out with ..', async () => {
    const dir = await tree();
    await symlink('/etc', join(dir, 'app'));
    await refused(tgz(dir, join(work, 'etc.tgz')), /"\.\/app" points to the absolute path "\/etc"/);
    const up = await tree();
    await symlink('../../../etc', join(up, 'up'));
    await refused(tgz(up, join(work, 'up.tgz')), /leads out of the archive's tree/);
  });

  test('a chain of links that each look inside but lead out together is refused', async () => {
    // x/s -> .. is the tree's root; x/t -> s/.. goes up from there: out of the tree.
    const dir = await tree();
    await mkdir(join(dir, 'x'));
    await symlink('..', join(dir, 'x', 's'));
    await symlink('s/..', join(dir, 'x', 't'));
    await refused(tgz(dir, join(work, 'chain.tgz')), /leads out of the archive's tree/);
  });

  test('a slug the platform built may hold links anywhere (they resolve in the dyno), nothing else', async () => {
    const dir = await tree();
    await symlink('/usr/share/zoneinfo', join(dir, 'zoneinfo'));
    await checkArchive(tgz(dir, join(work, 'built.tgz')), { symlinks: 'any' });
  });

  test('hard links are refused', async () => {
    const dir = await tree();
    await link(join(dir, 'index.js'), join(dir, 'again.js'));
    await refused(tgz(dir, join(work, 'hard.tgz')), /is a hard link/);
  });

  test('devices and FIFOs are refused', { skip: !root && 'mknod needs root' }, async () => {
    const dev = await tree();
    execFileSync('mknod', [join(dev, 'mem'), 'c', '1', '1']);
    await refused(tgz(dev, join(work, 'dev.tgz')), /"\.\/mem" is a character device/);
    const blk = await tree();
    execFileSync('mknod', [join(blk, 'disk'), 'b', '7', '0']);
    await refused(tgz(blk, join(work, 'blk.tgz')), /is a block device/);
    const fifo = await tree();
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    await refused(tgz(fifo, join(work, 'fifo.tgz')), /"\.\/pipe" is a FIFO/);
  });

  test('absolute names and names with .. are refused', async () => {
    const dir = await tree();
    const abs = join(work, 'abs.tgz');
    execFileSync('tar', ['-czf', abs, '-P', '--owner=1000', '--group=1000', join(dir, 'index.js')]);
    await refused(abs, /is an absolute path/);
    const inner = join(dir, 'inner');
    await mkdir(inner);
    const dots = join(work, 'dots.tgz');
    execFileSync('tar', ['-czf', dots, '-P', '--owner=1000', '--group=1000', '-C', inner, '../index.js']);
    await refused(dots, /has a "\.\." component/);
  });

  test('setuid and setgid bits are refused', async () => {
    const dir = await tree();
    await chmod(join(dir, 'index.js'), 0o4755);
    await refused(tgz(dir, join(work, 'suid.tgz')), /"\.\/index\.js" has the setuid or setgid bit/);
    const gid = await tree();
    await mkdir(join(gid, 'shared'));
    await chmod(join(gid, 'shared'), 0o2775);
    await refused(tgz(gid, join(work, 'sgid.tgz')), /"\.\/shared\/" has the setuid or setgid bit/);
  });

  test('root-owned entries are refused, unless the owners are not kept (a source tarball)', async () => {
    const dir = await tree();
    const file = tgz(dir, join(work, 'root.tgz'), [], '0');
    await refused(file, /is owned by root \(uid 0, gid 0\)/);
    await checkArchive(file, { rootOwned: true });
  });

  test('the unpacked size is capped: a sparse file and a compressible one are refused before they are written', async () => {
    const sparse = await tree();
    await writeFile(join(sparse, 'hole'), '');
    await truncate(join(sparse, 'hole'), 64 * 1024 ** 3);
    const file = tgz(sparse, join(work, 'sparse.tgz'), ['--sparse']);
    assert.ok((await readFile(file)).length < 1024 * 1024, 'the archive itself is small');
    await refused(file, /unpacks to more than 4\.0 GB \(the limit is SLIPWAY_UNPACK_MAX_BYTES\)/);
    const zeros = await tree();
    await writeFile(join(zeros, 'zeros'), Buffer.alloc(8 * 1024 * 1024));
    await refused(tgz(zeros, join(work, 'zeros.tgz')), /unpacks to more than 2 MB/, { maxBytes: 2 * 1024 * 1024 });
    const many = await tree(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, ''])));
    await refused(tgz(many, join(work, 'many.tgz')), /more than 20 entries/, { maxEntries: 20 });
  });

  test('a build that leaves a FIFO, a setuid or root-owned file, or a sparse 64 GB file gets no slug; its hard links become files', async () => {
    const fifo = await tree();
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    execFileSync('chown', ['-hR', '1000:1000', fifo]);
    await assert.rejects(packSlug(fifo, join(work, 'fifo-slug.tgz')), (e: Error) => e instanceof ArchiveRefused && /The build left "pipe" in the app/.test(e.message));
    const suid = await tree();
    await chmod(join(suid, 'index.js'), 0o4755);
    execFileSync('chown', ['-hR', '1000:1000', suid]);
    await chmod(join(suid, 'index.js'), 0o4755);
    await assert.rejects(packSlug(suid, join(work, 'suid-slug.tgz')), /The build left "index\.js" in the app/);
    if (root) {
      const owned = await tree();
      await assert.rejects(packSlug(owned, join(work, 'root-slug.tgz')), /The build left "\." in the app/);
    }
    const sparse = await tree();
    await writeFile(join(sparse, 'hole'), '');
    await truncate(join(sparse, 'hole'), 64 * 1024 ** 3);
    execFileSync('chown', ['-hR', '1000:1000', sparse]);
    await assert.rejects(packSlug(sparse, join(work, 'sparse-slug.tgz')), /The app is 65536\.0M unpacked; a slug may unpack to 4096\.0M at most/);
    const hard = await tree();
    await link(join(hard, 'index.js'), join(hard, 'again.js'));
    execFileSync('chown', ['-hR', '1000:1000', hard]);
    const slug = join(work, 'hard-slug.tgz');
    await packSlug(hard, slug);
    await checkArchive(slug, { symlinks: 'any' });
    const dest = join(work, 'hard-unpacked');
    await unpackSlug(slug, dest);
    assert.equal(await readFile(join(dest, 'again.js'), 'utf8'), 'ok');
  });

  test('a Heroku-layout upload of files alone (no directory entries) repacks with no root-owned entry', async () => {
    const src = await tree();
    await mkdir(join(src, 'app', 'lib'), { recursive: true });
    await writeFile(join(src, 'app', 'web.py'), 'print(1)\n');
    await writeFile(join(src, 'app', 'lib', 'x.txt'), 'x');
    const file = join(work, 'files-only.tgz');
    execFileSync('tar', ['-czf', file, '--owner=1000', '--group=1000', '-C', src, 'app/web.py', 'app/lib/x.txt']);
    const out = await normalizeSlug(file, await listSlug(file));
    await checkArchive(out, { symlinks: 'any' });
    const dest = join(work, 'files-only-unpacked');
    await unpackSlug(out, dest);
    assert.deepEqual((await readdir(dest)).sort(), ['lib', 'web.py']);
  });

  test('a Heroku-layout upload whose app is a link (app -> .) is refused', async () => {
    const src = await tree();
    await symlink('.', join(src, 'app'));
    const file = join(work, 'app-link.tgz');
    execFileSync('tar', ['-czf', file, '--owner=1000', '--group=1000', '-C', src, 'app', 'index.js']);
    await assert.rejects(async () => normalizeSlug(file, ['app', 'app/index.js']), /"app" is not a directory/);
  });

  test('an unpack of a refused slug writes nothing', async () => {
    const dir = await tree();
    await symlink('/etc', join(dir, 'app'));
    await link(join(dir, 'index.js'), join(dir, 'hard.js'));
    const dest = join(work, 'refused-unpack');
    await assert.rejects(unpackSlug(tgz(dir, join(work, 'refused.tgz')), dest), ArchiveRefused);
    assert.equal(existsSync(dest), false);
    assert.deepEqual((await readdir(work)).filter((f) => f.startsWith('refused-unpack')), [], 'no temp dir left');
  });

  test('concurrent launches of one slug share one unpack', async () => {
    const dir = await tree({ 'index.js': 'ok', 'Procfile': 'web: node index.js\n' });
    await mkdir(join(dir, 'node_modules', 'a'), { recursive: true });
    for (let i = 0; i < 200; i++) await writeFile(join(dir, 'node_modules', 'a', `f${i}.js`), String(i));
    const slug = tgz(dir, join(work, 'shared.tgz'));
    const dest = join(work, 'slugs', 'sha');
    await mkdir(join(work, 'slugs'));
    // Eight dynos of one release (or apps sharing the blob) start at once: none fails, one tree results.
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => unpackSlug(slug, dest)));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill('fulfilled'), JSON.stringify(results.filter((r) => r.status === 'rejected')));
    assert.equal((await readdir(join(dest, 'node_modules', 'a'))).length, 200);
    assert.deepEqual(await readdir(join(work, 'slugs')), ['sha'], 'no temp dir left beside it');
    await unpackSlug(slug, dest);
  });
});

describe('the slug upload attack against a running platform', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-slug-'));
    await p.start();
    await p.request('POST', '/apps', { name: 'victim' });
    const dir = join(work, 'victim');
    await makeRepo(dir, appFiles('victim-ok'));
    const push = await p.push(dir, 'victim');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('victim', 'victim-ok');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const alive = async () => {
    assert.equal((await p.request('GET', '/apps')).status, 200, 'the API answers');
    assert.match((await p.route('victim')).body, /victim-ok/, 'the app serves');
  };

  test('a slug holding app -> /etc is refused, its upload URL does not download, nothing of /etc comes back', async () => {
    const created = await p.request('POST', '/apps/victim/slugs', { process_types: { web: 'node index.js' } });
    assert.equal(created.status, 201);
    const url: string = created.body.blob.url;
    const evil = join(work, 'evil');
    await mkdir(evil);
    await symlink('/etc', join(evil, 'app'));
    const file = join(work, 'evil.tgz');
    execFileSync('tar', ['-czf', file, '-C', evil, 'app']);
    const put = await fetch(url, { method: 'PUT', body: await readFile(file) });
    const text = await put.text();
    assert.equal(put.status, 422, text);
    assert.match(text, /The slug was refused: "app" points to the absolute path "\/etc"/);
    const got = await fetch(url);
    assert.equal(got.status, 403, 'the PUT URL is not a download URL');
    assert.doesNotMatch(Buffer.from(await got.arrayBuffer()).toString('latin1'), /root:|shadow|passwd/);
    const slug = await p.request('GET', `/apps/victim/slugs/${created.body.id}`);
    assert.equal(slug.body.blob.method, 'PUT', 'the slug still has no tarball');
    await alive();
  });

  test('a good slug uploads; its download URL does not upload over it', async () => {
    const created = await p.request('POST', '/apps/victim/slugs', { process_types: { web: 'python3 app.py' } });
    const good = join(work, 'good');
    await mkdir(join(good, 'app'), { recursive: true });
    await writeFile(join(good, 'app', 'app.py'), 'print(1)\n');
    const file = join(work, 'good.tgz');
    execFileSync('tar', ['-czf', file, '--owner=1000', '--group=1000', '-C', good, './app']);
    const put = await fetch(created.body.blob.url, { method: 'PUT', body: await readFile(file) });
    assert.equal(put.status, 200, await put.text());
    const shown = await p.request('GET', `/apps/victim/slugs/${created.body.id}`);
    assert.equal(shown.body.blob.method, 'GET');
    const got = await fetch(shown.body.blob.url);
    assert.equal(got.status, 200);
    const again = await fetch(shown.body.blob.url, { method: 'PUT', body: await readFile(file) });
    assert.equal(again.status, 403, 'a GET URL does not take an upload');
    await alive();
  });
});
