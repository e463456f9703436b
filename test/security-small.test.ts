// Attacks on the smaller holes of the security read (issue #9, point 10), each made for real against a
// platform serving an app through HAProxy: a certificate chain with a junk second block, a gzip bomb pushed
// to git, a buildpack that is a command, an app flood, a one-off flood, a log flood, an attached one-off nobody reads, leftovers of a killed platform in the data dir, a
// formation that never followed its release, and the platform's own OOM score.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import Sqlite from 'better-sqlite3';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

const PUSH_MAX = 8 * 1024 * 1024;
const JUNK_BLOCK = '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n';

describe('security: the smaller holes (point 10)', () => {
  const p = new TestPlatform();
  let work: string;
  let cert: string;
  let key: string;
  let otherCert: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-small-'));
    await p.start({ SLIPWAY_ROUTER: 'haproxy', SLIPWAY_PUSH_MAX_BYTES: String(PUSH_MAX), SLIPWAY_APPS_PER_ACCOUNT: '5', SLIPWAY_ONE_OFFS_PER_ACCOUNT: '2' });
    await p.deployFixture('router-app', 'small', work, 'router-app on web.1');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=small.example.test',
      '-addext', 'subjectAltName=DNS:small.example.test', '-keyout', join(work, 'c.key'), '-out', join(work, 'c.crt')]);
    cert = await readFile(join(work, 'c.crt'), 'utf8');
    key = await readFile(join(work, 'c.key'), 'utf8');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other.example.test',
      '-keyout', join(work, 'o.key'), '-out', join(work, 'o.crt')]);
    otherCert = await readFile(join(work, 'o.crt'), 'utf8');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** The app answers through the router (HAProxy reloads a moment after a change). */
  const serves = async (): Promise<void> => {
    let r = await p.route('small', '/headers').catch(() => ({ status: 0, body: '' }));
    for (let i = 0; i < 100 && r.status !== 200; i++) { await sleep(100); r = await p.route('small', '/headers').catch(() => ({ status: 0, body: '' })); }
    assert.equal(r.status, 200, `the app no longer serves:\n${p.output.slice(-2000)}`);
  };

  test('certs:add with a junk block after the certificate, or other text in the chain, is refused (422); the router keeps serving', async () => {
    assert.equal((await p.cli(['domains:add', 'small.example.test', '-a', 'small'])).code, 0);
    const junk = await p.request('POST', '/apps/small/sni-endpoints', { certificate_chain: `${cert}${JUNK_BLOCK}`, private_key: key });
    assert.equal(junk.status, 422, JSON.stringify(junk.body));
    assert.equal(junk.body.id, 'invalid_params');
    assert.match(junk.body.message, /Certificate 2 of the chain could not be read/);
    const text = await p.request('POST', '/apps/small/sni-endpoints', { certificate_chain: `${cert}\nsome text HAProxy would choke on\n`, private_key: key });
    assert.equal(text.status, 422);
    assert.match(text.body.message, /text outside its -----BEGIN CERTIFICATE----- blocks/);
    // Through the CLI too: a non-zero exit, nothing stored.
    await writeFile(join(work, 'junk.crt'), `${cert}${JUNK_BLOCK}`);
    const cli = await p.cli(['certs:add', join(work, 'junk.crt'), join(work, 'c.key'), '-a', 'small']);
    assert.notEqual(cli.code, 0);
    assert.equal((await p.request('GET', '/apps/small/sni-endpoints')).body.length, 0);
    await serves();
    // A whole chain (the certificate twice is still two good blocks) is taken.
    const good = await p.request('POST', '/apps/small/sni-endpoints', { certificate_chain: `${cert}\n${cert}`, private_key: key });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    const attach = await p.request('PATCH', '/apps/small/domains/small.example.test', { sni_endpoint: good.body.name });
    assert.equal(attach.status, 200, JSON.stringify(attach.body));
    await serves();
  });

  test('a gzip bomb pushed to git-receive-pack is refused with 413 naming the setting; nothing lands, the platform serves', async () => {
    // A well-formed push whose pack stores a 32 MiB blob uncompressed (zlib level 0, which git reads as
    // any pack): git keeps reading it, so only the bound stops it. Gzipped, the body is a few dozen KB.
    const repo = join(work, 'bomb');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'zeros'), Buffer.alloc(32 * 1024 * 1024));
    const commit = await makeRepo(repo, {}, 'bomb');
    const pack = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile('git', ['-c', 'pack.compression=0', '-c', 'core.compression=0', 'pack-objects', '--stdout', '--revs'],
        { cwd: repo, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      child.stdin!.end('HEAD\n');
    });
    assert.ok(pack.length > PUSH_MAX, 'the pack itself is past the bound');
    const command = `${'0'.repeat(40)} ${commit} refs/heads/bomb\0 report-status\n`;
    const pkt = `${(command.length + 4).toString(16).padStart(4, '0')}${command}0000`;
    const body = gzipSync(Buffer.concat([Buffer.from(pkt), pack]));
    assert.ok(body.length < 1024 * 1024, `the gzipped body is small (${body.length} bytes)`);
    const res = await fetch(`${p.api}/small.git/git-receive-pack`, {
      method: 'POST', body,
      headers: {
        Authorization: `Basic ${Buffer.from(`user:${p.key}`).toString('base64')}`, 'Content-Encoding': 'gzip',
        'Content-Type': 'application/x-git-receive-pack-request',
      },
    });
    assert.equal(res.status, 413);
    assert.match(await res.text(), /The push is larger than 8388608 bytes.*\(SLIPWAY_PUSH_MAX_BYTES\)/);
    const refs = await promisify(execFile)('git', ['ls-remote', p.gitUrl('small')]);
    assert.doesNotMatch(refs.stdout, /refs\/heads\/bomb/);
    await serves();
  });

  test('a buildpack that is git\'s ext:: transport (a command) is refused; set through BUILDPACK_URL it never runs', async () => {
    const marker = join(tmpdir(), `slipway-pwned-${randomUUID()}`);
    const evil = `ext::sh -c touch% ${marker}`;
    await p.request('POST', '/apps', { name: 'extbp' });
    const put = await p.request('PUT', '/apps/extbp/buildpack-installations', { updates: [{ buildpack: evil }] });
    assert.equal(put.status, 422);
    assert.match(put.body.message, /only https:\/\/ git URLs are accepted/);
    assert.equal((await p.request('PATCH', '/apps/extbp/config-vars', { BUILDPACK_URL: evil })).status, 200);
    const app = join(work, 'extbp');
    await makeRepo(app, { 'Procfile': 'web: sleep 1000\n' });
    const push = await p.push(app, 'extbp');
    assert.notEqual(push.code, 0, push.output);
    assert.match(push.output, /only https:\/\/ git URLs are accepted/);
    assert.equal(existsSync(marker), false, 'the ext:: command never ran');
    await serves();
  });

  test('a tenant naming a host directory as its buildpack (/etc, /root/..., a real buildpack dir) is refused; through BUILDPACK_URL it never runs', async () => {
    const marker = join(tmpdir(), `slipway-pwned-${randomUUID()}`);
    const hostPack = join(work, 'host-buildpack');
    await mkdir(join(hostPack, 'bin'), { recursive: true });
    await writeFile(join(hostPack, 'bin', 'detect'), '#!/bin/sh\necho host\n', { mode: 0o755 });
    await writeFile(join(hostPack, 'bin', 'compile'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    await p.request('POST', '/apps', { name: 'hostbp' });
    for (const buildpack of ['/etc', '/root/.ssh', hostPack, `${work}/../${work.split('/').pop()}/host-buildpack`]) {
      const put = await p.request('PUT', '/apps/hostbp/buildpack-installations', { updates: [{ buildpack }] });
      assert.equal(put.status, 422, buildpack);
      assert.equal(put.body.id, 'invalid_params');
      assert.match(put.body.message, /a directory on the platform's host is not a buildpack apps may name.*SLIPWAY_LOCAL_BUILDPACKS/);
    }
    assert.equal((await p.request('PATCH', '/apps/hostbp/config-vars', { BUILDPACK_URL: hostPack })).status, 200);
    const app = join(work, 'hostbp');
    await makeRepo(app, { 'Procfile': 'web: sleep 1000\n' });
    const push = await p.push(app, 'hostbp');
    assert.notEqual(push.code, 0, push.output);
    assert.match(push.output, /a directory on the platform's host is not a buildpack apps may name/);
    assert.equal(existsSync(marker), false, 'the host directory\'s bin/compile never ran');
    await serves();
  });

  test('an account creating apps without end is stopped at SLIPWAY_APPS_PER_ACCOUNT (422 naming it); its apps serve on', async () => {
    const made: number[] = [];
    let refused: { status: number; body: { id: string; message: string } } | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await p.request('POST', '/apps', { name: `flood-${i}` });
      if (r.status === 201) made.push(i);
      else refused = r;
    }
    assert.ok(refused, 'creating apps was never refused');
    assert.equal(refused.status, 422);
    assert.equal(refused.body.id, 'invalid_params');
    assert.match(refused.body.message, /reached the limit of 5 apps for this account \(SLIPWAY_APPS_PER_ACCOUNT\)/);
    assert.equal((await p.request('GET', '/apps')).body.length, 5);
    await serves();
  });

  test('one-offs past SLIPWAY_ONE_OFFS_PER_ACCOUNT are refused (422 naming it); once they stop, run works again', async () => {
    const started: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await p.request('POST', '/apps/small/dynos', { command: 'sleep 600' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      started.push(r.body.name);
    }
    const third = await p.request('POST', '/apps/small/dynos', { command: 'sleep 600' });
    assert.equal(third.status, 422);
    assert.match(third.body.message, /Cannot run more than 2 one-off dynos at once for this account \(SLIPWAY_ONE_OFFS_PER_ACCOUNT\)/);
    await serves();
    for (const name of started) assert.equal((await p.request('POST', `/apps/small/dynos/${name}/actions/stop`)).status, 200);
    let after = await p.request('POST', '/apps/small/dynos', { command: 'true' });
    for (let i = 0; i < 100 && after.status === 422; i++) { await sleep(200); after = await p.request('POST', '/apps/small/dynos', { command: 'true' }); }
    assert.equal(after.status, 201, JSON.stringify(after.body));
  });

  test('a dyno printing without end is held to its app\'s log budget (L10 says how many were dropped); the platform serves', async () => {
    const flood = await p.request('POST', '/apps/small/dynos', { command: 'yes flood-line | head -n 200000; sleep 3; echo done-flooding' });
    assert.equal(flood.status, 201, JSON.stringify(flood.body));
    let logs = '';
    for (let i = 0; i < 150 && !/done-flooding/.test(logs); i++) { await sleep(200); logs = await p.logs('small', { lines: 1500 }); }
    assert.match(logs, /heroku\[logplex\]: Error L10 \(output buffer overflow\): \d+ messages dropped since \S+\+00:00\.\n.*done-flooding/, `an L10 notice before the next line kept:\n${logs.slice(-600)}`);
    // How many were kept and dropped is the unit test's (the history shows only the newest 1500 lines).
    await serves();
  });

  test('an attached one-off printing without end to a client that never reads is held back: the platform\'s memory stays bounded, it serves', async () => {
    const rss = async () => Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${p.pid}/status`, 'utf8'))![1]) * 1024;
    const r = await p.request('POST', '/apps/small/dynos', { command: 'yes 0123456789abcdef0123456789abcdef0123456789abcdef', attach: true, force_no_tty: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const url = new URL(r.body.attach_url.replace(/^rendezvous:/, 'https:'));
    const before = await rss();
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(`${url.pathname.slice(1)}\r\n`);
    // The client reads its first bytes (the dyno is running), then stops reading.
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    let peak = before;
    for (let i = 0; i < 20; i++) { await sleep(250); peak = Math.max(peak, await rss()); }
    socket.destroy();
    // Unheld, `yes` writes hundreds of MB a second into the platform's socket buffers.
    assert.ok(peak - before < 150 * 1024 * 1024, `the platform grew by ${Math.round((peak - before) / 1048576)} MB`);
    await serves();
  });

  test('a stored chain HAProxy rejects, leftovers of a killed platform, a release whose formation never followed: the platform starts and serves, leftovers swept, live data kept, web dyno back', async () => {
    await p.stop();
    // A stored certificate HAProxy refuses to load (it does not match the stored key), as a store written
    // by an older version or by hand could hold: planted in the stopped platform's store. Before, HAProxy
    // refused the config and the platform could not start.
    const db = new Sqlite(join(p.dataDir, 'slipway.db'));
    const changed = db.prepare('UPDATE sni_endpoints SET certificate_chain = ?').run(otherCert).changes;
    // The crash window of a first deploy: the release committed, the platform killed before the formation
    // followed it (no formation rows at all).
    const dropped = db.prepare('DELETE FROM formation WHERE app_id = (SELECT id FROM apps WHERE name = ?)').run('small').changes;
    db.close();
    assert.equal(changed, 1);
    assert.ok(dropped > 0);
    // A slug unpack and a backup dump a SIGKILL interrupted.
    const slugs = join(p.dataDir, 'slugs');
    const live = (await readdir(slugs)).filter((n) => !n.includes('.tmp-'));
    assert.ok(live.length > 0, 'the app\'s slug is unpacked');
    // The app parts (a layer's unpack, the Node runtime, has no Procfile of its own).
    const apps = live.filter((n) => existsSync(join(slugs, n, 'Procfile')));
    assert.ok(apps.length > 0, 'the app\'s slug is unpacked with its Procfile');
    const halfUnpack = join(slugs, `${live[0]}.tmp-4242-${randomUUID()}`);
    await mkdir(join(halfUnpack, 'app'), { recursive: true });
    await writeFile(join(halfUnpack, 'app', 'half'), 'x');
    const dumps = join(p.dataDir, 'addons', 'tmp');
    await mkdir(dumps, { recursive: true });
    await writeFile(join(dumps, `${randomUUID()}.dump`), 'half a dump');

    await p.restart();
    // The stored certificates reach the router a moment after it starts; HAProxy checks the config first.
    for (let i = 0; i < 200 && !/haproxy rejected the configuration/.test(p.output); i++) await sleep(100);
    assert.match(p.output, /haproxy rejected the configuration with the SNI certificates \([a-z]+-\d+\); serving without them/);
    await sleep(500);
    await serves();
    const formation = (await p.request('GET', '/apps/small/formation')).body as { type: string; quantity: number }[];
    assert.equal(formation.find((f) => f.type === 'web')?.quantity, 1, 'the first deploy\'s web dyno is back');
    assert.equal(existsSync(halfUnpack), false, 'the half-done unpack is swept');
    assert.deepEqual(await readdir(dumps), [], 'the unfinished dump is swept');
    for (const n of live) assert.ok(existsSync(join(slugs, n)), `the live unpack ${n} is kept`);
    for (const n of apps) assert.ok(existsSync(join(slugs, n, 'Procfile')), `the live unpack ${n} keeps its Procfile`);
    assert.match(p.output, /Removed 1 unfinished slug unpack/);
  });

  test('HAProxy\'s workers run as the router\'s own uid, chrooted to an empty directory they cannot write, after reloads too; the router serves', async () => {
    const master = (await readFile(join(p.dataDir, 'router', 'haproxy.pid'), 'utf8')).trim();
    const { stdout } = await promisify(execFile)('pgrep', ['-P', master]);
    const workers = stdout.split(/\s+/).filter(Boolean);
    assert.ok(workers.length >= 1, 'the HAProxy master has a worker');
    const jail = join(p.dataDir, 'router', 'jail');
    for (const pid of workers) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      for (const kind of ['Uid', 'Gid']) {
        const ids = new RegExp(`^${kind}:\\s+(.*)$`, 'm').exec(status)?.[1].split(/\s+/).map(Number) ?? [];
        assert.equal(ids.length, 4, status);
        for (const id of ids) assert.ok(id > 0 && id < 1_500_000_000, `worker ${pid} ${kind} ${ids.join(' ')}: not root, not a tenant's`);
      }
      assert.equal(await readlink(`/proc/${pid}/root`), jail, `worker ${pid} is chrooted to the jail`);
    }
    const st = await stat(jail);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o755, 'the jail is root\'s and nobody else may write it');
    const sock = await stat(join(jail, 'run', 'fallback.sock'));
    assert.equal(sock.mode & 0o777, 0o660, 'the Node router\'s socket: root and the router\'s group only');
    await serves();
    // The Node router behind HAProxy still answers through the jail (an unknown host: its 404 page).
    const r = await p.route('no-such-app', '/');
    assert.equal(r.status, 404);
    assert.match(r.body, /No such app/);
  });

  test('the platform lowers its own OOM score; a dyno runs at the kernel default', async (t) => {
    // Lowering a score needs CAP_SYS_RESOURCE, which some containers withhold even from root: then the
    // platform says so at start, and there is nothing more to check here.
    const allowed = await promisify(execFile)('sh', ['-c', 'echo -500 > /proc/self/oom_score_adj']).then(() => true, () => false);
    if (!allowed) {
      assert.match(p.output, /could not lower the platform's OOM score/);
      t.skip('this machine does not let root lower an OOM score (no CAP_SYS_RESOURCE)');
      return;
    }
    assert.equal((await readFile(`/proc/${p.pid}/oom_score_adj`, 'utf8')).trim(), '-500');
    const run = await p.cli(['run', '-a', 'small', '--', 'cat', '/proc/self/oom_score_adj']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '0');
    await serves();
  });

  test('stopped while a config change restarts the dynos: no container /app disk outlives the platform', async () => {
    const containers = join(p.dataDir, 'runtime', 'containers');
    const mounts = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(containers));
    assert.ok((await mounts()).length > 0, 'the running web dyno has its /app disk mounted (what this test looks for)');
    const before = new Set(await readdir(containers));
    // SIGTERM lands the moment the replacement dyno's container is being made (new release).
    assert.equal((await p.request('PATCH', '/apps/small/config-vars', { RESTART_ME: randomUUID() })).status, 200);
    let caught = false;
    for (let i = 0; i < 2000 && !caught; i++) {
      caught = (await readdir(containers)).some((n) => !before.has(n));
      if (!caught) await sleep(10);
    }
    assert.ok(caught, 'the replacement dyno started');
    await p.stop();
    assert.deepEqual(await mounts(), [], 'mounts left under the runtime state dir');
  });
});
