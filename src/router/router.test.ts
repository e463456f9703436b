// Tests of the router over real sockets on 127.0.0.1: routing by Host, random dyno choice, the
// headers dynos and clients see, streaming, the router log line, keep-alive reuse, and the H-codes
// the router decides itself (H14, H10, H20), the boot hold, and unknown hosts.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  assertApplicationError,
  noDynoLine,
  request,
  startRouter,
  startUpstream,
  type Harness,
  type Upstream,
} from './test-helpers.ts';

describe('router: routing and headers', () => {
  let h: Harness;
  let a: Upstream;
  let b: Upstream;
  before(async () => {
    const echo = (name: string): http.RequestListener => (req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Set-Cookie', ['one=1', 'two=2']);
      res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
    };
    a = await startUpstream(echo('a'));
    b = await startUpstream(echo('b'));
    h = await startRouter();
  });
  after(async () => {
    await h.close();
    await a.close();
    await b.close();
  });
  afterEach(() => {
    h.logs.lines.length = 0;
  });

  it('routes by Host (case and port ignored) to the app of that name', async () => {
    h.routes.set('demo', { up: [a.target('web.1')] });
    h.routes.set('other', { up: [b.target('web.1')] });
    const one = await request(h.router.port, `Demo.LocalHost:${h.router.port}`);
    assert.equal(one.status, 200);
    assert.equal(JSON.parse(one.body).name, 'a');
    const two = await request(h.router.port, 'other.localhost');
    assert.equal(JSON.parse(two.body).name, 'b');
  });

  it('answers an unknown host with the 404 "No such app" page and logs nothing', async () => {
    const reply = await request(h.router.port, 'nope.localhost');
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(reply.body, /<title>No such app<\/title>/);
    assert.equal(h.logs.lines.length, 0);
  });

  it('picks a random up dyno: both get traffic', async () => {
    h.routes.set('pair', { up: [a.target('web.1'), b.target('web.2')] });
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const name = JSON.parse((await request(h.router.port, 'pair.localhost')).body).name as string;
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    assert.ok((seen.get('a') ?? 0) > 0 && (seen.get('b') ?? 0) > 0, JSON.stringify([...seen]));
  });

  it("sends Heroku's headers to the dyno: XFF appended, request id kept, start time, proto, port, Via", async () => {
    h.routes.set('demo', { up: [a.target('web.1')] });
    const before = Date.now();
    const reply = await request(h.router.port, `demo.localhost:${h.router.port}`, {
      path: '/hdr?x=1',
      headers: {
        'X-Forwarded-For': '10.1.2.3',
        'X-Request-Id': 'client-chosen-id-0123456789',
        'X-Forwarded-Proto': 'https',
        Connection: 'keep-alive, X-Hop',
        'X-Hop': 'secret',
      },
    });
    const seen = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/hdr?x=1');
    assert.equal(seen.headers.host, 'demo.localhost');
    assert.equal(seen.headers['x-forwarded-for'], '10.1.2.3, 127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-port'], String(h.router.port));
    assert.equal(seen.headers['x-request-id'], 'client-chosen-id-0123456789');
    assert.equal(seen.headers.via, '1.1 vegur');
    assert.equal(seen.headers['x-hop'], undefined);
    assert.match(seen.headers['x-request-start']!, /^\d{13}$/);
    const start = Number(seen.headers['x-request-start']);
    assert.ok(start >= before - 5 && start <= Date.now() + 5, `X-Request-Start ${start}`);
    // What the client gets back: the dyno's headers (both cookies) and Via.
    assert.equal(reply.headers.via, '1.1 vegur');
    assert.deepEqual(reply.headers['set-cookie'], ['one=1', 'two=2']);
    const line = await h.logs.nth(1);
    assert.match(line.message, / request_id=client-chosen-id-0123456789 fwd="10\.1\.2\.3,127\.0\.0\.1" /);
  });

  it('generates a UUID request id when the client sent an invalid one, and logs that id', async () => {
    h.routes.set('demo', { up: [a.target('web.1')] });
    const reply = await request(h.router.port, 'demo.localhost', { headers: { 'X-Request-Id': 'too short' } });
    const id = (JSON.parse(reply.body) as { headers: Record<string, string> }).headers['x-request-id']!;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match((await h.logs.nth(1)).message, new RegExp(` request_id=${id} `));
  });

  it('writes one router line per request, in Heroku\'s exact shape', async () => {
    h.routes.set('demo', { up: [a.target('web.1')] });
    const reply = await request(h.router.port, 'demo.localhost', { path: '/hello?x=1' });
    const line = await h.logs.nth(1);
    assert.equal(line.appId, 'id-demo');
    assert.equal(line.source, 'heroku');
    assert.equal(line.dyno, 'router');
    const m = /^at=info method=GET path="\/hello\?x=1" host=demo\.localhost request_id=[0-9a-f-]{36} fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=(\d+) protocol=http$/.exec(
      line.message,
    );
    assert.ok(m, line.message);
    // bytes = what the dyno sent: its head plus the body.
    assert.ok(Number(m[1]) > Buffer.byteLength(reply.body), line.message);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.logs.lines.length, 1);
  });

  it('reuses a keep-alive connection to the dyno', async () => {
    const c = await startUpstream((_req, res) => res.end('ok'));
    try {
      h.routes.set('keep', { up: [c.target('web.1')] });
      for (let i = 0; i < 5; i++) assert.equal((await request(h.router.port, 'keep.localhost')).body, 'ok');
      assert.equal(c.connections, 1);
    } finally {
      await c.close();
    }
  });
});

