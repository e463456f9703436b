// Upgrades migrate: a data dir made by an earlier Slipway from the project's history (apps with pushed
// releases, config vars, a Postgres add-on holding a table) is started by the current code, which
// migrates it and serves everything as it was. A data dir from a newer Slipway is refused untouched.
// Each commit listed is checked out from git history (CI clones it whole) and run with today's
// node_modules: its dependencies are a subset of today's (checked below; when that stops holding, give
// the old checkout its own `npm ci`).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, ROOT, SLIPWAY, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

/** The last commit before numbered migrations (store/migrate.ts) began. Add later ones as they come. */
const EARLIER = ['08698bb'];

for (const commit of EARLIER) {
  describe(`upgrading a data dir made by ${commit}`, () => {
    const p = new TestPlatform();
    let work: string;
    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'slipway-upgrade-'));
      const old = join(work, 'old');
      await run('sh', ['-c', `mkdir -p "${old}" && git -C "${ROOT}" archive ${commit} | tar -x -C "${old}"`]);
      const oldPkg = JSON.parse(await readFile(join(old, 'package.json'), 'utf8'));
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
      for (const dep of Object.keys(oldPkg.dependencies)) assert.ok(pkg.dependencies[dep], `${commit} needs ${dep}, which today's node_modules lacks: give it its own npm ci`);
      await symlink(join(ROOT, 'node_modules'), join(old, 'node_modules'));
      p.bin = join(old, 'bin', 'slipway');
      await p.start({ SLIPWAY_STOP_GRACE: '2' });
    });
    after(async () => {
      await p.cleanup();
      await rm(work, { recursive: true, force: true });
    });

    test('apps, releases, config vars and add-on data made by it are there and serving after the upgrade', async () => {
      assert.equal((await p.request('POST', '/apps', { name: 'elder' })).status, 201);
      const dir = join(work, 'elder');
      await makeRepo(dir, appFiles('elder-v1'));
      assert.equal((await p.push(dir, 'elder')).code, 0);
      await p.waitFor('elder', 'elder-v1');
      assert.equal((await p.request('PATCH', '/apps/elder/config-vars', { GREETING: 'from before ✓' })).status, 200);
      const pg = await p.request('POST', '/apps/elder/addons', { plan: 'heroku-postgresql' });
      assert.equal(pg.status, 201, JSON.stringify(pg.body));
      const url = ((await p.request('GET', '/apps/elder/config-vars')).body as Record<string, string>).DATABASE_URL!;
      await run('psql', [url, '-c', "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('row from before')"], { env: { ...process.env, PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '10' } });
      await p.waitFor('elder', 'from before', '/env/GREETING');
      const releases = (await p.request('GET', '/apps/elder/releases')).body.map((r: { version: number; description: string }) => `v${r.version} ${r.description}`);
      assert.ok(releases.length >= 3, releases.join(', '));

      p.bin = SLIPWAY;
      await p.restart();
      assert.equal(await p.waitFor('elder', 'from before', '/env/GREETING'), 'from before ✓');
      assert.equal(await p.waitFor('elder', 'elder-v1'), 'elder-v1');
      assert.equal((await p.request('GET', '/apps/elder/config-vars')).body.DATABASE_URL, url, 'the add-on keeps its URL');
      const after = (await p.request('GET', '/apps/elder/releases')).body.map((r: { version: number; description: string }) => `v${r.version} ${r.description}`);
      assert.deepEqual(after, releases);
      const { stdout } = await run('psql', [url, '-At', '-c', 'SELECT v FROM kept'], { env: { ...process.env, PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '10' } });
      assert.equal(stdout.trim(), 'row from before');
      // A release made after the upgrade goes on from where the old ones stopped.
      assert.equal((await p.request('PATCH', '/apps/elder/config-vars', { GREETING: 'after ✓' })).status, 200);
      assert.equal(await p.waitFor('elder', 'after', '/env/GREETING'), 'after ✓');
      assert.equal((await p.request('GET', '/apps/elder/releases')).body.length, releases.length + 1);
    });

    test('a data dir from a newer Slipway is refused with what to do, and left as it was', async () => {
      await p.stop();
      // A newer Slipway is simulated: its schema version is one past what this code knows.
      const file = join(p.dataDir, 'slipway.db');
      const db = new Sqlite(file);
      const known = db.pragma('user_version', { simple: true }) as number;
      db.pragma(`user_version = ${known + 1}`);
      db.close();
      const before = await readFile(file);
      const out = await new Promise<{ code: number; text: string }>((resolve) => {
        const c = spawn(SLIPWAY, ['server'], { env: { ...process.env, SLIPWAY_DATA_DIR: p.dataDir, SLIPWAY_API_PORT: String(p.apiPort), SLIPWAY_ROUTER_PORT: String(p.routerPort), SLIPWAY_OPERATOR_KEY: p.key } });
        let text = '';
        c.stdout.on('data', (d) => (text += d));
        c.stderr.on('data', (d) => (text += d));
        const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
        c.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, text }); });
      });
      assert.notEqual(out.code, 0);
      assert.match(out.text, new RegExp(`this data dir was written by a newer Slipway \\(schema ${known + 1}, this one knows ${known}\\); upgrade Slipway`));
      assert.ok((await readFile(file)).equals(before), 'the database was not touched');
    });
  });
}
