// Add-ons as a user meets them (issue #7): real PostgreSQL and Redis servers provisioned by the platform,
// reached by a deployed Node app through DATABASE_URL / REDIS_URL over the network, each change a
// release; one app's role cannot open another app's database; credentials rotate; backups round-trip;
// plan changes keep the data; the data survives a platform crash and restart; destroying drops the
// database and its config var; no server process is left behind.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeRepo, ROOT, sleep, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

/** psql on the test's machine (the add-on network is reachable from the platform's host). */
async function psql(url: string, sql: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run('psql', [url, '-X', '-qAtc', sql], { timeout: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
    return { ok: true, out: r.stdout.trim() };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: string }).stderr ?? e) };
  }
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

describe('add-ons: PostgreSQL and Redis', () => {
  const p = new TestPlatform();
  let work: string;
  const pids = new Set<number>();
  const config = async (app: string) => (await p.request('GET', `/apps/${app}/config-vars`)).body as Record<string, string>;
  const releases = async (app: string) => ((await p.request('GET', `/apps/${app}/releases`)).body as any[]).map((r) => `v${r.version} ${r.description}`);
  /** The router's answer from the newest release's dynos (the previous ones may still answer for a moment). */
  const waitRoute = async (app: string, path: string, expected: RegExp, seconds = 90) => {
    const deadline = Date.now() + seconds * 1000;
    let last = '';
    while (Date.now() < deadline) {
      const r = await p.route(app, path).catch((e) => ({ status: 0, body: String(e) }));
      last = `${r.status} ${r.body}`;
      if (r.status === 200 && expected.test(r.body)) return r.body;
      await sleep(500);
    }
    throw new Error(`${app}${path} never answered ${expected}; last: ${last}`);
  };
  /** Records the add-on server pids of this platform, to prove at the end that none is left running. */
  const notePids = async () => {
    const dir = join(p.dataDir, 'addons');
    const { readdir } = await import('node:fs/promises');
    for (const d of await readdir(join(dir, 'postgresql')).catch(() => [] as string[])) {
      const pid = Number((await readFile(join(dir, 'postgresql', d, 'data', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 1) pids.add(pid);
    }
    for (const d of await readdir(join(dir, 'redis')).catch(() => [] as string[])) {
      const pid = Number((await readFile(join(dir, 'redis', d, 'redis.pid'), 'utf8').catch(() => '')).trim());
      if (pid > 1) pids.add(pid);
    }
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-addons-'));
    await p.start({ SLIPWAY_STOP_GRACE: '2', SLIPWAY_ADDONS_CHECK_INTERVAL: '1' });
    for (const name of ['shop', 'other']) assert.equal((await p.request('POST', '/apps', { name })).status, 201);
  });
  after(async () => {
    const netns = `slipway-${createHash('sha256').update(p.dataDir).digest('hex').slice(0, 8)}-addons`;
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
    for (const pid of pids) assert.equal(alive(pid), false, `add-on server ${pid} still running after the platform stopped`);
    assert.equal(existsSync(`/run/netns/${netns}`), false, 'the add-on network namespace is removed');
  });

  test('the Postgres server failing to start is a clear error, and nothing is left half-provisioned', async () => {
    // The add-on network comes up with the first add-on (a Redis, gone again).
    const warmup = await p.request('POST', '/apps/other/addons', { plan: 'heroku-redis' });
    assert.equal(warmup.status, 201, JSON.stringify(warmup.body));
    assert.equal((await p.request('DELETE', `/apps/other/addons/${warmup.body.id}`, { force: false })).status, 200);
    // A real fault: another process holds the server's address and port in the add-on network.
    const { subnet } = JSON.parse(await readFile(join(p.dataDir, 'addons', 'network.json'), 'utf8')) as { subnet: string };
    const address = subnet.replace(/\d+$/, (n) => String(Number(n) + 2));
    const netns = `slipway-${createHash('sha256').update(p.dataDir).digest('hex').slice(0, 8)}-addons`;
    const squatter = spawn('ip', ['netns', 'exec', netns, 'python3', '-c',
      `import socket,time\ns=socket.socket()\ns.bind(("${address}",5432))\ns.listen()\ntime.sleep(600)`], { stdio: 'ignore' });
    try {
      let bound = false;
      for (let i = 0; i < 100 && !bound; i++) {
        bound = await new Promise<boolean>((res) => {
          const sock = connect(5432, address).once('connect', () => { sock.destroy(); res(true); }).once('error', () => res(false));
        });
        if (!bound) await sleep(100);
      }
      assert.ok(bound, 'the squatter listens');
      const r = await p.request('POST', '/apps/shop/addons', { plan: 'heroku-postgresql' });
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.match(r.body.message, /heroku-postgresql:essential-0 could not be provisioned, and nothing was created: postgresql shared did not start/);
      assert.match(r.body.message, /could not bind|Address already in use/);
      assert.deepEqual(await config('shop'), {}, 'no config var points at a database that does not exist');
      assert.deepEqual((await p.request('GET', '/apps/shop/addons')).body, []);
      assert.deepEqual(await releases('shop'), []);
    } finally {
      squatter.kill('SIGKILL');
      await new Promise((res) => (squatter.exitCode !== null ? res(null) : squatter.once('exit', res)));
    }
  });

  test('addons:create heroku-postgresql attaches DATABASE_URL in a release; the app reads and writes through it', async () => {
    const r = await p.cli(['addons:create', 'heroku-postgresql', '-a', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Creating heroku-postgresql on shop\.\.\. ~\$0\.007\/hour \(max \$5\/month\)/);
    const name = /Created (postgresql-[a-z]+-\d{5}) as DATABASE_URL/.exec(r.stdout)?.[1];
    assert.ok(name, r.stdout);
    assert.match((await config('shop')).DATABASE_URL!, /^postgres:\/\/u[a-z0-9]{13}:p[0-9a-f]{64}@[\d.]+:5432\/d[a-z0-9]{13}$/);
    assert.deepEqual(await releases('shop'), [`v1 Attach DATABASE (@ref:${name})`]);

    const dir = join(work, 'shop');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'addons-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'shop');
    assert.equal(push.code, 0, push.output);
    assert.equal(await waitRoute('shop', '/db/write?body=first', /written/), 'written');
    assert.equal(await waitRoute('shop', '/db/read', /first/), '["first"]');
    assert.equal(await waitRoute('shop', '/db/ssl', /true/), 'true', 'the connection is TLS, as on Heroku');

    assert.match((await p.cli(['apps:info', '-a', 'shop'])).stdout, /^Addons:\s+heroku-postgresql:essential-0$/m);
    const list = await p.cli(['addons', '-a', 'shop']);
    assert.match(list.stdout, new RegExp(`heroku-postgresql \\(${name}\\)\\s+essential-0\\s+~\\$0\\.007/hour\\s+\\$5/month\\s+created`));
    assert.match(list.stdout, / └─ as DATABASE/);
    const info = await p.cli(['pg:info', '-a', 'shop']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /=== DATABASE_URL/);
    assert.match(info.stdout, /Plan:\s+essential-0/);
    assert.match(info.stdout, /PG Version:\s+15\./);
    assert.match(info.stdout, /Created:\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    assert.match(info.stdout, /Tables:\s+1\/4000 \(In compliance\)/);
    const creds = await p.cli(['pg:credentials:url', '-a', 'shop']);
    const dbUrl = new URL((await config('shop')).DATABASE_URL!);
    assert.match(creds.stdout, new RegExp(`^Connection information for default credential\\.\nConnection info string:\n  "dbname=${dbUrl.pathname.slice(1)} host=${dbUrl.hostname} port=5432 user=${dbUrl.username} password=${dbUrl.password} sslmode=require"\nConnection URL:\n  postgres://`));
    const sql = await p.cli(['pg:psql', '-a', 'shop', '-c', 'select body from notes']);
    assert.equal(sql.code, 0, sql.stderr);
    assert.match(sql.stdout, /first/);
    await notePids();
  });

  test('heroku-redis sets REDIS_URL (password protected, memory from the plan); redistogo:nano sets REDISTOGO_URL', async () => {
    const r = await p.cli(['addons:create', 'heroku-redis', '-a', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Created redis-[a-z]+-\d{5} as REDIS_URL/);
    const url = (await config('shop')).REDIS_URL!;
    assert.match(url, /^rediss:\/\/:p[0-9a-f]{64}@[\d.]+:\d+$/, 'TLS, as Heroku\'s Key-Value Store');
    assert.equal(await waitRoute('shop', '/redis/incr', /^1$/), '1');
    assert.equal(await waitRoute('shop', '/redis/incr', /^2$/), '2');
    const u = new URL(url);
    const plain = await run('redis-cli', ['-h', u.hostname, '-p', u.port, '--no-auth-warning', '-a', decodeURIComponent(u.password), 'PING'], { timeout: 10_000 })
      .catch((e: { stdout?: string; stderr?: string }) => e);
    assert.doesNotMatch(`${plain.stdout}`, /PONG/, 'a connection without TLS gets nowhere');
    const noPassword = await run('redis-cli', ['--tls', '--insecure', '-h', u.hostname, '-p', u.port, 'GET', 'hits']).catch((e: { stdout?: string; stderr?: string }) => e);
    assert.match(`${noPassword.stdout}${noPassword.stderr}`, /NOAUTH/, 'without the password Redis refuses');
    const info = await p.cli(['redis:info', '-a', 'shop']);
    assert.match(info.stdout, /=== redis-[a-z]+-\d{5} \(REDIS_URL\)/);
    assert.match(info.stdout, /Maxmemory:\s+25\.00M \(noeviction\)/);

    const up = await p.cli(['addons:upgrade', 'REDIS', 'premium-0', '-a', 'shop']);
    assert.equal(up.code, 0, up.stderr);
    assert.match((await p.cli(['redis:info', 'REDIS', '-a', 'shop'])).stdout, /Maxmemory:\s+50\.00M \(noeviction\)/);
    assert.equal(await waitRoute('shop', '/redis/get', /^2$/), '2', 'a plan change keeps the data');

    const cli = await p.cli(['redis:cli', '-a', 'shop', 'REDIS'], { input: 'GET hits\n' });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stderr, /Connecting to redis-[a-z]+-\d{5} \(REDIS_URL\):/);
    assert.equal(cli.stdout.trim(), '2');

    const reset = await p.cli(['redis:credentials', 'REDIS', '--reset', '-a', 'shop']);
    assert.equal(reset.code, 0, reset.stderr);
    const newUrl = (await config('shop')).REDIS_URL!;
    assert.notEqual(newUrl, url);
    assert.equal((await p.cli(['redis:credentials', 'REDIS', '-a', 'shop'])).stdout.trim(), newUrl);
    assert.match((await releases('shop')).at(-1)!, /Update REDIS by heroku-redis$/);
    const oldAuth = await run('redis-cli', ['--tls', '--insecure', '-h', u.hostname, '-p', u.port, '--no-auth-warning', '-a', decodeURIComponent(u.password), 'GET', 'hits'])
      .catch((e: { stdout?: string; stderr?: string }) => e);
    assert.match(`${oldAuth.stdout}${oldAuth.stderr}`, /WRONGPASS|invalid username-password/);
    assert.equal(await waitRoute('shop', '/redis/get', /^2$/), '2', 'the restarted app uses the new password');

    const togo = await p.cli(['addons:add', 'redistogo:nano', '-a', 'shop']);
    assert.equal(togo.code, 0, togo.stderr);
    assert.match(togo.stdout, /Created redistogo-[a-z]+-\d{5} as REDISTOGO_URL/);
    assert.match((await config('shop')).REDISTOGO_URL!, /^redis:\/\/redistogo:p[0-9a-f]{64}@/);
    assert.equal(await waitRoute('shop', '/redis/incr?var=REDISTOGO_URL', /^1$/), '1', 'a separate server: its own counter');
    await notePids();
  });

  test("one app's role cannot connect to another app's database", async () => {
    const r = await p.request('POST', '/apps/other/addons', { plan: 'heroku-postgresql:essential-0' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const mine = new URL((await config('shop')).DATABASE_URL!);
    const theirs = new URL((await config('other')).DATABASE_URL!);
    assert.notEqual(mine.pathname, theirs.pathname);
    const cross = new URL(theirs);
    cross.username = mine.username;
    cross.password = mine.password;
    const denied = await psql(cross.toString(), 'select 1');
    assert.equal(denied.ok, false);
    assert.match(denied.out, /CONNECT privilege|permission denied/);
    const maintenance = new URL(mine);
    maintenance.pathname = '/postgres';
    assert.equal((await psql(maintenance.toString(), 'select 1')).ok, false, 'nor to the maintenance database');
    assert.equal((await psql(theirs.toString(), 'select 40+2')).out, '42', 'its own role does');
  });

  test("essential-0's limits: 20 connections; over 4,000 tables only reading, DELETE and TRUNCATE, until a bigger plan", async () => {
    const url = (await config('other')).DATABASE_URL!;
    // Twenty sessions hold their connections; the twenty-first is refused by the role's limit.
    const sessions = Array.from({ length: 20 }, () => spawn('psql', [url, '-X', '-q', '-At'], { stdio: ['pipe', 'pipe', 'ignore'] }));
    try {
      await Promise.all(sessions.map((s) => new Promise<void>((res, rej) => {
        let out = '';
        const timer = setTimeout(() => rej(new Error('a session did not connect within 60 s')), 60_000);
        s.stdout!.on('data', (d) => { out += d; if (out.includes('up')) { clearTimeout(timer); res(); } });
        s.stdin!.write("select 'up';\n");
      })));
      const refused = await psql(url, 'select 1');
      assert.equal(refused.ok, false);
      assert.match(refused.out, /too many connections for role/);
    } finally {
      // Quitting psql ends its server session at once.
      await Promise.all(sessions.map((s) => new Promise((res) => {
        if (s.exitCode !== null || s.signalCode !== null) return res(null);
        s.once('exit', res);
        s.stdin!.end('\\q\n');
      })));
    }
    const tables = "CREATE TABLE kept (x int); INSERT INTO kept VALUES (1), (2); DO $$ BEGIN FOR i IN 1..4000 LOOP EXECUTE format('CREATE TABLE t%s (x int)', i); END LOOP; END $$;";
    let made = await psql(url, tables);
    // The sessions' server processes may take a moment to be gone.
    for (let i = 0; i < 50 && !made.ok && /too many connections/.test(made.out); i++) {
      await sleep(200);
      made = await psql(url, tables);
    }
    assert.ok(made.ok, made.out);
    let info = '';
    for (let i = 0; i < 120 && !/Access Restricted/.test(info); i++) {
      info = (await p.cli(['pg:info', '-a', 'other'])).stdout;
      if (!/Access Restricted/.test(info)) await sleep(500);
    }
    assert.match(info, /Status:\s+Over Plan Capacity: Access Restricted/);
    assert.match(info, /Tables:\s+4001\/4000 \(Over Plan Capacity\)/);
    assert.match((await psql(url, 'INSERT INTO kept VALUES (3)')).out, /permission denied/);
    assert.match((await psql(url, 'CREATE TABLE more (x int)')).out, /permission denied/);
    assert.equal((await psql(url, 'SELECT count(*) FROM kept')).out, '2');
    assert.equal((await psql(url, 'DELETE FROM kept WHERE x = 2')).ok, true);
    const up = await p.cli(['addons:upgrade', 'DATABASE', 'standard-0', '-a', 'other']);
    assert.equal(up.code, 0, up.stderr);
    const bigger = (await config('other')).DATABASE_URL!;
    assert.equal((await psql(bigger, 'INSERT INTO kept VALUES (4); SELECT count(*) FROM kept')).out, '2', 'full access on a plan without a table limit');
    await notePids();
  });

  test('nothing outside the machine reaches the servers: the add-on network answers only its own /30', async () => {
    // An "outside host": a namespace on a link to this machine, routing to the add-on address through it.
    const tag = Math.random().toString(16).slice(2, 8);
    const [ns, veth] = [`slipway-test-outside-${tag}`, `sltout${tag}`];
    const ip = (...a: string[]) => run('ip', a);
    const address = new URL((await config('shop')).DATABASE_URL!).hostname;
    const addonNs = `slipway-${createHash('sha256').update(p.dataDir).digest('hex').slice(0, 8)}-addons`;
    const tryConnect = () => run('ip', ['netns', 'exec', ns, 'timeout', '3', 'bash', '-c', `echo > /dev/tcp/${address}/5432`]).then(() => true, () => false);
    try {
      await ip('netns', 'add', ns);
      await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('address', 'add', '198.18.213.1/30', 'dev', veth);
      await ip('link', 'set', veth, 'up');
      await ip('-n', ns, 'address', 'add', '198.18.213.2/30', 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'route', 'add', 'default', 'via', '198.18.213.1');
      assert.equal(await tryConnect(), false, 'a connection from outside is never completed');
      // The control: give the add-on network a way back and the same connection goes through, so it is
      // the missing route that keeps outsiders out, not something else in the way.
      const gateway = address.replace(/\d+$/, (n) => String(Number(n) - 1));
      await ip('-n', addonNs, 'route', 'add', '198.18.213.0/30', 'via', gateway);
      try {
        assert.equal(await tryConnect(), true, 'with a route back the packets do arrive');
      } finally {
        await ip('-n', addonNs, 'route', 'del', '198.18.213.0/30', 'via', gateway);
      }
      assert.equal(await tryConnect(), false);
    } finally {
      await ip('link', 'delete', veth).catch(() => undefined);
      await ip('netns', 'delete', ns).catch(() => undefined);
    }
  });

  test('bad input: unknown service or plan lists the valid ones; a taken name; destroy needs confirmation', async () => {
    const plans = await p.cli(['addons:plans', 'heroku-postgresql']);
    assert.match(plans.stdout, /default\s+heroku-postgresql:essential-0\s+Essential 0\s+~\$0\.007\/hour\s+\$5\/month/);
    assert.match((await p.cli(['addons:services'])).stdout, /redistogo\s+Redis To Go\s+ga/);
    const svc = await p.request('POST', '/apps/shop/addons', { plan: 'heroku-mysql' });
    assert.equal(svc.status, 422);
    assert.match(svc.body.message, /Available services: heroku-postgresql, heroku-redis, redistogo/);
    const plan = await p.cli(['addons:create', 'heroku-postgresql:hobby-dev', '-a', 'shop']);
    assert.notEqual(plan.code, 0);
    assert.match(plan.stderr, /Couldn't find the plan "hobby-dev" of heroku-postgresql\. Available plans: heroku-postgresql:essential-0, /);
    const existing = ((await p.request('GET', '/apps/shop/addons')).body as any[])[0].name;
    const taken = await p.request('POST', '/apps/other/addons', { plan: 'heroku-redis', name: existing });
    assert.equal(taken.status, 422);
    assert.match(taken.body.message, /already taken/);
    const noConfirm = await p.cli(['addons:destroy', existing, '-a', 'shop']);
    assert.notEqual(noConfirm.code, 0);
    assert.match(noConfirm.stderr, /--confirm shop/);
    assert.ok((await config('shop')).DATABASE_URL, 'nothing was destroyed');
    const vars = Object.keys(await config('other'));
    assert.deepEqual(vars, ['DATABASE_URL'], 'no config var was set by a failed create');
  });

  test('attach shares a database with another app; detach removes its vars; each is a release', async () => {
    const addon = ((await p.request('GET', '/apps/shop/addons')).body as any[]).find((a) => a.addon_service.name === 'heroku-postgresql').name;
    const att = await p.cli(['addons:attach', addon, '-a', 'other', '--as', 'shop-db']);
    assert.equal(att.code, 0, att.stderr);
    assert.match(att.stderr, /Setting SHOP_DB config vars and restarting other\.\.\. done, v\d+/);
    assert.equal((await config('other')).SHOP_DB_URL, (await config('shop')).DATABASE_URL);
    assert.match((await releases('other')).at(-1)!, new RegExp(`Attach SHOP_DB \\(@ref:${addon}\\)`));
    const refused = await p.request('DELETE', `/apps/shop/addons/${addon}`, { force: false });
    assert.equal(refused.status, 422, 'attached elsewhere: destroying needs force');
    assert.match(refused.body.message, /attached to other apps too; destroy it with --force/);
    assert.equal((await config('other')).SHOP_DB_URL, (await config('shop')).DATABASE_URL, 'nothing was detached');

    const second = await p.cli(['addons:create', 'heroku-postgresql', '-a', 'other']);
    assert.equal(second.code, 0, second.stderr);
    const color = /Created (postgresql-[a-z]+-\d{5}) as (HEROKU_POSTGRESQL_[A-Z]+_URL)/.exec(second.stdout);
    assert.ok(color, second.stdout);
    const info = (await p.cli(['pg:info', '-a', 'other'])).stdout;
    assert.ok(info.indexOf('=== DATABASE_URL') < info.indexOf(`=== ${color[2]}`), info);
    assert.equal((await p.cli(['addons:destroy', color[1]!, '-a', 'other', '--confirm', 'other'])).code, 0);
    assert.equal((await config('other'))[color[2]!], undefined);

    const det = await p.cli(['addons:detach', 'SHOP_DB', '-a', 'other']);
    assert.equal(det.code, 0, det.stderr);
    assert.equal((await config('other')).SHOP_DB_URL, undefined);
    assert.match((await releases('other')).at(-1)!, new RegExp(`Detach SHOP_DB \\(@ref:${addon}\\)`));
  });

  test('credentials rotation: the old password stops working, the restarted app uses the new one', async () => {
    const before = (await config('shop')).DATABASE_URL!;
    const r = await p.cli(['pg:credentials:rotate', '-a', 'shop', '--confirm', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    const after = (await config('shop')).DATABASE_URL!;
    assert.notEqual(after, before);
    assert.equal(new URL(after).username, new URL(before).username);
    assert.match((await psql(before, 'select 1')).out, /password authentication failed/);
    assert.match((await releases('shop')).at(-1)!, /Update DATABASE by heroku-postgresql$/);
    assert.equal(await waitRoute('shop', '/db/read', /first/), '["first"]');
    assert.equal(await waitRoute('shop', '/env/DATABASE_URL', new RegExp(`:${new URL(after).password}@`)), after, 'the dynos restarted with the new URL');
  });

  test('pg:backups:capture then pg:backups:restore brings the data back', async () => {
    const cap = await p.cli(['pg:backups:capture', '-a', 'shop']);
    assert.equal(cap.code, 0, cap.stderr);
    assert.match(cap.stderr, /Backing up DATABASE to b001\.\.\. done/);
    await waitRoute('shop', '/db/write?body=after-backup', /written/);
    assert.equal((await psql((await config('shop')).DATABASE_URL!, 'select count(*) from notes')).out, '2');
    const res = await p.cli(['pg:backups:restore', 'b001', '-a', 'shop', '--confirm', 'shop']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await waitRoute('shop', '/db/read', /first/), '["first"]');
    const list = await p.cli(['pg:backups', '-a', 'shop']);
    assert.match(list.stdout, /b001\s+\S+ \S+ \+0000\s+Completed/);
    assert.match(list.stdout, /r001\s+.*Completed.*b001 → postgresql-/);
  });

  test('addons:upgrade keeps the data, also onto a dedicated cluster (standard-0)', async () => {
    const addon = ((await p.request('GET', '/apps/shop/addons')).body as any[]).find((a) => a.addon_service.name === 'heroku-postgresql').name;
    const up1 = await p.cli(['addons:upgrade', addon, 'essential-1', '-a', 'shop']);
    assert.equal(up1.code, 0, up1.stderr);
    assert.match(up1.stderr, /Changing postgresql-\S+ on shop from essential-0 to heroku-postgresql:essential-1\.\.\. done, ~\$0\.013\/hour \(max \$9\/month\)/);
    const up2 = await p.cli(['addons:upgrade', addon, 'standard-0', '-a', 'shop']);
    assert.equal(up2.code, 0, up2.stderr);
    const url = new URL((await config('shop')).DATABASE_URL!);
    assert.notEqual(url.port, '5432', 'a dedicated server of its own');
    assert.equal((await psql(url.toString(), 'select body from notes order by id')).out, 'first');
    assert.equal(await waitRoute('shop', '/env/DATABASE_URL', new RegExp(`:${url.port}/`)), url.toString());
    assert.equal(await waitRoute('shop', '/db/read', /first/), '["first"]');
    assert.match((await p.cli(['pg:info', '-a', 'shop'])).stdout, /Plan:\s+Standard 0/);
    await notePids();
  });

  test('the platform killed and started again: the servers come back with the data', async () => {
    await p.crashAndRestart();
    assert.equal(await waitRoute('shop', '/db/read', /first/), '["first"]');
    assert.equal(await waitRoute('shop', '/redis/get', /^2$/), '2', 'Redis kept its data (append-only file)');
    await notePids();
  });

  test('the official heroku CLI creates, lists, shows and destroys add-ons; pg:info, pg:psql, pg:credentials:rotate, redis:info', async () => {
    const version = '11.10.0';
    const cache = process.env.SLIPWAY_HEROKU_CLI_CACHE ?? `/var/cache/slipway/heroku-cli-${version}`;
    const bin = join(cache, 'node_modules', '.bin', 'heroku');
    if (!existsSync(bin)) {
      await mkdir(cache, { recursive: true });
      await run('npm', ['install', '--prefix', cache, '--no-audit', '--no-fund', '--loglevel=error', `heroku@${version}`], { timeout: 600_000 });
    }
    await mkdir(join(work, 'home'), { recursive: true });
    const heroku = async (args: string[]) => {
      const env = {
        ...process.env, HOME: join(work, 'home'), HEROKU_HOST: `http://localhost:${p.apiPort}`, HEROKU_API_KEY: p.key,
        HEROKU_PARTICLEBOARD_URL: `http://localhost:${p.apiPort}`, DISABLE_TELEMETRY: 'true', HEROKU_SKIP_ANALYTICS: '1',
        HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', FORCE_COLOR: '0',
        HEROKU_DATA_HOST: 'localhost', // pg:* ask Heroku's data API there, on HEROKU_HOST's port
      };
      return run(bin, args, { env, timeout: 90_000 }).catch((e: { code?: number; stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: `exit ${e.code}: ${e.stderr}` }));
    };
    const created = await heroku(['addons:create', 'heroku-redis:premium-0', '--as', 'cache', '-a', 'shop']);
    assert.match(created.stderr, /Creating heroku-redis:premium-0 on .*shop\.\.\. ~\$0\.021\/hour \(max \$15\/month\)/);
    const name = /Created (redis-[a-z]+-\d{5}) as CACHE_URL/.exec(created.stdout)?.[1];
    assert.ok(name, created.stdout + created.stderr);
    const list = await heroku(['addons', '-a', 'shop']);
    assert.match(list.stdout, new RegExp(`heroku-redis \\(${name}\\)\\s+premium-0\\s+~\\$0\\.021/hour\\s+\\$15/month\\s+created`));
    assert.match(list.stdout, /└─ as CACHE/);
    const info = await heroku(['addons:info', 'CACHE', '-a', 'shop']);
    assert.match(info.stdout, new RegExp(`=== ${name}`));
    assert.match(info.stdout, /Attachments:\s+shop::CACHE/);
    const pgInfo = await heroku(['pg:info', '-a', 'shop']);
    assert.match(pgInfo.stdout, /=== DATABASE_URL\n\nPlan:\s+Standard 0\nStatus:\s+Available\nConnections:\s+\d+\/120\nPG Version:\s+15\.\d+/);
    assert.match(pgInfo.stdout, /Add-on:\s+postgresql-[a-z]+-\d{5}/);
    assert.match((await heroku(['pg:psql', '-a', 'shop', '-c', 'select 40+2 as answer'])).stdout, /answer\s*\n-+\s*\n\s*42/);
    const before = (await config('shop')).DATABASE_URL;
    const rotated = await heroku(['pg:credentials:rotate', '-a', 'shop', '--confirm', 'shop']);
    assert.match(rotated.stderr, /Rotating default on .*postgresql-[a-z]+-\d{5}\.\.\. done/);
    assert.notEqual((await config('shop')).DATABASE_URL, before);
    const redisInfo = await heroku(['redis:info', 'CACHE', '-a', 'shop']);
    assert.match(redisInfo.stdout, new RegExp(`=== ${name} \\(CACHE_URL\\)`));
    assert.match(redisInfo.stdout, /Maxmemory:\s+50\.00M \(noeviction\)/);
    const destroyed = await heroku(['addons:destroy', name!, '-a', 'shop', '--confirm', 'shop']);
    assert.match(destroyed.stderr, new RegExp(`Destroying ${name} on .*shop\\.\\.\\. done`));
    assert.equal((await config('shop')).CACHE_URL, undefined);
  });

  test('addons:destroy drops the database and removes DATABASE_URL in a new release', async () => {
    const addons = (await p.request('GET', '/apps/shop/addons')).body as any[];
    const pg = addons.find((a) => a.addon_service.name === 'heroku-postgresql');
    const url = (await config('shop')).DATABASE_URL!;
    const r = await p.cli(['addons:destroy', pg.name, '-a', 'shop', '--confirm', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Destroying ${pg.name} on shop\\.\\.\\. done`));
    assert.equal((await config('shop')).DATABASE_URL, undefined);
    assert.match((await releases('shop')).at(-1)!, new RegExp(`Detach DATABASE \\(@ref:${pg.name}\\)$`));
    assert.equal((await psql(url, 'select 1')).ok, false, 'the database is gone');
    assert.equal(existsSync(join(p.dataDir, 'addons', 'postgresql', pg.id)), false, 'its dedicated cluster files are gone');
    assert.equal((await p.request('GET', `/addons/${pg.name}`)).status, 404);
    const destroyed = await p.request('DELETE', '/apps/other', undefined);
    assert.equal(destroyed.status, 200, 'an app with add-ons can be destroyed, its add-ons with it');
  });
});
