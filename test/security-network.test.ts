// Issue #9 point 8, attacked for real: a host of the test's own — a network namespace it creates, with a
// link-local and a private address on a veth, serving HTTP — stands in for the cloud metadata service
// and the LAN. From inside a dyno, from the add-on servers' namespace and through the platform's own
// outbound requests (a log drain, a Builds API source URL) it cannot be reached; the add-on servers
// cannot reach the host's ports; DNS, the registry and the add-ons still work; and with the operator's
// SLIPWAY_ALLOW_PRIVATE_TARGETS the same host is reached. No packet goes to an address the test does not own.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sleep, TestPlatform } from './helpers/platform.ts';
import { runcCanRun } from '../src/runtime/index.ts';
import { HostNetwork } from '../src/runtime/network.ts';

const run = promisify(execFile);
const tag = (process.pid % 200) + 20;
const LINK = `169.254.${tag}`;
const PRIV = `192.168.${tag}`;
const TARGET_NS = `swtarget${process.pid}`;
const TARGET_VETH = `tgt${process.pid}`;
const TARGET_PORT = 8099;
// A dyno pool and firewall chains of this test's own, so concurrent platforms keep theirs.
const POOL = `10.215.${process.pid % 256}.0/24`;
const PREFIX = `SWS${process.pid}`;
const NET_ENV = { SLIPWAY_DYNO_POOL: POOL, SLIPWAY_FIREWALL_PREFIX: PREFIX };

/** One-off probe of both target addresses; prints `<addr>:<body or curl's error> rc=<n>` per address. */
const PROBE = [LINK, PRIV].map((a) => `echo "${a}.2:$(curl -sS -m 5 http://${a}.2:${TARGET_PORT}/from-dyno 2>&1) rc=$?"`).join('; ');

