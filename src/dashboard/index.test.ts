// The dashboard's own HTTP on a real server over an in-memory store: the page at / for browsers,
// sign-in (refused, limited per address and per account, accepted with a session cookie), the session's
// page, sign-out.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import { Accounts } from '../accounts/index.ts';
import { LoginThrottle } from '../accounts/throttle.ts';
import { openStore } from '../store/index.ts';
import { Dashboard } from './index.ts';
import { MAX_FAILURES } from './limiter.ts';

test('sign-in through the form: refused, limited per address, then a session cookie and the dashboard', async () => {
  const { db, close } = openStore(':memory:');
  await new Accounts({ db }).ensureOperator('op@example.com', 'the-operator-key', () => 'x');
  const dashboard = new Dashboard({ db, assetsDir: '/nonexistent', secure: false, loginThrottle: new LoginThrottle({ stepMs: 1 }) });
  const server = createServer((req, res) => { if (!dashboard.handle(req, res)) res.writeHead(404).end('api'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) => fetch(`${base}${path}`, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base, ...headers }, body: new URLSearchParams(body),
  });
  try {
    const page = await fetch(`${base}/`, { headers: { Accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /type="password"/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal((await fetch(`${base}/`, { headers: { Accept: 'application/vnd.heroku+json; version=3' } })).status, 404, 'API clients go to the API');

    const forged = await post('/dashboard/sign-in', { email: 'op@example.com', password: 'the-operator-key' }, { Origin: 'http://evil.example' });
    assert.equal(forged.status, 403, 'a sign-in posted from another site is refused');
    assert.equal(forged.headers.get('set-cookie'), null);

    const wrong = await post('/dashboard/sign-in', { email: 'op@example.com', password: 'guess' });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /Wrong email or password/);
    for (let i = 1; i < MAX_FAILURES; i++) await post('/dashboard/sign-in', { email: 'op@example.com', password: `guess${i}` });
    const limited = await post('/dashboard/sign-in', { email: 'op@example.com', password: 'the-operator-key' });
    assert.equal(limited.status, 429, 'past the limit even the right key waits');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);

    // A fresh handler (the limit is per process) to sign in for real.
    const fresh = new Dashboard({ db, assetsDir: '/nonexistent', secure: false, loginThrottle: new LoginThrottle({ stepMs: 1 }) });
    server.removeAllListeners('request');
    server.on('request', (req, res) => { if (!fresh.handle(req, res)) res.writeHead(404).end('api'); });
    const ok = await post('/dashboard/sign-in', { email: 'op@example.com', password: 'the-operator-key' });
    assert.equal(ok.status, 303);
    const cookie = ok.headers.get('set-cookie')!;
    assert.match(cookie, /^slipway_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const shell = await (await fetch(`${base}/`, { headers: { Cookie: cookie.split(';')[0]!, Accept: 'text/html' } })).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(shell)?.[1];
    assert.ok(csrf, 'the shell carries the CSRF token');
    assert.ok(!shell.includes('the-operator-key'));

    assert.equal((await post('/dashboard/sign-out', { csrf: 'wrong' }, { Cookie: cookie.split(';')[0]! })).status, 403, 'sign-out needs the token');
    const out = await post('/dashboard/sign-out', { csrf }, { Cookie: cookie.split(';')[0]! });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.match(await (await fetch(`${base}/`, { headers: { Cookie: cookie.split(';')[0]!, Accept: 'text/html' } })).text(), /type="password"/);
  } finally {
    server.close();
    await close();
  }
});

/** A form POST from a given loopback address (each 127.x.y.z is this machine's): what many clients look like. */
function postFrom(base: string, from: string, form: Record<string, string>): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = request(`${base}/dashboard/sign-in`, {
      method: 'POST', localAddress: from,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), Origin: base },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: text, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('one email guessed at from many addresses: slowed, then refused for a while with the right password too, and logged', async () => {
  const { db, close } = openStore(':memory:');
  const accounts = new Accounts({ db });
  await accounts.create('victim@example.com', 'correct horse battery');
  await accounts.create('bystander@example.com', 'another good password');
  const lines: { msg: string; email?: string; address?: string }[] = [];
  const logger = pino({ base: undefined }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const STEP = 40;
  const dashboard = new Dashboard({ db, assetsDir: '/nonexistent', secure: false, loginThrottle: new LoginThrottle({ slowAfter: 3, lockAfter: 10, stepMs: STEP }), logger });
  const server = createServer((req, res) => { if (!dashboard.handle(req, res)) res.writeHead(404).end('api'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // Ten addresses, one wrong guess each: no address reaches its own limit.
    for (let i = 0; i < 10; i++) {
      const began = performance.now();
      const r = await postFrom(base, `127.0.0.${10 + i}`, { email: i % 2 ? 'VICTIM@example.com ' : 'victim@example.com', password: `guess-${i}` });
      assert.equal(r.status, 401, `guess ${i} is answered as a wrong password`);
      // Past three failures each try waits first (a floor, never a ceiling: timers do not fire early).
      if (i >= 3) assert.ok(performance.now() - began >= (i - 2) * STEP - 2, `guess ${i} was slowed`);
    }
    const refused = await postFrom(base, '127.0.0.30', { email: 'victim@example.com', password: 'correct horse battery' });
    assert.equal(refused.status, 429, 'the account is locked: even its right password waits');
    assert.match(refused.body, /Too many failed sign-ins for this account/);
    assert.ok(Number(refused.retryAfter) > 0);
    assert.ok(lines.some((l) => l.msg === 'dashboard sign-in refused: too many failures for this account' && l.email === 'victim@example.com' && l.address === '127.0.0.30'));
    assert.equal(lines.filter((l) => l.msg === 'dashboard sign-in refused').length, 10, 'each failure is logged');
    // Another account, from an address the attack used, still signs in: the lock is the victim's alone.
    const other = await postFrom(base, '127.0.0.10', { email: 'bystander@example.com', password: 'another good password' });
    assert.equal(other.status, 303);
  } finally {
    server.close();
    await close();
  }
});
