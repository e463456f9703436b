// Issue #9, point 3: build output that leaks the host. The files of a build the platform reads
// (Procfile, app.json, .slugignore) are opened without following links, never block, are regular files
// of bounded size, and errors quote a short excerpt at most; build and release output stream URLs
// carry a secret of their own, checked, kept across a restart, and expiring after SLIPWAY_STREAM_TTL.
// The attack of the issue: `ln -s /proc/self/environ Procfile`, pushed; the operator key must appear
// nowhere the pusher or a holder of the stream URL can read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readAppJsonFormation } from '../src/build/appjson.ts';
import { ProcfileError, readProcfile } from '../src/build/procfile.ts';
import { OutputStore } from '../src/releases/output.ts';
import { BuildFileError, packSlug } from '../src/slugs/index.ts';
import { openStore } from '../src/store/index.ts';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

describe('files a build produced', () => {
  let work: string;
  before(async () => { work = await mkdtemp(join(tmpdir(), 'slipway-sec-buildfiles-')); });
  after(() => rm(work, { recursive: true, force: true }));
  let n = 0;
  const appDir = async () => {
    const d = join(work, `app${++n}`);
    await mkdir(d);
    return d;
  };

  test('a Procfile that links to the environment is refused without reading it', async () => {
    const dir = await appDir();
    await symlink('/proc/self/environ', join(dir, 'Procfile'));
    await assert.rejects(readProcfile(dir), (e: Error) => e instanceof ProcfileError && /Procfile is a symbolic link/.test(e.message) && !e.message.includes('PATH='));
  });

  test('a FIFO, a device or a directory is refused at once, never waited on', async () => {
    const fifo = await appDir();
    execFileSync('mkfifo', [join(fifo, 'Procfile')]);
    // Were it opened for reading without O_NONBLOCK, this would hang until a writer came.
    await assert.rejects(readProcfile(fifo), /Procfile is not a regular file \(a FIFO\)/);
    const dir = await appDir();
    await mkdir(join(dir, 'app.json'));
    await assert.rejects(readAppJsonFormation(dir), /app\.json is not a regular file \(a directory\)/);
    if (process.getuid?.() === 0) {
      const dev = await appDir();
      execFileSync('mknod', [join(dev, 'Procfile'), 'c', '1', '5']); // /dev/zero: endless
      await assert.rejects(readProcfile(dev), /Procfile is not a regular file \(a device\)/);
    }
  });

  test('a file past the bound is refused, and errors quote a short excerpt at most', async () => {
    const big = await appDir();
    await writeFile(join(big, 'Procfile'), `web: ${'x'.repeat(300 * 1024)}\n`);
    await assert.rejects(readProcfile(big), /Procfile is \d+ bytes; at most 262144 are read/);
    const bad = await appDir();
    const secret = `SECRET_${'s'.repeat(200)}`;
    await writeFile(join(bad, 'Procfile'), `not a process line ${secret}\n`);
    await assert.rejects(readProcfile(bad), (e: Error) => /Procfile line 1 is not of the form/.test(e.message) && !e.message.includes(secret) && e.message.length < 300);
    const json = await appDir();
    await writeFile(join(json, 'app.json'), `{"formation": ${secret}}`);
    await assert.rejects(readAppJsonFormation(json), (e: Error) => /app\.json is not valid JSON/.test(e.message) && !e.message.includes(secret));
    const ok = await appDir();
    await writeFile(join(ok, 'Procfile'), 'web: node index.js\n');
    assert.deepEqual(await readProcfile(ok), { web: 'node index.js' });
    assert.equal(await readProcfile(await appDir()), null, 'no Procfile: none');
  });

  test('a .slugignore that is a link is refused, not followed', async () => {
    const dir = await appDir();
    await writeFile(join(dir, 'index.js'), 'x');
    await symlink('/etc/shadow', join(dir, '.slugignore'));
    await assert.rejects(packSlug(dir, join(work, 'slug.tgz')), (e: Error) => e instanceof BuildFileError && /\.slugignore is a symbolic link/.test(e.message));
  });
});

describe('output stream secrets', () => {
  let work: string;
  before(async () => { work = await mkdtemp(join(tmpdir(), 'slipway-sec-streams-')); });
  after(() => rm(work, { recursive: true, force: true }));

  test('a stream opens with a secret of its own, kept in the store across a restart, and expires after its output ended', async () => {
    const store = openStore(join(work, 'db.sqlite'));
    try {
      const outputs = new OutputStore(join(work, 'builds'), { kind: 'builds', db: store.db, ttlMs: 300 });
      await outputs.open('b1');
      outputs.write('b1', 'hello\n');
      const url = (await outputs.url('https://p.example', 'b1'))!;
      const secret = /^https:\/\/p\.example\/streams\/builds\/b1\?secret=([A-Za-z0-9_-]+)$/.exec(url)?.[1];
      assert.ok(secret && Buffer.from(secret, 'base64url').length >= 16, `at least 128 bits: ${url}`);
      assert.equal(await outputs.access('b1', secret), 'ok');
      assert.equal(await outputs.access('b1', ''), 'denied');
      assert.equal(await outputs.access('b1', `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`), 'denied');
      await outputs.open('b2');
      assert.notEqual(await outputs.url('x', 'b2'), (await outputs.url('x', 'b1'))!.replace('b1', 'b2'), 'each stream has its own secret');
      await outputs.close('b1');
      // A restarted platform: a new store object on the same database and directory.
      const again = new OutputStore(join(work, 'builds'), { kind: 'builds', db: store.db, ttlMs: 300 });
      assert.equal(await again.url('https://p.example', 'b1'), url, 'the same URL after a restart');
      assert.equal(await again.access('b1', secret), 'ok', 'within the TTL after the end');
      await sleep(400);
      assert.equal(await again.access('b1', secret), 'expired');
      assert.equal(await again.access('nope', secret), 'denied');
      // Asked again through the API later (an old build's builds:output): a URL of its own expiry.
      const fresh = new URL((await again.url('https://p.example', 'b1'))!);
      const expires = fresh.searchParams.get('expires')!;
      assert.ok(Number(expires) * 1000 > Date.now(), fresh.href);
      const freshSecret = fresh.searchParams.get('secret')!;
      assert.equal(await again.access('b1', freshSecret, expires), 'ok');
      assert.equal(await again.access('b1', freshSecret, String(Number(expires) + 3600)), 'denied', 'its expiry is covered by its secret');
      assert.equal(await again.access('b1', secret, expires), 'denied');
      await sleep(1500);
      assert.equal(await again.access('b1', freshSecret, expires), 'expired');
    } finally {
      await store.close();
    }
  });
});

