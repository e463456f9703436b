// The slipway CLI against a real platform, the way the README's tour uses it: login writes ~/.netrc,
// apps:create adds the git remote, `git push slipway main` authenticates from netrc, and every later
// command finds the app from that remote.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeRepo, ROOT, sleep, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

describe('slipway CLI', () => {
  const p = new TestPlatform();
  let work: string;
  let home: string;
  let repo: string;
  /** The CLI as a logged-in user runs it: a private HOME, no key in the environment. */
  const cli = (args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) =>
    p.cli(args, { cwd: opts.cwd ?? repo, input: opts.input, env: { HOME: home, SLIPWAY_API_KEY: '', ...opts.env } });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-cli-'));
    home = join(work, 'home');
    repo = join(work, 'app');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'python-app'), repo, { recursive: true });
    await makeRepo(repo, {});
    await run('mkdir', ['-p', home]);
    await p.start();
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('login checks the key and stores it in ~/.netrc', async () => {
    const bad = await cli(['login'], { input: 'not-the-key\n' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid|Invalid|unauthorized/i);
    const r = await cli(['login'], { input: `${p.key}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /Logged in as operator@slipway\.local/);
    const netrc = await readFile(join(home, '.netrc'), 'utf8');
    assert.ok(netrc.includes(p.key));
    assert.equal((await stat(join(home, '.netrc'))).mode & 0o777, 0o600);
    const who = await cli(['auth:whoami']);
    assert.equal(who.stdout.trim(), 'operator@slipway.local');
  });

  test('apps:create adds the slipway remote; git push through it deploys', async () => {
    const r = await cli(['apps:create', 'clidemo']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /Creating clidemo\.\.\. done/);
    assert.match(r.stdout, new RegExp(`http://clidemo\\.localhost:${p.routerPort}/ \\| ${p.api}/clidemo\\.git`));
    const remotes = (await run('git', ['remote', '-v'], { cwd: repo })).stdout;
    assert.match(remotes, new RegExp(`^slipway\\s+${p.api}/clidemo\\.git \\(push\\)$`, 'm'));

    // The credentials come from the netrc login wrote, as with `heroku login`.
    const push = await run('git', ['push', 'slipway', 'main'], { cwd: repo, env: { ...process.env, HOME: home, GIT_TERMINAL_PROMPT: '0' } }).catch((e) => e);
    assert.equal(push.code ?? 0, 0, push.stderr);
    assert.match(push.stderr, /Released v1/);
    await p.waitFor('clidemo', 'python-app says hello');
  });

  test('releases, ps, logs and apps:info find the app from the git remote', async () => {
    const sha = (await run('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: repo })).stdout.trim();
    const releases = await cli(['releases']);
    assert.equal(releases.code, 0, releases.stderr);
    assert.match(releases.stdout, /=== clidemo Releases - Current: v1/);
    assert.match(releases.stdout, new RegExp(`v1\\s+Deploy ${sha}\\s+operator@slipway\\.local\\s+\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d`));

    const ps = await cli(['ps']);
    assert.match(ps.stdout, /=== web \(Standard-1X\): python3 app\.py \(1\)/);
    assert.match(ps.stdout, /web\.1: up \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d/);

    const logs = await cli(['logs', '-n', '200']);
    assert.match(logs.stdout, /^\S+ app\[web\.1\]: Listening on \d+$/m);
    assert.match(logs.stdout, /heroku\[web\.1\]: State changed from starting to up/);
    const only = await cli(['logs', '--source', 'heroku', '--ps', 'web.1']);
    assert.ok(only.stdout.trim().split('\n').every((l) => / heroku\[web\.1\]: /.test(l)), only.stdout);

    const info = await cli(['apps:info']);
    assert.match(info.stdout, /=== clidemo/);
    assert.match(info.stdout, new RegExp(`Git URL:\\s+${p.api}/clidemo\\.git`));
    const apps = await cli(['apps']);
    assert.match(apps.stdout, /=== operator@slipway\.local Apps\n(.*\n)*clidemo/);
  });

  test('logs --tail streams new lines as they happen', async () => {
    const { spawn } = await import('node:child_process');
    const { SLIPWAY } = await import('./helpers/platform.ts');
    const tail = spawn(SLIPWAY, ['logs', '--tail', '-n', '0'], { cwd: repo, env: { ...process.env, HOME: home, SLIPWAY_HOST: p.api, SLIPWAY_API_KEY: '' } });
    try {
      let seen = '';
      tail.stdout.on('data', (d) => (seen += d));
      const marker = `/tail-marker-${Date.now()}`;
      for (let i = 0; i < 100 && !seen.includes(marker); i++) {
        await p.route('clidemo', marker); // each request makes a router line and an app line
        await sleep(200);
      }
      assert.match(seen, new RegExp(`heroku\\[router\\]: at=info method=GET path="${marker}"`));
    } finally {
      tail.kill('SIGINT');
    }
  });

  test('ps:scale, config:set and run:detached act on the app', async () => {
    const scale = await cli(['ps:scale', 'web=2']);
    assert.equal(scale.code, 0, scale.stderr);
    assert.match(scale.stdout + scale.stderr, /now running web at 2:Standard-1X/);
    for (let i = 0; i < 100; i++) {
      if (/web\.2: up/.test((await cli(['ps'])).stdout)) break;
      await sleep(200);
    }
    assert.match((await cli(['ps'])).stdout, /web\.2: up/);

    const set = await cli(['config:set', 'GREETING=hello world', 'EQ=a=b']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout + set.stderr, /Setting GREETING, EQ and restarting clidemo\.\.\. done, v2/);
    assert.equal((await cli(['config:get', 'EQ'])).stdout.trim(), 'a=b');

    const runOut = await cli(['run:detached', 'echo', 'detached-output']);
    assert.equal(runOut.code, 0, runOut.stderr);
    const m = /done, (run\.\d+)/.exec(runOut.stdout + runOut.stderr);
    assert.ok(m, runOut.stdout + runOut.stderr);
    await p.waitForLog('clidemo', new RegExp(`app\\[${m[1]!.replace('.', '\\.')}\\]: detached-output`));
    const typed = await cli(['run:detached', '--type', 'migrate', 'echo', 'typed']);
    assert.match(typed.stdout + typed.stderr, /done, migrate\.\d+/, 'a one-off named after its --type');
  });

  test('mistakes get clear errors and a non-zero exit', async () => {
    const noConfirm = await cli(['apps:destroy']);
    assert.notEqual(noConfirm.code, 0);
    assert.match(noConfirm.stderr, /confirm/i);
    assert.equal((await p.request('GET', '/apps/clidemo')).status, 200, 'nothing was destroyed');
    const badName = await cli(['apps:create', 'Bad_Name'], { cwd: work });
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /invalid/);
    const noApp = await cli(['releases'], { cwd: work });
    assert.notEqual(noApp.code, 0);
    assert.match(noApp.stderr, /--app/);
    const badScale = await cli(['ps:scale', 'web=lots']);
    assert.notEqual(badScale.code, 0);
  });

  test('git:remote and apps:destroy', async () => {
    const other = join(work, 'other');
    await makeRepo(other, { 'README': 'x' });
    const r = await cli(['git:remote', '-a', 'clidemo'], { cwd: other });
    assert.equal(r.code, 0, r.stderr);
    assert.match((await run('git', ['remote', '-v'], { cwd: other })).stdout, /slipway\s+\S+\/clidemo\.git/);
    const gone = await cli(['apps:destroy', 'clidemo', '--confirm', 'clidemo']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal((await p.request('GET', '/apps/clidemo')).status, 404);
    assert.doesNotMatch((await run('git', ['remote', '-v'], { cwd: repo })).stdout, /clidemo/, 'the local remote was removed');
  });
});
