// Backup and restore of a whole platform, as an operator moves it to another machine: an app with a
// Postgres and a Redis add-on and a config var is backed up while the platform runs, the platform goes
// away, the archive is restored into an empty data dir and started on other ports, and the app serves
// the same release with the same config and reads back its add-on data through the router. A damaged
// archive is refused by the command, leaving the data dir empty.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeRepo, ROOT, SLIPWAY, sleep, TestPlatform } from './helpers/platform.ts';

function slipway(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(SLIPWAY, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('backup and restore of the platform', () => {
  const p = new TestPlatform();
  const q = new TestPlatform();
  let work: string;
  const passphrase = `pass-${Math.random().toString(36).slice(2)}`;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-backup-'));
    await p.start();
  });
  after(async () => {
    await p.cleanup();
    await q.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const waitRoute = async (t: TestPlatform, app: string, path: string, want: RegExp) => {
    let last = '';
    for (let i = 0; i < 120; i++) {
      const r = await t.route(app, path).catch((e) => ({ status: 0, body: String(e) }));
      last = `${r.status} ${r.body}`;
      if (r.status === 200 && want.test(r.body)) return r.body;
      await sleep(500);
    }
    throw new Error(`${app}${path} never matched ${want}; last ${last}`);
  };

  test('an archive taken while the platform runs brings the app back elsewhere with its config, releases and add-on data', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'vault' })).status, 201);
    for (const service of ['heroku-postgresql', 'heroku-redis']) {
      const r = await p.cli(['addons:create', service, '-a', 'vault']);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal((await p.request('PATCH', '/apps/vault/config-vars', { KEEP_ME: 'kept ✓' })).status, 200);
    const dir = join(work, 'vault');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'addons-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'vault');
    assert.equal(push.code, 0, push.output);
    await waitRoute(p, 'vault', '/db/write?body=survives-the-move', /written/);
    await waitRoute(p, 'vault', '/redis/incr', /^1$/);
    await waitRoute(p, 'vault', '/redis/incr', /^2$/);
    const releases = (await p.request('GET', '/apps/vault/releases')).body.map((r: { version: number; description: string }) => `v${r.version} ${r.description}`);

    const archive = join(work, 'platform.backup');
    const made = await slipway(['backup:create', '--to', archive], { SLIPWAY_DATA_DIR: p.dataDir, SLIPWAY_BACKUP_PASSPHRASE: passphrase });
    assert.equal(made.code, 0, made.output);
    assert.match(made.output, /add-on data dumped: 2 add-ons/);
    // Written after the backup: not in it.
    await waitRoute(p, 'vault', '/db/write?body=after-the-backup', /written/);
    await p.stop();

    // A damaged copy is refused by the command, and the data dir stays empty.
    const broken = join(work, 'broken.backup');
    const whole = await readFile(archive);
    await writeFile(broken, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const empty = join(work, 'empty-data');
    await mkdir(empty);
    const refused = await slipway(['backup:restore', broken], { SLIPWAY_DATA_DIR: empty, SLIPWAY_BACKUP_PASSPHRASE: passphrase });
    assert.equal(refused.code, 1);
    assert.match(refused.output, /Restore refused: the archive is damaged or truncated/);
    assert.deepEqual(await readdir(empty), []);

    const restored = join(work, 'restored');
    const r = await slipway(['backup:restore', archive], { SLIPWAY_DATA_DIR: restored, SLIPWAY_BACKUP_PASSPHRASE: passphrase });
    assert.equal(r.code, 0, r.output);
    assert.equal(((await stat(join(restored, 'secrets', 'config.key'))).mode & 0o077), 0, 'secrets come back readable by root only');
    q.key = p.key;
    await q.start({ SLIPWAY_DATA_DIR: restored });
    assert.equal(await waitRoute(q, 'vault', '/db/read', /survives/), '["survives-the-move"]');
    assert.equal(await waitRoute(q, 'vault', '/redis/get', /^\d+$/), '2');
    assert.equal(await waitRoute(q, 'vault', '/env/KEEP_ME', /kept/), 'kept ✓');
    const after = (await q.request('GET', '/apps/vault/releases')).body.map((x: { version: number; description: string }) => `v${x.version} ${x.description}`);
    assert.deepEqual(after, releases, 'the same releases');
    // Writes go on after the restore.
    assert.equal(await waitRoute(q, 'vault', '/redis/incr', /^3$/), '3');
    await q.stop();
    await rm(restored, { recursive: true, force: true });
  });
});
