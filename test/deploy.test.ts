// The deploy loop end to end, as a user meets it: create an app, git push real apps, get their pages
// through the router, see v2 replace v1, failing builds rejected with nothing released.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeRepo, ROOT, sleep, TestPlatform } from './helpers/platform.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'apps');
const run = promisify(execFile);

describe('deploy loop', () => {
  const p = new TestPlatform();
  let work: string;
  let layerIndex: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-deploy-'));
    await p.start({ SLIPWAY_BUILD_TIMEOUT: '240' });
    layerIndex = join(p.dataDir, 'blobs', 'layers');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a Node app with a dependency and engines.node deploys and answers through the router', async () => {
    const created = await p.request('POST', '/apps', { name: 'demo' });
    assert.equal(created.status, 201);
    assert.equal(created.body.name, 'demo');
    assert.equal(created.body.git_url, `${p.api}/demo.git`);
    assert.match(created.body.web_url, /^http:\/\/demo\.localhost:\d+\/$/);

    const dir = join(work, 'demo');
    await cp(join(FIXTURES, 'node-app'), dir, { recursive: true });
    const sha = await makeRepo(dir, {});
    const push = await p.push(dir, 'demo');
    assert.equal(push.code, 0, push.output);
    const out = push.output;
    // Heroku's shape, in order.
    const expected = [
      /remote: -----> Building on the Slipway-12 stack/, /remote: -----> Determining which buildpack to use for this app/,
      /remote: -----> Node\.js app detected/, /Resolved node version: 20\./, /remote: -----> Discovering process types/,
      /remote:        Procfile declares types -> web, worker/, /remote: -----> Compressing\.\.\./, /remote:        Done: \d+\.\dM/,
      /remote: -----> Launching\.\.\./, /remote:        Released v1/, /remote:        http:\/\/demo\.localhost:\d+\/ deployed to Slipway/,
    ];
    let at = 0;
    for (const re of expected) {
      const m = re.exec(out.slice(at));
      assert.ok(m, `push output lacks ${re} after position ${at}:\n${out}`);
      at += m.index + m[0].length;
    }
    const body = await p.waitFor('demo', 'node-app-v1');
    assert.match(body, /node-app-v1 1m/, 'the npm dependency (ms) is installed in the slug');
    const who = JSON.parse((await p.route('demo', '/whoami')).body);
    assert.equal(who.dyno, 'web.1');
    assert.match(who.node, /^v20\./, 'engines.node 20.x was honoured');
    assert.equal(who.home, '/app');
    assert.equal(who.cwd, '/app');

    const releases = await p.request('GET', '/apps/demo/releases');
    assert.equal(releases.body.length, 1);
    assert.equal(releases.body[0].description, `Deploy ${sha.slice(0, 7)}`);
    assert.equal(releases.body[0].user.email, 'operator@slipway.local');
    const formation = await p.request('GET', '/apps/demo/formation');
    assert.deepEqual(formation.body.map((f: any) => [f.type, f.quantity]).sort(), [['web', 1], ['worker', 0]]);
    const dynos = await p.request('GET', '/apps/demo/dynos');
    assert.deepEqual(dynos.body.map((d: any) => [d.name, d.state, d.command]), [['web.1', 'up', 'node index.js']]);

    const logs = await p.waitForLog('demo', /app\[web\.1\]: Listening on \d+/);
    assert.match(logs, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[api\]: Build started by user operator@slipway\.local$/m);
    assert.match(logs, /app\[api\]: Release v1 created by user operator@slipway\.local/);
    assert.match(logs, /heroku\[web\.1\]: Starting process with command `node index\.js`/);
    assert.match(logs, /heroku\[web\.1\]: State changed from starting to up/);
    assert.match(logs, /heroku\[router\]: at=info method=GET path="\/whoami" host=demo\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http/);

    // Where the deploy's time went is kept with the build (and printed nowhere in the push).
    const [build] = (await p.request('GET', '/apps/demo/builds')).body;
    const phases = await p.phases(build.id);
    const names = phases.map((x) => x.name);
    for (const n of ['receive', 'checkout', 'detect (built-in buildpacks in turn)', 'container start (detect (built-in buildpacks in turn))', 'compile heroku/nodejs',
      'container start (compile heroku/nodejs)', 'slug pack', 'upload', 'release', 'release → dyno start', 'dyno start → port answers',
      'port answers → first answer through the router']) assert.ok(names.includes(n), `phase ${n} recorded: ${names.join(', ')}`);
    const ph = (n: string) => phases.find((x) => x.name === n)!;
    assert.ok(phases.every((x) => x.end >= x.start));
    assert.ok(ph('receive').end <= ph('checkout').start && ph('checkout').end <= ph('compile heroku/nodejs').start);
    assert.ok(ph('slug pack').end <= ph('upload').start && ph('upload').end <= ph('release').start);
    assert.ok(ph('release → dyno start').end <= ph('dyno start → port answers').end);
    assert.doesNotMatch(out, /phase|container start/i, 'the push prints nothing of it');
  });

  test('the dyno is isolated: non-root, read-only stack, own pid namespace, private /app', async () => {
    const who = JSON.parse((await p.route('demo', '/whoami')).body);
    assert.notEqual(who.uid, 0, 'the dyno runs as a non-root user');
    assert.match((await p.route('demo', '/try-write-usr')).body, /^refused: E(ROFS|ACCES|PERM)/, '/usr is read-only');
    const pids: number[] = JSON.parse((await p.route('demo', '/pids')).body);
    assert.ok(pids.length < 10, `the dyno sees only its own processes, saw ${pids.length}`);
    assert.ok(pids.includes(1), 'the dyno has its own pid 1');
    assert.equal((await p.route('demo', '/write-app')).body, 'ok', '/app is writable by the dyno');
  });

  test('a process past the hard memory limit is killed (R15)', async () => {
    // standard-1X: quota 512 MB, killed at twice that. The one-off allocates and touches 1.5 GB.
    const r = await p.request('POST', '/apps/demo/dynos', { command: 'node -e "const a=[]; for (let i=0;i<48;i++){ a.push(Buffer.alloc(32*1024*1024, 1)); } console.log(\'survived\')"', attach: false });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const name = r.body.name;
    assert.match(name, /^run\.\d+$/);
    const logs = await p.waitForLog('demo', new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Process exited with status 137`), 120);
    assert.match(logs, new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Error R15 \\(Memory quota vastly exceeded\\)`));
    assert.doesNotMatch(logs, new RegExp(`app\\[${name.replace('.', '\\.')}\\]: survived`));
  });

  test('a second push makes v2 and replaces the dynos: nothing of v1 is left', async () => {
    const before = await p.containers();
    // The Node runtime is a slug layer, stored apart in the blob store (its tar stream's hash → its member).
    const layers = async () => Promise.all((await readdir(layerIndex)).map(async (f) => (await readFile(join(layerIndex, f), 'utf8')).split(' ')[0]!));
    const [member] = await layers();
    assert.match(member ?? '', /^[0-9a-f]{64}$/, 'v1 stored its runtime as a layer');
    const kept = await stat(join(p.dataDir, 'blobs', 'sha256', member!));
    const dir = join(work, 'demo');
    const index = join(dir, 'index.js');
    await writeFile(index, (await readFile(index, 'utf8')).replace("'node-app-v1'", "'node-app-v2'"));
    await makeRepo(dir, {}, 'second');
    const push = await p.push(dir, 'demo');
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /Released v2/);
    await p.waitFor('demo', 'node-app-v2');
    // The runtime is the layer the runtime-cache fill made, under the build's overlay: kept by the
    // buildpack (not copied) and, npm install having left it as it was, packed without being read.
    assert.match(push.output, /Using node 20\.\S+ from the platform's runtime layer \(not copied\)/);
    assert.match(push.output, /Using npm \S+ from the platform's runtime layer \(not copied\)/);
    assert.match(push.output, /Reused the compressed \.heroku\/node of an earlier build \(unchanged, \d+(\.\d)?M; not copied, not read\)/);
    const [v2build] = (await p.request('GET', '/apps/demo/builds')).body.filter((b: any) => b.status === 'succeeded').slice(-1);
    assert.ok((await p.phases(v2build.id)).some((x) => x.name === 'runtime layer (mount)'), 'the build dir had the runtime layer mounted');
    const reused = await stat(join(p.dataDir, 'blobs', 'sha256', member!));
    assert.equal(reused.ino, kept.ino, 'the very member v1 made: not packed again');
    assert.deepEqual(await layers(), [member], 'the blob store holds the runtime once');
    assert.ok((await stat(join(p.dataDir, 'slugs', member!, '.heroku', 'node', 'bin', 'node'))).isFile(), 'unpacked once, beside the slugs');
    // The slug a user downloads is one whole tar: the runtime layer and the rest of the app.
    const release = (await p.request('GET', '/apps/demo/releases')).body.find((r: any) => r.version === 2);
    const slug = (await p.request('GET', `/apps/demo/slugs/${release.slug.id}`)).body;
    const tgz = join(work, 'v2.tgz');
    await writeFile(tgz, Buffer.from(await (await fetch(slug.blob.url)).arrayBuffer()));
    assert.equal(slug.checksum, `SHA256:${createHash('sha256').update(await readFile(tgz)).digest('hex')}`, 'its checksum is of the whole tarball');
    const listed = (await run('tar', ['-tzf', tgz], { maxBuffer: 64 * 1024 * 1024 })).stdout.split('\n');
    for (const f of ['./.heroku/node/bin/node', './.heroku/node/lib/node_modules/npm/package.json', './index.js', './node_modules/ms/package.json', './.profile.d/nodejs.sh']) {
      assert.ok(listed.includes(f), `the downloaded slug holds ${f}`);
    }
    assert.match((await run('tar', ['-xzOf', tgz, './index.js'])).stdout, /node-app-v2/);
    const releases = await p.request('GET', '/apps/demo/releases');
    assert.deepEqual(releases.body.map((r: any) => [r.version, r.current]), [[1, false], [2, true]]);
    // The v1 web dyno's container is gone (not only out of the route table).
    let after: string[] = [];
    for (let i = 0; i < 50; i++) {
      after = await p.containers();
      if (!before.some((c) => after.includes(c))) break;
      await sleep(200);
    }
    assert.ok(before.length >= 1);
    assert.deepEqual(before.filter((c) => after.includes(c)), [], 'no container of v1 is still running');
    const dynos = await p.request('GET', '/apps/demo/dynos');
    assert.deepEqual(dynos.body.map((d: any) => [d.name, d.release.version]), [['web.1', 2]]);
  });

  test('a build that tampers with its runtime gets a layer of its own: the other app\'s dynos keep the real node', async () => {
    const [shared] = await readdir(layerIndex).then((fs) => Promise.all(fs.map(async (f) => (await readFile(join(layerIndex, f), 'utf8')).split(' ')[0]!)));
    assert.equal((await p.request('POST', '/apps', { name: 'tamper' })).status, 201);
    const dir = join(work, 'tamper');
    await cp(join(FIXTURES, 'node-app'), dir, { recursive: true });
    // After npm install: node replaced by a wrapper (the real one renamed) and a file added to the runtime.
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    pkg.scripts['heroku-postbuild'] = 'cd .heroku/node/bin && mv node node-real && printf \'#!/bin/sh\\nexec "$(dirname "$0")/node-real" "$@"\\n\' > node && chmod +x node && echo pwned > tampered';
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    await makeRepo(dir, {});
    const push = await p.push(dir, 'tamper');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('tamper', 'node-app-v1');
    const all = await Promise.all((await readdir(layerIndex)).map(async (f) => (await readFile(join(layerIndex, f), 'utf8')).split(' ')[0]!));
    assert.equal(all.length, 2, 'the changed runtime is a layer of its own');
    const own = all.find((b) => b !== shared)!;
    // The tampering build's own slug carries its change.
    const release = (await p.request('GET', '/apps/tamper/releases')).body.at(-1);
    const slug = (await p.request('GET', `/apps/tamper/slugs/${release.slug.id}`)).body;
    const tgz = join(work, 'tamper.tgz');
    await writeFile(tgz, Buffer.from(await (await fetch(slug.blob.url)).arrayBuffer()));
    assert.equal((await run('tar', ['-xzOf', tgz, './.heroku/node/bin/tampered'])).stdout, 'pwned\n');
    assert.ok(existsSync(join(p.dataDir, 'slugs', own, '.heroku', 'node', 'bin', 'node-real')));
    // The shared layer, its blob and its unpacked copy, are as they were; demo's dyno runs the real node.
    assert.equal(createHash('sha256').update(await readFile(join(p.dataDir, 'blobs', 'sha256', shared!))).digest('hex'), shared);
    const node = join(p.dataDir, 'slugs', shared!, '.heroku', 'node', 'bin');
    assert.deepEqual((await readdir(node)).sort(), ['node', 'npm', 'npx']);
    assert.equal((await readFile(join(node, 'node'))).subarray(0, 4).toString('latin1'), '\x7fELF');
    assert.equal((await p.request('POST', '/apps/demo/dynos', { command: 'ls /app/.heroku/node/bin && head -c 4 /app/.heroku/node/bin/node | od -c | head -1', attach: false })).status, 201);
    const logs = await p.waitForLog('demo', /app\[run\.\d+\]: .*177\s+E\s+L\s+F/, 60);
    assert.doesNotMatch(logs, /app\[run\.\d+\]: (tampered|node-real)/);
    assert.match(JSON.parse((await p.route('demo', '/whoami')).body).node, /^v20\./);
  });

  test('the app repository can be cloned, and a renamed app keeps its repo and dynos', async () => {
    const clone = join(work, 'clone');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('git', ['clone', '-q', p.gitUrl('demo'), clone]);
    assert.match(await readFile(join(clone, 'index.js'), 'utf8'), /node-app-v2/);

    assert.equal((await p.request('POST', '/apps', { name: 'oldname' })).status, 201);
    const taken = await p.request('PATCH', '/apps/oldname', { name: 'demo' });
    assert.equal(taken.status, 422);
    assert.match(taken.body.message, /already taken/);
    const r = await p.request('PATCH', '/apps/oldname', { name: 'newname' });
    assert.equal(r.status, 200);
    assert.equal(r.body.git_url, `${p.api}/newname.git`);
    assert.equal((await p.request('GET', '/apps/oldname')).status, 404);
    const dir = join(work, 'renamed');
    await cp(join(FIXTURES, 'python-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'newname');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('newname', 'python-app says hello');
    assert.equal((await p.route('oldname')).status, 404);
    assert.equal((await p.request('DELETE', '/apps/newname')).status, 200);
  });

  test('scaling starts and stops dynos; a one-off dyno logs as run.N', async () => {
    const r = await p.request('PATCH', '/apps/demo/formation', { updates: [{ type: 'worker', quantity: '1' }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await p.waitForLog('demo', /app\[worker\.1\]: working/);
    assert.match(await p.logs('demo'), /app\[api\]: Scaled to worker@1:Standard-1X by user operator@slipway\.local/);
    const filtered = await p.logs('demo', { dyno: 'worker' });
    assert.ok(filtered.trim().split('\n').every((l) => /(app|heroku)\[worker\.1\]/.test(l)), filtered);
    await p.request('PATCH', '/apps/demo/formation/worker', { quantity: 0 });
    await p.waitForLog('demo', /heroku\[worker\.1\]: Stopping all processes with SIGTERM/);
    const run = await p.request('POST', '/apps/demo/dynos', { command: 'echo one-off says hi', attach: false });
    await p.waitForLog('demo', new RegExp(`app\\[${run.body.name.replace('.', '\\.')}\\]: one-off says hi`));
  });

  test('web scaled to 0 answers H14; an unknown host 404', async () => {
    await p.request('PATCH', '/apps/demo/formation/web', { quantity: 0 });
    let r = await p.route('demo');
    for (let i = 0; i < 50 && r.status !== 503; i++) { await sleep(200); r = await p.route('demo'); }
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('demo', /heroku\[router\]: at=error code=H14 desc="No web processes running" method=GET path="\/" host=demo\.localhost/);
    assert.equal((await p.route('nosuchapp')).status, 404);
    await p.request('PATCH', '/apps/demo/formation/web', { quantity: 1 });
    await p.waitFor('demo', 'node-app-v2');
  });

  test('a web dyno that keeps crashing is restarted once at once, then waits; the router answers H10', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'crashy' })).status, 201);
    const dir = join(work, 'crashy');
    await makeRepo(dir, { 'Procfile': 'web: echo booting; exit 3\n' });
    const push = await p.push(dir, 'crashy');
    assert.equal(push.code, 0, push.output);
    const logs = await p.waitForLog('crashy', /State changed from starting to crashed[\s\S]*State changed from starting to crashed/);
    assert.match(logs, /heroku\[web\.1\]: Process exited with status 3/);
    assert.equal(logs.match(/Starting process with command/g)?.length, 2, 'the first crash restarts at once, the second waits (20 min)');
    const r = await p.route('crashy');
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('crashy', /heroku\[router\]: at=error code=H10 desc="App crashed" method=GET path="\/" host=crashy\.localhost/);
    const dynos = await p.request('GET', '/apps/crashy/dynos');
    assert.deepEqual(dynos.body.map((d: any) => [d.name, d.state]), [['web.1', 'crashed']]);
  });

  test('a Python standard-library app deploys', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'pyapp' })).status, 201);
    const dir = join(work, 'pyapp');
    await cp(join(FIXTURES, 'python-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'pyapp');
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /-----> Python app detected/);
    assert.match(await p.waitFor('pyapp', 'python-app says hello'), /from web\.1/);
  });

  test('a failing build rejects the push and releases nothing', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'broken' })).status, 201);
    const dir = join(work, 'broken');
    await makeRepo(dir, { 'package.json': '{"name":"bad","scripts":{"build":"echo compiling; exit 3"}}' });
    const push = await p.push(dir, 'broken');
    assert.notEqual(push.code, 0);
    assert.match(push.output, /compiling/);
    assert.match(push.output, /remote:  !     Push rejected, failed to compile Node\.js app\./);
    assert.match(push.output, /! \[remote rejected\] HEAD -> main \(pre-receive hook declined\)/);
    assert.equal((await p.request('GET', '/apps/broken/releases')).body.length, 0);
    const builds = await p.request('GET', '/apps/broken/builds');
    assert.deepEqual(builds.body.map((b: any) => b.status), ['failed']);
  });

  test('pushes nothing can build are refused with a clear message, leaving the app as it was', async () => {
    const dir = join(work, 'nothing');
    await makeRepo(dir, { 'README.md': 'no app here\n' });
    let push = await p.push(dir, 'broken');
    assert.notEqual(push.code, 0);
    assert.match(push.output, /No default language could be detected for this app/);

    const bad = join(work, 'badprocfile');
    await makeRepo(bad, { 'Procfile': 'web: node index.js\nthis line is wrong\n', 'package.json': '{"name":"x"}' });
    push = await p.push(bad, 'broken');
    assert.notEqual(push.code, 0);
    assert.match(push.output, /Procfile line 2 is not of the form/);
    assert.equal((await p.request('GET', '/apps/broken/releases')).body.length, 0);

    // The demo app is untouched by all of this.
    assert.match((await p.route('demo')).body, /node-app-v2/);
  });

  test('a push to another branch says how to deploy it', async () => {
    const dir = join(work, 'demo');
    const push = await p.push(dir, 'demo', { ref: 'HEAD:refs/heads/dev' });
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /git push slipway dev:main/);
    assert.equal((await p.request('GET', '/apps/demo/releases')).body.length, 2);
  });

  test('wrong or missing keys are refused on the API and on git', async () => {
    const r = await fetch(`${p.api}/apps`, { headers: { Authorization: 'Bearer wrong' } });
    assert.equal(r.status, 401);
    const body = await r.json() as { id: string; message: string };
    assert.equal(body.id, 'unauthorized');
    assert.match(body.message, /API key/);
    assert.equal((await fetch(`${p.api}/apps`)).status, 401);
    const push = await p.push(join(work, 'demo'), 'demo', { key: 'wrong-key' });
    assert.notEqual(push.code, 0);
    assert.match(push.output, /Authentication failed|401|could not read Username/i);
  });

  test('bad app names and taken names are refused', async () => {
    for (const name of ['ab', 'Demo', '1abc', 'demo-', 'x'.repeat(31)]) {
      const r = await p.request('POST', '/apps', { name });
      assert.equal(r.status, 422, name);
      assert.equal(r.body.id, 'invalid_params');
      assert.match(r.body.message, /lowercase letters/);
    }
    const dup = await p.request('POST', '/apps', { name: 'demo' });
    assert.equal(dup.status, 422);
    assert.match(dup.body.message, /already taken/);
    const gen = await p.request('POST', '/apps', {});
    assert.equal(gen.status, 201);
    assert.match(gen.body.name, /^[a-z]+-[a-z]+-\d{4}$/);
    assert.equal((await p.request('GET', '/apps/nope')).status, 404);
  });

  test('destroying an app removes its dynos, repo and releases', async () => {
    const r = await p.request('DELETE', '/apps/pyapp');
    assert.equal(r.status, 200);
    assert.equal((await p.request('GET', '/apps/pyapp')).status, 404);
    assert.equal((await p.request('GET', '/apps/pyapp/releases')).status, 404);
    // The router forgets the app's host within moments (HAProxy reloads without it).
    let res = await p.route('pyapp');
    for (let i = 0; i < 50 && res.status !== 404; i++) { await sleep(100); res = await p.route('pyapp'); }
    assert.equal(res.status, 404, `${res.status} ${res.body.slice(0, 200)}\n${p.output.split('\n').filter((l) => /router|fail/i.test(l)).slice(-8).join('\n')}`);
  });

  test('stopping the platform stops every dyno and leaves no container', async () => {
    assert.ok((await p.containers()).length >= 1);
    await p.stop();
    assert.deepEqual(await p.containers(), []);
  });
});
