// The official heroku CLI's git, as it sets it up: `heroku apps:create` writes an https remote on the API's
// host:port, and `git push heroku main` deploys through the platform's CA; `slipway login` names a
// credential helper for the platform's git origin. One platform serves every case.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appFiles } from './helpers/apps.ts';
import { HEROKU, herokuEnv, installHerokuCli, runIn } from './helpers/heroku.ts';
import { herokuSchemas } from './helpers/heroku-schema.ts';
import { freePort, makeRepo, TestPlatform } from './helpers/platform.ts';

describe('git the way the official CLI sets it up', () => {
  const p = new TestPlatform();
  let work: string;
  let home: string;
  let sshPort: number;
  const heroku = (args: string[], cwd?: string) => runIn(HEROKU, args, { env: herokuEnv(p, home), cwd });
  const git = (args: string[], cwd: string, env: Record<string, string> = {}) => runIn('git', args, { env: herokuEnv(p, home, env), cwd, timeout: 600_000 });

  before(async () => {
    await installHerokuCli();
    work = await mkdtemp(join(tmpdir(), 'slipway-hkgit-'));
    home = join(work, 'home');
    await mkdir(home);
    sshPort = await freePort();
    await p.start({ SLIPWAY_SSH_PORT: String(sshPort) });
  });
  after(async () => {
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('heroku apps:create writes an https remote, and git push heroku main deploys over TLS with the platform CA', async () => {
    const dir = join(work, 'hkhttps');
    await makeRepo(dir, appFiles('pushed over https'));
    await git(['branch', '-M', 'main'], dir);
    const created = await heroku(['apps:create', 'hkhttps'], dir);
    assert.equal(created.code, 0, created.stderr);
    const remote = (await git(['remote', 'get-url', 'heroku'], dir)).stdout.trim();
    assert.equal(remote, `https://localhost:${p.apiPort}/hkhttps.git`);
    // The CLI set its own credential helper for that origin (user `heroku`, the token as password).
    const helper = await git(['config', '--global', '--get', `credential.https://localhost:${p.apiPort}.helper`], dir);
    assert.match(helper.stdout, /heroku git:credentials/);
    // Without the CA, git refuses the certificate: nothing is pushed.
    const untrusted = await git(['push', 'heroku', 'main'], dir);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/i);
    const pushed = await git(['-c', `http.sslCAInfo=${join(p.dataDir, 'tls', 'ca.pem')}`, 'push', 'heroku', 'main'], dir);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stderr, /Released v1/i);
    await p.waitFor('hkhttps', 'pushed over https');
    // A wrong token over https is refused like over http.
    const wrong = await git(['-c', `http.sslCAInfo=${join(p.dataDir, 'tls', 'ca.pem')}`, '-c', 'credential.helper=', 'push',
      `https://heroku:not-a-key@localhost:${p.apiPort}/hkhttps.git`, 'main'], dir);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Authentication failed|401|Invalid credentials/);
    // Plain HTTP stays on the same port.
    assert.equal((await p.request('GET', '/apps/hkhttps')).status, 200);
  });

  test('slipway login names its credential helper for the platform origin, which answers git with the key', async () => {
    const env = { HOME: home, SLIPWAY_HOST: p.api };
    const login = await p.cli(['login', '--key', p.key], { env: { ...env, SLIPWAY_API_KEY: '' } });
    assert.equal(login.code, 0, login.stderr);
    const origin = `http://127.0.0.1:${p.apiPort}`;
    const set = await runIn('git', ['config', '--global', '--get', `credential.${origin}.helper`], { env: { ...process.env, HOME: home } });
    assert.match(set.stdout, /slipway' git:credentials/);
    const fill = await runIn('sh', ['-c', `printf 'protocol=http\\nhost=127.0.0.1:${p.apiPort}\\n\\n' | git credential fill`], { env: { ...process.env, HOME: home, GIT_TERMINAL_PROMPT: '0' } });
    assert.equal(fill.code, 0, fill.stderr);
    assert.match(fill.stdout, new RegExp(`password=${p.key}`));
    // The official CLI's helper for its https origin is left as it was.
    const hk = await runIn('git', ['config', '--global', '--get', `credential.https://localhost:${p.apiPort}.helper`], { env: { ...process.env, HOME: home } });
    assert.match(hk.stdout, /heroku git:credentials/);
  });

  test('heroku regions, stack, stack:set, features, ps:wait and buildpacks:set with a registry name', async () => {
    const regions = await heroku(['regions']);
    assert.equal(regions.code, 0, regions.stderr);
    assert.match(regions.stdout, /ID\s+Location\s+Runtime/);
    assert.match(regions.stdout, /us\s+This Slipway platform\s+Common Runtime/);
    const stack = await heroku(['stack', '-a', 'hkhttps']);
    assert.equal(stack.code, 0, stack.stderr);
    assert.match(stack.stdout, /=== hkhttps Available Stacks\n+\* slipway-12/);
    const set = await heroku(['stack:set', 'slipway-12', '-a', 'hkhttps']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /Setting stack to slipway-12\.\.\. done/);
    const other = await heroku(['stack:set', 'heroku-24', '-a', 'hkhttps']);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /not available; this platform runs slipway-12/);

    assert.equal((await heroku(['features:enable', 'preboot', '-a', 'hkhttps'])).code, 0);
    const features = await heroku(['features', '-a', 'hkhttps']);
    assert.equal(features.code, 0, features.stderr);
    assert.match(features.stdout, /=== App Features hkhttps/);
    assert.match(features.stdout, /\[ \] log-runtime-metrics\s+Emit dyno resource usage/);
    assert.match(features.stdout, /\[\+\] preboot\s+Boot new web dynos/);
    assert.match(features.stdout, /\[ \] runtime-dyno-metadata/);
    const labs = await heroku(['labs', '-a', 'hkhttps']);
    assert.equal(labs.code, 0, labs.stderr);
    assert.match(labs.stdout, /=== User Features operator@slipway\.local/);

    // Every dyno already runs the latest release: ps:wait returns at once, printing nothing (as on Heroku).
    const wait = await heroku(['ps:wait', '-a', 'hkhttps']);
    assert.equal(wait.code, 0, wait.stderr);
    assert.equal(wait.stdout, '');

    // A registry name is looked up where HEROKU_BUILDPACK_REGISTRY_URL points: the platform itself.
    const registry = { HEROKU_BUILDPACK_REGISTRY_URL: `http://localhost:${p.apiPort}` };
    const bp = await runIn(HEROKU, ['buildpacks:set', 'heroku/python', '-a', 'hkhttps'], { env: herokuEnv(p, home, registry) });
    assert.equal(bp.code, 0, bp.stderr);
    assert.match(bp.stdout, /Buildpack set\. Next release on hkhttps will use heroku\/python\./);
    const list = await heroku(['buildpacks', '-a', 'hkhttps']);
    assert.match(list.stdout, /=== hkhttps Classic Buildpack[\s\S]*heroku\/python/);
    const unknown = await runIn(HEROKU, ['buildpacks:add', 'someone/unknown', '-a', 'hkhttps'], { env: herokuEnv(p, home, registry) });
    assert.notEqual(unknown.code, 0, 'a name the platform does not have is refused');
    assert.doesNotMatch((await heroku(['buildpacks', '-a', 'hkhttps'])).stdout, /unknown/);
    const added = await runIn(HEROKU, ['buildpacks:add', 'heroku/nodejs', '-a', 'hkhttps'], { env: herokuEnv(p, home, registry) });
    assert.equal(added.code, 0, added.stderr);
    assert.match((await heroku(['buildpacks', '-a', 'hkhttps'])).stdout, /1\. heroku\/python\s+2\. heroku\/nodejs/);
    const removed = await runIn(HEROKU, ['buildpacks:remove', 'heroku/nodejs', '-a', 'hkhttps'], { env: herokuEnv(p, home, registry) });
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch((await heroku(['buildpacks', '-a', 'hkhttps'])).stdout, /nodejs/);
    const clear = await heroku(['buildpacks:clear', '-a', 'hkhttps']);
    assert.equal(clear.code, 0, clear.stderr);
    assert.match((await heroku(['buildpacks', '-a', 'hkhttps'])).stdout, /hkhttps has no Buildpacks/);
  });

  test('heroku keys:add, then git push over SSH to a git@host:app.git remote; unknown keys and shells refused; keys:remove locks it out', async () => {
    const key = join(work, 'id_ed25519');
    await runIn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dev@laptop', '-f', key], { env: process.env });
    const none = await heroku(['keys']);
    assert.match(none.stdout + none.stderr, /You have no SSH keys/);
    const add = await heroku(['keys:add', `${key}.pub`]);
    assert.equal(add.code, 0, add.stderr);
    const keys = await heroku(['keys']);
    assert.equal(keys.code, 0, keys.stderr);
    assert.match(keys.stdout, /=== operator@slipway\.local keys/);
    assert.match(keys.stdout, /ssh-ed25519 \S+\.\.\.\S+ dev@laptop/);
    const again = await heroku(['keys:add', `${key}.pub`]);
    assert.notEqual(again.code, 0, 'the same key twice is refused');
    const bad = await p.request('POST', '/account/keys', { public_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc' });
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /private key/);

    await makeRepo(join(work, 'sshapp'), appFiles('pushed over ssh'));
    const sshDir = join(work, 'sshapp');
    await git(['branch', '-M', 'main'], sshDir);
    // CLI 11 no longer writes ssh remotes (`--ssh-git` is gone) but still reads Heroku's form as the app's.
    await git(['remote', 'add', 'heroku', `git@localhost:${p.apiPort}:hkhttps.git`], sshDir);
    const info = await heroku(['apps:info'], sshDir);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /=== hkhttps/);
    // The remote names the API's host:port; ssh reaches the git SSH port as ~/.ssh/config or GIT_SSH_COMMAND says.
    const sshCommand = (k: string) => ({ GIT_SSH_COMMAND: `ssh -p ${sshPort} -i ${k} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes` });
    const pushed = await git(['push', '-f', 'heroku', 'main'], sshDir, sshCommand(key));
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stderr, /Released v\d+/);
    await p.waitFor('hkhttps', 'pushed over ssh');

    // A key on no account: refused at login, nothing pushed.
    const stranger = join(work, 'stranger');
    await runIn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger], { env: process.env });
    await writeFile(join(sshDir, 'app.py'), appFiles('stranger was here')['app.py']!);
    await git(['commit', '-qam', 'stranger'], sshDir);
    const refused = await git(['push', 'heroku', 'main'], sshDir, sshCommand(stranger));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Permission denied \(publickey\)/);
    const shell = await runIn('ssh', ['-p', String(sshPort), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', 'git@127.0.0.1', 'id'], { env: process.env });
    assert.equal(shell.code, 1);
    assert.match(shell.stderr, /no shell/);

    const removed = await heroku(['keys:remove', 'dev@laptop']);
    assert.equal(removed.code, 0, removed.stderr);
    const after = await git(['push', 'heroku', 'main'], sshDir, sshCommand(key));
    assert.notEqual(after.code, 0, 'a removed key no longer logs in');
    assert.match(after.stderr, /Permission denied \(publickey\)/);
    assert.match((await p.route('hkhttps', '/')).body, /pushed over ssh/);
  });

  test("every answer about the app, its account and the platform validates against Heroku's schema with the CLI's required fields", async () => {
    const schemas = herokuSchemas();
    await p.request('POST', '/account/keys', { public_key: (await runIn('sh', ['-c', `ssh-keygen -q -t ed25519 -N '' -C schema@test -f ${join(work, 'schema')} && cat ${join(work, 'schema')}.pub`], { env: process.env })).stdout });
    assert.equal((await p.request('POST', '/apps/hkhttps/domains', { hostname: 'schema.example.test' })).status, 201);
    assert.equal((await p.request('POST', '/apps/hkhttps/log-drains', { url: 'syslog+tls://logs.example.com:6514' })).status, 201);
    await p.request('PUT', '/apps/hkhttps/buildpack-installations', { updates: [{ buildpack: 'heroku/python' }] });
    const checks: [string, string, boolean][] = [
      ['/apps/hkhttps', 'App', false], ['/apps', 'App', true], ['/account', 'Account', false], ['/account/keys', 'Key', true],
      ['/apps/hkhttps/releases', 'Release', true], ['/apps/hkhttps/dynos', 'Dyno', true], ['/apps/hkhttps/formation', 'Formation', true],
      ['/apps/hkhttps/builds', 'Build', true], ['/apps/hkhttps/features', 'AppFeature', true], ['/apps/hkhttps/features/preboot', 'AppFeature', false],
      ['/apps/hkhttps/domains', 'Domain', true], ['/apps/hkhttps/log-drains', 'LogDrain', true], ['/apps/hkhttps/config-vars', 'ConfigVars', false],
      ['/apps/hkhttps/buildpack-installations', 'BuildpackInstallations', true], ['/regions', 'Region', true], ['/stacks', 'Stack', true],
      ['/stacks/slipway-12', 'Stack', false],
    ];
    const problems: string[] = [];
    for (const [path, type, list] of checks) {
      const res = await p.request('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      if (list) assert.ok(Array.isArray(res.body) && res.body.length > 0, `${path} lists something to check`);
      problems.push(...schemas.check(type, res.body, list).map((m) => `${path}: ${m}`));
    }
    assert.deepEqual(problems, [], "answers that are not Heroku's shape");
    // The check itself catches a missing or mistyped field.
    const app = (await p.request('GET', '/apps/hkhttps')).body;
    assert.notDeepEqual(schemas.check('App', { ...app, owner: { id: app.owner.id } }), []);
    assert.notDeepEqual(schemas.check('App', { ...app, maintenance: 'no' }), []);
  });
});