describe('security: closed networks', { skip: !runcCanRun() && 'needs root and runc' }, () => {
  let work: string;
  let target: ChildProcess | undefined;
  let targetLog = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-net-'));
    await run('ip', ['netns', 'add', TARGET_NS]);
    await run('ip', ['link', 'add', TARGET_VETH, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', TARGET_NS]);
    for (const a of [LINK, PRIV]) {
      await run('ip', ['address', 'add', `${a}.1/24`, 'dev', TARGET_VETH]);
      await run('ip', ['-n', TARGET_NS, 'address', 'add', `${a}.2/24`, 'dev', 'eth0']);
    }
    await run('ip', ['link', 'set', TARGET_VETH, 'up']);
    await run('ip', ['-n', TARGET_NS, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', TARGET_NS, 'link', 'set', 'lo', 'up']);
    const server = `require('http').createServer((q, s) => { console.log('got ' + q.method + ' ' + q.url); s.end('hello-from-target'); }).listen(${TARGET_PORT}, '0.0.0.0', () => console.log('listening'))`;
    target = spawn('ip', ['netns', 'exec', TARGET_NS, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
    target.stdout!.on('data', (d) => (targetLog += d));
    for (let i = 0; i < 100 && !targetLog.includes('listening'); i++) await sleep(100);
    assert.match(targetLog, /listening/);
    // The test's own host answers from the host itself: the refusals below are the platform's doing.
    const direct = await run('curl', ['-sS', '-m', '5', `http://${PRIV}.2:${TARGET_PORT}/from-host`]);
    assert.equal(direct.stdout, 'hello-from-target');
  });

  after(async () => {
    if (target?.pid) target.kill('SIGKILL');
    await run('ip', ['link', 'delete', TARGET_VETH]).catch(() => undefined);
    await run('ip', ['netns', 'delete', TARGET_NS]).catch(() => undefined);
    await new HostNetwork({ pool: POOL, chainPrefix: PREFIX }).removeFirewall();
    await rm(work, { recursive: true, force: true });
  });

  describe('by default', () => {
    const p = new TestPlatform();
    let hostListener: Server;
    before(async () => {
      await p.start(NET_ENV);
      // The build reaches the npm registry: DNS through the host's resolver (a private address here) and
      // the internet both still work for builds.
      await p.deployFixture('node-app', 'netapp', work, 'node-app-v1');
    });
    after(async () => {
      hostListener?.close();
      await p.cleanup();
    });

    test('a dyno cannot reach link-local or private addresses; it still resolves names', async () => {
      const r = await p.cli(['run', '-a', 'netapp', '--', 'sh', '-c', `${PROBE}; getent hosts deb.debian.org >/dev/null && echo dns-ok`]);
      const out = r.stdout.replace(/\r/g, '');
      for (const a of [LINK, PRIV]) assert.match(out, new RegExp(`^${a.replaceAll('.', '\\.')}\\.2:curl: \\(7\\) .* rc=7$`, 'm'), out);
      assert.doesNotMatch(out, /hello-from-target/);
      assert.match(out, /dns-ok/);
      assert.doesNotMatch(targetLog, /from-dyno/, 'the target never saw the dyno\'s request');
    });

    test('the platform\'s own requests for tenants refuse them: a log drain, a Builds API source URL', async () => {
      const drain = await p.request('POST', '/apps/netapp/log-drains', { url: `http://${PRIV}.2:${TARGET_PORT}/drain` });
      assert.equal(drain.status, 422, JSON.stringify(drain.body));
      assert.match(drain.body.message, /192\.168\.\d+\.2 is a loopback, link-local or private address; the operator can allow it with SLIPWAY_ALLOW_PRIVATE_TARGETS/);
      const build = await p.request('POST', '/apps/netapp/builds', { source_blob: { url: `http://${LINK}.2:${TARGET_PORT}/app.tgz` } });
      if (build.status === 201) {
        let status = 'pending';
        for (let i = 0; i < 120 && status === 'pending'; i++) {
          await sleep(500);
          status = (await p.request('GET', `/apps/netapp/builds/${build.body.id}`)).body.status;
        }
        assert.equal(status, 'failed');
      } else {
        assert.equal(build.status, 422, JSON.stringify(build.body));
      }
      assert.doesNotMatch(targetLog, /drain|app\.tgz/, 'the target never saw the platform\'s requests');
    });

    test('add-on servers reach no host port; dynos still reach the add-on', async () => {
      const created = await p.request('POST', '/apps/netapp/addons', { plan: 'heroku-redis:mini' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const ns = `slipway-${createHash('sha256').update(p.dataDir).digest('hex').slice(0, 8)}-addons`;
      const { subnet } = JSON.parse(await readFile(join(p.dataDir, 'addons', 'network.json'), 'utf8')) as { subnet: string };
      const gateway = subnet.replace(/\.(\d+)$/, (_, n: string) => `.${Number(n) + 1}`);
      hostListener = createServer((_q, s) => s.end('host-port-open\n'));
      await new Promise<void>((r) => hostListener.listen(0, '0.0.0.0', r));
      const port = (hostListener.address() as { port: number }).port;
      // From the host the listener answers at the namespace's gateway address...
      assert.equal((await run('curl', ['-sS', '-m', '5', `http://${gateway}:${port}/`])).stdout, 'host-port-open\n');
      // ...but not from inside the add-on namespace, as the add-on's own user: neither it nor the API.
      const fromAddon = async (url: string) => run('ip', ['netns', 'exec', ns, 'setpriv', '--reuid=redis', '--regid=redis', '--clear-groups',
        'curl', '-sS', '-m', '5', url]).then((r) => `ok ${r.stdout}`, (e: { code?: number; stderr?: string }) => `failed ${e.code}: ${e.stderr}`);
      for (const url of [`http://${gateway}:${port}/`, `http://${gateway}:${p.apiPort}/apps`, `http://${PRIV}.2:${TARGET_PORT}/from-addon`]) {
        const got = await fromAddon(url);
        assert.match(got, /^failed [1-9]/, `${url}: ${got}`);
        assert.doesNotMatch(got, /host-port-open|hello-from-target/);
      }
      const r = await p.cli(['run', '-a', 'netapp', '--', 'python3', '-c',
        "import os,socket,urllib.parse as u; x=u.urlparse(os.environ['REDIS_URL']); socket.create_connection((x.hostname, x.port), 5); print('addon-open')"]);
      assert.match(r.stdout, /addon-open/, r.stdout + r.stderr);
      assert.equal((await p.route('netapp', '/')).status, 200, 'the app still serves');
    });
  });

  describe('with SLIPWAY_ALLOW_PRIVATE_TARGETS naming the ranges', () => {
    const p = new TestPlatform();
    before(async () => {
      await p.start({ ...NET_ENV, SLIPWAY_ALLOW_PRIVATE_TARGETS: `${LINK}.0/24,${PRIV}.0/24` });
      await p.deployFixture('node-app', 'opened', work, 'node-app-v1');
    });
    after(() => p.cleanup());

    test('dynos and the platform\'s drains reach them', async () => {
      const r = await p.cli(['run', '-a', 'opened', '--', 'sh', '-c', PROBE]);
      const out = r.stdout.replace(/\r/g, '');
      for (const a of [LINK, PRIV]) assert.match(out, new RegExp(`^${a.replaceAll('.', '\\.')}\\.2:hello-from-target rc=0$`, 'm'), out);
      const drain = await p.request('POST', '/apps/opened/log-drains', { url: `http://${PRIV}.2:${TARGET_PORT}/drain` });
      assert.equal(drain.status, 201);
      // A drain carries the lines logged after it was added: a request gives the router's line.
      for (let i = 0; i < 60 && !/got POST \/drain/.test(targetLog); i++) {
        if (i % 4 === 0) await p.route('opened', '/').catch(() => undefined);
        await sleep(500);
      }
      assert.match(targetLog, /got POST \/drain/);
    });
  });
});
