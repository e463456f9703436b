// The official `heroku` CLI (from the npm registry, pinned) against a real platform, configured as the
// README says: it must list apps, show releases, dynos, formation and logs of a deployed app, and
// manage its domains and maintenance mode, add-ons (create, attach, detach, upgrade, destroy) and certificates.
// The CLI is installed once per machine into a cache dir (about 400 MB, 45 s), not into the project.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, ROOT, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);
const HEROKU_VERSION = '11.10.0';
const CACHE = process.env.SLIPWAY_HEROKU_CLI_CACHE ?? `/var/cache/slipway/heroku-cli-${HEROKU_VERSION}`;
const HEROKU = join(CACHE, 'node_modules', '.bin', 'heroku');

describe('the official heroku CLI', () => {
  const p = new TestPlatform();
  let work: string;
  const heroku = async (args: string[]) => {
    const env = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: join(p.dataDir, 'tls', 'ca.pem'), // as the README says, for `heroku run`
      HOME: join(work, 'home'), HEROKU_HOST: `http://localhost:${p.apiPort}`, HEROKU_API_KEY: p.key,
      HEROKU_PARTICLEBOARD_URL: `http://localhost:${p.apiPort}`, DISABLE_TELEMETRY: 'true', HEROKU_SKIP_ANALYTICS: '1',
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', FORCE_COLOR: '0',
    };
    try {
      const r = await run(HEROKU, args, { env, timeout: 90_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };

  before(async () => {
    if (!existsSync(HEROKU)) {
      await mkdir(CACHE, { recursive: true });
      await run('npm', ['install', '--prefix', CACHE, '--no-audit', '--no-fund', '--loglevel=error', `heroku@${HEROKU_VERSION}`], { timeout: 600_000 });
    }
    work = await mkdtemp(join(tmpdir(), 'slipway-heroku-'));
    await mkdir(join(work, 'home'));
    await p.start();
    await p.request('POST', '/apps', { name: 'hkapp' });
    const dir = join(work, 'hkapp');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'python-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'hkapp');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('hkapp', 'python-app says hello');
  });
  after(async () => {
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('heroku apps and apps:info', async () => {
    const apps = await heroku(['apps']);
    assert.equal(apps.code, 0, apps.stderr);
    assert.match(apps.stdout, /=== operator@slipway\.local Apps/);
    assert.match(apps.stdout, /^hkapp$/m);
    const info = await heroku(['apps:info', '-a', 'hkapp']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /=== hkapp/);
    assert.match(info.stdout, new RegExp(`Web URL:\\s+http://hkapp\\.localhost:${p.routerPort}/`));
  });

  test('heroku releases, ps and ps:scale', async () => {
    const releases = await heroku(['releases', '-a', 'hkapp']);
    assert.equal(releases.code, 0, releases.stderr);
    assert.match(releases.stdout, /=== hkapp Releases - Current: v1/);
    assert.match(releases.stdout, /v1\s+Deploy [0-9a-f]{7}\s+operator@slipway\.local/);
    const ps = await heroku(['ps', '-a', 'hkapp']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /=== web \(Standard-1X\): python3 app\.py \(1\)/);
    assert.match(ps.stdout, /web\.1: up /);
    const scale = await heroku(['ps:scale', '-a', 'hkapp']);
    assert.equal(scale.stdout.trim(), 'web=1:Standard-1X');
  });

  test('heroku logs reads the log session', async () => {
    const logs = await heroku(['logs', '-a', 'hkapp', '-n', '50']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /app\[web\.1\]: Listening on \d+/);
    assert.match(logs.stdout, /heroku\[web\.1\]: State changed from starting to up/);
  });

  test('heroku logs --tail --ps reads the Server-Sent-Events stream and sees a new line', async () => {
    const env = {
      ...process.env, HOME: join(work, 'home'), HEROKU_HOST: `http://localhost:${p.apiPort}`, HEROKU_API_KEY: p.key,
      HEROKU_PARTICLEBOARD_URL: `http://localhost:${p.apiPort}`, DISABLE_TELEMETRY: 'true', HEROKU_SKIP_ANALYTICS: '1',
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', FORCE_COLOR: '0',
    };
    const tail = spawn(HEROKU, ['logs', '--tail', '--ps', 'router', '-n', '1', '-a', 'hkapp'], { env });
    let out = '';
    tail.stdout.on('data', (d) => (out += d));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('path="/tail-probe"') && Date.now() < deadline) {
        await p.route('hkapp', '/tail-probe');
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.match(out, /heroku\[router\]: at=info method=GET path="\/tail-probe"/);
      assert.doesNotMatch(out, /app\[web/);
    } finally {
      tail.kill('SIGINT');
    }
  });

  test('heroku drains:add, drains and drains:remove', async () => {
    const url = 'syslog+tls://logs.example.com:6514';
    const add = await heroku(['drains:add', url, '-a', 'hkapp']);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, new RegExp(`Successfully added drain ${url.replace(/[.+]/g, '\\$&')}`));
    const list = await heroku(['drains', '-a', 'hkapp']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /=== Drains/);
    assert.match(list.stdout, /syslog\+tls:\/\/logs\.example\.com:6514 \(d\.[0-9a-f-]{36}\)/);
    const json = JSON.parse((await heroku(['drains', '--json', '-a', 'hkapp'])).stdout) as { url: string; token: string; addon: unknown }[];
    assert.deepEqual(json.map((d) => [d.url, d.addon]), [[url, null]]);
    const remove = await heroku(['drains:remove', url, '-a', 'hkapp']);
    assert.equal(remove.code, 0, remove.stderr);
    assert.match(remove.stdout, /Successfully removed drain syslog\+tls:\/\/logs\.example\.com:6514/);
    const bad = await heroku(['drains:add', 'syslog+udp://logs.example.com:514', '-a', 'hkapp']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /UDP syslog drains are not supported/);
  });

  test('heroku run attaches through the rendezvous and passes the exit code with -x', async () => {
    const ok = await heroku(['run', '-a', 'hkapp', '-x', '--', 'echo', 'hello from $DYNO']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /hello from run\.\d+/);
    const failed = await heroku(['run', '-a', 'hkapp', '-x', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stdout + failed.stderr);
  });

  test('heroku config:set makes a release', async () => {
    const set = await heroku(['config:set', 'COLOR=blue', '-a', 'hkapp']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr + set.stdout, /done, v2/);
    const cfg = await heroku(['config:get', 'COLOR', '-a', 'hkapp']);
    assert.equal(cfg.stdout.trim(), 'blue');
  });

  test('heroku releases:output and releases:retry read the release phase', async () => {
    await p.request('POST', '/apps', { name: 'hkrel' });
    const dir = join(work, 'hkrel');
    await makeRepo(dir, appFiles('hkrel-up', 'echo "release phase ran on $DYNO"'));
    const push = await p.push(dir, 'hkrel');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('hkrel', 'hkrel-up');
    const output = await heroku(['releases:output', '-a', 'hkrel']);
    assert.equal(output.code, 0, output.stderr);
    assert.match(output.stdout, /release phase ran on release\.\d+/);
    const retry = await heroku(['releases:retry', '-a', 'hkrel']);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stderr + retry.stdout, /Retrying v1 on \S*\s?hkrel\.\.\. done, v2/);
    assert.match(retry.stdout, /Running release command\.\.\.\n[\s\S]*release phase ran on release\.\d+/);
  });

  test('heroku releases:info, config:unset and releases:rollback', async () => {
    const info = await heroku(['releases:info', 'v2', '-a', 'hkapp']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /=== Release v2/);
    assert.match(info.stdout, /Set COLOR config vars/);
    assert.match(info.stdout, /COLOR:\s+blue/);
    const unset = await heroku(['config:unset', 'COLOR', '-a', 'hkapp']);
    assert.equal(unset.code, 0, unset.stderr);
    assert.match(unset.stderr + unset.stdout, /Unsetting COLOR and restarting \S*\s?hkapp\.\.\. done, v3/);
    const back = await heroku(['releases:rollback', 'v2', '-a', 'hkapp']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stderr + back.stdout, /Rolling back \S*\s?hkapp to v2\.\.\. done, v4/);
    assert.equal((await heroku(['config:get', 'COLOR', '-a', 'hkapp'])).stdout.trim(), 'blue');
    const releases = await heroku(['releases', '-a', 'hkapp']);
    assert.match(releases.stdout, /v4\s+Rollback to v2\s+operator@slipway\.local/);
  });

  test('heroku domains:add, domains and domains:remove; maintenance:on and off', async () => {
    const add = await heroku(['domains:add', 'www.hk.example.test', '-a', 'hkapp']);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout + add.stderr, /hkapp\.localhost/, 'the DNS target is the app\'s default host');
    const list = await heroku(['domains', '-a', 'hkapp']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /hkapp\.localhost/);
    assert.match(list.stdout, /www\.hk\.example\.test\s+CNAME\s+hkapp\.localhost/);
    let res = await p.route('hkapp', '/', { host: 'www.hk.example.test' });
    for (let i = 0; i < 50 && res.status !== 200; i++) { await new Promise((r) => setTimeout(r, 100)); res = await p.route('hkapp', '/', { host: 'www.hk.example.test' }); }
    assert.match(res.body, /python-app says hello/);
    const remove = await heroku(['domains:remove', 'www.hk.example.test', '-a', 'hkapp']);
    assert.equal(remove.code, 0, remove.stderr);
    assert.doesNotMatch((await heroku(['domains', '-a', 'hkapp'])).stdout, /www\.hk\.example\.test/);

    assert.equal((await heroku(['maintenance:on', '-a', 'hkapp'])).code, 0);
    assert.equal((await heroku(['maintenance', '-a', 'hkapp'])).stdout.trim(), 'on');
    res = await p.route('hkapp', '/');
    for (let i = 0; i < 50 && res.status !== 503; i++) { await new Promise((r) => setTimeout(r, 100)); res = await p.route('hkapp', '/'); }
    assert.match(res.body, /Offline for Maintenance/);
    assert.equal((await heroku(['maintenance:off', '-a', 'hkapp'])).code, 0);
    assert.equal((await heroku(['maintenance', '-a', 'hkapp'])).stdout.trim(), 'off');
    await p.waitFor('hkapp', 'python-app says hello');
  });

  test('heroku ps:type, ps:restart, run:detached, logs --dyno and --source, ps:stop', async () => {
    const type = await heroku(['ps:type', 'standard-1x', '-a', 'hkapp']);
    assert.equal(type.code, 0, type.stderr);
    assert.match(type.stdout, /web\s+Standard-1X\s+1/);
    const restart = await heroku(['ps:restart', '-a', 'hkapp']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stderr + restart.stdout, /Restarting all dynos on \S*\s?hkapp\.\.\. done/);
    const detached = await heroku(['run:detached', '-a', 'hkapp', '--', 'echo', 'detached-probe']);
    assert.equal(detached.code, 0, detached.stderr);
    const dyno = /--dyno (run\.\d+) to view the output/.exec(detached.stdout)?.[1];
    assert.ok(dyno, detached.stdout);
    let out = '';
    for (let i = 0; i < 60 && !out.includes('detached-probe'); i++) {
      out = (await heroku(['logs', '-a', 'hkapp', '-n', '50', '--dyno', dyno])).stdout;
      if (!out.includes('detached-probe')) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(out, new RegExp(`app\\[${dyno.replace('.', '\\.')}\\]: detached-probe`));
    assert.doesNotMatch(out, /app\[web\.1\]/, '--dyno shows that dyno only');
    const source = await heroku(['logs', '-a', 'hkapp', '-n', '30', '--source', 'heroku']);
    assert.equal(source.code, 0, source.stderr);
    assert.ok(source.stdout.trim().split('\n').every((l) => / heroku\[/.test(l)), source.stdout);
    const stop = await heroku(['ps:stop', 'web.1', '-a', 'hkapp']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr + stop.stdout, /Stopping dyno web\.1 on \S*\s?hkapp\.\.\. done/);
    await p.waitFor('hkapp', 'python-app says hello');
  });
  test('heroku addons:services, addons:plans, addons:create, addons:info, addons:attach, addons:detach, addons:upgrade and addons:destroy', async () => {
    const services = await heroku(['addons:services']);
    assert.equal(services.code, 0, services.stderr);
    assert.match(services.stdout, /heroku-redis/);
    const plans = await heroku(['addons:plans', 'heroku-redis']);
    assert.equal(plans.code, 0, plans.stderr);
    assert.match(plans.stdout, /heroku-redis:mini/);
    const created = await heroku(['addons:create', 'heroku-redis:mini', '-a', 'hkapp', '--name', 'hk-cache']);
    assert.equal(created.code, 0, created.stderr);
    assert.match((await heroku(['config:get', 'REDIS_URL', '-a', 'hkapp'])).stdout, /^rediss?:\/\//);
    const info = await heroku(['addons:info', 'hk-cache']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /heroku-redis:mini/);
    assert.equal((await p.request('POST', '/apps', { name: 'hkother' })).status, 201);
    const attached = await heroku(['addons:attach', 'hk-cache', '-a', 'hkother', '--as', 'SHARED_CACHE']);
    assert.equal(attached.code, 0, attached.stderr);
    assert.match((await heroku(['config:get', 'SHARED_CACHE_URL', '-a', 'hkother'])).stdout, /^rediss?:\/\//);
    const detached = await heroku(['addons:detach', 'SHARED_CACHE', '-a', 'hkother']);
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal((await heroku(['config:get', 'SHARED_CACHE_URL', '-a', 'hkother'])).stdout.trim(), '');
    const upgraded = await heroku(['addons:upgrade', 'hk-cache', 'premium-0', '-a', 'hkapp']);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.equal((await p.request('GET', '/apps/hkapp/addons/hk-cache')).body.plan.name, 'heroku-redis:premium-0');
    const destroyed = await heroku(['addons:destroy', 'hk-cache', '-a', 'hkapp', '--confirm', 'hkapp']);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.equal((await p.request('GET', '/apps/hkapp/addons')).body.length, 0);
  });
  test('heroku certs:add, certs, certs:info and certs:remove', async () => {
    const dir = join(work, 'certs');
    await mkdir(dir);
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=secure.hk.example.test',
      '-addext', 'subjectAltName=DNS:secure.hk.example.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    const added = await heroku(['certs:add', join(dir, 'cert.pem'), join(dir, 'key.pem'), '-a', 'hkapp']);
    assert.equal(added.code, 0, added.stderr);
    const endpoints = (await p.request('GET', '/apps/hkapp/sni-endpoints')).body;
    assert.equal(endpoints.length, 1);
    const list = await heroku(['certs', '-a', 'hkapp']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(endpoints[0].name));
    assert.match(list.stdout, /secure\.hk\.example\.test/);
    const info = await heroku(['certs:info', '--name', endpoints[0].name, '-a', 'hkapp']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /secure\.hk\.example\.test/);
    const removed = await heroku(['certs:remove', '--name', endpoints[0].name, '-a', 'hkapp', '--confirm', 'hkapp']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await p.request('GET', '/apps/hkapp/sni-endpoints')).body.length, 0);
  });
});