describe('the Procfile link attack against a running platform', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-output-'));
    await p.start({ SLIPWAY_STREAM_TTL: '6' });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a push of Procfile -> /proc/self/environ leaks nothing; its output URL needs its secret and expires', async () => {
    await p.request('POST', '/apps', { name: 'leaky' });
    const dir = join(work, 'leaky');
    const files = appFiles('leaky-ok');
    delete (files as Record<string, string>).Procfile;
    await makeRepo(dir, files);
    await symlink('/proc/self/environ', join(dir, 'Procfile'));
    await makeRepo(dir, {}, 'the Procfile is a link');
    const push = await p.push(dir, 'leaky');
    assert.notEqual(push.code, 0, 'the push is declined');
    assert.ok(!push.output.includes(p.key), 'the operator key is not in the push output');
    assert.doesNotMatch(push.output, /SLIPWAY_|PATH=/);
    assert.match(push.output, /Procfile is a symbolic link; it must be a regular file/);

    const builds = await p.request('GET', '/apps/leaky/builds');
    assert.equal(builds.body.length, 1);
    const url: string = builds.body[0].output_stream_url;
    assert.match(url, /\/streams\/builds\/[0-9a-f-]{36}\?secret=[A-Za-z0-9_-]{32,}$/);
    const full = await fetch(url);
    assert.equal(full.status, 200);
    const text = await full.text();
    assert.match(text, /Procfile is a symbolic link/);
    assert.ok(!text.includes(p.key), 'the stream does not carry the operator key');
    const bare = await fetch(url.split('?')[0]!);
    assert.equal(bare.status, 404, 'no secret: no stream');
    const wrong = await fetch(url.replace(/secret=.*/, 'secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    assert.equal(wrong.status, 404, 'a wrong secret: no stream');
    assert.equal((await p.request('GET', '/apps')).status, 200, 'the platform still serves');
    await sleep(7000);
    const late = await fetch(url);
    assert.equal(late.status, 410, 'past SLIPWAY_STREAM_TTL after the output ended');
    // The owner asks the API again (builds:output of an old build): a fresh URL, with its own expiry.
    const again: string = (await p.request('GET', '/apps/leaky/builds')).body[0].output_stream_url;
    assert.match(again, /\?expires=\d+&secret=[A-Za-z0-9_-]{32,}$/);
    const reread = await fetch(again);
    assert.equal(reread.status, 200);
    assert.ok(!(await reread.text()).includes(p.key));
    assert.equal((await fetch(again.replace(/expires=(\d+)/, (_, n: string) => `expires=${Number(n) + 86400}`))).status, 404, 'its expiry cannot be stretched');
  });

  test('a pushed link to a host directory is never followed as root: nothing there changes owner', async () => {
    // The host directory stands in for /etc: root's files, outside every app.
    const host = join(work, 'host-etc');
    await mkdir(host);
    await writeFile(join(host, 'shadow'), 'root:*:1::::::\n');
    await p.request('POST', '/apps', { name: 'linker' });
    const dir = join(work, 'linker');
    await makeRepo(dir, appFiles('linker-ok'));
    await symlink(host, join(dir, 'etc'));
    await makeRepo(dir, {}, 'a link to the host');
    const push = await p.push(dir, 'linker');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('linker', 'linker-ok');
    for (const path of [host, join(host, 'shadow')]) {
      const st = await lstat(path);
      assert.deepEqual([st.uid, st.gid], [process.getuid?.() ?? 0, process.getgid?.() ?? 0], `${path} keeps its owner`);
    }
  });

  test('a release phase output URL has a secret of its own too', async () => {
    await p.request('POST', '/apps', { name: 'phased' });
    const dir = join(work, 'phased');
    await makeRepo(dir, appFiles('phased-ok', 'echo release-ran'));
    const push = await p.push(dir, 'phased');
    assert.equal(push.code, 0, push.output);
    const releases = await p.request('GET', '/apps/phased/releases');
    const url: string = releases.body.at(-1).output_stream_url;
    assert.match(url, /\/streams\/releases\/[0-9a-f-]{36}\?secret=[A-Za-z0-9_-]{32,}$/);
    assert.match(await (await fetch(url)).text(), /release-ran/);
    assert.equal((await fetch(url.split('?')[0]!)).status, 404);
    const build = (await p.request('GET', '/apps/phased/builds')).body[0];
    assert.notEqual(new URL(build.output_stream_url).searchParams.get('secret'), new URL(url).searchParams.get('secret'));
  });
});
