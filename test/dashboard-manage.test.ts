// The dashboard's managing pages in a real browser (Debian's chromium driven by playwright-core) against a
// live platform, one platform and one browser for the file: the apps list's cost and who sees what,
// Settings (domains, certificates, buildpacks, maintenance, rename, delete), the Deploy tab (pipeline,
// git remotes, a build from a tarball URL), and the sign-in's per-account limit under a many-address
// attack. Each check is what the page shows and what the API then says. Screenshots go to
// test-output/dashboard/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);
const SHOTS = join(ROOT, 'test-output', 'dashboard');
const TAG = Math.random().toString(36).slice(2, 7);
const EMAIL = 'operator@slipway.local';

describe('dashboard: managing apps in a browser', { timeout: 20 * 60_000 }, () => {
  const p = new TestPlatform();
  let work = '';
  let files: Server;
  let filesUrl = '';
  let browser: Browser;
  let page: Page;
  /** The API key of a second account, which owns one app of its own. */
  let devKey = '';
  const shot = (name: string, on = page) => on.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const signIn = async (on: Page, email: string, password: string) => {
    await on.goto(`${p.api}/`);
    await on.fill('#email', email);
    await on.fill('#password', password);
    await on.click('button[type=submit]');
    await on.locator('table.apps').or(on.getByText('No apps yet')).first().waitFor();
  };
  const tab = async (app: string, name: string) => {
    await page.goto(`${p.api}/#/apps/${app}/${name}`);
    await page.waitForSelector(`.tabs a[aria-current=page]:text("${name[0]!.toUpperCase()}${name.slice(1)}")`);
  };
  const createApp = async (name: string, key = p.key) => {
    const r = await p.request('POST', '/apps', { name }, { Authorization: `Bearer ${key}` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  before(async () => {
    await run('npm', ['run', '--silent', 'build:dashboard'], { cwd: ROOT });
    await mkdir(SHOTS, { recursive: true });
    work = await mkdtemp(join(tmpdir(), 'slipway-dash-manage-'));
    // The tarball the Deploy tab builds from, served on loopback (allowed below, as an operator would).
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'node-app'), join(work, 'src'), { recursive: true });
    // With a release phase, whose output Activity shows under the release it made.
    await appendFile(join(work, 'src', 'Procfile'), `release: echo "release phase ran ${TAG}"\n`);
    await run('tar', ['-czf', join(work, 'app.tgz'), '-C', join(work, 'src'), '.']);
    files = createServer(async (req, res) => {
      if (req.url === '/app.tgz') res.end(await readFile(join(work, 'app.tgz')));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8' });
    // A dead proxy keeps the browser off every address but loopback.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--proxy-server=http://127.0.0.1:9'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    files?.close();
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists many apps with one API request per refresh, and an account sees only the apps it reaches', async () => {
    for (let i = 0; i < 30; i++) await createApp(`dm-${TAG}-${i}`);
    assert.equal((await p.request('POST', '/accounts', { email: `dev-${TAG}@example.com`, password: 'dev password 123' })).status, 201);
    const login = await fetch(`${p.api}/oauth/authorizations`, {
      method: 'POST', headers: { Accept: 'application/vnd.heroku+json; version=3', 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`dev-${TAG}@example.com:dev password 123`).toString('base64')}` }, body: '{}',
    });
    devKey = (await login.json()).access_token.token as string;
    await createApp(`dev-${TAG}`, devKey);

    const calls: string[] = [];
    page.on('request', (r) => { if (r.resourceType() === 'fetch') calls.push(new URL(r.url()).pathname); });
    await signIn(page, EMAIL, p.key);
    const rows = page.locator('table.apps tbody tr');
    await page.locator('table.apps tr', { hasText: `dm-${TAG}-29` }).waitFor();
    assert.equal(await rows.count(), 31, 'the operator sees every app');
    // The list refreshes every 10 s: wait for one refresh, then count what the list cost.
    for (let i = 0; i < 150 && calls.filter((c) => c === '/app-summaries').length < 2; i++) await page.waitForTimeout(100);
    assert.deepEqual(calls, ['/app-summaries', '/app-summaries'], 'one request for 31 apps, and one per refresh');
    assert.match(await page.locator('table.apps tr', { hasText: `dev-${TAG}` }).textContent() ?? '', new RegExp(`dev-${TAG}@example\\.com.*none.*no dynos`));
    await shot('apps-many');

    // The other account, in its own browser context: its app only.
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const dev = await other.newPage();
    await signIn(dev, `dev-${TAG}@example.com`, 'dev password 123');
    await dev.locator('table.apps tr', { hasText: `dev-${TAG}` }).waitFor();
    assert.equal(await dev.locator('table.apps tbody tr').count(), 1, 'an account sees only the apps it reaches');
    await other.close();
    const theirs = await p.request('GET', '/app-summaries', undefined, { Authorization: `Bearer ${devKey}` });
    assert.deepEqual(theirs.body.map((a: { name: string }) => a.name), [`dev-${TAG}`]);
    // The summary says what the separate calls say.
    const mine = (await p.request('GET', '/app-summaries')).body.find((a: { name: string }) => a.name === `dev-${TAG}`);
    assert.equal(mine.owner.email, `dev-${TAG}@example.com`);
    assert.deepEqual(mine.formation, []);
    assert.equal(mine.current_release?.version ?? null, (await p.request('GET', `/apps/dev-${TAG}/releases`)).body.filter((r: { status: string }) => r.status === 'succeeded').at(-1)?.version ?? null);
  });

  it('Settings: adds and removes a domain and its certificate', async () => {
    const app = `dm-${TAG}-1`;
    const host = `www.${app}.example.test`;
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`,
      '-keyout', join(work, 'k.pem'), '-out', join(work, 'c.pem')]);
    await tab(app, 'settings');
    await page.fill('form[aria-label="Add a domain"] input[name=hostname]', host);
    await page.click('form[aria-label="Add a domain"] button[type=submit]');
    const domain = page.locator('ul.domains li', { hasText: host });
    await domain.getByText(/DNS target/).waitFor();
    assert.ok((await p.request('GET', `/apps/${app}/domains`)).body.some((d: { hostname: string }) => d.hostname === host));

    await page.fill('form[aria-label="Add a certificate"] textarea[name=chain]', await readFile(join(work, 'c.pem'), 'utf8'));
    await page.fill('form[aria-label="Add a certificate"] textarea[name=key]', await readFile(join(work, 'k.pem'), 'utf8'));
    await page.click('form[aria-label="Add a certificate"] button[type=submit]');
    const cert = page.locator('ul.certs li', { hasText: host });
    await cert.waitFor();
    const endpoints = (await p.request('GET', `/apps/${app}/sni-endpoints`)).body;
    assert.equal(endpoints.length, 1);
    assert.deepEqual(endpoints[0].ssl_cert.cert_domains, [host]);
    assert.equal(await page.locator('form[aria-label="Add a certificate"] textarea[name=key]').inputValue(), '', 'the key is not left on the page');
    await shot('settings-domains');

    await cert.getByRole('button', { name: 'Remove' }).click();
    await cert.waitFor({ state: 'detached' });
    assert.equal((await p.request('GET', `/apps/${app}/sni-endpoints`)).body.length, 0);
    await domain.getByRole('button', { name: 'Remove' }).click();
    await domain.waitFor({ state: 'detached' });
    assert.ok(!(await p.request('GET', `/apps/${app}/domains`)).body.some((d: { hostname: string }) => d.hostname === host));
    // A bad hostname is refused with the API's message, and nothing is added.
    await page.fill('form[aria-label="Add a domain"] input[name=hostname]', 'not a host');
    await page.click('form[aria-label="Add a domain"] button[type=submit]');
    await page.locator('.card', { hasText: 'Domains' }).locator('[role=alert]').waitFor();
    assert.equal((await p.request('GET', `/apps/${app}/domains`)).body.filter((d: { kind: string }) => d.kind === 'custom').length, 0);
  });

  it('Settings: edits and removes a config var, sets and removes a buildpack, turns maintenance on and off', async () => {
    const app = `dm-${TAG}-2`;
    await tab(app, 'settings');
    const releases = async () => (await p.request('GET', `/apps/${app}/releases`)).body as { description: string }[];
    const before = (await releases()).length;
    const vars = 'form[aria-label="Set a config var"]';
    await page.fill(`${vars} input[name=key]`, 'EDIT_ME');
    await page.fill(`${vars} input[name=value]`, 'first');
    await page.click(`${vars} button[type=submit]`);
    const row = page.locator('table.vars tr', { hasText: 'EDIT_ME' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    assert.equal(await page.inputValue(`${vars} input[name=value]`), 'first', 'Edit puts the value in the form');
    await page.fill(`${vars} input[name=value]`, 'second');
    await page.click(`${vars} button[type=submit]`);
    for (let i = 0; i < 100 && (await p.request('GET', `/apps/${app}/config-vars`)).body.EDIT_ME !== 'second'; i++) await page.waitForTimeout(100);
    assert.equal((await p.request('GET', `/apps/${app}/config-vars`)).body.EDIT_ME, 'second');
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await p.request('GET', `/apps/${app}/config-vars`)).body.EDIT_ME, undefined);
    const made = (await releases()).slice(before).map((r) => r.description);
    assert.deepEqual(made, ['Set EDIT_ME config vars', 'Set EDIT_ME config vars', 'Remove EDIT_ME config vars'], 'each change is a release');
    await page.fill('form[aria-label="Add a buildpack"] input[name=buildpack]', 'heroku/nodejs');
    await page.click('form[aria-label="Add a buildpack"] button[type=submit]');
    await page.locator('ol.buildpacks li', { hasText: 'nodejs' }).waitFor();
    const set = (await p.request('GET', `/apps/${app}/buildpack-installations`)).body;
    assert.equal(set.length, 1);
    assert.match(set[0].buildpack.url, /nodejs/);
    await page.locator('ol.buildpacks li', { hasText: 'nodejs' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByText('None set: each build detects its buildpacks.').waitFor();
    assert.equal((await p.request('GET', `/apps/${app}/buildpack-installations`)).body.length, 0);

    await page.getByRole('button', { name: 'Turn maintenance on' }).click();
    await page.getByText('Maintenance mode is on').waitFor();
    assert.equal((await p.request('GET', `/apps/${app}`)).body.maintenance, true);
    await shot('settings-maintenance');
    await page.goto(`${p.api}/`);
    const listed = page.locator('table.apps tr').filter({ has: page.getByRole('link', { name: app, exact: true }) });
    assert.match(await listed.locator('.badge').textContent() ?? '', /maintenance/);
    await tab(app, 'settings');
    await page.getByRole('button', { name: 'Turn maintenance off' }).click();
    await page.getByText('Maintenance mode is off').waitFor();
    assert.equal((await p.request('GET', `/apps/${app}`)).body.maintenance, false);
  });

  it('Settings: renames an app, and deletes it only once its name is typed', async () => {
    const app = `dm-${TAG}-3`;
    const renamed = `dm-${TAG}-renamed`;
    await tab(app, 'settings');
    await page.fill('form[aria-label="Rename the app"] input[name=name]', renamed);
    await page.click('form[aria-label="Rename the app"] button[type=submit]');
    await page.waitForURL(`**/#/apps/${renamed}/settings`);
    await page.locator('.crumbs strong', { hasText: renamed }).waitFor();
    assert.equal((await p.request('GET', `/apps/${renamed}`)).status, 200);
    assert.equal((await p.request('GET', `/apps/${app}`)).status, 404);

    await page.getByRole('button', { name: 'Delete app…' }).click();
    const confirm = page.getByRole('button', { name: 'Delete app', exact: true });
    await page.getByLabel(/Type .* to confirm/).fill(app);
    assert.equal(await confirm.isDisabled(), true, 'the old name does not confirm');
    assert.equal((await p.request('GET', `/apps/${renamed}`)).status, 200);
    await page.getByLabel(/Type .* to confirm/).fill(renamed);
    await shot('settings-delete');
    await confirm.click();
    await page.waitForURL((u) => u.hash === '#/');
    await page.locator('table.apps tr', { hasText: `dm-${TAG}-29` }).waitFor();
    assert.equal(await page.locator('table.apps tr', { hasText: renamed }).count(), 0);
    assert.equal((await p.request('GET', `/apps/${renamed}`)).status, 404);
  });

  it('Access: adds a collaborator, who then reaches the app, and removes them', async () => {
    const app = `dm-${TAG}-7`;
    const dev = `dev-${TAG}@example.com`;
    const theirs = async () => ((await p.request('GET', '/app-summaries', undefined, { Authorization: `Bearer ${devKey}` })).body as { name: string }[]).map((a) => a.name);
    assert.ok(!(await theirs()).includes(app));
    await tab(app, 'access');
    await page.fill('form[aria-label="Add a collaborator"] input[name=email]', dev);
    await page.click('form[aria-label="Add a collaborator"] button[type=submit]');
    const row = page.locator('table.access tr', { hasText: dev });
    await row.getByText('collaborator').waitFor();
    assert.ok((await theirs()).includes(app), 'the collaborator reaches the app');
    await shot('access-collaborator');
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });
    assert.ok(!(await theirs()).includes(app), 'and no longer does');
    // An email with no account is refused with the API's message.
    await page.fill('form[aria-label="Add a collaborator"] input[name=email]', `nobody-${TAG}@example.com`);
    await page.click('form[aria-label="Add a collaborator"] button[type=submit]');
    await page.locator('section.card [role=alert]').waitFor();
  });

  it('Deploy: shows the pipeline and the git remotes, and builds from a tarball URL', async () => {
    const app = `dm-${TAG}-4`;
    const pipeline = (await p.request('POST', '/pipelines', { name: `pipe-${TAG}` })).body;
    assert.equal((await p.request('POST', '/pipeline-couplings', { app, pipeline: pipeline.id, stage: 'staging' })).status, 201);
    assert.equal((await p.request('POST', '/pipeline-couplings', { app: `dm-${TAG}-5`, pipeline: pipeline.id, stage: 'production' })).status, 201);
    await tab(app, 'deploy');
    await page.locator('.pipeline', { hasText: `${app} is in pipeline pipe-${TAG} at stage staging` }).waitFor();
    assert.match(await page.locator('.pipeline ul.stages').textContent() ?? '', new RegExp(`staging: ${app}.*production: dm-${TAG}-5`, 's'));
    await tab(`dm-${TAG}-6`, 'deploy');
    await page.getByText(`dm-${TAG}-6 is in no pipeline`).waitFor();

    // The HTTP(S) remote as shown works with git (the API key as password); the SSH one names the port SSH serves.
    await tab(app, 'deploy');
    const http = await page.locator('pre.cmd.http').textContent() ?? '';
    const url = /git remote add slipway (\S+)/.exec(http)?.[1];
    assert.equal(url, `${p.api}/${app}.git`);
    const withKey = new URL(url!);
    withKey.username = 'user';
    withKey.password = p.key;
    await run('git', ['ls-remote', withKey.href], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    const server = (await p.request('GET', '/')).body;
    assert.match(server.git.ssh, /^ssh:\/\/git@127\.0\.0\.1:\d+$/);
    assert.match(await page.locator('pre.cmd.ssh').textContent() ?? '', new RegExp(`git remote add slipway ${server.git.ssh}/${app}\\.git`));

    await page.fill('form[aria-label="Deploy from a tarball URL"] input[name=url]', `${filesUrl}/app.tgz`);
    await page.fill('form[aria-label="Deploy from a tarball URL"] input[name=version]', `tarball-${TAG}`);
    await page.click('form[aria-label="Deploy from a tarball URL"] button[type=submit]');
    await page.locator('.build-result pre.output', { hasText: '-----> ' }).waitFor({ timeout: 60_000 });
    await page.locator('.build-result .badge.succeeded').or(page.locator('.build-result .badge.failed')).waitFor({ timeout: 10 * 60_000 });
    await shot('deploy');
    const builds = (await p.request('GET', `/apps/${app}/builds`)).body;
    assert.equal(builds.length, 1);
    assert.equal(builds[0].status, 'succeeded', (await page.locator('.build-result pre.output').textContent())!.slice(-2000));
    assert.equal(builds[0].source_blob.version, `tarball-${TAG}`);
    assert.equal(builds[0].source_blob.url, `${filesUrl}/app.tgz`);
    await p.waitFor(app, 'node-app-v1');
    // Restart one dyno from Resources: the platform logs it, and the dyno comes back up.
    await tab(app, 'resources');
    const web = page.locator('table.dynos tr', { hasText: 'web.1' });
    await web.locator('.badge.up').waitFor({ timeout: 60_000 });
    await web.getByRole('button', { name: 'Restart' }).click();
    await p.waitForLog(app, /heroku\[web\.1\]: Restarting/);
    await p.waitFor(app, 'node-app-v1');
    await web.locator('.badge.up').waitFor({ timeout: 60_000 });
    // Restart all: every dyno is replaced (a new id), and comes back up.
    const webId = async () => (await p.request('GET', `/apps/${app}/dynos`)).body.find((d: { name: string }) => d.name === 'web.1')?.id;
    const oldId = await webId();
    await page.getByRole('button', { name: 'Restart all dynos' }).click();
    for (let i = 0; i < 600 && [oldId, undefined].includes(await webId()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(await webId(), oldId, 'Restart all dynos replaced web.1');
    await p.waitFor(app, 'node-app-v1');
    // The release phase's output, in Activity under the release it made.
    await tab(app, 'activity');
    await page.getByRole('button', { name: 'Release output' }).first().click();
    await page.locator('pre.output', { hasText: `release phase ran ${TAG}` }).waitFor({ timeout: 60_000 });
    await shot('activity-release-output');
    await tab(app, 'deploy');
    // A URL the platform may not fetch (a metadata address) is refused, said on the page, and nothing is released.
    const releases = (await p.request('GET', `/apps/${app}/releases`)).body.length;
    await page.fill('form[aria-label="Deploy from a tarball URL"] input[name=url]', 'http://169.254.169.254/app.tgz');
    await page.click('form[aria-label="Deploy from a tarball URL"] button[type=submit]');
    await page.locator('.tarball .badge.failed').or(page.locator('.tarball [role=alert]')).first().waitFor({ timeout: 60_000 });
    assert.equal((await p.request('GET', `/apps/${app}/releases`)).body.length, releases);
    assert.equal((await p.route(app)).body.includes('node-app-v1'), true, 'the app still serves its release');
  });

  it('refuses a sign-in for one account guessed at from many addresses, at both doors, and keeps serving others', async () => {
    const victim = `victim-${TAG}@example.com`;
    assert.equal((await p.request('POST', '/accounts', { email: victim, password: 'victim password 1' })).status, 201);
    const signInFrom = (from: string, email: string, password: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = new URLSearchParams({ email, password }).toString();
      const req = request(`${p.api}/dashboard/sign-in`, {
        method: 'POST', localAddress: from,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), Origin: p.api },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    // Ten guesses side by side, each from its own address: no address reaches its own limit.
    const guesses = await Promise.all(Array.from({ length: 10 }, (_, i) => signInFrom(`127.0.0.${40 + i}`, victim, `guess-${i}`)));
    assert.deepEqual(guesses.map((g) => g.status), Array(10).fill(401));
    const locked = await signInFrom('127.0.0.60', victim, 'victim password 1');
    assert.equal(locked.status, 429, 'the right password waits too');
    assert.match(locked.body, /Too many failed sign-ins for this account/);
    // The CLI's door shares the count: `heroku login` with the right password is refused as well.
    const cli = await fetch(`${p.api}/oauth/authorizations`, {
      method: 'POST', headers: { Accept: 'application/vnd.heroku+json; version=3', 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${victim}:victim password 1`).toString('base64')}` }, body: '{}',
    });
    assert.equal(cli.status, 429);
    assert.match(p.output, new RegExp(`dashboard sign-in refused: too many failures for this account.*${victim.replace(/\./g, '\\.')}`));
    // Everyone else is served: the operator signs in from an address the attack used.
    const operator = await signInFrom('127.0.0.40', EMAIL, p.key);
    assert.equal(operator.status, 303);
  });
});
