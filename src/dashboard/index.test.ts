// The dashboard's own HTTP on a real server over an in-memory store: the page at / for browsers,
// sign-in (refused, limited, accepted with a session cookie), the session's page, sign-out.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Accounts } from '../accounts/index.ts';
import { openStore } from '../store/index.ts';
import { Dashboard } from './index.ts';
import { MAX_FAILURES } from './limiter.ts';

test('sign-in through the form: refused, limited per address, then a session cookie and the dashboard', async () => {
  const { db, close } = openStore(':memory:');
  await new Accounts({ db }).ensureOperator('op@example.com', 'the-operator-key', () => 'x');
  const dashboard = new Dashboard({ db, assetsDir: '/nonexistent', secure: false });
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
    const fresh = new Dashboard({ db, assetsDir: '/nonexistent', secure: false });
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
