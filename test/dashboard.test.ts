// The dashboard in a real browser (Debian's chromium driven by playwright-core) against a live platform:
// one platform, one browser, the steps in order as a person would take them. Each page's screenshot is
// saved under test-output/dashboard/ for a person to look at.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT, TestPlatform } from './helpers/platform.ts';

const SHOTS = join(ROOT, 'test-output', 'dashboard');
const APP = `dash-${Math.random().toString(36).slice(2, 8)}`;
const EMAIL = 'operator@slipway.local';

describe('dashboard in a browser', { timeout: 20 * 60_000 }, () => {
  const p = new TestPlatform();
  let work = '';
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  before(async () => {
    await promisify(execFile)('npm', ['run', '--silent', 'build:dashboard'], { cwd: ROOT });
    await mkdir(SHOTS, { recursive: true });
    work = await mkdtemp(join(tmpdir(), 'slipway-dash-'));
    await p.start();
    await p.deployFixture('node-app', APP, work, 'node-app-v1');
    // A dead proxy keeps the browser off every address but loopback.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--proxy-server=http://127.0.0.1:9'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('serves the sign-in page to browsers and JSON to API clients at /', async () => {
    const html = await fetch(`${p.api}/`, { headers: { Accept: 'text/html' } });
    assert.equal(html.status, 200);
    assert.match(await html.text(), /type="password"/);
    const json = await p.request('GET', '/');
    assert.equal(json.body.name, 'slipway');
  });

  it('refuses a wrong password', async () => {
    await page.goto(`${p.api}/`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', 'not-the-key');
    const [res] = await Promise.all([page.waitForResponse('**/dashboard/sign-in'), page.click('button[type=submit]')]);
    assert.equal(res.status(), 401);
    assert.match(await page.textContent('[role=alert]') ?? '', /Wrong email or password/);
    assert.equal((await page.context().cookies()).length, 0);
    await shot('sign-in-refused');
  });

  it('signs in and lists the apps', async () => {
    await page.fill('#email', EMAIL);
    await page.fill('#password', p.key);
    await page.click('button[type=submit]');
    const row = page.locator('table.apps tr', { hasText: APP });
    await row.waitFor();
    assert.match(await row.textContent() ?? '', /web=1:Standard-1X/);
    assert.match(await row.textContent() ?? '', /v\d+ by operator@slipway\.local/);
    const [cookie] = await page.context().cookies();
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    // The page holds no API key anywhere a script could read it.
    assert.ok(!(await page.content()).includes(p.key));
    await shot('apps');
  });

  it('refuses API requests with the cookie but without the CSRF token, or from another origin', async () => {
    const status = (headers: Record<string, string>) => page.evaluate(async (h) => (await fetch('/apps', { headers: h })).status, headers);
    const csrf = await page.getAttribute('meta[name=csrf-token]', 'content');
    assert.equal(await status({ Accept: 'application/vnd.heroku+json; version=3' }), 401);
    assert.equal(await status({ Accept: 'application/vnd.heroku+json; version=3', 'X-CSRF-Token': 'wrong' }), 401);
    assert.equal(await status({ Accept: 'application/vnd.heroku+json; version=3', 'X-CSRF-Token': csrf! }), 200);
    // The same cookie and token, sent as another site's page would send them.
    const [cookie] = await page.context().cookies();
    const forged = await fetch(`${p.api}/apps/${APP}`, {
      method: 'DELETE', headers: { Cookie: `${cookie!.name}=${cookie!.value}`, 'X-CSRF-Token': csrf!, Origin: 'http://evil.localhost:1234' },
    });
    assert.equal(forged.status, 401);
    assert.equal((await p.request('GET', `/apps/${APP}`)).status, 200);
  });
});
