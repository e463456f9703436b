// Builds: the classic buildpack API as apps meet it (chosen buildpacks, multi-buildpack exports,
// ENV_DIR, .profile.d, .slugignore), pushes to one app serialized and to two apps side by side, and the
// build timeout.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeRepo, TestPlatform } from './helpers/platform.ts';

/** A tiny web app that needs no buildpack's help beyond the Procfile. */
const PY_WEB = {
  'Procfile': 'web: python3 -c "import http.server as h, os; h.HTTPServer((\'\', int(os.environ[\'PORT\'])), type(\'H\', (h.BaseHTTPRequestHandler,), {\'do_GET\': lambda s: (s.send_response(200), s.end_headers(), s.wfile.write((os.environ.get(\'SHOW\', \'-\') + \'|\' + \'|\'.join(sorted(os.listdir(\'/app\')))).encode()))})).serve_forever()"\n',
};

async function buildpack(dir: string, name: string, compile: string, exportLine?: string): Promise<void> {
  await makeRepo(dir, {
    'bin/detect': `#!/bin/sh\necho ${name}\n`,
    'bin/compile': `#!/bin/bash\nset -e\nBUILD_DIR=$1; CACHE_DIR=$2; ENV_DIR=$3\n${compile}\n${exportLine ? `echo '${exportLine}' > "$(dirname "$0")/../export"\n` : ''}`,
    'bin/release': '#!/bin/sh\necho "--- {}"\n',
  });
  for (const f of ['detect', 'compile', 'release']) await chmod(join(dir, 'bin', f), 0o755);
  await makeRepo(dir, {}, 'executable scripts');
}

