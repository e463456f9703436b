// The router as users meet it: HAProxy on the router port with the Node router behind it, a real app
// in real dynos. Headers checked at the dyno, Heroku's log line, the H-codes a misbehaving app
// causes (with timeouts shortened so each takes seconds), Upgrade tunnels, maintenance mode.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activeSlots } from './helpers/haproxy.ts';
import { sleep, TestPlatform } from './helpers/platform.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('router (HAProxy data path)', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-router-'));
    await p.start({ SLIPWAY_ROUTER: 'haproxy', SLIPWAY_ROUTER_TIMEOUT: '2', SLIPWAY_ROUTER_IDLE_TIMEOUT: '2' });
    await p.deployFixture('router-app', 'rtr', work, 'router-app on web.1');
    assert.match(p.output, /router: HAProxy, Node router behind it/);
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('the dyno gets Heroku\'s headers; the request is logged in Heroku\'s format', async () => {
    const id = 'client-chosen-request-id-0001';
    const before = Date.now();
    const r = await p.route('rtr', '/headers?x=1', { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Request-Id': id, 'X-Forwarded-Proto': 'gopher' } });
    assert.equal(r.status, 200);
    const h = JSON.parse(r.body).headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-port'], String(p.routerPort));
    assert.equal(h['x-request-id'], id);
    assert.equal(h.via, '1.1 vegur');
    const start = Number(h['x-request-start']);
    assert.ok(start >= before - 1000 && start <= Date.now() + 1000, `X-Request-Start ${h['x-request-start']} is the accept time in ms`);
    assert.match(r.headers.get('via') ?? '', /1\.1 vegur/);
    await p.waitForLog('rtr', new RegExp(`heroku\\[router\\]: at=info method=GET path="/headers\\?x=1" host=rtr\\.localhost request_id=${id} fwd="203\\.0\\.113\\.9,127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http$`, 'm'), 20);

    // An id Heroku would not keep (too short) is replaced by a generated UUID, logged the same.
    const r2 = await p.route('rtr', '/headers', { headers: { 'X-Request-Id': 'short' } });
    const generated = JSON.parse(r2.body).headers['x-request-id'];
    assert.match(generated, UUID);
    await p.waitForLog('rtr', new RegExp(`request_id=${generated} fwd="127\\.0\\.0\\.1"`), 20);
  });

  test('a request body streams to the dyno and back', async () => {
    const body = 'x'.repeat(300_000);
    const got = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: p.routerPort, path: '/echo', method: 'POST', headers: { Host: 'rtr.localhost', 'Transfer-Encoding': 'chunked' } }, (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 50_000) req.write(body.slice(i, i + 50_000));
      req.end();
    });
    assert.equal(got.length, body.length);
  });

  test('no first byte within the timeout: H12, the application error page', async () => {
    const r = await p.route('rtr', '/sleep?ms=6000');
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('rtr', /heroku\[router\]: at=error code=H12 desc="Request timeout" method=GET path="\/sleep\?ms=6000" host=rtr\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes=0 protocol=http/, 20);
  });

  test('the dyno closes without answering: H13', async () => {
    const r = await p.route('rtr', '/close');
    assert.equal(r.status, 503);
    assert.match(r.body, /Application Error/);
    await p.waitForLog('rtr', /heroku\[router\]: at=error code=H13 desc="Connection closed without response" method=GET path="\/close"/, 20);
  });

  test('the dyno dies mid-response: H18, the client is cut off', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: p.routerPort, path: '/partial', headers: { Host: 'rtr.localhost' } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('cut off'));
        res.on('aborted', () => resolve('cut off'));
      });
      req.on('error', () => resolve('cut off'));
      req.end();
    });
    assert.equal(outcome, 'cut off');
    await p.waitForLog('rtr', /heroku\[router\]: sock=backend at=error code=H18 desc="Server Request Interrupted" method=GET path="\/partial"/, 20);
  });

  test('the dyno goes silent mid-response: H15', async () => {
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: p.routerPort, path: '/stall', headers: { Host: 'rtr.localhost' } }, (res) => {
        res.on('data', () => undefined);
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      req.setTimeout(30_000, () => req.destroy());
      req.end();
    });
    await p.waitForLog('rtr', /heroku\[router\]: at=error code=H15 desc="Idle connection" method=GET path="\/stall" .* status=503/, 20);
  });

  test('an Upgrade is tunnelled both ways and logged once with status 101', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = connect(p.routerPort, '127.0.0.1');
      let got = '';
      s.setEncoding('utf8');
      s.on('error', reject);
      s.on('close', () => reject(new Error(`closed after: ${JSON.stringify(got)}`)));
      s.on('data', (d) => {
        got += d;
        if (got.includes('\r\n\r\n') && !got.includes('ping-through-router')) s.write('ping-through-router');
        if (got.includes('ping-through-router')) { s.end(); resolve(got); }
      });
      s.write('GET /socket HTTP/1.1\r\nHost: rtr.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    });
    assert.match(echoed, /^HTTP\/1\.1 101 /);
    assert.match(echoed, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    assert.match(echoed, /ping-through-router$/);
    await p.waitForLog('rtr', /heroku\[router\]: at=info method=GET path="\/socket" .* status=101 /, 20);
  });

  test('requests spread over the web dynos at random', async () => {
    await p.request('PATCH', '/apps/rtr/formation/web', { quantity: 3 });
    const upCount = async () => (await p.request('GET', '/apps/rtr/dynos')).body.filter((d: any) => d.type === 'web' && d.state === 'up').length;
    for (let i = 0; i < 300 && (await upCount()) < 3; i++) await sleep(100);
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 3; i++) {
      const r = await p.route('rtr', '/');
      const m = /on (web\.\d)/.exec(r.body);
      if (m) seen.add(m[1]!);
      else await sleep(100);
    }
    assert.deepEqual([...seen].sort(), ['web.1', 'web.2', 'web.3']);
    // HAProxy itself routes to the three: each up dyno is an active server slot.
    assert.equal((await activeSlots(p.dataDir)).length, 3);
    await p.request('PATCH', '/apps/rtr/formation/web', { quantity: 1 });
    let slots = await activeSlots(p.dataDir);
    for (let i = 0; i < 100 && slots.length !== 1; i++) { await sleep(100); slots = await activeSlots(p.dataDir); }
    assert.equal(slots.length, 1, 'stopped dynos leave HAProxy at once');
  });

  test('maintenance mode: the maintenance page and H80, then back to the dynos', async () => {
    let r = await p.cli(['maintenance:on', '-a', 'rtr']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await p.cli(['maintenance', '-a', 'rtr'])).stdout.trim(), 'on');
    let res = await p.route('rtr', '/');
    for (let i = 0; i < 50 && res.status !== 503; i++) { await sleep(100); res = await p.route('rtr', '/'); }
    assert.equal(res.status, 503);
    assert.match(res.body, /Offline for Maintenance/);
    await p.waitForLog('rtr', /heroku\[router\]: at=info code=H80 desc="Maintenance mode" method=GET path="\/" host=rtr\.localhost .* dyno= connect= service= status=503 bytes= protocol=http/, 20);
    r = await p.cli(['maintenance:off', '-a', 'rtr']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await p.cli(['maintenance', '-a', 'rtr'])).stdout.trim(), 'off');
    await p.waitFor('rtr', 'router-app on web.1', '/', 20);
  });

  test('the app\'s own pages (ERROR_PAGE_URL, MAINTENANCE_PAGE_URL) are shown framed, with the router\'s status', async () => {
    const errorUrl = 'https://pages.example.test/error.html';
    const maintenanceUrl = 'https://pages.example.test/maintenance.html?a=1&b="2"';
    const set = await p.cli(['config:set', `ERROR_PAGE_URL=${errorUrl}`, `MAINTENANCE_PAGE_URL=${maintenanceUrl}`, '-a', 'rtr']);
    assert.equal(set.code, 0, set.stderr);
    await p.waitFor('rtr', 'router-app on web.1', '/', 60);
    const framed = (url: string) => new RegExp(`<iframe src="${url.replace(/[.?/]/g, (c) => `\\${c}`)}"></iframe>`);
    // An error HAProxy answers (H12: the app's backend has the app's error file).
    let res = await p.route('rtr', '/sleep?ms=6000');
    for (let i = 0; i < 50 && !/iframe/.test(res.body); i++) { await sleep(200); res = await p.route('rtr', '/sleep?ms=6000'); }
    assert.equal(res.status, 503);
    assert.match(res.body, /<title>Application Error<\/title>/);
    assert.match(res.body, framed(errorUrl));
    // Maintenance, answered by the Node router: the URL is escaped for the attribute.
    assert.equal((await p.cli(['maintenance:on', '-a', 'rtr'])).code, 0);
    res = await p.route('rtr', '/');
    for (let i = 0; i < 50 && res.status !== 503; i++) { await sleep(100); res = await p.route('rtr', '/'); }
    assert.equal(res.status, 503);
    assert.match(res.body, /<title>Offline for Maintenance<\/title>/);
    assert.match(res.body, /<iframe src="https:\/\/pages\.example\.test\/maintenance\.html\?a=1&#38;b=%222%22"><\/iframe>/);
    assert.equal((await p.cli(['maintenance:off', '-a', 'rtr'])).code, 0);
    // An error the Node router answers (H14: no web dynos).
    await p.request('PATCH', '/apps/rtr/formation/web', { quantity: 0 });
    res = await p.route('rtr', '/');
    for (let i = 0; i < 50 && res.status !== 503; i++) { await sleep(100); res = await p.route('rtr', '/'); }
    assert.match(res.body, framed(errorUrl));
    await p.waitForLog('rtr', /code=H14 desc="No web processes running"/, 20);
    await p.request('PATCH', '/apps/rtr/formation/web', { quantity: 1 });
    assert.equal((await p.cli(['config:unset', 'ERROR_PAGE_URL', 'MAINTENANCE_PAGE_URL', '-a', 'rtr'])).code, 0);
    await p.waitFor('rtr', 'router-app on web.1', '/', 60);
    res = await p.route('rtr', '/sleep?ms=6000');
    for (let i = 0; i < 50 && /iframe/.test(res.body); i++) { await sleep(200); res = await p.route('rtr', '/sleep?ms=6000'); }
    assert.doesNotMatch(res.body, /iframe/, 'back to the application error page');
  });

  test('custom domains: added, listed, routed by Host, one app at a time, removed', async () => {
    let r = await p.cli(['domains:add', 'www.example.test', '-a', 'rtr']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Configure your app's DNS provider to point to the DNS Target rtr\.localhost/);
    r = await p.cli(['domains', '-a', 'rtr']);
    assert.match(r.stdout, /=== rtr Heroku Domain\nrtr\.localhost\n\n=== rtr Custom Domains\nDomain Name\s+DNS Record Type\s+DNS Target\s+SNI Endpoint\nwww\.example\.test\s+CNAME\s+rtr\.localhost/);
    let res = await p.route('rtr', '/', { host: 'www.example.test' });
    for (let i = 0; i < 50 && res.status !== 200; i++) { await sleep(100); res = await p.route('rtr', '/', { host: 'www.example.test' }); }
    assert.match(res.body, /router-app on web\.1/);
    await p.request('POST', '/apps', { name: 'other' });
    const taken = await p.request('POST', '/apps/other/domains', { hostname: 'WWW.example.test' });
    assert.equal(taken.status, 422);
    assert.match(taken.body.message, /already in use by another app/);
    const bad = await p.request('POST', '/apps/other/domains', { hostname: 'not a host' });
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /not a valid hostname/);
    r = await p.cli(['domains:remove', 'www.example.test', '-a', 'rtr']);
    assert.equal(r.code, 0, r.stderr);
    res = await p.route('rtr', '/', { host: 'www.example.test' });
    for (let i = 0; i < 50 && res.status !== 404; i++) { await sleep(100); res = await p.route('rtr', '/', { host: 'www.example.test' }); }
    assert.equal(res.status, 404);
  });

  test('a wildcard domain answers every name one label under it that no exact domain claims', async () => {
    const r = await p.cli(['domains:add', '*.wild.test', '-a', 'rtr']);
    assert.equal(r.code, 0, r.stderr);
    let res = await p.route('rtr', '/', { host: 'shop.wild.test' });
    for (let i = 0; i < 50 && res.status !== 200; i++) { await sleep(100); res = await p.route('rtr', '/', { host: 'shop.wild.test' }); }
    assert.match(res.body, /router-app on web\.1/);
    assert.match((await p.route('rtr', '/', { host: 'Blog.Wild.Test:8080' })).body, /router-app on web\.1/);
    await p.waitForLog('rtr', /heroku\[router\]: at=info method=GET path="\/" host=shop\.wild\.test .* dyno=web\.1 /, 20);
    assert.equal((await p.route('rtr', '/', { host: 'a.b.wild.test' })).status, 404, 'one label only');
    assert.equal((await p.route('rtr', '/', { host: 'wild.test' })).status, 404, 'not the domain itself');
    // An exact domain on another app wins over the wildcard (that app has no web dynos: H14).
    await p.request('POST', '/apps', { name: 'exact' });
    assert.equal((await p.request('POST', '/apps/exact/domains', { hostname: 'api.wild.test' })).status, 201);
    res = await p.route('exact', '/', { host: 'api.wild.test' });
    for (let i = 0; i < 50 && res.status !== 503; i++) { await sleep(100); res = await p.route('exact', '/', { host: 'api.wild.test' }); }
    assert.equal(res.status, 503);
    await p.waitForLog('exact', /code=H14 desc="No web processes running" method=GET path="\/" host=api\.wild\.test /, 20);
    for (const hostname of ['*.test', '*.*.wild.test', 'a.*.wild.test', '*.rtr.localhost']) {
      const bad = await p.request('POST', '/apps/rtr/domains', { hostname });
      assert.equal(bad.status, 422, hostname);
    }
    assert.equal((await p.cli(['domains:remove', '*.wild.test', '-a', 'rtr'])).code, 0);
    res = await p.route('rtr', '/', { host: 'shop.wild.test' });
    for (let i = 0; i < 50 && res.status !== 404; i++) { await sleep(100); res = await p.route('rtr', '/', { host: 'shop.wild.test' }); }
    assert.equal(res.status, 404);
    await p.request('DELETE', '/apps/exact');
  });

  test('TLS: the certificate is chosen by SNI for two domains, HTTP/2 when offered, https in the headers and log', async () => {
    const certs: Record<string, { cert: string; key: string }> = {};
    for (const host of ['a.example.test', 'b.example.test']) {
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
        '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(work, `${host}.key`), '-out', join(work, `${host}.crt`)]);
      certs[host] = { cert: await readFile(join(work, `${host}.crt`), 'utf8'), key: await readFile(join(work, `${host}.key`), 'utf8') };
      assert.equal((await p.cli(['domains:add', host, '-a', 'rtr'])).code, 0);
      const add = await p.cli(['certs:add', join(work, `${host}.crt`), join(work, `${host}.key`), '-a', 'rtr']);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, new RegExp(`Common Name\\(s\\): ${host.replace(/\./g, '\\.')}[\\s\\S]*SSL certificate is self signed\\.`));
    }
    const list = await p.cli(['certs', '-a', 'rtr']);
    assert.match(list.stdout, /a\.example\.test\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+False\s+SNI\s+a\.example\.test/);
    // A wrong key is refused with the reason.
    const mismatch = await p.request('POST', '/apps/rtr/sni-endpoints', { certificate_chain: certs['a.example.test']!.cert, private_key: certs['b.example.test']!.key });
    assert.equal(mismatch.status, 422);
    assert.match(mismatch.body.message, /private key does not match/);

    const get = (host: string) => new Promise<{ cn: string; body: string; status: number }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: p.routerTlsPort, servername: host, path: '/headers', headers: { Host: host }, ca: certs[host]!.cert }, (res) => {
        const cn = (res.socket as TLSSocket).getPeerCertificate().subject.CN as string;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ cn, body, status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
    // The router reloads with the new certificates a moment after certs:add returns.
    const ready = async (host: string) => {
      let r = await get(host).catch((e: Error) => ({ cn: '', body: e.message, status: 0 }));
      for (let i = 0; i < 100 && r.status !== 200; i++) { await sleep(100); r = await get(host).catch((e: Error) => ({ cn: '', body: e.message, status: 0 })); }
      return r;
    };
    const a = await ready('a.example.test');
    assert.equal(a.status, 200, `${a.body}\n${await readFile(join(p.dataDir, 'router', 'certs', 'crt-list'), 'utf8').catch((e) => e.message)}\n${p.output.slice(-1500)}`);
    assert.equal(a.cn, 'a.example.test');
    const h = JSON.parse(a.body).headers;
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-port'], String(p.routerTlsPort));
    const b = await ready('b.example.test');
    assert.equal(b.status, 200, b.body);
    assert.equal(b.cn, 'b.example.test');
    await p.waitForLog('rtr', /heroku\[router\]: at=info method=GET path="\/headers" host=b\.example\.test .* status=200 bytes=\d+ protocol=https/, 20);

    // HTTP/2 by ALPN, terminated at the router: the dyno still gets HTTP/1.1.
    const session = http2.connect(`https://127.0.0.1:${p.routerTlsPort}`, { servername: 'a.example.test', ca: certs['a.example.test']!.cert });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/', ':authority': 'a.example.test' });
        let got = '';
        stream.setEncoding('utf8');
        stream.on('data', (d) => (got += d));
        stream.on('end', () => resolve(got));
        stream.on('error', reject);
      });
      assert.equal(session.alpnProtocol, 'h2');
      assert.match(body, /router-app on web\.1/);
    } finally {
      session.close();
    }
  });

  test('router metrics: this minute\'s requests by status class, percentiles and bytes', async () => {
    const ok2xx = async () => ((await p.request('GET', '/apps/rtr/router-metrics')).body as any[]).reduce((n, m) => n + m.requests['2xx'], 0);
    const before = await ok2xx();
    // Fresh connections: a kept-alive one may still belong to an HAProxy worker the certificate
    // changes above replaced; its last request's line can be lost when that worker exits (see docs).
    for (let i = 0; i < 20; i++) assert.equal((await p.route('rtr', '/', { fresh: true })).status, 200);
    let counted = await ok2xx();
    for (let i = 0; i < 50 && counted < before + 20; i++) { await sleep(100); counted = await ok2xx(); }
    assert.ok(counted - before >= 20, `every request counted, across a minute boundary too (${counted - before})\n${p.output.split('\n').filter((l) => /router|fail/i.test(l)).slice(-8).join('\n')}`);
    const r = await p.request('GET', '/apps/rtr/router-metrics');
    assert.equal(r.status, 200);
    const last = r.body.at(-1);
    assert.ok(last.requests['5xx'] >= 1 || r.body.some((m: any) => m.requests['5xx'] >= 1), 'the H12/H13 answers count as 5xx');
    assert.ok(last.bytes > 0);
    assert.ok(last.p50 <= last.p95 && last.p95 <= last.p99, JSON.stringify(last));
    const bad = await p.request('GET', '/apps/rtr/router-metrics?since=yesterday-ish');
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /since must be a time/);
  });

  test('preboot: a release under load fails no request; the new dynos take over in one step', async () => {
    const r = await p.cli(['features:enable', 'preboot', '-a', 'rtr']);
    assert.equal(r.code, 0, r.stderr);
    await p.waitFor('rtr', 'router-app on web.1', '/', 30);
    const seen: string[] = [];
    const failures: string[] = [];
    let running = true;
    const t0 = Date.now();
    let firstNewAt = 0;
    // Four clients request as fast as they can while the release rolls out.
    const load = Promise.all([0, 1, 2, 3].map(async () => {
      while (running) {
        const res = await p.route('rtr', '/').catch((e: Error) => ({ status: 0, body: e.message }));
        if (res.status !== 200) failures.push(`${res.status} ${res.body.slice(0, 80)} at ${Date.now() - t0} ms (new from ${firstNewAt - t0})`);
        else { seen.push(res.body.trim()); if (!firstNewAt && res.body.includes('second-release')) firstNewAt = Date.now(); }
      }
    }));
    await sleep(500);
    const set = await p.cli(['config:set', 'MARK=second-release', '-a', 'rtr']);
    assert.equal(set.code, 0, set.stderr);
    const deadline = Date.now() + 60_000;
    while (!seen.some((b) => b.endsWith('second-release')) && Date.now() < deadline) await sleep(100);
    await sleep(7000); // past the old dynos' drain and SIGTERM
    running = false;
    await load;
    assert.deepEqual(failures, []);
    const firstNew = seen.findIndex((b) => b.endsWith('second-release'));
    assert.ok(firstNew > 0, 'the old release served until the switch');
    // Requests already in flight at the switch may still finish on an old dyno (one per client at most).
    assert.ok(seen.slice(firstNew + 4).every((b) => b.endsWith('second-release')), 'after the switch only the new release answers');
    const ps = await p.request('GET', '/apps/rtr/dynos');
    assert.equal(ps.body.filter((d: any) => d.type === 'web').length, 1, 'old dynos are not listed');
  });

  test('an unknown host gets the No such app page', async () => {
    const r = await p.route('nosuchapp');
    assert.equal(r.status, 404);
    assert.match(r.body, /No such app/);
  });
});