describe('router: streaming', () => {
  it('streams a chunked body both ways, without buffering either side', async () => {
    const echo = await startUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      req.on('data', (chunk: Buffer) => res.write(`echo:${chunk.toString()}`));
      req.on('end', () => res.end('done'));
    });
    const h = await startRouter();
    try {
      h.routes.set('stream', { up: [echo.target('web.1')] });
      const req = http.request({ host: '127.0.0.1', port: h.router.port, method: 'POST', path: '/up', headers: { Host: 'stream.localhost', 'Transfer-Encoding': 'chunked' }, agent: false });
      req.write('first');
      const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      res.setEncoding('utf8');
      const chunks: string[] = [];
      const next = (): Promise<string> => new Promise((resolve) => res.once('data', (c: string) => resolve(c)));
      // The second chunk is only sent once the echo of the first came back through the router.
      chunks.push(await next());
      assert.equal(chunks[0], 'echo:first');
      req.write('second');
      chunks.push(await next());
      assert.equal(chunks[1], 'echo:second');
      req.end();
      for await (const c of res) chunks.push(c as string);
      assert.equal(chunks.join(''), 'echo:firstecho:seconddone');
      assert.match((await h.logs.nth(1)).message, /^at=info method=POST path="\/up" .* status=200 bytes=\d+ protocol=http$/);
    } finally {
      await h.close();
      await echo.close();
    }
  });
});

describe('router: H-codes it decides itself', () => {
  let h: Harness;
  before(async () => {
    h = await startRouter({ bootHoldMs: 300, holdPollMs: 20 });
  });
  after(async () => {
    await h.close();
  });
  afterEach(() => {
    h.logs.lines.length = 0;
  });

  it('H14 when web is scaled to 0', async () => {
    h.routes.set('zero', { webQuantity: 0 });
    assertApplicationError(await request(h.router.port, 'zero.localhost'));
    const line = await h.logs.nth(1);
    assert.equal(line.appId, 'id-zero');
    assert.match(line.message, noDynoLine('H14', 'No web processes running', 'zero.localhost'));
  });

  it('H10 when the web dynos crashed', async () => {
    h.routes.set('crashy', { crashed: true });
    assertApplicationError(await request(h.router.port, 'crashy.localhost'));
    assert.match((await h.logs.nth(1)).message, noDynoLine('H10', 'App crashed', 'crashy.localhost'));
  });

  it('H20 when no dyno comes up within the boot hold', async () => {
    h.routes.set('slowboot');
    const started = performance.now();
    assertApplicationError(await request(h.router.port, 'slowboot.localhost'));
    assert.ok(performance.now() - started >= 290);
    assert.match((await h.logs.nth(1)).message, noDynoLine('H20', 'App boot timeout', 'slowboot.localhost'));
  });

  it('holds a request while the dyno boots, then serves it', async () => {
    const up = await startUpstream((_req, res) => res.end('booted'));
    try {
      const route = h.routes.set('booting');
      const pending = request(h.router.port, 'booting.localhost');
      setTimeout(() => route.up.push(up.target('web.1')), 100);
      const reply = await pending;
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'booted');
      assert.match((await h.logs.nth(1)).message, /^at=info .* dyno=web\.1 .* status=200 /);
    } finally {
      await up.close();
    }
  });

  it('H10 when the dynos crash during the hold', async () => {
    const route = h.routes.set('crashlater');
    const pending = request(h.router.port, 'crashlater.localhost');
    setTimeout(() => (route.crashed = true), 60);
    assertApplicationError(await pending);
    assert.match((await h.logs.nth(1)).message, noDynoLine('H10', 'App crashed', 'crashlater.localhost'));
  });

  it('answers 400 to a request without a Host', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: h.router.port, path: '/', setHost: false, agent: false }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.resume();
    assert.equal(res.statusCode, 400);
  });
});

describe('router: lifecycle', () => {
  it('closes idempotently and refuses to listen again', async () => {
    const h = await startRouter();
    await Promise.all([h.router.close(), h.router.close()]);
    await h.router.close();
    await assert.rejects(h.router.listen());
  });
});
