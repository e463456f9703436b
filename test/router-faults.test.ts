// The router under bad clients and failing dynos, through the HAProxy data path: clients that hang up
// or stall (H27, H28), oversized requests (400/431), slowloris connections and a flood for an unknown
// host that must not stall a healthy app, a dyno killed under load, a crashed app (H10) and an app
// that boots too slowly for a held request (H20), a dyno that answers garbage (H17), stops listening
// (H21) or never accepts (H19), and the Node router behind HAProxy gone (H99). Timeouts are shortened
// so each takes seconds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sleep, TestPlatform } from './helpers/platform.ts';

/** Writes raw bytes to the router and returns what came back before the socket closed (or `ms` passed). */
function raw(port: number, bytes: string, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => { clearTimeout(t); s.destroy(); resolve(got); };
    const t = setTimeout(done, ms);
    s.setEncoding('utf8');
    s.on('data', (d) => { got += d; if (/\r\n\r\n/.test(got) && /Content-Length: (\d+)/i.test(got)) { const [head, body = ''] = got.split('\r\n\r\n'); if (body.length >= Number(/Content-Length: (\d+)/i.exec(head!)![1])) done(); } });
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
  });
}

describe('router faults (HAProxy data path)', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-router-faults-'));
    await p.start({ SLIPWAY_ROUTER: 'haproxy', SLIPWAY_ROUTER_TIMEOUT: '3', SLIPWAY_ROUTER_IDLE_TIMEOUT: '2', SLIPWAY_ROUTER_BOOT_HOLD: '2', SLIPWAY_ROUTER_CONNECT_TIMEOUT: '1' });
    await p.deployFixture('router-app', 'flt', work, 'router-app on web.1');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a client that hangs up before the response: H27, logged with 499', async () => {
    const s = connect(p.routerPort, '127.0.0.1');
    s.write('GET /sleep?ms=1500 HTTP/1.1\r\nHost: flt.localhost\r\n\r\n');
    await sleep(300);
    s.destroy();
    await p.waitForLog('flt', /heroku\[router\]: sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET path="\/sleep\?ms=1500" host=flt\.localhost .* dyno=web\.1 .* status=499 /, 20);
  });

  test('a client that stops sending its declared body: H28, logged with 499', async () => {
    const s: Socket = connect(p.routerPort, '127.0.0.1');
    s.on('error', () => undefined);
    s.write('POST /upload HTTP/1.1\r\nHost: flt.localhost\r\nContent-Length: 100\r\n\r\nonly ten b');
    await p.waitForLog('flt', /heroku\[router\]: at=warning code=H28 desc="Client Connection Idle" method=POST path="\/upload" host=flt\.localhost .* status=499 /, 20);
    s.destroy();
  });

  test('a request line or a header line past 8 KB is refused (400, 431); many ordinary headers pass', async () => {
    const longPath = await raw(p.routerPort, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: flt.localhost\r\n\r\n`);
    assert.match(longPath, /^HTTP\/1\.1 400 /);
    const longHeader = await raw(p.routerPort, `GET / HTTP/1.1\r\nHost: flt.localhost\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`);
    assert.match(longHeader, /^HTTP\/1\.1 431 /);
    const many = Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'c'.repeat(400)}\r\n`).join('');
    const ok = await raw(p.routerPort, `GET / HTTP/1.1\r\nHost: flt.localhost\r\n${many}Connection: close\r\n\r\n`);
    assert.match(ok, /^HTTP\/1\.1 200 /);
    assert.match(ok, /router-app on web\.1/);
  });

  test('slowloris connections and a flood for an unknown host do not stall a healthy app', async () => {
    const slow: Socket[] = [];
    for (let i = 0; i < 150; i++) {
      const s = connect(p.routerPort, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nHost: flt.localhost\r\nX-Slow: ');
      slow.push(s);
    }
    const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('x'); }, 500);
    try {
      const flood = Promise.all(Array.from({ length: 300 }, () => p.route('nosuchapp').then((r) => r.status).catch(() => 0)));
      const healthy = await Promise.all(Array.from({ length: 30 }, () => p.route('flt', '/').then((r) => r.status).catch(() => 0)));
      assert.deepEqual([...new Set(healthy)], [200]);
      assert.deepEqual([...new Set(await flood)], [404]);
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
  });

  test('a dyno killed under load: only its requests in flight fail, the rest go to the other dyno', async (t) => {
    await p.request('PATCH', '/apps/flt/formation/web', { quantity: 2 });
    // Back to one web dyno whatever happens here: the tests after this one expect it.
    t.after(async () => { await p.request('PATCH', '/apps/flt/formation/web', { quantity: 1 }); });
    const web = async () => (await p.request('GET', '/apps/flt/dynos')).body.filter((d: any) => d.type === 'web' && d.state === 'up');
    for (let i = 0; i < 300 && (await web()).length < 2; i++) await sleep(100);
    const victim = (await web()).find((d: any) => d.name === 'web.2');
    assert.ok(victim, 'web.2 is up');
    const statuses: number[] = [];
    let running = true;
    const load = Promise.all([0, 1, 2, 3].map(async () => {
      while (running) statuses.push(await p.route('flt', '/').then((r) => r.status).catch(() => 0));
    }));
    await sleep(1000);
    const container = (await p.containers()).find((c) => c.endsWith(`dyno-${victim.id}`));
    assert.ok(container, 'the dyno\'s container');
    const killedAt = statuses.length;
    await promisify(execFile)('runc', ['--root', join(p.dataDir, 'runtime', 'runc'), 'kill', container, 'KILL']);
    await sleep(3000);
    running = false;
    await load;
    const failed = statuses.filter((s) => s !== 200).length;
    assert.ok(failed <= 4, `at most the 4 requests in flight at the kill failed (${failed} of ${statuses.length})`);
    assert.ok(statuses.length - killedAt > 50, 'the load went on');
    assert.ok(statuses.slice(-50).every((s) => s === 200), 'after the kill every request is answered');
  });

  test('every web dyno crashed: H10 with the application error page', async () => {
    assert.equal((await p.cli(['config:set', 'CRASH_ON_BOOT=1', '-a', 'flt'])).code, 0);
    const crashed = async () => (await p.request('GET', '/apps/flt/dynos')).body.some((d: any) => d.type === 'web' && d.state === 'crashed');
    for (let i = 0; i < 300 && !(await crashed()); i++) await sleep(100);
    let r = await p.route('flt', '/');
    for (let i = 0; i < 50 && r.status !== 503; i++) { await sleep(200); r = await p.route('flt', '/'); }
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('flt', /heroku\[router\]: at=error code=H10 desc="App crashed" method=GET path="\/" host=flt\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno= connect= service= status=503 bytes= protocol=http/, 20);
    assert.equal((await p.cli(['config:unset', 'CRASH_ON_BOOT', '-a', 'flt'])).code, 0);
    await p.waitFor('flt', 'router-app on web.1', '/', 60);
  });

  test('a request held while the web dyno boots too slowly: H20 after the hold', async () => {
    assert.equal((await p.cli(['config:set', 'BOOT_DELAY_MS=8000', '-a', 'flt'])).code, 0);
    const starting = async () => (await p.request('GET', '/apps/flt/dynos')).body.some((d: any) => d.type === 'web' && d.state === 'starting');
    for (let i = 0; i < 300 && !(await starting()); i++) await sleep(50);
    const r = await p.route('flt', '/');
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('flt', /heroku\[router\]: at=error code=H20 desc="App boot timeout" method=GET path="\/" host=flt\.localhost .* status=503 /, 20);
    assert.equal((await p.cli(['config:unset', 'BOOT_DELAY_MS', '-a', 'flt'])).code, 0);
  });

  test('a response the router cannot parse: H17, the application error page', async () => {
    await p.waitFor('flt', 'router-app on web.1', '/', 60);
    const r = await p.route('flt', '/garbage');
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('flt', /heroku\[router\]: at=error code=H17 desc="Poorly formatted HTTP response" method=GET path="\/garbage" host=flt\.localhost .* dyno=web\.1 .* status=503 /, 20);
  });

  test('a dyno that stopped listening: H21 after the connect attempts, then fine after a restart', async () => {
    const bye = await p.route('flt', '/unlisten');
    assert.equal(bye.status, 200);
    const r = await p.route('flt', '/', { fresh: true });
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('flt', /heroku\[router\]: at=error code=H21 desc="Backend connection refused" method=GET path="\/" host=flt\.localhost .* dyno=web\.1 connect= service= status=503 /, 20);
    assert.equal((await p.cli(['ps:restart', 'web', '-a', 'flt'])).code, 0);
    await p.waitFor('flt', 'router-app on web.1', '/', 60);
  });

  test('a dyno that never accepts connections: H19 after the connect timeout', async () => {
    assert.equal((await p.cli(['config:set', 'NO_ACCEPT=1', '-a', 'flt'])).code, 0);
    await p.waitForLog('flt', /app\[web\.1\]: listening, never accepting[\s\S]*heroku\[web\.1\]: State changed from starting to up/, 60);
    await sleep(500); // the slot follows the dyno through HAProxy's runtime API
    const r = await p.route('flt', '/', { fresh: true });
    assert.equal(r.status, 503);
    await p.waitForLog('flt', /heroku\[router\]: at=error code=H19 desc="Backend connection timeout" method=GET path="\/" host=flt\.localhost .* dyno=web\.1 .* status=503 /, 30);
    assert.equal((await p.cli(['config:unset', 'NO_ACCEPT', '-a', 'flt'])).code, 0);
    await p.waitFor('flt', 'router-app on web.1', '/', 60);
  });

  test('the Node router behind HAProxy unreachable: H99, then the maintenance page again once it is back', async () => {
    // A real fault of the platform itself: the Node router's socket disappears from under HAProxy
    // (moved aside, so it can be put back; the listener stays open and works again once it is).
    assert.equal((await p.cli(['maintenance:on', '-a', 'flt'])).code, 0);
    const sock = join(p.dataDir, 'router', 'jail', 'run', 'fallback.sock');
    let r = await p.route('flt', '/', { fresh: true });
    for (let i = 0; i < 50 && r.status !== 503; i++) { await sleep(200); r = await p.route('flt', '/', { fresh: true }); }
    assert.match(r.body, /[Mm]aintenance/);
    await rename(sock, `${sock}.away`);
    try {
      r = await p.route('flt', '/', { fresh: true });
      assert.equal(r.status, 503);
      assert.match(r.body, /Application Error/);
      await p.waitForLog('flt', /heroku\[router\]: at=error code=H99 desc="Platform error" method=GET path="\/" host=flt\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno= connect= service= status=503 /, 20);
    } finally {
      await rename(`${sock}.away`, sock);
    }
    r = await p.route('flt', '/', { fresh: true });
    assert.match(r.body, /[Mm]aintenance/);
    assert.equal((await p.cli(['maintenance:off', '-a', 'flt'])).code, 0);
  });
});

