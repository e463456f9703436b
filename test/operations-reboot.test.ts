// A reboot loses nothing. Simulated on a running platform with two apps (one with a worker), a Postgres
// and a Redis add-on holding data, a log drain and a certificate: the platform, its HAProxy, every dyno
// and every add-on server are SIGKILLed, the platform's network namespaces removed and every mount under
// its data dir unmounted, as a host going down does. `slipway server` then brings back every app to its
// formation, the add-on servers with their data, the drain and the certificate, with no manual step,
// and says what it recovered.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);
const pgEnv = { ...process.env, PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '10' };

describe('a reboot loses nothing', () => {
  const p = new TestPlatform();
  let work: string;
  let syslog: Server;
  let received = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-reboot-'));
    syslog = createServer((s) => s.on('data', (d) => { received += d; }));
    await new Promise<void>((r) => syslog.listen(0, '127.0.0.1', () => r()));
    await p.start({ SLIPWAY_STOP_GRACE: '2', SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32,10.0.0.0/8' });
  });
  after(async () => {
    await p.cleanup();
    syslog.close();
    await rm(work, { recursive: true, force: true });
  });

  const up = async (app: string) => ((await p.request('GET', `/apps/${app}/dynos`)).body as { name: string; state: string }[]).filter((d) => d.state === 'up').map((d) => d.name).sort();

  test('after a simulated reboot every app, worker, add-on with its data, drain and certificate is back', async () => {
    for (const app of ['alpha', 'beta']) assert.equal((await p.request('POST', '/apps', { name: app })).status, 201);
    const a = join(work, 'alpha');
    // A worker that runs until stopped (and says so every 2 s), from a file: a one-line `python3 -c` cannot hold a loop.
    const worker = "import time\nwhile True:\n    print('working', flush=True)\n    time.sleep(2)\n";
    await makeRepo(a, { ...appFiles('alpha-up'), 'worker.py': worker, Procfile: 'web: python3 app.py\nworker: python3 -u worker.py\n' });
    assert.equal((await p.push(a, 'alpha')).code, 0);
    assert.equal((await p.request('PATCH', '/apps/alpha/formation/worker', { quantity: 1 })).status, 200);
    const b = join(work, 'beta');
    await makeRepo(b, appFiles('beta-up'));
    assert.equal((await p.push(b, 'beta')).code, 0);
    for (const plan of ['heroku-postgresql', 'heroku-redis']) assert.equal((await p.request('POST', '/apps/alpha/addons', { plan })).status, 201);
    const vars = (await p.request('GET', '/apps/alpha/config-vars')).body as Record<string, string>;
    await run('psql', [vars.DATABASE_URL!, '-c', "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the reboot')"], { env: pgEnv });
    const redis = new URL(vars.REDIS_URL!);
    const redisCli = (...args: string[]) => run('redis-cli', ['-h', redis.hostname, '-p', redis.port, '--tls', '--insecure', '--no-auth-warning', '-a', decodeURIComponent(redis.password), ...args]);
    await redisCli('SET', 'kept', 'before the reboot');
    await redisCli('SAVE');
    const port = (syslog.address() as { port: number }).port;
    assert.equal((await p.request('POST', '/apps/alpha/log-drains', { url: `syslog://127.0.0.1:${port}` })).status, 201);
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=beta.example.test', '-addext', 'subjectAltName=DNS:beta.example.test', '-keyout', join(work, 'k.pem'), '-out', join(work, 'c.pem')]);
    const sni = await p.request('POST', '/apps/beta/sni-endpoints', { certificate_chain: await readFile(join(work, 'c.pem'), 'utf8'), private_key: await readFile(join(work, 'k.pem'), 'utf8') });
    assert.equal(sni.status, 201, JSON.stringify(sni.body));
    assert.equal((await p.request('POST', '/apps/beta/domains', { hostname: 'beta.example.test', sni_endpoint: sni.body.id })).status, 201);
    await p.waitFor('alpha', 'alpha-up');
    await p.waitFor('beta', 'beta-up');
    for (let i = 0; i < 60 && !(await up('alpha')).includes('worker.1'); i++) await sleep(500);
    assert.deepEqual(await up('alpha'), ['web.1', 'worker.1']);
    await p.waitForLog('alpha', /app\[worker\.1\]: working/);

    // The host goes down: everything dies at once, and what lives only in memory and /run is gone.
    await p.kill();
    const prefix = `slipway-${createHash('sha256').update(p.dataDir).digest('hex').slice(0, 8)}-`;
    const pidFiles = [join(p.dataDir, 'router', 'haproxy.pid')];
    for (const c of await readdir(join(p.dataDir, 'addons', 'postgresql'))) pidFiles.push(join(p.dataDir, 'addons', 'postgresql', c, 'data', 'postmaster.pid'));
    for (const r of await readdir(join(p.dataDir, 'addons', 'redis'))) pidFiles.push(join(p.dataDir, 'addons', 'redis', r, 'redis.pid'));
    for (const f of pidFiles) {
      const pid = Number((await readFile(f, 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 1) try { process.kill(pid, 'SIGKILL'); } catch { /* gone with the platform */ }
    }
    const runcRoot = join(p.dataDir, 'runtime', 'runc');
    const containers = (await run('runc', ['--root', runcRoot, 'list', '-q'])).stdout.split('\n').filter(Boolean);
    assert.ok(containers.length >= 3, `web, worker and beta's web were running: ${containers.join(', ')}`);
    for (const c of containers) await run('runc', ['--root', runcRoot, 'kill', c, 'KILL']).catch(() => undefined);
    for (const ns of (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix))) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(p.dataDir)).sort().reverse();
    for (const m of mounts) await run('umount', ['-l', m]);
    await sleep(500);

    await p.relaunch();
    // The API answers before the dynos are started; the line follows once they are.
    for (let i = 0; i < 240 && !/Recovered from the store/.test(p.output); i++) await sleep(250);
    assert.match(p.output, /Recovered from the store: 2 apps brought to their formation \(3 dynos\), 2 add-ons with their servers, 1 drain, 1 certificate\./);
    await p.waitFor('alpha', 'alpha-up');
    await p.waitFor('beta', 'beta-up');
    for (let i = 0; i < 60 && (await up('alpha')).length < 2; i++) await sleep(500);
    assert.deepEqual(await up('alpha'), ['web.1', 'worker.1']);
    await p.waitForLog('alpha', /app\[worker\.1\]: working/);
    const { stdout } = await run('psql', [vars.DATABASE_URL!, '-At', '-c', 'SELECT v FROM kept'], { env: pgEnv });
    assert.equal(stdout.trim(), 'before the reboot');
    assert.equal((await redisCli('GET', 'kept')).stdout.trim(), 'before the reboot');
    received = '';
    await p.route('alpha', '/after-the-reboot');
    for (let i = 0; i < 60 && !received.includes('after-the-reboot'); i++) await sleep(500);
    assert.match(received, /after-the-reboot/, 'the drain gets the lines logged after the reboot');
    const subject = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: p.routerTlsPort, servername: 'beta.example.test', rejectUnauthorized: false }, () => {
        resolve(String(s.getPeerCertificate().subject?.CN));
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.equal(subject, 'beta.example.test', 'the certificate is served again');
  });
});
