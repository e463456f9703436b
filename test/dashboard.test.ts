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
    await p.start({ SLIPWAY_METRICS_INTERVAL: '2' });
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
    // By keyboard alone: type in the filter, tab to the app's link, open it.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'search', 'Tab reaches the filter after the header\'s links');
    await page.keyboard.type(APP);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), APP);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/#/apps/${APP}`);
    await page.goto(`${p.api}/`);
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

  const tab = async (name: string) => {
    await page.goto(`${p.api}/#/apps/${APP}/${name}`);
    await page.waitForSelector(`.tabs a[aria-current=page]:text("${name[0]!.toUpperCase()}${name.slice(1)}")`);
  };

  it('shows the overview', async () => {
    await tab('overview');
    await page.locator('.card', { hasText: 'Dyno formation' }).getByText('web').waitFor();
    await shot('overview');
  });

  it('scales a process type in place and the dynos appear', async () => {
    await tab('resources');
    await page.fill('input[name=quantity-worker]', '1');
    await page.click('form[aria-label="Scale worker"] button[type=submit]');
    await page.locator('table.dynos tr', { hasText: 'worker.1' }).locator('.badge.up').waitFor({ timeout: 90_000 });
    const formation = await p.request('GET', `/apps/${APP}/formation/worker`);
    assert.equal(formation.body.quantity, 1);
    await shot('resources');
  });

  it('sets a config var, masked until revealed, and the release shows in the activity', async () => {
    await tab('settings');
    await page.fill('form[aria-label="Set a config var"] input[name=key]', 'DASH_COLOR');
    await page.fill('form[aria-label="Set a config var"] input[name=value]', 'teal-secret');
    await page.click('form[aria-label="Set a config var"] button[type=submit]');
    const row = page.locator('table.vars tr', { hasText: 'DASH_COLOR' });
    await row.waitFor();
    assert.ok(!(await row.textContent())!.includes('teal-secret'), 'the value is masked');
    await page.click('text=Reveal config vars');
    await row.getByText('teal-secret').waitFor();
    await shot('settings');
    await tab('activity');
    await page.locator('.timeline li.release', { hasText: 'Set DASH_COLOR config vars' }).waitFor();
    // The build's output, read from its output stream.
    await page.locator('.timeline li.build').getByRole('button', { name: 'Build output' }).click();
    await page.locator('pre.output', { hasText: '-----> ' }).waitFor();
    await shot('activity');
  });

  it('rolls back to an earlier release', async () => {
    const before = (await p.request('GET', `/apps/${APP}/releases`)).body.length;
    await page.locator('.timeline li.release', { hasText: 'Deploy' }).getByRole('button', { name: /Roll back to v\d+/ }).click();
    await page.locator('.timeline li.release', { hasText: /Rollback to v\d+/ }).waitFor();
    const releases = (await p.request('GET', `/apps/${APP}/releases`)).body;
    assert.equal(releases.length, before + 1);
    assert.match(releases.at(-1).description, /^Rollback to v\d+/);
    const vars = (await p.request('GET', `/apps/${APP}/config-vars`)).body;
    assert.equal(vars.DASH_COLOR, undefined, 'the rollback took the config var away');
  });

  it('shows a new log line live, and holds lines while paused', async () => {
    await tab('logs');
    await page.locator('.logs .l.app').first().waitFor();
    const probe = `/dash-probe-${Date.now()}`;
    await p.route(APP, probe);
    await page.locator('.logs .l', { hasText: `GET ${probe}` }).waitFor({ timeout: 30_000 });
    await page.click('button:text("Pause")');
    const held = `/dash-held-${Date.now()}`;
    await p.route(APP, held);
    await page.waitForSelector('text=/Paused \\([1-9]\\d* new lines held\\)/', { timeout: 30_000 });
    assert.equal(await page.locator('.logs .l', { hasText: `GET ${held}` }).count(), 0);
    await page.click('button:text("Resume")');
    await page.locator('.logs .l', { hasText: `GET ${held}` }).waitFor();
    await shot('logs');
    // Filtered to web.1's own output: a new session, whose every line is app[web.1], and the router's
    // line for the same request (in the app's log, as the API shows) is not among them.
    await page.fill('input[name=dyno]', 'web.1');
    await page.press('input[name=dyno]', 'Enter');
    await page.selectOption('select[name=source]', 'app');
    const filtered = `/dash-filtered-${Date.now()}`;
    await p.route(APP, filtered);
    await page.locator('.logs .l', { hasText: `GET ${filtered}` }).waitFor({ timeout: 30_000 });
    await p.waitForLog(APP, new RegExp(`heroku\\[router\\].*path="${filtered}"`));
    const shown = await page.locator('.logs .l').allTextContents();
    assert.deepEqual(shown.filter((l) => !/ app\[web\.1\]: /.test(l)), [], 'only web.1\'s app lines are shown');
  });

  it('draws the metrics charts from router traffic and dyno samples', async () => {
    for (let i = 0; i < 40; i++) await p.route(APP, `/metrics-${i}`);
    // Maintenance mode answers H80 at the router: an error by H-code for the chart.
    await p.request('PATCH', `/apps/${APP}`, { maintenance: true });
    for (let i = 0; i < 50 && (await p.route(APP, '/during-maintenance')).status !== 503; i++) await page.waitForTimeout(200);
    await p.request('PATCH', `/apps/${APP}`, { maintenance: false });
    await p.waitFor(APP, 'node-app-v1');
    await tab('metrics');
    const points = (title: string) => page.locator('figure.chart', { hasText: title }).getAttribute('data-points').then(Number);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && ((await points('Response time')) === 0 || (await points('Memory')) === 0 || (await points('Router errors')) === 0)) {
      await page.waitForTimeout(1000);
    }
    for (const title of ['Response time', 'Throughput', 'Router errors', 'Memory', 'Load']) {
      assert.ok((await points(title)) > 0, `${title} has data points`);
      // uPlot draws its canvas just after the figure renders (and again when a series is added, e.g. H80's):
      // wait for it rather than race the effect.
      const canvas = page.locator('figure.chart', { hasText: title }).locator('canvas');
      for (let i = 0; i < 100 && (await canvas.count()) !== 1; i++) await page.waitForTimeout(100);
      assert.equal(await canvas.count(), 1, `${title} is drawn on one canvas`);
    }
    assert.match(await page.locator('figure.chart', { hasText: 'Router errors' }).textContent() ?? '', /H80/);
    await shot('metrics');
    await page.click('text=Last 24 hours');
    await page.waitForTimeout(1500);
    assert.ok((await points('Response time')) > 0);
    await shot('metrics-24h');
    // The overview counts the same last hour: the requests above, the maintenance page's 503s among the
    // 5xx errors, and the releases in the latest activity.
    await tab('overview');
    const hour = page.locator('.card', { hasText: 'Last hour' });
    await hour.getByText(/requests/).waitFor();
    const [, requests, errors] = /(\d+) requests? · (\d+) 5xx/.exec(await hour.textContent() ?? '') ?? [];
    assert.ok(Number(requests) >= 40, `${requests} requests counted`);
    assert.ok(Number(errors) >= 1, `${errors} 5xx errors counted`);
    assert.match(await page.locator('ul.activity').textContent() ?? '', /Rollback to v\d+/);
    await shot('overview-traffic');
  });

  it('creates an add-on, upgrades its plan, and destroys it once its name is typed', async () => {
    await tab('resources');
    await page.selectOption('select[name=service]', 'heroku-redis');
    await page.click('form[aria-label="Create an add-on"] button[type=submit]');
    const row = page.locator('table.addons tr', { hasText: 'REDIS_URL' });
    const refused = page.locator('form[aria-label="Create an add-on"] [role=alert]');
    await row.or(refused).waitFor({ timeout: 120_000 });
    assert.equal(await refused.count(), 0, `the add-on was refused: ${await refused.textContent().catch(() => '')}\n${p.output.split('\n').slice(-15).join('\n')}`);
    const name = (await row.locator('strong').textContent())!;
    assert.match(name, /^redis-/);
    await shot('resources-addon');
    // Upgraded in place: the plan picker, then the API says the new plan.
    await row.locator(`form[aria-label="Change the plan of ${name}"] select`).selectOption('heroku-redis:premium-0');
    await row.getByRole('button', { name: 'Upgrade' }).click();
    const plan = async () => (await p.request('GET', `/apps/${APP}/addons`)).body[0]?.plan?.name;
    for (let i = 0; i < 300 && (await plan()) !== 'heroku-redis:premium-0'; i++) await page.waitForTimeout(200);
    assert.equal(await plan(), 'heroku-redis:premium-0');
    assert.equal(await row.locator('[role=alert]').count(), 0);
    await row.getByRole('button', { name: 'Destroy…' }).click();
    const destroy = row.getByRole('button', { name: 'Destroy add-on' });
    assert.equal(await destroy.isDisabled(), true, 'destroy waits for the name');
    await row.getByLabel(/Type .* to confirm/).fill(name);
    await destroy.click();
    await page.locator('table.addons tr', { hasText: name }).waitFor({ state: 'detached', timeout: 60_000 });
    assert.equal((await p.request('GET', `/apps/${APP}/addons`)).body.length, 0);
  });

  it('reads at a phone\'s width, shows Access, and measures the apps list\'s first load', async () => {
    await tab('access');
    await shot('access');
    // A new context has an empty cache: the first load a person has, at a phone's width.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await phone.addCookies(await page.context().cookies());
    const first = await phone.newPage();
    const started = Date.now();
    await first.goto(`${p.api}/`);
    await first.locator('table.apps tr', { hasText: APP }).waitFor();
    const ms = Date.now() - started;
    const assets = await first.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/dashboard/assets/'))
      .map((e) => `${e.name.replace(/.*\//, '').replace(/\?.*/, '')} ${(e as PerformanceResourceTiming).encodedBodySize} B`).join(', '));
    console.log(`# apps list, first load with an empty cache: ${ms} ms from navigation to the table drawn; assets (as sent, gzipped): ${assets}`);
    await first.screenshot({ path: join(SHOTS, 'apps-phone.png'), fullPage: true });
    await first.goto(`${p.api}/#/apps/${APP}/resources`);
    await first.locator('table.dynos').waitFor();
    await first.screenshot({ path: join(SHOTS, 'resources-phone.png'), fullPage: true });
    await phone.close();
  });

  it('signs out: the cookie no longer reaches the API', async () => {
    const [cookie] = await page.context().cookies();
    const csrf = await page.getAttribute('meta[name=csrf-token]', 'content');
    await page.goto(`${p.api}/`);
    await page.click('text=Sign out');
    await page.waitForSelector('input[type=password]');
    const after = await fetch(`${p.api}/apps`, { headers: { Cookie: `${cookie!.name}=${cookie!.value}`, 'X-CSRF-Token': csrf!, Accept: 'application/vnd.heroku+json; version=3' } });
    assert.equal(after.status, 401);
  });
});
