// Issue #9, point 1: one request must not stop the platform. Malformed request lines, targets, headers,
// bodies and encodings go, unauthenticated and authenticated, raw over TCP to every listener: the API
// port (the JSON API, git smart HTTP, slug blobs, output streams, log sessions), the router (HAProxy
// and the Node router behind it), and the `run` rendezvous (TLS and plain junk). After each one the
// platform must still answer the API and route to an app, and no HTTP answer may be a 5xx.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:http';
import { GitHttp } from '../src/git/http.ts';
import { Repos } from '../src/git/repos.ts';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';

/** Writes `bytes` to a fresh connection, reads what comes back for at most `ms`, and returns it. */
function raw(port: number, bytes: Buffer | string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let got = '';
    const done = () => { clearTimeout(timer); s.destroy(); resolve(got); };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => { got += d.toString('latin1'); if (got.length > 64 * 1024) done(); });
    s.on('error', done);
    s.on('close', done);
    s.on('connect', () => s.write(bytes));
  });
}

/** The status of the first HTTP answer in `text`, if any. */
const statusOf = (text: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);

const id = randomUUID();
const targets = [
  '//x:99999/', '//[::1/', '/%zz', '//a@b:c/', '/apps/%00', '/victim.git/info/refs?service=git-upload-pack%',
  '/victim.git/info/refs?service=git-receive-pack', '//victim.git/info/refs', '/victim.git/../../../etc/passwd',
  `/streams/builds/${id}`, `/streams/builds/${id}?secret=%zz`, `/streams/releases/${id}?secret=`, `/sessions/%zz`,
  `/slug-blobs/${id}?expires=abc&signature=%`, `/slug-blobs/${id}?expires=99999999999999999999&signature=x`,
  '*', 'http://x:99999/', 'http://[::1/', `/${'a'.repeat(20_000)}`, '/apps?%%%=%%%', '/\u00ff\u00fe', '/apps/%E0%A4%A',
];

const lines: (string | Buffer)[] = [
  'GARBAGE\r\n\r\n', 'GET\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n', Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]),
  'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 'GET / HTTP/1.1\r\nHost: victim.localhost:99999\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n',
  `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`, 'GET / HTTP/1.1\r\nHost: x\r\nX-Ctl: a\u0001b\r\n\r\n',
  'POST /apps HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 'POST /apps HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  'POST /apps HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  'POST /apps HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nnothex\r\nabc\r\n0\r\n\r\n',
  'POST /apps HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort', 'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %%%%\r\n\r\n',
  `GET /apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'k'.repeat(8000)}\r\n\r\n`,
  'GET /victim.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \u00ff\u00ff\r\n\r\n',
];

