// The Python buildpack's bin/compile, run for real with the host's Debian python3
// (the stack's Python). PyPI is not reachable from this machine, which is exactly
// the failure the buildpack must explain quickly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Sandbox, compile, headers } from '../helpers/buildpacks.ts';

const sb = new Sandbox();
after(() => sb.cleanup());
const env = sb.env();
const envDir = sb.dir('env');

function stackPython(): { version: string; hasPip: boolean } {
  const v = spawnSync('python3', ['-c', 'import platform; print(platform.python_version())'], { env, encoding: 'utf8' });
  const pip = spawnSync('python3', ['-m', 'pip', '--version'], { env, encoding: 'utf8' });
  return { version: v.stdout.trim(), hasPip: pip.status === 0 };
}
const py = stackPython();

describe('python bin/compile', { concurrency: false }, () => {
  const bp = sb.buildpack('python');

  test('an empty requirements.txt (comments only) needs no network and succeeds', async () => {
    const app = sb.dir('py-empty');
    writeFileSync(join(app, 'requirements.txt'), '# nothing yet\n\n   # really nothing\n');
    const r = await compile(bp, app, sb.dir('py-empty-cache'), envDir, sb.env({ PIP_INDEX_URL: 'http://127.0.0.1:9/simple' }), 60_000);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, new RegExp(`^-----> Using Python ${py.version.replace(/\./g, '\\.')} from the stack`, 'm'));
    assert.match(r.stdout, /^ {7}requirements.txt lists no packages; nothing to install$/m);
    const profile = readFileSync(join(app, '.profile.d', 'python.sh'), 'utf8');
    assert.match(profile, /^export PYTHONUNBUFFERED=\$\{PYTHONUNBUFFERED:-1\}$/m);
    assert.match(profile, /^export PYTHONPATH="\$HOME\/\.heroku\/python\/[^"]*(site|dist)-packages/m);
    assert.match(profile, /^export PATH="\$HOME\/\.heroku\/python\/[^"]*bin:\$PATH"$/m);
    assert.ok(!profile.includes(app), '.profile.d must not name the build dir');
  });

  test('requests with PyPI unreachable fails fast, naming the index and the package', async () => {
    const app = sb.dir('py-requests');
    writeFileSync(join(app, 'requirements.txt'), 'requests==2.32.3\n');
    const r = await compile(bp, app, sb.dir('py-requests-cache'), envDir, env, 90_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ ! {5}Could not download requests from the package index https:\/\/pypi\.org\/simple:$/m);
    assert.match(r.stderr, /^ ! {5}the index is unreachable \(.+\)\.$/m);
    assert.ok(r.ms < 45_000, `took ${r.ms} ms`);
    assert.equal(existsSync(join(app, '.heroku', 'python')), false);
  });

  test('the index named in PIP_INDEX_URL (a config var) is the one reported, without its password', async () => {
    const app = sb.dir('py-private-index');
    writeFileSync(join(app, 'requirements.txt'), 'flask\ngunicorn>=21\n');
    const privEnv = sb.dir('env-private');
    writeFileSync(join(privEnv, 'PIP_INDEX_URL'), 'http://deploy:s3cret@127.0.0.1:9/simple/');
    const r = await compile(bp, app, sb.dir('py-private-cache'), privEnv, env, 60_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Could not download flask, gunicorn from the package index http:\/\/deploy:\*\*\*\*@127\.0\.0\.1:9\/simple:/);
    assert.doesNotMatch(r.output, /s3cret/);
  });

  test('runtime.txt asking for another Python fails, naming both versions', async () => {
    const app = sb.dir('py-runtime');
    writeFileSync(join(app, 'runtime.txt'), 'python-3.12.1\n');
    writeFileSync(join(app, 'requirements.txt'), '');
    const r = await compile(bp, app, sb.dir('py-runtime-cache'), envDir, env, 30_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`^ ! {5}runtime\\.txt asks for Python 3\\.12\\.1, but this stack \\(slipway-12\\) provides Python ${py.version.replace(/\./g, '\\.')},$`, 'm'));
  });

  test('runtime.txt or .python-version matching the stack is fine', async () => {
    const app = sb.dir('py-runtime-ok');
    writeFileSync(join(app, '.python-version'), py.version.split('.').slice(0, 2).join('.') + '\n');
    const r = await compile(bp, app, sb.dir('py-runtime-ok-cache'), envDir, env, 30_000);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /\.python-version asks for Python 3\.\d+: satisfied/);
  });

  test('installs requirements into .heroku/python; the slug runs from another path', { skip: !py.hasPip && 'the host python3 has no pip' }, async () => {
    const app = sb.dir('py-wheel', 'python-app');
    const cache = sb.dir('py-wheel-cache');
    const r = await compile(bp, app, cache, envDir, env, 120_000);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(headers(r.stdout), [`Using Python ${py.version} from the stack (/usr/bin/python3)`, 'Installing requirements with pip']);
    assert.match(r.stdout, /^ {7}Successfully installed slipway-hello-1\.0\.0$/m);
    for (const l of r.stdout.split('\n')) assert.match(l, /^(-----> .*| {7}.*|)$/, `badly formatted line: ${JSON.stringify(l)}`);
    assert.ok(existsSync(join(bp, 'export')));

    const moved = join(sb.root, 'py-moved');
    renameSync(app, moved);
    const script = 'cd "$HOME" && for f in .profile.d/*.sh; do . "$f"; done && slipway-hello && python3 -c "import slipway_hello, os; print(slipway_hello.__file__.startswith(os.environ[\'HOME\']))" && echo "$PYTHONUNBUFFERED"';
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: sb.env({ HOME: moved }) });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), ['hello from slipway_hello', 'True', '1']);
  });
});
