// Full disks, on a small filesystem of the test's own (a loop-mounted ext4 image) holding the data dir:
// past the high-water mark (SLIPWAY_DISK_HIGH_WATER) a push and a slug upload are refused saying so while
// the running dyno keeps serving and its logs keep flowing, and readiness names the disk; destroyed apps'
// slugs are collected first, oldest first, and only as many as bring the disk below the mark; with the
// disk completely full (ENOSPC), the dyno serves and logs, writes fail, and the database is neither
// corrupted nor half-written: once space is freed the platform takes writes again, every earlier one is
// there, and the app serves again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, statfs, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

describe('a full data disk', () => {
  const p = new TestPlatform();
  let work: string;
  let mnt: string;
  let data: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-disk-'));
    mnt = join(work, 'mnt');
    await mkdir(mnt);
    await run('truncate', ['-s', '320M', join(work, 'disk.img')]);
    await run('mkfs.ext4', ['-q', '-m', '0', join(work, 'disk.img')]);
    await run('mount', ['-o', 'loop', join(work, 'disk.img'), mnt]);
    data = join(mnt, 'data');
    await p.start({ SLIPWAY_DATA_DIR: data, SLIPWAY_DISK_HIGH_WATER: '80', SLIPWAY_BUILD_MIN_FREE_DISK: '0', SLIPWAY_BUILD_CACHE_QUOTA: '16', SLIPWAY_CRASH_BACKOFF_MINUTE: '2' });
  });
  after(async () => {
    await p.cleanup();
    await run('umount', ['-l', mnt]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  /** Fills the disk with one file until `used` of it is used. */
  const fill = async (used: number) => {
    const fs = await statfs(mnt);
    const total = fs.blocks * fs.bsize;
    const want = Math.floor(total * used) - (fs.blocks - fs.bavail) * fs.bsize;
    if (want > 0) await run('fallocate', ['-l', String(want), join(mnt, `filler-${Date.now()}`)]);
  };

  test('past the high-water mark: pushes and slug uploads refused, the dyno serves and logs', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'tight' })).status, 201);
    const dir = join(work, 'tight');
    await makeRepo(dir, appFiles('tight-v1'));
    assert.equal((await p.push(dir, 'tight')).code, 0);
    await p.waitFor('tight', 'tight-v1');

    await fill(0.85);
    await writeFile(join(dir, 'app.py'), appFiles('tight-v2')['app.py']!);
    await run('git', ['-C', dir, 'commit', '-qam', 'v2']);
    const push = await p.push(dir, 'tight');
    assert.notEqual(push.code, 0);
    assert.match(push.output, /This build was not started: the data disk is 8\d(\.\d)?% used .*past the high-water mark of 80% \(SLIPWAY_DISK_HIGH_WATER\)/);
    assert.equal((await p.route('tight', '/')).body, 'tight-v1', 'the running dyno keeps serving');
    await p.route('tight', '/logged-while-full');
    await p.waitForLog('tight', /path="\/logged-while-full"/);

    const ready = await fetch(`${p.api}/readyz`);
    assert.equal(ready.status, 503);
    assert.match((await ready.json()).checks.disk.message, /high-water mark of 80%/);

    const slug = await p.request('POST', '/apps/tight/slugs', { process_types: { web: 'python3 app.py' } });
    assert.equal(slug.status, 201, JSON.stringify(slug.body));
    const put = await fetch(slug.body.blob.url, { method: 'PUT', body: Buffer.alloc(1024) });
    assert.equal(put.status, 507);
    assert.match(await put.text(), /Upload refused: the data disk is .* past the high-water mark/);
  });

  test('past the high-water mark, destroyed apps\' slugs go first, oldest first, and the build goes ahead', async () => {
    await run('sh', ['-c', `rm -f "${mnt}"/filler-*`]);
    const blobsDir = join(data, 'blobs', 'sha256');
    const slugOf = new Map<string, string>();
    for (const app of ['gone-a', 'gone-b']) {
      const before = new Set(await readdir(blobsDir));
      assert.equal((await p.request('POST', '/apps', { name: app })).status, 201);
      const dir = join(work, app);
      // 16 MB that do not compress: the slug and its unpacked copy are 10% of the disk.
      await mkdir(dir);
      await writeFile(join(dir, 'ballast.bin'), randomBytes(16 * 1024 * 1024));
      await makeRepo(dir, appFiles(app));
      assert.equal((await p.push(dir, app)).code, 0);
      await p.waitFor(app, app);
      const made = (await readdir(blobsDir)).filter((b) => !before.has(b));
      assert.equal(made.length, 1, `one slug for ${app}`);
      slugOf.set(app, made[0]!);
    }
    for (const app of ['gone-a', 'gone-b']) assert.equal((await p.request('DELETE', `/apps/${app}`)).status, 200);
    // Their slugs are younger than the grace period (SLIPWAY_SLUG_GRACE, an hour), so a regular pass keeps
    // them. Aged by hand, as time would: gone-b's (pushed last) is made the older of the two.
    const age = (app: string, minutes: number) => { const t = new Date(Date.now() - minutes * 60_000); return utimes(join(blobsDir, slugOf.get(app)!), t, t); };
    await age('gone-a', 10);
    await age('gone-b', 20);
    await sleep(3000); // the pass a destroy schedules has run
    assert.ok((await readdir(blobsDir)).includes(slugOf.get('gone-b')!), 'a regular pass keeps a destroyed app\'s young slug');

    await fill(0.84);
    const dir = join(work, 'tight');
    await writeFile(join(dir, 'app.py'), appFiles('tight-v3')['app.py']!);
    await run('git', ['-C', dir, 'commit', '-qam', 'v3']);
    const push = await p.push(dir, 'tight');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('tight', 'tight-v3');
    const left = await readdir(blobsDir);
    assert.ok(!left.includes(slugOf.get('gone-b')!), 'the oldest destroyed app\'s slug was collected');
    assert.ok(left.includes(slugOf.get('gone-a')!), 'one was enough to go below the mark: the other stays');
    assert.match(p.output, /past its high-water mark: removed 1 slug of destroyed apps \(oldest first\), freed 16\.\dM/);
  });

  test('with no block left, the dyno serves and logs, writes fail without corrupting the database or half-writing; freed, it takes them again', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await p.request('PATCH', '/apps/tight/config-vars', { [`BEFORE_${i}`]: 'x'.repeat(1000) })).status, 200);
    await p.waitFor('tight', 'x'.repeat(1000), '/env/BEFORE_9');
    const releases = async () => ((await p.request('GET', '/apps/tight/releases')).body as unknown[]).length;
    const released = await releases();
    await fill(0.95);
    // The last blocks: whatever fallocate left.
    await run('sh', ['-c', `dd if=/dev/zero of="${join(mnt, 'last')}" bs=4k 2>/dev/null; true`]);
    assert.equal((await p.route('tight', '/')).body, 'tight-v3', 'the dyno serves on a full disk');
    await p.route('tight', '/logged-on-a-full-disk');
    await p.waitForLog('tight', /path="\/logged-on-a-full-disk"/);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await p.request('PATCH', '/apps/tight/config-vars', { FULL: `${i}`.repeat(1000) })).status);
    assert.ok(statuses.some((s) => s >= 500), `some write failed on a full disk: ${statuses.join(',')}`);
    assert.equal((await fetch(`${p.api}/healthz`)).status, 200, 'the platform lives on');

    await run('sh', ['-c', `rm -f "${mnt}"/filler-* "${mnt}/last"`]);
    assert.equal((await p.request('PATCH', '/apps/tight/config-vars', { AFTER: 'freed' })).status, 200);
    const vars = (await p.request('GET', '/apps/tight/config-vars')).body as Record<string, string>;
    assert.equal(vars.AFTER, 'freed');
    for (let i = 0; i < 10; i++) assert.equal(vars[`BEFORE_${i}`]?.length, 1000, `BEFORE_${i} kept`);
    // Nothing half-written: each change answered 200 made its release and is there; each refused one left
    // neither a value nor a release.
    const ok = statuses.flatMap((s, i) => (s === 200 ? [i] : []));
    assert.equal(vars.FULL, ok.length ? `${ok.at(-1)}`.repeat(1000) : undefined);
    assert.equal(await releases(), released + ok.length + 1, `one release per change that answered 200 (${statuses.join(',')})`);
    const db = new Sqlite(join(data, 'slipway.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
    // A release that went through before the disk filled restarted the dyno, which could not start
    // on a full disk; with space again it is up on the latest release.
    await p.waitFor('tight', 'tight-v3', '/', 120);
  });
});