describe('builds', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-builds-'));
    // Source tarballs and git buildpacks come from the test's own servers on loopback: allowed by the operator's setting.
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1', SLIPWAY_LOCAL_BUILDPACKS: work });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('buildpack installations run in order, sharing exports; config vars reach ENV_DIR and the dyno', async () => {
    await p.request('POST', '/apps', { name: 'multi' });
    const first = join(work, 'bp-first');
    const second = join(work, 'bp-second');
    await buildpack(first, 'First', 'echo "-----> first buildpack compiling"; echo from-first > "$BUILD_DIR/first.txt"', 'export FROM_FIRST=exported-value');
    await buildpack(second, 'Second', [
      'echo "-----> second buildpack sees FROM_FIRST=$FROM_FIRST and GREETING=$(cat "$ENV_DIR/GREETING")"',
      'mkdir -p "$BUILD_DIR/.profile.d"',
      'echo \'export SHOW="profile-d:$GREETING"\' > "$BUILD_DIR/.profile.d/show.sh"',
      'echo cached > "$CACHE_DIR/marker"',
    ].join('\n'));
    let r = await p.request('PUT', '/apps/multi/buildpack-installations', { updates: [{ buildpack: first }, { buildpack: second }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.map((b: any) => b.buildpack.url), [first, second]);
    r = await p.request('PATCH', '/apps/multi/config-vars', { GREETING: 'hello there' });
    assert.deepEqual(r.body, { GREETING: 'hello there' });

    const app = join(work, 'multi');
    await makeRepo(app, { ...PY_WEB, '.slugignore': 'secret-notes.txt\n', 'secret-notes.txt': 'not for the slug\n' });
    const push = await p.push(app, 'multi');
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /-----> Using buildpacks:\nremote:        1\. .*bp-first\nremote:        2\. .*bp-second/);
    assert.match(push.output, /-----> Second app detected/);
    assert.match(push.output, /second buildpack sees FROM_FIRST=exported-value and GREETING=hello there/);
    const body = await p.waitFor('multi', 'profile-d:hello there');
    assert.match(body, /first\.txt/, 'the first buildpack\'s output is in the slug');
    assert.doesNotMatch(body, /secret-notes/, '.slugignore kept the file out of the slug');
    const releases = await p.request('GET', '/apps/multi/releases');
    assert.deepEqual(releases.body.map((x: any) => x.description).slice(0, 1), ['Set GREETING config vars']);
    assert.equal(releases.body.length, 2);
  });

  test('a config change makes a release and restarts dynos with the new environment', async () => {
    const r = await p.request('PATCH', '/apps/multi/config-vars', { GREETING: 'changed' });
    assert.equal(r.status, 200);
    await p.waitFor('multi', 'profile-d:changed');
    const releases = await p.request('GET', '/apps/multi/releases');
    assert.equal(releases.body.at(-1).description, 'Set GREETING config vars');
    assert.equal(releases.body.at(-1).version, 3);
    const bad = await p.request('PATCH', '/apps/multi/config-vars', { 'BAD-NAME': 'x' });
    assert.equal(bad.status, 422);
    assert.equal((await p.request('GET', '/apps/multi/releases')).body.length, 3, 'a refused change makes no release');
  });

  test('BUILDPACK_URL names the buildpack; a registry name picks a built-in', async () => {
    await p.request('POST', '/apps', { name: 'bpurl' });
    await p.request('PATCH', '/apps/bpurl/config-vars', { BUILDPACK_URL: 'heroku/python' });
    const app = join(work, 'bpurl');
    // Both package.json and requirements.txt: detection alone would pick Node.js.
    await makeRepo(app, { ...PY_WEB, 'package.json': '{"name":"x"}', 'requirements.txt': '' });
    const push = await p.push(app, 'bpurl');
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /-----> Using buildpack: heroku\/python/);
    assert.match(push.output, /-----> Python app detected/);
    const bad = await p.request('PUT', '/apps/bpurl/buildpack-installations', { updates: [{ buildpack: 'no-such-thing' }] });
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /Unknown buildpack no-such-thing/);
  });

  test('a buildpack given by git URL is cloned at the named ref', async () => {
    // The buildpack lives on a branch of another app's repository on this very platform (the only git
    // server a test may reach); branches other than main are stored without a build.
    await p.request('POST', '/apps', { name: 'bp-host' });
    const bp = join(work, 'bp-git');
    await buildpack(bp, 'FromGit', 'echo "-----> compiled by the git buildpack"');
    const stored = await p.push(bp, 'bp-host', { ref: 'HEAD:refs/heads/buildpack' });
    assert.equal(stored.code, 0, stored.output);
    await p.request('POST', '/apps', { name: 'gitbp' });
    const url = `${p.gitUrl('bp-host')}#buildpack`;
    assert.equal((await p.request('PUT', '/apps/gitbp/buildpack-installations', { updates: [{ buildpack: url }] })).status, 200);
    const app = join(work, 'gitbp');
    await makeRepo(app, PY_WEB);
    const push = await p.push(app, 'gitbp');
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /-----> Using buildpack: http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/bp-host\.git#buildpack/, 'the key in the URL is not shown');
    assert.doesNotMatch(push.output, new RegExp(p.key));
    assert.match(push.output, /-----> FromGit app detected/);
    assert.match(push.output, /compiled by the git buildpack/);
  });

  test('two pushes to one app are serialized; pushes to two apps run side by side', async () => {
    await p.request('POST', '/apps', { name: 'busy' });
    await p.request('POST', '/apps', { name: 'other' });
    const slow = { 'Procfile': 'worker: sleep 1000\n', 'package.json': '{"name":"slow","scripts":{"build":"sleep 3"}}' };
    const a = join(work, 'busy-a');
    const b = join(work, 'busy-b');
    const c = join(work, 'other');
    await makeRepo(a, { ...slow, 'a.txt': 'a' });
    await makeRepo(b, { ...slow, 'b.txt': 'b' });
    await makeRepo(c, slow);
    const [ra, rb, rc] = await Promise.all([p.push(a, 'busy'), p.push(b, 'busy'), p.push(c, 'other')]);
    assert.equal(rc.code, 0, rc.output);
    const outcomes = [ra, rb].sort((x, y) => x.code - y.code);
    assert.equal(outcomes[0]!.code, 0, outcomes[0]!.output);
    assert.notEqual(outcomes[1]!.code, 0, 'the second push was built on a branch that moved, so git could not take it');
    assert.match(outcomes[1]!.output, /Waiting for the app's build in progress to finish/);
    assert.match(outcomes[1]!.output, /was updated by another push while this one waited/);
    assert.equal((await p.request('GET', '/apps/busy/releases')).body.length, 1);
    // Side by side: each of busy's and other's first builds started before the other ended.
    const builds = [...(await p.request('GET', '/apps/busy/builds')).body, ...(await p.request('GET', '/apps/other/builds')).body]
      .filter((x: any) => x.status === 'succeeded');
    assert.equal(builds.length, 2);
    const [x, y] = builds;
    assert.ok(x.created_at <= y.updated_at && y.created_at <= x.updated_at, `builds overlapped: ${JSON.stringify(builds.map((q: any) => [q.created_at, q.updated_at]))}`);
  });
});

describe('build timeout', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-timeout-'));
    await p.start({ SLIPWAY_BUILD_TIMEOUT: '3', SLIPWAY_LOCAL_BUILDPACKS: work });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a build that outlives the timeout is stopped and releases nothing', async () => {
    await p.request('POST', '/apps', { name: 'sleepy' });
    const bp = join(work, 'bp-sleepy');
    await buildpack(bp, 'Sleepy', 'echo "build starts"; sleep 600');
    await p.request('PUT', '/apps/sleepy/buildpack-installations', { updates: [{ buildpack: bp }] });
    const app = join(work, 'sleepy');
    await makeRepo(app, { 'Procfile': 'web: sleep 1000\n' });
    const push = await p.push(app, 'sleepy');
    assert.notEqual(push.code, 0);
    assert.match(push.output, /build starts/);
    assert.match(push.output, /Timed out compiling Sleepy app \(the build timeout is 3 s\)/);
    assert.equal((await p.request('GET', '/apps/sleepy/releases')).body.length, 0);
    assert.deepEqual(await p.containers(), [], 'the build container is gone');
  });
});
