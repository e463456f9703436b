// Deploying without git push, against a real platform: a slug made elsewhere (uploaded to its blob URL,
// then released), a slug promoted from one app to another (the same blob), and the Builds API building a
// source tarball fetched from a URL, with its output streamed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, TestPlatform } from './helpers/platform.ts';
import { appFiles } from './helpers/apps.ts';

const run = promisify(execFile);

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}

describe('slugs, promotion and the Builds API', () => {
  const p = new TestPlatform();
  let work: string;
  let files: Server;
  let filesPort = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-slugs-'));
    // Source tarballs and git buildpacks come from the test's own servers on loopback: allowed by the operator's setting.
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1' });
    // A plain file server on loopback, standing in for wherever a source tarball lives.
    filesPort = await freePort();
    files = createServer((req, res) => {
      void readFile(join(work, 'served', (req.url ?? '/').slice(1))).then(
        (body) => res.end(body),
        () => { res.statusCode = 404; res.end('not found'); },
      );
    });
    await new Promise<void>((r) => files.listen(filesPort, '127.0.0.1', r));
    await mkdir(join(work, 'served'));
  });
  after(async () => {
    await new Promise((r) => files?.close(r));
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a slug made elsewhere (Heroku layout, ./app/...) is uploaded to its blob URL and released', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'made' })).status, 201);
    await writeTree(join(work, 'slug', 'app'), appFiles('uploaded-slug-token'));
    const tgz = join(work, 'slug.tgz');
    // Made as a user would make it (root-owned entries are refused: this test runs as root).
    await run('tar', ['-czf', tgz, '--owner=1000', '--group=1000', '-C', join(work, 'slug'), './app']);

    const created = await p.request('POST', '/apps/made/slugs', { process_types: { web: 'python3 app.py' }, commit: 'abc1234def' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.blob.method, 'PUT');
    const url: string = created.body.blob.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/slug-blobs\/[0-9a-f-]{36}\?expires=\d+&signature=/);
    const stretched = url.replace(/expires=\d+/, (m) => `expires=${Number(m.slice(8)) + 86400}`);
    assert.equal((await fetch(stretched, { method: 'PUT', body: 'x' })).status, 403, 'the expiry is signed too');

    const early = await p.request('POST', '/apps/made/releases', { slug: created.body.id });
    assert.equal(early.status, 422);
    assert.match(early.body.message, /no tarball yet/);
    const forged = await fetch(url.replace(/signature=.*/, 'signature=forged'), { method: 'PUT', body: 'x' });
    assert.equal(forged.status, 403);
    const notTar = await fetch(url, { method: 'PUT', body: 'this is not a tarball' });
    assert.equal(notTar.status, 422);
    assert.match(await notTar.text(), /not a gzipped tar/);

    const put = await fetch(url, { method: 'PUT', body: await readFile(tgz) });
    assert.equal(put.status, 200, await put.text());
    const slug = await p.request('GET', `/apps/made/slugs/${created.body.id}`);
    assert.match(slug.body.checksum, /^SHA256:[0-9a-f]{64}$/);
    assert.ok(slug.body.size > 0);
    assert.equal(slug.body.blob.method, 'GET');
    assert.equal((await fetch(url, { method: 'PUT', body: 'again' })).status, 409, 'a slug is uploaded once');

    const released = await p.request('POST', '/apps/made/releases', { slug: created.body.id, description: 'Uploaded by CI' });
    assert.equal(released.status, 201, JSON.stringify(released.body));
    assert.equal(released.body.version, 1);
    assert.equal(released.body.description, 'Uploaded by CI');
    assert.equal(await p.waitFor('made', 'uploaded-slug-token'), 'uploaded-slug-token');
    const formation = await p.request('GET', '/apps/made/formation');
    assert.deepEqual(formation.body.map((f: any) => [f.type, f.quantity]), [['web', 1]]);

    const neither = await p.request('POST', '/apps/made/releases', {});
    assert.equal(neither.status, 422);
    assert.match(neither.body.message, /either "slug".*or "release"/);
    assert.equal((await p.request('POST', '/apps/made/releases', { slug: '00000000-0000-0000-0000-000000000000' })).status, 404);
  });

  test('pipelines:promote releases the same slug on another app, which keeps its own config', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'prod' })).status, 201);
    assert.equal((await p.request('PATCH', '/apps/prod/config-vars', { STAGE: 'production' })).status, 200);
    const blobsBefore = (await readdir(join(p.dataDir, 'blobs', 'sha256'))).length;
    const r = await p.cli(['pipelines:promote', '-a', 'made', '--to', 'prod']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Promoting made v1 to prod\.\.\. done, v2/);
    await p.waitFor('prod', 'uploaded-slug-token');
    assert.equal((await p.route('prod', '/env/STAGE')).body, 'production');
    const [made, prod] = await Promise.all(['made', 'prod'].map(async (a) => {
      const rel = (await p.request('GET', `/apps/${a}/releases`)).body.at(-1);
      return (await p.request('GET', `/apps/${a}/slugs/${rel.slug.id}`)).body;
    }));
    assert.notEqual(prod.id, made.id);
    assert.equal(prod.checksum, made.checksum, 'the same blob');
    assert.equal((await readdir(join(p.dataDir, 'blobs', 'sha256'))).length, blobsBefore, 'nothing was copied');
    assert.equal((await p.request('GET', '/apps/prod/releases')).body.at(-1).description, 'Promote made v1');

    const noTarget = await p.cli(['pipelines:promote', '-a', 'made']);
    assert.notEqual(noTarget.code, 0);
    assert.match(noTarget.stderr, /--to/);
  });

  test('the Builds API builds a tarball from a URL, streaming its output', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'tarball' })).status, 201);
    // As GitHub serves archives: everything under one top-level directory.
    await writeTree(join(work, 'src', 'myapp-1.2.0'), appFiles('built-from-tarball'));
    const tgz = join(work, 'served', 'app.tgz');
    await run('tar', ['-czf', tgz, '-C', join(work, 'src'), 'myapp-1.2.0']);
    const sha = createHash('sha256').update(await readFile(tgz)).digest('hex');

    const r = await p.cli(['builds:create', '-a', 'tarball', '--source-url', `http://127.0.0.1:${filesPort}/app.tgz`, '--version', '1.2.0', '--checksum', `SHA256:${sha}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /-----> Fetching source from http:\/\/127\.0\.0\.1:\d+\/app\.tgz\n-----> Building on the Slipway-12 stack[\s\S]*Procfile declares types -> web[\s\S]*Released v1/);
    await p.waitFor('tarball', 'built-from-tarball');
    const rel = (await p.request('GET', '/apps/tarball/releases')).body;
    assert.equal(rel[0].description, 'Deploy 1.2.0');
    const builds = (await p.request('GET', '/apps/tarball/builds')).body;
    assert.equal(builds[0].status, 'succeeded');
    assert.equal(builds[0].source_blob.url, `http://127.0.0.1:${filesPort}/app.tgz`);
    assert.equal(builds[0].source_blob.version, '1.2.0');
    assert.equal(builds[0].release.id, rel[0].id);
    const replay = await (await fetch(builds[0].output_stream_url)).text();
    assert.match(replay, /Released v1/, 'the output stream replays after the build');

    const wrongSum = await p.request('POST', '/apps/tarball/builds', { source_blob: { url: `http://127.0.0.1:${filesPort}/app.tgz`, checksum: `SHA256:${'0'.repeat(64)}` } });
    assert.equal(wrongSum.status, 201);
    const out = await (await fetch(wrongSum.body.output_stream_url)).text();
    assert.match(out, /checksum is SHA256:[0-9a-f]{64}, not the SHA256:0{64}/);
    assert.equal((await p.request('GET', `/apps/tarball/builds/${wrongSum.body.id}`)).body.status, 'failed');
    const missing = await p.cli(['builds:create', '-a', 'tarball', '--source-url', `http://127.0.0.1:${filesPort}/nope.tgz`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stdout, /answered HTTP 404/);
    assert.equal((await p.request('POST', '/apps/tarball/builds', { source_blob: { url: 'ftp://x' } })).status, 422);
    assert.equal((await p.request('GET', '/apps/tarball/releases')).body.length, 1, 'failed builds released nothing');

    // A destroyed app's build outputs go with the next housekeeping pass (one follows every release).
    assert.equal((await p.request('DELETE', '/apps/tarball')).status, 200);
    assert.equal((await p.request('PATCH', '/apps/made/config-vars', { TICK: '1' })).status, 200);
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await fetch(builds[0].output_stream_url)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 404);
  });
});