describe('router backlog (HAProxy data path)', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-router-backlog-'));
    await p.start({ SLIPWAY_ROUTER: 'haproxy', SLIPWAY_ROUTER_BACKLOG: '2' });
    await p.deployFixture('router-app', 'busy', work, 'router-app on web.1');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('more requests in flight than the dyno\'s backlog: the rest get H11 at once', async () => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 5 }, () => p.route('busy', '/sleep?ms=2000', { fresh: true }).then((r) => ({ ...r, ms: Date.now() - started }))));
    const ok = answers.filter((a) => a.status === 200);
    const turnedAway = answers.filter((a) => a.status === 503);
    assert.equal(ok.length, 2, 'two requests in flight, as the backlog allows');
    assert.equal(turnedAway.length, 3);
    for (const a of turnedAway) {
      assert.match(a.body, /Application Error/);
      assert.ok(a.ms < Math.min(...ok.map((o) => o.ms)), 'turned away before the admitted ones were answered');
    }
    const logs = await p.waitForLog('busy', /(heroku\[router\]: at=error code=H11 [^\n]*\n[\s\S]*){3}/, 20);
    assert.match(logs, /heroku\[router\]: at=error code=H11 desc="Backlog too deep" method=GET path="\/sleep\?ms=2000" host=busy\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno= connect= service= status=503 bytes= protocol=http/);
    // Once the dyno has room again, requests go through.
    assert.equal((await p.route('busy', '/')).status, 200);
  });
});