describe('malformed requests to every listener', () => {
  const p = new TestPlatform();
  let work: string;
  let rendezvousPort = 0;
  let basic = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-requests-'));
    await p.start();
    await p.request('POST', '/apps', { name: 'victim' });
    const dir = join(work, 'victim');
    await makeRepo(dir, appFiles('victim-ok'));
    const push = await p.push(dir, 'victim');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('victim', 'victim-ok');
    rendezvousPort = Number(/rendezvous:\/\/[^:\s]+:(\d+)/.exec(p.output)?.[1]);
    assert.ok(rendezvousPort > 0, `the platform names its rendezvous port:\n${p.output}`);
    basic = Buffer.from(`:${p.key}`).toString('base64');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const alive = async (after: string) => {
    const api = await p.request('GET', '/apps').catch((e: Error) => ({ status: 0, body: e.message }));
    assert.equal(api.status, 200, `the API stopped answering after ${after}`);
    const app = await p.route('victim').catch((e: Error) => ({ status: 0, body: e.message }));
    assert.match(app.body, /victim-ok/, `the router stopped serving after ${after}`);
  };


  test('malformed targets, unauthenticated and authenticated, on the API port', async () => {
    for (const t of targets) {
      for (const auth of ['', `Authorization: Basic ${basic}\r\n`]) {
        const answer = await raw(p.apiPort, `GET ${t} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);
        const status = statusOf(answer);
        assert.ok(status === 0 || status < 500, `GET ${t.slice(0, 60)} answered ${answer.slice(0, 200)}`);
        await alive(`GET ${t.slice(0, 60)}`);
      }
    }
    // The targets of the issue: each a 4xx.
    for (const t of ['//x:99999/', '/%zz', '/victim.git/info/refs?service=git-upload-pack%']) {
      const status = statusOf(await raw(p.apiPort, `GET ${t} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${basic}\r\nConnection: close\r\n\r\n`));
      assert.ok(status >= 400 && status < 500, `GET ${t} answered ${status}`);
    }
  });


  test('malformed request lines, headers and bodies on the API port and the router', async () => {
    for (const port of [p.apiPort, p.routerPort]) {
      for (const l of lines) {
        const text = typeof l === 'string' ? l.replace('Host: x\r\n', port === p.routerPort ? 'Host: victim.localhost\r\n' : 'Host: 127.0.0.1\r\n') : l;
        const answer = await raw(port, text);
        const status = statusOf(answer);
        const what = `${port === p.apiPort ? 'API' : 'router'}: ${JSON.stringify(String(l).slice(0, 60))}`;
        assert.ok(status === 0 || status < 500, `${what} answered ${answer.slice(0, 200)}`);
        await alive(what);
      }
    }
  });

  test('the router answers bad targets and Hosts without falling over', async () => {
    for (const t of targets.slice(0, 8)) {
      for (const host of ['victim.localhost', '[::1', 'victim.localhost:99999', '', '%zz.localhost']) {
        const answer = await raw(p.routerPort, `GET ${t} HTTP/1.1\r\n${host ? `Host: ${host}\r\n` : ''}Connection: close\r\n\r\n`);
        const status = statusOf(answer);
        // The app itself may answer anything for its own paths; the router's own answers are never 5xx here.
        if (!host.startsWith('victim.localhost')) assert.ok(status === 0 || status < 500, `router ${t} Host ${host}: ${answer.slice(0, 200)}`);
      }
      await alive(`router GET ${t.slice(0, 60)}`);
    }
  });

  test('git requests with broken bodies and encodings answer 4xx', async () => {
    const post = (service: string, headers: string, body: Buffer | string) => raw(p.apiPort, Buffer.concat([
      Buffer.from(`POST /victim.git/${service} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${basic}\r\nContent-Type: application/x-${service}-request\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`),
      Buffer.from(body),
    ]), 10_000);
    const cases: [string, string, Buffer | string, RegExp][] = [
      ['git-upload-pack', 'Content-Encoding: gzip\r\n', 'not gzip at all', /^HTTP\/1\.1 400/],
      ['git-receive-pack', 'Content-Encoding: gzip\r\n', 'not gzip at all', /^HTTP\/1\.1 400/],
      ['git-upload-pack', 'Content-Encoding: gzip\r\n', gzipSync(Buffer.from('0032want 0000000000000000000000000000000000000000\n')).subarray(0, 20), /^HTTP\/1\.1 (400|200)/],
      ['git-upload-pack', 'Content-Encoding: br\r\n', 'xx', /^HTTP\/1\.1 415/],
      ['git-upload-pack', '', 'garbage that is no pkt-line', /^HTTP\/1\.1 (400|200)/],
      ['git-receive-pack', '', 'garbage that is no pkt-line', /^HTTP\/1\.1 (400|200)/],
      ['git-upload-pack', 'Content-Encoding: gzip\r\n', gzipSync(Buffer.alloc(4 * 1024 * 1024)), /^HTTP\/1\.1 (400|200)/],
    ];
    for (const [service, headers, body, expected] of cases) {
      const answer = await post(service, headers, body);
      assert.match(answer, expected, `${service} ${headers.trim()} ${String(body).slice(0, 30)}: ${answer.slice(0, 200)}`);
      await alive(`${service} with ${headers.trim() || 'no encoding'}`);
    }
    const refs = await p.request('GET', '/apps/victim/releases');
    assert.equal(refs.body.length, 1, 'no release came of them');
  });

  test('the rendezvous drops junk, plain or over TLS, and keeps attaching', async () => {
    for (const junk of ['GET / HTTP/1.1\r\n\r\n', Buffer.from([22, 3, 1, 0, 5, 1, 2, 3, 4, 5]), Buffer.alloc(5000, 0x41)]) {
      await raw(rendezvousPort, junk, 2000);
      await alive('junk to the rendezvous');
    }
    for (const line of ['%zz\r\n', `${'s'.repeat(5000)}`, '\u0000\u00ff\r\n', 'x?y?z\r\n']) {
      await new Promise<void>((resolve) => {
        const s = tlsConnect({ port: rendezvousPort, host: '127.0.0.1', rejectUnauthorized: false }, () => s.write(line));
        const timer = setTimeout(() => s.destroy(), 3000);
        s.on('data', () => undefined);
        s.on('error', () => undefined);
        s.on('close', () => { clearTimeout(timer); resolve(); });
      });
      await alive(`TLS line ${JSON.stringify(line.slice(0, 20))} to the rendezvous`);
    }
    const run = await p.request('POST', '/apps/victim/dynos', { command: 'echo still-attaching', attach: true });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    assert.match(run.body.attach_url, /^rendezvous:\/\//);
  });

  test('the platform log shows it kept serving, and nothing was left uncaught', () => {
    assert.doesNotMatch(p.output, /uncaught exception|unhandled rejection/i, p.output.split('\n').filter((l) => /uncaught|unhandled/i.test(l)).join('\n'));
  });
});

describe('malformed requests to the Node router alone (SLIPWAY_ROUTER=node)', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-noderouter-'));
    await p.start({ SLIPWAY_ROUTER: 'node' });
    await p.request('POST', '/apps', { name: 'victim' });
    const dir = join(work, 'victim');
    await makeRepo(dir, appFiles('victim-ok'));
    const push = await p.push(dir, 'victim');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('victim', 'victim-ok');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('bad request lines, targets, Hosts, headers and bodies are answered, and it keeps routing', async () => {
    const cases: (string | Buffer)[] = [
      ...lines.map((l) => (typeof l === 'string' ? l.replace('Host: x\r\n', 'Host: victim.localhost\r\n') : l)),
      ...targets.slice(0, 10).flatMap((t) => ['[::1', 'victim.localhost:99999', '%zz.localhost', 'victim.localhost'].map((h) => `GET ${t} HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`)),
      'GET / HTTP/1.1\r\nHost: victim.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %%%\r\n\r\n',
      'GET //x:99999/ HTTP/1.1\r\nHost: [::1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    ];
    for (const c of cases) {
      const answer = await raw(p.routerPort, c);
      const status = statusOf(answer);
      const what = JSON.stringify(String(c).slice(0, 60));
      if (!/Host: victim\.localhost\r/.test(String(c))) assert.ok(status === 0 || status < 500, `${what} answered ${answer.slice(0, 200)}`);
      assert.equal((await p.request('GET', '/apps')).status, 200, `the API after ${what}`);
      assert.match((await p.route('victim')).body, /victim-ok/, `the router after ${what}`);
    }
    assert.doesNotMatch(p.output, /uncaught exception|unhandled rejection/i);
  });
});

describe('git smart HTTP when git itself cannot run', () => {
  // The fault is real: git is not on the PATH of the process while the requests are served.
  test('a spawn error is answered (400, or a cut connection once the 200 went out), never thrown', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-sec-nogit-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const repos = new Repos(join(dir, 'repos'));
    await repos.create('a1');
    const git = new GitHttp({
      repos, authenticate: async () => ({ id: 'u1', email: 'u@example.com' }), findApp: async (_user, name) => ({ id: 'a1', name }),
      hookUrl: 'http://127.0.0.1:9/internal/hooks/pre-receive',
    });
    const server = createServer((req, res) => { if (!git.handle(req, res)) res.writeHead(404).end(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'empty');
    try {
      for (const service of ['git-upload-pack', 'git-receive-pack']) {
        const answer = await raw(port, `POST /victim.git/${service} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\n0000`);
        assert.match(answer, /^HTTP\/1\.1 400 [\s\S]*git could not run/, `${service}: ${answer.slice(0, 200)}`);
      }
      const refs = await raw(port, 'GET /victim.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.ok(!/^HTTP\/1\.1 5/.test(refs), refs.slice(0, 200));
      assert.equal(git.pushes.size, 0, 'no push is left waiting for a hook');
    } finally {
      process.env.PATH = path;
    }
    const ok = await raw(port, 'GET /victim.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(ok, /^HTTP\/1\.1 200[\s\S]*# service=git-upload-pack/, 'with git back, it serves');
  });
});
